
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Test driver for the JWT core (src/ngx_http_freshdesk_jwt.c, _jwks.c),
 * built like the fuzzers against nginx-dev's headers and fuzz/shim.c, no
 * nginx binary needed.  t/28-jwt.t runs it.
 *
 *   jwt_check jwks FILE
 *       "ok N" or "refused: ERR", then "skipped: REASON" per skipped key
 *   jwt_check verify FILE NOW LEEWAY AUD ISS[,ISS] REQ[,REQ]|- CLAIM[,..]|-
 *       reads "NAME TOKEN" lines; prints per token
 *       "NAME STATUS sub=.. client_id=.. scope=.. NAME=.. | MESSAGE"
 *   jwt_check bench FILE NOW AUD ISS N < TOKEN
 *       verifies TOKEN N times; prints "ns_per_verify X"
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <time.h>

#include <openssl/err.h>

#include "ngx_http_freshdesk_jwks.h"
#include "ngx_http_freshdesk_jwt.h"


static u_char *read_file(const char *path, size_t *len);
static ngx_array_t *split(ngx_pool_t *pool, char *list);


static u_char *
read_file(const char *path, size_t *len)
{
    FILE    *f;
    u_char  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }

    buf = malloc(1 << 20);
    if (buf == NULL) {
        exit(2);
    }

    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);

    return buf;
}


static ngx_array_t *
split(ngx_pool_t *pool, char *list)
{
    char         *p, *save;
    ngx_str_t    *s;
    ngx_array_t  *a;

    if (strcmp(list, "-") == 0) {
        return NULL;
    }

    a = ngx_palloc(pool, sizeof(ngx_array_t));
    if (a == NULL || ngx_array_init(a, pool, 4, sizeof(ngx_str_t)) != NGX_OK) {
        exit(2);
    }

    for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        s = ngx_array_push(a);
        if (s == NULL) {
            exit(2);
        }

        s->data = (u_char *) p;
        s->len = strlen(p);
    }

    return a;
}


int
main(int argc, char **argv)
{
    char                             *line;
    size_t                            len, cap, i;
    u_char                           *text;
    ssize_t                           n;
    ngx_int_t                         rc;
    ngx_str_t                         token, value, *reason, *claim;
    ngx_log_t                         log;
    ngx_pool_t                       *pool, *tpool;
    ngx_uint_t                        k, count;
    ngx_array_t                      *claims;
    struct timespec                   t0, t1;
    ngx_http_freshdesk_jwt_t          jwt;
    ngx_http_freshdesk_jwks_t         jwks;
    ngx_http_freshdesk_jwt_policy_t   policy;

    if (argc < 3) {
        fprintf(stderr, "usage: see the comment in jwt_check.c\n");
        return 2;
    }

    ngx_memzero(&log, sizeof(ngx_log_t));

    pool = ngx_create_pool(4096, &log);
    text = read_file(argv[2], &len);

    rc = ngx_http_freshdesk_jwks_parse(pool, text, len, &jwks);
    free(text);

    /* the core must leave no error in OpenSSL's queue (nginx ALERTs) */

    if (ERR_peek_error() != 0) {
        printf("openssl-error-left\n");
    }

    if (strcmp(argv[1], "jwks") == 0 || rc != NGX_OK) {
        if (rc == NGX_OK) {
            printf("ok %lu\n", (unsigned long) jwks.nkeys);

        } else if (rc == NGX_DECLINED) {
            printf("refused: %.*s\n", (int) jwks.err.len, jwks.err.data);

        } else {
            printf("error\n");
        }

        reason = jwks.skipped ? jwks.skipped->elts : NULL;

        for (k = 0; reason && k < jwks.skipped->nelts; k++) {
            printf("skipped: %.*s\n", (int) reason[k].len, reason[k].data);
        }

        ngx_destroy_pool(pool);
        return (strcmp(argv[1], "jwks") == 0) ? 0 : 1;
    }

    ngx_memzero(&policy, sizeof(policy));

    if (strcmp(argv[1], "bench") == 0 && argc == 7) {
        policy.audience.data = (u_char *) argv[4];
        policy.audience.len = strlen(argv[4]);
        policy.issuers = split(pool, argv[5]);
        count = strtoul(argv[6], NULL, 10);

        line = NULL;
        cap = 0;
        n = getline(&line, &cap, stdin);
        if (n <= 0) {
            return 2;
        }

        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }

        token.data = (u_char *) line;
        token.len = n;

        clock_gettime(CLOCK_MONOTONIC, &t0);

        for (k = 0; k < count; k++) {
            tpool = ngx_create_pool(4096, &log);

            rc = ngx_http_freshdesk_jwt_verify(tpool, &token, &jwks, &policy,
                                               atol(argv[3]), &jwt);
            ngx_destroy_pool(tpool);

            if (rc != NGX_OK) {
                printf("refused %s\n",
                       ngx_http_freshdesk_jwt_status_name(jwt.status));
                return 1;
            }
        }

        clock_gettime(CLOCK_MONOTONIC, &t1);

        printf("ns_per_verify %.0f\n",
               ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec))
               / (count ? count : 1));

        free(line);
        ngx_destroy_pool(pool);
        return 0;
    }

    if (strcmp(argv[1], "verify") != 0 || argc != 9) {
        fprintf(stderr, "usage: see the comment in jwt_check.c\n");
        return 2;
    }

    policy.leeway = atol(argv[4]);
    policy.audience.data = (u_char *) argv[5];
    policy.audience.len = strlen(argv[5]);
    policy.issuers = split(pool, argv[6]);
    policy.required = split(pool, argv[7]);
    claims = split(pool, argv[8]);

    line = NULL;
    cap = 0;

    while ((n = getline(&line, &cap, stdin)) > 0) {

        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }

        for (i = 0; i < (size_t) n && line[i] != ' '; i++) { /* void */ }

        if (i == (size_t) n) {
            continue;
        }

        /* the token gets its own allocation: ASan sees reads past it */

        token.len = n - i - 1;
        token.data = malloc(token.len + 1);
        if (token.data == NULL) {
            return 2;
        }

        ngx_memcpy(token.data, line + i + 1, token.len);

        tpool = ngx_create_pool(4096, &log);

        rc = ngx_http_freshdesk_jwt_verify(tpool, &token, &jwks, &policy,
                                           atol(argv[3]), &jwt);

        printf("%.*s %s", (int) i, line,
               (rc == NGX_ERROR)
               ? "error" : ngx_http_freshdesk_jwt_status_name(jwt.status));

        if (rc == NGX_OK) {
            printf(" sub=%.*s client_id=%.*s scope=%.*s",
                   (int) jwt.sub.len, jwt.sub.data,
                   (int) jwt.client_id.len, jwt.client_id.data,
                   (int) jwt.scope.len, jwt.scope.data);

            claim = claims ? claims->elts : NULL;

            for (k = 0; claim && k < claims->nelts; k++) {
                if (ngx_http_freshdesk_jwt_claim(tpool, &jwt, &claim[k],
                                                 &value)
                    == NGX_OK)
                {
                    printf(" %.*s=%.*s", (int) claim[k].len, claim[k].data,
                           (int) value.len, value.data);

                } else {
                    printf(" %.*s:absent", (int) claim[k].len,
                           claim[k].data);
                }
            }
        }

        if (ERR_peek_error() != 0) {
            printf(" openssl-error-left");
            ERR_clear_error();
        }

        printf(" | %.*s\n", (int) jwt.message.len, jwt.message.data);

        ngx_destroy_pool(tpool);
        free(token.data);
    }

    free(line);
    ngx_destroy_pool(pool);

    return 0;
}
