# Network probe (run inside the sandbox). The prelude sets PORT (a TCP
# listener on the host's 127.0.0.1), PORT6 (same on ::1, 0 if none),
# UNIX_PATH and ABSTRACT (host unix listeners). Only loopback is contacted.
import errno
import socket

with open('/proc/net/dev') as f:
    ifaces = [line.split(':')[0].strip() for line in f.read().splitlines()[2:]]
print('IFACES', ','.join(sorted(ifaces)))
with open('/proc/net/route') as f:
    print('ROUTES', len(f.read().splitlines()[1:]))


def attempt(name, family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(addr)
        print(name, 'CONNECTED', flush=True)
    except OSError as e:
        why = errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__
        print(name, why, flush=True)
    finally:
        s.close()


attempt('TCP4', socket.AF_INET, ('127.0.0.1', PORT))
if PORT6:
    attempt('TCP6', socket.AF_INET6, ('::1', PORT6))
attempt('UNIX_PATH', socket.AF_UNIX, UNIX_PATH)
attempt('UNIX_ABSTRACT', socket.AF_UNIX, '\0' + ABSTRACT)

try:
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    c = socket.create_connection(srv.getsockname(), timeout=3)
    a, _ = srv.accept()
    c.sendall(b'ping')
    print('LOOPBACK', a.recv(4).decode())
except OSError as e:
    print('LOOPBACK', errno.errorcode.get(e.errno, str(e.errno)) if e.errno else 'timeout')
print('DONE')
