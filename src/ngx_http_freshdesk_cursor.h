
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_CURSOR_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_CURSOR_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


/* where the next page starts */
typedef struct {
    ngx_uint_t                     page;      /* link and search paging */
    ngx_str_t                      token;     /* token paging */
    ngx_str_t                      fields;    /* the list's "fields" */
} ngx_http_freshdesk_position_t;


/* what a cursor is bound to */
typedef struct {
    u_char                        *key;       /* 32 bytes */
    ngx_str_t                     *tenant;
    const char                    *tool;
    ngx_str_t                     *args;      /* canonical arguments */
} ngx_http_freshdesk_binding_t;


ngx_int_t ngx_http_freshdesk_cursor_encode(ngx_pool_t *pool,
    ngx_http_freshdesk_binding_t *bind, time_t expires,
    ngx_http_freshdesk_position_t *pos, ngx_str_t *out);
ngx_int_t ngx_http_freshdesk_cursor_decode(ngx_pool_t *pool,
    ngx_http_freshdesk_binding_t *bind, time_t now, ngx_str_t *cursor,
    ngx_http_freshdesk_position_t *pos, ngx_str_t *err);


#endif /* _NGX_HTTP_FRESHDESK_CURSOR_H_INCLUDED_ */
