/* SPDX-License-Identifier: MIT */
/* Suite 'isolation': what sandboxed code sees of the host and of other
 * sessions, each check a real attempt from inside the sandbox with a real
 * assertion (see shared SECURITY-TESTS.md): the host's files and the
 * read-only system, escapes from the mount layout, dropped privileges, the
 * host's environment and descriptors, the same walls from the Node.js
 * runner, and two sessions side by side. Where a probe could pass because
 * it never ran, a positive control or a host-side check proves the thing
 * probed was there. */
#include "test_common.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

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

/* The names in the host's /root (at least one; none with a character of
 * `bad`), strdup()ed into out (at most max); returns how many. */
static size_t host_root_entries(const char **out, size_t max, const char *bad)
{
    size_t n = 0;
    DIR *d = opendir("/root");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !strpbrk(e->d_name, bad))
            out[n++] = strdup(e->d_name);
    closedir(d);
    ck_assert_uint_gt(n, 0);
    return n;
}

/* Newline-separated list of simple strings, as a shell assignment value
 * (no single quotes). */
static char *sh_lines(const char *const *items, size_t n)
{
    char *out = strdup("");
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_null(strchr(items[i], '\''));
        char *next = tc_printf("%s%s%s", out, i ? "\n" : "", items[i]);
        free(out);
        out = next;
    }
    return out;
}

/* The host_files probe's prelude (shell 0: Python, 1: shell assignments):
 * the token to look for, the paths it must not read, the directories it
 * must not list and the names in the host's /root. */
static char *host_files_prelude(int shell, const char *token, const char *const *paths,
                                size_t n_paths, const char *const *dirs, size_t n_dirs)
{
    const char *roots[64];
    size_t n_roots = host_root_entries(roots, TC_LEN(roots), shell ? "'\n" : "'\\");
    char *(*list)(const char *const *, size_t) = shell ? sh_lines : py_list;
    char *plist = list(paths, n_paths);
    char *dlist = list(dirs, n_dirs);
    char *rlist = list(roots, n_roots);
    for (size_t i = 0; i < n_roots; i++)
        free((char *)roots[i]);
    char *prelude =
        shell ? tc_printf("TOKEN='%s'\nPATHS='%s'\nDIRS='%s'\nROOT_ENTRIES='%s'\n", token, plist,
                          dlist, rlist)
              : tc_printf("TOKEN = '%s'\nPATHS = %s\nDIRS = %s\nROOT_ENTRIES = %s\n", token,
                          plist, dlist, rlist);
    free(plist);
    free(dlist);
    free(rlist);
    return prelude;
}

/* Runs the host_files probe (shell 0: host_files.py, 1: host_files.sh) with
 * `prelude` in s: it must run clean, never find the token and give each
 * path a line "OK <path>", "OK <path> refused" from the shell. */
static void expect_host_files_hidden(ci_session *s, const char *prelude,
                                     const char *const *paths, size_t n, int shell)
{
    ci_result *r = shell ? tc_run_sh_probe(s, "host_files.sh", prelude, NULL)
                         : tc_run_probe(s, "host_files.py", prelude, NULL);
    tc_expect_probe_clean(r);
    tc_expect_line(r, "TOKEN_HITS", "0");
    char *all = tc_printf("\n%s", tc_stdout(r));
    for (size_t i = 0; i < n; i++) {
        char *want = tc_printf("\nOK %s%s", paths[i], shell ? " refused\n" : " ");
        ck_assert_msg(strstr(all, want), "no verdict for %s:\n%s", paths[i], tc_stdout(r));
        free(want);
    }
    free(all);
    ci_result_free(r);
}

/* The lines of /proc/self/status a privileges probe prints: no capability
 * in any set, no_new_privs, a seccomp filter, the sandbox user as every
 * uid. */
static void expect_unprivileged(const ci_result *r)
{
    static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
    tc_expect_lines(r, NULL, caps, TC_LEN(caps), "0000000000000000");
    tc_expect_line(r, "NoNewPrivs", "1");
    tc_expect_line(r, "Seccomp", "2");
    tc_expect_line(r, "Uid", "1000 1000 1000 1000");
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
    char *prelude = host_files_prelude(0, token, paths, TC_LEN(paths), dirs, TC_LEN(dirs));

    ci_session *s = tc_session_new(NULL);
    expect_host_files_hidden(s, prelude, paths, TC_LEN(paths), 0);
    ci_session_destroy(s);

    unlink(cwd_secret);
    tc_remove_tree(tmp_dir);
    tc_remove_tree(var_dir);
    free(prelude);
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
    tc_expect_line_not(r, "write python", "ALLOWED");
    tc_expect_line_not(r, "chmod python", "ALLOWED");
    /* control: the writable places are writable */
    tc_expect_line(r, "create /workspace", "ALLOWED");
    tc_expect_line(r, "mkdir /workspace", "ALLOWED");
    tc_expect_line(r, "create /tmp", "ALLOWED");
    tc_expect_line(r, "mkdir /tmp", "ALLOWED");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(escapes_stay_inside)
{
    ci_session *s = tc_session_new(NULL);
    char *prelude = tc_printf("STATE_DIR = '%s'\nTOKEN = '%s'\n", tc_state_dir(),
                              ci_session_id(s));
    ci_result *r = tc_run_probe(s, "fs_escapes.py", prelude, NULL);
    free(prelude);
    tc_expect_probe_done(r);
    tc_expect_line(r, "chroot_jail", "EPERM");
    tc_expect_line(r, "chroot_dot", "EPERM");
    tc_expect_line(r, "CWD", "/");
    tc_expect_line(r, "ESCAPED", "False");
    static const char *const tools[] = {"chroot_bin", "mount_bin",  "bind_bin",
                                        "umount_bin", "remount_bin", "unshare_bin",
                                        "nsenter_bin", "bwrap_bin"};
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        tc_expect_one_of(r, tools[i], "FAILED|ABSENT");
    tc_expect_line(r, "bwrap_bin", "FAILED"); /* setup installs bubblewrap */
    tc_expect_line(r, "MOUNTS_CHANGED", "False");
    tc_expect_line(r, "TOP_CHANGED", "False");
    tc_expect_line_not(r, "link_usr", "ALLOWED");
    tc_expect_line_not(r, "link_etc", "ALLOWED");
    tc_expect_line_not(r, "rename_ws", "ALLOWED");
    tc_expect_line_not(r, "rmdir_output", "ALLOWED");
    static const char *const writable[] = {"FLAGS /workspace", "FLAGS /output", "FLAGS /tmp",
                                           "FLAGS /dev/shm", "FLAGS /data", "FLAGS /"};
    for (size_t i = 0; i < sizeof writable / sizeof writable[0]; i++)
        tc_expect_line(r, writable[i], "True");
    tc_expect_line(r, "STATE_DIR_VISIBLE", "False");
    tc_expect_line(r, "ID_VISIBLE", "False");
    tc_expect_line(r, "SUID_SET", "True");
    tc_expect_line(r, "SUID_EUID", "1000");
    /* the mount attempts were refused by the policy and say so */
    tc_expect_denied(r, "chroot");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(js_filesystem)
{
    char token[33];
    tc_random_hex(token, 32);
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = tc_js_options();
    char *prelude = tc_printf("const STATE_DIR = '%s';\n", tc_state_dir());
    ci_result *r = tc_run_probe(s, "js_filesystem.js", prelude, o);
    free(prelude);
    tc_expect_probe_done(r);
    static const char *const refused[] = {
        "chroot_bin", "mount_bin", "umount_bin", "unshare_bin", "bwrap_bin",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        tc_expect_one_of(r, refused[i], "FAILED|ABSENT");
    tc_expect_line(r, "MOUNTS_CHANGED", "false");
    tc_expect_line(r, "STATE_DIR_LISTED", "ENOENT");
    tc_expect_one_of(r, "SHADOW", "ENOENT|EACCES");
    tc_expect_one_of(r, "ROOT_HOME", "ENOENT|EACCES");
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
    expect_unprivileged(r);
    tc_expect_line(r, "HOSTNAME", "sandbox");
    tc_expect_line(r, "CWD", "/workspace");
    tc_expect_line(r, "HOME", "/workspace");
    tc_expect_line(r, "RLIMIT_NPROC", "512 512"); /* the documented defaults */
    tc_expect_line(r, "RLIMIT_NOFILE", "1024 1024");
    tc_expect_line(r, "RLIMIT_FSIZE", "1073741824 1073741824");
    tc_expect_line(r, "PREFIX", "/opt/codeinterp/python");
    tc_expect_line(r, "KERNELS", "True");
    /* EINVAL: host uid/gid 0 has no mapping in the sandbox at all */
    tc_expect_line_not(r, "setuid0", "ALLOWED");
    tc_expect_line_not(r, "setgid0", "ALLOWED");
    tc_expect_line_not(r, "setgroups", "ALLOWED");
    tc_expect_line_not(r, "uid_map", "ALLOWED");
    tc_expect_line_not(r, "setgroups_file", "ALLOWED");
    tc_expect_line(r, "sethostname", "EPERM");
    tc_expect_line(r, "MOUNT_SUID", "True"); /* the probe below means something */
    tc_expect_line_not(r, "SUID_MOUNT_RC", "0");
    tc_expect_line(r, "SUID_MOUNTED", "False");
    tc_expect_line_not(r, "UNSHARE_R", "0");
    tc_expect_line(r, "SUBPROCESS", "0 1000"); /* ordinary subprocesses still work */
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ----------------------------------------------------------- environment */

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
    ci_result *r = tc_run_probe(s, "env.py", prelude, NULL);
    free(prelude);
    tc_expect_probe_clean(r);
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
    ci_result *r = tc_run_probe(s, "fds.py", prelude, NULL);
    tc_expect_probe_clean(r);
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
    struct tc_listeners l;
    tc_listeners_open(&l);

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
    tc_expect_line_not(r, "READ /etc/shadow", "ALLOWED");
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
    tc_expect_line_not(r, "TCP4", "CONNECTED");
    tc_expect_line_not(r, "UNIX_ABSTRACT", "CONNECTED");
    ck_assert_int_eq(tc_pending(l.tcp4), 0);
    ck_assert_int_eq(tc_pending(l.unix_abstract), 0);
    ci_result_free(r);

    ci_exec_options_free(o);
    ci_session_destroy(s);
    tc_listeners_close(&l);
    unsetenv("CI_TEST_HOST_SECRET");
    tc_remove_tree(dir);
    free(secret);
    free(dir);
}
END_TEST

/* ------------------------------------------------------ between sessions */

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
    uid_t uid_a = tc_spawn_marked(a, hex);

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
    uid_t uid_b = tc_spawn_marked(b, other);
    if (geteuid() == 0)
        ck_assert_msg(uid_a != uid_b, "two live sessions share host uid %u", (unsigned)uid_a);
    ci_session_destroy(a);
    ci_session_destroy(b);
    free(host_path);
    free(file);
}
END_TEST

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
                     "    print('ABSTRACT', e.errno)\n",
                     (int)host_pid, marker);
    /* A holds the socket (SysV message queues are refused by seccomp; shared
     * memory, which is not, is checked in sessions_isolated) */
    char *hold = tc_printf("import socket\n"
                           "srv = socket.socket(socket.AF_UNIX)\n"
                           "srv.bind('\\0ci-hard-%s')\nsrv.listen(1)\n",
                           marker);
    ci_result_free(tc_exec_ok(a, hold, NULL));
    free(hold);
    ci_result *r = tc_exec_ok(b, code, NULL);
    free(code);
    tc_expect_line(r, "HITS", "0");
    tc_expect_line_not(r, "ABSTRACT", "CONNECTED");
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

/* ----------------------------------------------------------------- shell */

/* The host's files and environment seen from a shell command. */
START_TEST(shell_host_files)
{
    char token[33], hex[17];
    tc_random_hex(token, 32);
    tc_random_hex(hex, 16);
    ck_assert_int_eq(setenv("CI_TEST_HOST_SECRET", token, 1), 0);
    struct stat st;
    ck_assert_msg(stat("/etc/shadow", &st) == 0, "the host has no /etc/shadow to protect");
    char *tmp_dir = tc_make_temp_dir("ci-sh-secret");
    ck_assert_int_eq(chmod(tmp_dir, 0755), 0);
    char *tmp_secret = tc_printf("%s/secret.txt", tmp_dir);
    tc_write_file(tmp_secret, token, 0644); /* readable to all: only the walls keep it */
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));

    const char *paths[] = {"/etc/shadow", "/etc/gshadow", "/root/.bashrc", tmp_secret};
    const char *dirs[] = {tmp_dir, cwd, tc_state_dir(), "/root", "/root/.ssh", "/home",
                          "/var/lib/codeinterp"};
    char *prelude = host_files_prelude(1, token, paths, TC_LEN(paths), dirs, TC_LEN(dirs));

    ci_session *s = tc_session_new(NULL);
    expect_host_files_hidden(s, prelude, paths, TC_LEN(paths), 1);

    /* control: the same probe finds the token once the sandbox holds it */
    char *plant = tc_printf("echo '%s' > /workspace/planted.txt", token);
    ci_result_free(tc_cmd_ok(s, plant, NULL));
    free(plant);
    ci_result *r = tc_run_sh_probe(s, "host_files.sh", prelude, NULL);
    tc_expect_line(r, "TOKEN_HITS", "1");
    ci_result_free(r);
    ci_session_destroy(s);

    tc_remove_tree(tmp_dir);
    unsetenv("CI_TEST_HOST_SECRET");
    free(prelude);
    free(tmp_secret);
    free(tmp_dir);
}
END_TEST

/* A shell command holds no privilege and no tool gives it one. */
START_TEST(shell_privileges)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_run_sh_attempt_probe(s, "privileges.sh");
    tc_expect_probe_clean(r);
    expect_unprivileged(r);
    tc_expect_line(r, "Gid", "1000 1000 1000 1000");
    tc_expect_line(r, "ID", "1000 1000 1000");
    tc_expect_line(r, "HOSTNAME", "sandbox");
    static const char *const refused[] = {
        "setpriv_root", "setpriv_caps", "su", "unshare_r", "unshare_m", "unshare_n",
        "mount_tmpfs", "mount_bind", "chroot", "hostname_set", "uid_map", "setgroups_file",
        "chown_root", "write_etc", "nice_up"};
    tc_expect_lines(r, NULL, refused, TC_LEN(refused), "FAILED");
    tc_expect_line(r, "control", "ALLOWED"); /* the probe tells success apart */
    tc_expect_line(r, "MOUNTED", "0");
    tc_expect_line(r, "SU_SUID", "True"); /* the su attempt meant something */
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------- the host through /proc */

/* An integer line of the probe's output. */
static long probe_number(const ci_result *r, const char *key)
{
    char *v = tc_line_value(tc_stdout(r), key);
    ck_assert_msg(v, "no %s line in:\n%s\n%s", key, tc_stdout(r), tc_stderr(r));
    char *end;
    long n = strtol(v, &end, 10);
    ck_assert_msg(end != v && (*end == '\0' || *end == '.'), "%s is '%s'", key, v);
    free(v);
    return n;
}

static char *host_text(const char *path)
{
    char *t = tc_read_file(path);
    ck_assert_ptr_nonnull(t);
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
        t[--n] = '\0';
    return t;
}

/* The paths Docker and runc mask, and the others that describe the host. */
static const char *const masked_paths[] = {
    "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/latency_stats", "/proc/kallsyms", "/proc/cmdline", "/proc/config.gz",
    "/proc/interrupts", "/proc/softirqs", "/proc/schedstat", "/proc/slabinfo",
    "/proc/zoneinfo", "/proc/buddyinfo", "/proc/iomem", "/proc/modules", "/proc/acpi",
    "/proc/scsi", "/proc/asound", "/proc/pressure", "/proc/vmstat", "/proc/locks",
    "/sys/firmware", "/sys/devices/virtual/powercap",
};

/* What code inside learns of the host and of another live session from
 * /proc and /sys: no device or I/O of other sessions, not the host's boot
 * id, command line, memory or processors: the sandbox's own memory limit
 * and CPU quota, which os.cpu_count(), nproc, OpenBLAS and node size
 * themselves by; no state dir path in mountinfo; masked paths empty. */
START_TEST(host_view)
{
    const char *state = tc_state_dir();
    double t0 = tc_now_ms();
    /* a neighbour with its own workspace volume (a loop device on a root
     * host), alive while the probe looks */
    ci_session *other = tc_session_new(NULL);
    tc_assert_py(other, "open('/workspace/x', 'w').write('x' * 4096); print('ok')", "ok\n");
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_memory_limit(c, 512ull << 20), 0);
    ck_assert_int_eq(ci_config_set_cpu_limit(c, 1000), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);

    cpu_set_t set;
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    long host_cpus = CPU_COUNT(&set);
    /* the quota rounds up to one CPU; without a cgroup there is no quota */
    long want_cpus = ci_session_limits_mode(s) == CI_CGROUP_NONE ? host_cpus : 1;
    if (geteuid() == 0) {
        char *disk = host_text("/proc/diskstats");
        ck_assert_msg(strstr(disk, " loop"), "the host shows no loop device: the control fails");
        free(disk);
    }

    char *list = py_list(masked_paths, TC_LEN(masked_paths));
    char *prelude = tc_printf("STATE_DIR = '%s'\nMASKED = %s\n", state, list);
    free(list);
    ci_result *r = tc_run_probe(s, "host_view.py", prelude, NULL);
    free(prelude);
    tc_expect_probe_done(r);
    tc_expect_line(r, "DISKSTATS_LINES", "0");
    tc_expect_line(r, "DISKSTATS_LOOP", "0");
    tc_expect_line(r, "PARTITIONS_LOOP", "0");
    tc_expect_line(r, "CMDLINE", "(empty)");
    char *boot = tc_line_value(tc_stdout(r), "BOOT_ID");
    char *host_boot = host_text("/proc/sys/kernel/random/boot_id");
    ck_assert_ptr_nonnull(boot);
    ck_assert_msg(strlen(boot) == 36 && strcmp(boot, host_boot) != 0,
                  "boot id inside %s, host %s", boot, host_boot);
    free(boot);
    free(host_boot);
    ck_assert_int_eq(probe_number(r, "MEMTOTAL_KB"), 512 * 1024);
    long avail = probe_number(r, "MEMAVAIL_KB");
    ck_assert_msg(avail > 0 && avail <= 512 * 1024, "MemAvailable %ld kB", avail);
    static const char *const counts[] = {"CPU_COUNT", "AFFINITY", "NPROC", "NPROC_ALL",
                                         "STAT_CPUS", "CPUINFO_PROCESSORS"};
    for (size_t i = 0; i < TC_LEN(counts); i++)
        ck_assert_msg(probe_number(r, counts[i]) == want_cpus, "%s is not %ld:\n%s", counts[i],
                      want_cpus, tc_stdout(r));
    char *blas = tc_line_value(tc_stdout(r), "BLAS_THREADS");
    ck_assert_ptr_nonnull(blas);
    ck_assert_msg(strcmp(blas, "NA") == 0 || atol(blas) == want_cpus, "OpenBLAS runs %s threads",
                  blas);
    free(blas);
    /* the sandbox's clocks count from its start, not the host's boot */
    long alive_s = (long)((tc_now_ms() - t0) / 1000) + 60;
    ck_assert_int_le(probe_number(r, "UPTIME"), alive_s);
    ck_assert_int_le(probe_number(r, "BOOTTIME"), alive_s);
    tc_expect_line(r, "MOUNTINFO_STATE_DIR", "False");
    tc_expect_line(r, "MOUNTINFO_SESSIONS", "False");
    for (size_t i = 0; i < TC_LEN(masked_paths); i++) {
        char *key = tc_printf("MASKED %s", masked_paths[i]);
        tc_expect_one_of(r, key, "EMPTY|ABSENT");
        free(key);
    }
    tc_expect_line(r, "SYS_FILES", "/sys/devices/system/cpu/online "
                   "/sys/devices/system/cpu/possible /sys/devices/system/cpu/present");
    ci_result_free(r);

    /* meminfo follows what the sandbox holds, uptime goes on: both are
     * rewritten when an execution starts */
    tc_assert_py(s, "import time; hold = bytearray(160 << 20); time.sleep(1.2); print('held')",
                 "held\n");
    r = tc_exec_ok(s,
                   "import time\n"
                   "m = {l.split(':')[0]: int(l.split()[1]) for l in open('/proc/meminfo')}\n"
                   "print('AVAIL', m['MemAvailable'])\n"
                   "print('UPTIME', open('/proc/uptime').read().split()[0])\n",
                   NULL);
    long avail2 = probe_number(r, "AVAIL");
    ck_assert_msg(avail2 <= avail - 100 * 1024, "MemAvailable %ld kB with 160 MiB held, %ld before",
                  avail2, avail);
    ck_assert_int_ge(probe_number(r, "UPTIME"), 1);
    ci_result_free(r);

    /* node sizes itself the same way */
    ci_exec_options *o = tc_js_options();
    r = tc_exec_ok(s,
                   "const os = require('os');\n"
                   "console.log('CPUS ' + os.cpus().length);\n"
                   "console.log('PARALLEL ' + os.availableParallelism());\n"
                   "console.log('TOTALMEM ' + os.totalmem());\n",
                   o);
    ci_exec_options_free(o);
    ck_assert_int_eq(probe_number(r, "CPUS"), want_cpus);
    ck_assert_int_eq(probe_number(r, "PARALLEL"), want_cpus);
    ck_assert_int_eq(probe_number(r, "TOTALMEM"), 512l << 20);
    ci_result_free(r);
    ci_session_destroy(s);
    ci_session_destroy(other);
}
END_TEST

static Suite *isolation_suite(void)
{
    Suite *s = suite_create("isolation");
    TCase *tc;

    tc = tcase_create("filesystem");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, host_files_unreachable);
    tcase_add_test(tc, readonly_binds);
    tcase_add_test(tc, escapes_stay_inside);
    tcase_add_test(tc, js_filesystem);
    suite_add_tcase(s, tc);

    tc = tcase_create("privileges");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, privileges_dropped);
    suite_add_tcase(s, tc);

    tc = tcase_create("environment");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, env_not_inherited);
    tcase_add_test(tc, fds_not_inherited);
    suite_add_tcase(s, tc);

    tc = tcase_create("javascript");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, javascript_baseline);
    suite_add_tcase(s, tc);

    tc = tcase_create("sessions");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, sessions_isolated);
    tcase_add_test(tc, sessions_cannot_signal_each_other);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostinfo");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, host_view);
    suite_add_tcase(s, tc);

    tc = tcase_create("shell");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shell_host_files);
    tcase_add_test(tc, shell_privileges);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(isolation_suite());
}
