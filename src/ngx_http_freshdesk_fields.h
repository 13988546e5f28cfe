
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_FIELDS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_FIELDS_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_json.h"


/* the most names a "fields" argument may hold, and their total length */
#define NGX_HTTP_FRESHDESK_FIELDS_MAX      64
#define NGX_HTTP_FRESHDESK_FIELDS_MAX_LEN  1024


void *ngx_http_freshdesk_fields_create_conf(ngx_conf_t *cf);
char *ngx_http_freshdesk_fields_merge_conf(ngx_conf_t *cf, void *parent,
    void *child);
char *ngx_http_freshdesk_fields_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_fields_default(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

ngx_uint_t ngx_http_freshdesk_fields_has(const ngx_http_freshdesk_tool_t *t);
json_t *ngx_http_freshdesk_fields_schema(const ngx_http_freshdesk_tool_t *t);
ngx_int_t ngx_http_freshdesk_fields_check(ngx_pool_t *pool,
    const ngx_http_freshdesk_tool_t *t, json_t *v, ngx_str_t *canon,
    ngx_str_t *error);
ngx_int_t ngx_http_freshdesk_fields_select(ngx_http_request_t *r,
    const ngx_http_freshdesk_tool_t *t, ngx_str_t *fields,
    ngx_http_freshdesk_select_t **sel);


#endif /* _NGX_HTTP_FRESHDESK_FIELDS_H_INCLUDED_ */
