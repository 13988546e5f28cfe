
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Request building: turns a tools/call whose arguments are valid
 * (ngx_http_freshdesk_args.c) into the Freshdesk v2 request, by the tool's
 * row: the method, the path with its "{name}" placeholders filled (or the
 * alternative path), the URL-encoded query string (lists comma-separated,
 * filter objects as field[op]=v, the search API's quoted query), the JSON
 * body with "a.b" members nested, and the resource the call names ("ticket
 * 42").  Also freshdesk_request's free path and method, and the text of a
 * 204 answer.
 */


#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_args.h"
#include "ngx_http_freshdesk_json.h"


#define FD_SEARCH_MAX 512


static ngx_int_t ngx_http_freshdesk_expand(ngx_http_freshdesk_build_t *b,
    const char *tmpl, ngx_str_t *out, ngx_uint_t *missing);
static ngx_int_t ngx_http_freshdesk_scalar(ngx_pool_t *pool, json_t *v,
    ngx_str_t *out);
static ngx_int_t ngx_http_freshdesk_query_add(ngx_pool_t *pool,
    ngx_array_t *q, ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_freshdesk_query_arg(ngx_http_freshdesk_build_t *b,
    ngx_array_t *q, const ngx_http_freshdesk_arg_t *a, json_t *v);
static ngx_int_t ngx_http_freshdesk_body_set(json_t *body, const char *wire,
    json_t *v);
static ngx_int_t ngx_http_freshdesk_search_query(ngx_http_freshdesk_build_t *b,
    ngx_str_t *out);
static ngx_int_t ngx_http_freshdesk_request_tool(ngx_http_freshdesk_build_t *b,
    ngx_uint_t allow_writes, ngx_http_freshdesk_request_t *req,
    ngx_array_t *q);
static ngx_int_t ngx_http_freshdesk_join_query(ngx_pool_t *pool,
    ngx_array_t *q, ngx_str_t *out);


/* a scalar JSON value as text: strings raw, numbers and booleans printed */

static ngx_int_t
ngx_http_freshdesk_scalar(ngx_pool_t *pool, json_t *v, ngx_str_t *out)
{
    if (json_is_string(v)) {
        out->data = (u_char *) json_string_value(v);
        out->len = json_string_length(v);
        return NGX_OK;
    }

    if (json_is_true(v)) {
        ngx_str_set(out, "true");
        return NGX_OK;
    }

    if (json_is_false(v)) {
        ngx_str_set(out, "false");
        return NGX_OK;
    }

    if (json_is_integer(v)) {
        /* the common case, without jansson's dump machinery */
        out->data = ngx_pnalloc(pool, NGX_INT64_LEN);
        if (out->data == NULL) {
            return NGX_ERROR;
        }

        out->len = ngx_sprintf(out->data, "%L",
                               (int64_t) json_integer_value(v))
                   - out->data;
        return NGX_OK;
    }

    if (json_is_number(v)) {
        return ngx_http_freshdesk_json_dump(pool, v, 0, out);
    }

    return NGX_ERROR;
}


/* fills "{name}" placeholders; *missing counts absent arguments */

static ngx_int_t
ngx_http_freshdesk_expand(ngx_http_freshdesk_build_t *b, const char *tmpl,
    ngx_str_t *out, ngx_uint_t *missing)
{
    u_char      *p;
    size_t       len, i;
    json_t      *v, *e;
    ngx_str_t    val;
    const char  *s, *q;

    *missing = 0;

    /* first pass: length */

    len = 0;

    for (s = tmpl; *s; s++) {
        if (*s != '{' || (q = ngx_strchr(s, '}')) == NULL) {
            len++;
            continue;
        }

        v = json_object_getn(b->arguments, s + 1, q - s - 1);

        if (v == NULL) {
            (*missing)++;

        } else if (json_is_array(v)) {
            len += json_array_size(v) * (NGX_INT64_LEN + 2);

        } else if (ngx_http_freshdesk_scalar(b->pool, v, &val) == NGX_OK) {
            len += val.len;
        }

        s = q;
    }

    p = ngx_pnalloc(b->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (s = tmpl; *s; s++) {
        if (*s != '{' || (q = ngx_strchr(s, '}')) == NULL) {
            *p++ = *s;
            continue;
        }

        v = json_object_getn(b->arguments, s + 1, q - s - 1);

        if (v && json_is_array(v)) {
            json_array_foreach(v, i, e) {
                if (i) {
                    *p++ = ',';
                    *p++ = ' ';
                }

                if (json_is_integer(e)) {
                    p = ngx_sprintf(p, "%L", (int64_t) json_integer_value(e));
                }
            }

        } else if (v && ngx_http_freshdesk_scalar(b->pool, v, &val) == NGX_OK)
        {
            p = ngx_cpymem(p, val.data, val.len);
        }

        s = q;
    }

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_escape_query(ngx_pool_t *pool, ngx_str_t *dst, u_char *src,
    size_t len)
{
    u_char         *p;
    size_t          i, n;
    static u_char   hex[] = "0123456789ABCDEF";

    /* RFC 3986 unreserved characters stay, everything else is %XX */

    n = 0;

    for (i = 0; i < len; i++) {
        if (!((src[i] >= 'a' && src[i] <= 'z')
              || (src[i] >= 'A' && src[i] <= 'Z')
              || (src[i] >= '0' && src[i] <= '9')
              || src[i] == '-' || src[i] == '.' || src[i] == '_'
              || src[i] == '~'))
        {
            n++;
        }
    }

    p = ngx_pnalloc(pool, len + 2 * n);
    if (p == NULL) {
        return NGX_ERROR;
    }

    dst->data = p;

    for (i = 0; i < len; i++) {
        if ((src[i] >= 'a' && src[i] <= 'z')
            || (src[i] >= 'A' && src[i] <= 'Z')
            || (src[i] >= '0' && src[i] <= '9')
            || src[i] == '-' || src[i] == '.' || src[i] == '_'
            || src[i] == '~')
        {
            *p++ = src[i];

        } else {
            *p++ = '%';
            *p++ = hex[src[i] >> 4];
            *p++ = hex[src[i] & 0xf];
        }
    }

    dst->len = p - dst->data;

    return NGX_OK;
}


/* q is an array of ngx_str_t "name=value" pairs, already escaped */

static ngx_int_t
ngx_http_freshdesk_query_add(ngx_pool_t *pool, ngx_array_t *q,
    ngx_str_t *name, ngx_str_t *value)
{
    u_char     *p;
    ngx_str_t  *pair, n, v;

    if (ngx_http_freshdesk_escape_query(pool, &n, name->data, name->len)
        != NGX_OK
        || ngx_http_freshdesk_escape_query(pool, &v, value->data, value->len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    pair = ngx_array_push(q);
    if (pair == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, n.len + 1 + v.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    pair->data = p;
    p = ngx_cpymem(p, n.data, n.len);
    *p++ = '=';
    p = ngx_cpymem(p, v.data, v.len);
    pair->len = p - pair->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_query_arg(ngx_http_freshdesk_build_t *b, ngx_array_t *q,
    const ngx_http_freshdesk_arg_t *a, json_t *v)
{
    u_char      *p;
    size_t       i, len;
    json_t      *e, *op;
    ngx_str_t    name, val, part;
    const char  *key, *okey;

    name.data = (u_char *) (a->wire ? a->wire : a->name);
    name.len = ngx_strlen(name.data);

    if (json_is_array(v)) {

        /* Freshdesk takes lists as one comma-separated value */

        len = 0;

        json_array_foreach(v, i, e) {
            if (ngx_http_freshdesk_scalar(b->pool, e, &part) != NGX_OK) {
                return NGX_ERROR;
            }

            len += part.len + 1;
        }

        p = ngx_pnalloc(b->pool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        val.data = p;

        json_array_foreach(v, i, e) {
            if (ngx_http_freshdesk_scalar(b->pool, e, &part) != NGX_OK) {
                return NGX_ERROR;
            }

            if (i) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, part.data, part.len);
        }

        val.len = p - val.data;

        return ngx_http_freshdesk_query_add(b->pool, q, &name, &val);
    }

    if (!json_is_object(v)) {
        if (ngx_http_freshdesk_scalar(b->pool, v, &val) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_freshdesk_query_add(b->pool, q, &name, &val);
    }

    /* FD_STR_MAP and FD_FILTERS: one parameter per member */

    json_object_foreach(v, key, e) {

        if (!json_is_object(e)) {
            name.data = (u_char *) key;
            name.len = ngx_strlen(key);

            if (ngx_http_freshdesk_scalar(b->pool, e, &val) != NGX_OK
                || ngx_http_freshdesk_query_add(b->pool, q, &name, &val)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            continue;
        }

        json_object_foreach(e, okey, op) {
            len = ngx_strlen(key) + ngx_strlen(okey) + 2;

            name.data = ngx_pnalloc(b->pool, len);
            if (name.data == NULL) {
                return NGX_ERROR;
            }

            name.len = ngx_sprintf(name.data, "%s[%s]", key, okey)
                       - name.data;

            if (ngx_http_freshdesk_scalar(b->pool, op, &val) != NGX_OK
                || ngx_http_freshdesk_query_add(b->pool, q, &name, &val)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* sets a body member; "a.b.c" nests objects */

static ngx_int_t
ngx_http_freshdesk_body_set(json_t *body, const char *wire, json_t *v)
{
    json_t      *o, *next;
    const char  *dot;

    o = body;

    while ((dot = ngx_strchr(wire, '.')) != NULL) {
        next = json_object_getn(o, wire, dot - wire);

        if (next == NULL) {
            next = json_object();
            if (next == NULL
                || json_object_setn_new(o, wire, dot - wire, next) != 0)
            {
                return NGX_ERROR;
            }
        }

        o = next;
        wire = dot + 1;
    }

    return json_object_set(o, wire, v) == 0 ? NGX_OK : NGX_ERROR;
}


/*
 * The search API wants the whole query in double quotes, string values in
 * single quotes: query="status:2 AND tag:'vip'", then URL-encoded.
 */

static ngx_int_t
ngx_http_freshdesk_search_query(ngx_http_freshdesk_build_t *b,
    ngx_str_t *out)
{
    u_char                          *p, *last;
    size_t                           i, n, len;
    json_t                          *v, *e;
    ngx_str_t                        raw, val;
    ngx_uint_t                       structured;
    const char                      *field, *op;
    const ngx_http_freshdesk_arg_t  *a;
    u_char                           buf[FD_SEARCH_MAX * 2];

    ngx_str_null(&raw);
    structured = 0;

    for (a = b->tool->args; a->name; a++) {
        v = json_object_get(b->arguments, a->name);
        if (v == NULL) {
            continue;
        }

        if (a->flags & FD_IN_RAWQ) {
            raw.data = (u_char *) json_string_value(v);
            raw.len = json_string_length(v);

        } else if (a->flags & FD_IN_SEARCH) {
            structured++;
        }
    }

    if (raw.data && structured) {
        ngx_str_set(b->error, "Invalid arguments: give either query or the "
                              "structured filters, not both.");
        return NGX_DECLINED;
    }

    p = buf;
    last = buf + sizeof(buf);

    *p++ = '"';

    if (raw.data) {
        for (i = 0; i < raw.len; i++) {
            if (raw.data[i] == '"' || raw.data[i] == '\\') {
                ngx_str_set(b->error, "Invalid arguments: query must not "
                                      "contain double quotes or "
                                      "backslashes; the gateway adds the "
                                      "outer double quotes, use single "
                                      "quotes around string values.");
                return NGX_DECLINED;
            }
        }

        if (raw.len > FD_SEARCH_MAX - 2) {
            goto too_long;
        }

        p = ngx_cpymem(p, raw.data, raw.len);
    }

    for (a = b->tool->args; structured && a->name; a++) {
        v = json_object_get(b->arguments, a->name);
        if (v == NULL || !(a->flags & FD_IN_SEARCH)) {
            continue;
        }

        field = a->wire ? a->wire : a->name;
        len = ngx_strlen(field);
        op = "";

        if (len > 2 && field[len - 2] == ':'
            && (field[len - 1] == '>' || field[len - 1] == '<'))
        {
            op = field[len - 1] == '>' ? ">" : "<";
            len -= 2;
        }

        if (p - buf > 1) {
            if (last - p < 5) {
                goto too_long;
            }

            p = ngx_cpymem(p, " AND ", 5);
        }

        if (json_is_array(v)) {
            n = json_array_size(v);

            if (n > 1 && p < last) {
                *p++ = '(';
            }

            json_array_foreach(v, i, e) {
                if (last - p < (ssize_t) (len + NGX_INT64_LEN + 8)) {
                    goto too_long;
                }

                if (i) {
                    p = ngx_cpymem(p, " OR ", 4);
                }

                p = ngx_cpymem(p, field, len);
                p = ngx_sprintf(p, ":%L", (int64_t) json_integer_value(e));
            }

            if (n > 1 && p < last) {
                *p++ = ')';
            }

            continue;
        }

        if (json_is_string(v)) {
            val.data = (u_char *) json_string_value(v);
            val.len = json_string_length(v);

            if (a->kind == FD_DATETIME) {
                val.len = 10;    /* search compares dates only */
            }

            for (i = 0; i < val.len; i++) {
                if (val.data[i] == '\'' || val.data[i] == '"'
                    || val.data[i] == '\\' || val.data[i] < 0x20)
                {
                    return ngx_http_freshdesk_fail(b, a->name,
                                                   "a value without quotes, "
                                                   "backslashes or control "
                                                   "characters", v);
                }
            }

            if (last - p < (ssize_t) (len + val.len + 6)) {
                goto too_long;
            }

            p = ngx_cpymem(p, field, len);
            p = ngx_sprintf(p, ":%s'%V'", op, &val);
            continue;
        }

        if (json_is_integer(v)) {
            if (last - p < (ssize_t) (len + NGX_INT64_LEN + 4)) {
                goto too_long;
            }

            p = ngx_cpymem(p, field, len);
            p = ngx_sprintf(p, ":%s%L", op, (int64_t) json_integer_value(v));
        }
    }

    if (last - p < 1) {
        goto too_long;
    }

    *p++ = '"';

    if (p - buf > FD_SEARCH_MAX) {
        goto too_long;
    }

    return ngx_http_freshdesk_escape_query(b->pool, out, buf, p - buf);

too_long:

    ngx_str_set(b->error, "Invalid arguments: the search query is longer "
                          "than Freshdesk's limit of 512 characters.");
    return NGX_DECLINED;
}


/*
 * Validates arguments and builds the upstream request.  NGX_DECLINED with
 * req->error set: the arguments are wrong, nothing may be sent.
 */

ngx_int_t
ngx_http_freshdesk_tool_build(ngx_pool_t *pool,
    const ngx_http_freshdesk_tool_t *t, json_t *arguments,
    ngx_uint_t allow_writes, ngx_http_freshdesk_request_t *req)
{
    u_char                          *p;
    json_t                          *v, *body;
    ngx_int_t                        rc;
    ngx_str_t                        search, name, *last;
    ngx_uint_t                       missing;
    ngx_array_t                      q;
    const char                      *path, *s, *e;
    ngx_http_freshdesk_build_t       b;
    const ngx_http_freshdesk_arg_t  *a;

    ngx_memzero(req, sizeof(ngx_http_freshdesk_request_t));

    b.pool = pool;
    b.tool = t;
    b.arguments = arguments;
    b.error = &req->error;

    rc = ngx_http_freshdesk_tool_validate(&b);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_array_init(&q, pool, 8, sizeof(ngx_str_t)) != NGX_OK) {
        return NGX_ERROR;
    }

    if (t->special == FD_SPECIAL_REQUEST) {
        rc = ngx_http_freshdesk_request_tool(&b, allow_writes, req, &q);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_freshdesk_join_query(pool, &q, &req->args);
    }

    /* path: the primary template, or the alternative one */

    req->method = t->method;
    path = t->path;

    if (ngx_http_freshdesk_expand(&b, path, &req->path, &missing) != NGX_OK) {
        return NGX_ERROR;
    }

    if (missing) {
        if (t->alt_path == NULL) {
            ngx_str_set(&req->error, "Invalid arguments: a path argument "
                                     "is missing.");
            return NGX_DECLINED;
        }

        path = t->alt_path;
        req->method = t->alt_method ? t->alt_method : t->method;

        if (ngx_http_freshdesk_expand(&b, path, &req->path, &missing)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (missing) {
            ngx_str_set(&req->error, "Invalid arguments: a path argument "
                                     "is missing.");
            return NGX_DECLINED;
        }
    }

    /* "ticket 42": the last path argument names the resource */

    ngx_str_null(&req->resource);

    for (s = path; (s = ngx_strchr(s, '{')) != NULL; s = e) {
        e = ngx_strchr(s, '}');

        v = json_object_getn(arguments, s + 1, e - s - 1);
        if (v == NULL) {
            continue;
        }

        name.data = (u_char *) s + 1;
        name.len = e - s - 1;

        if (name.len > 3
            && ngx_strncmp(name.data + name.len - 3, "_id", 3) == 0)
        {
            name.len -= 3;
        }

        if (ngx_http_freshdesk_scalar(pool, v, &search) != NGX_OK) {
            continue;
        }

        p = ngx_pnalloc(pool, name.len + 1 + search.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        req->resource.data = p;
        p = ngx_cpymem(p, name.data, name.len);
        *p++ = ' ';
        p = ngx_cpymem(p, search.data, search.len);
        req->resource.len = p - req->resource.data;

        for (p = req->resource.data; p < req->resource.data + name.len; p++) {
            if (*p == '_') {
                *p = ' ';
            }
        }
    }

    /* query and body */

    body = NULL;

    if (req->method == NGX_HTTP_POST || req->method == NGX_HTTP_PUT) {
        body = json_object();
        if (body == NULL || ngx_http_freshdesk_json_own(pool, body) != NGX_OK)
        {
            json_decref(body);
            return NGX_ERROR;
        }
    }

    for (a = t->args; a->name; a++) {
        v = json_object_get(arguments, a->name);
        if (v == NULL) {
            continue;
        }

        if (a->flags & FD_IN_QUERY) {
            if (ngx_http_freshdesk_query_arg(&b, &q, a, v) != NGX_OK) {
                return NGX_ERROR;
            }

        } else if ((a->flags & FD_IN_BODY) && body) {
            if (ngx_http_freshdesk_body_set(body,
                                            a->wire ? a->wire : a->name, v)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (t->paging == FD_PAGE_SEARCH) {
        rc = ngx_http_freshdesk_search_query(&b, &search);
        if (rc != NGX_OK) {
            return rc;
        }

        last = ngx_array_push(&q);
        if (last == NULL) {
            return NGX_ERROR;
        }

        last->len = sizeof("query=") - 1 + search.len;
        last->data = ngx_pnalloc(pool, last->len);
        if (last->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(ngx_cpymem(last->data, "query=", 6), search.data,
                   search.len);
    }

    if (t->paging == FD_PAGE_LINK) {
        v = json_object_get(arguments, "per_page");

        if (v) {
            if (ngx_http_freshdesk_query_arg(&b, &q,
                                             &ngx_http_freshdesk_per_page_arg,
                                             v)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (body && json_object_size(body)) {
        if (ngx_http_freshdesk_json_dump(pool, body, 0, &req->body)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        req->has_body = 1;

    } else if (body) {
        /* a PUT or POST without fields still says it has no body */
        req->has_body = 1;
        ngx_str_null(&req->body);
    }

    return ngx_http_freshdesk_join_query(pool, &q, &req->args);
}


static ngx_int_t
ngx_http_freshdesk_request_tool(ngx_http_freshdesk_build_t *b,
    ngx_uint_t allow_writes, ngx_http_freshdesk_request_t *req,
    ngx_array_t *q)
{
    json_t                          *v;
    ngx_str_t                        path;
    const char                      *m;
    const ngx_http_freshdesk_arg_t  *a;

    v = json_object_get(b->arguments, "path");
    path.data = (u_char *) json_string_value(v);
    path.len = json_string_length(v);

    /* "/api/v2/tickets" and "/tickets" mean the same */

    if (path.len > 8 && ngx_strncmp(path.data, "/api/v2/", 8) == 0) {
        path.data += 7;
        path.len -= 7;
    }

    req->path = path;
    ngx_str_set(&req->resource, "the requested resource");

    v = json_object_get(b->arguments, "method");
    m = v ? json_string_value(v) : "GET";

    if (ngx_strcmp(m, "GET") == 0) {
        req->method = NGX_HTTP_GET;

    } else if (!allow_writes) {
        ngx_str_set(&req->error, "freshdesk_request may only use GET here: "
                                 "the operator has not enabled writes "
                                 "(freshdesk_request_writes).");
        return NGX_DECLINED;

    } else if (ngx_strcmp(m, "POST") == 0) {
        req->method = NGX_HTTP_POST;

    } else if (ngx_strcmp(m, "PUT") == 0) {
        req->method = NGX_HTTP_PUT;

    } else {
        req->method = NGX_HTTP_DELETE;
    }

    v = json_object_get(b->arguments, "query");

    if (v) {
        for (a = b->tool->args; a->name; a++) {
            if (a->kind == FD_STR_MAP) {
                break;
            }
        }

        if (ngx_http_freshdesk_query_arg(b, q, a, v) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    v = json_object_get(b->arguments, "body");

    if (v && (req->method == NGX_HTTP_GET || req->method == NGX_HTTP_DELETE)) {
        ngx_str_set(&req->error, "Invalid arguments: body is only allowed "
                                 "with POST or PUT.");
        return NGX_DECLINED;
    }

    if (req->method == NGX_HTTP_POST || req->method == NGX_HTTP_PUT) {
        req->has_body = 1;

        if (v && ngx_http_freshdesk_json_dump(b->pool, v, 0, &req->body)
                 != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_freshdesk_join_query(ngx_pool_t *pool, ngx_array_t *q,
    ngx_str_t *out)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *pair;
    ngx_uint_t   i;

    ngx_str_null(out);

    if (q->nelts == 0) {
        return NGX_OK;
    }

    pair = q->elts;
    len = 0;

    for (i = 0; i < q->nelts; i++) {
        len += pair[i].len + 1;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < q->nelts; i++) {
        if (i) {
            *p++ = '&';
        }

        p = ngx_cpymem(p, pair[i].data, pair[i].len);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* the message of a 204 answer: the row's "done" text, filled in */

ngx_int_t
ngx_http_freshdesk_tool_done(ngx_pool_t *pool,
    const ngx_http_freshdesk_tool_t *t, json_t *arguments, ngx_str_t *msg)
{
    ngx_uint_t                  missing;
    ngx_http_freshdesk_build_t  b;

    if (t->done == NULL) {
        ngx_str_set(msg, "done");
        return NGX_OK;
    }

    b.pool = pool;
    b.tool = t;
    b.arguments = arguments;
    b.error = NULL;

    return ngx_http_freshdesk_expand(&b, t->done, msg, &missing);
}
