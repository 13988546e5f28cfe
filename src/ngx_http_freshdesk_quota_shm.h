
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_QUOTA_SHM_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_QUOTA_SHM_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_redis.h"


/* calls of the last 60 seconds, one bucket per second: 128 bytes */
typedef struct {
    uint32_t                             last;
    uint32_t                             sum;          /* of count[] */
    uint16_t                             count[60];
} ngx_http_freshdesk_quota_window_t;


/* overlays ngx_rbtree_node_t from its color field; 48 bytes + tenant */
typedef struct {
    u_char                               color;
    u_char                               len;
    u_short                              calls_hold;   /* see peek */
    uint32_t                             month;        /* YYYYMM, UTC */
    ngx_queue_t                          queue;        /* LRU of windows */
    ngx_http_freshdesk_quota_window_t   *window;       /* NULL when idle */
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
} ngx_http_freshdesk_quota_shctx_t;


typedef struct {
    ngx_http_freshdesk_quota_shctx_t    *sh;
    ngx_slab_pool_t                     *shpool;
    ngx_shm_zone_t                      *shm_zone;
    ngx_str_t                            name;
    ngx_int_t                            calls;
    ngx_int_t                            actions;
    ngx_str_t                            state;
    ngx_msec_t                           state_interval;
    ngx_event_t                          timer;
    ngx_http_freshdesk_redis_t          *redis;        /* NULL: this node */
    ngx_event_t                          sync;         /* owed -> Redis */
    ngx_uint_t                           syncing;      /* replies due */
} ngx_http_freshdesk_quota_ctx_t;


ngx_array_t *ngx_http_freshdesk_quota_zones(ngx_cycle_t *cycle);

uint32_t ngx_http_freshdesk_quota_month(time_t now);
time_t ngx_http_freshdesk_quota_month_end(time_t now);
ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_find(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant);
ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_insert(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant, uint32_t month);
ngx_uint_t ngx_http_freshdesk_quota_calls_now(
    ngx_http_freshdesk_quota_node_t *qn, time_t now);
void ngx_http_freshdesk_quota_expire(ngx_http_freshdesk_quota_ctx_t *ctx,
    time_t now);
ngx_int_t ngx_http_freshdesk_retry_after(ngx_http_request_t *r, time_t secs);
ngx_int_t ngx_http_freshdesk_quota_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx);
ngx_int_t ngx_http_freshdesk_quota_action_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx);
ngx_int_t ngx_http_freshdesk_quota_verdict(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse);
void ngx_http_freshdesk_quota_new_month(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_node_t *qn, uint32_t month);

/* a tenant's actions owed to Redis, on their way */
typedef struct {
    ngx_str_t                            tenant;       /* data: 255 bytes */
    ngx_uint_t                           n;
    uint32_t                             month;
} ngx_http_freshdesk_quota_owed_t;

void ngx_http_freshdesk_quota_mirror(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t admitted, ngx_uint_t refused,
    uint32_t calls, uint32_t actions, uint32_t redis_month);
ngx_uint_t ngx_http_freshdesk_quota_owed_take(
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_str_t *tenant,
    uint32_t *month);
void ngx_http_freshdesk_quota_owed_give(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, ngx_uint_t owed, uint32_t month);
ngx_uint_t ngx_http_freshdesk_quota_owed_collect(
    ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_owed_t *owed, ngx_uint_t max);

/* the Redis backend (ngx_http_freshdesk_quota_redis.c) */
ngx_int_t ngx_http_freshdesk_quota_redis_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx);
ngx_int_t ngx_http_freshdesk_quota_redis_action(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx);
void ngx_http_freshdesk_quota_redis_refund(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_uint_t call);
ngx_int_t ngx_http_freshdesk_quota_redis_init(ngx_cycle_t *cycle);
void ngx_http_freshdesk_quota_redis_exit(ngx_cycle_t *cycle);

/* the state file (ngx_http_freshdesk_state.c) */
void ngx_http_freshdesk_state_load(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_log_t *log);
ngx_int_t ngx_http_freshdesk_state_save(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_log_t *log);
ngx_int_t ngx_http_freshdesk_state_write(ngx_str_t *path, u_char *buf,
    size_t len, ngx_log_t *log);


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_SHM_H_INCLUDED_ */
