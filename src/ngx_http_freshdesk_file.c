
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * File helpers that know nothing of the module: a file read whole, a file
 * written whole or not at all.
 */


#include "ngx_http_freshdesk_file.h"


ngx_int_t
ngx_http_freshdesk_file_read(ngx_str_t *path, size_t max, ngx_log_t *log,
    u_char **buf, size_t *len)
{
    off_t            size;
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_int_t        rc;
    ngx_file_info_t  fi;

    *buf = NULL;
    *len = 0;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        if (ngx_errno == NGX_ENOENT) {
            return NGX_DECLINED;
        }

        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_open_file_n " \"%V\" failed", path);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_fd_info_n " \"%V\" failed", path);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (size < 0 || (size_t) size > max) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "\"%V\" is larger than %uz bytes, ignored",
                      path, max);
        goto done;
    }

    *buf = ngx_alloc((size_t) size + 1, log);
    if (*buf == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, *buf, (size_t) size);

    if (n != (ssize_t) size) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "\"%V\": short read, ignored", path);
        ngx_free(*buf);
        *buf = NULL;
        goto done;
    }

    *len = (size_t) n;
    rc = NGX_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", path);
    }

    return rc;
}


/*
 * A file written whole or not at all: a temp file beside it, renamed over
 * it.  path must end with a NUL byte (as ngx_conf_full_name makes it).
 */

ngx_int_t
ngx_http_freshdesk_file_write(ngx_str_t *path, u_char *buf, size_t len,
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
