
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The Redis quota backend: called by the quota front door (quota.c),
 * answers with results and calls nothing above it.
 */


#ifndef _NGX_HTTP_FRESHDESK_QUOTA_REDIS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_QUOTA_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_http_freshdesk_quota_store.h"
#include "ngx_http_freshdesk_redis.h"


/* a decision's answer: res NULL when none came (down, timeout, error) */
typedef void (*ngx_http_freshdesk_quota_redis_done_pt)(void *data,
    ngx_http_freshdesk_quota_result_t *res);

/* a sync's answer: 1 added, 0 dropped (a past month), NGX_ERROR none */
typedef void (*ngx_http_freshdesk_quota_redis_synced_pt)(void *data,
    ngx_int_t added);


/* freshdesk_quota_redis's address and own parameters (args[0..n-1]) */
char *ngx_http_freshdesk_quota_redis_conf(ngx_conf_t *cf, ngx_str_t *zone,
    ngx_str_t *args, ngx_uint_t n, ngx_http_freshdesk_redis_t **rdp);

ngx_int_t ngx_http_freshdesk_quota_redis_start(ngx_http_freshdesk_redis_t *rd,
    ngx_cycle_t *cycle, ngx_http_freshdesk_redis_stats_t *stats);
void ngx_http_freshdesk_quota_redis_stop(ngx_http_freshdesk_redis_t *rd);

/*
 * A call's decision (action 0) or a retry's action (1) asked of Redis:
 * NGX_AGAIN, done() follows; NGX_DECLINED, it cannot be sent now.
 * *handle keeps the command across a request's asks (NULL the first
 * time); the ask must live until done() runs.
 */
ngx_int_t ngx_http_freshdesk_quota_redis_ask(ngx_http_freshdesk_redis_t *rd,
    ngx_pool_t *pool, ngx_log_t *log, ngx_http_freshdesk_quota_ask_t *ask,
    ngx_uint_t action, ngx_http_freshdesk_quota_redis_done_pt done,
    void *data, void **handle);

/* the asker went away: 1 when a command was on its way (done() not run) */
ngx_uint_t ngx_http_freshdesk_quota_redis_cancel(void *handle);

/* an action (and the call, if call) given back, not waited for */
ngx_int_t ngx_http_freshdesk_quota_redis_refund(
    ngx_http_freshdesk_redis_t *rd, ngx_pool_t *pool, ngx_str_t *tenant,
    ngx_uint_t call, time_t sec, uint32_t month);

/* actions counted while Redis was away; NGX_DECLINED: not sent now */
ngx_int_t ngx_http_freshdesk_quota_redis_sync(ngx_http_freshdesk_redis_t *rd,
    ngx_http_freshdesk_quota_owed_t *owed,
    ngx_http_freshdesk_quota_redis_synced_pt synced, void *data);


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_REDIS_H_INCLUDED_ */
