/* SPDX-License-Identifier: MIT */
/* The server's access key file; the format is in keyfile.h. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define MAX_LINE 1023
#define MAX_KEYS 10000
#define MAX_ID 128
#define MAX_SECRET 256
#define MAX_NAME 64

typedef struct key_entry {
    char id[MAX_ID + 1];
    char secret[MAX_SECRET + 1];
    char name[MAX_NAME + 1];
} key_entry;

struct keyfile {
    key_entry *keys;
    size_t n, cap;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int name_char(char c)
{
    return id_char(c) || c == '.' || c == '_' || c == '@' || c == '-';
}

void keyfile_free(keyfile *kf)
{
    if (!kf)
        return;
    if (kf->keys)
        OPENSSL_cleanse(kf->keys, kf->cap * sizeof *kf->keys);
    free(kf->keys);
    free(kf);
}

static const key_entry *find(const keyfile *kf, const char *id)
{
    for (size_t i = 0; kf && id && i < kf->n; i++)
        if (strcmp(kf->keys[i].id, id) == 0)
            return &kf->keys[i];
    return NULL;
}

/* Parses one line into kf; NULL, or what is wrong with it. */
static const char *parse_line(keyfile *kf, char *line)
{
    char *field[4];
    size_t n = 0;
    char *save = NULL;
    line += strspn(line, " \t");
    if (*line == '#')
        return NULL;
    for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (n == 3)
            return "more than three fields (expected KEYID SECRET [NAME])";
        field[n++] = tok;
    }
    if (n == 0)
        return NULL;
    if (n < 2)
        return "no secret (expected KEYID SECRET [NAME])";
    size_t len = strlen(field[0]);
    if (len > MAX_ID)
        return "key id longer than 128 characters";
    for (size_t i = 0; i < len; i++)
        if (!id_char(field[0][i]))
            return "key id has a character other than A-Z a-z 0-9";
    len = strlen(field[1]);
    if (len > MAX_SECRET)
        return "secret longer than 256 characters";
    for (size_t i = 0; i < len; i++)
        if (field[1][i] < 0x21 || field[1][i] > 0x7e)
            return "secret has a character that is not printable ASCII";
    if (n == 3) {
        len = strlen(field[2]);
        if (len > MAX_NAME)
            return "name longer than 64 characters";
        for (size_t i = 0; i < len; i++)
            if (!name_char(field[2][i]))
                return "name has a character other than A-Z a-z 0-9 . _ @ -";
    }
    if (find(kf, field[0]))
        return "key id listed twice";
    if (kf->n == MAX_KEYS)
        return "more than 10000 keys";
    if (kf->n == kf->cap) {
        size_t cap = kf->cap ? kf->cap * 2 : 16;
        key_entry *k = calloc(cap, sizeof *k);
        if (!k)
            return "out of memory";
        if (kf->keys) {
            memcpy(k, kf->keys, kf->n * sizeof *k);
            OPENSSL_cleanse(kf->keys, kf->cap * sizeof *kf->keys);
            free(kf->keys);
        }
        kf->keys = k;
        kf->cap = cap;
    }
    key_entry *e = &kf->keys[kf->n++];
    snprintf(e->id, sizeof e->id, "%s", field[0]);
    snprintf(e->secret, sizeof e->secret, "%s", field[1]);
    snprintf(e->name, sizeof e->name, "%s", n == 3 ? field[2] : field[0]);
    return NULL;
}

keyfile *keyfile_load(const char *path, char *err, size_t errlen)
{
    if (!path) {
        set_err(err, errlen, "no key file given");
        errno = EINVAL;
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            set_err(err, errlen, "%s: is a symbolic link; give the file itself", path);
        else
            set_err(err, errlen, "%s: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        set_err(err, errlen, "%s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errlen, "%s: not a regular file", path);
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    if (st.st_uid != geteuid()) {
        set_err(err, errlen, "%s: owned by uid %u, not by this process's uid %u",
                path, (unsigned)st.st_uid, (unsigned)geteuid());
        close(fd);
        errno = EACCES;
        return NULL;
    }
    if (st.st_mode & 077) {
        set_err(err, errlen, "%s: mode %04o gives group or others access; "
                "it must be 0600 or 0400 (chmod 600 %s)",
                path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        errno = EACCES;
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        int e = errno;
        set_err(err, errlen, "%s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return NULL;
    }
    keyfile *kf = calloc(1, sizeof *kf);
    if (!kf) {
        fclose(f);
        set_err(err, errlen, "%s: out of memory", path);
        errno = ENOMEM;
        return NULL;
    }
    char line[MAX_LINE + 2];
    unsigned lineno = 0;
    const char *bad = NULL;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            bad = "line longer than 1023 bytes";
            break;
        }
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        bad = parse_line(kf, line);
        if (bad)
            break;
    }
    int read_error = ferror(f);
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    if (bad) {
        set_err(err, errlen, "%s:%u: %s", path, lineno, bad);
        keyfile_free(kf);
        errno = EINVAL;
        return NULL;
    }
    if (read_error) {
        set_err(err, errlen, "%s: read error", path);
        keyfile_free(kf);
        errno = EIO;
        return NULL;
    }
    if (kf->n == 0) {
        set_err(err, errlen, "%s: no keys in the file", path);
        keyfile_free(kf);
        errno = EINVAL;
        return NULL;
    }
    return kf;
}

int keyfile_lookup(void *cls, const char *key_id, char *secret, size_t size)
{
    const key_entry *e = find(cls, key_id);
    if (!e || !secret || strlen(e->secret) >= size)
        return -1;
    memcpy(secret, e->secret, strlen(e->secret) + 1);
    return 0;
}

const char *keyfile_name(const keyfile *kf, const char *key_id)
{
    const key_entry *e = find(kf, key_id);
    return e ? e->name : NULL;
}

size_t keyfile_count(const keyfile *kf)
{
    return kf ? kf->n : 0;
}
