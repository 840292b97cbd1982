/* SPDX-License-Identifier: MIT */
/*
 * Host-side access to a directory that sandboxed code can write (a
 * session's /workspace). The sandbox may plant symbolic links, hard links
 * and FIFOs there and rename things while we work, so nothing here lets the
 * kernel resolve a name the ordinary way: names are checked first, then
 * every open goes through openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) from a directory descriptor (an
 * O_NOFOLLOW walk one component at a time on kernels without openat2), and
 * creations happen relative to a descriptor of the directory that holds
 * them.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "codeinterp/codeinterp.h"

#define CI_PATH_MAX 4095 /* longest name in bytes (PATH_MAX less the NUL) */
#define CI_NAME_MAX 255  /* longest component in bytes (NAME_MAX) */

/* Checks a name relative to the directory: not empty, not absolute, at
 * most CI_PATH_MAX bytes, made of components of 1..CI_NAME_MAX bytes that
 * are neither "." nor "..". 0, or -1 with the reason (a phrase such as
 * "has an empty component") in err. */
int ci_path_check(const char *name, char *err, size_t errlen);

/* Opens `name` beneath dirfd without following any symbolic link, the last
 * component included (flags gain O_CLOEXEC and O_NOFOLLOW; `mode` is used
 * with O_CREAT / O_TMPFILE only). `name` must have passed ci_path_check()
 * or be ".". Returns the descriptor or -errno: -ELOOP when a component is a
 * symbolic link, -EXDEV when the name would leave dirfd. */
int ci_safe_open(int dirfd, const char *name, int flags, mode_t mode);

/* Who owns what we create in the directory. */
struct ci_safe_owner {
    uid_t uid;
    gid_t gid;
    int chown; /* non-zero: give created entries to uid:gid (root host) */
};

/* Opens (O_RDONLY | O_DIRECTORY) the directory holding the last component
 * of `name`, which must have passed ci_path_check(); *leaf points at that
 * component inside name. With `create`, missing directories are made one
 * component at a time (mode 0755, given to `own`) and *made counts them:
 * they are the deepest ones, which ci_safe_unmake_dirs() removes again.
 * Returns the descriptor or -errno. */
int ci_safe_open_parent(int rootfd, const char *name, int create, const struct ci_safe_owner *own,
                        const char **leaf, size_t *made);

/* Removes, deepest first, the `made` directories ci_safe_open_parent()
 * created for `name`, each only if it is still empty. */
void ci_safe_unmake_dirs(int rootfd, const char *name, size_t made);

/*
 * A file written out of sight and then put in place in one step, so
 * nobody ever sees half of it and a failure leaves nothing behind: an
 * unnamed O_TMPFILE file (or, where the filesystem has none, a random
 * dot-name) in the target directory, linked under a random dot-name and
 * renamed over the target on commit.
 */
struct ci_stage {
    int dirfd;    /* borrowed: must stay open until commit or abort */
    int fd;       /* write the contents here */
    int named;    /* the file already has the name tmp */
    char tmp[32];
};

/* Starts a file in dirfd (AT_FDCWD allowed) with `mode` (the umask
 * applies). 0 or -errno. */
int ci_stage_open(struct ci_stage *st, int dirfd, mode_t mode);
/* Puts the file in place as `leaf` of dirfd, replacing what was there
 * unless it is a directory, and closes it. On failure nothing is left and
 * -errno is returned. */
int ci_stage_commit(struct ci_stage *st, const char *leaf);
/* Drops a started file. */
void ci_stage_abort(struct ci_stage *st);

/*
 * Removes `name` in dirfd: a file, a link (never its target) or a whole
 * folder tree, while sandboxed code may still be moving things in it.
 * `name` is one component (-EINVAL if it holds a '/'): reach deeper ones
 * with ci_safe_open_parent() first.
 * It uses a constant number of descriptors, walking back up with "..",
 * and remembers the identity of every folder on the way down to check each
 * ".." against it: a folder moved out from under
 * the walk makes it stop with -ESTALE instead of climbing out of the tree
 * (into the rest of the workspace and the host directories above it).
 * 0 or -errno (-ENOENT when name does not exist).
 */
int ci_safe_rmtree_at(int dirfd, const char *name);

/* ------------------------------------------------------------------------
 * The rest of the module (safe_file.c) answers in CI_E* codes, never an
 * errno, with a phrase for the user in `why` (e.g. "it is a FIFO").
 */

/* The one mapping of an errno met in a sandbox-writable tree to a CI_E*
 * code, with a phrase that says it to a user (static text). */
int ci_safe_error(int err, const char **why);
/* The same, with the phrase copied into why. */
int ci_safe_fail(int err, char *why, size_t whylen);

/* Opens `name` beneath rootfd for reading if it is a plain regular file
 * with one name. The open is non-blocking, so a FIFO cannot make us wait
 * for a writer the sandbox controls; the descriptor returned blocks. A file
 * with several hard links is refused: the other name could be one sandboxed
 * code gave a file it cannot read but the host can. Returns the descriptor
 * (its size in *size), or CI_EFILETYPE / another CI_E* with why set. */
int ci_safe_open_regular(int rootfd, const char *name, uint64_t *size, char *why, size_t whylen);

/* One entry of a folder. */
struct ci_safe_dirent {
    char *name;
    ci_file_type type;
    uint64_t size;
    int64_t mtime_ns;
};
/* One page of a folder's entries, in name order (strcmp). */
struct ci_safe_page {
    const char *after;              /* in: names sorting after this one; NULL: all */
    size_t limit;                   /* in: at most this many entries, >= 1 */
    struct ci_safe_dirent *entries; /* out: sorted by name */
    size_t count;
    char *next; /* out: NULL when the page ends the folder; else the
                 * `after` of the next page (the last name this one took:
                 * an entry removed meanwhile is left out, not its name) */
};
/* The entries of folder `dir` beneath rootfd ("." for rootfd itself) whose
 * names sort after page->after, the first page->limit of them, links not
 * followed. Every entry of the folder is read, but only `limit` names are
 * held at a time, so the memory is bounded by the page, not the folder.
 * 0 or a CI_E* with why set (then the page holds nothing). */
int ci_safe_list(int rootfd, const char *dir, struct ci_safe_page *page, char *why,
                 size_t whylen);
void ci_safe_page_free(struct ci_safe_page *page);
void ci_safe_dirents_free(struct ci_safe_dirent *d, size_t n);

/* One regular file found by a walk. */
struct ci_safe_file {
    char *path; /* relative to the walk's root */
    uint64_t size;
    int64_t mtime_ns;
    uint64_t ino;
};
struct ci_safe_walk {
    struct ci_safe_file *files; /* sorted by path */
    size_t count;
    int truncated; /* stopped at a bound: there may be more */
};
/* Lists the regular files beneath rootfd, depth first, never following a
 * link: at most max_entries directory entries of any kind are looked at
 * and max_depth folders descended (past either, truncated is set), so the
 * cost to the host is bounded whatever the sandbox made. 0 or a CI_E*. */
int ci_safe_walk(int rootfd, size_t max_entries, int max_depth, struct ci_safe_walk *out);
void ci_safe_walk_free(struct ci_safe_walk *w);
/* The walk's order, for qsort and bsearch over struct ci_safe_file. */
int ci_safe_file_by_path(const void *a, const void *b);
