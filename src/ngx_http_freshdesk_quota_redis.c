
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The Redis quota backend (freshdesk_quota_redis), so that every nginx
 * node behind a load balancer counts against one budget per tenant.
 * Each tools/call is one atomic decision in Redis: a Lua script, loaded
 * once and called by SHA (sent whole again after NOSCRIPT), that keeps
 * the rolling minute (one hash field a second) and the calendar month
 * (one key a month, expiring five weeks after it ends) on Redis's own
 * clock, so that the nodes' clocks do not matter.  A tenant's keys share
 * the hash tag {tenant}: one Redis Cluster slot.
 *
 * The quota front door (quota.c) asks; this file answers with a result,
 * or with none when Redis cannot answer within the timeout.  What then
 * happens (fail=local, closed, open), and the actions owed to Redis after
 * a local decision, are the front door's business.
 */


#include "ngx_http_freshdesk_quota_redis.h"
#include "ngx_http_freshdesk_conf.h"

#include <openssl/sha.h>


#define FD_QUOTA_SYNC_MAX    64       /* syncs on their way at once */


/* a request's command: its arguments kept for a resend as EVAL */
typedef struct {
    ngx_http_freshdesk_redis_t              *rd;
    ngx_http_freshdesk_redis_cmd_t          *cmd;
    ngx_log_t                               *log;
    ngx_http_freshdesk_quota_ask_t          *ask;
    ngx_http_freshdesk_quota_redis_done_pt   done;
    void                                    *data;
    ngx_str_t                                args[11];
    ngx_uint_t                               nargs;
    unsigned                                 action:1;
    unsigned                                 eval:1;
} ngx_http_freshdesk_quota_call_t;


/* a sync on its way */
typedef struct {
    ngx_http_freshdesk_redis_t                *rd;
    ngx_http_freshdesk_quota_redis_synced_pt   synced;
    void                                      *data;
} ngx_http_freshdesk_quota_sync_t;


/* freshdesk_quota_redis's parameters, parsed by the shared parser */
typedef struct {
    ngx_str_t                   db;
    ngx_str_t                   user;
    ngx_str_t                   password_file;
    ngx_msec_t                  timeout;
    ngx_uint_t                  fail;
    ngx_int_t                   connections;
    ngx_int_t                   share;
    ngx_str_t                   prefix;
} ngx_http_freshdesk_quota_redis_conf_t;


static void ngx_http_freshdesk_quota_redis_handler(void *data,
    ngx_http_freshdesk_resp_t *reply);
static void ngx_http_freshdesk_quota_redis_ignore(void *data,
    ngx_http_freshdesk_resp_t *reply);
static void ngx_http_freshdesk_quota_redis_synced(void *data,
    ngx_http_freshdesk_resp_t *reply);
static ngx_int_t ngx_http_freshdesk_quota_redis_key(ngx_pool_t *pool,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *tenant, ngx_str_t *key);
static u_char *ngx_http_freshdesk_quota_redis_key_write(u_char *p,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *tenant);
static ngx_int_t ngx_http_freshdesk_quota_redis_num(ngx_pool_t *pool,
    ngx_str_t *s, int64_t n);
static char *ngx_http_freshdesk_quota_redis_password(ngx_conf_t *cf,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *file);


static const char  *ngx_http_freshdesk_quota_redis_fail[] = {
    "local", "closed", "open", NULL
};

static ngx_http_freshdesk_param_t  ngx_http_freshdesk_quota_redis_params[] = {

    { ngx_string("db="), NGX_HTTP_FRESHDESK_PARAM_DIGITS,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, db), 0, 0, NULL,
      NULL },

    { ngx_string("user="), NGX_HTTP_FRESHDESK_PARAM_STR,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, user), 0, 0, NULL,
      NULL },

    { ngx_string("password_file="), NGX_HTTP_FRESHDESK_PARAM_PATH,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, password_file), 1, 0,
      NULL, NULL },

    { ngx_string("timeout="), NGX_HTTP_FRESHDESK_PARAM_MSEC,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, timeout), 1, 0, NULL,
      NULL },

    { ngx_string("fail="), NGX_HTTP_FRESHDESK_PARAM_ENUM,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, fail), 0, 0, NULL,
      ngx_http_freshdesk_quota_redis_fail },

    { ngx_string("connections="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, connections), 1, 64,
      NULL, NULL },

    { ngx_string("local_share="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, share), 1, 100, "%",
      NULL },

    { ngx_string("prefix="), NGX_HTTP_FRESHDESK_PARAM_STR,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, prefix), 0, 64, NULL,
      NULL },

    { ngx_null_string, 0, 0, 0, 0, NULL, NULL }
};


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
 *
 * The front door has found the zone; args[0] is the address.
 */

char *
ngx_http_freshdesk_quota_redis_conf(ngx_conf_t *cf, ngx_str_t *zone,
    ngx_str_t *args, ngx_uint_t n, ngx_http_freshdesk_redis_t **rdp)
{
    u_char                                 *p, md[SHA_DIGEST_LENGTH];
    ngx_http_freshdesk_redis_t             *rd;
    ngx_http_freshdesk_quota_redis_conf_t   conf;

    rd = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_redis_t));
    if (rd == NULL) {
        return NGX_CONF_ERROR;
    }

    rd->zone = *zone;

    ngx_memzero(&conf, sizeof(ngx_http_freshdesk_quota_redis_conf_t));
    conf.timeout = 50;
    conf.connections = 2;
    conf.fail = NGX_HTTP_FRESHDESK_REDIS_LOCAL;
    conf.share = 100;
    ngx_str_set(&conf.prefix, "freshdesk:");

    rd->url.url = args[0];
    rd->url.default_port = 6379;

    if (ngx_parse_url(cf->pool, &rd->url) != NGX_OK) {
        if (rd->url.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in Redis address \"%V\"", rd->url.err,
                               &args[0]);
        }

        return NGX_CONF_ERROR;
    }

    if (rd->url.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no address for Redis \"%V\"", &args[0]);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_freshdesk_conf_params(cf, &args[1], n - 1,
                                       ngx_http_freshdesk_quota_redis_params,
                                       &conf)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    rd->db = conf.db;
    rd->user = conf.user;
    rd->timeout = conf.timeout;
    rd->fail = conf.fail;
    rd->nconns = (ngx_uint_t) conf.connections;
    rd->share = (ngx_uint_t) conf.share;
    rd->prefix = conf.prefix;

    if (rd->user.len && conf.password_file.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"user=\" needs \"password_file=\"");
        return NGX_CONF_ERROR;
    }

    if (conf.password_file.len
        && ngx_http_freshdesk_quota_redis_password(cf, rd,
                                                   &conf.password_file)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
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

    *rdp = rd;

    return NGX_CONF_OK;
}


/* the password: read once here, never written anywhere */

static char *
ngx_http_freshdesk_quota_redis_password(ngx_conf_t *cf,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *file)
{
    u_char           *last;
    ssize_t           n;
    ngx_file_t        f;
    ngx_file_info_t   fi;

    ngx_memzero(&f, sizeof(ngx_file_t));
    f.name = *file;
    f.log = cf->log;

    f.fd = ngx_open_file(file->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (f.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", file);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(f.fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 4096 || ngx_file_size(&fi) == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis password file \"%V\" must hold "
                           "1 to 4096 bytes", file);
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
                           file);
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
                           "Redis password file \"%V\" is empty", file);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_freshdesk_quota_redis_start(ngx_http_freshdesk_redis_t *rd,
    ngx_cycle_t *cycle, ngx_http_freshdesk_redis_stats_t *stats)
{
    rd->stats = stats;

    if (ngx_http_freshdesk_redis_init_process(rd, cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the syncs on their way: a few slots, reused */

    rd->sweep = ngx_pcalloc(rd->pool, FD_QUOTA_SYNC_MAX
                                      * sizeof(ngx_http_freshdesk_quota_sync_t));
    if (rd->sweep == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_freshdesk_quota_redis_stop(ngx_http_freshdesk_redis_t *rd)
{
    if (rd->conns) {
        ngx_http_freshdesk_redis_exit_process(rd);
    }
}


ngx_int_t
ngx_http_freshdesk_quota_redis_ask(ngx_http_freshdesk_redis_t *rd,
    ngx_pool_t *pool, ngx_log_t *log, ngx_http_freshdesk_quota_ask_t *ask,
    ngx_uint_t action, ngx_http_freshdesk_quota_redis_done_pt done,
    void *data, void **handle)
{
    ngx_str_t                        *a;
    ngx_http_freshdesk_quota_call_t  *call;

    call = *handle;

    if (call == NULL) {
        call = ngx_pcalloc(pool, sizeof(ngx_http_freshdesk_quota_call_t));
        if (call == NULL) {
            return NGX_ERROR;
        }

        call->rd = rd;
        *handle = call;
    }

    call->log = log;
    call->ask = ask;
    call->done = done;
    call->data = data;
    call->action = action;
    call->eval = 0;

    a = call->args;

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = rd->sha;
    ngx_str_set(&a[2], "1");

    if (ngx_http_freshdesk_quota_redis_key(pool, rd, &ask->tenant, &a[3])
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!action) {
        ngx_str_set(&a[4], "take");

        if (ngx_http_freshdesk_quota_redis_num(pool, &a[5], ask->calls_limit)
            != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(pool, &a[6],
                                                  ask->actions_limit)
               != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(pool, &a[8], ask->owed)
               != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(pool, &a[9],
                                                  ask->owed_month)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[7].data = (u_char *) (ask->dry_run ? "1" : "0");
        a[7].len = 1;
        call->nargs = 10;

    } else {
        ngx_str_set(&a[4], "action");

        if (ngx_http_freshdesk_quota_redis_num(pool, &a[5],
                                               ask->actions_limit)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[6].data = (u_char *) (ask->dry_run ? "1" : "0");
        a[6].len = 1;
        call->nargs = 7;
    }

    call->cmd = ngx_http_freshdesk_redis_send(rd, a, call->nargs,
                                   ngx_http_freshdesk_quota_redis_handler,
                                   call);

    return call->cmd ? NGX_AGAIN : NGX_DECLINED;
}


ngx_uint_t
ngx_http_freshdesk_quota_redis_cancel(void *handle)
{
    ngx_http_freshdesk_quota_call_t  *call = handle;

    if (call == NULL || call->cmd == NULL) {
        return 0;
    }

    ngx_http_freshdesk_redis_abandon(call->cmd);
    call->cmd = NULL;

    return 1;
}


static void
ngx_http_freshdesk_quota_redis_handler(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_quota_call_t *call = data;

    int64_t                             v[7];
    ngx_uint_t                          i, n;
    ngx_http_freshdesk_redis_t         *rd;
    ngx_http_freshdesk_quota_result_t   res;

    rd = call->rd;
    call->cmd = NULL;

    if (reply && reply->value.type == '-' && !call->eval
        && reply->value.str.len >= 8
        && ngx_strncmp(reply->value.str.data, "NOSCRIPT", 8) == 0)
    {
        /* SCRIPT FLUSH or a new Redis: the script itself, once */

        ngx_log_error(NGX_LOG_INFO, call->log, 0,
                      "freshdesk: quota zone \"%V\": Redis lacks the "
                      "script, sending it", &rd->zone);

        call->eval = 1;
        ngx_str_set(&call->args[0], "EVAL");
        call->args[1] = rd->script;

        call->cmd = ngx_http_freshdesk_redis_send(rd, call->args,
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

        /* no answer, an error (OOM, ...), or not ours */

        if (reply) {
            ngx_log_error(NGX_LOG_ERR, call->log, 0,
                          "freshdesk: quota zone \"%V\": Redis answered "
                          "%s%*s", &rd->zone,
                          reply->value.type == '-' ? "" : "an unexpected "
                                                          "reply",
                          reply->value.type == '-'
                          ? ngx_min(reply->value.str.len, 200) : 0,
                          reply->value.str.data);
        }

        call->done(call->data, NULL);
        return;
    }

    rd->stats->last_ok = (ngx_atomic_uint_t) ngx_time();

    ngx_memzero(&res, sizeof(ngx_http_freshdesk_quota_result_t));

    if (call->action) {
        /* {counted, actions, month end, now, YYYYMM} */

        res.counted = v[0] ? 1 : 0;
        res.actions = (uint32_t) v[1];
        res.actions_reset = (time_t) v[2];
        res.sec = (time_t) v[3];
        res.month = (uint32_t) v[4];

    } else {
        /* {refused, calls, actions, call reset, month end, now, YYYYMM} */

        res.refuse = (ngx_uint_t) v[0];
        res.counted = (res.refuse == 0 || call->ask->dry_run);
        res.calls = (ngx_uint_t) v[1];
        res.actions = (uint32_t) v[2];
        res.calls_reset = v[3] > 0 ? (time_t) v[3] : 1;
        res.actions_reset = v[4] > 0 ? (time_t) v[4] : 1;
        res.sec = (time_t) v[5];
        res.month = (uint32_t) v[6];
    }

    call->done(call->data, &res);
}


ngx_int_t
ngx_http_freshdesk_quota_redis_refund(ngx_http_freshdesk_redis_t *rd,
    ngx_pool_t *pool, ngx_str_t *tenant, ngx_uint_t call, time_t sec,
    uint32_t month)
{
    ngx_str_t  a[8];

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = rd->sha;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "refund");

    a[5].data = (u_char *) (call ? "1" : "0");
    a[5].len = 1;

    if (ngx_http_freshdesk_quota_redis_key(pool, rd, tenant, &a[3]) != NGX_OK
        || ngx_http_freshdesk_quota_redis_num(pool, &a[6], sec) != NGX_OK
        || ngx_http_freshdesk_quota_redis_num(pool, &a[7], month) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * Not waited for.  Lost with Redis (or after NOSCRIPT): the tenant is
     * then charged, never undercharged.
     */

    if (ngx_http_freshdesk_redis_send(rd, a, 8,
                                      ngx_http_freshdesk_quota_redis_ignore,
                                      rd)
        == NULL)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_freshdesk_quota_redis_ignore(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
}


/* one tenant's owed actions to Redis, for the month they were counted in */

ngx_int_t
ngx_http_freshdesk_quota_redis_sync(ngx_http_freshdesk_redis_t *rd,
    ngx_http_freshdesk_quota_owed_t *owed,
    ngx_http_freshdesk_quota_redis_synced_pt synced, void *data)
{
    u_char                            key[64 + 255 + 2], n[NGX_INT64_LEN],
                                      month[NGX_INT64_LEN];
    ngx_str_t                         a[7];
    ngx_uint_t                        i;
    ngx_http_freshdesk_quota_sync_t  *sync;

    sync = rd->sweep;

    for (i = 0; i < FD_QUOTA_SYNC_MAX && sync[i].synced; i++) {
        /* void */
    }

    if (i == FD_QUOTA_SYNC_MAX) {
        return NGX_DECLINED;
    }

    sync = &sync[i];

    /* EVAL, not EVALSHA: rare, and never NOSCRIPT */

    ngx_str_set(&a[0], "EVAL");
    a[1] = rd->script;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "sync");

    a[3].data = key;
    a[3].len = ngx_http_freshdesk_quota_redis_key_write(key, rd,
                                                        &owed->tenant)
               - key;

    a[5].data = n;
    a[5].len = ngx_http_freshdesk_resp_num(n, owed->n) - n;
    a[6].data = month;
    a[6].len = ngx_http_freshdesk_resp_num(month, owed->month) - month;

    if (ngx_http_freshdesk_redis_send(rd, a, 7,
                                      ngx_http_freshdesk_quota_redis_synced,
                                      sync)
        == NULL)
    {
        return NGX_DECLINED;
    }

    sync->rd = rd;
    sync->synced = synced;
    sync->data = data;

    return NGX_OK;
}


static void
ngx_http_freshdesk_quota_redis_synced(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_quota_sync_t  *sync = data;

    ngx_int_t                                  rc;
    ngx_http_freshdesk_quota_redis_synced_pt   synced;

    rc = NGX_ERROR;

    if (reply && reply->value.type == '*' && reply->nelts >= 2
        && reply->elts[0].type == ':')
    {
        rc = reply->elts[0].integer ? 1 : 0;
    }

    synced = sync->synced;
    sync->synced = NULL;

    synced(sync->data, rc);
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
