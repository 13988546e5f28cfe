
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * JSON string escaping, for responses assembled from pre-serialized parts:
 * the escaped length of a text, the escaping itself (64 bytes at a time
 * where SSE2 is there), a quoted string in pool memory, and the cutting of
 * text to a byte limit without splitting a UTF-8 character.
 */


#include "ngx_http_freshdesk_json.h"


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

        while (mask) {
            to = src + (size_t) __builtin_ctzll(mask);

            /* most runs are short: one copy, the longer ones in a loop */

            n = to - from;

            _mm_storeu_si128((__m128i *) dst,
                             _mm_loadu_si128((const __m128i *) from));

            if (__builtin_expect(n > 16, 0)) {
                for (k = 16; k < n; k += 16) {
                    _mm_storeu_si128((__m128i *) (dst + k),
                        _mm_loadu_si128((const __m128i *) (from + k)));
                }
            }

            dst += n;

            c = *to;
            dst[0] = '\\';

            if (__builtin_expect(ngx_http_freshdesk_escape_short[c] != 0, 1)) {
                dst[1] = ngx_http_freshdesk_escape_short[c];
                dst += 2;

            } else {
                dst[1] = 'u';
                dst[2] = '0';
                dst[3] = '0';
                dst[4] = "0123456789abcdef"[c >> 4];
                dst[5] = "0123456789abcdef"[c & 0xf];
                dst += 6;
            }

            from = to + 1;
            mask &= mask - 1;
        }

        /* the block's last run */

        n = src + 64 - from;

        for (k = 0; k < n; k += 16) {
            _mm_storeu_si128((__m128i *) (dst + k),
                             _mm_loadu_si128((const __m128i *) (from + k)));
        }

        dst += n;

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
