/* SPDX-License-Identifier: MIT */
/* Suite 'kernel': the kernel surface sandboxed code can reach. The seccomp
 * policy (every call it must refuse, from this ABI and from the x32 and
 * i386 ones, a second notification listener, memfd executables), the
 * refusals reported in the result, and /proc, /sys and /dev as seen inside
 * (the sandbox's own init, its /proc entries and the kernel tunables). Each
 * is a real attempt with a real assertion; a positive control shows where a
 * probe could pass for the wrong reason. */
#include "test_common.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --------------------------------------------------------------- seccomp */

START_TEST(seccomp_denials)
{
    static const struct {
        const char *name;
        const char *want;
    } table[] = {
        {"mount", "EPERM"},           {"umount2", "EPERM"},
        {"pivot_root", "EPERM"},      {"chroot", "EPERM"},
        {"unshare_user", "EPERM"},    {"unshare_mount", "EPERM"},
        {"unshare_net", "EPERM"},     {"unshare_pid", "EPERM"},
        {"unshare_ipc", "EPERM"},     {"unshare_uts", "EPERM"},
        {"unshare_cgroup", "EPERM"},  {"setns", "EPERM"},
        {"clone_newuser", "EPERM"},   {"clone3", "ENOSYS"},
        {"ptrace_attach", "EPERM"},   {"process_vm_readv", "EPERM"},
        {"process_vm_writev", "EPERM"}, {"kcmp", "EPERM"},
        {"pidfd_getfd", "EPERM"},     {"keyctl", "EPERM"},
        {"add_key", "EPERM"},         {"request_key", "EPERM"},
        {"bpf", "EPERM"},             {"perf_event_open", "EPERM"},
        {"userfaultfd", "EPERM"},     {"io_uring_setup", "EPERM"},
        {"io_uring_enter", "EPERM"},  {"io_uring_register", "EPERM"},
        {"kexec_load", "EPERM"},      {"kexec_file_load", "EPERM"},
        {"init_module", "EPERM"},     {"finit_module", "EPERM"},
        {"delete_module", "EPERM"},   {"open_tree", "EPERM"},
        {"move_mount", "EPERM"},      {"fsopen", "EPERM"},
        {"fsconfig", "EPERM"},        {"fsmount", "EPERM"},
        {"fspick", "EPERM"},          {"mount_setattr", "EPERM"},
        {"acct", "EPERM"},            {"swapon", "EPERM"},
        {"swapoff", "EPERM"},         {"syslog", "EPERM"},
        {"reboot", "EPERM"},          {"open_by_handle_at", "EPERM"},
        {"personality", "EPERM"},     {"socket_packet", "EPERM|EAFNOSUPPORT"},
        {"socket_vsock", "EPERM|EAFNOSUPPORT"}, {"socket_raw", "EPERM"},
    };
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_run_probe(s, "seccomp_denied.py", NULL, NULL);
    tc_expect_probe_clean(r);
    char failures[8192] = "";
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char *got = tc_line_value(tc_stdout(r), table[i].name);
        if (!got || !tc_one_of(got, table[i].want)) {
            size_t used = strlen(failures);
            snprintf(failures + used, sizeof failures - used, " %s=%s(want %s)",
                     table[i].name, got ? got : "missing", table[i].want);
        }
        free(got);
    }
    /* high bits set: the kernel looks at the low 32 only, the filter must too */
    static const char *const tty[] = {"tiocsti", "tiocsti_high", "tioclinux", "tioclinux_high"};
    for (size_t i = 0; i < TC_LEN(tty); i++) {
        char *got = tc_line_value(tc_stdout(r), tty[i]);
        if (!got || strcmp(got, "EPERM") != 0) {
            size_t used = strlen(failures);
            snprintf(failures + used, sizeof failures - used, " %s=%s(want EPERM)", tty[i],
                     got ? got : "missing");
        }
        free(got);
    }
    ck_assert_msg(failures[0] == '\0', "not denied as required:%s", failures);
    ci_result_free(r);

    /* denials do not break ordinary work in the same interpreter */
    r = tc_exec_ok(s, "import os, threading\nt = threading.Thread(target=print, args=('t',))\n"
                      "t.start(); t.join()\npid = os.fork()\n"
                      "if pid == 0:\n    os._exit(7)\n"
                      "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))",
                   NULL);
    ck_assert_str_eq(tc_stdout(r), "t\n7\n");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* A foreign-ABI syscall must not run: either it fails or the interpreter is
 * killed. Each probe gets its own session since the second outcome is fine. */
static void foreign_abi_probe(const char *code, const char *key)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = NULL;
    int rc = ci_execute(s, code, NULL, &r);
    if (rc == 0) {
        char *got = tc_line_value(tc_stdout(r), key);
        if (ci_result_status(r) == CI_STATUS_OK) {
            ck_assert_msg(got != NULL, "no %s line:\n%s", key, tc_stdout(r));
            ck_assert_msg(strcmp(got, "ALLOWED") != 0, "%s syscall ran in the sandbox", key);
        } else {
            ck_assert_msg(got == NULL || strcmp(got, "ALLOWED") != 0, "%s ran", key);
        }
        free(got);
        ci_result_free(r);
    } else {
        ck_assert_msg(rc == CI_ECLOSED || rc == CI_ERUNNER, "%s probe: %s", key,
                      ci_strerror(rc));
    }
    ci_session_destroy(s);
}

START_TEST(seccomp_foreign_abis)
{
    foreign_abi_probe("import ctypes, os\n"
                      "libc = ctypes.CDLL(None, use_errno=True)\n"
                      "libc.syscall.restype = ctypes.c_long\n"
                      "rc = libc.syscall(ctypes.c_long(0x40000000 + 39))\n"
                      "print('X32', 'ALLOWED' if rc == os.getpid() else 'DENIED')\n",
                      "X32");
    foreign_abi_probe("import ctypes, mmap, os\n"
                      "buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE |"
                      " mmap.PROT_EXEC)\n"
                      "buf.write(bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3]))\n"
                      "addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))\n"
                      "rc = ctypes.CFUNCTYPE(ctypes.c_int)(addr)()\n"
                      "print('INT80', 'ALLOWED' if rc == os.getpid() else 'DENIED')\n",
                      "INT80");
}
END_TEST

START_TEST(seccomp_beyond_the_list)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_run_probe(s, "seccomp_beyond.py", NULL, NULL);
    tc_expect_probe_done(r);
    static const char *const eperm[] = {"settimeofday", "adjtimex", "iopl", "ioperm",
                                        "name_to_handle_at", "fanotify_init", "vhangup",
                                        "setdomainname", "uselib", "quotactl",
                                        "clock_settime", "unshare_time", "keyctl_join"};
    for (size_t i = 0; i < sizeof eperm / sizeof eperm[0]; i++)
        tc_expect_line(r, eperm[i], "EPERM");
    tc_expect_one_of(r, "libkeyutils", "ABSENT|EPERM");
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
        tc_expect_denied(r, named[i]);

    /* Seccomp is an allow-list: what it does not name is refused and
     * reported, a number above the reviewed table with ENOSYS (libc falls
     * back); the calls it checks by argument run in their harmless forms. */
    static const char *const unlisted[] = {"modify_ldt", "statmount", "listmount",
                                           "open_tree_attr", "personality_uname26",
                                           "personality_no_randomize", "msgget", "vmsplice"};
    tc_expect_lines(r, NULL, unlisted, TC_LEN(unlisted), "EPERM");
    tc_expect_line(r, "unknown_1000", "ENOSYS");
    static const char *const allowed[] = {"personality_query", "personality_linux",
                                          "ioctl_fionread", "socket_unix", "socket_netlink",
                                          "socket_tcp", "socket_udp6", "unshare_files",
                                          "fork"};
    tc_expect_lines(r, NULL, allowed, TC_LEN(allowed), "ALLOWED");
    tc_expect_line(r, "ioctl_tiocgwinsz", "ENOTTY");
    tc_expect_one_of(r, "socket_alg", "EPERM|EAFNOSUPPORT");
    static const char *const reported[] = {"modify_ldt", "statmount", "listmount",
                                           "open_tree_attr", "syscall 1000", "msgget",
                                           "vmsplice", "socket"};
    for (size_t i = 0; i < TC_LEN(reported); i++)
        tc_expect_denied(r, reported[i]);
    ck_assert_uint_eq(tc_denied_times(r, "personality"), 2);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------ refused calls */

/* "A denied syscall is reported (which syscall) in the result, not a
 * mystery crash": the result and its JSON name the refused calls, with
 * counts, from the interpreter, its subprocesses and the JS runner; clean
 * runs report none. */
START_TEST(denials_reported)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "print('clean')", NULL);
    tc_expect_no_denials(r);
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
    ck_assert_uint_eq(tc_denied_times(r, "mount"), 3);
    ck_assert_uint_eq(tc_denied_times(r, "keyctl"), 1);
    ck_assert_uint_ge(tc_denied_times(r, "unshare"), 2); /* the tool's and ours */
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
    tc_expect_no_denials(r);
    ci_result_free(r);

    /* a background process's attempt, made after its execution ended,
     * shows in a later result */
    r = tc_exec_ok(s,
                   "import subprocess, sys\n"
                   "subprocess.Popen([sys.executable, '-c', 'import time, ctypes; "
                   "time.sleep(0.3); ctypes.CDLL(None).syscall(321, 0, 0, 0); "
                   "open(\"/tmp/bpf_tried\", \"w\").close()'])\n",
                   NULL);
    tc_expect_no_denials(r);
    ci_result_free(r);
    uint64_t bpf = 0;
    int tried = 0;
    for (double give_up = tc_now_ms() + 20000; !tried && tc_now_ms() < give_up;) {
        usleep(100 * 1000);
        r = tc_exec_ok(s, "import os\nprint(os.path.exists('/tmp/bpf_tried'))", NULL);
        tried = strcmp(tc_stdout(r), "True\n") == 0;
        bpf += tc_denied_times(r, "bpf");
        ci_result_free(r);
    }
    ck_assert_msg(tried, "the background process never made its attempt");
    ck_assert_uint_eq(bpf, 1);

    /* the JS runner: clean, then through a child process */
    ci_exec_options *o = tc_js_options();
    r = tc_exec_ok(s, "1 + 1", o);
    tc_expect_no_denials(r);
    ci_result_free(r);
    r = tc_exec_ok(s,
                   "const p = require('child_process').spawnSync('unshare', ['-r', 'true']);\n"
                   "console.log('status', p.status);\n",
                   o);
    tc_expect_line_not(r, "status", "0");
    tc_expect_denied(r, "unshare");
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

/* ------------------------------------------------- /proc, /sys, /dev */

/* The PIDS line of a probe: only the sandbox's own small pids, pid 1 among
 * them, not the host test's, and few of them. */
static void expect_sandbox_pids(const ci_result *r)
{
    char *pids = tc_line_value(tc_stdout(r), "PIDS");
    ck_assert_ptr_nonnull(pids);
    int count = 0, has_one = 0;
    char *save = NULL;
    for (char *tok = strtok_r(pids, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        long pid = strtol(tok, NULL, 10);
        ck_assert_msg(pid > 0 && pid < 1000, "pid %ld visible in the sandbox", pid);
        ck_assert_msg(pid != (long)getpid() || pid < 100, "the host test's pid is visible");
        has_one |= pid == 1;
        count++;
    }
    ck_assert_msg(has_one, "no pid 1 in the sandbox's /proc");
    ck_assert_msg(count <= 20, "%d pids visible", count);
    free(pids);
}

/* The /dev of a probe: nothing but the usual entries (the DEV line), the
 * usual character devices there and working, and no writing /dev/full nor
 * making device nodes (the probe reports `full_refused` and
 * `mknod_refused`). */
static void expect_sandbox_dev(const ci_result *r, const char *full_refused,
                               const char *mknod_refused)
{
    char *dev = tc_line_value(tc_stdout(r), "DEV");
    ck_assert_ptr_nonnull(dev);
    static const char *const allowed[] = {"null",   "zero",   "full", "random", "urandom",
                                          "fd",     "stdin",  "stdout", "stderr", "shm",
                                          "pts",    "ptmx",   "mqueue", "tty"};
    char *save = NULL;
    for (char *tok = strtok_r(dev, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        int ok = 0;
        for (size_t i = 0; i < TC_LEN(allowed); i++)
            ok |= strcmp(tok, allowed[i]) == 0;
        ck_assert_msg(ok, "/dev/%s exists in the sandbox", tok);
    }
    free(dev);
    static const char *const needed[] = {"null", "zero", "full", "random", "urandom"};
    tc_expect_lines(r, "CHR", needed, TC_LEN(needed), "True");
    tc_expect_line(r, "URANDOM", "16");
    tc_expect_line(r, "dev_full", full_refused);
    tc_expect_line(r, "mknod /workspace", mknod_refused);
    tc_expect_line(r, "mknod /tmp", mknod_refused);
}

START_TEST(proc_sys_dev)
{
    char host_init[4096];
    int fd = open("/proc/1/cmdline", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, host_init, sizeof host_init - 1);
    close(fd);
    ck_assert_int_gt(n, 0);
    host_init[n] = '\0';
    for (ssize_t i = 0; i < n; i++)
        if (host_init[i] == '\0')
            host_init[i] = ' ';
    while (n > 0 && host_init[n - 1] == ' ')
        host_init[--n] = '\0';

    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_run_probe(s, "proc_sys_dev.py", NULL, NULL);
    tc_expect_probe_clean(r);

    expect_sandbox_pids(r);

    char *init = tc_line_value(tc_stdout(r), "PID1");
    ck_assert_ptr_nonnull(init);
    ck_assert_msg(strcmp(init, "(empty)") != 0, "the sandbox's pid 1 has no cmdline");
    ck_assert_msg(strcmp(init, host_init) != 0, "/proc/1 is the host's init: %s", init);
    free(init);
    tc_expect_line(r, "PPID", "1");

    tc_expect_line_not(r, "kcore", "ALLOWED");
    tc_expect_line_not(r, "sysrq_trigger", "ALLOWED");
    tc_expect_line_not(r, "sys_hostname", "ALLOWED");
    tc_expect_line_not(r, "core_pattern", "ALLOWED");
    char *fw = tc_line_value(tc_stdout(r), "sys_firmware");
    ck_assert_ptr_nonnull(fw);
    ck_assert_msg(strncmp(fw, "ALLOWED", 7) != 0 || strcmp(fw, "ALLOWED 0") == 0,
                  "/sys/firmware readable: %s", fw);
    free(fw);
    tc_expect_line(r, "KALLSYMS_NONZERO", "0");

    expect_sandbox_dev(r, "ENOSPC", "EPERM");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(init_and_proc)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_run_probe(s, "init_and_proc.py", NULL, NULL);
    tc_expect_probe_done(r);
    /* the init ignores every signal from inside and stays as it was */
    tc_expect_one_of(r, "INIT_STATE", "S|R");
    tc_expect_one_of(r, "INIT_STATE_END", "S|R");
    static const char *const inside[] = {"mem", "environ", "maps", "map_files", "fd",
                                         "fdinfo", "cwd", "root", "exe", "auxv", "stack",
                                         "syscall", "pagemap", "timers", "io", "personality"};
    tc_expect_lines_not(r, "proc1", inside, TC_LEN(inside), "ALLOWED");
    tc_expect_line_not(r, "proc1 mem write", "ALLOWED");
    tc_expect_line_not(r, "proc1 oom_score_adj", "ALLOWED");
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
    tc_expect_lines_not(r, "sysctl", sysctls, TC_LEN(sysctls), "ALLOWED");
    /* the kernel kills sandboxed code first when memory runs out, and a
     * root host's sandbox cannot make itself unkillable */
    tc_expect_line(r, "OOM_SCORE_ADJ", "1000");
    if (geteuid() == 0)
        tc_expect_line_not(r, "oom_score_adj_lower", "ALLOWED");
    tc_expect_line(r, "SYS_PRESENT", "False");
    ci_result_free(r);

    /* the init still serves: a fresh interpreter starts and runs */
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_clear_context(o, 1), 0);
    tc_assert_exec(s, "print('still here')", o, "still here\n");
    ci_exec_options_free(o);

    /* the same signals and peeks from the JS runner */
    o = tc_js_options();
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
    tc_expect_lines_not(r, "proc1", js_inside, TC_LEN(js_inside), "ALLOWED");
    tc_expect_line_not(r, "sysctl", "ALLOWED");
    tc_expect_one_of(r, "INIT", "S|R");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* ----------------------------------------------------------------- shell */

/* /proc, /sys and /dev seen from a shell command. */
START_TEST(shell_proc_sys_dev)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_run_sh_attempt_probe(s, "proc_sys_dev.sh");
    tc_expect_probe_clean(r);
    tc_expect_line(r, "control", "ALLOWED");
    expect_sandbox_pids(r);
    char *init = tc_line_value(tc_stdout(r), "PID1");
    char *host_init = tc_read_file("/proc/1/cmdline");
    ck_assert_ptr_nonnull(init);
    ck_assert_ptr_nonnull(host_init);
    ck_assert_msg(*init && strncmp(init, host_init, strlen(host_init)) != 0,
                  "/proc/1 is the host's init (%s)", init);
    free(host_init);
    free(init);
    static const char *const inside[] = {"environ", "mem", "maps", "fd", "root",
                                         "cwd", "exe", "stack", "syscall", "auxv"};
    tc_expect_lines(r, "proc1", inside, TC_LEN(inside), "FAILED");
    tc_expect_line(r, "kcore", "FAILED");
    tc_expect_line(r, "sysrq_trigger", "FAILED");
    static const char *const sysctls[] = {"kernel/hostname", "kernel/core_pattern",
                                          "kernel/modprobe", "kernel/sysrq", "vm/drop_caches",
                                          "kernel/ns_last_pid", "net/ipv4/ip_forward"};
    tc_expect_lines(r, "sysctl", sysctls, TC_LEN(sysctls), "FAILED");
    tc_expect_line(r, "KALLSYMS_NONZERO", "0");
    tc_expect_line(r, "SYS_PRESENT", "False");
    expect_sandbox_dev(r, "FAILED", "FAILED");
    tc_expect_one_of(r, "INIT_STATE", "S|R");
    ci_result_free(r);
    /* the init still serves after the signals */
    tc_assert_sh(s, "echo still here", "still here\n");
    ci_session_destroy(s);
}
END_TEST

static Suite *kernel_suite(void)
{
    Suite *s = suite_create("kernel");
    TCase *tc;

    tc = tcase_create("seccomp");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, seccomp_denials);
    tcase_add_test(tc, seccomp_foreign_abis);
    tcase_add_test(tc, seccomp_beyond_the_list);
    suite_add_tcase(s, tc);

    tc = tcase_create("denials");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, denials_reported);
    suite_add_tcase(s, tc);

    tc = tcase_create("proc");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, proc_sys_dev);
    tcase_add_test(tc, init_and_proc);
    suite_add_tcase(s, tc);

    tc = tcase_create("shell");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shell_proc_sys_dev);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(kernel_suite());
}
