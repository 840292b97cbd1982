/* SPDX-License-Identifier: MIT */
/*
 * Resource limits and metering: the per-sandbox cgroup (limits written,
 * gone after destroy), OOM reporting, CPU time and peak memory within
 * tolerance, and the cgroup v1/v2 code against scratch directories laid out
 * like cgroupfs (so the v2 path is exercised on a host without a writable
 * v2 controller); the sizes of /tmp, of a file and of the workspace, and
 * the output limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "sandbox/cgroup.h"
#include "test_common.h"

/* The cgroup's share of a configuration, as the session hands it over. */
static struct ci_sandbox_params cgroup_params(const ci_config *c)
{
    return (struct ci_sandbox_params){
        .memory_limit = c->memory_limit,
        .max_processes = c->max_processes,
        .cpu_millis = c->cpu_millis,
        .cgroup_mode = c->cgroup_mode,
        .cgroup_parent = c->cgroup_parent,
    };
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void touch(const char *dir, const char *name, const char *content)
{
    char *p = tc_printf("%s/%s", dir, name);
    tc_write_file(p, content, 0644);
    free(p);
}

static void assert_file(const char *dir, const char *name, const char *want)
{
    char *p = tc_printf("%s/%s", dir, name);
    char *got = slurp(p);
    ck_assert_msg(got != NULL, "%s missing", p);
    ck_assert_str_eq(got, want);
    free(got);
    free(p);
}

START_TEST(v2_scratch_layout)
{
    char *root = tc_make_temp_dir("cg2");
    char *mountinfo = tc_printf("41 31 0:38 / %s rw,relatime - cgroup2 cgroup2 rw\n", root);
    touch(root, "cgroup.controllers", "cpuset cpu io memory pids\n");
    touch(root, "cgroup.subtree_control", "");
    /* cgroupfs creates a new group's files itself; a scratch dir cannot */
    char *dir = tc_printf("%s/sub/codeinterp-abc", root);
    char *sub = tc_printf("%s/sub", root);
    mkdir(sub, 0755);
    touch(sub, "cgroup.controllers", "cpu memory pids\n");
    touch(sub, "cgroup.subtree_control", "");
    mkdir(dir, 0755);
    const char *files[] = { "memory.max", "memory.swap.max", "pids.max", "cpu.max", "cgroup.procs",
                            "cgroup.kill" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        touch(dir, files[i], "");
    touch(dir, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
    touch(dir, "memory.peak", "123456789\n");
    touch(dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n");

    ci_config *cfg = tc_config_new();
    /* the parent of the scratch layout, whatever CODEINTERP_TEST_CGROUP_PARENT says */
    ck_assert_int_eq(ci_config_set_cgroup_parent(cfg, NULL), CI_OK);
    ck_assert_int_eq(ci_config_set_memory_limit(cfg, 256ull << 20), CI_OK);
    ck_assert_int_eq(ci_config_set_max_processes(cfg, 77), CI_OK);
    ck_assert_int_eq(ci_config_set_cpu_limit(cfg, 1500), CI_OK);
    ck_assert_int_eq(ci_config_set_cgroup_mode(cfg, CI_CGROUP_V2), CI_OK);
    struct ci_cgroup cg;
    char err[512] = "";
    /* the process's own cgroup is /sub below the mount */
    struct ci_sandbox_params cgp = cgroup_params(cfg);
    int r = ci_cgroup_create(&cg, &cgp, "abc", "0::/sub\n", mountinfo, err, sizeof(err));
    ck_assert_msg(r == CI_OK, "create: %s", err);
    ck_assert_int_eq(cg.mode, CI_CGROUP_V2);
    ck_assert_str_eq(cg.dir[0], dir);
    assert_file(sub, "cgroup.subtree_control", "+memory +pids +cpu");
    assert_file(dir, "memory.max", "268435456");
    assert_file(dir, "memory.swap.max", "0");
    assert_file(dir, "pids.max", "77");
    assert_file(dir, "cpu.max", "150000 100000");
    ck_assert_int_eq(ci_cgroup_attach(&cg, 4242, err, sizeof(err)), CI_OK);
    assert_file(dir, "cgroup.procs", "4242");
    struct ci_cgroup_usage u;
    ck_assert_int_eq(ci_cgroup_usage(&cg, &u), CI_OK);
    ck_assert_uint_eq(u.cpu_ns, 1500000u);
    ck_assert_uint_eq(u.peak_bytes, 123456789u);
    ck_assert_uint_eq(u.oom_kills, 2u);
    ci_cgroup_kill(&cg);
    assert_file(dir, "cgroup.kill", "1");
    ci_cgroup_destroy(&cg);
    ci_config_free(cfg);
    tc_remove_tree(root);
    free(root); free(mountinfo); free(dir); free(sub);
}
END_TEST

START_TEST(v2_without_controllers_falls_back_or_refuses)
{
    char *root = tc_make_temp_dir("cg2none");
    char *mountinfo = tc_printf("41 31 0:38 / %s rw,relatime - cgroup2 cgroup2 rw\n", root);
    touch(root, "cgroup.controllers", "cpuset io\n");
    ci_config *cfg = tc_config_new();
    /* the parent of the scratch layout, whatever CODEINTERP_TEST_CGROUP_PARENT says */
    ck_assert_int_eq(ci_config_set_cgroup_parent(cfg, NULL), CI_OK);
    ci_config_set_cgroup_mode(cfg, CI_CGROUP_AUTO);
    struct ci_cgroup cg;
    char err[1024] = "";
    /* no v1 mount in this mountinfo either: refused, naming both */
    struct ci_sandbox_params cgp = cgroup_params(cfg);
    int r = ci_cgroup_create(&cg, &cgp, "x", "0::/\n", mountinfo, err, sizeof(err));
    ck_assert_int_eq(r, CI_ELIMIT);
    ck_assert_msg(strstr(err, "v2") && strstr(err, "v1") && strstr(err, "CI_CGROUP_NONE"),
                  "message: %s", err);
    ci_config_free(cfg);
    tc_remove_tree(root);
    free(root); free(mountinfo);
}
END_TEST

START_TEST(v1_scratch_layout)
{
    char *root = tc_make_temp_dir("cg1");
    const char *ctrls[] = { "memory", "pids", "cpu", "cpuacct", "freezer" };
    char *mountinfo = tc_printf("%s", "");
    for (int i = 0; i < 5; i++) {
        char *m = tc_printf("%s/%s", root, ctrls[i]);
        mkdir(m, 0755);
        char *leaf = tc_printf("%s/a", m);
        mkdir(leaf, 0755);
        char *cgdir = tc_printf("%s/codeinterp", leaf);
        mkdir(cgdir, 0755);
        char *sess = tc_printf("%s/s1", cgdir);
        mkdir(sess, 0755);
        char *line = tc_printf("%s3%d 31 0:3%d / %s rw - cgroup cgroup rw,%s\n", mountinfo, i, i, m, ctrls[i]);
        free(mountinfo);
        mountinfo = line;
        free(m); free(leaf); free(cgdir); free(sess);
    }
    char *mem = tc_printf("%s/memory/a/codeinterp/s1", root);
    char *pids = tc_printf("%s/pids/a/codeinterp/s1", root);
    char *cpu = tc_printf("%s/cpu/a/codeinterp/s1", root);
    touch(mem, "memory.limit_in_bytes", "");
    touch(mem, "memory.memsw.limit_in_bytes", "");
    touch(pids, "pids.max", "");
    touch(cpu, "cpu.cfs_period_us", "");
    touch(cpu, "cpu.cfs_quota_us", "");
    ci_config *cfg = tc_config_new();
    /* the parent of the scratch layout, whatever CODEINTERP_TEST_CGROUP_PARENT says */
    ck_assert_int_eq(ci_config_set_cgroup_parent(cfg, NULL), CI_OK);
    ci_config_set_memory_limit(cfg, 64ull << 20);
    ci_config_set_cgroup_mode(cfg, CI_CGROUP_V1);
    struct ci_cgroup cg;
    char err[512] = "";
    const char *self = "5:freezer:/a\n4:memory:/a\n3:cpuacct:/a\n2:cpu:/a\n1:pids:/a\n0::/\n";
    struct ci_sandbox_params cgp = cgroup_params(cfg);
    int r = ci_cgroup_create(&cg, &cgp, "s1", self, mountinfo, err, sizeof(err));
    ck_assert_msg(r == CI_OK, "create: %s", err);
    ck_assert_int_eq(cg.mode, CI_CGROUP_V1);
    ck_assert_str_eq(cg.dir[CG_MEMORY], mem);
    assert_file(mem, "memory.limit_in_bytes", "67108864");
    assert_file(mem, "memory.memsw.limit_in_bytes", "67108864");
    assert_file(pids, "pids.max", "512");
    assert_file(cpu, "cpu.cfs_quota_us", "200000");
    cg.mode = CI_CGROUP_NONE; /* no kill through a fake freezer */
    ci_cgroup_destroy(&cg);
    ci_config_free(cfg);
    tc_remove_tree(root);
    free(root); free(mountinfo); free(mem); free(pids); free(cpu);
}
END_TEST

START_TEST(real_cgroup_made_and_removed)
{
    ci_config *cfg = tc_config_new();
    ci_session *s = tc_session_new(cfg);
    ci_cgroup_mode mode = ci_session_limits_mode(s);
    ck_assert_msg(mode == CI_CGROUP_V1 || mode == CI_CGROUP_V2, "mode %d", mode);
    /* find our session's directory by its id under the memory hierarchy */
    char *cmd = tc_printf("find /sys/fs/cgroup -maxdepth 6 -type d -name '*%s' 2>/dev/null | wc -l",
                          ci_session_id(s));
    FILE *p = popen(cmd, "r");
    int before = -1;
    ck_assert(fscanf(p, "%d", &before) == 1);
    pclose(p);
    ck_assert_msg(before >= 1, "no cgroup directory named after the session");
    ci_session_destroy(s);
    p = popen(cmd, "r");
    int after = -1;
    ck_assert(fscanf(p, "%d", &after) == 1);
    pclose(p);
    ck_assert_int_eq(after, 0);
    free(cmd);
    ci_config_free(cfg);
}
END_TEST

START_TEST(memory_bomb_is_oom)
{
    ci_config *cfg = tc_config_new();
    ci_config_set_memory_limit(cfg, 256ull << 20);
    ci_session *s = tc_session_new(cfg);
    ci_result *res = tc_exec(s, "chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n", NULL);
    tc_assert_status(res, CI_STATUS_OOM);
    uint64_t peak = ci_result_peak_memory_bytes(res);
    ck_assert_msg(peak > (200ull << 20) && peak <= (256ull << 20) + (1 << 20),
                  "peak %llu not near the 256 MiB limit", (unsigned long long)peak);
    ci_result_free(res);
    /* the session goes on with a fresh interpreter */
    res = tc_exec_ok(s, "print('alive')", NULL);
    ck_assert_str_eq(tc_stdout(res), "alive\n");
    ci_result_free(res);
    ci_session_destroy(s);
    ci_config_free(cfg);
}
END_TEST

/* Node: objects on the V8 heap stop at the heap limit derived from the
 * session's memory limit; Buffers outside it at the cgroup's. Both are oom. */
START_TEST(node_memory_bombs_are_oom)
{
    static const char *const bombs[] = {
        "const a = []; while (true) a.push(new Array(100000).fill(1.5));",
        "const b = []; while (true) b.push(Buffer.alloc(16 << 20, 1));",
    };
    ci_config *cfg = tc_config_new();
    ci_config_set_memory_limit(cfg, 256ull << 20);
    ci_session *s = tc_session_new(cfg);
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_JAVASCRIPT), CI_OK);
    ci_result *res = tc_exec_ok(s, "require('v8').getHeapStatistics().heap_size_limit / 1048576", o);
    ck_assert_msg(atof(ci_result_value(res)) < 256, "V8 heap limit %s MiB ignores the 256 MiB limit",
                  ci_result_value(res));
    ci_result_free(res);
    for (size_t i = 0; i < 2; i++) {
        res = tc_exec(s, bombs[i], o);
        tc_assert_status(res, CI_STATUS_OOM);
        ci_result_free(res);
    }
    res = tc_exec_ok(s, "1 + 1", o);
    ck_assert_str_eq(ci_result_value(res), "2");
    ci_result_free(res);
    ci_exec_options_free(o);
    ci_session_destroy(s);
    ci_config_free(cfg);
}
END_TEST

/* numpy memory the code really touches is charged and stopped at the
 * limit, like the bytearray and Node bombs above. */
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

START_TEST(cpu_and_memory_metered)
{
    ci_session *s = tc_session_new(NULL);
    /* What an execution costs besides its code: a few ms natively, but
     * 0.5 to 3 s of CPU in a guest under TCG (scripts/test-vm), where each
     * new code path is translated first. The larger of two empty runs. */
    double overhead = 0;
    for (int i = 0; i < 2; i++) {
        ci_result *empty = tc_exec_ok(s, "import time\nt = time.process_time()\n", NULL);
        double ms = (double)ci_result_cpu_ms(empty);
        overhead = ms > overhead ? ms : overhead;
        ci_result_free(empty);
    }
    ci_result *res = tc_exec_ok(s, "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0: pass\n", NULL);
    double cpu = ci_result_cpu_ms(res);
    ck_assert_msg(cpu > 850 && cpu < 1150 + 2 * overhead,
                  "1 s of CPU reported as %.1f ms (an empty execution: %.1f ms)", cpu, overhead);
    ci_result_free(res);
    res = tc_exec_ok(s, "x = bytearray(200 * 1000 * 1000)\nx[::4096] = b'a' * len(x[::4096])\n", NULL);
    double peak = (double)ci_result_peak_memory_bytes(res);
    ck_assert_msg(peak > 0.85 * 200e6 && peak < 1.15 * 200e6 + 30e6,
                  "200 MB reported as %.0f bytes", peak);
    ci_result_free(res);
    /* threads in several processes are all charged */
    res = tc_exec_ok(s, "import multiprocessing as mp, time\n"
                        "def spin():\n    t = time.process_time()\n    while time.process_time() - t < 0.5: pass\n"
                        "ps = [mp.get_context('fork').Process(target=spin) for _ in range(2)]\n"
                        "[p.start() for p in ps]; [p.join() for p in ps]\n", NULL);
    cpu = ci_result_cpu_ms(res);
    ck_assert_msg(cpu > 850, "two 0.5 s children reported as %.1f ms", cpu);
    ci_result_free(res);
    /* threads of one process, hashing outside the GIL: the cgroup charges
     * what the process's own clock (all its threads) counted */
    res = tc_exec_ok(s, "import hashlib, threading, time\n"
                        "buf = bytes(64 << 20)\n"
                        "def work():\n"
                        "    for _ in range(6): hashlib.sha256(buf).digest()\n"
                        "ts = [threading.Thread(target=work) for _ in range(2)]\n"
                        "t0 = time.process_time()\n"
                        "[t.start() for t in ts]; [t.join() for t in ts]\n"
                        "print(time.process_time() - t0)\n", NULL);
    double threads_ms = atof(tc_stdout(res)) * 1000.0;
    cpu = ci_result_cpu_ms(res);
    ck_assert_msg(threads_ms > 200, "the threads did too little work (%.1f ms)", threads_ms);
    ck_assert_msg(cpu >= 0.85 * threads_ms, "threads used %.1f ms CPU, the cgroup charged %.1f ms",
                  threads_ms, cpu);
    ck_assert(ci_result_limits_mode(res) == CI_CGROUP_V1 || ci_result_limits_mode(res) == CI_CGROUP_V2);
    ci_result_free(res);
    ci_usage *u = NULL;
    ck_assert_int_eq(ci_session_usage(s, &u), CI_OK);
    ck_assert_uint_ge(ci_usage_cpu_ms(u), 1800);
    ck_assert_uint_ge(ci_usage_peak_memory_bytes(u), 170000000u);
    ck_assert_uint_ge(ci_usage_cpu_seconds(u), 2);
    ck_assert(ci_usage_gb_seconds(u) > 0);
    ci_usage_free(u);
    ci_session_destroy(s);
}
END_TEST

/* A small open-files limit still leaves room for the kernels' own
 * descriptors, and is what the code sees. */
START_TEST(small_open_files_limit)
{
    ci_config *cfg = tc_config_new();
    ck_assert_int_eq(ci_config_set_max_open_files(cfg, 32), CI_OK);
    ci_session *s = tc_session_new(cfg);
    ci_result *res = tc_exec_ok(s, "import resource; print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])", NULL);
    ck_assert_str_eq(tc_stdout(res), "32\n");
    ci_result_free(res);
    ci_exec_options *o = tc_options_new(0);
    ci_exec_options_set_language(o, CI_LANGUAGE_JAVASCRIPT);
    res = tc_exec_ok(s, "6 * 7", o);
    ck_assert_str_eq(ci_result_value(res), "42");
    ci_result_free(res);
    ci_exec_options_free(o);
    ci_session_destroy(s);
    ci_config_free(cfg);
}
END_TEST

START_TEST(rlimit_only_mode_when_accepted)
{
    ci_config *cfg = tc_config_new();
    ci_config_set_cgroup_mode(cfg, CI_CGROUP_NONE);
    ci_config_set_memory_limit(cfg, 256ull << 20);
    ci_session *s = tc_session_new(cfg);
    ck_assert_int_eq(ci_session_limits_mode(s), CI_CGROUP_NONE);
    ci_result *res = tc_exec(s, "x = bytearray(512 << 20)", NULL);
    tc_assert_status(res, CI_STATUS_ERROR);
    ck_assert_str_eq(ci_result_error_name(res), "MemoryError");
    ck_assert(ci_result_cpu_ms(res) < 0);
    ci_result_free(res);
    ci_session_destroy(s);
    ci_config_free(cfg);
}
END_TEST

/* Python: fill(path, total) writes up to `total` bytes, returns (verdict,
 * bytes written). */
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

/* /tmp's size and the largest file (RLIMIT_FSIZE) are kept inside. */
START_TEST(filesystem_limits)
{
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
}
END_TEST

/* The workspace's own cap (root hosts: a loop-mounted image). */
START_TEST(workspace_cap)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_workspace_size(c, 32u << 20), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    char *code = tc_printf("%s"
                           "v, n = fill('/workspace/fill', 128 << 20)\n"
                           "print('WS', v)\nprint('WS_MIB', n >> 20)\n"
                           "os.unlink('/workspace/fill')\n"
                           "v, n = fill('/workspace/again', 8 << 20)\n"
                           "print('AGAIN', v)\n",
                           fill);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    tc_expect_line(r, "WS", "ENOSPC");
    char *mib = tc_line_value(tc_stdout(r), "WS_MIB");
    ck_assert_ptr_nonnull(mib);
    ck_assert_msg(atoi(mib) >= 16 && atoi(mib) <= 32, "/workspace took %s MiB, cap 32 MiB",
                  mib);
    free(mib);
    tc_expect_line(r, "AGAIN", "ALLOWED"); /* the space comes back */
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* Output beyond the output limit is dropped as it comes: the host's memory
 * does not grow with it. */
START_TEST(huge_output_bounded)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_output_limit(c, 1u << 20), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    long before = tc_self_status_kib("VmHWM:");
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
    long grew = tc_self_status_kib("VmHWM:") - before;
    ck_assert_msg(grew < 64 * 1024, "the host process grew by %ld KiB for 512 MiB of output",
                  grew);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* Disk blocks the session's volume image takes on the host, in MiB. */
static double image_mib(const char *state, const char *id)
{
    char *img = tc_printf("%s/sessions/%s.img", state, id);
    struct stat st;
    double mib = stat(img, &st) == 0 ? (double)st.st_blocks * 512.0 / 1048576.0 : -1;
    free(img);
    return mib;
}

/* Filling /workspace and /tmp stops at their caps with ENOSPC inside; the
 * host's disk gives the volume at most its cap, and gets it back. */
START_TEST(disk_fill_stops_at_the_caps)
{
    const char *state = getenv("CODEINTERP_STATE_DIR");
    ck_assert_ptr_nonnull(state);
    ci_config *cfg = tc_config_new();
    ck_assert_int_eq(ci_config_set_workspace_size(cfg, 32ull << 20), CI_OK);
    ck_assert_int_eq(ci_config_set_tmp_size(cfg, 16ull << 20), CI_OK);
    ci_session *s = tc_session_new(cfg);
    char *id = strdup(ci_session_id(s));
    ck_assert_msg(image_mib(state, id) >= 0, "no volume image for the session");
    ci_result *res = tc_exec_ok(s,
        "import errno, shutil\n"
        "def fill(path):\n"
        "    n = 0\n"
        "    try:\n"
        "        with open(path, 'wb') as f:\n"
        "            while n < (512 << 20):\n"
        "                f.write(b'x' * (1 << 20)); f.flush(); n += 1 << 20\n"
        "    except OSError as e:\n"
        "        return (n >> 20, errno.errorcode[e.errno])\n"
        "    return (n >> 20, 'no error')\n"
        "print(fill('/workspace/fill'), fill('/tmp/fill'), shutil.disk_usage('/workspace').total >> 20)\n",
        NULL);
    int ws_mib = -1, tmp_mib = -1, total = -1;
    char ws_err[32] = "", tmp_err[32] = "";
    ck_assert_msg(sscanf(tc_stdout(res), "(%d, '%31[^']') (%d, '%31[^']') %d", &ws_mib, ws_err,
                         &tmp_mib, tmp_err, &total) == 5, "output: %s", tc_stdout(res));
    ck_assert_str_eq(ws_err, "ENOSPC");
    ck_assert_str_eq(tmp_err, "ENOSPC");
    ck_assert_msg(ws_mib >= 20 && ws_mib <= 32, "workspace took %d MiB", ws_mib);
    ck_assert_msg(tmp_mib >= 12 && tmp_mib <= 16, "/tmp took %d MiB", tmp_mib);
    ck_assert_int_le(total, 32);
    ci_result_free(res);
    /* /tmp is memory, so only the image counts on the host's disk (the
     * loop device may still be writing back, so only the bound holds) */
    double used = image_mib(state, id);
    ck_assert_msg(used <= 32 + 1, "the volume image holds %.1f MiB on the host for a 32 MiB cap",
                  used);
    ci_session_destroy(s);
    ck_assert_msg(image_mib(state, id) < 0, "the volume image outlived its session");
    free(id);
    ci_config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("limits");
    TCase *scratch = tcase_create("scratch");
    tcase_add_test(scratch, v2_scratch_layout);
    tcase_add_test(scratch, v2_without_controllers_falls_back_or_refuses);
    tcase_add_test(scratch, v1_scratch_layout);
    suite_add_tcase(suite, scratch);
    TCase *real = tcase_create("real");
    tcase_set_timeout(real, 120);
    tcase_add_test(real, real_cgroup_made_and_removed);
    tcase_add_test(real, memory_bomb_is_oom);
    tcase_add_test(real, node_memory_bombs_are_oom);
    tcase_add_test(real, numpy_memory_bomb);
    tcase_add_test(real, cpu_and_memory_metered);
    tcase_add_test(real, rlimit_only_mode_when_accepted);
    tcase_add_test(real, small_open_files_limit);
    suite_add_tcase(suite, real);
    TCase *fs = tcase_create("filesystem");
    tcase_set_timeout(fs, 180);
    tcase_add_test(fs, filesystem_limits);
    suite_add_tcase(suite, fs);
    if (tc_case_can_run("workspace_cap", geteuid() == 0,
                        "a capped workspace is a loop-mounted image, which needs root")) {
        TCase *cap = tcase_create("workspace_cap");
        tcase_set_timeout(cap, 180);
        tcase_add_test(cap, workspace_cap);
        suite_add_tcase(suite, cap);
    }
    TCase *output = tcase_create("output");
    tcase_set_timeout(output, 180);
    tcase_add_test(output, huge_output_bounded);
    suite_add_tcase(suite, output);
    TCase *disk = tcase_create("disk");
    tcase_set_timeout(disk, 120);
    tcase_add_test(disk, disk_fill_stops_at_the_caps);
    suite_add_tcase(suite, disk);
    tc_require_runtime();
    return tc_run_suite(suite);
}
