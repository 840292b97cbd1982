/* SPDX-License-Identifier: MIT */
#include "sandbox/workspace_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codeinterp/codeinterp.h"
#include "util/spawn.h"

#define MKFS_TIMEOUT_MS 30000

static const char *const mkfs_paths[] = { "/usr/sbin/mke2fs", "/sbin/mke2fs" };

/* Runs mke2fs on the image and waits for it; 0 when it exited 0. */
static int format_image(const char *image, uid_t uid, gid_t gid, char *err, size_t errlen)
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
    pid_t pid;
    int r = ci_spawn_clean(&pid, mkfs, argv, envp, -1, -1, 0);
    if (r != 0) {
        snprintf(err, errlen, "workspace disk: cannot run %s: %s", mkfs, strerror(r));
        return CI_ELIMIT;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    if (pidfd < 0 || poll(&p, 1, MKFS_TIMEOUT_MS) <= 0) {
        if (pidfd >= 0)
            syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        else
            kill(pid, SIGKILL);
    }
    siginfo_t si = { 0 };
    int w;
    do {
        w = pidfd >= 0 ? waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) : waitid(P_PID, (id_t)pid, &si, WEXITED);
    } while (w < 0 && errno == EINTR);
    if (pidfd >= 0)
        close(pidfd);
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
    int loopfd = -1;
    for (int attempt = 0; attempt < 16 && loopfd < 0; attempt++) {
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
    }
    close(ctl);
    return loopfd;
}

int ci_disk_create(int sessions_fd, const char *sessions_path, const char *id,
                   const char *workspace, uint64_t size, uid_t uid, gid_t gid,
                   char *err, size_t errlen)
{
    struct statvfs sv;
    if (fstatvfs(sessions_fd, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < size) {
        snprintf(err, errlen, "workspace disk: %s has %llu MiB free, less than the %llu MiB "
                 "workspace size", sessions_path,
                 (unsigned long long)((uint64_t)sv.f_bavail * sv.f_frsize >> 20),
                 (unsigned long long)(size >> 20));
        return CI_ELIMIT;
    }
    char name[128], image[4096];
    snprintf(name, sizeof(name), "%s.img", id);
    snprintf(image, sizeof(image), "%s/%s", sessions_path, name);
    int imgfd = openat(sessions_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (imgfd < 0) {
        snprintf(err, errlen, "workspace disk: creating %s: %s", image, strerror(errno));
        return CI_ELIMIT;
    }
    int r = CI_ELIMIT;
    if (ftruncate(imgfd, (off_t)size) < 0) {
        snprintf(err, errlen, "workspace disk: sizing %s: %s", image, strerror(errno));
        goto out;
    }
    if ((r = format_image(image, uid, gid, err, errlen)) < 0)
        goto out;
    r = CI_ELIMIT;
    char dev[64];
    int loopfd = attach_loop(imgfd, dev, sizeof(dev), err, errlen);
    if (loopfd < 0)
        goto out;
    int m = mount(dev, workspace, "ext4", MS_NOSUID | MS_NODEV, "discard");
    int e = errno;
    /* with autoclear, the device goes away once nothing holds it: after
     * this close if the mount failed, at unmount otherwise */
    close(loopfd);
    if (m < 0) {
        snprintf(err, errlen, "workspace disk: mounting %s on %s: %s", dev, workspace, strerror(e));
        goto out;
    }
    char lf[4200];
    snprintf(lf, sizeof(lf), "%s/lost+found", workspace);
    rmdir(lf); /* users should find an empty workspace */
    if (chmod(workspace, 0700) < 0) {
        snprintf(err, errlen, "workspace disk: chmod %s: %s", workspace, strerror(errno));
        umount2(workspace, MNT_DETACH);
        goto out;
    }
    r = CI_OK;
out:
    close(imgfd);
    if (r < 0)
        unlinkat(sessions_fd, name, 0);
    return r;
}

void ci_disk_remove(int sessions_fd, const char *id, const char *workspace)
{
    if (workspace)
        umount2(workspace, MNT_DETACH | UMOUNT_NOFOLLOW);
    char name[128];
    snprintf(name, sizeof(name), "%s.img", id);
    unlinkat(sessions_fd, name, 0);
}
