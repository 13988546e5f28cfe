
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * The JSON-RPC 2.0 envelope as MCP uses it: one message per POST, string
 * or integer ids echoed exactly, no null ids, params an object.  Needs a
 * pool only, no request, so that fuzzers and tests can drive it directly.
 */


#include "ngx_http_freshdesk_jsonrpc.h"
#include "ngx_http_freshdesk_json.h"


/* a member looked for in checked text; an object's own members found too */
typedef struct ngx_http_freshdesk_rpc_member_s
    ngx_http_freshdesk_rpc_member_t;

struct ngx_http_freshdesk_rpc_member_s {
    ngx_str_t                          name;
    ngx_str_t                          value;      /* raw JSON, or empty */
    ngx_http_freshdesk_rpc_member_t   *sub;
    ngx_uint_t                         nsub;
};


static ngx_int_t ngx_http_freshdesk_rpc_params(ngx_pool_t *pool,
    ngx_str_t *span, ngx_uint_t escapes, ngx_http_freshdesk_rpc_t *rpc);
static u_char *ngx_http_freshdesk_rpc_members(u_char *p, u_char *last,
    ngx_http_freshdesk_rpc_member_t *m, ngx_uint_t n);
static u_char *ngx_http_freshdesk_rpc_skip(u_char *p, u_char *last);
static ngx_inline u_char *ngx_http_freshdesk_rpc_string_end(u_char *p,
    u_char *last);
static ngx_inline u_char *ngx_http_freshdesk_rpc_key(u_char *p, u_char *last,
    ngx_str_t *name);
static void ngx_http_freshdesk_rpc_params_json(json_t *params,
    ngx_http_freshdesk_rpc_t *rpc);
static void ngx_http_freshdesk_rpc_params_not_object(
    ngx_http_freshdesk_rpc_t *rpc);
static void ngx_http_freshdesk_rpc_no_method(ngx_http_freshdesk_rpc_t *rpc,
    ngx_uint_t response);


#define ngx_http_freshdesk_rpc_fail(rpc, st, c, text)                        \
    (rpc)->status = st;                                                      \
    (rpc)->code = c;                                                         \
    ngx_str_set(&(rpc)->message, text)

/*
 * The usual request is read without decoding the envelope: the scanner
 * validates the body (syntax, UTF-8, depth) and finds the members, and
 * jansson decodes only what a method needs (the tool's arguments).  Any
 * string with an escape, or any \u escape at all, takes the plain jansson
 * path below, so both paths answer alike.
 */

void
ngx_http_freshdesk_rpc_parse(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_freshdesk_rpc_t *rpc)
{
    u_char                            top, *p, *last;
    ngx_str_t                        *v;
    ngx_uint_t                        i, digits, escapes;
    ngx_http_freshdesk_json_member_t  m[6];

    enum { JSONRPC = 0, ID, METHOD, PARAMS, RESULT, ERROR };

    if (len == 0) {
        ngx_http_freshdesk_rpc_parse_json(pool, data, len, rpc);
        return;
    }

    /*
     * a \u escape anywhere (a member name may hide in one): plain path;
     * without any escape, no string below needs looking at for one
     */

    last = data + len;
    escapes = 0;

    for (p = data; (p = memchr(p, '\\', last - p)) != NULL; p += 2) {
        escapes = 1;

        if (p + 1 < last && p[1] == 'u') {
            ngx_http_freshdesk_rpc_parse_json(pool, data, len, rpc);
            return;
        }

        if (p + 2 >= last) {
            break;
        }
    }

    m[JSONRPC].name = "jsonrpc";
    m[ID].name = "id";
    m[METHOD].name = "method";
    m[PARAMS].name = "params";
    m[RESULT].name = "result";
    m[ERROR].name = "error";

    if (ngx_http_freshdesk_json_validate(data, len,
                                         NGX_HTTP_FRESHDESK_JSON_MAX_DEPTH,
                                         m, 6, &top)
        != NGX_OK || top != '{')
    {
        /* errors, batches, odd documents: the plain path says which */
        ngx_http_freshdesk_rpc_parse_json(pool, data, len, rpc);
        return;
    }

    /* strings with escapes are decoded by the plain path */

    for (i = JSONRPC; escapes && i <= METHOD; i++) {
        v = &m[i].value;

        if (v->len && v->data[0] == '"'
            && ngx_strlchr(v->data, v->data + v->len, '\\') != NULL)
        {
            ngx_http_freshdesk_rpc_parse_json(pool, data, len, rpc);
            return;
        }
    }

    ngx_memzero(rpc, sizeof(ngx_http_freshdesk_rpc_t));

    /* the id: echoed exactly as sent */

    v = &m[ID].value;

    if (v->len) {
        if (v->data[0] == '"') {
            rpc->id = *v;

        } else if (v->data[0] == '-' || (v->data[0] >= '0'
                                         && v->data[0] <= '9'))
        {
            p = v->data + (v->data[0] == '-');
            last = v->data + v->len;
            digits = last - p;

            if (ngx_strlchr(p, last, '.') || ngx_strlchr(p, last, 'e')
                || ngx_strlchr(p, last, 'E'))
            {
                goto invalid_id;
            }

            if (digits > 18) {
                /* beyond what jansson holds: the plain path decides */
                ngx_http_freshdesk_rpc_parse_json(pool, data, len, rpc);
                return;
            }

            rpc->id = *v;

        } else {
            goto invalid_id;
        }
    }

    v = &m[JSONRPC].value;

    if (v->len != 5 || ngx_strncmp(v->data, "\"2.0\"", 5) != 0) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: jsonrpc must be "
                                    "\"2.0\"");
        return;
    }

    v = &m[METHOD].value;

    if (v->len == 0) {
        ngx_http_freshdesk_rpc_no_method(rpc, m[ID].value.len
                                              && (m[RESULT].value.len
                                                  || m[ERROR].value.len));
        return;
    }

    if (v->data[0] != '"') {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: method must be a "
                                    "string");
        return;
    }

    rpc->method.data = v->data + 1;
    rpc->method.len = v->len - 2;

    if (m[ID].value.len == 0) {
        rpc->notification = 1;
    }

    v = &m[PARAMS].value;

    if (v->len == 0) {
        return;
    }

    if (v->data[0] != '{') {
        ngx_http_freshdesk_rpc_params_not_object(rpc);
        return;
    }

    switch (ngx_http_freshdesk_rpc_params(pool, v, escapes, rpc)) {

    case NGX_OK:
        return;

    case NGX_DECLINED:
        /* an escaped string or a duplicate inside params */
        ngx_http_freshdesk_rpc_parse_json(pool, data, len, rpc);
        return;

    default:
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    NGX_HTTP_FRESHDESK_RPC_INTERNAL_ERROR,
                                    "Internal error");
        return;
    }

invalid_id:

    ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                "Invalid Request: id must be a string or an "
                                "integer");
}


/*
 * The members of params that the methods read: name, arguments (decoded
 * by jansson), cursor, protocolVersion.  Other members (_meta, ...) are
 * ignored, as MCP asks.  Strings are used as they are in the body: one
 * with an escape is left to the plain path.
 */

static void ngx_http_freshdesk_rpc_meta(json_t *meta,
    ngx_http_freshdesk_rpc_t *rpc);


static ngx_int_t
ngx_http_freshdesk_rpc_params(ngx_pool_t *pool, ngx_str_t *span,
    ngx_uint_t escapes, ngx_http_freshdesk_rpc_t *rpc)
{
    json_t                           *v;
    ngx_str_t                        *s;
    ngx_uint_t                        i;
    json_error_t                      error;
    ngx_http_freshdesk_rpc_member_t   m[5], mm[2];

    enum { NAME = 0, ARGUMENTS, CURSOR, VERSION, META };

    ngx_memzero(m, sizeof(m));
    ngx_memzero(mm, sizeof(mm));

    ngx_str_set(&m[NAME].name, "name");
    ngx_str_set(&m[ARGUMENTS].name, "arguments");
    ngx_str_set(&m[CURSOR].name, "cursor");
    ngx_str_set(&m[VERSION].name, "protocolVersion");
    ngx_str_set(&m[META].name, "_meta");
    ngx_str_set(&mm[0].name, NGX_HTTP_FRESHDESK_META_VERSION);
    ngx_str_set(&mm[1].name, "io.modelcontextprotocol/clientCapabilities");

    /* the 2026 envelope, params._meta, is walked on the way */

    m[META].sub = mm;
    m[META].nsub = 2;

    /*
     * params was checked with the body: its members are only found (and
     * the scanner or jansson would cost more than the rest of the call's
     * parsing)
     */

    if (ngx_http_freshdesk_rpc_members(span->data, span->data + span->len,
                                       m, 5)
        == NULL)
    {
        return NGX_DECLINED;
    }

    s = &m[META].value;

    if (s->len && s->data[0] == '{') {

        /* a _meta with any escape is left to the plain path */

        if (escapes && ngx_strlchr(s->data, s->data + s->len, '\\') != NULL)
        {
            return NGX_DECLINED;
        }

        rpc->meta = 1;
        rpc->meta_capabilities = (mm[1].value.len
                                  && mm[1].value.data[0] == '{');

        if (mm[0].value.len && mm[0].value.data[0] == '"') {
            rpc->meta_version.data = mm[0].value.data + 1;
            rpc->meta_version.len = mm[0].value.len - 2;
        }
    }

    for (i = NAME; escapes && i <= VERSION; i++) {
        s = &m[i].value;

        if (i != ARGUMENTS && s->len && s->data[0] == '"'
            && ngx_strlchr(s->data, s->data + s->len, '\\') != NULL)
        {
            return NGX_DECLINED;
        }
    }

    rpc->cursor = (m[CURSOR].value.len != 0);

    s = &m[NAME].value;

    if (s->len && s->data[0] == '"') {
        rpc->name_string = 1;
        rpc->name.data = s->data + 1;
        rpc->name.len = s->len - 2;
    }

    s = &m[VERSION].value;

    if (s->len && s->data[0] == '"') {
        rpc->version_string = 1;
        rpc->protocol_version.data = s->data + 1;
        rpc->protocol_version.len = s->len - 2;
    }

    s = &m[ARGUMENTS].value;

    if (s->len) {
        v = ngx_http_freshdesk_json_load_flat(s->data, s->len);

        if (v == NULL) {
            v = json_loadb((const char *) s->data, s->len,
                           JSON_DECODE_ANY|JSON_REJECT_DUPLICATES, &error);
            if (v == NULL) {
                return NGX_DECLINED;
            }
        }

        if (ngx_http_freshdesk_json_own(pool, v) != NGX_OK) {
            json_decref(v);
            return NGX_ERROR;
        }

        rpc->arguments = v;
    }

    return NGX_OK;
}


/*
 * The members of an object already checked by the scanner (as part of
 * the body), found without checking it again: the value span of each
 * member named in m[] (their values empty at first), and the members of
 * a member that is an object when it has m[].sub.  Returns the end of
 * the object; NULL: a member named twice (ambiguous, as for the scanner)
 * or not an object: the plain path decides.
 */

static u_char *
ngx_http_freshdesk_rpc_members(u_char *p, u_char *last,
    ngx_http_freshdesk_rpc_member_t *m, ngx_uint_t n)
{
    u_char      *start;
    ngx_str_t    name;
    ngx_uint_t   i, found;

    ngx_http_freshdesk_skip_ws(p, last);

    if (p == last || *p++ != '{') {
        return NULL;
    }

    ngx_http_freshdesk_skip_ws(p, last);

    if (p < last && *p == '}') {
        return p + 1;
    }

    for ( ;; ) {
        p = ngx_http_freshdesk_rpc_key(p, last, &name);
        if (p == NULL) {
            return NULL;
        }

        start = p;
        found = 0;

        for (i = 0; i < n; i++) {
            if (m[i].name.len != name.len
                || ngx_memcmp(m[i].name.data, name.data, name.len) != 0)
            {
                continue;
            }

            if (m[i].value.len) {
                return NULL;
            }

            if (m[i].sub && *p == '{') {
                p = ngx_http_freshdesk_rpc_members(p, last, m[i].sub,
                                                   m[i].nsub);
                if (p == NULL) {
                    return NULL;
                }

                found = 1;
            }

            break;
        }

        if (!found) {
            p = ngx_http_freshdesk_rpc_skip(p, last);
            if (p == NULL) {
                return NULL;
            }
        }

        if (i < n) {
            m[i].value.data = start;
            m[i].value.len = p - start;
        }

        ngx_http_freshdesk_skip_ws(p, last);

        if (p == last) {
            return NULL;
        }

        if (*p == '}') {
            return p + 1;
        }

        if (*p++ != ',') {
            return NULL;
        }
    }
}


/*
 * The end of the JSON value at p (a string, a scalar, an object or an
 * array, its nesting counted, strings skipped whole), without checking
 * it; a value that ends at "last" may be cut off there.  NULL: a string
 * or a nesting not closed before "last", or too deep.
 */

static u_char *
ngx_http_freshdesk_rpc_skip(u_char *p, u_char *last)
{
    ngx_uint_t  depth;

    depth = 0;

    do {
        if (*p == '"') {
            p = ngx_http_freshdesk_rpc_string_end(p, last);
            if (p == NULL) {
                return NULL;
            }

        } else if (*p == '{' || *p == '[') {
            if (++depth > NGX_HTTP_FRESHDESK_JSON_MAX_DEPTH) {
                return NULL;
            }

            p++;

        } else if (*p == '}' || *p == ']') {
            if (depth-- == 0) {
                return NULL;
            }

            p++;

        } else {
            p++;
        }

    } while (p < last
             && (depth
                 || (*p != ',' && *p != '}'
                     && !ngx_http_freshdesk_json_ws(*p))));

    return p;
}


/* after the string at p: its closing quote, not one escaped; or NULL */

static ngx_inline u_char *
ngx_http_freshdesk_rpc_string_end(u_char *p, u_char *last)
{
    u_char  *q;

    for (q = p + 1; /* void */ ; q = p + 1) {
        p = memchr(q, '"', last - q);
        if (p == NULL) {
            return NULL;
        }

        /* an even run of backslashes before it (the opening quote ends
         * the run at worst) */

        for (q = p; q[-1] == '\\'; q--) {
            /* void */
        }

        if ((p - q) % 2 == 0) {
            return p + 1;
        }
    }
}


/*
 * A member's name at p (after white space) and the colon after it: the
 * name (raw, as in the text) and where its value starts, or NULL
 */

static ngx_inline u_char *
ngx_http_freshdesk_rpc_key(u_char *p, u_char *last, ngx_str_t *name)
{
    ngx_http_freshdesk_skip_ws(p, last);

    if (p == last || *p != '"') {
        return NULL;
    }

    name->data = p + 1;

    p = ngx_http_freshdesk_rpc_string_end(p, last);
    if (p == NULL) {
        return NULL;
    }

    name->len = p - 1 - name->data;

    ngx_http_freshdesk_skip_ws(p, last);

    if (p == last || *p++ != ':') {
        return NULL;
    }

    ngx_http_freshdesk_skip_ws(p, last);

    return p == last ? NULL : p;
}


/* the 2026 revision's protocol version, from params._meta */

static void
ngx_http_freshdesk_rpc_meta(json_t *meta, ngx_http_freshdesk_rpc_t *rpc)
{
    json_t  *v;

    rpc->meta = 1;
    rpc->meta_capabilities = json_is_object(json_object_get(meta,
                               "io.modelcontextprotocol/clientCapabilities"));

    v = json_object_get(meta, NGX_HTTP_FRESHDESK_META_VERSION);

    if (json_is_string(v)) {
        rpc->meta_version.data = (u_char *) json_string_value(v);
        rpc->meta_version.len = json_string_length(v);
    }
}


/* the same members, from params decoded by jansson */

static void
ngx_http_freshdesk_rpc_params_json(json_t *params,
    ngx_http_freshdesk_rpc_t *rpc)
{
    json_t  *v;

    v = json_object_get(params, "_meta");

    if (json_is_object(v)) {
        ngx_http_freshdesk_rpc_meta(v, rpc);
    }

    rpc->cursor = (json_object_get(params, "cursor") != NULL);
    rpc->arguments = json_object_get(params, "arguments");

    v = json_object_get(params, "name");

    if (json_is_string(v)) {
        rpc->name_string = 1;
        rpc->name.data = (u_char *) json_string_value(v);
        rpc->name.len = json_string_length(v);
    }

    v = json_object_get(params, "protocolVersion");

    if (json_is_string(v)) {
        rpc->version_string = 1;
        rpc->protocol_version.data = (u_char *) json_string_value(v);
        rpc->protocol_version.len = json_string_length(v);
    }
}


/* the plain path: the whole body decoded by jansson */

void
ngx_http_freshdesk_rpc_parse_json(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_freshdesk_rpc_t *rpc)
{
    json_t     *root, *v, *id;
    ngx_str_t   err;

    ngx_memzero(rpc, sizeof(ngx_http_freshdesk_rpc_t));

    root = ngx_http_freshdesk_json_parse(pool, data, len,
                                         NGX_HTTP_FRESHDESK_JSON_MAX_DEPTH,
                                         &err);
    if (root == NULL) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_PARSE_ERROR,
                                    "Parse error");
        return;
    }

    rpc->root = root;

    if (json_is_array(root)) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: batches are not "
                                    "supported");
        return;
    }

    if (!json_is_object(root)) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: not a JSON object");
        return;
    }

    /* the id first, so that later errors can echo it */

    id = json_object_get(root, "id");

    if (id != NULL) {
        if (json_is_integer(id)) {
            rpc->id.data = ngx_pnalloc(pool, NGX_INT64_LEN);
            if (rpc->id.data == NULL) {
                ngx_http_freshdesk_rpc_fail(rpc,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        NGX_HTTP_FRESHDESK_RPC_INTERNAL_ERROR,
                                        "Internal error");
                return;
            }

            rpc->id.len = ngx_sprintf(rpc->id.data, "%L",
                                      (int64_t) json_integer_value(id))
                          - rpc->id.data;

        } else if (json_is_string(id)) {
            if (ngx_http_freshdesk_json_string(pool, &rpc->id,
                                        (u_char *) json_string_value(id),
                                        json_string_length(id))
                != NGX_OK)
            {
                ngx_http_freshdesk_rpc_fail(rpc,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        NGX_HTTP_FRESHDESK_RPC_INTERNAL_ERROR,
                                        "Internal error");
                return;
            }

        } else {
            ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: id must be a string "
                                    "or an integer");
            return;
        }
    }

    v = json_object_get(root, "jsonrpc");

    if (!json_is_string(v) || ngx_strcmp(json_string_value(v), "2.0") != 0) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: jsonrpc must be "
                                    "\"2.0\"");
        return;
    }

    v = json_object_get(root, "method");

    if (v == NULL) {
        ngx_http_freshdesk_rpc_no_method(rpc,
                                         id != NULL
                                         && (json_object_get(root, "result")
                                             != NULL
                                             || json_object_get(root, "error")
                                                != NULL));
        return;
    }

    if (!json_is_string(v)) {
        ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                    NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                    "Invalid Request: method must be a "
                                    "string");
        return;
    }

    rpc->method.data = (u_char *) json_string_value(v);
    rpc->method.len = json_string_length(v);

    if (id == NULL) {
        rpc->notification = 1;
    }

    v = json_object_get(root, "params");

    if (v != NULL && !json_is_object(v)) {
        ngx_http_freshdesk_rpc_params_not_object(rpc);
        return;
    }

    if (v != NULL) {
        ngx_http_freshdesk_rpc_params_json(v, rpc);
    }
}


/*
 * The id of a request whose body has only begun to arrive (the bytes that
 * came with the headers): the top-level "id" member, taken only once its
 * value is complete and what follows it is seen, and only in the forms
 * both parsers echo alike: a string of printable ASCII without escapes,
 * or an integer of at most 18 digits.  Members before it are skipped
 * (strings, scalars, nested values).  NGX_DECLINED: not (yet) known here;
 * the whole body will tell.
 */

ngx_int_t
ngx_http_freshdesk_rpc_prefix_id(u_char *p, u_char *last, ngx_str_t *id)
{
    u_char      *start, *first;
    ngx_str_t    name;
    ngx_uint_t   digits;

    ngx_http_freshdesk_skip_ws(p, last);

    if (p == last || *p++ != '{') {
        return NGX_DECLINED;
    }

    for ( ;; ) {

        /* a member's name: one with an escape is left to the parsers */

        p = ngx_http_freshdesk_rpc_key(p, last, &name);

        if (p == NULL || memchr(name.data, '\\', name.len) != NULL) {
            return NGX_DECLINED;
        }

        if (name.len == 2 && name.data[0] == 'i' && name.data[1] == 'd') {
            break;
        }

        /* another member's value, skipped */

        p = ngx_http_freshdesk_rpc_skip(p, last);
        if (p == NULL) {
            return NGX_DECLINED;
        }

        ngx_http_freshdesk_skip_ws(p, last);

        if (p == last || *p++ != ',') {
            /* the end of the bytes, or of an object without an id */
            return NGX_DECLINED;
        }
    }

    start = p;

    if (*p == '"') {
        for (p++; p < last && *p >= 0x20 && *p < 0x7f && *p != '"'
                  && *p != '\\'; p++)
        {
            /* void */
        }

        if (p == last || *p != '"') {
            return NGX_DECLINED;
        }

        p++;

    } else {
        if (*p == '-') {
            p++;
        }

        first = p;

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

        digits = p - first;

        /* no "-0", no leading zeros, nothing jansson cannot hold */

        if (digits == 0 || digits > 18
            || (*first == '0' && (digits > 1 || first != start)))
        {
            return NGX_DECLINED;
        }
    }

    id->data = start;
    id->len = p - start;

    /* complete: what follows the value is here, and ends the member */

    ngx_http_freshdesk_skip_ws(p, last);

    if (p == last || (*p != ',' && *p != '}')) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_rpc_error(ngx_pool_t *pool, ngx_str_t *id, ngx_int_t code,
    ngx_str_t *message, ngx_str_t *out)
{
    return ngx_http_freshdesk_rpc_error_data(pool, id, code, message, NULL,
                                             out);
}


/* an error with "data" (valid JSON, or NULL for none) */

ngx_int_t
ngx_http_freshdesk_rpc_error_data(ngx_pool_t *pool, ngx_str_t *id,
    ngx_int_t code, ngx_str_t *message, ngx_str_t *data, ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = sizeof("{\"jsonrpc\":\"2.0\",\"id\":,\"error\":{\"code\":"
                 ",\"message\":\"\",\"data\":}}") - 1
          + id->len + NGX_INT_T_LEN + (data ? data->len : 0)
          + ngx_http_freshdesk_json_escape_len(message->data, message->len);

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, "{\"jsonrpc\":\"2.0\",",
                   sizeof("{\"jsonrpc\":\"2.0\",") - 1);

    if (id->len) {
        p = ngx_cpymem(p, "\"id\":", 5);
        p = ngx_cpymem(p, id->data, id->len);
        *p++ = ',';
    }

    p = ngx_sprintf(p, "\"error\":{\"code\":%i,\"message\":\"", code);
    p = ngx_http_freshdesk_json_escape(p, message->data, message->len);
    *p++ = '"';

    if (data) {
        p = ngx_cpymem(p, ",\"data\":", 8);
        p = ngx_cpymem(p, data->data, data->len);
    }

    p = ngx_cpymem(p, "}}", 2);

    out->len = p - out->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_freshdesk_rpc_result(ngx_pool_t *pool, ngx_str_t *id,
    ngx_str_t *result, ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    len = sizeof("{\"jsonrpc\":\"2.0\",\"id\":,\"result\":}") - 1
          + id->len + result->len;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, "{\"jsonrpc\":\"2.0\",\"id\":", 22);
    p = ngx_cpymem(p, id->data, id->len);
    p = ngx_cpymem(p, ",\"result\":", 10);
    p = ngx_cpymem(p, result->data, result->len);
    *p++ = '}';

    out->len = p - out->data;

    return NGX_OK;
}


/* params that are not an object, for both parsers */

static void
ngx_http_freshdesk_rpc_params_not_object(ngx_http_freshdesk_rpc_t *rpc)
{
    if (rpc->notification) {
        /* never answered anyway */
        return;
    }

    ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_OK,
                                NGX_HTTP_FRESHDESK_RPC_INVALID_PARAMS,
                                "Invalid params: params must be an object");
}


/*
 * No method, for both parsers: with an id and a result or an error it is
 * a response of the client to a server request, accepted; otherwise an
 * invalid request
 */

static void
ngx_http_freshdesk_rpc_no_method(ngx_http_freshdesk_rpc_t *rpc,
    ngx_uint_t response)
{
    if (response) {
        rpc->response = 1;
        return;
    }

    ngx_http_freshdesk_rpc_fail(rpc, NGX_HTTP_BAD_REQUEST,
                                NGX_HTTP_FRESHDESK_RPC_INVALID_REQUEST,
                                "Invalid Request: method is missing");
}
