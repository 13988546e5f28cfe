
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The life of a tools/call: the tool and its visibility (freshdesk_tools),
 * the arguments into a REST request, cursors, the tenant's key, the
 * quota's decision, the REST subrequest (subrequest.c), tries again, and
 * the tool result of what Freshdesk answered.
 */


#include "ngx_http_freshdesk_call.h"
#include "ngx_http_freshdesk_json.h"
#include "ngx_http_freshdesk_response.h"
#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_subrequest.h"
#include "ngx_http_freshdesk_buffer.h"
#include "ngx_http_freshdesk_cursor.h"
#include "ngx_http_freshdesk_fields.h"
#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_metrics.h"
#include "ngx_http_freshdesk_oauth.h"


#define FD_SEARCH_PAGE   30
#define FD_SEARCH_PAGES  10

/* why a call is refused: 1 and 2 are the quota's (calls, actions) */
#define FD_REFUSE_UNKNOWN  3
#define FD_REFUSE_SCOPE    4      /* the bearer JWT's scopes do not allow */


static ngx_int_t ngx_http_freshdesk_binding(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_binding_t *bind);
static ngx_int_t ngx_http_freshdesk_authorization(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *key);
static ngx_int_t ngx_http_freshdesk_page_args(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_position_t *pos);
static ngx_int_t ngx_http_freshdesk_upstream_error(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_freshdesk_next_cursor(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *total, ngx_str_t *links,
    ngx_str_t *cursor);
static ngx_int_t ngx_http_freshdesk_text_error(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, const char *fmt, ...);
static ngx_int_t ngx_http_freshdesk_call_start(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_int_t rc);
static ngx_int_t ngx_http_freshdesk_call_answer(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
static void ngx_http_freshdesk_call_cleanup(void *data);


static ngx_str_t  ngx_http_freshdesk_methods[] = {
    ngx_string("GET"),
    ngx_string("POST"),
    ngx_string("PUT"),
    ngx_string("DELETE")
};


ngx_int_t
ngx_http_freshdesk_scope(ngx_http_request_t *r, ngx_str_t *scope)
{
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->tools == NULL) {
        ngx_str_set(scope, "all");
        return NGX_OK;
    }

    return ngx_http_complex_value(r, flcf->tools, scope);
}


/*
 * Whether the scopes of the request's bearer JWT allow a tool (1), each
 * scope opening a freshdesk_tools set (freshdesk_oauth_scopes); always
 * without a valid JWT.  Refused with "needed" given: the first scope that
 * would allow it, if any.
 */

ngx_int_t
ngx_http_freshdesk_scope_granted(ngx_http_request_t *r,
    const ngx_http_freshdesk_tool_t *t, ngx_str_t *needed)
{
    uint64_t                           granted;
    ngx_int_t                          rc;
    ngx_uint_t                         i;
    ngx_array_t                       *maps;
    ngx_http_freshdesk_oauth_scope_t  *m;

    rc = ngx_http_freshdesk_oauth_grants(r, &maps, &granted);

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? 1 : NGX_ERROR;
    }

    m = maps->elts;

    for (i = 0; i < maps->nelts; i++) {
        if ((granted & ((uint64_t) 1 << i))
            && ngx_http_freshdesk_tool_visible(&m[i].tools, t))
        {
            return 1;
        }
    }

    if (needed) {
        ngx_str_null(needed);

        for (i = 0; i < maps->nelts; i++) {
            if (ngx_http_freshdesk_tool_visible(&m[i].tools, t)) {
                *needed = m[i].scope;
                break;
            }
        }
    }

    return 0;
}


/*
 * freshdesk_tools value: words separated by spaces or commas.  "all",
 * "read_only", a tool name, or a prefix pattern "get_*" allow; the same
 * with a leading "!" deny.  Denials win; only denials means "all but".
 */

ngx_int_t
ngx_http_freshdesk_tool_visible(ngx_str_t *scope,
    const ngx_http_freshdesk_tool_t *t)
{
    u_char      *p, *last, *w;
    size_t       len, nlen;
    ngx_uint_t   allowed, allows, deny, match;

    allowed = 0;
    allows = 0;
    nlen = ngx_strlen(t->name);

    p = scope->data;
    last = p + scope->len;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == ',' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            break;
        }

        w = p;
        while (p < last && *p != ' ' && *p != ',' && *p != '\t') {
            p++;
        }

        deny = (*w == '!');
        if (deny) {
            w++;
        }

        len = p - w;

        if (len == 3 && ngx_strncmp(w, "all", 3) == 0) {
            match = 1;

        } else if (len == 9 && ngx_strncmp(w, "read_only", 9) == 0) {
            match = (t->hints == FD_R && t->special == FD_SPECIAL_NONE)
                    || t->special == FD_SPECIAL_REQUEST;

        } else if (len && w[len - 1] == '*') {
            match = (nlen >= len - 1
                     && ngx_strncmp(w, t->name, len - 1) == 0);

        } else {
            match = (len == nlen && ngx_strncmp(w, t->name, len) == 0);
        }

        if (deny) {
            if (match) {
                return 0;
            }

        } else {
            allows++;
            allowed |= match;
        }
    }

    return allows ? allowed : 1;
}


static ngx_int_t
ngx_http_freshdesk_text_error(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, const char *fmt, ...)
{
    u_char     *p;
    va_list     args;
    ngx_str_t   text;

    p = ngx_pnalloc(r->pool, 1024);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    va_start(args, fmt);
    text.len = ngx_vslprintf(p, p + 1024, fmt, args) - p;
    va_end(args);

    text.data = p;

    return ngx_http_freshdesk_tool_error(r, &ctx->id, &text);
}


ngx_int_t
ngx_http_freshdesk_tools_call(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_rpc_t *rpc)
{
    json_t                          *args, *cursor, *fields;
    ngx_int_t                        rc;
    ngx_str_t                        msg, key, cur, err;
    ngx_http_freshdesk_select_t     *sel;
    ngx_uint_t                       refuse;
    ngx_http_freshdesk_request_t     req;
    ngx_http_freshdesk_position_t    pos;
    ngx_http_freshdesk_binding_t     bind;
    const ngx_http_freshdesk_tool_t *t;
    ngx_http_freshdesk_loc_conf_t   *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (!rpc->name_string) {
        ngx_str_set(&msg, "Invalid params: \"name\" must be a string");
        goto invalid;
    }

    args = rpc->arguments;

    if (args == NULL || json_is_null(args)) {
        args = json_object();
        if (args == NULL
            || ngx_http_freshdesk_json_own(r->pool, args) != NGX_OK)
        {
            json_decref(args);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (!json_is_object(args)) {
        ngx_str_set(&msg, "Invalid params: \"arguments\" must be an object");
        goto invalid;
    }

    ctx->arguments = args;

    if (ctx->tool == NULL) {

        /* 2025: the tool is known from the body (2026: from Mcp-Name) */

        rc = ngx_http_freshdesk_call_decide(r, ctx, &rpc->name, 0, &refuse);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_freshdesk_call_refused(r, ctx, refuse);
        }
    }

    t = ctx->tool;

    /* arguments → request; nothing is sent for bad arguments */

    rc = ngx_http_freshdesk_tool_build(r->pool, t, args, flcf->request_writes,
                                       &req);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: tool \"%s\" refused: %V", t->name,
                      &req.error);
        ctx->outcome = FD_OUTCOME_INVALID;
        return ngx_http_freshdesk_tool_error(r, &ctx->id, &req.error);
    }

    /* the result's fields: checked with the arguments, here joined */

    ngx_str_null(&ctx->fields);

    fields = json_object_get(args, "fields");

    if (fields && ngx_http_freshdesk_fields_has(t)) {
        rc = ngx_http_freshdesk_fields_check(r->pool, t, fields, &ctx->fields,
                                             &err);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ctx->outcome = FD_OUTCOME_INVALID;
            return ngx_http_freshdesk_tool_error(r, &ctx->id, &err);
        }
    }

    ngx_memzero(&pos, sizeof(ngx_http_freshdesk_position_t));
    pos.page = 1;

    cursor = json_object_get(args, "cursor");

    if (cursor && t->paging != FD_PAGE_NONE) {
        if (ngx_http_freshdesk_binding(r, ctx, &bind) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cur.data = (u_char *) json_string_value(cursor);
        cur.len = json_string_length(cursor);

        rc = ngx_http_freshdesk_cursor_decode(r->pool, &bind, ngx_time(),
                                              &cur, &pos, &err);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "freshdesk: tool \"%s\" refused a cursor",
                          t->name);
            ctx->outcome = FD_OUTCOME_INVALID;
            return ngx_http_freshdesk_tool_error(r, &ctx->id, &err);
        }

        /* later pages have the first page's fields */

        if (fields
            && (ctx->fields.len != pos.fields.len
                || ngx_memcmp(ctx->fields.data, pos.fields.data,
                              pos.fields.len)
                   != 0))
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "freshdesk: tool \"%s\" refused: fields differ "
                          "from the cursor's", t->name);
            ctx->outcome = FD_OUTCOME_INVALID;
            ngx_str_set(&err, "Invalid arguments: \"fields\" differs from "
                        "the first page's; omit \"fields\" with a cursor: "
                        "its pages keep the first page's fields.");
            return ngx_http_freshdesk_tool_error(r, &ctx->id, &err);
        }

        ctx->fields = pos.fields;
    }

    if (ngx_http_freshdesk_fields_select(r, t, &ctx->fields, &sel)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->select = sel;
    ctx->page = pos.page;

    ctx->call.method = req.method;
    ctx->call.uri = req.path;
    ctx->call.args = req.args;
    ctx->call.body = req.body;
    ctx->call.has_body = req.has_body;
    ctx->resource = req.resource;

    switch (req.method) {
    case NGX_HTTP_POST:
        ctx->call.method_name = ngx_http_freshdesk_methods[1];
        break;
    case NGX_HTTP_PUT:
        ctx->call.method_name = ngx_http_freshdesk_methods[2];
        break;
    case NGX_HTTP_DELETE:
        ctx->call.method_name = ngx_http_freshdesk_methods[3];
        break;
    default:
        ctx->call.method_name = ngx_http_freshdesk_methods[0];
    }

    if (ngx_http_freshdesk_page_args(r, ctx, &pos) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the key: only ever into the Authorization of the REST request */

    if (ngx_http_complex_value(r, flcf->api_key, &key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (key.len == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "freshdesk: no API key for tenant \"%V\"",
                      &ctx->tenant);
        return ngx_http_freshdesk_text_error(r, ctx,
                         "This tenant has no Freshdesk API key configured; "
                         "ask the gateway operator.");
    }

    if (ngx_http_freshdesk_authorization(r, ctx, &key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* quota: one call, one action; refused calls never go upstream */

    rc = ngx_http_freshdesk_quota_take(r, ctx);

    if (rc == NGX_AGAIN) {
        /* Redis decides: the request waits, call_finish() goes on */
        ctx->quota_pending = 1;
        return NGX_DONE;
    }

    return ngx_http_freshdesk_call_start(r, ctx, rc);

invalid:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "freshdesk: tools/call refused: %V", &msg);

    if (ctx->outcome == FD_OUTCOME_NONE) {
        ctx->outcome = FD_OUTCOME_INVALID;
    }

    return ngx_http_freshdesk_send_error(r, NGX_HTTP_OK,
                                         NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS,
                                         &ctx->id, &msg);
}


/*
 * What is known of a call from its tool's name alone: the tool, whether
 * the tenant's freshdesk_tools shows it, and with "peek" whether the
 * quota would refuse it now (read only, nothing counted).  NGX_OK: ctx->tool
 * is the tool; NGX_DECLINED: refused, *refuse says why.
 */

ngx_int_t
ngx_http_freshdesk_call_decide(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *name, ngx_uint_t peek,
    ngx_uint_t *refuse)
{
    ngx_str_t                         scope;
    ngx_uint_t                        index;
    const ngx_http_freshdesk_tool_t  *t;

    ctx->tool_name = *name;

    t = ngx_http_freshdesk_tool_find_index(name->data, name->len, &index);

    if (ngx_http_freshdesk_scope(r, &scope) != NGX_OK) {
        return NGX_ERROR;
    }

    if (t == NULL || !ngx_http_freshdesk_tool_visible(&scope, t)) {

        /* a hidden tool is answered exactly like one that does not exist */

        *refuse = FD_REFUSE_UNKNOWN;
        return NGX_DECLINED;
    }

    /* a tool the token's scopes do not open: 403 insufficient_scope */

    switch (ngx_http_freshdesk_scope_granted(r, t, NULL)) {
    case 0:
        *refuse = FD_REFUSE_SCOPE;
        return NGX_DECLINED;
    case 1:
        break;
    default:
        return NGX_ERROR;
    }

    ctx->tool = t;
    ctx->tool_index = index;
    *refuse = 0;

    if (peek && ngx_http_freshdesk_quota_peek(r, ctx, refuse) != NGX_OK) {
        return NGX_ERROR;
    }

    return *refuse ? NGX_DECLINED : NGX_OK;
}


/* the answer to a call refused by call_decide(), whenever it is given */

ngx_int_t
ngx_http_freshdesk_call_refused(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse)
{
    ngx_str_t                         msg, needed;
    ngx_uint_t                        index;
    const ngx_http_freshdesk_tool_t  *t;

    if (refuse == FD_REFUSE_SCOPE) {
        ctx->outcome = FD_OUTCOME_UNKNOWN;

        t = ngx_http_freshdesk_tool_find_index(ctx->tool_name.data,
                                               ctx->tool_name.len, &index);

        if (t == NULL
            || ngx_http_freshdesk_scope_granted(r, t, &needed) != 0)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_freshdesk_oauth_insufficient(r, &needed) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        msg.len = sizeof("Forbidden: the access token's scopes do not allow "
                         "the tool \"\"") - 1 + ngx_strlen(t->name)
                  + sizeof("; it needs the scope \"\"") - 1 + needed.len;
        msg.data = ngx_pnalloc(r->pool, msg.len);
        if (msg.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        msg.len = (needed.len
                   ? ngx_sprintf(msg.data, "Forbidden: the access token's "
                                 "scopes do not allow the tool \"%s\"; it "
                                 "needs the scope \"%V\"", t->name, &needed)
                   : ngx_sprintf(msg.data, "Forbidden: the access token's "
                                 "scopes do not allow the tool \"%s\"",
                                 t->name))
                  - msg.data;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: tools/call refused: %V", &msg);

        return ngx_http_freshdesk_send_error(r, NGX_HTTP_FORBIDDEN,
                                         NGX_HTTP_FRESHDESK_RPC_SERVER_ERROR,
                                         &ctx->id, &msg);
    }

    if (refuse != FD_REFUSE_UNKNOWN) {
        if (ngx_http_freshdesk_quota_refuse(r, ctx, refuse) != NGX_DECLINED) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_freshdesk_call_start(r, ctx, NGX_DECLINED);
    }

    ctx->outcome = FD_OUTCOME_UNKNOWN;

    ctx->tool_name.len = ngx_http_freshdesk_utf8_cut(ctx->tool_name.data,
                                                     ctx->tool_name.len, 128);

    msg.len = sizeof("Unknown tool: ") - 1 + ctx->tool_name.len;
    msg.data = ngx_pnalloc(r->pool, msg.len);
    if (msg.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ngx_cpymem(msg.data, "Unknown tool: ",
                          sizeof("Unknown tool: ") - 1),
               ctx->tool_name.data, ctx->tool_name.len);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "freshdesk: tools/call refused: %V", &msg);

    return ngx_http_freshdesk_send_error(r, NGX_HTTP_OK,
                                         NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS,
                                         &ctx->id, &msg);
}


/* after the quota's decision: refused, or the REST request starts */

static ngx_int_t
ngx_http_freshdesk_call_start(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_int_t rc)
{
    ngx_pool_cleanup_t  *cln;

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ctx->outcome = FD_OUTCOME_QUOTA;
        return ngx_http_freshdesk_tool_error(r, &ctx->id, &ctx->quota.text);
    }

    /* an action never sent is given back, however the request ends */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_freshdesk_call_cleanup;
    cln->data = r;

    if (ngx_http_freshdesk_subrequest_start(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static void
ngx_http_freshdesk_call_cleanup(void *data)
{
    ngx_http_request_t *r = data;

    ngx_http_freshdesk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    if (ctx && ctx->quota.taken) {
        (void) ngx_http_freshdesk_subrequest_sent(ctx);
        ngx_http_freshdesk_quota_settle(r, ctx);
    }
}


/* page/per_page, page, next_token: appended to the query of the call */

static ngx_int_t
ngx_http_freshdesk_page_args(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_position_t *pos)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   tok;

    if (ctx->tool->paging == FD_PAGE_NONE) {
        return NGX_OK;
    }

    ngx_str_null(&tok);

    if (ctx->tool->paging == FD_PAGE_TOKEN) {
        if (pos->token.len == 0) {
            return NGX_OK;
        }

        if (ngx_http_freshdesk_escape_query(r->pool, &tok, pos->token.data,
                                            pos->token.len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (pos->page <= 1) {
        return NGX_OK;
    }

    len = ctx->call.args.len + sizeof("&next_token=") + NGX_INT_T_LEN
          + tok.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    /* no memcpy() from a NULL query: a tool may have no other arguments */

    if (ctx->call.args.len) {
        ctx->call.args.data = ngx_cpymem(p, ctx->call.args.data,
                                         ctx->call.args.len);
        *ctx->call.args.data++ = '&';

    } else {
        ctx->call.args.data = p;
    }

    if (ctx->tool->paging == FD_PAGE_TOKEN) {
        ctx->call.args.data = ngx_sprintf(ctx->call.args.data,
                                          "next_token=%V", &tok);

    } else {
        ctx->call.args.data = ngx_sprintf(ctx->call.args.data, "page=%ui",
                                          pos->page);
    }

    ctx->call.args.len = ctx->call.args.data - p;
    ctx->call.args.data = p;

    return NGX_OK;
}


/* tenant, tool and the arguments without the cursor, canonically */

static ngx_int_t
ngx_http_freshdesk_binding(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_binding_t *bind)
{
    json_t                          *copy;
    ngx_str_t                       *canon;
    ngx_http_freshdesk_main_conf_t  *fmcf;

    fmcf = ngx_http_get_module_main_conf(r, ngx_http_freshdesk_module);

    canon = ngx_palloc(r->pool, sizeof(ngx_str_t));
    if (canon == NULL) {
        return NGX_ERROR;
    }

    copy = json_copy(ctx->arguments);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    json_object_del(copy, "cursor");

    /* the fields travel in the cursor: later pages may leave them out */
    json_object_del(copy, "fields");

    if (ngx_http_freshdesk_json_dump(r->pool, copy, JSON_SORT_KEYS, canon)
        != NGX_OK)
    {
        json_decref(copy);
        return NGX_ERROR;
    }

    json_decref(copy);

    bind->key = fmcf->cursor_key;
    bind->tenant = &ctx->tenant;
    bind->tool = ctx->tool->name;
    bind->args = canon;

    return NGX_OK;
}


/* "Basic base64(key:X)", read by $freshdesk_upstream_authorization */

static ngx_int_t
ngx_http_freshdesk_authorization(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *key)
{
    u_char     *p;
    ngx_str_t   plain, enc;

    for (p = key->data; p < key->data + key->len; p++) {
        if (*p < 0x21 || *p == 0x7f) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "freshdesk: the API key of tenant \"%V\" has "
                          "control characters or spaces", &ctx->tenant);
            return NGX_ERROR;
        }
    }

    plain.len = key->len + 2;
    plain.data = ngx_pnalloc(r->pool, plain.len);
    if (plain.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(plain.data, key->data, key->len), ":X", 2);

    ctx->authorization.len = sizeof("Basic ") - 1
                             + ngx_base64_encoded_length(plain.len);
    ctx->authorization.data = ngx_pnalloc(r->pool, ctx->authorization.len);
    if (ctx->authorization.data == NULL) {
        return NGX_ERROR;
    }

    enc.data = ngx_cpymem(ctx->authorization.data, "Basic ", 6);
    ngx_encode_base64(&enc, &plain);

    ctx->authorization.len = 6 + enc.len;

    /* the plain text is not needed any longer */

    ngx_explicit_memzero(plain.data, plain.len);

    return NGX_OK;
}


/*
 * The request, woken after it waited: for the quota's decision (Redis),
 * for a REST request, or for a retry's action (Redis).  NGX_DONE: it
 * waits again.
 */

ngx_int_t
ngx_http_freshdesk_call_finish(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_int_t   rc;
    ngx_msec_t  delay;

    if (ctx->quota_pending) {
        ctx->quota_pending = 0;
        return ngx_http_freshdesk_call_start(r, ctx, ctx->quota.rc);
    }

    if (ctx->action_pending) {
        ctx->action_pending = 0;
        rc = ctx->quota.rc;
        delay = ctx->retry_delay;
        goto action;
    }

    ctx->upstream_status = ctx->call.status;

    ngx_http_freshdesk_quota_settle(r, ctx);

    /* a read that failed may be tried again: each try is an action */

    if (ngx_http_freshdesk_subrequest_retry_delay(r, ctx, &delay) != NGX_OK) {
        return ngx_http_freshdesk_call_answer(r, ctx);
    }

    rc = ngx_http_freshdesk_quota_action(r, ctx);

    if (rc == NGX_AGAIN) {
        ctx->action_pending = 1;
        ctx->retry_delay = delay;
        return NGX_DONE;
    }

action:

    if (rc == NGX_OK) {
        if (ngx_http_freshdesk_subrequest_retry(r, ctx, delay) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_DONE;
    }

    /* no action left for another try: the answer as it stands */

    return ngx_http_freshdesk_call_answer(r, ctx);
}


/* the tool result of what Freshdesk answered */

static ngx_int_t
ngx_http_freshdesk_call_answer(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    u_char                            *p, *buf, top;
    size_t                             room;
    ngx_int_t                          n, rc;
    ngx_uint_t                         nmembers, mode, count;
    ngx_str_t                          body, structured, dump, cursor, *total;
    ngx_str_t                          parts[3], esc[3], escaped, selected;
    ngx_http_freshdesk_call_t         *call;
    ngx_http_freshdesk_summary_t       sm;
    ngx_http_freshdesk_json_member_t   members[4];

    call = &ctx->call;
    total = NULL;
    count = 0;

    /* freshdesk_result structured: no escaped copy, a summary instead */

    mode = ngx_http_freshdesk_result_mode(r);

    ngx_memzero(&sm, sizeof(ngx_http_freshdesk_summary_t));
    sm.tool = ctx->tool->name;
    sm.what = ctx->resource;
    sm.count = -1;
    sm.total = -1;

    /* how it ended, for the metrics; refined below */

    ctx->outcome = FD_OUTCOME_UPSTREAM_FAIL;

    if (!call->header) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "freshdesk: tool \"%s\": no response from upstream "
                      "(%i)", ctx->tool->name, call->rc);

        return ngx_http_freshdesk_text_error(r, ctx,
                   call->rc == NGX_HTTP_GATEWAY_TIME_OUT
                   ? "Freshdesk unavailable: the request timed out. "
                     "Try again later."
                   : "Freshdesk unavailable: could not get a response. "
                     "Try again later.");
    }

    if (call->too_big) {
        return ngx_http_freshdesk_text_error(r, ctx,
                   "Freshdesk sent a bad response: larger than the "
                   "gateway's limit of %uz bytes. Ask for fewer items "
                   "(per_page) or narrower filters.",
                   ((ngx_http_freshdesk_loc_conf_t *)
                    ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module))
                   ->max_response);
    }

    if (!call->complete) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "freshdesk: tool \"%s\": upstream response broken "
                      "off after %uz bytes", ctx->tool->name, call->size);

        return ngx_http_freshdesk_text_error(r, ctx,
                   "Freshdesk unavailable: the response was cut off "
                   "(HTTP %i). Try again later.", call->status);
    }

    if (ngx_http_freshdesk_subrequest_body(r, call, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (call->status < 200 || call->status >= 300) {
        ctx->outcome = call->status == NGX_HTTP_TOO_MANY_REQUESTS
                       ? FD_OUTCOME_UPSTREAM_429
                       : call->status >= 500 ? FD_OUTCOME_UPSTREAM_5XX
                       : FD_OUTCOME_TOOL_ERROR;

        return ngx_http_freshdesk_upstream_error(r, ctx, &body);
    }

    ctx->outcome = FD_OUTCOME_OK;

    if (call->status == NGX_HTTP_NO_CONTENT || body.len == 0) {
        ngx_str_t  msg;

        if (ngx_http_freshdesk_tool_done(r->pool, ctx->tool, ctx->arguments,
                                         &msg)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        structured.len = msg.len * 6 + 64;
        structured.data = ngx_pnalloc(r->pool, structured.len);
        if (structured.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_sprintf(structured.data, "{\"ok\":true,\"status\":%i,"
                        "\"message\":\"", call->status);
        p = ngx_http_freshdesk_json_escape(p, msg.data, msg.len);
        p = ngx_cpymem(p, "\"}", 2);
        structured.len = p - structured.data;

        sm.what = msg;

        return ngx_http_freshdesk_tool_result(r, &ctx->id, &structured, &sm);
    }

    /*
     * Validated, not decoded: the body is passed on as Freshdesk sent it
     * (a list inside an object is cut out by its byte span), so large
     * lists are never decoded and re-encoded.
     */

    ngx_memzero(members, sizeof(members));

    members[0].name = ctx->tool->items ? ctx->tool->items : "items";
    members[1].name = "total";
    members[2].name = "_links";

    /* only a list inside an object needs the members found */

    nmembers = ctx->tool->items ? 3 : 0;

    if (mode == NGX_HTTP_FRESHDESK_RESULT_STRUCTURED
        && ctx->select == NULL)
    {
        /*
         * a record's "id", for the summary (a selecting pass takes a
         * top-level object with members for a list's holder: found after)
         */

        members[nmembers++].name = "id";
    }

    /*
     * One pass validates; it also escapes (both, text) or counts the list
     * (structured).  With a selection of fields (fields.c) the pass
     * validates and selects (and counts), and escapes the selected text
     * too, where a text copy goes out.
     */

    room = (mode == NGX_HTTP_FRESHDESK_RESULT_STRUCTURED)
           ? 0 : NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(body.len);

    ngx_str_null(&escaped);
    buf = NULL;

    if (room || ctx->select) {
        buf = ngx_http_freshdesk_buffer(r, room
                                           + (ctx->select ? body.len : 0));
        if (buf == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ctx->select) {
        selected.data = buf + room;

        /* the selected text escaped in the same pass, where a text copy
         * goes out: members[0].escaped is the list's, where it is a
         * member */

        if (room) {
            escaped.data = buf;

            rc = ngx_http_freshdesk_json_select_escape(body.data, body.len,
                                                       512, members,
                                                       nmembers, &top,
                                                       ctx->select,
                                                       selected.data,
                                                       &selected.len, &count,
                                                       escaped.data,
                                                       &escaped.len);

        } else {
            rc = ngx_http_freshdesk_json_select(body.data, body.len, 512,
                                                members, nmembers, &top,
                                                ctx->select, selected.data,
                                                &selected.len, &count);
        }

        if (rc == NGX_OK) {
            body = selected;
        }

    } else if (room == 0) {
        rc = ngx_http_freshdesk_json_validate_count(body.data, body.len, 512,
                                                    members, nmembers, &top,
                                                    &count);

    } else {
        escaped.data = buf;

        rc = ngx_http_freshdesk_json_validate_escape(body.data, body.len,
                                                     512, members, nmembers,
                                                     &top, escaped.data,
                                                     &escaped.len);
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "freshdesk: tool \"%s\": upstream sent invalid JSON "
                      "(HTTP %i, %uz bytes)", ctx->tool->name,
                      call->status, body.len);

        ctx->outcome = FD_OUTCOME_UPSTREAM_FAIL;

        return ngx_http_freshdesk_text_error(r, ctx,
                   "Freshdesk sent a bad response: not valid JSON "
                   "(HTTP %i). Try again later.", call->status);
    }

    /* the list, where there is one */

    if (top == '[') {
        dump = body;
        esc[1] = escaped;
        sm.count = count;

    } else if (top == '{' && ctx->tool->items
               && members[0].value.len && members[0].value.data[0] == '[')
    {
        dump = members[0].value;
        esc[1] = members[0].escaped;
        total = &members[1].value;
        sm.count = members[0].elements;

    } else {
        /* one object: passed on as Freshdesk sent it */

        if (mode == NGX_HTTP_FRESHDESK_RESULT_STRUCTURED) {
            if (ctx->select) {
                /* a second, short pass over the selected record */

                ngx_memzero(&members[3], sizeof(members[3]));
                members[3].name = "id";

                (void) ngx_http_freshdesk_json_validate(body.data, body.len,
                                                        512, &members[3], 1,
                                                        NULL);
                sm.id = members[3].value;

            } else {
                sm.id = members[nmembers - 1].value;
            }
        }

        return ngx_http_freshdesk_tool_result_parts(r, &ctx->id, &body,
                                                    &escaped, 1, &sm);
    }

    if (ngx_http_freshdesk_next_cursor(r, ctx, total, &members[2].value,
                                       &cursor)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = -1;

    if (total && total->len) {
        n = ngx_atoi(total->data, total->len);
    }

    /* {"items": <the list as sent> ,"total":N,"nextCursor":"..."} */

    ngx_str_set(&parts[0], "{\"items\":");
    parts[1] = dump;

    parts[2].data = ngx_pnalloc(r->pool,
                                sizeof(",\"total\":,\"nextCursor\":\"\"}")
                                + NGX_INT_T_LEN + cursor.len);
    if (parts[2].data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = parts[2].data;

    if (n >= 0) {
        p = ngx_sprintf(p, ",\"total\":%i", n);
    }

    if (cursor.len) {
        p = ngx_sprintf(p, ",\"nextCursor\":\"%V\"", &cursor);
    }

    *p++ = '}';
    parts[2].len = p - parts[2].data;

    ngx_str_null(&esc[0]);
    ngx_str_null(&esc[2]);

    if (mode == NGX_HTTP_FRESHDESK_RESULT_STRUCTURED) {
        sm.total = n;
        sm.cursor = cursor;
    }

    return ngx_http_freshdesk_tool_result_parts(r, &ctx->id, parts, esc, 3,
                                                &sm);
}


static ngx_int_t
ngx_http_freshdesk_next_cursor(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *total, ngx_str_t *links,
    ngx_str_t *cursor)
{
    u_char                          *p, *last, *q;
    json_t                          *v;
    ngx_int_t                        n;
    ngx_str_t                        err;
    ngx_http_freshdesk_binding_t     bind;
    ngx_http_freshdesk_position_t    pos;
    ngx_http_freshdesk_main_conf_t  *fmcf;

    ngx_str_null(cursor);
    ngx_memzero(&pos, sizeof(ngx_http_freshdesk_position_t));

    switch (ctx->tool->paging) {

    case FD_PAGE_LINK:

        /* Link: <https://x.freshdesk.com/api/v2/tickets?page=3>; rel="next"
         * only the page number is taken, never the URL */

        if (ctx->call.link.len == 0
            || ngx_strlcasestrn(ctx->call.link.data,
                                ctx->call.link.data + ctx->call.link.len,
                                (u_char *) "rel=\"next\"", 10 - 1)
               == NULL)
        {
            return NGX_OK;
        }

        pos.page = ctx->page + 1;

        p = ctx->call.link.data;
        last = p + ctx->call.link.len;

        while ((p = ngx_strlcasestrn(p, last, (u_char *) "page=", 5 - 1))
               != NULL)
        {
            if (p > ctx->call.link.data && (p[-1] == '?' || p[-1] == '&')) {
                p += 5;
                for (q = p; q < last && *q >= '0' && *q <= '9'; q++) {
                    /* void */
                }

                n = ngx_atoi(p, q - p);
                if (n > (ngx_int_t) ctx->page) {
                    pos.page = n;
                }

                break;
            }

            p += 5;
        }

        break;

    case FD_PAGE_SEARCH:
        n = (total && total->len) ? ngx_atoi(total->data, total->len)
                                  : NGX_ERROR;

        if (n == NGX_ERROR || ctx->page >= FD_SEARCH_PAGES
            || (ngx_int_t) (ctx->page * FD_SEARCH_PAGE) >= n)
        {
            return NGX_OK;
        }

        pos.page = ctx->page + 1;
        break;

    case FD_PAGE_TOKEN:

        /* _links.next.href = "/schemas/30/records?page_size=20&next_token=X"
         * only the token is taken */

        if (links->len == 0) {
            return NGX_OK;
        }

        v = ngx_http_freshdesk_json_parse(r->pool, links->data, links->len,
                                          8, &err);
        v = v ? json_object_get(v, "next") : NULL;
        v = v ? json_object_get(v, "href") : NULL;

        if (!json_is_string(v)) {
            return NGX_OK;
        }

        p = (u_char *) json_string_value(v);
        last = p + json_string_length(v);

        p = ngx_strlcasestrn(p, last, (u_char *) "next_token=", 11 - 1);
        if (p == NULL) {
            return NGX_OK;
        }

        p += 11;
        for (q = p; q < last && *q != '&' && *q != '#'; q++) {
            /* void */
        }

        if (q == p) {
            return NGX_OK;
        }

        pos.token.data = ngx_pnalloc(r->pool, q - p);
        if (pos.token.data == NULL) {
            return NGX_ERROR;
        }

        /* the href carries it URL-encoded; we re-encode when sending */

        last = pos.token.data;
        ngx_unescape_uri(&last, &p, q - p, 0);
        pos.token.len = last - pos.token.data;
        break;

    default:
        return NGX_OK;
    }

    pos.fields = ctx->fields;

    if (ngx_http_freshdesk_binding(r, ctx, &bind) != NGX_OK) {
        return NGX_ERROR;
    }

    fmcf = ngx_http_get_module_main_conf(r, ngx_http_freshdesk_module);

    return ngx_http_freshdesk_cursor_encode(r->pool, &bind,
                                            ngx_time()
                                            + fmcf->cursor_ttl / 1000,
                                            &pos, cursor);
}


/* Freshdesk said no: a message the model can act on, never the key */

static ngx_int_t
ngx_http_freshdesk_upstream_error(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_str_t *body)
{
    u_char                     *p, *last;
    size_t                      i;
    json_t                     *root, *v, *e, *f, *m, *c;
    ngx_int_t                   status, secs;
    ngx_str_t                   text, err, ra;
    ngx_http_freshdesk_call_t  *call;

    call = &ctx->call;
    status = call->status;

    text.data = ngx_pnalloc(r->pool, 2048);
    if (text.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = text.data;
    last = p + 2048 - 128;

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        secs = -1;

        if (call->retry_after.len) {
            secs = ngx_atoi(call->retry_after.data, call->retry_after.len);
        }

        if (secs >= 0) {
            ra.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
            if (ra.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ra.len = ngx_sprintf(ra.data, "%i", secs) - ra.data;

            if (ngx_http_freshdesk_add_header(r, "Retry-After", &ra)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = ngx_slprintf(p, last, "Freshdesk rate limit reached for "
                             "this account (HTTP 429). Retry in %i s.",
                             secs);

        } else {
            p = ngx_slprintf(p, last, "Freshdesk rate limit reached for "
                             "this account (HTTP 429). Retry later.");
        }

        goto done;
    }

    if (status == NGX_HTTP_UNAUTHORIZED || status == NGX_HTTP_FORBIDDEN) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "freshdesk: upstream answered %i for tenant \"%V\"",
                      status, &ctx->tenant);

        p = ngx_slprintf(p, last, "Freshdesk rejected this tenant's API key "
                         "(HTTP %i)%s", status,
                         status == NGX_HTTP_FORBIDDEN
                         ? ": the key's agent lacks permission for this "
                           "action, or the feature is not on the plan."
                         : ". Ask the gateway operator to check it.");
        goto done;
    }

    if (status == NGX_HTTP_NOT_FOUND) {
        if (ctx->resource.len) {
            p = ngx_slprintf(p, last, "Freshdesk: %V was not found "
                             "(HTTP 404).", &ctx->resource);

        } else {
            p = ngx_slprintf(p, last, "Freshdesk: not found (HTTP 404).");
        }

        goto done;
    }

    if (status >= 500) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "freshdesk: tool \"%s\": upstream answered %i",
                      ctx->tool->name, status);

        p = ngx_slprintf(p, last, "Freshdesk unavailable (HTTP %i). Try "
                         "again later.", status);
        goto done;
    }

    /* 400, 405, 409, 415 ...: {description, errors[{field,message,code}]} */

    p = ngx_slprintf(p, last, "Freshdesk error (HTTP %i)", status);

    root = NULL;

    if (body->len) {
        root = ngx_http_freshdesk_json_parse(r->pool, body->data, body->len,
                                             0, &err);
    }

    if (json_is_object(root)) {
        v = json_object_get(root, "description");
        if (json_is_string(v)) {
            p = ngx_slprintf(p, last, ": %s", json_string_value(v));

        } else if (json_is_string(m = json_object_get(root, "message"))) {
            p = ngx_slprintf(p, last, ": %s", json_string_value(m));
        }

        v = json_object_get(root, "errors");

        json_array_foreach(v, i, e) {
            f = json_object_get(e, "field");
            m = json_object_get(e, "message");
            c = json_object_get(e, "code");

            p = ngx_slprintf(p, last, "%s %s%s%s%s%s%s", i ? ";" : ":",
                             json_is_string(f) && json_string_length(f)
                             ? json_string_value(f) : "",
                             json_is_string(f) && json_string_length(f)
                             ? ": " : "",
                             json_is_string(m) ? json_string_value(m) : "",
                             json_is_string(c) ? " (" : "",
                             json_is_string(c) ? json_string_value(c) : "",
                             json_is_string(c) ? ")" : "");
        }
    }

    if (p < last) {
        *p++ = '.';

    } else {
        /* cut at the limit: drop a UTF-8 character left incomplete */

        p = text.data + ngx_http_freshdesk_utf8_cut(text.data,
                                                    p - text.data + 1,
                                                    p - text.data);
        p = ngx_cpymem(p, "...", 3);
    }

done:

    if (call->request_id.len && call->request_id.len <= 64) {
        p = ngx_sprintf(p, " (X-Request-Id %V)", &call->request_id);
    }

    text.len = p - text.data;

    return ngx_http_freshdesk_tool_error(r, &ctx->id, &text);
}
