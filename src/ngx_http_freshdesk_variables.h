
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_VARIABLES_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_VARIABLES_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


ngx_int_t ngx_http_freshdesk_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_freshdesk_add_variable_table(ngx_conf_t *cf,
    ngx_http_variable_t *vars);


#endif /* _NGX_HTTP_FRESHDESK_VARIABLES_H_INCLUDED_ */
