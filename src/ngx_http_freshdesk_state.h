
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_STATE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_STATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* the longest line a tenant takes */
#define NGX_HTTP_FRESHDESK_STATE_LINE  (255 * 2 + 3 * NGX_INT32_LEN + 4)

/* the header's length */
#define NGX_HTTP_FRESHDESK_STATE_HEAD  (sizeof("freshdesk-quota 1\n")        \
                                        + sizeof("month 000000\n"))


/* one tenant's line */
typedef struct {
    ngx_str_t                tenant;
    uint32_t                 actions;
    uint32_t                 refused;
    uint32_t                 owed;       /* with Redis: not yet told */
} ngx_http_freshdesk_state_rec_t;


/* a state file being read */
typedef struct {
    ngx_str_t               *path;
    ngx_log_t               *log;
    u_char                  *buf;
    u_char                  *pos;
    u_char                  *last;
    uint32_t                 month;
    ngx_uint_t               line;
} ngx_http_freshdesk_state_file_t;


/* NGX_OK: read, its header good (sf->month); else nothing to load */
ngx_int_t ngx_http_freshdesk_state_open(ngx_http_freshdesk_state_file_t *sf);

/* NGX_OK: the next tenant; NGX_DONE: the end; NGX_ERROR: corrupt */
ngx_int_t ngx_http_freshdesk_state_next(ngx_http_freshdesk_state_file_t *sf,
    ngx_http_freshdesk_state_rec_t *rec);

void ngx_http_freshdesk_state_close(ngx_http_freshdesk_state_file_t *sf);

u_char *ngx_http_freshdesk_state_head(u_char *p, uint32_t month);
u_char *ngx_http_freshdesk_state_line(u_char *p,
    ngx_http_freshdesk_state_rec_t *rec);


#endif /* _NGX_HTTP_FRESHDESK_STATE_H_INCLUDED_ */
