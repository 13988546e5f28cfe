
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * libFuzzer target: arguments -> upstream request, for every tool.  The
 * first byte picks the tool, the rest is the arguments object.  Whatever
 * is accepted must give a clean path, a clean query and a valid JSON body.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_freshdesk_json.h"
#include "ngx_http_freshdesk_tools.h"
#include "fuzz_common.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                            i;
    json_t                           *args;
    ngx_int_t                         rc;
    ngx_str_t                         msg;
    ngx_pool_t                       *pool;
    json_error_t                      err;
    ngx_http_freshdesk_request_t      req;
    const ngx_http_freshdesk_tool_t  *t;

    fuzz_init_catalog();

    if (size < 1) {
        return 0;
    }

    t = ngx_http_freshdesk_tool_at(data[0]
                                   % ngx_http_freshdesk_tools_count());

    args = json_loadb((const char *) data + 1, size - 1, 0, &err);
    if (!json_is_object(args)) {
        json_decref(args);
        return 0;
    }

    pool = ngx_create_pool(4096, NULL);

    rc = ngx_http_freshdesk_tool_build(pool, t, args, data[0] & 0x80, &req);

    if (rc == NGX_OK) {
        if (req.path.len == 0 || req.path.data[0] != '/') {
            abort();
        }

        for (i = 0; i < req.path.len; i++) {
            if (req.path.data[i] <= 0x20 || req.path.data[i] >= 0x7f
                || req.path.data[i] == '?' || req.path.data[i] == '#'
                || req.path.data[i] == '%' || req.path.data[i] == '\\'
                || (req.path.data[i] == '.' && i
                    && (req.path.data[i - 1] == '.'
                        || req.path.data[i - 1] == '/')))
            {
                abort();
            }
        }

        for (i = 0; i < req.args.len; i++) {
            if (req.args.data[i] <= 0x20 || req.args.data[i] >= 0x7f
                || req.args.data[i] == '#')
            {
                abort();
            }
        }

        if (req.body.len
            && ngx_http_freshdesk_json_validate(req.body.data, req.body.len,
                                                512, NULL, 0, NULL)
               != NGX_OK)
        {
            abort();
        }

        if (ngx_http_freshdesk_tool_done(pool, t, args, &msg) != NGX_OK) {
            abort();
        }

    } else if (rc != NGX_DECLINED || req.error.len == 0) {
        abort();
    }

    json_decref(args);
    ngx_destroy_pool(pool);

    return 0;
}
