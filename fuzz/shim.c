
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The few nginx core functions the module's pool-only code (JSON-RPC
 * envelope, JSON scanner, tool engine, cursors) calls, written here so
 * that code can be fuzzed without an nginx binary: nginx-dev ships headers
 * but no core sources.  Every pool allocation is its own malloc(), so
 * AddressSanitizer sees the exact bounds of each (like NGX_DEBUG_PALLOC).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdarg.h>
#include <stdio.h>


ngx_uint_t  ngx_pagesize = 4096;


ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_pool_t  *p;

    p = calloc(1, sizeof(ngx_pool_t));
    if (p == NULL) {
        abort();
    }

    p->log = log;

    return p;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_pool_large_t    *l, *next;
    ngx_pool_cleanup_t  *c, *cn;

    for (c = pool->cleanup; c; c = cn) {
        cn = c->next;
        if (c->handler) {
            c->handler(c->data);
        }
        free(c);
    }

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
        free(l);
    }

    free(pool);
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    ngx_pool_large_t  *l;

    l = malloc(sizeof(ngx_pool_large_t));
    if (l == NULL) {
        abort();
    }

    l->alloc = malloc(size ? size : 1);
    if (l->alloc == NULL) {
        abort();
    }

    l->next = pool->large;
    pool->large = l;

    return l->alloc;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_palloc(pool, size);
    memset(p, 0, size);

    return p;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = calloc(1, sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        abort();
    }

    c->data = size ? ngx_palloc(p, size) : NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


void *
ngx_array_push(ngx_array_t *a)
{
    void  *elt, *new;

    if (a->nelts == a->nalloc) {
        new = ngx_palloc(a->pool, 2 * a->size * a->nalloc);
        memcpy(new, a->elts, a->size * a->nalloc);
        a->elts = new;
        a->nalloc *= 2;
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts++;

    return elt;
}


/* the formats the module uses: %s %*s %V %i %ui %d %uD %D %L %T %z %uz
 * %O %c %Z %% */

u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    char        tmp[64];
    size_t      len;
    u_char     *p;
    ngx_str_t  *v;
    ngx_uint_t  unsig, star;
    const char *s;

    while (*fmt && buf < last) {

        if (*fmt != '%') {
            *buf++ = *fmt++;
            continue;
        }

        fmt++;
        unsig = 0;
        star = 0;
        len = 0;

        if (*fmt == 'u') {
            unsig = 1;
            fmt++;
        }

        if (*fmt == '*') {
            star = 1;
            len = va_arg(args, size_t);
            fmt++;
        }

        s = NULL;
        tmp[0] = '\0';

        switch (*fmt++) {
        case 's':
            p = va_arg(args, u_char *);
            if (star) {
                len = ngx_min(len, (size_t) (last - buf));
                buf = ngx_cpymem(buf, p, len);
                continue;
            }
            s = (const char *) p;
            break;
        case 'V':
            v = va_arg(args, ngx_str_t *);
            len = ngx_min(v->len, (size_t) (last - buf));
            buf = ngx_cpymem(buf, v->data, len);
            continue;
        case 'i':
            if (unsig) {
                snprintf(tmp, sizeof(tmp), "%lu",
                         (unsigned long) va_arg(args, ngx_uint_t));
            } else {
                snprintf(tmp, sizeof(tmp), "%ld",
                         (long) va_arg(args, ngx_int_t));
            }
            break;
        case 'd':
            snprintf(tmp, sizeof(tmp), "%d", va_arg(args, int));
            break;
        case 'D':
            snprintf(tmp, sizeof(tmp), unsig ? "%u" : "%d",
                     va_arg(args, uint32_t));
            break;
        case 'L':
            snprintf(tmp, sizeof(tmp), "%lld",
                     (long long) va_arg(args, int64_t));
            break;
        case 'T':
            snprintf(tmp, sizeof(tmp), "%ld", (long) va_arg(args, time_t));
            break;
        case 'z':
            snprintf(tmp, sizeof(tmp), unsig ? "%zu" : "%zd",
                     va_arg(args, size_t));
            break;
        case 'O':
            snprintf(tmp, sizeof(tmp), "%lld", (long long) va_arg(args, off_t));
            break;
        case 'c':
            tmp[0] = (char) va_arg(args, int);
            tmp[1] = '\0';
            break;
        case 'Z':
            *buf++ = '\0';
            continue;
        case '%':
            *buf++ = '%';
            continue;
        default:
            abort();    /* a format the shim does not know: fix the shim */
        }

        if (s == NULL) {
            s = tmp;
        }

        len = ngx_min(strlen(s), (size_t) (last - buf));
        buf = ngx_cpymem(buf, s, len);
    }

    return buf;
}


u_char * ngx_cdecl
ngx_sprintf(u_char *buf, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, (void *) -1, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}


ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_int_t  value, cutoff, cutlim;

    if (n == 0) {
        return NGX_ERROR;
    }

    cutoff = NGX_MAX_INT_T_VALUE / 10;
    cutlim = NGX_MAX_INT_T_VALUE % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return NGX_ERROR;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return NGX_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


time_t
ngx_atotm(u_char *line, size_t n)
{
    return (time_t) ngx_atoi(line, n);
}


static const char  b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


void
ngx_encode_base64url(ngx_str_t *dst, ngx_str_t *src)
{
    u_char  *d, *s;
    size_t   len;

    len = src->len;
    s = src->data;
    d = dst->data;

    while (len > 2) {
        *d++ = b64url[(s[0] >> 2) & 0x3f];
        *d++ = b64url[((s[0] & 3) << 4) | (s[1] >> 4)];
        *d++ = b64url[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *d++ = b64url[s[2] & 0x3f];
        s += 3;
        len -= 3;
    }

    if (len) {
        *d++ = b64url[(s[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = b64url[(s[0] & 3) << 4];

        } else {
            *d++ = b64url[((s[0] & 3) << 4) | (s[1] >> 4)];
            *d++ = b64url[(s[1] & 0x0f) << 2];
        }
    }

    dst->len = d - dst->data;
}


ngx_int_t
ngx_decode_base64url(ngx_str_t *dst, ngx_str_t *src)
{
    size_t   len, i;
    u_char  *d, *s, v[256];

    memset(v, 77, sizeof(v));

    for (i = 0; i < 64; i++) {
        v[(u_char) b64url[i]] = (u_char) i;
    }

    for (len = 0; len < src->len; len++) {
        if (src->data[len] == '=') {
            break;
        }

        if (v[src->data[len]] == 77) {
            return NGX_ERROR;
        }
    }

    if (len % 4 == 1) {
        return NGX_ERROR;
    }

    s = src->data;
    d = dst->data;

    while (len > 3) {
        *d++ = (u_char) (v[s[0]] << 2 | v[s[1]] >> 4);
        *d++ = (u_char) (v[s[1]] << 4 | v[s[2]] >> 2);
        *d++ = (u_char) (v[s[2]] << 6 | v[s[3]]);
        s += 4;
        len -= 4;
    }

    if (len > 1) {
        *d++ = (u_char) (v[s[0]] << 2 | v[s[1]] >> 4);
    }

    if (len > 2) {
        *d++ = (u_char) (v[s[1]] << 4 | v[s[2]] >> 2);
    }

    dst->len = d - dst->data;

    return NGX_OK;
}


void ngx_cdecl
ngx_conf_log_error(ngx_uint_t level, ngx_conf_t *cf, ngx_err_t err,
    const char *fmt, ...)
{
    fprintf(stderr, "catalog error: %s\n", fmt);
    abort();
}


/* fields.c's configuration and schema parts, never called by the fuzzers */

ngx_module_t      ngx_http_freshdesk_module;
volatile ngx_cycle_t  *ngx_cycle;


char *
ngx_conf_set_flag_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    abort();
}


/* conf.c's parameter parser, linked for its list helper, never called */

ngx_int_t
ngx_parse_time(ngx_str_t *line, ngx_uint_t is_sec)
{
    abort();
}


ngx_int_t
ngx_conf_full_name(ngx_cycle_t *cycle, ngx_str_t *name, ngx_uint_t conf_prefix)
{
    abort();
}


void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    return malloc(size);
}
