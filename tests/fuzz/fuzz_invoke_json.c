/* SPDX-License-Identifier: MIT */
/*
 * ci_invoke_json() end to end, without a sandbox: the session behind it is
 * a real ci_session whose backend is a stand-in (a scratch folder as
 * /workspace, a runner that cannot start), so the JSON parsing, the
 * dispatch, every tool's argument checks and the file tools' real work in
 * the folder all run at fuzzing speed. Checks: the call returns 0 with a
 * JSON object that has "content" and "isError", and nothing is written
 * outside the scratch workspace.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/session.h"
#include "sandbox/host_files.h"
#include "fuzz.h"
#include "util/clock.h"
#include "util/safe_path.h"

static char base[64];
static char workspace[128], output[128], data_dir[128];
static struct ci_session *session;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_invoke_json: %s\n", what);
        abort();
    }
}

/* ---------------------------------------------------- stand-in backend */

static int fake_start(const struct ci_sandbox_params *p, struct ci_sandbox **out, char *err,
                      size_t errlen)
{
    (void)p, (void)out;
    snprintf(err, errlen, "no sandbox while fuzzing");
    return CI_ESANDBOX;
}

static int fake_spawn(struct ci_sandbox *sb, const char *const *argv, const char *const *envp,
                      struct ci_spawned *out, char *err, size_t errlen)
{
    (void)sb, (void)argv, (void)envp, (void)out;
    snprintf(err, errlen, "no runner while fuzzing");
    return CI_ERUNNER;
}

static int fake_ok(struct ci_sandbox *sb)
{
    (void)sb;
    return CI_OK;
}

static int fake_wait(struct ci_sandbox *sb, int pid, int timeout_ms, int *exited, int *code,
                     int *sig)
{
    (void)sb, (void)pid, (void)timeout_ms;
    *exited = 1;
    *code = 0;
    *sig = 0;
    return CI_OK;
}

static int fake_kill(struct ci_sandbox *sb, int pid)
{
    (void)sb, (void)pid;
    return CI_OK;
}

/* spawn never succeeds here: no pid is one of its programs */
static int fake_ended(struct ci_sandbox *sb, int pid)
{
    (void)sb, (void)pid;
    return 0;
}

static int fake_sweep(struct ci_sandbox *sb, unsigned *killed)
{
    (void)sb;
    *killed = 0;
    return CI_OK;
}

static void fake_set_busy(struct ci_sandbox *sb, int busy)
{
    (void)sb, (void)busy;
}

static int fake_event_fd(struct ci_sandbox *sb)
{
    (void)sb;
    return -1;
}

static int fake_usage(struct ci_sandbox *sb, uint64_t *cpu, uint64_t *peak, uint64_t *ooms)
{
    (void)sb, (void)cpu, (void)peak, (void)ooms;
    return CI_EUNSUPPORTED;
}

static ci_cgroup_mode fake_limits_mode(struct ci_sandbox *sb)
{
    (void)sb;
    return CI_CGROUP_NONE;
}

/* The session's files: three scratch folders, served as the process
 * backend serves its own (sandbox/host_files.h). */
static struct ci_host_areas areas;

static int fake_file_open(struct ci_sandbox *sb, enum ci_area area, const char *name, int *fd,
                          uint64_t *size, char *err, size_t errlen)
{
    (void)sb;
    return ci_host_file_open(&areas, area, name, fd, size, err, errlen);
}

static int fake_write_begin(struct ci_sandbox *sb, enum ci_area area, const char *name,
                            struct ci_sb_write **w, int *fd, char *err, size_t errlen)
{
    (void)sb;
    return ci_host_write_begin(&areas, area, name, w, fd, err, errlen);
}

static int fake_write_commit(struct ci_sandbox *sb, struct ci_sb_write *w, char *err,
                             size_t errlen)
{
    (void)sb;
    return ci_host_write_commit(&areas, w, err, errlen);
}

static void fake_write_end(struct ci_sandbox *sb, struct ci_sb_write *w, int keep)
{
    (void)sb;
    ci_host_write_end(&areas, w, keep);
}

static int fake_list(struct ci_sandbox *sb, enum ci_area area, const char *dir,
                     struct ci_safe_page *page, char *err, size_t errlen)
{
    (void)sb;
    return ci_host_list(&areas, area, dir, page, err, errlen);
}

static int fake_remove(struct ci_sandbox *sb, enum ci_area area, const char *name, char *err,
                       size_t errlen)
{
    (void)sb;
    return ci_host_remove(&areas, area, name, err, errlen);
}

static int fake_walk(struct ci_sandbox *sb, enum ci_area area, size_t max_entries, int max_depth,
                     struct ci_safe_walk *out, char *err, size_t errlen)
{
    (void)sb;
    return ci_host_walk(&areas, area, max_entries, max_depth, out, err, errlen);
}

static int fake_denials(struct ci_sandbox *sb, struct ci_denied_call **out, size_t *n)
{
    (void)sb;
    *out = NULL;
    *n = 0;
    return CI_EUNSUPPORTED;
}

static void fake_destroy(struct ci_sandbox *sb)
{
    (void)sb;
}

static const struct ci_sandbox_ops fake_ops = {
    .version = CI_SANDBOX_OPS_VERSION,
    .name = "fuzz",
    .start = fake_start,
    .spawn = fake_spawn,
    .kill_all = fake_ok,
    .wait = fake_wait,
    .kill = fake_kill,
    .set_busy = fake_set_busy,
    .check = fake_ok,
    .event_fd = fake_event_fd,
    .ended = fake_ended,
    .mark = fake_ok,
    .sweep = fake_sweep,
    .usage = fake_usage,
    .reset_peak = fake_ok,
    .limits_mode = fake_limits_mode,
    .denials = fake_denials,
    .file_open = fake_file_open,
    .write_begin = fake_write_begin,
    .write_commit = fake_write_commit,
    .write_end = fake_write_end,
    .list = fake_list,
    .remove = fake_remove,
    .walk = fake_walk,
    .destroy = fake_destroy,
};

/* -------------------------------------------------------------- setup */

static void cleanup(void)
{
    if (base[0]) {
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", base);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz_invoke_json: could not remove %s\n", base);
    }
}

static void setup(void)
{
    snprintf(base, sizeof(base), "/tmp/ci-fuzz-invoke-XXXXXX");
    check(mkdtemp(base) != NULL, "mkdtemp");
    atexit(cleanup);
    snprintf(workspace, sizeof(workspace), "%s/workspace", base);
    snprintf(output, sizeof(output), "%s/output", base);
    snprintf(data_dir, sizeof(data_dir), "%s/data", base);
    check(mkdir(workspace, 0755) == 0 && mkdir(output, 0755) == 0 && mkdir(data_dir, 0755) == 0,
          "mkdir");

    session = calloc(1, sizeof(*session));
    check(session != NULL, "calloc");
    ci_config *cfg = NULL;
    check(ci_config_new(&cfg) == 0, "ci_config_new");
    /* small files keep the fuzzer fast; the limit checks still run */
    check(ci_config_set_upload_limit(cfg, 1 << 16) == 0, "upload limit");
    check(ci_config_copy(&session->cfg, cfg) == 0, "ci_config_copy");
    ci_config_free(cfg);
    snprintf(session->id, sizeof(session->id), "fuzz");
    session->ops = &fake_ops;
    session->cancel_fd = -1;
    areas = (struct ci_host_areas){ .path = { workspace, output, data_dir } };
    check(ci_sandbox_ops_check(&fake_ops) == 0, "the stand-in backend is incomplete");
    session->created_ms = ci_now_ms();
}

/* Only the workspace's contents may change: the folders around it stay
 * exactly as made. */
static void check_and_reset(void)
{
    DIR *d = opendir(base);
    check(d != NULL, "the base folder is gone");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    check(n == 3, "something was created beside the workspace");
    int wfd = open(workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check(wfd >= 0, "the workspace is gone");
    d = fdopendir(dup(wfd));
    check(d != NULL, "fdopendir");
    rewinddir(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            ci_safe_rmtree_at(wfd, e->d_name);
    closedir(d);
    close(wfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!session)
        setup();
    char *request = malloc(size + 1);
    check(request != NULL, "malloc");
    memcpy(request, data, size);
    request[size] = '\0';

    /* never idle: each call comes right after the one before */
    session->last_used_ms = ci_now_ms();
    char *out = NULL;
    int rc = ci_invoke_json(session, request, &out);
    check(rc == 0 && out != NULL, "ci_invoke_json failed");
    cJSON *answer = cJSON_Parse(out);
    check(cJSON_IsObject(answer), "the answer is not a JSON object");
    check(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(answer, "content")), "no content");
    check(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(answer, "isError")), "no isError");
    cJSON_Delete(answer);
    ci_free(out);
    free(request);
    check_and_reset();
    return 0;
}
