/* SPDX-License-Identifier: MIT */
/*
 * One transfer through the library's S3 backend, between a host file and
 * S3, for bench/s3_bench.sh (which times it beside the aws CLI):
 *
 *   s3_bench put FILE s3://bucket/key
 *   s3_bench get s3://bucket/key FILE
 *
 * Credentials, region and endpoint come from the AWS_* environment, as the
 * library reads them when nothing is configured.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "transfer/transfer.h"

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "put") && strcmp(argv[1], "get"))) {
        fprintf(stderr, "usage: %s put FILE URI | get URI FILE\n", argv[0]);
        return 2;
    }
    ci_config *cfg;
    struct ci_transfer *t;
    char err[1024];
    const struct ci_transfer_ops *ops = &ci_s3_transfer_ops;
    if (ci_config_new(&cfg) < 0 ||
        ops->open(&(struct ci_transfer_params){ cfg->s3 }, &t, err, sizeof(err)) < 0) {
        fprintf(stderr, "s3_bench: %s\n", err);
        return 1;
    }
    int r;
    if (!strcmp(argv[1], "put")) {
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            perror(argv[2]);
            return 1;
        }
        r = ops->put(t, fd, (uint64_t)st.st_size, argv[3], NULL, err, sizeof(err));
        close(fd);
    } else {
        int fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        uint64_t size = 0;
        if (fd < 0) {
            perror(argv[3]);
            return 1;
        }
        r = ops->get(t, argv[2], UINT64_MAX, fd, NULL, &size, err, sizeof(err));
        close(fd);
    }
    ops->close(t);
    ci_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "s3_bench: %s\n", err);
        return 1;
    }
    return 0;
}
