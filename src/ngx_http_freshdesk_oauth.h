
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_OAUTH_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_OAUTH_H_INCLUDED_


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_jwks.h"
#include "ngx_http_freshdesk_jwt.h"
#include "ngx_http_freshdesk_jwks_fetch.h"


#define NGX_HTTP_FRESHDESK_OAUTH_MAX_SCOPES  64


/* freshdesk_oauth_scopes: a scope and the tools it opens */
typedef struct {
    ngx_str_t                      scope;
    ngx_str_t                      tools;     /* freshdesk_tools syntax */
} ngx_http_freshdesk_oauth_scope_t;


/* the location's OAuth configuration (flcf->oauth) */
typedef struct {
    ngx_flag_t                     enable;         /* freshdesk_oauth */
    ngx_flag_t                     metadata;       /* ..._oauth_metadata */
    ngx_str_t                      resource;
    ngx_array_t                   *issuers;        /* ngx_str_t */
    ngx_array_t                   *required;       /* ngx_str_t */
    ngx_array_t                   *scopes;  /* ..._oauth_scope_t, in order */
    ngx_http_freshdesk_jwks_t     *jwks;           /* the file's */
    ngx_http_freshdesk_jwks_fetch_t  *fetch;       /* ..._oauth_jwks_uri */
    time_t                         leeway;

    ngx_uint_t                     id;     /* never reused in a process */

    /* made by the merge */
    ngx_http_freshdesk_jwt_policy_t  policy;
    ngx_str_t                      metadata_url;   /* RFC 9728 well-known */
    ngx_str_t                      challenge;  /* Bearer realm=.., res..=.. */
    ngx_str_t                      scopes_all; /* "a b" for the challenge */
    ngx_str_t                      document;   /* the metadata JSON */
} ngx_http_freshdesk_oauth_conf_t;


/* a directive of flcf->oauth: oauth_set_slot() runs set on it */
#define NGX_HTTP_FRESHDESK_OAUTH_COMMAND(name, type, field, set)             \
    { ngx_string(name), type, ngx_http_freshdesk_oauth_set_slot,             \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      offsetof(ngx_http_freshdesk_oauth_conf_t, field), (void *) set }

#define NGX_HTTP_FRESHDESK_OAUTH_ANY                                         \
    (NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF)

#define NGX_HTTP_FRESHDESK_OAUTH_COMMANDS                                    \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth",                      \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_FLAG, enable,                  \
        ngx_conf_set_flag_slot),                                             \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_resource",             \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_TAKE1, resource,               \
        ngx_conf_set_str_slot),                                              \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_issuer",               \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_1MORE, issuers,                \
        ngx_http_freshdesk_oauth_set_list),                                  \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_require_claims",       \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_1MORE, required,               \
        ngx_http_freshdesk_oauth_set_list),                                  \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_jwks",                 \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_TAKE1, jwks,                   \
        ngx_http_freshdesk_oauth_jwks_file),                                 \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_jwks_uri",             \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_1MORE, fetch,                  \
        ngx_http_freshdesk_oauth_jwks_uri),                                  \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_leeway",               \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_TAKE1, leeway,                 \
        ngx_conf_set_sec_slot),                                              \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_scopes",               \
        NGX_HTTP_FRESHDESK_OAUTH_ANY|NGX_CONF_TAKE2, scopes,                 \
        ngx_http_freshdesk_oauth_scope_map),                                 \
                                                                             \
    NGX_HTTP_FRESHDESK_OAUTH_COMMAND("freshdesk_oauth_metadata",             \
        NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS, metadata,                         \
        ngx_http_freshdesk_oauth_metadata)


/* configuration (ngx_http_freshdesk_module.c) */
void *ngx_http_freshdesk_oauth_create_conf(ngx_conf_t *cf);
char *ngx_http_freshdesk_oauth_merge_conf(ngx_conf_t *cf, void *parent,
    void *child);
ngx_int_t ngx_http_freshdesk_oauth_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_freshdesk_oauth_init(ngx_conf_t *cf);  /* postconf */
char *ngx_http_freshdesk_oauth_set_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_oauth_set_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_oauth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_oauth_jwks_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_oauth_scope_map(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_freshdesk_oauth_metadata(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * The request side, called by handler.c and call.c (never calling them):
 *
 * refused(): verifies the request's bearer JWT once (later calls and the
 * variables reuse the verdict); NGX_DECLINED when a JWT was sent here and
 * refused, NGX_OK otherwise (oauth off, no JWT, a valid one); NGX_ERROR.
 *
 * challenge(): the WWW-Authenticate value of a 401 in this location;
 * NGX_DECLINED when oauth is off here.
 *
 * grants(): NGX_OK when a valid JWT governs the request: *maps the
 * location's scope maps, *granted a bit per map the token's scopes hold;
 * NGX_DECLINED when no JWT restricts the tools; NGX_ERROR.
 *
 * insufficient(): adds the 403's WWW-Authenticate for the scope needed.
 */
ngx_int_t ngx_http_freshdesk_oauth_refused(ngx_http_request_t *r);
ngx_int_t ngx_http_freshdesk_oauth_challenge(ngx_http_request_t *r,
    ngx_str_t *value);
ngx_int_t ngx_http_freshdesk_oauth_grants(ngx_http_request_t *r,
    ngx_array_t **maps, uint64_t *granted);
ngx_int_t ngx_http_freshdesk_oauth_insufficient(ngx_http_request_t *r,
    ngx_str_t *scope);


#endif /* _NGX_HTTP_FRESHDESK_OAUTH_H_INCLUDED_ */
