/* SPDX-License-Identifier: MIT */
/* AWS event-stream message encoding; the format is described in eventstream.h. */
#include "eventstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static unsigned char *put_u8(unsigned char *p, uint8_t v)
{
    *p = v;
    return p + 1;
}

static unsigned char *put_be(unsigned char *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8u * (bytes - 1u - i)));
    return p + bytes;
}

/* zlib's crc32 takes a uInt length: feed it in pieces. */
static uint32_t crc32_of(uint32_t crc, const unsigned char *p, size_t len)
{
    uLong c = crc;
    while (len > 0) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

/* Bytes the value of header h takes after its type byte, or -1 if it is
 * not valid. */
static long value_size(const es_header *h)
{
    switch (h->type) {
    case ES_BOOL_TRUE:
    case ES_BOOL_FALSE:
        return 0;
    case ES_BYTE:
        return h->number >= INT8_MIN && h->number <= INT8_MAX ? 1 : -1;
    case ES_SHORT:
        return h->number >= INT16_MIN && h->number <= INT16_MAX ? 2 : -1;
    case ES_INTEGER:
        return h->number >= INT32_MIN && h->number <= INT32_MAX ? 4 : -1;
    case ES_LONG:
    case ES_TIMESTAMP:
        return 8;
    case ES_BYTE_ARRAY:
    case ES_STRING:
        if (h->len > UINT16_MAX || (h->len > 0 && !h->bytes))
            return -1;
        return 2 + (long)h->len;
    case ES_UUID:
        return h->len == 16 && h->bytes ? 16 : -1;
    }
    return -1;
}

int es_encode(const es_header *headers, size_t n_headers,
              const void *payload, size_t payload_len,
              unsigned char **out, size_t *out_len)
{
    if (!out || !out_len || (n_headers > 0 && !headers) ||
        (payload_len > 0 && !payload)) {
        errno = EINVAL;
        return -1;
    }
    size_t headers_len = 0;
    for (size_t i = 0; i < n_headers; i++) {
        const es_header *h = &headers[i];
        size_t name_len = h->name ? strlen(h->name) : 0;
        long vs = value_size(h);
        if (name_len == 0 || name_len > 255 || vs < 0) {
            errno = EINVAL;
            return -1;
        }
        headers_len += 1 + name_len + 1 + (size_t)vs;
        if (headers_len > ES_MAX_HEADERS_LEN) {
            errno = EMSGSIZE;
            return -1;
        }
    }
    if (payload_len > ES_MAX_PAYLOAD_LEN) {
        errno = EMSGSIZE;
        return -1;
    }
    size_t total = ES_PRELUDE_LEN + headers_len + payload_len + 4;
    unsigned char *buf = malloc(total);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    unsigned char *p = buf;
    p = put_be(p, total, 4);
    p = put_be(p, headers_len, 4);
    p = put_be(p, crc32_of(0, buf, 8), 4);
    for (size_t i = 0; i < n_headers; i++) {
        const es_header *h = &headers[i];
        size_t name_len = strlen(h->name);
        p = put_u8(p, (uint8_t)name_len);
        memcpy(p, h->name, name_len);
        p += name_len;
        p = put_u8(p, (uint8_t)h->type);
        switch (h->type) {
        case ES_BOOL_TRUE:
        case ES_BOOL_FALSE:
            break;
        case ES_BYTE:
            p = put_be(p, (uint64_t)h->number, 1);
            break;
        case ES_SHORT:
            p = put_be(p, (uint64_t)h->number, 2);
            break;
        case ES_INTEGER:
            p = put_be(p, (uint64_t)h->number, 4);
            break;
        case ES_LONG:
        case ES_TIMESTAMP:
            p = put_be(p, (uint64_t)h->number, 8);
            break;
        case ES_BYTE_ARRAY:
        case ES_STRING:
            p = put_be(p, h->len, 2);
            if (h->len > 0)
                memcpy(p, h->bytes, h->len);
            p += h->len;
            break;
        case ES_UUID:
            memcpy(p, h->bytes, 16);
            p += 16;
            break;
        }
    }
    if (payload_len > 0)
        memcpy(p, payload, payload_len);
    p += payload_len;
    put_be(p, crc32_of(0, buf, total - 4), 4);
    *out = buf;
    *out_len = total;
    return 0;
}

static int encode_typed(const char *message_type, const char *type_name,
                        const char *type, const char *content_type,
                        const void *payload, size_t payload_len,
                        unsigned char **out, size_t *out_len)
{
    if (!type || !*type) {
        errno = EINVAL;
        return -1;
    }
    es_header h[3] = {
        ES_HEADER_STRING(":message-type", message_type),
        ES_HEADER_STRING(type_name, type),
    };
    size_t n = 2;
    if (content_type)
        h[n++] = ES_HEADER_STRING(":content-type", content_type);
    return es_encode(h, n, payload, payload_len, out, out_len);
}

int es_encode_event(const char *event_type, const char *content_type,
                    const void *payload, size_t payload_len,
                    unsigned char **out, size_t *out_len)
{
    return encode_typed("event", ":event-type", event_type, content_type,
                        payload, payload_len, out, out_len);
}

int es_encode_exception(const char *exception_type, const char *content_type,
                        const void *payload, size_t payload_len,
                        unsigned char **out, size_t *out_len)
{
    return encode_typed("exception", ":exception-type", exception_type,
                        content_type, payload, payload_len, out, out_len);
}
