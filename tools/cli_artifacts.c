/* SPDX-License-Identifier: MIT */
/*
 * What `codeinterp exec` hands over besides text: charts and /output files
 * saved to a host folder (--save-artifacts), and the progress of S3
 * transfers on a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The extension a display's media type is saved under. */
static const char *extension_of(const char *mime)
{
    static const struct { const char *mime, *ext; } known[] = {
        {"image/png", "png"}, {"image/jpeg", "jpg"}, {"image/svg+xml", "svg"},
        {"image/gif", "gif"}, {"text/plain", "txt"},
    };
    for (size_t i = 0; mime && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(mime, known[i].mime) == 0)
            return known[i].ext;
    return "bin";
}

/* Creates the folders of `rel` (a path below the save folder, made of the
 * names of real files of /output) beneath dirfd, never following a link:
 * 0, or -1 with errno set. A component "", "." or ".." is refused. */
static int make_parents(int dirfd, const char *rel)
{
    char *copy = strdup(rel);
    if (!copy)
        return -1;
    int fd = dup(dirfd), rc = fd < 0 ? -1 : 0;
    char *save = NULL;
    char *part = strtok_r(copy, "/", &save);
    while (rc == 0 && part) {
        char *next = strtok_r(NULL, "/", &save);
        if (!next)
            break; /* the file's own name */
        if (strcmp(part, ".") == 0 || strcmp(part, "..") == 0) {
            errno = EINVAL;
            rc = -1;
            break;
        }
        if (mkdirat(fd, part, 0777) < 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        int sub = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = sub;
        if (fd < 0)
            rc = -1;
        part = next;
    }
    if (fd >= 0)
        close(fd);
    free(copy);
    return rc;
}

static int write_file_at(int dirfd, const char *name, const void *data, size_t len)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    int rc = cli_write_all(fd, data, len);
    if (close(fd) < 0)
        rc = -1;
    return rc;
}

int cli_save_artifacts(ci_session *session, const ci_result *r, const char *dir)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "codeinterp: --save-artifacts %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        fprintf(stderr, "codeinterp: --save-artifacts %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int failed = 0;
    size_t saved = 0;
    for (size_t i = 0; i < ci_result_display_count(r); i++) {
        char name[64];
        size_t len;
        const void *data = ci_result_display_data(r, i, &len);
        snprintf(name, sizeof name, "chart-%zu.%s", i + 1,
                 extension_of(ci_result_display_mime_type(r, i)));
        if (write_file_at(dirfd, name, data, len) < 0) {
            fprintf(stderr, "codeinterp: cannot save %s/%s: %s\n", dir, name, strerror(errno));
            failed = 1;
        } else {
            fprintf(stderr, "codeinterp: saved %s/%s\n", dir, name);
            saved++;
        }
    }
    for (size_t i = 0; i < ci_result_artifact_count(r); i++) {
        const char *path = ci_result_artifact_path(r, i);
        if (!path || strncmp(path, "/output/", 8) != 0)
            continue; /* /workspace stays the sandbox's */
        const char *rel = path + 8;
        char *host = NULL;
        if (make_parents(dirfd, rel) < 0 || asprintf(&host, "%s/%s", dir, rel) < 0) {
            fprintf(stderr, "codeinterp: cannot save %s under %s: %s\n", path, dir,
                    strerror(errno));
            failed = 1;
            continue;
        }
        int rc = ci_download_to_file(session, path, host);
        if (rc < 0) {
            cli_report_error(path, rc, ci_session_last_error(session));
            failed = 1;
        } else {
            fprintf(stderr, "codeinterp: saved %s\n", host);
            saved++;
        }
        free(host);
    }
    if (ci_result_artifacts_truncated(r)) {
        fputs("codeinterp: /output holds more files than were examined; not all were saved\n",
              stderr);
        failed = 1;
    }
    close(dirfd);
    return failed ? -1 : (int)saved;
}

/* ------------------------------------------------------------ progress */

int cli_progress(const char *uri, uint64_t done, uint64_t total, void *user_data)
{
    int *last = user_data; /* the percentage shown last, -1 before any */
    int pct = total == UINT64_MAX || total == 0 ? -1 : (int)(done * 100 / total);
    if (pct == *last && pct != -1)
        return 0;
    *last = pct;
    if (pct < 0)
        fprintf(stderr, "\r%.60s  %.1f MiB", uri, (double)done / 1048576.0);
    else
        fprintf(stderr, "\r%.60s  %.1f / %.1f MiB  %3d%%", uri, (double)done / 1048576.0,
                (double)total / 1048576.0, pct);
    if (pct == 100) {
        fputc('\n', stderr);
        *last = -1;
    }
    fflush(stderr);
    return 0;
}
