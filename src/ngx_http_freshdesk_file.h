
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_FILE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_FILE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Whether the worker processes can replace the file at path the way the
 * state file is written (a temp file beside it, renamed over it): NGX_OK,
 * or NGX_DECLINED after an NGX_LOG_ERR line that names the zone, the path,
 * the worker user and the reason.  Runs in the master (init_module).
 */
ngx_int_t ngx_http_freshdesk_file_writable(ngx_cycle_t *cycle,
    ngx_str_t *zone, ngx_str_t *path);


/*
 * A whole file into memory (ngx_alloc: ngx_free it), one byte more than
 * it holds.  NGX_DECLINED: there is none; NGX_ERROR: unreadable or over
 * max bytes (logged).
 */
ngx_int_t ngx_http_freshdesk_file_read(ngx_str_t *path, size_t max,
    ngx_log_t *log, u_char **buf, size_t *len);

/* a file written whole or not at all (a temp file renamed over it) */
ngx_int_t ngx_http_freshdesk_file_write(ngx_str_t *path, u_char *buf,
    size_t len, ngx_log_t *log);


#endif /* _NGX_HTTP_FRESHDESK_FILE_H_INCLUDED_ */
