/* SPDX-License-Identifier: MIT */
#include "sandbox/helper_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fdutil.h"

int ci_proto_send(int sock, const cJSON *msg, const int *fds, size_t nfds)
{
    char *text = cJSON_PrintUnformatted(msg);
    if (!text)
        return -ENOMEM;
    size_t len = strlen(text);
    int r = len > CI_PROTO_MAX_MSG ? -EMSGSIZE : ci_seq_send(sock, text, len, fds, nfds);
    free(text);
    return r;
}

int ci_proto_recv(int sock, cJSON **msg, int *fds, size_t *nfds)
{
    char *buf = malloc(CI_PROTO_MAX_MSG + 1);
    if (!buf)
        return -ENOMEM;
    ssize_t n = ci_seq_recv(sock, buf, CI_PROTO_MAX_MSG, fds, nfds);
    if (n <= 0) {
        free(buf);
        return n == 0 ? -EPIPE : (int)n;
    }
    buf[n] = '\0';
    cJSON *m = cJSON_ParseWithLength(buf, (size_t)n);
    free(buf);
    if (!m || !cJSON_IsObject(m) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "op"))) {
        cJSON_Delete(m);
        if (nfds) {
            for (size_t i = 0; i < *nfds; i++)
                close(fds[i]);
            *nfds = 0;
        }
        return -EPROTO;
    }
    *msg = m;
    return 0;
}

const char *ci_proto_op(const cJSON *msg)
{
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(msg, "op");
    return cJSON_IsString(op) ? op->valuestring : "";
}
