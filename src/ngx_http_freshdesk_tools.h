
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_TOOLS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_TOOLS_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


/*
 * The tool catalog is data: one ngx_http_freshdesk_tool_t row per tool and
 * one ngx_http_freshdesk_arg_t row per argument.  The generic engine reads
 * the rows in three files: ngx_http_freshdesk_tools.c (the catalog: lookup,
 * and the JSON Schema published by tools/list), ngx_http_freshdesk_args.c
 * (validation of a call's arguments) and ngx_http_freshdesk_build.c (the
 * upstream method, path, query and body).
 */


/* argument kinds: what JSON value is accepted */
#define FD_ID          1   /* integer >= 1 (min/max unused) */
#define FD_INT         2   /* integer, min..max */
#define FD_BOOL        3   /* true / false */
#define FD_STR         4   /* string, length min..max (0 = no limit) */
#define FD_ENUM        5   /* string, one of values "a|b|c" */
#define FD_INT_ENUM    6   /* integer, one of values "2|3|4|5" */
#define FD_DATETIME    7   /* ISO-8601 "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ" */
#define FD_EMAIL       8   /* string with one "@", no spaces */
#define FD_IDS         9   /* array of integers >= 1, items min..max */
#define FD_STRS        10  /* array of strings, items min..max */
#define FD_EMAILS      11  /* array of emails, items min..max */
#define FD_ENUMS       12  /* array of strings from values, items min..max */
#define FD_INTS        13  /* array of integers from values, items min..max */
#define FD_OBJECT      14  /* any JSON object (passed through) */
#define FD_KEY         15  /* string id [A-Za-z0-9_-], length 1..64 */
#define FD_DURATION    16  /* "hh:mm" (1-3 digit hours) */
#define FD_ID_OR_ME    17  /* integer >= 1 or the string "me" */
#define FD_FILTERS     18  /* object: field -> scalar, or field -> {op: v}
                              with op gt|gte|lt|lte; sent as query
                              field=v / field[op]=v */
#define FD_STR_MAP     19  /* object: string -> string|number|bool; sent
                              as query parameters */
#define FD_PATH        20  /* relative /api/v2 path (freshdesk_request) */
#define FD_FIELDS      21  /* array of field names of the tool's records
                              (fields.c) */

/* argument flags: where the value goes */
#define FD_IN_PATH     0x0001   /* {name} in the path template */
#define FD_IN_QUERY    0x0002   /* query string parameter */
#define FD_IN_BODY     0x0004   /* JSON body member (wire may be "a.b") */
#define FD_IN_SEARCH   0x0008   /* part of a search query; wire =
                                   "field" or "field:>" / "field:<" */
#define FD_IN_RAWQ     0x0010   /* the raw search query text */
#define FD_IN_NONE     0x0020   /* consumed by the tool's own code */
#define FD_REQUIRED    0x0100

/* the date filters of the search_* tools (catalog_*.c) */
#define NGX_HTTP_FRESHDESK_SEARCH_SINCE_ARGS  \
    { "created_since", FD_DATETIME, FD_IN_SEARCH, 0, 0, NULL, "created_at:>",  \
      "Created on or after this ISO-8601 date \"2024-05-01\"" },               \
    { "updated_since", FD_DATETIME, FD_IN_SEARCH, 0, 0, NULL, "updated_at:>",  \
      "Updated on or after this ISO-8601 date \"2024-05-01\"" },

/* pagination kinds */
#define FD_PAGE_NONE   0
#define FD_PAGE_LINK   1   /* page/per_page + Link: rel="next" */
#define FD_PAGE_SEARCH 2   /* search API: 30 per page, pages 1..10 */
#define FD_PAGE_TOKEN  3   /* custom objects: _links.next.href token */

/* annotation classes (readOnly, destructive, idempotent) */
#define FD_R           0   /* read:                       t f t */
#define FD_A           1   /* additive write:             f f f */
#define FD_S           2   /* reversible toggle:          f f t */
#define FD_U           3   /* overwrite:                  f t t */
#define FD_D           4   /* delete:                     f t t */
#define FD_X           5   /* destructive, not repeatable f t f */

/* tools that need code beyond the generic engine */
#define FD_SPECIAL_NONE     0
#define FD_SPECIAL_REQUEST  1   /* freshdesk_request: path from arguments */


typedef struct {
    const char                    *name;
    ngx_uint_t                     kind;
    ngx_uint_t                     flags;
    ngx_int_t                      min;
    ngx_int_t                      max;
    const char                    *values;      /* enums: "a|b|c" */
    const char                    *wire;        /* upstream name, or NULL */
    const char                    *description;
} ngx_http_freshdesk_arg_t;


struct ngx_http_freshdesk_tool_s {
    const char                    *name;
    const char                    *title;
    const char                    *description;
    ngx_uint_t                     method;      /* NGX_HTTP_GET, ... */
    const char                    *path;        /* "/tickets/{ticket_id}" */
    ngx_uint_t                     alt_method;  /* used with alt_path */
    const char                    *alt_path;    /* when a path arg is
                                                   absent; NULL if none */
    ngx_uint_t                     paging;      /* FD_PAGE_* */
    ngx_uint_t                     hints;       /* FD_R ... FD_X */
    const char                    *one_of;      /* "a,b": at least one */
    const char                    *items;       /* list member of an
                                                   object answer, e.g.
                                                   "results"; NULL: none */
    const char                    *done;        /* 204 message, "{x}" is
                                                   replaced by argument x */
    ngx_uint_t                     special;     /* FD_SPECIAL_* */
    const ngx_http_freshdesk_arg_t  *args;      /* ends with a NULL name */
};


/* the catalog groups, one file each */
extern const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_tickets[];
extern const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_people[];
extern const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_admin[];
extern const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_kb[];


/* a validated tools/call, ready to become an upstream request */
typedef struct {
    ngx_uint_t                     method;
    ngx_str_t                      path;        /* below the upstream */
    ngx_str_t                      args;        /* query string */
    ngx_str_t                      body;        /* JSON, or empty */
    ngx_uint_t                     has_body;
    ngx_str_t                      error;       /* validation failure */
    ngx_str_t                      resource;    /* "ticket 42" */
} ngx_http_freshdesk_request_t;


/* the paging argument a FD_PAGE_LINK tool has without a row for it */
extern const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_per_page_arg;


/* ngx_http_freshdesk_tools.c: the catalog */
ngx_int_t ngx_http_freshdesk_tools_init(ngx_conf_t *cf);
const ngx_http_freshdesk_tool_t *ngx_http_freshdesk_tool_find(u_char *name,
    size_t len);
const ngx_http_freshdesk_tool_t *ngx_http_freshdesk_tool_find_index(
    u_char *name, size_t len, ngx_uint_t *index);
ngx_uint_t ngx_http_freshdesk_tools_count(void);
const ngx_http_freshdesk_tool_t *ngx_http_freshdesk_tool_at(ngx_uint_t i);
const ngx_http_freshdesk_arg_t *ngx_http_freshdesk_arg_find(
    const ngx_http_freshdesk_tool_t *t, const char *name, size_t len);
json_t *ngx_http_freshdesk_tool_schema(const ngx_http_freshdesk_tool_t *t);
json_t *ngx_http_freshdesk_tool_json(const ngx_http_freshdesk_tool_t *t);

/* ngx_http_freshdesk_build.c: a validated call as an upstream request */
ngx_int_t ngx_http_freshdesk_tool_build(ngx_pool_t *pool,
    const ngx_http_freshdesk_tool_t *t, json_t *arguments,
    ngx_uint_t allow_writes, ngx_http_freshdesk_request_t *req);
ngx_int_t ngx_http_freshdesk_tool_done(ngx_pool_t *pool,
    const ngx_http_freshdesk_tool_t *t, json_t *arguments, ngx_str_t *msg);
ngx_int_t ngx_http_freshdesk_escape_query(ngx_pool_t *pool, ngx_str_t *dst,
    u_char *src, size_t len);


#endif /* _NGX_HTTP_FRESHDESK_TOOLS_H_INCLUDED_ */
