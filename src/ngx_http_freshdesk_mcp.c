
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * MCP methods: initialize, ping, tools/list, server/discover, protocol
 * revisions and the 2026 routing headers, and the entry of a tools/call
 * before its body (mcp_early).  A tools/call itself, from its arguments to
 * its answer, is call.c's.  Stateless: nothing assumes that initialize
 * came first.
 */


#include "ngx_http_freshdesk_mcp.h"
#include "ngx_http_freshdesk_call.h"
#include "ngx_http_freshdesk_jsonrpc.h"
#include "ngx_http_freshdesk_json.h"
#include "ngx_http_freshdesk_response.h"
#include "ngx_http_freshdesk_tools.h"


static ngx_int_t ngx_http_freshdesk_initialize(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc);
static ngx_int_t ngx_http_freshdesk_mcp_2026(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_rpc_t *rpc);
static ngx_int_t ngx_http_freshdesk_discover(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc);
static ngx_int_t ngx_http_freshdesk_method_not_found(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc, ngx_uint_t status);
static ngx_int_t ngx_http_freshdesk_unsupported(ngx_http_request_t *r,
    ngx_str_t *id, ngx_str_t *requested);
static ngx_int_t ngx_http_freshdesk_tool_dumps_init(void);
static ngx_int_t ngx_http_freshdesk_tools_list(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc);


static ngx_str_t  ngx_http_freshdesk_tool_dumps[256];
static ngx_uint_t ngx_http_freshdesk_tool_dumps_ok;


static const char  ngx_http_freshdesk_instructions[] =
    "Tools for one Freshdesk helpdesk account. Ticket, contact, "
    "company, agent and group IDs are positive integers. Ticket status: "
    "2 Open, 3 Pending, 4 Resolved, 5 Closed (6+ custom); priority: "
    "1 Low, 2 Medium, 3 High, 4 Urgent. list_tickets only returns "
    "tickets created in the last 30 days unless updated_since is given; "
    "use search_tickets to filter by status, priority, agent or tag. "
    "Lists return {items, nextCursor}: pass nextCursor back as cursor "
    "for the next page.";


/* protocol revisions, newest first: NGX_HTTP_FRESHDESK_V_* index it */

static ngx_str_t  ngx_http_freshdesk_versions[] = {
    ngx_string("2026-07-28"),
    ngx_string("2025-11-25"),
    ngx_string("2025-06-18"),
    ngx_string("2025-03-26"),
    ngx_string("2024-11-05"),
    ngx_null_string
};


ngx_str_t *
ngx_http_freshdesk_version_name(ngx_uint_t v)
{
    return &ngx_http_freshdesk_versions[v];
}


ngx_uint_t
ngx_http_freshdesk_version_find(u_char *data, size_t len)
{
    ngx_uint_t  i;

    for (i = 0; ngx_http_freshdesk_versions[i].len; i++) {
        if (ngx_http_freshdesk_versions[i].len == len
            && ngx_memcmp(ngx_http_freshdesk_versions[i].data, data, len)
               == 0)
        {
            return i;
        }
    }

    return NGX_HTTP_FRESHDESK_V_NONE;
}


ngx_int_t
ngx_http_freshdesk_mcp_process(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_str_t                  *m;
    ngx_http_freshdesk_ctx_t   *ctx;
    ngx_http_freshdesk_rpc_t    rpc;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    ngx_http_freshdesk_rpc_parse(r->pool, body->data, body->len, &rpc);

    ctx->id = rpc.id;
    ctx->rpc_method = rpc.method;

    if (rpc.code) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: client sent invalid JSON-RPC: %V",
                      &rpc.message);

        return ngx_http_freshdesk_send_error(r, rpc.status, rpc.code,
                                             &rpc.id, &rpc.message);
    }

    if (ctx->unsupported) {
        /* the MCP-Protocol-Version header names no revision we serve */
        return ngx_http_freshdesk_unsupported(r, &rpc.id, &ctx->hdr_version);
    }

    if (ctx->era2026
        || (rpc.meta_version.len == 10
            && ngx_strncmp(rpc.meta_version.data, "2026-07-28", 10) == 0))
    {
        return ngx_http_freshdesk_mcp_2026(r, ctx, &rpc);
    }

    if (rpc.notification || rpc.response) {
        /* notifications/initialized, cancelled, ...: nothing to answer */
        return ngx_http_freshdesk_send(r, NGX_HTTP_ACCEPTED, NULL);
    }

    m = &rpc.method;

    if (m->len == 10 && ngx_strncmp(m->data, "tools/call", 10) == 0) {
        return ngx_http_freshdesk_tools_call(r, ctx, &rpc);
    }

    if (m->len == 10 && ngx_strncmp(m->data, "tools/list", 10) == 0) {
        return ngx_http_freshdesk_tools_list(r, &rpc);
    }

    if (m->len == 4 && ngx_strncmp(m->data, "ping", 4) == 0) {
        ngx_str_t  empty = ngx_string("{}");

        return ngx_http_freshdesk_send_result(r, &rpc.id, &empty);
    }

    if (m->len == 10 && ngx_strncmp(m->data, "initialize", 10) == 0) {
        return ngx_http_freshdesk_initialize(r, &rpc);
    }

    return ngx_http_freshdesk_method_not_found(r, &rpc, NGX_HTTP_OK);
}


/* -32601, with the method's name: 200 in the 2025 revisions, 404 in 2026 */

static ngx_int_t
ngx_http_freshdesk_method_not_found(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc, ngx_uint_t status)
{
    size_t      n;
    ngx_str_t   msg, *m;

    m = &rpc->method;
    n = ngx_http_freshdesk_utf8_cut(m->data, m->len, 128);

    msg.len = sizeof("Method not found: ") - 1 + n;
    msg.data = ngx_pnalloc(r->pool, msg.len);
    if (msg.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(msg.data, "Method not found: %*s", n, m->data);

    return ngx_http_freshdesk_send_error(r, status,
                                     NGX_HTTP_FRESHDESK_RPC_METHOD_NOT_FOUND,
                                     &rpc->id, &msg);
}


/*
 * -32022: the revisions we serve, and the one asked for, so that a client
 * can choose (400)
 */

static ngx_int_t
ngx_http_freshdesk_unsupported(ngx_http_request_t *r, ngx_str_t *id,
    ngx_str_t *requested)
{
    u_char      *p;
    size_t       n;
    ngx_str_t    msg, data, *v;
    ngx_uint_t   i;

    n = ngx_http_freshdesk_utf8_cut(requested->data, requested->len, 64);

    data.data = ngx_pnalloc(r->pool, 256 + 6 * n);
    if (data.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(data.data, "{\"supported\":[", 14);

    for (i = 0; i < NGX_HTTP_FRESHDESK_V_NONE; i++) {
        v = ngx_http_freshdesk_version_name(i);
        p = ngx_sprintf(p, "%s\"%V\"", i ? "," : "", v);
    }

    p = ngx_cpymem(p, "],\"requested\":\"", 15);
    p = ngx_http_freshdesk_json_escape(p, requested->data, n);
    p = ngx_cpymem(p, "\"}", 2);
    data.len = p - data.data;

    ngx_str_set(&msg, "Unsupported protocol version (supported: 2026-07-28, "
                      "2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)");

    return ngx_http_freshdesk_send_error_data(r, NGX_HTTP_BAD_REQUEST,
                                          NGX_HTTP_FRESHDESK_RPC_UNSUPPORTED,
                                          id, &msg, &data);
}


/*
 * MCP 2026-07-28, stateless: the routing headers must agree with the
 * body; server/discover, tools/list and tools/call; every other method
 * (initialize and ping are gone) is 404 with -32601.
 */

static ngx_int_t
ngx_http_freshdesk_mcp_2026(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_rpc_t *rpc)
{
    ngx_int_t    rc;
    ngx_str_t   *m, msg;
    ngx_uint_t   refuse;

    m = &rpc->method;

    if (!ctx->era2026) {
        ngx_str_set(&msg, "Bad Request: params._meta asks for protocol "
                          "2026-07-28, the MCP-Protocol-Version header must "
                          "say so too");
        goto mismatch;
    }

    if (ctx->hdr_error) {
        ngx_str_set(&msg, "Bad Request: exactly one Mcp-Method header and "
                          "at most one Mcp-Name header, each plain or "
                          "=?base64?...?=");
        goto mismatch;
    }

    if (!rpc->meta || !rpc->meta_version.len || !rpc->meta_capabilities) {
        ngx_str_set(&msg, "Invalid params: params._meta must carry "
                          "io.modelcontextprotocol/protocolVersion and "
                          "io.modelcontextprotocol/clientCapabilities");

        return ngx_http_freshdesk_send_error(r, NGX_HTTP_BAD_REQUEST,
                                      NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS,
                                      &rpc->id, &msg);
    }

    if (rpc->meta_version.len != 10
        || ngx_strncmp(rpc->meta_version.data, "2026-07-28", 10) != 0)
    {
        ngx_str_set(&msg, "Bad Request: the MCP-Protocol-Version header "
                          "and params._meta protocolVersion disagree");
        goto mismatch;
    }

    if (ctx->hdr_method.len != m->len
        || ngx_strncmp(ctx->hdr_method.data, m->data, m->len) != 0)
    {
        ngx_str_set(&msg, "Bad Request: the Mcp-Method header and the "
                          "body's method disagree");
        goto mismatch;
    }

    if (rpc->notification || rpc->response) {
        return ngx_http_freshdesk_send(r, NGX_HTTP_ACCEPTED, NULL);
    }

    if (m->len == 10 && ngx_strncmp(m->data, "tools/call", 10) == 0) {

        if (!rpc->name_string || ctx->hdr_name.len != rpc->name.len
            || ngx_strncmp(ctx->hdr_name.data, rpc->name.data,
                           rpc->name.len)
               != 0)
        {
            ngx_str_set(&msg, "Bad Request: the Mcp-Name header and the "
                              "tool's name disagree");
            goto mismatch;
        }

        if (ctx->hdr_tool) {
            /* admitted so far before the body was read */
            ctx->tool = ctx->hdr_tool;

        } else {

            /*
             * refused before the body, without the id in what came with
             * the headers; or not decided (a chunked body, HTTP/2)
             */

            rc = ngx_http_freshdesk_call_decide(r, ctx, &rpc->name, 1,
                                                &refuse);
            if (rc == NGX_ERROR) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (rc == NGX_DECLINED) {
                return ngx_http_freshdesk_call_refused(r, ctx, refuse);
            }
        }

        return ngx_http_freshdesk_tools_call(r, ctx, rpc);
    }

    if (m->len == 10 && ngx_strncmp(m->data, "tools/list", 10) == 0) {
        return ngx_http_freshdesk_tools_list(r, rpc);
    }

    if (m->len == 15 && ngx_strncmp(m->data, "server/discover", 15) == 0) {
        return ngx_http_freshdesk_discover(r, rpc);
    }

    /* initialize, ping, logging/setLevel: gone in this revision */

    return ngx_http_freshdesk_method_not_found(r, rpc, NGX_HTTP_NOT_FOUND);

mismatch:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "freshdesk: %V",
                  &msg);

    return ngx_http_freshdesk_send_error(r, NGX_HTTP_BAD_REQUEST,
                                     NGX_HTTP_FRESHDESK_RPC_HEADER_MISMATCH,
                                     &rpc->id, &msg);
}


/* server/discover (2026-07-28): what initialize told, for any client */

static ngx_int_t
ngx_http_freshdesk_discover(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc)
{
    u_char      *p;
    ngx_str_t    result;
    ngx_uint_t   i;

    result.len = sizeof(ngx_http_freshdesk_instructions) + 512;
    result.data = ngx_pnalloc(r->pool, result.len);
    if (result.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(result.data, "{\"supportedVersions\":[", 22);

    for (i = 0; i < NGX_HTTP_FRESHDESK_V_NONE; i++) {
        p = ngx_sprintf(p, "%s\"%V\"", i ? "," : "",
                        &ngx_http_freshdesk_versions[i]);
    }

    /* the same for every client: public, an hour */

    p = ngx_sprintf(p, "],\"capabilities\":{\"tools\":"
                    "{\"listChanged\":false}},\"instructions\":\"%s\","
                    "\"ttlMs\":3600000,\"cacheScope\":\"public\"}",
                    ngx_http_freshdesk_instructions);

    result.len = p - result.data;

    return ngx_http_freshdesk_send_result(r, &rpc->id, &result);
}


static ngx_int_t
ngx_http_freshdesk_initialize(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc)
{
    u_char      *p;
    ngx_str_t    result, msg, *version;
    ngx_uint_t   n;

    if (!rpc->version_string) {
        ngx_str_set(&msg, "Invalid params: protocolVersion must be a "
                          "string");
        return ngx_http_freshdesk_send_error(r, NGX_HTTP_OK,
                                      NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS,
                                      &rpc->id, &msg);
    }

    /* the client's version when we speak it, else our newest */

    n = ngx_http_freshdesk_version_find(rpc->protocol_version.data,
                                        rpc->protocol_version.len);
    if (n == NGX_HTTP_FRESHDESK_V_NONE
        || n == NGX_HTTP_FRESHDESK_V_2026_07_28)
    {
        /* initialize is of the 2025 revisions: their newest */
        n = NGX_HTTP_FRESHDESK_V_2025_11_25;
    }

    version = ngx_http_freshdesk_version_name(n);

    result.len = sizeof(ngx_http_freshdesk_instructions) + 512;
    result.data = ngx_pnalloc(r->pool, result.len);
    if (result.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(result.data,
                    "{\"protocolVersion\":\"%V\","
                    "\"capabilities\":{\"tools\":{\"listChanged\":false}},"
                    "\"serverInfo\":{\"name\":\"" NGX_HTTP_FRESHDESK_NAME "\","
                    "\"title\":\"Freshdesk MCP gateway\","
                    "\"version\":\"" NGX_HTTP_FRESHDESK_VERSION "\"},"
                    "\"instructions\":\"%s\"}",
                    version, ngx_http_freshdesk_instructions);

    result.len = p - result.data;

    return ngx_http_freshdesk_send_result(r, &rpc->id, &result);
}


/* tool JSON is rendered once per worker, then only concatenated */

static ngx_int_t
ngx_http_freshdesk_tool_dumps_init(void)
{
    json_t      *tool;
    ngx_uint_t   i, n;

    if (ngx_http_freshdesk_tool_dumps_ok) {
        return NGX_OK;
    }

    n = ngx_http_freshdesk_tools_count();

    for (i = 0; i < n; i++) {
        tool = ngx_http_freshdesk_tool_json(ngx_http_freshdesk_tool_at(i));
        if (tool == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_freshdesk_json_dump(ngx_cycle->pool, tool, 0,
                                         &ngx_http_freshdesk_tool_dumps[i])
            != NGX_OK)
        {
            json_decref(tool);
            return NGX_ERROR;
        }

        json_decref(tool);
    }

    ngx_http_freshdesk_tool_dumps_ok = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_tools_list(ngx_http_request_t *r,
    ngx_http_freshdesk_rpc_t *rpc)
{
    u_char      *p;
    size_t       len;
    ngx_int_t    rc;
    ngx_str_t    result, scope, msg;
    ngx_uint_t   i, n, first;

    if (rpc->cursor) {
        /* one page holds the whole catalog: no cursor is ever valid */
        ngx_str_set(&msg, "Invalid params: unknown or expired cursor");
        return ngx_http_freshdesk_send_error(r, NGX_HTTP_OK,
                                      NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS,
                                      &rpc->id, &msg);
    }

    if (ngx_http_freshdesk_tool_dumps_init() != NGX_OK
        || ngx_http_freshdesk_scope(r, &scope) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = ngx_http_freshdesk_tools_count();
    len = sizeof("{\"tools\":[],\"ttlMs\":300000,\"cacheScope\":\"private\"}");

    for (i = 0; i < n; i++) {
        len += ngx_http_freshdesk_tool_dumps[i].len + 1;
    }

    result.data = ngx_pnalloc(r->pool, len);
    if (result.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(result.data, "{\"tools\":[", 10);
    first = 1;

    for (i = 0; i < n; i++) {
        if (!ngx_http_freshdesk_tool_visible(&scope,
                                             ngx_http_freshdesk_tool_at(i)))
        {
            continue;
        }

        rc = ngx_http_freshdesk_scope_granted(r,
                                              ngx_http_freshdesk_tool_at(i),
                                              NULL);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == 0) {
            continue;
        }

        if (!first) {
            *p++ = ',';
        }

        first = 0;
        p = ngx_cpymem(p, ngx_http_freshdesk_tool_dumps[i].data,
                       ngx_http_freshdesk_tool_dumps[i].len);
    }

    if (((ngx_http_freshdesk_ctx_t *)
         ngx_http_get_module_ctx(r, ngx_http_freshdesk_module))->era2026)
    {
        /*
         * 2026-07-28: a cache hint; the list depends on the credential's
         * freshdesk_tools scope, so only that client may keep it
         */
        p = ngx_cpymem(p, "],\"ttlMs\":300000,\"cacheScope\":\"private\"}",
                       sizeof("],\"ttlMs\":300000,\"cacheScope\":"
                              "\"private\"}") - 1);

    } else {
        p = ngx_cpymem(p, "]}", 2);
    }

    result.len = p - result.data;

    return ngx_http_freshdesk_send_result(r, &rpc->id, &result);
}


/*
 * A tools/call of the 2026 revision, before its body is read: the tool
 * (Mcp-Name), its visibility and the quota are known from the headers.
 * A call that will be refused is answered at once when its id came with
 * the headers (sending the answer discards the body; the connection is
 * kept once the rest has arrived).  NGX_DECLINED: the body is read; an
 * admitted call keeps the tool found here, its body must agree with the
 * headers, and the quota counts it then, once.
 */

ngx_int_t
ngx_http_freshdesk_mcp_early(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    u_char      *p, *last;
    ngx_int_t    rc;
    ngx_str_t    id;
    ngx_uint_t   refuse;

    rc = ngx_http_freshdesk_call_decide(r, ctx, &ctx->hdr_name, 1, &refuse);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {
        /* the tool of the call, once the body agrees */
        ctx->hdr_tool = ctx->tool;
        ctx->tool = NULL;
        return NGX_DECLINED;
    }

    /*
     * The bytes of the body that came with the headers (none over HTTP/2,
     * chunk sizes in a chunked one).  A body all here is read as usual:
     * it costs no wait, and then it is checked against the headers.
     */

    p = r->header_in->pos;
    last = r->header_in->last;

    if (r->headers_in.chunked || r->request_body
        || r->headers_in.content_length_n <= last - p
        || ngx_http_freshdesk_rpc_prefix_id(p, last, &id) != NGX_OK)
    {
        /* decided again, the same way, once the body is read */
        ctx->tool = NULL;
        return NGX_DECLINED;
    }

    ctx->id.data = ngx_pnalloc(r->pool, id.len);
    if (ctx->id.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->id.data, id.data, id.len);
    ctx->id.len = id.len;

    ngx_str_set(&ctx->rpc_method, "tools/call");

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "freshdesk: tools/call refused before its body "
                   "(%O bytes, %z here)",
                   r->headers_in.content_length_n, last - p);

    return ngx_http_freshdesk_call_refused(r, ctx, refuse);
}