
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * freshdesk_status: per-tenant usage of every quota zone, as JSON, or as
 * Prometheus text exposition (?format=prometheus, or an Accept asking
 * for text/plain or application/openmetrics-text).  For a zone on Redis,
 * the tenants' numbers are the cluster's as of this node's last call for
 * them, and the backend's state is shown (never its password).
 */


#include "ngx_http_freshdesk_status.h"
#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_guard.h"
#include "ngx_http_freshdesk_json.h"
#include "ngx_http_freshdesk_metrics.h"


typedef struct {
    ngx_str_t                        tenant;
    ngx_uint_t                       calls;
    ngx_uint_t                       actions;
    ngx_uint_t                       refused;
    ngx_uint_t                       calls_limit;
    ngx_uint_t                       actions_limit;
    ngx_uint_t                       owed;
} ngx_http_freshdesk_status_row_t;


typedef struct {
    const char                      *name;
    const char                      *help;
    const char                      *type;
} ngx_http_freshdesk_status_metric_t;


/* writes the series of one row for the metric-th metric */
typedef u_char *(*ngx_http_freshdesk_status_series_pt)(u_char *p,
    ngx_uint_t metric, const char *name, ngx_str_t *zone, void *row);


static ngx_int_t ngx_http_freshdesk_status_rows(ngx_http_request_t *r,
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_array_t *rows);
static u_char *ngx_http_freshdesk_prom_label(u_char *p, ngx_str_t *s);
static u_char *ngx_http_freshdesk_status_prom_series(u_char *p,
    const char *metric, ngx_str_t *zone, const char *label, ngx_str_t *value);
static u_char *ngx_http_freshdesk_status_json_open(u_char *p, ngx_uint_t n,
    const char *key, ngx_str_t *value);
static u_char *ngx_http_freshdesk_status_prom_walk(u_char *p,
    const ngx_http_freshdesk_status_metric_t *metrics, ngx_array_t *zones,
    ngx_uint_t nzones, ngx_array_t *rows, size_t size,
    ngx_http_freshdesk_status_series_pt series);
static u_char *ngx_http_freshdesk_status_tenant_series(u_char *p,
    ngx_uint_t metric, const char *name, ngx_str_t *zone, void *data);
static u_char *ngx_http_freshdesk_status_account_series(u_char *p,
    ngx_uint_t metric, const char *name, ngx_str_t *zone, void *data);
static void ngx_http_freshdesk_status_stats(
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_atomic_uint_t *v);
static u_char *ngx_http_freshdesk_status_redis(u_char *p,
    ngx_http_freshdesk_quota_ctx_t *ctx);
static u_char *ngx_http_freshdesk_status_redis_prom(u_char *p,
    ngx_array_t *zones);

static u_char *ngx_http_freshdesk_status_accounts(u_char *p,
    ngx_array_t *accounts);
static u_char *ngx_http_freshdesk_status_accounts_prom(u_char *p,
    ngx_array_t *zones, ngx_array_t *accounts);

ngx_int_t
ngx_http_freshdesk_status_handler(ngx_http_request_t *r)
{
    u_char                           *p;
    size_t                            len;
    ngx_int_t                         rc;
    ngx_uint_t                        i;
    ngx_str_t                         fmt;
    ngx_buf_t                        *b;
    ngx_uint_t                        k, prom, nzones;
    ngx_array_t                      *zones;
    ngx_array_t                      *rows, *accounts;
    ngx_chain_t                       out;
    ngx_http_freshdesk_quota_ctx_t   *ctx;
    ngx_http_freshdesk_status_row_t  *row;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    prom = 0;

    if (ngx_http_arg(r, (u_char *) "format", 6, &fmt) == NGX_OK) {
        prom = (fmt.len == 10 && ngx_strncmp(fmt.data, "prometheus", 10) == 0);

#if (NGX_HTTP_HEADERS)
    } else if (r->headers_in.accept) {
        prom = ngx_strlcasestrn(r->headers_in.accept->value.data,
                                r->headers_in.accept->value.data
                                + r->headers_in.accept->value.len,
                                (u_char *) "text/plain", 10 - 1) != NULL
               || ngx_strlcasestrn(r->headers_in.accept->value.data,
                                   r->headers_in.accept->value.data
                                   + r->headers_in.accept->value.len,
                                   (u_char *) "openmetrics", 11 - 1) != NULL;
#endif
    }

    /* snapshot every zone, then format without any lock */

    zones = ngx_http_freshdesk_quota_zones((ngx_cycle_t *) ngx_cycle);
    nzones = zones ? zones->nelts : 0;

    rows = ngx_pcalloc(r->pool, sizeof(ngx_array_t)
                                * (nzones + 1));
    accounts = ngx_pcalloc(r->pool, sizeof(ngx_array_t) * (nzones + 1));
    if (rows == NULL || accounts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = 1024 + ngx_http_freshdesk_metrics_size();

    for (i = 0; i < nzones; i++) {
        ctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

        if (ngx_http_freshdesk_status_rows(r, ctx, &rows[i]) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        row = rows[i].elts;

        for (k = 0; k < rows[i].nelts; k++) {
            len += 6 * (row[k].tenant.len * 2 + ctx->name.len + 128);
        }

        if (ngx_http_freshdesk_guard_rows(ctx, r->pool, &accounts[i])
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len += accounts[i].nelts
               * (8 * (2 * 255 + 2 * ctx->name.len + 128)
                  + NGX_HTTP_FRESHDESK_GUARD_TENANTS
                    * (2 * (2 * 47 + 2 * 255 + 2 * ctx->name.len) + 256));

        len += 2048 + ctx->name.len * 24
               + (ctx->redis ? ctx->redis->url.url.len * 2 : 0);
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->last;

    if (prom) {
        static const ngx_http_freshdesk_status_metric_t  metrics[] = {
            { "freshdesk_calls_window",
              "Tool calls admitted in the last 60 s", "gauge" },
            { "freshdesk_calls_limit", "Tool calls allowed per 60 s",
              "gauge" },
            { "freshdesk_actions_month", "Upstream actions this month (UTC)",
              "gauge" },
            { "freshdesk_actions_limit",
              "Upstream actions allowed per month", "gauge" },
            { "freshdesk_refused_month", "Tool calls refused this month",
              "gauge" },
            { NULL, NULL, NULL }
        };

        p = ngx_http_freshdesk_status_prom_walk(p, metrics, zones, nzones,
                                     rows,
                                     sizeof(ngx_http_freshdesk_status_row_t),
                                     ngx_http_freshdesk_status_tenant_series);
        p = ngx_http_freshdesk_status_redis_prom(p, zones);
        p = ngx_http_freshdesk_status_accounts_prom(p, zones, accounts);
        p = ngx_http_freshdesk_metrics_prometheus(r, p);

        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        p = ngx_cpymem(p, "{\"zones\":[", 10);

        for (i = 0; i < nzones; i++) {
            ctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];
            row = rows[i].elts;

            p = ngx_http_freshdesk_status_json_open(p, i, "name", &ctx->name);
            p = ngx_sprintf(p, "\",\"calls_limit\":%i,\"actions_limit\":%i,"
                            "\"month\":%uD,",
                            ctx->calls, ctx->actions,
                            ngx_http_freshdesk_quota_month(ngx_time()));

            p = ngx_http_freshdesk_status_redis(p, ctx);
            p = ngx_cpymem(p, "\"tenants\":[", 11);

            for (k = 0; k < rows[i].nelts; k++) {
                p = ngx_http_freshdesk_status_json_open(p, k, "tenant",
                                                        &row[k].tenant);
                p = ngx_sprintf(p, "\",\"calls_window\":%ui,"
                                "\"calls_limit\":%ui,\"actions_month\":%ui,"
                                "\"actions_limit\":%ui,\"refused\":%ui",
                                row[k].calls, row[k].calls_limit,
                                row[k].actions, row[k].actions_limit,
                                row[k].refused);

                if (ctx->redis) {
                    p = ngx_sprintf(p, ",\"owed_to_redis\":%ui",
                                    row[k].owed);
                }

                *p++ = '}';
            }

            p = ngx_cpymem(p, "]", 1);

            if (accounts[i].nelts) {
                p = ngx_http_freshdesk_status_accounts(p, &accounts[i]);
            }

            p = ngx_cpymem(p, "}", 1);
        }

        p = ngx_cpymem(p, "],", 2);
        p = ngx_http_freshdesk_metrics_json(r, p);
        p = ngx_cpymem(p, "}\n", 2);

        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    b->last = p;
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_freshdesk_status_rows(ngx_http_request_t *r,
    ngx_http_freshdesk_quota_ctx_t *ctx, ngx_array_t *rows)
{
    time_t                            now;
    uint32_t                          month;
    ngx_rbtree_node_t                *node, *root, *sentinel;
    ngx_http_freshdesk_status_row_t  *row;
    ngx_http_freshdesk_quota_node_t  *qn;

    if (ngx_array_init(rows, r->pool, 16,
                       sizeof(ngx_http_freshdesk_status_row_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->shpool == NULL) {
        return NGX_OK;
    }

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    root = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    if (root == sentinel) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_OK;
    }

    for (node = ngx_rbtree_min(root, sentinel); node;
         node = ngx_rbtree_next(&ctx->sh->rbtree, node))
    {
        qn = (ngx_http_freshdesk_quota_node_t *) &node->color;

        row = ngx_array_push(rows);
        if (row == NULL) {
            goto failed;
        }

        row->tenant.len = qn->len;
        row->tenant.data = ngx_pnalloc(r->pool, qn->len);
        if (row->tenant.data == NULL) {
            goto failed;
        }

        ngx_memcpy(row->tenant.data, qn->data, qn->len);

        row->calls = ngx_http_freshdesk_quota_calls_now(qn, now);
        row->owed = qn->month == month ? qn->owed : 0;

        if (ctx->redis && now - (time_t) qn->seen_at < 60) {
            /* the cluster's minute, as Redis counted at the last call */
            row->calls = ngx_max(row->calls, qn->calls_seen);
        }
        row->actions = qn->month == month ? qn->actions : 0;
        row->refused = qn->month == month ? qn->refused : 0;
        row->calls_limit = qn->calls_limit ? qn->calls_limit
                                           : (ngx_uint_t) ctx->calls;
        row->actions_limit = qn->actions_limit ? qn->actions_limit
                                               : (ngx_uint_t) ctx->actions;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return NGX_OK;

failed:

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return NGX_ERROR;
}


/* a Redis zone's state: connections, fallback, commands, errors,
 * fallbacks, rtt (us), owed actions */

static void
ngx_http_freshdesk_status_stats(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_atomic_uint_t *v)
{
    ngx_http_freshdesk_redis_stats_t  *st;

    st = &ctx->sh->redis;

    v[0] = st->connections;
    v[1] = (st->last_error >= st->last_ok || v[0] == 0) ? 1 : 0;
    v[2] = st->commands;
    v[3] = st->errors;
    v[4] = st->fallbacks;
    v[5] = st->rtt_us;
    v[6] = (ngx_atomic_int_t) st->unsynced > 0 ? st->unsynced : 0;
}


/* the JSON members of a zone's backend (never the Redis password) */

static u_char *
ngx_http_freshdesk_status_redis(u_char *p, ngx_http_freshdesk_quota_ctx_t *ctx)
{
    ngx_atomic_uint_t            v[7];
    ngx_http_freshdesk_redis_t  *rd;

    rd = ctx->redis;

    if (rd == NULL || ctx->sh == NULL) {
        return ngx_cpymem(p, "\"backend\":\"shared_memory\",",
                          sizeof("\"backend\":\"shared_memory\",") - 1);
    }

    ngx_http_freshdesk_status_stats(ctx, v);

    p = ngx_cpymem(p, "\"backend\":\"redis\",\"redis\":{\"address\":\"",
                   sizeof("\"backend\":\"redis\",\"redis\":{\"address\":\"")
                   - 1);
    p = ngx_http_freshdesk_json_escape(p, rd->url.url.data, rd->url.url.len);

    return ngx_sprintf(p, "\",\"fail\":\"%s\",\"connections\":%uA,"
                       "\"fallback_active\":%s,\"commands\":%uA,"
                       "\"errors\":%uA,\"fallbacks\":%uA,\"rtt_us\":%uA,"
                       "\"owed_actions\":%uA},",
                       rd->fail == NGX_HTTP_FRESHDESK_REDIS_LOCAL ? "local"
                       : rd->fail == NGX_HTTP_FRESHDESK_REDIS_CLOSED
                         ? "closed" : "open",
                       v[0], v[1] ? "true" : "false", v[2], v[3], v[4],
                       v[5], v[6]);
}


/* the Redis families, each with its samples of every Redis zone */

static u_char *
ngx_http_freshdesk_status_redis_prom(u_char *p, ngx_array_t *zones)
{
    ngx_uint_t                       i, k, any;
    ngx_atomic_uint_t                v[7];
    ngx_http_freshdesk_quota_ctx_t  *ctx;

    static const char  *names[] = {
        "freshdesk_redis_up", "gauge",
        "1 when this node's workers hold a Redis connection",
        "freshdesk_redis_fallback_active", "gauge",
        "1 while calls are decided without Redis (fail=)",
        "freshdesk_redis_commands_total", "counter",
        "Commands sent to Redis",
        "freshdesk_redis_errors_total", "counter",
        "Redis commands failed (timeout, connection, error reply)",
        "freshdesk_redis_fallbacks_total", "counter",
        "Tool calls or retries decided without Redis",
        "freshdesk_redis_rtt_seconds", "gauge",
        "Round-trip time of the last Redis reply",
        "freshdesk_redis_owed_actions", "gauge",
        "Actions counted on this node that Redis has not been told of",
        NULL
    };

    any = 0;

    for (i = 0; zones && i < zones->nelts; i++) {
        ctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];
        any |= (ctx->redis && ctx->sh);
    }

    if (!any) {
        return p;
    }

    for (k = 0; names[k]; k += 3) {
        p = ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n",
                        names[k], names[k + 2], names[k], names[k + 1]);

        for (i = 0; i < zones->nelts; i++) {
            ctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

            if (ctx->redis == NULL || ctx->sh == NULL) {
                continue;
            }

            ngx_http_freshdesk_status_stats(ctx, v);

            p = ngx_http_freshdesk_status_prom_series(p, names[k], &ctx->name,
                                                      NULL, NULL);

            if (k / 3 == 0) {
                p = ngx_sprintf(p, "\"} %d\n", v[0] ? 1 : 0);

            } else if (k / 3 == 5) {
                p = ngx_sprintf(p, "\"} %uA.%06uA\n", v[5] / 1000000,
                                v[5] % 1000000);

            } else {
                p = ngx_sprintf(p, "\"} %uA\n", v[k / 3]);
            }
        }
    }

    return p;
}


static u_char *
ngx_http_freshdesk_prom_label(u_char *p, ngx_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '\\' || s->data[i] == '"') {
            *p++ = '\\';
            *p++ = s->data[i];

        } else if (s->data[i] == '\n') {
            *p++ = '\\';
            *p++ = 'n';

        } else {
            *p++ = s->data[i];
        }
    }

    return p;
}


/* metric{zone="...",label="...": the caller writes the rest of the series */

static u_char *
ngx_http_freshdesk_status_prom_series(u_char *p, const char *metric,
    ngx_str_t *zone, const char *label, ngx_str_t *value)
{
    p = ngx_sprintf(p, "%s{zone=\"", metric);
    p = ngx_http_freshdesk_prom_label(p, zone);

    if (label == NULL) {
        return p;
    }

    p = ngx_sprintf(p, "\",%s=\"", label);

    return ngx_http_freshdesk_prom_label(p, value);
}


/* [,]{"key":"value: the n-th object of a JSON array, its first member open */

static u_char *
ngx_http_freshdesk_status_json_open(u_char *p, ngx_uint_t n, const char *key,
    ngx_str_t *value)
{
    if (n) {
        *p++ = ',';
    }

    p = ngx_sprintf(p, "{\"%s\":\"", key);

    return ngx_http_freshdesk_json_escape(p, value->data, value->len);
}


/* "accounts": each guarded account's window, pause and shares */

static u_char *
ngx_http_freshdesk_status_accounts(u_char *p, ngx_array_t *accounts)
{
    ngx_str_t                        name;
    ngx_uint_t                       i, k;
    ngx_http_freshdesk_guard_row_t  *a;

    a = accounts->elts;

    p = ngx_cpymem(p, ",\"accounts\":[", 13);

    for (i = 0; i < accounts->nelts; i++) {
        p = ngx_http_freshdesk_status_json_open(p, i, "account",
                                                &a[i].account);
        p = ngx_sprintf(p, "\",\"limit\":%i,\"remaining\":%i,"
                        "\"in_flight\":%i,\"used_window\":%i,"
                        "\"window_ends_in_ms\":%M,\"paused_for_ms\":%M,"
                        "\"upstream_429\":%ui,\"classes\":{",
                        a[i].limit, a[i].remaining, a[i].in_flight,
                        a[i].used, a[i].window_ms, a[i].paused_ms,
                        a[i].upstream_429);

        for (k = 0; k < NGX_HTTP_FRESHDESK_GUARD_CLASSES; k++) {
            p = ngx_sprintf(p, "%s\"%s\":%ui", k ? "," : "",
                            ngx_http_freshdesk_guard_class_name(k),
                            a[i].cls[k]);
        }

        p = ngx_cpymem(p, "},\"tenants\":[", 13);

        for (k = 0; k < a[i].ntenants; k++) {
            name.data = a[i].tenants[k].name;
            name.len = a[i].tenants[k].len;

            p = ngx_http_freshdesk_status_json_open(p, k, "tenant", &name);
            p = ngx_sprintf(p, "\",\"weight\":%ui,\"used_window\":%ui,"
                            "\"idle_s\":%T,\"waited\":%ui,\"refused\":%ui}",
                            a[i].tenants[k].weight, a[i].tenants[k].used,
                            a[i].tenants[k].idle, a[i].tenants[k].waited,
                            a[i].tenants[k].refused);
        }

        p = ngx_cpymem(p, "]}", 2);
    }

    return ngx_cpymem(p, "]", 1);
}


static u_char *
ngx_http_freshdesk_status_accounts_prom(u_char *p, ngx_array_t *zones,
    ngx_array_t *accounts)
{
    static const ngx_http_freshdesk_status_metric_t  metrics[] = {
        { "freshdesk_account_credits_limit",
          "The account's API credits a window, as Freshdesk says", "gauge" },
        { "freshdesk_account_credits_remaining",
          "The account's API credits left, less what is in flight", "gauge" },
        { "freshdesk_account_upstream_429_total",
          "HTTP 429 answers of Freshdesk for the account", "counter" },
        { "freshdesk_account_waited_total",
          "Tool calls that waited for an account credit", "counter" },
        { "freshdesk_account_refused_total",
          "Tool calls the account guard refused", "counter" },
        { NULL, NULL, NULL }
    };

    if (zones == NULL) {
        return p;
    }

    return ngx_http_freshdesk_status_prom_walk(p, metrics, zones,
                                     zones->nelts, accounts,
                                     sizeof(ngx_http_freshdesk_guard_row_t),
                                     ngx_http_freshdesk_status_account_series);
}


/* each metric: its HELP and TYPE, then the series of each row of each zone */

static u_char *
ngx_http_freshdesk_status_prom_walk(u_char *p,
    const ngx_http_freshdesk_status_metric_t *metrics, ngx_array_t *zones,
    ngx_uint_t nzones, ngx_array_t *rows, size_t size,
    ngx_http_freshdesk_status_series_pt series)
{
    ngx_uint_t                       i, j, k;
    ngx_http_freshdesk_quota_ctx_t  *ctx;

    for (k = 0; metrics[k].name; k++) {
        p = ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n", metrics[k].name,
                        metrics[k].help, metrics[k].name, metrics[k].type);

        for (i = 0; i < nzones; i++) {
            ctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

            for (j = 0; j < rows[i].nelts; j++) {
                p = series(p, k, metrics[k].name, &ctx->name,
                           (u_char *) rows[i].elts + j * size);
            }
        }
    }

    return p;
}


static u_char *
ngx_http_freshdesk_status_tenant_series(u_char *p, ngx_uint_t metric,
    const char *name, ngx_str_t *zone, void *data)
{
    ngx_http_freshdesk_status_row_t *row = data;

    p = ngx_http_freshdesk_status_prom_series(p, name, zone, "tenant",
                                              &row->tenant);

    return ngx_sprintf(p, "\"} %ui\n",
                       metric == 0 ? row->calls
                       : metric == 1 ? row->calls_limit
                       : metric == 2 ? row->actions
                       : metric == 3 ? row->actions_limit
                       : row->refused);
}


/* the first three metrics are the account's, the others its tenants' */

static u_char *
ngx_http_freshdesk_status_account_series(u_char *p, ngx_uint_t metric,
    const char *name, ngx_str_t *zone, void *data)
{
    ngx_http_freshdesk_guard_row_t *a = data;

    ngx_str_t   tenant;
    ngx_uint_t  k;

    if (metric < 3) {
        p = ngx_http_freshdesk_status_prom_series(p, name, zone, "account",
                                                  &a->account);

        return ngx_sprintf(p, "\"} %i\n",
                           metric == 0 ? a->limit
                           : metric == 1 ? a->remaining
                           : (ngx_int_t) a->upstream_429);
    }

    for (k = 0; k < a->ntenants; k++) {
        tenant.data = a->tenants[k].name;
        tenant.len = a->tenants[k].len;

        p = ngx_http_freshdesk_status_prom_series(p, name, zone, "account",
                                                  &a->account);
        p = ngx_cpymem(p, "\",tenant=\"", 10);
        p = ngx_http_freshdesk_prom_label(p, &tenant);
        p = ngx_sprintf(p, "\"} %ui\n",
                        metric == 3 ? a->tenants[k].waited
                                    : a->tenants[k].refused);
    }

    return p;
}
