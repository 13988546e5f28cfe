
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_ARGS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_ARGS_H_INCLUDED_


#include "ngx_http_freshdesk_tools.h"


/*
 * One tools/call as argument validation (ngx_http_freshdesk_args.c) and
 * request building (ngx_http_freshdesk_build.c) both see it; a failure's
 * message goes to *error.
 */

typedef struct {
    ngx_pool_t                        *pool;
    const ngx_http_freshdesk_tool_t   *tool;
    json_t                            *arguments;
    ngx_str_t                         *error;
} ngx_http_freshdesk_build_t;


ngx_int_t ngx_http_freshdesk_tool_validate(ngx_http_freshdesk_build_t *b);
ngx_int_t ngx_http_freshdesk_fail(ngx_http_freshdesk_build_t *b,
    const char *name, const char *expect, json_t *v);


#endif /* _NGX_HTTP_FRESHDESK_ARGS_H_INCLUDED_ */
