
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_headers.h"


/* the most pieces a tool result's structured content may come in */
#define NGX_HTTP_FRESHDESK_RESULT_PARTS  6


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
