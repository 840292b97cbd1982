/* SPDX-License-Identifier: MIT */
/*
 * What one listing or one readFiles call costs the host (issue 15): a
 * folder of 100,000 entries listed by listFiles (one default page, one
 * page of CI_FILE_LIST_MAX) and through the C API page by page; readFiles
 * of 16 MiB of random bytes (the cap) and of a sparse 256 MiB file (refused
 * from its size). For each: the answer's size, the time, and how much the
 * process's peak resident memory grew (ru_maxrss). Each case runs in a
 * child of its own, so each starts from the same peak.
 *
 * Usage: files_bounds   (from the build tree, with the CODEINTERP_*
 * variables set as `meson compile bench` does)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <codeinterp/codeinterp.h>

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char make_folder[] =
    "import os\nos.mkdir('many')\nfor i in range(100000):\n"
    "    os.close(os.open('many/f%06d' % i, os.O_CREAT | os.O_WRONLY))\n";
static const char make_files[] =
    "import os\nopen('r.bin', 'wb').write(os.urandom(16 << 20))\n"
    "open('sparse.bin', 'wb').truncate(256 << 20)\n";

static const struct bench_case {
    const char *what, *setup, *request; /* request NULL: the C API's pages */
} cases[] = {
    { "listFiles, 100,000 entries, default page", make_folder,
      "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"many\"}}" },
    { "listFiles, 100,000 entries, limit 10000", make_folder,
      "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"many\",\"limit\":10000}}" },
    { "ci_list_files_page x 100 (limit 1000), all entries", make_folder, NULL },
    { "readFiles, 16 MiB of random bytes", make_files,
      "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"r.bin\"]}}" },
    { "readFiles, sparse 256 MiB file (refused)", make_files,
      "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"sparse.bin\"]}}" },
};

/* Every page of "many"; the number of entries, or -1. */
static long all_pages(ci_session *s)
{
    char *after = NULL;
    long total = 0;
    for (;;) {
        ci_file_list *page;
        if (ci_list_files_page(s, "many", after, 1000, &page) < 0) {
            free(after);
            return -1;
        }
        total += (long)ci_file_list_count(page);
        const char *next = ci_file_list_next_token(page);
        free(after);
        after = next ? strdup(next) : NULL;
        ci_file_list_free(page);
        if (!after)
            return total;
    }
}

static int run_case(const struct bench_case *c)
{
    ci_config *config;
    ci_session *s;
    ci_exec_options *o;
    ci_result *r;
    if (ci_config_new(&config) < 0 || ci_session_create(config, &s) < 0 ||
        ci_exec_options_new(&o) < 0 || ci_execute(s, c->setup, o, &r) < 0) {
        fprintf(stderr, "files_bounds: %s\n", ci_last_error());
        return 1;
    }
    ci_result_free(r);
    long before = peak_kib();
    double t0 = now_s();
    char *out = NULL;
    long entries = 0;
    if (c->request)
        ci_invoke_json(s, c->request, &out);
    else
        entries = all_pages(s);
    double secs = now_s() - t0;
    long grown = peak_kib() - before;
    if (c->request)
        printf("%-52s answer %10zu bytes  %7.3f s  peak +%7ld KiB\n", c->what,
               out ? strlen(out) : 0, secs, grown);
    else
        printf("%-52s %6ld entries        %7.3f s  peak +%7ld KiB\n", c->what, entries, secs,
               grown);
    ci_free(out);
    ci_exec_options_free(o);
    ci_session_destroy(s);
    ci_config_free(config);
    return 0;
}

int main(void)
{
    int failed = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            int rc = run_case(&cases[i]);
            fflush(stdout);
            _exit(rc);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed = 1;
    }
    return failed;
}
