
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The quota interface.  The MCP code only calls these; the shared-memory
 * store behind them (ngx_http_freshdesk_quota_shm.c) can be joined by
 * another backend (Redis, for several nginx nodes) without touching it.
 */


#ifndef _NGX_HTTP_FRESHDESK_QUOTA_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_QUOTA_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


char *ngx_http_freshdesk_quota_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_quota(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * NGX_OK: admitted; NGX_DECLINED: refused (ctx->quota_text says why);
 * NGX_AGAIN: Redis decides, the request waits (ctx->waiting) and is woken
 * with the decision in ctx->quota_rc
 */
ngx_int_t ngx_http_freshdesk_quota_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx);

/*
 * Read only: would a take refuse the call now (*refuse 1: calls per
 * minute, 2: monthly actions, 0: no)?  Then quota_refuse() answers it.
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

/* RateLimit-Policy / RateLimit on a response */
ngx_int_t ngx_http_freshdesk_quota_headers(ngx_http_request_t *r);

ngx_int_t ngx_http_freshdesk_quota_init_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_freshdesk_quota_redis_init(ngx_cycle_t *cycle);
void ngx_http_freshdesk_quota_redis_exit(ngx_cycle_t *cycle);
char *ngx_http_freshdesk_quota_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_freshdesk_quota_exit_process(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_FRESHDESK_QUOTA_H_INCLUDED_ */
