/* SPDX-License-Identifier: MIT */
/*
 * AWS event-stream messages (application/vnd.amazon.eventstream), encoding
 * only: what `codeinterp serve` writes as the body of InvokeCodeInterpreter.
 *
 * One message on the wire, all integers big-endian:
 *
 *   total length (u32) | headers length (u32) | prelude CRC32 (u32)
 *   headers                (headers length bytes)
 *   payload                (total - headers length - 16 bytes)
 *   message CRC32 (u32)
 *
 * The prelude CRC covers the first 8 bytes; the message CRC covers every
 * byte before it, prelude CRC included. CRC32 is zlib's (IEEE 802.3).
 *
 * One header: name length (u8, 1..255) | name | value type (u8) | value,
 * the value by type: 0 true and 1 false (no bytes), 2 byte (i8), 3 short
 * (i16), 4 integer (i32), 5 long (i64), 6 byte array and 7 string (u16
 * length, then the bytes), 8 timestamp (i64, milliseconds since the epoch),
 * 9 uuid (16 bytes).
 *
 * The limits are those of botocore's reader (botocore/eventstream.py):
 * headers at most 128 KiB and a payload at most 24 MiB per message. A
 * larger result must be split over several messages by the caller.
 */
#ifndef CI_SERVE_EVENTSTREAM_H
#define CI_SERVE_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ES_PRELUDE_LEN 12u
#define ES_MAX_HEADERS_LEN (128u * 1024u)
#define ES_MAX_PAYLOAD_LEN (24u * 1024u * 1024u)

typedef enum es_header_type {
    ES_BOOL_TRUE = 0,
    ES_BOOL_FALSE = 1,
    ES_BYTE = 2,
    ES_SHORT = 3,
    ES_INTEGER = 4,
    ES_LONG = 5,
    ES_BYTE_ARRAY = 6,
    ES_STRING = 7,
    ES_TIMESTAMP = 8,
    ES_UUID = 9,
} es_header_type;

/* One header. `bytes`/`len` hold the value of ES_BYTE_ARRAY and ES_STRING
 * (len <= 65535) and of ES_UUID (len == 16); `number` holds the value of
 * ES_BYTE, ES_SHORT, ES_INTEGER, ES_LONG and ES_TIMESTAMP (range-checked
 * for the narrow types). The booleans carry no value. */
typedef struct es_header {
    const char *name;
    es_header_type type;
    const void *bytes;
    size_t len;
    int64_t number;
} es_header;

/* A string header, the common case. */
#define ES_HEADER_STRING(n, s) \
    ((es_header){ .name = (n), .type = ES_STRING, .bytes = (s), .len = strlen(s) })

/* Encodes one message into a new buffer (*out, *out_len; free() it).
 * Returns 0, or -1 with errno set and *out untouched:
 *   EINVAL     a header's name is empty or over 255 bytes, a value is out of
 *              its type's range, a uuid is not 16 bytes, an unknown type,
 *              or a NULL pointer where bytes are needed
 *   EMSGSIZE   the headers over 128 KiB or the payload over 24 MiB
 *   ENOMEM     no memory
 * Header names are not checked for duplicates (botocore refuses them). */
int es_encode(const es_header *headers, size_t n_headers,
              const void *payload, size_t payload_len,
              unsigned char **out, size_t *out_len);

/* An event: `:message-type` event, `:event-type` event_type (the member
 * name of the stream shape, "result" for InvokeCodeInterpreter),
 * `:content-type` content_type (NULL leaves it out; the JSON events of
 * rest-json services use "application/json"). */
int es_encode_event(const char *event_type, const char *content_type,
                    const void *payload, size_t payload_len,
                    unsigned char **out, size_t *out_len);

/* A modeled exception: `:message-type` exception, `:exception-type`
 * exception_type (the member name in the stream shape, e.g.
 * "validationException", which botocore maps to the error code),
 * `:content-type` content_type (NULL leaves it out). The payload is the
 * exception's JSON body, e.g. {"message":"...","reason":"..."}. */
int es_encode_exception(const char *exception_type, const char *content_type,
                        const void *payload, size_t payload_len,
                        unsigned char **out, size_t *out_len);

#endif
