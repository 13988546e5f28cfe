
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * $freshdesk_* variables for access logs and for the internal upstream
 * location.  All read the context of the client's request, also when
 * asked in one of its subrequests.  No variable yields the API key
 * itself; $freshdesk_upstream_authorization is the ready-made "Basic ..."
 * header value and is set only in the module's own REST subrequests.
 */


#include "ngx_http_freshdesk_variables.h"
#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_subrequest.h"
#include "ngx_http_freshdesk_response.h"


#define FD_VAR_TENANT        0
#define FD_VAR_METHOD        1
#define FD_VAR_TOOL          2
#define FD_VAR_UP_STATUS     3
#define FD_VAR_CALLS_LEFT    4
#define FD_VAR_ACTIONS_LEFT  5
#define FD_VAR_QUOTA_RESULT  6
#define FD_VAR_AUTHZ         7
#define FD_VAR_UP_TIME       8
#define FD_VAR_UP_TRIES      9
#define FD_VAR_MCP_METHOD    10
#define FD_VAR_MCP_NAME      11
#define FD_VAR_ACCT_LEFT     12
#define FD_VAR_ACCT_WAITED   13
#define FD_VAR_ACCT_RESULT   14


static ngx_int_t ngx_http_freshdesk_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_freshdesk_routing_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_freshdesk_variable_set(ngx_http_variable_value_t *v,
    ngx_str_t *s, ngx_uint_t no_cacheable);


static ngx_http_variable_t  ngx_http_freshdesk_vars[] = {

    { ngx_string("freshdesk_tenant"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_TENANT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_method"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_METHOD,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_tool"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_TOOL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_upstream_status"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_UP_STATUS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_calls_remaining"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_CALLS_LEFT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_actions_remaining"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_ACTIONS_LEFT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_quota_result"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_QUOTA_RESULT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_upstream_authorization"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_AUTHZ,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_NOHASH, 0 },

    { ngx_string("freshdesk_upstream_time"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_UP_TIME,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_upstream_tries"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_UP_TRIES,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_account_remaining"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_ACCT_LEFT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_account_waited"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_ACCT_WAITED,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_account_result"), NULL,
      ngx_http_freshdesk_variable, FD_VAR_ACCT_RESULT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_mcp_method"), NULL,
      ngx_http_freshdesk_routing_variable, FD_VAR_MCP_METHOD, 0, 0 },

    { ngx_string("freshdesk_mcp_name"), NULL,
      ngx_http_freshdesk_routing_variable, FD_VAR_MCP_NAME, 0, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_freshdesk_add_variables(ngx_conf_t *cf)
{
    return ngx_http_freshdesk_add_variable_table(cf, ngx_http_freshdesk_vars);
}


/* registers each variable of a table that ends with ngx_http_null_variable */

ngx_int_t
ngx_http_freshdesk_add_variable_table(ngx_conf_t *cf,
    ngx_http_variable_t *vars)
{
    ngx_http_variable_t  *var, *v;

    for (v = vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p;
    ngx_int_t                  n;
    ngx_str_t                  s;
    ngx_http_freshdesk_ctx_t  *ctx;

    ctx = ngx_http_freshdesk_get_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_str_null(&s);
    n = -1;

    switch (data) {

    case FD_VAR_TENANT:
        s = ctx->tenant;
        break;

    case FD_VAR_METHOD:
        s = ctx->rpc_method;
        break;

    case FD_VAR_TOOL:
        if (ctx->tool) {
            s.data = (u_char *) ctx->tool->name;
            s.len = ngx_strlen(ctx->tool->name);
        }
        break;

    case FD_VAR_UP_STATUS:
        n = ctx->upstream_status ? ctx->upstream_status : -1;
        break;

    case FD_VAR_CALLS_LEFT:
        n = ctx->quota.known ? ctx->quota.calls_remaining : -1;
        break;

    case FD_VAR_ACTIONS_LEFT:
        n = ctx->quota.known ? ctx->quota.actions_remaining : -1;
        break;

    case FD_VAR_QUOTA_RESULT:
        s = ctx->quota.result;
        break;

    case FD_VAR_AUTHZ:
        /* only in the REST request to Freshdesk, never the client's */
        if (ngx_http_freshdesk_subrequest_ours(r)) {
            s = ctx->authorization;
        }
        break;

    case FD_VAR_UP_TIME:
        if (ctx->tries) {
            p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
            if (p == NULL) {
                return NGX_ERROR;
            }

            s.data = p;
            s.len = ngx_sprintf(p, "%T.%03M",
                                (time_t) ctx->upstream_time / 1000,
                                ctx->upstream_time % 1000)
                    - p;
        }
        break;

    case FD_VAR_UP_TRIES:
        n = ctx->tries ? (ngx_int_t) ctx->tries : -1;
        break;

    case FD_VAR_ACCT_LEFT:
        n = ctx->quota.guard ? ctx->quota.account_remaining : -1;
        break;

    case FD_VAR_ACCT_WAITED:
        if (ctx->quota.guard) {
            p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
            if (p == NULL) {
                return NGX_ERROR;
            }

            s.data = p;
            s.len = ngx_sprintf(p, "%T.%03M",
                                (time_t) ctx->quota.account_waited / 1000,
                                ctx->quota.account_waited % 1000)
                    - p;
        }
        break;

    case FD_VAR_ACCT_RESULT:
        s = ctx->quota.account_result;
        break;
    }

    if (n >= 0) {
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%i", n) - p;
    }

    return ngx_http_freshdesk_variable_set(v, &s, 1);
}


/*
 * The MCP 2026-07-28 routing headers, decoded (=?base64?...?=): known
 * from the request line on, before the body is read, so that limit_req,
 * map or a log can use the tool's name in any phase
 */

static ngx_int_t
ngx_http_freshdesk_routing_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                    s;

    ngx_http_freshdesk_header_t  h[] = {
        ngx_http_freshdesk_header("mcp-method")
    };

    if (data == FD_VAR_MCP_NAME) {
        h[0].name = "mcp-name";
        h[0].len = sizeof("mcp-name") - 1;
    }

    ngx_http_freshdesk_list_headers(&r->headers_in.headers, 1, h, 1);

    if (h[0].n != 1
        || ngx_http_freshdesk_header_decode(r->pool, &h[0].value, &s)
           != NGX_OK)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_freshdesk_variable_set(v, &s, 0);
}


/* a variable's value; empty is not found */

static ngx_int_t
ngx_http_freshdesk_variable_set(ngx_http_variable_value_t *v, ngx_str_t *s,
    ngx_uint_t no_cacheable)
{
    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = no_cacheable;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}
