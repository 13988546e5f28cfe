
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_STATE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_STATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* the longest line a tenant takes */
#define NGX_HTTP_FRESHDESK_STATE_LINE  (255 * 2 + 3 * NGX_INT32_LEN + 4)

/* the longest line an account of the guard takes */
#define NGX_HTTP_FRESHDESK_STATE_ACCOUNT_LINE                                 \
    (sizeof("account ") + 255 * 2 + NGX_INT32_LEN + NGX_INT64_LEN + 3)

/* the header's length */
#define NGX_HTTP_FRESHDESK_STATE_HEAD  (sizeof("freshdesk-quota 1\n")        \
                                        + sizeof("month 000000\n"))


#define NGX_HTTP_FRESHDESK_STATE_TENANT   0
#define NGX_HTTP_FRESHDESK_STATE_ACCOUNT  1


/* one line: a tenant's, or an account's of the guard */
typedef struct {
    ngx_uint_t               type;
    ngx_str_t                tenant;     /* or the account */
    uint32_t                 actions;
    uint32_t                 refused;
    uint32_t                 owed;       /* with Redis: not yet told */
    ngx_int_t                limit;      /* account: X-RateLimit-Total */
    int64_t                  paused;     /* account: until, epoch ms; 0 */
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

/*
 * NGX_OK: the next line (rec->type says whose); NGX_DONE: the end;
 * NGX_DECLINED: a malformed account line, skipped (the next call goes on
 * after it); NGX_ERROR: corrupt, the rest unreadable
 */
ngx_int_t ngx_http_freshdesk_state_next(ngx_http_freshdesk_state_file_t *sf,
    ngx_http_freshdesk_state_rec_t *rec);

void ngx_http_freshdesk_state_close(ngx_http_freshdesk_state_file_t *sf);

u_char *ngx_http_freshdesk_state_head(u_char *p, uint32_t month);
u_char *ngx_http_freshdesk_state_line(u_char *p,
    ngx_http_freshdesk_state_rec_t *rec);
u_char *ngx_http_freshdesk_state_account(u_char *p,
    ngx_http_freshdesk_state_rec_t *rec);


#endif /* _NGX_HTTP_FRESHDESK_STATE_H_INCLUDED_ */
