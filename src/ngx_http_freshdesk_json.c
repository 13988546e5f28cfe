
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * jansson glue: parsing with size and depth caps, json_t lifetimes tied to
 * nginx pools, dumping into pool memory, and JSON string escaping for
 * responses assembled from pre-serialized parts.
 */


#include "ngx_http_freshdesk_json.h"

#if (defined __SSE2__)
#include <emmintrin.h>
#define NGX_HTTP_FRESHDESK_SSE2  1
#endif

/* the scanner's inner functions, inlined even where called twice */
#if (defined __GNUC__)
#define ngx_http_freshdesk_hot  ngx_inline __attribute__((always_inline))
#else
#define ngx_http_freshdesk_hot  ngx_inline
#endif


static void ngx_http_freshdesk_json_cleanup(void *data);
static json_t *ngx_http_freshdesk_json_scalar(u_char **pp, u_char *last);


/*
 * A validating scanner: checks that a text is exactly one RFC 8259 JSON
 * value in valid UTF-8, without building anything.  Used on upstream
 * bodies, which are passed on as they are once known valid: large lists
 * are never decoded and re-encoded.
 */

#define NGX_HTTP_FRESHDESK_SCAN_DEPTH  4096


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


static ngx_http_freshdesk_hot ngx_int_t ngx_http_freshdesk_scan_text(
    u_char *p, u_char *last, ngx_uint_t max_depth,
    ngx_http_freshdesk_json_member_t *members, ngx_uint_t n, u_char *top,
    u_char **dst, const ngx_uint_t esc);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_scan_string(
    u_char *p, u_char *last, const ngx_uint_t esc, u_char **dp,
    u_char **fromp);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_skip_plain(
    u_char *p, u_char *last);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_emit(u_char *d,
    u_char *from, u_char *s, u_char *last, u_char c);


/* four bytes as one number, for comparing literals */
static ngx_inline uint32_t
ngx_http_freshdesk_word(const char *s)
{
    uint32_t  w;

    ngx_memcpy(&w, s, 4);

    return w;
}


/* a container ends: the enclosing one's kind comes back from the stack */
#define ngx_http_freshdesk_scan_close()                                      \
    depth--;                                                                 \
    obj = (stack[depth / 64] >> (depth % 64)) & 1

/*
 * Skips blanks.  An escaping scan writes nothing until a byte that needs
 * escaping comes: then the text since the last one ("from") goes out as it
 * is, followed by the escape (ngx_http_freshdesk_scan_emit).
 */

#define ngx_http_freshdesk_scan_emit(s, c)                                   \
    if (esc) {                                                               \
        d = ngx_http_freshdesk_emit(d, from, s, last, c);                    \
        from = (s) + 1;                                                      \
    }

#define ngx_http_freshdesk_scan_ws(p, last)                                  \
    if ((p) < (last) && *(p) <= ' ') {                                       \
        while ((p) < (last) && ngx_http_freshdesk_json_ws(*(p))) {           \
            if (esc && *(p) != ' ') {                                        \
                ngx_http_freshdesk_scan_emit(p, *(p) == '\n' ? 'n'          \
                                                : *(p) == '\t' ? 't' : 'r'); \
            }                                                                \
            (p)++;                                                           \
        }                                                                    \
    }


/*
 * Validates; members[i].value gets the span of the top-level member named
 * members[i].name, if there is one.
 */

ngx_int_t
ngx_http_freshdesk_json_validate(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top)
{
    return ngx_http_freshdesk_scan_text(data, data + len, max_depth, members,
                                        n, top, NULL, 0);
}


/*
 * Validates, and escapes the text into dst as it goes (one pass over it):
 * dst has room for NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(len) bytes, more
 * than the escaped text needs.  *escaped_len gets the escaped length, and
 * members[i].escaped the escaped span of each member found.
 */

ngx_int_t
ngx_http_freshdesk_json_validate_escape(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, u_char *dst, size_t *escaped_len)
{
    u_char     *d;
    ngx_int_t   rc;

    d = dst;

    rc = ngx_http_freshdesk_scan_text(data, data + len, max_depth, members,
                                      n, top, &d, 1);

    *escaped_len = d - dst;

    return rc;
}


/*
 * Writes the text from "from" to "s" as it is, then '\\' and c (escaping
 * the byte at s); returns the end.  A short run is copied with one 16-byte
 * store, which may write past it: the room asked for output covers that.
 */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_emit(u_char *d, u_char *from, u_char *s, u_char *last,
    u_char c)
{
    size_t  n;

    n = s - from;

#if (NGX_HTTP_FRESHDESK_SSE2)
    if (n <= 16 && last - from >= 16) {
        _mm_storeu_si128((__m128i *) d,
                         _mm_loadu_si128((const __m128i *) from));
    } else
#endif
    {
        ngx_memcpy(d, from, n);
    }

    d += n;
    d[0] = '\\';
    d[1] = c;

    return d + 2;
}


/*
 * The first byte at or after p that a JSON string cannot hold as it is:
 * '"', '\\', a control character, or the start of a UTF-8 sequence.
 * Sixteen bytes at a time where SSE2 is there (every x86-64), a table
 * otherwise and for the last bytes.
 */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_skip_plain(u_char *p, u_char *last)
{
#if (NGX_HTTP_FRESHDESK_SSE2)
    int      mask;
    __m128i  v, quote, bslash, space;

    quote = _mm_set1_epi8('"');
    bslash = _mm_set1_epi8('\\');
    space = _mm_set1_epi8(' ');

    while (last - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) p);

        /* signed: bytes >= 0x80 are negative, so below ' ' as well */

        mask = _mm_movemask_epi8(
                   _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                             _mm_cmpeq_epi8(v, bslash)),
                                _mm_cmplt_epi8(v, space)));

        if (mask) {
            return p + __builtin_ctz(mask);
        }

        p += 16;
    }
#endif

    while (p < last && ngx_http_freshdesk_plain[*p]) {
        p++;
    }

    return p;
}


/*
 * A string from after its opening quote: returns the byte after the closing
 * quote, or NULL if the string is not valid (raw control characters, bad
 * escapes, bad UTF-8: no overlongs, no surrogates, nothing above U+10FFFF).
 * An escaping scan escapes its backslashes and its closing quote.
 */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_scan_string(u_char *p, u_char *last, const ngx_uint_t esc,
    u_char **dp, u_char **fromp)
{
    u_char    c, *d, *from;
    uint32_t  cp;
    size_t    n, i;

    d = *dp;
    from = *fromp;

    for ( ;; ) {

        /* the common case: printable ASCII other than '"' and '\\' */

        p = ngx_http_freshdesk_skip_plain(p, last);

        if (p == last) {
            return NULL;
        }

        c = *p;

        if (c == '"') {
            ngx_http_freshdesk_scan_emit(p, '"');

            *dp = d;
            *fromp = from;

            return p + 1;
        }

        if (c < 0x20) {
            return NULL;
        }

        if (c == '\\') {
            if (p + 1 == last) {
                return NULL;
            }

            ngx_http_freshdesk_scan_emit(p, '\\');

            p++;

            switch (*p) {

            case '"':
            case '\\':
                /* the escaped character needs escaping again */
                ngx_http_freshdesk_scan_emit(p, *p);
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
                    return NULL;
                }

                for (i = 1; i <= 4; i++) {
                    c = p[i];

                    /* (c | 0x20) alone would let 0x10-0x19 pass as digits */

                    if (!((c >= '0' && c <= '9')
                          || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')))
                    {
                        return NULL;
                    }
                }

                p += 5;
                continue;

            default:
                return NULL;
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
            return NULL;
        }

        if ((size_t) (last - p) <= n) {
            return NULL;
        }

        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return NULL;
            }

            cp = (cp << 6) | (p[i] & 0x3f);
        }

        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
            || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
        {
            return NULL;
        }

        p += n + 1;
    }
}


/*
 * The scanner proper: iterative, so nesting costs no C stack; the kind of
 * each open container is a bit in "stack" (1: object).  Members of the
 * top-level object named in members[] have their value spans recorded.
 * Inlined into the validator and the escaping validator above, so that
 * "esc" is a constant and the validator carries no trace of escaping.
 */

static ngx_http_freshdesk_hot ngx_int_t
ngx_http_freshdesk_scan_text(u_char *p, u_char *last, ngx_uint_t max_depth,
    ngx_http_freshdesk_json_member_t *members, ngx_uint_t n, u_char *top,
    u_char **dst, const ngx_uint_t esc)
{
    u_char       c, *key, *start, *name, *d, *from, *dstart;
    size_t       klen;
    uint32_t     word;
    uint64_t     firsts[2], stack[NGX_HTTP_FRESHDESK_SCAN_DEPTH / 64];
    ngx_uint_t   i, depth, obj, keyed;

    if (max_depth > NGX_HTTP_FRESHDESK_SCAN_DEPTH) {
        max_depth = NGX_HTTP_FRESHDESK_SCAN_DEPTH;
    }

    /* the first letters of the names in members[], as a quick filter */

    firsts[0] = 0;
    firsts[1] = 0;

    for (i = 0; i < n; i++) {
        ngx_str_null(&members[i].value);
        ngx_str_null(&members[i].escaped);

        c = (u_char) members[i].name[0];

        if (c < 128) {
            firsts[c >> 6] |= (uint64_t) 1 << (c & 63);
        }
    }

    /* member names are looked at in depth 1 only, and only if asked for */

    keyed = n ? 1 : 0;

    depth = 0;
    obj = 0;
    key = NULL;
    klen = 0;
    start = NULL;
    dstart = NULL;
    d = esc ? *dst : NULL;
    from = p;

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last) {
        goto failed;
    }

    if (top) {
        *top = *p;
    }

value:

    if (p == last) {
        goto failed;
    }

    switch (*p) {

    case '"':
        ngx_http_freshdesk_scan_emit(p, '"');

        p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from);
        if (p == NULL) {
            goto failed;
        }

        goto next;

    case '{':
    case '[':
        if (depth == max_depth) {
            goto failed;
        }

        c = *p++;

        /* the enclosing container's kind is kept, this one's is in "obj" */

        if (obj) {
            stack[depth / 64] |= (uint64_t) 1 << (depth % 64);

        } else {
            stack[depth / 64] &= ~((uint64_t) 1 << (depth % 64));
        }

        depth++;
        obj = (c == '{');

        ngx_http_freshdesk_scan_ws(p, last);

        if (p == last) {
            goto failed;
        }

        if (*p == (obj ? '}' : ']')) {
            p++;
            ngx_http_freshdesk_scan_close();
            goto next;
        }

        if (obj) {
            goto member;
        }

        goto value;

    case 't':
    case 'f':
    case 'n':
        /* true, false ("alse" after the 'f'), null: four bytes compared */

        c = (*p == 'f');

        if (last - p < 4 + (ptrdiff_t) c) {
            goto failed;
        }

        ngx_memcpy(&word, p + c, 4);

        if (word != (*p == 't' ? ngx_http_freshdesk_word("true")
                     : c ? ngx_http_freshdesk_word("alse")
                     : ngx_http_freshdesk_word("null")))
        {
            goto failed;
        }

        p += 4 + c;
        goto next;
    }

    /* a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */

    if (*p == '-') {
        p++;
    }

    if (p == last) {
        goto failed;
    }

    if (*p == '0') {
        p++;

    } else if (*p >= '1' && *p <= '9') {
        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

    } else {
        goto failed;
    }

    if (p < last && *p == '.') {
        p++;

        if (p == last || !(*p >= '0' && *p <= '9')) {
            goto failed;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < last && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == last || !(*p >= '0' && *p <= '9')) {
            goto failed;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

next:

    /* a value ended: the whole text, or a member or element of depth */

    if (key && depth == keyed) {

        if (!((firsts[key[0] >> 6] >> (key[0] & 63)) & 1)) {
            goto skip;
        }

        for (i = 0; i < n; i++) {
            name = (u_char *) members[i].name;

            /* a key holds no NUL byte (it would be a control character) */

            if (name[0] == key[0]
                && ngx_strncmp(name, key, klen) == 0 && name[klen] == '\0')
            {
                if (members[i].value.data) {
                    /* a member we read, twice: ambiguous */
                    goto failed;
                }

                members[i].value.data = start;
                members[i].value.len = p - start;

                /* nothing needed escaping since the last escape */

                if (esc) {
                    members[i].escaped.data = dstart;
                    members[i].escaped.len = d + (p - from) - dstart;
                }
            }
        }

    skip:

        key = NULL;
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (depth == 0) {
        if (p != last) {
            goto failed;
        }

        if (esc) {
            ngx_memcpy(d, from, last - from);
            *dst = d + (last - from);
        }

        return NGX_OK;
    }

    if (p == last) {
        goto failed;
    }

    if (obj) {

        if (*p == '}') {
            p++;
            ngx_http_freshdesk_scan_close();
            goto next;
        }

        if (*p++ != ',') {
            goto failed;
        }

        goto member;
    }

    if (*p == ']') {
        p++;
        ngx_http_freshdesk_scan_close();
        goto next;
    }

    if (*p++ != ',') {
        goto failed;
    }

    ngx_http_freshdesk_scan_ws(p, last);

    goto value;

member:

    /* "key" : value */

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last || *p != '"') {
        goto failed;
    }

    ngx_http_freshdesk_scan_emit(p, '"');

    name = p + 1;

    p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from);
    if (p == NULL) {
        goto failed;
    }

    if (depth == keyed) {
        klen = p - 1 - name;
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last || *p++ != ':') {
        goto failed;
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (depth == keyed && name[0] < 128) {
        key = name;
        start = p;

        if (esc) {
            dstart = d + (p - from);
        }
    }

    goto value;

failed:

    if (esc) {
        *dst = d;
    }

    return NGX_ERROR;
}


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


/* extra bytes a character takes when escaped in a JSON string */

static const u_char  ngx_http_freshdesk_escape_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5,    /* \b \t \n \f \r */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    /* " */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,    /* \\ */
};


#if (NGX_HTTP_FRESHDESK_SSE2)

/* the letter after the backslash, where the escape is that short */

static const u_char  ngx_http_freshdesk_escape_short[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 'b', 't', 'n', 0, 'f', 'r', 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
};

#endif


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


#if (NGX_HTTP_FRESHDESK_SSE2)

/* bit i set: p[i] needs escaping ('"', '\\' or below 0x20) */

static ngx_inline uint64_t
ngx_http_freshdesk_escape_mask16(u_char *p)
{
    __m128i  v;

    v = _mm_loadu_si128((const __m128i *) p);

    /* unsigned v <= 0x1f: min(v, 0x1f) == v */

    return (uint64_t) (unsigned) _mm_movemask_epi8(
               _mm_or_si128(
                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                   _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v)));
}


/*
 * 64 bytes at a time: the positions of all bytes that need escaping are
 * found first, with no dependence between the loads, then the runs between
 * them are copied 16 bytes at a time.  A copy may write up to 15 bytes past
 * its run, which the next run or escape overwrites; it stays inside the
 * output because at least 80 bytes of input remain, which escape to at
 * least 80.
 */

static u_char *
ngx_http_freshdesk_escape_blocks(u_char **srcp, u_char *last, u_char *dst)
{
    u_char    *src, *from, *to, c;
    uint64_t   mask;
    ngx_int_t  n, k;

    src = *srcp;

    while (last - src >= 80) {
        mask = ngx_http_freshdesk_escape_mask16(src)
               | ngx_http_freshdesk_escape_mask16(src + 16) << 16
               | ngx_http_freshdesk_escape_mask16(src + 32) << 32
               | ngx_http_freshdesk_escape_mask16(src + 48) << 48;

        from = src;

        for ( ;; ) {
            to = mask ? src + __builtin_ctzll(mask) : src + 64;

            /* most runs are short: one copy, with no branch on the length */

            n = to - from;

            _mm_storeu_si128((__m128i *) dst,
                             _mm_loadu_si128((const __m128i *) from));

            for (k = 16; k < n; k += 16) {
                _mm_storeu_si128((__m128i *) (dst + k),
                                 _mm_loadu_si128((const __m128i *) (from + k)));
            }

            dst += n;

            if (mask == 0) {
                break;
            }

            c = *to;
            *dst++ = '\\';

            if (ngx_http_freshdesk_escape_short[c]) {
                *dst++ = ngx_http_freshdesk_escape_short[c];

            } else {
                *dst++ = 'u';
                *dst++ = '0';
                *dst++ = '0';
                *dst++ = "0123456789abcdef"[c >> 4];
                *dst++ = "0123456789abcdef"[c & 0xf];
            }

            from = to + 1;
            mask &= mask - 1;
        }

        src += 64;
    }

    *srcp = src;

    return dst;
}

#endif


/*
 * Escapes len bytes into dst, which has room for the escaped length
 * (ngx_http_freshdesk_json_escape_len()).
 */

u_char *
ngx_http_freshdesk_json_escape(u_char *dst, u_char *src, size_t len)
{
    u_char         c, *last;
    static u_char  hex[] = "0123456789abcdef";

    last = src + len;

#if (NGX_HTTP_FRESHDESK_SSE2)
    dst = ngx_http_freshdesk_escape_blocks(&src, last, dst);
#endif

    for ( ; src < last; src++) {
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
