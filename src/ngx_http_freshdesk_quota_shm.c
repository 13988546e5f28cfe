
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Per-tenant quotas in a shared memory zone, exact across workers: one
 * mutex, one lookup per call.
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


#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_response.h"


static ngx_int_t ngx_http_freshdesk_quota_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_freshdesk_quota_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_lookup(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant, uint32_t hash);
static ngx_http_freshdesk_quota_node_t *ngx_http_freshdesk_quota_create(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_str_t *tenant, uint32_t hash,
    uint32_t month);
static void ngx_http_freshdesk_quota_reclaim(
    ngx_http_freshdesk_quota_ctx_t *ctx, time_t now, uint32_t month,
    ngx_uint_t n);
static ngx_uint_t ngx_http_freshdesk_quota_window(
    ngx_http_freshdesk_quota_window_t *w, time_t now, time_t *reset);
static ngx_int_t ngx_http_freshdesk_quota_limits(ngx_http_request_t *r,
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_int_t *calls,
    ngx_int_t *actions);
static ngx_int_t ngx_http_freshdesk_quota_tenant(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx);
static ngx_uint_t ngx_http_freshdesk_quota_judge(
    ngx_http_freshdesk_ctx_t *ctx, ngx_int_t calls_limit, ngx_uint_t calls,
    uint32_t actions, time_t reset, time_t now);
static void ngx_http_freshdesk_quota_remaining(ngx_http_freshdesk_ctx_t *ctx,
    ngx_int_t calls_limit, ngx_uint_t calls, uint32_t actions, time_t reset,
    time_t now);


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


/*
 * freshdesk_quota_zone name:size [calls=N/m] [actions=N/month]
 *                      [state=path] [state_interval=time];
 */

char *
ngx_http_freshdesk_quota_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_freshdesk_main_conf_t *fmcf = conf;

    u_char                          *p;
    ssize_t                          size;
    ngx_int_t                        n;
    ngx_str_t                       *value, name, s;
    ngx_uint_t                       i;
    ngx_shm_zone_t                  *shm_zone;
    ngx_http_freshdesk_quota_ctx_t  *ctx, **zone;

    value = cf->args->elts;

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_quota_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->calls = 100;
    ctx->actions = 5000;
    ctx->state_interval = 5000;

    name.len = 0;
    size = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (i == 1) {
            p = (u_char *) ngx_strchr(value[i].data, ':');

            if (p == NULL) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone \"%V\", expected "
                                   "name:size", &value[i]);
                return NGX_CONF_ERROR;
            }

            name.data = value[i].data;
            name.len = p - value[i].data;

            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);

            if (name.len == 0 || size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "zone \"%V\" is too small", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "calls=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            if (s.len > 2 && ngx_strncmp(s.data + s.len - 2, "/m", 2) == 0) {
                s.len -= 2;
            }

            n = ngx_atoi(s.data, s.len);
            if (n == NGX_ERROR || n > 1000000) {
                goto invalid;
            }

            ctx->calls = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "actions=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            if (s.len > 6
                && ngx_strncmp(s.data + s.len - 6, "/month", 6) == 0)
            {
                s.len -= 6;
            }

            n = ngx_atoi(s.data, s.len);
            if (n == NGX_ERROR || n > 1000000000) {
                goto invalid;
            }

            ctx->actions = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "state=", 6) == 0) {
            ctx->state.data = value[i].data + 6;
            ctx->state.len = value[i].len - 6;

            if (ngx_conf_full_name(cf->cycle, &ctx->state, 0) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "state_interval=", 15) == 0) {
            s.data = value[i].data + 15;
            s.len = value[i].len - 15;

            ctx->state_interval = ngx_parse_time(&s, 0);
            if (ctx->state_interval == (ngx_msec_t) NGX_ERROR
                || ctx->state_interval < 100)
            {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have a \"name:size\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_freshdesk_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    ctx->name = name;
    ctx->shm_zone = shm_zone;

    shm_zone->init = ngx_http_freshdesk_quota_init_zone;
    shm_zone->data = ctx;

    zone = ngx_array_push(&fmcf->zones);
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    *zone = ctx;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);
    return NGX_CONF_ERROR;
}


/* freshdesk_quota zone | off; */

char *
ngx_http_freshdesk_quota(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_freshdesk_loc_conf_t *flcf = conf;

    ngx_str_t       *value;
    ngx_shm_zone_t  *shm_zone;

    if (flcf->quota != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        flcf->quota = NULL;
        return NGX_CONF_OK;
    }

    shm_zone = ngx_shared_memory_add(cf, &value[1], 0,
                                     &ngx_http_freshdesk_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    flcf->quota = shm_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_freshdesk_quota_init_zone(ngx_shm_zone_t *shm_zone, void *data)
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
        ngx_http_freshdesk_state_load(ctx, ngx_cycle->log);
    }

    return NGX_OK;
}


static void
ngx_http_freshdesk_quota_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                **p;
    ngx_http_freshdesk_quota_node_t   *qn, *qnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else { /* node->key == temp->key */

            qn = (ngx_http_freshdesk_quota_node_t *) &node->color;
            qnt = (ngx_http_freshdesk_quota_node_t *) &temp->color;

            p = (ngx_memn2cmp(qn->data, qnt->data, qn->len, qnt->len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_http_freshdesk_quota_node_t *
ngx_http_freshdesk_quota_lookup(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_str_t *tenant, uint32_t hash)
{
    ngx_int_t                         rc;
    ngx_rbtree_node_t                *node, *sentinel;
    ngx_http_freshdesk_quota_node_t  *qn;

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        qn = (ngx_http_freshdesk_quota_node_t *) &node->color;

        rc = ngx_memn2cmp(tenant->data, qn->data, tenant->len,
                          (size_t) qn->len);

        if (rc == 0) {
            return qn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


ngx_http_freshdesk_quota_node_t *
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

void
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


ngx_http_freshdesk_quota_node_t *
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


static ngx_int_t
ngx_http_freshdesk_quota_limits(ngx_http_request_t *r,
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_int_t *calls, ngx_int_t *actions)
{
    ngx_int_t                       n;
    ngx_str_t                       v;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    *calls = ctx->calls;
    *actions = ctx->actions;

    if (flcf->calls_limit) {
        if (ngx_http_complex_value(r, flcf->calls_limit, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_atoi(v.data, v.len);
        if (n >= 0 && n <= 65535 * 60) {
            *calls = n;

        } else if (v.len) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "freshdesk: invalid freshdesk_quota_calls "
                          "value \"%V\", using %i", &v, ctx->calls);
        }
    }

    if (flcf->actions_limit) {
        if (ngx_http_complex_value(r, flcf->actions_limit, &v) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_atoi(v.data, v.len);
        if (n >= 0) {
            *actions = n;

        } else if (v.len) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "freshdesk: invalid freshdesk_quota_actions "
                          "value \"%V\", using %i", &v, ctx->actions);
        }
    }

    return NGX_OK;
}


/* the tenant's limits into the ctx; the tenant as the zone keeps it */

static ngx_int_t
ngx_http_freshdesk_quota_tenant(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx)
{
    if (ngx_http_freshdesk_quota_limits(r, qctx, &ctx->calls_limit,
                                        &ctx->actions_limit)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->tenant.len > 255) {
        ctx->tenant.len = 255;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_quota_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_int_t                         rc;
    ngx_shm_zone_t                   *shm_zone;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_ctx_t   *qctx;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL) {
        ngx_str_set(&ctx->quota_result, "off");
        return NGX_OK;
    }

    shm_zone = flcf->quota;
    qctx = shm_zone->data;

    if (ngx_http_freshdesk_quota_tenant(r, ctx, qctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->quota_checked = 1;

    if (qctx->redis) {
        rc = ngx_http_freshdesk_quota_redis_take(r, ctx, qctx);

        if (rc != NGX_DONE) {
            /* NGX_AGAIN: Redis decides; else fail=open or fail=closed */
            return rc;
        }

        /* fail=local */
    }

    return ngx_http_freshdesk_quota_local(r, ctx, qctx);
}


/*
 * The decision in this node's shared memory.  With a Redis zone it is
 * the fallback (fail=local): the actions counted are owed to Redis, and
 * the calls limit is the node's share of it.
 */

ngx_int_t
ngx_http_freshdesk_quota_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx)
{
    time_t                            now, reset;
    uint32_t                          hash, month, actions;
    ngx_int_t                         calls_limit;
    ngx_uint_t                        calls, refuse;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_node_t  *qn;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    calls_limit = ctx->calls_limit;

    if (qctx->redis && qctx->redis->share < 100) {
        calls_limit = calls_limit * qctx->redis->share / 100;
    }

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);
    hash = ngx_crc32_short(ctx->tenant.data, ctx->tenant.len);
    refuse = 0;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_lookup(qctx, &ctx->tenant, hash);

    if (qn == NULL) {
        qn = ngx_http_freshdesk_quota_create(qctx, &ctx->tenant, hash,
                                             month);

        if (qn == NULL) {
            ngx_shmtx_unlock(&qctx->shpool->mutex);
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
            ngx_shmtx_unlock(&qctx->shpool->mutex);
            goto zone_full;
        }

        ngx_memzero(qn->window, sizeof(ngx_http_freshdesk_quota_window_t));
        qn->window->last = now;
        ngx_queue_insert_head(&qctx->sh->queue, &qn->queue);
    }

    qn->calls_limit = ctx->calls_limit;
    qn->actions_limit = ctx->actions_limit;

    calls = ngx_http_freshdesk_quota_window(qn->window, now, &reset);

    refuse = ngx_http_freshdesk_quota_judge(ctx, calls_limit, calls,
                                            qn->actions, reset, now);

    if (refuse) {
        qn->refused++;
    }

    if ((!refuse || flcf->quota_dry_run)
        && qn->window->count[now % 60] < 65535)
    {
        qn->window->count[now % 60]++;
        qn->window->sum++;
        qn->actions++;
        calls++;
        ctx->action_taken = 1;

        if (qctx->redis) {
            qn->owed++;
            (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, 1);
        }
    }

    actions = qn->actions;

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    ngx_http_freshdesk_quota_remaining(ctx, calls_limit, calls, actions,
                                       reset, now);

    return ngx_http_freshdesk_quota_verdict(r, ctx, refuse);

zone_full:

    ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                  "freshdesk: quota zone \"%V\" is full, call of tenant "
                  "\"%V\" refused", &qctx->name, &ctx->tenant);

    ngx_str_set(&ctx->quota_result, "zone_full");
    ngx_str_set(&ctx->quota_text, "The gateway cannot record quota for "
                "this tenant right now (quota zone full); the call was "
                "not made. Retry later or ask the operator.");

    if (ngx_http_freshdesk_retry_after(r, 60) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_DECLINED;
}


/*
 * The zone's rules, for a take or a peek: 1, the calls of the minute are
 * used up (ctx->calls_reset says when one frees), 2, the month's actions
 * are; 0, admitted
 */

static ngx_uint_t
ngx_http_freshdesk_quota_judge(ngx_http_freshdesk_ctx_t *ctx,
    ngx_int_t calls_limit, ngx_uint_t calls, uint32_t actions, time_t reset,
    time_t now)
{
    if ((ngx_int_t) calls >= calls_limit) {
        ctx->calls_reset = reset > now ? reset - now : 1;
        return 1;
    }

    if ((ngx_int_t) (actions + 1) > ctx->actions_limit) {
        return 2;
    }

    return 0;
}


/* what remains after the decision, for RateLimit and the variables */

static void
ngx_http_freshdesk_quota_remaining(ngx_http_freshdesk_ctx_t *ctx,
    ngx_int_t calls_limit, ngx_uint_t calls, uint32_t actions, time_t reset,
    time_t now)
{
    ctx->calls_remaining = calls_limit > (ngx_int_t) calls
                           ? calls_limit - (ngx_int_t) calls : 0;
    ctx->actions_remaining = ctx->actions_limit > (ngx_int_t) actions
                             ? ctx->actions_limit - (ngx_int_t) actions : 0;

    if (ctx->calls_reset == 0) {
        ctx->calls_reset = reset > now ? reset - now : 60;
    }

    ctx->actions_reset = ngx_http_freshdesk_quota_month_end(now) - now;
    ctx->calls_limit = calls_limit;
}


/*
 * Would the quota refuse a call now?  Read only: nothing is taken,
 * counted or moved in the zone, so that a tools/call of the 2026 revision
 * can be refused from its headers, before its body is read.  *refuse is
 * what a take would decide (0, 1 or 2); the ctx gets the numbers a
 * refusal's answer shows.  In a dry run nothing is refused here.
 *
 * With Redis the zone holds what Redis said at this node's last call of
 * the tenant (no round trip here): the month's actions, and the minute's
 * calls, which stay in Redis's window at least until the oldest of them
 * leaves it (calls_hold seconds later).  Both can only have grown since,
 * but for a refund: a refusal seen here is one Redis would make; a call
 * admitted here is decided by Redis as usual.
 */

ngx_int_t
ngx_http_freshdesk_quota_peek(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t *refuse)
{
    time_t                             now, reset;
    uint32_t                           month, actions;
    ngx_uint_t                         calls;
    ngx_shm_zone_t                    *shm_zone;
    ngx_http_freshdesk_loc_conf_t     *flcf;
    ngx_http_freshdesk_quota_ctx_t    *qctx;
    ngx_http_freshdesk_quota_node_t   *qn;
    ngx_http_freshdesk_quota_window_t  w;

    *refuse = 0;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL || flcf->quota_dry_run) {
        return NGX_OK;
    }

    shm_zone = flcf->quota;
    qctx = shm_zone->data;

    if (ngx_http_freshdesk_quota_tenant(r, ctx, qctx) != NGX_OK) {
        return NGX_ERROR;
    }

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);
    calls = 0;
    actions = 0;
    reset = 0;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, &ctx->tenant);

    if (qn) {
        if (qn->window) {
            /* a copy: reading must not change the shared window */
            w = *qn->window;
            calls = ngx_http_freshdesk_quota_window(&w, now, &reset);
        }

        if (qctx->redis && now < (time_t) qn->seen_at + qn->calls_hold
            && qn->calls_seen > calls)
        {
            calls = qn->calls_seen;
            reset = (time_t) qn->seen_at + qn->calls_hold;
        }

        if (qn->month == month) {
            actions = qn->actions;
        }
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    ctx->calls_reset = 0;

    *refuse = ngx_http_freshdesk_quota_judge(ctx, ctx->calls_limit, calls,
                                             actions, reset, now);

    ngx_http_freshdesk_quota_remaining(ctx, ctx->calls_limit, calls,
                                       actions, reset, now);

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
    uint32_t                          month;
    ngx_shm_zone_t                   *shm_zone;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_node_t  *qn;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    shm_zone = flcf->quota;
    qctx = shm_zone->data;
    month = ngx_http_freshdesk_quota_month(ngx_time());

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, &ctx->tenant);

    if (qn && qn->month == month) {
        qn->refused++;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    ctx->quota_checked = 1;

    return ngx_http_freshdesk_quota_verdict(r, ctx, refuse);
}


/*
 * What a decision means for the call, wherever it was made: refuse is 0
 * (admitted), 1 (calls per minute) or 2 (monthly actions); the ctx holds
 * the limits, what remains and when it resets.
 */

ngx_int_t
ngx_http_freshdesk_quota_verdict(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse)
{
    u_char                         *p;
    time_t                          reset;
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (!refuse) {
        ngx_str_set(&ctx->quota_result, "passed");
        return NGX_OK;
    }

    ngx_log_error(flcf->quota_log_level, r->connection->log, 0,
                  "freshdesk: %s%s quota exceeded for tenant \"%V\"",
                  flcf->quota_dry_run ? "dry run: " : "",
                  refuse == 1 ? "calls per minute" : "monthly actions",
                  &ctx->tenant);

    if (flcf->quota_dry_run) {
        ngx_str_set(&ctx->quota_result, "dry_run");
        return NGX_OK;
    }

    ctx->quota_text.data = ngx_pnalloc(r->pool, 256);
    if (ctx->quota_text.data == NULL) {
        return NGX_ERROR;
    }

    if (refuse == 1) {
        ngx_str_set(&ctx->quota_result, "rejected_calls");
        reset = ctx->calls_reset;
        p = ngx_sprintf(ctx->quota_text.data,
                        "Rate limit reached: %i tool calls per minute for "
                        "this tenant. Retry in %T s.", ctx->calls_limit,
                        reset);

    } else {
        ngx_str_set(&ctx->quota_result, "rejected_actions");
        reset = ctx->actions_reset;
        p = ngx_sprintf(ctx->quota_text.data,
                        "Monthly quota reached: %i actions per month for "
                        "this tenant. It resets at the start of next month "
                        "(UTC), in %T s.", ctx->actions_limit, reset);
    }

    ctx->quota_text.len = p - ctx->quota_text.data;

    if (ngx_http_freshdesk_retry_after(r, reset) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_DECLINED;
}


/* under the lock: a tenant's first call of a month; what Redis was owed
 * for the month gone is lost with it */

void
ngx_http_freshdesk_quota_new_month(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_node_t *qn, uint32_t month)
{
    if (qn->owed) {
        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                    -(ngx_atomic_int_t) qn->owed);
    }

    qn->month = month;
    qn->actions = 0;
    qn->refused = 0;
    qn->owed = 0;
}


ngx_int_t
ngx_http_freshdesk_retry_after(ngx_http_request_t *r, time_t secs)
{
    ngx_str_t  v;

    v.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    v.len = ngx_sprintf(v.data, "%T", secs) - v.data;

    return ngx_http_freshdesk_add_header(r, "Retry-After", &v);
}


/*
 * After a try, or when the request ends first.  Charged: a request that
 * reached Freshdesk, whatever it answered (2xx, 4xx, 5xx, a timeout: it
 * did or may have done the work).  Refunded: an upstream 429, which is
 * the account's limit, not the tenant's doing, and a request that never
 * left (connection refused, the client gone before it was sent).
 */

void
ngx_http_freshdesk_quota_settle(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    ngx_shm_zone_t                   *shm_zone;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_node_t  *qn;

    if (!ctx->action_taken) {
        return;
    }

    /* settled: charged, or refunded below */

    ctx->action_taken = 0;

    if (ctx->call.sent && ctx->call.status != NGX_HTTP_TOO_MANY_REQUESTS) {
        return;
    }

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    shm_zone = flcf->quota;

    if (shm_zone == NULL) {
        return;
    }

    qctx = shm_zone->data;

    if (ctx->quota_redis) {
        ngx_http_freshdesk_quota_redis_refund(r, ctx, qctx, 0);
        ctx->actions_remaining++;
        goto done;
    }

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, &ctx->tenant);

    if (qn && qn->actions && qn->month == ngx_http_freshdesk_quota_month(
                                                                ngx_time()))
    {
        qn->actions--;
        ctx->actions_remaining++;

        if (qn->owed) {
            qn->owed--;
            (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, -1);
        }
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

done:

    ngx_str_set(&ctx->quota_result, "refunded");
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
    ngx_http_freshdesk_loc_conf_t   *flcf;
    ngx_http_freshdesk_quota_ctx_t  *qctx;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL || !ctx->quota_checked) {
        return NGX_OK;
    }

    qctx = ((ngx_shm_zone_t *) flcf->quota)->data;

    if (ctx->quota_result.len == sizeof("open") - 1
        && ngx_strncmp(ctx->quota_result.data, "open", 4) == 0)
    {
        /* admitted uncounted (fail=open): its tries are too */
        return NGX_OK;
    }

    if (qctx->redis) {
        return ngx_http_freshdesk_quota_redis_action(r, ctx, qctx);
    }

    return ngx_http_freshdesk_quota_action_local(r, ctx, qctx);
}


ngx_int_t
ngx_http_freshdesk_quota_action_local(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx)
{
    uint32_t                          month;
    ngx_int_t                         rc;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_node_t  *qn;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    month = ngx_http_freshdesk_quota_month(ngx_time());
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, &ctx->tenant);

    if (qn) {
        if (qn->month != month) {
            ngx_http_freshdesk_quota_new_month(qctx, qn, month);
        }

        if ((ngx_int_t) qn->actions < ctx->actions_limit
            || flcf->quota_dry_run)
        {
            qn->actions++;
            rc = NGX_OK;

            if (qctx->redis) {
                qn->owed++;
                (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, 1);
            }
        }

        ctx->actions_remaining = ctx->actions_limit > (ngx_int_t) qn->actions
                                 ? ctx->actions_limit - (ngx_int_t) qn->actions
                                 : 0;
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    if (rc != NGX_OK) {
        ngx_log_error(flcf->quota_log_level, r->connection->log, 0,
                      "freshdesk: no further try: monthly actions quota "
                      "exhausted for tenant \"%V\"", &ctx->tenant);
        return NGX_DECLINED;
    }

    ctx->action_taken = 1;
    ctx->quota_redis = 0;

    if (ctx->quota_result.len == sizeof("refunded") - 1) {
        ngx_str_set(&ctx->quota_result, "passed");
    }

    return NGX_OK;
}


/*
 * With Redis: what Redis decided, mirrored here, so that the status page
 * and a fallback start from the cluster's numbers: the month's actions,
 * the calls of the last minute as Redis counted them, and this node's
 * admitted call in its own window.
 */

void
ngx_http_freshdesk_quota_mirror(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t admitted, ngx_uint_t refused,
    uint32_t calls, uint32_t actions, uint32_t redis_month)
{
    time_t                            now, reset;
    uint32_t                          month;
    ngx_http_freshdesk_quota_node_t  *qn;

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_insert(qctx, &ctx->tenant, month);

    if (qn == NULL) {
        goto done;
    }

    if (qn->month != month) {
        ngx_http_freshdesk_quota_new_month(qctx, qn, month);
    }

    if (redis_month == month) {
        qn->actions = actions;
    }

    if (refused) {
        qn->refused++;
    }

    qn->calls_limit = ctx->calls_limit;
    qn->actions_limit = ctx->actions_limit;
    qn->calls_seen = calls;
    qn->seen_at = (uint32_t) now;
    qn->calls_hold = (u_short) ngx_min(ctx->calls_reset, 60);

    if (admitted && qn->window && qn->window->count[now % 60] < 65535) {
        (void) ngx_http_freshdesk_quota_window(qn->window, now, &reset);
        qn->window->count[now % 60]++;
        qn->window->sum++;
    }

done:

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/*
 * The actions a tenant owes Redis, taken off the node to be sent (and
 * given back when the sending fails): a worker that crashes in between
 * loses them.
 */

ngx_uint_t
ngx_http_freshdesk_quota_owed_take(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, uint32_t *month)
{
    ngx_uint_t                        owed;
    ngx_http_freshdesk_quota_node_t  *qn;

    owed = 0;

    if (qctx->sh->redis.unsynced == 0) {
        return 0;
    }

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn && qn->owed) {
        owed = qn->owed;
        *month = qn->month;
        qn->owed = 0;
        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                    -(ngx_atomic_int_t) owed);
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return owed;
}


void
ngx_http_freshdesk_quota_owed_give(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_str_t *tenant, ngx_uint_t owed, uint32_t month)
{
    ngx_http_freshdesk_quota_node_t  *qn;

    ngx_shmtx_lock(&qctx->shpool->mutex);

    qn = ngx_http_freshdesk_quota_find(qctx, tenant);

    if (qn && qn->month == month) {
        qn->owed += owed;
        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced, owed);
    }

    ngx_shmtx_unlock(&qctx->shpool->mutex);
}


/* up to max tenants that owe Redis actions, taken off their nodes */

ngx_uint_t
ngx_http_freshdesk_quota_owed_collect(ngx_http_freshdesk_quota_ctx_t *qctx,
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

        if (qn->owed == 0) {
            continue;
        }

        owed[n].n = qn->owed;
        owed[n].month = qn->month;
        owed[n].tenant.len = qn->len;
        ngx_memcpy(owed[n].tenant.data, qn->data, qn->len);

        (void) ngx_atomic_fetch_add(&qctx->sh->redis.unsynced,
                                    -(ngx_atomic_int_t) qn->owed);
        qn->owed = 0;
        n++;
    }

done:

    ngx_shmtx_unlock(&qctx->shpool->mutex);

    return n;
}


/*
 * RateLimit-Policy / RateLimit (IETF httpapi ratelimit-headers draft):
 *   RateLimit-Policy: "calls";q=100;w=60, "actions";q=5000;w=2592000
 *   RateLimit: "calls";r=57;t=12, "actions";r=4988;t=1036800
 */

ngx_int_t
ngx_http_freshdesk_quota_headers(ngx_http_request_t *r)
{
    u_char                           *p;
    time_t                            now;
    ngx_str_t                         v;
    ngx_uint_t                        calls;
    ngx_shm_zone_t                   *shm_zone;
    ngx_http_freshdesk_ctx_t         *ctx;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_node_t  *qn;

    if (r != r->main) {
        return NGX_OK;
    }

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    if (flcf->quota == NULL || ctx == NULL || ctx->tenant.len == 0) {
        return NGX_OK;
    }

    shm_zone = flcf->quota;
    qctx = shm_zone->data;
    now = ngx_time();

    if (!ctx->quota_checked) {

        /* initialize, ping, tools/list...: look, do not count */

        if (ngx_http_freshdesk_quota_limits(r, qctx, &ctx->calls_limit,
                                            &ctx->actions_limit)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->calls_remaining = ctx->calls_limit;
        ctx->actions_remaining = ctx->actions_limit;
        ctx->calls_reset = 60;

        ngx_shmtx_lock(&qctx->shpool->mutex);

        qn = ngx_http_freshdesk_quota_find(qctx, &ctx->tenant);

        if (qn) {
            calls = ngx_http_freshdesk_quota_calls_now(qn, now);
            ctx->calls_remaining = ctx->calls_limit > (ngx_int_t) calls
                                   ? ctx->calls_limit - (ngx_int_t) calls : 0;

            if (qn->month == ngx_http_freshdesk_quota_month(now)) {
                ctx->actions_remaining =
                    ctx->actions_limit > (ngx_int_t) qn->actions
                    ? ctx->actions_limit - (ngx_int_t) qn->actions : 0;
            }
        }

        ngx_shmtx_unlock(&qctx->shpool->mutex);

        ctx->actions_reset = ngx_http_freshdesk_quota_month_end(now) - now;
    }

    /* written piece by piece: ngx_sprintf() cost more than the quota */

    v.data = ngx_pnalloc(r->pool, 2 * 128);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(v.data, "\"calls\";q=", sizeof("\"calls\";q=") - 1);
    p = ngx_http_freshdesk_resp_num(p, ctx->calls_limit);
    p = ngx_cpymem(p, ";w=60, \"actions\";q=",
                   sizeof(";w=60, \"actions\";q=") - 1);
    p = ngx_http_freshdesk_resp_num(p, ctx->actions_limit);
    p = ngx_cpymem(p, ";w=2592000", sizeof(";w=2592000") - 1);
    v.len = p - v.data;

    if (ngx_http_freshdesk_add_header(r, "RateLimit-Policy", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    v.data = p;

    p = ngx_cpymem(p, "\"calls\";r=", sizeof("\"calls\";r=") - 1);
    p = ngx_http_freshdesk_resp_num(p, ctx->calls_remaining);
    p = ngx_cpymem(p, ";t=", sizeof(";t=") - 1);
    p = ngx_http_freshdesk_resp_num(p, ctx->calls_reset);
    p = ngx_cpymem(p, ", \"actions\";r=", sizeof(", \"actions\";r=") - 1);
    p = ngx_http_freshdesk_resp_num(p, ctx->actions_remaining);
    p = ngx_cpymem(p, ";t=", sizeof(";t=") - 1);
    p = ngx_http_freshdesk_resp_num(p, ctx->actions_reset);
    v.len = p - v.data;

    return ngx_http_freshdesk_add_header(r, "RateLimit", &v);
}
