/* SPDX-License-Identifier: MIT */
/*
 * What a forged reply frame costs the host (issue 15): sandboxed code
 * writes frames on its kernel's control channel, and this program reports
 * the host process's peak resident memory (VmHWM) before and after. Each
 * scenario runs in a child process of its own, so one peak does not hide
 * the next. The baseline is an ordinary execution in the same run.
 *
 *   baseline         print(1)
 *   py-32mib         a 32 MiB frame of [0,0,0,...] on the Python kernel's fd 512
 *   py-32mib-nonce   the same, as a reply carrying this request's id and nonce
 *                    (the cell takes them from the kernel's frames)
 *   py-1mib-values   a control frame just under 1 MiB of [0,0,...], id and nonce right
 *   py-displays      a reply with id and nonce right announcing two 8 MiB PNG displays
 *   js-32mib         a 32 MiB frame of [0,0,0,...] on the Node kernel's fd 3
 *
 * Usage: frame_attack [SCENARIO...]   (all by default; from the build tree
 * with CODEINTERP_HELPER, CODEINTERP_KERNEL_DIR, CODEINTERP_STATE_DIR and
 * CODEINTERP_RUNTIME_DIR set). It builds against the public header only,
 * so the same source measures an older library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <codeinterp/codeinterp.h>

/* Finds the kernel's current request in its frames, and writes frames. */
#define PY_PRELUDE                                                                  \
    "import json, os, struct, sys, time\n"                                          \
    "def request():\n"                                                              \
    "    f = sys._getframe()\n"                                                     \
    "    while f is not None:\n"                                                    \
    "        r = f.f_locals.get('request')\n"                                       \
    "        if isinstance(r, dict) and 'op' in r:\n"                               \
    "            return r\n"                                                        \
    "        f = f.f_back\n"                                                        \
    "    return {}\n"                                                               \
    "def frame(data):\n"                                                            \
    "    return struct.pack('>I', len(data)) + data\n"                              \
    "def send(data):\n"                                                             \
    "    view = memoryview(data)\n"                                                 \
    "    while view:\n"                                                             \
    "        view = view[os.write(512, view):]\n"                                   \
    "req = request()\n"                                                             \
    "head = '{\"id\":%s,\"nonce\":%s,\"status\":\"ok\",' % (json.dumps(req.get('id')), " \
    "json.dumps(req.get('nonce')))\n"

static const struct scenario {
    const char *name;
    ci_language language;
    const char *code;
} scenarios[] = {
    { "baseline", CI_LANGUAGE_PYTHON, "print(1)" },
    { "py-32mib", CI_LANGUAGE_PYTHON,
      PY_PRELUDE "send(frame(b'[' + b'0,' * ((16 << 20) - 1) + b'0]'))\ntime.sleep(10)\n" },
    { "py-32mib-nonce", CI_LANGUAGE_PYTHON,
      PY_PRELUDE "body = head.encode() + b'\"x\":[' + b'0,' * ((16 << 20) - 32) + b'0]}'\n"
                 "send(frame(body))\ntime.sleep(10)\n" },
    { "py-1mib-values", CI_LANGUAGE_PYTHON,
      PY_PRELUDE "body = head.encode() + b'\"x\":[' + b'0,' * ((1 << 19) - 128) + b'0]}'\n"
                 "send(frame(body))\ntime.sleep(10)\n" },
    { "py-displays", CI_LANGUAGE_PYTHON,
      PY_PRELUDE "n = 8 << 20\n"
                 "png = b'\\x89PNG\\r\\n\\x1a\\n' + b'\\0' * (n - 8)\n"
                 "body = head + '\"displays\":[{\"mime_type\":\"image/png\",\"len\":%d},"
                 "{\"mime_type\":\"image/png\",\"len\":%d}]}' % (n, n)\n"
                 "send(frame(body.encode()) + frame(png) + frame(png))\ntime.sleep(10)\n" },
    { "js-32mib", CI_LANGUAGE_JAVASCRIPT,
      "const fs = require('fs');\n"
      "const n = 32 << 20;\n"
      "const b = Buffer.alloc(4 + n, '0,');\n"
      "b.writeUInt32BE(n, 0); b[4] = 0x5b; b[4 + n - 1] = 0x5d; b[4 + n - 2] = 0x30;\n"
      "for (let off = 0; off < b.length;) off += fs.writeSync(3, b, off);\n"
      "await new Promise((ok) => setTimeout(ok, 10000));\n" },
};

static long vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static int run(const struct scenario *sc)
{
    ci_session *s = NULL;
    if (ci_session_create(NULL, &s) < 0) {
        fprintf(stderr, "frame_attack: ci_session_create: %s\n", ci_last_error());
        return 1;
    }
    ci_exec_options *o = NULL;
    if (ci_exec_options_new(&o) < 0)
        return 1;
    ci_exec_options_set_language(o, sc->language);
    ci_exec_options_set_timeout_ms(o, 60000);
    /* start the interpreter first: its start-up is not the frame's cost */
    ci_result *r = NULL;
    if (ci_execute(s, "1", o, &r) < 0) {
        fprintf(stderr, "frame_attack: warm-up: %s\n", ci_session_last_error(s));
        return 1;
    }
    ci_result_free(r);
    long before = vm_hwm_kib();
    r = NULL;
    int rc = ci_execute(s, sc->code, o, &r);
    long after = vm_hwm_kib();
    if (rc < 0) {
        fprintf(stderr, "frame_attack: %s: %s\n", sc->name, ci_session_last_error(s));
        return 1;
    }
    const char *err = ci_result_error_value(r);
    printf("%-15s VmHWM before %7ld KiB  after %7ld KiB  growth %7ld KiB  status %-13s "
           "%.1f ms  displays %zu  %s\n",
           sc->name, before, after, after - before, ci_status_name(ci_result_status(r)),
           ci_result_wall_ms(r), ci_result_display_count(r), err ? err : "");
    fflush(stdout);
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        int wanted = argc < 2;
        for (int a = 1; a < argc; a++)
            wanted |= !strcmp(argv[a], scenarios[i].name);
        if (!wanted)
            continue;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(run(&scenarios[i]));
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            printf("%-15s failed (wait status %d)\n", scenarios[i].name, status);
            failed = 1;
        }
    }
    return failed;
}
