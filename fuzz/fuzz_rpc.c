
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


/*
 * Field selection (json_scan.c's selecting pass) on arbitrary text: the
 * same verdict as the validator; the selected text is valid JSON and its
 * escaped form is exactly its escape; the pass that escapes as it selects
 * gives the same selection, and exactly that escape (the list member's
 * escaped span: its value's escape, where the escaper puts it); the list
 * member's span lies in the selected text;
 * and where jansson reads the text (no duplicates, no escapes in it) the
 * selected text is jansson's value with the records' other members
 * removed.  The selection: id, a (whole), b.x, b.c.y (nested twice), and
 * names of 16 and 19 bytes (compared by words, and byte by byte), and
 * q\" (a name with a backslash: escaped as it is scanned again).
 */

static void
fuzz_select_add(ngx_http_freshdesk_select_t *sel, const char *name,
    ngx_http_freshdesk_select_t *sub)
{
    size_t                             len;
    ngx_uint_t                         h;
    ngx_http_freshdesk_select_name_t  *e;

    len = strlen(name);
    h = ngx_http_freshdesk_select_hash((u_char *) name, len);

    e = &sel->names[sel->n++];
    ngx_http_freshdesk_select_set(e, (u_char *) name, len);
    e->sub = sub;
    e->next = sel->head[h];
    sel->head[h] = (u_char) sel->n;
}


static void
fuzz_select_apply(json_t *v, ngx_http_freshdesk_select_t *sel)
{
    void                              *tmp;
    json_t                            *m;
    ngx_uint_t                         i;
    const char                        *key;
    ngx_http_freshdesk_select_name_t  *e;

    if (!json_is_object(v)) {
        return;
    }

    json_object_foreach_safe(v, tmp, key, m) {
        e = NULL;

        for (i = 0; i < sel->n; i++) {
            if (strlen(key) == sel->names[i].len
                && memcmp(key, sel->names[i].name, sel->names[i].len) == 0)
            {
                e = &sel->names[i];
            }
        }

        if (e == NULL) {
            json_object_del(v, key);

        } else if (e->sub) {
            fuzz_select_apply(m, e->sub);
        }
    }
}


static void
check_select(const uint8_t *data, size_t size)
{
    u_char                            *esc, *raw, *back, *fesc, *fraw;
    size_t                             elen, rlen, i, flen, frlen;
    json_t                            *ref, *got, *list, *m;
    ngx_int_t                          rc, rc0;
    ngx_uint_t                         n, k, cnt, cnt0, fcnt;
    json_error_t                       jerr;
    ngx_http_freshdesk_select_t        root, bsel, csel;
    ngx_http_freshdesk_select_name_t   rn[8], bn[4], cn[4];
    ngx_http_freshdesk_json_member_t   mem[1], mem0[1], fmem[1];

    ngx_memzero(&root, sizeof(root));
    ngx_memzero(&bsel, sizeof(bsel));
    ngx_memzero(&csel, sizeof(csel));
    root.names = rn;
    bsel.names = bn;
    csel.names = cn;

    fuzz_select_add(&csel, "y", NULL);
    fuzz_select_add(&bsel, "x", NULL);
    fuzz_select_add(&bsel, "c", &csel);
    fuzz_select_add(&root, "id", NULL);
    fuzz_select_add(&root, "a", NULL);
    fuzz_select_add(&root, "b", &bsel);
    fuzz_select_add(&root, "abcdefghijklmnop", NULL);
    fuzz_select_add(&root, "abcdefghijklmnopqrs", NULL);
    fuzz_select_add(&root, "q\\\"", NULL);

    esc = malloc(NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(size));
    raw = malloc(size + 1);
    back = malloc(NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(size));
    fesc = malloc(NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(size));
    fraw = malloc(size + 1);
    if (esc == NULL || raw == NULL || back == NULL || fesc == NULL
        || fraw == NULL)
    {
        abort();
    }

    for (n = 0; n < 2; n++) {
        mem[0].name = "results";

        mem0[0].name = "results";

        rc0 = ngx_http_freshdesk_json_validate((u_char *) data, size, 4096,
                                               mem0, n, NULL);
        rc = ngx_http_freshdesk_json_select((u_char *) data, size, 4096,
                                            mem, n, NULL, &root, raw, &rlen,
                                            &cnt);
        if (rc != rc0) {
            abort();
        }

        fmem[0].name = "results";

        if (ngx_http_freshdesk_json_select_escape((u_char *) data, size,
                                                  4096, fmem, n, NULL, &root,
                                                  fraw, &frlen, &fcnt, fesc,
                                                  &flen)
            != rc)
        {
            abort();
        }

        /* selecting drops members, never records: the same count */

        if (rc == NGX_OK
            && (ngx_http_freshdesk_json_validate_count((u_char *) data, size,
                                                       4096, NULL, 0, NULL,
                                                       &cnt0)
                != NGX_OK
                || cnt != cnt0))
        {
            abort();
        }

        if (rc != NGX_OK) {
            break;
        }

        if (rlen > size
            || ngx_http_freshdesk_json_validate(raw, rlen, 4096, NULL, 0,
                                                NULL)
               != NGX_OK)
        {
            abort();
        }

        /* selected and escaped in one pass: the same selection, and the
         * escaper's escape of it */

        if (frlen != rlen || ngx_memcmp(fraw, raw, rlen) != 0 || fcnt != cnt
            || ngx_http_freshdesk_json_escape_len(raw, rlen) != flen
            || ngx_memcmp(ngx_http_freshdesk_json_escape(back, raw, rlen)
                          - flen, fesc, flen)
               != 0)
        {
            abort();
        }

        if (n
            && (mem[0].escaped.data != NULL
                || (mem[0].value.data == NULL) != (fmem[0].value.data == NULL)
                || (fmem[0].value.data == NULL)
                   != (fmem[0].escaped.data == NULL)
                || fmem[0].value.len != mem[0].value.len
                || fmem[0].elements != mem[0].elements
                || (mem[0].value.data
                    && (fmem[0].value.data - fraw != mem[0].value.data - raw
                        || fmem[0].escaped.data
                           != fesc + ngx_http_freshdesk_json_escape_len(raw,
                                         mem[0].value.data - raw)
                        || fmem[0].escaped.len
                           != ngx_http_freshdesk_json_escape_len(
                                  mem[0].value.data, mem[0].value.len)))))
        {
            abort();
        }

        /* the selected text escaped in one pass: as the escaper has it */

        if (ngx_http_freshdesk_json_validate_escape(raw, rlen, 4096, NULL, 0,
                                                    NULL, esc, &elen)
            != NGX_OK
            || ngx_http_freshdesk_json_escape_len(raw, rlen) != elen
            || ngx_memcmp(ngx_http_freshdesk_json_escape(back, raw, rlen)
                          - elen, esc, elen)
               != 0)
        {
            abort();
        }

        if (n && mem[0].value.data
            && (mem[0].value.data < raw
                || mem[0].value.data + mem[0].value.len > raw + rlen
                || ngx_http_freshdesk_json_validate(mem[0].value.data,
                                                    mem[0].value.len, 4096,
                                                    NULL, 0, NULL)
                   != NGX_OK))
        {
            abort();
        }

        if (memchr(data, '\\', size) != NULL) {
            continue;
        }

        ref = json_loadb((const char *) data, size,
                         JSON_DECODE_ANY|JSON_REJECT_DUPLICATES, &jerr);
        if (ref == NULL) {
            continue;
        }

        if (json_is_array(ref)) {
            json_array_foreach(ref, i, m) {
                fuzz_select_apply(m, &root);
            }

        } else if (json_is_object(ref) && n == 0) {
            fuzz_select_apply(ref, &root);

        } else if (json_is_object(ref)) {
            list = json_object_get(ref, "results");

            if (json_is_array(list)) {
                json_array_foreach(list, k, m) {
                    fuzz_select_apply(m, &root);
                }
            }
        }

        got = json_loadb((const char *) raw, rlen, JSON_DECODE_ANY, &jerr);

        if (got == NULL || !json_equal(ref, got)) {
            abort();
        }

        json_decref(ref);
        json_decref(got);
    }

    free(esc);
    free(raw);
    free(back);
    free(fesc);
    free(fraw);
}


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
                && (rpc.cursor != slow.cursor
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
                                      rpc.protocol_version.len) != 0)
                    /* the 2026-07-28 envelope: params._meta */
                    || rpc.meta != slow.meta
                    || rpc.meta_capabilities != slow.meta_capabilities
                    || rpc.meta_version.len != slow.meta_version.len
                    || (rpc.meta_version.len
                        && ngx_memcmp(rpc.meta_version.data,
                                      slow.meta_version.data,
                                      rpc.meta_version.len) != 0)))
            {
                abort();
            }
        }
    }

    /*
     * the id found in a prefix of the body, before the rest has arrived
     * (a 2026 tools/call refused early), is the one the whole body gives,
     * and lies in that prefix
     */

    {
        size_t      cut[3];
        json_t     *whole;
        ngx_str_t   pid;
        ngx_uint_t  i, valid;

        whole = json_loadb((const char *) data, size,
                           JSON_DECODE_ANY|JSON_REJECT_DUPLICATES, &err);
        valid = (whole != NULL && rpc.code == 0);
        json_decref(whole);

        cut[0] = size;
        cut[1] = size / 2;
        cut[2] = size ? data[size - 1] % size : 0;

        for (i = 0; i < 3; i++) {
            if (ngx_http_freshdesk_rpc_prefix_id((u_char *) data,
                                                 (u_char *) data + cut[i],
                                                 &pid)
                != NGX_OK)
            {
                continue;
            }

            if (pid.len == 0 || pid.data < (u_char *) data
                || pid.data + pid.len > (u_char *) data + cut[i])
            {
                abort();
            }

            if (valid
                && (pid.len != rpc.id.len
                    || ngx_memcmp(pid.data, rpc.id.data, pid.len) != 0))
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

    if (rpc.code == 0 && rpc.method.len == 10
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

        /* the counting scan: the sizes of the arrays jansson sees */

        {
            u_char                            ct;
            json_t                           *a;
            ngx_uint_t                        cnt;
            ngx_http_freshdesk_json_member_t  mc[1];

            mc[0].name = "items";

            if (ngx_http_freshdesk_json_validate_count((u_char *) data, size,
                                                       4096, mc, 1, &ct,
                                                       &cnt)
                == NGX_OK)
            {
                a = json_is_object(j) ? json_object_get(j, "items") : NULL;

                if (cnt != (json_is_array(j) ? json_array_size(j) : 0)
                    || (mc[0].value.data && json_is_array(a)
                        && mc[0].elements != json_array_size(a)))
                {
                    abort();
                }
            }
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
         * the escaping scan accepts what the validator accepts, finds the
         * same members, and writes what the escaper writes, with each
         * member's escaped span the escape of its raw span; its output has
         * exactly the room it asks for, in its own allocation, so that a
         * store past it is caught
         */

        {
            u_char                            top, top2, *out;
            size_t                            slen, room;
            ngx_int_t                         rc1, rc2;
            ngx_uint_t                        i;
            ngx_http_freshdesk_json_member_t  m[2], m2[2];

            m[0].name = "items";
            m[1].name = "results";
            m2[0].name = "items";
            m2[1].name = "results";

            room = NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(size);
            out = malloc(room);
            if (out == NULL) {
                abort();
            }

            top = 0;
            top2 = 0;

            rc1 = ngx_http_freshdesk_json_validate((u_char *) data, size,
                                                   4096, m, 2, &top);
            rc2 = ngx_http_freshdesk_json_validate_escape((u_char *) data,
                                                   size, 4096, m2, 2, &top2,
                                                   out, &slen);

            if (rc1 != rc2 || (rc1 == NGX_OK && top != top2)) {
                abort();
            }

            if (rc1 == NGX_OK) {
                if (slen != elen || ngx_memcmp(out, q + 1, elen) != 0) {
                    abort();
                }

                for (i = 0; i < 2; i++) {
                    if (m[i].value.data != m2[i].value.data
                        || m[i].value.len != m2[i].value.len
                        || m[i].escaped.data != NULL)
                    {
                        abort();
                    }

                    if (m2[i].value.data == NULL) {
                        continue;
                    }

                    /* a member's span is one value, named as asked */

                    {
                        u_char  *k;

                        k = m2[i].value.data;

                        while (k > (u_char *) data && k[-1] != '"') {
                            k--;
                        }

                        if (ngx_http_freshdesk_json_validate(
                                m2[i].value.data, m2[i].value.len, 4096,
                                NULL, 0, NULL)
                            != NGX_OK
                            || (size_t) (k - (u_char *) data)
                               < ngx_strlen(m2[i].name) + 1
                            || ngx_memcmp(k - 1 - ngx_strlen(m2[i].name),
                                          m2[i].name,
                                          ngx_strlen(m2[i].name))
                               != 0)
                        {
                            abort();
                        }
                    }

                    /* where the raw span starts and ends, escaped */

                    if (m2[i].escaped.data
                        != out + ngx_http_freshdesk_json_escape_len(
                                     (u_char *) data,
                                     m2[i].value.data - (u_char *) data)
                        || m2[i].escaped.len
                           != ngx_http_freshdesk_json_escape_len(
                                  m2[i].value.data, m2[i].value.len))
                    {
                        abort();
                    }
                }
            }

            /*
             * the SSE2 paths (strings skipped 16 bytes at a time, escapes
             * 64) see every byte at another offset of a vector when the
             * text comes after 1-63 blanks: the same verdict, and the
             * same escaped text after the blanks
             */

            {
                u_char                            *in, *out2;
                size_t                             shift, slen2;
                ngx_int_t                          rc3;
                ngx_http_freshdesk_json_member_t   m3[2];

                m3[0].name = "items";
                m3[1].name = "results";

                shift = 1 + (size ? data[size - 1] : 0) % 63;

                in = malloc(shift + size);
                out2 = malloc(NGX_HTTP_FRESHDESK_JSON_ESCAPE_ROOM(shift
                                                                  + size));
                if (in == NULL || out2 == NULL) {
                    abort();
                }

                memset(in, ' ', shift);
                memcpy(in + shift, data, size);

                rc3 = ngx_http_freshdesk_json_validate_escape(in,
                          shift + size, 4096, m3, 2, NULL, out2, &slen2);

                if (rc3 != rc2
                    || (rc2 == NGX_OK
                        && (slen2 != shift + slen
                            || memcmp(out2, in, shift) != 0
                            || memcmp(out2 + shift, out, slen) != 0)))
                {
                    abort();
                }

                for (i = 0; rc2 == NGX_OK && i < 2; i++) {
                    if (m3[i].value.len != m2[i].value.len
                        || m3[i].escaped.len != m2[i].escaped.len
                        || (m2[i].value.data
                            && (m3[i].value.data - in
                                != m2[i].value.data - data + (ptrdiff_t) shift
                                || m3[i].escaped.data - out2
                                   != m2[i].escaped.data - out
                                      + (ptrdiff_t) shift)))
                    {
                        abort();
                    }
                }

                free(in);
                free(out2);
            }

            free(out);
        }

        if (back && (json_string_length(back) != size
                     || memcmp(json_string_value(back), data, size) != 0))
        {
            abort();
        }

        json_decref(back);
    }

    check_select(data, size);

    ngx_destroy_pool(pool);

    return 0;
}
