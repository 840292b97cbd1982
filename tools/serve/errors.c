/* SPDX-License-Identifier: MIT */
/*
 * The modeled errors of the AgentCore data plane (doc/serve-api.md): the
 * status of the shape, the header x-amzn-errortype that botocore reads the
 * code from, and a JSON body with "message" (and "reason", which
 * ValidationException requires).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "serve.h"

static const struct {
    const char *shape;
    unsigned status;
} shapes[] = {
    {"ValidationException", 400},
    {"ServiceQuotaExceededException", 402},
    {"AccessDeniedException", 403},
    {"ResourceNotFoundException", 404},
    {"ConflictException", 409},
    {"ThrottlingException", 429},
    {"InternalServerException", 500},
    /* not modeled: a route the model does not have */
    {"UnknownOperationException", 404},
};

unsigned serve_error_status(const char *shape)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (strcmp(shapes[i].shape, shape) == 0)
            return shapes[i].status;
    return 500;
}

static enum MHD_Result verror(serve_request *req, const char *shape, const char *reason,
                              const char *field, const char *fmt, va_list ap)
{
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);

    unsigned status = serve_error_status(shape);
    /* a body refused by its size is told apart by the status too */
    if (req->too_big && strcmp(shape, "ValidationException") == 0)
        status = 413;
    if (!reason && strcmp(shape, "ValidationException") == 0)
        reason = "FieldValidationFailed";

    cJSON *body = cJSON_CreateObject();
    char *json = NULL;
    int ok = body && cJSON_AddStringToObject(body, "message", message) &&
             (!reason || cJSON_AddStringToObject(body, "reason", reason));
    if (ok && field) {
        cJSON *list = cJSON_AddArrayToObject(body, "fieldList");
        cJSON *item = cJSON_CreateObject();
        ok = list && item && cJSON_AddStringToObject(item, "name", field) &&
             cJSON_AddStringToObject(item, "message", message);
        if (item && !cJSON_AddItemToArray(list, item)) {
            cJSON_Delete(item);
            ok = 0;
        }
    }
    if (ok)
        json = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);

    const char *headers[] = {"x-amzn-errortype", shape, NULL};
    req->error_kind = shape;
    static const char fallback[] = "{\"message\":\"out of memory\"}";
    enum MHD_Result r = serve_reply(req, status, "application/json", json ? json : fallback,
                                    json ? strlen(json) : strlen(fallback), headers);
    free(json);
    return r;
}

enum MHD_Result serve_error(serve_request *req, const char *shape, const char *reason,
                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum MHD_Result r = verror(req, shape, reason, NULL, fmt, ap);
    va_end(ap);
    return r;
}

enum MHD_Result serve_field_error(serve_request *req, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum MHD_Result r = verror(req, "ValidationException", "FieldValidationFailed", field, fmt,
                               ap);
    va_end(ap);
    return r;
}

int serve_session_id_valid(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'z') ||
              (id[n] >= 'A' && id[n] <= 'Z')))
            return 0;
    return n >= 1 && n <= 40;
}
