# Seccomp probe (run inside the sandbox): every call below is one the policy
# must deny. Each prints "<name> <ERRNO>" or "<name> ALLOWED". Arguments are
# chosen so that, without the filter, the call would succeed or fail with a
# different errno, so a missing rule shows up.
import ctypes
import errno
import os
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
    if rc >= 0:
        print(name, 'ALLOWED', flush=True)
    else:
        print(name, errno.errorcode.get(err, str(err)), flush=True)
    return rc


def close_if_fd(rc):
    if rc > 2:
        os.close(rc)


# a same-uid child: ptrace & co. would work on it without the filter
child = os.fork()
if child == 0:
    time.sleep(60)
    os._exit(0)

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID = 0x08000000, 0x10000000, 0x20000000
CLONE_NEWNET = 0x40000000
AT_FDCWD = -100

probe('mount', 165, b'none', b'/tmp', b'tmpfs', 0, None)
probe('umount2', 166, b'/proc', 2)
probe('pivot_root', 155, b'.', b'.')
probe('chroot', 161, b'.')
probe('unshare_user', 272, CLONE_NEWUSER)
probe('unshare_mount', 272, CLONE_NEWNS)
probe('unshare_net', 272, CLONE_NEWNET)
probe('unshare_pid', 272, CLONE_NEWPID)
probe('unshare_ipc', 272, CLONE_NEWIPC)
probe('unshare_uts', 272, CLONE_NEWUTS)
probe('unshare_cgroup', 272, CLONE_NEWCGROUP)

try:
    nsfd = os.open('/proc/self/ns/uts', os.O_RDONLY)
except OSError:
    nsfd = -1
probe('setns', 308, nsfd, 0)
if nsfd >= 0:
    os.close(nsfd)

# clone(CLONE_NEWUSER | SIGCHLD): if it were allowed the copy exits at once
rc = probe('clone_newuser', 56, CLONE_NEWUSER | 17, 0, None, None, 0)
if rc == 0:
    os._exit(0)
elif rc > 0:
    os.waitpid(rc, 0)
probe('clone3', 435, None, 0)

probe('ptrace_attach', 101, 16, child, 0, 0)
probe('process_vm_readv', 310, child, None, 0, None, 0, 0)
probe('process_vm_writev', 311, child, None, 0, None, 0, 0)
probe('kcmp', 312, os.getpid(), child, 0, 0, 0)
try:
    pidfd = os.pidfd_open(child)
except OSError:
    pidfd = -1
close_if_fd(probe('pidfd_getfd', 438, pidfd, 0, 0))
if pidfd >= 0:
    os.close(pidfd)

KEY_SPEC_SESSION_KEYRING = -3
probe('keyctl', 250, 0, KEY_SPEC_SESSION_KEYRING, 0)
probe('add_key', 248, b'user', b'ci', b'data', 4, KEY_SPEC_SESSION_KEYRING)
probe('request_key', 249, b'user', b'ci', None, 0)
probe('bpf', 321, 0, None, 0)
probe('perf_event_open', 298, None, 0, -1, -1, 0)
close_if_fd(probe('userfaultfd', 323, 1))
params = ctypes.create_string_buffer(120)
close_if_fd(probe('io_uring_setup', 425, 1, params))
probe('io_uring_enter', 426, -1, 0, 0, 0, None, 0)
probe('io_uring_register', 427, -1, 0, None, 0)
probe('kexec_load', 246, 0, 0, None, 0)
probe('kexec_file_load', 320, -1, -1, 0, None, 0)
probe('init_module', 175, None, 0, b'')
probe('finit_module', 313, -1, b'', 0)
probe('delete_module', 176, b'ci_none', 0)
close_if_fd(probe('open_tree', 428, AT_FDCWD, b'/tmp', 1))
probe('move_mount', 429, AT_FDCWD, b'/tmp', AT_FDCWD, b'/workspace', 0)
close_if_fd(probe('fsopen', 430, b'tmpfs', 0))
probe('fsconfig', 431, -1, 0, None, None, 0)
probe('fsmount', 432, -1, 0, 0)
close_if_fd(probe('fspick', 433, AT_FDCWD, b'/tmp', 0))
probe('mount_setattr', 442, AT_FDCWD, b'/tmp', 0, None, 0)
probe('acct', 163, None)
probe('swapon', 167, b'/tmp/ci-swap', 0)
probe('swapoff', 168, b'/tmp/ci-swap')
probe('syslog', 103, 10, None, 0)
probe('reboot', 169, 0xfee1dead, 672274793, 0, None)
probe('open_by_handle_at', 304, AT_FDCWD, None, 0)
probe('personality', 135, 0x0400000)
close_if_fd(probe('socket_packet', 41, 17, 3, 0))
close_if_fd(probe('socket_vsock', 41, 40, 1, 0))
close_if_fd(probe('socket_raw', 41, 2, 3, 1))

# On a terminal where there is one; else on a pipe, where the kernel would
# answer ENOTTY: EPERM still shows the filter refused the request.
try:
    master, slave = os.openpty()
except OSError:
    master, slave = os.pipe()
ch = ctypes.c_char(b'x')
probe('tiocsti', 16, slave, 0x5412, ctypes.byref(ch))
probe('tiocsti_high', 16, slave, 0x5412 | (1 << 32), ctypes.byref(ch))
probe('tioclinux', 16, slave, 0x541C, ctypes.byref(ch))
probe('tioclinux_high', 16, slave, 0x541C | (1 << 40), ctypes.byref(ch))
os.close(master)
os.close(slave)

os.kill(child, 9)
os.waitpid(child, 0)
print('DONE')
