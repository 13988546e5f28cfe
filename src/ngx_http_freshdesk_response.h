
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


/* the most pieces a tool result's structured content may come in */
#define NGX_HTTP_FRESHDESK_RESULT_PARTS  6


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
ngx_int_t ngx_http_freshdesk_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);
ngx_int_t ngx_http_freshdesk_send_error(ngx_http_request_t *r,
    ngx_uint_t status, ngx_int_t code, ngx_str_t *id, ngx_str_t *message);
ngx_int_t ngx_http_freshdesk_send_error_data(ngx_http_request_t *r,
    ngx_uint_t status, ngx_int_t code, ngx_str_t *id, ngx_str_t *message,
    ngx_str_t *data);
ngx_int_t ngx_http_freshdesk_send_result(ngx_http_request_t *r,
    ngx_str_t *id, ngx_str_t *result);
ngx_int_t ngx_http_freshdesk_tool_error(ngx_http_request_t *r,
    ngx_str_t *id, ngx_str_t *text);
ngx_int_t ngx_http_freshdesk_tool_result_parts(ngx_http_request_t *r,
    ngx_str_t *id, ngx_str_t *s, ngx_str_t *esc, ngx_uint_t n);
ngx_int_t ngx_http_freshdesk_tool_result(ngx_http_request_t *r,
    ngx_str_t *id, ngx_str_t *structured);


#endif /* _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_ */
