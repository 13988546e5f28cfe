
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_REDIS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include "ngx_http_freshdesk_resp.h"


#define NGX_HTTP_FRESHDESK_REDIS_LOCAL   0     /* fail=local */
#define NGX_HTTP_FRESHDESK_REDIS_CLOSED  1     /* fail=closed */
#define NGX_HTTP_FRESHDESK_REDIS_OPEN    2     /* fail=open */


/* the backend's state, in the zone's shared memory: every worker writes */
typedef struct {
    ngx_atomic_t                     connections;   /* ready, all workers */
    ngx_atomic_t                     commands;
    ngx_atomic_t                     errors;        /* failed commands */
    ngx_atomic_t                     fallbacks;     /* calls decided here */
    ngx_atomic_t                     rtt_us;        /* the last reply's */
    ngx_atomic_t                     last_ok;       /* epoch seconds */
    ngx_atomic_t                     last_error;
    ngx_atomic_t                     unsynced;      /* local actions owed */
} ngx_http_freshdesk_redis_stats_t;


/*
 * Called once per command: with the reply, or with NULL when none came
 * (not connected, timeout, connection lost).
 */
typedef void (*ngx_http_freshdesk_redis_handler_pt)(void *data,
    ngx_http_freshdesk_resp_t *reply);


/*
 * Which command a take, action or sync was: the connection's random id
 * and the command's number on it.  Redis runs a connection's commands in
 * order, so the script's highest number run per connection and tenant
 * tells whether one whose reply never came has run (exactly-once).
 */
typedef struct {
    uint64_t                         conn;
    uint32_t                         seq;
} ngx_http_freshdesk_redis_tag_t;


typedef struct ngx_http_freshdesk_redis_conn_s  ngx_http_freshdesk_redis_conn_t;
typedef struct ngx_http_freshdesk_redis_cmd_s  ngx_http_freshdesk_redis_cmd_t;


/* a zone's Redis: configuration, and each worker's own connections */
typedef struct {
    ngx_str_t                        zone;          /* for logs */
    ngx_url_t                        url;
    ngx_str_t                        user;
    ngx_str_t                        password;      /* from a file */
    ngx_str_t                        db;
    ngx_str_t                        prefix;
    ngx_msec_t                       timeout;       /* per command */
    ngx_msec_t                       connect_timeout; /* to ready */
    ngx_uint_t                       nconns;
    ngx_uint_t                       fail;
    ngx_uint_t                       share;         /* % of limits, local */
    ngx_str_t                        script;
    ngx_str_t                        sha;           /* hex SHA1 */

    ngx_http_freshdesk_redis_stats_t  *stats;       /* in shared memory */

    /* per worker */
    ngx_http_freshdesk_redis_conn_t  *conns;
    ngx_uint_t                       next;
    ngx_pool_t                      *pool;
    ngx_queue_t                      free;          /* command structs */
    time_t                           logged;        /* last outage log */
    void                            *sweep;         /* owed, on its way */
    ngx_log_t                       *log;
} ngx_http_freshdesk_redis_t;


ngx_int_t ngx_http_freshdesk_redis_init_process(
    ngx_http_freshdesk_redis_t *rd, ngx_cycle_t *cycle);
void ngx_http_freshdesk_redis_exit_process(ngx_http_freshdesk_redis_t *rd);

/*
 * Queues a command; NULL when it cannot be sent now (no connection and
 * none to be had soon): the caller decides without Redis, and the command
 * has certainly not run.  The handler is never called before this
 * returns.  With tag set, args[tagarg] and args[tagarg + 1] are filled
 * with the connection's id (16 hex digits) and the command's number on
 * it, which *tag receives.
 */
ngx_http_freshdesk_redis_cmd_t *ngx_http_freshdesk_redis_send(
    ngx_http_freshdesk_redis_t *rd, ngx_str_t *args, ngx_uint_t n,
    ngx_uint_t tagarg, ngx_http_freshdesk_redis_tag_t *tag,
    ngx_http_freshdesk_redis_handler_pt handler, void *data);

u_char *ngx_http_freshdesk_redis_tag_hex(u_char *p, uint64_t conn);

/* the caller went away: its handler is not called */
void ngx_http_freshdesk_redis_abandon(ngx_http_freshdesk_redis_cmd_t *cmd);

ngx_uint_t ngx_http_freshdesk_redis_ready(ngx_http_freshdesk_redis_t *rd);


#endif /* _NGX_HTTP_FRESHDESK_REDIS_H_INCLUDED_ */
