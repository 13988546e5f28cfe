
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The shared-memory quota store: a zone's tenants, exact across the
 * workers of a node.  Called by the quota front door (quota.c); the
 * status page reads its tree.
 */


#ifndef _NGX_HTTP_FRESHDESK_QUOTA_SHM_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_QUOTA_SHM_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_quota_store.h"
#include "ngx_http_freshdesk_redis.h"


/* calls of the last 60 seconds, one bucket per second: 128 bytes */
typedef struct {
    uint32_t                             last;
    uint32_t                             sum;          /* of count[] */
    uint16_t                             count[60];
} ngx_http_freshdesk_quota_window_t;


/*
 * What a tenant owes Redis besides its actions: the calls counted here
 * (for the cluster's minute window) and the doubts.  A slab block of its
 * own, only while the tenant owes any; freed when they are taken to be
 * sent.
 */
typedef struct {
    uint16_t                             calls;        /* owed calls */
    uint16_t                             ndoubt;
    uint32_t                             calls_at;     /* the last */
    ngx_http_freshdesk_quota_doubt_t     doubt[NGX_HTTP_FRESHDESK_QUOTA_DOUBTS];
} ngx_http_freshdesk_quota_owed_more_t;


/* overlays ngx_rbtree_node_t from its color field; 68 bytes + tenant */
typedef struct {
    u_char                               color;
    u_char                               len;
    u_short                              calls_hold;   /* see peek */
    uint32_t                             month;        /* YYYYMM, UTC */
    ngx_queue_t                          queue;        /* LRU of windows */
    ngx_http_freshdesk_quota_window_t   *window;       /* NULL when idle */
    ngx_http_freshdesk_quota_owed_more_t  *owed_more;  /* or NULL */
    uint32_t                             actions;      /* this month */
    uint32_t                             refused;      /* this month */
    uint32_t                             owed;         /* not in Redis */
    uint32_t                             calls_seen;   /* Redis's, last */
    uint32_t                             seen_at;
    uint32_t                             calls_limit;  /* last seen */
    uint32_t                             actions_limit;
    u_char                               data[1];      /* tenant */
} ngx_http_freshdesk_quota_node_t;


typedef struct {
    ngx_rbtree_t                         rbtree;
    ngx_rbtree_node_t                    sentinel;
    ngx_queue_t                          queue;
    ngx_http_freshdesk_redis_stats_t     redis;
    void                                *accounts;     /* guard.c's */
} ngx_http_freshdesk_quota_shctx_t;


/*
 * A quota zone: its configuration (freshdesk_quota_zone, parsed by the
 * front door), the store's shared memory, and the front door's Redis and
 * timers.
 */
typedef struct {
    ngx_http_freshdesk_quota_shctx_t    *sh;
    ngx_slab_pool_t                     *shpool;
    ngx_shm_zone_t                      *shm_zone;
    ngx_str_t                            name;
    ngx_int_t                            calls;
    ngx_int_t                            actions;
    ngx_uint_t                           charge;       /* 1: credits */
    ngx_str_t                            state;
    ngx_msec_t                           state_interval;
    ngx_event_t                          timer;        /* state, expiry */
    ngx_http_freshdesk_redis_t          *redis;        /* NULL: this node */
    ngx_event_t                          sync;         /* owed -> Redis */
    ngx_uint_t                           syncing;      /* replies due */
    void                                *sweep;        /* the front door's */
} ngx_http_freshdesk_quota_ctx_t;


ngx_int_t ngx_http_freshdesk_quota_shm_init(ngx_shm_zone_t *shm_zone,
    void *data);

uint32_t ngx_http_freshdesk_quota_month(time_t now);
time_t ngx_http_freshdesk_quota_month_end(time_t now);
ngx_uint_t ngx_http_freshdesk_quota_calls_now(
    ngx_http_freshdesk_quota_node_t *qn, time_t now);

/* a call: judged, and counted when admitted (or in a dry run) */
void ngx_http_freshdesk_quota_shm_take(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res);

/* read only: what a take would decide now */
void ngx_http_freshdesk_quota_shm_peek(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res);

/* the tenant's usage now, for the headers of a request that is no call */
void ngx_http_freshdesk_quota_shm_usage(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, ngx_http_freshdesk_quota_result_t *res);

void ngx_http_freshdesk_quota_shm_refused(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_str_t *tenant);
void ngx_http_freshdesk_quota_shm_action(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res);
ngx_uint_t ngx_http_freshdesk_quota_shm_refund(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_str_t *tenant);

/* n more actions of this month (charge=credits), whatever the limit: the
 * month's count after, 0 when the tenant has no node */
uint32_t ngx_http_freshdesk_quota_shm_charge(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_str_t *tenant, ngx_uint_t n);

/* with Redis: what Redis decided, kept here too */
void ngx_http_freshdesk_quota_shm_mirror(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res, ngx_uint_t counted);

/*
 * What a tenant owes Redis (actions, recent calls, doubts), taken off its
 * node to be sent: 1 when there was any.
 */
ngx_uint_t ngx_http_freshdesk_quota_shm_owed_take(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_str_t *tenant,
    ngx_http_freshdesk_quota_owed_t *owed);

/*
 * Back to the node: what was taken (owed, may be NULL) and what the
 * fallback counted instead (local_action, already owed; local_call, not
 * yet).  tag NULL: the command certainly did not run, all is owed as it
 * was; else they become one doubt of that command.
 */
void ngx_http_freshdesk_quota_shm_owed_give(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_str_t *tenant,
    ngx_http_freshdesk_quota_owed_t *owed,
    ngx_http_freshdesk_quota_tag_t *tag, ngx_uint_t local_action,
    ngx_uint_t local_call);
ngx_uint_t ngx_http_freshdesk_quota_shm_owed_collect(
    ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_owed_t *owed, ngx_uint_t max);

/* maintenance: idle entries expired, the state file written */
void ngx_http_freshdesk_quota_shm_expire(ngx_http_freshdesk_quota_ctx_t *qctx);
ngx_int_t ngx_http_freshdesk_quota_shm_save(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_log_t *log);


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_SHM_H_INCLUDED_ */
