/* SPDX-License-Identifier: MIT */
/*
 * The file tools of ci_invoke_json(), with AgentCore's argument names:
 * writeFiles {"content":[{"path","text"|"blob"}]}, readFiles {"paths"},
 * listFiles {"directoryPath"} (and this library's "limit" and "nextToken"
 * pages), removeFiles {"paths"}. Files are read back as MCP "resource"
 * blocks (text when the bytes are UTF-8, base64 "blob" otherwise, so
 * binary content round-trips byte-exact) and listed as "resource_link"
 * blocks, with file:///workspace/... or file:///output/... URIs.
 *
 * One answer is one JSON text in memory, so readFiles and listFiles are
 * bounded per call: READ_FILES_MAX_BYTES of files in all, READ_FILES_MAX_PATHS
 * paths, each named once; LIST_FILES_DEFAULT entries a page unless "limit"
 * asks for up to CI_FILE_LIST_MAX.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "api/invoke_internal.h"
#include "api/json_result.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/json_text.h"
#include "util/mime.h"
#include "util/safe_path.h"
#include "util/utf8.h"

/* readFiles: the most bytes of files one call reads, and the most paths
 * it names. The answer is about 4/3 of the bytes (base64), and it is
 * printed once and copied once. */
#define READ_FILES_MAX_BYTES ((uint64_t)16 << 20)
#define READ_FILES_MAX_PATHS 1000
/* listFiles: entries per page without a "limit". */
#define LIST_FILES_DEFAULT 1000

int ci_json_has_nul_escape(const char *p)
{
    int in_string = 0;
    for (; *p; p++) {
        if (*p == '"') {
            in_string = !in_string;
        } else if (in_string && *p == '\\') {
            p++;
            if (*p == 'u' && p[1] == '0' && p[2] == '0' && p[3] == '0' && p[4] == '0')
                return 1;
            if (!*p)
                return 0;
        }
    }
    return 0;
}

static int invalid(char **out, const char *tool, const char *why)
{
    return ci_invoke_problem("error", "InvalidRequest", 0, out, "invalid request: %s: %s", tool,
                             why);
}

static int refuse_nul(char **out, const char *tool)
{
    return invalid(out, tool, "a string holds a NUL character (\\u0000); paths cannot contain "
                              "one, and binary content must be sent base64-encoded as \"blob\"");
}

/* A failed file call, classified for programs; the session's message says
 * which file and why. */
static int file_problem(ci_session *s, const char *tool, int code, char **out)
{
    const char *status = "error", *kind = "FileError";
    switch (code) {
    case CI_ENOMEM:
        return CI_ENOMEM;
    case CI_EPATH:
        kind = "InvalidPath";
        break;
    case CI_ENOENT:
        kind = "FileNotFound";
        break;
    case CI_ETOOBIG:
        kind = "FileTooLarge";
        break;
    case CI_EFILETYPE:
        kind = "NotRegularFile";
        break;
    default:
        ci_invoke_session_problem(code, &status, &kind);
        break;
    }
    return ci_invoke_problem(status, kind, code, out, "%s failed: %s", tool,
                             ci_session_last_error(s));
}

/* The array member `name` of args whose items are all strings, or NULL. */
static const cJSON *string_array(const cJSON *args, const char *name)
{
    const cJSON *a = cJSON_IsObject(args) ? cJSON_GetObjectItemCaseSensitive(args, name) : NULL;
    if (!cJSON_IsArray(a))
        return NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, a)
        if (!cJSON_IsString(item))
            return NULL;
    return a;
}

/* {"content":content,"structuredContent":structured (if any),"isError":false}
 * printed into a malloc'd string for ci_free(). Takes both items. */
static int answer(cJSON *content, cJSON *structured, char **out)
{
    int rc = CI_ENOMEM;
    cJSON *root = cJSON_CreateObject();
    if (!root || !content || !cJSON_AddItemToObject(root, "content", content)) {
        cJSON_Delete(content);
        goto done;
    }
    if (structured && !cJSON_AddItemToObject(root, "structuredContent", structured))
        goto done;
    structured = NULL;
    if (!cJSON_AddBoolToObject(root, "isError", 0))
        goto done;
    char *printed = cJSON_PrintUnformatted(root);
    if (!printed)
        goto done;
    /* cJSON may allocate through hooks the host replaced; ci_free() is free() */
    size_t n = strlen(printed) + 1;
    *out = malloc(n);
    if (*out) {
        memcpy(*out, printed, n);
        rc = 0;
    }
    cJSON_free(printed);
done:
    cJSON_Delete(structured);
    cJSON_Delete(root);
    return rc;
}

/* Appends `s` percent-encoded as a URI path: every byte but the unreserved
 * characters and '/' becomes %XX. */
static int append_uri_path(ci_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            if (ci_buf_append(b, p, 1) < 0)
                return -1;
        } else {
            char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
            if (ci_buf_append(b, esc, 3) < 0)
                return -1;
        }
    }
    return 0;
}

/* file://<area>/<name inside it>[/<entry>] for a name ci_files_where()
 * took (entry: one of the folder's, or NULL); malloc'd or NULL. */
static char *file_uri(const struct ci_file_where *at, const char *entry)
{
    ci_buf b = { 0 };
    int root = !strcmp(at->rel, ".");
    int ok = ci_buf_append(&b, "file://", 7) == 0 && append_uri_path(&b, at->root) == 0 &&
             (root || (ci_buf_append(&b, "/", 1) == 0 && append_uri_path(&b, at->rel) == 0)) &&
             (!entry || (ci_buf_append(&b, "/", 1) == 0 && append_uri_path(&b, entry) == 0));
    if (!ok) {
        ci_buf_free(&b);
        return NULL;
    }
    return ci_buf_steal(&b);
}

/* ------------------------------------------------------------ writeFiles */

int ci_invoke_write_files(ci_session *s, const cJSON *args, int has_nul, char **out)
{
    static const char tool[] = "writeFiles";
    if (has_nul)
        return refuse_nul(out, tool);
    const cJSON *content = cJSON_IsObject(args)
                               ? cJSON_GetObjectItemCaseSensitive(args, "content") : NULL;
    if (!cJSON_IsArray(content))
        return invalid(out, tool, "\"arguments.content\" must be an array of "
                                  "{\"path\": ..., \"text\" or \"blob\": ...}");
    size_t n = (size_t)cJSON_GetArraySize(content);
    struct ci_file_data *files = calloc(n ? n : 1, sizeof(*files));
    unsigned char **blobs = calloc(n ? n : 1, sizeof(*blobs));
    int rc = CI_ENOMEM;
    if (!files || !blobs)
        goto done;

    /* everything is checked and decoded before the first byte is written */
    size_t i = 0;
    const cJSON *item;
    char why[160];
    cJSON_ArrayForEach(item, content) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(item, "path");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(item, "text");
        const cJSON *blob = cJSON_GetObjectItemCaseSensitive(item, "blob");
        if (cJSON_IsNull(text))
            text = NULL;
        if (cJSON_IsNull(blob))
            blob = NULL;
        if (!cJSON_IsObject(item) || !cJSON_IsString(path) || (text && !cJSON_IsString(text)) ||
            (blob && !cJSON_IsString(blob)) || !text == !blob) {
            snprintf(why, sizeof(why), "content[%zu] must be {\"path\": string, and either "
                     "\"text\": string or \"blob\": base64 string}", i);
            rc = invalid(out, tool, why);
            goto done;
        }
        files[i].name = path->valuestring;
        if (text) {
            files[i].data = text->valuestring;
            files[i].len = strlen(text->valuestring);
        } else {
            blobs[i] = ci_b64_decode(blob->valuestring, strlen(blob->valuestring), &files[i].len);
            if (!blobs[i]) {
                snprintf(why, sizeof(why), "content[%zu].blob is not valid base64 (standard "
                         "alphabet, padded, no whitespace)", i);
                rc = invalid(out, tool, why);
                goto done;
            }
            files[i].data = blobs[i];
        }
        i++;
    }

    rc = ci_files_write_all(s, files, n);
    if (rc < 0) {
        rc = file_problem(s, tool, rc, out);
        goto done;
    }
    ci_buf text = { 0 };
    cJSON *sc = cJSON_CreateObject();
    cJSON *list = sc && cJSON_AddStringToObject(sc, "status", "ok")
                      ? cJSON_AddArrayToObject(sc, "files") : NULL;
    int ok = list != NULL;
    char line[64];
    snprintf(line, sizeof(line), "wrote %zu file%s", n, n == 1 ? "" : "s");
    ok = ok && ci_buf_append(&text, line, strlen(line)) == 0;
    for (i = 0; ok && i < n; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddItemToArray(list, f);
        ok = f && ci_json_add_text(f, "path", files[i].name) &&
             cJSON_AddNumberToObject(f, "size", (double)files[i].len);
        snprintf(line, sizeof(line), " (%zu bytes)", files[i].len);
        ok = ok && ci_buf_append(&text, i ? ", " : ": ", 2) == 0 &&
             ci_buf_append(&text, files[i].name, strlen(files[i].name)) == 0 &&
             ci_buf_append(&text, line, strlen(line)) == 0;
    }
    if (ok) {
        rc = ci_json_tool_result(ci_buf_cstr(&text), text.len, sc, 0, out);
    } else {
        cJSON_Delete(sc);
        rc = CI_ENOMEM;
    }
    ci_buf_free(&text);
done:
    for (size_t k = 0; blobs && k < n; k++)
        free(blobs[k]);
    free(blobs);
    free(files);
    return rc;
}

/* ------------------------------------------------------------- readFiles */

/* Appends `len` bytes as a JSON string literal (ci_json_text_quote). */
static int append_quoted(ci_buf *b, const char *text, size_t len)
{
    size_t n;
    char *q = ci_json_text_quote(text, len, 0, &n);
    int r = q ? ci_buf_append(b, q, n) : CI_ENOMEM;
    free(q);
    return r;
}

/* Appends ,{"type":"resource","resource":{"uri","mimeType","text"|"blob"}}
 * (no comma for the first), the bytes written straight into the answer:
 * text quoted, anything else base64-encoded in place. */
static int append_resource(ci_buf *b, int first, const struct ci_file_where *at,
                           const char *data, size_t len)
{
    static const char head[] = "{\"type\":\"resource\",\"resource\":{\"uri\":";
    char *uri = file_uri(at, NULL);
    const char *mime = ci_mime_type(at->rel);
    int text = ci_utf8_is_plain((const unsigned char *)data, len);
    int r = uri ? CI_OK : CI_ENOMEM;
    if (r == CI_OK && !first)
        r = ci_buf_append(b, ",", 1);
    if (r == CI_OK)
        r = ci_buf_append(b, head, sizeof(head) - 1);
    if (r == CI_OK)
        r = append_quoted(b, uri, strlen(uri));
    if (r == CI_OK)
        r = ci_buf_append(b, ",\"mimeType\":", 12);
    if (r == CI_OK)
        r = append_quoted(b, mime, strlen(mime));
    if (r == CI_OK && text) {
        r = ci_buf_append(b, ",\"text\":", 8);
        if (r == CI_OK)
            r = append_quoted(b, data, len);
    } else if (r == CI_OK) {
        size_t n = (len + 2) / 3 * 4;
        r = ci_buf_append(b, ",\"blob\":\"", 9);
        if (r == CI_OK)
            r = ci_buf_reserve(b, n);
        if (r == CI_OK)
            b->len += ci_b64_encode_into(b->data + b->len, data, len);
        if (r == CI_OK)
            r = ci_buf_append(b, "\"", 1);
    }
    if (r == CI_OK)
        r = ci_buf_append(b, "}}", 2);
    free(uri);
    return r;
}

/* Checks the paths before anything is read: each valid and named once.
 * 1 when they are, else the answer's 0 or CI_ENOMEM. */
static int check_read_paths(const cJSON *paths, struct ci_file_where *at, char **out)
{
    static const char tool[] = "readFiles";
    char why[200];
    size_t i = 0;
    const cJSON *path;
    cJSON_ArrayForEach(path, paths) {
        if (ci_files_where(path->valuestring, 0, &at[i], why, sizeof(why)) < 0)
            return ci_invoke_problem("error", "InvalidPath", CI_EPATH, out,
                                     "%s failed: \"%.200s\": %s", tool, path->valuestring, why);
        for (size_t j = 0; j < i; j++) {
            if (at[j].area == at[i].area && !strcmp(at[j].rel, at[i].rel))
                return ci_invoke_problem("error", "InvalidRequest", 0, out,
                                         "invalid request: %s: paths[%zu] \"%.200s\" names the "
                                         "same file as paths[%zu]; name each file once", tool, i,
                                         path->valuestring, j);
        }
        i++;
    }
    return 1;
}

/* readFiles writes its answer itself rather than through cJSON: each
 * file's bytes go into the answer once, text quoted and binary base64ed in
 * place, and the file is freed before the next is read. Through a cJSON
 * tree the bytes were held four times over (the file, its base64, the
 * printed tree, the copy for ci_free()). */
int ci_invoke_read_files(ci_session *s, const cJSON *args, int has_nul, char **out)
{
    static const char tool[] = "readFiles";
    if (has_nul)
        return refuse_nul(out, tool);
    const cJSON *paths = string_array(args, "paths");
    if (!paths)
        return invalid(out, tool, "\"arguments.paths\" must be an array of strings");
    size_t n = (size_t)cJSON_GetArraySize(paths);
    if (n > READ_FILES_MAX_PATHS) {
        char why[120];
        snprintf(why, sizeof(why), "one call reads at most %d paths, not %zu",
                 READ_FILES_MAX_PATHS, n);
        return invalid(out, tool, why);
    }
    struct ci_file_where *at = calloc(n ? n : 1, sizeof(*at));
    int rc = at ? check_read_paths(paths, at, out) : CI_ENOMEM;
    ci_buf answer_text = { 0 };
    if (rc == 1 && ci_buf_append(&answer_text, "{\"content\":[", 12) < 0)
        rc = CI_ENOMEM;
    uint64_t left = READ_FILES_MAX_BYTES;
    size_t i = 0;
    const cJSON *path;
    cJSON_ArrayForEach(path, paths) {
        if (rc != 1)
            break;
        void *data;
        size_t len;
        int r = ci_files_read(s, path->valuestring, left, &data, &len);
        if (r == CI_ETOOBIG) {
            rc = ci_invoke_problem("error", "FileTooLarge", r, out, "%s failed: one call reads "
                                   "at most %llu bytes (%llu MiB) of files in all; %llu were "
                                   "left for \"%.200s\": %s", tool,
                                   (unsigned long long)READ_FILES_MAX_BYTES,
                                   (unsigned long long)(READ_FILES_MAX_BYTES >> 20),
                                   (unsigned long long)left, path->valuestring,
                                   ci_session_last_error(s));
        } else if (r < 0) {
            rc = file_problem(s, tool, r, out);
        } else {
            left -= len;
            if (append_resource(&answer_text, i == 0, &at[i], data, len) < 0)
                rc = CI_ENOMEM;
            free(data);
        }
        i++;
    }
    if (rc == 1 && ci_buf_append(&answer_text, "],\"isError\":false}", 18) < 0)
        rc = CI_ENOMEM;
    if (rc == 1) {
        *out = ci_buf_steal(&answer_text);
        rc = *out ? 0 : CI_ENOMEM;
    }
    ci_buf_free(&answer_text);
    free(at);
    return rc;
}

/* ------------------------------------------------------------- listFiles */

static const char *type_name(ci_file_type t)
{
    switch (t) {
    case CI_FILE_REGULAR: return "file";
    case CI_FILE_DIRECTORY: return "directory";
    case CI_FILE_SYMLINK: return "symlink";
    default: return "other";
    }
}

/* Media type of a listed entry: by extension for files, "inode/..." (as
 * shared-mime-info names them) for the rest. */
static const char *entry_mime(ci_file_type t, const char *name)
{
    switch (t) {
    case CI_FILE_REGULAR: return ci_mime_type(name);
    case CI_FILE_DIRECTORY: return "inode/directory";
    case CI_FILE_SYMLINK: return "inode/symlink";
    default: return "inode/x-special";
    }
}

/* The page listFiles asks for: "limit" (default LIST_FILES_DEFAULT) and
 * "nextToken" (a name, base64: names need not be UTF-8, JSON text must
 * be). 1 when both are valid (*after malloc'd or NULL), else the answer's
 * 0 or CI_ENOMEM. */
static int page_args(const cJSON *args, size_t *limit, char **after, char **out)
{
    static const char tool[] = "listFiles";
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(args, "limit");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(args, "nextToken");
    *limit = LIST_FILES_DEFAULT;
    *after = NULL;
    if (l && !cJSON_IsNull(l)) {
        double v = cJSON_IsNumber(l) ? l->valuedouble : 0;
        if (!(v >= 1 && v <= CI_FILE_LIST_MAX && v == (double)(size_t)v)) {
            char why[96];
            snprintf(why, sizeof(why), "\"arguments.limit\" must be an integer from 1 to %d",
                     CI_FILE_LIST_MAX);
            return invalid(out, tool, why);
        }
        *limit = (size_t)v;
    }
    if (!t || cJSON_IsNull(t) || (cJSON_IsString(t) && !*t->valuestring))
        return 1;
    size_t len = 0;
    unsigned char *name = cJSON_IsString(t)
        ? ci_b64_decode(t->valuestring, strlen(t->valuestring), &len) : NULL;
    if (!name || len == 0 || len > CI_NAME_MAX || memchr(name, '\0', len) ||
        memchr(name, '/', len)) {
        free(name);
        return invalid(out, tool, "\"arguments.nextToken\" must be the nextToken of an "
                                  "earlier listFiles answer");
    }
    name[len] = '\0';
    *after = (char *)name;
    return 1;
}

/* The entries of a page as resource_link blocks into content and
 * {name,type,size,mtime} into files; 1, or 0 when out of memory. */
static int add_entries(const struct ci_file_where *at, const ci_file_list *list,
                       cJSON *content, cJSON *files)
{
    int ok = 1;
    for (size_t i = 0; ok && i < ci_file_list_count(list); i++) {
        const char *name = ci_file_list_name(list, i);
        ci_file_type type = ci_file_list_type(list, i);
        /* adding to a non-NULL array cannot fail: each item is owned by
         * its array as soon as it exists */
        cJSON *link = cJSON_CreateObject();
        cJSON *f = cJSON_CreateObject();
        cJSON_AddItemToArray(content, link);
        cJSON_AddItemToArray(files, f);
        char *uri = file_uri(at, name);
        ok = uri && link && f && cJSON_AddStringToObject(link, "type", "resource_link") &&
             cJSON_AddStringToObject(link, "uri", uri) &&
             ci_json_add_text(link, "name", name) &&
             cJSON_AddStringToObject(link, "mimeType", entry_mime(type, name)) &&
             ci_json_add_text(f, "name", name) &&
             cJSON_AddStringToObject(f, "type", type_name(type)) &&
             cJSON_AddNumberToObject(f, "size", (double)ci_file_list_size(list, i)) &&
             cJSON_AddNumberToObject(f, "mtime", (double)ci_file_list_mtime(list, i));
        /* a size means the bytes one would read: files only */
        if (ok && type == CI_FILE_REGULAR)
            ok = cJSON_AddNumberToObject(link, "size", (double)ci_file_list_size(list, i)) != NULL;
        free(uri);
    }
    return ok;
}

/* A page that does not end the folder says so to the reader of the
 * content too: a text block after the links, and "nextToken". */
static int add_next(const ci_file_list *list, const char *dir, cJSON *content, cJSON *sc)
{
    const char *next = ci_file_list_next_token(list);
    if (!next)
        return 1;
    char *token = ci_b64_encode(next, strlen(next));
    char *text = NULL;
    int ok = token && asprintf(&text, "%zu entries listed; %s has more: call listFiles again "
                               "with \"nextToken\": \"%s\"", ci_file_list_count(list),
                               *dir ? dir : "/workspace", token) >= 0;
    cJSON *block = ok ? cJSON_CreateObject() : NULL;
    cJSON_AddItemToArray(content, block);
    ok = block && cJSON_AddStringToObject(block, "type", "text") &&
         ci_json_add_text(block, "text", text) && cJSON_AddStringToObject(sc, "nextToken", token);
    free(text);
    free(token);
    return ok;
}

int ci_invoke_list_files(ci_session *s, const cJSON *args, int has_nul, char **out)
{
    static const char tool[] = "listFiles";
    if (has_nul)
        return refuse_nul(out, tool);
    if (!cJSON_IsObject(args))
        return invalid(out, tool, "\"arguments\" must be an object");
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(args, "directoryPath");
    if (dir && !cJSON_IsNull(dir) && !cJSON_IsString(dir))
        return invalid(out, tool, "\"arguments.directoryPath\" must be a string");
    const char *d = cJSON_IsString(dir) ? dir->valuestring : "";
    if (!strcmp(d, "."))
        d = "";
    size_t limit;
    char *after;
    int rc = page_args(args, &limit, &after, out);
    if (rc != 1)
        return rc;
    ci_file_list *list;
    rc = ci_list_files_page(s, d, after, limit, &list);
    free(after);
    if (rc < 0)
        return file_problem(s, tool, rc, out);
    /* the listing took the name: it is valid */
    struct ci_file_where at;
    char why[200];
    ci_files_where(d, 1, &at, why, sizeof(why));
    cJSON *content = cJSON_CreateArray();
    cJSON *sc = cJSON_CreateObject();
    cJSON *files = sc && cJSON_AddStringToObject(sc, "status", "ok") &&
                   ci_json_add_text(sc, "directoryPath", d)
                       ? cJSON_AddArrayToObject(sc, "files") : NULL;
    int ok = content && files && add_entries(&at, list, content, files) &&
             add_next(list, d, content, sc);
    ci_file_list_free(list);
    if (!ok) {
        cJSON_Delete(content);
        cJSON_Delete(sc);
        return CI_ENOMEM;
    }
    return answer(content, sc, out);
}

/* ----------------------------------------------------------- removeFiles */

int ci_invoke_remove_files(ci_session *s, const cJSON *args, int has_nul, char **out)
{
    static const char tool[] = "removeFiles";
    if (has_nul)
        return refuse_nul(out, tool);
    const cJSON *paths = string_array(args, "paths");
    if (!paths)
        return invalid(out, tool, "\"arguments.paths\" must be an array of strings");
    /* a bad name anywhere in the list stops the call before any removal */
    const cJSON *path;
    char why[200];
    struct ci_file_where at;
    cJSON_ArrayForEach(path, paths) {
        if (ci_files_where(path->valuestring, 0, &at, why, sizeof(why)) < 0)
            return ci_invoke_problem("error", "InvalidPath", CI_EPATH, out,
                                     "%s failed: \"%.200s\": %s", tool, path->valuestring, why);
    }
    ci_buf done = { 0 };
    size_t n = 0;
    cJSON_ArrayForEach(path, paths) {
        int rc = ci_remove_file(s, path->valuestring);
        if (rc < 0) {
            const char *removed = n ? ci_buf_cstr(&done) : "nothing";
            rc = rc == CI_ENOMEM ? rc
                 : ci_invoke_problem(rc == CI_EEXPIRED ? "session_expired" : "error",
                                     rc == CI_ENOENT ? "FileNotFound" : "FileError", rc, out,
                                     "%s failed: %s (removed before the failure: %s)", tool,
                                     ci_session_last_error(s), removed);
            ci_buf_free(&done);
            return rc;
        }
        if ((n++ && ci_buf_append(&done, ", ", 2) < 0) ||
            ci_buf_append(&done, path->valuestring, strlen(path->valuestring)) < 0) {
            ci_buf_free(&done);
            return CI_ENOMEM;
        }
    }
    cJSON *sc = cJSON_CreateObject();
    cJSON *removed = sc && cJSON_AddStringToObject(sc, "status", "ok")
                         ? cJSON_AddArrayToObject(sc, "removed") : NULL;
    int ok = removed != NULL;
    cJSON_ArrayForEach(path, paths) {
        cJSON *p = ok ? cJSON_CreateString(path->valuestring) : NULL;
        ok = p && cJSON_AddItemToArray(removed, p);
    }
    char *text = NULL;
    int len = ok ? asprintf(&text, "removed %zu: %s", n, n ? ci_buf_cstr(&done) : "nothing") : -1;
    ci_buf_free(&done);
    int rc;
    if (len < 0) {
        cJSON_Delete(sc);
        rc = CI_ENOMEM;
    } else {
        rc = ci_json_tool_result(text, (size_t)len, sc, 0, out);
    }
    free(text);
    return rc;
}
