
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * jansson glue: strict parsing with size and depth caps (one RFC 8259
 * value, no NUL byte, no duplicate names), the decoding of a validated flat
 * object (the arguments of nearly every tool call) without jansson's lexer,
 * json_t lifetimes tied to nginx pools, and dumping into pool memory.  The
 * validating scanner is in ngx_http_freshdesk_json_scan.c, JSON string
 * escaping in ngx_http_freshdesk_json_escape.c.
 */


#include "ngx_http_freshdesk_json.h"


static void ngx_http_freshdesk_json_cleanup(void *data);
static json_t *ngx_http_freshdesk_json_scalar(u_char **pp, u_char *last);
static ngx_int_t ngx_http_freshdesk_json_depth_ok(u_char *p, u_char *last,
    ngx_uint_t max_depth);


/*
 * Decodes validated text of a flat object straight into jansson values,
 * without jansson's lexer: members that are strings without escapes,
 * integers of up to 18 digits, true, false, null, or arrays of those (the
 * arguments of nearly every tool call).  NULL for anything else, and for a
 * name given twice: the caller then leaves the text to json_loadb(), which
 * decides.
 */

json_t *
ngx_http_freshdesk_json_load_flat(u_char *p, size_t len)
{
    u_char  *last, *key;
    size_t   klen;
    json_t  *obj, *arr, *v;

    last = p + len;
    arr = NULL;

    ngx_http_freshdesk_skip_ws(p, last);

    if (p == last || *p != '{') {
        return NULL;
    }

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    p++;
    ngx_http_freshdesk_skip_ws(p, last);

    /* the text is valid: names, ':', values, ',' and '}' where expected */

    while (*p != '}') {

        if (*p == ',') {
            p++;
            ngx_http_freshdesk_skip_ws(p, last);
        }

        key = p + 1;
        p = ngx_strlchr(key, last, '"');

        if (p == NULL || ngx_strlchr(key, p, '\\') != NULL) {
            goto fail;
        }

        klen = p - key;

        if (json_object_getn(obj, (const char *) key, klen) != NULL) {
            goto fail;
        }

        p++;
        ngx_http_freshdesk_skip_ws(p, last);
        p++;
        ngx_http_freshdesk_skip_ws(p, last);

        if (*p == '[') {
            arr = json_array();
            if (arr == NULL) {
                goto fail;
            }

            p++;
            ngx_http_freshdesk_skip_ws(p, last);

            while (*p != ']') {

                if (*p == ',') {
                    p++;
                    ngx_http_freshdesk_skip_ws(p, last);
                }

                v = ngx_http_freshdesk_json_scalar(&p, last);

                if (v == NULL || json_array_append_new(arr, v) != 0) {
                    goto fail;
                }

                ngx_http_freshdesk_skip_ws(p, last);
            }

            p++;
            v = arr;
            arr = NULL;

        } else {
            v = ngx_http_freshdesk_json_scalar(&p, last);
            if (v == NULL) {
                goto fail;
            }
        }

        if (json_object_setn_new_nocheck(obj, (const char *) key, klen, v)
            != 0)
        {
            goto fail;
        }

        ngx_http_freshdesk_skip_ws(p, last);
    }

    return obj;

fail:

    json_decref(arr);
    json_decref(obj);

    return NULL;
}


/* a string without escapes, an integer, true, false or null; p moves on */

static json_t *
ngx_http_freshdesk_json_scalar(u_char **pp, u_char *last)
{
    u_char    *p, *q;
    int64_t    n;
    ngx_int_t  neg;

    p = *pp;

    switch (*p) {

    case '"':
        q = memchr(p + 1, '"', last - p - 1);

        if (q == NULL || memchr(p + 1, '\\', q - p - 1) != NULL) {
            return NULL;
        }

        *pp = q + 1;
        return json_stringn_nocheck((const char *) p + 1, q - p - 1);

    case 't':
        *pp = p + 4;
        return json_true();

    case 'f':
        *pp = p + 5;
        return json_false();

    case 'n':
        *pp = p + 4;
        return json_null();

    case '[':
    case '{':
        return NULL;
    }

    neg = (*p == '-');
    p += neg;
    q = p;

    while (p < last && *p >= '0' && *p <= '9') {
        p++;
    }

    if (p - q > 18 || (p < last && (*p == '.' || *p == 'e' || *p == 'E'))) {
        /* a real, or an integer that may not fit: jansson decides */
        return NULL;
    }

    *pp = p;

    for (n = 0; q < p; q++) {
        n = n * 10 + (*q - '0');
    }

    return json_integer(neg ? -n : n);
}


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

    /*
     * jansson stops reading at a NUL byte and accepts "{...}\0junk"
     * (found by fuzz/fuzz_rpc); a raw NUL is never valid JSON
     */

    if (len && memchr(data, '\0', len) != NULL) {
        ngx_str_set(err, "NUL byte");
        return NULL;
    }

    if (max_depth
        && ngx_http_freshdesk_json_depth_ok(data, data + len, max_depth)
           != NGX_OK)
    {
        ngx_str_set(err, "nesting too deep");
        return NULL;
    }

    /*
     * strict RFC 8259: one value, valid UTF-8, no NUL, no trailing data;
     * and no duplicate keys, which different parsers resolve differently
     */

    json = json_loadb((const char *) data, len,
                      JSON_DECODE_ANY|JSON_REJECT_DUPLICATES, &error);
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
