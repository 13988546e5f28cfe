
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


/*
 * A decision's answer.  res->outcome: ANSWERED, res holds it; NOT_RUN,
 * an error, stale, or not sent (nothing counted in Redis); UNSURE, no
 * reply came (Redis down, a timeout): the command may have run or may
 * run later, res->tag names it.
 */
typedef void (*ngx_http_freshdesk_quota_redis_done_pt)(void *data,
    ngx_http_freshdesk_quota_result_t *res);

/*
 * A sync's answer: the outcome as above; when ANSWERED, res->counted is
 * 1 when added (0: a past month's, dropped), res->actions the month's
 * actions, res->calls the actions it added (doubts whose commands had
 * run are not).
 */
typedef void (*ngx_http_freshdesk_quota_redis_synced_pt)(void *data,
    ngx_http_freshdesk_quota_result_t *res);


/* freshdesk_quota_redis's address and own parameters (args[0..n-1]) */
char *ngx_http_freshdesk_quota_redis_conf(ngx_conf_t *cf, ngx_str_t *zone,
    ngx_str_t *args, ngx_uint_t n, ngx_http_freshdesk_redis_t **rdp);

ngx_int_t ngx_http_freshdesk_quota_redis_start(ngx_http_freshdesk_redis_t *rd,
    ngx_cycle_t *cycle, ngx_http_freshdesk_redis_stats_t *stats);
void ngx_http_freshdesk_quota_redis_stop(ngx_http_freshdesk_redis_t *rd);

/*
 * A call's decision (action 0, with ask->owed when ask->carries) or a
 * retry's action (1) asked of Redis: NGX_AGAIN, done() follows;
 * NGX_DECLINED, it cannot be sent now (and has not run).  *handle keeps
 * the command across a request's asks (NULL the first time); the ask
 * must live until done() runs.
 */
ngx_int_t ngx_http_freshdesk_quota_redis_ask(ngx_http_freshdesk_redis_t *rd,
    ngx_pool_t *pool, ngx_log_t *log, ngx_http_freshdesk_quota_ask_t *ask,
    ngx_uint_t action, ngx_http_freshdesk_quota_redis_done_pt done,
    void *data, void **handle);

/*
 * The asker went away: 1 when a command was on its way (done() not run;
 * it may run yet, *tag names it)
 */
ngx_uint_t ngx_http_freshdesk_quota_redis_cancel(void *handle,
    ngx_http_freshdesk_quota_tag_t *tag);

/*
 * An action (and the call, if call) given back, not waited for, never
 * sent twice; no pool (it may run from a pool's cleanup)
 */
ngx_int_t ngx_http_freshdesk_quota_redis_refund(
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *account, ngx_str_t *tenant,
    ngx_uint_t call, time_t sec, uint32_t month);

/*
 * The account guard in Redis: what Freshdesk answered a call admitted
 * there (args->report; args' rate, window and headroom), kept per worker
 * and account, carried by the next guarded take or sent by the sweep
 * (flush), at once when now (a 429)
 */
void ngx_http_freshdesk_quota_redis_report(ngx_http_freshdesk_redis_t *rd,
    ngx_str_t *account, ngx_http_freshdesk_quota_guard_args_t *args,
    ngx_uint_t now);
void ngx_http_freshdesk_quota_redis_flush(ngx_http_freshdesk_redis_t *rd);

/*
 * What was counted while Redis was away (and the doubts): NGX_OK, synced()
 * follows, *tag names the command; NGX_DECLINED: not sent now
 */
ngx_int_t ngx_http_freshdesk_quota_redis_sync(ngx_http_freshdesk_redis_t *rd,
    ngx_http_freshdesk_quota_owed_t *owed, ngx_http_freshdesk_quota_tag_t *tag,
    ngx_http_freshdesk_quota_redis_synced_pt synced, void *data);


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_REDIS_H_INCLUDED_ */
