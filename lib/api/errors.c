/* SPDX-License-Identifier: MIT */
#include "core/error.h"

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
    case CI_ETOOMANY: return "too many (a per-session bound was reached)";
    default: return "unknown error";
    }
}

CI_EXPORT const char *ci_last_error(void)
{
    return ci_error_last();
}
