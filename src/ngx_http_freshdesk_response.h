
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_headers.h"


/* the most pieces a tool result's structured content may come in */
#define NGX_HTTP_FRESHDESK_RESULT_PARTS  6


/*
 * What a tool result holds, for the short text that stands for it in
 * content[] when only structuredContent carries the JSON
 * ("freshdesk_result structured"): "30 tickets; more: cursor ...",
 * "ticket 42"
 */
typedef struct {
    const char                    *tool;       /* "list_tickets" */
    ngx_str_t                      what;       /* "ticket 42", a message */
    ngx_str_t                      id;         /* a record's "id", as sent */
    ngx_int_t                      count;      /* a list's; -1: no list */
    ngx_int_t                      total;      /* -1: not known */
    ngx_str_t                      cursor;     /* the next page's, or none */
} ngx_http_freshdesk_summary_t;


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
ngx_uint_t ngx_http_freshdesk_result_mode(ngx_http_request_t *r);
ngx_int_t ngx_http_freshdesk_tool_result_parts(ngx_http_request_t *r,
    ngx_str_t *id, ngx_str_t *s, ngx_str_t *esc, ngx_uint_t n,
    ngx_http_freshdesk_summary_t *summary);
ngx_int_t ngx_http_freshdesk_tool_result(ngx_http_request_t *r,
    ngx_str_t *id, ngx_str_t *structured,
    ngx_http_freshdesk_summary_t *summary);


#endif /* _NGX_HTTP_FRESHDESK_RESPONSE_H_INCLUDED_ */
