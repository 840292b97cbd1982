# Descriptor probe (run inside the sandbox); the prelude sets TOKEN (content
# of a host file the host process holds open without O_CLOEXEC), SECRET_PATH
# (its host path) and SOCK_INODE (inode of a host listening socket, also
# inheritable).
import os
import stat

count = 0
for fd in range(0, 4096):
    try:
        st = os.fstat(fd)
    except OSError:
        continue
    count += 1
    try:
        target = os.readlink('/proc/self/fd/%d' % fd)
    except OSError:
        target = '?'
    print('FD', fd, target)
    if SECRET_PATH in target or target == 'socket:[%d]' % SOCK_INODE:
        print('LEAK', fd, target)
    if stat.S_ISREG(st.st_mode):
        try:
            if TOKEN.encode() in os.pread(fd, 65536, 0):
                print('LEAK', fd, 'token readable')
        except OSError:
            pass
print('COUNT', count)
print('DONE')
