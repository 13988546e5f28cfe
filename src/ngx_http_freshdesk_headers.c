
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Header helpers that know nothing of the module: several request headers
 * found in one walk, a routing header's encoded value decoded, a response
 * header added.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_freshdesk_headers.h"


/*
 * Looks up several headers in one walk of a list: for each wanted name (in
 * lower case), how many there are (h[i].n) and the value of the last one
 * (h[i].value).  "lowcase": the list's elements have their lowcase_key set,
 * as nginx does for request headers (not so for response headers, which
 * modules add without one).
 */

void
ngx_http_freshdesk_list_headers(ngx_list_t *headers, ngx_uint_t lowcase,
    ngx_http_freshdesk_header_t *want, ngx_uint_t n)
{
    ngx_uint_t        i, k;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for (k = 0; k < n; k++) {
        want[k].n = 0;
        ngx_str_null(&want[k].value);
    }

    part = &headers->part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0) {
            continue;
        }

        for (k = 0; k < n; k++) {

            if (h[i].key.len == want[k].len
                && (lowcase
                    ? ngx_memcmp(h[i].lowcase_key, want[k].name,
                                 want[k].len)
                    : ngx_strncasecmp(h[i].key.data,
                                      (u_char *) want[k].name, want[k].len))
                   == 0)
            {
                want[k].value = h[i].value;
                want[k].n++;
                break;
            }
        }
    }
}


/*
 * A routing header's value: as sent (nginx trimmed it), or decoded from
 * "=?base64?...?=", the form for values outside plain ASCII
 */

ngx_int_t
ngx_http_freshdesk_header_decode(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out)
{
    ngx_str_t  b64;

    if (in->len < 11 || ngx_strncmp(in->data, "=?base64?", 9) != 0) {
        *out = *in;
        return NGX_OK;
    }

    if (in->data[in->len - 2] != '?' || in->data[in->len - 1] != '=') {
        return NGX_ERROR;
    }

    b64.data = in->data + 9;
    b64.len = in->len - 11;

    out->data = ngx_pnalloc(pool, ngx_base64_decoded_length(b64.len));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    return ngx_decode_base64(out, &b64);
}


ngx_int_t
ngx_http_freshdesk_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}
