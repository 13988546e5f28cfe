
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The gateway as an OAuth 2.1 resource server (issue 23, phase 1): the
 * freshdesk_oauth* directives, the RFC 9728 Protected Resource Metadata
 * document, the bearer JWT of a request verified once (jwt.c) and its
 * verdict kept for the request, a per-worker cache of verified tokens,
 * the $freshdesk_jwt_* variables, and the 401/403 challenges.  Keys come
 * from a JWKS file read at configuration time and/or from the
 * authorization server's jwks_uri (jwks_fetch.c), kept current by a
 * PREACCESS handler that fetches on a TTL and on an unknown kid.
 */


#include "ngx_http_freshdesk_oauth.h"
#include "ngx_http_freshdesk_file.h"
#include "ngx_http_freshdesk_headers.h"
#include "ngx_http_freshdesk_variables.h"


#define FD_OAUTH_NONE       0      /* no bearer JWT in the request */
#define FD_OAUTH_VALID      1
#define FD_OAUTH_REFUSED    2

#define FD_OAUTH_CACHE_SETS   256
#define FD_OAUTH_CACHE_WAYS   4
#define FD_OAUTH_CACHE_TTL    300   /* seconds, at most */

#define FD_JWT_VAR_SUB        0
#define FD_JWT_VAR_CLIENT_ID  1
#define FD_JWT_VAR_SCOPE      2
#define FD_JWT_VAR_STATUS     3
#define FD_JWT_VAR_CACHE      4

#define FD_OAUTH_POLL         20    /* ms, waiting for another's fetch */


/* a request's verdict: the data of a cleanup of the main request's pool */
typedef struct {
    ngx_http_freshdesk_oauth_conf_t  *conf;
    ngx_uint_t                     state;          /* FD_OAUTH_* */
    ngx_uint_t                     status;         /* jwt.c's */
    ngx_str_t                      message;        /* never the token */
    ngx_str_t                      sub;
    ngx_str_t                      client_id;
    ngx_str_t                      scope;
    json_t                        *claims;
    uint64_t                       granted;
    unsigned                       sent:1;         /* any Authorization */
    unsigned                       own:1;          /* a reference to drop */
    unsigned                       granted_set:1;
    unsigned                       cached:1;       /* a cache hit */
} ngx_http_freshdesk_oauth_req_t;


/* a request that needs keys fetched: a cleanup's data */
typedef struct {
    ngx_http_freshdesk_jwks_fetch_req_t  freq;
    ngx_msec_t                     wait_start;
    unsigned                       waiting:1;      /* polled, or fetched */
    unsigned                       fetched:1;      /* no second fetch */
} ngx_http_freshdesk_oauth_keys_t;


/* a verified token, kept by a worker */
typedef struct {
    uint32_t                       hash;
    ngx_uint_t                     conf;   /* the policy it passed: id */
    u_char                        *block;  /* token, sub, client_id, scope */
    size_t                         len;    /* the token's */
    ngx_str_t                      sub;
    ngx_str_t                      client_id;
    ngx_str_t                      scope;
    json_t                        *claims;
    time_t                         until;
    ngx_uint_t                     used;
} ngx_http_freshdesk_oauth_entry_t;


static ngx_http_freshdesk_oauth_req_t *ngx_http_freshdesk_oauth_get(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_freshdesk_oauth_request(ngx_http_request_t *r,
    ngx_http_freshdesk_oauth_req_t **req);
static ngx_int_t ngx_http_freshdesk_oauth_token(ngx_http_request_t *r,
    ngx_str_t *token);
static ngx_uint_t ngx_http_freshdesk_oauth_is_jwt(ngx_str_t *token);
static ngx_int_t ngx_http_freshdesk_oauth_verify(ngx_http_request_t *r,
    ngx_http_freshdesk_oauth_req_t *req, ngx_str_t *token);
static void ngx_http_freshdesk_oauth_cleanup(void *data);
static ngx_http_freshdesk_oauth_entry_t *ngx_http_freshdesk_oauth_lookup(
    ngx_uint_t conf, ngx_str_t *token, uint32_t hash, time_t now);
static void ngx_http_freshdesk_oauth_store(ngx_uint_t conf, ngx_str_t *token,
    uint32_t hash, ngx_http_freshdesk_jwt_t *jwt, time_t now,
    ngx_log_t *log);
static ngx_int_t ngx_http_freshdesk_oauth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_freshdesk_oauth_claim_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_freshdesk_oauth_keys_handler(
    ngx_http_request_t *r);
static ngx_http_freshdesk_oauth_keys_t *ngx_http_freshdesk_oauth_keys_ctx(
    ngx_http_request_t *r, ngx_uint_t create);
static void ngx_http_freshdesk_oauth_keys_cleanup(void *data);
static void ngx_http_freshdesk_oauth_keys_poll(ngx_http_request_t *r);
static void ngx_http_freshdesk_oauth_forget(ngx_http_request_t *r,
    ngx_http_freshdesk_oauth_conf_t *ocf);
static ngx_int_t ngx_http_freshdesk_oauth_metadata_handler(
    ngx_http_request_t *r);
static char *ngx_http_freshdesk_oauth_document(ngx_conf_t *cf,
    ngx_http_freshdesk_oauth_conf_t *ocf);


static ngx_http_freshdesk_oauth_entry_t
    ngx_http_freshdesk_oauth_cache[FD_OAUTH_CACHE_SETS * FD_OAUTH_CACHE_WAYS];
static ngx_uint_t  ngx_http_freshdesk_oauth_clock;
static ngx_uint_t  ngx_http_freshdesk_oauth_ids;
static ngx_uint_t  ngx_http_freshdesk_oauth_fetching;  /* a jwks_uri seen */


static ngx_http_variable_t  ngx_http_freshdesk_oauth_vars[] = {

    { ngx_string("freshdesk_jwt_sub"), NULL,
      ngx_http_freshdesk_oauth_variable, FD_JWT_VAR_SUB,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_jwt_client_id"), NULL,
      ngx_http_freshdesk_oauth_variable, FD_JWT_VAR_CLIENT_ID,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_jwt_scope"), NULL,
      ngx_http_freshdesk_oauth_variable, FD_JWT_VAR_SCOPE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_jwt_status"), NULL,
      ngx_http_freshdesk_oauth_variable, FD_JWT_VAR_STATUS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_jwt_cache"), NULL,
      ngx_http_freshdesk_oauth_variable, FD_JWT_VAR_CACHE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("freshdesk_jwt_claim_"), NULL,
      ngx_http_freshdesk_oauth_claim_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


/* base64url characters and the dot: the look of a compact JWS */
static const u_char  ngx_http_freshdesk_oauth_b64url[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['-'] = 1, ['_'] = 1,
    ['.'] = 2
};


/* configuration */

void *
ngx_http_freshdesk_oauth_create_conf(ngx_conf_t *cf)
{
    ngx_http_freshdesk_oauth_conf_t  *ocf;

    ocf = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_oauth_conf_t));
    if (ocf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ocf->resource = { 0, NULL };
     *     ocf->metadata_url = { 0, NULL };
     *     ocf->challenge = { 0, NULL };
     *     ocf->document = { 0, NULL };
     */

    ocf->enable = NGX_CONF_UNSET;
    ocf->metadata = NGX_CONF_UNSET;
    ocf->issuers = NGX_CONF_UNSET_PTR;
    ocf->required = NGX_CONF_UNSET_PTR;
    ocf->scopes = NGX_CONF_UNSET_PTR;
    ocf->jwks = NGX_CONF_UNSET_PTR;
    ocf->fetch = NGX_CONF_UNSET_PTR;
    ocf->leeway = NGX_CONF_UNSET;

    /* the cache's key: an address could come back after a reload */
    ocf->id = ++ngx_http_freshdesk_oauth_ids;

    return ocf;
}


char *
ngx_http_freshdesk_oauth_merge_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_freshdesk_oauth_conf_t  *prev = parent;
    ngx_http_freshdesk_oauth_conf_t  *conf = child;

    u_char                            *p, *host, *path, *last;
    size_t                             len;
    ngx_uint_t                         i;
    ngx_http_freshdesk_oauth_scope_t  *s;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->metadata, prev->metadata, 0);
    ngx_conf_merge_str_value(conf->resource, prev->resource, "");
    ngx_conf_merge_ptr_value(conf->issuers, prev->issuers, NULL);
    ngx_conf_merge_ptr_value(conf->required, prev->required, NULL);
    ngx_conf_merge_ptr_value(conf->scopes, prev->scopes, NULL);
    ngx_conf_merge_ptr_value(conf->jwks, prev->jwks, NULL);
    ngx_conf_merge_ptr_value(conf->fetch, prev->fetch, NULL);
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 60);

    if (!conf->enable && !conf->metadata) {
        return NGX_CONF_OK;
    }

    if (conf->resource.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_oauth\" and "
                           "\"freshdesk_oauth_metadata\" need "
                           "\"freshdesk_oauth_resource\"");
        return NGX_CONF_ERROR;
    }

    if (conf->issuers == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_oauth\" and "
                           "\"freshdesk_oauth_metadata\" need "
                           "\"freshdesk_oauth_issuer\"");
        return NGX_CONF_ERROR;
    }

    if (conf->enable && conf->jwks == NULL && conf->fetch == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_oauth\" needs "
                           "\"freshdesk_oauth_jwks\" or "
                           "\"freshdesk_oauth_jwks_uri\"");
        return NGX_CONF_ERROR;
    }

    /* the default mapping: read-only tools, and all but deletes */

    if (conf->scopes == NULL) {
        conf->scopes = ngx_array_create(cf->pool, 2,
                                    sizeof(ngx_http_freshdesk_oauth_scope_t));
        if (conf->scopes == NULL) {
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push_n(conf->scopes, 2);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(&s[0].scope, "freshdesk:read");
        ngx_str_set(&s[0].tools, "read_only");
        ngx_str_set(&s[1].scope, "freshdesk:write");
        ngx_str_set(&s[1].tools, "all !delete_* !bulk_delete_*");
    }

    conf->policy.issuers = conf->issuers;
    conf->policy.audience = conf->resource;
    conf->policy.required = conf->required;
    conf->policy.leeway = conf->leeway;

    /*
     * RFC 9728 section 3.1: the well-known name goes between the host and
     * the path: https://h/mcp -> https://h/.well-known/oauth-protected-
     * resource/mcp
     */

    p = conf->resource.data;
    last = p + conf->resource.len;

    if (conf->resource.len > 8 && ngx_strncmp(p, "https://", 8) == 0) {
        host = p + 8;

    } else if (conf->resource.len > 7 && ngx_strncmp(p, "http://", 7) == 0) {
        host = p + 7;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_oauth_resource\" must be an http:// "
                           "or https:// URL, not \"%V\"", &conf->resource);
        return NGX_CONF_ERROR;
    }

    for (path = host; path < last && *path != '/'; path++) {
        if (*path == '?' || *path == '#' || *path == '"' || *path <= ' ') {
            break;
        }
    }

    for (p = host; p < last; p++) {
        if (*p == '?' || *p == '#' || *p == '"' || *p == '\\' || *p <= ' '
            || *p >= 0x7f)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"freshdesk_oauth_resource\" \"%V\": no "
                               "query, fragment, quote or space",
                               &conf->resource);
            return NGX_CONF_ERROR;
        }
    }

    if (path == host) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_oauth_resource\" \"%V\" has no host",
                           &conf->resource);
        return NGX_CONF_ERROR;
    }

    if (last - path == 1) {
        path = last;     /* "https://h/": no path */
    }

    len = conf->resource.len
          + sizeof("/.well-known/oauth-protected-resource") - 1;

    conf->metadata_url.data = ngx_pnalloc(cf->pool, len);
    if (conf->metadata_url.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(conf->metadata_url.data, conf->resource.data,
                   path - conf->resource.data);
    p = ngx_cpymem(p, "/.well-known/oauth-protected-resource",
                   sizeof("/.well-known/oauth-protected-resource") - 1);
    p = ngx_cpymem(p, path, last - path);
    conf->metadata_url.len = p - conf->metadata_url.data;

    /* the scopes, space separated, for the challenge's scope="" */

    s = conf->scopes->elts;
    len = 0;

    for (i = 0; i < conf->scopes->nelts; i++) {
        len += s[i].scope.len + 1;
    }

    conf->scopes_all.data = ngx_pnalloc(cf->pool, len);
    if (conf->scopes_all.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = conf->scopes_all.data;

    for (i = 0; i < conf->scopes->nelts; i++) {
        if (i) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, s[i].scope.data, s[i].scope.len);
    }

    conf->scopes_all.len = p - conf->scopes_all.data;

    conf->challenge.len = sizeof("resource_metadata=\"\"") - 1
                          + conf->metadata_url.len;
    conf->challenge.data = ngx_pnalloc(cf->pool, conf->challenge.len);
    if (conf->challenge.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(conf->challenge.data, "resource_metadata=\"%V\"",
                &conf->metadata_url);

    if (conf->metadata) {
        return ngx_http_freshdesk_oauth_document(cf, conf);
    }

    return NGX_CONF_OK;
}


/* the RFC 9728 document, made once */

static char *
ngx_http_freshdesk_oauth_document(ngx_conf_t *cf,
    ngx_http_freshdesk_oauth_conf_t *ocf)
{
    char                              *text;
    json_t                            *doc, *servers, *scopes, *methods;
    ngx_str_t                         *iss;
    ngx_uint_t                         i;
    ngx_http_freshdesk_oauth_scope_t  *s;

    doc = json_object();
    servers = json_array();
    scopes = json_array();
    methods = json_array();

    if (doc == NULL || servers == NULL || scopes == NULL || methods == NULL) {
        goto failed;
    }

    iss = ocf->issuers->elts;

    for (i = 0; i < ocf->issuers->nelts; i++) {
        if (json_array_append_new(servers,
                                  json_stringn((char *) iss[i].data,
                                               iss[i].len))
            != 0)
        {
            goto failed;
        }
    }

    s = ocf->scopes->elts;

    for (i = 0; i < ocf->scopes->nelts; i++) {
        if (json_array_append_new(scopes,
                                  json_stringn((char *) s[i].scope.data,
                                               s[i].scope.len))
            != 0)
        {
            goto failed;
        }
    }

    if (json_array_append_new(methods, json_string("header")) != 0
        || json_object_set_new(doc, "resource",
                               json_stringn((char *) ocf->resource.data,
                                            ocf->resource.len))
           != 0)
    {
        goto failed;
    }

    if (json_object_set(doc, "authorization_servers", servers) != 0
        || json_object_set(doc, "scopes_supported", scopes) != 0
        || json_object_set(doc, "bearer_methods_supported", methods) != 0)
    {
        goto failed;
    }

    text = json_dumps(doc, JSON_COMPACT|JSON_PRESERVE_ORDER);
    if (text == NULL) {
        goto failed;
    }

    ocf->document.len = ngx_strlen(text);
    ocf->document.data = ngx_pnalloc(cf->pool, ocf->document.len);
    if (ocf->document.data == NULL) {
        free(text);
        goto failed;
    }

    ngx_memcpy(ocf->document.data, text, ocf->document.len);
    free(text);

    json_decref(doc);
    json_decref(servers);
    json_decref(scopes);
    json_decref(methods);

    return NGX_CONF_OK;

failed:

    json_decref(doc);
    json_decref(servers);
    json_decref(scopes);
    json_decref(methods);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "freshdesk: the OAuth metadata document could not "
                       "be made");
    return NGX_CONF_ERROR;
}


/*
 * Every freshdesk_oauth_* directive comes here: cmd->post names its
 * handler (a standard slot or one below), which gets flcf->oauth as its
 * conf and a copy of cmd without post (a slot runs cmd->post as a
 * ngx_conf_post_t)
 */

char *
ngx_http_freshdesk_oauth_set_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_loc_conf_t *flcf = conf;

    ngx_command_t   c;
    char         *(*set)(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

    set = (char *(*)(ngx_conf_t *, ngx_command_t *, void *)) cmd->post;

    c = *cmd;
    c.post = NULL;

    return set(cf, &c, flcf->oauth);
}


/* freshdesk_oauth_issuer and _require_claims: one or more words */

char *
ngx_http_freshdesk_oauth_set_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) ((char *) conf + cmd->offset);

    if (*a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, cf->args->nelts, sizeof(ngx_str_t));
        if (*a == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            return "takes no empty value";
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


/* freshdesk_oauth_scopes scope tool-set */

char *
ngx_http_freshdesk_oauth_scope_map(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_oauth_conf_t *ocf = conf;

    u_char                            *p;
    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_freshdesk_oauth_scope_t  *s;

    value = cf->args->elts;

    if (value[1].len == 0 || value[2].len == 0) {
        return "takes no empty value";
    }

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p <= ' ' || *p == '"' || *p == '\\' || *p >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid scope \"%V\" (RFC 6749 3.3: no "
                               "space, quote or backslash)", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (ocf->scopes == NGX_CONF_UNSET_PTR) {
        ocf->scopes = ngx_array_create(cf->pool, 4,
                                    sizeof(ngx_http_freshdesk_oauth_scope_t));
        if (ocf->scopes == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    s = ocf->scopes->elts;

    for (i = 0; i < ocf->scopes->nelts; i++) {
        if (s[i].scope.len == value[1].len
            && ngx_strncmp(s[i].scope.data, value[1].data, value[1].len) == 0)
        {
            return "is duplicate for this scope";
        }
    }

    if (ocf->scopes->nelts == NGX_HTTP_FRESHDESK_OAUTH_MAX_SCOPES) {
        return "maps too many scopes";
    }

    s = ngx_array_push(ocf->scopes);
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    s->scope = value[1];
    s->tools = value[2];

    return NGX_CONF_OK;
}


/* freshdesk_oauth_jwks file: read and parsed now, at every (re)load */

char *
ngx_http_freshdesk_oauth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_oauth_conf_t *ocf = conf;

    size_t                            len;
    ngx_str_t                        *value, name, *skipped;
    ngx_int_t                         rc;
    ngx_uint_t                        i;
    u_char                           *buf;
    ngx_http_freshdesk_jwks_t        *jwks;

    if (ocf->jwks != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* read whole (file.c); jwks_parse() bounds its size */

    rc = ngx_http_freshdesk_file_read(&name,
                                      NGX_HTTP_FRESHDESK_JWKS_MAX_BYTES,
                                      cf->log, &buf, &len);

    if (rc == NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, NGX_ENOENT,
                           ngx_open_file_n " \"%V\" failed", &name);
    }

    if (rc != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    jwks = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_jwks_t));
    if (jwks == NULL) {
        ngx_free(buf);
        return NGX_CONF_ERROR;
    }

    rc = ngx_http_freshdesk_jwks_parse(cf->pool, buf, len, jwks);

    ngx_free(buf);

    if (rc == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    if (jwks->skipped) {
        skipped = jwks->skipped->elts;

        for (i = 0; i < jwks->skipped->nelts; i++) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "freshdesk_oauth_jwks \"%V\": %V skipped",
                               &name, &skipped[i]);
        }
    }

    if (rc == NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "freshdesk_oauth_jwks \"%V\" refused: %V",
                           &name, &jwks->err);
        return NGX_CONF_ERROR;
    }

    ocf->jwks = jwks;

    return NGX_CONF_OK;
}


/* freshdesk_oauth_jwks_uri /internal [ttl=] [refresh_min=] [wait=] */

char *
ngx_http_freshdesk_oauth_jwks_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_oauth_conf_t *ocf = conf;

    if (ocf->fetch != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    ngx_http_freshdesk_oauth_fetching = 1;

    return ngx_http_freshdesk_jwks_fetch_conf(cf, &ocf->fetch);
}


char *
ngx_http_freshdesk_oauth_metadata(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_oauth_conf_t *ocf = conf;

    ngx_http_core_loc_conf_t         *clcf;

    if (ocf->metadata != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    ocf->metadata = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_freshdesk_oauth_metadata_handler;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_freshdesk_oauth_add_variables(ngx_conf_t *cf)
{
    return ngx_http_freshdesk_add_variable_table(cf,
                                                 ngx_http_freshdesk_oauth_vars);
}


/* the metadata document: GET and HEAD, anyone may read it (CORS *) */

static ngx_int_t
ngx_http_freshdesk_oauth_metadata_handler(ngx_http_request_t *r)
{
    ngx_int_t                         rc;
    ngx_buf_t                        *b;
    ngx_str_t                         v;
    ngx_chain_t                       out;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_oauth_conf_t  *ocf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    ocf = flcf->oauth;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_str_set(&v, "*");
    if (ngx_http_freshdesk_add_header(r, "Access-Control-Allow-Origin", &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == NGX_HTTP_OPTIONS) {
        ngx_str_set(&v, "GET, HEAD, OPTIONS");
        if (ngx_http_freshdesk_add_header(r, "Access-Control-Allow-Methods",
                                          &v)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&v, "Authorization, MCP-Protocol-Version");
        if (ngx_http_freshdesk_add_header(r, "Access-Control-Allow-Headers",
                                          &v)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.status = NGX_HTTP_NO_CONTENT;
        r->header_only = 1;
        r->headers_out.content_length_n = 0;

        return ngx_http_send_header(r);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    ngx_str_set(&v, "max-age=3600");
    if (ngx_http_freshdesk_add_header(r, "Cache-Control", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = ocf->document.len;

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = ocf->document.data;
    b->last = ocf->document.data + ocf->document.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


/* the request side */

static ngx_http_freshdesk_oauth_req_t *
ngx_http_freshdesk_oauth_get(ngx_http_request_t *r)
{
    ngx_str_t                         token;
    ngx_pool_cleanup_t               *cln;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_oauth_req_t   *req;
    ngx_http_freshdesk_oauth_conf_t  *ocf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    ocf = flcf->oauth;

    if (!ocf->enable) {
        return NULL;
    }

    /* the verdict already reached for this request and this policy */

    for (cln = r->main->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_freshdesk_oauth_cleanup) {
            req = cln->data;
            if (req->conf == ocf) {
                return req;
            }
        }
    }

    cln = ngx_pool_cleanup_add(r->main->pool,
                               sizeof(ngx_http_freshdesk_oauth_req_t));
    if (cln == NULL) {
        return NULL;
    }

    req = cln->data;
    ngx_memzero(req, sizeof(ngx_http_freshdesk_oauth_req_t));
    req->conf = ocf;

    cln->handler = ngx_http_freshdesk_oauth_cleanup;

    req->sent = (r->headers_in.authorization != NULL);

    if (ngx_http_freshdesk_oauth_token(r, &token) != NGX_OK) {
        req->state = FD_OAUTH_NONE;
        return req;
    }

    if (ngx_http_freshdesk_oauth_verify(r, req, &token) != NGX_OK) {
        return NULL;
    }

    return req;
}


/* the credentials of "Bearer <token>" */

static ngx_int_t
ngx_http_freshdesk_oauth_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char  *p, *last;

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    if (last - p < 7 || ngx_strncasecmp(p, (u_char *) "Bearer ", 7) != 0) {
        return NGX_DECLINED;
    }

    p += 7;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    if (p == last) {
        return NGX_DECLINED;
    }

    token->data = p;
    token->len = last - p;

    return NGX_OK;
}


/* three base64url parts: a JWT; anything else is a static token */

static ngx_uint_t
ngx_http_freshdesk_oauth_is_jwt(ngx_str_t *token)
{
    u_char      *p, *last;
    ngx_uint_t   dots;

    dots = 0;
    last = token->data + token->len;

    for (p = token->data; p < last; p++) {
        switch (ngx_http_freshdesk_oauth_b64url[*p]) {
        case 1:
            break;
        case 2:
            dots++;
            break;
        default:
            return 0;
        }
    }

    return dots == 2;
}


static ngx_int_t
ngx_http_freshdesk_oauth_verify(ngx_http_request_t *r,
    ngx_http_freshdesk_oauth_req_t *req, ngx_str_t *token)
{
    u_char                            *p;
    time_t                             now;
    uint32_t                           hash;
    ngx_int_t                          rc;
    ngx_http_freshdesk_jwt_t           jwt;
    ngx_http_freshdesk_jwks_t         *keys;
    ngx_http_freshdesk_oauth_conf_t   *ocf;
    ngx_http_freshdesk_oauth_entry_t  *e;

    ocf = req->conf;
    now = ngx_time();

    /*
     * The bucket: a hash of the last 64 bytes only, the signature's end
     * in a JWT (random, so tokens spread; only verified tokens are stored,
     * and nobody can make one end as they like).  The full compare of the
     * bytes decides.
     */

    hash = (token->len > 64)
           ? ngx_murmur_hash2(token->data + token->len - 64, 64)
           : ngx_murmur_hash2(token->data, token->len);

    e = ngx_http_freshdesk_oauth_lookup(ocf->id, token, hash, now);

    if (e) {
        p = ngx_pnalloc(r->pool, e->sub.len + e->client_id.len
                                 + e->scope.len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        req->sub.data = p;
        req->sub.len = e->sub.len;
        p = ngx_cpymem(p, e->sub.data, e->sub.len);
        req->client_id.data = p;
        req->client_id.len = e->client_id.len;
        p = ngx_cpymem(p, e->client_id.data, e->client_id.len);
        req->scope.data = p;
        req->scope.len = e->scope.len;
        ngx_memcpy(p, e->scope.data, e->scope.len);

        req->claims = json_incref(e->claims);
        req->own = 1;
        req->cached = 1;
        req->state = FD_OAUTH_VALID;

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "freshdesk oauth: token found in the cache");
        return NGX_OK;
    }

    /* not a token verified before: a JWT, or a static token? */

    if (!ngx_http_freshdesk_oauth_is_jwt(token)) {
        req->state = FD_OAUTH_NONE;
        return NGX_OK;
    }

    /* the fetched set first, then the file's */

    keys = (ocf->fetch == NULL)
           ? NULL
           : ngx_http_freshdesk_jwks_fetch_keys(ocf->fetch,
                                                r->connection->log);

    if (keys == NULL && ocf->jwks == NULL) {
        req->state = FD_OAUTH_REFUSED;
        req->status = NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID;
        ngx_str_set(&req->message, "no key set to verify tokens yet");

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: bearer JWT refused: no key set yet");
        return NGX_OK;
    }

    rc = ngx_http_freshdesk_jwt_verify(r->pool, token,
                                       keys ? keys : ocf->jwks,
                                       &ocf->policy, now, &jwt);

    if (rc == NGX_DECLINED && keys && ocf->jwks
        && (jwt.status == NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID
            || jwt.status == NGX_HTTP_FRESHDESK_JWT_BAD_ALG))
    {
        rc = ngx_http_freshdesk_jwt_verify(r->pool, token, ocf->jwks,
                                           &ocf->policy, now, &jwt);
    }

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        req->state = FD_OAUTH_REFUSED;
        req->status = jwt.status;
        req->message = jwt.message;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "freshdesk: bearer JWT refused: %s: %V",
                      ngx_http_freshdesk_jwt_status_name(jwt.status),
                      &jwt.message);
        return NGX_OK;
    }

    req->state = FD_OAUTH_VALID;
    req->sub = jwt.sub;
    req->client_id = jwt.client_id;
    req->scope = jwt.scope;
    req->claims = jwt.claims;     /* the pool holds it */

    ngx_http_freshdesk_oauth_store(ocf->id, token, hash, &jwt, now,
                                   r->connection->log);

    return NGX_OK;
}


static void
ngx_http_freshdesk_oauth_cleanup(void *data)
{
    ngx_http_freshdesk_oauth_req_t  *req = data;

    if (req->own) {
        json_decref(req->claims);
    }
}


/*
 * The cache of verified tokens: per worker, 256 sets of 4, a set picked
 * by a murmur hash of the token's end, the least recently used of a full set
 * replaced.  An entry matches only the same policy (conf) and the same
 * bytes, and lives until the token's exp, 5 minutes at most.
 */

static ngx_http_freshdesk_oauth_entry_t *
ngx_http_freshdesk_oauth_lookup(ngx_uint_t conf, ngx_str_t *token,
    uint32_t hash, time_t now)
{
    ngx_uint_t                         i;
    ngx_http_freshdesk_oauth_entry_t  *e;

    e = &ngx_http_freshdesk_oauth_cache[(hash % FD_OAUTH_CACHE_SETS)
                                        * FD_OAUTH_CACHE_WAYS];

    for (i = 0; i < FD_OAUTH_CACHE_WAYS; i++, e++) {
        if (e->block != NULL && e->hash == hash && e->conf == conf
            && e->len == token->len && e->until > now
            && ngx_memcmp(e->block, token->data, token->len) == 0)
        {
            e->used = ++ngx_http_freshdesk_oauth_clock;
            return e;
        }
    }

    return NULL;
}


static void
ngx_http_freshdesk_oauth_store(ngx_uint_t conf, ngx_str_t *token,
    uint32_t hash, ngx_http_freshdesk_jwt_t *jwt, time_t now, ngx_log_t *log)
{
    u_char                            *p;
    time_t                             until;
    ngx_uint_t                         i;
    ngx_http_freshdesk_oauth_entry_t  *e, *victim;

    until = now + FD_OAUTH_CACHE_TTL;
    if (jwt->exp < until) {
        until = jwt->exp;
    }

    if (until <= now) {
        return;     /* valid by the leeway only: not kept */
    }

    e = &ngx_http_freshdesk_oauth_cache[(hash % FD_OAUTH_CACHE_SETS)
                                        * FD_OAUTH_CACHE_WAYS];
    victim = e;

    for (i = 0; i < FD_OAUTH_CACHE_WAYS; i++, e++) {
        if (e->block == NULL || e->until <= now) {
            victim = e;
            break;
        }

        if (e->used < victim->used) {
            victim = e;
        }
    }

    if (victim->block) {
        ngx_free(victim->block);
        json_decref(victim->claims);
        victim->block = NULL;
    }

    p = ngx_alloc(token->len + jwt->sub.len + jwt->client_id.len
                  + jwt->scope.len + 1, log);
    if (p == NULL) {
        return;
    }

    victim->block = p;
    victim->hash = hash;
    victim->conf = conf;
    victim->len = token->len;
    p = ngx_cpymem(p, token->data, token->len);

    victim->sub.data = p;
    victim->sub.len = jwt->sub.len;
    p = ngx_cpymem(p, jwt->sub.data, jwt->sub.len);

    victim->client_id.data = p;
    victim->client_id.len = jwt->client_id.len;
    p = ngx_cpymem(p, jwt->client_id.data, jwt->client_id.len);

    victim->scope.data = p;
    victim->scope.len = jwt->scope.len;
    ngx_memcpy(p, jwt->scope.data, jwt->scope.len);

    victim->claims = json_incref(jwt->claims);
    victim->until = until;
    victim->used = ++ngx_http_freshdesk_oauth_clock;
}


/*
 * The request's verdict, for the functions below: NGX_DECLINED where the
 * location does not check JWTs, NGX_ERROR when out of memory
 */

static ngx_int_t
ngx_http_freshdesk_oauth_request(ngx_http_request_t *r,
    ngx_http_freshdesk_oauth_req_t **req)
{
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    if (flcf == NULL
        || !((ngx_http_freshdesk_oauth_conf_t *) flcf->oauth)->enable)
    {
        return NGX_DECLINED;
    }

    *req = ngx_http_freshdesk_oauth_get(r);

    return (*req == NULL) ? NGX_ERROR : NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_oauth_refused(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_freshdesk_oauth_req_t  *req;

    rc = ngx_http_freshdesk_oauth_request(r, &req);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
    }

    return (req->state == FD_OAUTH_REFUSED) ? NGX_DECLINED : NGX_OK;
}


/*
 * The keys a request's JWT needs (a location with freshdesk_oauth_jwks_uri
 * only), made sure of before the content handler verifies: a PREACCESS
 * handler, so that the fetch, a subrequest, can suspend the request the
 * way auth_request does.  Fetches when the set is older than ttl, when
 * there is none yet, or when the token's kid is unknown (at most once per
 * refresh_min, counted across workers).  A request whose JWT cannot be
 * checked without the fetch another request is making polls for it, for
 * wait at most; others use the last good set.  No key set at all: 503.
 */

ngx_int_t
ngx_http_freshdesk_oauth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    if (!ngx_http_freshdesk_oauth_fetching) {
        return NGX_OK;      /* no jwks_uri: no handler, no cost */
    }

    ngx_http_freshdesk_oauth_fetching = 0;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_freshdesk_oauth_keys_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_oauth_keys_handler(ngx_http_request_t *r)
{
    ngx_int_t                         rc;
    ngx_str_t                         v;
    ngx_msec_t                        t;
    ngx_uint_t                        kid;
    ngx_http_freshdesk_jwks_t        *keys;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_oauth_req_t   *req;
    ngx_http_freshdesk_oauth_keys_t  *ctx;
    ngx_http_freshdesk_oauth_conf_t  *ocf;
    ngx_http_freshdesk_jwks_fetch_t  *fetch;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    ocf = flcf->oauth;

    if (!ocf->enable || ocf->fetch == NULL) {
        return NGX_DECLINED;
    }

    fetch = ocf->fetch;

    ctx = ngx_http_freshdesk_oauth_keys_ctx(r, 0);

    if (ctx == NULL) {

        /* the common case: a fresh set, and a verdict it could give */

        keys = ngx_http_freshdesk_jwks_fetch_keys(fetch, r->connection->log);

        if (keys && !ngx_http_freshdesk_jwks_fetch_stale(fetch)) {
            req = ngx_http_freshdesk_oauth_get(r);
            if (req == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (req->state != FD_OAUTH_REFUSED
                || req->status != NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID)
            {
                return NGX_DECLINED;
            }
        }

        ctx = ngx_http_freshdesk_oauth_keys_ctx(r, 1);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->freq.fetch = fetch;
    }

    if (ctx->freq.claimed) {
        if (!ctx->freq.done) {
            return NGX_AGAIN;           /* woken before the fetch ended */
        }

        ctx->freq.claimed = 0;
        ctx->fetched = 1;
        ctx->waiting = 1;
    }

    if (ctx->waiting) {
        /* a new set may have come: the refusal for want of a key goes */
        ngx_http_freshdesk_oauth_forget(r, ocf);
        ctx->waiting = 0;
    }

    req = ngx_http_freshdesk_oauth_get(r);
    if (req == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (req->state == FD_OAUTH_NONE) {
        return NGX_DECLINED;            /* no JWT: no key needed */
    }

    /* no key at all is an unknown kid too (oauth_verify()) */

    kid = (req->state == FD_OAUTH_REFUSED
           && req->status == NGX_HTTP_FRESHDESK_JWT_UNKNOWN_KID);

    if (!kid && !ngx_http_freshdesk_jwks_fetch_stale(fetch)) {
        return NGX_DECLINED;
    }

    if (ctx->fetched) {
        goto done;                      /* one fetch per request */
    }

    rc = ngx_http_freshdesk_jwks_fetch_claim(fetch, kid);

    if (rc == NGX_OK) {
        ctx->freq.claimed = 1;
        ctx->freq.done = 0;

        if (ngx_http_freshdesk_jwks_fetch_start(r, &ctx->freq) == NGX_OK) {
            return NGX_AGAIN;
        }

        ctx->freq.claimed = 0;
        ctx->fetched = 1;
        goto done;
    }

    if (rc == NGX_BUSY && kid) {
        t = ngx_current_msec;

        if (ctx->wait_start == 0) {
            ctx->wait_start = t ? t : 1;
        }

        if ((ngx_msec_int_t) (t - ctx->wait_start)
            < (ngx_msec_int_t) fetch->wait)
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "freshdesk oauth: waiting for a key fetch");

            ctx->waiting = 1;

            r->read_event_handler = ngx_http_test_reading;
            r->write_event_handler = ngx_http_freshdesk_oauth_keys_poll;

            r->connection->write->delayed = 1;
            ngx_add_timer(r->connection->write, FD_OAUTH_POLL);

            return NGX_AGAIN;
        }
    }

done:

    if (ngx_http_freshdesk_jwks_fetch_keys(fetch, r->connection->log) != NULL
        || ocf->jwks != NULL)
    {
        return NGX_DECLINED;    /* the content handler gives the verdict */
    }

    /* not the token's fault: no key to check it with */

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "freshdesk: no key set from jwks_uri \"%V\" yet: 503",
                  &fetch->uri);

    t = (fetch->refresh + 999) / 1000;

    v.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (v.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v.len = ngx_sprintf(v.data, "%M", t ? t : 1) - v.data;

    if (ngx_http_freshdesk_add_header(r, "Retry-After", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}


/* the request's keys context: found, or made */

static ngx_http_freshdesk_oauth_keys_t *
ngx_http_freshdesk_oauth_keys_ctx(ngx_http_request_t *r, ngx_uint_t create)
{
    ngx_pool_cleanup_t               *cln;
    ngx_http_freshdesk_oauth_keys_t  *ctx;

    if (!create) {
        for (cln = r->main->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_freshdesk_oauth_keys_cleanup) {
                return cln->data;
            }
        }

        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->main->pool,
                               sizeof(ngx_http_freshdesk_oauth_keys_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_freshdesk_oauth_keys_t));

    cln->handler = ngx_http_freshdesk_oauth_keys_cleanup;

    return ctx;
}


/* a request that went away while fetching gives the fetch up */

static void
ngx_http_freshdesk_oauth_keys_cleanup(void *data)
{
    ngx_http_freshdesk_oauth_keys_t  *ctx = data;

    if (ctx->freq.claimed) {
        ngx_http_freshdesk_jwks_fetch_release(&ctx->freq);
    }
}


/* the poll timer, as limit_req's delay: run the phases again */

static void
ngx_http_freshdesk_oauth_keys_poll(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


/* a refusal reached with the old keys: oauth_get() verifies again */

static void
ngx_http_freshdesk_oauth_forget(ngx_http_request_t *r,
    ngx_http_freshdesk_oauth_conf_t *ocf)
{
    ngx_pool_cleanup_t              *cln;
    ngx_http_freshdesk_oauth_req_t  *req;

    for (cln = r->main->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_freshdesk_oauth_cleanup) {
            req = cln->data;

            if (req->conf == ocf && req->state == FD_OAUTH_REFUSED) {
                req->conf = NULL;
            }
        }
    }
}


/*
 * Bearer realm="mcp", resource_metadata="...", scope="..."; with
 * error="invalid_token" and a description when a token was sent
 */

ngx_int_t
ngx_http_freshdesk_oauth_challenge(ngx_http_request_t *r, ngx_str_t *value)
{
    u_char                           *p;
    size_t                            len;
    ngx_int_t                         rc;
    ngx_str_t                         desc;
    ngx_uint_t                        i;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_oauth_req_t   *req;
    ngx_http_freshdesk_oauth_conf_t  *ocf;

    rc = ngx_http_freshdesk_oauth_request(r, &req);

    if (rc != NGX_OK) {
        return rc;
    }

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    ocf = req->conf;

    ngx_str_null(&desc);

    if (req->sent) {
        if (req->state == FD_OAUTH_REFUSED && req->message.len) {
            desc = req->message;

        } else {
            ngx_str_set(&desc, "The access token is not valid here");
        }
    }

    len = sizeof("Bearer realm=\"\", , scope=\"\", error=\"invalid_token\", "
                 "error_description=\"\"") - 1
          + flcf->realm.len + ocf->challenge.len + ocf->scopes_all.len
          + desc.len;

    value->data = ngx_pnalloc(r->pool, len);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(value->data, "Bearer realm=\"%V\", %V, scope=\"%V\"",
                    &flcf->realm, &ocf->challenge, &ocf->scopes_all);

    if (req->sent) {
        p = ngx_cpymem(p, ", error=\"invalid_token\", error_description=\"",
                       sizeof(", error=\"invalid_token\", "
                              "error_description=\"") - 1);

        /* a fixed sentence, or one naming a configured claim */

        for (i = 0; i < desc.len; i++) {
            *p++ = (desc.data[i] == '"' || desc.data[i] == '\\'
                    || desc.data[i] < ' ' || desc.data[i] >= 0x7f)
                   ? '\'' : desc.data[i];
        }

        *p++ = '"';
    }

    value->len = p - value->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_oauth_grants(ngx_http_request_t *r, ngx_array_t **maps,
    uint64_t *granted)
{
    u_char                            *p, *last, *w;
    ngx_int_t                          rc;
    ngx_uint_t                         i;
    ngx_http_freshdesk_oauth_req_t    *req;
    ngx_http_freshdesk_oauth_conf_t   *ocf;
    ngx_http_freshdesk_oauth_scope_t  *s;

    rc = ngx_http_freshdesk_oauth_request(r, &req);

    if (rc != NGX_OK) {
        return rc;
    }

    ocf = req->conf;

    if (req->state != FD_OAUTH_VALID) {
        return NGX_DECLINED;
    }

    if (!req->granted_set) {
        s = ocf->scopes->elts;
        p = req->scope.data;
        last = p + req->scope.len;

        while (p < last) {
            while (p < last && *p == ' ') {
                p++;
            }

            w = p;

            while (p < last && *p != ' ') {
                p++;
            }

            if (p == w) {
                break;
            }

            for (i = 0; i < ocf->scopes->nelts; i++) {
                if (s[i].scope.len == (size_t) (p - w)
                    && ngx_strncmp(s[i].scope.data, w, p - w) == 0)
                {
                    req->granted |= (uint64_t) 1 << i;
                }
            }
        }

        req->granted_set = 1;
    }

    *maps = ocf->scopes;
    *granted = req->granted;

    return NGX_OK;
}


/* RFC 6750 3.1, MCP 2025-11-25: the scope that would allow the call */

ngx_int_t
ngx_http_freshdesk_oauth_insufficient(ngx_http_request_t *r,
    ngx_str_t *scope)
{
    ngx_str_t                         value;
    ngx_http_freshdesk_loc_conf_t    *flcf;
    ngx_http_freshdesk_oauth_conf_t  *ocf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    ocf = flcf->oauth;

    value.len = sizeof("Bearer error=\"insufficient_scope\", scope=\"\", ")
                - 1 + scope->len + ocf->challenge.len;
    value.data = ngx_pnalloc(r->pool, value.len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    if (scope->len) {
        value.len = ngx_sprintf(value.data,
                                "Bearer error=\"insufficient_scope\", "
                                "scope=\"%V\", %V", scope, &ocf->challenge)
                    - value.data;

    } else {
        /* no scope of this location opens the tool */
        value.len = ngx_sprintf(value.data,
                                "Bearer error=\"insufficient_scope\", %V",
                                &ocf->challenge)
                    - value.data;
    }

    return ngx_http_freshdesk_add_header(r, "WWW-Authenticate", &value);
}


/* variables: not found unless a valid JWT came with the request */

static ngx_int_t
ngx_http_freshdesk_oauth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_int_t                        rc;
    ngx_str_t                        s;
    ngx_http_freshdesk_oauth_req_t  *req;

    v->not_found = 1;

    rc = ngx_http_freshdesk_oauth_request(r, &req);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
    }

    if (data == FD_JWT_VAR_STATUS) {
        if (req->state == FD_OAUTH_NONE) {
            ngx_str_set(&s, "none");

        } else {
            s.data = (u_char *) ngx_http_freshdesk_jwt_status_name(
                                    req->state == FD_OAUTH_VALID
                                    ? NGX_HTTP_FRESHDESK_JWT_OK
                                    : req->status);
            s.len = ngx_strlen(s.data);
        }

    } else if (req->state != FD_OAUTH_VALID) {
        return NGX_OK;

    } else if (data == FD_JWT_VAR_CACHE) {
        if (req->cached) {
            ngx_str_set(&s, "hit");

        } else {
            ngx_str_set(&s, "miss");
        }

    } else if (data == FD_JWT_VAR_SUB) {
        s = req->sub;

    } else if (data == FD_JWT_VAR_CLIENT_ID) {
        s = req->client_id;

    } else {
        s = req->scope;
    }

    v->data = s.data;
    v->len = s.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/* $freshdesk_jwt_claim_<name>: a top-level string, integer or boolean */

static ngx_int_t
ngx_http_freshdesk_oauth_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *var = (ngx_str_t *) data;

    ngx_int_t                        rc;
    ngx_str_t                        name, value;
    ngx_http_freshdesk_jwt_t         jwt;
    ngx_http_freshdesk_oauth_req_t  *req;

    v->not_found = 1;

    rc = ngx_http_freshdesk_oauth_request(r, &req);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
    }

    if (req->state != FD_OAUTH_VALID) {
        return NGX_OK;
    }

    name.data = var->data + sizeof("freshdesk_jwt_claim_") - 1;
    name.len = var->len - (sizeof("freshdesk_jwt_claim_") - 1);

    ngx_memzero(&jwt, sizeof(ngx_http_freshdesk_jwt_t));
    jwt.claims = req->claims;

    rc = ngx_http_freshdesk_jwt_claim(r->pool, &jwt, &name, &value);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    v->data = value.data;
    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}
