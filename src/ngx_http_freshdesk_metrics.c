
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Metrics for Prometheus: counters and histograms in a shared memory zone
 * of their own ("freshdesk_metrics", made by the module), exact across
 * workers (atomic adds) and kept across reloads (the zone is reused).
 * A log phase handler counts every request of a freshdesk_mcp location
 * once, when it ends, from what the request's context says; nothing is
 * counted on the request's way.  Series are bounded by design: tool calls
 * by tool and outcome (the catalog's tools, unknown names in one row),
 * requests by JSON-RPC method and transport refusals by HTTP status, and
 * two histograms; per-tenant numbers are the quota zones' gauges.
 *
 * Where a quota zone keeps a state file, the metrics are kept beside it
 * ("<state>.metrics", text, written with the state and at exit, read when
 * the zone is made): they survive a restart as the monthly counts do.
 */


#include "ngx_http_freshdesk_metrics.h"
#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_file.h"


#define FD_METHODS   6
#define FD_REFUSED   10
#define FD_BUCKETS   13                 /* 12 bounds and +Inf */


typedef struct {
    ngx_atomic_t   calls[FD_METRICS_TOOLS + 1][FD_OUTCOMES];
    ngx_atomic_t   methods[FD_METHODS];
    ngx_atomic_t   refused[FD_REFUSED];
    ngx_atomic_t   upstream[FD_BUCKETS];
    ngx_atomic_t   upstream_sum_ms;
    ngx_atomic_t   gateway[FD_BUCKETS];
    ngx_atomic_t   gateway_sum_ms;
    ngx_atomic_t   account_wait[FD_BUCKETS];    /* calls that waited */
    ngx_atomic_t   account_wait_sum_ms;
} ngx_http_freshdesk_metrics_t;


/* the zone's configuration: the file beside a quota zone's state */
typedef struct {
    ngx_http_freshdesk_metrics_t      *m;
    ngx_str_t                          path;
    ngx_http_freshdesk_quota_ctx_t    *follow;
} ngx_http_freshdesk_metrics_ctx_t;


static ngx_int_t ngx_http_freshdesk_metrics_init_zone(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_freshdesk_metrics_log(ngx_http_request_t *r);
static void ngx_http_freshdesk_metrics_load(
    ngx_http_freshdesk_metrics_ctx_t *mctx, ngx_log_t *log);
static ngx_atomic_t *ngx_http_freshdesk_metrics_counter(
    ngx_http_freshdesk_metrics_t *m, u_char *line, u_char *eol);
static ngx_int_t ngx_http_freshdesk_metrics_index(u_char **p, u_char *eol,
    const char **names, ngx_uint_t n);
static void ngx_http_freshdesk_metrics_observe(ngx_atomic_t *buckets,
    ngx_atomic_t *sum, ngx_msec_t ms);
static ngx_http_freshdesk_metrics_t *ngx_http_freshdesk_metrics_get(
    ngx_http_request_t *r);
static u_char *ngx_http_freshdesk_metrics_histogram(u_char *p,
    const char *name, const char *help, ngx_atomic_t *buckets,
    ngx_atomic_t *sum);


static ngx_str_t  ngx_http_freshdesk_metrics_name =
    ngx_string("freshdesk_metrics");

static const char  *ngx_http_freshdesk_outcomes[FD_OUTCOMES] = {
    "none", "ok", "tool_error", "upstream_5xx", "upstream_failure",
    "upstream_429", "quota_refused", "invalid_arguments", "unknown_tool",
    "gateway_error"
};

static ngx_str_t  ngx_http_freshdesk_methods[FD_METHODS] = {
    ngx_string("initialize"), ngx_string("ping"), ngx_string("tools/list"),
    ngx_string("tools/call"), ngx_string("notification"), ngx_string("other")
};

static ngx_uint_t  ngx_http_freshdesk_refused[FD_REFUSED] = {
    400, 401, 403, 404, 405, 406, 413, 415, 500, 0
};

static const char  *ngx_http_freshdesk_statuses[FD_REFUSED] = {
    "400", "401", "403", "404", "405", "406", "413", "415", "500", "other"
};

/* upper bounds of the histogram buckets, ms; the last is +Inf */
static ngx_msec_t  ngx_http_freshdesk_bounds[FD_BUCKETS - 1] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000
};

static const char  *ngx_http_freshdesk_les[FD_BUCKETS] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
    "5", "10", "30", "+Inf"
};


ngx_int_t
ngx_http_freshdesk_metrics_init(ngx_conf_t *cf)
{
    ngx_uint_t                         i;
    ngx_shm_zone_t                    *zone;
    ngx_http_handler_pt               *h;
    ngx_http_core_main_conf_t         *cmcf;
    ngx_http_freshdesk_main_conf_t    *fmcf;
    ngx_http_freshdesk_quota_ctx_t   **zones;
    ngx_http_freshdesk_metrics_ctx_t  *mctx;

    if (ngx_http_freshdesk_tools_count() > FD_METRICS_TOOLS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "freshdesk: %ui tools do not fit the metrics",
                           ngx_http_freshdesk_tools_count());
        return NGX_ERROR;
    }

    /* the configuration's own zone, like the quota zones */

    fmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_freshdesk_module);
    zones = fmcf->zones.elts;

    for (i = 0; i < fmcf->zones.nelts; i++) {
        if (zones[i]->name.len == ngx_http_freshdesk_metrics_name.len
            && ngx_strncmp(zones[i]->name.data,
                           ngx_http_freshdesk_metrics_name.data,
                           zones[i]->name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate zone \"%V\": the module keeps "
                               "its metrics in a zone of that name, give "
                               "the freshdesk_quota_zone another one",
                               &zones[i]->name);
            return NGX_ERROR;
        }
    }

    zone = ngx_shared_memory_add(cf, &ngx_http_freshdesk_metrics_name,
                                 64 * 1024, &ngx_http_freshdesk_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    mctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_metrics_ctx_t));
    if (mctx == NULL) {
        return NGX_ERROR;
    }

    zone->init = ngx_http_freshdesk_metrics_init_zone;
    zone->data = mctx;

    fmcf->metrics = zone;

    /* kept beside the first quota zone's state file, if any */

    for (i = 0; i < fmcf->zones.nelts; i++) {
        if (zones[i]->state.len == 0) {
            continue;
        }

        mctx->follow = zones[i];
        mctx->path.len = zones[i]->state.len + sizeof(".metrics") - 1;
        mctx->path.data = ngx_pnalloc(cf->pool, mctx->path.len + 1);
        if (mctx->path.data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(mctx->path.data, "%V.metrics%Z", &zones[i]->state);
        break;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_freshdesk_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_freshdesk_metrics_ctx_t  *octx = data;

    ngx_slab_pool_t                   *shpool;
    ngx_http_freshdesk_metrics_ctx_t  *mctx;

    mctx = zone->data;

    if (octx) {
        /* reload: the counters go on */
        mctx->m = octx->m;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        mctx->m = shpool->data;
        return NGX_OK;
    }

    mctx->m = ngx_slab_calloc(shpool, sizeof(ngx_http_freshdesk_metrics_t));
    if (mctx->m == NULL) {
        return NGX_ERROR;
    }

    shpool->data = mctx->m;

    /* first start (not a reload): the counters of the last run */

    if (mctx->path.len) {
        ngx_http_freshdesk_metrics_load(mctx, ngx_cycle->log);
    }

    return NGX_OK;
}


static ngx_http_freshdesk_metrics_t *
ngx_http_freshdesk_metrics_get(ngx_http_request_t *r)
{
    ngx_http_freshdesk_main_conf_t  *fmcf;

    fmcf = ngx_http_get_module_main_conf(r, ngx_http_freshdesk_module);

    if (fmcf == NULL || fmcf->metrics == NULL) {
        return NULL;
    }

    return ((ngx_http_freshdesk_metrics_ctx_t *) fmcf->metrics->data)->m;
}


/* once per request of a freshdesk_mcp location, when it is logged */

static ngx_int_t
ngx_http_freshdesk_metrics_log(ngx_http_request_t *r)
{
    ngx_int_t                      ms;
    ngx_uint_t                     i, m, status, outcome;
    ngx_time_t                    *tp;
    ngx_str_t                     *method;
    ngx_http_freshdesk_ctx_t      *ctx;
    ngx_http_freshdesk_metrics_t  *mt;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);
    mt = ngx_http_freshdesk_metrics_get(r);

    if (ctx == NULL || mt == NULL) {
        return NGX_OK;
    }

    method = &ctx->rpc_method;
    status = r->headers_out.status;

    if (method->len == 0) {

        /* refused before JSON-RPC: by the transport's rules */

        if (status < NGX_HTTP_BAD_REQUEST) {
            return NGX_OK;
        }

        for (i = 0; i < FD_REFUSED - 1; i++) {
            if (ngx_http_freshdesk_refused[i] == status) {
                break;
            }
        }

        (void) ngx_atomic_fetch_add(&mt->refused[i], 1);

        return NGX_OK;
    }

    m = FD_METHODS - 1;

    for (i = 0; i < FD_METHODS - 2; i++) {
        if (ngx_http_freshdesk_methods[i].len == method->len
            && ngx_strncmp(ngx_http_freshdesk_methods[i].data, method->data,
                           method->len)
               == 0)
        {
            m = i;
            break;
        }
    }

    if (m == FD_METHODS - 1 && method->len > 14
        && ngx_strncmp(method->data, "notifications/", 14) == 0)
    {
        m = FD_METHODS - 2;
    }

    (void) ngx_atomic_fetch_add(&mt->methods[m], 1);

    if (m != 3) {
        return NGX_OK;
    }

    /* tools/call: the tool and the outcome; the times */

    outcome = ctx->outcome ? ctx->outcome : FD_OUTCOME_GATEWAY;
    i = ctx->tool ? ctx->tool_index : FD_METRICS_TOOLS;

    (void) ngx_atomic_fetch_add(&mt->calls[i][outcome], 1);

    if (ctx->tries) {
        ngx_http_freshdesk_metrics_observe(mt->upstream, &mt->upstream_sum_ms,
                                           ctx->upstream_time);
    }

    tp = ngx_timeofday();

    ms = (ngx_int_t) ((tp->sec - r->start_sec) * 1000
                      + (tp->msec - r->start_msec))
         - (ngx_int_t) ctx->upstream_time;

    ngx_http_freshdesk_metrics_observe(mt->gateway, &mt->gateway_sum_ms,
                                       ms > 0 ? (ngx_msec_t) ms : 0);

    if (ctx->quota.account_waited) {
        ngx_http_freshdesk_metrics_observe(mt->account_wait,
                                           &mt->account_wait_sum_ms,
                                           ctx->quota.account_waited);
    }

    return NGX_OK;
}


static void
ngx_http_freshdesk_metrics_observe(ngx_atomic_t *buckets, ngx_atomic_t *sum,
    ngx_msec_t ms)
{
    ngx_uint_t  i;

    for (i = 0; i < FD_BUCKETS - 1; i++) {
        if (ms <= ngx_http_freshdesk_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&buckets[i], 1);
    (void) ngx_atomic_fetch_add(sum, ms);
}


/* room the output of the metrics takes at most */

size_t
ngx_http_freshdesk_metrics_size(void)
{
    return (FD_METRICS_TOOLS + 1) * FD_OUTCOMES * 128
           + (FD_METHODS + FD_REFUSED) * 96 + 3 * FD_BUCKETS * 96 + 4096;
}


u_char *
ngx_http_freshdesk_metrics_prometheus(ngx_http_request_t *r, u_char *p)
{
    ngx_uint_t                        i, o;
    ngx_atomic_uint_t                 v;
    const ngx_http_freshdesk_tool_t  *t;
    ngx_http_freshdesk_metrics_t     *mt;

    mt = ngx_http_freshdesk_metrics_get(r);

    if (mt == NULL) {
        return p;
    }

    p = ngx_cpymem(p, "# HELP freshdesk_tool_calls_total Tool calls by tool "
                   "and outcome\n# TYPE freshdesk_tool_calls_total counter\n",
                   sizeof("# HELP freshdesk_tool_calls_total Tool calls by "
                          "tool and outcome\n# TYPE freshdesk_tool_calls_total "
                          "counter\n") - 1);

    for (i = 0; i <= FD_METRICS_TOOLS; i++) {
        t = ngx_http_freshdesk_tool_at(i);

        if (t == NULL && i != FD_METRICS_TOOLS) {
            continue;
        }

        for (o = 1; o < FD_OUTCOMES; o++) {
            v = mt->calls[i][o];

            if (v == 0) {
                continue;
            }

            p = ngx_sprintf(p, "freshdesk_tool_calls_total{tool=\"%s\","
                            "outcome=\"%s\"} %uA\n",
                            t ? t->name : "_unknown",
                            ngx_http_freshdesk_outcomes[o], v);
        }
    }

    p = ngx_cpymem(p, "# HELP freshdesk_requests_total MCP requests by "
                   "JSON-RPC method\n# TYPE freshdesk_requests_total "
                   "counter\n",
                   sizeof("# HELP freshdesk_requests_total MCP requests by "
                          "JSON-RPC method\n# TYPE freshdesk_requests_total "
                          "counter\n") - 1);

    for (i = 0; i < FD_METHODS; i++) {
        p = ngx_sprintf(p, "freshdesk_requests_total{method=\"%V\"} %uA\n",
                        &ngx_http_freshdesk_methods[i], mt->methods[i]);
    }

    p = ngx_cpymem(p, "# HELP freshdesk_refused_requests_total Requests "
                   "refused before JSON-RPC, by HTTP status\n# TYPE "
                   "freshdesk_refused_requests_total counter\n",
                   sizeof("# HELP freshdesk_refused_requests_total Requests "
                          "refused before JSON-RPC, by HTTP status\n# TYPE "
                          "freshdesk_refused_requests_total counter\n") - 1);

    for (i = 0; i < FD_REFUSED; i++) {
        if (ngx_http_freshdesk_refused[i]) {
            p = ngx_sprintf(p, "freshdesk_refused_requests_total"
                            "{status=\"%ui\"} %uA\n",
                            ngx_http_freshdesk_refused[i], mt->refused[i]);

        } else {
            p = ngx_sprintf(p, "freshdesk_refused_requests_total{status="
                            "\"other\"} %uA\n", mt->refused[i]);
        }
    }

    p = ngx_http_freshdesk_metrics_histogram(p,
            "freshdesk_upstream_duration_seconds",
            "Time Freshdesk took for a tool call, all tries",
            mt->upstream, &mt->upstream_sum_ms);

    p = ngx_http_freshdesk_metrics_histogram(p,
            "freshdesk_gateway_duration_seconds",
            "The gateway's own time for a tool call (Freshdesk's excluded)",
            mt->gateway, &mt->gateway_sum_ms);

    p = ngx_http_freshdesk_metrics_histogram(p,
            "freshdesk_account_wait_seconds",
            "How long tool calls waited for an account credit (those that "
            "waited)",
            mt->account_wait, &mt->account_wait_sum_ms);

    return p;
}


static u_char *
ngx_http_freshdesk_metrics_histogram(u_char *p, const char *name,
    const char *help, ngx_atomic_t *buckets, ngx_atomic_t *sum)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  n, s;

    p = ngx_sprintf(p, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
                    name);

    for (i = 0, n = 0; i < FD_BUCKETS; i++) {
        n += buckets[i];
        p = ngx_sprintf(p, "%s_bucket{le=\"%s\"} %uA\n", name,
                        ngx_http_freshdesk_les[i], n);
    }

    s = *sum;

    return ngx_sprintf(p, "%s_sum %uA.%03uA\n%s_count %uA\n", name,
                       s / 1000, s % 1000, name, n);
}


u_char *
ngx_http_freshdesk_metrics_json(ngx_http_request_t *r, u_char *p)
{
    ngx_uint_t                        i, o, any;
    ngx_atomic_uint_t                 v, n;
    const ngx_http_freshdesk_tool_t  *t;
    ngx_http_freshdesk_metrics_t     *mt;

    mt = ngx_http_freshdesk_metrics_get(r);

    if (mt == NULL) {
        return ngx_cpymem(p, "\"metrics\":null", 14);
    }

    p = ngx_cpymem(p, "\"metrics\":{\"tool_calls\":{", 25);
    any = 0;

    for (i = 0; i <= FD_METRICS_TOOLS; i++) {
        t = ngx_http_freshdesk_tool_at(i);

        if (t == NULL && i != FD_METRICS_TOOLS) {
            continue;
        }

        for (o = 1, n = 0; o < FD_OUTCOMES; o++) {
            n += mt->calls[i][o];
        }

        if (n == 0) {
            continue;
        }

        p = ngx_sprintf(p, "%s\"%s\":{", any++ ? "," : "",
                        t ? t->name : "_unknown");

        for (o = 1, n = 0; o < FD_OUTCOMES; o++) {
            v = mt->calls[i][o];

            if (v) {
                p = ngx_sprintf(p, "%s\"%s\":%uA", n++ ? "," : "",
                                ngx_http_freshdesk_outcomes[o], v);
            }
        }

        *p++ = '}';
    }

    p = ngx_cpymem(p, "},\"requests\":{", 14);

    for (i = 0; i < FD_METHODS; i++) {
        p = ngx_sprintf(p, "%s\"%V\":%uA", i ? "," : "",
                        &ngx_http_freshdesk_methods[i], mt->methods[i]);
    }

    p = ngx_cpymem(p, "},\"refused\":{", 13);

    for (i = 0; i < FD_REFUSED; i++) {
        if (ngx_http_freshdesk_refused[i]) {
            p = ngx_sprintf(p, "%s\"%ui\":%uA", i ? "," : "",
                            ngx_http_freshdesk_refused[i], mt->refused[i]);

        } else {
            p = ngx_sprintf(p, ",\"other\":%uA", mt->refused[i]);
        }
    }

    for (o = 0; o < 2; o++) {
        ngx_atomic_t  *b = o ? mt->gateway : mt->upstream;

        p = ngx_sprintf(p, "},\"%s_seconds\":{\"buckets\":{",
                        o ? "gateway" : "upstream");

        for (i = 0, n = 0; i < FD_BUCKETS; i++) {
            n += b[i];
            p = ngx_sprintf(p, "%s\"%s\":%uA", i ? "," : "",
                            ngx_http_freshdesk_les[i], n);
        }

        v = o ? mt->gateway_sum_ms : mt->upstream_sum_ms;
        p = ngx_sprintf(p, "},\"sum\":%uA.%03uA,\"count\":%uA", v / 1000,
                        v % 1000, n);
    }

    return ngx_cpymem(p, "}}", 2);
}


/*
 * Saved with the state of the quota zone they follow (by its writer, on
 * its timer and at exit): one counter a line, by name, so that a catalog
 * or a version that differs loads what it knows and skips the rest.
 */

void
ngx_http_freshdesk_metrics_save(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_log_t *log)
{
    u_char                            *buf, *p;
    ngx_uint_t                         i, o;
    ngx_atomic_uint_t                  v;
    const ngx_http_freshdesk_tool_t   *t;
    ngx_http_freshdesk_metrics_t      *m;
    ngx_http_freshdesk_main_conf_t    *fmcf;
    ngx_http_freshdesk_metrics_ctx_t  *mctx;

    fmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_freshdesk_module);
    if (fmcf == NULL || fmcf->metrics == NULL) {
        return;
    }

    mctx = fmcf->metrics->data;
    m = mctx->m;

    if (m == NULL || mctx->follow != qctx || mctx->path.len == 0) {
        return;
    }

    buf = ngx_alloc(ngx_http_freshdesk_metrics_size(), log);
    if (buf == NULL) {
        return;
    }

    p = ngx_cpymem(buf, "freshdesk-metrics 1\n", 20);

    for (i = 0; i <= FD_METRICS_TOOLS; i++) {
        t = ngx_http_freshdesk_tool_at(i);

        if (t == NULL && i != FD_METRICS_TOOLS) {
            continue;
        }

        for (o = 1; o < FD_OUTCOMES; o++) {
            v = m->calls[i][o];

            if (v) {
                p = ngx_sprintf(p, "call %s %s %uA\n",
                                t ? t->name : "_unknown",
                                ngx_http_freshdesk_outcomes[o], v);
            }
        }
    }

    for (i = 0; i < FD_METHODS; i++) {
        p = ngx_sprintf(p, "method %V %uA\n", &ngx_http_freshdesk_methods[i],
                        m->methods[i]);
    }

    for (i = 0; i < FD_REFUSED; i++) {
        p = ngx_sprintf(p, "refused %s %uA\n", ngx_http_freshdesk_statuses[i],
                        m->refused[i]);
    }

    for (i = 0; i < FD_BUCKETS; i++) {
        p = ngx_sprintf(p, "upstream %s %uA\ngateway %s %uA\n",
                        ngx_http_freshdesk_les[i], m->upstream[i],
                        ngx_http_freshdesk_les[i], m->gateway[i]);
    }

    p = ngx_sprintf(p, "upstream sum %uA\ngateway sum %uA\n",
                    m->upstream_sum_ms, m->gateway_sum_ms);

    (void) ngx_http_freshdesk_file_write(&mctx->path, buf, p - buf, log);

    ngx_free(buf);
}


static void
ngx_http_freshdesk_metrics_load(ngx_http_freshdesk_metrics_ctx_t *mctx,
    ngx_log_t *log)
{
    u_char        *buf, *p, *eol, *sp;
    ssize_t        n;
    ngx_int_t      v;
    ngx_fd_t       fd;
    ngx_uint_t     loaded;
    ngx_atomic_t  *c;

    fd = ngx_open_file(mctx->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        /* the first start: nothing to load */
        return;
    }

    buf = ngx_alloc(ngx_http_freshdesk_metrics_size() + 1, log);
    if (buf == NULL) {
        (void) ngx_close_file(fd);
        return;
    }

    n = ngx_read_fd(fd, buf, ngx_http_freshdesk_metrics_size());
    (void) ngx_close_file(fd);

    if (n < 20 || ngx_strncmp(buf, "freshdesk-metrics 1\n", 20) != 0) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "freshdesk metrics \"%V\" not read: not a metrics file",
                      &mctx->path);
        ngx_free(buf);
        return;
    }

    loaded = 0;

    for (p = buf + 20; p < buf + n; p = eol + 1) {
        eol = ngx_strlchr(p, buf + n, '\n');
        if (eol == NULL) {
            break;
        }

        /* the count is the last field */

        for (sp = eol; sp > p && sp[-1] != ' '; sp--) { /* void */ }

        if (sp == p) {
            continue;
        }

        v = ngx_atoi(sp, eol - sp);
        c = ngx_http_freshdesk_metrics_counter(mctx->m, p, sp - 1);

        if (v != NGX_ERROR && c) {
            *c = (ngx_atomic_uint_t) v;
            loaded++;
        }
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "freshdesk metrics \"%V\": %ui counters loaded",
                  &mctx->path, loaded);

    ngx_free(buf);
}


/* the counter a line names ("call get_ticket ok"), or NULL */

static ngx_atomic_t *
ngx_http_freshdesk_metrics_counter(ngx_http_freshdesk_metrics_t *m,
    u_char *line, u_char *eol)
{
    u_char                           *p, *name;
    ngx_int_t                         i, o;
    ngx_uint_t                        t;
    ngx_atomic_t                     *h;

    p = line;

    if (eol - p > 5 && ngx_strncmp(p, "call ", 5) == 0) {
        p += 5;
        name = p;

        while (p < eol && *p != ' ') {
            p++;
        }

        if (p - name == 8 && ngx_strncmp(name, "_unknown", 8) == 0) {
            t = FD_METRICS_TOOLS;

        } else if (ngx_http_freshdesk_tool_find_index(name, p - name, &t)
                   == NULL)
        {
            return NULL;
        }

        p++;
        o = ngx_http_freshdesk_metrics_index(&p, eol,
                                             ngx_http_freshdesk_outcomes,
                                             FD_OUTCOMES);

        return (o > 0 && p == eol) ? &m->calls[t][o] : NULL;
    }

    if (eol - p > 7 && ngx_strncmp(p, "method ", 7) == 0) {
        p += 7;

        for (i = 0; i < FD_METHODS; i++) {
            if ((size_t) (eol - p) == ngx_http_freshdesk_methods[i].len
                && ngx_strncmp(p, ngx_http_freshdesk_methods[i].data,
                               eol - p)
                   == 0)
            {
                return &m->methods[i];
            }
        }

        return NULL;
    }

    if (eol - p > 8 && ngx_strncmp(p, "refused ", 8) == 0) {
        p += 8;
        i = ngx_http_freshdesk_metrics_index(&p, eol,
                                             ngx_http_freshdesk_statuses,
                                             FD_REFUSED);

        return (i >= 0 && p == eol) ? &m->refused[i] : NULL;
    }

    if (eol - p > 9 && ngx_strncmp(p, "upstream ", 9) == 0) {
        p += 9;
        h = m->upstream;

    } else if (eol - p > 8 && ngx_strncmp(p, "gateway ", 8) == 0) {
        p += 8;
        h = m->gateway;

    } else {
        return NULL;
    }

    if (eol - p == 3 && ngx_strncmp(p, "sum", 3) == 0) {
        return h == m->upstream ? &m->upstream_sum_ms : &m->gateway_sum_ms;
    }

    i = ngx_http_freshdesk_metrics_index(&p, eol, ngx_http_freshdesk_les,
                                         FD_BUCKETS);

    return (i >= 0 && p == eol) ? &h[i] : NULL;
}


/* which of the names the word at *p is (moved past it), or -1 */

static ngx_int_t
ngx_http_freshdesk_metrics_index(u_char **p, u_char *eol, const char **names,
    ngx_uint_t n)
{
    u_char      *s;
    size_t       len;
    ngx_uint_t   i;

    s = *p;

    while (*p < eol && **p != ' ') {
        (*p)++;
    }

    len = *p - s;

    for (i = 0; i < n; i++) {
        if (ngx_strlen(names[i]) == len && ngx_strncmp(s, names[i], len) == 0)
        {
            return i;
        }
    }

    return -1;
}
