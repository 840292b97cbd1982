# Seccomp beyond seccomp_denied.py (run inside the sandbox): the rest of the
# refused calls, keyrings through libc, the x32 and i386 numbers of denied
# calls, a second notification listener (which would let a process answer
# its own denied calls), an executable from a memfd, and the allow-list as
# such: calls it does not name are refused, including numbers above the
# reviewed table, and the argument-checked calls run in their harmless
# forms only. Each line: "<name> <ERRNO>|ALLOWED|...".
import ctypes
import errno
import fcntl
import os
import socket
import struct
import subprocess
import termios
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def _arg(a):
    if a is None:
        return ctypes.c_void_p(0)
    if isinstance(a, bytes):
        return ctypes.c_char_p(a)
    if isinstance(a, int):
        return ctypes.c_long(a)
    return a


def probe(name, nr, *args):
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(nr), *[_arg(a) for a in args])
    err = ctypes.get_errno()
    print(name, 'ALLOWED' if rc >= 0 else errno.errorcode.get(err, str(err)), flush=True)
    return rc


with open('/proc/self/mountinfo') as f:
    mounts_before = f.read()
AT_FDCWD = -100
X32 = 0x40000000

# the rest of the deny-list; arguments that would succeed without the filter
buf = ctypes.create_string_buffer(512)
probe('settimeofday', 164, None, None)
probe('adjtimex', 159, buf)
probe('iopl', 172, 0)
probe('ioperm', 173, 0, 0, 0)
probe('name_to_handle_at', 303, AT_FDCWD, b'/tmp', buf, ctypes.byref(ctypes.c_int()), 0)
probe('fanotify_init', 300, 0, 0)
probe('vhangup', 153)
probe('setdomainname', 171, b'x', 1)
probe('uselib', 134, b'/nonexistent')
probe('quotactl', 179, 0x800007, b'/tmp', 0, None)
probe('clock_settime', 227, 0, buf)
probe('unshare_time', 272, 0x80)

# kernel keyrings through libc (and libkeyutils where installed)
probe('keyctl_join', 250, 1, b'ci-ring')
try:
    keyutils = ctypes.CDLL('libkeyutils.so.1', use_errno=True)
except OSError:
    print('libkeyutils ABSENT')
else:
    ctypes.set_errno(0)
    rc = keyutils.add_key(b'user', b'ci', b'x', 1, ctypes.c_int(-3))
    print('libkeyutils', 'ALLOWED' if rc >= 0 else errno.errorcode.get(ctypes.get_errno()))

# x32 numbers of denied calls: another ABI, refused as a whole
probe('x32_mount', X32 + 165, b'none', b'/tmp', b'tmpfs', 0, None)
probe('x32_unshare', X32 + 272, 0x10000000)
probe('x32_chroot', X32 + 161, b'.')
probe('x32_keyctl', X32 + 250, 0, -3, 0)
probe('x32_ptrace', X32 + 521, 16, 1, 0, 0)

# i386 numbers through int 0x80, in a child since a process may be killed
def int80(nr, a1=0):
    code = bytes([0xb8]) + struct.pack('<I', nr) + bytes([0xbb]) + struct.pack('<I', a1) + \
        bytes([0xcd, 0x80, 0xc3])
    import mmap
    m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    m.write(code)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    return ctypes.CFUNCTYPE(ctypes.c_int)(addr)()


for name, nr, a1 in (('i386_unshare', 310, 0x10000000), ('i386_getpid', 20, 0)):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        rc = int80(nr, a1)
        os.write(w, str(rc).encode())
        os._exit(0)
    os.close(w)
    out = os.read(r, 64).decode()
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if out == '':
        print(name, 'KILLED', os.waitstatus_to_exitcode(status))
    else:
        rc = int(out)
        print(name, 'ALLOWED' if rc >= 0 else errno.errorcode.get(-rc, str(rc)))

with open('/proc/self/mountinfo') as f:
    print('MOUNTS_CHANGED', f.read() != mounts_before)


# A second listener: the kernel refuses one while the chain has ours
# (EBUSY). If it accepted it, this process could answer its own denied
# calls with "continue". The child reports through a pipe; a hang means the
# filter went in with a listener nobody serves.
def filter_prog(nr):
    ins = [(0x20, 0, 0, 0),            # ld [0]: the syscall number
           (0x15, 0, 1, nr),           # jeq nr ? next : skip one
           (0x06, 0, 0, 0x7fc00000),   # ret SECCOMP_RET_USER_NOTIF
           (0x06, 0, 0, 0x7fff0000)]   # ret SECCOMP_RET_ALLOW
    code = b''.join(struct.pack('HBBI', *i) for i in ins)
    prog_buf = ctypes.create_string_buffer(code)
    fprog = struct.pack('HxxxxxxQ', len(ins), ctypes.addressof(prog_buf))
    return prog_buf, ctypes.create_string_buffer(fprog)


for name, flags in (('listener_hijack', 8), ('extra_filter', 0)):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        keep, fprog = filter_prog(165)
        ctypes.set_errno(0)
        rc = libc.syscall(ctypes.c_long(317), ctypes.c_long(1), ctypes.c_long(flags), fprog)
        err = ctypes.get_errno()
        os.write(w, ('%d %d' % (rc, err)).encode())
        os._exit(0)
    os.close(w)
    deadline = time.time() + 10
    out = b''
    os.set_blocking(r, False)
    while time.time() < deadline:
        try:
            chunk = os.read(r, 64)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        out += chunk
        if not chunk:
            break
    os.close(r)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    if not out:
        print(name, 'HANG')
    else:
        rc, err = map(int, out.split())
        print(name, 'ALLOWED' if rc >= 0 else errno.errorcode.get(err, str(err)))

# An executable from a memfd, even marked setuid, runs with nothing more
fd = os.memfd_create('ci-exe', 0)
with open('/bin/cat', 'rb') as f:
    os.write(fd, f.read())
os.fchmod(fd, 0o4755)
p = subprocess.run(['/proc/self/fd/%d' % fd, '/proc/self/status'], pass_fds=(fd,),
                   capture_output=True)
print('MEMFD_RC', p.returncode)
for line in p.stdout.decode().splitlines():
    key = line.split(':')[0]
    if key in ('Uid', 'CapEff', 'CapPrm', 'CapBnd', 'NoNewPrivs', 'Seccomp'):
        print('MEMFD_' + key, ' '.join(line.split()[1:]))

# The allow-list as such. modify_ldt(0, buf, size) reads the LDT: 0 bytes without the filter
buf = ctypes.create_string_buffer(64)
probe('modify_ldt', 154, 0, buf, 64)
# newer than the libseccomp we build with, reviewed and refused: without
# the filter these fail with EFAULT/EINVAL, not EPERM
probe('statmount', 457, None, None, 0, 0)
probe('listmount', 458, None, None, 0, 0)
probe('open_tree_attr', 467, -100, None, 0, None, 0)
# SysV message queues (msgget(IPC_PRIVATE, 0600)) and vmsplice: left out
probe('msgget', 68, 0, 0o600)
probe('vmsplice', 278, -1, None, 0, 0)
# above the reviewed table: ENOSYS, as on a kernel without the call
probe('unknown_1000', 1000)

# personality: the query and PER_LINUX run, flags are refused
probe('personality_query', 135, 0xffffffff)
probe('personality_linux', 135, 0)
probe('personality_uname26', 135, 0x0020000)
probe('personality_no_randomize', 135, 0x0040000)

# ioctl: ordinary requests reach the kernel (on a pipe: FIONREAD works,
# TIOCGWINSZ, between TIOCSTI and TIOCLINUX, is ENOTTY rather than EPERM)
r, w = os.pipe()
for name, req in (('ioctl_fionread', termios.FIONREAD), ('ioctl_tiocgwinsz', termios.TIOCGWINSZ)):
    try:
        fcntl.ioctl(r, req, bytes(8))
        print(name, 'ALLOWED')
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, str(e.errno)))

# sockets: local, netlink and IP stream/datagram run; other families not
for name, fam, kind in (('socket_unix', socket.AF_UNIX, socket.SOCK_STREAM),
                        ('socket_netlink', socket.AF_NETLINK, socket.SOCK_RAW),
                        ('socket_tcp', socket.AF_INET, socket.SOCK_STREAM),
                        ('socket_udp6', socket.AF_INET6, socket.SOCK_DGRAM),
                        ('socket_alg', 38, socket.SOCK_SEQPACKET)):
    try:
        socket.socket(fam, kind).close()
        print(name, 'ALLOWED')
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, str(e.errno)))

# clone and unshare without namespace flags run
probe('unshare_files', 272, 0x00000400)
pid = os.fork()
if pid == 0:
    os._exit(3)
print('fork', 'ALLOWED' if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 3 else 'FAILED')
print('DONE')
