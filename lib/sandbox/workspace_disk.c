/* SPDX-License-Identifier: MIT */
#include "sandbox/workspace_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codeinterp/codeinterp.h"
#include "util/spawn.h"

#define MKFS_TIMEOUT_MS 30000

static const char *const mkfs_paths[] = { "/usr/sbin/mke2fs", "/sbin/mke2fs" };

/* Starts mke2fs on the image; its pid and a pidfd (or -1) in job. */
static int start_format(struct ci_disk_job *job, const char *image, uid_t uid, gid_t gid,
                        char *err, size_t errlen)
{
    const char *mkfs = NULL;
    for (size_t i = 0; i < sizeof(mkfs_paths) / sizeof(mkfs_paths[0]) && !mkfs; i++)
        if (access(mkfs_paths[i], X_OK) == 0)
            mkfs = mkfs_paths[i];
    if (!mkfs) {
        snprintf(err, errlen, "workspace disk: mke2fs not found (install e2fsprogs)");
        return CI_ELIMIT;
    }
    char ext[128];
    snprintf(ext, sizeof(ext), "lazy_itable_init=1,nodiscard,root_owner=%u:%u", (unsigned)uid,
             (unsigned)gid);
    char *argv[] = { (char *)"mke2fs", (char *)"-q", (char *)"-F", (char *)"-t", (char *)"ext4",
                     (char *)"-m", (char *)"0", (char *)"-O", (char *)"^has_journal",
                     (char *)"-E", ext, (char *)image, NULL };
    char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
    int r = ci_spawn_clean(&job->mkfs_pid, mkfs, argv, envp, -1, -1, 0);
    if (r != 0) {
        snprintf(err, errlen, "workspace disk: cannot run %s: %s", mkfs, strerror(r));
        return CI_ELIMIT;
    }
    job->mkfs_pidfd = (int)syscall(SYS_pidfd_open, job->mkfs_pid, 0);
    return CI_OK;
}

/* Waits for mke2fs (killing it past the timeout); 0 when it exited 0. */
static int finish_format(struct ci_disk_job *job, char *err, size_t errlen)
{
    struct pollfd p = { .fd = job->mkfs_pidfd, .events = POLLIN };
    if (job->mkfs_pidfd < 0 || poll(&p, 1, MKFS_TIMEOUT_MS) <= 0) {
        if (job->mkfs_pidfd >= 0)
            syscall(SYS_pidfd_send_signal, job->mkfs_pidfd, SIGKILL, NULL, 0);
        else
            kill(job->mkfs_pid, SIGKILL);
    }
    siginfo_t si = { 0 };
    int w;
    do {
        w = job->mkfs_pidfd >= 0 ? waitid(P_PIDFD, (id_t)job->mkfs_pidfd, &si, WEXITED)
                                 : waitid(P_PID, (id_t)job->mkfs_pid, &si, WEXITED);
    } while (w < 0 && errno == EINTR);
    if (job->mkfs_pidfd >= 0)
        close(job->mkfs_pidfd);
    job->mkfs_pidfd = -1;
    job->mkfs_pid = 0;
    /* ECHILD: the host ignores SIGCHLD and the status is lost; the mount
     * that follows tells whether the filesystem is there. */
    if (w == 0 && (si.si_code != CLD_EXITED || si.si_status != 0)) {
        snprintf(err, errlen, "workspace disk: mke2fs failed (status %d)", si.si_status);
        return CI_ELIMIT;
    }
    return CI_OK;
}

/* Attaches the image to a free loop device, detached again by the kernel
 * when the filesystem is unmounted. Returns the open loop device. */
static int attach_loop(int imgfd, char *dev, size_t devlen, char *err, size_t errlen)
{
    int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (ctl < 0) {
        snprintf(err, errlen, "workspace disk: /dev/loop-control: %s", strerror(errno));
        return -1;
    }
    /* Sandboxes built at once race for the free device LOOP_CTL_GET_FREE
     * names: the loser gets EBUSY and asks again, backing off a little so
     * that a crowd spreads out. */
    enum { LOOP_ATTEMPTS = 128 };
    int loopfd = -1;
    snprintf(err, errlen, "workspace disk: no loop device could be taken in %d tries: other "
             "processes took each free one first", LOOP_ATTEMPTS);
    for (int attempt = 0; attempt < LOOP_ATTEMPTS && loopfd < 0; attempt++) {
        int n = ioctl(ctl, LOOP_CTL_GET_FREE);
        if (n < 0) {
            snprintf(err, errlen, "workspace disk: no free loop device: %s", strerror(errno));
            break;
        }
        snprintf(dev, devlen, "/dev/loop%d", n);
        int fd = open(dev, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "workspace disk: %s: %s", dev, strerror(errno));
            break;
        }
        struct loop_config lc = { .fd = (unsigned)imgfd };
        lc.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (ioctl(fd, LOOP_CONFIGURE, &lc) == 0) {
            loopfd = fd;
            break;
        }
        int e = errno;
        close(fd);
        if (e != EBUSY) { /* EBUSY: another process took it first */
            snprintf(err, errlen, "workspace disk: LOOP_CONFIGURE on %s: %s", dev, strerror(e));
            break;
        }
        if (attempt >= 2)
            usleep(attempt < 25 ? 200u * (unsigned)attempt : 5000u);
    }
    close(ctl);
    return loopfd;
}

/* Refuses a state dir in memory (tmpfs, ramfs) unless the caller allowed
 * it: an image there would sit in host RAM, outside the sandbox's memory
 * limit. */
static int check_backing(int sessions_fd, const char *state_dir, uint64_t size, int allow_ram,
                         char *err, size_t errlen)
{
    struct statfs sf;
    if (fstatfs(sessions_fd, &sf) < 0) {
        snprintf(err, errlen, "workspace disk: statfs of state dir %s: %s", state_dir,
                 strerror(errno));
        return CI_EIO;
    }
    if (!allow_ram && (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC)) {
        snprintf(err, errlen, "workspace disk: state dir %s is on %s: a %llu MiB workspace image "
                 "would live in host memory, outside the sandbox's memory limit; use a "
                 "disk-backed state dir (default /var/lib/codeinterp) or allow it "
                 "explicitly (ci_config_set_allow_tmpfs_state, --allow-tmpfs-state)",
                 state_dir, sf.f_type == TMPFS_MAGIC ? "tmpfs" : "ramfs",
                 (unsigned long long)(size >> 20));
        return CI_ELIMIT;
    }
    return CI_OK;
}

/* Gives the image all its blocks now, so that what the sandbox writes later
 * never meets a full host filesystem: sessions together can only commit
 * what the state dir's filesystem has. */
static int reserve_image(struct ci_disk_job *job, const char *state_dir, uint64_t size,
                         char *err, size_t errlen)
{
    int r;
    do
        r = fallocate(job->imgfd, 0, 0, (off_t)size) == 0 ? 0 : errno;
    while (r == EINTR);
    if (r == 0)
        return CI_OK;
    if (r == ENOSPC) {
        /* the partial allocation goes with the image, then the free space
         * is what other sessions left */
        ci_disk_abort(job);
        struct statvfs sv;
        unsigned long long free_mib = 0;
        if (fstatvfs(job->sessions_fd, &sv) == 0)
            free_mib = (unsigned long long)((uint64_t)sv.f_bavail * sv.f_frsize >> 20);
        snprintf(err, errlen, "workspace disk: no space to reserve a %llu MiB workspace image in "
                 "state dir %s: its filesystem has %llu MiB free (ENOSPC); every live "
                 "session's image holds its full size there",
                 (unsigned long long)(size >> 20), state_dir, free_mib);
        return CI_ELIMIT;
    }
    ci_disk_abort(job);
    snprintf(err, errlen, "workspace disk: cannot reserve %llu MiB for the workspace image in "
             "state dir %s: %s%s", (unsigned long long)(size >> 20), state_dir, strerror(r),
             r == EOPNOTSUPP ? " (its filesystem has no fallocate; put the state dir on ext4 "
                               "or xfs)" : "");
    return CI_ELIMIT;
}

int ci_disk_begin(struct ci_disk_job *job, int sessions_fd, const char *state_dir,
                  const char *sessions_path, const char *id, uint64_t size, int allow_ram,
                  uid_t uid, gid_t gid, char *err, size_t errlen)
{
    *job = (struct ci_disk_job){ .imgfd = -1, .mkfs_pidfd = -1, .sessions_fd = sessions_fd };
    int r = check_backing(sessions_fd, state_dir, size, allow_ram, err, errlen);
    if (r < 0)
        return r;
    char image[4096];
    snprintf(job->name, sizeof(job->name), "%s.img", id);
    snprintf(image, sizeof(image), "%s/%s", sessions_path, job->name);
    job->imgfd = openat(sessions_fd, job->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
    if (job->imgfd < 0) {
        snprintf(err, errlen, "workspace disk: creating %s: %s", image, strerror(errno));
        job->name[0] = '\0'; /* not ours */
        return CI_ELIMIT;
    }
    if ((r = reserve_image(job, state_dir, size, err, errlen)) < 0)
        return r;
    r = start_format(job, image, uid, gid, err, errlen);
    if (r < 0)
        ci_disk_abort(job);
    return r;
}

/* ext4 zeroes small unwritten extents it splits (extent_max_zeroout_kb),
 * with requests the loop device turns into holes; 0 turns that off. Best
 * effort: without it a session can only give back its own reservation. */
static void no_zeroout(const char *dev)
{
    char knob[128];
    snprintf(knob, sizeof(knob), "/sys/fs/ext4/%s/extent_max_zeroout_kb", dev + strlen("/dev/"));
    int fd = open(knob, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "0", 1) < 0) {
            /* an older kernel without the knob: the default stays */
        }
        close(fd);
    }
}

int ci_disk_finish(struct ci_disk_job *job, const char *mountpoint, char *err, size_t errlen)
{
    int r = finish_format(job, err, errlen);
    if (r < 0)
        goto fail;
    r = CI_ELIMIT;
    char dev[64];
    int loopfd = attach_loop(job->imgfd, dev, sizeof(dev), err, errlen);
    if (loopfd < 0)
        goto fail;
    /* Nothing may hand the reserved blocks back to the host: the loop
     * device turns discards and zeroing requests into holes in the image.
     * So no discard, no lazy zeroing of the inode tables (the reserved image
     * reads as zeros already), and no zeroing around split extents. */
    int m = mount(dev, mountpoint, "ext4", MS_NOSUID | MS_NODEV, "nodiscard,noinit_itable");
    int e = errno;
    if (m == 0)
        no_zeroout(dev);
    /* with autoclear, the device goes away once nothing holds it: after
     * this close if the mount failed, at unmount otherwise */
    close(loopfd);
    if (m < 0) {
        snprintf(err, errlen, "workspace disk: mounting %s on %s: %s", dev, mountpoint, strerror(e));
        goto fail;
    }
    char lf[4200];
    snprintf(lf, sizeof(lf), "%s/lost+found", mountpoint);
    rmdir(lf); /* users should find an empty workspace */
    if (chmod(mountpoint, 0700) < 0) {
        snprintf(err, errlen, "workspace disk: chmod %s: %s", mountpoint, strerror(errno));
        umount2(mountpoint, MNT_DETACH);
        goto fail;
    }
    close(job->imgfd);
    job->imgfd = -1;
    job->name[0] = '\0'; /* from now on ci_disk_remove() undoes it */
    return CI_OK;
fail:
    ci_disk_abort(job);
    return r;
}

void ci_disk_abort(struct ci_disk_job *job)
{
    if (job->mkfs_pid > 0) {
        char ignore[8];
        if (job->mkfs_pidfd >= 0)
            syscall(SYS_pidfd_send_signal, job->mkfs_pidfd, SIGKILL, NULL, 0);
        else
            kill(job->mkfs_pid, SIGKILL);
        finish_format(job, ignore, sizeof(ignore));
    }
    if (job->imgfd >= 0)
        close(job->imgfd);
    job->imgfd = -1;
    if (job->name[0])
        unlinkat(job->sessions_fd, job->name, 0);
    job->name[0] = '\0';
}

void ci_disk_remove(int sessions_fd, const char *id, const char *workspace)
{
    if (workspace)
        umount2(workspace, MNT_DETACH | UMOUNT_NOFOLLOW);
    char name[128];
    snprintf(name, sizeof(name), "%s.img", id);
    unlinkat(sessions_fd, name, 0);
}
