
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * ngx_http_freshdesk_module: an MCP (Model Context Protocol) gateway for
 * the Freshdesk v2 REST API.  This file holds the module object, the
 * directives and the configuration; the request path lives in src/.
 */


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_handler.h"
#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_subrequest.h"
#include "ngx_http_freshdesk_buffer.h"
#include "ngx_http_freshdesk_variables.h"
#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_status.h"
#include "ngx_http_freshdesk_metrics.h"
#include "ngx_http_freshdesk_oauth.h"
#include "ngx_http_freshdesk_fields.h"

#include <openssl/rand.h>
#include <openssl/sha.h>


static ngx_int_t ngx_http_freshdesk_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_freshdesk_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_freshdesk_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_freshdesk_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_freshdesk_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_freshdesk_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_freshdesk_mcp(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_freshdesk_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_freshdesk_allow_origin(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_freshdesk_upstream_location(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_freshdesk_retry(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_freshdesk_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_freshdesk_init_process(ngx_cycle_t *cycle);
static void ngx_http_freshdesk_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_freshdesk_results[] = {
    { ngx_string("both"), NGX_HTTP_FRESHDESK_RESULT_BOTH },
    { ngx_string("structured"), NGX_HTTP_FRESHDESK_RESULT_STRUCTURED },
    { ngx_string("text"), NGX_HTTP_FRESHDESK_RESULT_TEXT },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_freshdesk_commands[] = {

    { ngx_string("freshdesk_mcp"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_freshdesk_mcp,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("freshdesk_tenant"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, tenant),
      NULL },

    { ngx_string("freshdesk_api_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, api_key),
      NULL },

    { ngx_string("freshdesk_upstream"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_freshdesk_upstream_location,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, upstream),
      NULL },

    { ngx_string("freshdesk_allow_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF
      |NGX_CONF_1MORE,
      ngx_http_freshdesk_allow_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("freshdesk_max_body_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, max_body),
      NULL },

    { ngx_string("freshdesk_max_response_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, max_response),
      NULL },

    { ngx_string("freshdesk_fields"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_freshdesk_fields_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("freshdesk_fields_default"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_freshdesk_fields_default,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("freshdesk_request_writes"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, request_writes),
      NULL },

    { ngx_string("freshdesk_realm"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, realm),
      NULL },

    { ngx_string("freshdesk_tools"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, tools),
      NULL },

    { ngx_string("freshdesk_result"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_loc_conf_t, result),
      &ngx_http_freshdesk_results },

    { ngx_string("freshdesk_cursor_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_main_conf_t, cursor_key_conf),
      NULL },

    { ngx_string("freshdesk_cursor_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_main_conf_t, cursor_ttl),
      NULL },

    { ngx_string("freshdesk_buffer_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_freshdesk_main_conf_t, buffers.max),
      NULL },

    NGX_HTTP_FRESHDESK_QUOTA_COMMANDS,

    NGX_HTTP_FRESHDESK_OAUTH_COMMANDS,

    { ngx_string("freshdesk_retry"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_freshdesk_retry,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("freshdesk_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_freshdesk_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_freshdesk_module_ctx = {
    ngx_http_freshdesk_preconfiguration,   /* preconfiguration */
    ngx_http_freshdesk_postconfiguration,  /* postconfiguration */

    ngx_http_freshdesk_create_main_conf,   /* create main configuration */
    ngx_http_freshdesk_init_main_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_freshdesk_create_loc_conf,    /* create location configuration */
    ngx_http_freshdesk_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_freshdesk_module = {
    NGX_MODULE_V1,
    &ngx_http_freshdesk_module_ctx,        /* module context */
    ngx_http_freshdesk_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_freshdesk_init_module,        /* init module */
    ngx_http_freshdesk_init_process,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_freshdesk_exit_process,       /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_freshdesk_preconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_freshdesk_oauth_add_variables(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_freshdesk_add_variables(cf);
}


static ngx_int_t
ngx_http_freshdesk_postconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_freshdesk_tools_init(cf) != NGX_OK
        || ngx_http_freshdesk_metrics_init(cf) != NGX_OK
        || ngx_http_freshdesk_quota_postconfiguration(cf) != NGX_OK
        || ngx_http_freshdesk_oauth_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_freshdesk_capture_init(cf);
}


static void *
ngx_http_freshdesk_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_freshdesk_main_conf_t  *fmcf;

    fmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_main_conf_t));
    if (fmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     fmcf->cursor_key = { 0 };
     *     fmcf->cursor_key_conf = { 0, NULL };
     *     fmcf->buffers.kept = 0;
     *     fmcf->buffers.free = NULL;
     */

    fmcf->cursor_ttl = NGX_CONF_UNSET_MSEC;
    fmcf->buffers.max = NGX_CONF_UNSET_SIZE;

    if (ngx_array_init(&fmcf->zones, cf->pool, 2, sizeof(void *)) != NGX_OK) {
        return NULL;
    }

    return fmcf;
}


static char *
ngx_http_freshdesk_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_freshdesk_main_conf_t  *fmcf = conf;

    ngx_conf_init_msec_value(fmcf->cursor_ttl, 3600 * 1000);
    ngx_conf_init_size_value(fmcf->buffers.max, 16 * 1024 * 1024);

    if (fmcf->cursor_key_conf.len) {
        if (fmcf->cursor_key_conf.len < 16) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"freshdesk_cursor_key\" must be at least "
                               "16 characters long");
            return NGX_CONF_ERROR;
        }

        /* any length of secret becomes a 256-bit HMAC key */
        SHA256(fmcf->cursor_key_conf.data, fmcf->cursor_key_conf.len,
               fmcf->cursor_key);

        return NGX_CONF_OK;
    }

    /*
     * No key configured: a random one, drawn once at configuration load in
     * the master, so every worker of this configuration shares it.  Cursors
     * then stop working at the next reload or restart.
     */

    if (RAND_bytes(fmcf->cursor_key, sizeof(fmcf->cursor_key)) != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "freshdesk: RAND_bytes() failed");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_freshdesk_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_loc_conf_t));
    if (flcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     flcf->upstream = { 0, NULL };
     *     flcf->realm = { 0, NULL };
     */

    flcf->mcp = NGX_CONF_UNSET;
    flcf->tenant = NGX_CONF_UNSET_PTR;
    flcf->api_key = NGX_CONF_UNSET_PTR;
    flcf->origins = NGX_CONF_UNSET_PTR;
    flcf->max_body = NGX_CONF_UNSET_SIZE;
    flcf->max_response = NGX_CONF_UNSET_SIZE;
    flcf->request_writes = NGX_CONF_UNSET;
    flcf->tools = NGX_CONF_UNSET_PTR;
    flcf->quota = NGX_CONF_UNSET_PTR;
    flcf->quota_dry_run = NGX_CONF_UNSET;
    flcf->guard = NGX_CONF_UNSET_PTR;
    flcf->guard_dry_run = NGX_CONF_UNSET;
    flcf->calls_limit = NGX_CONF_UNSET_PTR;
    flcf->actions_limit = NGX_CONF_UNSET_PTR;
    flcf->quota_log_level = NGX_CONF_UNSET_UINT;
    flcf->retry_tries = NGX_CONF_UNSET_UINT;
    flcf->retry_wait = NGX_CONF_UNSET_MSEC;
    flcf->retry_deadline = NGX_CONF_UNSET_MSEC;
    flcf->result = NGX_CONF_UNSET_UINT;

    flcf->oauth = ngx_http_freshdesk_oauth_create_conf(cf);
    if (flcf->oauth == NULL) {
        return NULL;
    }

    flcf->fields = ngx_http_freshdesk_fields_create_conf(cf);
    if (flcf->fields == NULL) {
        return NULL;
    }

    return flcf;
}


static char *
ngx_http_freshdesk_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_freshdesk_loc_conf_t  *prev = parent;
    ngx_http_freshdesk_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->mcp, prev->mcp, 0);
    ngx_conf_merge_ptr_value(conf->tenant, prev->tenant, NULL);
    ngx_conf_merge_ptr_value(conf->api_key, prev->api_key, NULL);
    ngx_conf_merge_str_value(conf->upstream, prev->upstream, "/_freshdesk");
    ngx_conf_merge_ptr_value(conf->origins, prev->origins, NULL);
    ngx_conf_merge_size_value(conf->max_body, prev->max_body, 1024 * 1024);
    ngx_conf_merge_size_value(conf->max_response, prev->max_response,
                              8 * 1024 * 1024);
    ngx_conf_merge_value(conf->request_writes, prev->request_writes, 0);
    ngx_conf_merge_str_value(conf->realm, prev->realm, "mcp");
    ngx_conf_merge_ptr_value(conf->tools, prev->tools, NULL);
    ngx_conf_merge_ptr_value(conf->quota, prev->quota, NULL);
    ngx_conf_merge_value(conf->quota_dry_run, prev->quota_dry_run, 0);
    ngx_conf_merge_ptr_value(conf->guard, prev->guard, NULL);
    ngx_conf_merge_value(conf->guard_dry_run, prev->guard_dry_run, 0);
    ngx_conf_merge_ptr_value(conf->calls_limit, prev->calls_limit, NULL);
    ngx_conf_merge_ptr_value(conf->actions_limit, prev->actions_limit, NULL);
    ngx_conf_merge_uint_value(conf->quota_log_level, prev->quota_log_level,
                              NGX_LOG_WARN);
    ngx_conf_merge_uint_value(conf->result, prev->result,
                              NGX_HTTP_FRESHDESK_RESULT_BOTH);

    if (conf->retry_tries == NGX_CONF_UNSET_UINT) {
        conf->retry_tries = prev->retry_tries;
        conf->retry_wait = prev->retry_wait;
        conf->retry_deadline = prev->retry_deadline;
    }

    ngx_conf_merge_uint_value(conf->retry_tries, prev->retry_tries, 1);
    ngx_conf_merge_msec_value(conf->retry_wait, prev->retry_wait, 0);
    ngx_conf_merge_msec_value(conf->retry_deadline, prev->retry_deadline, 0);

    if (ngx_http_freshdesk_oauth_merge_conf(cf, prev->oauth, conf->oauth)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_freshdesk_fields_merge_conf(cf, prev->fields, conf->fields)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->mcp && conf->tenant == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_mcp\" needs \"freshdesk_tenant\"");
        return NGX_CONF_ERROR;
    }

    if (conf->mcp && conf->guard && conf->quota == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_account_guard\" keeps the account's "
                           "budget in a quota zone: it needs "
                           "\"freshdesk_quota\"");
        return NGX_CONF_ERROR;
    }

    if (conf->mcp && conf->api_key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_mcp\" needs \"freshdesk_api_key\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_freshdesk_mcp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_freshdesk_loc_conf_t *flcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (flcf->mcp != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    flcf->mcp = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_freshdesk_handler;

    return NGX_CONF_OK;
}


/*
 * freshdesk_retry off | tries=N [wait=time] [deadline=time]: tries of a
 * read in all (2..10), the longest Retry-After waited for (default 5s),
 * and the time after which no try starts (default 15s)
 */

static char *
ngx_http_freshdesk_retry(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_freshdesk_loc_conf_t *flcf = conf;

    ngx_int_t    n;
    ngx_str_t   *value, s;
    ngx_msec_t   t;
    ngx_uint_t   i;

    if (flcf->retry_tries != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    flcf->retry_tries = 1;
    flcf->retry_wait = 5000;
    flcf->retry_deadline = 15000;

    if (cf->args->nelts == 2
        && ngx_strcmp(value[1].data, "off") == 0)
    {
        return NGX_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "tries=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);

            if (n < 2 || n > 10) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"tries\" must be from 2 to 10 in "
                                   "\"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            flcf->retry_tries = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "wait=", 5) == 0
            || ngx_strncmp(value[i].data, "deadline=", 9) == 0)
        {
            s.data = (u_char *) ngx_strchr(value[i].data, '=') + 1;
            s.len = value[i].data + value[i].len - s.data;

            t = ngx_parse_time(&s, 0);

            if (t == (ngx_msec_t) NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid time in \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (value[i].data[0] == 'w') {
                flcf->retry_wait = t;

            } else {
                flcf->retry_deadline = t;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (flcf->retry_tries < 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_retry\" needs \"off\" or "
                           "\"tries=\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_freshdesk_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_freshdesk_status_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_freshdesk_allow_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_loc_conf_t *flcf = conf;

    ngx_str_t   *value, *o;
    ngx_uint_t   i;

    if (flcf->origins != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    flcf->origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(ngx_str_t));
    if (flcf->origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "*") != 0
            && ngx_strncmp(value[i].data, "http://", 7) != 0
            && ngx_strncmp(value[i].data, "https://", 8) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\": expected "
                               "\"scheme://host[:port]\" or \"*\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        if (value[i].data[value[i].len - 1] == '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\": an origin has no "
                               "trailing slash", &value[i]);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(flcf->origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_freshdesk_upstream_location(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    if (value[1].len < 2 || value[1].data[0] != '/'
        || value[1].data[value[1].len - 1] == '/')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_upstream\" must be a location "
                           "prefix such as \"/_freshdesk\" (leading slash, "
                           "no trailing slash), not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    return ngx_conf_set_str_slot(cf, cmd, conf);
}


static ngx_int_t
ngx_http_freshdesk_init_module(ngx_cycle_t *cycle)
{
    return ngx_http_freshdesk_quota_init_module(cycle);
}


static ngx_int_t
ngx_http_freshdesk_init_process(ngx_cycle_t *cycle)
{
    return ngx_http_freshdesk_quota_init_process(cycle);
}


static void
ngx_http_freshdesk_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_freshdesk_main_conf_t  *fmcf;

    ngx_http_freshdesk_quota_exit_process(cycle);

    fmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_freshdesk_module);
    if (fmcf) {
        ngx_http_freshdesk_buffers_free(&fmcf->buffers);
    }
}
