
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The shared-memory quota store: per-tenant counts in a zone, exact
 * across workers, one mutex and one lookup per call.  It answers the
 * quota front door (quota.c) in a result struct and calls nothing above
 * it; the state file's lines are read and written with state.c, the
 * account guard's lines (its part of the zone) by guard.c.
 *
 * Each tenant has a node in a red-black tree (limit_req layout: the node
 * struct overlays the rbtree node from its color field, the tenant name
 * last).  The node holds the monthly action count and never leaves the
 * zone while it matters.  The per-minute call window (60 one-second
 * buckets) is a separate block that exists only for tenants active in the
 * last minute and may be reclaimed when idle.
 *
 * Bytes per tenant: the node is 80 bytes + the tenant name; with names up
 * to 48 bytes it takes the slab's 128-byte class.  An active tenant's
 * window adds one 128-byte block.  A 10m zone therefore holds about
 * 78,000 tenant nodes, or 50,000 tenants of which 13,000 active in the
 * same minute.
 */


#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_state.h"
#include "ngx_http_freshdesk_guard.h"
#include "ngx_http_freshdesk_named.h"
#include "ngx_http_freshdesk_file.h"


static void ngx_http_freshdesk_quota_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_lookup(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant, uint32_t hash);
static ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_find(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant);
static ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_create(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant, uint32_t hash,
    uint32_t month);
static ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_insert(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant, uint32_t month);
static void ngx_http_freshdesk_quota_reclaim(
    ngx_http_freshdesk_quota_ctx_t *ctx, time_t now, uint32_t month,
    ngx_uint_t n);
static void ngx_http_freshdesk_quota_expire(
    ngx_http_freshdesk_quota_ctx_t *ctx, time_t now);
static ngx_uint_t ngx_http_freshdesk_quota_window(
    ngx_http_freshdesk_quota_window_t *w, time_t now, time_t *reset);
static void ngx_http_freshdesk_quota_judge(
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res, time_t reset, time_t now);
static void ngx_http_freshdesk_quota_resets(
    ngx_http_freshdesk_quota_result_t *res, time_t reset, time_t now);
static void ngx_http_freshdesk_quota_new_month(
    ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_node_t *qn, uint32_t month);
static void ngx_http_freshdesk_quota_owed_off(
    ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_node_t *qn,
    ngx_http_freshdesk_quota_owed_t *owed);
static uint32_t ngx_http_freshdesk_quota_owed_all(
    ngx_http_freshdesk_quota_node_t *qn);
static void ngx_http_freshdesk_quota_load(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_log_t *log);


/*
 * The UTC month of a time, and when it ends.  The month's bounds are
 * cached per process: gmtime() and timegm() run once a month, not per
 * call.
 */

static time_t    ngx_http_freshdesk_month_start = 1;
static time_t    ngx_http_freshdesk_month_next;
static uint32_t  ngx_http_freshdesk_month_value;


static void
ngx_http_freshdesk_quota_month_update(time_t now)
{
    ngx_tm_t  tm;

    if (now >= ngx_http_freshdesk_month_start
        && now < ngx_http_freshdesk_month_next)
    {
        return;
    }

    ngx_libc_gmtime(now, &tm);

    ngx_http_freshdesk_month_value = (tm.tm_year + 1900) * 100
                                     + tm.tm_mon + 1;

    tm.tm_mday = 1;
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;

    ngx_http_freshdesk_month_start = timegm(&tm);

    tm.tm_mon++;

    if (tm.tm_mon > 11) {
        tm.tm_mon = 0;
        tm.tm_year++;
    }

    ngx_http_freshdesk_month_next = timegm(&tm);
}


/* YYYYMM of a UTC time */

uint32_t
ngx_http_freshdesk_quota_month(time_t now)
{
    ngx_http_freshdesk_quota_month_update(now);

    return ngx_http_freshdesk_month_value;
}


/* the first second of the next UTC month */

time_t
ngx_http_freshdesk_quota_month_end(time_t now)
{
    ngx_http_freshdesk_quota_month_update(now);

    return ngx_http_freshdesk_month_next;
}


ngx_int_t
ngx_http_freshdesk_quota_shm_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_freshdesk_quota_ctx_t  *octx = data;

    size_t                           len;
    ngx_http_freshdesk_quota_ctx_t  *ctx;

    ctx = shm_zone->data;

    if (octx) {
        /* reload: the zone memory survived, keep every counter */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool,
                             sizeof(ngx_http_freshdesk_quota_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_http_freshdesk_quota_rbtree_insert_value);
    ngx_queue_init(&ctx->sh->queue);
    ngx_memzero(&ctx->sh->redis, sizeof(ngx_http_freshdesk_redis_stats_t));
    ctx->sh->accounts = NULL;

    len = sizeof(" in freshdesk_quota_zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in freshdesk_quota_zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is reported by us, with the tenant's consequences */
    ctx->shpool->log_nomem = 0;

    /* first start (not a reload): counters from the state file */

    if (ctx->state.len) {
        ngx_http_freshdesk_quota_load(ctx, ngx_cycle->log);
    }

    return NGX_OK;
}


static void
ngx_http_freshdesk_quota_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_freshdesk_named_insert(temp, node, sentinel,
                               offsetof(ngx_http_freshdesk_quota_node_t, data));
}


static ngx_http_freshdesk_quota_node_t *
ngx_http_freshdesk_quota_lookup(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_str_t *tenant, uint32_t hash)
{
    return ngx_http_freshdesk_named_lookup(&ctx->sh->rbtree, tenant, hash,
                               offsetof(ngx_http_freshdesk_quota_node_t, data));
}


static ngx_http_freshdesk_quota_node_t *
ngx_http_freshdesk_quota_find(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_str_t *tenant)
{
    return ngx_http_freshdesk_quota_lookup(ctx, tenant,
                                 ngx_crc32_short(tenant->data, tenant->len));
}


/*
 * Frees idle call windows, oldest first.  Only tenants with a window are
 * in the LRU queue, so this stops at the first window still in use: the
 * cost is bounded by what it frees.  Monthly nodes are never freed here.
 */

static void
ngx_http_freshdesk_quota_reclaim(ngx_http_freshdesk_quota_ctx_t *ctx,
    time_t now, uint32_t month, ngx_uint_t n)
{
    ngx_queue_t                      *q;
    ngx_http_freshdesk_quota_node_t  *qn;

    while (n-- && !ngx_queue_empty(&ctx->sh->queue)) {
        q = ngx_queue_last(&ctx->sh->queue);
        qn = ngx_queue_data(q, ngx_http_freshdesk_quota_node_t, queue);

        if (now - (time_t) qn->window->last < 60) {
            return;
        }

        ngx_queue_remove(q);
        ngx_slab_free_locked(ctx->shpool, qn->window);
        qn->window = NULL;
    }
}


/*
 * Deletes the nodes that no longer matter: no window and no usage this
 * month.  Run from the maintenance timer, which walks the whole tree.
 */

static void
ngx_http_freshdesk_quota_expire(ngx_http_freshdesk_quota_ctx_t *ctx,
    time_t now)
{
    uint32_t                          month;
    ngx_rbtree_node_t                *node, *next, *root, *sentinel;
    ngx_http_freshdesk_quota_node_t  *qn;

    month = ngx_http_freshdesk_quota_month(now);
    sentinel = ctx->sh->rbtree.sentinel;

    ngx_http_freshdesk_quota_reclaim(ctx, now, month, (ngx_uint_t) -1);

    root = ctx->sh->rbtree.root;

    if (root == sentinel) {
        return;
    }

    for (node = ngx_rbtree_min(root, sentinel); node; node = next) {
        next = ngx_rbtree_next(&ctx->sh->rbtree, node);
        qn = (ngx_http_freshdesk_quota_node_t *) &node->color;

        if (qn->window == NULL && qn->month != month) {
            /* what a past month owed Redis is dropped with the node */
            ngx_http_freshdesk_quota_new_month(ctx, qn, month);

            ngx_rbtree_delete(&ctx->sh->rbtree, node);
            ngx_slab_free_locked(ctx->shpool, node);
        }
    }
}


static ngx_http_freshdesk_quota_node_t *
ngx_http_freshdesk_quota_create(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_str_t *tenant, uint32_t hash, uint32_t month)
{
    size_t                            size;
    ngx_rbtree_node_t                *node;
    ngx_http_freshdesk_quota_node_t  *qn;

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_freshdesk_quota_node_t, data)
           + tenant->len;

    node = ngx_slab_alloc_locked(ctx->shpool, size);

    if (node == NULL) {
        ngx_http_freshdesk_quota_reclaim(ctx, ngx_time(), month, 16);

        node = ngx_slab_alloc_locked(ctx->shpool, size);
        if (node == NULL) {
            return NULL;
        }
    }

    node->key = hash;

    qn = (ngx_http_freshdesk_quota_node_t *) &node->color;

    ngx_memzero(qn, offsetof(ngx_http_freshdesk_quota_node_t, data));
    qn->len = (u_char) tenant->len;
    qn->month = month;
    ngx_memcpy(qn->data, tenant->data, tenant->len);

    ngx_rbtree_insert(&ctx->sh->rbtree, node);

    return qn;
}


static ngx_http_freshdesk_quota_node_t *
ngx_http_freshdesk_quota_insert(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_str_t *tenant, uint32_t month)
{
    uint32_t                          hash;
    ngx_http_freshdesk_quota_node_t  *qn;

    hash = ngx_crc32_short(tenant->data, tenant->len);

    qn = ngx_http_freshdesk_quota_lookup(ctx, tenant, hash);
    if (qn) {
        return qn;
    }

    return ngx_http_freshdesk_quota_create(ctx, tenant, hash, month);
}


/*
 * Advances the window to "now" and returns the calls in the last 60
 * seconds; *reset is when the oldest of them leaves the window.
 */

static ngx_uint_t
ngx_http_freshdesk_quota_window(ngx_http_freshdesk_quota_window_t *w,
    time_t now, time_t *reset)
{
    time_t  t;

    /* the buckets of the seconds gone by are emptied, the sum follows */

    if (now - (time_t) w->last >= 60) {
        ngx_memzero(w->count, sizeof(w->count));
        w->sum = 0;

    } else if (now > (time_t) w->last) {
        for (t = (time_t) w->last + 1; t <= now; t++) {
            w->sum -= w->count[t % 60];
            w->count[t % 60] = 0;
        }
    }

    if (now > (time_t) w->last) {
        w->last = (uint32_t) now;
    }

    /* the window frees a call when its oldest counted second leaves it */

    *reset = 0;

    if (w->sum) {
        for (t = now - 59; t <= now; t++) {
            if (w->count[t % 60]) {
                *reset = t + 60;
                break;
            }
        }
    }

    return w->sum;
}


ngx_uint_t
ngx_http_freshdesk_quota_calls_now(ngx_http_freshdesk_quota_node_t *qn,
    time_t now)
{
    time_t                             reset;
    ngx_http_freshdesk_quota_window_t  w;

    if (qn->window == NULL) {
        return 0;
    }

    /* a copy: reading must not change the shared window */
    w = *qn->window;

    return ngx_http_freshdesk_quota_window(&w, now, &reset);
}




/*
 * The zone's rules, for a take or a peek: refused for the calls of the
 * minute (res->calls_reset says when one frees), for the month's actions,
 * or admitted
 */

static void
ngx_http_freshdesk_quota_judge(ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res, time_t reset, time_t now)
{
    if ((ngx_int_t) res->calls >= ask->calls_limit) {
        res->refuse = NGX_HTTP_FRESHDESK_QUOTA_CALLS;
        res->calls_reset = reset > now ? reset - now : 1;

    } else if ((ngx_int_t) (res->actions + 1) > ask->actions_limit) {
        res->refuse = NGX_HTTP_FRESHDESK_QUOTA_ACTIONS;
    }
}


/* when what the decision left frees up: the minute's and the month's */

static void
ngx_http_freshdesk_quota_resets(ngx_http_freshdesk_quota_result_t *res,
    time_t reset, time_t now)
{
    if (res->calls_reset == 0) {
        res->calls_reset = reset > now ? reset - now : 60;
    }

    res->actions_reset = ngx_http_freshdesk_quota_month_end(now) - now;
}


void
ngx_http_freshdesk_quota_shm_take(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res)
{
    time_t                            now, reset;
    uint32_t                          hash, month;
    ngx_http_freshdesk_quota_node_t  *qn;

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);
    hash = ngx_crc32_short(ask->tenant.data, ask->tenant.len);

    ngx_memzero(res, sizeof(ngx_http_freshdesk_quota_result_t));

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_lookup(qctx, &ask->tenant, hash);

    if (qn == NULL) {
        qn = ngx_http_freshdesk_quota_create(qctx, &ask->tenant, hash,
                                             month);

        if (qn == NULL) {
            goto zone_full;
        }

    } else if (qn->window) {
        ngx_queue_remove(&qn->queue);
        ngx_queue_insert_head(&qctx->sh->queue, &qn->queue);
    }

    /* opportunistically free up to two idle windows at the tail */
    ngx_http_freshdesk_quota_reclaim(qctx, now, month, 2);

    if (qn->month != month) {
        /* a new calendar month (UTC): the monthly budget starts over */
        ngx_http_freshdesk_quota_new_month(qctx, qn, month);
    }

    if (qn->window == NULL) {
        qn->window = ngx_slab_alloc_locked(qctx->shpool,
                                 sizeof(ngx_http_freshdesk_quota_window_t));

        if (qn->window == NULL) {
            ngx_http_freshdesk_quota_reclaim(qctx, now, month, 16);

            qn->window = ngx_slab_alloc_locked(qctx->shpool,
                                 sizeof(ngx_http_freshdesk_quota_window_t));
        }

        if (qn->window == NULL) {
            goto zone_full;
        }

        ngx_memzero(qn->window, sizeof(ngx_http_freshdesk_quota_window_t));
        qn->window->last = now;
        ngx_queue_insert_head(&qctx->sh->queue, &qn->queue);
    }

    qn->calls_limit = ask->calls_shown;
    qn->actions_limit = ask->actions_limit;

    res->calls = ngx_http_freshdesk_quota_window(qn->window, now, &reset);
    res->actions = qn->actions;

    ngx_http_freshdesk_quota_judge(ask, res, reset, now);

    if (res->refuse) {
        qn->refused++;
    }

    if ((!res->refuse || ask->dry_run)
        && qn->window->count[now % 60] < 65535)
    {
        qn->window->count[now % 60]++;
        qn->window->sum++;
        qn->actions++;
        res->calls++;
        res->counted = 1;

        if (ask->owe) {
            qn->owed++;
            (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, 1);
        }
    }

    res->actions = qn->actions;
    res->month = month;

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    ngx_http_freshdesk_quota_resets(res, reset, now);

    return;

zone_full:

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    res->refuse = NGX_HTTP_FRESHDESK_QUOTA_FULL;
    res->calls_reset = 60;
}


/*
 * Would a take refuse a call now?  Read only: nothing is taken, counted
 * or moved in the zone.
 *
 * With Redis the zone holds what Redis said at this node's last call of
 * the tenant (no round trip here): the month's actions, and the minute's
 * calls, which stay in Redis's window at least until the oldest of them
 * leaves it (calls_hold seconds later).  Both can only have grown since,
 * but for a refund: a refusal seen here is one Redis would make.
 */

void
ngx_http_freshdesk_quota_shm_peek(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res)
{
    time_t                             now, reset;
    uint32_t                           month;
    ngx_http_freshdesk_quota_node_t   *qn;
    ngx_http_freshdesk_quota_window_t  w;

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);
    reset = 0;

    ngx_memzero(res, sizeof(ngx_http_freshdesk_quota_result_t));

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, &ask->tenant);

    if (qn) {
        if (qn->window) {
            /* a copy: reading must not change the shared window */
            w = *qn->window;
            res->calls = ngx_http_freshdesk_quota_window(&w, now, &reset);
        }

        if (qctx->redis && now < (time_t) qn->seen_at + qn->calls_hold
            && qn->calls_seen > res->calls)
        {
            res->calls = qn->calls_seen;
            reset = (time_t) qn->seen_at + qn->calls_hold;
        }

        if (qn->month == month) {
            res->actions = qn->actions;
        }
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    ngx_http_freshdesk_quota_judge(ask, res, reset, now);
    ngx_http_freshdesk_quota_resets(res, reset, now);
}


/* what a tenant used, for a request that takes nothing (no judging) */

void
ngx_http_freshdesk_quota_shm_usage(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, ngx_http_freshdesk_quota_result_t *res)
{
    time_t                            now;
    ngx_http_freshdesk_quota_node_t  *qn;

    now = ngx_time();

    ngx_memzero(res, sizeof(ngx_http_freshdesk_quota_result_t));

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn) {
        res->calls = ngx_http_freshdesk_quota_calls_now(qn, now);

        if (qn->month == ngx_http_freshdesk_quota_month(now)) {
            res->actions = qn->actions;
        }
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    res->calls_reset = 60;
    res->actions_reset = ngx_http_freshdesk_quota_month_end(now) - now;
}


/* a refusal a peek saw: counted among the tenant's refused calls */

void
ngx_http_freshdesk_quota_shm_refused(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant)
{
    uint32_t                          month;
    ngx_http_freshdesk_quota_node_t  *qn;

    month = ngx_http_freshdesk_quota_month(ngx_time());

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn && qn->month == month) {
        qn->refused++;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/*
 * One more action of the month for a call admitted before (a retry):
 * res->counted when there was one left (or in a dry run); res->month is
 * 0 when the zone does not know the tenant.
 */

void
ngx_http_freshdesk_quota_shm_action(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res)
{
    uint32_t                          month;
    ngx_http_freshdesk_quota_node_t  *qn;

    month = ngx_http_freshdesk_quota_month(ngx_time());

    ngx_memzero(res, sizeof(ngx_http_freshdesk_quota_result_t));

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, &ask->tenant);

    if (qn) {
        if (qn->month != month) {
            ngx_http_freshdesk_quota_new_month(qctx, qn, month);
        }

        if ((ngx_int_t) qn->actions < ask->actions_limit || ask->dry_run) {
            qn->actions++;
            res->counted = 1;

            if (ask->owe) {
                qn->owed++;
                (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, 1);
            }
        }

        res->actions = qn->actions;
        res->month = month;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/*
 * charge=credits: what Freshdesk charged a request beyond the action taken
 * when it was admitted; the work is done, so the limit does not stop it
 */

uint32_t
ngx_http_freshdesk_quota_shm_charge(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, ngx_uint_t n)
{
    uint32_t                          month, actions;
    ngx_http_freshdesk_quota_node_t  *qn;

    month = ngx_http_freshdesk_quota_month(ngx_time());
    actions = 0;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn && qn->month == month) {
        qn->actions = (qn->actions > NGX_MAX_UINT32_VALUE - n)
                      ? NGX_MAX_UINT32_VALUE : qn->actions + (uint32_t) n;
        actions = qn->actions;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return actions;
}


/* an action given back: 1 when there was one this month */

ngx_uint_t
ngx_http_freshdesk_quota_shm_refund(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant)
{
    ngx_uint_t                             i, done;
    ngx_http_freshdesk_quota_node_t       *qn;
    ngx_http_freshdesk_quota_owed_more_t  *m;

    done = 0;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn && qn->actions
        && qn->month == ngx_http_freshdesk_quota_month(ngx_time()))
    {
        qn->actions--;
        done = 1;

        /*
         * With Redis, one action less of what this node still owes it:
         * plain, else a doubt's.  A call's action is counted in Redis once
         * (from one of these, or by its command), so that one less of a
         * debt that would count is exact, and of a doubt whose command ran
         * leaves the tenant charged: never undercharged.
         */

        m = qn->owed_more;

        if (qn->owed) {
            qn->owed--;
            (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, -1);

        } else if (m) {
            for (i = m->ndoubt; i > 0; i--) {
                if (m->doubt[i - 1].actions) {
                    m->doubt[i - 1].actions--;
                    (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                                -1);
                    break;
                }
            }
        }
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return done;
}


/* under the lock: a tenant's first call of a month; what Redis was owed
 * for the month gone (plain, calls, doubts) is lost with it */

static void
ngx_http_freshdesk_quota_new_month(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_node_t *qn, uint32_t month)
{
    uint32_t  n;

    /* the doubts' actions go with the plain owed ones */

    n = ngx_http_freshdesk_quota_owed_all(qn);

    if (qn->owed_more) {
        ngx_slab_free_locked(qctx->shpool, qn->owed_more);
        qn->owed_more = NULL;
    }

    if (n) {
        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                    -(ngx_atomic_int_t) n);
    }

    qn->month = month;
    qn->actions = 0;
    qn->refused = 0;
    qn->owed = 0;
}


/*
 * With Redis: what Redis decided, mirrored here, so that the status page,
 * a peek and a fallback start from the cluster's numbers: the month's
 * actions, the calls of the last minute as Redis counted them, and this
 * node's admitted call in its own window.
 */

void
ngx_http_freshdesk_quota_shm_mirror(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_ask_t *ask,
    ngx_http_freshdesk_quota_result_t *res, ngx_uint_t counted)
{
    time_t                            now, reset;
    uint32_t                          month;
    ngx_http_freshdesk_quota_node_t  *qn;

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_insert(qctx, &ask->tenant, month);

    if (qn == NULL) {
        goto done;
    }

    if (qn->month != month) {
        ngx_http_freshdesk_quota_new_month(qctx, qn, month);
    }

    if (res->month == month) {
        qn->actions = res->actions;
    }

    if (res->refuse) {
        qn->refused++;
    }

    qn->calls_limit = ask->calls_shown;
    qn->actions_limit = ask->actions_limit;
    qn->calls_seen = res->calls;
    qn->seen_at = (uint32_t) now;
    qn->calls_hold = (u_short) ngx_min(res->calls_reset, 60);

    if (counted && qn->window && qn->window->count[now % 60] < 65535) {
        (void) ngx_http_freshdesk_quota_window(qn->window, now, &reset);
        qn->window->count[now % 60]++;
        qn->window->sum++;
    }

done:

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/*
 * What a tenant owes Redis, taken off the node to be sent (and given back
 * when the sending fails): a worker that crashes in between loses it.
 */

ngx_uint_t
ngx_http_freshdesk_quota_shm_owed_take(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, ngx_http_freshdesk_quota_owed_t *owed)
{
    ngx_uint_t                        any;
    ngx_http_freshdesk_quota_node_t  *qn;

    owed->n = 0;
    owed->month = 0;
    owed->calls = 0;
    owed->ndoubt = 0;
    any = 0;

    if (qctx->sh->redis.unsynced == 0) {
        return 0;
    }

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn && (qn->owed || qn->owed_more)) {
        ngx_http_freshdesk_quota_owed_off(qctx, qn, owed);
        any = 1;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return any;
}


/* under the lock: a node's debt to Redis into owed, off the node */

static void
ngx_http_freshdesk_quota_owed_off(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_node_t *qn,
    ngx_http_freshdesk_quota_owed_t *owed)
{
    ngx_uint_t                             i, n, recent;
    ngx_http_freshdesk_quota_owed_more_t  *m;

    m = qn->owed_more;

    owed->n = qn->owed;
    owed->month = qn->month;
    owed->calls = 0;
    owed->ndoubt = 0;

    n = qn->owed;

    if (m) {
        /* calls of a minute gone are no longer in any window */
        recent = (uint32_t) ngx_time() - m->calls_at < 60;

        owed->calls = recent ? m->calls : 0;
        owed->ndoubt = m->ndoubt;

        for (i = 0; i < m->ndoubt; i++) {
            owed->doubt[i] = m->doubt[i];
            n += m->doubt[i].actions;

            if (!recent) {
                owed->doubt[i].calls = 0;
            }
        }

        ngx_slab_free_locked(qctx->shpool, m);
        qn->owed_more = NULL;
    }

    if (n) {
        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                    -(ngx_atomic_int_t) n);
    }

    qn->owed = 0;
}


/*
 * Back to the node: what was taken to be sent (owed, may be NULL) and the
 * fallback's own count (local_action, already in qn->owed; local_call,
 * not yet counted as owed).  With no tag, the command certainly did not
 * run: all is owed as before.  With a tag (no reply came: it may have
 * run) the plain actions and calls become one doubt, settled by the
 * script's check of the tag; the doubts it carried go back as they were
 * (checking one twice is harmless).  A node without room for a doubt
 * merges it with one of the same connection, else owes it plainly, which
 * may count it twice: logged.
 */

void
ngx_http_freshdesk_quota_shm_owed_give(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, ngx_http_freshdesk_quota_owed_t *owed,
    ngx_http_freshdesk_quota_tag_t *tag, ngx_uint_t local_action,
    ngx_uint_t local_call)
{
    ngx_uint_t                             i, j, k, n, calls, lost, full,
                                           merged;
    ngx_http_freshdesk_quota_doubt_t       d[NGX_HTTP_FRESHDESK_QUOTA_DOUBTS
                                             + 1];
    ngx_http_freshdesk_quota_node_t       *qn;
    ngx_http_freshdesk_quota_owed_more_t  *m;

    lost = 0;
    full = 0;
    merged = 0;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn == NULL) {
        if (owed) {
            lost = owed->n;

            for (i = 0; i < owed->ndoubt; i++) {
                lost += owed->doubt[i].actions;
            }
        }

        goto done;
    }

    n = 0;
    calls = 0;
    k = 0;

    if (owed && owed->month == qn->month) {
        n = owed->n;
        calls = owed->calls;

        for (i = 0; i < owed->ndoubt; i++) {
            d[k++] = owed->doubt[i];
        }
    }

    /* the fallback's action, counted as owed by the local decision */
    local_action = ngx_min(local_action, qn->owed);

    if (tag) {
        if (n + local_action || calls + local_call) {
            d[k].conn = tag->conn;
            d[k].seq = tag->seq;
            d[k].actions = (uint16_t) ngx_min(n + local_action, 65535);
            d[k].calls = (uint16_t) ngx_min(calls + local_call, 65535);
            k++;
        }

        qn->owed -= local_action;
        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                    -(ngx_atomic_int_t) local_action);
        n = 0;
        calls = 0;

    } else {
        calls += local_call;
    }

    m = qn->owed_more;

    if (m == NULL && (k || calls)) {
        m = ngx_slab_calloc_locked(qctx->shpool,
                                sizeof(ngx_http_freshdesk_quota_owed_more_t));
        qn->owed_more = m;

        if (m == NULL) {
            /* the zone is full: doubts owed plainly, calls not at all */
            for (i = 0; i < k; i++) {
                n += d[i].actions;
                full += d[i].actions;
            }

            k = 0;
            calls = 0;
        }
    }

    for (i = 0; i < k; i++) {
        if (m->ndoubt < NGX_HTTP_FRESHDESK_QUOTA_DOUBTS) {
            m->doubt[m->ndoubt++] = d[i];
            (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                        d[i].actions);
            continue;
        }

        /*
         * No room: merged into a doubt of the same connection, settled by
         * the later number (commands run in order: when it has run, both
         * have; when neither has, both are owed; only when Redis ran the
         * one and not the other is the one counted twice)
         */

        for (j = 0; j < m->ndoubt; j++) {
            if (m->doubt[j].conn == d[i].conn) {
                break;
            }
        }

        if (j < m->ndoubt) {
            m->doubt[j].seq = ngx_max(m->doubt[j].seq, d[i].seq);
            m->doubt[j].actions = (uint16_t) ngx_min(
                               m->doubt[j].actions + d[i].actions, 65535);
            m->doubt[j].calls = (uint16_t) ngx_min(
                               m->doubt[j].calls + d[i].calls, 65535);
            merged++;
            (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                        d[i].actions);
            continue;
        }

        /* nor that: owed plainly */
        n += d[i].actions;
        calls += d[i].calls;
        full += d[i].actions;
    }

    if (n) {
        qn->owed += n;
        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, n);
    }

    if (calls && m) {
        m->calls = (uint16_t) ngx_min(m->calls + calls, 65535);
        m->calls_at = (uint32_t) ngx_time();
    }

done:

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    if (merged) {
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "freshdesk: quota zone \"%V\": %ui doubts of tenant "
                      "\"%V\" merged with another of their connection",
                      &qctx->name, merged, tenant);
    }

    if (full) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "freshdesk: quota zone \"%V\": no room for a doubt "
                      "of tenant \"%V\": %ui actions owed to Redis as "
                      "certain, which may count them twice",
                      &qctx->name, tenant, full);
    }

    if (lost) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "freshdesk: quota zone \"%V\": %ui actions of tenant "
                      "\"%V\" owed to Redis lost (tenant gone from the "
                      "zone)", &qctx->name, lost, tenant);
    }
}


/* under the lock: a node's owed actions, plain and in doubt */

static uint32_t
ngx_http_freshdesk_quota_owed_all(ngx_http_freshdesk_quota_node_t *qn)
{
    uint32_t    n;
    ngx_uint_t  i;

    n = qn->owed;

    for (i = 0; qn->owed_more && i < qn->owed_more->ndoubt; i++) {
        n += qn->owed_more->doubt[i].actions;
    }

    return n;
}


/* up to max tenants that owe Redis, their debts taken off their nodes */

ngx_uint_t
ngx_http_freshdesk_quota_shm_owed_collect(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_owed_t *owed, ngx_uint_t max)
{
    ngx_uint_t                        n;
    ngx_rbtree_node_t                *node, *root, *sentinel;
    ngx_http_freshdesk_quota_node_t  *qn;

    n = 0;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    root = qctx->sh->rbtree.root;
    sentinel = qctx->sh->rbtree.sentinel;

    if (root == sentinel) {
        goto done;
    }

    for (node = ngx_rbtree_min(root, sentinel);
         node && n < max;
         node = ngx_rbtree_next(&qctx->sh->rbtree, node))
    {
        qn = (ngx_http_freshdesk_quota_node_t *) &node->color;

        if (qn->owed == 0 && qn->owed_more == NULL) {
            continue;
        }

        ngx_http_freshdesk_quota_owed_off(qctx, qn, &owed[n]);
        owed[n].tenant.len = qn->len;
        ngx_memcpy(owed[n].tenant.data, qn->data, qn->len);
        n++;
    }

done:

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return n;
}


/* the maintenance timer without a state file: idle entries expired */

void
ngx_http_freshdesk_quota_shm_expire(ngx_http_freshdesk_quota_ctx_t *qctx)
{
    ngx_shmtx_lock(&qctx->shpool->mutex);
    ngx_http_freshdesk_quota_expire(qctx, ngx_time());
    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/* idle entries expired and the state file written: a snapshot under the
 * lock, the file work without it */

ngx_int_t
ngx_http_freshdesk_quota_shm_save(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_log_t *log)
{
    u_char                           *buf, *p;
    size_t                            size;
    time_t                            now;
    uint32_t                          month, owed;
    ngx_int_t                         rc;
    ngx_uint_t                        n;
    ngx_rbtree_node_t                *node, *root, *sentinel;
    ngx_http_freshdesk_state_rec_t    rec;
    ngx_http_freshdesk_quota_node_t  *qn;

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);

    ngx_shmtx_lock(&qctx->shpool->mutex);

    ngx_http_freshdesk_quota_expire(qctx, now);

    root = qctx->sh->rbtree.root;
    sentinel = qctx->sh->rbtree.sentinel;
    size = NGX_HTTP_FRESHDESK_STATE_HEAD;
    n = 0;

    if (root != sentinel) {
        for (node = ngx_rbtree_min(root, sentinel); node;
             node = ngx_rbtree_next(&qctx->sh->rbtree, node))
        {
            qn = (ngx_http_freshdesk_quota_node_t *) &node->color;
            size += qn->len * 2 + 3 * NGX_INT32_LEN + 4;
            n++;
        }
    }

    /* the account guard's lines last: its learned limits and pauses */
    size += ngx_http_freshdesk_guard_state_size(qctx);

    buf = ngx_alloc(size, log);
    if (buf == NULL) {
        ngx_shmtx_unlock(&qctx->shpool->mutex);
        return NGX_ERROR;
    }

    p = ngx_http_freshdesk_state_head(buf, month);

    if (root != sentinel) {
        for (node = ngx_rbtree_min(root, sentinel); node;
             node = ngx_rbtree_next(&qctx->sh->rbtree, node))
        {
            qn = (ngx_http_freshdesk_quota_node_t *) &node->color;

            /* doubts too, as owed: after a restart their commands'
             * tags mean nothing to this node, and they may count twice */

            owed = ngx_http_freshdesk_quota_owed_all(qn);

            if (qn->month != month
                || (qn->actions == 0 && qn->refused == 0 && owed == 0))
            {
                continue;
            }

            rec.tenant.data = qn->data;
            rec.tenant.len = qn->len;
            rec.actions = qn->actions;
            rec.refused = qn->refused;
            rec.owed = owed;

            p = ngx_http_freshdesk_state_line(p, &rec);
        }
    }

    p = ngx_http_freshdesk_guard_state_save(qctx, p);

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    rc = ngx_http_freshdesk_file_write(&qctx->state, buf, p - buf, log);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "freshdesk quota state \"%V\" saved, %ui nodes: %i",
                   &qctx->state, n, rc);

    ngx_free(buf);

    return rc;
}


/*
 * The state file into a new zone: this month's counts, and the account
 * guard's limits and pauses (whatever the month: a pause may span its
 * end)
 */

static void
ngx_http_freshdesk_quota_load(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_log_t *log)
{
    uint32_t                          now_month;
    ngx_int_t                         rc, grc;
    ngx_uint_t                        loaded, accounts, paused, stale;
    ngx_http_freshdesk_state_rec_t    rec;
    ngx_http_freshdesk_state_file_t   sf;
    ngx_http_freshdesk_quota_node_t  *qn;

    sf.path = &ctx->state;
    sf.log = log;

    if (ngx_http_freshdesk_state_open(&sf) != NGX_OK) {
        return;
    }

    now_month = ngx_http_freshdesk_quota_month(ngx_time());
    stale = 0;

    if (sf.month != now_month) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "freshdesk quota state \"%V\" is from month %uD, "
                      "monthly counts start over in %uD",
                      &ctx->state, sf.month, now_month);
        stale = 1;
    }

    loaded = 0;
    accounts = 0;
    paused = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    for ( ;; ) {
        rc = ngx_http_freshdesk_state_next(&sf, &rec);

        if (rc == NGX_DECLINED) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "freshdesk quota state \"%V\": malformed account "
                          "line %ui skipped", &ctx->state, sf.line);
            continue;
        }

        if (rc != NGX_OK) {
            break;
        }

        if (rec.type == NGX_HTTP_FRESHDESK_STATE_ACCOUNT) {
            grc = ngx_http_freshdesk_guard_state_restore(ctx, &rec);

            if (grc == NGX_ERROR) {
                ngx_log_error(NGX_LOG_CRIT, log, 0,
                              "freshdesk quota zone \"%V\" is too small for "
                              "the account guard's state in \"%V\"",
                              &ctx->name, &ctx->state);
                continue;
            }

            accounts++;
            paused += (grc == NGX_OK);
            continue;
        }

        if (stale) {
            continue;
        }

        qn = ngx_http_freshdesk_quota_insert(ctx, &rec.tenant, now_month);

        if (qn == NULL) {
            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "freshdesk quota zone \"%V\" is too small for the "
                          "state in \"%V\": %ui tenants loaded",
                          &ctx->name, &ctx->state, loaded);
            rc = NGX_ABORT;
            break;
        }

        qn->month = now_month;
        qn->actions = rec.actions;
        qn->refused = rec.refused;
        qn->owed = rec.owed;
        ctx->sh->redis.unsynced += rec.owed;
        loaded++;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "freshdesk quota state \"%V\" is corrupt at line %ui, "
                      "the rest is ignored (%ui tenants loaded)",
                      &ctx->state, sf.line, loaded);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "freshdesk quota state \"%V\": %ui tenants loaded, "
                      "%ui guarded accounts (%ui paused)",
                      &ctx->state, loaded, accounts, paused);
    }

    ngx_http_freshdesk_state_close(&sf);
}
