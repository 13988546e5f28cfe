
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * RESP, the Redis protocol: commands written as arrays of bulk strings,
 * replies read from a buffer.  The reader is iterative and bounded (no
 * recursion, a nesting limit, a string length limit, integers checked for
 * overflow) and keeps what the quota needs: a scalar, or the scalar
 * elements of an array.  fuzz/fuzz_resp.c runs it on arbitrary bytes.
 */


#include "ngx_http_freshdesk_resp.h"


static ngx_int_t ngx_http_freshdesk_resp_line(u_char *p, u_char *last,
    u_char **eol);
static ngx_int_t ngx_http_freshdesk_resp_number(u_char *p, u_char *eol,
    int64_t *n);


ngx_int_t
ngx_http_freshdesk_resp_parse(u_char *p, u_char *last,
    ngx_http_freshdesk_resp_t *reply, u_char **end)
{
    u_char                           *eol;
    int64_t                           n, left[NGX_HTTP_FRESHDESK_RESP_DEPTH];
    ngx_int_t                         rc;
    ngx_uint_t                        depth, idx;
    ngx_http_freshdesk_resp_value_t   v;

    ngx_memzero(reply, sizeof(ngx_http_freshdesk_resp_t));

    depth = 0;

    for ( ;; ) {

        if (p >= last) {
            return NGX_AGAIN;
        }

        ngx_memzero(&v, sizeof(ngx_http_freshdesk_resp_value_t));
        v.type = *p++;

        rc = ngx_http_freshdesk_resp_line(p, last, &eol);
        if (rc != NGX_OK) {
            return rc;
        }

        idx = (depth == 1) ? (ngx_uint_t) (reply->nelts - left[0]) : 0;

        switch (v.type) {

        case '+':
        case '-':
            v.str.data = p;
            v.str.len = eol - p;
            p = eol + 2;
            break;

        case ':':
            if (ngx_http_freshdesk_resp_number(p, eol, &v.integer) != NGX_OK)
            {
                return NGX_ERROR;
            }

            p = eol + 2;
            break;

        case '$':
            if (ngx_http_freshdesk_resp_number(p, eol, &n) != NGX_OK
                || n < -1 || n > NGX_HTTP_FRESHDESK_RESP_MAX)
            {
                return NGX_ERROR;
            }

            p = eol + 2;

            if (n == -1) {
                v.nil = 1;
                break;
            }

            if (last - p < n + 2) {
                return NGX_AGAIN;
            }

            if (p[n] != '\r' || p[n + 1] != '\n') {
                return NGX_ERROR;
            }

            v.str.data = p;
            v.str.len = (size_t) n;
            p += n + 2;
            break;

        case '*':
            if (ngx_http_freshdesk_resp_number(p, eol, &n) != NGX_OK
                || n < -1 || n > 1024 * 1024)
            {
                return NGX_ERROR;
            }

            p = eol + 2;

            if (depth == 0) {
                reply->value.type = '*';
                reply->value.nil = (n == -1);
                reply->nelts = n > 0 ? (ngx_uint_t) n : 0;

            } else if (depth == 1 && idx < NGX_HTTP_FRESHDESK_RESP_ELTS) {
                reply->elts[idx].type = '*';
                reply->elts[idx].nil = (n == -1);
            }

            if (n > 0) {
                if (depth == NGX_HTTP_FRESHDESK_RESP_DEPTH) {
                    return NGX_ERROR;
                }

                left[depth++] = n;
                continue;
            }

            /* an empty or nil array: an element like any other */

            goto complete;

        default:
            return NGX_ERROR;
        }

        if (depth == 0) {
            reply->value = v;

        } else if (depth == 1 && idx < NGX_HTTP_FRESHDESK_RESP_ELTS) {
            reply->elts[idx] = v;
        }

    complete:

        /* one element done: close the arrays it completes */

        for ( ;; ) {
            if (depth == 0) {
                *end = p;
                return NGX_OK;
            }

            if (--left[depth - 1] > 0) {
                break;
            }

            depth--;
        }
    }
}


/* the line from p: CR LF must end it within the length limit */

static ngx_int_t
ngx_http_freshdesk_resp_line(u_char *p, u_char *last, u_char **eol)
{
    u_char  *q;
    size_t   len;

    len = ngx_min((size_t) (last - p), NGX_HTTP_FRESHDESK_RESP_MAX + 2);

    q = ngx_strlchr(p, p + len, '\r');

    if (q == NULL) {
        return (size_t) (last - p) > NGX_HTTP_FRESHDESK_RESP_MAX
               ? NGX_ERROR : NGX_AGAIN;
    }

    if (q + 1 >= last) {
        return NGX_AGAIN;
    }

    if (q[1] != '\n') {
        return NGX_ERROR;
    }

    *eol = q;

    return NGX_OK;
}


/* a signed decimal of at most 18 digits: no overflow possible */

static ngx_int_t
ngx_http_freshdesk_resp_number(u_char *p, u_char *eol, int64_t *n)
{
    int64_t     v;
    ngx_uint_t  neg;

    neg = 0;

    if (p < eol && *p == '-') {
        neg = 1;
        p++;
    }

    if (p == eol || eol - p > 18) {
        return NGX_ERROR;
    }

    for (v = 0; p < eol; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        v = v * 10 + (*p - '0');
    }

    *n = neg ? -v : v;

    return NGX_OK;
}


/* n signed decimals, one space between them: a script's packed answer */

ngx_int_t
ngx_http_freshdesk_resp_numbers(ngx_str_t *s, int64_t *v, ngx_uint_t n)
{
    u_char      *p, *last, *q;
    ngx_uint_t   i;

    p = s->data;
    last = p + s->len;

    for (i = 0; i < n; i++) {
        q = p;

        while (q < last && *q != ' ') {
            q++;
        }

        if (ngx_http_freshdesk_resp_number(p, q, &v[i]) != NGX_OK
            || (q == last) != (i == n - 1))
        {
            return NGX_ERROR;
        }

        p = q + 1;
    }

    return NGX_OK;
}


/*
 * Written in place, last digits first, two at a time: no copy through a
 * buffer, half the divisions
 */

u_char *
ngx_http_freshdesk_resp_num(u_char *p, int64_t n)
{
    u_char      *d;
    size_t       len;
    uint64_t     u, t;
    ngx_uint_t   r;

    static const u_char  pairs[] =
        "0001020304050607080910111213141516171819"
        "2021222324252627282930313233343536373839"
        "4041424344454647484950515253545556575859"
        "6061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";

    if (n < 0) {
        *p++ = '-';
        u = (uint64_t) 0 - (uint64_t) n;

    } else {
        u = (uint64_t) n;
    }

    if (u < 10) {
        *p++ = (u_char) ('0' + u);
        return p;
    }

    for (len = 2, t = u; t >= 100; t /= 100) {
        len += 2;
    }

    if (t < 10) {
        len--;
    }

    d = p + len;

    while (u >= 100) {
        r = (ngx_uint_t) (u % 100) * 2;
        u /= 100;
        *--d = pairs[r + 1];
        *--d = pairs[r];
    }

    if (u >= 10) {
        *--d = pairs[u * 2 + 1];
        *--d = pairs[u * 2];

    } else {
        *--d = (u_char) ('0' + u);
    }

    return p + len;
}


size_t
ngx_http_freshdesk_resp_command_len(ngx_str_t *args, ngx_uint_t n)
{
    size_t      len;
    ngx_uint_t  i;

    len = sizeof("*\r\n") - 1 + NGX_INT_T_LEN;

    for (i = 0; i < n; i++) {
        len += sizeof("$\r\n\r\n") - 1 + NGX_SIZE_T_LEN + args[i].len;
    }

    return len;
}


u_char *
ngx_http_freshdesk_resp_command(u_char *p, ngx_str_t *args, ngx_uint_t n)
{
    ngx_uint_t  i;

    *p++ = '*';
    p = ngx_http_freshdesk_resp_num(p, (int64_t) n);
    *p++ = '\r';
    *p++ = '\n';

    for (i = 0; i < n; i++) {
        *p++ = '$';
        p = ngx_http_freshdesk_resp_num(p, (int64_t) args[i].len);
        *p++ = '\r';
        *p++ = '\n';
        p = ngx_cpymem(p, args[i].data, args[i].len);
        *p++ = '\r';
        *p++ = '\n';
    }

    return p;
}
