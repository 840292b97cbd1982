/* SPDX-License-Identifier: MIT */
#include "util/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

int ci_spawn_clean(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   int pass_fd, int pass_as, int new_session)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    if (pass_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, pass_fd, pass_as);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, pass_fd >= 0 && pass_as >= 3 ? pass_as + 1 : 3);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                      (new_session ? POSIX_SPAWN_SETSID : 0));
    int r = posix_spawn(pid, path, &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return r;
}
