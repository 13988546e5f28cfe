
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Large buffers (a captured upstream body, its escaped text) kept by the
 * worker from one request to the next.  Memory that large comes fresh from
 * the kernel each time (glibc maps it, or trims and regrows its heap) and
 * every 4k page of it then costs a page fault on first touch: for a 500 KB
 * list, more time than all the module's own work.  A buffer is lent to a
 * request and comes back when the request's pool is destroyed; at most
 * freshdesk_buffer_cache bytes of them are kept, the rest freed at once.
 */


#include "ngx_http_freshdesk_buffer.h"


/* smaller buffers come from the request's pool, as any other memory */
#define NGX_HTTP_FRESHDESK_BUFFER_MIN  (64 * 1024)


struct ngx_http_freshdesk_buffer_s {
    ngx_http_freshdesk_buffer_t   *next;
    ngx_http_freshdesk_buffers_t  *cache;
    size_t                         size;    /* of the data after the header */
};


static void ngx_http_freshdesk_buffer_release(void *data);


u_char *
ngx_http_freshdesk_buffer(ngx_http_request_t *r, size_t size)
{
    size_t                           have;
    ngx_pool_cleanup_t              *cln;
    ngx_http_freshdesk_buffer_t     *b, **bp, **best;
    ngx_http_freshdesk_buffers_t    *cache;
    ngx_http_freshdesk_main_conf_t  *fmcf;

    if (size < NGX_HTTP_FRESHDESK_BUFFER_MIN) {
        return ngx_pnalloc(r->pool, size);
    }

    fmcf = ngx_http_get_module_main_conf(r, ngx_http_freshdesk_module);
    cache = &fmcf->buffers;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    /* the smallest kept buffer that is large enough */

    best = NULL;

    for (bp = &cache->free; *bp; bp = &(*bp)->next) {
        have = (*bp)->size;

        if (have >= size && (best == NULL || have < (*best)->size)) {
            best = bp;
        }
    }

    if (best) {
        b = *best;
        *best = b->next;
        cache->kept -= b->size;

    } else {
        /* rounded up, so that a later, slightly larger body fits too */

        size = ngx_align(size, NGX_HTTP_FRESHDESK_BUFFER_MIN);

        b = ngx_alloc(sizeof(ngx_http_freshdesk_buffer_t) + size,
                      r->connection->log);
        if (b == NULL) {
            return NULL;
        }

        b->cache = cache;
        b->size = size;
    }

    cln->handler = ngx_http_freshdesk_buffer_release;
    cln->data = b;

    return (u_char *) (b + 1);
}


static void
ngx_http_freshdesk_buffer_release(void *data)
{
    ngx_http_freshdesk_buffer_t  *b = data;

    ngx_http_freshdesk_buffers_t  *cache;

    cache = b->cache;

    if (cache->kept + b->size > cache->max) {
        ngx_free(b);
        return;
    }

    b->next = cache->free;
    cache->free = b;
    cache->kept += b->size;
}


/* at worker exit: no leak reports from memory checkers */

void
ngx_http_freshdesk_buffers_free(ngx_http_freshdesk_buffers_t *cache)
{
    ngx_http_freshdesk_buffer_t  *b, *next;

    for (b = cache->free; b; b = next) {
        next = b->next;
        ngx_free(b);
    }

    cache->free = NULL;
    cache->kept = 0;
}
