
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Opaque pagination cursors.  A cursor is base64url(payload) "."
 * base64url(HMAC-SHA256(key, payload | tenant | tool | arguments)), where
 * payload = "1|<expires>|<page>|<token>", or for a list called with
 * "fields" "2|<expires>|<page>|<fields>|<token>" (the names joined by
 * ",": later pages keep the first page's shape).  The MAC covers what the
 * cursor is bound to without carrying it, so a cursor is useless to
 * another tenant, another tool or other arguments, and cannot be forged
 * or edited into an upstream URL.
 */


#include "ngx_http_freshdesk_cursor.h"

#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>


#define FD_CURSOR_MAX  2048


static ngx_int_t ngx_http_freshdesk_cursor_mac(ngx_pool_t *pool,
    ngx_http_freshdesk_binding_t *bind, u_char *payload, size_t len,
    u_char *mac);


static ngx_int_t
ngx_http_freshdesk_cursor_mac(ngx_pool_t *pool,
    ngx_http_freshdesk_binding_t *bind, u_char *payload, size_t len,
    u_char *mac)
{
    unsigned int   n;
    u_char        *msg, *p;
    size_t         size;

    size = len + 3 + bind->tenant->len + ngx_strlen(bind->tool)
           + bind->args->len;

    msg = ngx_pnalloc(pool, size);
    if (msg == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(msg, payload, len);
    *p++ = '\0';
    p = ngx_cpymem(p, bind->tenant->data, bind->tenant->len);
    *p++ = '\0';
    p = ngx_cpymem(p, bind->tool, ngx_strlen(bind->tool));
    *p++ = '\0';
    p = ngx_cpymem(p, bind->args->data, bind->args->len);

    n = 0;

    if (HMAC(EVP_sha256(), bind->key, 32, msg, p - msg, mac, &n) == NULL
        || n != 32)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_cursor_encode(ngx_pool_t *pool,
    ngx_http_freshdesk_binding_t *bind, time_t expires,
    ngx_http_freshdesk_position_t *pos, ngx_str_t *out)
{
    u_char     *p, mac[32];
    ngx_str_t   payload, src;

    payload.data = ngx_pnalloc(pool, 64 + pos->token.len + pos->fields.len);
    if (payload.data == NULL) {
        return NGX_ERROR;
    }

    if (pos->fields.len) {
        payload.len = ngx_sprintf(payload.data, "2|%T|%ui|%V|%V", expires,
                                  pos->page, &pos->fields, &pos->token)
                      - payload.data;

    } else {
        payload.len = ngx_sprintf(payload.data, "1|%T|%ui|%V", expires,
                                  pos->page, &pos->token)
                      - payload.data;
    }

    if (ngx_http_freshdesk_cursor_mac(pool, bind, payload.data, payload.len,
                                      mac)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, ngx_base64_encoded_length(payload.len)
                                  + 1 + ngx_base64_encoded_length(32));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64url(out, &payload);

    p = out->data + out->len;
    *p++ = '.';

    src.data = mac;
    src.len = 32;

    payload.data = p;
    ngx_encode_base64url(&payload, &src);

    out->len += 1 + payload.len;

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_cursor_decode(ngx_pool_t *pool,
    ngx_http_freshdesk_binding_t *bind, time_t now, ngx_str_t *cursor,
    ngx_http_freshdesk_position_t *pos, ngx_str_t *err)
{
    u_char     *dot, *p, *last, mac[32];
    time_t      expires;
    ngx_int_t   page;
    ngx_str_t   enc, payload, given, tok, fields;

    ngx_memzero(pos, sizeof(ngx_http_freshdesk_position_t));

    ngx_str_set(err, "Invalid arguments: cursor is not valid for this "
                     "call: use the nextCursor returned by the previous "
                     "page of the same tool with the same arguments.");

    if (cursor->len == 0 || cursor->len > FD_CURSOR_MAX) {
        return NGX_DECLINED;
    }

    dot = ngx_strlchr(cursor->data, cursor->data + cursor->len, '.');
    if (dot == NULL) {
        return NGX_DECLINED;
    }

    enc.data = cursor->data;
    enc.len = dot - cursor->data;

    payload.data = ngx_pnalloc(pool, ngx_base64_decoded_length(enc.len) + 1);
    if (payload.data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(&payload, &enc) != NGX_OK) {
        return NGX_DECLINED;
    }

    enc.data = dot + 1;
    enc.len = cursor->data + cursor->len - enc.data;

    if (enc.len != ngx_base64_encoded_length(32) - 1) {
        /* 32 bytes are 43 characters in unpadded base64url */
        return NGX_DECLINED;
    }

    given.data = ngx_pnalloc(pool, ngx_base64_decoded_length(enc.len) + 1);
    if (given.data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(&given, &enc) != NGX_OK || given.len != 32) {
        return NGX_DECLINED;
    }

    if (ngx_http_freshdesk_cursor_mac(pool, bind, payload.data, payload.len,
                                      mac)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (CRYPTO_memcmp(mac, given.data, 32) != 0) {
        return NGX_DECLINED;
    }

    /* authentic: now parse "1|<expires>|<page>|<token>" or
     * "2|<expires>|<page>|<fields>|<token>" */

    p = payload.data;
    last = p + payload.len;

    if (last - p < 2 || (p[0] != '1' && p[0] != '2') || p[1] != '|') {
        return NGX_DECLINED;
    }

    ngx_str_null(&fields);

    p += 2;

    dot = ngx_strlchr(p, last, '|');
    if (dot == NULL) {
        return NGX_DECLINED;
    }

    expires = ngx_atotm(p, dot - p);
    if (expires == NGX_ERROR) {
        return NGX_DECLINED;
    }

    p = dot + 1;

    dot = ngx_strlchr(p, last, '|');
    if (dot == NULL) {
        return NGX_DECLINED;
    }

    page = ngx_atoi(p, dot - p);
    if (page == NGX_ERROR) {
        return NGX_DECLINED;
    }

    if (payload.data[0] == '2') {
        p = dot + 1;

        dot = ngx_strlchr(p, last, '|');
        if (dot == NULL || dot == p) {
            return NGX_DECLINED;
        }

        fields.data = p;
        fields.len = dot - p;
    }

    tok.data = dot + 1;
    tok.len = last - tok.data;

    if (now > expires) {
        ngx_str_set(err, "Invalid arguments: cursor has expired; start "
                         "again without a cursor.");
        return NGX_DECLINED;
    }

    pos->page = page;
    pos->token = tok;
    pos->fields = fields;

    return NGX_OK;
}
