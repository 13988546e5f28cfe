
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_HEADERS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_HEADERS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* a header looked up by ngx_http_freshdesk_list_headers() */
typedef struct {
    const char                    *name;
    size_t                         len;
    ngx_uint_t                     n;        /* how many there are */
    ngx_str_t                      value;    /* the last one's */
} ngx_http_freshdesk_header_t;

#define ngx_http_freshdesk_header(name)                                      \
    { name, sizeof(name) - 1, 0, ngx_null_string }


void ngx_http_freshdesk_list_headers(ngx_list_t *headers,
    ngx_uint_t lowcase, ngx_http_freshdesk_header_t *want, ngx_uint_t n);
ngx_int_t ngx_http_freshdesk_header_decode(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out);
ngx_int_t ngx_http_freshdesk_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);


#endif /* _NGX_HTTP_FRESHDESK_HEADERS_H_INCLUDED_ */
