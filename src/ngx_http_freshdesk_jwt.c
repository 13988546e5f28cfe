
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * JWT access-token verification (RFC 7519, RFC 9068) for the gateway as an
 * OAuth 2.1 resource server: compact JWS only, RS256, PS256, ES256 and
 * EdDSA, the algorithm bound to the key's type (no "none", no HMAC, so a
 * public key can never serve as a shared secret), then iss, aud, exp, nbf
 * and the required claims.  Tokens are hostile: strict base64url, bounded
 * sizes and nesting, no duplicate names, and the payload is parsed only
 * after its signature checks.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include <openssl/evp.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/err.h>

#include "ngx_http_freshdesk_jwt.h"
#include "ngx_http_freshdesk_json.h"


/* the header is a flat object (x5c is an array); claims may nest a bit */
#define NGX_HTTP_FRESHDESK_JWT_HEADER_DEPTH  4
#define NGX_HTTP_FRESHDESK_JWT_CLAIMS_DEPTH  16

#define NGX_HTTP_FRESHDESK_JWT_RS256  1
#define NGX_HTTP_FRESHDESK_JWT_PS256  2
#define NGX_HTTP_FRESHDESK_JWT_ES256  3
#define NGX_HTTP_FRESHDESK_JWT_EDDSA  4


typedef struct {
    ngx_str_t                      name;
    ngx_uint_t                     alg;
    ngx_uint_t                     type;      /* NGX_HTTP_FRESHDESK_JWK_* */
} ngx_http_freshdesk_jwt_alg_t;


static ngx_int_t ngx_http_freshdesk_jwt_refuse(ngx_http_freshdesk_jwt_t *out,
    ngx_uint_t status, const char *message);
static ngx_int_t ngx_http_freshdesk_jwt_decode(ngx_pool_t *pool,
    u_char *p, u_char *last, ngx_str_t *dst);
static ngx_int_t ngx_http_freshdesk_jwt_header(ngx_pool_t *pool,
    ngx_str_t *text, ngx_http_freshdesk_jwt_t *out,
    ngx_http_freshdesk_jwt_alg_t **alg);
static ngx_int_t ngx_http_freshdesk_jwt_key(ngx_http_freshdesk_jwks_t *jwks,
    ngx_http_freshdesk_jwt_alg_t *alg, ngx_http_freshdesk_jwt_t *out,
    ngx_http_freshdesk_jwk_t **key);
static ngx_uint_t ngx_http_freshdesk_jwt_fits(ngx_http_freshdesk_jwk_t *key,
    ngx_http_freshdesk_jwt_alg_t *alg);
static ngx_int_t ngx_http_freshdesk_jwt_signature(ngx_str_t *input,
    ngx_str_t *sig, ngx_http_freshdesk_jwk_t *key,
    ngx_http_freshdesk_jwt_alg_t *alg);
static ngx_int_t ngx_http_freshdesk_jwt_claims(ngx_pool_t *pool,
    json_t *claims, ngx_http_freshdesk_jwt_policy_t *policy, time_t now,
    ngx_http_freshdesk_jwt_t *out);
static ngx_int_t ngx_http_freshdesk_jwt_audience(json_t *aud,
    ngx_str_t *audience);
static ngx_int_t ngx_http_freshdesk_jwt_string(json_t *claims,
    const char *name, ngx_str_t *out);
static ngx_int_t ngx_http_freshdesk_jwt_scope(ngx_pool_t *pool,
    json_t *claims, ngx_str_t *out);


static ngx_http_freshdesk_jwt_alg_t  ngx_http_freshdesk_jwt_algs[] = {
    { ngx_string("RS256"), NGX_HTTP_FRESHDESK_JWT_RS256,
      NGX_HTTP_FRESHDESK_JWK_RSA },
    { ngx_string("PS256"), NGX_HTTP_FRESHDESK_JWT_PS256,
      NGX_HTTP_FRESHDESK_JWK_RSA },
    { ngx_string("ES256"), NGX_HTTP_FRESHDESK_JWT_ES256,
      NGX_HTTP_FRESHDESK_JWK_EC },
    { ngx_string("EdDSA"), NGX_HTTP_FRESHDESK_JWT_EDDSA,
      NGX_HTTP_FRESHDESK_JWK_OKP },
    { ngx_null_string, 0, 0 }
};


static const char  *ngx_http_freshdesk_jwt_names[] = {
    "ok",
    "malformed",
    "bad_alg",
    "unknown_kid",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "bad_issuer",
    "bad_audience",
    "missing_claim"
};


ngx_int_t
ngx_http_freshdesk_jwt_verify(ngx_pool_t *pool, ngx_str_t *token,
    ngx_http_freshdesk_jwks_t *jwks, ngx_http_freshdesk_jwt_policy_t *policy,
    time_t now, ngx_http_freshdesk_jwt_t *out)
{
    u_char                        *p, *last, *dot1, *dot2;
    json_t                        *claims;
    ngx_int_t                      rc;
    ngx_str_t                      header, payload, sig, input, err;
    ngx_http_freshdesk_jwk_t      *key;
    ngx_http_freshdesk_jwt_alg_t  *alg;

    ngx_memzero(out, sizeof(ngx_http_freshdesk_jwt_t));

    if (token->len == 0) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED, "empty token");
    }

    if (token->len > NGX_HTTP_FRESHDESK_JWT_MAX_LEN) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "token longer than 8192 bytes");
    }

    /* exactly three parts: header "." payload "." signature */

    p = token->data;
    last = p + token->len;

    dot1 = ngx_strlchr(p, last, '.');
    dot2 = (dot1 != NULL) ? ngx_strlchr(dot1 + 1, last, '.') : NULL;

    if (dot2 == NULL || ngx_strlchr(dot2 + 1, last, '.') != NULL) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "not three dot-separated parts (JWS compact form)");
    }

    /* an empty signature ("alg": "none") fails later, as bad_alg */

    if (dot1 == p || dot2 == dot1 + 1) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED, "empty part");
    }

    rc = ngx_http_freshdesk_jwt_decode(pool, p, dot1, &header);
    if (rc == NGX_OK) {
        rc = ngx_http_freshdesk_jwt_decode(pool, dot1 + 1, dot2, &payload);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_freshdesk_jwt_decode(pool, dot2 + 1, last, &sig);
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "a part is not strict base64url");
    }

    rc = ngx_http_freshdesk_jwt_header(pool, &header, out, &alg);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_freshdesk_jwt_key(jwks, alg, out, &key);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the signing input is the text of the first two parts, as sent */

    input.data = p;
    input.len = dot2 - p;

    rc = ngx_http_freshdesk_jwt_signature(&input, &sig, key, alg);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_BAD_SIGNATURE,
                   "signature does not verify");
    }

    ngx_str_null(&err);

    claims = ngx_http_freshdesk_json_parse(pool, payload.data, payload.len,
                                           NGX_HTTP_FRESHDESK_JWT_CLAIMS_DEPTH,
                                           &err);
    if (claims == NULL || !json_is_object(claims)) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "claims are not a JSON object");
    }

    rc = ngx_http_freshdesk_jwt_claims(pool, claims, policy, now, out);
    if (rc != NGX_OK) {
        return rc;
    }

    out->claims = claims;
    out->status = NGX_HTTP_FRESHDESK_JWT_OK;
    ngx_str_set(&out->message, "ok");

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_jwt_refuse(ngx_http_freshdesk_jwt_t *out,
    ngx_uint_t status, const char *message)
{
    out->status = status;
    out->message.data = (u_char *) message;
    out->message.len = ngx_strlen(message);

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_freshdesk_jwt_decode(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_str_t *dst)
{
    ngx_str_t  src;

    src.data = p;
    src.len = last - p;

    dst->data = ngx_pnalloc(pool, src.len * 3 / 4 + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_freshdesk_jwks_base64url(dst, &src) != NGX_OK) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_jwt_header(ngx_pool_t *pool, ngx_str_t *text,
    ngx_http_freshdesk_jwt_t *out, ngx_http_freshdesk_jwt_alg_t **alg)
{
    json_t                        *header, *v;
    ngx_int_t                      rc;
    ngx_str_t                      err;
    ngx_http_freshdesk_jwt_alg_t  *a;

    ngx_str_null(&err);

    header = ngx_http_freshdesk_json_parse(pool, text->data, text->len,
                                           NGX_HTTP_FRESHDESK_JWT_HEADER_DEPTH,
                                           &err);
    if (header == NULL || !json_is_object(header)) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "header is not a JSON object");
    }

    /* no extension we would have to understand (RFC 7515 section 4.1.11) */

    if (json_object_get(header, "crit") != NULL) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "header has \"crit\" extensions");
    }

    rc = ngx_http_freshdesk_jwt_string(header, "alg", &out->alg);
    if (rc != NGX_OK || out->alg.len == 0) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "header has no \"alg\" string");
    }

    v = json_object_get(header, "kid");

    if (v != NULL
        && (ngx_http_freshdesk_jwt_string(header, "kid", &out->kid) != NGX_OK
            || out->kid.len > NGX_HTTP_FRESHDESK_JWKS_MAX_KID))
    {
        ngx_str_null(&out->kid);
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "header \"kid\" is not a short string");
    }

    for (a = ngx_http_freshdesk_jwt_algs; a->name.len; a++) {
        if (out->alg.len == a->name.len
            && ngx_strncmp(out->alg.data, a->name.data, a->name.len) == 0)
        {
            *alg = a;
            return NGX_OK;
        }
    }

    /* "none", HS256, RS512, ...: never */

    ngx_str_null(&out->alg);

    return ngx_http_freshdesk_jwt_refuse(out, NGX_HTTP_FRESHDESK_JWT_BAD_ALG,
               "alg not accepted (RS256, PS256, ES256, EdDSA only)");
}


static ngx_int_t
ngx_http_freshdesk_jwt_key(ngx_http_freshdesk_jwks_t *jwks,
    ngx_http_freshdesk_jwt_alg_t *alg, ngx_http_freshdesk_jwt_t *out,
    ngx_http_freshdesk_jwk_t **key)
{
    ngx_uint_t                 i, named, fits;
    ngx_http_freshdesk_jwk_t  *k, *found;

    named = 0;
    fits = 0;
    found = NULL;

    for (i = 0; i < jwks->nkeys; i++) {
        k = &jwks->keys[i];

        if (out->kid.len) {
            if (k->kid.len != out->kid.len
                || ngx_memcmp(k->kid.data, out->kid.data, k->kid.len) != 0)
            {
                continue;
            }

            named++;
        }

        if (ngx_http_freshdesk_jwt_fits(k, alg)) {
            if (found == NULL) {
                found = k;
            }

            fits++;
        }
    }

    if (out->kid.len) {
        if (named == 0) {
            return ngx_http_freshdesk_jwt_refuse(out,
                       NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID,
                       "no key with this kid");
        }

        if (found == NULL) {
            return ngx_http_freshdesk_jwt_refuse(out,
                       NGX_HTTP_FRESHDESK_JWT_BAD_ALG,
                       "alg does not fit the key with this kid");
        }

        *key = found;
        return NGX_OK;
    }

    if (fits == 0) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_BAD_ALG,
                   "no key fits this alg");
    }

    if (fits > 1) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID,
                   "token has no kid and several keys fit its alg");
    }

    *key = found;

    return NGX_OK;
}


static ngx_uint_t
ngx_http_freshdesk_jwt_fits(ngx_http_freshdesk_jwk_t *key,
    ngx_http_freshdesk_jwt_alg_t *alg)
{
    if (key->type != alg->type) {
        return 0;
    }

    /* a key that names its algorithm is used for that one only */

    if (key->alg.len
        && (key->alg.len != alg->name.len
            || ngx_strncmp(key->alg.data, alg->name.data, alg->name.len)
               != 0))
    {
        return 0;
    }

    return 1;
}


/* NGX_OK: verifies; NGX_DECLINED: does not; NGX_ERROR: OpenSSL failed */

static ngx_int_t
ngx_http_freshdesk_jwt_signature(ngx_str_t *input, ngx_str_t *sig,
    ngx_http_freshdesk_jwk_t *key, ngx_http_freshdesk_jwt_alg_t *alg)
{
    int            n;
    u_char         der[80], *p;
    BIGNUM        *r, *s;
    ngx_int_t      rc;
    ngx_str_t      signature;
    ECDSA_SIG     *ec;
    EVP_MD_CTX    *md;
    EVP_PKEY_CTX  *pctx;
    const EVP_MD  *digest;

    signature = *sig;
    digest = EVP_sha256();

    switch (alg->alg) {

    case NGX_HTTP_FRESHDESK_JWT_ES256:

        /* JOSE sends r || s, 32 bytes each; OpenSSL wants DER */

        if (sig->len != 64) {
            return NGX_DECLINED;
        }

        ec = ECDSA_SIG_new();
        r = BN_bin2bn(sig->data, 32, NULL);
        s = BN_bin2bn(sig->data + 32, 32, NULL);

        if (ec == NULL || r == NULL || s == NULL
            || ECDSA_SIG_set0(ec, r, s) != 1)
        {
            ECDSA_SIG_free(ec);
            BN_free(r);
            BN_free(s);
            ERR_clear_error();
            return NGX_ERROR;
        }

        /* ec owns r and s now */

        p = der;
        n = i2d_ECDSA_SIG(ec, NULL);

        if (n <= 0 || n > (int) sizeof(der)) {
            ECDSA_SIG_free(ec);
            ERR_clear_error();
            return NGX_ERROR;
        }

        n = i2d_ECDSA_SIG(ec, &p);
        ECDSA_SIG_free(ec);

        if (n <= 0) {
            ERR_clear_error();
            return NGX_ERROR;
        }

        signature.data = der;
        signature.len = n;
        break;

    case NGX_HTTP_FRESHDESK_JWT_EDDSA:
        if (sig->len != 64) {
            return NGX_DECLINED;
        }

        digest = NULL;
        break;

    default: /* RS256, PS256 */
        if ((int) sig->len != EVP_PKEY_get_size(key->pkey)) {
            return NGX_DECLINED;
        }

        break;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        ERR_clear_error();
        return NGX_ERROR;
    }

    pctx = NULL;
    rc = NGX_ERROR;

    if (EVP_DigestVerifyInit(md, &pctx, digest, NULL, key->pkey) != 1) {
        goto done;
    }

    if (alg->alg == NGX_HTTP_FRESHDESK_JWT_PS256
        && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               <= 0))
    {
        goto done;
    }

    rc = (EVP_DigestVerify(md, signature.data, signature.len,
                           input->data, input->len) == 1)
         ? NGX_OK : NGX_DECLINED;

done:

    EVP_MD_CTX_free(md);

    /*
     * a failed verification leaves errors in OpenSSL's per-thread queue;
     * nginx would report them later as "ignoring stale global SSL error"
     * on some TLS connection, at ALERT
     */

    if (rc != NGX_OK) {
        ERR_clear_error();
    }

    return rc;
}


static ngx_int_t
ngx_http_freshdesk_jwt_claims(ngx_pool_t *pool, json_t *claims,
    ngx_http_freshdesk_jwt_policy_t *policy, time_t now,
    ngx_http_freshdesk_jwt_t *out)
{
    u_char      *p;
    double       exp, nbf, t;
    json_t      *v;
    ngx_str_t   *iss, *name;
    ngx_uint_t   i, ok;

    /* types first: a claim of the wrong type is a broken token */

    if (ngx_http_freshdesk_jwt_string(claims, "iss", &out->iss) != NGX_OK
        || ngx_http_freshdesk_jwt_string(claims, "sub", &out->sub) != NGX_OK)
    {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "\"iss\" or \"sub\" is not a string");
    }

    if (ngx_http_freshdesk_jwt_string(claims, "client_id", &out->client_id)
        != NGX_OK
        || (out->client_id.len == 0
            && ngx_http_freshdesk_jwt_string(claims, "azp", &out->client_id)
               != NGX_OK))
    {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "\"client_id\" or \"azp\" is not a string");
    }

    for (i = 0; i < 3; i++) {
        v = json_object_get(claims, (i == 0) ? "exp"
                                   : (i == 1) ? "nbf" : "iat");
        if (v != NULL && !json_is_number(v)) {
            return ngx_http_freshdesk_jwt_refuse(out,
                       NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                       "\"exp\", \"nbf\" or \"iat\" is not a number");
        }
    }

    /* the issuer: one of those trusted, byte for byte */

    ok = 0;

    if (out->iss.len && policy->issuers != NULL) {
        iss = policy->issuers->elts;

        for (i = 0; i < policy->issuers->nelts; i++) {
            if (iss[i].len == out->iss.len
                && ngx_memcmp(iss[i].data, out->iss.data, iss[i].len) == 0)
            {
                ok = 1;
                break;
            }
        }
    }

    if (!ok) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_BAD_ISSUER,
                   "issuer not trusted");
    }

    /* the audience: this resource (RFC 8707), alone or among others */

    if (ngx_http_freshdesk_jwt_audience(json_object_get(claims, "aud"),
                                        &policy->audience)
        != NGX_OK)
    {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_BAD_AUDIENCE,
                   "token not issued for this resource (aud)");
    }

    v = json_object_get(claims, "exp");
    if (v == NULL) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MISSING_CLAIM,
                   "required claim \"exp\" missing");
    }

    /* in double: no overflow whatever the token says */

    exp = json_number_value(v);
    t = (double) now;

    if (!(exp > t - (double) policy->leeway)) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_EXPIRED, "token expired");
    }

    out->exp = (exp < (double) NGX_MAX_INT32_VALUE * 2)
               ? (time_t) exp : (time_t) NGX_MAX_INT32_VALUE * 2;

    v = json_object_get(claims, "nbf");
    if (v != NULL) {
        nbf = json_number_value(v);

        if (!(nbf <= t + (double) policy->leeway)) {
            return ngx_http_freshdesk_jwt_refuse(out,
                       NGX_HTTP_FRESHDESK_JWT_NOT_YET_VALID,
                       "token not yet valid (nbf)");
        }
    }

    if (policy->required != NULL) {
        name = policy->required->elts;

        for (i = 0; i < policy->required->nelts; i++) {
            v = json_object_getn(claims, (const char *) name[i].data,
                                 name[i].len);
            if (v != NULL && !json_is_null(v)) {
                continue;
            }

            out->status = NGX_HTTP_FRESHDESK_JWT_MISSING_CLAIM;

            if (name[i].len > 64) {
                ngx_str_set(&out->message, "a required claim is missing");
                return NGX_DECLINED;
            }

            p = ngx_pnalloc(pool, sizeof("required claim \"\" missing")
                                  + name[i].len);
            if (p == NULL) {
                return NGX_ERROR;
            }

            out->message.data = p;
            out->message.len = ngx_sprintf(p, "required claim \"%V\" missing",
                                           &name[i])
                               - p;
            return NGX_DECLINED;
        }
    }

    if (ngx_http_freshdesk_jwt_scope(pool, claims, &out->scope) != NGX_OK) {
        return ngx_http_freshdesk_jwt_refuse(out,
                   NGX_HTTP_FRESHDESK_JWT_MALFORMED,
                   "\"scope\" or \"scp\" is not a string or array of them");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_jwt_audience(json_t *aud, ngx_str_t *audience)
{
    size_t   i, n;
    json_t  *v;

    if (audience->len == 0 || aud == NULL) {
        return NGX_DECLINED;
    }

    if (json_is_string(aud)) {
        n = 1;
        v = aud;

    } else if (json_is_array(aud)) {
        n = json_array_size(aud);
        v = NULL;

    } else {
        return NGX_DECLINED;
    }

    for (i = 0; i < n; i++) {
        if (v == NULL || i > 0) {
            v = json_array_get(aud, i);
        }

        if (json_is_string(v)
            && json_string_length(v) == audience->len
            && ngx_memcmp(json_string_value(v), audience->data,
                          audience->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* a string member without NUL bytes; absent: empty */

static ngx_int_t
ngx_http_freshdesk_jwt_string(json_t *obj, const char *name, ngx_str_t *out)
{
    json_t  *v;

    ngx_str_null(out);

    v = json_object_get(obj, name);
    if (v == NULL) {
        return NGX_OK;
    }

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    out->len = json_string_length(v);
    out->data = (u_char *) json_string_value(v);

    if (memchr(out->data, '\0', out->len) != NULL) {
        ngx_str_null(out);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* "scope": "a b" (RFC 9068), else "scp": ["a", "b"] or "a b" (Entra, Okta) */

static ngx_int_t
ngx_http_freshdesk_jwt_scope(ngx_pool_t *pool, json_t *claims,
    ngx_str_t *out)
{
    u_char  *p;
    size_t   i, n, len;
    json_t  *scp, *v;

    if (ngx_http_freshdesk_jwt_string(claims, "scope", out) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (json_object_get(claims, "scope") != NULL) {
        return NGX_OK;
    }

    scp = json_object_get(claims, "scp");
    if (scp == NULL) {
        return NGX_OK;
    }

    if (json_is_string(scp)) {
        return ngx_http_freshdesk_jwt_string(claims, "scp", out);
    }

    if (!json_is_array(scp)) {
        return NGX_DECLINED;
    }

    n = json_array_size(scp);
    len = 0;

    for (i = 0; i < n; i++) {
        v = json_array_get(scp, i);

        if (!json_is_string(v)
            || memchr(json_string_value(v), '\0', json_string_length(v))
               != NULL)
        {
            return NGX_DECLINED;
        }

        len += json_string_length(v) + 1;
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < n; i++) {
        v = json_array_get(scp, i);

        if (i) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, json_string_value(v), json_string_length(v));
    }

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_jwt_claim(ngx_pool_t *pool, ngx_http_freshdesk_jwt_t *jwt,
    ngx_str_t *name, ngx_str_t *value)
{
    json_t  *v;

    ngx_str_null(value);

    if (jwt->claims == NULL) {
        return NGX_DECLINED;
    }

    v = json_object_getn(jwt->claims, (const char *) name->data, name->len);
    if (v == NULL) {
        return NGX_DECLINED;
    }

    switch (json_typeof(v)) {

    case JSON_STRING:
        value->len = json_string_length(v);
        value->data = (u_char *) json_string_value(v);
        return NGX_OK;

    case JSON_INTEGER:
        value->data = ngx_pnalloc(pool, NGX_INT64_LEN);
        if (value->data == NULL) {
            return NGX_ERROR;
        }

        value->len = ngx_sprintf(value->data, "%L",
                                 (int64_t) json_integer_value(v))
                     - value->data;
        return NGX_OK;

    case JSON_TRUE:
        ngx_str_set(value, "true");
        return NGX_OK;

    case JSON_FALSE:
        ngx_str_set(value, "false");
        return NGX_OK;

    default:
        return NGX_DECLINED;
    }
}


const char *
ngx_http_freshdesk_jwt_status_name(ngx_uint_t status)
{
    if (status >= sizeof(ngx_http_freshdesk_jwt_names) / sizeof(char *)) {
        return "unknown";
    }

    return ngx_http_freshdesk_jwt_names[status];
}
