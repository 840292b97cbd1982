# What the sandbox learns of the host and of other sessions through /proc
# and /sys (run inside the sandbox). The prelude sets STATE_DIR (the host's
# state dir) and MASKED (paths that must read as empty or be absent).
import errno
import os
import subprocess
import time


def first(path):
    with open(path, 'rb') as f:
        return f.read()


def lines(path):
    try:
        return first(path).decode(errors='replace').splitlines()
    except OSError as e:
        return ['ERROR ' + errno.errorcode.get(e.errno, str(e.errno))]


disk = lines('/proc/diskstats')
print('DISKSTATS_LINES', len(disk))
print('DISKSTATS_LOOP', sum(1 for l in disk if ' loop' in l))
print('PARTITIONS_LOOP', sum(1 for l in lines('/proc/partitions') if 'loop' in l))
print('CMDLINE', first('/proc/cmdline').decode(errors='replace').strip() or '(empty)')
print('BOOT_ID', first('/proc/sys/kernel/random/boot_id').decode().strip())

mem = {l.split(':')[0]: int(l.split()[1]) for l in lines('/proc/meminfo') if 'kB' in l}
print('MEMTOTAL_KB', mem.get('MemTotal'))
print('MEMAVAIL_KB', mem.get('MemAvailable'))

print('CPU_COUNT', os.cpu_count())
print('AFFINITY', len(os.sched_getaffinity(0)))


def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True).stdout.strip()


print('NPROC', run('nproc'))
print('NPROC_ALL', run('nproc', '--all'))
print('STAT_CPUS', sum(1 for l in lines('/proc/stat') if l[:3] == 'cpu' and l[3:4].isdigit()))
print('CPUINFO_PROCESSORS', sum(1 for l in lines('/proc/cpuinfo') if l.startswith('processor')))
try:
    import numpy  # noqa: F401  (loads OpenBLAS)
    from threadpoolctl import threadpool_info
    blas = [i['num_threads'] for i in threadpool_info() if i.get('user_api') == 'blas']
    print('BLAS_THREADS', blas[0] if blas else 'NA')
except ImportError:
    print('BLAS_THREADS', 'NA')

print('UPTIME', first('/proc/uptime').split()[0].decode())
print('BOOTTIME', int(time.clock_gettime(time.CLOCK_BOOTTIME)))

with open('/proc/self/mountinfo') as f:
    info = f.read()
print('MOUNTINFO_STATE_DIR', STATE_DIR in info)
print('MOUNTINFO_SESSIONS', '/sessions/' in info)

for path in MASKED:
    try:
        if os.path.isdir(path):
            n = len(os.listdir(path))
        else:
            n = len(first(path))
        print('MASKED', path, 'EMPTY' if n == 0 else 'DATA %d' % n)
    except OSError as e:
        print('MASKED', path, 'ABSENT' if e.errno == errno.ENOENT else
              errno.errorcode.get(e.errno, str(e.errno)))

sys_tree = []
for root, dirs, files in os.walk('/sys'):
    sys_tree += [os.path.join(root, f) for f in files]
print('SYS_FILES', ' '.join(sorted(sys_tree)))
print('DONE')
