# /proc, /sys and /dev probe for shell commands (run inside the sandbox by
# /bin/sh). A line "name FAILED" when refused, "name ALLOWED" otherwise
# (attempt() is in attempt.sh, which the test runs first).

# control: attempt() does report what works
attempt control sh -c 'cat /proc/self/status >/dev/null && echo 1 > /tmp/ci_ok'
echo PIDS $(ls /proc | grep '^[0-9][0-9]*$' | sort -n | tr '\n' ' ')
echo PID1 $(tr '\0' ' ' < /proc/1/cmdline)
for f in environ mem maps fd root cwd exe stack syscall auxv; do
    attempt "proc1 $f" sh -c "cat /proc/1/$f >/dev/null || ls /proc/1/$f/ >/dev/null"
done
attempt kcore sh -c 'head -c 16 /proc/kcore | wc -c | grep -q 16'
attempt sysrq_trigger sh -c 'echo h > /proc/sysrq-trigger'
for s in kernel/hostname kernel/core_pattern kernel/modprobe kernel/sysrq vm/drop_caches \
         kernel/ns_last_pid net/ipv4/ip_forward; do
    attempt "sysctl $s" sh -c "echo 1 > /proc/sys/$s"
done
echo KALLSYMS_NONZERO $(grep -vc '^0000000000000000 ' /proc/kallsyms 2>/dev/null || true)
echo SYS_PRESENT $([ -d /sys/kernel ] && echo True || echo False)
echo DEV $(ls /dev | tr '\n' ' ')
for d in null zero full random urandom; do
    echo "CHR $d" $([ -c "/dev/$d" ] && echo True || echo False)
done
echo URANDOM $(head -c 16 /dev/urandom | wc -c)
attempt dev_full sh -c 'echo x > /dev/full'
attempt "mknod /workspace" mknod /workspace/ci_null c 1 3
attempt "mknod /tmp" mknod /tmp/ci_null c 1 3
# the init ignores signals from inside and stays
for sig in KILL TERM STOP SEGV; do
    kill -s $sig 1 2>/dev/null
done
sleep 0.2
echo INIT_STATE $(sed 's/.*) //' /proc/1/stat | cut -d' ' -f1)
echo DONE
