
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The streaming JSON scanner: checks that a text is exactly one RFC 8259
 * JSON value in valid UTF-8, without building anything, and reports the
 * spans of the top-level members asked for.  Used on upstream bodies, which
 * are passed on as they are once known valid: large lists are never decoded
 * and re-encoded.  Its escaping variant writes the text escaped as a JSON
 * string in the same pass, for a body that goes into a result as text.
 */


#include "ngx_http_freshdesk_json.h"


/* the scanner's inner functions, inlined even where called twice */
#if (defined __GNUC__)
#define ngx_http_freshdesk_hot  ngx_inline __attribute__((always_inline))
#else
#define ngx_http_freshdesk_hot  ngx_inline
#endif


#define NGX_HTTP_FRESHDESK_SCAN_DEPTH  4096


/* a selecting scan's filtered objects, one inside the other */
typedef struct {
    ngx_http_freshdesk_select_t   *sel;
    ngx_uint_t                     kept;
} ngx_http_freshdesk_scan_level_t;


/*
 * What a string's 16-byte blocks are compared with, set once a scan and
 * kept in registers through it: an empty asm hides that they are constants,
 * which the compiler would otherwise load again wherever a loop of the scan
 * is entered in the middle.  A block may be read at p while p <= end (0:
 * the text is shorter than a block), one compare instead of three.
 */
typedef struct {
#if (NGX_HTTP_FRESHDESK_SSE2)
    __m128i                        flip;       /* 0x02 */
    __m128i                        below;      /* 0x21 */
    __m128i                        bslash;
#endif
    uintptr_t                      end;        /* the last block's start */
} ngx_http_freshdesk_scan_blocks_t;


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
    u_char **dst, const ngx_uint_t esc, ngx_uint_t *count,
    ngx_http_freshdesk_select_t *root, u_char **raw,
    const ngx_uint_t selecting);
static ngx_inline ngx_http_freshdesk_select_name_t *
    ngx_http_freshdesk_select_find(ngx_http_freshdesk_select_t *sel,
    u_char *name, size_t len, uintptr_t end);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_scan_string(
    u_char *p, u_char *last, const ngx_uint_t esc, u_char **dp,
    u_char **fromp, ngx_http_freshdesk_scan_blocks_t *k);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_scan_literal(
    u_char *p, u_char *last, ptrdiff_t len, const char *tail);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_scan_number(
    u_char *p, u_char *last);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_scan_scalar(
    u_char *p, u_char *last);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_emit(u_char *d,
    u_char *from, u_char *s, uintptr_t end, u_char c);
static ngx_http_freshdesk_hot u_char *ngx_http_freshdesk_copy(u_char *d,
    u_char *from, u_char *s, uintptr_t end);


/* four bytes as one number, for comparing literals */
static ngx_inline uint32_t
ngx_http_freshdesk_word(const char *s)
{
    uint32_t  w;

    ngx_memcpy(&w, s, 4);

    return w;
}


/*
 * A container ends: the enclosing one's kind comes back from the stack; a
 * selecting scan leaves an object whose members it filtered.
 */
#define ngx_http_freshdesk_scan_close()                                      \
    depth--;                                                                 \
    obj = kinds[depth];                                                      \
    if (selecting && depth < sdepth) {                                       \
        if (sdepth > rdepth) {                                               \
            sdepth--;                                                        \
            cur = levels[sdepth - rdepth].sel;                               \
            kept = levels[sdepth - rdepth].kept;                             \
                                                                             \
        } else {                                                             \
            sdepth = 0;                                                      \
        }                                                                    \
    }

/*
 * A member of a selected object whose value goes the general way (a
 * container): whether it is dropped (cut when the value ends) or kept
 * (the first one kept after some that were not: its comma goes), and the
 * selection of its object value.
 */
#define ngx_http_freshdesk_scan_keep()                                       \
    if (e == NULL) {                                                         \
        mdrop = 1;                                                           \
        msub = NULL;                                                         \
                                                                             \
    } else {                                                                 \
        msub = e->sub;                                                       \
                                                                             \
        if (!kept && *mspan == ',') {                                        \
            ngx_memcpy(r, rfrom, mspan - rfrom);                             \
            r += mspan - rfrom;                                              \
            rfrom = mspan + 1;                                               \
        }                                                                    \
                                                                             \
        kept = 1;                                                            \
    }


/*
 * Skips blanks.  An escaping scan writes nothing until a byte that needs
 * escaping comes: then the text since the last one ("from") goes out as it
 * is, followed by the escape (ngx_http_freshdesk_scan_emit).
 */

#define ngx_http_freshdesk_scan_emit(s, c)                                   \
    if (esc) {                                                               \
        d = ngx_http_freshdesk_emit(d, from, s, k->end, c);                  \
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


/* blanks skipped, not escaped (an escaping scan escapes them after) */
#define ngx_http_freshdesk_scan_ws_plain(p, last)                            \
    if ((p) < (last) && *(p) <= ' ') {                                       \
        while ((p) < (last) && ngx_http_freshdesk_json_ws(*(p))) {           \
            (p)++;                                                           \
        }                                                                    \
    }


/* the byte c at p, after blanks if it is not there at once */
#define ngx_http_freshdesk_scan_expect(p, last, c)                           \
    if ((p) == (last) || *(p) != (c)) {                                      \
        ngx_http_freshdesk_scan_ws(p, last);                                 \
                                                                             \
        if ((p) == (last) || *(p) != (c)) {                                  \
            goto failed;                                                     \
        }                                                                    \
    }


/* the same, the blanks not escaped */
#define ngx_http_freshdesk_scan_expect_plain(p, last, c)                     \
    if ((p) == (last) || *(p) != (c)) {                                      \
        ngx_http_freshdesk_scan_ws_plain(p, last);                           \
                                                                             \
        if ((p) == (last) || *(p) != (c)) {                                  \
            goto failed;                                                     \
        }                                                                    \
    }


/* blanks before a value, which must come */
#define ngx_http_freshdesk_scan_blanks(p, last)                              \
    if ((p) == (last) || *(p) <= ' ') {                                      \
        while ((p) < (last) && ngx_http_freshdesk_json_ws(*(p))) {           \
            if (esc && *(p) != ' ') {                                        \
                ngx_http_freshdesk_scan_emit(p, *(p) == '\n' ? 'n'          \
                                                : *(p) == '\t' ? 't' : 'r'); \
            }                                                                \
            (p)++;                                                           \
        }                                                                    \
                                                                             \
        if ((p) == (last)) {                                                 \
            goto failed;                                                     \
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
                                        n, top, NULL, 0, NULL, NULL, NULL, 0);
}


/*
 * Validates, and counts elements: *count gets those of the top-level
 * array (0 if the text is not one), members[i].elements those of each
 * member found whose value is an array.  Two additions per array element,
 * in the pass that validates, instead of a pass of its own.
 */

ngx_int_t
ngx_http_freshdesk_json_validate_count(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, ngx_uint_t *count)
{
    return ngx_http_freshdesk_scan_text(data, data + len, max_depth, members,
                                        n, top, NULL, 0, count, NULL, NULL, 0);
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
                                      n, top, &d, 1, NULL, NULL, NULL, 0);

    *escaped_len = d - dst;

    return rc;
}


/*
 * Validates and selects in one pass: the records (the top-level object;
 * the elements of a top-level array; with "n" members asked for, the
 * elements of the array members[0] names) keep only the members "sel"
 * names, and a kept member with a selection of its own keeps only those of
 * its object value.  raw gets the selected text (at most len bytes),
 * *raw_len its length; members[i].value are spans of raw.
 */

ngx_int_t
ngx_http_freshdesk_json_select(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, ngx_http_freshdesk_select_t *sel,
    u_char *raw, size_t *raw_len, ngx_uint_t *count)
{
    u_char     *r;
    ngx_int_t   rc;

    r = raw;

    rc = ngx_http_freshdesk_scan_text(data, data + len, max_depth, members,
                                      n, top, NULL, 0, count, sel, &r, 1);

    *raw_len = r - raw;

    return rc;
}


/*
 * Validates, selects and escapes in one pass: raw, *raw_len and members[i]
 * as above, and the selected text escaped into dst as validate_escape
 * escapes a text (dst has room for NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(len)
 * bytes): *escaped_len gets its length, members[i].escaped the escaped
 * spans.  The members not kept are cut from the escaped text as from the
 * raw one, and their values are not escaped.  A function of its own, not
 * a flag of the one above: that one stays as it was, to the instruction.
 */

ngx_int_t
ngx_http_freshdesk_json_select_escape(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, ngx_http_freshdesk_select_t *sel,
    u_char *raw, size_t *raw_len, ngx_uint_t *count, u_char *dst,
    size_t *escaped_len)
{
    u_char     *r, *d;
    ngx_int_t   rc;

    r = raw;
    d = dst;

    rc = ngx_http_freshdesk_scan_text(data, data + len, max_depth, members,
                                      n, top, &d, 1, count, sel, &r, 1);

    *raw_len = r - raw;
    *escaped_len = d - dst;

    return rc;
}


/*
 * The selection's entry for a member name, by a small hash.  An empty name
 * needs no test of its own: its hash reads the quotes around it, and no
 * entry is empty (fields.c adds none).  "end" is the last block's start
 * (0: the text is shorter than a block).
 */

static ngx_inline ngx_http_freshdesk_select_name_t *
ngx_http_freshdesk_select_find(ngx_http_freshdesk_select_t *sel,
    u_char *name, size_t len, uintptr_t end)
{
    size_t                             k;
    uint64_t                           w[2], ew[2], em[2];
    ngx_uint_t                         i;
    ngx_http_freshdesk_select_name_t  *e;

    /* ngx_http_freshdesk_select_hash(name, len), with its last byte read
     * as (name - 1)[len]: the same for a name, the quote for an empty one
     * (name - 1 + len does not wrap where name + len - 1 would) */

    i = sel->head[(len * 7 + name[0] + (name - 1)[len]) & 63];

    if (i == 0) {
        return NULL;
    }

    if (len <= 16 && (uintptr_t) name <= end) {

        /* a short name: its first 16 bytes, masked, at once */

        ngx_memcpy(w, name, 16);

        do {
            e = &sel->names[i - 1];

            ngx_memcpy(ew, e->word, 16);
            ngx_memcpy(em, e->mask, 16);

            if (e->len == len
                && (((w[0] & em[0]) ^ ew[0]) | ((w[1] & em[1]) ^ ew[1])) == 0)
            {
                return e;
            }

            i = e->next;

        } while (i);

        return NULL;
    }

    do {
        e = &sel->names[i - 1];

        if (e->len == len) {
            for (k = 0; k < len && e->name[k] == name[k]; k++) {
                /* void */
            }

            if (k == len) {
                return e;
            }
        }

        i = e->next;

    } while (i);

    return NULL;
}


/*
 * Writes the text from "from" to "s" as it is; returns the end.  A short
 * run is copied with one 16-byte store, which may write past it: the room
 * asked for output covers that; its load stays in the text while
 * from <= end (the last block's start).
 */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_copy(u_char *d, u_char *from, u_char *s, uintptr_t end)
{
    size_t  n;

    n = s - from;

#if (NGX_HTTP_FRESHDESK_SSE2)
    if (n <= 16 && (uintptr_t) from <= end) {
        _mm_storeu_si128((__m128i *) d,
                         _mm_loadu_si128((const __m128i *) from));
    } else
#endif
    {
        ngx_memcpy(d, from, n);
    }

    return d + n;
}


/* the same, then '\\' and c (escaping the byte at s) */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_emit(u_char *d, u_char *from, u_char *s, uintptr_t end,
    u_char c)
{
    d = ngx_http_freshdesk_copy(d, from, s, end);

    d[0] = '\\';
    d[1] = c;

    return d + 2;
}


/*
 * A string from after its opening quote: returns the byte after the closing
 * quote, or NULL if the string is not valid (raw control characters, bad
 * escapes, bad UTF-8: no overlongs, no surrogates, nothing above U+10FFFF).
 * An escaping scan escapes its backslashes and its closing quote.
 */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_scan_string(u_char *p, u_char *last, const ngx_uint_t esc,
    u_char **dp, u_char **fromp, ngx_http_freshdesk_scan_blocks_t *k)
{
    u_char    c, *d, *from;
    uint32_t  cp;
    size_t    n, i;
#if (NGX_HTTP_FRESHDESK_SSE2)
    int       mask;
    __m128i   v;
#endif

    d = *dp;
    from = *fromp;

    for ( ;; ) {

        /*
         * The common case, printable ASCII other than '"' and '\\', is
         * skipped sixteen bytes at a time where SSE2 is there (every
         * x86-64), with a table otherwise and for the last bytes; a byte
         * found in a block is short of "last", and looked at at once.
         */

#if (NGX_HTTP_FRESHDESK_SSE2)
        while ((uintptr_t) p <= k->end) {
            v = _mm_loadu_si128((const __m128i *) p);

            /*
             * One signed compare finds '"' and the control characters
             * (and the bytes >= 0x80, negative): with bit 1 flipped, '"'
             * is 0x20, the only byte then below 0x21 that was not below
             * 0x20 before.  '\\' has a compare of its own.
             */

            mask = _mm_movemask_epi8(
                       _mm_or_si128(_mm_cmpeq_epi8(v, k->bslash),
                                    _mm_cmplt_epi8(_mm_xor_si128(v, k->flip),
                                                   k->below)));

            if (__builtin_expect(mask != 0, 1)) {
                p += __builtin_ctz(mask);
                goto special;
            }

            p += 16;
        }
#endif

        while (p < last && ngx_http_freshdesk_plain[*p]) {
            p++;
        }

        if (p == last) {
            return NULL;
        }

#if (NGX_HTTP_FRESHDESK_SSE2)
    special:
#endif

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
 * true, false or null at p, known by its first letter (the caller's switch
 * has told them apart): its last four bytes, "tail", compared as one
 * number; returns the byte after it, or NULL.
 */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_scan_literal(u_char *p, u_char *last, ptrdiff_t len,
    const char *tail)
{
    uint32_t  word;

    if (last - p < len) {
        return NULL;
    }

    ngx_memcpy(&word, p + len - 4, 4);

    if (word != ngx_http_freshdesk_word(tail)) {
        return NULL;
    }

    return p + len;
}


/*
 * A number, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; returns the
 * byte after it, or NULL.
 */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_scan_number(u_char *p, u_char *last)
{
    if (*p == '-') {
        p++;

        if (p == last) {
            return NULL;
        }
    }

    /* the integer part; then, at the first byte after it, the end is
     * tested once for both the fraction and the exponent */

    if (*p == '0') {
        p++;

    } else if ((u_char) (*p - '1') <= 8) {
        do {
            p++;
        } while (p < last && (u_char) (*p - '0') <= 9);

    } else {
        return NULL;
    }

    if (p == last) {
        return p;
    }

    if (*p == '.') {
        p++;

        if (p == last || (u_char) (*p - '0') > 9) {
            return NULL;
        }

        do {
            p++;
        } while (p < last && (u_char) (*p - '0') <= 9);

        if (p == last) {
            return p;
        }
    }

    if ((*p | 0x20) == 'e') {
        p++;

        if (p < last && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == last || (u_char) (*p - '0') > 9) {
            return NULL;
        }

        do {
            p++;
        } while (p < last && (u_char) (*p - '0') <= 9);
    }

    return p;
}


/* a value that is neither a string nor a container */

static ngx_http_freshdesk_hot u_char *
ngx_http_freshdesk_scan_scalar(u_char *p, u_char *last)
{
    switch (*p) {

    case 't':
        return ngx_http_freshdesk_scan_literal(p, last, 4, "true");

    case 'f':
        return ngx_http_freshdesk_scan_literal(p, last, 5, "alse");

    case 'n':
        return ngx_http_freshdesk_scan_literal(p, last, 4, "null");

    default:
        return ngx_http_freshdesk_scan_number(p, last);
    }
}


/*
 * The scanner proper: iterative, so nesting costs no C stack; the kind of
 * each open container is a byte in "kinds" (1: object), one store and one
 * load a container where bits took a dozen instructions.  Members of the
 * top-level object named in members[] have their value spans recorded.
 * Inlined into the validator and the escaping validator above, so that
 * "esc" is a constant and the validator carries no trace of escaping.
 */

static ngx_http_freshdesk_hot ngx_int_t
ngx_http_freshdesk_scan_text(u_char *p, u_char *last, ngx_uint_t max_depth,
    ngx_http_freshdesk_json_member_t *members, ngx_uint_t n, u_char *top,
    u_char **dst, const ngx_uint_t esc, ngx_uint_t *count,
    ngx_http_freshdesk_select_t *root, u_char **raw,
    const ngx_uint_t selecting)
{
    u_char       c, *key, *start, *name, *d, *from, *dstart, *q;
    size_t       klen;
    uint64_t     firsts[2];
    u_char       kinds[NGX_HTTP_FRESHDESK_SCAN_DEPTH];
    ngx_uint_t   i, depth, obj, keyed, elems[3], melems;

    /* selecting: the selected text is written to r lazily, from rfrom */
    u_char                            *r, *rfrom, *rstart, *mspan, *dmark;
    ngx_uint_t                         sdepth, rdepth, kept, mdrop, first;
    ngx_uint_t                         items, pobj;
    ngx_http_freshdesk_select_t       *cur, *msub;
    ngx_http_freshdesk_select_name_t  *e;
    ngx_http_freshdesk_scan_level_t    levels[NGX_HTTP_FRESHDESK_SELECT_LEVELS];
    ngx_http_freshdesk_scan_blocks_t   blocks, *k;

    if (max_depth > NGX_HTTP_FRESHDESK_SCAN_DEPTH) {
        max_depth = NGX_HTTP_FRESHDESK_SCAN_DEPTH;
    }

    k = &blocks;

#if (NGX_HTTP_FRESHDESK_SSE2)
    k->flip = _mm_set1_epi8(0x02);
    k->below = _mm_set1_epi8(0x21);
    k->bslash = _mm_set1_epi8('\\');

    __asm__ ("" : "+x" (k->flip), "+x" (k->below), "+x" (k->bslash));
#endif

    /* one compare a block: "last - p >= 16" as "p <= end" */

    k->end = (last - p >= 16) ? (uintptr_t) (last - 16) : 0;

    /* the first letters of the names in members[], as a quick filter */

    firsts[0] = 0;
    firsts[1] = 0;

    for (i = 0; i < n; i++) {
        ngx_str_null(&members[i].value);
        ngx_str_null(&members[i].escaped);
        members[i].elements = 0;

        c = (u_char) members[i].name[0];

        if (c < 128) {
            firsts[c >> 6] |= (uint64_t) 1 << (c & 63);
        }
    }

    /* member names are looked at in depth 1 only, and only if asked for */

    keyed = n ? 1 : 0;

    /* elements of the arrays of depth 1 and 2, when counting */

    elems[1] = 0;
    elems[2] = 0;
    melems = 0;

    depth = 0;
    obj = 0;
    key = NULL;
    klen = 0;
    start = NULL;
    dstart = NULL;
    d = esc ? *dst : NULL;
    from = p;

    r = selecting ? *raw : NULL;
    rfrom = p;
    rstart = NULL;
    mspan = NULL;
    dmark = NULL;
    sdepth = 0;
    rdepth = 0;
    kept = 0;
    mdrop = 0;
    first = 0;
    items = 0;
    cur = root;
    msub = NULL;

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last) {
        goto failed;
    }

    if (top) {
        *top = *p;
    }

    /* the depth of the records' members: object, array, list member */

    if (selecting) {
        rdepth = (*p == '[') ? 2 : (*p == '{') ? (n ? 3 : 1) : 0;
    }

value:

    if (p == last) {
        goto failed;
    }

    switch (*p) {

    case '"':
        ngx_http_freshdesk_scan_emit(p, '"');

        p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from, k);
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
        pobj = obj;

        /* the enclosing container's kind is kept, this one's is in "obj" */

        kinds[depth] = (u_char) obj;

        depth++;
        obj = (c == '{');

        if (selecting && obj) {

            if (msub && depth == sdepth + 1) {

                /* a kept member's object with a selection of its own */

                if (sdepth - rdepth < NGX_HTTP_FRESHDESK_SELECT_LEVELS) {
                    levels[sdepth - rdepth].sel = cur;
                    levels[sdepth - rdepth].kept = kept;
                    cur = msub;
                    sdepth = depth;
                    kept = 0;
                }

            } else if (sdepth == 0 && depth == rdepth
                       && (rdepth == 1 || (!pobj && (rdepth == 2 || items))))
            {
                /* a record */
                cur = root;
                sdepth = depth;
                kept = 0;
            }

            msub = NULL;
        }

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
            first = 1;
            goto member;
        }

        goto array;

    case 't':
        p = ngx_http_freshdesk_scan_literal(p, last, 4, "true");
        goto literal;

    case 'f':
        p = ngx_http_freshdesk_scan_literal(p, last, 5, "alse");
        goto literal;

    case 'n':
        p = ngx_http_freshdesk_scan_literal(p, last, 4, "null");

    literal:

        if (p == NULL) {
            goto failed;
        }

        goto next;
    }

    p = ngx_http_freshdesk_scan_number(p, last);

    if (p == NULL) {
        goto failed;
    }

next:

    /* a value ended: the whole text, or a member or element of depth */

    if (selecting && mdrop && depth == sdepth) {

        /* a member not selected: the text from its comma (or the
         * object's start) to here goes, from the escaped and raw texts */

        if (esc) {
            d = dmark;
            from = p;
        }

        if (mspan != rfrom) {
            ngx_memcpy(r, rfrom, mspan - rfrom);
            r += mspan - rfrom;
        }

        rfrom = p;

        mdrop = 0;
    }

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

                if (selecting) {
                    members[i].value.data = rstart;
                    members[i].value.len = r + (p - rfrom) - rstart;

                } else {
                    members[i].value.data = start;
                    members[i].value.len = p - start;
                }

                if (count && *start == '[') {
                    members[i].elements = elems[2] - melems;
                }

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

        if (count) {
            *count = elems[1];
        }

        if (selecting) {
            ngx_memcpy(r, rfrom, last - rfrom);
            *raw = r + (last - rfrom);
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

        first = 0;
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

    if (p == last) {
        goto failed;
    }

    goto array;

member:

    /* "key" : value */

    /* (in a selecting scan, neither the members' nor a selected object) */

    if (!selecting && depth != keyed) {
        goto object;
    }

    if (selecting && depth != sdepth && depth != keyed) {
        goto object;
    }

    if (selecting && depth == sdepth) {

        /* the member's text starts at its comma, or where the first
         * member starts */

        mspan = first ? p : p - 1;

        /* the records' loop ("root" is never NULL here: as a test, the
         * jump leaves the general way below reachable while the compiler
         * optimizes the scanner before inlining it, which keeps the
         * selecting scans' code as it was; a plain goto cost them
         * +0.85% and +1.4% instructions) */

        if (!esc || root != NULL) {
            goto record;
        }
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last || *p != '"') {
        goto failed;
    }

    ngx_http_freshdesk_scan_emit(p, '"');

    name = p + 1;

    p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from, k);
    if (p == NULL) {
        goto failed;
    }

    if (depth == keyed) {
        klen = p - 1 - name;
    }

    if (selecting && rdepth == 3 && depth == 1) {
        items = ((size_t) (p - 1 - name) == ngx_strlen(members[0].name)
                 && ngx_memcmp(name, members[0].name, p - 1 - name) == 0);
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last || *p++ != ':') {
        goto failed;
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (depth == keyed && name[0] < 128) {
        key = name;
        start = p;
        melems = elems[2];

        if (esc) {
            dstart = d + (p - from);
        }

        if (selecting) {
            rstart = r + (p - rfrom);
        }
    }

    goto value;

object:

    /*
     * A member of an object that nobody looks into (not of depth 1 when
     * members[] are asked for, not a selected one), in a loop of its own:
     * a literal, number or string value is scanned here, and the comma or
     * the end after it taken at once; an empty container is taken here
     * too, others go the general way and come back when they end
     * ("closed").  Blanks are looked for only where the expected byte is
     * not.
     */

    ngx_http_freshdesk_scan_expect(p, last, '"');

    ngx_http_freshdesk_scan_emit(p, '"');

    p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from, k);
    if (p == NULL) {
        goto failed;
    }

    /* mostly the colon and the value's first byte, no blanks */

    if (last - p > 1 && *p == ':' && p[1] > ' ') {
        p++;

    } else {
        ngx_http_freshdesk_scan_expect(p, last, ':');

        p++;

        ngx_http_freshdesk_scan_ws(p, last);

        if (p == last) {
            goto failed;
        }
    }

    switch (*p) {

    case '"':
        ngx_http_freshdesk_scan_emit(p, '"');

        p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from, k);
        break;

    case '{':
    case '[':

        /* an empty one (Freshdesk's many "cc_emails":[]) at once: ']' and
         * '}' are two after '[' and '{' */

        if (last - p > 1 && p[1] == *p + 2 && depth < max_depth) {
            p += 2;
            break;
        }

        goto value;

    case 't':
        p = ngx_http_freshdesk_scan_literal(p, last, 4, "true");
        break;

    case 'f':
        p = ngx_http_freshdesk_scan_literal(p, last, 5, "alse");
        break;

    case 'n':
        p = ngx_http_freshdesk_scan_literal(p, last, 4, "null");
        break;

    default:
        p = ngx_http_freshdesk_scan_number(p, last);
    }

    if (p == NULL) {
        goto failed;
    }

object_next:

    if (p < last && *p == ',') {
        p++;
        goto object;
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last) {
        goto failed;
    }

    if (*p == ',') {
        p++;
        goto object;
    }

    if (*p++ != '}') {
        goto failed;
    }

    ngx_http_freshdesk_scan_close();

    goto closed;

array:

    /*
     * An element of an array, after blanks: the same, with the count kept.
     * No array is a selected object, nor the object of members[].
     */

    if (count && depth <= 2) {
        elems[depth]++;
    }

    switch (*p) {

    case '"':
        ngx_http_freshdesk_scan_emit(p, '"');

        p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from, k);
        break;

    case '[':
        if (last - p > 1 && p[1] == ']' && depth < max_depth) {
            p += 2;
            break;
        }

        goto value;

    case '{':
        goto value;

    default:
        p = ngx_http_freshdesk_scan_scalar(p, last);
    }

    if (p == NULL) {
        goto failed;
    }

array_next:

    if (p == last || *p != ',') {
        ngx_http_freshdesk_scan_ws(p, last);

        if (p == last) {
            goto failed;
        }

        if (*p == ']') {
            p++;
            ngx_http_freshdesk_scan_close();
            goto closed;
        }

        if (*p != ',') {
            goto failed;
        }
    }

    p++;

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last) {
        goto failed;
    }

    goto array;

closed:

    /*
     * A container in one of the two loops ended: the enclosing one's loop
     * goes on, where the general way has nothing to do (no array is a
     * selected object nor holds a member of members[]).  Not in an
     * escaping scan: there the extra ways into the loops cost the compiler
     * registers, and more instructions than they save.
     */

    if (esc) {
        goto next;
    }

    if (obj) {
        if (depth != keyed && (!selecting || depth != sdepth)) {
            goto object_next;
        }

    } else if (depth) {
        goto array_next;
    }

    goto next;

record:

    /*
     * A member of an object whose members are selected, in a loop of its
     * own: the name looked up, and a literal, number or string value (most
     * of them) scanned and kept or cut here, without the general state
     * machine's checks for each value; objects and arrays go the general
     * way.  Blanks are looked for only where the expected byte is not.
     * Whether the member is the object's first is told by the byte at
     * mspan (its comma, or not), and its entry "e" stays in a register:
     * mdrop and msub are set only for a value that goes the general way.
     *
     * An escaping scan escapes a kept member (its name once it is known
     * kept, and its value); a member not kept is cut from the escaped text
     * as from the raw one (back to "dmark", where its text starts in the
     * escaped one), and is not escaped, but where it goes the general way.
     */

    ngx_http_freshdesk_scan_expect_plain(p, last, '"');

    name = p + 1;

    p = ngx_http_freshdesk_scan_string(p + 1, last, 0, &d, &from, k);
    if (p == NULL) {
        goto failed;
    }

    e = ngx_http_freshdesk_select_find(cur, name, p - 1 - name, k->end);

    if (esc) {

        if (e == NULL) {

            /* the text before it is written (nothing to write after one
             * not kept either): its own, from dmark on, goes when its
             * value ends (escaped meanwhile or not) */

            if (mspan != from) {
                d = ngx_http_freshdesk_copy(d, from, mspan, k->end);
                from = mspan;
            }

            dmark = d;

        } else {

            if (!kept && *mspan == ',') {

                /* the first member kept, after some that were not: its
                 * comma goes */

                d = ngx_http_freshdesk_copy(d, from, mspan, k->end);
                from = mspan + 1;
            }

            /* the blanks after the comma, the name, both escaped */

            for (q = mspan + 1; q < name - 1; q++) {
                if (*q != ' ') {
                    ngx_http_freshdesk_scan_emit(q, *q == '\n' ? 'n'
                                                    : *q == '\t' ? 't' : 'r');
                }
            }

            ngx_http_freshdesk_scan_emit(name - 1, '"');

            /* a name without backslashes (the entry's, byte for byte) has
             * only its closing quote to escape */

            if (e->plain) {
                ngx_http_freshdesk_scan_emit(p - 1, '"');

            } else {
                (void) ngx_http_freshdesk_scan_string(name, last, esc, &d,
                                                      &from, k);
            }
        }
    }

    /* mostly the colon and the value's first byte, no blanks (p + 1 is in
     * the text where a block is) */

    if ((uintptr_t) p <= k->end && *p == ':' && p[1] > ' ') {
        p++;

    } else {
        ngx_http_freshdesk_scan_expect(p, last, ':');

        p++;

        ngx_http_freshdesk_scan_blanks(p, last);
    }

    switch (*p) {

    case '"':
        if (esc && e != NULL) {
            ngx_http_freshdesk_scan_emit(p, '"');

            p = ngx_http_freshdesk_scan_string(p + 1, last, esc, &d, &from,
                                               k);

        } else {
            p = ngx_http_freshdesk_scan_string(p + 1, last, 0, &d, &from,
                                               k);
        }

        break;

    case '[':

        if (depth < 2 || depth >= max_depth) {
            goto record_value;
        }

        /* an array (of a list's record: not counted) of literals, numbers
         * and strings here too; at a container in it, the general way
         * takes over, with the array open */

        p++;

        ngx_http_freshdesk_scan_blanks(p, last);

        if (*p != ']') {

            for ( ;; ) {

                if (*p == '"') {
                    if (esc && e != NULL) {
                        ngx_http_freshdesk_scan_emit(p, '"');

                        p = ngx_http_freshdesk_scan_string(p + 1, last, esc,
                                                           &d, &from, k);

                    } else {
                        p = ngx_http_freshdesk_scan_string(p + 1, last, 0,
                                                           &d, &from, k);
                    }

                } else if (*p == '{' || *p == '[') {
                    ngx_http_freshdesk_scan_keep();

                    kinds[depth] = 1;
                    depth++;
                    obj = 0;
                    goto value;

                } else {
                    p = ngx_http_freshdesk_scan_scalar(p, last);
                }

                if (p == NULL) {
                    goto failed;
                }

                ngx_http_freshdesk_scan_ws(p, last);

                if (p == last) {
                    goto failed;
                }

                if (*p == ']') {
                    break;
                }

                if (*p++ != ',') {
                    goto failed;
                }

                ngx_http_freshdesk_scan_blanks(p, last);
            }
        }

        p++;
        break;

    case '{':
        goto record_value;

    default:
        p = ngx_http_freshdesk_scan_scalar(p, last);
    }

    if (p == NULL) {
        goto failed;
    }

    if (e == NULL) {

        /* not selected: the text from its comma (or the object's start)
         * to here goes, from the escaped and raw texts */

        if (esc) {
            d = dmark;
            from = p;
        }

        if (mspan != rfrom) {
            ngx_memcpy(r, rfrom, mspan - rfrom);
            r += mspan - rfrom;
        }

        rfrom = p;

    } else if (!kept) {

        /* the first member kept, after some that were not: its comma
         * goes */

        if (*mspan == ',') {
            ngx_memcpy(r, rfrom, mspan - rfrom);
            r += mspan - rfrom;
            rfrom = mspan + 1;
        }

        kept = 1;
    }

    if (p < last && *p == ',') {
        mspan = p++;
        goto record;
    }

    ngx_http_freshdesk_scan_ws(p, last);

    if (p == last) {
        goto failed;
    }

    if (*p == ',') {
        mspan = p++;
        goto record;
    }

    if (*p++ != '}') {
        goto failed;
    }

    ngx_http_freshdesk_scan_close();

    goto next;

record_value:

    /* an object or array value of a member of a selected object */

    ngx_http_freshdesk_scan_keep();

    goto value;

failed:

    if (esc) {
        *dst = d;
    }

    return NGX_ERROR;
}
