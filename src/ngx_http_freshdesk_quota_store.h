
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * What the quota front door (quota.c) asks of a store and what a store
 * answers: the shared-memory store (quota_shm.c) and the Redis backend
 * (quota_redis.c) speak these and nothing of each other.
 */


#ifndef _NGX_HTTP_FRESHDESK_QUOTA_STORE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_QUOTA_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* why a call is refused */
#define NGX_HTTP_FRESHDESK_QUOTA_CALLS    1     /* calls of the minute */
#define NGX_HTTP_FRESHDESK_QUOTA_ACTIONS  2     /* actions of the month */
#define NGX_HTTP_FRESHDESK_QUOTA_FULL     4     /* the zone is full */


/*
 * Which Redis command a take, action or sync was: its connection's random
 * id and its number on that connection (see quota_redis.c, exactly once)
 */
typedef struct {
    uint64_t                    conn;
    uint32_t                    seq;
} ngx_http_freshdesk_quota_tag_t;


/*
 * A doubt: a take, action or sync whose reply never came.  It may have
 * run in Redis, or may still run; what it carried and the call counted
 * here instead are owed only if it has not (the script checks its tag,
 * and claims it, so that it never runs later).
 */
#define NGX_HTTP_FRESHDESK_QUOTA_DOUBTS   7     /* a 128-byte block */

typedef struct {
    uint64_t                    conn;
    uint32_t                    seq;
    uint16_t                    actions;
    uint16_t                    calls;
} ngx_http_freshdesk_quota_doubt_t;


/* what a tenant owes Redis, on its way */
typedef struct {
    ngx_str_t                   tenant;        /* data: 255 bytes */
    ngx_uint_t                  n;             /* actions */
    uint32_t                    month;         /* theirs; 0: none */
    ngx_uint_t                  calls;         /* recent ones; 0 when old */
    ngx_uint_t                  ndoubt;
    ngx_http_freshdesk_quota_doubt_t  doubt[NGX_HTTP_FRESHDESK_QUOTA_DOUBTS];
} ngx_http_freshdesk_quota_owed_t;


/*
 * With an account guard on a Redis zone: the account's part of the same
 * script call (its credit, decided with the tenant's quota), and what
 * Freshdesk's answers said since this worker's last call for it (the
 * report, carried; quota_redis.c fills it in)
 */
typedef struct {
    ngx_int_t                   done;          /* credits answered */
    ngx_int_t                   back;          /* credits never sent */
    ngx_int_t                   extra;         /* charged over estimate */
    ngx_int_t                   total;         /* X-RateLimit-Total; -1 */
    ngx_int_t                   remaining;     /* -Remaining; -1 */
    ngx_int_t                   ordinal;       /* its call's, see below */
    ngx_msec_t                  pause;         /* a 429's Retry-After */
    ngx_uint_t                  too_many;      /* 429s */
} ngx_http_freshdesk_quota_report_t;

typedef struct {
    ngx_uint_t                  weight;
    ngx_uint_t                  cost;
    ngx_uint_t                  cls;           /* 4: none */
    ngx_int_t                   sub;           /* the class's; -1 none */
    ngx_str_t                   plan;          /* "rate window headroom" */
    ngx_http_freshdesk_quota_report_t  report;
    unsigned                    dry_run:1;
} ngx_http_freshdesk_quota_guard_args_t;


/* the question: a tenant, its limits */
typedef struct {
    ngx_str_t                   tenant;        /* at most 255 bytes */
    ngx_str_t                   account;       /* Redis: the keys' tag */
    ngx_http_freshdesk_quota_guard_args_t  *guard;  /* Redis: asked too */
    ngx_int_t                   calls_limit;   /* applied */
    ngx_int_t                   calls_shown;   /* the tenant's own */
    ngx_int_t                   actions_limit;
    ngx_http_freshdesk_quota_owed_t  owed;     /* Redis: carried, if */
    unsigned                    carries:1;     /* Redis: owed is sent */
    unsigned                    dry_run:1;     /* count, never refuse */
    unsigned                    owe:1;         /* shm: owed to Redis */
} ngx_http_freshdesk_quota_ask_t;


/* what became of a command sent to Redis (res->outcome) */
#define NGX_HTTP_FRESHDESK_QUOTA_ANSWERED  0    /* res holds the answer */
#define NGX_HTTP_FRESHDESK_QUOTA_NOT_RUN   1    /* error, stale, unsent */
#define NGX_HTTP_FRESHDESK_QUOTA_UNSURE    2    /* no reply: may run */


/* the answer */
typedef struct {
    ngx_uint_t                  refuse;        /* 0: admitted */
    ngx_uint_t                  counted;       /* an action was taken */
    ngx_uint_t                  calls;         /* the minute's, after */
    uint32_t                    actions;       /* the month's, after */
    time_t                      calls_reset;   /* seconds; 0: unknown */
    time_t                      actions_reset;
    time_t                      sec;           /* Redis: its second */
    uint32_t                    month;         /* the month counted in */
    ngx_uint_t                  outcome;       /* Redis: see above */
    ngx_http_freshdesk_quota_tag_t  tag;       /* Redis: UNSURE's command */

    /* Redis, asked with ask->guard: the account's verdict */
    ngx_uint_t                  guard_refuse;  /* guard.h's reasons */
    ngx_int_t                   guard_remaining;
    ngx_int_t                   guard_limit;
    ngx_int_t                   guard_sub;
    ngx_msec_t                  guard_retry;
    ngx_int_t                   guard_used;    /* the window's, after */
} ngx_http_freshdesk_quota_result_t;


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_STORE_H_INCLUDED_ */
