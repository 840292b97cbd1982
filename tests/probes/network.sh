# Network probe for shell commands (run inside the sandbox by /bin/sh). The
# prelude sets PORT (a TCP listener on the host's 127.0.0.1), PORT6 (same on
# ::1, 0 if none), UNIX_PATH and ABSTRACT (host unix listeners). Only
# loopback addresses are ever contacted. A line "NAME CONNECTED" when a
# connection was made, "NAME FAILED <curl exit code>" otherwise.

echo IFACES $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | paste -sd, -)
echo ROUTES $(tail -n +2 /proc/net/route | wc -l)
r6=$(grep -vc ' lo$' /proc/net/ipv6_route 2>/dev/null)
echo ROUTES6 "${r6:-0}"

# curl's time_connect is non-zero once the connection is made, even when
# the listener never answers the request (then curl gives up after 2 s).
attempt() {
    name=$1
    shift
    t=$(curl -s -o /dev/null -w '%{time_connect}' --connect-timeout 3 --max-time 2 "$@")
    rc=$?
    case "$t" in
    *[1-9]*) echo "$name CONNECTED" ;;
    *) echo "$name FAILED $rc" ;;
    esac
}

attempt TCP4 "http://127.0.0.1:$PORT/"
if [ "$PORT6" != 0 ]; then
    attempt TCP6 "http://[::1]:$PORT6/"
fi
attempt UNIX_PATH --unix-socket "$UNIX_PATH" http://x/
attempt UNIX_ABSTRACT --abstract-unix-socket "$ABSTRACT" http://x/

# a raw socket and the tools that would make one are refused or absent
if command -v ping >/dev/null 2>&1 && ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; then
    echo PING ALLOWED
else
    echo PING FAILED
fi

# its own loopback works: a server started here answers here
echo pong > /tmp/ci_probe_page.txt
python3 -m http.server 18099 --bind 127.0.0.1 --directory /tmp >/dev/null 2>&1 &
srv=$!
got=none
i=0
while [ $i -lt 100 ]; do
    if got=$(curl -s --max-time 2 http://127.0.0.1:18099/ci_probe_page.txt); then
        break
    fi
    got=none
    i=$((i + 1))
    sleep 0.05
done
kill $srv
wait $srv 2>/dev/null
echo LOOPBACK "$got"
echo DONE
