
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * freshdesk_status: per-tenant usage as JSON or Prometheus text (work in
 * progress).
 */


#include "ngx_http_freshdesk_status.h"


ngx_int_t
ngx_http_freshdesk_status_handler(ngx_http_request_t *r)
{
    return NGX_HTTP_NOT_FOUND;
}
