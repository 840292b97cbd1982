# Host file probe for shell commands (run inside the sandbox by /bin/sh).
# The prelude sets TOKEN (content of host secret files), PATHS (host files
# that must not be readable, one a line), DIRS (host directories that must
# not be listable, one a line) and ROOT_ENTRIES (names in the host's /root,
# one a line).

nl='
'
old_ifs=$IFS
IFS=$nl
for path in $PATHS; do
    if cat "$path" >/dev/null 2>&1; then
        echo LEAK "$path" read
    else
        echo OK "$path" refused
    fi
    # and by other means than open: a copy, a hard link, a listing
    if cp "$path" /tmp/ci_probe_copy 2>/dev/null; then echo LEAK "$path" copied; fi
    if ln "$path" /tmp/ci_probe_link 2>/dev/null; then echo LEAK "$path" linked; fi
done
if listing=$(ls -A /root 2>/dev/null); then
    for name in $ROOT_ENTRIES; do
        for seen in $listing; do
            [ "$seen" = "$name" ] && echo LEAK "/root/$name"
        done
    done
    echo OK /root listed
else
    echo OK /root refused
fi
for d in $DIRS; do
    entries=$(ls -A "$d" 2>/dev/null | head -n 5)
    if [ -n "$entries" ]; then
        echo LEAK "$d" listed: $entries
    fi
done
IFS=$old_ifs

# The token must not be anywhere the sandbox can write or usually look,
# nor in its environment.
hits=0
for top in /tmp /var/tmp /workspace /home /root /mnt /srv /run /media /dev/shm /etc; do
    [ -d "$top" ] || continue
    n=$(grep -rlsF --exclude-dir=proc -e "$TOKEN" "$top" 2>/dev/null | wc -l)
    hits=$((hits + n))
done
if env | grep -qF -e "$TOKEN"; then
    echo LEAK token in the environment
    hits=$((hits + 1))
fi
echo TOKEN_HITS $hits
echo TOP $(ls /)
echo DONE
