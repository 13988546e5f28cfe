
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The quota front door: everything the request path asks of quotas (its
 * directives are in quota_conf.c, its per-worker timers in
 * quota_process.c): take a call, peek before the body, answer
 * a refusal, one more action for a retry, settle (refund) after the
 * upstream answer; the verdict, its text and its headers.  Behind it sit
 * the stores, which return results and call nothing up or sideways: the
 * zone's shared memory (quota_shm.c, every zone has it) and, for zones
 * declared with freshdesk_quota_redis, Redis (quota_redis.c).  When Redis
 * cannot answer, this file decides (fail=local counts in shared memory
 * and owes Redis the calls and actions, closed refuses, open admits
 * uncounted), and it sends what is owed back to Redis with the tenant's
 * next take or from a sweep.  A command that got no reply may have run:
 * its tag, what it carried and what was counted here instead become a
 * doubt in the tenant's node, which Redis counts only if the command has
 * not run (exactly once; see quota_redis.c).
 *
 * Headers: the verdict stays in the request's context (ctx->quota); a
 * header filter adds RateLimit-Policy, RateLimit and Retry-After to the
 * module's own answers.
 */


#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_quota_redis.h"
#include "ngx_http_freshdesk_guard.h"
#include "ngx_http_freshdesk_headers.h"
#include "ngx_http_freshdesk_resp.h"


/* a request's decision asked of Redis */
typedef struct {
    ngx_http_request_t                *r;
    ngx_http_freshdesk_quota_ctx_t    *qctx;
    ngx_http_freshdesk_quota_ask_t     ask;
    void                              *handle;
    ngx_uint_t                         action;
} ngx_http_freshdesk_quota_pending_t;


/* a call's credit of the account guard */
typedef struct {
    ngx_http_request_t                *r;
    ngx_http_freshdesk_quota_ctx_t    *qctx;
    ngx_http_freshdesk_guard_ask_t     ask;
    ngx_event_t                        timer;
    ngx_msec_t                         started;     /* of the wait */
    ngx_uint_t                         admitted;    /* no answer yet */
    ngx_uint_t                         waited;
    ngx_http_freshdesk_quota_guard_args_t  args;    /* Redis: asked too */
    ngx_int_t                          ordinal;     /* Redis: its used */
    unsigned                           redis:1;     /* credit in Redis */
    unsigned                           local:1;     /* Redis failed */
} ngx_http_freshdesk_quota_guard_t;


static ngx_int_t ngx_http_freshdesk_quota_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_freshdesk_quota_headers(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
static ngx_int_t ngx_http_freshdesk_quota_ask(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask);
static ngx_int_t ngx_http_freshdesk_quota_tenant(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx);
static ngx_int_t ngx_http_freshdesk_quota_tenant_done(
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_int_t rc);
static ngx_int_t ngx_http_freshdesk_quota_guard(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_uint_t action);
static ngx_int_t ngx_http_freshdesk_quota_guard_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_guard_t *g,
    ngx_uint_t wait);
static ngx_int_t ngx_http_freshdesk_quota_guard_verdict(
    ngx_http_request_t *r, ngx_http_freshdesk_ctx_t *ctx,
    ngx_http_freshdesk_quota_guard_t *g, ngx_uint_t wait,
    ngx_http_freshdesk_guard_result_t *res);
static ngx_int_t ngx_http_freshdesk_quota_guard_redis(ngx_http_request_t *r,
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_http_freshdesk_quota_ask_t *ask);
static ngx_int_t ngx_http_freshdesk_quota_guard_redis_done(
    ngx_http_request_t *r, ngx_http_freshdesk_ctx_t *ctx,
    ngx_http_freshdesk_quota_pending_t *p,
    ngx_http_freshdesk_quota_result_t *res);
static void ngx_http_freshdesk_quota_guard_timer(ngx_event_t *ev);
static void ngx_http_freshdesk_quota_guard_cleanup(void *data);
static void ngx_http_freshdesk_quota_guard_answer(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
static void ngx_http_freshdesk_quota_credits(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);
static ngx_int_t ngx_http_freshdesk_quota_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask);
static ngx_int_t ngx_http_freshdesk_quota_action_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask);
static void ngx_http_freshdesk_quota_remaining(
    ngx_http_freshdesk_quota_req_t *q, ngx_int_t calls_limit,
    ngx_http_freshdesk_quota_result_t *res);
static ngx_int_t ngx_http_freshdesk_quota_verdict(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse);
static ngx_int_t ngx_http_freshdesk_quota_remote(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask, ngx_uint_t action);
static void ngx_http_freshdesk_quota_remote_done(void *data,
    ngx_http_freshdesk_quota_result_t *res);
static ngx_int_t ngx_http_freshdesk_quota_fallback(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask, ngx_uint_t action);
static void ngx_http_freshdesk_quota_cleanup(void *data);
static void ngx_http_freshdesk_quota_owed_back(
    ngx_http_freshdesk_quota_pending_t *p, ngx_http_freshdesk_ctx_t *ctx,
    ngx_http_freshdesk_quota_tag_t *tag, ngx_uint_t before);


static ngx_http_output_header_filter_pt  ngx_http_freshdesk_quota_next;


/*
 * The zones of a configuration live in its main conf, not in a global:
 * a worker respawned after a failed reload must see its own cycle's.
 */

ngx_array_t *
ngx_http_freshdesk_quota_zones(ngx_cycle_t *cycle)
{
    ngx_http_freshdesk_main_conf_t  *fmcf;

    /* NULL when the configuration has no http block */

    fmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_freshdesk_module);

    return fmcf ? &fmcf->zones : NULL;
}


/*
 * The question of a request: the tenant (as the zone keeps it, at most
 * 255 bytes) and its limits, from the zone's defaults or the location's
 * freshdesk_quota_calls / freshdesk_quota_actions; the limits go to
 * ctx->quota for the headers and the variables.
 */

static ngx_int_t
ngx_http_freshdesk_quota_ask(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask)
{
    ngx_int_t                       n;
    ngx_str_t                       v;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    ngx_memzero(ask, sizeof(ngx_http_freshdesk_quota_ask_t));

    ask->tenant.data = ctx->tenant.data;
    ask->tenant.len = ngx_min(ctx->tenant.len, 255);
    ask->calls_limit = qctx->calls;
    ask->actions_limit = qctx->actions;
    ask->dry_run = flcf->quota_dry_run ? 1 : 0;

    if (flcf->calls_limit) {
        if (ngx_http_complex_value(r, flcf->calls_limit, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_atoi(v.data, v.len);
        if (n >= 0 && n <= 65535 * 60) {
            ask->calls_limit = n;

        } else if (v.len) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "freshdesk: invalid freshdesk_quota_calls "
                          "value \"%V\", using %i", &v, qctx->calls);
        }
    }

    if (flcf->actions_limit) {
        if (ngx_http_complex_value(r, flcf->actions_limit, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_atoi(v.data, v.len);
        if (n >= 0) {
            ask->actions_limit = n;

        } else if (v.len) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "freshdesk: invalid freshdesk_quota_actions "
                          "value \"%V\", using %i", &v, qctx->actions);
        }
    }

    ask->calls_shown = ask->calls_limit;

    ctx->quota.calls_limit = ask->calls_limit;
    ctx->quota.actions_limit = ask->actions_limit;

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_quota_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_int_t                         rc;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_ctx_t   *qctx;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL) {
        ngx_str_set(&ctx->quota.result, "off");
        return NGX_OK;
    }

    qctx = ((ngx_shm_zone_t *) flcf->quota)->data;

    ctx->quota.checked = 1;

    if (flcf->guard) {

        /* the account's credit first: a call that waits for one holds
         * nothing of the tenant's quota meanwhile */

        rc = ngx_http_freshdesk_quota_guard(r, ctx, qctx, 0);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ngx_http_freshdesk_quota_tenant(r, ctx, qctx);
}


/* the tenant's quota: in Redis or here */

static ngx_int_t
ngx_http_freshdesk_quota_tenant(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx)
{
    ngx_int_t                        rc;
    ngx_http_freshdesk_quota_ask_t   ask;

    if (ngx_http_freshdesk_quota_ask(r, ctx, qctx, &ask) != NGX_OK) {
        return NGX_ERROR;
    }

    if (qctx->redis) {
        rc = ngx_http_freshdesk_quota_remote(r, ctx, qctx, &ask, 0);

        if (rc != NGX_DONE) {
            /* NGX_AGAIN: Redis decides; else fail=open or fail=closed */
            return ngx_http_freshdesk_quota_tenant_done(ctx, qctx, rc);
        }

        /* fail=local */
    }

    rc = ngx_http_freshdesk_quota_local(r, ctx, qctx, &ask);

    return ngx_http_freshdesk_quota_tenant_done(ctx, qctx, rc);
}


/* refused by the tenant's quota: the account's credit goes back */

static ngx_int_t
ngx_http_freshdesk_quota_tenant_done(ngx_http_freshdesk_ctx_t *ctx,
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_int_t rc)
{
    ngx_http_freshdesk_quota_guard_t  *g;

    g = ctx->quota.guard;

    if (rc == NGX_DECLINED && g && g->admitted) {
        g->admitted = 0;
        ngx_http_freshdesk_guard_release(qctx, &g->ask);
    }

    return rc;
}


/*
 * The decision in this node's shared memory.  With a Redis zone it is
 * the fallback (fail=local): the actions counted are owed to Redis, and
 * the calls limit is the node's share of it.
 */

static ngx_int_t
ngx_http_freshdesk_quota_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask)
{
    ngx_http_freshdesk_quota_result_t  res;

    if (qctx->redis) {
        ask->owe = 1;

        if (qctx->redis->share < 100) {
            ask->calls_limit = ask->calls_limit * qctx->redis->share / 100;
        }
    }

    ngx_http_freshdesk_quota_shm_take(qctx, ask, &res);

    if (res.refuse == NGX_HTTP_FRESHDESK_QUOTA_FULL) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "freshdesk: quota zone \"%V\" is full, call of tenant "
                      "\"%V\" refused", &qctx->name, &ask->tenant);

        ngx_str_set(&ctx->quota.result, "zone_full");
        ngx_str_set(&ctx->quota.text, "The gateway cannot record quota for "
                    "this tenant right now (quota zone full); the call was "
                    "not made. Retry later or ask the operator.");
        ctx->quota.retry_after = 60;

        return NGX_DECLINED;
    }

    if (res.counted) {
        ctx->quota.taken = 1;
    }

    ngx_http_freshdesk_quota_remaining(&ctx->quota, ask->calls_limit, &res);

    return ngx_http_freshdesk_quota_verdict(r, ctx, res.refuse);
}


/* what remains after a decision, for RateLimit and the variables */

static void
ngx_http_freshdesk_quota_remaining(ngx_http_freshdesk_quota_req_t *q,
    ngx_int_t calls_limit, ngx_http_freshdesk_quota_result_t *res)
{
    q->calls_limit = calls_limit;
    q->calls_remaining = calls_limit > (ngx_int_t) res->calls
                         ? calls_limit - (ngx_int_t) res->calls : 0;
    q->actions_remaining = q->actions_limit > (ngx_int_t) res->actions
                           ? q->actions_limit - (ngx_int_t) res->actions : 0;
    q->calls_reset = res->calls_reset;
    q->actions_reset = res->actions_reset;
    q->known = 1;
}


/*
 * Would the quota refuse a call now?  Read only: nothing is taken,
 * counted or moved, so that a tools/call of the 2026 revision can be
 * refused from its headers, before its body is read.  *refuse is what a
 * take would decide; ctx->quota gets the numbers a refusal's answer
 * shows.  In a dry run nothing is refused here.  With Redis the store
 * judges from what Redis said last (no round trip): a refusal seen here
 * is one Redis would make; a call admitted here is decided by Redis as
 * usual.
 */

ngx_int_t
ngx_http_freshdesk_quota_peek(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t *refuse)
{
    ngx_http_freshdesk_loc_conf_t      *flcf;
    ngx_http_freshdesk_quota_ask_t      ask;
    ngx_http_freshdesk_quota_ctx_t     *qctx;
    ngx_http_freshdesk_quota_result_t   res;

    *refuse = 0;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL || flcf->quota_dry_run) {
        return NGX_OK;
    }

    qctx = ((ngx_shm_zone_t *) flcf->quota)->data;

    if (ngx_http_freshdesk_quota_ask(r, ctx, qctx, &ask) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_freshdesk_quota_shm_peek(qctx, &ask, &res);

    *refuse = res.refuse;

    ngx_http_freshdesk_quota_remaining(&ctx->quota, ask.calls_limit, &res);

    return NGX_OK;
}


/*
 * A refusal the peek saw, answered: counted among the tenant's refused
 * calls of the month (this node's zone, also with Redis), logged, and its
 * text and Retry-After, as for a refusal by a take
 */

ngx_int_t
ngx_http_freshdesk_quota_refuse(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse)
{
    ngx_str_t                        tenant;
    ngx_http_freshdesk_loc_conf_t   *flcf;
    ngx_http_freshdesk_quota_ctx_t  *qctx;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    qctx = ((ngx_shm_zone_t *) flcf->quota)->data;

    tenant.data = ctx->tenant.data;
    tenant.len = ngx_min(ctx->tenant.len, 255);

    ngx_http_freshdesk_quota_shm_refused(qctx, &tenant);

    ctx->quota.checked = 1;

    return ngx_http_freshdesk_quota_verdict(r, ctx, refuse);
}


/*
 * What a decision means for the call, wherever it was made: refuse is 0
 * (admitted), calls per minute or monthly actions; ctx->quota holds the
 * limits, what remains and when it resets.
 */

static ngx_int_t
ngx_http_freshdesk_quota_verdict(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse)
{
    u_char                          *p;
    time_t                           reset;
    ngx_str_t                        tenant;
    ngx_http_freshdesk_loc_conf_t   *flcf;
    ngx_http_freshdesk_quota_req_t  *q;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    q = &ctx->quota;

    if (!refuse) {
        ngx_str_set(&q->result, "passed");
        return NGX_OK;
    }

    tenant.data = ctx->tenant.data;
    tenant.len = ngx_min(ctx->tenant.len, 255);

    ngx_log_error(flcf->quota_log_level, r->connection->log, 0,
                  "freshdesk: %s%s quota exceeded for tenant \"%V\"",
                  flcf->quota_dry_run ? "dry run: " : "",
                  refuse == NGX_HTTP_FRESHDESK_QUOTA_CALLS
                  ? "calls per minute" : "monthly actions",
                  &tenant);

    if (flcf->quota_dry_run) {
        ngx_str_set(&q->result, "dry_run");
        return NGX_OK;
    }

    q->text.data = ngx_pnalloc(r->pool, 256);
    if (q->text.data == NULL) {
        return NGX_ERROR;
    }

    if (refuse == NGX_HTTP_FRESHDESK_QUOTA_CALLS) {
        ngx_str_set(&q->result, "rejected_calls");
        reset = q->calls_reset;
        p = ngx_sprintf(q->text.data,
                        "Rate limit reached: %i tool calls per minute for "
                        "this tenant. Retry in %T s.", q->calls_limit,
                        reset);

    } else {
        ngx_str_set(&q->result, "rejected_actions");
        reset = q->actions_reset;
        p = ngx_sprintf(q->text.data,
                        "Monthly quota reached: %i actions per month for "
                        "this tenant. It resets at the start of next month "
                        "(UTC), in %T s.", q->actions_limit, reset);
    }

    q->text.len = p - q->text.data;
    q->retry_after = reset;

    return NGX_DECLINED;
}


/*
 * After a try, or when the request ends first.  Charged: a request that
 * reached Freshdesk, whatever it answered (2xx, 4xx, 5xx, a timeout: it
 * did or may have done the work).  Refunded: an upstream 429, which is
 * the account's limit, not the tenant's doing, and a request that never
 * left (connection refused, the client gone before it was sent).  A call
 * decided by Redis is refunded there (sent once, not waited for); one
 * decided here, also after a take that got no reply (a doubt), in the
 * zone, where it takes one action off what the node owes Redis, plain or
 * in doubt: exact when that debt would count, one action too many when
 * it was a doubt whose command had run (never undercharged).  With
 * charge=credits a charged request costs the credits Freshdesk says it
 * charged (quota_credits).
 */

void
ngx_http_freshdesk_quota_settle(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_str_t                         tenant, account;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_req_t   *q;
    ngx_http_freshdesk_quota_ctx_t   *qctx;

    q = &ctx->quota;

    ngx_http_freshdesk_quota_guard_answer(r, ctx);

    if (!q->taken) {
        return;
    }

    /* settled: charged, or refunded below */

    q->taken = 0;

    if (ctx->call.sent && ctx->call.status != NGX_HTTP_TOO_MANY_REQUESTS) {
        ngx_http_freshdesk_quota_credits(r, ctx);
        return;
    }

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL) {
        return;
    }

    qctx = ((ngx_shm_zone_t *) flcf->quota)->data;

    tenant.data = ctx->tenant.data;
    tenant.len = ngx_min(ctx->tenant.len, 255);

    if (q->redis) {
        ngx_str_null(&account);

        if (q->guard) {
            /* the tenant's keys are under the account's tag */
            account = ((ngx_http_freshdesk_quota_guard_t *) q->guard)
                      ->ask.account;
        }

        if (ngx_http_freshdesk_quota_redis_refund(qctx->redis, &account,
                                                  &tenant, 0,
                                                  q->redis_sec,
                                                  q->redis_month)
            == NGX_DECLINED)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "freshdesk: quota zone \"%V\": a refund for "
                          "tenant \"%V\" could not reach Redis",
                          &qctx->name, &tenant);
        }

        q->actions_remaining++;

    } else if (ngx_http_freshdesk_quota_shm_refund(qctx, &tenant)) {
        q->actions_remaining++;
    }

    ngx_str_set(&q->result, "refunded");
}


/*
 * charge=credits (freshdesk_quota_zone): a request Freshdesk answered
 * costs the month what X-RateLimit-Used-CurrentRequest says it charged
 * (3 for a call with include=requester), the action taken when it was
 * admitted included; without the header, that one action.  What is
 * charged after the answer is never refused (the work is done), so a
 * month may end a few actions over its limit.  Shared memory only (the
 * zone refuses freshdesk_quota_redis).
 */

static void
ngx_http_freshdesk_quota_credits(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    uint32_t                         actions;
    ngx_int_t                        used;
    ngx_str_t                        tenant, *v;
    ngx_http_freshdesk_loc_conf_t   *flcf;
    ngx_http_freshdesk_quota_req_t  *q;
    ngx_http_freshdesk_quota_ctx_t  *qctx;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL) {
        return;
    }

    qctx = ((ngx_shm_zone_t *) flcf->quota)->data;
    v = &ctx->call.rate_used;

    if (!qctx->charge || qctx->redis || v->len == 0) {
        return;
    }

    used = ngx_atoi(v->data, v->len);

    if (used <= 1 || used > 1000) {
        if (used == NGX_ERROR || used > 1000) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "freshdesk: invalid X-RateLimit-Used-CurrentRequest "
                          "\"%V\" from Freshdesk, one action charged", v);
        }

        return;
    }

    q = &ctx->quota;

    tenant.data = ctx->tenant.data;
    tenant.len = ngx_min(ctx->tenant.len, 255);

    actions = ngx_http_freshdesk_quota_shm_charge(qctx, &tenant, used - 1);

    if (actions) {
        q->actions_remaining = q->actions_limit > (ngx_int_t) actions
                               ? q->actions_limit - (ngx_int_t) actions : 0;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "freshdesk quota: %i credits charged, month at %uD",
                   used, actions);
}


/*
 * One more upstream request for a call already admitted (a retry): one
 * action from the month, no call from the minute.  NGX_DECLINED when the
 * month has no action left: the call is then answered as it stands.
 */

ngx_int_t
ngx_http_freshdesk_quota_action(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_int_t                        rc;
    ngx_http_freshdesk_loc_conf_t   *flcf;
    ngx_http_freshdesk_quota_ask_t   ask;
    ngx_http_freshdesk_quota_ctx_t  *qctx;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL || !ctx->quota.checked) {
        return NGX_OK;
    }

    if (ctx->quota.open) {
        /* admitted uncounted (fail=open): its tries are too */
        return NGX_OK;
    }

    qctx = ((ngx_shm_zone_t *) flcf->quota)->data;

    if (ctx->quota.guard) {
        rc = ngx_http_freshdesk_quota_guard(r, ctx, qctx, 1);

        if (rc != NGX_OK) {
            return rc == NGX_ERROR ? NGX_ERROR : NGX_DECLINED;
        }
    }

    ngx_memzero(&ask, sizeof(ngx_http_freshdesk_quota_ask_t));

    ask.tenant.data = ctx->tenant.data;
    ask.tenant.len = ngx_min(ctx->tenant.len, 255);
    ask.calls_limit = ctx->quota.calls_limit;
    ask.calls_shown = ctx->quota.calls_limit;
    ask.actions_limit = ctx->quota.actions_limit;
    ask.dry_run = flcf->quota_dry_run ? 1 : 0;

    if (qctx->redis) {
        rc = ngx_http_freshdesk_quota_remote(r, ctx, qctx, &ask, 1);

        if (rc != NGX_DONE) {
            return rc;
        }
    }

    return ngx_http_freshdesk_quota_action_local(r, ctx, qctx, &ask);
}


static ngx_int_t
ngx_http_freshdesk_quota_action_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask)
{
    ngx_http_freshdesk_loc_conf_t      *flcf;
    ngx_http_freshdesk_quota_req_t     *q;
    ngx_http_freshdesk_quota_result_t   res;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    q = &ctx->quota;

    ask->owe = qctx->redis ? 1 : 0;

    ngx_http_freshdesk_quota_shm_action(qctx, ask, &res);

    if (res.month) {
        q->actions_remaining = q->actions_limit > (ngx_int_t) res.actions
                               ? q->actions_limit - (ngx_int_t) res.actions
                               : 0;
    }

    if (!res.counted) {
        ngx_log_error(flcf->quota_log_level, r->connection->log, 0,
                      "freshdesk: no further try: monthly actions quota "
                      "exhausted for tenant \"%V\"", &ask->tenant);
        return NGX_DECLINED;
    }

    q->taken = 1;
    q->redis = 0;

    if (q->result.len == sizeof("refunded") - 1) {
        ngx_str_set(&q->result, "passed");
    }

    return NGX_OK;
}


/*
 * The account guard's credit for a call (action 0, which may wait up to
 * the guard's wait= for one) or for a retry's try (1, which does not):
 * NGX_OK, a credit out (or no guard for this request); NGX_DECLINED,
 * refused (ctx->quota.text says why); NGX_AGAIN, the call waits.
 */

static ngx_int_t
ngx_http_freshdesk_quota_guard(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_uint_t action)
{
    ngx_int_t                           n;
    ngx_str_t                           v;
    ngx_pool_cleanup_t                 *cln;
    ngx_http_freshdesk_loc_conf_t      *flcf;
    ngx_http_freshdesk_guard_conf_t    *gcf;
    ngx_http_freshdesk_quota_guard_t   *g;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    gcf = flcf->guard;
    g = ctx->quota.guard;

    if (g == NULL) {
        if (ngx_http_complex_value(r, gcf->account, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        if (v.len == 0) {
            /* no account named for this request: not guarded */
            ngx_str_set(&ctx->quota.account_result, "off");
            return NGX_OK;
        }

        g = ngx_pcalloc(r->pool, sizeof(ngx_http_freshdesk_quota_guard_t));
        if (g == NULL) {
            return NGX_ERROR;
        }

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_freshdesk_quota_guard_cleanup;
        cln->data = g;

        g->r = r;
        g->qctx = qctx;
        g->ask.conf = gcf;
        g->ask.account.data = v.data;
        g->ask.account.len = ngx_min(v.len, 255);
        g->ask.tenant.data = ctx->tenant.data;
        g->ask.tenant.len = ngx_min(ctx->tenant.len, 255);
        g->ask.dry_run = flcf->guard_dry_run ? 1 : 0;
        g->ask.weight = 1;

        if (gcf->weight) {
            if (ngx_http_complex_value(r, gcf->weight, &v) != NGX_OK) {
                return NGX_ERROR;
            }

            n = ngx_atoi(v.data, v.len);

            if (n >= 1 && n <= 1000) {
                g->ask.weight = n;

            } else if (v.len) {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "freshdesk: invalid account guard weight "
                              "\"%V\" (1 to 1000), using 1", &v);
            }
        }

        ngx_http_freshdesk_guard_classify(ctx->call.method, &ctx->call.uri,
                                          &ctx->call.args, &g->ask.cls,
                                          &g->ask.cost);

        ctx->quota.guard = g;
    }

    if (qctx->redis && !g->local) {
        /* in Redis, in the tenant's quota's script call (remote) */
        return NGX_OK;
    }

    return ngx_http_freshdesk_quota_guard_take(r, ctx, g, !action);
}


static ngx_int_t
ngx_http_freshdesk_quota_guard_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_guard_t *g,
    ngx_uint_t wait)
{
    ngx_http_freshdesk_guard_result_t  res;

    ngx_http_freshdesk_guard_take(g->qctx, &g->ask, &res);

    return ngx_http_freshdesk_quota_guard_verdict(r, ctx, g, wait, &res);
}


/*
 * What the guard's answer (this zone's or Redis's) means for the call:
 * NGX_OK, a credit out (g->admitted); NGX_AGAIN, it waits (a timer looks
 * again); NGX_DECLINED, refused, ctx->quota.text says why
 */

static ngx_int_t
ngx_http_freshdesk_quota_guard_verdict(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_guard_t *g,
    ngx_uint_t wait, ngx_http_freshdesk_guard_result_t *rp)
{
    u_char                             *p;
    time_t                              secs;
    ngx_msec_t                          now, left;
    ngx_http_freshdesk_loc_conf_t      *flcf;
    ngx_http_freshdesk_quota_req_t     *q;
    ngx_http_freshdesk_guard_result_t   res;

    static const char  *classes[] = {
        "listing tickets", "listing contacts", "creating tickets",
        "updating tickets"
    };

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    q = &ctx->quota;
    now = ngx_current_msec;
    res = *rp;

    q->account_remaining = res.remaining > 0 ? res.remaining : 0;
    q->account_waited = g->started ? now - g->started : 0;

    if (res.refuse == 0) {
        g->admitted = 1;
        ngx_str_set(&q->account_result, "passed");
        return NGX_OK;
    }

    if (g->ask.dry_run) {
        /* counted as if admitted; only logged */
        g->admitted = 1;
        ngx_str_set(&q->account_result, "dry_run");

        ngx_log_error(flcf->quota_log_level, r->connection->log, 0,
                      "freshdesk: dry run: the account guard would refuse "
                      "a call of tenant \"%V\" on account \"%V\"",
                      &g->ask.tenant, &g->ask.account);
        return NGX_OK;
    }

    /* no credit now: wait for one, up to wait= */

    if (wait && g->ask.conf->wait
        && res.refuse != NGX_HTTP_FRESHDESK_GUARD_FULL)
    {
        if (g->started == 0) {
            g->started = now;
            g->waited = 1;
        }

        if (now - g->started < g->ask.conf->wait) {
            left = g->ask.conf->wait - (now - g->started);

            g->timer.handler = ngx_http_freshdesk_quota_guard_timer;
            g->timer.data = g;
            g->timer.log = r->connection->log;

            /* looked at again soon: credits come back with answers */
            ngx_add_timer(&g->timer, ngx_min(ngx_min(res.retry, 50), left));

            q->busy = 1;
            ngx_str_set(&q->account_result, "waiting");
            return NGX_AGAIN;
        }
    }

    /* refused, with when to come back */

    secs = (time_t) ((res.retry + 999) / 1000);

    if (secs < 1) {
        secs = 1;
    }

    ngx_http_freshdesk_guard_count(g->qctx, &g->ask, g->waited, 1);
    g->waited = 0;

    q->text.data = ngx_pnalloc(r->pool, 512);
    if (q->text.data == NULL) {
        return NGX_ERROR;
    }

    switch (res.refuse) {

    case NGX_HTTP_FRESHDESK_GUARD_PAUSE:
        ngx_str_set(&q->account_result, "paused");
        p = ngx_sprintf(q->text.data,
                        "Freshdesk answered that this account's API rate "
                        "limit is reached (HTTP 429); the gateway holds "
                        "every call to it until the limit resets. Retry in "
                        "%T s.", secs);
        break;

    case NGX_HTTP_FRESHDESK_GUARD_CLASS:
        ngx_str_set(&q->account_result, "sub_limit");
        p = ngx_sprintf(q->text.data,
                        "Freshdesk's limit for %s on this account (%i a "
                        "minute) is used up. Retry in %T s.",
                        classes[g->ask.cls], res.sub, secs);
        break;

    case NGX_HTTP_FRESHDESK_GUARD_FULL:
        ngx_str_set(&q->account_result, "zone_full");
        p = ngx_sprintf(q->text.data,
                        "The gateway cannot record this account's API "
                        "credits right now (quota zone full); the call was "
                        "not made. Retry later or ask the operator.");
        break;

    default:
        ngx_str_set(&q->account_result, "refused");
        p = ngx_sprintf(q->text.data,
                        "This Freshdesk account's API credits are in use by "
                        "the gateway's tenants (%i a %s, %i%% kept free for "
                        "the account's other users); no credit for this "
                        "call now. Retry in %T s.", res.limit,
                        g->ask.conf->window > 60000 ? "hour" : "minute",
                        g->ask.conf->headroom, secs);
        break;
    }

    q->text.len = p - q->text.data;
    q->retry_after = secs;
    ngx_str_set(&q->result, "account");

    ngx_log_error(flcf->quota_log_level, r->connection->log, 0,
                  "freshdesk: account guard: %V call of tenant \"%V\" on "
                  "account \"%V\"%s", &q->account_result, &g->ask.tenant,
                  &g->ask.account, q->account_waited ? " after a wait" : "");

    return NGX_DECLINED;
}


/* a call waiting for a credit looks again */

static void
ngx_http_freshdesk_quota_guard_timer(ngx_event_t *ev)
{
    ngx_http_freshdesk_quota_guard_t *g = ev->data;

    ngx_int_t                  rc;
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_freshdesk_ctx_t  *ctx;

    r = g->r;
    c = r->connection;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    ngx_http_set_log_request(c->log, r);

    if (g->qctx->redis && !g->local) {

        /* Redis decides again, the credit with the tenant's quota */

        rc = ngx_http_freshdesk_quota_tenant(r, ctx, g->qctx);

        if (rc == NGX_AGAIN) {
            return;
        }

        goto posted;
    }

    rc = ngx_http_freshdesk_quota_guard_take(r, ctx, g, 1);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (g->waited) {
        ngx_http_freshdesk_guard_count(g->qctx, &g->ask, 1, 0);
        g->waited = 0;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_freshdesk_quota_tenant(r, ctx, g->qctx);

        if (rc == NGX_AGAIN) {
            /* Redis decides now; it wakes the request */
            return;
        }
    }

posted:

    ctx->quota.rc = rc;
    ctx->quota.busy = 0;

    if (ngx_http_post_request(r, NULL) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_http_run_posted_requests(c);
}


/* the request ends: no timer left behind, no credit held */

static void
ngx_http_freshdesk_quota_guard_cleanup(void *data)
{
    ngx_http_freshdesk_quota_guard_t  *g = data;

    if (g->timer.timer_set) {
        ngx_del_timer(&g->timer);
    }

    if (!g->admitted) {
        return;
    }

    g->admitted = 0;

    if (g->redis) {
        /* Redis's credit back, with the worker's next report */
        ngx_memzero(&g->args.report,
                    sizeof(ngx_http_freshdesk_quota_report_t));
        g->args.report.total = -1;
        g->args.report.remaining = -1;
        g->args.report.ordinal = -1;
        g->args.report.back = g->ask.cost;
        ngx_http_freshdesk_quota_redis_report(g->qctx->redis,
                                              &g->ask.account, &g->args, 0);
        return;
    }

    ngx_http_freshdesk_guard_release(g->qctx, &g->ask);
}


/*
 * After a try: what Freshdesk said of the account (X-RateLimit-*, a 429's
 * Retry-After) corrects the budget; a try never sent gives its credit
 * back.
 */

static void
ngx_http_freshdesk_quota_guard_answer(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_http_freshdesk_call_t          *call;
    ngx_http_freshdesk_quota_guard_t   *g;
    ngx_http_freshdesk_guard_answer_t   ans;
    ngx_http_freshdesk_guard_result_t   res;

    g = ctx->quota.guard;

    if (g == NULL || !g->admitted) {
        return;
    }

    g->admitted = 0;
    call = &ctx->call;

    ans.status = call->sent ? (call->status ? call->status : 502) : 0;
    ans.total = call->rate_total.len
                ? ngx_atoi(call->rate_total.data, call->rate_total.len) : -1;
    ans.remaining = call->rate_remaining.len
                    ? ngx_atoi(call->rate_remaining.data,
                               call->rate_remaining.len)
                    : -1;
    ans.used = call->rate_used.len
               ? ngx_atoi(call->rate_used.data, call->rate_used.len) : -1;
    ans.retry_after = call->retry_after.len
                      ? ngx_atoi(call->retry_after.data,
                                 call->retry_after.len)
                      : -1;

    if (g->redis) {

        /*
         * Admitted in Redis: what Freshdesk said goes there without
         * holding the client, with this worker's next take for the
         * account or the sweep's report, a 429 at once; a 429 also
         * pauses this zone's node at once (the fallback's guard)
         */

        ngx_memzero(&g->args.report,
                    sizeof(ngx_http_freshdesk_quota_report_t));

        if (ans.status == 0) {
            g->args.report.back = g->ask.cost;

        } else {
            g->args.report.done = g->ask.cost;
        }

        g->args.report.total = ans.total;
        g->args.report.remaining = ans.remaining;
        g->args.report.ordinal = g->ordinal;

        if (ans.used > (ngx_int_t) g->ask.cost) {
            g->args.report.extra = ans.used - g->ask.cost;
        }

        if (ans.status == NGX_HTTP_TOO_MANY_REQUESTS) {
            g->args.report.pause = (ans.retry_after > 0
                                    && ans.retry_after <= 3600)
                                   ? (ngx_msec_t) ans.retry_after * 1000
                                   : 60000;
            g->args.report.too_many = 1;
        }

        ngx_http_freshdesk_quota_redis_report(g->qctx->redis,
                                   &g->ask.account, &g->args,
                                   ans.status == NGX_HTTP_TOO_MANY_REQUESTS);

        if (ans.status != NGX_HTTP_TOO_MANY_REQUESTS) {
            /* the rest is Redis's; $freshdesk_account_remaining is its */
            return;
        }
    }

    ngx_http_freshdesk_guard_answer(g->qctx, &g->ask, &ans, &res);

    ctx->quota.account_remaining = res.remaining > 0 ? res.remaining : 0;

    if (ans.status == NGX_HTTP_TOO_MANY_REQUESTS) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "freshdesk: Freshdesk answered 429 for account "
                      "\"%V\": every call to it waits %i s",
                      &g->ask.account,
                      ans.retry_after > 0 ? ans.retry_after : 60);
    }
}


/*
 * With Redis, the account's credit is asked in the tenant's quota's
 * script call: the guard's part of the question (the tenant's keys then
 * carry the account's hash tag, also once the credit came from this zone)
 */

static ngx_int_t
ngx_http_freshdesk_quota_guard_redis(ngx_http_request_t *r,
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_http_freshdesk_quota_ask_t *ask)
{
    ngx_http_freshdesk_ctx_t          *ctx;
    ngx_http_freshdesk_quota_guard_t  *g;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    ask->guard = NULL;
    g = ctx->quota.guard;

    if (g == NULL) {
        return NGX_OK;
    }

    ask->account = g->ask.account;

    if (g->local || g->admitted) {
        return NGX_OK;
    }

    g->args.weight = g->ask.weight;
    g->args.cost = g->ask.cost;
    g->args.cls = g->ask.cls;
    g->args.sub = ngx_http_freshdesk_guard_redis_sub(qctx, &g->ask);
    g->args.plan = g->ask.conf->script;
    g->args.dry_run = g->ask.dry_run;

    ask->guard = &g->args;

    return NGX_OK;
}


/*
 * Redis's verdict on the account's credit: NGX_OK, admitted (or no guard
 * asked; g->admitted when the script took the credit, which it does only
 * when the tenant's quota admitted the call too); NGX_AGAIN, the call
 * waits; NGX_DECLINED, refused.  The zone's node mirrors the account.
 */

static ngx_int_t
ngx_http_freshdesk_quota_guard_redis_done(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_pending_t *p,
    ngx_http_freshdesk_quota_result_t *res)
{
    ngx_int_t                           rc;
    ngx_http_freshdesk_quota_guard_t   *g;
    ngx_http_freshdesk_guard_result_t   gres;

    g = ctx->quota.guard;

    if (p->ask.guard == NULL || g == NULL) {
        return NGX_OK;
    }

    p->ask.guard = NULL;

    ngx_memzero(&gres, sizeof(ngx_http_freshdesk_guard_result_t));
    gres.refuse = res->guard_refuse;
    gres.remaining = res->guard_remaining;
    gres.limit = res->guard_limit;
    gres.sub = res->guard_sub;
    gres.retry = res->guard_retry;

    ngx_http_freshdesk_guard_redis_mirror(p->qctx, &g->ask, &gres);

    if (gres.refuse && !g->ask.dry_run) {
        return ngx_http_freshdesk_quota_guard_verdict(r, ctx, g, !p->action,
                                                      &gres);
    }

    rc = ngx_http_freshdesk_quota_guard_verdict(r, ctx, g, 0, &gres);

    if (g->waited) {
        ngx_http_freshdesk_guard_count(p->qctx, &g->ask, 1, 0);
        g->waited = 0;
    }

    if (res->counted) {
        g->redis = 1;
        g->ordinal = res->guard_used;

    } else {
        /* the tenant's quota refused: the script took no credit */
        g->admitted = 0;
    }

    return rc;
}


/*
 * A decision asked of Redis, for a call (action 0, with what this node
 * owes Redis for the tenant) or for a retry's action (1): NGX_AGAIN, the
 * request waits; NGX_OK or NGX_DECLINED, decided without Redis (it could
 * not be sent) by fail=open or fail=closed, or here (fail=local).
 */

static ngx_int_t
ngx_http_freshdesk_quota_remote(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask, ngx_uint_t action)
{
    ngx_int_t                            rc;
    ngx_uint_t                           before;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_freshdesk_quota_pending_t  *p;

    p = ctx->quota.pending;

    if (p == NULL) {
        p = ngx_pcalloc(r->pool, sizeof(ngx_http_freshdesk_quota_pending_t));
        if (p == NULL) {
            return NGX_ERROR;
        }

        /* a request that ends first leaves the reply to nobody */

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_freshdesk_quota_cleanup;
        cln->data = p;

        p->r = r;
        p->qctx = qctx;
        ctx->quota.pending = p;
    }

    p->ask = *ask;
    p->action = action;

    p->ask.carries = 0;

    if (ngx_http_freshdesk_quota_guard_redis(r, qctx, &p->ask) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!action) {
        p->ask.carries = ngx_http_freshdesk_quota_shm_owed_take(qctx,
                                                         &p->ask.tenant,
                                                         &p->ask.owed);
    }

    rc = ngx_http_freshdesk_quota_redis_ask(qctx->redis, r->pool,
                                 r->connection->log, &p->ask, action,
                                 ngx_http_freshdesk_quota_remote_done,
                                 p, &p->handle);

    if (rc == NGX_AGAIN) {
        ctx->quota.busy = 1;
        return NGX_AGAIN;
    }

    if (rc == NGX_ERROR) {
        ngx_http_freshdesk_quota_owed_back(p, ctx, NULL, 1);
        return NGX_ERROR;
    }

    /* no connection now: decided without Redis, at once; nothing ran */

    before = ctx->quota.taken;

    rc = ngx_http_freshdesk_quota_fallback(r, ctx, qctx, &p->ask, action);

    if (rc == NGX_DONE) {
        rc = ngx_http_freshdesk_quota_local(r, ctx, qctx, &p->ask);
    }

    ngx_http_freshdesk_quota_owed_back(p, ctx, NULL, before);

    return rc;
}


/*
 * Without Redis's answer: what the command carried back to the node, and
 * the call the fallback counted here (fail=local) owed to Redis; tag set
 * (no reply: the command may have run), as one doubt of that command.
 * before: ctx->quota.taken before the fallback.
 */

static void
ngx_http_freshdesk_quota_owed_back(ngx_http_freshdesk_quota_pending_t *p,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_tag_t *tag,
    ngx_uint_t before)
{
    ngx_uint_t  local;

    local = !before && ctx->quota.taken
            && p->qctx->redis->fail == NGX_HTTP_FRESHDESK_REDIS_LOCAL;

    if (p->ask.carries || (local && (tag || !p->action))) {
        ngx_http_freshdesk_quota_shm_owed_give(p->qctx, &p->ask.tenant,
                                   p->ask.carries ? &p->ask.owed : NULL, tag,
                                   local, local && !p->action);
    }

    p->ask.carries = 0;
}


/*
 * Decided without Redis: for a call NGX_DONE (count here), NGX_OK or
 * NGX_DECLINED; for a retry's action, NGX_OK or NGX_DECLINED.
 */

static ngx_int_t
ngx_http_freshdesk_quota_fallback(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask, ngx_uint_t action)
{
    ngx_int_t                          rc;
    ngx_http_freshdesk_redis_t        *rd;
    ngx_http_freshdesk_quota_guard_t  *g;

    rd = qctx->redis;

    (void) ngx_atomic_fetch_add(&qctx->sh->redis.fallbacks, 1);

    switch (rd->fail) {

    case NGX_HTTP_FRESHDESK_REDIS_OPEN:
        ngx_str_set(&ctx->quota.result, "open");
        ctx->quota.open = 1;
        return NGX_OK;

    case NGX_HTTP_FRESHDESK_REDIS_CLOSED:
        if (action) {
            return NGX_DECLINED;
        }

        ngx_str_set(&ctx->quota.result, "backend_down");
        ngx_str_set(&ctx->quota.text, "The gateway cannot check this "
                    "tenant's quota right now (quota backend unavailable); "
                    "the call was not made. Retry in a few seconds.");
        ctx->quota.retry_after = 2;

        return NGX_DECLINED;

    default:
        break;
    }

    g = ctx->quota.guard;

    if (ask->guard && g) {

        /* the account's credit from this zone too (fail=local) */

        g->local = 1;
        g->redis = 0;

        rc = ngx_http_freshdesk_quota_guard_take(r, ctx, g, !action);

        if (rc != NGX_OK) {
            /* NGX_AGAIN: it waits, a timer asks this zone again */
            return rc;
        }
    }

    return action ? ngx_http_freshdesk_quota_action_local(r, ctx, qctx, ask)
                  : NGX_DONE;
}


static void
ngx_http_freshdesk_quota_remote_done(void *data,
    ngx_http_freshdesk_quota_result_t *res)
{
    ngx_http_freshdesk_quota_pending_t *p = data;

    ngx_int_t                         rc;
    ngx_uint_t                        before;
    ngx_connection_t                 *c;
    ngx_http_request_t               *r;
    ngx_http_freshdesk_ctx_t         *ctx;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_req_t   *q;
    ngx_http_freshdesk_quota_ctx_t   *qctx;

    r = p->r;
    c = r->connection;
    qctx = p->qctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);
    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    q = &ctx->quota;

    ngx_http_set_log_request(c->log, r);

    if (res->outcome != NGX_HTTP_FRESHDESK_QUOTA_ANSWERED) {

        /*
         * No answer, or not one to use: without Redis.  What it carried
         * and what is counted here instead: owed, or, when no reply came
         * (it may have run), a doubt of the command
         */

        before = q->taken;

        rc = ngx_http_freshdesk_quota_fallback(r, ctx, qctx, &p->ask,
                                               p->action);

        if (rc == NGX_DONE) {
            rc = ngx_http_freshdesk_quota_local(r, ctx, qctx, &p->ask);
        }

        ngx_http_freshdesk_quota_owed_back(p, ctx,
                          res->outcome == NGX_HTTP_FRESHDESK_QUOTA_UNSURE
                          ? &res->tag : NULL, before);

        if (rc == NGX_AGAIN) {
            /* waits for the account's credit in this zone */
            return;
        }

        goto done;
    }

    p->ask.carries = 0;

    rc = ngx_http_freshdesk_quota_guard_redis_done(r, ctx, p, res);

    if (rc == NGX_AGAIN) {
        /* no credit: the call waits, a timer asks Redis again */
        return;
    }

    if (rc != NGX_OK) {
        goto done;
    }

    if (p->action) {
        q->actions_remaining = q->actions_limit > (ngx_int_t) res->actions
                               ? q->actions_limit - (ngx_int_t) res->actions
                               : 0;
        q->actions_reset = res->actions_reset;

        if (!res->counted) {
            ngx_log_error(flcf->quota_log_level, c->log, 0,
                          "freshdesk: no further try: monthly actions quota "
                          "exhausted for tenant \"%V\"", &p->ask.tenant);
            rc = NGX_DECLINED;
            goto done;
        }

        q->taken = 1;
        q->redis = 1;
        q->redis_sec = res->sec;
        q->redis_month = res->month;

        if (q->result.len == sizeof("refunded") - 1) {
            ngx_str_set(&q->result, "passed");
        }

        rc = NGX_OK;
        goto done;
    }

    if (res->counted) {
        q->taken = 1;
        q->redis = 1;
        q->redis_sec = res->sec;
        q->redis_month = res->month;
    }

    ngx_http_freshdesk_quota_shm_mirror(qctx, &p->ask, res, res->counted);

    ngx_http_freshdesk_quota_remaining(q, p->ask.calls_limit, res);

    rc = ngx_http_freshdesk_quota_verdict(r, ctx, res->refuse);

done:

    if (!p->action) {
        rc = ngx_http_freshdesk_quota_tenant_done(ctx, qctx, rc);
    }

    /* the request goes on where it waited */

    q->rc = rc;
    q->busy = 0;

    if (ngx_http_post_request(r, NULL) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_freshdesk_quota_cleanup(void *data)
{
    ngx_http_freshdesk_quota_pending_t  *p = data;

    ngx_http_freshdesk_quota_tag_t  tag;

    /*
     * A command on its way: what it carried, back as a doubt (it may run
     * yet; the script's check of its tag settles it either way)
     */

    if (ngx_http_freshdesk_quota_redis_cancel(p->handle, &tag)
        && p->ask.carries)
    {
        ngx_http_freshdesk_quota_shm_owed_give(p->qctx, &p->ask.tenant,
                                               &p->ask.owed, &tag, 0, 0);
        p->ask.carries = 0;
    }
}


/*
 * The quota's part of the module's own answers: RateLimit-Policy and
 * RateLimit (IETF httpapi ratelimit-headers draft), and a refusal's
 * Retry-After:
 *   RateLimit-Policy: "calls";q=100;w=60, "actions";q=5000;w=2592000
 *   RateLimit: "calls";r=57;t=12, "actions";r=4988;t=1036800
 */

ngx_int_t
ngx_http_freshdesk_quota_filter_init(ngx_conf_t *cf)
{
    ngx_http_freshdesk_quota_next = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_freshdesk_quota_header_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_quota_header_filter(ngx_http_request_t *r)
{
    ngx_http_freshdesk_ctx_t  *ctx;

    if (r == r->main) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

        if (ctx && ctx->answered
            && ngx_http_freshdesk_quota_headers(r, ctx) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_freshdesk_quota_next(r);
}


static ngx_int_t
ngx_http_freshdesk_quota_headers(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    u_char                             *p;
    ngx_str_t                           v;
    ngx_http_freshdesk_loc_conf_t      *flcf;
    ngx_http_freshdesk_quota_req_t     *q;
    ngx_http_freshdesk_quota_ask_t      ask;
    ngx_http_freshdesk_quota_ctx_t     *qctx;
    ngx_http_freshdesk_quota_result_t   res;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    q = &ctx->quota;

    v.data = ngx_pnalloc(r->pool, 2 * 128 + NGX_TIME_T_LEN);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    if (q->retry_after) {
        v.len = ngx_sprintf(v.data, "%T", q->retry_after) - v.data;

        if (ngx_http_freshdesk_add_header(r, "Retry-After", &v) != NGX_OK) {
            return NGX_ERROR;
        }

        v.data += v.len;
    }

    if (flcf->quota == NULL || ctx->tenant.len == 0) {
        return NGX_OK;
    }

    if (!q->checked) {

        /* initialize, ping, tools/list...: look, do not count */

        qctx = ((ngx_shm_zone_t *) flcf->quota)->data;

        if (ngx_http_freshdesk_quota_ask(r, ctx, qctx, &ask) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_freshdesk_quota_shm_usage(qctx, &ask.tenant, &res);
        ngx_http_freshdesk_quota_remaining(q, ask.calls_limit, &res);
    }

    /* written piece by piece: ngx_sprintf() cost more than the quota */

    p = ngx_cpymem(v.data, "\"calls\";q=", sizeof("\"calls\";q=") - 1);
    p = ngx_http_freshdesk_resp_num(p, q->calls_limit);
    p = ngx_cpymem(p, ";w=60, \"actions\";q=",
                   sizeof(";w=60, \"actions\";q=") - 1);
    p = ngx_http_freshdesk_resp_num(p, q->actions_limit);
    p = ngx_cpymem(p, ";w=2592000", sizeof(";w=2592000") - 1);
    v.len = p - v.data;

    if (ngx_http_freshdesk_add_header(r, "RateLimit-Policy", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    v.data = p;

    p = ngx_cpymem(p, "\"calls\";r=", sizeof("\"calls\";r=") - 1);
    p = ngx_http_freshdesk_resp_num(p, q->calls_remaining);
    p = ngx_cpymem(p, ";t=", sizeof(";t=") - 1);
    p = ngx_http_freshdesk_resp_num(p, q->calls_reset);
    p = ngx_cpymem(p, ", \"actions\";r=", sizeof(", \"actions\";r=") - 1);
    p = ngx_http_freshdesk_resp_num(p, q->actions_remaining);
    p = ngx_cpymem(p, ";t=", sizeof(";t=") - 1);
    p = ngx_http_freshdesk_resp_num(p, q->actions_reset);
    v.len = p - v.data;

    return ngx_http_freshdesk_add_header(r, "RateLimit", &v);
}


