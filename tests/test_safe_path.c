/* SPDX-License-Identifier: MIT */
/* Suite 'files', white-box: util/safe_path (name checks, opens that follow
 * no link, folder creation and its undoing, tree removal), no sandbox. The
 * race case runs chrooted into a scratch directory, so that even a
 * regressed removal that climbs out of its tree cannot reach the host. */
#include "test_common.h"
#include "util/safe_path.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char scratch[64];

static void make_scratch(void)
{
    snprintf(scratch, sizeof(scratch), "/tmp/ci-safe-path-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void remove_scratch(void)
{
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ci_safe_rmtree_at(fd, scratch + 5);
    close(fd);
}

static int scratch_fd(void)
{
    int fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    return fd;
}

static void put(int dirfd, const char *name, const char *text)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int exists(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

START_TEST(names)
{
    char why[160];
    static const char *const good[] = { "a", "a.txt", "in/2024/x.csv", ".hidden", "..x", "x..",
                                        "a b/c\td", "...", };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(ci_path_check(good[i], why, sizeof(why)) == 0, "%s: %s", good[i], why);
    static const char *const bad[] = { "", "/", "/a", "..", "../a", "a/..", "a/../b", ".", "./a",
                                       "a/.", "a//b", "a/", "//a", };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(ci_path_check(bad[i], why, sizeof(why)) < 0, "accepted \"%s\"", bad[i]);
    char name[CI_PATH_MAX + 2];
    memset(name, 'a', CI_NAME_MAX + 1);
    name[CI_NAME_MAX + 1] = '\0';
    ck_assert_int_lt(ci_path_check(name, why, sizeof(why)), 0);
    name[CI_NAME_MAX] = '\0';
    ck_assert_int_eq(ci_path_check(name, why, sizeof(why)), 0);
    for (size_t i = 0; i <= CI_PATH_MAX; i++)
        name[i] = i % 100 == 99 ? '/' : 'n';
    name[CI_PATH_MAX] = '\0';
    ck_assert_int_eq(ci_path_check(name, why, sizeof(why)), 0);
    name[CI_PATH_MAX] = 'n';
    name[CI_PATH_MAX + 1] = '\0';
    ck_assert_int_lt(ci_path_check(name, why, sizeof(why)), 0);
}
END_TEST

START_TEST(opens_follow_no_link)
{
    make_scratch();
    int root = scratch_fd();
    ck_assert_int_eq(mkdirat(root, "ws", 0755), 0);
    ck_assert_int_eq(mkdirat(root, "outside", 0755), 0);
    int outside = openat(root, "outside", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    put(outside, "secret", "s");
    int ws = openat(root, "ws", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char target[128];
    snprintf(target, sizeof(target), "%s/outside", scratch);
    ck_assert_int_eq(symlinkat(target, ws, "abs"), 0);
    ck_assert_int_eq(symlinkat("../outside", ws, "rel"), 0);
    ck_assert_int_eq(symlinkat("../outside/secret", ws, "file"), 0);
    ck_assert_int_eq(mkdirat(ws, "d", 0755), 0);
    put(ws, "d/f", "f");

    ck_assert_int_eq(ci_safe_open(ws, "abs/secret", O_RDONLY, 0), -ELOOP);
    ck_assert_int_eq(ci_safe_open(ws, "rel/secret", O_RDONLY, 0), -ELOOP);
    ck_assert_int_eq(ci_safe_open(ws, "file", O_RDONLY, 0), -ELOOP);
    ck_assert_int_eq(ci_safe_open(ws, "../outside/secret", O_RDONLY, 0), -EXDEV);
    ck_assert_int_eq(ci_safe_open(ws, "/etc/passwd", O_RDONLY, 0), -EXDEV);
    int fd = ci_safe_open(ws, "d/f", O_RDONLY, 0);
    ck_assert_int_ge(fd, 0);
    close(fd);

    /* folders are made below the root only, and undone */
    struct ci_safe_owner own = { getuid(), getgid(), 0 };
    const char *leaf;
    size_t made = 99;
    ck_assert_int_eq(ci_safe_open_parent(ws, "abs/x/y", 1, &own, &leaf, &made), -ELOOP);
    ck_assert_int_eq(ci_safe_open_parent(ws, "d/f/y", 1, &own, &leaf, &made), -ENOTDIR);
    int dir = ci_safe_open_parent(ws, "d/n1/n2/leaf.txt", 1, &own, &leaf, &made);
    ck_assert_int_ge(dir, 0);
    ck_assert_str_eq(leaf, "leaf.txt");
    ck_assert_uint_eq(made, 2);
    close(dir);
    ck_assert(exists(ws, "d/n1/n2"));
    ci_safe_unmake_dirs(ws, "d/n1/n2/leaf.txt", made);
    ck_assert(!exists(ws, "d/n1"));
    ck_assert(exists(ws, "d/f"));

    /* a staged file appears whole on commit, and nothing on abort */
    struct ci_stage st;
    ck_assert_int_eq(ci_stage_open(&st, ws, 0600), 0);
    ck_assert_int_eq(write(st.fd, "new", 3), 3);
    ck_assert_int_eq(ci_stage_commit(&st, "file"), 0); /* replaces the link */
    struct stat sb;
    ck_assert_int_eq(fstatat(ws, "file", &sb, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert(S_ISREG(sb.st_mode));
    ck_assert_int_eq(ci_stage_open(&st, ws, 0600), 0);
    ci_stage_abort(&st);
    ck_assert_int_eq(ci_stage_open(&st, ws, 0600), 0);
    ck_assert_int_eq(ci_stage_commit(&st, "d"), -EISDIR);

    /* removal takes links, never their targets */
    ck_assert_int_eq(ci_safe_rmtree_at(root, "ws"), 0);
    ck_assert(!exists(root, "ws"));
    ck_assert(exists(outside, "secret"));
    ck_assert_int_eq(ci_safe_rmtree_at(root, "ws"), -ENOENT);
    close(ws);
    close(outside);
    close(root);
    remove_scratch();
}
END_TEST

START_TEST(removes_deep_and_locked_trees)
{
    make_scratch();
    int root = scratch_fd();
    ck_assert_int_eq(mkdirat(root, "t", 0755), 0);
    /* deeper than the descriptors a process may hold: constant fds */
    int fd = openat(root, "t", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (int i = 0; i < 3000; i++) {
        ck_assert_int_eq(mkdirat(fd, "d", 0755), 0);
        put(fd, "f", "x");
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(next, 0);
        if (i % 500 == 0)
            fchmod(fd, 0); /* unreadable folders on the way */
        close(fd);
        fd = next;
    }
    close(fd);
    ck_assert_int_eq(ci_safe_rmtree_at(root, "t"), 0);
    ck_assert(!exists(root, "t"));
    close(root);
    remove_scratch();
}
END_TEST

/* ------------------------------------------------------------- the race */

struct mover {
    atomic_int stop;
    long moves;
};

/* Moves /tree/a/b up and out of the tree and back, as sandboxed code may
 * while the host removes /tree: a walk inside b that climbs back with ".."
 * while b sits at /moved arrives at / instead of /tree/a. */
static void *move_loop(void *arg)
{
    struct mover *m = arg;
    while (!atomic_load(&m->stop)) {
        if (rename("/tree/a/b", "/moved") == 0)
            m->moves++;
        usleep(200);
        rename("/moved", "/tree/a/b");
        usleep(200);
    }
    return NULL;
}

#define CANARIES 16

/* In a child chrooted into the scratch dir: builds /tree with a wide b,
 * races the removal against the mover, and exits 0 when every /canaryN
 * (beside the tree, never in it) is still there. Several, because a walk
 * that climbs into / removes files only until readdir shows it a folder to
 * descend into. Against a walk without that check about half the rounds
 * lose canaries. */
static int race_once(void)
{
    if (chroot(scratch) < 0 || chdir("/") < 0)
        return 10;
    int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char name[32];
    for (int i = 0; i < CANARIES; i++) {
        snprintf(name, sizeof(name), "canary%d", i);
        put(root, name, "keep");
    }
    if (mkdir("/tree", 0755) < 0 || mkdir("/tree/a", 0755) < 0 || mkdir("/tree/a/b", 0755) < 0 ||
        mkdir("/tree/a/b/c", 0755) < 0)
        return 11;
    int b = open("/tree/a/b/c", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        put(b, name, "x");
    }
    close(b);
    struct mover m = { 0, 0 };
    pthread_t t;
    pthread_create(&t, NULL, move_loop, &m);
    int r = ci_safe_rmtree_at(root, "tree");
    atomic_store(&m.stop, 1);
    pthread_join(t, NULL);
    if (r != 0 && r != -ESTALE && r != -ENOENT)
        return 12;
    for (int i = 0; i < CANARIES; i++) {
        snprintf(name, sizeof(name), "canary%d", i);
        if (!exists(root, name))
            return 1;
    }
    return 0;
}

START_TEST(removal_never_leaves_its_tree)
{
    for (int round = 0; round < 30; round++) {
        make_scratch();
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(race_once());
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status), "the racing child died");
        ck_assert_msg(WEXITSTATUS(status) == 0,
                      "round %d: %s (exit %d)", round,
                      WEXITSTATUS(status) == 1 ? "the removal climbed out of its tree and "
                                                 "removed a file beside it"
                                               : "setup failed",
                      WEXITSTATUS(status));
        remove_scratch();
    }
}
END_TEST

static Suite *safe_path_suite(void)
{
    Suite *s = suite_create("safe_path");
    TCase *tc = tcase_create("safe_path");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, names);
    tcase_add_test(tc, opens_follow_no_link);
    tcase_add_test(tc, removes_deep_and_locked_trees);
    suite_add_tcase(s, tc);
    if (tc_case_can_run("rmtree_race", geteuid() == 0,
                        "the race runs chrooted, which needs root")) {
        tc = tcase_create("rmtree_race");
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, removal_never_leaves_its_tree);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return tc_run_suite(safe_path_suite());
}
