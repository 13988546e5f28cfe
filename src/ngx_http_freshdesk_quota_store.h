
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


/* the question: a tenant, its limits */
typedef struct {
    ngx_str_t                   tenant;        /* at most 255 bytes */
    ngx_int_t                   calls_limit;   /* applied */
    ngx_int_t                   calls_shown;   /* the tenant's own */
    ngx_int_t                   actions_limit;
    ngx_uint_t                  owed;          /* Redis: actions carried */
    uint32_t                    owed_month;
    unsigned                    dry_run:1;     /* count, never refuse */
    unsigned                    owe:1;         /* shm: owed to Redis */
} ngx_http_freshdesk_quota_ask_t;


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
} ngx_http_freshdesk_quota_result_t;


/* a tenant's actions owed to Redis, on their way */
typedef struct {
    ngx_str_t                   tenant;        /* data: 255 bytes */
    ngx_uint_t                  n;
    uint32_t                    month;
} ngx_http_freshdesk_quota_owed_t;


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_STORE_H_INCLUDED_ */
