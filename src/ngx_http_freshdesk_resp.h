
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_RESP_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_RESP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_FRESHDESK_RESP_ELTS     16        /* kept of an array */
#define NGX_HTTP_FRESHDESK_RESP_DEPTH    8         /* nesting skipped */
#define NGX_HTTP_FRESHDESK_RESP_MAX      65536     /* longest string */


/* one scalar of a reply: its type byte and value */
typedef struct {
    u_char                       type;     /* + - : $ (nil: '$', len -1) */
    int64_t                      integer;  /* ':' */
    ngx_str_t                    str;      /* '+', '-', '$' */
    unsigned                     nil:1;
} ngx_http_freshdesk_resp_value_t;


/*
 * A reply: a scalar, or an array of which the first RESP_ELTS scalar
 * elements are kept (nested arrays are read and skipped).  Strings point
 * into the buffer the reply was read from.
 */
typedef struct {
    ngx_http_freshdesk_resp_value_t  value;    /* type '*' for an array */
    ngx_uint_t                       nelts;    /* elements of the array */
    ngx_http_freshdesk_resp_value_t  elts[NGX_HTTP_FRESHDESK_RESP_ELTS];
} ngx_http_freshdesk_resp_t;


/*
 * One reply from p up to last: NGX_OK (*end is after it), NGX_AGAIN (not
 * all of it is there yet), NGX_ERROR (not RESP, or beyond the limits).
 */
ngx_int_t ngx_http_freshdesk_resp_parse(u_char *p, u_char *last,
    ngx_http_freshdesk_resp_t *reply, u_char **end);

/* a number in decimal, without ngx_sprintf: the hot path writes many */
u_char *ngx_http_freshdesk_resp_num(u_char *p, int64_t n);
ngx_int_t ngx_http_freshdesk_resp_numbers(ngx_str_t *s, int64_t *v,
    ngx_uint_t n);

/* a command as a RESP array of bulk strings */
size_t ngx_http_freshdesk_resp_command_len(ngx_str_t *args, ngx_uint_t n);
u_char *ngx_http_freshdesk_resp_command(u_char *p, ngx_str_t *args,
    ngx_uint_t n);


#endif /* _NGX_HTTP_FRESHDESK_RESP_H_INCLUDED_ */
