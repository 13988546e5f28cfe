
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * What the fuzz targets share: the catalog, checked once per process as
 * nginx checks it at configuration time.
 */


#ifndef _NGX_HTTP_FRESHDESK_FUZZ_COMMON_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_FUZZ_COMMON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_freshdesk_tools.h"


static void
fuzz_init_catalog(void)
{
    static ngx_uint_t  initialized;

    if (initialized) {
        return;
    }

    /* a catalog error aborts in the shim's ngx_conf_log_error() */

    if (ngx_http_freshdesk_tools_init((ngx_conf_t *) &initialized)
        != NGX_OK)
    {
        abort();
    }

    initialized = 1;
}


#endif /* _NGX_HTTP_FRESHDESK_FUZZ_COMMON_H_INCLUDED_ */
