
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The quota state file's format: the monthly counters that survive a
 * restart.  The shared-memory store (quota_shm.c) reads it when its zone
 * is made (at start, not at reload: a reload keeps the zone) and writes
 * it from the front door's timer and at exit; this file only turns lines
 * into numbers and back.  A crash loses at most the actions of the last
 * state_interval; per-minute call windows are not saved.
 *
 * Format (text, one tenant a line, the name hex-encoded):
 *
 *     freshdesk-quota 1
 *     month 202611
 *     61636d65 1234 5
 *     676c6f626578 20 0 3
 *
 * hex tenant, actions, refused calls this month, and with a Redis zone the
 * actions counted here while Redis was away that it has not been told of
 * yet (omitted when 0).  After the tenants, one line per account of the
 * account guard that Freshdesk has answered (guard.c makes and reads
 * them):
 *
 *     account 6163637431 400 1796380800123
 *
 * hex account, the limit Freshdesk said (X-RateLimit-Total), and the end
 * of a pause after a 429 in milliseconds since the epoch (0: none).  They
 * come last, so that an older module loads every tenant before it stops
 * at them; a malformed one is skipped, the lines after it still read.
 */


#include "ngx_http_freshdesk_state.h"
#include "ngx_http_freshdesk_file.h"


#define FD_STATE_MAGIC  "freshdesk-quota 1\n"


static ngx_int_t ngx_http_freshdesk_hex_decode(u_char *src, size_t len,
    u_char *dst);
static ngx_int_t ngx_http_freshdesk_state_account_next(
    ngx_http_freshdesk_state_file_t *sf, u_char *p,
    ngx_http_freshdesk_state_rec_t *rec);


/* two hex digits a byte; dst may be src */

static ngx_int_t
ngx_http_freshdesk_hex_decode(u_char *src, size_t len, u_char *dst)
{
    u_char  c, v;
    size_t  i;

    for (i = 0; i < len; i++) {
        c = src[i] | 0x20;

        if (c >= '0' && c <= '9') {
            v = c - '0';

        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;

        } else {
            return NGX_ERROR;
        }

        if (i % 2) {
            dst[i / 2] = (u_char) (dst[i / 2] << 4 | v);

        } else {
            dst[i / 2] = v;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_state_open(ngx_http_freshdesk_state_file_t *sf)
{
    size_t     len;
    u_char    *p, *eol;
    ngx_int_t  rc, month;

    sf->buf = NULL;

    rc = ngx_http_freshdesk_file_read(sf->path, 256 * 1024 * 1024, sf->log,
                                      &sf->buf, &len);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, sf->log, 0,
                      "freshdesk quota state \"%V\" not loaded", sf->path);
    }

    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    p = sf->buf;
    sf->last = sf->buf + len;

    if (len < sizeof(FD_STATE_MAGIC) - 1
        || ngx_strncmp(p, FD_STATE_MAGIC, sizeof(FD_STATE_MAGIC) - 1) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, sf->log, 0,
                      "freshdesk quota state \"%V\" is corrupt (bad "
                      "header), ignored", sf->path);
        goto failed;
    }

    p += sizeof(FD_STATE_MAGIC) - 1;

    eol = ngx_strlchr(p, sf->last, '\n');

    if (eol == NULL || eol - p < 7 || ngx_strncmp(p, "month ", 6) != 0
        || (month = ngx_atoi(p + 6, eol - p - 6)) == NGX_ERROR)
    {
        ngx_log_error(NGX_LOG_ERR, sf->log, 0,
                      "freshdesk quota state \"%V\" is corrupt (bad month "
                      "line), ignored", sf->path);
        goto failed;
    }

    sf->month = (uint32_t) month;
    sf->pos = eol + 1;
    sf->line = 2;

    return NGX_OK;

failed:

    ngx_http_freshdesk_state_close(sf);

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_freshdesk_state_next(ngx_http_freshdesk_state_file_t *sf,
    ngx_http_freshdesk_state_rec_t *rec)
{
    u_char     *p, *eol, *sp1, *sp2, *sp3;
    ngx_int_t   actions, refused, owed;

    p = sf->pos;

    if (p >= sf->last) {
        return NGX_DONE;
    }

    sf->line++;

    if ((size_t) (sf->last - p) >= sizeof("account ") - 1
        && ngx_strncmp(p, "account ", sizeof("account ") - 1) == 0)
    {
        return ngx_http_freshdesk_state_account_next(sf, p, rec);
    }

    eol = ngx_strlchr(p, sf->last, '\n');
    sp1 = eol ? ngx_strlchr(p, eol, ' ') : NULL;
    sp2 = sp1 ? ngx_strlchr(sp1 + 1, eol, ' ') : NULL;
    sp3 = sp2 ? ngx_strlchr(sp2 + 1, eol, ' ') : NULL;

    if (eol == NULL || sp1 == NULL || sp2 == NULL
        || sp1 == p || (sp1 - p) % 2 || (sp1 - p) / 2 > 255)
    {
        return NGX_ERROR;
    }

    actions = ngx_atoi(sp1 + 1, sp2 - sp1 - 1);
    refused = ngx_atoi(sp2 + 1, (sp3 ? sp3 : eol) - sp2 - 1);

    /* a fourth field: actions counted here that Redis still lacks */
    owed = sp3 ? ngx_atoi(sp3 + 1, eol - sp3 - 1) : 0;

    if (actions == NGX_ERROR || refused == NGX_ERROR || owed == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_memzero(rec, sizeof(ngx_http_freshdesk_state_rec_t));

    rec->type = NGX_HTTP_FRESHDESK_STATE_TENANT;
    rec->tenant.len = (sp1 - p) / 2;
    rec->tenant.data = p;     /* decoded in place: hex is twice as long */

    if (ngx_http_freshdesk_hex_decode(p, sp1 - p, rec->tenant.data)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rec->actions = (uint32_t) actions;
    rec->refused = (uint32_t) refused;
    rec->owed = (uint32_t) owed;

    sf->pos = eol + 1;

    return NGX_OK;
}


/*
 * "account <hex> <limit> <paused until, epoch ms>": NGX_OK, or
 * NGX_DECLINED for a malformed line, which is passed over
 */

static ngx_int_t
ngx_http_freshdesk_state_account_next(ngx_http_freshdesk_state_file_t *sf,
    u_char *p, ngx_http_freshdesk_state_rec_t *rec)
{
    u_char     *eol, *sp1, *sp2, *end;
    off_t       paused;
    ngx_int_t   limit;

    eol = ngx_strlchr(p, sf->last, '\n');

    /* the next line, whatever this one holds */
    sf->pos = eol ? eol + 1 : sf->last;

    if (eol == NULL) {
        return NGX_DECLINED;
    }

    p += sizeof("account ") - 1;

    sp1 = ngx_strlchr(p, eol, ' ');
    sp2 = sp1 ? ngx_strlchr(sp1 + 1, eol, ' ') : NULL;
    end = sp2 ? ngx_strlchr(sp2 + 1, eol, ' ') : NULL;

    if (sp1 == NULL || sp2 == NULL || end != NULL
        || sp1 == p || (sp1 - p) % 2 || (sp1 - p) / 2 > 255)
    {
        return NGX_DECLINED;
    }

    limit = ngx_atoi(sp1 + 1, sp2 - sp1 - 1);
    paused = ngx_atoof(sp2 + 1, eol - sp2 - 1);

    if (limit <= 0 || limit > 10000000 || paused == NGX_ERROR) {
        return NGX_DECLINED;
    }

    ngx_memzero(rec, sizeof(ngx_http_freshdesk_state_rec_t));

    rec->type = NGX_HTTP_FRESHDESK_STATE_ACCOUNT;
    rec->tenant.len = (sp1 - p) / 2;
    rec->tenant.data = p;

    if (ngx_http_freshdesk_hex_decode(p, sp1 - p, rec->tenant.data)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    rec->limit = limit;
    rec->paused = (int64_t) paused;

    return NGX_OK;
}


void
ngx_http_freshdesk_state_close(ngx_http_freshdesk_state_file_t *sf)
{
    if (sf->buf) {
        ngx_free(sf->buf);
        sf->buf = NULL;
    }
}


u_char *
ngx_http_freshdesk_state_head(u_char *p, uint32_t month)
{
    p = ngx_cpymem(p, FD_STATE_MAGIC, sizeof(FD_STATE_MAGIC) - 1);

    return ngx_sprintf(p, "month %uD\n", month);
}


u_char *
ngx_http_freshdesk_state_line(u_char *p, ngx_http_freshdesk_state_rec_t *rec)
{
    p = ngx_hex_dump(p, rec->tenant.data, rec->tenant.len);
    p = ngx_sprintf(p, " %uD %uD", rec->actions, rec->refused);

    if (rec->owed) {
        p = ngx_sprintf(p, " %uD", rec->owed);
    }

    *p++ = '\n';

    return p;
}


u_char *
ngx_http_freshdesk_state_account(u_char *p,
    ngx_http_freshdesk_state_rec_t *rec)
{
    p = ngx_cpymem(p, "account ", sizeof("account ") - 1);
    p = ngx_hex_dump(p, rec->tenant.data, rec->tenant.len);

    return ngx_sprintf(p, " %i %L\n", rec->limit, rec->paused);
}
