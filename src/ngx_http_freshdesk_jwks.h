
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_JWKS_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_JWKS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>


#define NGX_HTTP_FRESHDESK_JWKS_MAX_BYTES    65536
#define NGX_HTTP_FRESHDESK_JWKS_MAX_KEYS     32
#define NGX_HTTP_FRESHDESK_JWKS_MAX_KID      256
#define NGX_HTTP_FRESHDESK_JWKS_RSA_MIN      2048
#define NGX_HTTP_FRESHDESK_JWKS_RSA_MAX      8192

/* key types */
#define NGX_HTTP_FRESHDESK_JWK_RSA           1
#define NGX_HTTP_FRESHDESK_JWK_EC            2      /* P-256 only */
#define NGX_HTTP_FRESHDESK_JWK_OKP           3      /* Ed25519 only */


typedef struct {
    ngx_str_t                      kid;       /* empty: none */
    ngx_str_t                      alg;       /* empty: any that fits */
    ngx_uint_t                     type;      /* NGX_HTTP_FRESHDESK_JWK_* */
    ngx_uint_t                     bits;      /* RSA modulus, EC/OKP: 256 */
    EVP_PKEY                      *pkey;      /* freed by the pool cleanup */
} ngx_http_freshdesk_jwk_t;


typedef struct {
    ngx_http_freshdesk_jwk_t      *keys;
    ngx_uint_t                     nkeys;
    ngx_array_t                   *skipped;   /* ngx_str_t reasons */
    ngx_str_t                      err;       /* why the set is refused */
} ngx_http_freshdesk_jwks_t;


/*
 * Parses a JWKS document ({"keys": [...]}) into usable public keys, all
 * allocated from pool; a pool cleanup frees the OpenSSL keys.  RSA
 * (2048..8192 bits), EC P-256 and OKP Ed25519 keys are kept; a key that is
 * broken, unsupported, for encryption (use other than "sig") or carries
 * private members is skipped, and jwks->skipped gets one line for it that
 * the caller logs ("key #2 (kid \"a\"): EC curve \"P-384\" not supported").
 *
 * Returns NGX_OK with at least one key; NGX_DECLINED when the document is
 * refused (not JSON, too large, too many keys, no usable key), with
 * jwks->err saying why; NGX_ERROR when memory runs out.  Never blocks.
 */
ngx_int_t ngx_http_freshdesk_jwks_parse(ngx_pool_t *pool, u_char *text,
    size_t len, ngx_http_freshdesk_jwks_t *jwks);

/*
 * Strict base64url (RFC 7515 section 2): the 64-character alphabet only, no
 * padding, no whitespace, unused trailing bits zero (one encoding per
 * value).  dst->data needs room for src->len * 3 / 4 bytes.
 */
ngx_int_t ngx_http_freshdesk_jwks_base64url(ngx_str_t *dst, ngx_str_t *src);


#endif /* _NGX_HTTP_FRESHDESK_JWKS_H_INCLUDED_ */
