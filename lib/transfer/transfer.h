/* SPDX-License-Identifier: MIT */
/*
 * The transfer backend interface: how the core moves files between the
 * host and an object store (S3 inputs into /data, /output to S3, the
 * session's S3 calls). The core drives a store only through these
 * operations, so another one (https, GCS) plugs in beside the S3 backend
 * without touching sessions. Bump CI_TRANSFER_OPS_VERSION when the struct
 * changes.
 *
 * Every operation streams between a file descriptor and the network and
 * never holds an object whole in memory. Failures return a negative CI_E*
 * code and write a message naming the bucket and key into err; credentials
 * never appear in a message.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define CI_TRANSFER_OPS_VERSION 2

/* Largest object moved either way (S3's limit for a single PUT). */
#define CI_TRANSFER_MAX_OBJECT (5ull << 30)
/* Most objects one listing may name. */
#define CI_TRANSFER_MAX_OBJECTS 10000

struct ci_transfer;
struct ci_s3_settings;

/* What a backend is opened with: the parts of a session's configuration
 * that transfers read. */
struct ci_transfer_params {
    const struct ci_s3_settings *s3; /* NULL: the environment and defaults */
};

/*
 * Called as bytes move (and at least every half second while waiting, so
 * that it can stop a transfer): done and total bytes of the current object
 * (total is UINT64_MAX while unknown). A non-zero return stops the transfer,
 * which then fails with CI_ECANCELED.
 */
typedef int (*ci_transfer_progress_fn)(uint64_t done, uint64_t total, void *data);

struct ci_transfer_progress {
    ci_transfer_progress_fn fn; /* NULL: none */
    void *data;
};

/* One object a URI names. */
struct ci_transfer_object {
    char *uri;      /* its own URI, e.g. "s3://bucket/in/2024/a.csv" */
    char *name;     /* relative file name: the key less the listed prefix,
                       or the key's last component for a single key */
    uint64_t size;  /* UINT64_MAX when not known before the download */
};

struct ci_transfer_listing {
    struct ci_transfer_object *objects;
    size_t count;
};
void ci_transfer_listing_free(struct ci_transfer_listing *l);

struct ci_transfer_ops {
    unsigned version;
    const char *name;
    const char *scheme; /* the URIs it serves start with this, e.g. "s3://" */
    /* Checks that uri is one this backend can use: `prefix` non-zero asks
     * for a folder ("…/" or the bucket itself), zero for one object, -1
     * accepts both. 0 or CI_EINVAL with a message. */
    int (*check_uri)(const char *uri, int prefix, char *err, size_t errlen);
    /* A client with the parameters' credentials, region and endpoint
     * (falling back to the standard environment variables). */
    int (*open)(const struct ci_transfer_params *params, struct ci_transfer **out, char *err,
                size_t errlen);
    /* The objects uri names: one for a key (its size unknown until the
     * download), every object under it for a prefix ending in '/' (folder
     * markers left out). An empty prefix is CI_ENOKEY. */
    int (*list)(struct ci_transfer *t, const char *uri, struct ci_transfer_listing *out,
                char *err, size_t errlen);
    /* Writes the object into fd, an empty regular file, checking its length
     * (against `expect_size` too unless UINT64_MAX) and its checksum where
     * the store gives one; *size is the object's length. On failure fd holds
     * garbage: the caller throws the file away. */
    int (*get)(struct ci_transfer *t, const char *uri, uint64_t expect_size, int fd,
               const struct ci_transfer_progress *p, uint64_t *size, char *err, size_t errlen);
    /* Stores `size` bytes of the regular file fd (from offset 0) as uri,
     * whole or not at all. */
    int (*put)(struct ci_transfer *t, int fd, uint64_t size, const char *uri,
               const struct ci_transfer_progress *p, char *err, size_t errlen);
    void (*close)(struct ci_transfer *t);
};

extern const struct ci_transfer_ops ci_s3_transfer_ops;

/* The registered backend serving uri's scheme, or NULL
 * (transfer_registry.c). */
const struct ci_transfer_ops *ci_transfer_for_uri(const char *uri);
/* The backend among the n of table serving uri's scheme, or NULL. An entry
 * built against another CI_TRANSFER_OPS_VERSION, or missing its scheme or
 * an operation, is refused: passed over. */
const struct ci_transfer_ops *ci_transfer_find(const struct ci_transfer_ops *const *table,
                                               size_t n, const char *uri);
