# The sandbox's init, /proc and kernel tunables (run inside the sandbox).
# Each line: "<name> <verdict>".
import errno
import os
import signal
import time


def why(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def attempt(name, fn):
    try:
        r = fn()
        print(name, 'ALLOWED', '' if r is None else r, flush=True)
    except OSError as e:
        print(name, why(e), flush=True)


def init_state():
    with open('/proc/1/stat') as f:
        return f.read().rsplit(')', 1)[1].split()[0]


# signals to the init: pid 1 of a namespace ignores what it does not handle
for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP, signal.SIGSEGV, signal.SIGINT,
            signal.SIGHUP, signal.SIGUSR1, signal.SIGCHLD, signal.SIGPIPE):
    attempt('kill1 ' + signal.Signals(sig).name, lambda s=sig: os.kill(1, s))
time.sleep(0.3)
print('INIT_STATE', init_state())


# the init's insides: it is not dumpable, so nothing of it is readable
def peek(path):
    if os.path.islink(path):
        return os.readlink(path)
    if os.path.isdir(path):
        return len(os.listdir(path))
    with open(path, 'rb') as f:
        return len(f.read(64))


for name in ('mem', 'environ', 'maps', 'map_files', 'fd', 'fdinfo', 'cwd', 'root', 'exe',
             'auxv', 'stack', 'syscall', 'pagemap', 'timers', 'io', 'personality'):
    attempt('proc1 ' + name, lambda p='/proc/1/' + name: peek(p))
attempt('proc1 mem write', lambda: open('/proc/1/mem', 'r+b').close())
attempt('proc1 oom_score_adj', lambda: open('/proc/1/oom_score_adj', 'w').write('1000'))

# kernel keyrings of anybody else
try:
    with open('/proc/keys') as f:
        print('KEYS', len(f.read().splitlines()))
except OSError as e:
    print('KEYS', why(e))

# tunables: /proc/sys is a read-only bind, and nothing there is ours anyway
for p in ('kernel/modprobe', 'kernel/core_pattern', 'kernel/sysrq', 'kernel/hostname',
          'kernel/ns_last_pid', 'vm/drop_caches', 'vm/overcommit_memory',
          'fs/protected_symlinks', 'user/max_user_namespaces', 'net/ipv4/ip_forward',
          'net/core/somaxconn', 'net/ipv4/ping_group_range'):
    def write(path='/proc/sys/' + p):
        with open(path, 'w') as f:
            f.write('1\n')
    attempt('sysctl ' + p, write)
with open('/proc/self/oom_score_adj') as f:
    print('OOM_SCORE_ADJ', f.read().strip())
def lower_oom_score():
    with open('/proc/self/oom_score_adj', 'w') as f:
        f.write('-1000')
attempt('oom_score_adj_lower', lower_oom_score)
# /sys holds only the generated CPU count files, not the host's sysfs
print('SYS_PRESENT', os.path.exists('/sys/kernel') or os.path.exists('/sys/firmware'))
print('INIT_STATE_END', init_state())
print('DONE')
