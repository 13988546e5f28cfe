
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The quota's per-worker life: at start each Redis zone's connections and
 * its sweep, and worker 0's maintenance timer (the state file and the
 * metrics beside it, idle entries expired); every second the sweep sends
 * Redis what this node counted while it was away, and what Freshdesk
 * said of the guarded accounts that no take has carried; at exit what is still
 * on its way goes back to the zone, and the state is written last.
 */


#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_quota_redis.h"
#include "ngx_http_freshdesk_metrics.h"


#define FD_QUOTA_SWEEP       1000     /* ms between sweeps of owed actions */
#define FD_QUOTA_SWEEP_MAX   32       /* tenants a sweep sends */




/* one tenant of a sweep */
typedef struct {
    ngx_http_freshdesk_quota_ctx_t    *qctx;
    ngx_http_freshdesk_quota_owed_t    owed;
    ngx_http_freshdesk_quota_tag_t     tag;
    ngx_uint_t                         pending;
    u_char                             tenant[255];
} ngx_http_freshdesk_quota_sync_t;




static void ngx_http_freshdesk_quota_sweep(ngx_event_t *ev);
static void ngx_http_freshdesk_quota_synced(void *data,
    ngx_http_freshdesk_quota_result_t *res);
static void ngx_http_freshdesk_quota_timer(ngx_event_t *ev);
static ngx_uint_t ngx_http_freshdesk_quota_writer(void);


/*
 * Worker start: each Redis zone's connections and its sweep; worker 0
 * (the one writer) the zones' maintenance timers: the state file and the
 * metrics beside it, idle entries expired.
 */

ngx_int_t
ngx_http_freshdesk_quota_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i, k;
    ngx_array_t                      *zones;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_sync_t  *sync;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    zones = ngx_http_freshdesk_quota_zones(cycle);

    for (i = 0; zones && i < zones->nelts; i++) {
        qctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

        if (qctx->redis && qctx->sh) {
            if (ngx_http_freshdesk_quota_redis_start(qctx->redis, cycle,
                                                     &qctx->sh->redis)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            sync = ngx_pcalloc(cycle->pool, FD_QUOTA_SWEEP_MAX
                                    * sizeof(ngx_http_freshdesk_quota_sync_t));
            if (sync == NULL) {
                return NGX_ERROR;
            }

            for (k = 0; k < FD_QUOTA_SWEEP_MAX; k++) {
                sync[k].owed.tenant.data = sync[k].tenant;
            }

            qctx->sweep = sync;

            qctx->sync.handler = ngx_http_freshdesk_quota_sweep;
            qctx->sync.data = qctx;
            qctx->sync.log = cycle->log;
            qctx->sync.cancelable = 1;

            ngx_add_timer(&qctx->sync, FD_QUOTA_SWEEP);
        }

        if (ngx_http_freshdesk_quota_writer() && qctx->shpool) {
            qctx->timer.handler = ngx_http_freshdesk_quota_timer;
            qctx->timer.data = qctx;
            qctx->timer.log = cycle->log;
            qctx->timer.cancelable = 1;

            ngx_add_timer(&qctx->timer, qctx->state_interval);
        }
    }

    return NGX_OK;
}


/*
 * Worker exit: Redis first, so that what it was still to be told goes
 * back to the zone and into the state file written last.
 */

void
ngx_http_freshdesk_quota_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i, k;
    ngx_array_t                      *zones;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_sync_t  *sync;

    zones = ngx_http_freshdesk_quota_zones(cycle);

    for (i = 0; zones && i < zones->nelts; i++) {
        qctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

        if (qctx->redis == NULL || qctx->sweep == NULL) {
            continue;
        }

        if (qctx->sync.timer_set) {
            ngx_del_timer(&qctx->sync);
        }

        /*
         * Syncs still on their way: back to the node, as doubts (sent,
         * unanswered: they may run yet)
         */

        sync = qctx->sweep;

        for (k = 0; qctx->syncing && k < FD_QUOTA_SWEEP_MAX; k++) {
            if (sync[k].pending) {
                sync[k].pending = 0;
                qctx->syncing--;
                ngx_http_freshdesk_quota_shm_owed_give(qctx,
                                                       &sync[k].owed.tenant,
                                                       &sync[k].owed,
                                                       &sync[k].tag, 0, 0);
            }
        }

        ngx_http_freshdesk_quota_redis_stop(qctx->redis);
    }

    if (!ngx_http_freshdesk_quota_writer()) {
        return;
    }

    for (i = 0; zones && i < zones->nelts; i++) {
        qctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

        if (qctx->shpool && qctx->state.len) {
            (void) ngx_http_freshdesk_quota_shm_save(qctx, cycle->log);
            ngx_http_freshdesk_metrics_save(qctx, cycle->log);
        }
    }
}


static void
ngx_http_freshdesk_quota_timer(ngx_event_t *ev)
{
    ngx_http_freshdesk_quota_ctx_t  *qctx = ev->data;

    if (qctx->state.len) {
        (void) ngx_http_freshdesk_quota_shm_save(qctx, ev->log);
        ngx_http_freshdesk_metrics_save(qctx, ev->log);

    } else {
        ngx_http_freshdesk_quota_shm_expire(qctx);
    }

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, qctx->state_interval);
    }
}


/* one writer of the state: worker 0 (or the only process) */

static ngx_uint_t
ngx_http_freshdesk_quota_writer(void)
{
    return (ngx_process == NGX_PROCESS_WORKER
            || ngx_process == NGX_PROCESS_SINGLE)
           && ngx_worker == 0;
}


/*
 * Every second, while Redis answers: what was counted here while it was
 * away (and the doubts), for the tenants that have not called since, one
 * "sync" per tenant; the next sweep waits for the replies of the last.
 */

static void
ngx_http_freshdesk_quota_sweep(ngx_event_t *ev)
{
    ngx_uint_t                        i, n;
    ngx_http_freshdesk_redis_t       *rd;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_sync_t  *sync;
    ngx_http_freshdesk_quota_owed_t   owed[FD_QUOTA_SWEEP_MAX];

    qctx = ev->data;
    rd = qctx->redis;
    sync = qctx->sweep;

    if (!ngx_exiting) {
        ngx_add_timer(ev, FD_QUOTA_SWEEP);
    }

    /* what Freshdesk said of guarded accounts, not carried by a take */

    if (ngx_http_freshdesk_redis_ready(rd)) {
        ngx_http_freshdesk_quota_redis_flush(rd);
    }

    if (qctx->syncing || qctx->sh->redis.unsynced == 0
        || !ngx_http_freshdesk_redis_ready(rd))
    {
        return;
    }

    /* a batch of tenants; what they owe is off the nodes now */

    for (i = 0; i < FD_QUOTA_SWEEP_MAX; i++) {
        owed[i].tenant.data = sync[i].tenant;
    }

    n = ngx_http_freshdesk_quota_shm_owed_collect(qctx, owed,
                                                  FD_QUOTA_SWEEP_MAX);

    for (i = 0; i < n; i++) {
        sync[i].qctx = qctx;
        sync[i].owed = owed[i];

        if (ngx_http_freshdesk_quota_redis_sync(rd, &sync[i].owed,
                                                &sync[i].tag,
                                                ngx_http_freshdesk_quota_synced,
                                                &sync[i])
            != NGX_OK)
        {
            ngx_http_freshdesk_quota_shm_owed_give(qctx,
                                                   &sync[i].owed.tenant,
                                                   &sync[i].owed, NULL, 0, 0);
            continue;
        }

        sync[i].pending = 1;
        qctx->syncing++;
    }
}


static void
ngx_http_freshdesk_quota_synced(void *data,
    ngx_http_freshdesk_quota_result_t *res)
{
    ngx_http_freshdesk_quota_sync_t  *sync = data;

    ngx_uint_t                       i, n;
    ngx_http_freshdesk_quota_ctx_t  *qctx;

    qctx = sync->qctx;
    qctx->syncing--;
    sync->pending = 0;

    if (res->outcome == NGX_HTTP_FRESHDESK_QUOTA_ANSWERED) {
        n = sync->owed.n;

        for (i = 0; i < sync->owed.ndoubt; i++) {
            n += sync->owed.doubt[i].actions;
        }

        ngx_log_error(NGX_LOG_NOTICE, qctx->redis->log, 0,
                      "freshdesk: quota zone \"%V\": %ui actions of tenant "
                      "\"%V\" counted while Redis was away: %ui added to "
                      "Redis%s", &qctx->name, n, &sync->owed.tenant,
                      res->calls, res->counted ? ""
                                               : ", a past month's dropped");
        return;
    }

    /* no reply: a doubt; an error, stale: it has not run, owed as it was */

    ngx_http_freshdesk_quota_shm_owed_give(qctx, &sync->owed.tenant,
                          &sync->owed,
                          res->outcome == NGX_HTTP_FRESHDESK_QUOTA_UNSURE
                          ? &res->tag : NULL, 0, 0);
}
