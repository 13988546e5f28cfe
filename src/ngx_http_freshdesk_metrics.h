
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_METRICS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_METRICS_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_quota_shm.h"


/* how a tools/call ended (ctx->outcome) */
#define FD_OUTCOME_NONE          0
#define FD_OUTCOME_OK            1
#define FD_OUTCOME_TOOL_ERROR    2     /* Freshdesk 4xx but 429 */
#define FD_OUTCOME_UPSTREAM_5XX  3
#define FD_OUTCOME_UPSTREAM_FAIL 4     /* timeout, connection, bad body */
#define FD_OUTCOME_UPSTREAM_429  5
#define FD_OUTCOME_QUOTA         6     /* refused by the quota */
#define FD_OUTCOME_INVALID       7     /* arguments or cursor refused */
#define FD_OUTCOME_UNKNOWN       8     /* unknown or hidden tool */
#define FD_OUTCOME_GATEWAY       9     /* no API key, out of memory */
#define FD_OUTCOMES              10

#define FD_METRICS_TOOLS         128   /* the catalog fits, checked */


ngx_int_t ngx_http_freshdesk_metrics_init(ngx_conf_t *cf);
u_char *ngx_http_freshdesk_metrics_prometheus(ngx_http_request_t *r,
    u_char *p);
u_char *ngx_http_freshdesk_metrics_json(ngx_http_request_t *r, u_char *p);
size_t ngx_http_freshdesk_metrics_size(void);
void ngx_http_freshdesk_metrics_save(ngx_http_freshdesk_quota_ctx_t *qctx,
    ngx_log_t *log);


#endif /* _NGX_HTTP_FRESHDESK_METRICS_H_INCLUDED_ */
