
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The account guard's store.  Freshdesk limits the API per account and
 * per minute (per hour on legacy plans), whatever the keys, agents or
 * addresses, with sub-limits per endpoint, and says on every answer how
 * much is left (X-RateLimit-Total, -Remaining, -Used-CurrentRequest).
 * Each account guarded has one node in the quota zone's shared memory,
 * beside the tenants' nodes, holding:
 *
 *   - the limit (configured, corrected by X-RateLimit-Total) and the
 *     account's remaining credits as last said by Freshdesk, minus what
 *     the gateway sent since (credits in flight count at once);
 *   - the window's end, learned: a Remaining that jumps up means that
 *     Freshdesk's window turned, a 429's Retry-After says when it will;
 *     the first window counts from the first call; the guard's own
 *     clock turns a second after the window should have, so that it
 *     rather waits than asks a Freshdesk that has not turned yet;
 *   - a pause after a 429, which every worker obeys (it and the limit are
 *     kept in the quota state file, so that a restart keeps them too);
 *   - the credits each endpoint class used in the window;
 *   - the shares: the weight, use and last call of up to 32 tenants.
 *
 * A call gets a credit when the account keeps its headroom afterwards
 * (the share of the limit left free for the account's other users) and
 * when the credits the other active tenants have not yet used of their
 * weighted share stay reserved for them: a tenant under its share is
 * never starved by one above it, and a share nobody active claims goes to
 * whoever asks.  Nothing is paced: a new window's credits may be spent at
 * once.  When the window turns by the guard's clock alone, only two
 * credits go out until an answer says whether Freshdesk turned too (if
 * not, the clock looks again a second later).
 *
 * The front door (quota.c) asks and decides what a refusal means (a
 * wait, or an answer); this file calls nothing above it.
 */


#include "ngx_http_freshdesk_guard.h"
#include "ngx_http_freshdesk_conf.h"
#include "ngx_http_freshdesk_named.h"


#define FD_GUARD_PROBE      2           /* credits out, unconfirmed turn */
#define FD_GUARD_LATE       1000        /* ms: the clock turns after it */


typedef struct {
    uint32_t                            hash;       /* 0: free */
    uint32_t                            weight;
    uint32_t                            used;       /* this window */
    uint32_t                            seen;       /* s, last call */
    uint32_t                            waited;     /* calls, ever */
    uint32_t                            refused;
    u_char                              len;
    u_char                              name[47];   /* its start */
} ngx_http_freshdesk_guard_tenant_t;


/* overlays ngx_rbtree_node_t from its color field, as the tenants do */
typedef struct {
    u_char                              color;
    u_char                              len;
    u_char                              probing;    /* turn unconfirmed */
    u_char                              pad;
    int32_t                             limit;
    int32_t                             remaining;
    int32_t                             inflight;
    int32_t                             used;       /* gateway, window */
    int32_t                             before;     /* left at the turn */
    int32_t                             low;        /* lowest Remaining */
    uint32_t                            seq;        /* calls admitted */
    uint32_t                            low_seq;    /* seq when low came */
    uint32_t                            turn_seq;   /* seq at the turn */
    uint32_t                            upstream_429;
    uint32_t                            cls[NGX_HTTP_FRESHDESK_GUARD_CLASSES];
    ngx_msec_t                          window_end;
    ngx_msec_t                          paused_until;
    time_t                              synced;     /* s, last answer */
    ngx_http_freshdesk_guard_tenant_t
                          tenants[NGX_HTTP_FRESHDESK_GUARD_TENANTS];
    u_char                              data[1];    /* account */
} ngx_http_freshdesk_guard_node_t;


typedef struct {
    ngx_rbtree_t                        rbtree;
    ngx_rbtree_node_t                   sentinel;
} ngx_http_freshdesk_guard_sh_t;


/* plans: credits a window, and the sub-limits (-1: none known) */
typedef struct {
    const char                         *name;
    ngx_int_t                           rate;
    ngx_msec_t                          window;
    ngx_int_t                           sub[NGX_HTTP_FRESHDESK_GUARD_CLASSES];
} ngx_http_freshdesk_guard_plan_t;


static ngx_http_freshdesk_guard_node_t *ngx_http_freshdesk_guard_node(
    ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask, ngx_uint_t create);
static void ngx_http_freshdesk_guard_turn(
    ngx_http_freshdesk_guard_node_t *gn, ngx_msec_t now, ngx_msec_t window,
    ngx_uint_t confirmed);
static ngx_http_freshdesk_guard_tenant_t *ngx_http_freshdesk_guard_tenant(
    ngx_http_freshdesk_guard_node_t *gn, ngx_str_t *tenant, time_t now,
    ngx_uint_t create);
static ngx_int_t ngx_http_freshdesk_guard_sub(
    ngx_http_freshdesk_guard_conf_t *conf, ngx_int_t limit, ngx_uint_t cls);
static void ngx_http_freshdesk_guard_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);


static ngx_http_freshdesk_guard_plan_t  ngx_http_freshdesk_guard_plans[] = {
    { "growth", 200, 60000, { 20, 20, 80, 80 } },
    { "pro", 400, 60000, { 100, 100, 160, 160 } },
    { "enterprise", 700, 60000, { 200, 200, 280, 280 } },
    { "trial", 50, 60000, { -1, -1, -1, -1 } },
    { "blossom", 100, 60000, { -1, -1, -1, -1 } },
    { "garden", 200, 60000, { -1, -1, -1, -1 } },
    { "estate", 400, 60000, { -1, -1, -1, -1 } },
    { "forest", 700, 60000, { -1, -1, -1, -1 } },
    { NULL, 0, 0, { -1, -1, -1, -1 } }
};

static const char  *ngx_http_freshdesk_guard_plan_names[] = {
    "growth", "pro", "enterprise", "trial", "blossom", "garden", "estate",
    "forest", NULL
};

static const char  *ngx_http_freshdesk_guard_classes[] = {
    "list_tickets", "list_contacts", "create_ticket", "update_ticket"
};


/* the parameters, parsed by the shared parser into this */
typedef struct {
    ngx_str_t                           account;
    ngx_str_t                           weight;
    ngx_str_t                           rate;
    ngx_uint_t                          plan;
    ngx_int_t                           headroom;
    ngx_msec_t                          wait;
    ngx_int_t                           sub[NGX_HTTP_FRESHDESK_GUARD_CLASSES];
} ngx_http_freshdesk_guard_params_t;


static ngx_http_freshdesk_param_t  ngx_http_freshdesk_guard_params[] = {

    { ngx_string("account="), NGX_HTTP_FRESHDESK_PARAM_STR,
      offsetof(ngx_http_freshdesk_guard_params_t, account), 0, 0, NULL,
      NULL },

    { ngx_string("weight="), NGX_HTTP_FRESHDESK_PARAM_STR,
      offsetof(ngx_http_freshdesk_guard_params_t, weight), 0, 0, NULL,
      NULL },

    { ngx_string("rate="), NGX_HTTP_FRESHDESK_PARAM_STR,
      offsetof(ngx_http_freshdesk_guard_params_t, rate), 0, 32, NULL,
      NULL },

    { ngx_string("plan="), NGX_HTTP_FRESHDESK_PARAM_ENUM,
      offsetof(ngx_http_freshdesk_guard_params_t, plan), 0, 0, NULL,
      ngx_http_freshdesk_guard_plan_names },

    { ngx_string("headroom="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_guard_params_t, headroom), 0, 90, "%",
      NULL },

    { ngx_string("wait="), NGX_HTTP_FRESHDESK_PARAM_MSEC,
      offsetof(ngx_http_freshdesk_guard_params_t, wait), 0, 0, NULL, NULL },

    { ngx_string("list_tickets="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_guard_params_t, sub[0]), 0, 1000000, NULL,
      NULL },

    { ngx_string("list_contacts="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_guard_params_t, sub[1]), 0, 1000000, NULL,
      NULL },

    { ngx_string("create_ticket="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_guard_params_t, sub[2]), 0, 1000000, NULL,
      NULL },

    { ngx_string("update_ticket="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_guard_params_t, sub[3]), 0, 1000000, NULL,
      NULL },

    { ngx_null_string, 0, 0, 0, 0, NULL, NULL }
};


/*
 * freshdesk_account_guard account=value [plan=name] [rate=N/m|N/h]
 *     [headroom=N%] [wait=time] [weight=value] [list_tickets=N]
 *     [list_contacts=N] [create_ticket=N] [update_ticket=N];
 */

char *
ngx_http_freshdesk_guard_conf(ngx_conf_t *cf, ngx_str_t *args, ngx_uint_t n,
    ngx_http_freshdesk_guard_conf_t **gcfp)
{
    u_char                              *p;
    ngx_int_t                            v;
    ngx_str_t                            s;
    ngx_uint_t                           i;
    ngx_http_freshdesk_guard_conf_t     *gcf;
    ngx_http_freshdesk_guard_params_t    params;
    ngx_http_compile_complex_value_t     ccv;

    ngx_memzero(&params, sizeof(ngx_http_freshdesk_guard_params_t));
    params.plan = (ngx_uint_t) -1;
    params.headroom = 10;

    for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_CLASSES; i++) {
        params.sub[i] = -1;
    }

    if (ngx_http_freshdesk_conf_params(cf, args, n,
                                       ngx_http_freshdesk_guard_params,
                                       &params)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (params.account.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_account_guard\" needs "
                           "\"account=\" (the Freshdesk account, e.g. "
                           "account=$fd_account)");
        return NGX_CONF_ERROR;
    }

    gcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_guard_conf_t));
    if (gcf == NULL) {
        return NGX_CONF_ERROR;
    }

    gcf->headroom = params.headroom;
    gcf->wait = params.wait;
    gcf->plan = params.plan;
    gcf->window = 60000;

    if (params.plan != (ngx_uint_t) -1) {
        gcf->rate = ngx_http_freshdesk_guard_plans[params.plan].rate;
        gcf->window = ngx_http_freshdesk_guard_plans[params.plan].window;
    }

    if (params.rate.len) {
        p = ngx_strlchr(params.rate.data,
                        params.rate.data + params.rate.len, '/');
        s.data = params.rate.data;
        s.len = p ? (size_t) (p - s.data) : params.rate.len;

        v = ngx_atoi(s.data, s.len);

        if (v <= 0 || v > 10000000) {
            goto bad_rate;
        }

        gcf->rate = v;
        gcf->window = 60000;

        if (p) {
            s.data = p + 1;
            s.len = params.rate.data + params.rate.len - s.data;

            if ((s.len == 1 && s.data[0] == 'h')
                || (s.len == 4 && ngx_strncmp(s.data, "hour", 4) == 0))
            {
                gcf->window = 3600000;

            } else if (!((s.len == 1 && s.data[0] == 'm')
                         || (s.len == 3 && ngx_strncmp(s.data, "min", 3) == 0)))
            {
                goto bad_rate;
            }
        }
    }

    if (gcf->rate == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_account_guard\" needs \"plan=\" or "
                           "\"rate=\" (the account's credits a minute, "
                           "e.g. plan=pro or rate=400/m)");
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_CLASSES; i++) {
        gcf->sub[i] = params.sub[i];
    }

    /* the script's numbers of the plan, written once */

    gcf->script.data = ngx_pnalloc(cf->pool, 3 * NGX_INT64_LEN);
    if (gcf->script.data == NULL) {
        return NGX_CONF_ERROR;
    }

    gcf->script.len = ngx_sprintf(gcf->script.data, "%i %M %i", gcf->rate,
                                  gcf->window, gcf->headroom)
                      - gcf->script.data;

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &params.account;
    ccv.complex_value = ngx_palloc(cf->pool,
                                   sizeof(ngx_http_complex_value_t));
    if (ccv.complex_value == NULL
        || ngx_http_compile_complex_value(&ccv) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    gcf->account = ccv.complex_value;

    if (params.weight.len) {
        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &params.weight;
        ccv.complex_value = ngx_palloc(cf->pool,
                                       sizeof(ngx_http_complex_value_t));
        if (ccv.complex_value == NULL
            || ngx_http_compile_complex_value(&ccv) != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        gcf->weight = ccv.complex_value;
    }

    *gcfp = gcf;

    return NGX_CONF_OK;

bad_rate:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"rate=%V\", expected credits "
                       "a minute or an hour, e.g. rate=400/m or "
                       "rate=3000/h", &params.rate);
    return NGX_CONF_ERROR;
}


/*
 * A REST request's endpoint class and its credits: 1, and for each
 * include= value 2 more (Freshdesk charges a list's embeds 2 each and a
 * view's 1 or 2; the answer's Remaining corrects any excess).
 */

void
ngx_http_freshdesk_guard_classify(ngx_uint_t method, ngx_str_t *path,
    ngx_str_t *args, ngx_uint_t *cls, ngx_uint_t *cost)
{
    u_char  *p, *last;

    *cls = NGX_HTTP_FRESHDESK_GUARD_NONE;
    *cost = 1;

    if (path->len == sizeof("/tickets") - 1
        && ngx_strncmp(path->data, "/tickets", path->len) == 0)
    {
        *cls = (method == NGX_HTTP_POST)
               ? NGX_HTTP_FRESHDESK_GUARD_CREATE_TICKET
               : (method == NGX_HTTP_GET)
                 ? NGX_HTTP_FRESHDESK_GUARD_LIST_TICKETS
                 : NGX_HTTP_FRESHDESK_GUARD_NONE;

    } else if (method == NGX_HTTP_GET
               && path->len == sizeof("/contacts") - 1
               && ngx_strncmp(path->data, "/contacts", path->len) == 0)
    {
        *cls = NGX_HTTP_FRESHDESK_GUARD_LIST_CONTACTS;

    } else if (method == NGX_HTTP_PUT
               && path->len > sizeof("/tickets/") - 1
               && ngx_strncmp(path->data, "/tickets/", 9) == 0)
    {
        for (p = path->data + 9; p < path->data + path->len; p++) {
            if (*p < '0' || *p > '9') {
                break;
            }
        }

        if (p == path->data + path->len) {
            *cls = NGX_HTTP_FRESHDESK_GUARD_UPDATE_TICKET;
        }
    }

    if (args == NULL || args->len < sizeof("include=") - 1) {
        return;
    }

    last = args->data + args->len;

    for (p = args->data; p < last; p++) {
        if ((p == args->data || p[-1] == '&')
            && (size_t) (last - p) > sizeof("include=") - 1
            && ngx_strncmp(p, "include=", sizeof("include=") - 1) == 0)
        {
            p += sizeof("include=") - 1;
            *cost += 2;

            for ( /* void */ ; p < last && *p != '&'; p++) {
                if (*p == ',') {
                    *cost += 2;
                }
            }

            if (p == last) {
                break;
            }
        }
    }
}


void
ngx_http_freshdesk_guard_take(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask,
    ngx_http_freshdesk_guard_result_t *res)
{
    time_t                              sec;
    uint64_t                            w, weights, share, total, reserve;
    uint64_t                            own;
    ngx_int_t                           avail, headroom, sub;
    ngx_uint_t                          i, refuse;
    ngx_msec_t                          now;
    ngx_http_freshdesk_guard_node_t    *gn;
    ngx_http_freshdesk_guard_tenant_t  *gt, *st;

    now = ngx_current_msec;
    sec = ngx_time();

    ngx_memzero(res, sizeof(ngx_http_freshdesk_guard_result_t));

    ngx_shmtx_lock(&qctx->shpool->mutex);

    gn = ngx_http_freshdesk_guard_node(qctx, ask, 1);

    if (gn == NULL) {
        ngx_shmtx_unlock(&qctx->shpool->mutex);
        res->refuse = NGX_HTTP_FRESHDESK_GUARD_FULL;
        res->retry = 60000;
        return;
    }

    if (now >= gn->window_end) {
        /* the window turned by the clock: confirmed by the next answer */
        ngx_http_freshdesk_guard_turn(gn, now, ask->conf->window, 0);
    }

    gt = ngx_http_freshdesk_guard_tenant(gn, &ask->tenant, sec, 1);

    if (gt) {
        gt->weight = (uint32_t) ask->weight;
    }

    res->limit = gn->limit;
    refuse = 0;

    headroom = gn->limit * ask->conf->headroom / 100;
    avail = gn->remaining - headroom;

    if (now < gn->paused_until) {
        refuse = NGX_HTTP_FRESHDESK_GUARD_PAUSE;
        res->retry = gn->paused_until - now;
        goto decided;
    }

    if (ask->cls != NGX_HTTP_FRESHDESK_GUARD_NONE) {
        sub = ngx_http_freshdesk_guard_sub(ask->conf, gn->limit, ask->cls);
        res->sub = sub;

        if (sub >= 0 && (ngx_int_t) (gn->cls[ask->cls] + ask->cost) > sub) {
            refuse = NGX_HTTP_FRESHDESK_GUARD_CLASS;
            res->retry = gn->window_end - now;
            goto decided;
        }
    }

    if (gn->probing && gn->inflight + (ngx_int_t) ask->cost > FD_GUARD_PROBE)
    {
        /* the turn is not confirmed yet: a few credits test it */
        refuse = NGX_HTTP_FRESHDESK_GUARD_CREDIT;
        res->retry = 100;
        goto decided;
    }

    /* what the other active tenants have not yet used of their shares */

    reserve = 0;
    own = 0;

    if (gt && avail > 0) {
        weights = 0;

        for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_TENANTS; i++) {
            st = &gn->tenants[i];

            if (st->hash && sec - (time_t) st->seen
                            < (time_t) (ask->conf->window / 1000))
            {
                weights += st->weight;
            }
        }

        total = (uint64_t) gn->used + (uint64_t) avail;

        for (i = 0; weights && i < NGX_HTTP_FRESHDESK_GUARD_TENANTS; i++) {
            st = &gn->tenants[i];

            if (st->hash == 0
                || sec - (time_t) st->seen
                   >= (time_t) (ask->conf->window / 1000))
            {
                continue;
            }

            w = st->weight;
            share = total * w / weights;

            if (st == gt) {
                own = share;
                continue;
            }

            if (share > st->used) {
                reserve += share - st->used;
            }
        }
    }

    /*
     * a tenant still under its own share gets a credit while one is left
     * above the headroom, whatever the others' reserves: else tenants that
     * came late, their reserves adding up to all that is left, would each
     * lock the others out (as Redis's script does, quota_redis.c)
     */

    if (avail < (ngx_int_t) ask->cost
        || (avail - (ngx_int_t) reserve < (ngx_int_t) ask->cost
            && (gt == NULL || gt->used + ask->cost > own)))
    {
        refuse = NGX_HTTP_FRESHDESK_GUARD_CREDIT;
        res->retry = (avail < (ngx_int_t) ask->cost) ? gn->window_end - now
                                                      : 100;
    }

decided:

    if (refuse == 0 || ask->dry_run) {
        ask->seq = ++gn->seq;
        gn->remaining -= (int32_t) ask->cost;
        gn->inflight += (int32_t) ask->cost;
        gn->used += (int32_t) ask->cost;

        if (ask->cls != NGX_HTTP_FRESHDESK_GUARD_NONE) {
            gn->cls[ask->cls] += (uint32_t) ask->cost;
        }

        if (gt) {
            gt->used += (uint32_t) ask->cost;
        }
    }

    res->refuse = refuse;
    res->remaining = gn->remaining;

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    if (res->retry == 0 && refuse) {
        res->retry = 1000;
    }
}


void
ngx_http_freshdesk_guard_release(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask)
{
    ngx_http_freshdesk_guard_answer_t  ans;
    ngx_http_freshdesk_guard_result_t  res;

    ngx_memzero(&ans, sizeof(ngx_http_freshdesk_guard_answer_t));

    ans.total = -1;
    ans.remaining = -1;
    ans.used = -1;

    ngx_http_freshdesk_guard_answer(qctx, ask, &ans, &res);
}


void
ngx_http_freshdesk_guard_answer(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask,
    ngx_http_freshdesk_guard_answer_t *ans,
    ngx_http_freshdesk_guard_result_t *res)
{
    time_t                              sec;
    ngx_int_t                           before;
    ngx_uint_t                          stale;
    ngx_msec_t                          now, pause;
    ngx_http_freshdesk_guard_node_t    *gn;
    ngx_http_freshdesk_guard_tenant_t  *gt;

    now = ngx_current_msec;
    sec = ngx_time();

    ngx_memzero(res, sizeof(ngx_http_freshdesk_guard_result_t));

    ngx_shmtx_lock(&qctx->shpool->mutex);

    gn = ngx_http_freshdesk_guard_node(qctx, ask, 0);

    if (gn == NULL) {
        goto done;
    }

    gn->inflight -= (int32_t) ask->cost;

    if (gn->inflight < 0) {
        gn->inflight = 0;
    }

    if (ans->status == 0) {

        /* never sent: the credit comes back */

        gn->remaining += (int32_t) ask->cost;
        gn->used -= (int32_t) ngx_min((ngx_int_t) ask->cost, gn->used);

        if (ask->cls != NGX_HTTP_FRESHDESK_GUARD_NONE) {
            gn->cls[ask->cls] -= (uint32_t) ngx_min(ask->cost,
                                                    gn->cls[ask->cls]);
        }

        gt = ngx_http_freshdesk_guard_tenant(gn, &ask->tenant, sec, 0);

        if (gt) {
            gt->used -= (uint32_t) ngx_min(ask->cost, gt->used);
        }

        goto done;
    }

    gn->synced = sec;

    if (ans->total > 0 && ans->total <= 10000000) {
        gn->limit = (int32_t) ans->total;
    }

    if (ans->status == NGX_HTTP_TOO_MANY_REQUESTS) {

        /* every worker stops until Freshdesk's window turns */

        pause = (ans->retry_after > 0 && ans->retry_after <= 3600)
                ? (ngx_msec_t) ans->retry_after * 1000 : 60000;

        gn->upstream_429++;
        gn->paused_until = now + pause;
        gn->remaining = 0;
        gn->window_end = now + pause;
        gn->probing = 0;

        goto done;
    }

    if (ans->remaining >= 0 && ans->remaining <= 10000000) {

        /*
         * Within a window Freshdesk's Remaining only falls: it turned
         * when a call admitted after the window's lowest Remaining came
         * (so counted after it) gets a higher one.  Answers come back
         * in another order than Freshdesk counted them, so an early
         * call's answer may say more is left than a later one's: it is
         * older news than the lowest, no turn and no resync.  Until a
         * Remaining of the window is known: above what was left (at the
         * clock's turn, when one is to be confirmed).
         */

        stale = (gn->low >= 0 && ask->seq <= gn->low_seq);

        if (gn->low >= 0) {
            before = gn->low;

        } else {
            before = gn->probing ? gn->before
                                 : gn->remaining + gn->inflight;
        }

        if (!stale && ans->remaining > before + gn->limit / 20 + 2) {
            ngx_http_freshdesk_guard_turn(gn, now, ask->conf->window, 1);

            /* the new window's first: what was sent before is older */
            gn->low = (int32_t) ans->remaining;
            gn->low_seq = gn->seq;
            gn->turn_seq = gn->seq;
        }

        if (stale) {
            goto done;
        }

        /* the window's lowest, from calls admitted in it */

        if (ask->seq > gn->turn_seq
            && (gn->low < 0 || ans->remaining < gn->low))
        {
            gn->low = (int32_t) ans->remaining;
            gn->low_seq = gn->seq;
        }

        /* not turned yet: the credits are what Freshdesk says; the
         * clock's turn is looked at again in a second */

        gn->probing = 0;
        gn->remaining = (int32_t) ans->remaining - gn->inflight;
    }

done:

    if (gn) {
        res->remaining = gn->remaining;
        res->limit = gn->limit;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


void
ngx_http_freshdesk_guard_count(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask, ngx_uint_t waited,
    ngx_uint_t refused)
{
    ngx_http_freshdesk_guard_node_t    *gn;
    ngx_http_freshdesk_guard_tenant_t  *gt;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    gn = ngx_http_freshdesk_guard_node(qctx, ask, 0);
    gt = gn ? ngx_http_freshdesk_guard_tenant(gn, &ask->tenant, ngx_time(), 0)
            : NULL;

    if (gt) {
        gt->waited += waited;
        gt->refused += refused;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/*
 * With Redis: the class's sub-limit at the account's limit last learned
 * (mirrored here from Redis's answers), the configured rate before
 */

ngx_int_t
ngx_http_freshdesk_guard_redis_sub(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask)
{
    ngx_int_t                         limit;
    ngx_http_freshdesk_guard_node_t  *gn;

    if (ask->cls == NGX_HTTP_FRESHDESK_GUARD_NONE) {
        return -1;
    }

    limit = ask->conf->rate;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    gn = ngx_http_freshdesk_guard_node(qctx, ask, 0);

    if (gn && gn->limit > 0) {
        limit = gn->limit;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return ngx_http_freshdesk_guard_sub(ask->conf, limit, ask->cls);
}


/*
 * With Redis: its verdict kept in the account's node, so that the status
 * page shows the cluster's budget and a fallback to this zone (Redis
 * down, fail=local) starts from it: the limit, what remains, a pause,
 * the tenant's weight and last call (the window's use is Redis's)
 */

void
ngx_http_freshdesk_guard_redis_mirror(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask, ngx_http_freshdesk_guard_result_t *res)
{
    time_t                              sec;
    ngx_msec_t                          now;
    ngx_http_freshdesk_guard_node_t    *gn;
    ngx_http_freshdesk_guard_tenant_t  *gt;

    now = ngx_current_msec;
    sec = ngx_time();

    ngx_shmtx_lock(&qctx->shpool->mutex);

    gn = ngx_http_freshdesk_guard_node(qctx, ask, 1);

    if (gn == NULL) {
        ngx_shmtx_unlock(&qctx->shpool->mutex);
        return;
    }

    if (res->limit > 0 && res->limit <= 10000000) {
        gn->limit = (int32_t) res->limit;
    }

    gn->remaining = (int32_t) ngx_max(ngx_min(res->remaining, 10000000),
                                      -10000000);
    gn->synced = sec;

    if (res->refuse == NGX_HTTP_FRESHDESK_GUARD_PAUSE) {
        gn->paused_until = now + res->retry;
    }

    gt = ngx_http_freshdesk_guard_tenant(gn, &ask->tenant, sec, 1);

    if (gt) {
        gt->weight = (uint32_t) ask->weight;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/*
 * Under the lock: a new window.  Confirmed by an answer, the gateway's
 * counts of the window start over; by the clock alone, the account's
 * credits are taken for full again, a few at a time until an answer
 * says whether Freshdesk turned too (if not, the clock looks again in a
 * second).
 */

static void
ngx_http_freshdesk_guard_turn(ngx_http_freshdesk_guard_node_t *gn,
    ngx_msec_t now, ngx_msec_t window, ngx_uint_t confirmed)
{
    ngx_uint_t  i;

    if (!confirmed) {
        gn->before = gn->remaining + gn->inflight;
        gn->remaining = gn->limit;
        gn->probing = 1;
        gn->window_end = now + 1000;
        return;
    }

    gn->window_end = now + window + FD_GUARD_LATE;
    gn->used = 0;
    gn->probing = 0;

    for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_CLASSES; i++) {
        gn->cls[i] = 0;
    }

    for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_TENANTS; i++) {
        gn->tenants[i].used = 0;
    }
}


static ngx_int_t
ngx_http_freshdesk_guard_sub(ngx_http_freshdesk_guard_conf_t *conf,
    ngx_int_t limit, ngx_uint_t cls)
{
    ngx_uint_t                        i;
    ngx_http_freshdesk_guard_plan_t  *plan, *p;

    if (conf->sub[cls] >= 0) {
        return conf->sub[cls];
    }

    /* the plan whose total the account has, else the one configured */

    plan = NULL;

    for (i = 0; ngx_http_freshdesk_guard_plans[i].name; i++) {
        p = &ngx_http_freshdesk_guard_plans[i];

        if (p->rate == limit && p->window == conf->window
            && p->sub[cls] >= 0)
        {
            plan = p;
            break;
        }
    }

    if (plan == NULL) {
        if (conf->plan == (ngx_uint_t) -1) {
            return -1;
        }

        plan = &ngx_http_freshdesk_guard_plans[conf->plan];
    }

    if (plan->sub[cls] < 0) {
        return -1;
    }

    /* scaled to the account's limit */

    return plan->sub[cls] * limit / plan->rate;
}


static ngx_http_freshdesk_guard_node_t *
ngx_http_freshdesk_guard_node(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_guard_ask_t *ask, ngx_uint_t create)
{
    size_t                            size;
    uint32_t                          hash;
    ngx_rbtree_node_t                *node;
    ngx_http_freshdesk_guard_sh_t    *gsh;
    ngx_http_freshdesk_guard_node_t  *gn;

    gsh = qctx->sh->accounts;

    if (gsh == NULL) {
        if (!create) {
            return NULL;
        }

        gsh = ngx_slab_alloc_locked(qctx->shpool,
                                    sizeof(ngx_http_freshdesk_guard_sh_t));
        if (gsh == NULL) {
            return NULL;
        }

        ngx_rbtree_init(&gsh->rbtree, &gsh->sentinel,
                        ngx_http_freshdesk_guard_rbtree_insert_value);

        qctx->sh->accounts = gsh;
    }

    hash = ngx_crc32_short(ask->account.data, ask->account.len);

    gn = ngx_http_freshdesk_named_lookup(&gsh->rbtree, &ask->account, hash,
                               offsetof(ngx_http_freshdesk_guard_node_t, data));

    if (gn != NULL || !create) {
        return gn;
    }

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_freshdesk_guard_node_t, data)
           + ask->account.len;

    node = ngx_slab_alloc_locked(qctx->shpool, size);
    if (node == NULL) {
        return NULL;
    }

    node->key = hash;

    gn = (ngx_http_freshdesk_guard_node_t *) &node->color;

    ngx_memzero(gn, offsetof(ngx_http_freshdesk_guard_node_t, data));
    gn->len = (u_char) ask->account.len;
    ngx_memcpy(gn->data, ask->account.data, ask->account.len);

    gn->limit = (int32_t) ask->conf->rate;
    gn->remaining = gn->limit;
    gn->low = -1;
    gn->window_end = ngx_current_msec + ask->conf->window + FD_GUARD_LATE;

    ngx_rbtree_insert(&gsh->rbtree, node);

    return gn;
}


/*
 * A tenant's share record: found, or made in a free slot, or in the one
 * idle longest (its counters start over)
 */

static ngx_http_freshdesk_guard_tenant_t *
ngx_http_freshdesk_guard_tenant(ngx_http_freshdesk_guard_node_t *gn,
    ngx_str_t *tenant, time_t now, ngx_uint_t create)
{
    uint32_t                            hash;
    ngx_uint_t                          i;
    ngx_http_freshdesk_guard_tenant_t  *gt, *old;

    /* 0 marks a free slot */
    hash = ngx_crc32_short(tenant->data, tenant->len) | 1;

    old = NULL;

    for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_TENANTS; i++) {
        gt = &gn->tenants[i];

        if (gt->hash == hash) {
            if (create) {
                gt->seen = (uint32_t) now;
            }

            return gt;
        }

        if (old == NULL || gt->hash == 0
            || (old->hash && gt->seen < old->seen))
        {
            if (old == NULL || old->hash != 0) {
                old = gt;
            }
        }
    }

    if (!create || old == NULL) {
        return NULL;
    }

    ngx_memzero(old, sizeof(ngx_http_freshdesk_guard_tenant_t));
    old->hash = hash;
    old->len = (u_char) ngx_min(tenant->len, sizeof(old->name));
    ngx_memcpy(old->name, tenant->data, old->len);
    old->weight = 1;
    old->seen = (uint32_t) now;

    return old;
}


static void
ngx_http_freshdesk_guard_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_http_freshdesk_named_insert(temp, node, sentinel,
                               offsetof(ngx_http_freshdesk_guard_node_t, data));
}


/* the status page's part: each account's window, pause and shares */

ngx_int_t
ngx_http_freshdesk_guard_rows(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_pool_t *pool, ngx_array_t *rows)
{
    time_t                              sec;
    ngx_uint_t                          i;
    ngx_msec_t                          now;
    ngx_rbtree_node_t                  *node, *root, *sentinel;
    ngx_http_freshdesk_guard_sh_t      *gsh;
    ngx_http_freshdesk_guard_row_t     *row;
    ngx_http_freshdesk_guard_node_t    *gn;
    ngx_http_freshdesk_guard_tenant_t  *gt;

    if (ngx_array_init(rows, pool, 2, sizeof(ngx_http_freshdesk_guard_row_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    gsh = qctx->sh->accounts;

    if (gsh == NULL) {
        return NGX_OK;
    }

    now = ngx_current_msec;
    sec = ngx_time();

    ngx_shmtx_lock(&qctx->shpool->mutex);

    root = gsh->rbtree.root;
    sentinel = gsh->rbtree.sentinel;

    for (node = (root != sentinel) ? ngx_rbtree_min(root, sentinel) : NULL;
         node;
         node = ngx_rbtree_next(&gsh->rbtree, node))
    {
        gn = (ngx_http_freshdesk_guard_node_t *) &node->color;

        row = ngx_array_push(rows);
        if (row == NULL) {
            break;
        }

        ngx_memzero(row, sizeof(ngx_http_freshdesk_guard_row_t));

        row->account.data = ngx_pnalloc(pool, gn->len);
        if (row->account.data == NULL) {
            break;
        }

        row->account.len = gn->len;
        ngx_memcpy(row->account.data, gn->data, gn->len);

        row->limit = gn->limit;
        row->remaining = gn->remaining > 0 ? gn->remaining : 0;
        row->in_flight = gn->inflight;
        row->used = gn->used;
        row->window_ms = gn->window_end > now ? gn->window_end - now : 0;
        row->paused_ms = gn->paused_until > now ? gn->paused_until - now : 0;
        row->upstream_429 = gn->upstream_429;

        for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_CLASSES; i++) {
            row->cls[i] = gn->cls[i];
        }

        for (i = 0; i < NGX_HTTP_FRESHDESK_GUARD_TENANTS; i++) {
            gt = &gn->tenants[i];

            if (gt->hash == 0) {
                continue;
            }

            row->tenants[row->ntenants].len = gt->len;
            ngx_memcpy(row->tenants[row->ntenants].name, gt->name, gt->len);
            row->tenants[row->ntenants].weight = gt->weight;
            row->tenants[row->ntenants].used = gt->used;
            row->tenants[row->ntenants].idle = sec - (time_t) gt->seen;
            row->tenants[row->ntenants].waited = gt->waited;
            row->tenants[row->ntenants].refused = gt->refused;
            row->ntenants++;
        }
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return NGX_OK;
}


const char *
ngx_http_freshdesk_guard_class_name(ngx_uint_t cls)
{
    return ngx_http_freshdesk_guard_classes[cls];
}


/*
 * The state file's account lines: an account Freshdesk has answered
 * keeps the limit it said and a pause in force across a restart (a
 * reload keeps the zone itself).  The window's credits are not kept:
 * after a restart the guard's clock turns at once (or at the pause's
 * end), and a few credits ask Freshdesk what is left.
 */

size_t
ngx_http_freshdesk_guard_state_size(ngx_http_freshdesk_quota_ctx_t *qctx)
{
    size_t                          size;
    ngx_rbtree_node_t              *node, *root, *sentinel;
    ngx_http_freshdesk_guard_sh_t  *gsh;

    gsh = qctx->sh->accounts;

    if (gsh == NULL) {
        return 0;
    }

    size = 0;
    root = gsh->rbtree.root;
    sentinel = gsh->rbtree.sentinel;

    for (node = (root != sentinel) ? ngx_rbtree_min(root, sentinel) : NULL;
         node;
         node = ngx_rbtree_next(&gsh->rbtree, node))
    {
        size += NGX_HTTP_FRESHDESK_STATE_ACCOUNT_LINE;
    }

    return size;
}


u_char *
ngx_http_freshdesk_guard_state_save(ngx_http_freshdesk_quota_ctx_t *qctx,
    u_char *p)
{
    int64_t                           epoch;
    ngx_msec_t                        now;
    ngx_time_t                       *tp;
    ngx_rbtree_node_t                *node, *root, *sentinel;
    ngx_http_freshdesk_guard_sh_t    *gsh;
    ngx_http_freshdesk_state_rec_t    rec;
    ngx_http_freshdesk_guard_node_t  *gn;

    gsh = qctx->sh->accounts;

    if (gsh == NULL) {
        return p;
    }

    now = ngx_current_msec;
    tp = ngx_timeofday();
    epoch = (int64_t) tp->sec * 1000 + tp->msec;

    root = gsh->rbtree.root;
    sentinel = gsh->rbtree.sentinel;

    for (node = (root != sentinel) ? ngx_rbtree_min(root, sentinel) : NULL;
         node;
         node = ngx_rbtree_next(&gsh->rbtree, node))
    {
        gn = (ngx_http_freshdesk_guard_node_t *) &node->color;

        if (gn->synced == 0 || gn->limit <= 0) {
            /* never answered: nothing learned */
            continue;
        }

        ngx_memzero(&rec, sizeof(ngx_http_freshdesk_state_rec_t));

        rec.type = NGX_HTTP_FRESHDESK_STATE_ACCOUNT;
        rec.tenant.data = gn->data;
        rec.tenant.len = gn->len;
        rec.limit = gn->limit;

        /* the monotonic clock means nothing to the next nginx */
        rec.paused = (ngx_msec_int_t) (gn->paused_until - now) > 0
                     ? epoch + (int64_t) (gn->paused_until - now) : 0;

        p = ngx_http_freshdesk_state_account(p, &rec);
    }

    return p;
}


ngx_int_t
ngx_http_freshdesk_guard_state_restore(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_state_rec_t *rec)
{
    int64_t                            epoch, left;
    ngx_msec_t                         now;
    ngx_time_t                        *tp;
    ngx_http_freshdesk_guard_ask_t     ask;
    ngx_http_freshdesk_guard_conf_t    conf;
    ngx_http_freshdesk_guard_node_t   *gn;

    now = ngx_current_msec;
    tp = ngx_timeofday();
    epoch = (int64_t) tp->sec * 1000 + tp->msec;

    left = rec->paused > epoch ? rec->paused - epoch : 0;

    /* a pause longer than any Retry-After kept: a clock gone back */
    if (left > 3600 * 1000) {
        left = 0;
    }

    ngx_memzero(&conf, sizeof(ngx_http_freshdesk_guard_conf_t));
    ngx_memzero(&ask, sizeof(ngx_http_freshdesk_guard_ask_t));

    conf.rate = rec->limit;
    ask.account = rec->tenant;
    ask.conf = &conf;

    gn = ngx_http_freshdesk_guard_node(qctx, &ask, 1);

    if (gn == NULL) {
        return NGX_ERROR;
    }

    gn->limit = (int32_t) rec->limit;
    gn->synced = ngx_time();
    gn->probing = 0;

    if (left) {
        gn->paused_until = now + (ngx_msec_t) left;
        gn->window_end = gn->paused_until;
        gn->remaining = 0;
        return NGX_OK;
    }

    /* the window's state unknown: the clock turns at the first call */

    gn->paused_until = 0;
    gn->window_end = now;
    gn->remaining = gn->limit;

    return NGX_DECLINED;
}
