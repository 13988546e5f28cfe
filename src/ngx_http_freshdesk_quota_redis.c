
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
#define FD_QUOTA_GUARD_ARGS  5
#define FD_QUOTA_ARGS        (12 + FD_QUOTA_OWED_ARGS + FD_QUOTA_GUARD_ARGS)
#define FD_QUOTA_GUARD_BUF   (16 * (NGX_INT64_LEN + 1))
#define FD_QUOTA_KEY_LEN     (64 + 255 + 255 + 8)
#define FD_QUOTA_REPORTS     16       /* accounts a worker reports on */
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
    ngx_uint_t                               tagarg;
    ngx_http_freshdesk_redis_tag_t           tag;
    u_char                                   buf[FD_QUOTA_OWED_BUF];
    u_char                                   gbuf[FD_QUOTA_GUARD_BUF];
    unsigned                                 action:1;
    unsigned                                 reported:1;
    unsigned                                 eval:1;
} ngx_http_freshdesk_quota_call_t;


/* a sync on its way */
typedef struct {
    ngx_http_freshdesk_redis_t                *rd;
    ngx_http_freshdesk_quota_redis_synced_pt   synced;
    void                                      *data;
    ngx_http_freshdesk_redis_tag_t             tag;
} ngx_http_freshdesk_quota_sync_t;


/*
 * What Freshdesk said of a guarded account since this worker's last
 * command for it: carried by the next take, or sent by the sweep
 */
typedef struct {
    ngx_http_freshdesk_redis_t              *rd;
    ngx_http_freshdesk_quota_guard_args_t    args;    /* conf, report */
    ngx_uint_t                               pending;
    size_t                                   len;
    u_char                                   account[255];
} ngx_http_freshdesk_quota_report_slot_t;


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
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *account, ngx_str_t *tenant,
    ngx_str_t *key);
static u_char *ngx_http_freshdesk_quota_redis_key_write(u_char *p,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *account, ngx_str_t *tenant);
static ngx_uint_t ngx_http_freshdesk_quota_redis_guard_args(ngx_str_t *a,
    u_char *p, ngx_str_t *old, ngx_str_t *tenant,
    ngx_http_freshdesk_quota_guard_args_t *g);
static ngx_http_freshdesk_quota_report_slot_t *
    ngx_http_freshdesk_quota_redis_slot(ngx_http_freshdesk_redis_t *rd,
    ngx_str_t *account, ngx_uint_t create);
static void ngx_http_freshdesk_quota_redis_report_add(
    ngx_http_freshdesk_quota_report_t *to,
    ngx_http_freshdesk_quota_report_t *from);
static ngx_int_t ngx_http_freshdesk_quota_redis_report_send(
    ngx_http_freshdesk_quota_report_slot_t *slot);
static void ngx_http_freshdesk_quota_redis_unreport(
    ngx_http_freshdesk_quota_call_t *call);
static ngx_int_t ngx_http_freshdesk_quota_redis_num(ngx_pool_t *pool,
    ngx_str_t *s, int64_t n);
static char *ngx_http_freshdesk_quota_redis_password(ngx_conf_t *cf,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *file);
static ngx_uint_t ngx_http_freshdesk_quota_redis_owed_args(ngx_str_t *a,
    u_char *p, ngx_http_freshdesk_quota_owed_t *owed);
static ngx_uint_t ngx_http_freshdesk_quota_redis_stale(
    ngx_http_freshdesk_resp_t *reply);


/* per worker: the guarded accounts' reports on their way */
static ngx_http_freshdesk_quota_report_slot_t
    ngx_http_freshdesk_quota_redis_reports[FD_QUOTA_REPORTS];


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
 * KEYS[1]: "<prefix>{<tenant>}", or with an account guard
 * "<prefix>{acct:<account>}:<tenant>"; ARGV[1]: the mode.  TAG is the
 * command's connection id and number; OWED is what the node owes:
 * actions, their YYYYMM, calls (recent ones), the number of doubts, and
 * per doubt its tag, actions and calls.
 *   take   TAG calls_limit actions_limit dry_run OWED [GUARD]
 *          -> {refused (0, 1 calls, 2 actions), calls, actions,
 *              seconds until a call frees, seconds until the month ends,
 *              now, YYYYMM [, GUARD's verdict]}
 *   action TAG actions_limit dry_run [GUARD] -> {counted (0/1), actions,
 *              month end, now, YYYYMM [, GUARD's verdict]}
 *   refund call (0/1) second YYYYMM -> {actions}
 *   sync   TAG OWED -> {added (0/1, a past month), actions, counted}
 *   report GUARD (KEYS[1] the account's "<prefix>{acct:<account>}")
 *          -> {remaining, limit}
 * A command whose number has run on its connection for this tenant (or
 * was claimed by a doubt) answers {-1}: stale, nothing counted.
 * "<base>:s" holds per connection the highest number run; it expires six
 * hours after a new connection's first command or every 64th command of
 * one (an EXPIRE per command would cost a third call).
 * The month of TIME is worked out in Lua (no os.date in Redis's Lua):
 * days since 1970 to the civil date and back (H. Hinnant's algorithms).
 *
 * GUARD (freshdesk_account_guard; take and action with KEYS[2], the
 * account's key, then always the last 5 arguments): the tenant's old
 * key "<prefix>{<tenant>}" (its month counters are moved over: read,
 * added, deleted, in the script, so atomic and idempotent; read with
 * redis.pcall, so that a Redis Cluster, which refuses another slot's key,
 * just skips it), the tenant, then lists of space-separated numbers
 * (fewer arguments to frame): its weight, the call's credits, its class
 * (0-3, 4 none), the class's sub-limit (-1 none), dry run; the
 * configured rate, window (ms) and headroom (%), written once at
 * configuration; and the worker's report since
 * its last call: credits answered, credits never sent, credits charged
 * over the estimate, X-RateLimit-Total and -Remaining (-1: not said)
 * with the ordinal of the call it came with (the window's number times
 * 2^24 plus its credits used after that call's admission: Redis
 * subtracts its own credits sent since, and ignores a Remaining of a
 * window before the last turn), a 429's pause (ms) and the 429s.
 * The account's state is the hash "<account key>:g" (limit, remaining,
 * in flight, used in the window, window end and pause on Redis's clock
 * in ms, the turn probe, the sub-limited classes' use, 429s, and the
 * window's lowest Remaining with the credits used when it came), its
 * shares "<account key>:h" (per tenant "weight used last-second
 * probe": its credits of the window, and of them those taken while a
 * turn by the clock waited to be confirmed, which stay its own in the
 * new window when it is); the verdict, one string of numbers: refused
 * (0, 1 credit, 2 sub-limit, 3 pause), remaining, limit, sub-limit,
 * retry (ms), the window's credits used (the call's ordinal).  The rules
 * are guard.c's, on Redis's clock, but for the window's turn: Freshdesk's
 * Remaining only falls within a window, so it turned when a call sent
 * after the lowest Remaining came (a higher ordinal) gets a higher one; a
 * late or reordered answer is no turn.  Each Remaining resyncs the credits left
 * (the last one wins: errors do not add up), never above the lowest one
 * less the credits sent since.  A call the guard refuses counts nothing
 * of the tenant's quota, one the quota refuses takes no credit.
 */

static char  ngx_http_freshdesk_quota_script[] =
"local base, mode = KEYS[1], ARGV[1]\n"
"local tm = redis.call('TIME')\n"
"local now = tonumber(tm[1])\n"
"local ms = now * 1000 + math.floor(tonumber(tm[2]) / 1000)\n"
"local f = math.floor\n"
"local z = f(now / 86400) + 719468\n"
"local era = f(z / 146097)\n"
"local doe = z - era * 146097\n"
"local yoe = f((doe - f(doe / 1460) + f(doe / 36524) - f(doe /"
" 146096)) / 365)\n"
"local doy = doe - (365 * yoe + f(yoe / 4) - f(yoe / 100))\n"
"local mp = f((5 * doy + 2) / 153)\n"
"local y, m = yoe + era * 400, mp < 10 and mp + 3 or mp - 9\n"
"if m <= 2 then y = y + 1 end\n"
"local ny, nm = y, m + 1\n"
"if nm > 12 then ny, nm = y + 1, 1 end\n"
"if nm <= 2 then ny = ny - 1 end\n"
"local nera = f(ny / 400)\n"
"local nyoe = ny - nera * 400\n"
"local ndoe = nyoe * 365 + f(nyoe / 4) - f(nyoe / 100) + f((153 * ((nm"
" + 9) % 12) + 2) / 5)\n"
"local mend = (nera * 146097 + ndoe - 719468) * 86400\n"
"local ym = y * 100 + m\n"
"local mk = base .. ':m:' .. ym\n"
"local wk = base .. ':w'\n"
"local sk = base .. ':s'\n"
"local ttl = mend + 35 * 86400\n"
"local G = nil\n"
"if mode == 'report' then G = 1\n"
"elseif #KEYS >= 2 and mode ~= 'refund' then G = #ARGV - 5 end\n"
"local GA = G and {ARGV[G + 1], ARGV[G + 2]}\n"
"if G then\n"
"  local s = ARGV[G + 3] .. ' ' .. ARGV[G + 4] .. ' ' .. ARGV[G + 5]\n"
"  for x in string.gmatch(s, '%-?%d+') do\n"
"    GA[#GA + 1] = tonumber(x)\n"
"  end\n"
"end\n"
"if G and mode ~= 'report' and ARGV[G + 1] ~= '' then\n"
"  for _, x in ipairs({':m:' .. ym, ':r:' .. ym}) do\n"
"    local v = redis.pcall('GET', ARGV[G + 1] .. x)\n"
"    if type(v) == 'string' then\n"
"      redis.call('INCRBY', base .. x, v)\n"
"      redis.call('EXPIREAT', base .. x, ttl)\n"
"      redis.call('DEL', ARGV[G + 1] .. x)\n"
"    end\n"
"  end\n"
"end\n"
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
"local function guard(ak, decide)\n"
"  local function A(i) return GA[i] end\n"
"  local gk, hk = ak .. ':g', ak .. ':h'\n"
"  local win = A(9)\n"
"  local st = redis.call('HMGET', gk, 'lim', 'rem', 'inf', 'used', 'wend',\n"
"    'pause', 'probe', 'before', 'c1', 'c2', 'c3', 'c4', 'n429', 'win',\n"
"    'low', 'lowo')\n"
"  local S = {lim = tonumber(st[1]) or A(8)}\n"
"  S.rem = tonumber(st[2]) or S.lim\n"
"  S.inf = tonumber(st[3]) or 0\n"
"  S.used = tonumber(st[4]) or 0\n"
"  S.wend = tonumber(st[5]) or ms + win + 1000\n"
"  S.pause = tonumber(st[6]) or 0\n"
"  S.probe = tonumber(st[7]) or 0\n"
"  S.before = tonumber(st[8]) or 0\n"
"  S.n429 = tonumber(st[13]) or 0\n"
"  S.win = tonumber(st[14]) or 0\n"
"  S.low, S.lowo = tonumber(st[15]) or -1, tonumber(st[16]) or 0\n"
"  S.c = {}\n"
"  for i = 1, 4 do S.c[i] = tonumber(st[8 + i]) or 0 end\n"
"  S.sh, S.reset = {}, false\n"
"  local h = redis.call('HGETALL', hk)\n"
"  for i = 1, #h, 2 do\n"
"    local w, u, s, p = string.match(h[i + 1], '(%d+) (%d+) (%d+) ?(%d*)')\n"
"    S.sh[h[i]] = {tonumber(w), tonumber(u), tonumber(s), tonumber(p) or 0}\n"
"  end\n"
"  local function turn(ok)\n"
"    if not ok then\n"
"      S.before, S.rem, S.probe, S.wend = S.rem + S.inf, S.lim, 1, ms"
" + 1000\n"
"      for t, x in pairs(S.sh) do x[4] = 0 end\n"
"      S.reset = true\n"
"      return\n"
"    end\n"
"    local pu = 0\n"
"    for t, x in pairs(S.sh) do\n"
"      x[2] = S.probe == 1 and x[4] or 0\n"
"      x[4], pu = 0, pu + x[2]\n"
"    end\n"
"    S.wend, S.used, S.probe, S.inf, S.reset = ms + win + 1000, pu, 0,"
" 0, true\n"
"    for i = 1, 4 do S.c[i] = 0 end\n"
"    S.win = S.win + 1\n"
"  end\n"
"  local done, back, extra = tonumber(A(11)), tonumber(A(12)),"
" tonumber(A(13))\n"
"  local total, rr, pms = tonumber(A(14)), tonumber(A(15)), tonumber(A(17))\n"
"  local ord, ow = tonumber(A(16)), -1\n"
"  if ord >= 0 then ow, ord = f(ord / 16777216), ord % 16777216 end\n"
"  S.inf = math.max(0, S.inf - done - back)\n"
"  if back > 0 then S.rem, S.used = S.rem + back, math.max(0, S.used -"
" back) end\n"
"  if total > 0 and total ~= S.lim then\n"
"    S.rem, S.lim = S.rem + total - S.lim, total\n"
"  end\n"
"  if pms > 0 then\n"
"    S.n429 = S.n429 + tonumber(A(18))\n"
"    if ms + pms > S.pause then S.pause = ms + pms end\n"
"    S.wend, S.rem, S.probe = S.pause, 0, 0\n"
"  elseif rr >= 0 and (S.probe == 1 or ow < 0 or ow == S.win) then\n"
"    local m, up = f(S.lim / 20) + 2, false\n"
"    if ord >= 0 and S.low >= 0 then up = ord > S.lowo and rr > S.low + m\n"
"    elseif S.probe == 1 then up = rr > S.before + m\n"
"    else up = rr > S.rem + S.inf + m end\n"
"    if up then\n"
"      turn(true)\n"
"      S.rem, S.low, S.lowo = rr, rr, S.used\n"
"    else\n"
"      if S.low < 0 or rr < S.low then S.low, S.lowo = rr, S.used end\n"
"      if ord >= 0 then\n"
"        S.rem = math.min(rr + ord, S.low + S.lowo) - S.used\n"
"      elseif S.probe == 1 then S.rem = rr - S.inf end\n"
"    end\n"
"    S.probe = 0\n"
"  end\n"
"  if extra > 0 then S.rem, S.used = S.rem - extra, S.used + extra end\n"
"  S.refuse, S.retry, S.sub = 0, 0, -1\n"
"  if not decide then return S end\n"
"  if ms >= S.wend then turn(false) end\n"
"  local me, cost, cl = A(2), tonumber(A(4)), tonumber(A(5))\n"
"  local e = S.sh[me] or {1, 0, now, 0}\n"
"  e[1], e[3] = tonumber(A(3)), now\n"
"  S.sh[me], S.me, S.cost, S.cl = e, e, cost, cl\n"
"  local avail = S.rem - f(S.lim * A(10) / 100)\n"
"  S.sub = tonumber(A(6))\n"
"  if ms < S.pause then S.refuse, S.retry = 3, S.pause - ms\n"
"  elseif cl < 4 and S.sub >= 0 and S.c[cl + 1] + cost > S.sub then\n"
"    S.refuse, S.retry = 2, S.wend - ms\n"
"  elseif S.probe == 1 and S.inf + cost > 2 then S.refuse, S.retry = 1, 100\n"
"  else\n"
"    local reserve, weights, active = 0, 0, win / 1000\n"
"    if avail > 0 then\n"
"      for t, x in pairs(S.sh) do\n"
"        if now - x[3] < active then weights = weights + x[1] end\n"
"      end\n"
"      local all = S.used + avail\n"
"      for t, x in pairs(S.sh) do\n"
"        if t ~= me and now - x[3] < active then\n"
"          local share = f(all * x[1] / weights)\n"
"          if share > x[2] then reserve = reserve + share - x[2] end\n"
"        end\n"
"      end\n"
"      if e[2] + cost <= f(all * e[1] / weights) then reserve = 0 end\n"
"    end\n"
"    if avail - reserve < cost then\n"
"      S.refuse = 1\n"
"      S.retry = avail < cost and S.wend - ms or 100\n"
"    end\n"
"  end\n"
"  S.dry = A(7) == 1\n"
"  return S\n"
"end\n"
"local function gcommit(S)\n"
"  S.rem, S.inf, S.used = S.rem - S.cost, S.inf + S.cost, S.used + S.cost\n"
"  if S.cl < 4 then S.c[S.cl + 1] = S.c[S.cl + 1] + S.cost end\n"
"  S.me[2] = S.me[2] + S.cost\n"
"  if S.probe == 1 then S.me[4] = S.me[4] + S.cost end\n"
"end\n"
"local function gsave(S, ak)\n"
"  local gk, hk = ak .. ':g', ak .. ':h'\n"
"  local win = GA[9]\n"
"  redis.call('HSET', gk, 'lim', S.lim, 'rem', S.rem, 'inf', S.inf,\n"
"    'used', S.used, 'wend', S.wend, 'pause', S.pause, 'probe', S.probe,\n"
"    'before', S.before, 'c1', S.c[1], 'c2', S.c[2], 'c3', S.c[3],\n"
"    'c4', S.c[4], 'n429', S.n429, 'win', S.win, 'low', S.low,\n"
"    'lowo', S.lowo)\n"
"  redis.call('PEXPIRE', gk, 3 * win + math.max(0, S.pause - ms))\n"
"  for t, x in pairs(S.sh) do\n"
"    if now - x[3] >= 2 * win / 1000 then redis.call('HDEL', hk, t)\n"
"    elseif S.reset or x == S.me then\n"
"      redis.call('HSET', hk, t, table.concat(x, ' '))\n"
"    end\n"
"  end\n"
"  redis.call('PEXPIRE', hk, 3 * win)\n"
"end\n"
"local function gret(r, S)\n"
"  if S then\n"
"    r[#r + 1] = string.format('%d %d %d %d %d %d', S.refuse, S.rem,\n"
"      S.lim, S.sub, math.max(0, S.retry), S.win * 16777216 + S.used)\n"
"  end\n"
"  return r\n"
"end\n"
"if mode == 'report' then\n"
"  local S = guard(KEYS[1], false)\n"
"  gsave(S, KEYS[1])\n"
"  return {S.rem, S.lim}\n"
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
"  local S = G and guard(KEYS[2], true)\n"
"  if S and S.refuse > 0 and not S.dry then\n"
"    gsave(S, KEYS[2])\n"
"    return gret({0, calls, actions, oldest + 60 - now, mend - now,"
" now, ym}, S)\n"
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
"    if S then gcommit(S) end\n"
"  end\n"
"  if S then gsave(S, KEYS[2]) end\n"
"  return gret({refused, calls, actions, oldest + 60 - now, mend -"
" now, now, ym}, S)\n"
"elseif mode == 'action' then\n"
"  local S = G and guard(KEYS[2], true)\n"
"  if (S and S.refuse > 0 and not S.dry)\n"
"     or (actions + 1 > tonumber(ARGV[4]) and ARGV[5] ~= '1') then\n"
"    if S then gsave(S, KEYS[2]) end\n"
"    return gret({0, actions, mend - now, now, ym}, S)\n"
"  end\n"
"  actions = redis.call('INCR', mk)\n"
"  redis.call('EXPIREAT', mk, ttl)\n"
"  if S then\n"
"    gcommit(S)\n"
"    gsave(S, KEYS[2])\n"
"  end\n"
"  return gret({1, actions, mend - now, now, ym}, S)\n"
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
    ngx_str_t                                *a, old, empty;
    ngx_uint_t                                n, nk, o;
    ngx_http_freshdesk_quota_call_t          *call;
    ngx_http_freshdesk_quota_guard_args_t    *g;
    ngx_http_freshdesk_quota_report_slot_t   *slot;

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
    call->reported = 0;

    a = call->args;
    g = NULL;
    nk = 1;

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = rd->sha;

    if (ngx_http_freshdesk_quota_redis_key(pool, rd, &ask->account,
                                           &ask->tenant, &a[3])
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ask->guard && ask->account.len) {

        /* the account's key, same hash tag; the worker's report */

        g = ask->guard;
        nk = 2;

        empty.len = 0;
        empty.data = (u_char *) "";

        if (ngx_http_freshdesk_quota_redis_key(pool, rd, &ask->account,
                                               &empty, &a[4])
            != NGX_OK
            || ngx_http_freshdesk_quota_redis_key(pool, rd, &empty,
                                                  &ask->tenant, &old)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_memzero(&g->report, sizeof(ngx_http_freshdesk_quota_report_t));
        g->report.total = -1;
        g->report.remaining = -1;
        g->report.ordinal = -1;

        slot = ngx_http_freshdesk_quota_redis_slot(rd, &ask->account, 0);

        if (slot && slot->pending) {
            g->report = slot->args.report;
            ngx_memzero(&slot->args.report,
                        sizeof(ngx_http_freshdesk_quota_report_t));
            slot->args.report.total = -1;
            slot->args.report.remaining = -1;
            slot->args.report.ordinal = -1;
            slot->pending = 0;
            call->reported = 1;
        }
    }

    a[2].data = (u_char *) (nk == 2 ? "2" : "1");
    a[2].len = 1;

    /* o: the mode; o + 1, o + 2: the tag, filled in by redis_send() */

    o = 3 + nk;

    if (!action) {
        ngx_str_set(&a[o], "take");

        if (ngx_http_freshdesk_quota_redis_num(pool, &a[o + 3],
                                               ask->calls_limit)
            != NGX_OK
            || ngx_http_freshdesk_quota_redis_num(pool, &a[o + 4],
                                                  ask->actions_limit)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[o + 5].data = (u_char *) (ask->dry_run ? "1" : "0");
        a[o + 5].len = 1;

        if (!ask->carries) {
            ask->owed.n = 0;
            ask->owed.month = 0;
            ask->owed.calls = 0;
            ask->owed.ndoubt = 0;
        }

        n = o + 6 + ngx_http_freshdesk_quota_redis_owed_args(&a[o + 6],
                                                      call->buf, &ask->owed);

    } else {
        ngx_str_set(&a[o], "action");

        if (ngx_http_freshdesk_quota_redis_num(pool, &a[o + 3],
                                               ask->actions_limit)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        a[o + 4].data = (u_char *) (ask->dry_run ? "1" : "0");
        a[o + 4].len = 1;
        n = o + 5;
    }

    if (g) {
        n += ngx_http_freshdesk_quota_redis_guard_args(&a[n], call->gbuf,
                                                       &old, &ask->tenant, g);
    }

    call->nargs = n;
    call->tagarg = o + 1;

    call->cmd = ngx_http_freshdesk_redis_send(rd, a, call->nargs,
                                   call->tagarg, &call->tag,
                                   ngx_http_freshdesk_quota_redis_handler,
                                   call);

    if (call->cmd == NULL) {
        ngx_http_freshdesk_quota_redis_unreport(call);
        return NGX_DECLINED;
    }

    return NGX_AGAIN;
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

    int64_t                             v[14];
    ngx_uint_t                          i, n, base;
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
                                   call->nargs, call->tagarg, &call->tag,
                                   ngx_http_freshdesk_quota_redis_handler,
                                   call);
        if (call->cmd) {
            return;
        }

        /* no connection: certainly not run */

        ngx_http_freshdesk_quota_redis_unreport(call);

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

    base = call->action ? 5 : 7;

    if (reply->value.type == '*') {
        n = ngx_min(reply->nelts, base);

        for (i = 0; i < n; i++) {
            if (reply->elts[i].type != ':') {
                n = 0;
                break;
            }

            v[i] = reply->elts[i].integer;
        }

        /* the guard's verdict: one string of numbers */

        if (n == base && call->ask->guard
            && (reply->nelts <= base || reply->elts[base].type != '$'
                || ngx_http_freshdesk_resp_numbers(&reply->elts[base].str,
                                                   &v[base], 6)
                   != NGX_OK))
        {
            n = 0;
        }
    }

    if (n < base) {

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

        ngx_http_freshdesk_quota_redis_unreport(call);

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

    if (call->ask->guard) {
        /* {refused, remaining, limit, sub-limit, retry ms, used} */
        res.guard_refuse = (ngx_uint_t) v[base];
        res.guard_remaining = (ngx_int_t) v[base + 1];
        res.guard_limit = (ngx_int_t) v[base + 2];
        res.guard_sub = (ngx_int_t) v[base + 3];
        res.guard_retry = (ngx_msec_t) (v[base + 4] > 0 ? v[base + 4] : 0);
        res.guard_used = (ngx_int_t) v[base + 5];

        if (res.guard_refuse && !call->ask->guard->dry_run) {
            /* refused by the account: the tenant's quota counted nothing */
            res.counted = 0;
        }
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
    ngx_str_t *account, ngx_str_t *tenant, ngx_uint_t call, time_t sec,
    uint32_t month)
{
    u_char     key[FD_QUOTA_KEY_LEN], secs[NGX_INT64_LEN],
               ym[NGX_INT64_LEN];
    ngx_str_t  a[8];

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = rd->sha;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "refund");

    a[3].data = key;
    a[3].len = ngx_http_freshdesk_quota_redis_key_write(key, rd, account,
                                                        tenant)
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
    u_char                            key[FD_QUOTA_KEY_LEN],
                                      buf[FD_QUOTA_OWED_BUF];
    ngx_str_t                         none;
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
    none.len = 0;
    none.data = (u_char *) "";

    a[3].len = ngx_http_freshdesk_quota_redis_key_write(key, rd, &none,
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


/*
 * "<prefix>{<tenant>}": a tenant's keys share one Redis Cluster slot;
 * with an account guard, "<prefix>{acct:<account>}:<tenant>" and the
 * account's own "<prefix>{acct:<account>}" share the account's
 */

static ngx_int_t
ngx_http_freshdesk_quota_redis_key(ngx_pool_t *pool,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *account, ngx_str_t *tenant,
    ngx_str_t *key)
{
    key->data = ngx_pnalloc(pool, rd->prefix.len + account->len
                                  + tenant->len + 8);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = ngx_http_freshdesk_quota_redis_key_write(key->data, rd,
                                                        account, tenant)
               - key->data;

    return NGX_OK;
}


static u_char *
ngx_http_freshdesk_quota_redis_key_write(u_char *p,
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *account, ngx_str_t *tenant)
{
    p = ngx_cpymem(p, rd->prefix.data, rd->prefix.len);

    if (account->len == 0) {
        *p++ = '{';
        p = ngx_cpymem(p, tenant->data, tenant->len);
        *p++ = '}';

        return p;
    }

    p = ngx_cpymem(p, "{acct:", sizeof("{acct:") - 1);
    p = ngx_cpymem(p, account->data, account->len);
    *p++ = '}';

    if (tenant->len) {
        *p++ = ':';
        p = ngx_cpymem(p, tenant->data, tenant->len);
    }

    return p;
}


/*
 * GUARD for the script: the tenant's old key, the tenant, then its
 * numbers, space-separated (fewer arguments to frame): weight, credits,
 * class, sub-limit, dry run; the plan's (written at configuration); the
 * report (see the script)
 */

static ngx_uint_t
ngx_http_freshdesk_quota_redis_guard_args(ngx_str_t *a, u_char *p,
    ngx_str_t *old, ngx_str_t *tenant,
    ngx_http_freshdesk_quota_guard_args_t *g)
{
    int64_t     v[13];
    ngx_uint_t  i;

    a[0] = *old;
    a[1] = *tenant;
    a[3] = g->plan;

    v[0] = g->weight;
    v[1] = g->cost;
    v[2] = g->cls;
    v[3] = g->sub;
    v[4] = g->dry_run ? 1 : 0;
    v[5] = g->report.done;
    v[6] = g->report.back;
    v[7] = g->report.extra;
    v[8] = g->report.total;
    v[9] = g->report.remaining;
    v[10] = g->report.ordinal;
    v[11] = g->report.pause;
    v[12] = g->report.too_many;

    a[2].data = p;

    for (i = 0; i < 13; i++) {
        if (i == 5) {
            a[2].len = p - 1 - a[2].data;
            a[4].data = p;
        }

        p = ngx_http_freshdesk_resp_num(p, v[i]);
        *p++ = ' ';
    }

    a[4].len = p - 1 - a[4].data;

    return FD_QUOTA_GUARD_ARGS;
}


/*
 * What Freshdesk answered a call the guard admitted in Redis, kept for
 * the account until this worker's next take carries it or the sweep
 * sends it; at once when now (a 429: every node must stop)
 */

void
ngx_http_freshdesk_quota_redis_report(ngx_http_freshdesk_redis_t *rd,
    ngx_str_t *account, ngx_http_freshdesk_quota_guard_args_t *args,
    ngx_uint_t now)
{
    ngx_http_freshdesk_quota_report_slot_t  *slot;

    slot = ngx_http_freshdesk_quota_redis_slot(rd, account, 1);

    if (slot == NULL) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "freshdesk: quota zone \"%V\": more than %d "
                      "accounts to report on, account \"%V\"'s report "
                      "dropped", &rd->zone, FD_QUOTA_REPORTS, account);
        return;
    }

    slot->args.weight = 1;
    slot->args.cls = 4;
    slot->args.sub = -1;
    slot->args.plan = args->plan;

    ngx_http_freshdesk_quota_redis_report_add(&slot->args.report,
                                              &args->report);
    slot->pending = 1;

    if (now) {
        (void) ngx_http_freshdesk_quota_redis_report_send(slot);
    }
}


/* every second, from the sweep: the reports no take has carried */

void
ngx_http_freshdesk_quota_redis_flush(ngx_http_freshdesk_redis_t *rd)
{
    ngx_uint_t                               i;
    ngx_http_freshdesk_quota_report_slot_t  *slot;

    for (i = 0; i < FD_QUOTA_REPORTS; i++) {
        slot = &ngx_http_freshdesk_quota_redis_reports[i];

        if (slot->rd == rd && slot->pending) {
            (void) ngx_http_freshdesk_quota_redis_report_send(slot);
        }
    }
}


/* not waited for; lost with Redis, the next answers correct it */

static ngx_int_t
ngx_http_freshdesk_quota_redis_report_send(
    ngx_http_freshdesk_quota_report_slot_t *slot)
{
    u_char      key[FD_QUOTA_KEY_LEN], buf[FD_QUOTA_GUARD_BUF];
    ngx_str_t   a[5 + FD_QUOTA_GUARD_ARGS], account, none;
    ngx_uint_t  n;

    account.data = slot->account;
    account.len = slot->len;
    none.len = 0;
    none.data = (u_char *) "";

    ngx_str_set(&a[0], "EVALSHA");
    a[1] = slot->rd->sha;
    ngx_str_set(&a[2], "1");
    ngx_str_set(&a[4], "report");

    a[3].data = key;
    a[3].len = ngx_http_freshdesk_quota_redis_key_write(key, slot->rd,
                                                        &account, &none)
               - key;

    n = 5 + ngx_http_freshdesk_quota_redis_guard_args(&a[5], buf, &none,
                                                      &none, &slot->args);

    if (ngx_http_freshdesk_redis_send(slot->rd, a, n, 0, NULL,
                                      ngx_http_freshdesk_quota_redis_ignore,
                                      slot->rd)
        == NULL)
    {
        return NGX_DECLINED;
    }

    ngx_memzero(&slot->args.report, sizeof(ngx_http_freshdesk_quota_report_t));
    slot->args.report.total = -1;
    slot->args.report.remaining = -1;
    slot->args.report.ordinal = -1;
    slot->pending = 0;

    return NGX_OK;
}


/* a take that carried the report has not run: the report comes back */

static void
ngx_http_freshdesk_quota_redis_unreport(ngx_http_freshdesk_quota_call_t *call)
{
    ngx_http_freshdesk_quota_report_slot_t  *slot;

    if (!call->reported) {
        return;
    }

    call->reported = 0;

    slot = ngx_http_freshdesk_quota_redis_slot(call->rd, &call->ask->account,
                                               1);
    if (slot == NULL) {
        return;
    }

    if (slot->pending == 0) {
        slot->args.plan = call->ask->guard->plan;
        slot->args.weight = 1;
        slot->args.cls = 4;
        slot->args.sub = -1;
    }

    ngx_http_freshdesk_quota_redis_report_add(&slot->args.report,
                                              &call->ask->guard->report);
    slot->pending = 1;
}


static ngx_http_freshdesk_quota_report_slot_t *
ngx_http_freshdesk_quota_redis_slot(ngx_http_freshdesk_redis_t *rd,
    ngx_str_t *account, ngx_uint_t create)
{
    ngx_uint_t                               i;
    ngx_http_freshdesk_quota_report_slot_t  *slot, *free;

    free = NULL;

    for (i = 0; i < FD_QUOTA_REPORTS; i++) {
        slot = &ngx_http_freshdesk_quota_redis_reports[i];

        if (slot->rd == rd && slot->len == account->len
            && ngx_memcmp(slot->account, account->data, account->len) == 0)
        {
            return slot;
        }

        if (free == NULL && (slot->rd == NULL || !slot->pending)) {
            free = slot;
        }
    }

    if (!create || free == NULL) {
        return NULL;
    }

    ngx_memzero(free, sizeof(ngx_http_freshdesk_quota_report_slot_t));
    free->rd = rd;
    free->len = ngx_min(account->len, sizeof(free->account));
    ngx_memcpy(free->account, account->data, free->len);
    free->args.report.total = -1;
    free->args.report.remaining = -1;
    free->args.report.ordinal = -1;

    return free;
}


/* the later answer's Total and Remaining, the sums of the rest */

static void
ngx_http_freshdesk_quota_redis_report_add(
    ngx_http_freshdesk_quota_report_t *to,
    ngx_http_freshdesk_quota_report_t *from)
{
    to->done += from->done;
    to->back += from->back;
    to->extra += from->extra;
    to->too_many += from->too_many;

    if (from->total > 0) {
        to->total = from->total;
    }

    if (from->remaining >= 0) {
        to->remaining = from->remaining;
        to->ordinal = from->ordinal;
    }

    if (from->pause > to->pause) {
        to->pause = from->pause;
    }
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
