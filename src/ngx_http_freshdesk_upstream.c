
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The upstream engine.  For one tool call, the client's request itself
 * becomes the REST request: its method, URI and body are set to the
 * call's, and it is redirected internally to the location named by
 * freshdesk_upstream (an ordinary proxy_pass location, so keepalive, TLS
 * verification and timeouts are nginx's own).  This module's filters, the
 * first of the chain, hold back the response header and capture the body
 * whole in memory (growing with the data, within
 * freshdesk_max_response_size); nothing of it reaches the client.  When
 * the body is complete, or when nginx is about to answer with an error
 * page instead, the request is put back as it was (URI, method, location,
 * response headers) and the MCP answer goes out through the rest of the
 * chain.
 *
 * This costs less than a subrequest: no second request object running
 * the phases and the filters again, and nothing to wake the client's
 * request when it is done.
 */


#include "ngx_http_freshdesk_upstream.h"
#include "ngx_http_freshdesk_response.h"
#include "ngx_http_freshdesk_buffer.h"
#include "ngx_http_freshdesk_mcp.h"


static void ngx_http_freshdesk_ctx_keep(void *data);
static ngx_int_t ngx_http_freshdesk_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_freshdesk_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_freshdesk_upstream_finalize(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_freshdesk_answer(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
static ngx_buf_t *ngx_http_freshdesk_capture(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, u_char *data, size_t len);


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


/*
 * The module's ctx of a request.  An internal redirect clears every
 * module's ctx; ours is kept in a pool cleanup (which does nothing) and
 * found there again, as the realip module does.
 */

ngx_http_freshdesk_ctx_t *
ngx_http_freshdesk_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_freshdesk_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    if (ctx != NULL || !r->internal) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_freshdesk_ctx_keep) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_freshdesk_module);
            return ctx;
        }
    }

    return NULL;
}


static void
ngx_http_freshdesk_ctx_keep(void *data)
{
    /* a marker only: the ctx lives in the pool, which goes itself */
}


ngx_int_t
ngx_http_freshdesk_upstream_start(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    u_char                         *p;
    ngx_str_t                       uri, *args;
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl;
    ngx_pool_cleanup_t             *cln;
    ngx_http_request_body_t        *rb;
    ngx_http_freshdesk_call_t      *call;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    call = &ctx->call;

    uri.len = flcf->upstream.len + call->uri.len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(uri.data, flcf->upstream.data, flcf->upstream.len);
    ngx_memcpy(p, call->uri.data, call->uri.len);

    args = call->args.len ? &call->args : NULL;

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

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_freshdesk_ctx_keep;
    cln->data = ctx;

    /* what the answer and the access log need back */

    ctx->saved_uri = r->uri;
    ctx->saved_args = r->args;
    ctx->saved_method = r->method;
    ctx->saved_method_name = r->method_name;
    ctx->saved_loc_conf = r->loc_conf;
    ctx->saved_headers_out = r->headers_out;
    ctx->uri_changes = r->uri_changes - 1;
    ctx->max = flcf->max_response;

    call->last_out = &call->out;
    call->status = 0;

    /*
     * The request gets the call's method and body (or none), so the
     * JSON-RPC text never travels upstream; the internal location must
     * also say "proxy_pass_request_headers off".
     */

    r->method = call->method;
    r->method_name = call->method_name;
    r->request_body = rb;
    r->headers_in.chunked = 0;
    r->headers_in.content_length = NULL;
    r->headers_in.content_type = NULL;
    r->headers_in.content_length_n = call->has_body ? (off_t) call->body.len
                                                    : -1;

    ctx->upstream = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "freshdesk upstream: %V \"%V?%V\"",
                   &call->method_name, &uri, &call->args);

    /* runs the location's phases now; the caller finalizes with NGX_DONE */

    (void) ngx_http_internal_redirect(r, &uri, args);

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_header_filter(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_upstream_t        *u;
    ngx_http_freshdesk_ctx_t   *ctx;
    ngx_http_freshdesk_call_t  *call;

    ngx_http_freshdesk_header_t  h[] = {
        ngx_http_freshdesk_header("link"),
        ngx_http_freshdesk_header("retry-after"),
        ngx_http_freshdesk_header("x-request-id")
    };

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_freshdesk_get_ctx(r);

    if (ctx == NULL || !ctx->upstream) {
        return ngx_http_next_header_filter(r);
    }

    call = &ctx->call;

    if (r->err_status || r->uri_changes != ctx->uri_changes) {

        /*
         * nginx answers with an error page: no response came, or the
         * body broke off (see ngx_http_freshdesk_upstream_finalize)
         */

        if (!call->header) {
            call->status = r->err_status ? (ngx_int_t) r->err_status
                                         : NGX_HTTP_BAD_GATEWAY;
        }

        call->rc = r->err_status ? (ngx_int_t) r->err_status
                                 : NGX_HTTP_BAD_GATEWAY;
        call->complete = 0;

        rc = ngx_http_freshdesk_answer(r, ctx);

        /* the error page's body, which follows, is dropped */

        ctx->swallow = 1;

        return rc;
    }

    /* Freshdesk's response header: held back */

    call->status = r->headers_out.status;
    call->header = 1;
    call->complete = 0;

    ngx_http_freshdesk_list_headers(&r->headers_out.headers, 0, h,
                                    sizeof(h) / sizeof(h[0]));

    call->link = h[0].value;
    call->retry_after = h[1].value;
    call->request_id = h[2].value;

    /* file buffers (proxy temp files) must reach us as memory */

    r->filter_need_in_memory = 1;

    /* a known length: one buffer for the whole body, nothing to join */

    if (r->headers_out.content_length_n > 0
        && r->headers_out.content_length_n <= (off_t) ctx->max)
    {
        ctx->size_hint = (size_t) r->headers_out.content_length_n;
    }

    /* a body that breaks off must still be answered: see below */

    u = r->upstream;

    if (u && u->finalize_request != ngx_http_freshdesk_upstream_finalize) {
        ctx->finalize_request = u->finalize_request;
        u->finalize_request = ngx_http_freshdesk_upstream_finalize;
    }

    return NGX_OK;
}


/*
 * Called by the upstream module when it is done with Freshdesk.  If the
 * body is not complete (timeout, connection reset), the header was
 * already "sent" as far as nginx knows, and nginx would close the client's
 * connection without an answer: marking it not sent makes nginx finalize
 * with the error code instead, which comes to the header filter above as
 * an error page, and is answered as a tool error.
 */

static void
ngx_http_freshdesk_upstream_finalize(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_freshdesk_ctx_t  *ctx;

    ctx = ngx_http_freshdesk_get_ctx(r);

    if (ctx == NULL) {
        return;
    }

    if (ctx->finalize_request) {
        ctx->finalize_request(r, rc);
    }

    if (ctx->upstream && r->upstream && rc >= NGX_HTTP_SPECIAL_RESPONSE)
    {
        r->upstream->header_sent = 0;
    }
}


/* the request as it was, and the MCP answer sent */

static ngx_int_t
ngx_http_freshdesk_answer(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_int_t  rc;

    ctx->upstream = 0;

    r->headers_out = ctx->saved_headers_out;
    r->err_status = 0;
    r->uri = ctx->saved_uri;
    r->args = ctx->saved_args;
    r->method = ctx->saved_method;
    r->method_name = ctx->saved_method_name;
    r->loc_conf = ctx->saved_loc_conf;

    ngx_http_update_location_config(r);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "freshdesk upstream done: rc:%i status:%i size:%uz",
                   ctx->call.rc, ctx->call.status, ctx->call.size);

    rc = ngx_http_freshdesk_mcp_finish(r, ctx);

    if (rc == NGX_OK || rc == NGX_AGAIN) {
        return rc;
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* an HTTP error code of the module's own (out of memory): say so */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "freshdesk: could not answer a tool call (%i)", rc);
    }

    return NGX_ERROR;
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
    ngx_uint_t                  last;
    ngx_chain_t                *cl;
    ngx_http_freshdesk_ctx_t   *ctx;
    ngx_http_freshdesk_call_t  *call;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    if (ctx == NULL || !(ctx->upstream || ctx->swallow)
        || (in == NULL && !ctx->upstream))
    {
        /* not ours, or the answer itself on its way (and its flushes) */
        return ngx_http_next_body_filter(r, in);
    }

    call = &ctx->call;
    last = 0;

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

            if (ctx->upstream && len && !call->too_big
                && call->size + len <= ctx->max)
            {
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

        if (ctx->upstream && len && !call->too_big) {

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

        if (b->last_buf) {
            last = 1;
        }
    }

    if (!ctx->upstream) {
        /* nginx's error page, after the answer: never sent */

        if (last) {
            ctx->swallow = 0;
        }

        return NGX_OK;
    }

    if (last) {
        call->complete = 1;
        call->rc = NGX_OK;
        return ngx_http_freshdesk_answer(r, ctx);
    }

    /* Freshdesk's body: held back until it is whole */

    return NGX_OK;
}


/* the captured body as one piece */

ngx_int_t
ngx_http_freshdesk_upstream_body(ngx_http_request_t *r,
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
