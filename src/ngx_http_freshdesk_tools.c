
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The generic tool engine: catalog checks at configuration time, JSON
 * Schema for tools/list, argument validation and the translation of a
 * validated tools/call into an upstream method, path, query and body.
 * Nothing here knows a particular tool; the rows do.
 */


#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_json.h"


#define FD_MAX_TOOLS  256
#define FD_SEARCH_MAX 512


typedef struct {
    ngx_pool_t                        *pool;
    const ngx_http_freshdesk_tool_t   *tool;
    json_t                            *arguments;
    ngx_str_t                         *error;
} ngx_http_freshdesk_build_t;


static ngx_int_t ngx_http_freshdesk_tool_check(ngx_conf_t *cf,
    const ngx_http_freshdesk_tool_t *t);
static const ngx_http_freshdesk_arg_t *ngx_http_freshdesk_arg_find(
    const ngx_http_freshdesk_tool_t *t, const char *name, size_t len);
static json_t *ngx_http_freshdesk_arg_schema(const ngx_http_freshdesk_arg_t *a);
static json_t *ngx_http_freshdesk_values_json(const char *values,
    ngx_uint_t ints);
static ngx_int_t ngx_http_freshdesk_arg_validate(ngx_http_freshdesk_build_t *b,
    const ngx_http_freshdesk_arg_t *a, json_t *v);
static ngx_int_t ngx_http_freshdesk_fail(ngx_http_freshdesk_build_t *b,
    const char *name, const char *expect, json_t *v);
static ngx_uint_t ngx_http_freshdesk_in_values(const char *values, u_char *s,
    size_t len);
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


static const ngx_http_freshdesk_tool_t  *ngx_http_freshdesk_groups[] = {
    ngx_http_freshdesk_tools_tickets,
    ngx_http_freshdesk_tools_people,
    ngx_http_freshdesk_tools_admin,
    ngx_http_freshdesk_tools_kb,
    NULL
};


static const ngx_http_freshdesk_tool_t
    *ngx_http_freshdesk_catalog[FD_MAX_TOOLS];
static size_t      ngx_http_freshdesk_name_len[FD_MAX_TOOLS];
static ngx_uint_t  ngx_http_freshdesk_ntools;


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_cursor_arg = {
    "cursor", FD_STR, FD_IN_NONE, 1, 2048, NULL, NULL,
    "Opaque nextCursor from the previous page of this same call; omit for "
    "the first page"
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_per_page_arg = {
    "per_page", FD_INT, FD_IN_NONE, 1, 100, NULL, NULL,
    "Items per page, 1 to 100 (Freshdesk default 30)"
};


ngx_int_t
ngx_http_freshdesk_tools_init(ngx_conf_t *cf)
{
    ngx_uint_t                        g, n;
    const ngx_http_freshdesk_tool_t  *t;

    /* a reload checks the catalog again from scratch */
    ngx_http_freshdesk_ntools = 0;
    n = 0;

    for (g = 0; ngx_http_freshdesk_groups[g]; g++) {
        for (t = ngx_http_freshdesk_groups[g]; t->name; t++) {

            if (n == FD_MAX_TOOLS) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "freshdesk: more than %d tools",
                                   FD_MAX_TOOLS);
                return NGX_ERROR;
            }

            if (ngx_http_freshdesk_tool_check(cf, t) != NGX_OK) {
                return NGX_ERROR;
            }

            ngx_http_freshdesk_name_len[n] = ngx_strlen(t->name);
            ngx_http_freshdesk_catalog[n++] = t;
            ngx_http_freshdesk_ntools = n;
        }
    }

    ngx_http_freshdesk_ntools = n;

    return NGX_OK;
}


/* a broken catalog row fails "nginx -t", not a request */

static ngx_int_t
ngx_http_freshdesk_tool_check(ngx_conf_t *cf,
    const ngx_http_freshdesk_tool_t *t)
{
    const char                      *p, *q, *paths[2];
    ngx_uint_t                       i, k;
    const ngx_http_freshdesk_arg_t  *a;

    for (i = 0; i < ngx_http_freshdesk_ntools; i++) {
        if (ngx_strcmp(ngx_http_freshdesk_catalog[i]->name, t->name) == 0) {
            goto invalid;
        }
    }

    if (t->title == NULL || t->description == NULL || t->args == NULL) {
        goto invalid;
    }

    if (t->special == FD_SPECIAL_NONE && t->path == NULL) {
        goto invalid;
    }

    paths[0] = t->path;
    paths[1] = t->alt_path;

    for (k = 0; k < 2; k++) {
        if (paths[k] == NULL) {
            continue;
        }

        for (p = paths[k]; *p; p++) {
            if (*p != '{') {
                continue;
            }

            q = ngx_strchr(p, '}');
            if (q == NULL) {
                goto invalid;
            }

            a = ngx_http_freshdesk_arg_find(t, p + 1, q - p - 1);
            if (a == NULL || !(a->flags & FD_IN_PATH)) {
                goto invalid;
            }

            p = q;
        }
    }

    for (a = t->args; a->name; a++) {
        if (a->description == NULL || a->kind == 0 || a->kind > FD_PATH) {
            goto invalid;
        }

        if ((a->kind == FD_ENUM || a->kind == FD_INT_ENUM
             || a->kind == FD_ENUMS || a->kind == FD_INTS)
            && a->values == NULL)
        {
            goto invalid;
        }
    }

    return NGX_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "freshdesk: invalid catalog row \"%s\"", t->name);
    return NGX_ERROR;
}


ngx_uint_t
ngx_http_freshdesk_tools_count(void)
{
    return ngx_http_freshdesk_ntools;
}


const ngx_http_freshdesk_tool_t *
ngx_http_freshdesk_tool_at(ngx_uint_t i)
{
    return i < ngx_http_freshdesk_ntools ? ngx_http_freshdesk_catalog[i]
                                         : NULL;
}


const ngx_http_freshdesk_tool_t *
ngx_http_freshdesk_tool_find(u_char *name, size_t len)
{
    ngx_uint_t  i;

    return ngx_http_freshdesk_tool_find_index(name, len, &i);
}


/* the tool, and its place in the catalog (as ngx_http_freshdesk_tool_at) */

const ngx_http_freshdesk_tool_t *
ngx_http_freshdesk_tool_find_index(u_char *name, size_t len,
    ngx_uint_t *index)
{
    ngx_uint_t                        i;
    const ngx_http_freshdesk_tool_t  *t;

    for (i = 0; i < ngx_http_freshdesk_ntools; i++) {
        t = ngx_http_freshdesk_catalog[i];

        if (ngx_http_freshdesk_name_len[i] == len
            && ngx_strncmp(t->name, name, len) == 0)
        {
            *index = i;
            return t;
        }
    }

    return NULL;
}


static const ngx_http_freshdesk_arg_t *
ngx_http_freshdesk_arg_find(const ngx_http_freshdesk_tool_t *t,
    const char *name, size_t len)
{
    const ngx_http_freshdesk_arg_t  *a;

    for (a = t->args; a->name; a++) {
        if (ngx_strlen(a->name) == len
            && ngx_strncmp(a->name, name, len) == 0)
        {
            return a;
        }
    }

    if (t->paging != FD_PAGE_NONE
        && len == 6 && ngx_strncmp(name, "cursor", 6) == 0)
    {
        return &ngx_http_freshdesk_cursor_arg;
    }

    if (t->paging == FD_PAGE_LINK
        && len == 8 && ngx_strncmp(name, "per_page", 8) == 0)
    {
        return &ngx_http_freshdesk_per_page_arg;
    }

    return NULL;
}


/* JSON Schema (2020-12 dialect, no $schema member) */

json_t *
ngx_http_freshdesk_tool_schema(const ngx_http_freshdesk_tool_t *t)
{
    json_t                          *schema, *props, *req, *s;
    const ngx_http_freshdesk_arg_t  *a;

    schema = json_object();
    props = json_object();
    req = json_array();

    if (schema == NULL || props == NULL || req == NULL) {
        goto failed;
    }

    for (a = t->args; a->name; a++) {
        s = ngx_http_freshdesk_arg_schema(a);
        if (s == NULL || json_object_set_new(props, a->name, s) != 0) {
            goto failed;
        }

        if ((a->flags & FD_REQUIRED)
            && json_array_append_new(req, json_string(a->name)) != 0)
        {
            goto failed;
        }
    }

    if (t->paging == FD_PAGE_LINK) {
        s = ngx_http_freshdesk_arg_schema(&ngx_http_freshdesk_per_page_arg);
        if (s == NULL || json_object_set_new(props, "per_page", s) != 0) {
            goto failed;
        }
    }

    if (t->paging != FD_PAGE_NONE) {
        s = ngx_http_freshdesk_arg_schema(&ngx_http_freshdesk_cursor_arg);
        if (s == NULL || json_object_set_new(props, "cursor", s) != 0) {
            goto failed;
        }
    }

    if (json_object_set_new(schema, "type", json_string("object")) != 0
        || json_object_set_new(schema, "properties", props) != 0)
    {
        props = NULL;
        goto failed;
    }

    props = NULL;

    if (json_array_size(req)) {
        if (json_object_set_new(schema, "required", req) != 0) {
            req = NULL;
            goto failed;
        }

    } else {
        json_decref(req);
    }

    req = NULL;

    if (json_object_set_new(schema, "additionalProperties", json_false())
        != 0)
    {
        goto failed;
    }

    return schema;

failed:

    json_decref(schema);
    json_decref(props);
    json_decref(req);

    return NULL;
}


static json_t *
ngx_http_freshdesk_arg_schema(const ngx_http_freshdesk_arg_t *a)
{
    json_t  *s, *items;

    s = json_object();
    if (s == NULL) {
        return NULL;
    }

    items = NULL;

    switch (a->kind) {

    case FD_ID:
        json_object_set_new(s, "type", json_string("integer"));
        json_object_set_new(s, "minimum", json_integer(1));
        break;

    case FD_INT:
        json_object_set_new(s, "type", json_string("integer"));
        json_object_set_new(s, "minimum", json_integer(a->min));
        json_object_set_new(s, "maximum", json_integer(a->max));
        break;

    case FD_BOOL:
        json_object_set_new(s, "type", json_string("boolean"));
        break;

    case FD_STR:
    case FD_PATH:
        json_object_set_new(s, "type", json_string("string"));
        if (a->min) {
            json_object_set_new(s, "minLength", json_integer(a->min));
        }
        if (a->max) {
            json_object_set_new(s, "maxLength", json_integer(a->max));
        }
        break;

    case FD_ENUM:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "enum",
                            ngx_http_freshdesk_values_json(a->values, 0));
        break;

    case FD_INT_ENUM:
        json_object_set_new(s, "type", json_string("integer"));
        json_object_set_new(s, "enum",
                            ngx_http_freshdesk_values_json(a->values, 1));
        break;

    case FD_DATETIME:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "pattern",
                            json_string("^[0-9]{4}-[0-9]{2}-[0-9]{2}"
                                        "(T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                        "(\\.[0-9]+)?(Z|[+-][0-9]{2}:"
                                        "[0-9]{2}))?$"));
        break;

    case FD_EMAIL:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "format", json_string("email"));
        json_object_set_new(s, "maxLength", json_integer(254));
        break;

    case FD_KEY:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "pattern", json_string("^[A-Za-z0-9_-]{1,64}$"));
        break;

    case FD_DURATION:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "pattern",
                            json_string("^[0-9]{1,3}:[0-5][0-9]$"));
        break;

    case FD_ID_OR_ME:
        items = json_pack("[{s:s,s:i},{s:s,s:[s]}]",
                          "type", "integer", "minimum", 1,
                          "type", "string", "enum", "me");
        json_object_set_new(s, "oneOf", items);
        items = NULL;
        break;

    case FD_IDS:
        items = json_pack("{s:s,s:i}", "type", "integer", "minimum", 1);
        break;

    case FD_STRS:
        items = json_pack("{s:s}", "type", "string");
        break;

    case FD_EMAILS:
        items = json_pack("{s:s,s:s}", "type", "string", "format", "email");
        break;

    case FD_ENUMS:
        items = json_pack("{s:s,s:o}", "type", "string", "enum",
                          ngx_http_freshdesk_values_json(a->values, 0));
        break;

    case FD_INTS:
        items = json_pack("{s:s,s:o}", "type", "integer", "enum",
                          ngx_http_freshdesk_values_json(a->values, 1));
        break;

    case FD_FILTERS:
    case FD_STR_MAP:
    case FD_OBJECT:
    default:
        json_object_set_new(s, "type", json_string("object"));
        break;
    }

    if (items) {
        json_object_set_new(s, "type", json_string("array"));
        json_object_set_new(s, "items", items);

        if (a->min) {
            json_object_set_new(s, "minItems", json_integer(a->min));
        }

        if (a->max) {
            json_object_set_new(s, "maxItems", json_integer(a->max));
        }

        if (a->kind == FD_ENUMS || a->kind == FD_INTS) {
            json_object_set_new(s, "uniqueItems", json_true());
        }
    }

    json_object_set_new(s, "description", json_string(a->description));

    return s;
}


static json_t *
ngx_http_freshdesk_values_json(const char *values, ngx_uint_t ints)
{
    json_t      *arr, *v;
    const char  *p, *q;

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }

    for (p = values; *p; p = *q ? q + 1 : q) {
        q = p;
        while (*q && *q != '|') {
            q++;
        }

        if (ints) {
            v = json_integer(ngx_atoi((u_char *) p, q - p));

        } else {
            v = json_stringn(p, q - p);
        }

        json_array_append_new(arr, v);
    }

    return arr;
}


json_t *
ngx_http_freshdesk_tool_json(const ngx_http_freshdesk_tool_t *t)
{
    json_t      *tool, *schema, *ann;
    ngx_uint_t   ro, destructive, idempotent;

    /* (readOnly, destructive, idempotent) for R A S U D X */
    static const u_char  hints[][3] = {
        { 1, 0, 1 }, { 0, 0, 0 }, { 0, 0, 1 },
        { 0, 1, 1 }, { 0, 1, 1 }, { 0, 1, 0 }
    };

    schema = ngx_http_freshdesk_tool_schema(t);
    if (schema == NULL) {
        return NULL;
    }

    ro = hints[t->hints][0];
    destructive = hints[t->hints][1];
    idempotent = hints[t->hints][2];

    if (t->special == FD_SPECIAL_REQUEST) {
        ann = json_pack("{s:s,s:b,s:b}",
                        "title", t->title,
                        "readOnlyHint", 0,
                        "openWorldHint", 1);

    } else {
        ann = json_pack("{s:s,s:b,s:b,s:b,s:b}",
                        "title", t->title,
                        "readOnlyHint", (int) ro,
                        "destructiveHint", (int) destructive,
                        "idempotentHint", (int) idempotent,
                        "openWorldHint", 1);
    }

    tool = json_pack("{s:s,s:s,s:s,s:o,s:o}",
                     "name", t->name,
                     "title", t->title,
                     "description", t->description,
                     "inputSchema", schema,
                     "annotations", ann);

    return tool;
}


static ngx_int_t
ngx_http_freshdesk_fail(ngx_http_freshdesk_build_t *b, const char *name,
    const char *expect, json_t *v)
{
    u_char      *p;
    size_t       len;
    ngx_str_t    got;
    ngx_uint_t   cut;

    got.len = 0;
    cut = 0;

    if (v) {
        if (ngx_http_freshdesk_json_dump(b->pool, v, 0, &got) != NGX_OK) {
            got.len = 0;
        }

        if (got.len > 64) {
            got.len = ngx_http_freshdesk_utf8_cut(got.data, got.len, 64);
            cut = 1;
        }
    }

    len = sizeof("Invalid arguments:  must be , got ...") - 1
          + ngx_strlen(name) + ngx_strlen(expect) + got.len + 8;

    p = ngx_pnalloc(b->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    b->error->data = p;

    if (v) {
        p = ngx_sprintf(p, "Invalid arguments: %s must be %s, got %V%s.",
                        name, expect, &got, cut ? "..." : "");

    } else {
        p = ngx_sprintf(p, "Invalid arguments: %s %s.", name, expect);
    }

    b->error->len = p - b->error->data;

    return NGX_DECLINED;
}


static ngx_uint_t
ngx_http_freshdesk_in_values(const char *values, u_char *s, size_t len)
{
    const char  *p, *q;

    for (p = values; *p; p = *q ? q + 1 : q) {
        q = p;
        while (*q && *q != '|') {
            q++;
        }

        if ((size_t) (q - p) == len && ngx_strncmp(p, s, len) == 0) {
            return 1;
        }
    }

    return 0;
}


static ngx_uint_t
ngx_http_freshdesk_is_datetime(const char *s, size_t len)
{
    size_t  i;

    /* YYYY-MM-DD, optionally Thh:mm:ss(.fff)(Z|+hh:mm) */

    static const char  date[] = "0000-00-00";
    static const char  time[] = "T00:00:00";

    if (len < 10) {
        return 0;
    }

    for (i = 0; i < 10; i++) {
        if (date[i] == '0' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != '-') {
            return 0;
        }
    }

    if (len == 10) {
        return 1;
    }

    if (len < 19) {
        return 0;
    }

    for (i = 0; i < 9; i++) {
        if (time[i] == '0' ? !(s[10 + i] >= '0' && s[10 + i] <= '9')
                           : s[10 + i] != time[i])
        {
            return 0;
        }
    }

    s += 19;
    len -= 19;

    if (len && *s == '.') {
        s++;
        len--;

        if (len == 0 || !(*s >= '0' && *s <= '9')) {
            return 0;
        }

        while (len && *s >= '0' && *s <= '9') {
            s++;
            len--;
        }
    }

    if (len == 1 && *s == 'Z') {
        return 1;
    }

    if (len == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':'
        && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'
        && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9')
    {
        return 1;
    }

    return 0;
}


/* no control characters at all: the value may reach a URL */

static ngx_uint_t
ngx_http_freshdesk_is_clean(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((u_char) s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


static ngx_uint_t
ngx_http_freshdesk_is_email(const char *s, size_t len)
{
    size_t      i;
    ngx_uint_t  at;

    if (len < 3 || len > 254) {
        return 0;
    }

    at = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '@') {
            if (at++ || i == 0 || i == len - 1) {
                return 0;
            }

        } else if ((u_char) s[i] <= 0x20 || s[i] == 0x7f || s[i] == ','
                   || s[i] == ';' || s[i] == '<' || s[i] == '>'
                   || s[i] == '"')
        {
            return 0;
        }
    }

    return at == 1;
}


static ngx_int_t
ngx_http_freshdesk_arg_validate(ngx_http_freshdesk_build_t *b,
    const ngx_http_freshdesk_arg_t *a, json_t *v)
{
    u_char      *buf, *d;
    size_t       i, n, len;
    json_t      *e, *op;
    json_int_t   iv;
    const char  *s, *key, *okey;

    switch (a->kind) {

    case FD_ID:
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            return ngx_http_freshdesk_fail(b, a->name,
                                           "a positive integer", v);
        }
        return NGX_OK;

    case FD_ID_OR_ME:
        if (json_is_integer(v) && json_integer_value(v) >= 1) {
            return NGX_OK;
        }

        if (json_is_string(v) && ngx_strcmp(json_string_value(v), "me") == 0)
        {
            return NGX_OK;
        }

        return ngx_http_freshdesk_fail(b, a->name,
                                       "a positive integer or \"me\"", v);

    case FD_INT:
        if (!json_is_integer(v)
            || json_integer_value(v) < a->min
            || json_integer_value(v) > a->max)
        {
            buf = ngx_pnalloc(b->pool, 64);
            if (buf == NULL) {
                return NGX_ERROR;
            }

            ngx_sprintf(buf, "an integer from %i to %i%Z", a->min, a->max);
            return ngx_http_freshdesk_fail(b, a->name, (char *) buf, v);
        }
        return NGX_OK;

    case FD_BOOL:
        if (!json_is_boolean(v)) {
            return ngx_http_freshdesk_fail(b, a->name, "true or false", v);
        }
        return NGX_OK;

    case FD_STR:
        if (!json_is_string(v)) {
            return ngx_http_freshdesk_fail(b, a->name, "a string", v);
        }

        len = json_string_length(v);

        if ((a->min && len < (size_t) a->min)
            || (a->max && len > (size_t) a->max))
        {
            buf = ngx_pnalloc(b->pool, 64);
            if (buf == NULL) {
                return NGX_ERROR;
            }

            ngx_sprintf(buf, "a string of %i to %i characters%Z",
                        a->min, a->max ? a->max : NGX_MAX_INT_T_VALUE);
            return ngx_http_freshdesk_fail(b, a->name, (char *) buf, v);
        }

        if (!(a->flags & FD_IN_BODY)
            && !ngx_http_freshdesk_is_clean(json_string_value(v), len))
        {
            return ngx_http_freshdesk_fail(b, a->name,
                                           "a string without control "
                                           "characters (CR, LF, ...)", v);
        }
        return NGX_OK;

    case FD_ENUM:
        if (!json_is_string(v)
            || !ngx_http_freshdesk_in_values(a->values,
                                             (u_char *) json_string_value(v),
                                             json_string_length(v)))
        {
            goto enum_failed;
        }
        return NGX_OK;

    case FD_INT_ENUM:
        if (!json_is_integer(v)) {
            goto enum_failed;
        }

        buf = ngx_pnalloc(b->pool, NGX_INT64_LEN);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        n = ngx_sprintf(buf, "%L", (int64_t) json_integer_value(v)) - buf;

        if (!ngx_http_freshdesk_in_values(a->values, buf, n)) {
            goto enum_failed;
        }
        return NGX_OK;

    case FD_DATETIME:
        if (!json_is_string(v)
            || !ngx_http_freshdesk_is_datetime(json_string_value(v),
                                               json_string_length(v)))
        {
            return ngx_http_freshdesk_fail(b, a->name,
                                           "an ISO-8601 date \"YYYY-MM-DD\" "
                                           "or date-time "
                                           "\"YYYY-MM-DDThh:mm:ssZ\"", v);
        }
        return NGX_OK;

    case FD_EMAIL:
        if (!json_is_string(v)
            || !ngx_http_freshdesk_is_email(json_string_value(v),
                                            json_string_length(v)))
        {
            return ngx_http_freshdesk_fail(b, a->name, "an email address",
                                           v);
        }
        return NGX_OK;

    case FD_KEY:
        if (!json_is_string(v)) {
            goto key_failed;
        }

        s = json_string_value(v);
        len = json_string_length(v);

        if (len == 0 || len > 64) {
            goto key_failed;
        }

        for (i = 0; i < len; i++) {
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
                  || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'
                  || s[i] == '-'))
            {
                goto key_failed;
            }
        }
        return NGX_OK;

    case FD_DURATION:
        if (!json_is_string(v)) {
            goto duration_failed;
        }

        s = json_string_value(v);
        len = json_string_length(v);

        for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            /* void */
        }

        if (i < 1 || i > 3 || len != i + 3 || s[i] != ':'
            || !(s[i + 1] >= '0' && s[i + 1] <= '5')
            || !(s[i + 2] >= '0' && s[i + 2] <= '9'))
        {
            goto duration_failed;
        }
        return NGX_OK;

    case FD_IDS:
    case FD_STRS:
    case FD_EMAILS:
    case FD_ENUMS:
    case FD_INTS:
        if (!json_is_array(v)
            || (a->min && json_array_size(v) < (size_t) a->min)
            || (a->max && json_array_size(v) > (size_t) a->max))
        {
            buf = ngx_pnalloc(b->pool, 96);
            if (buf == NULL) {
                return NGX_ERROR;
            }

            ngx_sprintf(buf, "an array of %i to %i %s%Z",
                        a->min ? a->min : 0, a->max ? a->max : 1000,
                        a->kind == FD_IDS ? "positive integers"
                        : a->kind == FD_EMAILS ? "email addresses"
                        : a->kind == FD_STRS ? "strings" : "values");
            return ngx_http_freshdesk_fail(b, a->name, (char *) buf, v);
        }

        json_array_foreach(v, i, e) {
            switch (a->kind) {

            case FD_IDS:
                if (!json_is_integer(e) || json_integer_value(e) < 1) {
                    return ngx_http_freshdesk_fail(b, a->name,
                                                   "an array of positive "
                                                   "integers", v);
                }
                break;

            case FD_STRS:
                if (!json_is_string(e)
                    || (a->flags & FD_IN_QUERY
                        && !ngx_http_freshdesk_is_clean(json_string_value(e),
                                                        json_string_length(e))))
                {
                    return ngx_http_freshdesk_fail(b, a->name,
                                                   "an array of strings", v);
                }
                break;

            case FD_EMAILS:
                if (!json_is_string(e)
                    || !ngx_http_freshdesk_is_email(json_string_value(e),
                                                    json_string_length(e)))
                {
                    return ngx_http_freshdesk_fail(b, a->name,
                                                   "an array of email "
                                                   "addresses", v);
                }
                break;

            case FD_ENUMS:
                if (!json_is_string(e)
                    || !ngx_http_freshdesk_in_values(a->values,
                                              (u_char *) json_string_value(e),
                                              json_string_length(e)))
                {
                    goto enum_failed;
                }
                break;

            default: /* FD_INTS */
                if (!json_is_integer(e)) {
                    goto enum_failed;
                }

                buf = ngx_pnalloc(b->pool, NGX_INT64_LEN);
                if (buf == NULL) {
                    return NGX_ERROR;
                }

                iv = json_integer_value(e);
                n = ngx_sprintf(buf, "%L", (int64_t) iv) - buf;

                if (!ngx_http_freshdesk_in_values(a->values, buf, n)) {
                    goto enum_failed;
                }
            }
        }
        return NGX_OK;

    case FD_OBJECT:
        if (!json_is_object(v)) {
            return ngx_http_freshdesk_fail(b, a->name, "an object", v);
        }
        return NGX_OK;

    case FD_STR_MAP:
    case FD_FILTERS:
        if (!json_is_object(v) || json_object_size(v) > 32) {
            return ngx_http_freshdesk_fail(b, a->name,
                                           "an object of at most 32 "
                                           "members", v);
        }

        json_object_foreach(v, key, e) {
            len = ngx_strlen(key);

            if (len == 0 || len > 64) {
                goto map_failed;
            }

            for (i = 0; i < len; i++) {
                if (!((key[i] >= 'a' && key[i] <= 'z')
                      || (key[i] >= 'A' && key[i] <= 'Z')
                      || (key[i] >= '0' && key[i] <= '9')
                      || key[i] == '_' || key[i] == '-' || key[i] == '.'))
                {
                    goto map_failed;
                }
            }

            if (a->kind == FD_FILTERS && json_is_object(e)) {
                if (json_object_size(e) == 0) {
                    goto map_failed;
                }

                json_object_foreach(e, okey, op) {
                    if (!ngx_http_freshdesk_in_values("gt|gte|lt|lte",
                                                      (u_char *) okey,
                                                      ngx_strlen(okey))
                        || !(json_is_string(op) || json_is_number(op)))
                    {
                        goto map_failed;
                    }

                    if (json_is_string(op)
                        && !ngx_http_freshdesk_is_clean(
                                                   json_string_value(op),
                                                   json_string_length(op)))
                    {
                        goto map_failed;
                    }
                }

                continue;
            }

            if (!(json_is_string(e) || json_is_number(e)
                  || json_is_boolean(e)))
            {
                goto map_failed;
            }

            if (json_is_string(e)
                && !ngx_http_freshdesk_is_clean(json_string_value(e),
                                                json_string_length(e)))
            {
                goto map_failed;
            }
        }
        return NGX_OK;

    case FD_PATH:
        if (!json_is_string(v)) {
            goto path_failed;
        }

        s = json_string_value(v);
        len = json_string_length(v);

        if (len < 2 || len > 512 || s[0] != '/') {
            goto path_failed;
        }

        for (i = 0; i < len; i++) {
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
                  || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'
                  || s[i] == '-' || s[i] == '/' || s[i] == '.'))
            {
                goto path_failed;
            }

            if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
                goto path_failed;
            }

            if (s[i] == '.' && (i == 0 || s[i - 1] == '/' || s[i - 1] == '.'))
            {
                goto path_failed;
            }
        }
        return NGX_OK;
    }

    return ngx_http_freshdesk_fail(b, a->name, "of a known kind", v);

enum_failed:

    /* "one of a, b, c" or "an array of values from: a, b, c" */

    s = (a->kind == FD_ENUMS || a->kind == FD_INTS)
        ? "an array of values from: " : "one of ";

    len = ngx_strlen(s);

    buf = ngx_pnalloc(b->pool, len + ngx_strlen(a->values) * 2 + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    d = ngx_cpymem(buf, s, len);

    for (s = a->values; *s; s++) {
        if (*s == '|') {
            *d++ = ',';
            *d++ = ' ';

        } else {
            *d++ = *s;
        }
    }

    *d = '\0';

    return ngx_http_freshdesk_fail(b, a->name, (char *) buf, v);

key_failed:

    return ngx_http_freshdesk_fail(b, a->name,
                                   "an identifier of 1 to 64 letters, digits, "
                                   "\"_\" or \"-\"", v);

duration_failed:

    return ngx_http_freshdesk_fail(b, a->name, "a duration \"hh:mm\"", v);

map_failed:

    return ngx_http_freshdesk_fail(b, a->name,
                                   a->kind == FD_FILTERS
                                   ? "an object of field names ([A-Za-z0-9_]) "
                                     "to values or to {\"gt\"|\"gte\"|\"lt\"|"
                                     "\"lte\": value}"
                                   : "an object of names ([A-Za-z0-9_.-]) to "
                                     "strings, numbers or booleans", v);

path_failed:

    return ngx_http_freshdesk_fail(b, a->name,
                                   "a relative API path such as "
                                   "\"/tickets/42\" (letters, digits, \"/\", "
                                   "\"_\", \"-\", \".\"; no \"..\", \"//\", "
                                   "query string or host)", v);
}


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
    size_t                           len;
    json_t                          *v, *body;
    ngx_int_t                        rc;
    ngx_str_t                        search, name, *last;
    ngx_uint_t                       missing, found;
    ngx_array_t                      q;
    const char                      *key, *path, *s, *e;
    ngx_http_freshdesk_build_t       b;
    const ngx_http_freshdesk_arg_t  *a;

    ngx_memzero(req, sizeof(ngx_http_freshdesk_request_t));

    b.pool = pool;
    b.tool = t;
    b.arguments = arguments;
    b.error = &req->error;

    /* unknown arguments first: the model learns the right names */

    json_object_foreach(arguments, key, v) {
        a = ngx_http_freshdesk_arg_find(t, key, ngx_strlen(key));

        if (a == NULL) {
            len = 0;
            for (a = t->args; a->name; a++) {
                len += ngx_strlen(a->name) + 2;
            }

            p = ngx_pnalloc(pool, len + ngx_strlen(key) + 128);
            if (p == NULL) {
                return NGX_ERROR;
            }

            req->error.data = p;
            p = ngx_sprintf(p, "Invalid arguments: unknown argument \"%s\"",
                            key);

            if (t->args->name || t->paging != FD_PAGE_NONE) {
                p = ngx_cpymem(p, "; expected: ", 12);

                for (a = t->args; a->name; a++) {
                    p = ngx_sprintf(p, "%s%s", a == t->args ? "" : ", ",
                                    a->name);
                }

                if (t->paging == FD_PAGE_LINK) {
                    p = ngx_sprintf(p, "%sper_page",
                                    t->args->name ? ", " : "");
                }

                if (t->paging != FD_PAGE_NONE) {
                    p = ngx_cpymem(p, ", cursor", 8);
                }

            } else {
                p = ngx_cpymem(p, "; this tool takes no arguments", 30);
            }

            *p++ = '.';
            req->error.len = p - req->error.data;

            return NGX_DECLINED;
        }

        rc = ngx_http_freshdesk_arg_validate(&b, a, v);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    for (a = t->args; a->name; a++) {
        if ((a->flags & FD_REQUIRED)
            && json_object_get(arguments, a->name) == NULL)
        {
            return ngx_http_freshdesk_fail(&b, a->name, "is required", NULL);
        }
    }

    if (t->one_of) {
        found = 0;

        for (s = t->one_of; *s; s = *e ? e + 1 : e) {
            e = s;
            while (*e && *e != ',') {
                e++;
            }

            if (json_object_getn(arguments, s, e - s)) {
                found = 1;
                break;
            }
        }

        if (!found) {
            len = ngx_strlen(t->one_of);
            p = ngx_pnalloc(pool, len * 2 + 64);
            if (p == NULL) {
                return NGX_ERROR;
            }

            req->error.data = p;
            p = ngx_cpymem(p, "Invalid arguments: give at least one of: ",
                           41);

            for (s = t->one_of; *s; s++) {
                if (*s == ',') {
                    *p++ = ',';
                    *p++ = ' ';

                } else {
                    *p++ = *s;
                }
            }

            *p++ = '.';
            req->error.len = p - req->error.data;

            return NGX_DECLINED;
        }
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
