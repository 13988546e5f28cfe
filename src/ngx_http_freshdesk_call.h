
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_CALL_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_CALL_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_jsonrpc.h"


ngx_int_t ngx_http_freshdesk_tools_call(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_rpc_t *rpc);
ngx_int_t ngx_http_freshdesk_call_decide(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *name, ngx_uint_t peek,
    ngx_uint_t *refuse);
ngx_int_t ngx_http_freshdesk_call_refused(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse);
ngx_int_t ngx_http_freshdesk_call_finish(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
ngx_int_t ngx_http_freshdesk_scope(ngx_http_request_t *r, ngx_str_t *scope);
ngx_int_t ngx_http_freshdesk_tool_visible(ngx_str_t *scope,
    const ngx_http_freshdesk_tool_t *t);
ngx_int_t ngx_http_freshdesk_scope_granted(ngx_http_request_t *r,
    const ngx_http_freshdesk_tool_t *t, ngx_str_t *needed);


#endif /* _NGX_HTTP_FRESHDESK_CALL_H_INCLUDED_ */
