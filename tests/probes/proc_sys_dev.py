# /proc, /sys and /dev probe (run inside the sandbox).
import errno
import os
import stat


def attempt(name, fn):
    try:
        r = fn()
        print(name, 'ALLOWED', r if r is not None else '')
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, str(e.errno)))


pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
print('PIDS', ' '.join(map(str, pids)))
with open('/proc/1/cmdline', 'rb') as f:
    cmd = f.read().replace(b'\0', b' ').decode(errors='replace').strip()
print('PID1', cmd or '(empty)')
print('PPID', os.getppid())


def write(path, data):
    with open(path, 'w') as f:
        f.write(data)


def read(path, n=16):
    with open(path, 'rb') as f:
        return len(f.read(n))


attempt('kcore', lambda: read('/proc/kcore'))
attempt('sysrq_trigger', lambda: write('/proc/sysrq-trigger', 'h'))
attempt('sys_hostname', lambda: write('/proc/sys/kernel/hostname', 'evil'))
attempt('core_pattern', lambda: write('/proc/sys/kernel/core_pattern', '|/tmp/x'))
attempt('sys_firmware', lambda: len(os.listdir('/sys/firmware')))

try:
    nonzero = 0
    with open('/proc/kallsyms') as f:
        for line in f:
            if line.split(' ', 1)[0].strip('0'):
                nonzero += 1
    print('KALLSYMS_NONZERO', nonzero)
except OSError as e:
    print('KALLSYMS_NONZERO', 0)

entries = sorted(os.listdir('/dev'))
print('DEV', ' '.join(entries))
for name in ('null', 'zero', 'full', 'random', 'urandom'):
    st = os.stat('/dev/' + name)
    print('CHR', name, stat.S_ISCHR(st.st_mode))
with open('/dev/urandom', 'rb') as f:
    print('URANDOM', len(f.read(16)))
attempt('dev_full', lambda: write('/dev/full', 'x'))
for d in ('/workspace', '/tmp'):
    attempt('mknod ' + d, lambda: os.mknod(d + '/ci_null', stat.S_IFCHR | 0o666,
                                           os.makedev(1, 3)))
print('DONE')
