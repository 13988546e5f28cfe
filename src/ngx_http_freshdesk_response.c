
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Everything the MCP endpoint sends goes out here: JSON-RPC results and
 * errors, tool results (text + structuredContent, or isError), with
 * Content-Type.  Never an nginx HTML page.  The quota's headers are added
 * on the way out by the quota's header filter (quota.c), from the
 * verdict the call left in its context.
 */


#include "ngx_http_freshdesk_response.h"
#include "ngx_http_freshdesk_jsonrpc.h"
#include "ngx_http_freshdesk_json.h"


/*
 * Sends a complete response made of pieces of memory: chained as they are,
 * or copied into one buffer when the whole is small; the caller finalizes
 * the request with the return value.  No pieces: a header-only answer
 * (202, 204).
 */

#define NGX_HTTP_FRESHDESK_COPY_MAX  16384

static ngx_int_t
ngx_http_freshdesk_send_parts(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *parts, ngx_uint_t n)
{
    off_t                      len;
    ngx_int_t                  rc;
    ngx_buf_t                 *b;
    ngx_uint_t                 i;
    ngx_chain_t               *out, **ll, *cl;
    ngx_http_freshdesk_ctx_t  *ctx;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    /* the module's own answer: the quota's header filter adds its part */

    ctx = ngx_http_get_module_ctx(r, ngx_http_freshdesk_module);

    if (ctx && r == r->main) {
        ctx->answered = 1;
    }

    len = 0;

    for (i = 0; i < n; i++) {
        len += parts[i].len;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    if (len) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = NULL;

    } else {
        r->header_only = 1;
    }

    /* a JSON answer must not be cached or transformed on its way */

    r->allow_ranges = 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out = NULL;
    ll = &out;
    b = NULL;

    if (n > 1 && len <= NGX_HTTP_FRESHDESK_COPY_MAX) {

        /* small: one buffer is cheaper than a chain of pieces */

        b = ngx_create_temp_buf(r->pool, (size_t) len);
        if (b == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < n; i++) {
            b->last = ngx_cpymem(b->last, parts[i].data, parts[i].len);
        }

        n = 0;

        out = ngx_alloc_chain_link(r->pool);
        if (out == NULL) {
            return NGX_ERROR;
        }

        out->buf = b;
        out->next = NULL;
    }

    for (i = 0; i < n; i++) {
        if (parts[i].len == 0) {
            continue;
        }

        b = ngx_calloc_buf(r->pool);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        b->pos = parts[i].data;
        b->last = parts[i].data + parts[i].len;
        b->memory = 1;

        cl->buf = b;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return ngx_http_output_filter(r, out);
}


ngx_int_t
ngx_http_freshdesk_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    return ngx_http_freshdesk_send_parts(r, status, body,
                                         body && body->len ? 1 : 0);
}


ngx_int_t
ngx_http_freshdesk_send_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_int_t code, ngx_str_t *id, ngx_str_t *message)
{
    return ngx_http_freshdesk_send_error_data(r, status, code, id, message,
                                              NULL);
}


ngx_int_t
ngx_http_freshdesk_send_error_data(ngx_http_request_t *r, ngx_uint_t status,
    ngx_int_t code, ngx_str_t *id, ngx_str_t *message, ngx_str_t *data)
{
    ngx_str_t  body, noid;

    if (id == NULL) {
        ngx_str_null(&noid);
        id = &noid;
    }

    if (ngx_http_freshdesk_rpc_error_data(r->pool, id, code, message, data,
                                          &body)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_freshdesk_send(r, status, &body);
}


/* what every result of the 2026 revision carries first */

#define FD_RESULT_META                                                       \
    "\"resultType\":\"complete\",\"_meta\":{"                                \
    "\"io.modelcontextprotocol/serverInfo\":{\"name\":\""                    \
    NGX_HTTP_FRESHDESK_NAME "\",\"version\":\"" NGX_HTTP_FRESHDESK_VERSION    \
    "\"}}"


static ngx_uint_t
ngx_http_freshdesk_era2026(ngx_http_request_t *r)
{
    ngx_http_freshdesk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_freshdesk_module);

    return ctx && ctx->era2026;
}


ngx_int_t
ngx_http_freshdesk_send_result(ngx_http_request_t *r, ngx_str_t *id,
    ngx_str_t *result)
{
    u_char     *p;
    ngx_str_t   body, meta;

    if (ngx_http_freshdesk_era2026(r) && result->len >= 2) {

        /* {"resultType":"complete","_meta":{...},<the result's members>} */

        meta.len = result->len + sizeof(FD_RESULT_META) + 1;
        meta.data = ngx_pnalloc(r->pool, meta.len);
        if (meta.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(meta.data, "{" FD_RESULT_META,
                       sizeof("{" FD_RESULT_META) - 1);

        if (result->len > 2) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, result->data + 1, result->len - 1);
        meta.len = p - meta.data;
        result = &meta;
    }

    if (ngx_http_freshdesk_rpc_result(r->pool, id, result, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_freshdesk_send(r, NGX_HTTP_OK, &body);
}


/* {"content":[{"type":"text","text":"..."}],"isError":true} */

ngx_int_t
ngx_http_freshdesk_tool_error(ngx_http_request_t *r, ngx_str_t *id,
    ngx_str_t *text)
{
    u_char     *p;
    ngx_str_t   result;

    result.len = sizeof("{\"content\":[{\"type\":\"text\",\"text\":\"\"}],"
                        "\"isError\":true}") - 1
                 + ngx_http_freshdesk_json_escape_len(text->data, text->len);

    result.data = ngx_pnalloc(r->pool, result.len);
    if (result.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(result.data, "{\"content\":[{\"type\":\"text\",\"text\":\"",
                   sizeof("{\"content\":[{\"type\":\"text\",\"text\":\"") - 1);
    p = ngx_http_freshdesk_json_escape(p, text->data, text->len);
    p = ngx_cpymem(p, "\"}],\"isError\":true}",
                   sizeof("\"}],\"isError\":true}") - 1);

    result.len = p - result.data;

    return ngx_http_freshdesk_send_result(r, id, &result);
}


/* the location's freshdesk_result */

ngx_uint_t
ngx_http_freshdesk_result_mode(ngx_http_request_t *r)
{
    ngx_http_freshdesk_loc_conf_t  *flcf;

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);

    return flcf->result;
}


/*
 * The text that stands for a result whose JSON goes out only as
 * structuredContent, escaped for a JSON string: what came back, how many,
 * where the next page is.  A list: "30 tickets", "30 of 120 tickets",
 * "1 company", "0 tickets", with "; more: cursor C" when there is a next
 * page; a record: "ticket 42" (the resource the call named), or the noun
 * of the tool's name and the record's id ("ticket 43" for create_ticket);
 * a message as it is.
 */

static ngx_int_t
ngx_http_freshdesk_result_summary(ngx_pool_t *pool,
    ngx_http_freshdesk_summary_t *sm, ngx_str_t *out)
{
    u_char      *p, *last;
    size_t       len;
    ngx_str_t    noun, text;
    ngx_uint_t   y;
    const char  *t;

    /* the tool's noun: its name without the verb, "list_ticket_fields" */

    t = sm->tool ? sm->tool : "result";
    noun.data = (u_char *) ngx_strchr(t, '_');
    noun.data = noun.data ? noun.data + 1 : (u_char *) t;
    noun.len = ngx_strlen(noun.data);

    if (noun.len == 0
        || (sm->count >= 0 && noun.data[noun.len - 1] != 's'))
    {
        /* a list whose tool names no plural (freshdesk_request) */
        ngx_str_set(&noun, "items");
    }

    len = noun.len + sm->what.len + sm->id.len + sm->cursor.len
          + 2 * NGX_INT_T_LEN + sizeof(" of ; more: cursor ") + 1;

    text.data = ngx_pnalloc(pool, len);
    if (text.data == NULL) {
        return NGX_ERROR;
    }

    p = text.data;
    y = 0;

    if (sm->count < 0 && sm->what.len) {
        p = ngx_cpymem(p, sm->what.data, sm->what.len);
        goto done;
    }

    if (sm->count >= 0) {
        p = ngx_sprintf(p, "%i ", sm->count);

        if (sm->total >= 0) {
            p = ngx_sprintf(p, "of %i ", sm->total);

        } else if (sm->count == 1) {

            /* one of them: "company", "ticket" */

            if (noun.len > 3
                && ngx_strncmp(noun.data + noun.len - 3, "ies", 3) == 0)
            {
                noun.len -= 3;
                y = 1;

            } else {
                noun.len--;
            }
        }
    }

    for (last = noun.data + noun.len; noun.data < last; noun.data++) {
        *p++ = (*noun.data == '_') ? ' ' : *noun.data;
    }

    if (y) {
        *p++ = 'y';
    }

    if (sm->count < 0 && sm->id.len) {
        *p++ = ' ';
        p = ngx_cpymem(p, sm->id.data, sm->id.len);
    }

    if (sm->count >= 0 && sm->cursor.len) {
        p = ngx_cpymem(p, "; more: cursor ", sizeof("; more: cursor ") - 1);
        p = ngx_cpymem(p, sm->cursor.data, sm->cursor.len);
    }

done:

    text.len = p - text.data;

    out->len = ngx_http_freshdesk_json_escape_len(text.data, text.len);
    out->data = ngx_pnalloc(pool, out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_http_freshdesk_json_escape(out->data, text.data, text.len);

    return NGX_OK;
}


/*
 * {"jsonrpc":"2.0","id":ID,"result":{"content":[{"type":"text",
 * "text":"<S escaped>"}],"structuredContent":S}} where S is valid, compact
 * JSON given in n pieces (e.g. a wrapper around the upstream body), and
 * esc[i], where it is set, is piece i escaped already.  Nothing large is
 * copied: the pieces and their escaped forms go out as they are, chained;
 * only pieces without an escaped form (small ones) are escaped here.
 *
 * freshdesk_result picks the copies: "both" as above; "structured" puts
 * the summary's text in content[] instead of S escaped (esc[] is not
 * used); "text" sends no structuredContent (tools/list promises no
 * outputSchema, so nothing requires it).
 */

ngx_int_t
ngx_http_freshdesk_tool_result_parts(ngx_http_request_t *r, ngx_str_t *id,
    ngx_str_t *s, ngx_str_t *esc, ngx_uint_t n,
    ngx_http_freshdesk_summary_t *summary)
{
    u_char                        *p;
    ngx_str_t                      parts[2 * NGX_HTTP_FRESHDESK_RESULT_PARTS
                                         + 3];
    ngx_uint_t                     i, k, mode;
    ngx_http_freshdesk_summary_t   none;

    size_t             tlen;
    const char        *t;

    static const char  head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
    static const char  text[] = ",\"result\":{\"content\":[{\"type\":\"text\","
                                "\"text\":\"";
    static const char  text26[] = ",\"result\":{" FD_RESULT_META
                                  ",\"content\":[{\"type\":\"text\","
                                  "\"text\":\"";

    if (n > NGX_HTTP_FRESHDESK_RESULT_PARTS) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mode = ngx_http_freshdesk_result_mode(r);

    if (ngx_http_freshdesk_era2026(r)) {
        t = text26;
        tlen = sizeof(text26) - 1;

    } else {
        t = text;
        tlen = sizeof(text) - 1;
    }

    parts[0].len = sizeof(head) - 1 + id->len + tlen;
    parts[0].data = ngx_pnalloc(r->pool, parts[0].len);
    if (parts[0].data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(parts[0].data, head, sizeof(head) - 1);
    p = ngx_cpymem(p, id->data, id->len);
    ngx_memcpy(p, t, tlen);

    k = 1;

    if (mode == NGX_HTTP_FRESHDESK_RESULT_STRUCTURED) {

        /* the JSON once, as structuredContent; a short text in content */

        if (summary == NULL) {
            ngx_memzero(&none, sizeof(ngx_http_freshdesk_summary_t));
            none.count = -1;
            summary = &none;
        }

        if (ngx_http_freshdesk_result_summary(r->pool, summary, &parts[k])
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        k++;
        goto structured;
    }

    for (i = 0; i < n; i++) {
        if (esc && esc[i].data) {
            /* escaped already, after it was validated */
            parts[k++] = esc[i];
            continue;
        }

        parts[k].len = ngx_http_freshdesk_json_escape_len(s[i].data,
                                                          s[i].len);
        parts[k].data = ngx_pnalloc(r->pool, parts[k].len);
        if (parts[k].data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        (void) ngx_http_freshdesk_json_escape(parts[k].data, s[i].data,
                                              s[i].len);
        k++;
    }

    if (mode == NGX_HTTP_FRESHDESK_RESULT_TEXT) {

        /* the JSON once, as text */

        ngx_str_set(&parts[k], "\"}]}}");
        k++;

        return ngx_http_freshdesk_send_parts(r, NGX_HTTP_OK, parts, k);
    }

structured:

    ngx_str_set(&parts[k], "\"}],\"structuredContent\":");
    k++;

    for (i = 0; i < n; i++) {
        parts[k++] = s[i];
    }

    ngx_str_set(&parts[k], "}}");
    k++;

    return ngx_http_freshdesk_send_parts(r, NGX_HTTP_OK, parts, k);
}


ngx_int_t
ngx_http_freshdesk_tool_result(ngx_http_request_t *r, ngx_str_t *id,
    ngx_str_t *structured, ngx_http_freshdesk_summary_t *summary)
{
    return ngx_http_freshdesk_tool_result_parts(r, id, structured, NULL, 1,
                                                summary);
}
