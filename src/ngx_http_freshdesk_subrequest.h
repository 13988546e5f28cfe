
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_SUBREQUEST_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_SUBREQUEST_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


ngx_int_t ngx_http_freshdesk_capture_init(ngx_conf_t *cf);
ngx_http_freshdesk_ctx_t *ngx_http_freshdesk_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_freshdesk_subrequest_start(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
ngx_int_t ngx_http_freshdesk_subrequest_body(ngx_http_request_t *r,
    ngx_http_freshdesk_call_t *call, ngx_str_t *body);
ngx_uint_t ngx_http_freshdesk_subrequest_ours(ngx_http_request_t *r);
ngx_uint_t ngx_http_freshdesk_subrequest_sent(ngx_http_freshdesk_ctx_t *ctx);
ngx_int_t ngx_http_freshdesk_subrequest_retry_delay(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_msec_t *delay);
ngx_int_t ngx_http_freshdesk_subrequest_retry(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_msec_t delay);


#endif /* _NGX_HTTP_FRESHDESK_SUBREQUEST_H_INCLUDED_ */
