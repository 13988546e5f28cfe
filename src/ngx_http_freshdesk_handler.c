
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The content handler of "location = /mcp": transport checks (Origin,
 * method, tenant, MCP-Protocol-Version, Content-Type, Accept), reading the
 * body (memory buffers and temp files), and the request's life: the MCP
 * code answers at once, or starts a REST subrequest and the request waits
 * here until nginx wakes it, then the MCP code answers (or tries again).
 */


#include "ngx_http_freshdesk_handler.h"
#include "ngx_http_freshdesk_response.h"
#include "ngx_http_freshdesk_jsonrpc.h"
#include "ngx_http_freshdesk_mcp.h"
#include "ngx_http_freshdesk_call.h"
#include "ngx_http_freshdesk_json.h"
#include "ngx_http_freshdesk_oauth.h"


static ngx_int_t ngx_http_freshdesk_check_origin(ngx_http_request_t *r,
    ngx_http_freshdesk_loc_conf_t *flcf, ngx_http_freshdesk_header_t *origin,
    ngx_uint_t *cors);
static ngx_int_t ngx_http_freshdesk_cors_headers(ngx_http_request_t *r,
    ngx_str_t *origin, ngx_uint_t preflight);
static ngx_int_t ngx_http_freshdesk_check_media(ngx_http_request_t *r,
    ngx_http_freshdesk_header_t *accept, ngx_str_t *err);
static void ngx_http_freshdesk_body_handler(ngx_http_request_t *r);
static void ngx_http_freshdesk_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_freshdesk_join_body(ngx_http_request_t *r,
    size_t max, ngx_str_t *body);
static ngx_int_t ngx_http_freshdesk_reject(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);



ngx_int_t
ngx_http_freshdesk_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_str_t                       value, err;
    ngx_uint_t                      n, cors;
    ngx_http_freshdesk_ctx_t       *ctx;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    ngx_http_freshdesk_header_t     h[] = {
        ngx_http_freshdesk_header("origin"),
        ngx_http_freshdesk_header("mcp-protocol-version"),
        ngx_http_freshdesk_header("accept"),
        ngx_http_freshdesk_header("authorization"),
        ngx_http_freshdesk_header("mcp-method"),
        ngx_http_freshdesk_header("mcp-name")
    };

    enum { ORIGIN = 0, VERSION, ACCEPT, AUTHORIZATION, MCP_METHOD, MCP_NAME };

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (r != r->main) {
        return NGX_HTTP_NOT_FOUND;
    }

    /* the request headers read here, found in one walk */

    ngx_http_freshdesk_list_headers(&r->headers_in.headers, 1, h,
                                    sizeof(h) / sizeof(h[0]));

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_freshdesk_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->version = NGX_HTTP_FRESHDESK_V_NONE;

    ngx_http_set_ctx(r, ctx, ngx_http_freshdesk_module);

    /* 1. Origin: before anything else, so a hostile page learns nothing */

    if (ngx_http_freshdesk_check_origin(r, flcf, &h[ORIGIN], &cors)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: origin not allowed");
        return ngx_http_freshdesk_reject(r, NGX_HTTP_FORBIDDEN,
                                         "Forbidden: Origin not allowed");
    }

    /* 2. CORS preflight, never authenticated */

    if (r->method == NGX_HTTP_OPTIONS) {
        if (cors
            && ngx_http_freshdesk_cors_headers(r, &h[ORIGIN].value, 1)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&value, "POST, OPTIONS");
        if (ngx_http_freshdesk_add_header(r, "Allow", &value) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_freshdesk_send(r, NGX_HTTP_NO_CONTENT, NULL);
    }

    if (cors
        && ngx_http_freshdesk_cors_headers(r, &h[ORIGIN].value, 0) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* 3. POST only: no SSE stream (GET), no sessions (DELETE) */

    if (r->method != NGX_HTTP_POST) {
        ngx_str_set(&value, "POST, OPTIONS");
        if (ngx_http_freshdesk_add_header(r, "Allow", &value) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_freshdesk_reject(r, NGX_HTTP_NOT_ALLOWED,
                                         "Method not allowed: use POST");
    }

    /*
     * 4. tenant; with freshdesk_oauth on, a bearer JWT is verified first
     * (its claims may pick the tenant), and a refused one is refused
     * whatever the tenant
     */

    rc = ngx_http_freshdesk_oauth_refused(r);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_complex_value(r, flcf->tenant, &ctx->tenant) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->tenant.len == 0 || rc == NGX_DECLINED) {
        n = h[AUTHORIZATION].n;

        rc = ngx_http_freshdesk_oauth_challenge(r, &value);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            value.len = sizeof("Bearer realm=\"\", error=\"invalid_token\"")
                        - 1 + flcf->realm.len;
            value.data = ngx_pnalloc(r->pool, value.len);
            if (value.data == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            value.len = ngx_sprintf(value.data, "Bearer realm=\"%V\"%s",
                                    &flcf->realm,
                                    n ? ", error=\"invalid_token\"" : "")
                        - value.data;
        }

        ctx->tenant.len = 0;

        if (ngx_http_freshdesk_add_header(r, "WWW-Authenticate", &value)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: no tenant for this request");

        return ngx_http_freshdesk_reject(r, NGX_HTTP_UNAUTHORIZED,
                                         "Unauthorized: missing or invalid "
                                         "bearer token");
    }

    /* 5. MCP-Protocol-Version, if sent, must be one we speak */

    n = h[VERSION].n;
    value = h[VERSION].value;

    if (n > 1) {
        return ngx_http_freshdesk_reject(r, NGX_HTTP_BAD_REQUEST,
                                         "Bad Request: more than one "
                                         "MCP-Protocol-Version header");
    }

    if (n == 1) {
        ctx->version = ngx_http_freshdesk_version_find(value.data,
                                                       value.len);

        if (ctx->version == NGX_HTTP_FRESHDESK_V_NONE) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "freshdesk: unsupported MCP-Protocol-Version");

            /* answered once the body gives the request's id */
            ctx->unsupported = 1;
            ctx->hdr_version = value;
        }
    }

    /*
     * 2026-07-28: the routing headers say what the body holds; they are
     * checked against it when it is read
     */

    if (ctx->version == NGX_HTTP_FRESHDESK_V_2026_07_28) {
        ctx->era2026 = 1;

        if (h[MCP_METHOD].n != 1 || h[MCP_NAME].n > 1
            || ngx_http_freshdesk_header_decode(r->pool, &h[MCP_METHOD].value,
                                               &ctx->hdr_method)
               != NGX_OK
            || (h[MCP_NAME].n
                && ngx_http_freshdesk_header_decode(r->pool,
                                                   &h[MCP_NAME].value,
                                                   &ctx->hdr_name)
                   != NGX_OK))
        {
            /* answered (-32020) once the body gives the request's id */
            ctx->hdr_error = 1;
        }
    }

    /* 6. Content-Type and Accept */

    rc = ngx_http_freshdesk_check_media(r, &h[ACCEPT], &err);
    if (rc != NGX_OK) {
        return ngx_http_freshdesk_reject(r, rc, (char *) err.data);
    }

    /* 7. size: refuse early when the length is announced */

    if (r->headers_in.content_length_n > (off_t) flcf->max_body) {
        return ngx_http_freshdesk_reject(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                         "Request body too large");
    }

    /*
     * 8. a 2026 tools/call that will be refused (unknown or hidden tool,
     * quota used up) is answered before its body, when its id came with
     * the headers
     */

    if (ctx->era2026 && !ctx->hdr_error && !ctx->unsupported
        && ctx->hdr_name.len
        && ctx->hdr_method.len == sizeof("tools/call") - 1
        && ngx_strncmp(ctx->hdr_method.data, "tools/call",
                       sizeof("tools/call") - 1) == 0)
    {
        rc = ngx_http_freshdesk_mcp_early(r, ctx);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    r->request_body_in_single_buf = 0;
    r->request_body_in_file_only = 0;

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_freshdesk_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* a broken or oversized chunked body: still a JSON answer */
        return ngx_http_freshdesk_reject(r, rc,
                                         rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
                                         ? "Request body too large"
                                         : "Bad Request: unreadable body");
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_http_freshdesk_reject(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    ngx_str_t  msg;

    msg.data = (u_char *) message;
    msg.len = ngx_strlen(message);

    /* the content phase finalizes the request with what this returns */

    return ngx_http_freshdesk_send_error(r, status,
                                         NGX_HTTP_FRESHDESK_RPC_SERVER_ERROR,
                                         NULL, &msg);
}


static ngx_int_t
ngx_http_freshdesk_check_origin(ngx_http_request_t *r,
    ngx_http_freshdesk_loc_conf_t *flcf, ngx_http_freshdesk_header_t *h,
    ngx_uint_t *cors)
{
    u_char      *host;
    size_t       len;
    ngx_str_t    origin, *o;
    ngx_uint_t   i;

    *cors = 0;
    origin = h->value;

    if (h->n == 0) {
        /* curl, SDKs, server-to-server: no Origin, nothing to check */
        return NGX_OK;
    }

    if (h->n > 1) {
        return NGX_DECLINED;
    }

    if (flcf->origins) {
        o = flcf->origins->elts;

        for (i = 0; i < flcf->origins->nelts; i++) {
            if ((o[i].len == 1 && o[i].data[0] == '*')
                || (o[i].len == origin.len
                    && ngx_strncasecmp(o[i].data, origin.data, origin.len)
                       == 0))
            {
                *cors = 1;
                return NGX_OK;
            }
        }

        return NGX_DECLINED;
    }

    /* no list: only an origin naming the very host the request was sent to */

    if (r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    if (origin.len > 7 && ngx_strncasecmp(origin.data, (u_char *) "http://", 7)
                          == 0)
    {
        host = origin.data + 7;
        len = origin.len - 7;

    } else if (origin.len > 8
               && ngx_strncasecmp(origin.data, (u_char *) "https://", 8)
                  == 0)
    {
        host = origin.data + 8;
        len = origin.len - 8;

    } else {
        return NGX_DECLINED;
    }

    if (len == r->headers_in.host->value.len
        && ngx_strncasecmp(host, r->headers_in.host->value.data, len) == 0)
    {
        *cors = 1;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_freshdesk_cors_headers(ngx_http_request_t *r, ngx_str_t *origin,
    ngx_uint_t preflight)
{
    ngx_str_t  v;

    if (ngx_http_freshdesk_add_header(r, "Access-Control-Allow-Origin",
                                      origin)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "Origin");
    if (ngx_http_freshdesk_add_header(r, "Vary", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!preflight) {
        ngx_str_set(&v, "Mcp-Session-Id, WWW-Authenticate, "
                        "MCP-Protocol-Version, RateLimit, RateLimit-Policy, "
                        "Retry-After");
        return ngx_http_freshdesk_add_header(r,
                                             "Access-Control-Expose-Headers",
                                             &v);
    }

    ngx_str_set(&v, "POST, OPTIONS");
    if (ngx_http_freshdesk_add_header(r, "Access-Control-Allow-Methods", &v)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "Content-Type, Accept, Authorization, Mcp-Session-Id, "
                    "MCP-Protocol-Version, Last-Event-ID, Mcp-Method, "
                    "Mcp-Name");
    if (ngx_http_freshdesk_add_header(r, "Access-Control-Allow-Headers", &v)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&v, "86400");
    return ngx_http_freshdesk_add_header(r, "Access-Control-Max-Age", &v);
}


/* does a media range list admit this type ("application/json") */

static ngx_uint_t
ngx_http_freshdesk_accepts(ngx_str_t *accept, const char *type,
    size_t major)
{
    u_char  *p, *last, *start, *end;
    size_t   tlen;

    tlen = ngx_strlen(type);
    p = accept->data;
    last = p + accept->len;

    while (p < last) {

        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        start = p;

        while (p < last && *p != ',' && *p != ';' && *p != ' ') {
            p++;
        }

        end = p;

        if (((size_t) (end - start) == tlen
             && ngx_strncasecmp(start, (u_char *) type, tlen) == 0)
            || (end - start == 3 && ngx_strncmp(start, "*/*", 3) == 0)
            || ((size_t) (end - start) == major + 2
                && ngx_strncasecmp(start, (u_char *) type, major + 1) == 0
                && start[major + 1] == '*'))
        {
            return 1;
        }

        while (p < last && *p != ',') {
            p++;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_freshdesk_check_media(ngx_http_request_t *r,
    ngx_http_freshdesk_header_t *accept, ngx_str_t *err)
{
    u_char  *p, *last;

    if (r->headers_in.content_type == NULL) {
        ngx_str_set(err, "Unsupported Media Type: Content-Type must be "
                         "application/json");
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    p = r->headers_in.content_type->value.data;
    last = p + r->headers_in.content_type->value.len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (last - p < 16
        || (ngx_memcmp(p, "application/json", 16) != 0
            && ngx_strncasecmp(p, (u_char *) "application/json", 16) != 0)
        || (last - p > 16 && p[16] != ';' && p[16] != ' ' && p[16] != '\t'))
    {
        ngx_str_set(err, "Unsupported Media Type: Content-Type must be "
                         "application/json");
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (accept->n == 0) {
        return NGX_OK;
    }

    if (ngx_http_freshdesk_accepts(&accept->value, "application/json", 11)
        || ngx_http_freshdesk_accepts(&accept->value, "text/event-stream", 4))
    {
        return NGX_OK;
    }

    ngx_str_set(err, "Not Acceptable: Accept must include application/json "
                     "or text/event-stream");
    return NGX_HTTP_NOT_ACCEPTABLE;
}


static void
ngx_http_freshdesk_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_str_t                       body, msg;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    rc = ngx_http_freshdesk_join_body(r, flcf->max_body, &body);

    if (rc == NGX_DECLINED) {
        ngx_str_set(&msg, "Request body too large");
        ngx_http_finalize_request(r,
            ngx_http_freshdesk_send_error(r,
                                   NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                   NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                   NULL, &msg));
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_freshdesk_mcp_process(r, &body);

    if (rc == NGX_DONE) {
        /*
         * A subrequest runs and holds its own reference to the request;
         * when it is done nginx wakes the write event handler.  The
         * reference taken for reading the body was dropped by the content
         * phase, which got NGX_DONE from the handler.
         */
        r->write_event_handler = ngx_http_freshdesk_resume;
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/* the write event handler of the request while its REST request runs */

static void
ngx_http_freshdesk_resume(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_freshdesk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    if (ctx == NULL || ctx->waiting || ctx->quota.busy) {
        /* woken early: a try or the wait before the next one runs */
        return;
    }

    rc = ngx_http_freshdesk_call_finish(r, ctx);

    if (rc == NGX_DONE) {
        /* another try: waits here again */
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
}


/* the body as one piece: memory buffers joined, temp file parts read */

static ngx_int_t
ngx_http_freshdesk_join_body(ngx_http_request_t *r, size_t max,
    ngx_str_t *body)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if (len > (off_t) max) {
        return NGX_DECLINED;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, (size_t) len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {

            /* a chunked body ends in an empty buffer, pos NULL */

            if (b->last != b->pos) {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }

            continue;
        }

        n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                          b->file_pos);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          ngx_read_file_n " returned only %z bytes "
                          "of the request body", n);
            return NGX_ERROR;
        }

        p += n;
    }

    body->len = p - body->data;

    return NGX_OK;
}
