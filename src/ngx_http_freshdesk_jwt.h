
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_JWT_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_JWT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_http_freshdesk_jwks.h"


#define NGX_HTTP_FRESHDESK_JWT_MAX_LEN       8192

/* why a token was refused; 0 is a valid token */
#define NGX_HTTP_FRESHDESK_JWT_OK              0
#define NGX_HTTP_FRESHDESK_JWT_MALFORMED       1
#define NGX_HTTP_FRESHDESK_JWT_BAD_ALG         2
#define NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID     3
#define NGX_HTTP_FRESHDESK_JWT_BAD_SIGNATURE   4
#define NGX_HTTP_FRESHDESK_JWT_EXPIRED         5
#define NGX_HTTP_FRESHDESK_JWT_NOT_YET_VALID   6
#define NGX_HTTP_FRESHDESK_JWT_BAD_ISSUER      7
#define NGX_HTTP_FRESHDESK_JWT_BAD_AUDIENCE    8
#define NGX_HTTP_FRESHDESK_JWT_MISSING_CLAIM   9


/* what a token must satisfy (the location's configuration) */
typedef struct {
    ngx_array_t                   *issuers;   /* ngx_str_t; none: refuse */
    ngx_str_t                      audience;  /* this resource; empty: refuse */
    ngx_array_t                   *required;  /* ngx_str_t claim names */
    time_t                         leeway;    /* seconds, for exp and nbf */
} ngx_http_freshdesk_jwt_policy_t;


typedef struct {
    ngx_uint_t                     status;    /* NGX_HTTP_FRESHDESK_JWT_* */
    ngx_str_t                      message;   /* short, never the token */

    /* set once the header is read */
    ngx_str_t                      alg;
    ngx_str_t                      kid;       /* empty: none */

    /* set on success (empty when the token has no such claim) */
    ngx_str_t                      iss;
    ngx_str_t                      sub;
    ngx_str_t                      client_id; /* client_id, else azp */
    ngx_str_t                      scope;     /* scope, else scp joined */
    time_t                         exp;
    json_t                        *claims;    /* owned by the pool */
} ngx_http_freshdesk_jwt_t;


/*
 * Verifies a compact JWS access token (RFC 7515, RFC 9068) against a key
 * set and a policy at time now.  Everything is allocated from pool (the
 * claims' jansson tree is freed by a pool cleanup); OpenSSL's own
 * allocations are freed before return.  Never blocks.
 *
 * Returns NGX_OK for a valid token (out->status NGX_HTTP_FRESHDESK_JWT_OK,
 * the claim fields set); NGX_DECLINED for a refused one, with out->status
 * and out->message saying why (NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID: the
 * caller may refresh its key set and try again); NGX_ERROR when memory
 * runs out.
 */
ngx_int_t ngx_http_freshdesk_jwt_verify(ngx_pool_t *pool, ngx_str_t *token,
    ngx_http_freshdesk_jwks_t *jwks, ngx_http_freshdesk_jwt_policy_t *policy,
    time_t now, ngx_http_freshdesk_jwt_t *out);

/*
 * A top-level claim of a verified token as text: a string as is, an
 * integer in decimal, true/false.  NGX_DECLINED when absent or of another
 * type (null, real, object, array); NGX_ERROR when memory runs out.
 */
ngx_int_t ngx_http_freshdesk_jwt_claim(ngx_pool_t *pool,
    ngx_http_freshdesk_jwt_t *jwt, ngx_str_t *name, ngx_str_t *value);

/* "ok", "malformed", "bad_alg", ... for logs and variables */
const char *ngx_http_freshdesk_jwt_status_name(ngx_uint_t status);


#endif /* _NGX_HTTP_FRESHDESK_JWT_H_INCLUDED_ */
