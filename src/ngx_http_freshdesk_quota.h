
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The quota front door (quota.c): everything the request path asks of
 * quotas; its directives (quota_conf.c) and per-worker timers
 * (quota_process.c).  The stores behind it, the zone's
 * shared memory (quota_shm.c) and Redis (quota_redis.c), are reached only
 * through it.
 */


#ifndef _NGX_HTTP_FRESHDESK_QUOTA_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_QUOTA_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


/* the quota's directives, in the module's command table */
#define NGX_HTTP_FRESHDESK_QUOTA_COMMANDS                                    \
                                                                             \
    { ngx_string("freshdesk_quota_zone"),                                    \
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,                                     \
      ngx_http_freshdesk_quota_zone,                                         \
      NGX_HTTP_MAIN_CONF_OFFSET,                                             \
      0,                                                                     \
      NULL },                                                                \
                                                                             \
    { ngx_string("freshdesk_quota_redis"),                                   \
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,                                     \
      ngx_http_freshdesk_quota_redis,                                        \
      NGX_HTTP_MAIN_CONF_OFFSET,                                             \
      0,                                                                     \
      NULL },                                                                \
                                                                             \
    { ngx_string("freshdesk_quota"),                                         \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1, \
      ngx_http_freshdesk_quota,                                              \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      0,                                                                     \
      NULL },                                                                \
                                                                             \
    { ngx_string("freshdesk_quota_calls"),                                   \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1, \
      ngx_http_set_complex_value_slot,                                       \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      offsetof(ngx_http_freshdesk_loc_conf_t, calls_limit),                  \
      NULL },                                                                \
                                                                             \
    { ngx_string("freshdesk_quota_actions"),                                 \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1, \
      ngx_http_set_complex_value_slot,                                       \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      offsetof(ngx_http_freshdesk_loc_conf_t, actions_limit),                \
      NULL },                                                                \
                                                                             \
    { ngx_string("freshdesk_quota_dry_run"),                                 \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,  \
      ngx_conf_set_flag_slot,                                                \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      offsetof(ngx_http_freshdesk_loc_conf_t, quota_dry_run),                \
      NULL },                                                                \
                                                                             \
    { ngx_string("freshdesk_quota_log_level"),                               \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1, \
      ngx_conf_set_enum_slot,                                                \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      offsetof(ngx_http_freshdesk_loc_conf_t, quota_log_level),              \
      &ngx_http_freshdesk_quota_log_levels },                                \
                                                                             \
    { ngx_string("freshdesk_account_guard"),                                 \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE, \
      ngx_http_freshdesk_quota_guard_directive,                              \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      0,                                                                     \
      NULL },                                                                \
                                                                             \
    { ngx_string("freshdesk_account_guard_dry_run"),                         \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,  \
      ngx_conf_set_flag_slot,                                                \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      offsetof(ngx_http_freshdesk_loc_conf_t, guard_dry_run),                \
      NULL }


extern ngx_conf_enum_t  ngx_http_freshdesk_quota_log_levels[];


char *ngx_http_freshdesk_quota_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_quota_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_quota(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_quota_guard_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* every freshdesk_quota names a declared zone (quota_conf.c); the
 * header filter (quota.c) */
ngx_int_t ngx_http_freshdesk_quota_postconfiguration(ngx_conf_t *cf);
ngx_int_t ngx_http_freshdesk_quota_filter_init(ngx_conf_t *cf);

/* the zones of a cycle's configuration (NULL: no http block) */
ngx_array_t *ngx_http_freshdesk_quota_zones(ngx_cycle_t *cycle);

/*
 * A call: NGX_OK admitted; NGX_DECLINED refused (ctx->quota.text says
 * why); NGX_AGAIN Redis decides, the request waits (ctx->quota.busy) and
 * is posted again with the decision in ctx->quota.rc
 */
ngx_int_t ngx_http_freshdesk_quota_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);

/*
 * Read only: would a take refuse the call now (*refuse 0 or why)?  Then
 * quota_refuse() answers it.
 */
ngx_int_t ngx_http_freshdesk_quota_peek(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t *refuse);
ngx_int_t ngx_http_freshdesk_quota_refuse(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx, ngx_uint_t refuse);

/* a retry of an admitted call: one more action; NGX_DECLINED: none left;
 * NGX_AGAIN as above */
ngx_int_t ngx_http_freshdesk_quota_action(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);

/* after the upstream answer: refunds what the policy does not charge */
void ngx_http_freshdesk_quota_settle(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);

/* in the master: a state file the workers cannot write is reported */
ngx_int_t ngx_http_freshdesk_quota_init_module(ngx_cycle_t *cycle);
ngx_int_t ngx_http_freshdesk_quota_init_process(ngx_cycle_t *cycle);
void ngx_http_freshdesk_quota_exit_process(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_H_INCLUDED_ */
