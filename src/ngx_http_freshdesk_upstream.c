
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The subrequest engine: one upstream REST request is a subrequest to the
 * internal location named by freshdesk_upstream (an ordinary proxy_pass
 * location, so keepalive, TLS verification and timeouts are nginx's own).
 * The response body is captured whole in memory by this module's body
 * filter, which runs before the postpone filter, grows with the data and
 * enforces freshdesk_max_response_size; it never reaches the client.
 */


#include "ngx_http_freshdesk_upstream.h"
#include "ngx_http_freshdesk_response.h"
#include "ngx_http_freshdesk_buffer.h"


static ngx_int_t ngx_http_freshdesk_post_subrequest(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_freshdesk_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_freshdesk_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_buf_t *ngx_http_freshdesk_capture(ngx_http_request_t *r,
    ngx_http_freshdesk_sub_ctx_t *sctx, ngx_http_freshdesk_call_t *call,
    u_char *data, size_t len);


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


ngx_int_t
ngx_http_freshdesk_upstream_start(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    u_char                          *p;
    ngx_str_t                        uri, *args;
    ngx_buf_t                       *b;
    ngx_chain_t                     *cl;
    ngx_http_request_t              *sr;
    ngx_http_request_body_t         *rb;
    ngx_http_freshdesk_call_t       *call;
    ngx_http_freshdesk_sub_ctx_t    *sctx;
    ngx_http_post_subrequest_t      *ps;
    ngx_http_freshdesk_loc_conf_t   *flcf;

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

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_freshdesk_post_subrequest;
    ps->data = ctx;

    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_freshdesk_sub_ctx_t));
    if (sctx == NULL) {
        return NGX_ERROR;
    }

    call->last_out = &call->out;
    call->status = 0;
    call->done = 0;

    if (ngx_http_subrequest(r, &uri, args, &sr, ps, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    sctx->parent = ctx;
    sctx->call = call;
    sctx->max = flcf->max_response;

    ngx_http_set_ctx(sr, sctx, ngx_http_freshdesk_module);

    /*
     * A subrequest is a GET that inherits the client's body and headers:
     * give it its own method and body (or none), so the JSON-RPC text never
     * travels upstream.  The internal location must also say
     * "proxy_pass_request_headers off".
     */

    sr->method = call->method;
    sr->method_name = call->method_name;
    sr->header_only = 0;

    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (rb == NULL) {
        return NGX_ERROR;
    }

    sr->request_body = rb;
    sr->headers_in.chunked = 0;
    sr->headers_in.content_length = NULL;
    sr->headers_in.content_type = NULL;
    sr->headers_in.content_length_n = -1;

    if (call->has_body) {
        sr->headers_in.content_length_n = call->body.len;

        if (call->body.len) {
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
    }

    ctx->pending++;
    ctx->waiting = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "freshdesk upstream: %V \"%V?%V\"",
                   &call->method_name, &uri, &call->args);

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_post_subrequest(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_freshdesk_ctx_t     *ctx = data;

    ngx_http_freshdesk_call_t    *call;

    ngx_http_freshdesk_header_t   h[] = {
        ngx_http_freshdesk_header("link"),
        ngx_http_freshdesk_header("retry-after"),
        ngx_http_freshdesk_header("x-request-id")
    };

    call = &ctx->call;

    if (call->done) {
        /* finalization may call this more than once */
        return NGX_OK;
    }

    call->done = 1;
    call->rc = rc;
    call->status = sr->headers_out.status;

    if (call->status == 0) {
        /* no response header: the upstream module's error code says why */
        call->status = (rc >= NGX_HTTP_SPECIAL_RESPONSE) ? rc : 0;
        call->complete = 0;
    }

    if (rc == NGX_ERROR || (rc >= NGX_HTTP_SPECIAL_RESPONSE
                            && sr->headers_out.status < 300))
    {
        /* the header came, the body broke off */
        call->complete = 0;
    }

    ngx_http_freshdesk_list_headers(&sr->headers_out.headers, 0, h,
                                    sizeof(h) / sizeof(h[0]));

    call->link = h[0].value;
    call->retry_after = h[1].value;
    call->request_id = h[2].value;

    if (ctx->pending) {
        ctx->pending--;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "freshdesk upstream done: rc:%i status:%i size:%uz",
                   rc, call->status, call->size);

    /*
     * Whatever happened upstream is reported to the agent as a tool
     * result: never let nginx render an error page or end the client
     * connection because of it.
     */

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_header_filter(ngx_http_request_t *r)
{
    ngx_http_freshdesk_sub_ctx_t  *sctx;

    if (r == r->main) {
        return ngx_http_next_header_filter(r);
    }

    sctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);
    if (sctx == NULL) {
        return ngx_http_next_header_filter(r);
    }

    /* file buffers (proxy temp files) must reach us as memory */

    r->filter_need_in_memory = 1;

    sctx->call->status = r->headers_out.status;
    sctx->call->header = 1;
    sctx->call->complete = 0;

    /* a known length: one buffer for the whole body, nothing to join */

    if (r->headers_out.content_length_n > 0
        && r->headers_out.content_length_n <= (off_t) sctx->max)
    {
        sctx->size_hint = (size_t) r->headers_out.content_length_n;
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
    ngx_http_freshdesk_sub_ctx_t *sctx, ngx_http_freshdesk_call_t *call,
    u_char *data, size_t len)
{
    size_t        size;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = sctx->last;

    if (b == NULL || (size_t) (b->end - b->last) < len) {

        /* no length known: each new buffer as large as all before it */

        size = ngx_max(ngx_max(len, 16384), call->size);

        if (sctx->size_hint > call->size + len) {
            size = sctx->size_hint - call->size;
        }

        cl = ngx_alloc_chain_link(r->main->pool);
        if (cl == NULL) {
            return NULL;
        }

        b = ngx_calloc_buf(r->main->pool);
        if (b == NULL) {
            return NULL;
        }

        b->start = ngx_http_freshdesk_buffer(r->main, size);
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
    u_char                         *data;
    size_t                          len;
    ssize_t                         n;
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl;
    ngx_http_freshdesk_call_t      *call;
    ngx_http_freshdesk_sub_ctx_t   *sctx;

    if (r == r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    sctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);
    if (sctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    call = sctx->call;

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

            if (len && !call->too_big && call->size + len <= sctx->max) {
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

            if (call->size + len > sctx->max) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "freshdesk: upstream response larger than "
                              "freshdesk_max_response_size %uz",
                              sctx->max);
                call->too_big = 1;

            } else {
                sctx->last = ngx_http_freshdesk_capture(r, sctx, call, data,
                                                        len);
                if (sctx->last == NULL) {
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
