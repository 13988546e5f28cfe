
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * libFuzzer target: a request body through the JSON-RPC envelope and, for
 * tools/call, the tool engine, as the MCP handler drives them; plus the
 * response builders.  Also a differential check of the upstream JSON
 * scanner against jansson: whatever jansson accepts, the scanner must.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_freshdesk_jsonrpc.h"
#include "ngx_http_freshdesk_json.h"
#include "ngx_http_freshdesk_tools.h"
#include "fuzz_common.h"


static void
check_request(ngx_http_freshdesk_request_t *req)
{
    size_t  i;

    /* nothing unsafe may reach a URL */

    for (i = 0; i < req->path.len; i++) {
        if (req->path.data[i] <= 0x20 || req->path.data[i] >= 0x7f
            || req->path.data[i] == '?' || req->path.data[i] == '#'
            || req->path.data[i] == '%' || req->path.data[i] == '\\')
        {
            abort();
        }

        if (req->path.data[i] == '.' && i && req->path.data[i - 1] == '.') {
            abort();
        }
    }

    if (req->path.len == 0 || req->path.data[0] != '/') {
        abort();
    }

    for (i = 0; i < req->args.len; i++) {
        if (req->args.data[i] <= 0x20 || req->args.data[i] >= 0x7f
            || req->args.data[i] == '#')
        {
            abort();
        }
    }

    if (req->body.len
        && ngx_http_freshdesk_json_validate(req->body.data, req->body.len,
                                            512, NULL, 0, NULL)
           != NGX_OK)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t                           *args, *j;
    ngx_str_t                         out, msg, id;
    ngx_int_t                         rc;
    ngx_pool_t                       *pool;
    json_error_t                      err;
    ngx_http_freshdesk_rpc_t          rpc;
    ngx_http_freshdesk_request_t      req;
    const ngx_http_freshdesk_tool_t  *t;

    fuzz_init_catalog();

    pool = ngx_create_pool(4096, NULL);

    ngx_http_freshdesk_rpc_parse(pool, (u_char *) data, size, &rpc);

    /*
     * the fast envelope path answers as the plain jansson one, but for
     * what only jansson refuses and nothing reads: duplicates of ignored
     * members, numbers too big for jansson in ignored places
     */

    {
        json_t                    *full;
        json_error_t               jerr;
        ngx_http_freshdesk_rpc_t   slow;

        ngx_http_freshdesk_rpc_parse_json(pool, (u_char *) data, size, &slow);

        full = json_loadb((const char *) data, size,
                          JSON_DECODE_ANY|JSON_REJECT_DUPLICATES, &jerr);
        json_decref(full);

        if (full != NULL || slow.code != NGX_HTTP_FRESHDESK_RPC_PARSE_ERROR
            || (strstr(jerr.text, "duplicate") == NULL
                && strstr(jerr.text, "overflow") == NULL
                && strstr(jerr.text, "too big") == NULL))
        {
            if (rpc.code != slow.code || rpc.status != slow.status
                || rpc.notification != slow.notification
                || rpc.response != slow.response)
            {
                abort();
            }

            if (rpc.code == 0
                && (rpc.method.len != slow.method.len
                    || (rpc.method.len
                        && ngx_memcmp(rpc.method.data, slow.method.data,
                                      rpc.method.len) != 0)))
            {
                abort();
            }

            if (rpc.id.len != slow.id.len
                || (rpc.id.len
                    && ngx_memcmp(rpc.id.data, slow.id.data, rpc.id.len)
                       != 0))
            {
                /* "-0" is 0 to jansson: the only allowed difference */
                if (!(rpc.id.len == 2 && rpc.id.data[0] == '-'
                      && rpc.id.data[1] == '0'))
                {
                    abort();
                }
            }

            if (rpc.code == 0
                && (rpc.params != slow.params
                    || rpc.cursor != slow.cursor
                    || rpc.name_string != slow.name_string
                    || rpc.version_string != slow.version_string
                    || (rpc.arguments == NULL) != (slow.arguments == NULL)
                    || (rpc.arguments
                        && !json_equal(rpc.arguments, slow.arguments))
                    || rpc.name.len != slow.name.len
                    || (rpc.name.len
                        && ngx_memcmp(rpc.name.data, slow.name.data,
                                      rpc.name.len) != 0)
                    || rpc.protocol_version.len != slow.protocol_version.len
                    || (rpc.protocol_version.len
                        && ngx_memcmp(rpc.protocol_version.data,
                                      slow.protocol_version.data,
                                      rpc.protocol_version.len) != 0)))
            {
                abort();
            }
        }
    }

    ngx_str_set(&msg, "fuzz \"message\"\n");
    id = rpc.id;

    if (ngx_http_freshdesk_rpc_error(pool, &id, -32602, &msg, &out) != NGX_OK
        || ngx_http_freshdesk_json_validate(out.data, out.len, 16, NULL, 0,
                                            NULL)
           != NGX_OK)
    {
        abort();
    }

    if (rpc.code == 0 && rpc.params && rpc.method.len == 10
        && ngx_strncmp(rpc.method.data, "tools/call", 10) == 0)
    {
        args = rpc.arguments;

        if (rpc.name_string && json_is_object(args)) {
            t = ngx_http_freshdesk_tool_find(rpc.name.data, rpc.name.len);
            if (t) {
                rc = ngx_http_freshdesk_tool_build(pool, t, args, 1, &req);

                if (rc == NGX_OK) {
                    check_request(&req);

                } else if (rc == NGX_DECLINED && req.error.len == 0) {
                    abort();
                }
            }
        }
    }

    /*
     * differential: jansson accepts => the scanner accepts (jansson stops
     * at a raw NUL byte, which is never valid JSON: those are skipped)
     */

    j = memchr(data, '\0', size) ? NULL
        : json_loadb((const char *) data, size,
                     JSON_DECODE_ANY|JSON_ALLOW_NUL, &err);

    if (j) {
        if (ngx_http_freshdesk_json_validate((u_char *) data, size, 4096,
                                             NULL, 0, NULL)
            != NGX_OK)
        {
            abort();
        }

        json_decref(j);

    } else if (memchr(data, '\0', size) == NULL
               && memmem(data, size, "\\u", 2) == NULL
               && strstr(err.text, "overflow") == NULL
               && strstr(err.text, "too big") == NULL
               && ngx_http_freshdesk_json_validate((u_char *) data, size,
                                                   1000, NULL, 0, NULL)
                  == NGX_OK)
    {
        /*
         * and the other way: what the scanner accepts, jansson accepts
         * (but for \u escapes -- jansson also refuses lone surrogates --
         * and numbers too big for a double or a 64-bit integer, which are
         * valid JSON that jansson cannot hold)
         */
        abort();
    }

    /* escaping: exact length, and decodes back to the input */

    {
        u_char  *q, *end;
        size_t   elen;
        json_t  *back;

        elen = ngx_http_freshdesk_json_escape_len((u_char *) data, size);
        q = ngx_pnalloc(pool, elen + 2);

        q[0] = '"';
        end = ngx_http_freshdesk_json_escape(q + 1, (u_char *) data, size);
        *end++ = '"';

        if ((size_t) (end - q) != elen + 2) {
            abort();
        }

        back = json_loadb((const char *) q, end - q,
                          JSON_DECODE_ANY|JSON_ALLOW_NUL, &err);

        if (back == NULL && memchr(data, '\0', size) == NULL
            && ngx_http_freshdesk_json_validate(q, end - q, 4, NULL, 0,
                                                NULL) == NGX_OK)
        {
            /* a string our scanner accepts but jansson does not */
            abort();
        }

        /*
         * the scanner's escaped length is the escaper's, and escaping in
         * pieces cut at the members gives the same text; the output has
         * exactly that room, so a store past it is caught
         */

        {
            u_char                            top, *end2;
            size_t                            slen;
            ngx_str_t                         pieces;
            ngx_http_freshdesk_json_member_t  m[2];

            m[0].name = "items";
            m[1].name = "results";

            if (ngx_http_freshdesk_json_validate_len((u_char *) data, size,
                                                     4096, m, 2, &top, &slen)
                == NGX_OK)
            {
                if (slen != elen) {
                    abort();
                }

                pieces.data = ngx_pnalloc(pool, slen);
                end2 = ngx_http_freshdesk_json_escape_members(pieces.data,
                                                       (u_char *) data,
                                                       size, m, 2);
                pieces.len = end2 - pieces.data;

                if (pieces.len != elen
                    || ngx_memcmp(pieces.data, q + 1, elen) != 0)
                {
                    abort();
                }

                /* a member's escaped span is the escape of its raw span */

                if (m[0].value.len
                    && m[0].escaped.len
                       != ngx_http_freshdesk_json_escape_len(m[0].value.data,
                                                             m[0].value.len))
                {
                    abort();
                }
            }
        }

        if (back && (json_string_length(back) != size
                     || memcmp(json_string_value(back), data, size) != 0))
        {
            abort();
        }

        json_decref(back);
    }

    ngx_destroy_pool(pool);

    return 0;
}
