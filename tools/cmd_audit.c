/* SPDX-License-Identifier: MIT */
/* codeinterp audit-verify: check the hash chain of an audit trail file. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"

int cli_audit_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            cli_command_usage(stdout, "audit-verify");
            return 0;
        }
        fputs("Try 'codeinterp help' for more information.\n", stderr);
        return CLI_EXIT_USAGE;
    }
    if (argc - optind != 1) {
        fputs("codeinterp audit-verify: give one FILE\n", stderr);
        return CLI_EXIT_USAGE;
    }
    const char *path = argv[optind];
    uint64_t records = 0;
    char *problem = NULL;
    int rc = ci_audit_verify_file(path, &records, &problem);

    if (rc == 0) {
        printf("ok: %" PRIu64 " records\n", records);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (rc == CI_EAUDIT) {
        /* the bad line on stdout, like the good verdict: scripts read one place */
        printf("%s: %s (%" PRIu64 " records before it verify)\n", path, problem, records);
        fflush(stdout);
        ci_free(problem);
        return 1;
    }
    cli_report_error("cannot verify the audit trail", rc, ci_last_error());
    return CLI_EXIT_USAGE;
}
