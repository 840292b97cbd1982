/* SPDX-License-Identifier: MIT */
/*
 * The server's access keys, from a file only its owner can read.
 *
 * Format: UTF-8 text, one key per line, fields separated by spaces or tabs:
 *
 *     # comment (a line whose first non-blank character is '#')
 *     KEYID  SECRET  [NAME]
 *
 *   KEYID   1-128 characters of A-Z a-z 0-9 (an AWS access key id is
 *           upper-case letters and digits, 16-128 long), unique in the file
 *   SECRET  1-256 printable ASCII characters, no blanks
 *   NAME    optional, 1-64 characters of A-Z a-z 0-9 . _ @ -: who holds
 *           the key, for logs and audit records (default: the key id)
 *
 * Blank lines are skipped; a line is at most 1023 bytes; at most 10000
 * keys; a file without any key is refused.
 *
 * The file is refused unless it is a regular file (symbolic links are not
 * followed), owned by the effective uid of the process, and without any
 * permission for group or others (mode 0600 or 0400).
 */
#ifndef CI_SERVE_KEYFILE_H
#define CI_SERVE_KEYFILE_H

#include <stddef.h>

typedef struct keyfile keyfile;

/* Loads path. NULL on failure, with a one-line reason in err[errlen]
 * ("PATH: ...", or "PATH:LINE: ..." for a bad line); errno is set (EACCES
 * for the mode or owner, EINVAL for the contents, else that of the
 * failing call). */
keyfile *keyfile_load(const char *path, char *err, size_t errlen);

/* The lookup of sigv4_verify.h (cls is the keyfile): copies the secret of
 * key_id into secret[size]; 0, or -1 if unknown or it does not fit. */
int keyfile_lookup(void *cls, const char *key_id, char *secret, size_t size);

/* The name of key_id (its id when the line gave none), NULL if unknown. */
const char *keyfile_name(const keyfile *kf, const char *key_id);

size_t keyfile_count(const keyfile *kf);

/* Wipes the secrets and frees; NULL is fine. */
void keyfile_free(keyfile *kf);

#endif
