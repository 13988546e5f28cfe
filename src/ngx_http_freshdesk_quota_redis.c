
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
 *
 * Exactly once: a take, action or sync whose reply does not come may
 * still have run, or may run later (Redis paused, then woken).  Each
 * carries its connection's id and its number on it (the tag); the script
 * keeps per tenant the highest number run of each connection, and runs
 * nothing at or below it ({-1}, stale).  The front door keeps the tag of
 * a command that went unanswered (the result's outcome UNSURE) with what
 * it carried and the call it counted instead (a doubt); the next take or
 * sync sends the doubts, and the script counts a doubt only when its
 * command has not run, and claims its number, so that it never runs
 * after.  The calls counted while Redis was away go to the cluster's
 * minute window too, while they are recent.
 */


#include "ngx_http_freshdesk_quota_redis.h"
#include "ngx_http_freshdesk_conf.h"

#include <openssl/sha.h>


#define FD_QUOTA_SYNC_MAX    64       /* syncs on their way at once */
#define FD_QUOTA_OWED_ARGS   (4 + 4 * NGX_HTTP_FRESHDESK_QUOTA_DOUBTS)
#define FD_QUOTA_ARGS        (10 + FD_QUOTA_OWED_ARGS)
#define FD_QUOTA_OWED_BUF    (4 * NGX_INT64_LEN                             \
                              + NGX_HTTP_FRESHDESK_QUOTA_DOUBTS              \
                                * (16 + 3 * NGX_INT64_LEN))


/* a request's command: its arguments kept for a resend as EVAL */
typedef struct {
    ngx_http_freshdesk_redis_t              *rd;
    ngx_http_freshdesk_redis_cmd_t          *cmd;
    ngx_log_t                               *log;
    ngx_http_freshdesk_quota_ask_t          *ask;
    ngx_http_freshdesk_quota_redis_done_pt   done;
    void                                    *data;
    ngx_str_t                                args[FD_QUOTA_ARGS];
    ngx_uint_t                               nargs;
    ngx_http_freshdesk_redis_tag_t           tag;
    u_char                                   buf[FD_QUOTA_OWED_BUF];
    unsigned                                 action:1;
    unsigned                                 eval:1;
} ngx_http_freshdesk_quota_call_t;


/* a sync on its way */
typedef struct {
    ngx_http_freshdesk_redis_t                *rd;
    ngx_http_freshdesk_quota_redis_synced_pt   synced;
    void                                      *data;
    ngx_http_freshdesk_redis_tag_t             tag;
} ngx_http_freshdesk_quota_sync_t;


/* freshdesk_quota_redis's parameters, parsed by the shared parser */
typedef struct {
    ngx_str_t                   db;
    ngx_str_t                   user;
    ngx_str_t                   password_file;
    ngx_msec_t                  timeout;
    ngx_msec_t                  connect_timeout;
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
static ngx_uint_t ngx_http_freshdesk_quota_redis_owed_args(ngx_str_t *a,
    u_char *p, ngx_http_freshdesk_quota_owed_t *owed);
static ngx_uint_t ngx_http_freshdesk_quota_redis_stale(
    ngx_http_freshdesk_resp_t *reply);


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

    { ngx_string("connect_timeout="), NGX_HTTP_FRESHDESK_PARAM_MSEC,
      offsetof(ngx_http_freshdesk_quota_redis_conf_t, connect_timeout), 1,
      0, NULL, NULL },

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
 * KEYS[1]: "<prefix>{<tenant>}"; ARGV[1]: the mode.  TAG is the command's
 * connection id and number; OWED is what the node owes: actions, their
 * YYYYMM, calls (recent ones), the number of doubts, and per doubt its
 * tag, actions and calls.
 *   take   TAG calls_limit actions_limit dry_run OWED
 *          -> {refused (0, 1 calls, 2 actions), calls, actions,
 *              seconds until a call frees, seconds until the month ends,
 *              now, YYYYMM}
 *   action TAG actions_limit dry_run -> {counted (0/1), actions,
 *                                        month end, now, YYYYMM}
 *   refund call (0/1) second YYYYMM -> {actions}
 *   sync   TAG OWED -> {added (0/1, a past month), actions, counted}
 * A command whose number has run on its connection for this tenant (or
 * was claimed by a doubt) answers {-1}: stale, nothing counted.
 * "<base>:s" holds per connection the highest number run; it expires six
 * hours after a new connection's first command or every 64th command of
 * one (an EXPIRE per command would cost a third call).
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
"local wk = base .. ':w'\n"
"local sk = base .. ':s'\n"
"local ttl = mend + 35 * 86400\n"
"local actions = tonumber(redis.call('GET', mk) or '0')\n"
"local function fresh(c, s)\n"
"  s = tonumber(s)\n"
"  if s <= tonumber(redis.call('HGET', sk, c) or '0') then return false end\n"
"  if redis.call('HSET', sk, c, s) == 1 or s % 64 == 0 then\n"
"    redis.call('EXPIRE', sk, 21600)\n"
"  end\n"
"  return true\n"
"end\n"
"local function owe(i)\n"
"  local n, c = tonumber(ARGV[i]), tonumber(ARGV[i + 2])\n"
"  for j = i + 4, i + 3 + 4 * tonumber(ARGV[i + 3]), 4 do\n"
"    if fresh(ARGV[j], ARGV[j + 1]) then\n"
"      n, c = n + tonumber(ARGV[j + 2]), c + tonumber(ARGV[j + 3])\n"
"    end\n"
"  end\n"
"  if tonumber(ARGV[i + 1]) ~= ym then return -1 end\n"
"  if n > 0 then\n"
"    actions = redis.call('INCRBY', mk, n)\n"
"    redis.call('EXPIREAT', mk, ttl)\n"
"  end\n"
"  if c > 0 then\n"
"    redis.call('HINCRBY', wk, now, c)\n"
"    redis.call('EXPIRE', wk, 61)\n"
"  end\n"
"  return n\n"
"end\n"
"if mode ~= 'refund' and not fresh(ARGV[2], ARGV[3]) then\n"
"  return {-1}\n"
"end\n"
"if mode == 'take' then\n"
"  local climit, alimit = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
"  local dry = ARGV[6] == '1'\n"
"  owe(7)\n"
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
"  if actions + 1 > tonumber(ARGV[4]) and ARGV[5] ~= '1' then\n"
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
"    if tonumber(redis.call('HGET', wk, ARGV[3]) or '0') > 0 then\n"
"      redis.call('HINCRBY', wk, ARGV[3], -1)\n"
"    end\n"
"  end\n"
"  return {a}\n"
"elseif mode == 'sync' then\n"
"  local n = owe(4)\n"
"  if n < 0 then return {0, actions, 0} end\n"
"  return {1, actions, n}\n"
"end\n"
"return redis.error_reply('ERR freshdesk: unknown mode')\n";


/*
 * freshdesk_quota_redis zone address [db=N] [user=name]
 *     [password_file=path] [timeout=time] [connect_timeout=time]
 *     [fail=local|closed|open] [connections=N] [local_share=N%]
 *     [prefix=string];
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
    conf.connect_timeout = 1000;
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
    rd->connect_timeout = conf.connect_timeout;
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

    /* a[5], a[6]: the tag, filled in by ngx_http_freshdesk_redis_send() */

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

        if (ngx_http_freshdesk_quota_redis_num(pool, &a[7], ask->calls_limit)
            != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(pool, &a[8],
                                                  ask->actions_limit)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[9].data = (u_char *) (ask->dry_run ? "1" : "0");
        a[9].len = 1;

        if (!ask->carries) {
            ask->owed.n = 0;
            ask->owed.month = 0;
            ask->owed.calls = 0;
            ask->owed.ndoubt = 0;
        }

        call->nargs = 10 + ngx_http_freshdesk_quota_redis_owed_args(&a[10],
                                                      call->buf, &ask->owed);

    } else {
        ngx_str_set(&a[4], "action");

        if (ngx_http_freshdesk_quota_redis_num(pool, &a[7],
                                               ask->actions_limit)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[8].data = (u_char *) (ask->dry_run ? "1" : "0");
        a[8].len = 1;
        call->nargs = 9;
    }

    call->cmd = ngx_http_freshdesk_redis_send(rd, a, call->nargs, 5,
                                   &call->tag,
                                   ngx_http_freshdesk_quota_redis_handler,
                                   call);

    return call->cmd ? NGX_AGAIN : NGX_DECLINED;
}


ngx_uint_t
ngx_http_freshdesk_quota_redis_cancel(void *handle,
    ngx_http_freshdesk_quota_tag_t *tag)
{
    ngx_http_freshdesk_quota_call_t  *call = handle;

    if (call == NULL || call->cmd == NULL) {
        return 0;
    }

    ngx_http_freshdesk_redis_abandon(call->cmd);
    call->cmd = NULL;

    /* on its way: it may run yet */

    tag->conn = call->tag.conn;
    tag->seq = call->tag.seq;

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

    ngx_memzero(&res, sizeof(ngx_http_freshdesk_quota_result_t));

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

        /* nothing ran: a new tag */

        call->cmd = ngx_http_freshdesk_redis_send(rd, call->args,
                                   call->nargs, 5, &call->tag,
                                   ngx_http_freshdesk_quota_redis_handler,
                                   call);
        if (call->cmd) {
            return;
        }

        /* no connection: certainly not run */

        res.outcome = NGX_HTTP_FRESHDESK_QUOTA_NOT_RUN;
        call->done(call->data, &res);
        return;
    }

    if (reply == NULL) {
        /* no reply at all: it may have run, or run later */

        res.outcome = NGX_HTTP_FRESHDESK_QUOTA_UNSURE;
        res.tag.conn = call->tag.conn;
        res.tag.seq = call->tag.seq;
        call->done(call->data, &res);
        return;
    }

    n = 0;

    if (reply->value.type == '*') {
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

        /*
         * An error (OOM, BUSY, ...), stale, or not ours: it has not
         * counted (stale: its tag was claimed for a doubt, it never will)
         */

        if (ngx_http_freshdesk_quota_redis_stale(reply)) {
            ngx_log_error(NGX_LOG_WARN, call->log, 0,
                          "freshdesk: quota zone \"%V\": Redis refused a "
                          "command run already (stale)", &rd->zone);

        } else {
            ngx_log_error(NGX_LOG_ERR, call->log, 0,
                          "freshdesk: quota zone \"%V\": Redis answered "
                          "%s%*s", &rd->zone,
                          reply->value.type == '-' ? "" : "an unexpected "
                                                          "reply",
                          reply->value.type == '-'
                          ? ngx_min(reply->value.str.len, 200) : 0,
                          reply->value.str.data);
        }

        res.outcome = NGX_HTTP_FRESHDESK_QUOTA_NOT_RUN;
        call->done(call->data, &res);
        return;
    }

    rd->stats->last_ok = (ngx_atomic_uint_t) ngx_time();

    res.outcome = NGX_HTTP_FRESHDESK_QUOTA_ANSWERED;

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


/*
 * A refund (an upstream 429, or a call that could not be made).  Not
 * tagged, and never sent twice: lost with Redis (a timeout, NOSCRIPT),
 * the tenant is charged, never undercharged, and never refunded twice.
 * Stack buffers, no pool: a refund may come from a request's pool
 * cleanup, while that pool is being destroyed.
 */

ngx_int_t
ngx_http_freshdesk_quota_redis_refund(ngx_http_freshdesk_redis_t *rd,
    ngx_str_t *tenant, ngx_uint_t call, time_t sec, uint32_t month)
{
    u_char     key[64 + 255 + 2], secs[NGX_INT64_LEN], ym[NGX_INT64_LEN];
    ngx_str_t  a[8];

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = rd->sha;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "refund");

    a[3].data = key;
    a[3].len = ngx_http_freshdesk_quota_redis_key_write(key, rd, tenant)
               - key;

    a[5].data = (u_char *) (call ? "1" : "0");
    a[5].len = 1;

    a[6].data = secs;
    a[6].len = ngx_http_freshdesk_resp_num(secs, sec) - secs;
    a[7].data = ym;
    a[7].len = ngx_http_freshdesk_resp_num(ym, month) - ym;

    /* not waited for */

    if (ngx_http_freshdesk_redis_send(rd, a, 8, 0, NULL,
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


/* one tenant's debt to Redis, for the month it was counted in */

ngx_int_t
ngx_http_freshdesk_quota_redis_sync(ngx_http_freshdesk_redis_t *rd,
    ngx_http_freshdesk_quota_owed_t *owed, ngx_http_freshdesk_quota_tag_t *tag,
    ngx_http_freshdesk_quota_redis_synced_pt synced, void *data)
{
    u_char                            key[64 + 255 + 2],
                                      buf[FD_QUOTA_OWED_BUF];
    ngx_str_t                         a[7 + FD_QUOTA_OWED_ARGS];
    ngx_uint_t                        i, n;
    ngx_http_freshdesk_quota_sync_t  *sync;

    sync = rd->sweep;

    for (i = 0; i < FD_QUOTA_SYNC_MAX && sync[i].synced; i++) {
        /* void */
    }

    if (i == FD_QUOTA_SYNC_MAX) {
        return NGX_DECLINED;
    }

    sync = &sync[i];

    /*
     * EVAL, not EVALSHA: rare, and never NOSCRIPT; a[5], a[6]: the tag.
     * The arguments are copied into the pipeline when queued: stack
     * buffers will do.
     */

    ngx_str_set(&a[0], "EVAL");
    a[1] = rd->script;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "sync");

    a[3].data = key;
    a[3].len = ngx_http_freshdesk_quota_redis_key_write(key, rd,
                                                        &owed->tenant)
               - key;

    n = 7 + ngx_http_freshdesk_quota_redis_owed_args(&a[7], buf, owed);

    if (ngx_http_freshdesk_redis_send(rd, a, n, 5, &sync->tag,
                                      ngx_http_freshdesk_quota_redis_synced,
                                      sync)
        == NULL)
    {
        return NGX_DECLINED;
    }

    sync->rd = rd;
    sync->synced = synced;
    sync->data = data;

    tag->conn = sync->tag.conn;
    tag->seq = sync->tag.seq;

    return NGX_OK;
}


static void
ngx_http_freshdesk_quota_redis_synced(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_quota_sync_t  *sync = data;

    ngx_http_freshdesk_quota_result_t          res;
    ngx_http_freshdesk_quota_redis_synced_pt   synced;

    ngx_memzero(&res, sizeof(ngx_http_freshdesk_quota_result_t));

    if (reply == NULL) {
        /* no reply: it may have run, or run later */
        res.outcome = NGX_HTTP_FRESHDESK_QUOTA_UNSURE;
        res.tag.conn = sync->tag.conn;
        res.tag.seq = sync->tag.seq;

    } else if (reply->value.type == '*' && reply->nelts >= 3
               && reply->elts[0].type == ':' && reply->elts[1].type == ':'
               && reply->elts[2].type == ':')
    {
        /* {added (0: a past month), actions, counted} */
        res.outcome = NGX_HTTP_FRESHDESK_QUOTA_ANSWERED;
        res.counted = reply->elts[0].integer ? 1 : 0;
        res.actions = (uint32_t) reply->elts[1].integer;
        res.calls = res.counted ? (ngx_uint_t) reply->elts[2].integer : 0;

    } else {
        /* an error, stale: it has not run */
        res.outcome = NGX_HTTP_FRESHDESK_QUOTA_NOT_RUN;
    }

    synced = sync->synced;
    sync->synced = NULL;

    synced(sync->data, &res);
}


/*
 * OWED for the script: actions, YYYYMM, calls, the number of doubts, and
 * per doubt its connection, number, actions and calls
 */

static ngx_uint_t
ngx_http_freshdesk_quota_redis_owed_args(ngx_str_t *a, u_char *p,
    ngx_http_freshdesk_quota_owed_t *owed)
{
    int64_t                            v[4];
    ngx_uint_t                         i, k, n;
    ngx_http_freshdesk_quota_doubt_t  *d;

    v[0] = owed->n;
    v[1] = owed->month;
    v[2] = owed->calls;
    v[3] = owed->ndoubt;

    n = 0;

    for (i = 0; i < 4; i++) {
        a[n].data = p;
        p = ngx_http_freshdesk_resp_num(p, v[i]);
        a[n].len = p - a[n].data;
        n++;
    }

    for (k = 0; k < owed->ndoubt; k++) {
        d = &owed->doubt[k];

        a[n].data = p;
        p = ngx_http_freshdesk_redis_tag_hex(p, d->conn);
        a[n].len = p - a[n].data;
        n++;

        v[0] = d->seq;
        v[1] = d->actions;
        v[2] = d->calls;

        for (i = 0; i < 3; i++) {
            a[n].data = p;
            p = ngx_http_freshdesk_resp_num(p, v[i]);
            a[n].len = p - a[n].data;
            n++;
        }
    }

    return n;
}


/* {-1}: the script refused a command whose tag has run or was claimed */

static ngx_uint_t
ngx_http_freshdesk_quota_redis_stale(ngx_http_freshdesk_resp_t *reply)
{
    return reply->value.type == '*' && reply->nelts == 1
           && reply->elts[0].type == ':' && reply->elts[0].integer == -1;
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
