
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The account guard's store: one credit budget per Freshdesk account, in
 * the quota zone's shared memory.  Called by the quota front door.
 */


#ifndef _NGX_HTTP_FRESHDESK_GUARD_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_GUARD_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_state.h"


/* endpoint classes with sub-limits of their own */
#define NGX_HTTP_FRESHDESK_GUARD_LIST_TICKETS   0
#define NGX_HTTP_FRESHDESK_GUARD_LIST_CONTACTS  1
#define NGX_HTTP_FRESHDESK_GUARD_CREATE_TICKET  2
#define NGX_HTTP_FRESHDESK_GUARD_UPDATE_TICKET  3
#define NGX_HTTP_FRESHDESK_GUARD_CLASSES        4
#define NGX_HTTP_FRESHDESK_GUARD_NONE           4

/* why a call finds no credit */
#define NGX_HTTP_FRESHDESK_GUARD_CREDIT         1   /* the account's */
#define NGX_HTTP_FRESHDESK_GUARD_CLASS          2   /* a sub-limit */
#define NGX_HTTP_FRESHDESK_GUARD_PAUSE          3   /* after a 429 */
#define NGX_HTTP_FRESHDESK_GUARD_FULL           4   /* no zone memory */

#define NGX_HTTP_FRESHDESK_GUARD_TENANTS        32  /* shares kept */


/* freshdesk_account_guard: a location's account budget */
typedef struct {
    ngx_http_complex_value_t           *account;
    ngx_http_complex_value_t           *weight;
    ngx_int_t                           rate;        /* credits a window */
    ngx_msec_t                          window;      /* 60 s or 1 h */
    ngx_int_t                           headroom;    /* percent */
    ngx_str_t                           script;      /* the three, for Redis */
    ngx_msec_t                          wait;
    ngx_int_t                           sub[NGX_HTTP_FRESHDESK_GUARD_CLASSES];
    ngx_uint_t                          plan;
} ngx_http_freshdesk_guard_conf_t;


/* a call's question to the guard */
typedef struct {
    ngx_str_t                           account;     /* at most 255 bytes */
    ngx_str_t                           tenant;
    ngx_uint_t                          weight;      /* 1 .. 1000 */
    ngx_uint_t                          cost;        /* credits, estimated */
    ngx_uint_t                          cls;
    ngx_http_freshdesk_guard_conf_t    *conf;
    uint32_t                            seq;         /* its admission's */
    unsigned                            dry_run:1;
} ngx_http_freshdesk_guard_ask_t;


typedef struct {
    ngx_uint_t                          refuse;      /* 0: a credit taken */
    ngx_int_t                           remaining;   /* the account's */
    ngx_int_t                           limit;
    ngx_int_t                           sub;         /* the class's limit */
    ngx_msec_t                          retry;       /* when one may free */
} ngx_http_freshdesk_guard_result_t;


/* what Freshdesk answered a call the guard admitted */
typedef struct {
    ngx_int_t                           status;      /* 0: never sent */
    ngx_int_t                           total;       /* -1: not said */
    ngx_int_t                           remaining;
    ngx_int_t                           used;
    ngx_int_t                           retry_after; /* seconds, 429 */
} ngx_http_freshdesk_guard_answer_t;


/* the configuration's plan table, rate, window, sub-limits */
char *ngx_http_freshdesk_guard_conf(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t n, ngx_http_freshdesk_guard_conf_t **gcfp);

/* the class and credits of a REST request: method, path, query */
void ngx_http_freshdesk_guard_classify(ngx_uint_t method, ngx_str_t *path,
    ngx_str_t *args, ngx_uint_t *cls, ngx_uint_t *cost);

void ngx_http_freshdesk_guard_take(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask,
    ngx_http_freshdesk_guard_result_t *res);

/* a credit taken but not used (the tenant's quota refused the call) */
void ngx_http_freshdesk_guard_release(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask);

/* Freshdesk's answer: the budget resynced, a 429 pauses the account */
void ngx_http_freshdesk_guard_answer(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask,
    ngx_http_freshdesk_guard_answer_t *ans,
    ngx_http_freshdesk_guard_result_t *res);

/*
 * With Redis (freshdesk_quota_redis): the budget is decided there; the
 * sub-limit of the call's class at the limit last learned, and what
 * Redis said, mirrored here (the status page, and the fallback's start)
 */
ngx_int_t ngx_http_freshdesk_guard_redis_sub(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_http_freshdesk_guard_ask_t *ask);
void ngx_http_freshdesk_guard_redis_mirror(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_http_freshdesk_guard_ask_t *ask,
    ngx_http_freshdesk_guard_result_t *res);

/* the counters of a call that waited or was refused */
void ngx_http_freshdesk_guard_count(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask, ngx_uint_t waited,
    ngx_uint_t refused);

/* the status page: a snapshot of the zone's accounts */
typedef struct {
    u_char                              len;
    u_char                              name[47];
    ngx_uint_t                          weight;
    ngx_uint_t                          used;
    time_t                              idle;
    ngx_uint_t                          waited;
    ngx_uint_t                          refused;
} ngx_http_freshdesk_guard_share_t;

typedef struct {
    ngx_str_t                           account;
    ngx_int_t                           limit;
    ngx_int_t                           remaining;
    ngx_int_t                           in_flight;
    ngx_int_t                           used;
    ngx_msec_t                          window_ms;
    ngx_msec_t                          paused_ms;
    ngx_uint_t                          upstream_429;
    ngx_uint_t                          cls[NGX_HTTP_FRESHDESK_GUARD_CLASSES];
    ngx_uint_t                          ntenants;
    ngx_http_freshdesk_guard_share_t
                          tenants[NGX_HTTP_FRESHDESK_GUARD_TENANTS];
} ngx_http_freshdesk_guard_row_t;

/*
 * The state file's account lines (state.c's format), under the zone's
 * lock: the bytes they may take, written, and one read back into the zone
 * at start (NGX_OK: with a pause still in force; NGX_DECLINED: the limit
 * alone; NGX_ERROR: no zone memory)
 */
size_t ngx_http_freshdesk_guard_state_size(
    ngx_http_freshdesk_quota_ctx_t *qctx);
u_char *ngx_http_freshdesk_guard_state_save(
    ngx_http_freshdesk_quota_ctx_t *qctx, u_char *p);
ngx_int_t ngx_http_freshdesk_guard_state_restore(
    ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_state_rec_t *rec);

ngx_int_t ngx_http_freshdesk_guard_rows(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_pool_t *pool, ngx_array_t *rows);
const char *ngx_http_freshdesk_guard_class_name(ngx_uint_t cls);


#endif /* _NGX_HTTP_FRESHDESK_GUARD_H_INCLUDED_ */
