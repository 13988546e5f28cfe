
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
 * A validating scanner: checks that a text is exactly one RFC 8259 JSON
 * value in valid UTF-8, without building anything.  Used on upstream
 * bodies, which are passed on as they are once known valid: large lists
 * are never decoded and re-encoded.
 */

typedef struct {
    u_char                            *p;
    u_char                            *last;
    ngx_uint_t                         depth;
    ngx_uint_t                         max_depth;
    ngx_http_freshdesk_json_member_t  *members;
    ngx_uint_t                         n;
    u_char                            *out;    /* escaped copy, or NULL */
    u_char                            *mark;   /* not yet copied from */
} ngx_http_freshdesk_scan_t;


static ngx_int_t ngx_http_freshdesk_scan_value(ngx_http_freshdesk_scan_t *s);


/* bytes a JSON string may hold as they are: printable ASCII but " and \ */

static const u_char  ngx_http_freshdesk_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
static ngx_int_t ngx_http_freshdesk_scan_string(ngx_http_freshdesk_scan_t *s);


/*
 * The escaped copy (the text of a JSON string holding the scanned JSON) is
 * made in the same pass: bytes are copied in runs, lazily, and only the few
 * that need it -- quotes, backslashes, whitespace control characters --
 * are written escaped.  Valid JSON has no other control characters.
 */

#define ngx_http_freshdesk_scan_flush(s, at)                                 \
    if ((s)->out) {                                                          \
        (s)->out = ngx_cpymem((s)->out, (s)->mark, (at) - (s)->mark);        \
        (s)->mark = (at);                                                    \
    }

#define ngx_http_freshdesk_scan_escape(s, at, e)                             \
    if ((s)->out) {                                                          \
        (s)->out = ngx_cpymem((s)->out, (s)->mark, (at) - (s)->mark);        \
        *(s)->out++ = '\\';                                                  \
        *(s)->out++ = (e);                                                   \
        (s)->mark = (at) + 1;                                                \
    }

#define ngx_http_freshdesk_scan_ws(s)                                        \
    while ((s)->p < (s)->last                                                \
           && (*(s)->p == ' ' || *(s)->p == '\n' || *(s)->p == '\r'          \
               || *(s)->p == '\t'))                                          \
    {                                                                        \
        if (*(s)->p != ' ') {                                                \
            ngx_http_freshdesk_scan_escape(s, (s)->p,                        \
                                           *(s)->p == '\n' ? 'n'             \
                                           : *(s)->p == '\r' ? 'r' : 't');   \
        }                                                                    \
        (s)->p++;                                                            \
    }


ngx_int_t
ngx_http_freshdesk_json_validate(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top)
{
    return ngx_http_freshdesk_json_validate_escape(data, len, max_depth,
                                                   members, n, top, NULL);
}


/*
 * Validates, and with "escaped" also writes the escaped text into
 * escaped->data (room for 2 * len bytes), with each member's escaped span
 * in members[i].escaped.
 */

ngx_int_t
ngx_http_freshdesk_json_validate_escape(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, ngx_str_t *escaped)
{
    ngx_uint_t                  i;
    ngx_http_freshdesk_scan_t   s;

    for (i = 0; i < n; i++) {
        ngx_str_null(&members[i].value);
        ngx_str_null(&members[i].escaped);
    }

    s.p = data;
    s.last = data + len;
    s.depth = 0;
    s.max_depth = max_depth;
    s.members = members;
    s.n = n;
    s.out = escaped ? escaped->data : NULL;
    s.mark = data;

    ngx_http_freshdesk_scan_ws(&s);

    if (s.p == s.last) {
        return NGX_ERROR;
    }

    if (top) {
        *top = *s.p;
    }

    if (ngx_http_freshdesk_scan_value(&s) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_freshdesk_scan_ws(&s);

    if (s.p != s.last) {
        return NGX_ERROR;
    }

    if (escaped) {
        ngx_http_freshdesk_scan_flush(&s, s.last);
        escaped->len = s.out - escaped->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_scan_string(ngx_http_freshdesk_scan_t *s)
{
    u_char    c, *p, *last;
    uint32_t  cp;
    size_t    n, i;

    ngx_http_freshdesk_scan_escape(s, s->p, '"');

    p = s->p + 1;      /* after the opening quote */
    last = s->last;

    while (p < last) {

        /* the common case: printable ASCII other than '"' and '\\' */

        while (p < last && ngx_http_freshdesk_plain[*p]) {
            p++;
        }

        if (p == last) {
            break;
        }

        c = *p;

        if (c == '"') {
            ngx_http_freshdesk_scan_escape(s, p, '"');
            s->p = p + 1;
            return NGX_OK;
        }

        if (c < 0x20) {
            return NGX_ERROR;
        }

        if (c == '\\') {
            ngx_http_freshdesk_scan_escape(s, p, '\\');

            if (++p == last) {
                return NGX_ERROR;
            }

            switch (*p) {

            case '"':
            case '\\':
                /* the escaped character needs escaping again in the copy */
                ngx_http_freshdesk_scan_escape(s, p, *p);
                p++;
                continue;

            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p++;
                continue;

            case 'u':
                if (last - p < 5) {
                    return NGX_ERROR;
                }

                for (i = 1; i <= 4; i++) {
                    c = p[i];

                    /* (c | 0x20) alone would let 0x10-0x19 pass as digits */

                    if (!((c >= '0' && c <= '9')
                          || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')))
                    {
                        return NGX_ERROR;
                    }
                }

                p += 5;
                continue;

            default:
                return NGX_ERROR;
            }
        }

        if (c < 0x80) {
            p++;
            continue;
        }

        /* UTF-8: no overlongs, no surrogates, nothing above U+10FFFF */

        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;

        } else {
            return NGX_ERROR;
        }

        if ((size_t) (last - p) <= n) {
            return NGX_ERROR;
        }

        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return NGX_ERROR;
            }

            cp = (cp << 6) | (p[i] & 0x3f);
        }

        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
            || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        {
            return NGX_ERROR;
        }

        p += n + 1;
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_freshdesk_scan_value(ngx_http_freshdesk_scan_t *s)
{
    u_char      *key, *start, *ostart;
    size_t       klen;
    ngx_uint_t   i, first;

    if (s->p == s->last) {
        return NGX_ERROR;
    }

    switch (*s->p) {

    case '"':
        return ngx_http_freshdesk_scan_string(s);

    case '{':
    case '[':
        if (++s->depth > s->max_depth) {
            return NGX_ERROR;
        }

        if (*s->p++ == '[') {
            ngx_http_freshdesk_scan_ws(s);

            if (s->p < s->last && *s->p == ']') {
                s->p++;
                s->depth--;
                return NGX_OK;
            }

            for ( ;; ) {
                ngx_http_freshdesk_scan_ws(s);

                if (ngx_http_freshdesk_scan_value(s) != NGX_OK) {
                    return NGX_ERROR;
                }

                ngx_http_freshdesk_scan_ws(s);

                if (s->p == s->last) {
                    return NGX_ERROR;
                }

                if (*s->p == ']') {
                    s->p++;
                    s->depth--;
                    return NGX_OK;
                }

                if (*s->p++ != ',') {
                    return NGX_ERROR;
                }
            }
        }

        first = 1;

        for ( ;; ) {
            ngx_http_freshdesk_scan_ws(s);

            if (s->p == s->last) {
                return NGX_ERROR;
            }

            if (first && *s->p == '}') {
                s->p++;
                s->depth--;
                return NGX_OK;
            }

            first = 0;

            if (*s->p != '"') {
                return NGX_ERROR;
            }

            key = s->p + 1;

            if (ngx_http_freshdesk_scan_string(s) != NGX_OK) {
                return NGX_ERROR;
            }

            klen = s->p - 1 - key;

            ngx_http_freshdesk_scan_ws(s);

            if (s->p == s->last || *s->p++ != ':') {
                return NGX_ERROR;
            }

            ngx_http_freshdesk_scan_ws(s);

            start = s->p;
            ostart = NULL;

            if (s->depth == 1 && s->out) {
                ngx_http_freshdesk_scan_flush(s, start);
                ostart = s->out;
            }

            if (ngx_http_freshdesk_scan_value(s) != NGX_OK) {
                return NGX_ERROR;
            }

            if (s->depth == 1) {
                if (s->out) {
                    ngx_http_freshdesk_scan_flush(s, s->p);
                }

                for (i = 0; i < s->n; i++) {
                    if (ngx_strlen(s->members[i].name) == klen
                        && ngx_strncmp(s->members[i].name, key, klen) == 0)
                    {
                        if (s->members[i].value.data) {
                            /* a member we read, twice: ambiguous */
                            return NGX_ERROR;
                        }

                        s->members[i].value.data = start;
                        s->members[i].value.len = s->p - start;

                        if (ostart) {
                            s->members[i].escaped.data = ostart;
                            s->members[i].escaped.len = s->out - ostart;
                        }
                    }
                }
            }

            ngx_http_freshdesk_scan_ws(s);

            if (s->p == s->last) {
                return NGX_ERROR;
            }

            if (*s->p == '}') {
                s->p++;
                s->depth--;
                return NGX_OK;
            }

            if (*s->p++ != ',') {
                return NGX_ERROR;
            }
        }

    case 't':
        if (s->last - s->p >= 4 && ngx_strncmp(s->p, "true", 4) == 0) {
            s->p += 4;
            return NGX_OK;
        }
        return NGX_ERROR;

    case 'f':
        if (s->last - s->p >= 5 && ngx_strncmp(s->p, "false", 5) == 0) {
            s->p += 5;
            return NGX_OK;
        }
        return NGX_ERROR;

    case 'n':
        if (s->last - s->p >= 4 && ngx_strncmp(s->p, "null", 4) == 0) {
            s->p += 4;
            return NGX_OK;
        }
        return NGX_ERROR;
    }

    /* a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

    if (*s->p == '-') {
        s->p++;
    }

    if (s->p == s->last) {
        return NGX_ERROR;
    }

    if (*s->p == '0') {
        s->p++;

    } else if (*s->p >= '1' && *s->p <= '9') {
        while (s->p < s->last && *s->p >= '0' && *s->p <= '9') {
            s->p++;
        }

    } else {
        return NGX_ERROR;
    }

    if (s->p < s->last && *s->p == '.') {
        s->p++;

        if (s->p == s->last || !(*s->p >= '0' && *s->p <= '9')) {
            return NGX_ERROR;
        }

        while (s->p < s->last && *s->p >= '0' && *s->p <= '9') {
            s->p++;
        }
    }

    if (s->p < s->last && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;

        if (s->p < s->last && (*s->p == '+' || *s->p == '-')) {
            s->p++;
        }

        if (s->p == s->last || !(*s->p >= '0' && *s->p <= '9')) {
            return NGX_ERROR;
        }

        while (s->p < s->last && *s->p >= '0' && *s->p <= '9') {
            s->p++;
        }
    }

    return NGX_OK;
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


/* extra bytes a character takes when escaped in a JSON string */

static const u_char  ngx_http_freshdesk_escape_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5,    /* \b \t \n \f \r */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    /* " */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,    /* \\ */
};


size_t
ngx_http_freshdesk_json_escape_len(u_char *src, size_t len)
{
    size_t   n;
    u_char  *last;

    n = len;

    for (last = src + len; src < last; src++) {
        n += ngx_http_freshdesk_escape_extra[*src];
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

        if (ngx_http_freshdesk_escape_extra[c] == 0) {
            *dst++ = c;
            continue;
        }

        *dst++ = '\\';

        switch (c) {

        case '"':
            *dst++ = '"';
            break;

        case '\\':
            *dst++ = '\\';
            break;

        case '\n':
            *dst++ = 'n';
            break;

        case '\r':
            *dst++ = 'r';
            break;

        case '\t':
            *dst++ = 't';
            break;

        case '\b':
            *dst++ = 'b';
            break;

        case '\f':
            *dst++ = 'f';
            break;

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


/*
 * The length of text cut to at most max bytes without cutting a UTF-8
 * character in two: such text goes into JSON strings.
 */

size_t
ngx_http_freshdesk_utf8_cut(u_char *text, size_t len, size_t max)
{
    u_char  *p, *q;

    if (len <= max) {
        return len;
    }

    len = max;

    /* back to the start of the last character, drop it if incomplete */

    for (q = text + len; q > text && (q[-1] & 0xc0) == 0x80; q--) {
        /* void */
    }

    p = text + len;

    if (q > text && q[-1] >= 0xc0
        && p - q + 1 < (q[-1] >= 0xf0 ? 4 : (q[-1] >= 0xe0 ? 3 : 2)))
    {
        len = q - 1 - text;
    }

    return len;
}
