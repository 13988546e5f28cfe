
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_MCP_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_MCP_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


ngx_int_t ngx_http_freshdesk_mcp_process(ngx_http_request_t *r,
    ngx_str_t *body);
ngx_int_t ngx_http_freshdesk_mcp_early(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
ngx_str_t *ngx_http_freshdesk_version_name(ngx_uint_t v);
ngx_uint_t ngx_http_freshdesk_version_find(u_char *data, size_t len);


#endif /* _NGX_HTTP_FRESHDESK_MCP_H_INCLUDED_ */
