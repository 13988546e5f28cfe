
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_JSON_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_JSON_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


#define NGX_HTTP_FRESHDESK_JSON_MAX_DEPTH  64

/* SSE2 (every x86-64): the scanner and the escaper take 16 bytes at once */
#if (defined __SSE2__)
#include <emmintrin.h>
#define NGX_HTTP_FRESHDESK_SSE2  1
#endif

/* JSON's blanks, and skipping them */
#define ngx_http_freshdesk_json_ws(c)                                        \
    ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')

#define ngx_http_freshdesk_skip_ws(p, last)                                  \
    while ((p) < (last) && ngx_http_freshdesk_json_ws(*(p))) {               \
        (p)++;                                                               \
    }

/* room for escaping len bytes of valid JSON as they are scanned */
#define NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(len)  (2 * (len) + 16)


/* a top-level member whose value span the validator reports */
typedef struct {
    const char                    *name;
    ngx_str_t                      value;      /* raw JSON text, or empty */
    ngx_str_t                      escaped;    /* the same, escaped */
    ngx_uint_t                     elements;   /* an array's, if counted */
} ngx_http_freshdesk_json_member_t;


/*
 * A selection of members, for a selecting scan: the names kept, each with
 * the selection of its object value (NULL: the whole value), found by a
 * small hash of the name (head: 1 + the first name's index, next: 1 + the
 * next one's).
 */
typedef struct ngx_http_freshdesk_select_s  ngx_http_freshdesk_select_t;

typedef struct {
    u_char                        *name;
    size_t                         len;
    ngx_http_freshdesk_select_t   *sub;
    ngx_uint_t                     next;
    u_char                         word[16];   /* the name's first bytes */
    u_char                         mask[16];   /* 0xff where they are */
    ngx_uint_t                     plain;      /* no '\\': escapes as is */
} ngx_http_freshdesk_select_name_t;

struct ngx_http_freshdesk_select_s {
    ngx_http_freshdesk_select_name_t  *names;
    ngx_uint_t                         n;
    u_char                             head[64];
};

#define ngx_http_freshdesk_select_hash(name, len)                            \
    (((len) * 7 + (name)[0] + (name)[(len) - 1]) & 63)

/* the most levels of objects selected one inside the other */
#define NGX_HTTP_FRESHDESK_SELECT_LEVELS  4


/* an entry's name, set with its words for the scanner's compare */
static ngx_inline void
ngx_http_freshdesk_select_set(ngx_http_freshdesk_select_name_t *e,
    u_char *name, size_t len)
{
    size_t  k;

    e->name = name;
    e->len = len;

    ngx_memzero(e->word, 16);
    ngx_memzero(e->mask, 16);

    for (k = 0; k < len && k < 16; k++) {
        e->word[k] = name[k];
        e->mask[k] = 0xff;
    }

    e->plain = (ngx_strlchr(name, name + len, '\\') == NULL);
}


/* ngx_http_freshdesk_json_scan.c: the validating scanner */
ngx_int_t ngx_http_freshdesk_json_validate(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top);
ngx_int_t ngx_http_freshdesk_json_validate_escape(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, u_char *dst, size_t *escaped_len);
ngx_int_t ngx_http_freshdesk_json_validate_count(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, ngx_uint_t *count);
ngx_int_t ngx_http_freshdesk_json_select(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, ngx_http_freshdesk_select_t *sel,
    u_char *raw, size_t *raw_len, ngx_uint_t *count);
ngx_int_t ngx_http_freshdesk_json_select_escape(u_char *data, size_t len,
    ngx_uint_t max_depth, ngx_http_freshdesk_json_member_t *members,
    ngx_uint_t n, u_char *top, ngx_http_freshdesk_select_t *sel,
    u_char *raw, size_t *raw_len, ngx_uint_t *count, u_char *dst,
    size_t *escaped_len);

/* ngx_http_freshdesk_json.c: jansson glue */
json_t *ngx_http_freshdesk_json_load_flat(u_char *p, size_t len);
json_t *ngx_http_freshdesk_json_parse(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_uint_t max_depth, ngx_str_t *err);
ngx_int_t ngx_http_freshdesk_json_own(ngx_pool_t *pool, json_t *json);
ngx_int_t ngx_http_freshdesk_json_dump(ngx_pool_t *pool, json_t *json,
    size_t flags, ngx_str_t *out);

/* ngx_http_freshdesk_json_escape.c: JSON string escaping */
size_t ngx_http_freshdesk_json_escape_len(u_char *src, size_t len);
u_char *ngx_http_freshdesk_json_escape(u_char *dst, u_char *src, size_t len);
ngx_int_t ngx_http_freshdesk_json_string(ngx_pool_t *pool, ngx_str_t *dst,
    u_char *src, size_t len);
size_t ngx_http_freshdesk_utf8_cut(u_char *text, size_t len, size_t max);


#endif /* _NGX_HTTP_FRESHDESK_JSON_H_INCLUDED_ */
