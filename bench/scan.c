
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The module's body scanner timed alone, in one process, on one body
 * (bench/scan.sh): each pass a tool result makes over Freshdesk's answer,
 * in microseconds a body and GB/s, beside a memcpy() of the body (the
 * capture's copy), a line each: pass, us, GB/s, output bytes (tabs
 * between).  bench/scan-simdjson.cpp times simdjson on the same
 * body, so the two say how far a validating pass could go on this machine.
 *
 * usage: scan BODY REPS FIELDS   (FIELDS: "a|b|c", the selection)
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ngx_http_freshdesk_json.h"


#define SCAN_DEPTH  512


static double
scan_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


int
main(int argc, char **argv)
{
    u_char                            *body, *raw, *out, top;
    char                              *names, *name;
    size_t                             len, raw_len, esc_len;
    long                               size;
    FILE                              *f;
    double                             t0, us;
    ngx_int_t                          rc;
    ngx_uint_t                         reps, i, mode, count, h;
    ngx_http_freshdesk_select_t        sel;
    ngx_http_freshdesk_select_name_t   sel_names[64], *e;

    static const char  *modes[] = {
        "memcpy (the capture)",
        "validate, count (1 copy)",
        "validate, escape (2 copies)",
        "select (1 copy)",
        "select, escape (2 copies)"
    };

    if (argc != 4) {
        fprintf(stderr, "usage: %s BODY REPS FIELDS\n", argv[0]);
        return 2;
    }

    f = fopen(argv[1], "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }

    len = (size_t) size;
    body = malloc(len);
    raw = malloc(len);
    out = malloc(len * 6 + 16);

    rewind(f);

    if (body == NULL || raw == NULL || out == NULL
        || fread(body, 1, len, f) != len)
    {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }

    fclose(f);

    reps = (ngx_uint_t) atol(argv[2]);

    /* the selection, as ngx_http_freshdesk_fields_build() makes a flat one */

    memset(&sel, 0, sizeof(sel));
    sel.names = sel_names;
    names = strdup(argv[3]);

    for (name = strtok(names, "|"); name && sel.n < 64;
         name = strtok(NULL, "|"))
    {
        h = ngx_http_freshdesk_select_hash((u_char *) name, strlen(name));
        e = &sel_names[sel.n++];
        ngx_http_freshdesk_select_set(e, (u_char *) name, strlen(name));
        e->sub = NULL;
        e->next = sel.head[h];
        sel.head[h] = (u_char) sel.n;
    }

    for (mode = 0; mode < 5; mode++) {
        rc = NGX_OK;
        raw_len = 0;
        esc_len = 0;
        t0 = 0;

        /* a tenth of the passes to warm up, then the timed ones */

        for (i = 0; i < reps + reps / 10; i++) {
            if (i == reps / 10) {
                t0 = scan_now();
            }

            switch (mode) {

            case 0:
                memcpy(raw, body, len);
                __asm__ volatile ("" : : "r" (raw) : "memory");
                raw_len = len;
                break;

            case 1:
                rc = ngx_http_freshdesk_json_validate_count(body, len,
                         SCAN_DEPTH, NULL, 0, &top, &count);
                raw_len = len;
                break;

            case 2:
                rc = ngx_http_freshdesk_json_validate_escape(body, len,
                         SCAN_DEPTH, NULL, 0, &top, out, &esc_len);
                raw_len = len;
                break;

            case 3:
                rc = ngx_http_freshdesk_json_select(body, len, SCAN_DEPTH,
                         NULL, 0, &top, &sel, raw, &raw_len, &count);
                break;

            default:
                rc = ngx_http_freshdesk_json_select_escape(body, len,
                         SCAN_DEPTH, NULL, 0, &top, &sel, raw, &raw_len,
                         &count, out, &esc_len);
            }

            if (rc != NGX_OK) {
                fprintf(stderr, "%s: the body is not valid JSON (%d)\n",
                        modes[mode], (int) rc);
                return 1;
            }
        }

        us = (scan_now() - t0) / reps;

        printf("%s\t%.2f\t%.2f\t%zu\n", modes[mode], us,
               len / us / 1e3, raw_len + esc_len);
    }

    return 0;
}
