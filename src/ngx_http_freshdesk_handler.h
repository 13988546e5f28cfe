
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_HANDLER_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_HANDLER_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


ngx_int_t ngx_http_freshdesk_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_FRESHDESK_HANDLER_H_INCLUDED_ */
