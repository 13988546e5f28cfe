
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_CONF_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_CONF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_FRESHDESK_PARAM_NUM      0   /* ngx_int_t, min..max */
#define NGX_HTTP_FRESHDESK_PARAM_MSEC     1   /* ngx_msec_t, >= min */
#define NGX_HTTP_FRESHDESK_PARAM_STR      2   /* ngx_str_t, len <= max */
#define NGX_HTTP_FRESHDESK_PARAM_PATH     3   /* ngx_str_t, full name */
#define NGX_HTTP_FRESHDESK_PARAM_ENUM     4   /* ngx_uint_t, of names */
#define NGX_HTTP_FRESHDESK_PARAM_DIGITS   5   /* ngx_str_t of a number */


/*
 * One "name=value" parameter of a directive: where its value goes in the
 * conf struct (offset) and what it may be.  "suffix" is an optional unit
 * after a number ("/m", "%"); "names" the values of an enum, NULL-ended,
 * each worth its index.
 */
typedef struct {
    ngx_str_t                 name;          /* "timeout=" */
    ngx_uint_t                type;
    size_t                    offset;
    ngx_int_t                 min;
    ngx_int_t                 max;
    const char               *suffix;
    const char              **names;
} ngx_http_freshdesk_param_t;


/*
 * Parses args[0..n-1] against a NULL-named table into conf; an argument
 * that fits no entry, or a value out of range, is refused with a message
 * that names it.
 */
char *ngx_http_freshdesk_conf_params(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t n, ngx_http_freshdesk_param_t *params, void *conf);
ngx_uint_t ngx_http_freshdesk_conf_in(const char *list, u_char *s,
    size_t len);


#endif /* _NGX_HTTP_FRESHDESK_CONF_H_INCLUDED_ */
