# Host file probe (run inside the sandbox). The prelude sets TOKEN (content
# of host secret files), PATHS (host files that must not be readable), DIRS
# (host directories that must not be listable) and ROOT_ENTRIES (names in the
# host's /root).
import os


def why(e):
    return type(e).__name__


for path in PATHS:
    try:
        with open(path, 'rb') as f:
            data = f.read(65536)
        print('LEAK', path, 'read', len(data), 'bytes')
    except OSError as e:
        print('OK', path, why(e))

try:
    visible = set(os.listdir('/root'))
    for name in ROOT_ENTRIES:
        if name in visible:
            print('LEAK /root/' + name)
    print('OK /root listed', len(visible))
except OSError as e:
    print('OK /root', why(e))

for d in DIRS:
    try:
        entries = os.listdir(d)
    except OSError:
        continue
    if entries:
        print('LEAK', d, 'listed:', sorted(entries)[:5])

# The token must not be anywhere the sandbox can write or usually look.
hits = 0
for top in ('/tmp', '/var/tmp', '/workspace', '/home', '/root', '/mnt', '/srv', '/run',
            '/media', '/dev/shm', '/etc'):
    for root, dirs, files in os.walk(top):
        for name in files:
            p = os.path.join(root, name)
            try:
                if os.path.islink(p) or os.path.getsize(p) > 1 << 20:
                    continue
                with open(p, 'rb') as f:
                    if TOKEN.encode() in f.read():
                        print('LEAK token in', p)
                        hits += 1
            except OSError:
                pass
print('TOKEN_HITS', hits)
print('TOP', sorted(os.listdir('/')))
print('DONE')
