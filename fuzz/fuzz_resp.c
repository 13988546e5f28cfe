
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * libFuzzer target for the RESP reader and writer (Redis replies, the
 * quota's Redis conversation):
 *
 * - replies are read one after another from arbitrary bytes, as a
 *   connection's buffer is: every reply ends inside the buffer and after
 *   where it started, every kept string lies inside the buffer, and the
 *   reader never fails on a prefix of a whole reply (a reply read in
 *   pieces is the same as read at once: the prefixes say NGX_AGAIN);
 * - commands written from the input's pieces read back as arrays of the
 *   same bulk strings.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_freshdesk_resp.h"


static void
check_strings(ngx_http_freshdesk_resp_value_t *v, u_char *start,
    u_char *last)
{
    if (v->str.len
        && (v->str.data < start || v->str.data + v->str.len > last))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                     *buf, *p, *last, *end, *e2, *w;
    size_t                      cut, len;
    ngx_int_t                   rc, rc2;
    ngx_str_t                   args[16];
    ngx_uint_t                  i, n;
    ngx_http_freshdesk_resp_t   reply, again;

    if (size > 16384) {
        return 0;
    }

    buf = malloc(size + 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);
    p = buf;
    last = buf + size;

    /* replies, one after another */

    while (p < last) {
        rc = ngx_http_freshdesk_resp_parse(p, last, &reply, &end);

        if (rc != NGX_OK) {
            if (rc != NGX_AGAIN && rc != NGX_ERROR) {
                abort();
            }

            break;
        }

        if (end <= p || end > last) {
            abort();
        }

        check_strings(&reply.value, p, end);

        for (i = 0; i < reply.nelts && i < NGX_HTTP_FRESHDESK_RESP_ELTS; i++) {
            check_strings(&reply.elts[i], p, end);
        }

        if (reply.value.type == '*' && reply.value.nil && reply.nelts) {
            abort();
        }

        /* the same reply, cut short at a few places: always "more" */

        for (cut = 0; cut < 4; cut++) {
            len = (size_t) (end - p);
            len = cut == 0 ? len - 1 : cut == 1 ? len / 2
                  : cut == 2 ? len / 3 : len * 2 / 3;

            if (len == 0 || len >= (size_t) (end - p)) {
                continue;
            }

            rc2 = ngx_http_freshdesk_resp_parse(p, p + len, &again, &e2);

            if (rc2 != NGX_AGAIN) {
                abort();
            }
        }

        /* and read again whole: the same end */

        if (ngx_http_freshdesk_resp_parse(p, end, &again, &e2) != NGX_OK
            || e2 != end || again.nelts != reply.nelts
            || again.value.type != reply.value.type)
        {
            abort();
        }

        p = end;
    }

    /* a command from the input's pieces, split at NUL bytes */

    n = 0;
    args[0].data = buf;

    for (i = 0; i < size && n < 15; i++) {
        if (buf[i] == '\0') {
            args[n].len = buf + i - args[n].data;
            n++;
            args[n].data = buf + i + 1;
        }
    }

    args[n].len = last - args[n].data;
    n++;

    len = ngx_http_freshdesk_resp_command_len(args, n);

    w = malloc(len);
    if (w == NULL) {
        free(buf);
        return 0;
    }

    end = ngx_http_freshdesk_resp_command(w, args, n);

    if ((size_t) (end - w) > len) {
        abort();
    }

    rc = ngx_http_freshdesk_resp_parse(w, end, &reply, &e2);

    if (rc != NGX_OK || e2 != end || reply.value.type != '*'
        || reply.nelts != n)
    {
        abort();
    }

    for (i = 0; i < n && i < NGX_HTTP_FRESHDESK_RESP_ELTS; i++) {
        if (reply.elts[i].type != '$'
            || reply.elts[i].str.len != args[i].len
            || memcmp(reply.elts[i].str.data, args[i].data, args[i].len)
               != 0)
        {
            abort();
        }
    }

    free(w);
    free(buf);

    return 0;
}
