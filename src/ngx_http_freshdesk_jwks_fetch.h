
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_JWKS_FETCH_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_JWKS_FETCH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_freshdesk_jwks.h"


/* the zone of one jwks_uri: one JWKS document (64 KB at most) twice */
#define NGX_HTTP_FRESHDESK_JWKS_ZONE_SIZE    (256 * 1024)

/* a fetch that has not ended by then is taken as lost (its worker died) */
#define NGX_HTTP_FRESHDESK_JWKS_FETCH_LOST   60000


/* in the zone: the last good JWKS text and its generation */
typedef struct {
    ngx_atomic_t                   generation;   /* 0: none yet */
    ngx_msec_t                     fetched;      /* the last good fetch */
    ngx_msec_t                     attempted;    /* the last fetch started */
    ngx_msec_t                     started;      /* the one in flight */
    ngx_uint_t                     tried;        /* attempted is set */
    ngx_uint_t                     fetching;
    ngx_uint_t                     fetches;      /* started, ever */
    ngx_uint_t                     failures;     /* in a row */
    size_t                         len;
    u_char                        *text;         /* slab */
} ngx_http_freshdesk_jwks_sh_t;


/* freshdesk_oauth_jwks_uri: one per location URI, shared by locations */
typedef struct {
    ngx_str_t                      uri;          /* the internal location */
    ngx_msec_t                     ttl;
    ngx_msec_t                     refresh;      /* refresh_min */
    ngx_msec_t                     wait;
    ngx_shm_zone_t                *zone;
    ngx_http_freshdesk_jwks_sh_t  *sh;
    ngx_slab_pool_t               *shpool;

    /* this worker's copy, parsed from the zone's text */
    ngx_atomic_uint_t              generation;
    ngx_pool_t                    *pool;
    ngx_http_freshdesk_jwks_t     *jwks;
} ngx_http_freshdesk_jwks_fetch_t;


/* one request's fetch */
typedef struct {
    ngx_http_freshdesk_jwks_fetch_t  *fetch;
    unsigned                       claimed:1;   /* this request fetches */
    unsigned                       done:1;      /* the subrequest ended */
} ngx_http_freshdesk_jwks_fetch_req_t;


/* the directive's arguments (cf->args): uri [ttl=] [refresh_min=] [wait=] */
char *ngx_http_freshdesk_jwks_fetch_conf(ngx_conf_t *cf,
    ngx_http_freshdesk_jwks_fetch_t **fetch);

/*
 * This worker's key set, parsed again when the zone holds a newer
 * generation; NULL before the first good fetch.
 */
ngx_http_freshdesk_jwks_t *ngx_http_freshdesk_jwks_fetch_keys(
    ngx_http_freshdesk_jwks_fetch_t *fetch, ngx_log_t *log);

/* the set is older than ttl (or none yet): a lock-free hint */
ngx_uint_t ngx_http_freshdesk_jwks_fetch_stale(
    ngx_http_freshdesk_jwks_fetch_t *fetch);

/*
 * Claims the fetch for the caller: NGX_OK (start it now), NGX_BUSY (one
 * is in flight, in this worker or another), NGX_DECLINED (the last one
 * started less than refresh_min ago, or now is false and the set is
 * fresh).
 */
ngx_int_t ngx_http_freshdesk_jwks_fetch_claim(
    ngx_http_freshdesk_jwks_fetch_t *fetch, ngx_uint_t now);

/*
 * Starts the subrequest of a claimed fetch (none of the client's
 * headers, no body); r resumes when it ends, with freq->done set.  On
 * NGX_ERROR the claim is released.
 */
ngx_int_t ngx_http_freshdesk_jwks_fetch_start(ngx_http_request_t *r,
    ngx_http_freshdesk_jwks_fetch_req_t *freq);

/* a claimed fetch whose request went away before it ended */
void ngx_http_freshdesk_jwks_fetch_release(
    ngx_http_freshdesk_jwks_fetch_req_t *freq);


#endif /* _NGX_HTTP_FRESHDESK_JWKS_FETCH_H_INCLUDED_ */
