
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The REST subrequest.  One request to Freshdesk is a subrequest of
 * the client's request, to the location named by freshdesk_upstream (an
 * ordinary proxy_pass location, so keepalive, TLS verification and
 * timeouts are nginx's own), with the call's method and body instead of
 * the client's.  This module's filters, the first of the chain, capture
 * the subrequest's response whole in memory (growing with the data,
 * within freshdesk_max_response_size); nothing of it reaches the client.
 *
 * The client's request is never touched: what the server level does to it
 * (auth_request, mirror, limit_req, allow/deny, ...) happens once, to
 * /mcp; nginx skips the access phase, mirror and limit_req for
 * subrequests.
 *
 * When a try is done, nginx wakes the client's request, whose write
 * handler (handler.c) asks the MCP code for the answer; nothing here calls
 * back up.  A read that failed may be tried again (freshdesk_retry) after
 * a timer: ngx_http_freshdesk_subrequest_retry_delay() says whether and
 * when, ngx_http_freshdesk_subrequest_retry() waits and starts the next try.
 */


#include "ngx_http_freshdesk_subrequest.h"
#include "ngx_http_freshdesk_response.h"
#include "ngx_http_freshdesk_buffer.h"


#define FD_RETRY_BACKOFF  100    /* ms before the second try after a 5xx */

/* room in the REST request's header list: ours, and a few for others */
#define FD_SUBREQUEST_HEADERS  8


static ngx_int_t ngx_http_freshdesk_subrequest_headers(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_headers_in_t *hin);
static ngx_table_elt_t *ngx_http_freshdesk_subrequest_header(
    ngx_http_headers_in_t *hin, ngx_str_t *key, ngx_str_t *value);
static ngx_int_t ngx_http_freshdesk_post_subrequest(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_http_freshdesk_ctx_t *ngx_http_freshdesk_sub_ctx(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_freshdesk_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_freshdesk_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_buf_t *ngx_http_freshdesk_capture(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, u_char *data, size_t len);
static void ngx_http_freshdesk_retry_handler(ngx_event_t *ev);
static void ngx_http_freshdesk_retry_cleanup(void *data);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_freshdesk_capture_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_freshdesk_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_freshdesk_body_filter;

    return NGX_OK;
}


/* the ctx of the client's request, from it or from one of its subrequests */

ngx_http_freshdesk_ctx_t *
ngx_http_freshdesk_get_ctx(ngx_http_request_t *r)
{
    return ngx_http_get_module_ctx(r->main, ngx_http_freshdesk_module);
}


/*
 * Is r a REST request of ours?  Its post_subrequest says so, and, unlike a
 * module ctx, survives an internal redirect of the subrequest (an
 * error_page or X-Accel-Redirect in the upstream location): the capture
 * goes on, and nothing of it leaks into the client's response.
 */

static ngx_http_freshdesk_ctx_t *
ngx_http_freshdesk_sub_ctx(ngx_http_request_t *r)
{
    if (r == r->main || r->post_subrequest == NULL
        || r->post_subrequest->handler != ngx_http_freshdesk_post_subrequest)
    {
        return NULL;
    }

    return r->post_subrequest->data;
}


ngx_uint_t
ngx_http_freshdesk_subrequest_ours(ngx_http_request_t *r)
{
    return ngx_http_freshdesk_sub_ctx(r) != NULL;
}


ngx_int_t
ngx_http_freshdesk_subrequest_start(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    u_char                         *p;
    ngx_str_t                       uri, *args;
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl;
    ngx_http_request_t             *sr;
    ngx_http_headers_in_t          *hin;
    ngx_http_request_body_t        *rb;
    ngx_http_post_subrequest_t     *ps;
    ngx_http_freshdesk_call_t      *call;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    call = &ctx->call;

    /* everything that can fail comes before the subrequest exists */

    uri.len = flcf->upstream.len + call->uri.len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(uri.data, flcf->upstream.data, flcf->upstream.len);
    ngx_memcpy(p, call->uri.data, call->uri.len);

    args = call->args.len ? &call->args : NULL;

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_freshdesk_post_subrequest;
    ps->data = ctx;

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    if (call->has_body && call->body.len) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->pos = call->body.data;
        b->last = call->body.data + call->body.len;
        b->memory = 1;
        b->last_buf = 1;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        cl->next = NULL;
        rb->bufs = cl;
    }

    hin = ngx_palloc(r->pool, sizeof(ngx_http_headers_in_t));
    if (hin == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_freshdesk_subrequest_headers(r, ctx, hin) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a new try starts clean */

    call->out = NULL;
    call->last_out = &call->out;
    call->size = 0;
    call->status = 0;
    call->rc = 0;
    ngx_str_null(&call->link);
    ngx_str_null(&call->retry_after);
    ngx_str_null(&call->request_id);
    ngx_str_null(&call->rate_total);
    ngx_str_null(&call->rate_remaining);
    ngx_str_null(&call->rate_used);
    call->header = 0;
    call->complete = 0;
    call->done = 0;
    call->sent = 0;
    call->too_big = 0;

    ctx->max = flcf->max_response;
    ctx->size_hint = 0;
    ctx->last = NULL;

    if (ngx_http_subrequest(r, &uri, args, &sr, ps, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->sr = sr;

    /*
     * A subrequest is a GET that inherits the client's body and headers:
     * give it the call's method, body (or none) and headers of its own,
     * so neither the JSON-RPC text nor any header of the client (its
     * bearer token, cookies, ...) travels upstream, whatever the internal
     * location says.  The list was built with a single part: its "last"
     * must point into the subrequest's own copy.
     */

    sr->method = call->method;
    sr->method_name = call->method_name;
    sr->header_only = 0;
    sr->request_body = rb;
    sr->headers_in = *hin;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;

    if (ctx->tries++ == 0) {
        ctx->started = ngx_current_msec;
    }

    ctx->try_started = ngx_current_msec;
    ctx->waiting = 1;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "freshdesk upstream: try %ui %V \"%V?%V\"",
                   ctx->tries, &call->method_name, &uri, &call->args);

    return NGX_OK;
}


/*
 * The REST request's headers, all of them, as lua-nginx-module gives its
 * captures a list of their own: the tenant's Basic authorization, Accept,
 * a User-Agent naming the module, and Content-Type and Content-Length
 * when the call has a body.  Nothing of the client's request is copied,
 * and every pointer into the client's headers (host, authorization,
 * cookies, user agent, connection, chunked, ...) is cleared with it.
 * Host is left to proxy_pass ($proxy_host or proxy_set_header Host).
 * The proxy module passes these unless the location says
 * "proxy_pass_request_headers off"; proxy_set_header lines replace them.
 * Built on r->pool before the subrequest exists, so nothing can fail
 * after it does.
 */

static ngx_int_t
ngx_http_freshdesk_subrequest_headers(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_headers_in_t *hin)
{
    ngx_str_t                   value;
    ngx_table_elt_t            *h;
    ngx_http_freshdesk_call_t  *call;

    static ngx_str_t  authorization = ngx_string("Authorization");
    static ngx_str_t  accept = ngx_string("Accept");
    static ngx_str_t  user_agent = ngx_string("User-Agent");
    static ngx_str_t  content_type = ngx_string("Content-Type");
    static ngx_str_t  content_length = ngx_string("Content-Length");
    static ngx_str_t  json = ngx_string("application/json");
    static ngx_str_t  agent = ngx_string(NGX_HTTP_FRESHDESK_NAME "/"
                                         NGX_HTTP_FRESHDESK_VERSION);

    call = &ctx->call;

    ngx_memzero(hin, sizeof(ngx_http_headers_in_t));

    hin->content_length_n = -1;
    hin->keep_alive_n = -1;

    if (ngx_list_init(&hin->headers, r->pool, FD_SUBREQUEST_HEADERS,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (nginx_version < 1023000)

    /* arrays before nginx 1.23, pushed to by header handlers */

    if (ngx_array_init(&hin->cookies, r->pool, 1, sizeof(ngx_table_elt_t *))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (NGX_HTTP_X_FORWARDED_FOR)
    if (ngx_array_init(&hin->x_forwarded_for, r->pool, 1,
                       sizeof(ngx_table_elt_t *))
        != NGX_OK)
    {
        return NGX_ERROR;
    }
#endif

#endif

    /* the key: only ever here, computed for this call (call.c) */

    h = ngx_http_freshdesk_subrequest_header(hin, &authorization,
                                             &ctx->authorization);
    if (h == NULL) {
        return NGX_ERROR;
    }

    hin->authorization = h;

    h = ngx_http_freshdesk_subrequest_header(hin, &accept, &json);
    if (h == NULL) {
        return NGX_ERROR;
    }

#if (NGX_HTTP_HEADERS)
    hin->accept = h;
#endif

    h = ngx_http_freshdesk_subrequest_header(hin, &user_agent, &agent);
    if (h == NULL) {
        return NGX_ERROR;
    }

    hin->user_agent = h;

    if (!call->has_body) {
        return NGX_OK;
    }

    h = ngx_http_freshdesk_subrequest_header(hin, &content_type, &json);
    if (h == NULL) {
        return NGX_ERROR;
    }

    hin->content_type = h;

    value.data = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "%O", (off_t) call->body.len)
                - value.data;

    h = ngx_http_freshdesk_subrequest_header(hin, &content_length, &value);
    if (h == NULL) {
        return NGX_ERROR;
    }

    hin->content_length = h;
    hin->content_length_n = (off_t) call->body.len;

    return NGX_OK;
}


/* one header of the REST request; key and value outlive the request */

static ngx_table_elt_t *
ngx_http_freshdesk_subrequest_header(ngx_http_headers_in_t *hin,
    ngx_str_t *key, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&hin->headers);
    if (h == NULL) {
        return NULL;
    }

    h->key = *key;
    h->value = *value;

    h->lowcase_key = ngx_pnalloc(hin->headers.pool, key->len);
    if (h->lowcase_key == NULL) {
        return NULL;
    }

    ngx_strlow(h->lowcase_key, key->data, key->len);
    h->hash = ngx_hash_key(h->lowcase_key, key->len);

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


static ngx_int_t
ngx_http_freshdesk_post_subrequest(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_freshdesk_ctx_t     *ctx = data;

    ngx_http_upstream_t          *u;
    ngx_http_freshdesk_call_t    *call;

    ngx_http_freshdesk_header_t   h[] = {
        ngx_http_freshdesk_header("link"),
        ngx_http_freshdesk_header("retry-after"),
        ngx_http_freshdesk_header("x-request-id"),
        ngx_http_freshdesk_header("x-ratelimit-total"),
        ngx_http_freshdesk_header("x-ratelimit-remaining"),
        ngx_http_freshdesk_header("x-ratelimit-used-currentrequest")
    };

    call = &ctx->call;

    if (call->done) {
        /* finalization may call this more than once */
        return NGX_OK;
    }

    call->done = 1;
    call->rc = rc;
    (void) ngx_http_freshdesk_subrequest_sent(ctx);

    u = sr->upstream;

    if (!call->header && u && rc >= NGX_HTTP_SPECIAL_RESPONSE
        && (ngx_int_t) u->headers_in.status_n == rc)
    {
        /* Freshdesk's error, intercepted (proxy_intercept_errors): no body */
        call->status = rc;
        call->header = 1;
        call->complete = 1;

    } else if (!call->header) {
        /* no response header: the upstream module's error code says why */
        call->status = (rc >= NGX_HTTP_SPECIAL_RESPONSE) ? rc : 0;
        call->complete = 0;
    }

    if (rc == NGX_ERROR
        || (rc >= NGX_HTTP_SPECIAL_RESPONSE && call->header
            && call->status != rc))
    {
        /* the header came, the body broke off */
        call->complete = 0;
    }

    ngx_http_freshdesk_list_headers(&sr->headers_out.headers, 0, h,
                                    sizeof(h) / sizeof(h[0]));

    call->link = h[0].value;
    call->retry_after = h[1].value;
    call->request_id = h[2].value;
    call->rate_total = h[3].value;
    call->rate_remaining = h[4].value;
    call->rate_used = h[5].value;

    ctx->upstream_time += ngx_current_msec - ctx->try_started;
    ctx->waiting = 0;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "freshdesk upstream done: rc:%i status:%i size:%uz",
                   rc, call->status, call->size);

    /*
     * Whatever happened upstream is reported to the agent as a tool
     * result: never let nginx render an error page or end the client
     * connection because of it.  nginx wakes the client's request next.
     */

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_header_filter(ngx_http_request_t *r)
{
    ngx_http_freshdesk_ctx_t  *ctx;

    ctx = ngx_http_freshdesk_sub_ctx(r);

    if (ctx == NULL) {
        return ngx_http_next_header_filter(r);
    }

    /* file buffers (proxy temp files) must reach us as memory */

    r->filter_need_in_memory = 1;

    ctx->call.status = r->headers_out.status;
    ctx->call.header = 1;
    ctx->call.complete = 0;

    /* a known length: one buffer for the whole body, nothing to join */

    if (r->headers_out.content_length_n > 0
        && r->headers_out.content_length_n <= (off_t) ctx->max)
    {
        ctx->size_hint = (size_t) r->headers_out.content_length_n;
    }

    /* the core header filter sends nothing for a subrequest */

    return ngx_http_next_header_filter(r);
}


/*
 * Appends to the captured body: into the room left in the last buffer, or
 * a new buffer sized for the whole body when its length is known (so the
 * usual case is one buffer), else for at least 16k and doubling the room.
 */

static ngx_buf_t *
ngx_http_freshdesk_capture(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, u_char *data, size_t len)
{
    size_t                      size;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_http_freshdesk_call_t  *call;

    call = &ctx->call;
    b = ctx->last;

    if (b == NULL || (size_t) (b->end - b->last) < len) {

        /* no length known: each new buffer as large as all before it */

        size = ngx_max(ngx_max(len, 16384), call->size);

        if (ctx->size_hint > call->size + len) {
            size = ctx->size_hint - call->size;
        }

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NULL;
        }

        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NULL;
        }

        b->start = ngx_http_freshdesk_buffer(r, size);
        if (b->start == NULL) {
            return NULL;
        }

        b->pos = b->start;
        b->last = b->start;
        b->end = b->start + size;
        b->temporary = 1;

        cl->buf = b;
        cl->next = NULL;

        *call->last_out = cl;
        call->last_out = &cl->next;
    }

    b->last = ngx_cpymem(b->last, data, len);
    call->size += len;

    return b;
}


static ngx_int_t
ngx_http_freshdesk_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    u_char                     *data;
    size_t                      len;
    ssize_t                     n;
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_http_freshdesk_ctx_t   *ctx;
    ngx_http_freshdesk_call_t  *call;

    ctx = ngx_http_freshdesk_sub_ctx(r);

    if (ctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    call = &ctx->call;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        data = b->pos;
        len = b->last - b->pos;

        if (b->in_file && !ngx_buf_in_memory(b)) {

            /*
             * The copy filter runs before this one and reads file buffers
             * into memory (filter_need_in_memory); should one still come,
             * read it here rather than lose it.
             */

            len = (size_t) (b->file_last - b->file_pos);

            if (len && !call->too_big && call->size + len <= ctx->max) {
                data = ngx_pnalloc(r->pool, len);
                if (data == NULL) {
                    return NGX_ERROR;
                }

                n = ngx_read_file(b->file, data, len, b->file_pos);
                if (n != (ssize_t) len) {
                    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                                  "freshdesk: short read of an upstream "
                                  "temp file");
                    return NGX_ERROR;
                }
            }
        }

        if (len && !call->too_big) {

            if (call->size + len > ctx->max) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "freshdesk: upstream response larger than "
                              "freshdesk_max_response_size %uz",
                              ctx->max);
                call->too_big = 1;

            } else {
                ctx->last = ngx_http_freshdesk_capture(r, ctx, data, len);
                if (ctx->last == NULL) {
                    return NGX_ERROR;
                }
            }
        }

        /* consumed: the upstream module may reuse the buffer */

        b->pos = b->last;

        if (b->in_file) {
            b->file_pos = b->file_last;
        }

        if (b->last_buf || b->last_in_chain) {
            call->complete = 1;
        }
    }

    /* nothing goes on down the chain: the client never sees it */

    return NGX_OK;
}


/*
 * Did the try's request leave for Freshdesk?  Not when the connection
 * failed, nor when the client went away before it could be sent.
 */

ngx_uint_t
ngx_http_freshdesk_subrequest_sent(ngx_http_freshdesk_ctx_t *ctx)
{
    ctx->call.sent = ctx->call.sent
                     || (ctx->sr && ctx->sr->upstream
                         && ctx->sr->upstream->request_sent);

    return ctx->call.sent;
}


/* the captured body as one piece */

ngx_int_t
ngx_http_freshdesk_subrequest_body(ngx_http_request_t *r,
    ngx_http_freshdesk_call_t *call, ngx_str_t *body)
{
    u_char       *p;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (call->out == NULL) {
        return NGX_OK;
    }

    if (call->out->next == NULL) {
        body->data = call->out->buf->pos;
        body->len = call->out->buf->last - call->out->buf->pos;
        return NGX_OK;
    }

    /* a body of unknown length, in pieces: joined in a kept buffer */

    p = ngx_http_freshdesk_buffer(r, call->size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    for (cl = call->out; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    body->len = p - body->data;

    return NGX_OK;
}


/*
 * Whether the try that just ended may be made again, and after how long
 * (freshdesk_retry): reads only (GET), when Freshdesk answered 429 with a
 * Retry-After within the wait, or 502, 503, 504, or no complete response
 * came (connection refused or reset, timeout); within the tries and the
 * deadline.  Writes are never tried again: Freshdesk may have done them.
 */

ngx_int_t
ngx_http_freshdesk_subrequest_retry_delay(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_msec_t *delay)
{
    ngx_int_t                       secs;
    ngx_msec_t                      d, elapsed;
    ngx_http_freshdesk_call_t      *call;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    call = &ctx->call;

    if (ctx->tries >= flcf->retry_tries
        || call->method != NGX_HTTP_GET
        || call->too_big
        || (!call->header && call->rc == NGX_HTTP_INTERNAL_SERVER_ERROR))
    {
        /* off, the last try, a write, or the gateway's own failure */
        return NGX_DECLINED;
    }

    if (call->status == NGX_HTTP_TOO_MANY_REQUESTS && call->header) {
        secs = call->retry_after.len
               ? ngx_atoi(call->retry_after.data, call->retry_after.len)
               : NGX_ERROR;

        if (secs == NGX_ERROR || (ngx_msec_t) secs * 1000 > flcf->retry_wait)
        {
            /* no usable Retry-After, or longer than we wait */
            return NGX_DECLINED;
        }

        d = (ngx_msec_t) secs * 1000;

    } else if (!call->header || !call->complete
               || call->status == NGX_HTTP_BAD_GATEWAY
               || call->status == NGX_HTTP_SERVICE_UNAVAILABLE
               || call->status == NGX_HTTP_GATEWAY_TIME_OUT)
    {
        /* 100 ms, 200 ms, 400 ms, ... within the wait */

        d = FD_RETRY_BACKOFF << ngx_min(ctx->tries - 1, 10);
        d = ngx_min(d, flcf->retry_wait);

    } else {
        return NGX_DECLINED;
    }

    elapsed = ngx_current_msec - ctx->started;

    if (elapsed + d >= flcf->retry_deadline) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: no further try: freshdesk_retry deadline "
                      "of %M ms would pass", flcf->retry_deadline);
        return NGX_DECLINED;
    }

    *delay = d;

    return NGX_OK;
}


/* waits, then makes the next try; the client's request waits meanwhile */

ngx_int_t
ngx_http_freshdesk_subrequest_retry(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_msec_t delay)
{
    ngx_event_t         *ev;
    ngx_pool_cleanup_t  *cln;

    ev = ctx->retry;

    if (ev == NULL) {
        ev = ngx_pcalloc(r->pool, sizeof(ngx_event_t));
        if (ev == NULL) {
            return NGX_ERROR;
        }

        /* a request ended early (client gone) takes its timer with it */

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_freshdesk_retry_cleanup;
        cln->data = ev;

        ev->handler = ngx_http_freshdesk_retry_handler;
        ev->data = r;
        ev->log = r->connection->log;

        ctx->retry = ev;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "freshdesk: upstream answered %i to try %ui of %ui, "
                  "trying again in %M ms", ctx->call.status, ctx->tries,
                  ((ngx_http_freshdesk_loc_conf_t *)
                   ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module))
                  ->retry_tries, delay);

    ctx->waiting = 1;

    ngx_add_timer(ev, delay);

    return NGX_OK;
}


static void
ngx_http_freshdesk_retry_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_freshdesk_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_freshdesk_get_ctx(r);

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "freshdesk upstream: retry timer");

    if (ngx_http_freshdesk_subrequest_start(r, ctx) != NGX_OK) {

        /* answered as "no response": the previous try's result is gone */

        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "freshdesk: could not start the next try");

        ctx->call.header = 0;
        ctx->call.rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ctx->waiting = 0;

        if (ngx_http_post_request(r, NULL) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_freshdesk_retry_cleanup(void *data)
{
    ngx_event_t  *ev = data;

    if (ev->timer_set) {
        ngx_del_timer(ev);
    }
}
