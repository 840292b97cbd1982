/* SPDX-License-Identifier: MIT */
#include "api/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

CI_EXPORT const char *ci_strerror(int code)
{
    switch (code) {
    case CI_OK: return "success";
    case CI_EINVAL: return "invalid argument";
    case CI_ENOMEM: return "out of memory";
    case CI_ESANDBOX: return "sandbox setup failed";
    case CI_EUNSUPPORTED: return "not supported";
    case CI_EEXPIRED: return "session expired";
    case CI_ECLOSED: return "session sandbox is gone";
    case CI_EBUSY: return "session is busy";
    case CI_ERUNNER: return "language runner failed";
    case CI_EIO: return "input/output error";
    case CI_ECANCELED: return "canceled";
    case CI_ETOOBIG: return "size limit exceeded";
    case CI_EPATH: return "invalid file name";
    case CI_ENOENT: return "no such file";
    case CI_EPROTO: return "malformed request";
    case CI_EUNKNOWN: return "unknown name";
    case CI_ELIMIT: return "resource limit unavailable";
    case CI_ETRANSFER: return "transfer failed";
    case CI_EFILETYPE: return "file type not accepted";
    case CI_EAUDIT: return "audit trail does not verify";
    case CI_ENOCREDENTIALS: return "no S3 credentials";
    case CI_EACCESS: return "S3 access denied";
    case CI_ENOBUCKET: return "no such S3 bucket";
    case CI_ENOKEY: return "no such S3 key";
    case CI_ENETWORK: return "network failure";
    case CI_ECHECKSUM: return "checksum mismatch";
    default: return "unknown error";
    }
}

CI_EXPORT const char *ci_last_error(void)
{
    return last_error;
}

void ci_error_reset(void)
{
    last_error[0] = '\0';
}

int ci_fail(struct ci_session *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
    if (s) {
        size_t cap;
        char *buf = ci_session_error_buf(s, &cap);
        snprintf(buf, cap, "%s", last_error);
    }
    return code;
}
