
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The quota directives and the checks between them: freshdesk_quota_zone
 * (its parameters parsed by the shared parser, conf.c),
 * freshdesk_quota_redis (the zone found here, the backend's own
 * parameters parsed by quota_redis.c), freshdesk_quota (a declared quota
 * zone, checked once the http block is read), freshdesk_account_guard
 * (guard.c parses it); and, in the master once the configuration is
 * final, a state file the workers could not write.
 */


#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_quota_redis.h"
#include "ngx_http_freshdesk_guard.h"
#include "ngx_http_freshdesk_conf.h"
#include "ngx_http_freshdesk_file.h"


/* a freshdesk_quota directive, checked when the configuration is read */
typedef struct {
    ngx_shm_zone_t                    *zone;
    u_char                            *file;
    ngx_uint_t                         line;
} ngx_http_freshdesk_quota_ref_t;




ngx_conf_enum_t  ngx_http_freshdesk_quota_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};




/* what a month's action is: a request (0), or a Freshdesk credit (1) */
static const char  *ngx_http_freshdesk_quota_charges[] = {
    "requests", "credits", NULL
};


static ngx_http_freshdesk_param_t  ngx_http_freshdesk_quota_zone_params[] = {

    { ngx_string("calls="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_quota_ctx_t, calls), 0, 1000000, "/m",
      NULL },

    { ngx_string("actions="), NGX_HTTP_FRESHDESK_PARAM_NUM,
      offsetof(ngx_http_freshdesk_quota_ctx_t, actions), 0, 1000000000,
      "/month", NULL },

    { ngx_string("charge="), NGX_HTTP_FRESHDESK_PARAM_ENUM,
      offsetof(ngx_http_freshdesk_quota_ctx_t, charge), 0, 0, NULL,
      ngx_http_freshdesk_quota_charges },

    { ngx_string("state="), NGX_HTTP_FRESHDESK_PARAM_PATH,
      offsetof(ngx_http_freshdesk_quota_ctx_t, state), 0, 0, NULL, NULL },

    { ngx_string("state_interval="), NGX_HTTP_FRESHDESK_PARAM_MSEC,
      offsetof(ngx_http_freshdesk_quota_ctx_t, state_interval), 100, 0,
      NULL, NULL },

    { ngx_null_string, 0, 0, 0, 0, NULL, NULL }
};




/*
 * freshdesk_quota_zone name:size [calls=N/m] [actions=N/month]
 *                      [charge=requests|credits] [state=path]
 *                      [state_interval=time];
 */

char *
ngx_http_freshdesk_quota_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_freshdesk_main_conf_t *fmcf = conf;

    u_char                          *p;
    ssize_t                          size;
    ngx_str_t                       *value, name, s;
    ngx_shm_zone_t                  *shm_zone;
    ngx_http_freshdesk_quota_ctx_t  *ctx, **zone;

    value = cf->args->elts;

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_quota_ctx_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->calls = 100;
    ctx->actions = 5000;
    ctx->state_interval = 5000;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || ngx_strchr(value[1].data, '=') != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have a \"name:size\" parameter "
                           "first, not \"%V\"", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (name.len == 0 || size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_freshdesk_conf_params(cf, &value[2], cf->args->nelts - 2,
                                       ngx_http_freshdesk_quota_zone_params,
                                       ctx)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_freshdesk_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    ctx->name = name;
    ctx->shm_zone = shm_zone;

    shm_zone->init = ngx_http_freshdesk_quota_shm_init;
    shm_zone->data = ctx;

    zone = ngx_array_push(&fmcf->zones);
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    *zone = ctx;

    return NGX_CONF_OK;
}


/* freshdesk_quota_redis zone address [parameters]: the backend's own */

char *
ngx_http_freshdesk_quota_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_main_conf_t *fmcf = conf;

    ngx_str_t                        *value;
    ngx_uint_t                        i;
    ngx_http_freshdesk_quota_ctx_t   *qctx, **zones;

    value = cf->args->elts;

    qctx = NULL;
    zones = fmcf->zones.elts;

    for (i = 0; i < fmcf->zones.nelts; i++) {
        if (zones[i]->name.len == value[1].len
            && ngx_strncmp(zones[i]->name.data, value[1].data, value[1].len)
               == 0)
        {
            qctx = zones[i];
            break;
        }
    }

    if (qctx == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no freshdesk_quota_zone \"%V\" before this "
                           "directive", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (qctx->redis) {
        return "is duplicate";
    }

    if (qctx->charge) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "freshdesk_quota_zone \"%V\" has "
                           "\"charge=credits\", which counts in this node's "
                           "shared memory only: it cannot be used with "
                           "\"freshdesk_quota_redis\"", &qctx->name);
        return NGX_CONF_ERROR;
    }

    return ngx_http_freshdesk_quota_redis_conf(cf, &qctx->name, &value[2],
                                               cf->args->nelts - 2,
                                               &qctx->redis);
}


/* freshdesk_quota zone | off; */

char *
ngx_http_freshdesk_quota(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_freshdesk_loc_conf_t *flcf = conf;

    ngx_str_t                        *value;
    ngx_shm_zone_t                   *shm_zone;
    ngx_http_freshdesk_quota_ref_t   *ref;
    ngx_http_freshdesk_main_conf_t   *fmcf;

    if (flcf->quota != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        flcf->quota = NULL;
        return NGX_CONF_OK;
    }

    shm_zone = ngx_shared_memory_add(cf, &value[1], 0,
                                     &ngx_http_freshdesk_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    flcf->quota = shm_zone;

    /* the zone may be declared further down: checked at the end */

    fmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_freshdesk_module);

    if (fmcf->quota_refs == NULL) {
        fmcf->quota_refs = ngx_array_create(cf->pool, 4,
                                    sizeof(ngx_http_freshdesk_quota_ref_t));
        if (fmcf->quota_refs == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    ref = ngx_array_push(fmcf->quota_refs);
    if (ref == NULL) {
        return NGX_CONF_ERROR;
    }

    ref->zone = shm_zone;
    ref->file = cf->conf_file->file.name.data;
    ref->line = cf->conf_file->line;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_freshdesk_quota_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                        i;
    ngx_http_freshdesk_quota_ref_t   *ref;
    ngx_http_freshdesk_main_conf_t   *fmcf;

    fmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_freshdesk_module);

    for (i = 0; fmcf->quota_refs && i < fmcf->quota_refs->nelts; i++) {
        ref = &((ngx_http_freshdesk_quota_ref_t *) fmcf->quota_refs->elts)[i];

        if (ref->zone->data == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"freshdesk_quota\" names zone \"%V\", but no "
                          "\"freshdesk_quota_zone %V:size\" is declared "
                          "in %s:%ui", &ref->zone->shm.name,
                          &ref->zone->shm.name, ref->file, ref->line);
            return NGX_ERROR;
        }

        if (ref->zone->init != ngx_http_freshdesk_quota_shm_init) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"freshdesk_quota\" names zone \"%V\", which "
                          "is not a freshdesk_quota_zone in %s:%ui",
                          &ref->zone->shm.name, ref->file, ref->line);
            return NGX_ERROR;
        }
    }

    return ngx_http_freshdesk_quota_filter_init(cf);
}


/* freshdesk_account_guard account=value [parameters] | off; */

char *
ngx_http_freshdesk_quota_guard_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_loc_conf_t *flcf = conf;

    ngx_str_t                         *value;
    ngx_http_freshdesk_guard_conf_t   *gcf;

    if (flcf->guard != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        flcf->guard = NULL;
        return NGX_CONF_OK;
    }

    if (ngx_http_freshdesk_guard_conf(cf, &value[1], cf->args->nelts - 1,
                                      &gcf)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    flcf->guard = gcf;

    return NGX_CONF_OK;
}


/*
 * In the master once the configuration is final (start, reload, nginx -t),
 * "user" included: a state file the workers could not write is reported
 * now, not at the first save.  It never stops nginx (a failed reload
 * would be fatal here): quotas work, only the monthly counts do not
 * survive a restart.
 */

ngx_int_t
ngx_http_freshdesk_quota_init_module(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_array_t                      *zones;
    ngx_http_freshdesk_quota_ctx_t   *qctx;

    zones = ngx_http_freshdesk_quota_zones(cycle);

    for (i = 0; zones && i < zones->nelts; i++) {
        qctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

        if (qctx->state.len) {
            (void) ngx_http_freshdesk_file_writable(cycle, &qctx->name,
                                                    &qctx->state);
        }
    }

    return NGX_OK;
}
