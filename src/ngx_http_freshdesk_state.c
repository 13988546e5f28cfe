
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The quota state file: monthly counters survive a restart.
 *
 * Worker 0 runs a timer every state_interval: it expires stale zone
 * entries and writes the state file atomically (temp file + rename).  It
 * writes once more when it exits (stop, quit, reload).  The zone loads the
 * file when it is created, i.e. at start, not at reload (a reload keeps
 * the zone itself).  A crash loses at most the actions of the last
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
 * yet (omitted when 0).
 */


#include "ngx_http_freshdesk_quota.h"
#include "ngx_http_freshdesk_quota_shm.h"
#include "ngx_http_freshdesk_metrics.h"


#define FD_STATE_MAGIC  "freshdesk-quota 1\n"


static void ngx_http_freshdesk_state_timer(ngx_event_t *ev);
static ngx_uint_t ngx_http_freshdesk_state_writer(void);
static ngx_int_t ngx_http_freshdesk_hex_decode(u_char *src, size_t len,
    u_char *dst);


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


void
ngx_http_freshdesk_state_load(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_log_t *log)
{
    u_char                           *buf, *p, *last, *eol, *sp1, *sp2,
                                     *sp3;
    off_t                             size;
    ssize_t                           n;
    uint32_t                          month, now_month;
    ngx_fd_t                          fd;
    ngx_int_t                         actions, refused, owed;
    ngx_str_t                         tenant;
    ngx_uint_t                        line, loaded;
    ngx_file_info_t                   fi;
    ngx_http_freshdesk_quota_node_t  *qn;

    fd = ngx_open_file(ctx->state.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          ngx_open_file_n " \"%V\" failed, quota state "
                          "not loaded", &ctx->state);
        }

        return;
    }

    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_fd_info_n " \"%V\" failed", &ctx->state);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (size > 256 * 1024 * 1024) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "freshdesk quota state \"%V\" is too large, ignored",
                      &ctx->state);
        goto done;
    }

    buf = ngx_alloc((size_t) size + 1, log);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, buf, (size_t) size);

    if (n != (ssize_t) size) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "freshdesk quota state \"%V\": short read, ignored",
                      &ctx->state);
        goto done;
    }

    p = buf;
    last = buf + n;

    if ((size_t) n < sizeof(FD_STATE_MAGIC) - 1
        || ngx_strncmp(p, FD_STATE_MAGIC, sizeof(FD_STATE_MAGIC) - 1) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "freshdesk quota state \"%V\" is corrupt (bad "
                      "header), ignored", &ctx->state);
        goto done;
    }

    p += sizeof(FD_STATE_MAGIC) - 1;

    eol = ngx_strlchr(p, last, '\n');

    if (eol == NULL || eol - p < 7 || ngx_strncmp(p, "month ", 6) != 0
        || (month = ngx_atoi(p + 6, eol - p - 6)) == (uint32_t) NGX_ERROR)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "freshdesk quota state \"%V\" is corrupt (bad month "
                      "line), ignored", &ctx->state);
        goto done;
    }

    p = eol + 1;

    now_month = ngx_http_freshdesk_quota_month(ngx_time());

    if (month != now_month) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "freshdesk quota state \"%V\" is from month %uD, "
                      "monthly counts start over in %uD",
                      &ctx->state, month, now_month);
        goto done;
    }

    line = 2;
    loaded = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    while (p < last) {
        line++;

        eol = ngx_strlchr(p, last, '\n');
        sp1 = eol ? ngx_strlchr(p, eol, ' ') : NULL;
        sp2 = sp1 ? ngx_strlchr(sp1 + 1, eol, ' ') : NULL;
        sp3 = sp2 ? ngx_strlchr(sp2 + 1, eol, ' ') : NULL;

        if (eol == NULL || sp1 == NULL || sp2 == NULL
            || sp1 == p || (sp1 - p) % 2 || (sp1 - p) / 2 > 255)
        {
            goto corrupt;
        }

        actions = ngx_atoi(sp1 + 1, sp2 - sp1 - 1);
        refused = ngx_atoi(sp2 + 1, (sp3 ? sp3 : eol) - sp2 - 1);

        /* a fourth field: actions counted here that Redis still lacks */
        owed = sp3 ? ngx_atoi(sp3 + 1, eol - sp3 - 1) : 0;

        if (actions == NGX_ERROR || refused == NGX_ERROR || owed == NGX_ERROR)
        {
            goto corrupt;
        }

        tenant.len = (sp1 - p) / 2;
        tenant.data = p;     /* decoded in place: hex is twice as long */

        if (ngx_http_freshdesk_hex_decode(p, sp1 - p, tenant.data) != NGX_OK) {
            goto corrupt;
        }

        qn = ngx_http_freshdesk_quota_insert(ctx, &tenant, month);

        if (qn == NULL) {
            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "freshdesk quota zone \"%V\" is too small for the "
                          "state in \"%V\": %ui tenants loaded",
                          &ctx->name, &ctx->state, loaded);
            break;
        }

        qn->month = month;
        qn->actions = (uint32_t) actions;
        qn->refused = (uint32_t) refused;
        qn->owed = (uint32_t) owed;
        ctx->sh->redis.unsynced += owed;
        loaded++;

        p = eol + 1;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "freshdesk quota state \"%V\": %ui tenants loaded",
                  &ctx->state, loaded);

    goto done;

corrupt:

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "freshdesk quota state \"%V\" is corrupt at line %ui, "
                  "the rest is ignored (%ui tenants loaded)",
                  &ctx->state, line, loaded);

done:

    if (buf) {
        ngx_free(buf);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &ctx->state);
    }
}


ngx_int_t
ngx_http_freshdesk_state_save(ngx_http_freshdesk_quota_ctx_t *ctx,
    ngx_log_t *log)
{
    u_char                           *buf, *p;
    size_t                            size;
    time_t                            now;
    uint32_t                          month;
    ngx_int_t                         rc;
    ngx_uint_t                        n;
    ngx_rbtree_node_t                *node, *root, *sentinel;
    ngx_http_freshdesk_quota_node_t  *qn;

    now = ngx_time();
    month = ngx_http_freshdesk_quota_month(now);

    /* a snapshot under the lock, the file work without it */

    ngx_shmtx_lock(&ctx->shpool->mutex);

    ngx_http_freshdesk_quota_expire(ctx, now);

    root = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;
    size = sizeof(FD_STATE_MAGIC) + sizeof("month 000000\n");
    n = 0;

    if (root != sentinel) {
        for (node = ngx_rbtree_min(root, sentinel); node;
             node = ngx_rbtree_next(&ctx->sh->rbtree, node))
        {
            qn = (ngx_http_freshdesk_quota_node_t *) &node->color;
            size += qn->len * 2 + 3 * NGX_INT32_LEN + 4;
            n++;
        }
    }

    buf = ngx_alloc(size, log);
    if (buf == NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        return NGX_ERROR;
    }

    p = ngx_cpymem(buf, FD_STATE_MAGIC, sizeof(FD_STATE_MAGIC) - 1);
    p = ngx_sprintf(p, "month %uD\n", month);

    if (root != sentinel) {
        for (node = ngx_rbtree_min(root, sentinel); node;
             node = ngx_rbtree_next(&ctx->sh->rbtree, node))
        {
            qn = (ngx_http_freshdesk_quota_node_t *) &node->color;

            if (qn->month != month
                || (qn->actions == 0 && qn->refused == 0 && qn->owed == 0))
            {
                continue;
            }

            p = ngx_hex_dump(p, qn->data, qn->len);
            p = ngx_sprintf(p, " %uD %uD", qn->actions, qn->refused);

            if (qn->owed) {
                p = ngx_sprintf(p, " %uD", qn->owed);
            }

            *p++ = '\n';
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    rc = ngx_http_freshdesk_state_write(&ctx->state, buf, p - buf, log);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "freshdesk quota state \"%V\" saved, %ui nodes: %i",
                   &ctx->state, n, rc);

    ngx_free(buf);

    return rc;
}


/*
 * A file written whole or not at all: a temp file beside it, renamed over
 * it.  path must end with a NUL byte (as ngx_conf_full_name makes it).
 */

ngx_int_t
ngx_http_freshdesk_state_write(ngx_str_t *path, u_char *buf, size_t len,
    ngx_log_t *log)
{
    u_char    *tmp;
    ngx_fd_t   fd;

    tmp = ngx_alloc(path->len + sizeof(".tmp"), log);
    if (tmp == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(tmp, "%V.tmp%Z", path);

    fd = ngx_open_file(tmp, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                       NGX_FILE_DEFAULT_ACCESS);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed, \"%V\" not saved",
                      tmp, path);
        ngx_free(tmp);
        return NGX_ERROR;
    }

    if (ngx_write_fd(fd, buf, len) != (ssize_t) len) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_write_fd_n " \"%s\" failed, \"%V\" not saved",
                      tmp, path);
        (void) ngx_close_file(fd);
        goto failed;
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_close_file_n " \"%s\" failed", tmp);
        goto failed;
    }

    if (ngx_rename_file(tmp, path->data) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_rename_file_n " \"%s\" to \"%V\" failed, not "
                      "saved", tmp, path);
        goto failed;
    }

    ngx_free(tmp);

    return NGX_OK;

failed:

    (void) ngx_delete_file(tmp);
    ngx_free(tmp);

    return NGX_ERROR;
}


static void
ngx_http_freshdesk_state_timer(ngx_event_t *ev)
{
    ngx_http_freshdesk_quota_ctx_t  *ctx = ev->data;

    if (ctx->state.len) {
        (void) ngx_http_freshdesk_state_save(ctx, ev->log);
        ngx_http_freshdesk_metrics_save(ctx, ev->log);

    } else {
        ngx_shmtx_lock(&ctx->shpool->mutex);
        ngx_http_freshdesk_quota_expire(ctx, ngx_time());
        ngx_shmtx_unlock(&ctx->shpool->mutex);
    }

    if (!ngx_exiting && !ngx_quit && !ngx_terminate) {
        ngx_add_timer(ev, ctx->state_interval);
    }
}


/* one writer of the state: worker 0 (or the only process) */

static ngx_uint_t
ngx_http_freshdesk_state_writer(void)
{
    return (ngx_process == NGX_PROCESS_WORKER
            || ngx_process == NGX_PROCESS_SINGLE)
           && ngx_worker == 0;
}


ngx_int_t
ngx_http_freshdesk_quota_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_array_t                      *zones;
    ngx_http_freshdesk_quota_ctx_t   *ctx;

    if (!ngx_http_freshdesk_state_writer()) {
        return NGX_OK;
    }

    zones = ngx_http_freshdesk_quota_zones(cycle);

    for (i = 0; zones && i < zones->nelts; i++) {
        ctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

        if (ctx->shpool == NULL) {
            continue;
        }

        ctx->timer.handler = ngx_http_freshdesk_state_timer;
        ctx->timer.data = ctx;
        ctx->timer.log = cycle->log;
        ctx->timer.cancelable = 1;

        ngx_add_timer(&ctx->timer, ctx->state_interval);
    }

    return NGX_OK;
}


void
ngx_http_freshdesk_quota_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_array_t                      *zones;
    ngx_http_freshdesk_quota_ctx_t   *ctx;

    if (!ngx_http_freshdesk_state_writer()) {
        return;
    }

    zones = ngx_http_freshdesk_quota_zones(cycle);

    for (i = 0; zones && i < zones->nelts; i++) {
        ctx = ((ngx_http_freshdesk_quota_ctx_t **) zones->elts)[i];

        if (ctx->shpool && ctx->state.len) {
            (void) ngx_http_freshdesk_state_save(ctx, cycle->log);
            ngx_http_freshdesk_metrics_save(ctx, cycle->log);
        }
    }
}
