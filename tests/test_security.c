/* SPDX-License-Identifier: MIT */
/* Suite 'security': the isolation baseline, each check a real attempt from
 * inside the sandbox with a real assertion (see shared SECURITY-TESTS.md).
 * Where a probe could pass because it never ran, a positive control or a
 * host-side check proves the thing probed was there. */
#include "test_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SESSION_UID_BASE 2000000000u
#define SESSION_UID_COUNT 65536u

/* ---------------------------------------------------------------- helpers */

/* Asserts the line "key ..." is there and does not start with `bad`. */
static void expect_line_not(const ci_result *r, const char *key, const char *bad)
{
    char *got = tc_line_value(tc_stdout(r), key);
    ck_assert_msg(got != NULL, "no \"%s\" line in:\n%s\n--- stderr ---\n%s", key,
                  tc_stdout(r), tc_stderr(r));
    ck_assert_msg(strncmp(got, bad, strlen(bad)) != 0, "%s: %s", key, got);
    free(got);
}

/* The probe ran to its end and reported no leak. */
static void expect_clean_run(const ci_result *r)
{
    tc_assert_status(r, CI_STATUS_OK);
    const char *out = tc_stdout(r);
    ck_assert_msg(strncmp(out, "DONE\n", 5) == 0 || strstr(out, "\nDONE\n"),
                  "the probe did not finish:\n%s\n--- stderr ---\n%s", out, tc_stderr(r));
    ck_assert_msg(strncmp(out, "LEAK", 4) != 0 && !strstr(out, "\nLEAK"), "leak:\n%s", out);
}

/* Python list literal of simple strings (no quotes or backslashes). */
static char *py_list(const char *const *items, size_t n)
{
    size_t size = 3;
    for (size_t i = 0; i < n; i++)
        size += strlen(items[i]) + 4;
    char *out = malloc(size);
    ck_assert_ptr_nonnull(out);
    strcpy(out, "[");
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_null(strpbrk(items[i], "'\\\n"));
        strcat(out, i ? ", '" : "'");
        strcat(out, items[i]);
        strcat(out, "'");
    }
    strcat(out, "]");
    return out;
}

static ci_result *run_snippet(ci_session *s, const char *file, const char *prelude)
{
    char *code = tc_load_probe(file, prelude);
    ci_result *r = tc_exec(s, code, NULL);
    free(code);
    return r;
}

/* Waits until the host sees the marked process and returns its uid. */
static uid_t wait_marked(const char *marker)
{
    uid_t uid = (uid_t)-1;
    double give_up = tc_now_ms() + 5000.0;
    while (tc_find_marker_procs(marker, NULL, 0, &uid) == 0 && tc_now_ms() < give_up)
        usleep(50000);
    ck_assert_msg(tc_find_marker_procs(marker, NULL, 0, &uid) == 1,
                  "marked process %s not visible from the host", marker);
    return uid;
}

static uid_t spawn_marked(ci_session *s, const char *marker)
{
    char *code = tc_spawn_marker_code(marker);
    ci_result_free(tc_exec_ok(s, code, NULL));
    free(code);
    return wait_marked(marker);
}

static void assert_session_uid(uid_t uid)
{
    if (geteuid() == 0)
        ck_assert_msg(uid >= SESSION_UID_BASE && uid - SESSION_UID_BASE < SESSION_UID_COUNT,
                      "sandbox runs as host uid %u, outside the session range",
                      (unsigned)uid);
    else
        ck_assert_msg(uid == getuid(), "sandbox runs as host uid %u", (unsigned)uid);
}

/* ------------------------------------------------------------ filesystem */

START_TEST(host_files_unreachable)
{
    char token[33], hex[17];
    tc_random_hex(token, 32);
    tc_random_hex(hex, 16);
    struct stat st;
    ck_assert_msg(stat("/etc/shadow", &st) == 0, "the host has no /etc/shadow to protect");

    char *tmp_dir = tc_make_temp_dir("ci-secret");
    char *var_dir = tc_printf("/var/tmp/ci-secret-%s", hex);
    ck_assert_int_eq(mkdir(var_dir, 0700), 0);
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    char *tmp_secret = tc_printf("%s/secret.txt", tmp_dir);
    char *var_secret = tc_printf("%s/secret.txt", var_dir);
    char *cwd_secret = tc_printf("%s/ci-secret-%s.txt", cwd, hex);
    tc_write_file(tmp_secret, token, 0600);
    tc_write_file(var_secret, token, 0600);
    tc_write_file(cwd_secret, token, 0600);

    const char *paths[] = {"/etc/shadow", "/etc/gshadow", "/root/.bashrc",
                           "/root/.gitconfig", tmp_secret, var_secret, cwd_secret};
    const char *dirs[] = {tmp_dir, var_dir, cwd, tc_state_dir(), "/root", "/root/.ssh",
                          "/home", "/var/lib/codeinterp"};
    const char *root_entries[64];
    size_t n_root = 0;
    DIR *d = opendir("/root");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n_root < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !strpbrk(e->d_name, "'\\"))
            root_entries[n_root++] = strdup(e->d_name);
    closedir(d);
    ck_assert_uint_gt(n_root, 0);

    char *plist = py_list(paths, sizeof paths / sizeof paths[0]);
    char *dlist = py_list(dirs, sizeof dirs / sizeof dirs[0]);
    char *rlist = py_list(root_entries, n_root);
    char *prelude = tc_printf("TOKEN = '%s'\nPATHS = %s\nDIRS = %s\nROOT_ENTRIES = %s\n", token,
                              plist, dlist, rlist);

    ci_session *s = tc_session_new(NULL);
    ci_result *r = run_snippet(s, "host_files.py", prelude);
    expect_clean_run(r);
    tc_expect_line(r, "TOKEN_HITS", "0");
    char *all = tc_printf("\n%s", tc_stdout(r));
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *want = tc_printf("\nOK %s ", paths[i]);
        ck_assert_msg(strstr(all, want), "no verdict for %s", paths[i]);
        free(want);
    }
    free(all);
    ci_result_free(r);
    ci_session_destroy(s);

    unlink(cwd_secret);
    tc_remove_tree(tmp_dir);
    tc_remove_tree(var_dir);
    for (size_t i = 0; i < n_root; i++)
        free((char *)root_entries[i]);
    free(prelude);
    free(plist);
    free(dlist);
    free(rlist);
    free(tmp_secret);
    free(var_secret);
    free(cwd_secret);
    free(var_dir);
    free(tmp_dir);
}
END_TEST

START_TEST(readonly_binds)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(
        s,
        "import errno, os, sys\n"
        "def attempt(name, fn):\n"
        "    try:\n"
        "        fn()\n"
        "        print(name, 'ALLOWED')\n"
        "    except OSError as e:\n"
        "        print(name, errno.errorcode.get(e.errno, str(e.errno)))\n"
        "for d in ('/usr', '/usr/lib', '/etc', '/bin', '/lib', '/opt/codeinterp',\n"
        "          '/opt/codeinterp/python', '/opt/codeinterp/python/bin',\n"
        "          '/opt/codeinterp/kernels', '/workspace', '/tmp'):\n"
        "    attempt('create ' + d, lambda: open(d + '/ci_probe', 'w').close())\n"
        "    attempt('mkdir ' + d, lambda: os.mkdir(d + '/ci_probe_dir'))\n"
        "attempt('append /etc/passwd', lambda: open('/etc/passwd', 'a').close())\n"
        "attempt('write python', lambda: open(os.path.realpath(sys.executable), 'r+b').close())\n"
        "attempt('chmod python', lambda: os.chmod(os.path.realpath(sys.executable), 0o777))\n",
        NULL);
    static const char *const ro[] = {"/usr", "/usr/lib", "/etc", "/bin", "/lib",
                                     "/opt/codeinterp", "/opt/codeinterp/python",
                                     "/opt/codeinterp/python/bin", "/opt/codeinterp/kernels"};
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        char *key = tc_printf("create %s", ro[i]);
        tc_expect_line(r, key, "EROFS");
        free(key);
        key = tc_printf("mkdir %s", ro[i]);
        tc_expect_line(r, key, "EROFS");
        free(key);
    }
    tc_expect_line(r, "append /etc/passwd", "EROFS");
    /* a file the sandbox user may not write anyway: DAC answers first */
    expect_line_not(r, "write python", "ALLOWED");
    expect_line_not(r, "chmod python", "ALLOWED");
    /* control: the writable places are writable */
    tc_expect_line(r, "create /workspace", "ALLOWED");
    tc_expect_line(r, "mkdir /workspace", "ALLOWED");
    tc_expect_line(r, "create /tmp", "ALLOWED");
    tc_expect_line(r, "mkdir /tmp", "ALLOWED");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(filesystem_limits)
{
    static const char fill[] =
        "import errno, os\n"
        "def fill(path, total):\n"
        "    written = 0\n"
        "    chunk = b'\\1' * 65536\n"
        "    try:\n"
        "        with open(path, 'wb', buffering=0) as f:\n"
        "            while written < total:\n"
        "                written += f.write(chunk)\n"
        "        return 'ALLOWED', written\n"
        "    except OSError as e:\n"
        "        return errno.errorcode.get(e.errno, str(e.errno)), written\n";
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_tmp_size(c, 16u << 20), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    char *code = tc_printf("%s"
                           "v, n = fill('/tmp/fill', 64 << 20)\n"
                           "print('TMP', v)\nprint('TMP_MIB', n >> 20)\n"
                           "os.unlink('/tmp/fill')\n"
                           "v, n = fill('/workspace/fill', 32 << 20)\n"
                           "print('WS', v)\nos.unlink('/workspace/fill')\n",
                           fill);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    tc_expect_line(r, "TMP", "ENOSPC");
    char *mib = tc_line_value(tc_stdout(r), "TMP_MIB");
    ck_assert_ptr_nonnull(mib);
    ck_assert_msg(atoi(mib) >= 14 && atoi(mib) <= 16, "/tmp took %s MiB, size 16 MiB", mib);
    free(mib);
    tc_expect_line(r, "WS", "ALLOWED"); /* /tmp's size is not the workspace's */
    ci_result_free(r);
    ci_session_destroy(s);

    c = tc_config_new();
    ck_assert_int_eq(ci_config_set_max_file_size(c, 1u << 20), 0);
    s = tc_session_new(c);
    ci_config_free(c);
    code = tc_printf("%s"
                     "v, n = fill('/workspace/big', 4 << 20)\n"
                     "print('BIG', v)\nprint('SIZE', os.path.getsize('/workspace/big'))\n",
                     fill);
    r = tc_exec_ok(s, code, NULL);
    free(code);
    tc_expect_line(r, "BIG", "EFBIG");
    tc_expect_line(r, "SIZE", "1048576");
    ci_result_free(r);
    ci_session_destroy(s);

    /* the workspace's own cap (root hosts: a loop-mounted image) */
    if (geteuid() != 0)
        return;
    c = tc_config_new();
    ck_assert_int_eq(ci_config_set_workspace_size(c, 32u << 20), 0);
    s = tc_session_new(c);
    ci_config_free(c);
    code = tc_printf("%s"
                     "v, n = fill('/workspace/fill', 128 << 20)\n"
                     "print('WS', v)\nprint('WS_MIB', n >> 20)\n"
                     "os.unlink('/workspace/fill')\n"
                     "v, n = fill('/workspace/again', 8 << 20)\n"
                     "print('AGAIN', v)\n",
                     fill);
    r = tc_exec_ok(s, code, NULL);
    free(code);
    tc_expect_line(r, "WS", "ENOSPC");
    mib = tc_line_value(tc_stdout(r), "WS_MIB");
    ck_assert_ptr_nonnull(mib);
    ck_assert_msg(atoi(mib) >= 16 && atoi(mib) <= 32, "/workspace took %s MiB, cap 32 MiB",
                  mib);
    free(mib);
    tc_expect_line(r, "AGAIN", "ALLOWED"); /* the space comes back */
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

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
    ci_result *r = run_snippet(s, "proc_sys_dev.py", NULL);
    expect_clean_run(r);

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

    char *init = tc_line_value(tc_stdout(r), "PID1");
    ck_assert_ptr_nonnull(init);
    ck_assert_msg(strcmp(init, "(empty)") != 0, "the sandbox's pid 1 has no cmdline");
    ck_assert_msg(strcmp(init, host_init) != 0, "/proc/1 is the host's init: %s", init);
    free(init);
    tc_expect_line(r, "PPID", "1");

    expect_line_not(r, "kcore", "ALLOWED");
    expect_line_not(r, "sysrq_trigger", "ALLOWED");
    expect_line_not(r, "sys_hostname", "ALLOWED");
    expect_line_not(r, "core_pattern", "ALLOWED");
    char *fw = tc_line_value(tc_stdout(r), "sys_firmware");
    ck_assert_ptr_nonnull(fw);
    ck_assert_msg(strncmp(fw, "ALLOWED", 7) != 0 || strcmp(fw, "ALLOWED 0") == 0,
                  "/sys/firmware readable: %s", fw);
    free(fw);
    tc_expect_line(r, "KALLSYMS_NONZERO", "0");

    char *dev = tc_line_value(tc_stdout(r), "DEV");
    ck_assert_ptr_nonnull(dev);
    static const char *const allowed[] = {"null",   "zero",   "full", "random", "urandom",
                                          "fd",     "stdin",  "stdout", "stderr", "shm",
                                          "pts",    "ptmx",   "mqueue", "tty"};
    for (char *tok = strtok_r(dev, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        int ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok |= strcmp(tok, allowed[i]) == 0;
        ck_assert_msg(ok, "/dev/%s exists in the sandbox", tok);
    }
    free(dev);
    static const char *const needed[] = {"null", "zero", "full", "random", "urandom"};
    for (size_t i = 0; i < 5; i++) {
        char *key = tc_printf("CHR %s", needed[i]);
        tc_expect_line(r, key, "True");
        free(key);
    }
    tc_expect_line(r, "URANDOM", "16");
    tc_expect_line(r, "dev_full", "ENOSPC");
    tc_expect_line(r, "mknod /workspace", "EPERM");
    tc_expect_line(r, "mknod /tmp", "EPERM");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------ privileges */

START_TEST(privileges_dropped)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(
        s,
        "import errno, os, socket, subprocess\n"
        "with open('/proc/self/status') as f:\n"
        "    for line in f:\n"
        "        key = line.split(':')[0]\n"
        "        if key in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs',\n"
        "                   'Seccomp', 'Uid', 'Gid'):\n"
        "            print(key, ' '.join(line.split()[1:]))\n"
        "print('HOSTNAME', socket.gethostname())\n"
        "print('CWD', os.getcwd())\n"
        "print('HOME', os.environ.get('HOME'))\n"
        "import resource, sys\n"
        "for n in ('NPROC', 'NOFILE', 'FSIZE'):\n"
        "    print('RLIMIT_' + n, *resource.getrlimit(getattr(resource, 'RLIMIT_' + n)))\n"
        "print('PREFIX', sys.prefix)\n"
        "print('KERNELS', os.path.isdir('/opt/codeinterp/kernels'))\n"
        "def attempt(name, fn):\n"
        "    try:\n"
        "        fn()\n"
        "        print(name, 'ALLOWED')\n"
        "    except OSError as e:\n"
        "        print(name, errno.errorcode.get(e.errno, str(e.errno)))\n"
        "attempt('setuid0', lambda: os.setuid(0))\n"
        "attempt('setgid0', lambda: os.setgid(0))\n"
        "attempt('setgroups', lambda: os.setgroups([0]))\n"
        "def write(path, text):\n"
        "    with open(path, 'w') as f:\n"
        "        f.write(text)\n"
        "attempt('uid_map', lambda: write('/proc/self/uid_map', '0 0 1'))\n"
        "attempt('setgroups_file', lambda: write('/proc/self/setgroups', 'allow'))\n"
        "attempt('sethostname', lambda: socket.sethostname('evil'))\n"
        "os.makedirs('/tmp/ci_mnt', exist_ok=True)\n"
        "st = os.stat('/usr/bin/mount')\n"
        "print('MOUNT_SUID', bool(st.st_mode & 0o4000))\n"
        "p = subprocess.run(['/usr/bin/mount', '-t', 'tmpfs', 'none', '/tmp/ci_mnt'],\n"
        "                   capture_output=True)\n"
        "print('SUID_MOUNT_RC', p.returncode)\n"
        "print('SUID_MOUNTED', os.path.ismount('/tmp/ci_mnt'))\n"
        "p = subprocess.run(['unshare', '-r', 'id', '-u'], capture_output=True)\n"
        "print('UNSHARE_R', p.returncode, p.stdout.decode().strip())\n"
        "p = subprocess.run(['id', '-u'], capture_output=True)\n"
        "print('SUBPROCESS', p.returncode, p.stdout.decode().strip())\n",
        NULL);
    static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
    for (size_t i = 0; i < 5; i++)
        tc_expect_line(r, caps[i], "0000000000000000");
    tc_expect_line(r, "NoNewPrivs", "1");
    tc_expect_line(r, "Seccomp", "2");
    tc_expect_line(r, "Uid", "1000 1000 1000 1000");
    tc_expect_line(r, "HOSTNAME", "sandbox");
    tc_expect_line(r, "CWD", "/workspace");
    tc_expect_line(r, "HOME", "/workspace");
    tc_expect_line(r, "RLIMIT_NPROC", "512 512"); /* the documented defaults */
    tc_expect_line(r, "RLIMIT_NOFILE", "1024 1024");
    tc_expect_line(r, "RLIMIT_FSIZE", "1073741824 1073741824");
    tc_expect_line(r, "PREFIX", "/opt/codeinterp/python");
    tc_expect_line(r, "KERNELS", "True");
    /* EINVAL: host uid/gid 0 has no mapping in the sandbox at all */
    expect_line_not(r, "setuid0", "ALLOWED");
    expect_line_not(r, "setgid0", "ALLOWED");
    expect_line_not(r, "setgroups", "ALLOWED");
    expect_line_not(r, "uid_map", "ALLOWED");
    expect_line_not(r, "setgroups_file", "ALLOWED");
    tc_expect_line(r, "sethostname", "EPERM");
    tc_expect_line(r, "MOUNT_SUID", "True"); /* the probe below means something */
    expect_line_not(r, "SUID_MOUNT_RC", "0");
    tc_expect_line(r, "SUID_MOUNTED", "False");
    expect_line_not(r, "UNSHARE_R", "0");
    tc_expect_line(r, "SUBPROCESS", "0 1000"); /* ordinary subprocesses still work */
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* Whether `value` is one of the '|'-separated words of `words`. */
static int one_of(const char *value, const char *words)
{
    size_t n = strlen(value);
    for (const char *w = words; w;) {
        const char *bar = strchr(w, '|');
        size_t len = bar ? (size_t)(bar - w) : strlen(w);
        if (len == n && strncmp(w, value, n) == 0)
            return 1;
        w = bar ? bar + 1 : NULL;
    }
    return 0;
}

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
    ci_result *r = run_snippet(s, "seccomp_denied.py", NULL);
    expect_clean_run(r);
    char failures[8192] = "";
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char *got = tc_line_value(tc_stdout(r), table[i].name);
        if (!got || !one_of(got, table[i].want)) {
            size_t used = strlen(failures);
            snprintf(failures + used, sizeof failures - used, " %s=%s(want %s)",
                     table[i].name, got ? got : "missing", table[i].want);
        }
        free(got);
    }
    static const char *const tty[] = {"tiocsti", "tiocsti_high", "tioclinux"};
    for (size_t i = 0; i < 3; i++) {
        char *got = tc_line_value(tc_stdout(r), tty[i]);
        if (!got || (strcmp(got, "EPERM") != 0 && strcmp(got, "NOPTY") != 0)) {
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

/* --------------------------------------------------------------- network */

struct listeners {
    int tcp4, tcp6, unix_path, unix_abstract;
    int port4, port6;
    char path[108], abstract[64];
};

static int listen_inet(int family, int *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return -1;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static int listen_unix(const char *name, int abstract)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    ck_assert_uint_lt(n + 1, sizeof a.sun_path);
    memcpy(a.sun_path + (abstract ? 1 : 0), name, n);
    /* path: name + NUL; abstract: leading NUL + name */
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    if (!abstract)
        chmod(name, 0777);
    return fd;
}

static void open_listeners(struct listeners *l)
{
    char hex[17];
    tc_random_hex(hex, 16);
    l->tcp4 = listen_inet(AF_INET, &l->port4);
    ck_assert_int_ge(l->tcp4, 0);
    l->tcp6 = listen_inet(AF_INET6, &l->port6);
    if (l->tcp6 < 0)
        l->port6 = 0;
    snprintf(l->path, sizeof l->path, "/tmp/ci-unix-%s.sock", hex);
    snprintf(l->abstract, sizeof l->abstract, "ci-abstract-%s", hex);
    l->unix_path = listen_unix(l->path, 0);
    l->unix_abstract = listen_unix(l->abstract, 1);

    /* control: the host itself reaches the TCP listener */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port4),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    int accepted = accept4(l->tcp4, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(accepted, 0);
    close(accepted);
    close(c);
}

/* Number of connections waiting on a listener. */
static int pending(int fd)
{
    if (fd < 0)
        return 0;
    ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    int n = 0, c;
    while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        close(c);
        n++;
    }
    return n;
}

static void close_listeners(struct listeners *l)
{
    close(l->tcp4);
    if (l->tcp6 >= 0)
        close(l->tcp6);
    close(l->unix_path);
    close(l->unix_abstract);
    unlink(l->path);
}

static char *network_prelude(const struct listeners *l)
{
    return tc_printf("PORT = %d\nPORT6 = %d\nUNIX_PATH = '%s'\nABSTRACT = '%s'\n", l->port4,
                     l->port6, l->path, l->abstract);
}

START_TEST(network_none)
{
    struct listeners l;
    open_listeners(&l);
    ci_session *s = tc_session_new(NULL);
    char *prelude = network_prelude(&l);
    ci_result *r = run_snippet(s, "network.py", prelude);
    expect_clean_run(r);
    tc_expect_line(r, "IFACES", "lo");
    tc_expect_line(r, "ROUTES", "0");
    expect_line_not(r, "TCP4", "CONNECTED");
    if (l.port6)
        expect_line_not(r, "TCP6", "CONNECTED");
    expect_line_not(r, "UNIX_PATH", "CONNECTED");
    expect_line_not(r, "UNIX_ABSTRACT", "CONNECTED");
    tc_expect_line(r, "LOOPBACK", "ping"); /* its own loopback works */
    ck_assert_int_eq(pending(l.tcp4), 0);
    ck_assert_int_eq(pending(l.tcp6), 0);
    ck_assert_int_eq(pending(l.unix_path), 0);
    ck_assert_int_eq(pending(l.unix_abstract), 0);
    ci_result_free(r);
    free(prelude);
    ci_session_destroy(s);
    close_listeners(&l);
}
END_TEST

START_TEST(network_host_control)
{
    /* The same probe with the host's network must connect: the "none" test
     * above would notice a connection. */
    struct listeners l;
    open_listeners(&l);
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_network(c, CI_NETWORK_HOST), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    char *prelude = network_prelude(&l);
    ci_result *r = run_snippet(s, "network.py", prelude);
    expect_clean_run(r);
    tc_expect_line(r, "TCP4", "CONNECTED");
    ck_assert_int_eq(pending(l.tcp4), 1);
    expect_line_not(r, "UNIX_PATH", "CONNECTED"); /* the filesystem is still private */
    ci_result_free(r);
    free(prelude);
    ci_session_destroy(s);
    close_listeners(&l);
}
END_TEST

/* ------------------------------------------------------------- processes */

START_TEST(fork_bomb_contained)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_max_processes(c, 64), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_result *r = tc_exec_ok(s,
                              "import errno, os, time\n"
                              "pids, err = [], None\n"
                              "try:\n"
                              "    for i in range(100000):\n"
                              "        pid = os.fork()\n"
                              "        if pid == 0:\n"
                              "            time.sleep(60)\n"
                              "            os._exit(0)\n"
                              "        pids.append(pid)\n"
                              "except OSError as e:\n"
                              "    err = errno.errorcode.get(e.errno, str(e.errno))\n"
                              "print('FORKED', len(pids))\nprint('ERROR', err)\n"
                              "for p in pids:\n    os.kill(p, 9)\n"
                              "for p in pids:\n    os.waitpid(p, 0)\n",
                              NULL);
    char *forked = tc_line_value(tc_stdout(r), "FORKED");
    ck_assert_ptr_nonnull(forked);
    ck_assert_msg(atoi(forked) >= 1 && atoi(forked) < 64, "forked %s processes, limit 64",
                  forked);
    free(forked);
    tc_expect_line(r, "ERROR", "EAGAIN");
    ci_result_free(r);

    r = tc_exec_ok(s,
                   "import threading\n"
                   "ev, threads, err = threading.Event(), [], None\n"
                   "try:\n"
                   "    for i in range(100000):\n"
                   "        t = threading.Thread(target=ev.wait)\n"
                   "        t.start()\n"
                   "        threads.append(t)\n"
                   "except RuntimeError as e:\n"
                   "    err = str(e)\n"
                   "print('THREADS', len(threads))\nprint('TERROR', err is not None)\n"
                   "ev.set()\n"
                   "for t in threads:\n    t.join()\n",
                   NULL);
    char *threads = tc_line_value(tc_stdout(r), "THREADS");
    ck_assert_ptr_nonnull(threads);
    ck_assert_msg(atoi(threads) >= 1 && atoi(threads) < 64, "started %s threads, limit 64",
                  threads);
    free(threads);
    tc_expect_line(r, "TERROR", "True");
    ci_result_free(r);

    /* the host and the library are fine */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ci_session *other = tc_session_new(NULL);
    r = tc_exec_ok(other, "print('ok')", NULL);
    ck_assert_str_eq(tc_stdout(r), "ok\n");
    ci_result_free(r);
    ci_session_destroy(other);
    ci_session_destroy(s);
}
END_TEST

START_TEST(kill_all_stays_inside)
{
    pid_t sentinel = fork();
    ck_assert_int_ge(sentinel, 0);
    if (sentinel == 0) {
        for (;;)
            pause();
    }
    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os, signal\n"
                           "for pid in (-1, %d, %d):\n"
                           "    try:\n"
                           "        os.kill(pid, signal.SIGKILL)\n"
                           "    except OSError:\n"
                           "        pass\n"
                           "print('alive')\n",
                           (int)sentinel, (int)getpid());
    ci_result *r = NULL;
    int rc = ci_execute(s, code, NULL, &r);
    free(code);
    ck_assert_msg(rc == 0 || rc == CI_ECLOSED, "ci_execute: %s", ci_strerror(rc));
    ci_result_free(r);
    int status;
    ck_assert_msg(waitpid(sentinel, &status, WNOHANG) == 0,
                  "a host process was killed from inside the sandbox");
    kill(sentinel, SIGKILL);
    waitpid(sentinel, &status, 0);
    ci_session_destroy(s);
}
END_TEST

START_TEST(orphans_are_reaped)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s,
                              "import os, time\n"
                              "for i in range(50):\n"
                              "    if os.fork() == 0:\n"
                              "        if os.fork() == 0:\n"
                              "            os._exit(0)\n"
                              "        os._exit(0)\n"
                              "    os.wait()\n"
                              "time.sleep(1)\n"
                              "z = 0\n"
                              "for p in os.listdir('/proc'):\n"
                              "    if p.isdigit():\n"
                              "        try:\n"
                              "            z += open('/proc/%s/stat' % p).read().rsplit(')', 1)[1]"
                              ".split()[0] == 'Z'\n"
                              "        except OSError:\n"
                              "            pass\n"
                              "print('ZOMBIES', z)\n",
                              NULL);
    tc_expect_line(r, "ZOMBIES", "0");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

static long peak_rss_kib(void)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    const char *hwm = strstr(buf, "VmHWM:");
    ck_assert_ptr_nonnull(hwm);
    return strtol(hwm + 6, NULL, 10);
}

START_TEST(huge_output_bounded)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_output_limit(c, 1u << 20), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    long before = peak_rss_kib();
    ci_result *r = tc_exec_ok(s,
                              "import sys\nchunk = 'z' * (1 << 20)\n"
                              "for i in range(512):\n    sys.stdout.write(chunk)\n"
                              "sys.stdout.flush()\nprint('finished', file=sys.stderr)",
                              NULL);
    size_t len = 0;
    ci_result_stdout(r, &len);
    ck_assert_uint_eq(len, 1u << 20);
    ck_assert_int_ne(ci_result_stdout_truncated(r), 0);
    ck_assert_str_eq(tc_stderr(r), "finished\n");
    long grew = peak_rss_kib() - before;
    ck_assert_msg(grew < 64 * 1024, "the host process grew by %ld KiB for 512 MiB of output",
                  grew);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(host_killed_takes_sandboxes_along)
{
    char marker[33];
    tc_random_hex(marker, 32);
    int ready[2];
    ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
    tc_state_dir();
    pid_t host = fork();
    ck_assert_int_ge(host, 0);
    if (host == 0) {
        /* a library user that dies without cleaning up */
        close(ready[0]);
        ci_session *sess = NULL;
        ci_result *res = NULL;
        char *code = tc_spawn_marker_code(marker);
        if (ci_session_create(NULL, &sess) != 0 || ci_execute(sess, code, NULL, &res) != 0 ||
            ci_result_status(res) != CI_STATUS_OK)
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char go = 0;
    ck_assert_msg(read(ready[0], &go, 1) == 1, "the host child could not start a session");
    close(ready[0]);
    uid_t uid = wait_marked(marker);
    ck_assert_int_eq(kill(host, SIGKILL), 0);
    int status;
    ck_assert_int_eq(waitpid(host, &status, 0), host);
    ck_assert_msg(tc_wait_marker_gone(marker, 10000) == 0,
                  "a sandbox outlived the process that made it");
    if (geteuid() == 0)
        ck_assert_msg(tc_wait_uid_gone(uid, 10000) == 0, "processes of uid %u remain",
                      (unsigned)uid);
}
END_TEST

/* ------------------------------------------------------------- isolation */

START_TEST(env_not_inherited)
{
    char token[33];
    tc_random_hex(token, 32);
    ck_assert_int_eq(setenv("CI_TEST_HOST_SECRET", token, 1), 0);
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_env(c, "CI_EXPLICIT", "given"), 0);
    ck_assert_int_eq(ci_config_set_env(c, "CI_REMOVED", "x"), 0);
    ck_assert_int_eq(ci_config_set_env(c, "CI_REMOVED", NULL), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    char *prelude = tc_printf("TOKEN = '%s'\n", token);
    ci_result *r = run_snippet(s, "env.py", prelude);
    free(prelude);
    expect_clean_run(r);
    const char *out = tc_stdout(r);
    ck_assert_msg(strstr(out, token) == NULL, "the host variable's value reached the sandbox");
    tc_expect_line(r, "PROC_ENVIRON_LEAKS", "0");
    char *lines = tc_printf("\n%s", out); /* every line starts with \n */
    ck_assert_msg(strstr(lines, "\nENV CI_EXPLICIT=given\n"), "explicit variable missing");
    ck_assert_ptr_null(strstr(lines, "\nENV CI_REMOVED="));
    ck_assert_ptr_nonnull(strstr(lines, "\nENV HOME=/workspace\n"));
    ck_assert_ptr_nonnull(strstr(lines, "\nENV PATH="));

    /* no variable of this process appears, except the ones the sandbox sets
     * itself (by name only: their values are the sandbox's own) */
    static const char *const own[] = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TERM",
                                      "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR", "PWD",
                                      "XDG_CACHE_HOME"};
    for (char **e = environ; *e; e++) {
        size_t nlen = strcspn(*e, "=");
        int allowed = strncmp(*e, "PYTHON", 6) == 0 || strncmp(*e, "MPL", 3) == 0;
        for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
            allowed |= strlen(own[i]) == nlen && strncmp(*e, own[i], nlen) == 0;
        if (allowed)
            continue;
        char *key = tc_printf("\nENV %.*s=", (int)nlen, *e);
        ck_assert_msg(strstr(lines, key) == NULL, "host variable %.*s leaked", (int)nlen, *e);
        free(key);
    }
    free(lines);
    ci_result_free(r);
    ci_session_destroy(s);
    unsetenv("CI_TEST_HOST_SECRET");
}
END_TEST

START_TEST(fds_not_inherited)
{
    char token[33];
    tc_random_hex(token, 32);
    char *dir = tc_make_temp_dir("ci-fd");
    char *path = tc_printf("%s/secret.txt", dir);
    tc_write_file(path, token, 0600);
    int fd = open(path, O_RDONLY); /* inheritable on purpose */
    ck_assert_int_ge(fd, 0);
    int high = dup2(fd, 900);
    ck_assert_int_eq(high, 900);
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(sock, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(sock, 4), 0);
    struct stat st;
    ck_assert_int_eq(fstat(sock, &st), 0);

    ci_session *s = tc_session_new(NULL);
    char *prelude = tc_printf("TOKEN = '%s'\nSECRET_PATH = '%s'\nSOCK_INODE = %lu\n", token,
                              path, (unsigned long)st.st_ino);
    ci_result *r = run_snippet(s, "fds.py", prelude);
    expect_clean_run(r);
    char *count = tc_line_value(tc_stdout(r), "COUNT");
    ck_assert_ptr_nonnull(count);
    ck_assert_msg(atoi(count) >= 3 && atoi(count) <= 8, "%s fds open inside:\n%s", count,
                  tc_stdout(r));
    free(count);
    ci_result_free(r);
    ci_session_destroy(s);
    close(fd);
    close(high);
    close(sock);
    tc_remove_tree(dir);
    free(prelude);
    free(path);
    free(dir);
}
END_TEST

START_TEST(sessions_isolated)
{
    char hex[33];
    tc_random_hex(hex, 32);
    char *file = tc_printf("iso_%s.txt", hex);
    unsigned key = (unsigned)strtoul(hex + 25, NULL, 16) | 1u;

    ci_session *a = tc_session_new(NULL);
    ci_session *b = tc_session_new(NULL);
    char *code = tc_printf("import ctypes\n"
                           "open('%s', 'w').write('a')\nopen('/tmp/%s', 'w').write('a')\n"
                           "libc = ctypes.CDLL(None, use_errno=True)\n"
                           "print('SHM', libc.shmget(%u, 4096, 0o1666) >= 0)\n",
                           file, file, key);
    ci_result *r = tc_exec_ok(a, code, NULL);
    free(code);
    char *shm = tc_line_value(tc_stdout(r), "SHM");
    int have_shm = shm && strcmp(shm, "True") == 0;
    free(shm);
    ci_result_free(r);
    uid_t uid_a = spawn_marked(a, hex);

    const char *state = tc_state_dir();
    ck_assert_ptr_nonnull(state);
    char *host_path = tc_find_entry(state, file);
    ck_assert_msg(host_path != NULL, "session A's file is not under the state dir %s", state);

    code = tc_printf("import ctypes, os\n"
                     "print('WS', '%s' in os.listdir('/workspace'))\n"
                     "print('TMP', os.path.exists('/tmp/%s'))\n"
                     "print('HOSTPATH', os.path.exists('%s'))\n"
                     "seen = 0\n"
                     "for p in os.listdir('/proc'):\n"
                     "    try:\n"
                     "        seen += b'%s' in open('/proc/%%s/cmdline' %% p, 'rb').read()\n"
                     "    except (OSError, ValueError):\n"
                     "        pass\n"
                     "print('PROCS', seen)\n"
                     "libc = ctypes.CDLL(None, use_errno=True)\n"
                     "print('SHM', libc.shmget(%u, 0, 0) >= 0)\n",
                     file, file, host_path, hex, key);
    r = tc_exec_ok(b, code, NULL);
    free(code);
    tc_expect_line(r, "WS", "False");
    tc_expect_line(r, "TMP", "False");
    tc_expect_line(r, "HOSTPATH", "False");
    tc_expect_line(r, "PROCS", "0");
    if (have_shm)
        tc_expect_line(r, "SHM", "False");
    ci_result_free(r);

    char other[33];
    tc_random_hex(other, 32);
    uid_t uid_b = spawn_marked(b, other);
    if (geteuid() == 0)
        ck_assert_msg(uid_a != uid_b, "two live sessions share host uid %u", (unsigned)uid_a);
    ci_session_destroy(a);
    ci_session_destroy(b);
    free(host_path);
    free(file);
}
END_TEST

START_TEST(nothing_survives_destroy)
{
    char hex[33];
    tc_random_hex(hex, 32);
    char *file = tc_printf("ws_%s.txt", hex);
    char *victim = tc_make_temp_dir("ci-victim");
    char *precious = tc_printf("%s/precious.txt", victim);
    tc_write_file(precious, "precious", 0644);
    chmod(victim, 0755);

    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os\n"
                           "os.makedirs('sub/deeper', exist_ok=True)\n"
                           "open('%s', 'w').write('x')\n"
                           "open('sub/deeper/f.txt', 'w').write('y')\n"
                           "os.symlink('%s', 'victim_dir_link')\n"
                           "os.symlink('%s', 'sub/victim_file_link')\n"
                           "os.symlink('/', 'sub/deeper/rootlink')\n"
                           "os.mkfifo('fifo')\n"
                           "os.chmod('sub', 0o500)\n"
                           "open('/tmp/%s', 'w').write('t')\n"
                           "for d in ('/dev/shm', '/var/tmp'):\n"
                           "    try:\n"
                           "        open(d + '/%s', 'w').write('s')\n"
                           "    except OSError:\n"
                           "        pass\n",
                           file, victim, precious, file, file);
    ci_result_free(tc_exec_ok(s, code, NULL));
    free(code);
    uid_t uid = spawn_marked(s, hex);
    assert_session_uid(uid);

    const char *state = tc_state_dir();
    ck_assert_ptr_nonnull(state);
    char *host_path = tc_find_entry(state, file);
    ck_assert_msg(host_path != NULL, "the workspace file is not under the state dir %s", state);
    char *workspace = strdup(host_path);
    *strrchr(workspace, '/') = '\0';
    char *link = tc_printf("%s/victim_dir_link", workspace);
    struct stat st;
    ck_assert_msg(lstat(link, &st) == 0 && S_ISLNK(st.st_mode),
                  "the planted symlink is not in the host workspace %s", workspace);

    ci_session_destroy(s);
    ck_assert_msg(lstat(host_path, &st) != 0 && errno == ENOENT, "%s survived", host_path);
    ck_assert_msg(lstat(workspace, &st) != 0 && errno == ENOENT, "%s survived", workspace);
    ck_assert_msg(stat(precious, &st) == 0 && st.st_size == 8,
                  "cleanup followed a symlink into the host");
    ck_assert_msg(stat(victim, &st) == 0, "cleanup removed the host directory a link named");
    ck_assert_msg(tc_wait_marker_gone(hex, 5000) == 0, "a process survived destroy");
    ck_assert_msg(tc_wait_uid_gone(uid, 5000) == 0, "processes of uid %u remain",
                  (unsigned)uid);

    /* a new session starts clean */
    s = tc_session_new(NULL);
    code = tc_printf("import os\nprint('TMP', os.path.exists('/tmp/%s'))\n"
                     "print('SHM', os.path.exists('/dev/shm/%s'))\n"
                     "print('VARTMP', os.path.exists('/var/tmp/%s'))\n"
                     "print('WS', os.path.exists('/workspace/%s'))\n",
                     file, file, file, file);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    tc_expect_line(r, "TMP", "False");
    tc_expect_line(r, "SHM", "False");
    tc_expect_line(r, "VARTMP", "False");
    tc_expect_line(r, "WS", "False");
    ci_result_free(r);
    ci_session_destroy(s);

    tc_remove_tree(victim);
    free(link);
    free(workspace);
    free(host_path);
    free(precious);
    free(victim);
    free(file);
}
END_TEST

/* ------------------------------------------------------------ javascript */

START_TEST(javascript_baseline)
{
    /* The same walls seen from the Node.js runner. */
    char token[33], hex[17];
    tc_random_hex(token, 32);
    tc_random_hex(hex, 16);
    ck_assert_int_eq(setenv("CI_TEST_HOST_SECRET", token, 1), 0);
    char *dir = tc_make_temp_dir("ci-js-secret");
    char *secret = tc_printf("%s/secret.txt", dir);
    tc_write_file(secret, token, 0644);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    struct listeners l;
    open_listeners(&l);

    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_JAVASCRIPT), 0);
    char *code = tc_printf(
        "const fs = require('fs'), cp = require('child_process');\n"
        "const lines = [];\n"
        "for (const p of ['/etc/shadow', '/root/.bashrc', '%s']) {\n"
        "  try { fs.readFileSync(p); lines.push('LEAK ' + p); }\n"
        "  catch (e) { lines.push('READ ' + p + ' ' + e.code); }\n"
        "}\n"
        "for (const d of ['/usr', '/etc', '/opt/codeinterp', '/opt/codeinterp/node_modules']) {\n"
        "  try { fs.writeFileSync(d + '/ci_probe', 'x'); lines.push('WRITE ' + d + ' ALLOWED'); }\n"
        "  catch (e) { lines.push('WRITE ' + d + ' ' + e.code); }\n"
        "}\n"
        "lines.push('ENV ' + (JSON.stringify(process.env).includes('%s') ? 'LEAK' : 'clean'));\n"
        "lines.push('UID ' + process.getuid());\n"
        "for (const l of fs.readFileSync('/proc/self/status', 'utf8').split('\\n')) {\n"
        "  const k = l.split(':')[0];\n"
        "  if (['CapEff', 'CapBnd', 'NoNewPrivs', 'Seccomp'].includes(k))\n"
        "    lines.push(k + ' ' + l.split(/\\s+/)[1]);\n"
        "}\n"
        "lines.push('ID ' + cp.execSync('id -u').toString().trim());\n"
        "lines.push('PIDS ' + fs.readdirSync('/proc').filter(n => /^\\d+$/.test(n))"
        ".every(n => +n < 1000));\n"
        "console.log(lines.join('\\n'));\n",
        secret, token);
    ci_result *r = tc_exec_ok(s, code, o);
    free(code);
    const char *out = tc_stdout(r);
    ck_assert_msg(strstr(out, "LEAK") == NULL, "leak:\n%s", out);
    ck_assert_msg(strstr(out, token) == NULL, "the token reached the output");
    expect_line_not(r, "READ /etc/shadow", "ALLOWED");
    char *key = tc_printf("READ %s", secret);
    tc_expect_line(r, key, "ENOENT");
    free(key);
    static const char *const ro[] = {"/usr", "/etc", "/opt/codeinterp",
                                     "/opt/codeinterp/node_modules"};
    for (size_t i = 0; i < 4; i++) {
        key = tc_printf("WRITE %s", ro[i]);
        tc_expect_line(r, key, "EROFS");
        free(key);
    }
    tc_expect_line(r, "ENV", "clean");
    tc_expect_line(r, "UID", "1000");
    tc_expect_line(r, "CapEff", "0000000000000000");
    tc_expect_line(r, "CapBnd", "0000000000000000");
    tc_expect_line(r, "NoNewPrivs", "1");
    tc_expect_line(r, "Seccomp", "2");
    tc_expect_line(r, "ID", "1000");
    tc_expect_line(r, "PIDS", "true");
    ci_result_free(r);

    code = tc_printf(
        "const net = require('net');\n"
        "const attempt = (name, opts) => new Promise(done => {\n"
        "  const c = net.connect(opts);\n"
        "  const t = setTimeout(() => { c.destroy(); done(name + ' timeout'); }, 3000);\n"
        "  c.on('connect', () => { clearTimeout(t); c.destroy(); done(name + ' CONNECTED'); });\n"
        "  c.on('error', e => { clearTimeout(t); done(name + ' ' + e.code); });\n"
        "});\n"
        "console.log(await attempt('TCP4', { host: '127.0.0.1', port: %d }));\n"
        "console.log(await attempt('UNIX_ABSTRACT', { path: '\\0%s' }));\n",
        l.port4, l.abstract);
    r = tc_exec_ok(s, code, o);
    free(code);
    expect_line_not(r, "TCP4", "CONNECTED");
    expect_line_not(r, "UNIX_ABSTRACT", "CONNECTED");
    ck_assert_int_eq(pending(l.tcp4), 0);
    ck_assert_int_eq(pending(l.unix_abstract), 0);
    ci_result_free(r);

    ci_exec_options_free(o);
    ci_session_destroy(s);
    close_listeners(&l);
    unsetenv("CI_TEST_HOST_SECRET");
    tc_remove_tree(dir);
    free(secret);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------ file calls */

static char *read_all(int fd);

static char *read_host_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *text = read_all(fd);
    close(fd);
    return text;
}

START_TEST(file_calls_never_follow_planted_links)
{
    char token[33];
    tc_random_hex(token, 32);
    char *victim = tc_make_temp_dir("ci-victim");
    ck_assert_int_eq(chmod(victim, 0755), 0);
    char *secret = tc_printf("%s/secret.txt", victim);
    tc_write_file(secret, token, 0644);
    char *out_path = tc_printf("%s/downloaded.txt", victim);

    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os, socket\n"
                           "open('plain.txt', 'w').write('plain')\n"
                           "open('a.txt', 'w').write('a')\n"
                           "os.link('a.txt', 'hard_a')\n"
                           "os.symlink('/etc/passwd', 'link_passwd')\n"
                           "os.symlink('%s', 'link_secret')\n"
                           "os.symlink('%s', 'linkdir')\n"
                           "os.symlink('/workspace/plain.txt', 'link_plain')\n"
                           "os.makedirs('dir/sub')\n"
                           "os.symlink('%s', 'dir/sub/up')\n"
                           "os.mkfifo('fifo')\n"
                           "u = socket.socket(socket.AF_UNIX)\n"
                           "u.bind('sock')\n",
                           secret, victim, victim);
    ci_result_free(tc_exec_ok(s, code, NULL));
    free(code);

    /* control: a plain file downloads */
    void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(ci_download(s, "plain.txt", &data, &len), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(data, "plain", 5), 0);
    ci_free(data);

    static const struct {
        const char *name;
        int want;
    } refused[] = {
        {"link_passwd", CI_EPATH},        {"link_secret", CI_EPATH},
        {"linkdir/secret.txt", CI_EPATH}, {"link_plain", CI_EPATH},
        {"dir/sub/up/secret.txt", CI_EPATH}, {"hard_a", CI_EFILETYPE},
        {"a.txt", CI_EFILETYPE},          {"fifo", CI_EFILETYPE},
        {"sock", CI_EFILETYPE},           {"dir", CI_EFILETYPE},
        {"../plain.txt", CI_EPATH},       {"/etc/passwd", CI_EPATH},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        data = (void *)&data;
        double start = tc_now_ms();
        int rc = ci_download(s, refused[i].name, &data, &len);
        ck_assert_msg(rc == refused[i].want, "download %s: %d (%s), wanted %d",
                      refused[i].name, rc, ci_strerror(rc), refused[i].want);
        ck_assert_msg(data == (void *)&data, "download %s set its output", refused[i].name);
        ck_assert_msg(tc_now_ms() - start < 5000.0, "download %s blocked", refused[i].name);
        rc = ci_download_to_file(s, refused[i].name, out_path);
        ck_assert_msg(rc == refused[i].want, "download_to_file %s: %d", refused[i].name, rc);
        ck_assert_msg(access(out_path, F_OK) != 0, "download_to_file %s wrote the host file",
                      refused[i].name);
    }

    /* writes and removals through links land nowhere on the host */
    ck_assert_int_eq(ci_upload(s, "linkdir/evil.txt", "evil", 4), CI_EPATH);
    ck_assert_int_eq(ci_upload(s, "dir/sub/up/evil.txt", "evil", 4), CI_EPATH);
    int rc = ci_upload(s, "link_secret", "evil", 4);
    ck_assert_msg(rc == 0 || rc == CI_EPATH, "upload over a link: %d", rc);
    ck_assert_int_eq(ci_remove_file(s, "linkdir/secret.txt"), CI_EPATH);
    ck_assert_int_eq(ci_remove_file(s, "dir"), 0); /* a tree holding a link out */
    ck_assert_int_eq(ci_remove_file(s, "linkdir"), 0); /* the link, not its target */

    ci_file_list *list = NULL;
    ck_assert_int_eq(ci_list_files(s, "link_passwd", &list), CI_EPATH);
    ck_assert_int_eq(ci_list_files(s, NULL, &list), 0);
    int saw_link = 0;
    for (size_t i = 0; i < ci_file_list_count(list); i++)
        if (strcmp(ci_file_list_name(list, i), "link_passwd") == 0)
            saw_link = ci_file_list_type(list, i) == CI_FILE_SYMLINK;
    ck_assert_msg(saw_link, "link_passwd not listed as a symbolic link");
    ci_file_list_free(list);

    char *still = read_host_file(secret);
    ck_assert_msg(still && strcmp(still, token) == 0, "the host file behind a link changed");
    free(still);
    ck_assert_msg(access(victim, F_OK) == 0, "the host folder behind a link is gone");
    char *evil = tc_printf("%s/evil.txt", victim);
    ck_assert_msg(access(evil, F_OK) != 0, "an upload went through a link to the host");
    free(evil);

    ci_session_destroy(s);
    still = read_host_file(secret);
    ck_assert_msg(still && strcmp(still, token) == 0, "destroy changed the host file");
    free(still);
    tc_remove_tree(victim);
    free(out_path);
    free(secret);
    free(victim);
}
END_TEST

/* ----------------------------------------------------------- environment */

/* Writes a message for the parent and exits with 1. */
static void child_fail(int fd, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
        _exit(2);
    _exit(1);
}

static char *read_all(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(in >= 0, "open %s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    ck_assert_msg(out >= 0, "create %s: %s", to, strerror(errno));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        ck_assert_int_eq(write(out, buf, (size_t)n), n);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(fchmod(out, mode), 0);
    close(in);
    close(out);
}

static void copy_tree(const char *from, const char *to)
{
    ck_assert_int_eq(mkdir(to, 0755), 0);
    DIR *d = opendir(from);
    ck_assert_msg(d != NULL, "opendir %s: %s", from, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *src = tc_printf("%s/%s", from, e->d_name);
        char *dst = tc_printf("%s/%s", to, e->d_name);
        struct stat st;
        ck_assert_int_eq(stat(src, &st), 0);
        if (S_ISDIR(st.st_mode))
            copy_tree(src, dst);
        else if (S_ISREG(st.st_mode))
            copy_file(src, dst, 0644);
        free(src);
        free(dst);
    }
    closedir(d);
}

static const char *required_env(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && *v, "%s is not set (run through meson test)", name);
    return v;
}

START_TEST(unprivileged_user)
{
    const uid_t nobody = 65534;
    char *base = tc_make_temp_dir("ci-unpriv");
    ck_assert_int_eq(chmod(base, 0755), 0);
    char *helper = tc_printf("%s/codeinterp-sandbox", base);
    char *kernels = tc_printf("%s/kernels", base);
    char *state = tc_printf("%s/state", base);
    copy_file(required_env("CODEINTERP_HELPER"), helper, 0755);
    copy_tree(required_env("CODEINTERP_KERNEL_DIR"), kernels);
    ck_assert_int_eq(mkdir(state, 0700), 0);
    ck_assert_int_eq(chown(state, nobody, nobody), 0);

    int pipefd[2];
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = pipefd[1];
        close(pipefd[0]);
        if (chdir(base) != 0)
            child_fail(out, "chdir: %s", strerror(errno));
        if (setgroups(0, NULL) != 0 || setresgid(nobody, nobody, nobody) != 0 ||
            setresuid(nobody, nobody, nobody) != 0)
            child_fail(out, "cannot drop to uid %u: %s", (unsigned)nobody, strerror(errno));
        if (setuid(0) == 0 || getuid() != nobody)
            child_fail(out, "privileges were not dropped");
        char *python = tc_printf("%s/python/bin/python3", tc_runtime_dir());
        if (access(python, X_OK) != 0)
            child_fail(out, "the runtime %s is not usable by uid %u", python,
                       (unsigned)nobody);
        ci_config *c = NULL;
        /* an unprivileged host can neither write cgroups nor loop-mount a
         * capped workspace: rlimits and a plain directory, which the header
         * says the caller must accept explicitly */
        if (ci_config_new(&c) != 0 || ci_config_set_helper_path(c, helper) != 0 ||
            ci_config_set_kernel_dir(c, kernels) != 0 || ci_config_set_state_dir(c, state) != 0 ||
            ci_config_set_cgroup_mode(c, CI_CGROUP_NONE) != 0 ||
            ci_config_set_workspace_size(c, 0) != 0)
            child_fail(out, "config: %s", ci_last_error());
        ci_session *s = NULL;
        int rc = ci_session_create(c, &s);
        if (rc != 0)
            child_fail(out, "ci_session_create as uid %u: %s: %s", (unsigned)nobody,
                       ci_strerror(rc), ci_last_error());
        ci_result *r = NULL;
        rc = ci_execute(s,
                        "import os\nprint(os.getuid())\n"
                        "open('/workspace/unpriv_probe.txt', 'w').write('unpriv')\n"
                        "print(open('unpriv_probe.txt').read())\n"
                        "print([l.split()[1] for l in open('/proc/self/status')"
                        " if l.split(':')[0] in ('CapEff', 'Seccomp', 'NoNewPrivs')])\n",
                        NULL, &r);
        if (rc != 0)
            child_fail(out, "ci_execute: %s: %s", ci_strerror(rc), ci_session_last_error(s));
        size_t len;
        const char *text = ci_result_stdout(r, &len);
        if (ci_result_status(r) != CI_STATUS_OK ||
            strcmp(text, "1000\nunpriv\n['0000000000000000', '1', '2']\n") != 0) {
            const char *err = ci_result_stderr(r, &len);
            child_fail(out, "status %s, stdout:\n%s\nstderr:\n%s",
                       ci_status_name(ci_result_status(r)), text, err);
        }
        char *host_file = tc_find_entry(state, "unpriv_probe.txt");
        struct stat st;
        if (!host_file || stat(host_file, &st) != 0)
            child_fail(out, "the workspace file is not under %s", state);
        if (st.st_uid != nobody)
            child_fail(out, "the workspace file belongs to host uid %u", (unsigned)st.st_uid);
        ci_result_free(r);
        ci_session_destroy(s);
        if (stat(host_file, &st) == 0)
            child_fail(out, "%s survived destroy", host_file);
        ci_config_free(c);
        if (write(out, "OK", 2) != 2)
            _exit(2);
        _exit(0);
    }
    close(pipefd[1]);
    char *msg = read_all(pipefd[0]);
    close(pipefd[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(msg, "OK") == 0,
                  "unprivileged session: %s", msg);
    free(msg);
    tc_remove_tree(base);
    free(helper);
    free(kernels);
    free(state);
    free(base);
}
END_TEST

static int read_int_file(const char *path)
{
    char buf[64] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_gt(read(fd, buf, sizeof buf - 1), 0);
    close(fd);
    return atoi(buf);
}

static int write_file_at(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

START_TEST(userns_disabled_is_reported)
{
    /* A child in its own user namespace (mapped to the same ids, so it keeps
     * its powers over host files) sets that namespace's max_user_namespaces
     * to 0: nothing it starts can create a user namespace, the host's limit
     * is untouched. Then the library must refuse to create a session and
     * say why. */
    const char *host_limit_path = "/proc/sys/user/max_user_namespaces";
    int host_limit = read_int_file(host_limit_path);
    ck_assert_msg(host_limit > 0, "user namespaces are already off on this host");
    char *state = tc_make_temp_dir("ci-nouserns");

    int up[2], down[2];
    ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(down, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        int out = up[1];
        if (unshare(CLONE_NEWUSER) != 0)
            child_fail(out, "SETUP unshare(CLONE_NEWUSER): %s", strerror(errno));
        char go;
        if (write(out, "u", 1) != 1 || read(down[0], &go, 1) != 1 || go != 'm')
            child_fail(out, "SETUP the parent did not map the namespace");
        if (write_file_at("/proc/sys/user/max_user_namespaces", "0\n") != 0)
            child_fail(out, "SETUP cannot lower max_user_namespaces: %s", strerror(errno));
        pid_t probe = fork();
        if (probe == 0)
            _exit(unshare(CLONE_NEWUSER) == 0 ? 1 : errno == ENOSPC ? 0 : 2);
        int st;
        if (probe < 0 || waitpid(probe, &st, 0) != probe || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            child_fail(out, "SETUP user namespaces are still possible after the limit");

        ci_config *c = NULL;
        /* This child is root only inside its own user namespace, so the
         * layers a real root host has (cgroups, the loop-mounted workspace)
         * cannot work here either: leave them out, so the user namespace is
         * the first layer to fail, as it would be on a real host. */
        if (ci_config_new(&c) != 0 || ci_config_set_state_dir(c, state) != 0 ||
            ci_config_set_cgroup_mode(c, CI_CGROUP_NONE) != 0 ||
            ci_config_set_workspace_size(c, 0) != 0)
            child_fail(out, "config: %s", ci_last_error());
        ci_session *s = NULL;
        int rc = ci_session_create(c, &s);
        char msg[1024];
        snprintf(msg, sizeof msg, "%d %s", rc, ci_last_error());
        if (rc == 0)
            ci_session_destroy(s);
        ci_config_free(c);
        if (write(out, msg, strlen(msg)) < 0)
            _exit(2);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    char ready = 0;
    ck_assert_int_eq(read(up[0], &ready, 1), 1);
    ck_assert_msg(ready == 'u', "child could not unshare");
    char path[64], map[64];
    if (geteuid() == 0) {
        snprintf(map, sizeof map, "0 0 4294967295\n");
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
    } else {
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
        ck_assert_int_eq(write_file_at(path, "deny"), 0);
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getuid());
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getgid());
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
    }
    ck_assert_int_eq(write(down[1], "m", 1), 1);
    char *msg = read_all(up[0]);
    close(up[0]);
    close(down[1]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(read_int_file(host_limit_path), host_limit);
    ck_assert_msg(strncmp(msg, "SETUP", 5) != 0, "cannot build the test situation: %s", msg);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %s", msg);
    int rc = atoi(msg);
    ck_assert_msg(rc == CI_ESANDBOX, "without user namespaces: %s", msg);
    ck_assert_msg(strcasestr(msg, "user namespace") != NULL,
                  "the message does not name the user namespace: %s", msg);
    free(msg);
    tc_remove_tree(state);
    free(state);
}
END_TEST

static Suite *security_suite(void)
{
    Suite *s = suite_create("security");
    TCase *tc;

    tc = tcase_create("filesystem");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, host_files_unreachable);
    tcase_add_test(tc, readonly_binds);
    tcase_add_test(tc, filesystem_limits);
    tcase_add_test(tc, proc_sys_dev);
    suite_add_tcase(s, tc);

    tc = tcase_create("privileges");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, privileges_dropped);
    tcase_add_test(tc, seccomp_denials);
    tcase_add_test(tc, seccomp_foreign_abis);
    suite_add_tcase(s, tc);

    tc = tcase_create("network");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, network_none);
    tcase_add_test(tc, network_host_control);
    suite_add_tcase(s, tc);

    tc = tcase_create("processes");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, fork_bomb_contained);
    tcase_add_test(tc, kill_all_stays_inside);
    tcase_add_test(tc, orphans_are_reaped);
    tcase_add_test(tc, huge_output_bounded);
    tcase_add_test(tc, host_killed_takes_sandboxes_along);
    suite_add_tcase(s, tc);

    tc = tcase_create("isolation");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, env_not_inherited);
    tcase_add_test(tc, fds_not_inherited);
    tcase_add_test(tc, sessions_isolated);
    tcase_add_test(tc, nothing_survives_destroy);
    suite_add_tcase(s, tc);

    tc = tcase_create("javascript");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, javascript_baseline);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, file_calls_never_follow_planted_links);
    suite_add_tcase(s, tc);

    tc = tcase_create("environment");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, unprivileged_user);
    tcase_add_test(tc, userns_disabled_is_reported);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(security_suite());
}
