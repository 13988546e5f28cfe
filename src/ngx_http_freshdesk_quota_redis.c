
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Cluster quotas: a quota zone backed by Redis (freshdesk_quota_redis), so
 * that every nginx node behind a load balancer counts against one budget
 * per tenant.  Each tools/call is one atomic decision in Redis: a Lua
 * script, loaded once and called by SHA (sent whole again after NOSCRIPT),
 * that keeps the rolling minute (one hash field a second) and the calendar
 * month (one key a month, expiring five weeks after it ends) on Redis's
 * own clock, so that the nodes' clocks do not matter.  A tenant's keys
 * share the hash tag {tenant}: one Redis Cluster slot.
 *
 * When Redis cannot answer within the timeout (down, slow, an error, out
 * of memory), fail= decides: local counts in the node's shared memory (the
 * zone's own store) and owes those actions to Redis, which is told of them
 * when it is back (with the tenant's next call, and by a sweep every
 * second); closed refuses the call; open admits it uncounted.
 */


#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_response.h"

#include <openssl/sha.h>


#define FD_QUOTA_SWEEP       1000     /* ms between sweeps of owed actions */
#define FD_QUOTA_SWEEP_MAX   32       /* tenants a sweep sends */


/* one command of a request: the arguments kept for a resend as EVAL */
typedef struct {
    ngx_http_request_t                *r;
    ngx_http_freshdesk_quota_ctx_t    *qctx;
    ngx_http_freshdesk_redis_cmd_t    *cmd;
    ngx_str_t                          tenant;
    ngx_str_t                          args[11];
    ngx_uint_t                         nargs;
    ngx_uint_t                         owed;
    uint32_t                           owed_month;
    unsigned                           action:1;
    unsigned                           eval:1;
} ngx_http_freshdesk_quota_call_t;


/* one tenant of a sweep */
typedef struct {
    ngx_http_freshdesk_quota_ctx_t    *qctx;
    ngx_http_freshdesk_quota_owed_t    owed;
    ngx_uint_t                         pending;
    u_char                             tenant[255];
} ngx_http_freshdesk_quota_sync_t;


static ngx_int_t ngx_http_freshdesk_quota_redis_start(ngx_cycle_t *cycle,
    ngx_http_freshdesk_quota_ctx_t *qctx);
static ngx_int_t ngx_http_freshdesk_quota_redis_ask(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_uint_t action);
static void ngx_http_freshdesk_quota_redis_handler(void *data,
    ngx_http_freshdesk_resp_t *reply);
static ngx_int_t ngx_http_freshdesk_quota_redis_fallback(
    ngx_http_request_t *r, ngx_http_freshdesk_ctx_t *ctx,
    ngx_http_freshdesk_quota_ctx_t *qctx, ngx_uint_t action);
static void ngx_http_freshdesk_quota_redis_cleanup(void *data);
static void ngx_http_freshdesk_quota_redis_ignore(void *data,
    ngx_http_freshdesk_resp_t *reply);
static void ngx_http_freshdesk_quota_redis_sweep(ngx_event_t *ev);
static void ngx_http_freshdesk_quota_redis_synced(void *data,
    ngx_http_freshdesk_resp_t *reply);
static ngx_int_t ngx_http_freshdesk_quota_redis_key(ngx_pool_t *pool,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *tenant, ngx_str_t *key);
static u_char *ngx_http_freshdesk_quota_redis_key_write(u_char *p,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *tenant);
static ngx_int_t ngx_http_freshdesk_quota_redis_num(ngx_pool_t *pool,
    ngx_str_t *s, int64_t n);
static void ngx_http_freshdesk_quota_redis_sync(
    ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_sync_t *sync);


/*
 * KEYS[1]: "<prefix>{<tenant>}"; ARGV[1]: the mode.
 *   take   calls_limit actions_limit dry_run owed owed_month
 *          -> {refused (0, 1 calls, 2 actions), calls, actions,
 *              seconds until a call frees, seconds until the month ends,
 *              now, YYYYMM}
 *   action actions_limit dry_run -> {counted (0/1), actions, month end, now,
 *                                    YYYYMM}
 *   refund call (0/1) second YYYYMM -> {actions}
 *   sync   owed YYYYMM -> {added (0/1), actions}
 * The month of TIME is worked out in Lua (no os.date in Redis's Lua):
 * days since 1970 to the civil date and back (H. Hinnant's algorithms).
 */

static char  ngx_http_freshdesk_quota_script[] =
"local base, mode = KEYS[1], ARGV[1]\n"
"local now = tonumber(redis.call('TIME')[1])\n"
"local f = math.floor\n"
"local z = f(now / 86400) + 719468\n"
"local era = f(z / 146097)\n"
"local doe = z - era * 146097\n"
"local yoe = f((doe - f(doe / 1460) + f(doe / 36524) - f(doe / 146096))"
" / 365)\n"
"local doy = doe - (365 * yoe + f(yoe / 4) - f(yoe / 100))\n"
"local mp = f((5 * doy + 2) / 153)\n"
"local y, m = yoe + era * 400, mp < 10 and mp + 3 or mp - 9\n"
"if m <= 2 then y = y + 1 end\n"
"local ny, nm = y, m + 1\n"
"if nm > 12 then ny, nm = y + 1, 1 end\n"
"if nm <= 2 then ny = ny - 1 end\n"
"local nera = f(ny / 400)\n"
"local nyoe = ny - nera * 400\n"
"local ndoe = nyoe * 365 + f(nyoe / 4) - f(nyoe / 100)"
" + f((153 * ((nm + 9) % 12) + 2) / 5)\n"
"local mend = (nera * 146097 + ndoe - 719468) * 86400\n"
"local ym = y * 100 + m\n"
"local mk = base .. ':m:' .. ym\n"
"local ttl = mend + 35 * 86400\n"
"local actions = tonumber(redis.call('GET', mk) or '0')\n"
"if mode == 'take' then\n"
"  local climit, alimit = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
"  local dry, owed = ARGV[4] == '1', tonumber(ARGV[5])\n"
"  if owed > 0 and tonumber(ARGV[6]) == ym then\n"
"    actions = redis.call('INCRBY', mk, owed)\n"
"    redis.call('EXPIREAT', mk, ttl)\n"
"  end\n"
"  local wk = base .. ':w'\n"
"  local h = redis.call('HGETALL', wk)\n"
"  local calls, oldest = 0, now\n"
"  for i = 1, #h, 2 do\n"
"    local s = tonumber(h[i])\n"
"    if s <= now - 60 then redis.call('HDEL', wk, h[i])\n"
"    else\n"
"      calls = calls + tonumber(h[i + 1])\n"
"      if s < oldest then oldest = s end\n"
"    end\n"
"  end\n"
"  local refused = 0\n"
"  if calls >= climit then refused = 1\n"
"  elseif actions + 1 > alimit then refused = 2 end\n"
"  if refused > 0 then\n"
"    local rk = base .. ':r:' .. ym\n"
"    redis.call('INCR', rk)\n"
"    redis.call('EXPIREAT', rk, ttl)\n"
"  end\n"
"  if refused == 0 or dry then\n"
"    redis.call('HINCRBY', wk, now, 1)\n"
"    redis.call('EXPIRE', wk, 61)\n"
"    actions = redis.call('INCR', mk)\n"
"    redis.call('EXPIREAT', mk, ttl)\n"
"    calls = calls + 1\n"
"  end\n"
"  return {refused, calls, actions, oldest + 60 - now, mend - now, now, ym}\n"
"elseif mode == 'action' then\n"
"  if actions + 1 > tonumber(ARGV[2]) and ARGV[3] ~= '1' then\n"
"    return {0, actions, mend - now, now, ym}\n"
"  end\n"
"  actions = redis.call('INCR', mk)\n"
"  redis.call('EXPIREAT', mk, ttl)\n"
"  return {1, actions, mend - now, now, ym}\n"
"elseif mode == 'refund' then\n"
"  local k = base .. ':m:' .. ARGV[4]\n"
"  local a = tonumber(redis.call('GET', k) or '0')\n"
"  if a > 0 then a = redis.call('DECR', k) end\n"
"  if ARGV[2] == '1' then\n"
"    local wk = base .. ':w'\n"
"    if tonumber(redis.call('HGET', wk, ARGV[3]) or '0') > 0 then\n"
"      redis.call('HINCRBY', wk, ARGV[3], -1)\n"
"    end\n"
"  end\n"
"  return {a}\n"
"elseif mode == 'sync' then\n"
"  if tonumber(ARGV[3]) ~= ym then return {0, actions} end\n"
"  actions = redis.call('INCRBY', mk, tonumber(ARGV[2]))\n"
"  redis.call('EXPIREAT', mk, ttl)\n"
"  return {1, actions}\n"
"end\n"
"return redis.error_reply('ERR freshdesk: unknown mode')\n";


/*
 * freshdesk_quota_redis zone address [db=N] [user=name]
 *     [password_file=path] [timeout=time] [fail=local|closed|open]
 *     [connections=N] [local_share=N%] [prefix=string];
 */

char *
ngx_http_freshdesk_quota_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_main_conf_t *fmcf = conf;

    u_char                           *p, *last, md[SHA_DIGEST_LENGTH];
    ssize_t                           n;
    ngx_int_t                         v;
    ngx_str_t                        *value, s, file;
    ngx_uint_t                        i;
    ngx_file_t                        f;
    ngx_file_info_t                   fi;
    ngx_http_freshdesk_redis_t       *rd;
    ngx_http_freshdesk_quota_ctx_t   *qctx, **zones;

    value = cf->args->elts;

    qctx = NULL;
    zones = fmcf->zones.elts;

    for (i = 0; i < fmcf->zones.nelts; i++) {
        if (zones[i]->name.len == value[1].len
            && ngx_strncmp(zones[i]->name.data, value[1].data, value[1].len)
               == 0)
        {
            qctx = zones[i];
            break;
        }
    }

    if (qctx == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no freshdesk_quota_zone \"%V\" before this "
                           "directive", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (qctx->redis) {
        return "is duplicate";
    }

    rd = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_redis_t));
    if (rd == NULL) {
        return NGX_CONF_ERROR;
    }

    rd->zone = qctx->name;
    rd->timeout = 50;
    rd->nconns = 2;
    rd->fail = NGX_HTTP_FRESHDESK_REDIS_LOCAL;
    rd->share = 100;
    ngx_str_set(&rd->prefix, "freshdesk:");

    rd->url.url = value[2];
    rd->url.default_port = 6379;

    if (ngx_parse_url(cf->pool, &rd->url) != NGX_OK) {
        if (rd->url.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in Redis address \"%V\"", rd->url.err,
                               &value[2]);
        }

        return NGX_CONF_ERROR;
    }

    if (rd->url.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no address for Redis \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&file);

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            rd->db.data = value[i].data + 3;
            rd->db.len = value[i].len - 3;

            if (ngx_atoi(rd->db.data, rd->db.len) == NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "user=", 5) == 0) {
            rd->user.data = value[i].data + 5;
            rd->user.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0) {
            file.data = value[i].data + 14;
            file.len = value[i].len - 14;

            if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            rd->timeout = ngx_parse_time(&s, 0);
            if (rd->timeout == (ngx_msec_t) NGX_ERROR || rd->timeout == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "fail=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            if (s.len == 5 && ngx_strncmp(s.data, "local", 5) == 0) {
                rd->fail = NGX_HTTP_FRESHDESK_REDIS_LOCAL;

            } else if (s.len == 6 && ngx_strncmp(s.data, "closed", 6) == 0) {
                rd->fail = NGX_HTTP_FRESHDESK_REDIS_CLOSED;

            } else if (s.len == 4 && ngx_strncmp(s.data, "open", 4) == 0) {
                rd->fail = NGX_HTTP_FRESHDESK_REDIS_OPEN;

            } else {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "connections=", 12) == 0) {
            v = ngx_atoi(value[i].data + 12, value[i].len - 12);
            if (v < 1 || v > 64) {
                goto invalid;
            }

            rd->nconns = v;
            continue;
        }

        if (ngx_strncmp(value[i].data, "local_share=", 12) == 0) {
            s.data = value[i].data + 12;
            s.len = value[i].len - 12;

            if (s.len && s.data[s.len - 1] == '%') {
                s.len--;
            }

            v = ngx_atoi(s.data, s.len);
            if (v < 1 || v > 100) {
                goto invalid;
            }

            rd->share = v;
            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            rd->prefix.data = value[i].data + 7;
            rd->prefix.len = value[i].len - 7;

            if (rd->prefix.len > 64) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (rd->user.len && file.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"user=\" needs \"password_file=\"");
        return NGX_CONF_ERROR;
    }

    /* the password: read once here, never written anywhere */

    if (file.len) {
        ngx_memzero(&f, sizeof(ngx_file_t));
        f.name = file;
        f.log = cf->log;

        f.fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
        if (f.fd == NGX_INVALID_FILE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               ngx_open_file_n " \"%V\" failed", &file);
            return NGX_CONF_ERROR;
        }

        if (ngx_fd_info(f.fd, &fi) == NGX_FILE_ERROR
            || ngx_file_size(&fi) > 4096 || ngx_file_size(&fi) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "Redis password file \"%V\" must hold "
                               "1 to 4096 bytes", &file);
            (void) ngx_close_file(f.fd);
            return NGX_CONF_ERROR;
        }

        rd->password.data = ngx_pnalloc(cf->pool, ngx_file_size(&fi));
        if (rd->password.data == NULL) {
            (void) ngx_close_file(f.fd);
            return NGX_CONF_ERROR;
        }

        n = ngx_read_file(&f, rd->password.data, ngx_file_size(&fi), 0);

        (void) ngx_close_file(f.fd);

        if (n != (ssize_t) ngx_file_size(&fi)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "could not read Redis password file \"%V\"",
                               &file);
            return NGX_CONF_ERROR;
        }

        /* a trailing line break is not part of it */

        last = rd->password.data + n;

        while (last > rd->password.data
               && (last[-1] == '\n' || last[-1] == '\r'))
        {
            last--;
        }

        rd->password.len = last - rd->password.data;

        if (rd->password.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "Redis password file \"%V\" is empty", &file);
            return NGX_CONF_ERROR;
        }
    }

    rd->script.data = (u_char *) ngx_http_freshdesk_quota_script;
    rd->script.len = sizeof(ngx_http_freshdesk_quota_script) - 1;

    SHA1(rd->script.data, rd->script.len, md);

    rd->sha.data = ngx_pnalloc(cf->pool, 2 * SHA_DIGEST_LENGTH);
    if (rd->sha.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_hex_dump(rd->sha.data, md, SHA_DIGEST_LENGTH);
    rd->sha.len = p - rd->sha.data;

    qctx->redis = rd;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);
    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_freshdesk_quota_redis_init(ngx_cycle_t *cycle)
{
    ngx_uint_t                        z;
    ngx_array_t                      *zones;
    ngx_http_freshdesk_quota_ctx_t   *qctx;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    zones = ngx_http_freshdesk_quota_zones(cycle);

    for (z = 0; zones && z < zones->nelts; z++) {
        qctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[z];

        if (qctx->redis && qctx->sh
            && ngx_http_freshdesk_quota_redis_start(cycle, qctx) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
ngx_http_freshdesk_quota_redis_exit(ngx_cycle_t *cycle)
{
    ngx_uint_t                        z, i;
    ngx_array_t                      *zones;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_sync_t  *sync;

    zones = ngx_http_freshdesk_quota_zones(cycle);

    for (z = 0; zones && z < zones->nelts; z++) {
        qctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[z];

        if (qctx->redis == NULL || qctx->redis->conns == NULL) {
            continue;
        }

        if (qctx->sync.timer_set) {
            ngx_del_timer(&qctx->sync);
        }

        /* owed actions still on their way: back to the node */

        sync = qctx->redis->sweep;

        for (i = 0; qctx->syncing && i < FD_QUOTA_SWEEP_MAX; i++) {
            if (sync[i].pending) {
                sync[i].pending = 0;
                qctx->syncing--;
                ngx_http_freshdesk_quota_owed_give(qctx,
                                                   &sync[i].owed.tenant,
                                                   sync[i].owed.n,
                                                   sync[i].owed.month);
            }
        }

        ngx_http_freshdesk_redis_exit_process(qctx->redis);
    }
}


static ngx_int_t
ngx_http_freshdesk_quota_redis_start(ngx_cycle_t *cycle,
    ngx_http_freshdesk_quota_ctx_t *qctx)
{
    ngx_http_freshdesk_redis_t  *rd;

    ngx_uint_t                        i;
    ngx_http_freshdesk_quota_sync_t  *sync;

    rd = qctx->redis;
    rd->stats = &qctx->sh->redis;

    if (ngx_http_freshdesk_redis_init_process(rd, cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    sync = ngx_pcalloc(rd->pool, FD_QUOTA_SWEEP_MAX
                                 * sizeof(ngx_http_freshdesk_quota_sync_t));
    if (sync == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < FD_QUOTA_SWEEP_MAX; i++) {
        sync[i].owed.tenant.data = sync[i].tenant;
    }

    rd->sweep = sync;

    qctx->sync.handler = ngx_http_freshdesk_quota_redis_sweep;
    qctx->sync.data = qctx;
    qctx->sync.log = cycle->log;
    qctx->sync.cancelable = 1;

    ngx_add_timer(&qctx->sync, FD_QUOTA_SWEEP);

    return NGX_OK;
}


/*
 * The call's decision asked of Redis: NGX_AGAIN, the request waits for
 * the answer (ctx->quota_rc then holds the decision); NGX_DONE, decide
 * here (fail=local); NGX_OK or NGX_DECLINED, decided by fail=open or
 * fail=closed.
 */

ngx_int_t
ngx_http_freshdesk_quota_redis_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx)
{
    return ngx_http_freshdesk_quota_redis_ask(r, ctx, qctx, 0);
}


/* one more action for a retry, the same way */

ngx_int_t
ngx_http_freshdesk_quota_redis_action(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx)
{
    return ngx_http_freshdesk_quota_redis_ask(r, ctx, qctx, 1);
}


static ngx_int_t
ngx_http_freshdesk_quota_redis_ask(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_uint_t action)
{
    ngx_str_t                        *a;
    ngx_pool_cleanup_t               *cln;
    ngx_http_freshdesk_redis_t       *rd;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_quota_call_t  *call;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    rd = qctx->redis;

    call = ctx->quota_call;

    if (call == NULL) {
        call = ngx_pcalloc(r->pool, sizeof(ngx_http_freshdesk_quota_call_t));
        if (call == NULL) {
            return NGX_ERROR;
        }

        /* a request that ends first leaves the reply to nobody */

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_freshdesk_quota_redis_cleanup;
        cln->data = call;

        call->r = r;
        call->qctx = qctx;
        call->tenant = ctx->tenant;
        ctx->quota_call = call;
    }

    call->action = action;
    call->eval = 0;
    call->owed = 0;

    a = call->args;

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = rd->sha;
    ngx_str_set(&a[2], "1");

    if (ngx_http_freshdesk_quota_redis_key(r->pool, rd, &ctx->tenant, &a[3])
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!action) {
        ngx_str_set(&a[4], "take");

        call->owed = ngx_http_freshdesk_quota_owed_take(qctx, &ctx->tenant,
                                                        &call->owed_month);

        if (ngx_http_freshdesk_quota_redis_num(r->pool, &a[5],
                                               ctx->calls_limit)
            != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(r->pool, &a[6],
                                                  ctx->actions_limit)
               != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(r->pool, &a[8], call->owed)
               != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(r->pool, &a[9],
                                                  call->owed_month)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[7].data = (u_char *) (flcf->quota_dry_run ? "1" : "0");
        a[7].len = 1;
        call->nargs = 10;

    } else {
        ngx_str_set(&a[4], "action");

        if (ngx_http_freshdesk_quota_redis_num(r->pool, &a[5],
                                               ctx->actions_limit)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[6].data = (u_char *) (flcf->quota_dry_run ? "1" : "0");
        a[6].len = 1;
        call->nargs = 7;
    }

    call->cmd = ngx_http_freshdesk_redis_send(rd, a, call->nargs,
                                   ngx_http_freshdesk_quota_redis_handler,
                                   call);

    if (call->cmd) {
        return NGX_AGAIN;
    }

    /* no connection now: decided without Redis, at once */

    if (call->owed) {
        ngx_http_freshdesk_quota_owed_give(qctx, &ctx->tenant, call->owed,
                                           call->owed_month);
        call->owed = 0;
    }

    return ngx_http_freshdesk_quota_redis_fallback(r, ctx, qctx, action);
}


/*
 * Decided without Redis: for a call NGX_DONE (count here), NGX_OK or
 * NGX_DECLINED; for a retry's action, NGX_OK or NGX_DECLINED.
 */

static ngx_int_t
ngx_http_freshdesk_quota_redis_fallback(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_uint_t action)
{
    ngx_http_freshdesk_redis_t  *rd;

    rd = qctx->redis;

    (void) ngx_atomic_fetch_add(&rd->stats->fallbacks, 1);

    switch (rd->fail) {

    case NGX_HTTP_FRESHDESK_REDIS_OPEN:
        ngx_str_set(&ctx->quota_result, "open");
        return NGX_OK;

    case NGX_HTTP_FRESHDESK_REDIS_CLOSED:
        if (action) {
            return NGX_DECLINED;
        }

        ngx_str_set(&ctx->quota_result, "backend_down");
        ngx_str_set(&ctx->quota_text, "The gateway cannot check this "
                    "tenant's quota right now (quota backend unavailable); "
                    "the call was not made. Retry in a few seconds.");

        if (ngx_http_freshdesk_retry_after(r, 2) != NGX_OK) {
            return NGX_ERROR;
        }

        return NGX_DECLINED;

    default:
        return action ? ngx_http_freshdesk_quota_action_local(r, ctx, qctx)
                      : NGX_DONE;
    }
}


static void
ngx_http_freshdesk_quota_redis_handler(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_quota_call_t *call = data;

    int64_t                          v[7];
    ngx_int_t                        rc;
    ngx_uint_t                       i, n, refused;
    ngx_connection_t                *c;
    ngx_http_request_t              *r;
    ngx_http_freshdesk_ctx_t        *ctx;
    ngx_http_freshdesk_loc_conf_t   *flcf;
    ngx_http_freshdesk_quota_ctx_t  *qctx;

    r = call->r;
    c = r->connection;
    qctx = call->qctx;
    call->cmd = NULL;

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);
    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    ngx_http_set_log_request(c->log, r);

    if (reply && reply->value.type == '-' && !call->eval
        && reply->value.str.len >= 8
        && ngx_strncmp(reply->value.str.data, "NOSCRIPT", 8) == 0)
    {
        /* SCRIPT FLUSH or a new Redis: the script itself, once */

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "freshdesk: quota zone \"%V\": Redis lacks the "
                      "script, sending it", &qctx->name);

        call->eval = 1;
        ngx_str_set(&call->args[0], "EVAL");
        call->args[1] = qctx->redis->script;

        call->cmd = ngx_http_freshdesk_redis_send(qctx->redis, call->args,
                                   call->nargs,
                                   ngx_http_freshdesk_quota_redis_handler,
                                   call);
        if (call->cmd) {
            return;
        }

        reply = NULL;
    }

    n = 0;

    if (reply && reply->value.type == '*') {
        n = ngx_min(reply->nelts, 7);

        for (i = 0; i < n; i++) {
            if (reply->elts[i].type != ':') {
                n = 0;
                break;
            }

            v[i] = reply->elts[i].integer;
        }
    }

    if (n < (call->action ? 5 : 7)) {

        /* no answer, an error (OOM, ...), or not ours: without Redis */

        if (reply) {
            ngx_log_error(NGX_LOG_ERR, c->log, 0,
                          "freshdesk: quota zone \"%V\": Redis answered "
                          "%s%*s", &qctx->name,
                          reply->value.type == '-' ? "" : "an unexpected "
                                                          "reply",
                          reply->value.type == '-'
                          ? ngx_min(reply->value.str.len, 200) : 0,
                          reply->value.str.data);
        }

        if (call->owed) {
            ngx_http_freshdesk_quota_owed_give(qctx, &ctx->tenant,
                                               call->owed, call->owed_month);
            call->owed = 0;
        }

        rc = ngx_http_freshdesk_quota_redis_fallback(r, ctx, qctx,
                                                     call->action);

        if (rc == NGX_DONE) {
            rc = ngx_http_freshdesk_quota_local(r, ctx, qctx);
        }

        goto done;
    }

    qctx->redis->stats->last_ok = (ngx_atomic_uint_t) ngx_time();

    if (call->action) {
        /* {counted, actions, month end, now, YYYYMM} */

        ctx->actions_remaining = ctx->actions_limit > v[1]
                                 ? ctx->actions_limit - v[1] : 0;
        ctx->actions_reset = (time_t) v[2];

        if (v[0] == 0) {
            ngx_log_error(flcf->quota_log_level, c->log, 0,
                          "freshdesk: no further try: monthly actions quota "
                          "exhausted for tenant \"%V\"", &ctx->tenant);
            rc = NGX_DECLINED;
            goto done;
        }

        ctx->action_taken = 1;
        ctx->quota_redis = 1;
        ctx->quota_sec = (time_t) v[3];
        ctx->quota_month = (ngx_uint_t) v[4];

        if (ctx->quota_result.len == sizeof("refunded") - 1) {
            ngx_str_set(&ctx->quota_result, "passed");
        }

        rc = NGX_OK;
        goto done;
    }

    /* {refused, calls, actions, call reset, month end, now, YYYYMM} */

    refused = (ngx_uint_t) v[0];

    ctx->calls_remaining = ctx->calls_limit > v[1]
                           ? ctx->calls_limit - v[1] : 0;
    ctx->actions_remaining = ctx->actions_limit > v[2]
                             ? ctx->actions_limit - v[2] : 0;
    ctx->calls_reset = v[3] > 0 ? (time_t) v[3] : 1;
    ctx->actions_reset = v[4] > 0 ? (time_t) v[4] : 1;

    if (!refused || flcf->quota_dry_run) {
        ctx->action_taken = 1;
        ctx->quota_redis = 1;
        ctx->quota_sec = (time_t) v[5];
        ctx->quota_month = (ngx_uint_t) v[6];
    }

    ngx_http_freshdesk_quota_mirror(qctx, ctx,
                                    !refused || flcf->quota_dry_run,
                                    refused != 0, (uint32_t) v[1],
                                    (uint32_t) v[2], (uint32_t) v[6]);

    rc = ngx_http_freshdesk_quota_verdict(r, ctx, refused);

done:

    /* the request goes on where it waited */

    ctx->quota_rc = rc;
    ctx->waiting = 0;

    if (ngx_http_post_request(r, NULL) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_http_run_posted_requests(c);
}


/* a refund (an upstream 429, or a call that could not be made) */

void
ngx_http_freshdesk_quota_redis_refund(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_uint_t call)
{
    ngx_str_t  a[8];

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = qctx->redis->sha;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "refund");

    a[5].data = (u_char *) (call ? "1" : "0");
    a[5].len = 1;

    if (ngx_http_freshdesk_quota_redis_key(r->pool, qctx->redis,
                                           &ctx->tenant, &a[3])
        != NGX_OK
        || ngx_http_freshdesk_quota_redis_num(r->pool, &a[6], ctx->quota_sec)
           != NGX_OK
        || ngx_http_freshdesk_quota_redis_num(r->pool, &a[7],
                                              ctx->quota_month)
           != NGX_OK)
    {
        return;
    }

    /*
     * Not waited for.  Lost with Redis (or after NOSCRIPT): the tenant is
     * then charged, never undercharged.
     */

    if (ngx_http_freshdesk_redis_send(qctx->redis, a, 8,
                                      ngx_http_freshdesk_quota_redis_ignore,
                                      qctx)
        == NULL)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "freshdesk: quota zone \"%V\": a refund for tenant "
                      "\"%V\" could not reach Redis", &qctx->name,
                      &ctx->tenant);
    }
}


static void
ngx_http_freshdesk_quota_redis_ignore(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
}


static void
ngx_http_freshdesk_quota_redis_cleanup(void *data)
{
    ngx_http_freshdesk_quota_call_t  *call = data;

    if (call->cmd) {
        ngx_http_freshdesk_redis_abandon(call->cmd);
        call->cmd = NULL;

        /* what it had taken to send is given back */

        if (call->owed) {
            ngx_http_freshdesk_quota_owed_give(call->qctx, &call->tenant,
                                               call->owed, call->owed_month);
        }
    }
}


/*
 * Every second, while Redis answers: the actions counted here while it
 * was away, for the tenants that have not called since, one "sync" per
 * tenant; the next sweep waits for the replies of the last.
 */

static void
ngx_http_freshdesk_quota_redis_sweep(ngx_event_t *ev)
{
    ngx_uint_t                        i, n;
    ngx_http_freshdesk_redis_t       *rd;
    ngx_http_freshdesk_quota_ctx_t   *qctx;
    ngx_http_freshdesk_quota_sync_t  *sync;
    ngx_http_freshdesk_quota_owed_t   owed[FD_QUOTA_SWEEP_MAX];

    qctx = ev->data;
    rd = qctx->redis;
    sync = rd->sweep;

    if (!ngx_exiting) {
        ngx_add_timer(ev, FD_QUOTA_SWEEP);
    }

    if (qctx->syncing || rd->stats->unsynced == 0
        || !ngx_http_freshdesk_redis_ready(rd))
    {
        return;
    }

    /* a batch of tenants; their owed actions are off the nodes now */

    for (i = 0; i < FD_QUOTA_SWEEP_MAX; i++) {
        owed[i].tenant.data = sync[i].tenant;
    }

    n = ngx_http_freshdesk_quota_owed_collect(qctx, owed, FD_QUOTA_SWEEP_MAX);

    for (i = 0; i < n; i++) {
        sync[i].qctx = qctx;
        sync[i].owed = owed[i];
        ngx_http_freshdesk_quota_redis_sync(qctx, &sync[i]);
    }
}


/* one tenant's owed actions to Redis, for the month they were counted in */

static void
ngx_http_freshdesk_quota_redis_sync(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_http_freshdesk_quota_sync_t *sync)
{
    u_char                      key[64 + 255 + 2], n[NGX_INT64_LEN],
                                month[NGX_INT64_LEN];
    ngx_str_t                   a[7];
    ngx_http_freshdesk_redis_t  *rd;

    rd = qctx->redis;

    /* EVAL, not EVALSHA: rare, and never NOSCRIPT */

    ngx_str_set(&a[0], "EVAL");
    a[1] = rd->script;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "sync");

    a[3].data = key;
    a[3].len = ngx_http_freshdesk_quota_redis_key_write(key, rd,
                                                        &sync->owed.tenant)
               - key;

    a[5].data = n;
    a[5].len = ngx_http_freshdesk_resp_num(n, sync->owed.n) - n;
    a[6].data = month;
    a[6].len = ngx_http_freshdesk_resp_num(month, sync->owed.month) - month;

    if (ngx_http_freshdesk_redis_send(rd, a, 7,
                                      ngx_http_freshdesk_quota_redis_synced,
                                      sync)
        == NULL)
    {
        ngx_http_freshdesk_quota_owed_give(qctx, &sync->owed.tenant,
                                           sync->owed.n, sync->owed.month);
        return;
    }

    sync->pending = 1;
    qctx->syncing++;
}


static void
ngx_http_freshdesk_quota_redis_synced(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_quota_sync_t  *sync = data;

    ngx_http_freshdesk_quota_ctx_t  *qctx;

    qctx = sync->qctx;
    qctx->syncing--;
    sync->pending = 0;

    if (reply && reply->value.type == '*' && reply->nelts >= 2
        && reply->elts[0].type == ':')
    {
        ngx_log_error(NGX_LOG_NOTICE, qctx->redis->log, 0,
                      "freshdesk: quota zone \"%V\": %ui actions of tenant "
                      "\"%V\" counted while Redis was away %s",
                      &qctx->name, sync->owed.n, &sync->owed.tenant,
                      reply->elts[0].integer ? "added to Redis"
                                             : "dropped (a past month)");
        return;
    }

    ngx_http_freshdesk_quota_owed_give(qctx, &sync->owed.tenant,
                                       sync->owed.n, sync->owed.month);
}


/* "<prefix>{<tenant>}": a tenant's keys share one Redis Cluster slot */

static ngx_int_t
ngx_http_freshdesk_quota_redis_key(ngx_pool_t *pool,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *tenant, ngx_str_t *key)
{
    key->data = ngx_pnalloc(pool, rd->prefix.len + tenant->len + 2);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = ngx_http_freshdesk_quota_redis_key_write(key->data, rd, tenant)
               - key->data;

    return NGX_OK;
}


static u_char *
ngx_http_freshdesk_quota_redis_key_write(u_char *p,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *tenant)
{
    p = ngx_cpymem(p, rd->prefix.data, rd->prefix.len);
    *p++ = '{';
    p = ngx_cpymem(p, tenant->data, tenant->len);
    *p++ = '}';

    return p;
}


static ngx_int_t
ngx_http_freshdesk_quota_redis_num(ngx_pool_t *pool, ngx_str_t *s, int64_t n)
{
    s->data = ngx_pnalloc(pool, NGX_INT64_LEN);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    s->len = ngx_http_freshdesk_resp_num(s->data, n) - s->data;

    return NGX_OK;
}
