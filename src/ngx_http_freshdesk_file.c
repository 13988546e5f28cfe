
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Low-level file helpers that know nothing of the module: a file read
 * whole, a file written whole or not at all, and whether the workers can
 * write a file.
 *
 * ngx_http_freshdesk_file_writable() checks in the master, once per start,
 * reload or nginx -t, that the worker processes will be able to write a
 * state file: a directory they cannot write is then reported at once,
 * naming the path and the user, and not only at the first save,
 * state_interval later, as "open() ... failed (13: Permission denied)".
 *
 * It applies the kernel's permission rules to the identity that
 * ngx_worker_process_init() gives the workers: with a master running as
 * root, the "user" directive's user and group (nginx's default user when
 * there is none) and the user's supplementary groups (initgroups()); else
 * the master's own uid, gid and groups.  Checked: search permission on
 * every directory on the way, write and search on the file's directory,
 * the sticky bit's owner rule for the file renamed over, a stale temp file
 * that could not be truncated.  Not checked: ACLs, read-only mounts,
 * security modules; the save still logs its own failures.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_freshdesk_file.h"


#define NGX_HTTP_FRESHDESK_FILE_NAME_LEN  64

/* permission bits as in the "other" triple */
#define NGX_HTTP_FRESHDESK_FILE_W         2
#define NGX_HTTP_FRESHDESK_FILE_X         1


typedef struct {
    ngx_uid_t                uid;
    ngx_gid_t                gid;
    gid_t                   *groups;       /* supplementary, ngx_alloc() */
    ngx_uint_t               ngroups;
    u_char                   name[NGX_HTTP_FRESHDESK_FILE_NAME_LEN];
} ngx_http_freshdesk_file_user_t;


static ngx_int_t ngx_http_freshdesk_file_user(ngx_cycle_t *cycle,
    ngx_http_freshdesk_file_user_t *u);
static ngx_uint_t ngx_http_freshdesk_file_access(
    ngx_http_freshdesk_file_user_t *u, ngx_file_info_t *fi, ngx_uint_t want);
static void ngx_http_freshdesk_file_denied(ngx_cycle_t *cycle,
    ngx_str_t *zone, ngx_str_t *path, ngx_http_freshdesk_file_user_t *u,
    const char *what, u_char *name, ngx_file_info_t *fi);


ngx_int_t
ngx_http_freshdesk_file_writable(ngx_cycle_t *cycle, ngx_str_t *zone,
    ngx_str_t *path)
{
    u_char                          c, *name, *p, *end, *last;
    ngx_int_t                       rc;
    ngx_uint_t                      want;
    ngx_file_info_t                 fi, dir;
    ngx_http_freshdesk_file_user_t  u;

    if (ngx_http_freshdesk_file_user(cycle, &u) != NGX_OK) {
        return NGX_ERROR;
    }

    if (u.uid == 0) {
        /* root may write anywhere */
        ngx_free(u.groups);
        return NGX_OK;
    }

    name = ngx_alloc(path->len + sizeof(".tmp"), cycle->log);
    if (name == NULL) {
        ngx_free(u.groups);
        return NGX_ERROR;
    }

    ngx_memcpy(name, path->data, path->len);
    name[path->len] = '\0';

    rc = NGX_OK;
    last = NULL;

    for (p = name; p < name + path->len; p++) {
        if (*p == '/') {
            last = p;
        }
    }

    if (last == NULL || name[0] != '/') {
        /* not reached: ngx_conf_full_name() made the path absolute */
        goto done;
    }

    /* every directory from the root down to the file's own */

    for (p = name; p <= last; p++) {

        if (*p != '/' || (p > name && p[-1] == '/' && p != last)) {
            continue;
        }

        end = (p == name) ? p + 1 : p;
        c = *end;
        *end = '\0';

        if (ngx_file_info(name, &dir) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, ngx_errno,
                          "freshdesk_quota_zone \"%V\": monthly counts will "
                          "not survive a restart: state file \"%V\" cannot "
                          "be written, " ngx_file_info_n " \"%s\" failed",
                          zone, path, name);
            rc = NGX_DECLINED;
            goto done;
        }

        if (!ngx_is_dir(&dir)) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "freshdesk_quota_zone \"%V\": monthly counts will "
                          "not survive a restart: state file \"%V\" cannot "
                          "be written, \"%s\" is not a directory",
                          zone, path, name);
            rc = NGX_DECLINED;
            goto done;
        }

        want = NGX_HTTP_FRESHDESK_FILE_X;

        if (p == last) {
            want |= NGX_HTTP_FRESHDESK_FILE_W;
        }

        if (!ngx_http_freshdesk_file_access(&u, &dir, want)) {
            ngx_http_freshdesk_file_denied(cycle, zone, path, &u,
                                           "directory", name, &dir);
            rc = NGX_DECLINED;
            goto done;
        }

        *end = c;
    }

    /*
     * "dir" is the file's directory: when it is sticky, only the owner of
     * the file or of the directory may rename a file over it
     */

    if ((dir.st_mode & S_ISVTX)
        && dir.st_uid != u.uid
        && ngx_file_info(name, &fi) != NGX_FILE_ERROR
        && fi.st_uid != u.uid)
    {
        ngx_http_freshdesk_file_denied(cycle, zone, path, &u,
                                       "file in a sticky directory", name,
                                       &fi);
        rc = NGX_DECLINED;
        goto done;
    }

    /* the temp file is opened with O_TRUNC if a save left it behind */

    ngx_memcpy(name + path->len, ".tmp", sizeof(".tmp"));

    if (ngx_file_info(name, &fi) != NGX_FILE_ERROR
        && !ngx_http_freshdesk_file_access(&u, &fi,
                                           NGX_HTTP_FRESHDESK_FILE_W))
    {
        ngx_http_freshdesk_file_denied(cycle, zone, path, &u, "file", name,
                                       &fi);
        rc = NGX_DECLINED;
    }

done:

    ngx_free(name);
    ngx_free(u.groups);

    return rc;
}


/*
 * The workers' identity, as ngx_worker_process_init() sets it: setgid(),
 * initgroups() and setuid() with the core module's user, group and
 * username when the master runs as root, nothing otherwise.  getpwuid()
 * and getgrouplist() may read files: this runs in the master, at
 * configuration time, as getpwnam() in the "user" directive does.
 */

static ngx_int_t
ngx_http_freshdesk_file_user(ngx_cycle_t *cycle,
    ngx_http_freshdesk_file_user_t *u)
{
    int               n, want;
    struct passwd    *pwd;
    ngx_core_conf_t  *ccf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    u->groups = NULL;
    u->ngroups = 0;

    if (geteuid() == 0
        && ccf->master
        && ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT
        && ccf->username != NULL)
    {
        u->uid = ccf->user;
        u->gid = ccf->group;
        ngx_cpystrn(u->name, (u_char *) ccf->username,
                    NGX_HTTP_FRESHDESK_FILE_NAME_LEN);

        if (u->uid == 0) {
            return NGX_OK;
        }

        /* getgrouplist() tells how many there are when "n" is too few */

        for (n = 32, want = 0; want < 2; want++) {
            u->groups = ngx_alloc(n * sizeof(gid_t), cycle->log);
            if (u->groups == NULL) {
                return NGX_ERROR;
            }

            if (getgrouplist(ccf->username, ccf->group, u->groups, &n) != -1)
            {
                u->ngroups = n;
                return NGX_OK;
            }

            ngx_free(u->groups);
            u->groups = NULL;
        }

        /* the primary group only */

        return NGX_OK;
    }

    /* the workers keep the master's identity */

    u->uid = geteuid();
    u->gid = getegid();

    n = getgroups(0, NULL);

    if (n > 0) {
        u->groups = ngx_alloc(n * sizeof(gid_t), cycle->log);
        if (u->groups == NULL) {
            return NGX_ERROR;
        }

        n = getgroups(n, u->groups);
        u->ngroups = (n > 0) ? n : 0;
    }

    pwd = getpwuid(u->uid);

    if (pwd != NULL) {
        ngx_cpystrn(u->name, (u_char *) pwd->pw_name,
                    NGX_HTTP_FRESHDESK_FILE_NAME_LEN);

    } else {
        ngx_sprintf(u->name, "#%ui%Z", (ngx_uint_t) u->uid);
    }

    return NGX_OK;
}


/* the owner's bits, else the group's, else the others': as the kernel */

static ngx_uint_t
ngx_http_freshdesk_file_access(ngx_http_freshdesk_file_user_t *u,
    ngx_file_info_t *fi, ngx_uint_t want)
{
    ngx_uint_t  i, shift;

    if (fi->st_uid == u->uid) {
        shift = 6;

    } else if (fi->st_gid == u->gid) {
        shift = 3;

    } else {
        shift = 0;

        for (i = 0; i < u->ngroups; i++) {
            if (u->groups[i] == fi->st_gid) {
                shift = 3;
                break;
            }
        }
    }

    return ((fi->st_mode >> shift) & want) == want;
}


static void
ngx_http_freshdesk_file_denied(ngx_cycle_t *cycle, ngx_str_t *zone,
    ngx_str_t *path, ngx_http_freshdesk_file_user_t *u, const char *what,
    u_char *name, ngx_file_info_t *fi)
{
    u_char          *p, *last;
    ngx_uint_t       m;
    struct group    *grp;
    struct passwd   *pwd;
    u_char           owner[2 * NGX_HTTP_FRESHDESK_FILE_NAME_LEN];
    u_char           mode[sizeof("0755")];

    last = owner + sizeof(owner) - 1;

    pwd = getpwuid(fi->st_uid);

    if (pwd != NULL) {
        p = ngx_slprintf(owner, last, "%s", pwd->pw_name);

    } else {
        p = ngx_slprintf(owner, last, "%ui", (ngx_uint_t) fi->st_uid);
    }

    grp = getgrgid(fi->st_gid);

    if (grp != NULL) {
        p = ngx_slprintf(p, last, ":%s", grp->gr_name);

    } else {
        p = ngx_slprintf(p, last, ":%ui", (ngx_uint_t) fi->st_gid);
    }

    *p = '\0';

    /* ngx_sprintf() has no octal */

    m = fi->st_mode & 07777;

    mode[0] = (u_char) ('0' + ((m >> 9) & 7));
    mode[1] = (u_char) ('0' + ((m >> 6) & 7));
    mode[2] = (u_char) ('0' + ((m >> 3) & 7));
    mode[3] = (u_char) ('0' + (m & 7));
    mode[4] = '\0';

    ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                  "freshdesk_quota_zone \"%V\": state file \"%V\" cannot be "
                  "written by the worker user \"%s\" (%s \"%s\" is owned by "
                  "%s, mode %s); monthly counts will not survive a restart",
                  zone, path, u->name, what, name, owner, mode);
}


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
