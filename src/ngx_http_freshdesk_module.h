
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

/* freshdesk_result: the copies of a tool result's JSON that go out */
#define NGX_HTTP_FRESHDESK_RESULT_BOTH        0
#define NGX_HTTP_FRESHDESK_RESULT_STRUCTURED  1
#define NGX_HTTP_FRESHDESK_RESULT_TEXT        2

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
    ngx_array_t                   *quota_refs;   /* quota.c: checked */
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
    void                          *guard;         /* guard.c's conf */
    ngx_flag_t                     guard_dry_run;
    ngx_flag_t                     quota_dry_run;
    ngx_http_complex_value_t      *calls_limit;
    ngx_http_complex_value_t      *actions_limit;
    ngx_uint_t                     quota_log_level;
    ngx_uint_t                     retry_tries;    /* freshdesk_retry */
    ngx_msec_t                     retry_wait;
    ngx_msec_t                     retry_deadline;
    void                          *oauth;         /* oauth.c's conf */
    ngx_uint_t                     result;        /* freshdesk_result */
    void                          *fields;        /* fields.c's conf */
} ngx_http_freshdesk_loc_conf_t;


/*
 * One upstream REST request and what came back: the request (method to
 * has_body) is written by call.c, what came back (status on) by
 * subrequest.c
 */
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
    ngx_str_t                      rate_total;     /* X-RateLimit-* */
    ngx_str_t                      rate_remaining;
    ngx_str_t                      rate_used;
    unsigned                       header:1;
    unsigned                       complete:1;
    unsigned                       done:1;
    unsigned                       sent:1;       /* reached Freshdesk */
    unsigned                       too_big:1;
} ngx_http_freshdesk_call_t;


/*
 * A call's quota, from the question to the verdict: written by the quota
 * front door (quota.c) only; others read it (variables, call answers).
 */
typedef struct {
    ngx_str_t                      result;      /* $freshdesk_quota_result */
    ngx_str_t                      text;        /* a refusal's message */
    ngx_int_t                      calls_limit;
    ngx_int_t                      actions_limit;
    ngx_int_t                      calls_remaining;
    ngx_int_t                      actions_remaining;
    time_t                         calls_reset;   /* seconds from now */
    time_t                         actions_reset;
    time_t                         retry_after;   /* 0: none */
    ngx_int_t                      rc;          /* a decision that waited */

    /* a decision asked of Redis, and what a refund there needs */
    void                          *pending;
    time_t                         redis_sec;
    uint32_t                       redis_month;

    /* the account guard: the call's credit */
    void                          *guard;       /* quota.c's, per call */
    ngx_int_t                      account_remaining;   /* -1: none */
    ngx_msec_t                     account_waited;
    ngx_str_t                      account_result;

    unsigned                       known:1;     /* remaining numbers set */
    unsigned                       checked:1;   /* a take or refusal ran */
    unsigned                       taken:1;     /* an action, unsettled */
    unsigned                       redis:1;     /* counted in Redis */
    unsigned                       busy:1;      /* the request waits */
    unsigned                       open:1;      /* fail=open: uncounted */
} ngx_http_freshdesk_quota_req_t;


/*
 * Per-request state of the MCP endpoint (main request only).  Each field
 * has one writer, named beside it: handler (handler.c), mcp (mcp.c), call
 * (the tools/call life), sub (the subrequest and its capture), response
 * (response.c), quota (quota.c).
 */
typedef struct {
    ngx_str_t                      tenant;          /* handler */
    ngx_str_t                      authorization;   /* call: "Basic ..." */
    ngx_str_t                      rpc_method;      /* mcp */
    ngx_str_t                      tool_name;       /* call */
    ngx_str_t                      id;              /* mcp: serialized */
    ngx_uint_t                     version;         /* handler */
    ngx_str_t                      hdr_method;      /* handler: Mcp-Method */
    ngx_str_t                      hdr_name;        /* handler: Mcp-Name */
    ngx_str_t                      hdr_version;     /* handler */

    json_t                        *arguments;       /* mcp */
    const ngx_http_freshdesk_tool_t  *tool;         /* call; mcp: 2026 */
    const ngx_http_freshdesk_tool_t  *hdr_tool;     /* mcp: Mcp-Name's */

    ngx_str_t                      resource;        /* call: "ticket 42" */

    ngx_http_freshdesk_call_t      call;            /* call, sub */
    ngx_uint_t                     page;            /* call */
    ngx_str_t                      fields;          /* call: the call's
                                                       "fields", joined */
    void                          *select;          /* call: the result's
                                                       selection, or NULL */

    ngx_int_t                      upstream_status; /* call */

    ngx_http_freshdesk_quota_req_t  quota;          /* quota */

    /* the REST request (a subrequest) and its capture: sub */
    size_t                         max;
    size_t                         size_hint;    /* upstream Content-Length */
    ngx_buf_t                     *last;         /* capture buffer */
    ngx_http_request_t            *sr;           /* the try's request */
    ngx_uint_t                     tries;
    ngx_msec_t                     started;      /* of the first try */
    ngx_msec_t                     try_started;
    ngx_msec_t                     upstream_time;  /* all tries, ms */
    ngx_event_t                   *retry;        /* the wait between tries */

    ngx_msec_t                     retry_delay;  /* call */

    ngx_uint_t                     outcome;      /* call, mcp: FD_OUTCOME_* */
    ngx_uint_t                     tool_index;   /* call: in the catalog */

    unsigned                       era2026:1;    /* handler */
    unsigned                       hdr_error:1;  /* handler */
    unsigned                       unsupported:1;  /* handler */
    unsigned                       waiting:1;    /* sub: a try or a wait */
    unsigned                       quota_pending:1;   /* call: the take */
    unsigned                       action_pending:1;  /* call: a retry's */
    unsigned                       answered:1;   /* response: ours went */
} ngx_http_freshdesk_ctx_t;


extern ngx_module_t  ngx_http_freshdesk_module;


#endif /* _NGX_HTTP_FRESHDESK_MODULE_H_INCLUDED_ */
