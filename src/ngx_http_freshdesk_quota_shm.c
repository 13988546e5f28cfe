
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Per-tenant quotas in a shared memory zone (work in progress: the
 * foundation admits every call when no zone is configured).
 */


#include "ngx_http_freshdesk_quota.h"


char *
ngx_http_freshdesk_quota_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return "is not supported yet";
}


char *
ngx_http_freshdesk_quota(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return "is not supported yet";
}


ngx_int_t
ngx_http_freshdesk_quota_take(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
    return NGX_OK;
}


void
ngx_http_freshdesk_quota_settle(ngx_http_request_t *r,
    ngx_http_freshdesk_ctx_t *ctx)
{
}


ngx_int_t
ngx_http_freshdesk_quota_headers(ngx_http_request_t *r)
{
    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_quota_init_process(ngx_cycle_t *cycle)
{
    return NGX_OK;
}


void
ngx_http_freshdesk_quota_exit_process(ngx_cycle_t *cycle)
{
}
