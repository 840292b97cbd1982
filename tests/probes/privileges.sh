# Privilege probe for shell commands (run inside the sandbox by /bin/sh):
# the capabilities and identity a command has, and the tools that would
# gain more. A line "name FAILED" when refused, "name ALLOWED" otherwise
# (attempt() is in attempt.sh, which the test runs first).

for key in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp Uid Gid; do
    echo "$key" $(sed -n "s/^$key:[[:space:]]*//p" /proc/self/status)
done
echo ID $(id -u) $(id -g) $(id -G)
echo HOSTNAME $(cat /proc/sys/kernel/hostname)

mkdir -p /tmp/ci_mnt
attempt setpriv_root setpriv --reuid=0 --regid=0 --clear-groups id
attempt setpriv_caps setpriv --inh-caps=+sys_admin --ambient-caps=+sys_admin true
attempt su su -c true root
attempt unshare_r unshare -r true
attempt unshare_m unshare -m true
attempt unshare_n unshare -n true
attempt mount_tmpfs mount -t tmpfs none /tmp/ci_mnt
attempt mount_bind mount --bind /tmp /tmp/ci_mnt
attempt chroot chroot / true
attempt hostname_set hostname evil
attempt uid_map sh -c 'echo "0 0 1" > /proc/self/uid_map'
attempt setgroups_file sh -c 'echo allow > /proc/self/setgroups'
attempt chown_root sh -c 'touch /tmp/ci_own && chown 0:0 /tmp/ci_own'
attempt write_etc sh -c 'echo x >> /etc/passwd'
attempt nice_up sh -c '[ "$(nice -n -5 nice 2>/dev/null)" -lt 0 ]'
# control: attempt() does report what works
attempt control sh -c 'touch /tmp/ci_ok && nice -n 5 true'
echo MOUNTED $(grep -c ' /tmp/ci_mnt ' /proc/self/mountinfo)
# a setuid binary runs, but gains nothing under no_new_privs
[ -u /usr/bin/su ] && echo SU_SUID True || echo SU_SUID False
echo DONE
