
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The tool catalog engine: gathers the catalog groups into one table at
 * configuration time and checks every row (a broken row fails "nginx -t"),
 * finds a tool or an argument by name, and describes tools for tools/list:
 * the JSON Schema of a tool's arguments and its annotations.  Nothing here
 * knows a particular tool; the rows do.  Argument validation is in
 * ngx_http_freshdesk_args.c, request building in ngx_http_freshdesk_build.c.
 */


#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_fields.h"


#define FD_MAX_TOOLS  256


static ngx_int_t ngx_http_freshdesk_tool_check(ngx_conf_t *cf,
    const ngx_http_freshdesk_tool_t *t);
static json_t *ngx_http_freshdesk_arg_schema(const ngx_http_freshdesk_arg_t *a);
static json_t *ngx_http_freshdesk_values_json(const char *values,
    ngx_uint_t ints);


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


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_fields_arg = {
    "fields", FD_FIELDS, FD_IN_NONE, 1, 64, NULL, NULL, "Fields"
};


const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_per_page_arg = {
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


/* an argument of the tool, with the paging ones it has implicitly */

const ngx_http_freshdesk_arg_t *
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

    if (len == 6 && ngx_strncmp(name, "fields", 6) == 0
        && ngx_http_freshdesk_fields_has(t))
    {
        return &ngx_http_freshdesk_fields_arg;
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

    if (ngx_http_freshdesk_fields_has(t)) {
        s = ngx_http_freshdesk_fields_schema(t);
        if (s == NULL || json_object_set_new(props, "fields", s) != 0) {
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
