# Environment probe (run inside the sandbox); the prelude sets TOKEN, the
# value of a variable the host process exported before creating the session.
import os

for k in sorted(os.environ):
    print('ENV', k + '=' + os.environ[k])
leaks = 0
readable = 0
for pid in os.listdir('/proc'):
    if not pid.isdigit():
        continue
    try:
        with open('/proc/%s/environ' % pid, 'rb') as f:
            data = f.read()
    except OSError:
        continue
    readable += 1
    if TOKEN.encode() in data:
        leaks += 1
print('PROC_ENVIRON_READABLE', readable)
print('PROC_ENVIRON_LEAKS', leaks)
print('DONE')
