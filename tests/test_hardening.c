/* SPDX-License-Identifier: MIT */
/* Suite 'security', second runner: the cases of SECURITY-TESTS.md that
 * test_security.c leaves out, their JavaScript side, and attacks the list
 * does not name (the sandbox's init and its /proc entries, the control
 * channel of the kernels, a second seccomp listener, x32/i386 numbers of
 * denied calls, memfd executables, fd exhaustion). Each is a real attempt
 * with a real assertion; a positive control shows where a probe could pass
 * for the wrong reason. */
#include "test_common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

/* The line is there and its verdict does not start with `bad`. */
static void expect_line_not(const ci_result *r, const char *key, const char *bad)
{
    char *got = tc_line_value(tc_stdout(r), key);
    ck_assert_msg(got != NULL, "no \"%s\" line in:\n%s\n--- stderr ---\n%s", key, tc_stdout(r),
                  tc_stderr(r));
    ck_assert_msg(strncmp(got, bad, strlen(bad)) != 0, "%s: %s", key, got);
    free(got);
}

/* The verdict is one of the '|'-separated words. */
static void expect_one_of(const ci_result *r, const char *key, const char *words)
{
    char *got = tc_line_value(tc_stdout(r), key);
    ck_assert_msg(got != NULL, "no \"%s\" line in:\n%s\n--- stderr ---\n%s", key, tc_stdout(r),
                  tc_stderr(r));
    size_t n = strlen(got);
    int ok = 0;
    for (const char *w = words; w && !ok;) {
        const char *bar = strchr(w, '|');
        size_t len = bar ? (size_t)(bar - w) : strlen(w);
        ok = len == n && strncmp(w, got, n) == 0;
        w = bar ? bar + 1 : NULL;
    }
    ck_assert_msg(ok, "%s: got \"%s\", wanted one of %s", key, got, words);
    free(got);
}

static void expect_done(const ci_result *r)
{
    tc_assert_status(r, CI_STATUS_OK);
    const char *out = tc_stdout(r);
    ck_assert_msg(strncmp(out, "DONE\n", 5) == 0 || strstr(out, "\nDONE\n"),
                  "the probe did not finish:\n%s\n--- stderr ---\n%s", out, tc_stderr(r));
}

static ci_result *run_snippet(ci_session *s, const char *file, const char *prelude,
                              const ci_exec_options *o)
{
    char *code = tc_load_probe(file, prelude);
    ci_result *r = tc_exec(s, code, o);
    free(code);
    return r;
}

static ci_exec_options *js_options(void)
{
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_JAVASCRIPT), 0);
    return o;
}

/* How often the result says `name` was refused (0: not listed). */
static uint64_t denied_times(const ci_result *r, const char *name)
{
    for (size_t i = 0; i < ci_result_denied_syscall_count(r); i++)
        if (strcmp(ci_result_denied_syscall_name(r, i), name) == 0)
            return ci_result_denied_syscall_times(r, i);
    return 0;
}

static char *denied_list(const ci_result *r)
{
    char *all = strdup("");
    for (size_t i = 0; i < ci_result_denied_syscall_count(r); i++) {
        char *next = tc_printf("%s %s(x%llu)", all, ci_result_denied_syscall_name(r, i),
                               (unsigned long long)ci_result_denied_syscall_times(r, i));
        free(all);
        all = next;
    }
    return all;
}

static void expect_denied(const ci_result *r, const char *name)
{
    if (denied_times(r, name) == 0) {
        char *all = denied_list(r);
        ck_abort_msg("the result does not report %s as refused; it reports:%s", name, all);
    }
}

static void expect_no_denials(const ci_result *r)
{
    char *all = denied_list(r);
    ck_assert_msg(ci_result_denied_syscall_count(r) == 0, "refused calls reported:%s", all);
    free(all);
}

static long rss_kib(const char *field)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    const char *at = strstr(buf, field);
    ck_assert_ptr_nonnull(at);
    return strtol(at + strlen(field), NULL, 10);
}

/* ------------------------------------------------------------ filesystem */

START_TEST(escapes_stay_inside)
{
    ci_session *s = tc_session_new(NULL);
    char *prelude = tc_printf("STATE_DIR = '%s'\nTOKEN = '%s'\n", tc_state_dir(),
                              ci_session_id(s));
    ci_result *r = run_snippet(s, "fs_escapes.py", prelude, NULL);
    free(prelude);
    expect_done(r);
    tc_expect_line(r, "chroot_jail", "EPERM");
    tc_expect_line(r, "chroot_dot", "EPERM");
    tc_expect_line(r, "CWD", "/");
    tc_expect_line(r, "ESCAPED", "False");
    static const char *const tools[] = {"chroot_bin", "mount_bin",  "bind_bin",
                                        "umount_bin", "remount_bin", "unshare_bin",
                                        "nsenter_bin", "bwrap_bin"};
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        expect_one_of(r, tools[i], "FAILED|ABSENT");
    tc_expect_line(r, "bwrap_bin", "FAILED"); /* setup installs bubblewrap */
    tc_expect_line(r, "MOUNTS_CHANGED", "False");
    tc_expect_line(r, "TOP_CHANGED", "False");
    expect_line_not(r, "link_usr", "ALLOWED");
    expect_line_not(r, "link_etc", "ALLOWED");
    expect_line_not(r, "rename_ws", "ALLOWED");
    expect_line_not(r, "rmdir_output", "ALLOWED");
    static const char *const writable[] = {"FLAGS /workspace", "FLAGS /output", "FLAGS /tmp",
                                           "FLAGS /dev/shm", "FLAGS /data", "FLAGS /"};
    for (size_t i = 0; i < sizeof writable / sizeof writable[0]; i++)
        tc_expect_line(r, writable[i], "True");
    tc_expect_line(r, "STATE_DIR_VISIBLE", "False");
    tc_expect_line(r, "ID_VISIBLE", "False");
    tc_expect_line(r, "SUID_SET", "True");
    tc_expect_line(r, "SUID_EUID", "1000");
    /* the mount attempts were refused by the policy and say so */
    expect_denied(r, "chroot");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* Links planted in /output (the folder copied out after an execution) and
 * /workspace toward host files: the artifacts list regular files only and
 * the host never follows them, in the listing or at destroy. */
START_TEST(output_links_inert)
{
    char token[33];
    tc_random_hex(token, 32);
    char *victim = tc_make_temp_dir("ci-hard-victim");
    ck_assert_int_eq(chmod(victim, 0755), 0);
    char *secret = tc_printf("%s/secret.txt", victim);
    tc_write_file(secret, token, 0644);

    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os\n"
                           "os.symlink('%s', '/output/link_secret')\n"
                           "os.symlink('%s', '/output/link_dir')\n"
                           "os.symlink('/etc/passwd', '/output/link_passwd')\n"
                           "os.symlink('/workspace', '/output/link_ws')\n"
                           "os.mkfifo('/output/fifo')\n"
                           "open('/output/plain.txt', 'w').write('plain')\n"
                           "os.link('/output/plain.txt', '/output/hard.txt')\n"
                           "os.symlink('%s', '/workspace/link_secret')\n",
                           secret, victim, secret);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    int saw_plain = 0;
    for (size_t i = 0; i < ci_result_artifact_count(r); i++) {
        const char *path = ci_result_artifact_path(r, i);
        ck_assert_msg(strstr(path, "link") == NULL && strstr(path, "fifo") == NULL,
                      "a link or FIFO became an artifact: %s", path);
        saw_plain |= strcmp(path, "/output/plain.txt") == 0;
    }
    ck_assert_msg(saw_plain, "/output/plain.txt is not an artifact (control)");
    ci_result_free(r);

    /* the workspace's file calls refuse the link */
    void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(ci_download(s, "link_secret", &data, &len), CI_EPATH);

    ci_session_destroy(s);
    struct stat st;
    ck_assert_msg(stat(secret, &st) == 0 && st.st_size == 32,
                  "the host file behind a planted link changed");
    ck_assert_msg(stat(victim, &st) == 0 && S_ISDIR(st.st_mode),
                  "the host folder behind a planted link is gone");
    tc_remove_tree(victim);
    free(secret);
    free(victim);
}
END_TEST

START_TEST(js_filesystem)
{
    char token[33];
    tc_random_hex(token, 32);
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options();
    char *prelude = tc_printf("const STATE_DIR = '%s';\n", tc_state_dir());
    ci_result *r = run_snippet(s, "js_filesystem.js", prelude, o);
    free(prelude);
    expect_done(r);
    static const char *const refused[] = {
        "chroot_bin", "mount_bin", "umount_bin", "unshare_bin", "bwrap_bin",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        expect_one_of(r, refused[i], "FAILED|ABSENT");
    tc_expect_line(r, "MOUNTS_CHANGED", "false");
    tc_expect_line(r, "STATE_DIR_LISTED", "ENOENT");
    expect_one_of(r, "SHADOW", "ENOENT|EACCES");
    expect_one_of(r, "ROOT_HOME", "ENOENT|EACCES");
    char *dev = tc_line_value(tc_stdout(r), "DEV");
    ck_assert_ptr_nonnull(dev);
    static const char *const allowed[] = {"null", "zero", "full", "random", "urandom", "fd",
                                          "stdin", "stdout", "stderr", "shm", "pts", "ptmx",
                                          "mqueue", "tty"};
    char *save = NULL;
    int needed = 0;
    for (char *tok = strtok_r(dev, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        int ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok |= strcmp(tok, allowed[i]) == 0;
        ck_assert_msg(ok, "/dev/%s exists in the sandbox (JS view)", tok);
        needed += ok && (strcmp(tok, "null") == 0 || strcmp(tok, "zero") == 0 ||
                         strcmp(tok, "full") == 0 || strcmp(tok, "random") == 0 ||
                         strcmp(tok, "urandom") == 0);
    }
    ck_assert_int_eq(needed, 5);
    free(dev);
    tc_expect_line(r, "MKNOD", "FAILED");
    tc_expect_line(r, "FD_LEAKS", "0");
    char *fds = tc_line_value(tc_stdout(r), "FD_COUNT");
    ck_assert_ptr_nonnull(fds);
    ck_assert_msg(atoi(fds) >= 3 && atoi(fds) <= 40, "%s fds open in the JS runner", fds);
    free(fds);
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------------- /proc, init */

START_TEST(init_and_proc)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = run_snippet(s, "init_and_proc.py", NULL, NULL);
    expect_done(r);
    /* the init ignores every signal from inside and stays as it was */
    expect_one_of(r, "INIT_STATE", "S|R");
    expect_one_of(r, "INIT_STATE_END", "S|R");
    static const char *const inside[] = {"mem", "environ", "maps", "map_files", "fd",
                                         "fdinfo", "cwd", "root", "exe", "auxv", "stack",
                                         "syscall", "pagemap", "timers", "io", "personality"};
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        char *key = tc_printf("proc1 %s", inside[i]);
        expect_line_not(r, key, "ALLOWED");
        free(key);
    }
    expect_line_not(r, "proc1 mem write", "ALLOWED");
    expect_line_not(r, "proc1 oom_score_adj", "ALLOWED");
    char *keys = tc_line_value(tc_stdout(r), "KEYS");
    ck_assert_ptr_nonnull(keys);
    ck_assert_msg(strcmp(keys, "0") == 0 || strncmp(keys, "E", 1) == 0,
                  "/proc/keys shows %s keys", keys);
    free(keys);
    static const char *const sysctls[] = {
        "kernel/modprobe", "kernel/core_pattern", "kernel/sysrq", "kernel/hostname",
        "kernel/ns_last_pid", "vm/drop_caches", "vm/overcommit_memory",
        "fs/protected_symlinks", "user/max_user_namespaces", "net/ipv4/ip_forward",
        "net/core/somaxconn", "net/ipv4/ping_group_range"};
    for (size_t i = 0; i < sizeof sysctls / sizeof sysctls[0]; i++) {
        char *key = tc_printf("sysctl %s", sysctls[i]);
        expect_line_not(r, key, "ALLOWED");
        free(key);
    }
    /* the kernel kills sandboxed code first when memory runs out, and a
     * root host's sandbox cannot make itself unkillable */
    tc_expect_line(r, "OOM_SCORE_ADJ", "1000");
    if (geteuid() == 0)
        expect_line_not(r, "oom_score_adj_lower", "ALLOWED");
    tc_expect_line(r, "SYS_PRESENT", "False");
    ci_result_free(r);

    /* the init still serves: a fresh interpreter starts and runs */
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_clear_context(o, 1), 0);
    r = tc_exec_ok(s, "print('still here')", o);
    ck_assert_str_eq(tc_stdout(r), "still here\n");
    ci_result_free(r);
    ci_exec_options_free(o);

    /* the same signals and peeks from the JS runner */
    o = js_options();
    r = tc_exec_ok(s,
                   "const fs = require('fs'); const out = [];\n"
                   "for (const sig of ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGSEGV']) {\n"
                   "  try { process.kill(1, sig); } catch (e) { out.push('kill ' + e.code); }\n"
                   "}\n"
                   "for (const f of ['mem', 'environ', 'fd', 'root', 'maps']) {\n"
                   "  try { const p = '/proc/1/' + f; fs.statSync(p).isDirectory() ?\n"
                   "        fs.readdirSync(p) : fs.readFileSync(p);\n"
                   "        out.push('proc1 ' + f + ' ALLOWED'); }\n"
                   "  catch (e) { out.push('proc1 ' + f + ' ' + e.code); }\n"
                   "}\n"
                   "try { fs.writeFileSync('/proc/sys/kernel/hostname', 'evil');\n"
                   "      out.push('sysctl ALLOWED'); } catch (e) { out.push('sysctl ' + e.code); }\n"
                   "await new Promise((ok) => setTimeout(ok, 200));\n"
                   "out.push('INIT ' + fs.readFileSync('/proc/1/stat', 'utf8')"
                   ".split(') ')[1].split(' ')[0]);\n"
                   "console.log(out.join('\\n'));\n",
                   o);
    static const char *const js_inside[] = {"mem", "environ", "fd", "root", "maps"};
    for (size_t i = 0; i < 5; i++) {
        char *key = tc_printf("proc1 %s", js_inside[i]);
        expect_line_not(r, key, "ALLOWED");
        free(key);
    }
    expect_line_not(r, "sysctl", "ALLOWED");
    expect_one_of(r, "INIT", "S|R");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* -------------------------------------------------------------- seccomp */

START_TEST(seccomp_beyond_the_list)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = run_snippet(s, "seccomp_beyond.py", NULL, NULL);
    expect_done(r);
    static const char *const eperm[] = {"settimeofday", "adjtimex", "iopl", "ioperm",
                                        "name_to_handle_at", "fanotify_init", "vhangup",
                                        "setdomainname", "uselib", "quotactl",
                                        "clock_settime", "unshare_time", "keyctl_join"};
    for (size_t i = 0; i < sizeof eperm / sizeof eperm[0]; i++)
        tc_expect_line(r, eperm[i], "EPERM");
    expect_one_of(r, "libkeyutils", "ABSENT|EPERM");
    static const char *const x32[] = {"x32_mount", "x32_unshare", "x32_chroot", "x32_keyctl",
                                      "x32_ptrace"};
    for (size_t i = 0; i < 5; i++)
        tc_expect_line(r, x32[i], "ENOSYS");
    tc_expect_line(r, "i386_unshare", "ENOSYS");
    tc_expect_line(r, "i386_getpid", "ENOSYS");
    tc_expect_line(r, "MOUNTS_CHANGED", "False");
    /* a second listener would answer its own denied calls: refused */
    tc_expect_line(r, "listener_hijack", "EBUSY");
    tc_expect_line(r, "extra_filter", "ALLOWED"); /* control: filters as such load */
    tc_expect_line(r, "MEMFD_RC", "0");
    tc_expect_line(r, "MEMFD_Uid", "1000 1000 1000 1000");
    tc_expect_line(r, "MEMFD_CapEff", "0000000000000000");
    tc_expect_line(r, "MEMFD_CapPrm", "0000000000000000");
    tc_expect_line(r, "MEMFD_CapBnd", "0000000000000000");
    tc_expect_line(r, "MEMFD_NoNewPrivs", "1");
    tc_expect_line(r, "MEMFD_Seccomp", "2");
    /* and every refusal is on record in the result */
    static const char *const named[] = {"settimeofday", "adjtimex", "iopl", "ioperm",
                                        "name_to_handle_at", "vhangup", "keyctl",
                                        "x32 mount", "x32 unshare", "x32 chroot",
                                        "i386 unshare", "i386 getpid"};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        expect_denied(r, named[i]);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* "A denied syscall is reported (which syscall) in the result, not a
 * mystery crash": the result and its JSON name the refused calls, with
 * counts, from the interpreter, its subprocesses and the JS runner; clean
 * runs report none. */
START_TEST(denials_reported)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "print('clean')", NULL);
    expect_no_denials(r);
    ci_result_free(r);

    r = tc_exec(s,
                "import ctypes, os, subprocess\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "for _ in range(3):\n"
                "    libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)\n"
                "print('mount', os.strerror(ctypes.get_errno()))\n"
                "libc.syscall(250, 0, -3, 0)\n"
                "subprocess.run(['unshare', '-r', 'true'])\n"
                "if libc.unshare(0x40000000) != 0:\n"
                "    e = ctypes.get_errno()\n"
                "    raise PermissionError(e, os.strerror(e))\n",
                NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    tc_expect_line(r, "mount", "Operation not permitted");
    ck_assert_str_eq(ci_result_error_name(r), "PermissionError");
    ck_assert_uint_eq(denied_times(r, "mount"), 3);
    ck_assert_uint_eq(denied_times(r, "keyctl"), 1);
    ck_assert_uint_ge(denied_times(r, "unshare"), 2); /* the tool's and ours */
    char *json = NULL;
    ck_assert_int_eq(ci_result_to_json(r, &json), 0);
    cJSON *doc = cJSON_Parse(json);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "structuredContent"), "deniedSyscalls");
    ck_assert_msg(cJSON_IsArray(list), "no deniedSyscalls in %s", json);
    int saw_mount = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(item, "count");
        ck_assert(cJSON_IsString(name) && cJSON_IsNumber(count));
        saw_mount |= strcmp(name->valuestring, "mount") == 0 && count->valuedouble == 3;
    }
    ck_assert_msg(saw_mount, "mount x3 not in %s", json);
    cJSON_Delete(doc);
    ci_free(json);
    ci_result_free(r);

    /* counted once: the next result starts from zero */
    r = tc_exec_ok(s, "print('clean again')", NULL);
    expect_no_denials(r);
    ci_result_free(r);

    /* a background process's attempt, made after its execution ended,
     * shows in a later result */
    r = tc_exec_ok(s,
                   "import subprocess, sys\n"
                   "subprocess.Popen([sys.executable, '-c', 'import time, ctypes; "
                   "time.sleep(0.3); ctypes.CDLL(None).syscall(321, 0, 0, 0); "
                   "open(\"/tmp/bpf_tried\", \"w\").close()'])\n",
                   NULL);
    expect_no_denials(r);
    ci_result_free(r);
    uint64_t bpf = 0;
    int tried = 0;
    for (double give_up = tc_now_ms() + 20000; !tried && tc_now_ms() < give_up;) {
        usleep(100 * 1000);
        r = tc_exec_ok(s, "import os\nprint(os.path.exists('/tmp/bpf_tried'))", NULL);
        tried = strcmp(tc_stdout(r), "True\n") == 0;
        bpf += denied_times(r, "bpf");
        ci_result_free(r);
    }
    ck_assert_msg(tried, "the background process never made its attempt");
    ck_assert_uint_eq(bpf, 1);

    /* the JS runner: clean, then through a child process */
    ci_exec_options *o = js_options();
    r = tc_exec_ok(s, "1 + 1", o);
    expect_no_denials(r);
    ci_result_free(r);
    r = tc_exec_ok(s,
                   "const p = require('child_process').spawnSync('unshare', ['-r', 'true']);\n"
                   "console.log('status', p.status);\n",
                   o);
    expect_line_not(r, "status", "0");
    expect_denied(r, "unshare");
    ci_result_free(r);
    ci_exec_options_free(o);

    /* and through ci_invoke_json, the agent's view */
    char *out = NULL;
    ck_assert_int_eq(ci_invoke_json(s,
                                    "{\"name\":\"executeCode\",\"arguments\":{\"code\":"
                                    "\"import ctypes\\nctypes.CDLL(None).syscall(298, 0, 0, -1, -1, 0)\"}}",
                                    &out),
                     0);
    ck_assert_msg(strstr(out, "\"deniedSyscalls\":[{\"name\":\"perf_event_open\",\"count\":1}]"),
                  "the tool result does not name perf_event_open: %s", out);
    ci_free(out);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------ control channel */

/* The Python kernel keeps its control channel on fd 512 and runs the cell
 * in the same process, so the cell can write there. Whatever it writes, the
 * host stays bounded and the session recovers with a fresh interpreter. */
static const char forge_prelude[] =
    "import json, os, struct, time\n"
    "def frame(data):\n"
    "    return struct.pack('>I', len(data)) + data\n";

START_TEST(forged_replies)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "import fcntl\nprint(fcntl.fcntl(512, fcntl.F_GETFD) >= 0)",
                              NULL);
    ck_assert_str_eq(tc_stdout(r), "True\n"); /* the channel is where we aim */
    ci_result_free(r);

    /* a well-formed reply for this request (id 2) wins over the kernel's:
     * the cell controls its own result anyway */
    char *code = tc_printf("%s"
                           "reply = {'id': 2, 'status': 'ok', 'exit_code': 0, 'value': "
                           "\"'forged'\"}\n"
                           "os.write(512, frame(json.dumps(reply).encode()))\n"
                           "time.sleep(0.5)\n",
                           forge_prelude);
    r = tc_exec(s, code, NULL);
    free(code);
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_str_eq(ci_result_value(r), "'forged'");
    ci_result_free(r);
    /* the kernel's own reply to request 2 is now stale: at most one call
     * pays for it, then a fresh interpreter answers */
    int ok_after = 0;
    for (int i = 0; i < 2 && !ok_after; i++) {
        r = NULL;
        ck_assert_int_eq(ci_execute(s, "print('after')", NULL, &r), 0);
        ci_status st = ci_result_status(r);
        ck_assert_msg(st == CI_STATUS_OK || st == CI_STATUS_SANDBOX_ERROR, "status %s",
                      ci_status_name(st));
        ok_after = st == CI_STATUS_OK && strcmp(tc_stdout(r), "after\n") == 0;
        ci_result_free(r);
    }
    ck_assert_msg(ok_after, "the session did not recover from a forged reply");

    /* garbage, a reply for another id, an impossible length: a protocol
     * error each, found at once (not at the time limit), and the session
     * goes on with a fresh interpreter that lost the old variables */
    static const char *const bad[] = {
        "os.write(512, frame(b'{not json'))\n",
        "os.write(512, frame(json.dumps({'id': 99, 'status': 'ok'}).encode()))\n",
        "os.write(512, frame(json.dumps({'id': 0, 'status': 'ok', 'exit_code': 1e300})"
        ".encode()))\n",
        "os.write(512, b'\\xff\\xff\\xff\\xff')\n",
        "os.write(512, frame(b'[1, 2, 3]'))\n",
    };
    ci_exec_options *o = tc_options_new(30000);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ci_result_free(tc_exec_ok(s, "marker = 42", NULL));
        code = tc_printf("%s%stime.sleep(20)\n", forge_prelude, bad[i]);
        double t0 = tc_now_ms();
        r = tc_exec(s, code, o);
        free(code);
        ck_assert_msg(ci_result_status(r) == CI_STATUS_SANDBOX_ERROR ||
                          ci_result_status(r) == CI_STATUS_OK,
                      "forgery %zu: status %s", i, ci_status_name(ci_result_status(r)));
        ck_assert_msg(tc_now_ms() - t0 < 15000, "forgery %zu waited for the time limit", i);
        ci_result_free(r);
        r = tc_exec_ok(s, "print('marker' in globals())", NULL);
        ck_assert_msg(strcmp(tc_stdout(r), "False\n") == 0,
                      "after forgery %zu the old interpreter answers: %s", i, tc_stdout(r));
        ci_result_free(r);
    }
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* A frame header announcing almost the largest frame, then that many bytes
 * written as fast as the cell can: the host buffers at most one frame and
 * answers with a protocol error; its memory stays bounded. */
START_TEST(huge_reply_frame)
{
    ci_session *s = tc_session_new(NULL);
    long before = rss_kib("VmHWM:");
    char *code = tc_printf("%s"
                           "n = (128 << 20) - 16\n"
                           "os.write(512, struct.pack('>I', n))\n"
                           "chunk = b'x' * (1 << 20)\n"
                           "sent = 0\n"
                           "while sent < n + (64 << 20):\n"
                           "    sent += os.write(512, chunk)\n",
                           forge_prelude);
    ci_exec_options *o = tc_options_new(60000);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(s, code, o, &r), 0);
    free(code);
    ck_assert_msg(ci_result_status(r) == CI_STATUS_SANDBOX_ERROR, "status %s",
                  ci_status_name(ci_result_status(r)));
    ci_result_free(r);
    long grew = rss_kib("VmHWM:") - before;
    ck_assert_msg(grew < 600 * 1024, "the host grew by %ld KiB for one forged frame", grew);
    r = tc_exec_ok(s, "print('alive')", NULL);
    ck_assert_str_eq(tc_stdout(r), "alive\n");
    ci_result_free(r);

    /* JS: its kernel's channel is fd 3 */
    ci_exec_options *js = js_options();
    r = NULL;
    ck_assert_int_eq(ci_execute(s,
                                "require('fs').writeSync(3, Buffer.from([0, 0, 0, 5, 0x7b, 0x7b,"
                                " 0x7b, 0x7b, 0x7b]));\n"
                                "await new Promise((ok) => setTimeout(ok, 20000));\n",
                                js, &r),
                     0);
    ck_assert_msg(ci_result_status(r) == CI_STATUS_SANDBOX_ERROR, "JS forgery: status %s",
                  ci_status_name(ci_result_status(r)));
    ck_assert_msg(ci_result_wall_ms(r) < 15000, "JS forgery waited for the time limit");
    ci_result_free(r);
    r = tc_exec_ok(s, "console.log('js alive')", js);
    ck_assert_str_eq(tc_stdout(r), "js alive\n");
    ci_result_free(r);
    ci_exec_options_free(js);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* Every descriptor the runner may have is taken: the cell still finishes,
 * its reply comes back, and the next cell runs. */
START_TEST(fd_exhaustion_inside)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s,
                              "import errno, os\n"
                              "held = []\n"
                              "try:\n"
                              "    while True:\n"
                              "        held.append(os.open('/dev/null', os.O_RDONLY))\n"
                              "except OSError as e:\n"
                              "    print('STOP', errno.errorcode[e.errno])\n"
                              "print('HELD', len(held) > 900)\n"
                              "'value'\n",
                              NULL);
    tc_expect_line(r, "STOP", "EMFILE");
    tc_expect_line(r, "HELD", "True");
    ck_assert_str_eq(ci_result_value(r), "'value'");
    ci_result_free(r);
    r = tc_exec_ok(s, "for fd in held:\n    os.close(fd)\nprint(len(held) > 900)", NULL);
    ck_assert_str_eq(tc_stdout(r), "True\n");
    ci_result_free(r);

    ci_exec_options *o = js_options();
    r = tc_exec(s,
                "const fs = require('fs'); globalThis.held = [];\n"
                "try { for (;;) held.push(fs.openSync('/dev/null', 'r')); }\n"
                "catch (e) { console.log('STOP', e.code); }\n"
                "console.log('HELD', held.length > 900);\n",
                o);
    ck_assert_msg(ci_result_status(r) == CI_STATUS_OK, "JS with every fd taken: %s\n%s\n%s",
                  ci_status_name(ci_result_status(r)), tc_stdout(r), tc_stderr(r));
    tc_expect_line(r, "STOP", "EMFILE");
    tc_expect_line(r, "HELD", "true");
    ci_result_free(r);
    r = tc_exec_ok(s, "for (const fd of held) require('fs').closeSync(fd); 'ok'", o);
    ck_assert_str_eq(ci_result_value(r), "'ok'");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------ between sessions */

START_TEST(sessions_cannot_signal_each_other)
{
    char marker[33];
    tc_random_hex(marker, 32);
    ci_session *a = tc_session_new(NULL);
    ci_session *b = tc_session_new(NULL);
    char *code = tc_spawn_marker_code(marker);
    ci_result_free(tc_exec_ok(a, code, NULL));
    free(code);
    pid_t host_pid = 0;
    double give_up = tc_now_ms() + 5000;
    while (tc_find_marker_procs(marker, &host_pid, 1, NULL) == 0 && tc_now_ms() < give_up)
        usleep(50000);
    ck_assert_msg(host_pid > 0, "session A's process is not visible from the host");

    /* B aims at A's process by its host pid, by every pid it could guess,
     * and at A's abstract socket and SysV queue */
    code = tc_printf("import ctypes, os, signal, socket\n"
                     "hits = 0\n"
                     "for pid in [%d] + list(range(2, 4096)):\n"
                     "    if pid == os.getpid():\n"
                     "        continue\n"
                     "    try:\n"
                     "        with open('/proc/%%d/cmdline' %% pid, 'rb') as f:\n"
                     "            mine = True\n"
                     "    except OSError:\n"
                     "        mine = False\n"
                     "    if mine:\n"
                     "        continue  # one of B's own: leave it\n"
                     "    try:\n"
                     "        os.kill(pid, signal.SIGKILL)\n"
                     "        hits += 1\n"
                     "    except OSError:\n"
                     "        pass\n"
                     "print('HITS', hits)\n"
                     "s = socket.socket(socket.AF_UNIX)\n"
                     "try:\n"
                     "    s.connect('\\0ci-hard-%s')\n"
                     "    print('ABSTRACT CONNECTED')\n"
                     "except OSError as e:\n"
                     "    print('ABSTRACT', e.errno)\n"
                     "libc = ctypes.CDLL(None, use_errno=True)\n"
                     "print('MSGQ', libc.msgget(0x5ca1ab1e, 0) >= 0)\n",
                     (int)host_pid, marker);
    /* A holds the socket and the queue */
    char *hold = tc_printf("import ctypes, socket\n"
                           "srv = socket.socket(socket.AF_UNIX)\n"
                           "srv.bind('\\0ci-hard-%s')\nsrv.listen(1)\n"
                           "libc = ctypes.CDLL(None, use_errno=True)\n"
                           "print('MSGQ', libc.msgget(0x5ca1ab1e, 0o1666) >= 0)\n",
                           marker);
    ci_result *r = tc_exec_ok(a, hold, NULL);
    tc_expect_line(r, "MSGQ", "True");
    ci_result_free(r);
    free(hold);
    r = tc_exec_ok(b, code, NULL);
    free(code);
    tc_expect_line(r, "HITS", "0");
    expect_line_not(r, "ABSTRACT", "CONNECTED");
    tc_expect_line(r, "MSGQ", "False");
    ci_result_free(r);
    ck_assert_msg(tc_find_marker_procs(marker, NULL, 0, NULL) == 1,
                  "session B killed session A's process");
    r = tc_exec_ok(a, "print('a alive')", NULL);
    ck_assert_str_eq(tc_stdout(r), "a alive\n");
    ci_result_free(r);
    ci_session_destroy(b);
    ci_session_destroy(a);
    ck_assert_int_eq(tc_wait_marker_gone(marker, 5000), 0);
}
END_TEST

/* kill(-1) and a fork bomb from the JS runner stay inside */
START_TEST(js_processes_contained)
{
    pid_t sentinel = fork();
    ck_assert_int_ge(sentinel, 0);
    if (sentinel == 0) {
        for (;;)
            pause();
    }
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_max_processes(c, 64), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_exec_options *o = js_options();
    ci_result *r = tc_exec_ok(s,
                              "const cp = require('child_process'); const kids = []; let err;\n"
                              "try { for (let i = 0; i < 500; i++) {\n"
                              "  const k = cp.spawn('sleep', ['60']);\n"
                              "  kids.push(k);\n"
                              "  await new Promise((ok, no) => { k.on('spawn', ok); k.on('error', no); });\n"
                              "} } catch (e) { err = e.code; }\n"
                              "console.log('SPAWNED', kids.length < 64);\n"
                              "console.log('ERROR', err);\n"
                              "for (const k of kids) k.kill('SIGKILL');\n",
                              o);
    tc_expect_line(r, "SPAWNED", "true");
    tc_expect_line(r, "ERROR", "EAGAIN");
    ci_result_free(r);

    char *code = tc_printf("for (const pid of [-1, %d, %d]) {\n"
                           "  try { process.kill(pid, 'SIGKILL'); } catch (e) {}\n"
                           "}\nconsole.log('alive');\n",
                           (int)sentinel, (int)getpid());
    r = NULL;
    int rc = ci_execute(s, code, o, &r);
    free(code);
    ck_assert_msg(rc == 0 || rc == CI_ECLOSED, "ci_execute: %s", ci_strerror(rc));
    ci_result_free(r);
    int status;
    ck_assert_msg(waitpid(sentinel, &status, WNOHANG) == 0,
                  "a host process was killed from the JS runner");
    kill(sentinel, SIGKILL);
    waitpid(sentinel, &status, 0);
    /* the session is usable again (kill -1 took its runner, not its init) */
    r = tc_exec_ok(s, "console.log('back')", o);
    ck_assert_str_eq(tc_stdout(r), "back\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int host_connects(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    close(fd);
    return r == 0;
}

/* A listener inside binds only in the sandbox's own network namespace: the
 * host cannot reach it on its loopback, the sandbox can. */
START_TEST(sandbox_listener_unreachable)
{
    ci_session *s = tc_session_new(NULL);
    int port = free_port();
    char *code = tc_printf("import socket\n"
                           "srv = socket.socket()\n"
                           "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                           "srv.bind(('127.0.0.1', %d))\nsrv.listen(8)\nprint('listening')\n",
                           port);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    ck_assert_str_eq(tc_stdout(r), "listening\n");
    ci_result_free(r);
    ck_assert_msg(!host_connects(port), "the host reached the sandbox's listener on %d", port);
    r = tc_exec_ok(s, "c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), 3)\n"
                      "print('inside', srv.accept()[0] is not None)",
                   NULL);
    ck_assert_str_eq(tc_stdout(r), "inside True\n");
    ci_result_free(r);

    int jsport = free_port();
    ci_exec_options *o = js_options();
    code = tc_printf("globalThis.srv = require('net').createServer((c) => c.end('hi'));\n"
                     "await new Promise((ok) => srv.listen(%d, '127.0.0.1', ok));\n"
                     "console.log('listening');\n",
                     jsport);
    r = tc_exec_ok(s, code, o);
    free(code);
    ck_assert_str_eq(tc_stdout(r), "listening\n");
    ci_result_free(r);
    ck_assert_msg(!host_connects(jsport), "the host reached the JS listener on %d", jsport);
    code = tc_printf("const c = require('net').connect(%d, '127.0.0.1');\n"
                     "console.log(await new Promise((ok) => c.on('data', (d) => ok(String(d)))));\n",
                     jsport);
    r = tc_exec_ok(s, code, o);
    free(code);
    ck_assert_str_eq(tc_stdout(r), "hi\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* numpy memory the code really touches is charged and stopped at the
 * limit (test_limits covers bytearray and Node). */
START_TEST(numpy_memory_bomb)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_memory_limit(c, 256ull << 20), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_result *r = tc_exec(s,
                           "import numpy as np\nblocks = []\n"
                           "while True:\n    blocks.append(np.ones(4 << 20))\n",
                           NULL);
    tc_assert_status(r, CI_STATUS_OOM);
    uint64_t peak = ci_result_peak_memory_bytes(r);
    ck_assert_msg(peak == 0 || peak > (200ull << 20), "peak %llu far below the limit",
                  (unsigned long long)peak);
    ci_result_free(r);
    r = tc_exec_ok(s, "print('alive')", NULL);
    ck_assert_str_eq(tc_stdout(r), "alive\n");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

static Suite *hardening_suite(void)
{
    Suite *s = suite_create("hardening");
    TCase *tc;

    tc = tcase_create("hard_filesystem");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, escapes_stay_inside);
    tcase_add_test(tc, output_links_inert);
    tcase_add_test(tc, js_filesystem);
    suite_add_tcase(s, tc);

    tc = tcase_create("hard_proc");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, init_and_proc);
    suite_add_tcase(s, tc);

    tc = tcase_create("hard_seccomp");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, seccomp_beyond_the_list);
    tcase_add_test(tc, denials_reported);
    suite_add_tcase(s, tc);

    tc = tcase_create("hard_control");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, forged_replies);
    tcase_add_test(tc, huge_reply_frame);
    tcase_add_test(tc, fd_exhaustion_inside);
    suite_add_tcase(s, tc);

    tc = tcase_create("hard_sessions");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, sessions_cannot_signal_each_other);
    tcase_add_test(tc, js_processes_contained);
    tcase_add_test(tc, sandbox_listener_unreachable);
    tcase_add_test(tc, numpy_memory_bomb);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(hardening_suite());
}
