
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The "name=value" parameters of the module's directives, parsed by one
 * table-driven function: freshdesk_quota_zone's and freshdesk_quota_redis's
 * own parameters (each directive's file holds its table).  It knows
 * nothing of the module.
 */


#include "ngx_http_freshdesk_conf.h"


char *
ngx_http_freshdesk_conf_params(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t n, ngx_http_freshdesk_param_t *params, void *conf)
{
    u_char                       *field;
    size_t                        len;
    ngx_int_t                     v;
    ngx_str_t                     s, *str;
    ngx_uint_t                    i, k;
    ngx_msec_t                    ms;
    ngx_http_freshdesk_param_t   *p;

    for (i = 0; i < n; i++) {

        for (p = params; p->name.len; p++) {
            if (args[i].len >= p->name.len
                && ngx_strncmp(args[i].data, p->name.data, p->name.len) == 0)
            {
                break;
            }
        }

        if (p->name.len == 0) {
            goto invalid;
        }

        s.data = args[i].data + p->name.len;
        s.len = args[i].len - p->name.len;
        field = (u_char *) conf + p->offset;

        if (p->suffix) {
            len = ngx_strlen(p->suffix);

            if (s.len > len
                && ngx_strncmp(s.data + s.len - len, p->suffix, len) == 0)
            {
                s.len -= len;
            }
        }

        switch (p->type) {

        case NGX_HTTP_FRESHDESK_PARAM_NUM:
            v = ngx_atoi(s.data, s.len);
            if (v == NGX_ERROR || v < p->min || v > p->max) {
                goto invalid;
            }

            *(ngx_int_t *) field = v;
            break;

        case NGX_HTTP_FRESHDESK_PARAM_MSEC:
            ms = ngx_parse_time(&s, 0);
            if (ms == (ngx_msec_t) NGX_ERROR || ms < (ngx_msec_t) p->min) {
                goto invalid;
            }

            *(ngx_msec_t *) field = ms;
            break;

        case NGX_HTTP_FRESHDESK_PARAM_DIGITS:
            if (ngx_atoi(s.data, s.len) == NGX_ERROR) {
                goto invalid;
            }

            /* fall through */

        case NGX_HTTP_FRESHDESK_PARAM_STR:
            if (p->max && (ngx_int_t) s.len > p->max) {
                goto invalid;
            }

            *(ngx_str_t *) field = s;
            break;

        case NGX_HTTP_FRESHDESK_PARAM_PATH:
            str = (ngx_str_t *) field;
            *str = s;

            if (ngx_conf_full_name(cf->cycle, str, p->min) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            break;

        default: /* NGX_HTTP_FRESHDESK_PARAM_ENUM */
            for (k = 0; p->names[k]; k++) {
                if (ngx_strlen(p->names[k]) == s.len
                    && ngx_strncmp(p->names[k], s.data, s.len) == 0)
                {
                    break;
                }
            }

            if (p->names[k] == NULL) {
                goto invalid;
            }

            *(ngx_uint_t *) field = k;
            break;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &args[i]);
    return NGX_CONF_ERROR;
}


/* is s one of the names of list, "a|b|c"? */

ngx_uint_t
ngx_http_freshdesk_conf_in(const char *list, u_char *s, size_t len)
{
    const char  *p, *q;

    for (p = list; *p; p = *q ? q + 1 : q) {
        q = p;
        while (*q && *q != '|') {
            q++;
        }

        if ((size_t) (q - p) == len && ngx_strncmp(p, s, len) == 0) {
            return 1;
        }
    }

    return 0;
}
