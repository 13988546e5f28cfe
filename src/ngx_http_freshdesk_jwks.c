
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * JSON Web Key Sets (RFC 7517) for JWT access-token verification: the
 * public keys of the authorization server, built as OpenSSL 3 EVP_PKEYs
 * from their parameters (EVP_PKEY_fromdata, no deprecated RSA_/EC_KEY
 * calls).  The document comes from the operator's file or the
 * authorization server; a key that cannot be used is skipped with a
 * reason, not fatal, so one odd key does not lock everybody out.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/bn.h>
#include <openssl/err.h>

#include "ngx_http_freshdesk_jwks.h"
#include "ngx_http_freshdesk_json.h"


/* a JWKS is an object holding an array of flat-ish objects */
#define NGX_HTTP_FRESHDESK_JWKS_MAX_DEPTH  8


static ngx_int_t ngx_http_freshdesk_jwks_key(ngx_pool_t *pool, json_t *jwk,
    ngx_http_freshdesk_jwk_t *key, const char **reason);
static ngx_int_t ngx_http_freshdesk_jwks_member(ngx_pool_t *pool,
    json_t *jwk, const char *name, size_t max, ngx_str_t *out);
static EVP_PKEY *ngx_http_freshdesk_jwks_rsa(ngx_str_t *n, ngx_str_t *e,
    ngx_uint_t *bits, const char **reason);
static EVP_PKEY *ngx_http_freshdesk_jwks_ec(ngx_str_t *x, ngx_str_t *y,
    const char **reason);
static EVP_PKEY *ngx_http_freshdesk_jwks_okp(ngx_str_t *x,
    const char **reason);
static ngx_int_t ngx_http_freshdesk_jwks_skip(ngx_pool_t *pool,
    ngx_http_freshdesk_jwks_t *jwks, ngx_uint_t i, ngx_str_t *kid,
    const char *reason);
static void ngx_http_freshdesk_jwks_cleanup(void *data);


static u_char  ngx_http_freshdesk_b64url[256];
static ngx_uint_t  ngx_http_freshdesk_b64url_ready;


ngx_int_t
ngx_http_freshdesk_jwks_parse(ngx_pool_t *pool, u_char *text, size_t len,
    ngx_http_freshdesk_jwks_t *jwks)
{
    size_t                     i, n;
    json_t                    *root, *keys;
    ngx_int_t                  rc;
    const char                *reason;
    ngx_str_t                  err;
    ngx_pool_cleanup_t        *cln;
    ngx_http_freshdesk_jwk_t  *key;

    ngx_memzero(jwks, sizeof(ngx_http_freshdesk_jwks_t));

    jwks->skipped = ngx_palloc(pool, sizeof(ngx_array_t));
    if (jwks->skipped == NULL
        || ngx_array_init(jwks->skipped, pool, 2, sizeof(ngx_str_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (len > NGX_HTTP_FRESHDESK_JWKS_MAX_BYTES) {
        ngx_str_set(&jwks->err, "JWKS document over 65536 bytes");
        return NGX_DECLINED;
    }

    ngx_str_null(&err);

    root = ngx_http_freshdesk_json_parse(pool, text, len,
                                         NGX_HTTP_FRESHDESK_JWKS_MAX_DEPTH,
                                         &err);
    if (root == NULL) {
        ngx_str_set(&jwks->err, "JWKS document is not valid JSON");
        return NGX_DECLINED;
    }

    keys = json_is_object(root) ? json_object_get(root, "keys") : NULL;

    if (!json_is_array(keys)) {
        ngx_str_set(&jwks->err, "JWKS document has no \"keys\" array");
        return NGX_DECLINED;
    }

    n = json_array_size(keys);

    if (n > NGX_HTTP_FRESHDESK_JWKS_MAX_KEYS) {
        ngx_str_set(&jwks->err, "JWKS document has more than 32 keys");
        return NGX_DECLINED;
    }

    if (n == 0) {
        ngx_str_set(&jwks->err, "JWKS document has no key");
        return NGX_DECLINED;
    }

    jwks->keys = ngx_pcalloc(pool, n * sizeof(ngx_http_freshdesk_jwk_t));
    if (jwks->keys == NULL) {
        return NGX_ERROR;
    }

    /* before the first key exists, so that no exit path leaks one */

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_freshdesk_jwks_cleanup;
    cln->data = jwks;

    for (i = 0; i < n; i++) {
        key = &jwks->keys[jwks->nkeys];
        reason = NULL;

        rc = ngx_http_freshdesk_jwks_key(pool, json_array_get(keys, i), key,
                                         &reason);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            jwks->nkeys++;
            continue;
        }

        /*
         * what OpenSSL refused stays in its per-thread error queue, and
         * nginx would report it later on a TLS connection, at ALERT
         */

        ERR_clear_error();

        if (ngx_http_freshdesk_jwks_skip(pool, jwks, i, &key->kid, reason)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_memzero(key, sizeof(ngx_http_freshdesk_jwk_t));
    }

    if (jwks->nkeys == 0) {
        ngx_str_set(&jwks->err, "JWKS document has no usable key");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* NGX_OK: a usable key; NGX_DECLINED: skipped (reason set); NGX_ERROR */

static ngx_int_t
ngx_http_freshdesk_jwks_key(ngx_pool_t *pool, json_t *jwk,
    ngx_http_freshdesk_jwk_t *key, const char **reason)
{
    ngx_int_t   rc;
    ngx_str_t   kty, use, crv, n, e, x, y;

    if (!json_is_object(jwk)) {
        *reason = "not an object";
        return NGX_DECLINED;
    }

#define ngx_http_freshdesk_jwks_get(name, max, out)                          \
    rc = ngx_http_freshdesk_jwks_member(pool, jwk, name, max, out);          \
    if (rc != NGX_OK) {                                                      \
        *reason = (rc == NGX_DECLINED) ? "member \"" name "\" is invalid"    \
                                       : NULL;                               \
        return rc;                                                           \
    }

    ngx_http_freshdesk_jwks_get("kid", NGX_HTTP_FRESHDESK_JWKS_MAX_KID,
                                &key->kid);
    ngx_http_freshdesk_jwks_get("kty", 16, &kty);
    ngx_http_freshdesk_jwks_get("use", 16, &use);
    ngx_http_freshdesk_jwks_get("alg", 16, &key->alg);
    ngx_http_freshdesk_jwks_get("crv", 16, &crv);

    if (kty.len == 0) {
        *reason = "no \"kty\"";
        return NGX_DECLINED;
    }

    if (use.len && (use.len != 3 || ngx_strncmp(use.data, "sig", 3) != 0)) {
        *reason = "\"use\" is not \"sig\"";
        return NGX_DECLINED;
    }

    if (kty.len == 3 && ngx_strncmp(kty.data, "oct", 3) == 0) {
        *reason = "symmetric (oct) keys are never used";
        return NGX_DECLINED;
    }

    /* a public key set must not hold secrets; refuse to guess why it does */

    if (json_object_get(jwk, "d") != NULL
        || json_object_get(jwk, "p") != NULL
        || json_object_get(jwk, "k") != NULL)
    {
        *reason = "holds private or secret key members";
        return NGX_DECLINED;
    }

    if (kty.len == 3 && ngx_strncmp(kty.data, "RSA", 3) == 0) {
        key->type = NGX_HTTP_FRESHDESK_JWK_RSA;

        if (key->alg.len
            && !(key->alg.len == 5
                 && (ngx_strncmp(key->alg.data, "RS256", 5) == 0
                     || ngx_strncmp(key->alg.data, "PS256", 5) == 0)))
        {
            *reason = "\"alg\" is not RS256 or PS256";
            return NGX_DECLINED;
        }

        /* 8192 bits: 1366 base64url characters */

        ngx_http_freshdesk_jwks_get("n", 1400, &n);
        ngx_http_freshdesk_jwks_get("e", 16, &e);

        if (n.len == 0 || e.len == 0) {
            *reason = "RSA key without \"n\" or \"e\"";
            return NGX_DECLINED;
        }

        key->pkey = ngx_http_freshdesk_jwks_rsa(&n, &e, &key->bits, reason);

    } else if (kty.len == 2 && ngx_strncmp(kty.data, "EC", 2) == 0) {
        key->type = NGX_HTTP_FRESHDESK_JWK_EC;
        key->bits = 256;

        if (crv.len != 5 || ngx_strncmp(crv.data, "P-256", 5) != 0) {
            *reason = "EC curve is not P-256";
            return NGX_DECLINED;
        }

        if (key->alg.len
            && (key->alg.len != 5
                || ngx_strncmp(key->alg.data, "ES256", 5) != 0))
        {
            *reason = "\"alg\" is not ES256";
            return NGX_DECLINED;
        }

        ngx_http_freshdesk_jwks_get("x", 64, &x);
        ngx_http_freshdesk_jwks_get("y", 64, &y);

        key->pkey = ngx_http_freshdesk_jwks_ec(&x, &y, reason);

    } else if (kty.len == 3 && ngx_strncmp(kty.data, "OKP", 3) == 0) {
        key->type = NGX_HTTP_FRESHDESK_JWK_OKP;
        key->bits = 256;

        if (crv.len != 7 || ngx_strncmp(crv.data, "Ed25519", 7) != 0) {
            *reason = "OKP curve is not Ed25519";
            return NGX_DECLINED;
        }

        if (key->alg.len
            && (key->alg.len != 5
                || ngx_strncmp(key->alg.data, "EdDSA", 5) != 0))
        {
            *reason = "\"alg\" is not EdDSA";
            return NGX_DECLINED;
        }

        ngx_http_freshdesk_jwks_get("x", 64, &x);

        key->pkey = ngx_http_freshdesk_jwks_okp(&x, reason);

    } else {
        *reason = "key type not supported (RSA, EC, OKP)";
        return NGX_DECLINED;
    }

#undef ngx_http_freshdesk_jwks_get

    return (key->pkey != NULL) ? NGX_OK : NGX_DECLINED;
}


/*
 * A string member, copied; absent: empty.  NGX_DECLINED when it is not a
 * string, is longer than max or holds a NUL (kid, alg and kty are compared
 * as bytes later).
 */

static ngx_int_t
ngx_http_freshdesk_jwks_member(ngx_pool_t *pool, json_t *jwk,
    const char *name, size_t max, ngx_str_t *out)
{
    json_t  *v;

    ngx_str_null(out);

    v = json_object_get(jwk, name);
    if (v == NULL) {
        return NGX_OK;
    }

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    out->len = json_string_length(v);

    if (out->len > max
        || memchr(json_string_value(v), '\0', out->len) != NULL)
    {
        out->len = 0;
        return NGX_DECLINED;
    }

    if (out->len == 0) {
        return NGX_OK;
    }

    out->data = ngx_pnalloc(pool, out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, json_string_value(v), out->len);

    return NGX_OK;
}


static EVP_PKEY *
ngx_http_freshdesk_jwks_rsa(ngx_str_t *n64, ngx_str_t *e64, ngx_uint_t *bits,
    const char **reason)
{
    u_char           nbuf[1050], ebuf[16];
    BIGNUM          *n, *e;
    EVP_PKEY        *pkey;
    ngx_str_t        nb, eb;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *ctx;
    OSSL_PARAM_BLD  *bld;

    nb.data = nbuf;
    eb.data = ebuf;

    if (ngx_http_freshdesk_jwks_base64url(&nb, n64) != NGX_OK
        || ngx_http_freshdesk_jwks_base64url(&eb, e64) != NGX_OK)
    {
        *reason = "RSA \"n\" or \"e\" is not base64url";
        return NULL;
    }

    /* e: odd, over 1, at most 64 bits; n: 2048..8192 bits, odd */

    while (eb.len && eb.data[0] == 0) {
        eb.data++;
        eb.len--;
    }

    if (eb.len == 0 || eb.len > 8 || (eb.data[eb.len - 1] & 1) == 0
        || (eb.len == 1 && eb.data[0] == 1))
    {
        *reason = "RSA exponent is invalid";
        return NULL;
    }

    while (nb.len && nb.data[0] == 0) {
        nb.data++;
        nb.len--;
    }

    if (nb.len == 0 || (nb.data[nb.len - 1] & 1) == 0) {
        *reason = "RSA modulus is invalid";
        return NULL;
    }

    n = BN_bin2bn(nb.data, (int) nb.len, NULL);
    e = BN_bin2bn(eb.data, (int) eb.len, NULL);

    pkey = NULL;
    params = NULL;
    ctx = NULL;
    bld = NULL;

    *reason = "RSA key rejected by OpenSSL";

    if (n == NULL || e == NULL) {
        goto done;
    }

    *bits = BN_num_bits(n);

    if (*bits < NGX_HTTP_FRESHDESK_JWKS_RSA_MIN
        || *bits > NGX_HTTP_FRESHDESK_JWKS_RSA_MAX)
    {
        *reason = "RSA modulus not within 2048..8192 bits";
        goto done;
    }

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
    {
        goto done;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) {
        goto done;
    }

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        pkey = NULL;
        goto done;
    }

    *reason = NULL;

done:

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);

    return pkey;
}


static EVP_PKEY *
ngx_http_freshdesk_jwks_ec(ngx_str_t *x64, ngx_str_t *y64,
    const char **reason)
{
    u_char         point[1 + 64 + 16];
    EVP_PKEY      *pkey;
    ngx_str_t      x, y;
    OSSL_PARAM     params[3];
    EVP_PKEY_CTX  *ctx, *check;

    /* the uncompressed point: 04 || x || y, each exactly 32 bytes */

    x.data = point + 1;
    y.data = point + 1 + 32;

    if (x64->len != 43 || y64->len != 43
        || ngx_http_freshdesk_jwks_base64url(&x, x64) != NGX_OK
        || ngx_http_freshdesk_jwks_base64url(&y, y64) != NGX_OK
        || x.len != 32 || y.len != 32)
    {
        *reason = "EC \"x\" or \"y\" is not 32 bytes of base64url";
        return NULL;
    }

    point[0] = 0x04;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *) "P-256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, 65);
    params[2] = OSSL_PARAM_construct_end();

    pkey = NULL;
    check = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        *reason = "EC point rejected by OpenSSL (not on P-256?)";
        pkey = NULL;
        goto done;
    }

    /* the point is on the curve and not the point at infinity */

    check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (check == NULL || EVP_PKEY_public_check(check) != 1) {
        *reason = "EC point is not a valid P-256 public key";
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }

done:

    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);

    return pkey;
}


static EVP_PKEY *
ngx_http_freshdesk_jwks_okp(ngx_str_t *x64, const char **reason)
{
    u_char     raw[48];
    EVP_PKEY  *pkey;
    ngx_str_t  x;

    x.data = raw;

    if (x64->len != 43
        || ngx_http_freshdesk_jwks_base64url(&x, x64) != NGX_OK
        || x.len != 32)
    {
        *reason = "Ed25519 \"x\" is not 32 bytes of base64url";
        return NULL;
    }

    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
    if (pkey == NULL) {
        *reason = "Ed25519 key rejected by OpenSSL";
    }

    return pkey;
}


static ngx_int_t
ngx_http_freshdesk_jwks_skip(ngx_pool_t *pool, ngx_http_freshdesk_jwks_t *jwks,
    ngx_uint_t i, ngx_str_t *kid, const char *reason)
{
    size_t      k, len;
    u_char     *p;
    ngx_str_t  *line;

    /* the kid goes into the line only if it is short printable ASCII */

    len = (kid->len <= 64) ? kid->len : 0;

    for (k = 0; k < len; k++) {
        if (kid->data[k] < 0x20 || kid->data[k] > 0x7e
            || kid->data[k] == '"' || kid->data[k] == '\\')
        {
            len = 0;
            break;
        }
    }

    if (reason == NULL) {
        reason = "unusable";
    }

    line = ngx_array_push(jwks->skipped);
    if (line == NULL) {
        return NGX_ERROR;
    }

    line->data = ngx_pnalloc(pool, 64 + len + ngx_strlen(reason));
    if (line->data == NULL) {
        return NGX_ERROR;
    }

    if (len) {
        p = ngx_sprintf(line->data, "key #%ui (kid \"%*s\"): %s",
                        i + 1, len, kid->data, reason);

    } else {
        p = ngx_sprintf(line->data, "key #%ui: %s", i + 1, reason);
    }

    line->len = p - line->data;

    return NGX_OK;
}


static void
ngx_http_freshdesk_jwks_cleanup(void *data)
{
    ngx_http_freshdesk_jwks_t  *jwks = data;

    ngx_uint_t  i;

    for (i = 0; i < jwks->nkeys; i++) {
        EVP_PKEY_free(jwks->keys[i].pkey);
        jwks->keys[i].pkey = NULL;
    }

    jwks->nkeys = 0;
}


ngx_int_t
ngx_http_freshdesk_jwks_base64url(ngx_str_t *dst, ngx_str_t *src)
{
    size_t   len;
    u_char  *d, *s, a, b, c, e;
    u_char  *tab;

    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    tab = ngx_http_freshdesk_b64url;

    if (!ngx_http_freshdesk_b64url_ready) {
        ngx_memset(tab, 0xff, 256);

        for (len = 0; len < 64; len++) {
            tab[(u_char) alphabet[len]] = (u_char) len;
        }

        ngx_http_freshdesk_b64url_ready = 1;
    }

    len = src->len;
    s = src->data;
    d = dst->data;

    if (len % 4 == 1) {
        return NGX_ERROR;
    }

    while (len >= 4) {
        a = tab[s[0]];
        b = tab[s[1]];
        c = tab[s[2]];
        e = tab[s[3]];

        if ((a | b | c | e) & 0xc0) {
            return NGX_ERROR;
        }

        *d++ = (u_char) (a << 2 | b >> 4);
        *d++ = (u_char) (b << 4 | c >> 2);
        *d++ = (u_char) (c << 6 | e);

        s += 4;
        len -= 4;
    }

    if (len) {
        a = tab[s[0]];
        b = tab[s[1]];
        c = (len == 3) ? tab[s[2]] : 0;

        if ((a | b | c) & 0xc0) {
            return NGX_ERROR;
        }

        *d++ = (u_char) (a << 2 | b >> 4);

        if (len == 2) {

            /* the 4 unused bits must be zero */

            if (b & 0x0f) {
                return NGX_ERROR;
            }

        } else {
            *d++ = (u_char) (b << 4 | c >> 2);

            if (c & 0x03) {
                return NGX_ERROR;
            }
        }
    }

    dst->len = d - dst->data;

    return NGX_OK;
}
