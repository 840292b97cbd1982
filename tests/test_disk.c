/* SPDX-License-Identifier: MIT */
/*
 * Workspace images on the host's disk: their blocks are reserved when a
 * session starts, so sessions together never promise more than the state
 * dir's filesystem holds, and a state dir in memory (tmpfs) is refused
 * unless the caller allows it. Root only (loop devices, mount).
 */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_common.h"

#define MIB (1ull << 20)
#define SMALL_FS_MIB 200
#define WORKSPACE_MIB 40
#define SESSIONS 8

/* A small ext4 filesystem of its own, loop-mounted on a temporary dir: the
 * state dir of the test's sessions, so that filling it harms nothing. */
struct small_fs {
    char *dir;   /* the temporary dir holding the image and the mountpoint */
    char *mnt;
    char *state; /* <mnt>/state */
};

static void run_or_fail(const char *cmd)
{
    int st = system(cmd);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s failed (status %d)",
                  cmd, st);
}

/* Made and removed by the parent process around each case (unchecked
 * fixtures), so a failed case leaves no mount behind: a lazy unmount of
 * the small filesystem takes the sessions' volumes mounted in it along. */
static struct small_fs state_fs;

static void small_fs_make(struct small_fs *fs, unsigned mib)
{
    fs->dir = tc_make_temp_dir("ci-disk");
    fs->mnt = tc_printf("%s/mnt", fs->dir);
    fs->state = tc_printf("%s/state", fs->mnt);
    ck_assert_int_eq(mkdir(fs->mnt, 0700), 0);
    /* no root reserve: the library runs as root and could use it anyway */
    char *cmd = tc_printf("truncate -s %uM %s/fs.img && mke2fs -q -F -t ext4 -m 0 %s/fs.img && "
                          "mount -o loop %s/fs.img %s",
                          mib, fs->dir, fs->dir, fs->dir, fs->mnt);
    run_or_fail(cmd);
    free(cmd);
    /* the sandboxes' uids pass through to their workspaces */
    ck_assert_int_eq(chmod(fs->dir, 0711), 0);
    ck_assert_int_eq(chmod(fs->mnt, 0711), 0);
    ck_assert_int_eq(mkdir(fs->state, 0700), 0);
}

static void small_fs_remove(struct small_fs *fs)
{
    if (umount2(fs->mnt, MNT_DETACH) != 0)
        fprintf(stderr, "umount %s: %s\n", fs->mnt, strerror(errno));
    tc_remove_tree(fs->dir);
    free(fs->dir);
    free(fs->mnt);
    free(fs->state);
}

static uint64_t free_bytes(const char *path)
{
    struct statvfs sv;
    ck_assert_int_eq(statvfs(path, &sv), 0);
    return (uint64_t)sv.f_bavail * sv.f_frsize;
}

/* Bytes the session's image holds on the host, -1 without an image. */
static long long image_bytes(const char *state, const char *id)
{
    char *img = tc_printf("%s/sessions/%s.img", state, id);
    struct stat st;
    long long bytes = stat(img, &st) == 0 ? (long long)st.st_blocks * 512 : -1;
    free(img);
    return bytes;
}

/* The image holds its whole size on the host (and its extent tree). */
static void expect_reserved(const char *state, ci_session *s)
{
    long long bytes = image_bytes(state, ci_session_id(s));
    ck_assert_msg(bytes >= (long long)(WORKSPACE_MIB * MIB) &&
                  bytes <= (long long)((WORKSPACE_MIB + 1) * MIB),
                  "the image of a %d MiB workspace holds %lld bytes on the host", WORKSPACE_MIB,
                  bytes);
}

static size_t count_images(const char *state)
{
    char *cmd = tc_printf("ls %s/sessions | grep -c '\\.img$'", state);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    unsigned n = 0;
    if (fscanf(p, "%u", &n) != 1)
        n = 0;
    pclose(p);
    free(cmd);
    return n;
}

static ci_config *config_for(const char *state, uint64_t workspace)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_state_dir(c, state), 0);
    ck_assert_int_eq(ci_config_set_workspace_size(c, workspace), 0);
    return c;
}

/* Fills /workspace to ENOSPC, syncs it (a host filesystem out of space
 * would show here, as EIO from the loop device), removes it and fills
 * again. */
static const char fill_code[] =
    "import errno, os\n"
    "def fill(path):\n"
    "    n = 0\n"
    "    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)\n"
    "    try:\n"
    "        while True:\n"
    "            n += os.write(fd, b'x' * (1 << 20))\n"
    "    except OSError as e:\n"
    "        why = errno.errorcode[e.errno]\n"
    "    try:\n"
    "        os.fsync(fd)\n"
    "        synced = 'ok'\n"
    "    except OSError as e:\n"
    "        synced = errno.errorcode[e.errno]\n"
    "    os.close(fd)\n"
    "    return n >> 20, why, synced\n"
    "print('FIRST %d %s %s' % fill('/workspace/fill'))\n"
    "os.unlink('/workspace/fill')\n"
    "os.sync()\n"
    "print('AGAIN %d %s %s' % fill('/workspace/fill2'))\n";

/* Eight sessions of 40 MiB on a 200 MiB filesystem: those that fit start,
 * the others are refused with a message naming the state dir and sizes,
 * and each admitted one can write its whole workspace (twice) without the
 * host filesystem running out. */
static void setup_small_fs(void)
{
    small_fs_make(&state_fs, SMALL_FS_MIB);
}

static void teardown_small_fs(void)
{
    small_fs_remove(&state_fs);
}

START_TEST(eight_sessions_on_a_small_filesystem)
{
    ci_config *c = config_for(state_fs.state, WORKSPACE_MIB * MIB);
    /* the sessions dir is made by the first session; count from there */
    uint64_t before = free_bytes(state_fs.state);
    size_t fit = (size_t)(before / (WORKSPACE_MIB * MIB));
    ck_assert_msg(fit >= 2 && fit < SESSIONS, "a %d MiB ext4 has %llu MiB free", SMALL_FS_MIB,
                  (unsigned long long)(before / MIB));

    ci_session *s[SESSIONS] = { NULL };
    size_t admitted = 0, refused = 0;
    for (size_t i = 0; i < SESSIONS; i++) {
        int rc = ci_session_create(c, &s[i]);
        if (rc == CI_OK) {
            ck_assert_msg(refused == 0, "session %zu started after one was refused", i);
            admitted++;
            continue;
        }
        refused++;
        s[i] = NULL;
        const char *why = ci_last_error();
        ck_assert_msg(rc == CI_ELIMIT, "session %zu: %s: %s", i, ci_strerror(rc), why);
        ck_assert_msg(strstr(why, state_fs.state) && strstr(why, "40 MiB") &&
                      strstr(why, "MiB free"),
                      "the refusal names neither the state dir nor the sizes: %s", why);
        printf("refused session %zu: %s\n", i, why);
    }
    printf("%llu MiB free before: %zu sessions of %d MiB admitted, %zu refused; %llu MiB "
           "left\n", (unsigned long long)(before / MIB), admitted, WORKSPACE_MIB, refused,
           (unsigned long long)(free_bytes(state_fs.state) / MIB));
    /* the metadata of the state dir and the images may cost one session */
    ck_assert_msg(admitted == fit || admitted + 1 == fit, "%zu admitted, %zu would fit",
                  admitted, fit);
    ck_assert_uint_eq(count_images(state_fs.state), admitted); /* refusals leave nothing */
    for (size_t i = 0; i < admitted; i++)
        expect_reserved(state_fs.state, s[i]);

    for (size_t i = 0; i < admitted; i++) {
        ci_result *r = tc_exec_ok(s[i], fill_code, NULL);
        const char *out = tc_stdout(r);
        for (const char *key = "FIRST"; key; key = strcmp(key, "FIRST") ? NULL : "AGAIN") {
            char *v = tc_line_value(out, key);
            ck_assert_msg(v, "session %zu: no %s line: %s / %s", i, key, out, tc_stderr(r));
            int mib = -1;
            char why[32] = "", synced[32] = "";
            ck_assert_int_eq(sscanf(v, "%d %31s %31s", &mib, why, synced), 3);
            ck_assert_msg(!strcmp(why, "ENOSPC") && !strcmp(synced, "ok") &&
                          mib >= WORKSPACE_MIB * 3 / 4 && mib <= WORKSPACE_MIB,
                          "session %zu, %s fill: %s (want ~%d MiB, ENOSPC, synced ok)", i, key,
                          v, WORKSPACE_MIB);
            free(v);
        }
        ci_result_free(r);
        /* deleting inside gives nothing back to the host: no holes */
        expect_reserved(state_fs.state, s[i]);
    }

    for (size_t i = 0; i < SESSIONS; i++)
        ci_session_destroy(s[i]);
    ck_assert_uint_eq(count_images(state_fs.state), 0);
    /* the space is back: as many fit again */
    ci_session *again[SESSIONS] = { NULL };
    for (size_t i = 0; i < admitted; i++) {
        int rc = ci_session_create(c, &again[i]);
        ck_assert_msg(rc == CI_OK, "after the others ended, session %zu: %s: %s", i,
                      ci_strerror(rc), ci_last_error());
    }
    for (size_t i = 0; i < admitted; i++)
        ci_session_destroy(again[i]);
    ci_config_free(c);
}
END_TEST

/* A state dir on tmpfs puts the images in host memory: refused unless the
 * caller allows it; a plain workspace directory there is fine. */
static char *tmpfs_dir;

static void setup_tmpfs(void)
{
    tmpfs_dir = tc_make_temp_dir("ci-tmpfs-state");
    ck_assert_int_eq(mount("tmpfs", tmpfs_dir, "tmpfs", MS_NOSUID | MS_NODEV,
                           "size=64m,mode=0711"), 0);
}

static void teardown_tmpfs(void)
{
    umount2(tmpfs_dir, MNT_DETACH);
    rmdir(tmpfs_dir);
    free(tmpfs_dir);
}

START_TEST(tmpfs_state_dir)
{
    const char *dir = tmpfs_dir;
    struct statfs sf;
    ck_assert_int_eq(statfs(dir, &sf), 0);
    ck_assert(sf.f_type == TMPFS_MAGIC);
    ci_config *c = config_for(dir, 16 * MIB);
    ci_session *s = NULL;
    int rc = ci_session_create(c, &s);
    ck_assert_msg(rc == CI_ELIMIT, "a tmpfs state dir was taken: %s", ci_strerror(rc));
    ck_assert_msg(strstr(ci_last_error(), dir) && strstr(ci_last_error(), "tmpfs") &&
                  strstr(ci_last_error(), "allow"), "unclear refusal: %s", ci_last_error());
    ck_assert_uint_eq(count_images(dir), 0);

    ck_assert_int_eq(ci_config_set_allow_tmpfs_state(c, 1), 0);
    s = tc_session_new(c);
    tc_assert_py(s, "import shutil; print(shutil.disk_usage('/workspace').total >> 20 <= 16)",
                 "True\n");
    ci_session_destroy(s);

    ck_assert_int_eq(ci_config_set_allow_tmpfs_state(c, 0), 0);
    ck_assert_int_eq(ci_config_set_workspace_size(c, 0), 0);
    s = tc_session_new(c);
    tc_assert_py(s, "print(1 + 1)", "2\n");
    ci_session_destroy(s);
    ci_config_free(c);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("disk");
    const char *why = "workspace images are loop-mounted, which needs root";
    if (tc_case_can_run("reservation", geteuid() == 0, why)) {
        TCase *t = tcase_create("reservation");
        tcase_set_timeout(t, 600);
        tcase_add_unchecked_fixture(t, setup_small_fs, teardown_small_fs);
        tcase_add_test(t, eight_sessions_on_a_small_filesystem);
        suite_add_tcase(suite, t);
    }
    if (tc_case_can_run("tmpfs_state", geteuid() == 0, why)) {
        TCase *t = tcase_create("tmpfs_state");
        tcase_set_timeout(t, 300);
        tcase_add_unchecked_fixture(t, setup_tmpfs, teardown_tmpfs);
        tcase_add_test(t, tmpfs_state_dir);
        suite_add_tcase(suite, t);
    }
    tc_require_runtime();
    return tc_run_suite(suite);
}
