
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The JSON-RPC 2.0 envelope as MCP uses it: one message per POST, string
 * or integer ids echoed exactly, no null ids, params an object.  Needs a
 * pool only, no request, so that fuzzers and tests can drive it directly.
 */


#include "ngx_http_freshdesk_jsonrpc.h"
#include "ngx_http_freshdesk_json.h"


#define ngx_http_freshdesk_rpc_fail(rpc, st, c, text)                        \
    (rpc)->status = st;                                                      \
    (rpc)->code = c;                                                         \
    ngx_str_set(&(rpc)->message, text)


void
ngx_http_freshdesk_rpc_parse(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_freshdesk_rpc_t *rpc)
{
    json_t     *root, *v, *id;
    ngx_str_t   err;

    ngx_memzero(rpc, sizeof(ngx_http_freshdesk_rpc_t));

    root = ngx_http_freshdesk_json_parse(pool, data, len,
                                         NGX_HTTP_FRESHDESK_JSON_MAX_DEPTH,
                                         &err);
    if (root == NULL) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_PARSE_ERROR,
                                    "Parse error");
        return;
    }

    rpc->root = root;

    if (json_is_array(root)) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: batches are not "
                                    "supported");
        return;
    }

    if (!json_is_object(root)) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: not a JSON object");
        return;
    }

    /* the id first, so that later errors can echo it */

    id = json_object_get(root, "id");

    if (id != NULL) {
        if (json_is_integer(id)) {
            rpc->id.data = ngx_pnalloc(pool, NGX_INT64_LEN);
            if (rpc->id.data == NULL) {
                ngx_http_freshdesk_rpc_fail(rpc,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        NGX_HTTP_FRESHDESK_RPC_INTERNAL_ERROR,
                                        "Internal error");
                return;
            }

            rpc->id.len = ngx_sprintf(rpc->id.data, "%L",
                                      (int64_t) json_integer_value(id))
                          - rpc->id.data;

        } else if (json_is_string(id)) {
            if (ngx_http_freshdesk_json_string(pool, &rpc->id,
                                        (u_char *) json_string_value(id),
                                        json_string_length(id))
                != NGX_OK)
            {
                ngx_http_freshdesk_rpc_fail(rpc,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        NGX_HTTP_FRESHDESK_RPC_INTERNAL_ERROR,
                                        "Internal error");
                return;
            }

        } else {
            ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: id must be a string "
                                    "or an integer");
            return;
        }
    }

    v = json_object_get(root, "jsonrpc");

    if (!json_is_string(v) || ngx_strcmp(json_string_value(v), "2.0") != 0) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: jsonrpc must be "
                                    "\"2.0\"");
        return;
    }

    v = json_object_get(root, "method");

    if (v == NULL) {

        /* a response of the client to a server request: accepted */

        if (id != NULL
            && (json_object_get(root, "result") != NULL
                || json_object_get(root, "error") != NULL))
        {
            rpc->response = 1;
            return;
        }

        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: method is missing");
        return;
    }

    if (!json_is_string(v)) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: method must be a "
                                    "string");
        return;
    }

    rpc->method.data = (u_char *) json_string_value(v);
    rpc->method.len = json_string_length(v);

    if (id == NULL) {
        rpc->notification = 1;
    }

    v = json_object_get(root, "params");

    if (v != NULL && !json_is_object(v)) {
        if (rpc->notification) {
            /* never answered anyway */
            return;
        }

        rpc->status = NGX_HTTP_OK;
        rpc->code = NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS;
        ngx_str_set(&rpc->message, "Invalid params: params must be an "
                                   "object");
        return;
    }

    rpc->params = v;
}


ngx_int_t
ngx_http_freshdesk_rpc_error(ngx_pool_t *pool, ngx_str_t *id, ngx_int_t code,
    ngx_str_t *message, ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = sizeof("{\"jsonrpc\":\"2.0\",\"id\":,\"error\":{\"code\":"
                 ",\"message\":\"\"}}") - 1
          + id->len + NGX_INT_T_LEN
          + ngx_http_freshdesk_json_escape_len(message->data, message->len);

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, "{\"jsonrpc\":\"2.0\",",
                   sizeof("{\"jsonrpc\":\"2.0\",") - 1);

    if (id->len) {
        p = ngx_cpymem(p, "\"id\":", 5);
        p = ngx_cpymem(p, id->data, id->len);
        *p++ = ',';
    }

    p = ngx_sprintf(p, "\"error\":{\"code\":%i,\"message\":\"", code);
    p = ngx_http_freshdesk_json_escape(p, message->data, message->len);
    p = ngx_cpymem(p, "\"}}", 3);

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_rpc_result(ngx_pool_t *pool, ngx_str_t *id,
    ngx_str_t *result, ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = sizeof("{\"jsonrpc\":\"2.0\",\"id\":,\"result\":}") - 1
          + id->len + result->len;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, "{\"jsonrpc\":\"2.0\",\"id\":", 22);
    p = ngx_cpymem(p, id->data, id->len);
    p = ngx_cpymem(p, ",\"result\":", 10);
    p = ngx_cpymem(p, result->data, result->len);
    *p++ = '}';

    out->len = p - out->data;

    return NGX_OK;
}
