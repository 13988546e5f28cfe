
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Argument validation: checks a tools/call's JSON arguments against the
 * tool's argument rows before anything is built or sent.  Unknown names are
 * refused with the list of the right ones, each value must be of its
 * argument's kind (integer ranges, string lengths, enums, ISO-8601 dates,
 * emails, identifiers, durations, arrays, filter objects, API paths without
 * ".." or "//"), strings that may reach a URL carry no control characters
 * (CR, LF, ...), required arguments must be there, and one of a "one_of"
 * list.  A failure is a message for the model, "Invalid arguments: ...".
 */


#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_args.h"
#include "ngx_http_freshdesk_json.h"
#include "ngx_http_freshdesk_fields.h"
#include "ngx_http_freshdesk_conf.h"


static ngx_int_t ngx_http_freshdesk_arg_validate(ngx_http_freshdesk_build_t *b,
    const ngx_http_freshdesk_arg_t *a, json_t *v);
static ngx_uint_t ngx_http_freshdesk_is_datetime(const char *s, size_t len);
static ngx_uint_t ngx_http_freshdesk_is_clean(const char *s, size_t len);
static ngx_uint_t ngx_http_freshdesk_is_email(const char *s, size_t len);


/*
 * The whole call: no unknown argument, each one valid, the required ones
 * given, and at least one of the row's "one_of".  NGX_DECLINED with
 * *b->error set: the arguments are wrong, nothing may be sent.
 */

ngx_int_t
ngx_http_freshdesk_tool_validate(ngx_http_freshdesk_build_t *b)
{
    u_char                           *p;
    size_t                            len;
    json_t                           *v, *arguments;
    ngx_int_t                         rc;
    ngx_str_t                        *error;
    ngx_uint_t                        found;
    ngx_pool_t                       *pool;
    const char                       *key, *s, *e;
    const ngx_http_freshdesk_arg_t   *a;
    const ngx_http_freshdesk_tool_t  *t;

    pool = b->pool;
    t = b->tool;
    arguments = b->arguments;
    error = b->error;

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

            error->data = p;
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

                if (ngx_http_freshdesk_fields_has(t)) {
                    p = ngx_cpymem(p, ", fields", 8);
                }

            } else {
                p = ngx_cpymem(p, "; this tool takes no arguments", 30);
            }

            *p++ = '.';
            error->len = p - error->data;

            return NGX_DECLINED;
        }

        rc = ngx_http_freshdesk_arg_validate(b, a, v);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    for (a = t->args; a->name; a++) {
        if ((a->flags & FD_REQUIRED)
            && json_object_get(arguments, a->name) == NULL)
        {
            return ngx_http_freshdesk_fail(b, a->name, "is required", NULL);
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

            error->data = p;
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
            error->len = p - error->data;

            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


ngx_int_t
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
            || !ngx_http_freshdesk_conf_in(a->values,
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

        if (!ngx_http_freshdesk_conf_in(a->values, buf, n)) {
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
                    || !ngx_http_freshdesk_conf_in(a->values,
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

                if (!ngx_http_freshdesk_conf_in(a->values, buf, n)) {
                    goto enum_failed;
                }
            }
        }
        return NGX_OK;

    case FD_FIELDS:
        return ngx_http_freshdesk_fields_check(b->pool, b->tool, v, NULL,
                                               b->error);

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
                    if (!ngx_http_freshdesk_conf_in("gt|gte|lt|lte",
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
