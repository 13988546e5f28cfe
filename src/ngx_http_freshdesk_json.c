
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * jansson glue: parsing with size and depth caps, json_t lifetimes tied to
 * nginx pools, dumping into pool memory, and JSON string escaping for
 * responses assembled from pre-serialized parts.
 */


#include "ngx_http_freshdesk_json.h"


static void ngx_http_freshdesk_json_cleanup(void *data);


/*
 * Rejects nesting deeper than max_depth before jansson sees the text:
 * jansson itself recurses up to 2048 levels, which is far more than any
 * MCP message needs.  The scan skips strings, so brackets inside strings
 * do not count.
 */

static ngx_int_t
ngx_http_freshdesk_json_depth_ok(u_char *p, u_char *last,
    ngx_uint_t max_depth)
{
    ngx_uint_t  depth, in_string;

    depth = 0;
    in_string = 0;

    for ( /* void */ ; p < last; p++) {

        if (in_string) {
            if (*p == '\\') {
                p++;

            } else if (*p == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (*p) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > max_depth) {
                return NGX_DECLINED;
            }
            break;

        case '}':
        case ']':
            if (depth) {
                depth--;
            }
            break;
        }
    }

    return NGX_OK;
}


json_t *
ngx_http_freshdesk_json_parse(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_str_t *err)
{
    json_t        *json;
    json_error_t   error;

    if (max_depth
        && ngx_http_freshdesk_json_depth_ok(data, data + len, max_depth)
           != NGX_OK)
    {
        ngx_str_set(err, "nesting too deep");
        return NULL;
    }

    /* strict RFC 8259: one value, valid UTF-8, no NUL, no trailing data */

    json = json_loadb((const char *) data, len, JSON_DECODE_ANY, &error);
    if (json == NULL) {
        err->len = ngx_strlen(error.text);
        err->data = ngx_pnalloc(pool, err->len);
        if (err->data == NULL) {
            err->len = 0;
            return NULL;
        }

        ngx_memcpy(err->data, error.text, err->len);
        return NULL;
    }

    if (ngx_http_freshdesk_json_own(pool, json) != NGX_OK) {
        json_decref(json);
        ngx_str_set(err, "out of memory");
        return NULL;
    }

    return json;
}


ngx_int_t
ngx_http_freshdesk_json_own(ngx_pool_t *pool, json_t *json)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_freshdesk_json_cleanup;
    cln->data = json;

    return NGX_OK;
}


static void
ngx_http_freshdesk_json_cleanup(void *data)
{
    json_t  *json = data;

    json_decref(json);
}


ngx_int_t
ngx_http_freshdesk_json_dump(ngx_pool_t *pool, json_t *json, size_t flags,
    ngx_str_t *out)
{
    size_t  size;

    flags |= JSON_COMPACT|JSON_ENCODE_ANY;

    size = json_dumpb(json, NULL, 0, flags);
    if (size == 0) {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, size);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = json_dumpb(json, (char *) out->data, size, flags);
    if (out->len != size) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


size_t
ngx_http_freshdesk_json_escape_len(u_char *src, size_t len)
{
    size_t   n;
    u_char  *last;

    n = len;

    for (last = src + len; src < last; src++) {

        if (*src == '"' || *src == '\\') {
            n++;

        } else if (*src < 0x20) {
            /* \n and friends take 2, the rest \u00XX takes 6 */
            n += (*src == '\n' || *src == '\r' || *src == '\t'
                  || *src == '\b' || *src == '\f') ? 1 : 5;
        }
    }

    return n;
}


u_char *
ngx_http_freshdesk_json_escape(u_char *dst, u_char *src, size_t len)
{
    u_char         c, *last;
    static u_char  hex[] = "0123456789abcdef";

    for (last = src + len; src < last; src++) {
        c = *src;

        if (c >= 0x20 && c != '"' && c != '\\') {
            *dst++ = c;
            continue;
        }

        *dst++ = '\\';

        switch (c) {
        case '"':  *dst++ = '"'; break;
        case '\\': *dst++ = '\\'; break;
        case '\n': *dst++ = 'n'; break;
        case '\r': *dst++ = 'r'; break;
        case '\t': *dst++ = 't'; break;
        case '\b': *dst++ = 'b'; break;
        case '\f': *dst++ = 'f'; break;
        default:
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0xf];
        }
    }

    return dst;
}


/* a quoted, escaped JSON string in pool memory */

ngx_int_t
ngx_http_freshdesk_json_string(ngx_pool_t *pool, ngx_str_t *dst, u_char *src,
    size_t len)
{
    u_char  *p;

    dst->len = ngx_http_freshdesk_json_escape_len(src, len) + 2;
    dst->data = ngx_pnalloc(pool, dst->len);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    p = dst->data;
    *p++ = '"';
    p = ngx_http_freshdesk_json_escape(p, src, len);
    *p = '"';

    return NGX_OK;
}
