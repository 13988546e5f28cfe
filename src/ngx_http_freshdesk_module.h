
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 */


#ifndef _NGX_HTTP_FRESHDESK_MODULE_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>


#define NGX_HTTP_FRESHDESK_VERSION        "0.1.0"
#define NGX_HTTP_FRESHDESK_NAME           "ngx_http_freshdesk_module"

/* protocol revisions, newest first; index into the version table */
#define NGX_HTTP_FRESHDESK_V_2026_07_28   0
#define NGX_HTTP_FRESHDESK_V_2025_11_25   1
#define NGX_HTTP_FRESHDESK_V_2025_06_18   2
#define NGX_HTTP_FRESHDESK_V_2025_03_26   3
#define NGX_HTTP_FRESHDESK_V_2024_11_05   4
#define NGX_HTTP_FRESHDESK_V_NONE         5

#ifndef NGX_HTTP_NOT_ACCEPTABLE
#define NGX_HTTP_NOT_ACCEPTABLE           406
#endif


typedef struct ngx_http_freshdesk_tool_s  ngx_http_freshdesk_tool_t;
typedef struct ngx_http_freshdesk_buffer_s  ngx_http_freshdesk_buffer_t;


/* large buffers a worker keeps between requests (buffer.c) */
typedef struct {
    size_t                         max;          /* freshdesk_buffer_cache */
    size_t                         kept;
    ngx_http_freshdesk_buffer_t   *free;
} ngx_http_freshdesk_buffers_t;


typedef struct {
    ngx_array_t                    zones;        /* quota ctx pointers */
    u_char                         cursor_key[32];
    ngx_str_t                      cursor_key_conf;
    ngx_msec_t                     cursor_ttl;
    ngx_http_freshdesk_buffers_t   buffers;
    ngx_shm_zone_t                *metrics;      /* metrics.c */
} ngx_http_freshdesk_main_conf_t;


typedef struct {
    ngx_flag_t                     mcp;
    ngx_http_complex_value_t      *tenant;
    ngx_http_complex_value_t      *api_key;
    ngx_str_t                      upstream;
    ngx_array_t                   *origins;       /* of ngx_str_t */
    size_t                         max_body;
    size_t                         max_response;
    ngx_flag_t                     request_writes;
    ngx_str_t                      realm;
    ngx_http_complex_value_t      *tools;
    void                          *quota;         /* quota zone ctx */
    ngx_flag_t                     quota_dry_run;
    ngx_http_complex_value_t      *calls_limit;
    ngx_http_complex_value_t      *actions_limit;
    ngx_uint_t                     quota_log_level;
    ngx_uint_t                     retry_tries;    /* freshdesk_retry */
    ngx_msec_t                     retry_wait;
    ngx_msec_t                     retry_deadline;
} ngx_http_freshdesk_loc_conf_t;


/* one upstream REST request and what came back */
typedef struct {
    ngx_uint_t                     method;
    ngx_str_t                      method_name;
    ngx_str_t                      uri;
    ngx_str_t                      args;
    ngx_str_t                      body;
    ngx_uint_t                     has_body;

    ngx_int_t                      status;
    ngx_int_t                      rc;
    ngx_chain_t                   *out;
    ngx_chain_t                  **last_out;
    size_t                         size;
    ngx_str_t                      link;
    ngx_str_t                      retry_after;
    ngx_str_t                      request_id;
    unsigned                       header:1;
    unsigned                       complete:1;
    unsigned                       done:1;
    unsigned                       sent:1;       /* reached Freshdesk */
    unsigned                       too_big:1;
} ngx_http_freshdesk_call_t;


/* per-request state of the MCP endpoint (main request only) */
typedef struct {
    ngx_str_t                      tenant;
    ngx_str_t                      authorization;   /* "Basic ..." */
    ngx_str_t                      rpc_method;
    ngx_str_t                      tool_name;
    ngx_str_t                      id;               /* serialized id */
    ngx_uint_t                     version;
    ngx_str_t                      hdr_method;       /* 2026: Mcp-Method */
    ngx_str_t                      hdr_name;         /* 2026: Mcp-Name */
    ngx_str_t                      hdr_version;      /* unsupported one */

    json_t                        *arguments;
    const ngx_http_freshdesk_tool_t  *tool;
    const ngx_http_freshdesk_tool_t  *hdr_tool;  /* 2026: Mcp-Name's */

    ngx_str_t                      resource;        /* "ticket 42" */
    ngx_str_t                      quota_text;      /* refusal message */

    ngx_http_freshdesk_call_t      call;
    ngx_uint_t                     page;           /* page this call asked */

    ngx_int_t                      upstream_status;
    ngx_str_t                      quota_result;
    ngx_int_t                      calls_remaining;
    ngx_int_t                      actions_remaining;
    ngx_int_t                      calls_limit;
    ngx_int_t                      actions_limit;
    time_t                         calls_reset;
    time_t                         actions_reset;

    /* the REST request (a subrequest) and its capture */
    size_t                         max;
    size_t                         size_hint;    /* upstream Content-Length */
    ngx_buf_t                     *last;         /* capture buffer */
    ngx_http_request_t            *sr;           /* the try's request */
    ngx_uint_t                     tries;
    ngx_msec_t                     started;      /* of the first try */
    ngx_msec_t                     try_started;
    ngx_msec_t                     upstream_time;  /* all tries, ms */
    ngx_event_t                   *retry;        /* the wait between tries */

    /* a quota decision asked of Redis */
    void                          *quota_call;
    ngx_int_t                      quota_rc;
    time_t                         quota_sec;    /* Redis's second, month */
    ngx_uint_t                     quota_month;
    ngx_msec_t                     retry_delay;

    ngx_uint_t                     outcome;      /* FD_OUTCOME_* */
    ngx_uint_t                     tool_index;   /* in the catalog */

    unsigned                       era2026:1;    /* MCP 2026-07-28 */
    unsigned                       hdr_error:1;  /* routing headers bad */
    unsigned                       unsupported:1;  /* version header */
    unsigned                       waiting:1;    /* a try or a wait runs */
    unsigned                       quota_pending:1;   /* Redis: the call */
    unsigned                       action_pending:1;  /* Redis: a retry */
    unsigned                       quota_redis:1;     /* counted in Redis */
    unsigned                       quota_checked:1;
    unsigned                       action_taken:1;
} ngx_http_freshdesk_ctx_t;


extern ngx_module_t  ngx_http_freshdesk_module;


#endif /* _NGX_HTTP_FRESHDESK_MODULE_H_INCLUDED_ */
