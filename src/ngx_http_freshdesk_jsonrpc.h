
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_JSONRPC_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_JSONRPC_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


#define NGX_HTTP_FRESHDESK_RPC_PARSE_ERROR       -32700
#define NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST   -32600
#define NGX_HTTP_FRESHDESK_RPC_METHOD_NOT_FOUND  -32601
#define NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS    -32602
#define NGX_HTTP_FRESHDESK_RPC_INTERNAL_ERROR    -32603
#define NGX_HTTP_FRESHDESK_RPC_SERVER_ERROR      -32000
#define NGX_HTTP_FRESHDESK_RPC_HEADER_MISMATCH   -32020
#define NGX_HTTP_FRESHDESK_RPC_UNSUPPORTED       -32022

#define NGX_HTTP_FRESHDESK_META_VERSION                                      \
    "io.modelcontextprotocol/protocolVersion"


/* the envelope of one JSON-RPC message */
typedef struct {
    ngx_uint_t                     status;   /* HTTP status of an error */
    ngx_int_t                      code;     /* 0: valid message */
    ngx_str_t                      message;
    ngx_str_t                      id;       /* serialized, may be empty */
    ngx_str_t                      method;
    json_t                        *root;

    /* the members of params that methods read */
    ngx_str_t                      name;     /* tools/call, if a string */
    json_t                        *arguments;         /* or NULL */
    ngx_str_t                      protocol_version;  /* if a string */
    ngx_str_t                      meta_version;      /* 2026: _meta's */

    unsigned                       notification:1;
    unsigned                       response:1;
    unsigned                       name_string:1;
    unsigned                       version_string:1;
    unsigned                       cursor:1;          /* present */
    unsigned                       meta:1;            /* params._meta */
    unsigned                       meta_capabilities:1;
} ngx_http_freshdesk_rpc_t;


void ngx_http_freshdesk_rpc_parse(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_freshdesk_rpc_t *rpc);
void ngx_http_freshdesk_rpc_parse_json(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_http_freshdesk_rpc_t *rpc);
ngx_int_t ngx_http_freshdesk_rpc_prefix_id(u_char *p, u_char *last,
    ngx_str_t *id);
ngx_int_t ngx_http_freshdesk_rpc_error(ngx_pool_t *pool, ngx_str_t *id,
    ngx_int_t code, ngx_str_t *message, ngx_str_t *out);
ngx_int_t ngx_http_freshdesk_rpc_error_data(ngx_pool_t *pool, ngx_str_t *id,
    ngx_int_t code, ngx_str_t *message, ngx_str_t *data, ngx_str_t *out);
ngx_int_t ngx_http_freshdesk_rpc_result(ngx_pool_t *pool, ngx_str_t *id,
    ngx_str_t *result, ngx_str_t *out);


#endif /* _NGX_HTTP_FRESHDESK_JSONRPC_H_INCLUDED_ */
