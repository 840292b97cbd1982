# Filesystem escapes beyond host_files.py and proc_sys_dev.py (run inside
# the sandbox). The prelude sets STATE_DIR (the host's state dir) and TOKEN
# (the session's host-side id). Each line: "<name> <verdict>".
import errno
import os
import shutil
import subprocess


def why(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def attempt(name, fn):
    try:
        r = fn()
        print(name, 'ALLOWED', '' if r is None else r, flush=True)
    except OSError as e:
        print(name, why(e), flush=True)


def mounts():
    with open('/proc/self/mountinfo') as f:
        return sorted(' '.join(line.split()[3:6]) for line in f)


before = mounts()
top = sorted(os.listdir('/'))

# the classic chroot escape: chroot into a subfolder, then climb out
os.makedirs('/tmp/jail/inner', exist_ok=True)
attempt('chroot_jail', lambda: os.chroot('/tmp/jail'))
os.chdir('/tmp/jail/inner')
for _ in range(64):
    os.chdir('..')
attempt('chroot_dot', lambda: os.chroot('.'))
for _ in range(64):
    os.chdir('..')
print('CWD', os.getcwd())
print('ESCAPED', sorted(os.listdir('.')) != top)
os.chdir('/workspace')

# the same through the system's tools, and nested sandboxes
tools = {
    'chroot_bin': ['chroot', '/tmp/jail', '/bin/true'],
    'mount_bin': ['mount', '-t', 'tmpfs', 'none', '/tmp/jail'],
    'bind_bin': ['mount', '--bind', '/', '/tmp/jail'],
    'umount_bin': ['umount', '-l', '/workspace'],
    'remount_bin': ['mount', '-o', 'remount,rw', '/usr'],
    'unshare_bin': ['unshare', '-rm', 'true'],
    'nsenter_bin': ['nsenter', '-t', '1', '-m', '-U', 'true'],
    'bwrap_bin': ['bwrap', '--ro-bind', '/', '/', '--unshare-all', 'true'],
}
for name, argv in tools.items():
    if not shutil.which(argv[0]):
        print(name, 'ABSENT')
        continue
    p = subprocess.run(argv, capture_output=True, timeout=30)
    print(name, 'ALLOWED' if p.returncode == 0 else 'FAILED')
print('MOUNTS_CHANGED', mounts() != before)
print('TOP_CHANGED', sorted(os.listdir('/')) != top)

# hard links to files of the read-only system, renaming mount points
attempt('link_usr', lambda: os.link(os.path.realpath('/usr/bin/env'), '/workspace/env_link'))
attempt('link_etc', lambda: os.link('/etc/nsswitch.conf', '/tmp/nss_link'))
attempt('rename_ws', lambda: os.rename('/workspace', '/tmp/ws'))
attempt('rmdir_output', lambda: os.rmdir('/output'))

# every writable place is nosuid and nodev
with open('/proc/self/mountinfo') as f:
    for line in f:
        parts = line.split()
        if parts[4] in ('/workspace', '/output', '/tmp', '/dev/shm', '/data', '/'):
            opts = parts[5].split(',')
            print('FLAGS', parts[4], 'nosuid' in opts and 'nodev' in opts)

# the host's layout stays out of view
with open('/proc/self/mountinfo') as f:
    info = f.read()
print('STATE_DIR_VISIBLE', STATE_DIR in info)
print('ID_VISIBLE', TOKEN in info)

# a setuid copy is inert
shutil.copy('/usr/bin/id', '/workspace/id_suid')
os.chmod('/workspace/id_suid', 0o4755)
print('SUID_SET', bool(os.stat('/workspace/id_suid').st_mode & 0o4000))
p = subprocess.run(['/workspace/id_suid', '-u'], capture_output=True)
print('SUID_EUID', p.stdout.decode().strip())
print('DONE')
