
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Keys from the authorization server's jwks_uri (issue 23): fetched by a
 * subrequest to an internal location the operator controls (it
 * proxy_passes to the jwks_uri), with none of the client's headers and no
 * body.  The last good JWKS text lives in a small shared zone with a
 * generation number; each worker parses it again into its own pool when
 * the generation changes (OpenSSL keys are pointers into one process's
 * heap, so only the text can be shared).  A failed fetch (an error
 * status, a timeout, garbage, a set without a usable key) changes
 * nothing but a log line.  oauth.c decides when to fetch.
 */


#include "ngx_http_freshdesk_module.h"
#include "ngx_http_freshdesk_jwks_fetch.h"


static ngx_int_t ngx_http_freshdesk_jwks_fetch_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_int_t ngx_http_freshdesk_jwks_fetch_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static const char *ngx_http_freshdesk_jwks_fetch_store(
    ngx_http_freshdesk_jwks_fetch_t *fetch, u_char *text, size_t len,
    ngx_log_t *log);
static ngx_int_t ngx_http_freshdesk_jwks_fetch_headers(ngx_pool_t *pool,
    ngx_http_headers_in_t *hin);
static void ngx_http_freshdesk_jwks_fetch_log_skipped(
    ngx_http_freshdesk_jwks_fetch_t *fetch, ngx_http_freshdesk_jwks_t *jwks,
    ngx_log_t *log);


char *
ngx_http_freshdesk_jwks_fetch_conf(ngx_conf_t *cf,
    ngx_http_freshdesk_jwks_fetch_t **fetch)
{
    ngx_int_t                         ms;
    ngx_str_t                        *value, name, s;
    ngx_uint_t                        i;
    ngx_msec_t                        ttl, refresh, wait;
    ngx_shm_zone_t                   *shm_zone;
    ngx_http_freshdesk_jwks_fetch_t  *f;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"freshdesk_oauth_jwks_uri\" takes the URI of an "
                           "internal location, not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    ttl = 600000;
    refresh = 5000;
    wait = 5000;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;
            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            ttl = (ngx_msec_t) ms;
            continue;
        }

        if (ngx_strncmp(value[i].data, "refresh_min=", 12) == 0) {
            s.data = value[i].data + 12;
            s.len = value[i].len - 12;
            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR) {
                goto invalid;
            }

            refresh = (ngx_msec_t) ms;
            continue;
        }

        if (ngx_strncmp(value[i].data, "wait=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;
            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR) {
                goto invalid;
            }

            wait = (ngx_msec_t) ms;
            continue;
        }

        goto invalid;
    }

    /* one zone per URI: locations naming the same one share it */

    name.len = sizeof("freshdesk_oauth_jwks_uri:") - 1 + value[1].len;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(name.data, "freshdesk_oauth_jwks_uri:%V", &value[1]);

    shm_zone = ngx_shared_memory_add(cf, &name,
                                     NGX_HTTP_FRESHDESK_JWKS_ZONE_SIZE,
                                     &ngx_http_freshdesk_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        f = shm_zone->data;

        if (f->ttl != ttl || f->refresh != refresh || f->wait != wait) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"freshdesk_oauth_jwks_uri %V\" is already "
                               "defined with other parameters", &value[1]);
            return NGX_CONF_ERROR;
        }

        *fetch = f;
        return NGX_CONF_OK;
    }

    f = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_jwks_fetch_t));
    if (f == NULL) {
        return NGX_CONF_ERROR;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     f->sh = NULL;
     *     f->generation = 0;
     *     f->pool = NULL;
     *     f->jwks = NULL;
     */

    f->uri = value[1];
    f->ttl = ttl;
    f->refresh = refresh;
    f->wait = wait;
    f->zone = shm_zone;

    shm_zone->init = ngx_http_freshdesk_jwks_fetch_init_zone;
    shm_zone->data = f;

    *fetch = f;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" (ttl=time, "
                       "refresh_min=time, wait=time)", &value[i]);
    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_freshdesk_jwks_fetch_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_freshdesk_jwks_fetch_t  *ofetch = data;

    size_t                            len;
    ngx_slab_pool_t                  *shpool;
    ngx_http_freshdesk_jwks_fetch_t  *fetch;

    fetch = shm_zone->data;

    if (ofetch) {
        /* reload: the last good set survives, new workers parse it */
        fetch->sh = ofetch->sh;
        fetch->shpool = ofetch->shpool;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        fetch->sh = shpool->data;
        fetch->shpool = shpool;
        return NGX_OK;
    }

    fetch->shpool = shpool;

    fetch->sh = ngx_slab_calloc(shpool, sizeof(ngx_http_freshdesk_jwks_sh_t));
    if (fetch->sh == NULL) {
        return NGX_ERROR;
    }

    shpool->data = fetch->sh;

    len = sizeof(" in freshdesk_oauth_jwks_uri zone \"\"")
          + shm_zone->shm.name.len;

    shpool->log_ctx = ngx_slab_alloc(shpool, len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in freshdesk_oauth_jwks_uri zone \"%V\"%Z",
                &shm_zone->shm.name);

    shpool->log_nomem = 0;

    return NGX_OK;
}


ngx_http_freshdesk_jwks_t *
ngx_http_freshdesk_jwks_fetch_keys(ngx_http_freshdesk_jwks_fetch_t *fetch,
    ngx_log_t *log)
{
    size_t                      len;
    u_char                     *text;
    ngx_int_t                   rc;
    ngx_pool_t                 *pool;
    ngx_atomic_uint_t           gen;
    ngx_http_freshdesk_jwks_t  *jwks;

    gen = fetch->sh->generation;

    if (gen == fetch->generation) {
        return fetch->jwks;
    }

    /* another worker fetched a new set: copy its text, parse it here */

    pool = ngx_create_pool(16384, log);
    if (pool == NULL) {
        return fetch->jwks;
    }

    ngx_shmtx_lock(&fetch->shpool->mutex);

    gen = fetch->sh->generation;
    len = fetch->sh->len;
    text = ngx_alloc(len ? len : 1, log);

    if (text) {
        ngx_memcpy(text, fetch->sh->text, len);
    }

    ngx_shmtx_unlock(&fetch->shpool->mutex);

    if (text == NULL) {
        ngx_destroy_pool(pool);
        return fetch->jwks;
    }

    jwks = ngx_pcalloc(pool, sizeof(ngx_http_freshdesk_jwks_t));

    rc = (jwks == NULL) ? NGX_ERROR
                        : ngx_http_freshdesk_jwks_parse(pool, text, len, jwks);

    ngx_free(text);

    if (rc != NGX_OK) {
        /* it parsed where it was fetched: only memory can fail here */
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "freshdesk: jwks_uri \"%V\": generation %uA could not "
                      "be parsed in this worker; keeping generation %uA",
                      &fetch->uri, gen, fetch->generation);
        ngx_destroy_pool(pool);
        fetch->generation = gen;     /* not again for this generation */
        return fetch->jwks;
    }

    if (fetch->pool) {
        ngx_destroy_pool(fetch->pool);  /* frees the old keys */
    }

    fetch->pool = pool;
    fetch->jwks = jwks;
    fetch->generation = gen;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "freshdesk jwks_uri \"%V\": generation %uA, %ui keys",
                   &fetch->uri, gen, jwks->nkeys);

    return jwks;
}


ngx_uint_t
ngx_http_freshdesk_jwks_fetch_stale(ngx_http_freshdesk_jwks_fetch_t *fetch)
{
    ngx_http_freshdesk_jwks_sh_t  *sh;

    sh = fetch->sh;

    return sh->generation == 0
           || (ngx_msec_int_t) (ngx_current_msec - sh->fetched)
              >= (ngx_msec_int_t) fetch->ttl;
}


ngx_int_t
ngx_http_freshdesk_jwks_fetch_claim(ngx_http_freshdesk_jwks_fetch_t *fetch,
    ngx_uint_t now)
{
    ngx_int_t                      rc;
    ngx_msec_t                     t;
    ngx_http_freshdesk_jwks_sh_t  *sh;

    sh = fetch->sh;
    t = ngx_current_msec;

    ngx_shmtx_lock(&fetch->shpool->mutex);

    if (sh->fetching
        && (ngx_msec_int_t) (t - sh->started)
           < NGX_HTTP_FRESHDESK_JWKS_FETCH_LOST)
    {
        rc = NGX_BUSY;

    } else if (!now && sh->generation
               && (ngx_msec_int_t) (t - sh->fetched)
                  < (ngx_msec_int_t) fetch->ttl)
    {
        rc = NGX_DECLINED;

    } else if (sh->tried
               && (ngx_msec_int_t) (t - sh->attempted)
                  < (ngx_msec_int_t) fetch->refresh)
    {
        rc = NGX_DECLINED;

    } else {
        sh->fetching = 1;
        sh->started = t;
        sh->attempted = t;
        sh->tried = 1;
        sh->fetches++;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&fetch->shpool->mutex);

    return rc;
}


void
ngx_http_freshdesk_jwks_fetch_release(
    ngx_http_freshdesk_jwks_fetch_req_t *freq)
{
    ngx_http_freshdesk_jwks_fetch_t  *fetch;

    if (!freq->claimed || freq->done) {
        return;
    }

    fetch = freq->fetch;
    freq->done = 1;

    ngx_shmtx_lock(&fetch->shpool->mutex);
    fetch->sh->fetching = 0;
    ngx_shmtx_unlock(&fetch->shpool->mutex);
}


ngx_int_t
ngx_http_freshdesk_jwks_fetch_start(ngx_http_request_t *r,
    ngx_http_freshdesk_jwks_fetch_req_t *freq)
{
    ngx_http_request_t               *sr;
    ngx_http_headers_in_t            *hin;
    ngx_http_request_body_t          *rb;
    ngx_http_post_subrequest_t       *ps;
    ngx_http_freshdesk_jwks_fetch_t  *fetch;

    fetch = freq->fetch;

    /* everything that can fail comes before the subrequest exists */

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    hin = ngx_palloc(r->pool, sizeof(ngx_http_headers_in_t));

    if (ps == NULL || rb == NULL || hin == NULL
        || ngx_http_freshdesk_jwks_fetch_headers(r->pool, hin) != NGX_OK)
    {
        goto failed;
    }

    ps->handler = ngx_http_freshdesk_jwks_fetch_done;
    ps->data = freq;

    if (ngx_http_subrequest(r, &fetch->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        goto failed;
    }

    /*
     * A subrequest inherits the client's headers and body: a GET with an
     * empty header list and no body instead, so that neither the bearer
     * token nor anything else of the client reaches the authorization
     * server, whatever the internal location says.
     */

    sr->header_only = 0;
    sr->request_body = rb;
    sr->headers_in = *hin;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "freshdesk jwks_uri: fetching \"%V\"", &fetch->uri);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "freshdesk: jwks_uri \"%V\": the subrequest could not be "
                  "made", &fetch->uri);

    ngx_http_freshdesk_jwks_fetch_release(freq);

    return NGX_ERROR;
}


/* an empty header list of the subrequest's own */

static ngx_int_t
ngx_http_freshdesk_jwks_fetch_headers(ngx_pool_t *pool,
    ngx_http_headers_in_t *hin)
{
    ngx_memzero(hin, sizeof(ngx_http_headers_in_t));

    hin->content_length_n = -1;
    hin->keep_alive_n = -1;

    if (ngx_list_init(&hin->headers, pool, 1, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (nginx_version < 1023000)

    if (ngx_array_init(&hin->cookies, pool, 1, sizeof(ngx_table_elt_t *))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

#if (NGX_HTTP_X_FORWARDED_FOR)
    if (ngx_array_init(&hin->x_forwarded_for, pool, 1,
                       sizeof(ngx_table_elt_t *))
        != NGX_OK)
    {
        return NGX_ERROR;
    }
#endif

#endif

    return NGX_OK;
}


/*
 * The subrequest ended (it may be called more than once).  Never returns
 * an error: that would end the client's request; a failed fetch only
 * keeps the last good set.
 */

static ngx_int_t
ngx_http_freshdesk_jwks_fetch_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_freshdesk_jwks_fetch_req_t  *freq = data;

    u_char                           *text;
    size_t                            len;
    ngx_buf_t                        *b;
    ngx_uint_t                        status;
    const char                       *err;
    ngx_http_freshdesk_jwks_fetch_t  *fetch;

    if (freq->done) {
        return NGX_OK;
    }

    fetch = freq->fetch;

    status = sr->headers_out.status;
    if (status == 0 && rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        status = rc;
    }

    b = sr->out ? sr->out->buf : NULL;
    text = b ? b->pos : NULL;
    len = b ? (size_t) (b->last - b->pos) : 0;

    if (rc == NGX_ERROR) {
        err = "the subrequest failed (a body over "
              "subrequest_output_buffer_size?)";

    } else if (status != NGX_HTTP_OK) {
        err = NULL;

    } else if (len == 0) {
        err = "empty answer";

    } else {
        err = ngx_http_freshdesk_jwks_fetch_store(fetch, text, len,
                                                  sr->connection->log);
    }

    if (err == NULL && status == NGX_HTTP_OK) {
        freq->done = 1;
        return NGX_OK;
    }

    ngx_http_freshdesk_jwks_fetch_release(freq);

    ngx_shmtx_lock(&fetch->shpool->mutex);
    fetch->sh->failures++;
    ngx_shmtx_unlock(&fetch->shpool->mutex);

    if (err) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "freshdesk: jwks_uri \"%V\" fetch failed: %s; %s "
                      "(generation %uA)", &fetch->uri, err,
                      fetch->sh->generation ? "keeping the last good key set"
                                            : "no key set yet",
                      fetch->sh->generation);

    } else {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "freshdesk: jwks_uri \"%V\" fetch failed: status %ui; "
                      "%s (generation %uA)", &fetch->uri, status,
                      fetch->sh->generation ? "keeping the last good key set"
                                            : "no key set yet",
                      fetch->sh->generation);
    }

    return NGX_OK;
}


/*
 * A fetched document: parsed here first (a set without a usable key is
 * refused), then its text goes to the zone with the next generation, and
 * the parse becomes this worker's set.  NULL on success, else why not.
 */

static const char *
ngx_http_freshdesk_jwks_fetch_store(ngx_http_freshdesk_jwks_fetch_t *fetch,
    u_char *text, size_t len, ngx_log_t *log)
{
    u_char                        *copy;
    ngx_int_t                      rc;
    ngx_pool_t                    *pool;
    ngx_atomic_uint_t              gen;
    ngx_http_freshdesk_jwks_t     *jwks;
    ngx_http_freshdesk_jwks_sh_t  *sh;

    sh = fetch->sh;

    pool = ngx_create_pool(16384, log);
    if (pool == NULL) {
        return "out of memory";
    }

    jwks = ngx_pcalloc(pool, sizeof(ngx_http_freshdesk_jwks_t));
    if (jwks == NULL) {
        ngx_destroy_pool(pool);
        return "out of memory";
    }

    rc = ngx_http_freshdesk_jwks_parse(pool, text, len, jwks);

    if (rc == NGX_ERROR) {
        ngx_destroy_pool(pool);
        return "out of memory";
    }

    ngx_http_freshdesk_jwks_fetch_log_skipped(fetch, jwks, log);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "freshdesk: jwks_uri \"%V\" refused: %V",
                      &fetch->uri, &jwks->err);
        ngx_destroy_pool(pool);
        return "the key set was refused";
    }

    ngx_shmtx_lock(&fetch->shpool->mutex);

    copy = ngx_slab_alloc_locked(fetch->shpool, len);

    if (copy == NULL) {
        ngx_shmtx_unlock(&fetch->shpool->mutex);
        ngx_destroy_pool(pool);
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "freshdesk: jwks_uri \"%V\": no room for %uz bytes "
                      "in its zone", &fetch->uri, len);
        return "no room in the zone";
    }

    ngx_memcpy(copy, text, len);

    if (sh->text) {
        ngx_slab_free_locked(fetch->shpool, sh->text);
    }

    sh->text = copy;
    sh->len = len;
    sh->fetched = ngx_current_msec;
    sh->fetching = 0;
    sh->failures = 0;
    gen = ++sh->generation;

    ngx_shmtx_unlock(&fetch->shpool->mutex);

    if (fetch->pool) {
        ngx_destroy_pool(fetch->pool);
    }

    fetch->pool = pool;
    fetch->jwks = jwks;
    fetch->generation = gen;

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "freshdesk: jwks_uri \"%V\": %ui keys, generation %uA",
                  &fetch->uri, jwks->nkeys, gen);

    return NULL;
}


static void
ngx_http_freshdesk_jwks_fetch_log_skipped(
    ngx_http_freshdesk_jwks_fetch_t *fetch, ngx_http_freshdesk_jwks_t *jwks,
    ngx_log_t *log)
{
    ngx_str_t   *skipped;
    ngx_uint_t   i;

    if (jwks->skipped == NULL) {
        return;
    }

    skipped = jwks->skipped->elts;

    for (i = 0; i < jwks->skipped->nelts; i++) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "freshdesk: jwks_uri \"%V\": %V skipped",
                      &fetch->uri, &skipped[i]);
    }
}
