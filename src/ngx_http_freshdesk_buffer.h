
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_BUFFER_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_BUFFER_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"


u_char *ngx_http_freshdesk_buffer(ngx_http_request_t *r, size_t size);
void ngx_http_freshdesk_buffers_free(ngx_http_freshdesk_buffers_t *cache);


#endif /* _NGX_HTTP_FRESHDESK_BUFFER_H_INCLUDED_ */
