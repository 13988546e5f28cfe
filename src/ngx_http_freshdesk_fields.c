
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Result field selection.  The tools that return records (tickets,
 * conversations, contacts, companies, agents, groups) take an optional
 * "fields" argument: the member names each record keeps, dotted for a
 * member of an object member ("custom_fields.cf_region", "contact.email"),
 * or ["*"] for every member.  Without it a tool returns its default
 * fields (the rows below, or the location's freshdesk_fields), unless
 * "freshdesk_fields_default off".  The names are checked against the
 * record's rows; the selection itself is a tree (json.h) that the
 * scanner applies while it validates and escapes the upstream body
 * (json_scan.c), so nothing is decoded.
 */


#include "ngx_http_freshdesk_tools.h"
#include "ngx_http_freshdesk_fields.h"
#include "ngx_http_freshdesk_conf.h"


/* a record type: its member names, and those whose members may be named
 * with any name after a dot (each account has its own custom fields) */
typedef struct {
    const char                    *known;
    const char                    *any;
} ngx_http_freshdesk_record_t;


/* a tool that returns records of a type, and its default fields */
typedef struct {
    const char                    *tool;
    const ngx_http_freshdesk_record_t  *record;
    const char                    *defaults;
} ngx_http_freshdesk_fields_tool_t;


#define FD_FIELDS_TOOLS  14


typedef struct {
    ngx_flag_t                     trim;
    ngx_http_freshdesk_select_t   *sel[FD_FIELDS_TOOLS];   /* NULL: unset */
} ngx_http_freshdesk_fields_conf_t;


static ngx_int_t ngx_http_freshdesk_fields_index(const char *tool,
    size_t len);
static ngx_int_t ngx_http_freshdesk_fields_name(
    const ngx_http_freshdesk_record_t *rec, u_char *s, size_t len);
static ngx_http_freshdesk_select_t *ngx_http_freshdesk_fields_build(
    ngx_pool_t *pool, ngx_str_t *names, ngx_uint_t n);
static ngx_int_t ngx_http_freshdesk_fields_add(ngx_pool_t *pool,
    ngx_http_freshdesk_select_t *sel, ngx_uint_t room, u_char *s,
    size_t len);
static ngx_uint_t ngx_http_freshdesk_fields_split(u_char *s, size_t len,
    ngx_str_t *names, ngx_uint_t max);
static ngx_int_t ngx_http_freshdesk_fields_unknown(ngx_pool_t *pool,
    const ngx_http_freshdesk_fields_tool_t *ft, u_char *s, size_t len,
    ngx_str_t *error);


/* the selection of every member: trimming off for a tool */
static ngx_http_freshdesk_select_t  ngx_http_freshdesk_fields_all;


static const ngx_http_freshdesk_record_t  ngx_http_freshdesk_ticket = {
    "id|subject|description|description_text|status|priority|source|type|"
    "requester_id|responder_id|group_id|company_id|product_id|"
    "email_config_id|to_emails|cc_emails|fwd_emails|reply_cc_emails|"
    "ticket_cc_emails|fr_escalated|is_escalated|nr_escalated|spam|deleted|"
    "due_by|fr_due_by|nr_due_by|tags|custom_fields|attachments|"
    "association_type|associated_tickets_count|support_email|"
    "source_additional_info|structured_description|form_id|"
    "sentiment_score|initial_sentiment_score|created_at|updated_at|"
    "stats|requester|company|conversations",
    "custom_fields|stats|requester|company"
};


static const ngx_http_freshdesk_record_t  ngx_http_freshdesk_conversation = {
    "id|ticket_id|user_id|body|body_text|private|incoming|source|category|"
    "support_email|from_email|to_emails|cc_emails|bcc_emails|attachments|"
    "thread_id|auto_response|automation_id|automation_type_id|"
    "source_additional_info|created_at|updated_at|last_edited_at|"
    "last_edited_user_id",
    ""
};


static const ngx_http_freshdesk_record_t  ngx_http_freshdesk_contact = {
    "id|name|first_name|last_name|email|other_emails|phone|mobile|"
    "other_phone_numbers|twitter_id|unique_external_id|facebook_id|"
    "company_id|other_companies|view_all_tickets|address|description|"
    "job_title|language|time_zone|tags|custom_fields|active|deleted|"
    "avatar|csat_rating|preferred_source|visitor_id|org_contact_id|"
    "created_at|updated_at",
    "custom_fields"
};


static const ngx_http_freshdesk_record_t  ngx_http_freshdesk_company = {
    "id|name|description|note|domains|health_score|account_tier|"
    "renewal_date|industry|custom_fields|org_company_id|created_at|"
    "updated_at",
    "custom_fields"
};


static const ngx_http_freshdesk_record_t  ngx_http_freshdesk_agent = {
    "id|contact|available|available_since|occasional|ticket_scope|"
    "signature|group_ids|role_ids|skill_ids|type|focus_mode|"
    "last_active_at|deactivated|agent_operational_status|org_agent_id|"
    "created_at|updated_at",
    "contact"
};


static const ngx_http_freshdesk_record_t  ngx_http_freshdesk_group = {
    "id|name|description|escalate_to|unassigned_for|business_hour_id|"
    "group_type|agent_ids|auto_ticket_assign|"
    "allow_agents_to_change_availability|agent_availability_status|"
    "created_at|updated_at",
    ""
};


/* 10 fields of the 28 a listed ticket has (a third of its bytes): type
 * and created_at are left to "fields" */
#define FD_TICKET_LIST                                                       \
    "id|subject|status|priority|requester_id|responder_id|group_id|tags|"    \
    "due_by|updated_at|description_text|stats|requester"

#define FD_CONTACT_DEFAULT                                                   \
    "id|name|email|phone|mobile|company_id|job_title|tags|active|deleted|"   \
    "updated_at"

#define FD_COMPANY_DEFAULT                                                   \
    "id|name|domains|health_score|account_tier|renewal_date|industry|"       \
    "updated_at"

#define FD_AGENT_DEFAULT                                                     \
    "id|contact.name|contact.email|available|occasional|ticket_scope|"       \
    "group_ids|role_ids|type"

#define FD_GROUP_DEFAULT                                                     \
    "id|name|description|agent_ids|escalate_to|unassigned_for"


static const ngx_http_freshdesk_fields_tool_t
    ngx_http_freshdesk_fields_tools[FD_FIELDS_TOOLS] =
{
    { "get_ticket", &ngx_http_freshdesk_ticket,
      "id|subject|description_text|status|priority|source|type|"
      "requester_id|responder_id|group_id|company_id|tags|custom_fields|"
      "due_by|fr_due_by|created_at|updated_at|stats|requester|company|"
      "conversations" },
    { "list_tickets", &ngx_http_freshdesk_ticket, FD_TICKET_LIST },
    { "search_tickets", &ngx_http_freshdesk_ticket, FD_TICKET_LIST },
    { "list_ticket_conversations", &ngx_http_freshdesk_conversation,
      "id|user_id|body_text|private|incoming|source|from_email|to_emails|"
      "created_at" },
    { "list_contacts", &ngx_http_freshdesk_contact, FD_CONTACT_DEFAULT },
    { "get_contact", &ngx_http_freshdesk_contact,
      FD_CONTACT_DEFAULT "|other_emails|description|custom_fields|"
      "created_at" },
    { "search_contacts", &ngx_http_freshdesk_contact, FD_CONTACT_DEFAULT },
    { "list_companies", &ngx_http_freshdesk_company, FD_COMPANY_DEFAULT },
    { "get_company", &ngx_http_freshdesk_company,
      FD_COMPANY_DEFAULT "|description|note|custom_fields|created_at" },
    { "search_companies", &ngx_http_freshdesk_company, FD_COMPANY_DEFAULT },
    { "list_agents", &ngx_http_freshdesk_agent, FD_AGENT_DEFAULT },
    { "get_agent", &ngx_http_freshdesk_agent,
      FD_AGENT_DEFAULT "|skill_ids|contact.phone|contact.mobile|"
      "contact.job_title|contact.time_zone|contact.last_login_at|"
      "available_since|created_at" },
    { "list_groups", &ngx_http_freshdesk_group, FD_GROUP_DEFAULT },
    { "get_group", &ngx_http_freshdesk_group,
      FD_GROUP_DEFAULT "|business_hour_id|group_type|auto_ticket_assign" }
};


static ngx_int_t
ngx_http_freshdesk_fields_index(const char *tool, size_t len)
{
    ngx_uint_t  i;

    for (i = 0; i < FD_FIELDS_TOOLS; i++) {
        if (ngx_strncmp(ngx_http_freshdesk_fields_tools[i].tool, tool, len)
            == 0
            && ngx_http_freshdesk_fields_tools[i].tool[len] == '\0')
        {
            return i;
        }
    }

    return NGX_ERROR;
}


ngx_uint_t
ngx_http_freshdesk_fields_has(const ngx_http_freshdesk_tool_t *t)
{
    return ngx_http_freshdesk_fields_index(t->name, ngx_strlen(t->name))
           != NGX_ERROR;
}


/*
 * A name the record has: one of its members, or a dotted name under a
 * member whose members may have any name: "custom_fields.cf_region",
 * at most three parts of [A-Za-z0-9_].  NGX_DECLINED: not a valid name.
 */

static ngx_int_t
ngx_http_freshdesk_fields_name(const ngx_http_freshdesk_record_t *rec,
    u_char *s, size_t len)
{
    u_char      *p, *last, *dot;
    ngx_uint_t   parts;

    if (len == 0 || len > 128) {
        return NGX_DECLINED;
    }

    last = s + len;
    dot = NULL;
    parts = 1;

    for (p = s; p < last; p++) {
        if (*p == '.') {
            if (p == s || p + 1 == last || p[-1] == '.') {
                return NGX_DECLINED;
            }

            if (dot == NULL) {
                dot = p;
            }

            parts++;
            continue;
        }

        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_'))
        {
            return NGX_DECLINED;
        }
    }

    if (parts > 3) {
        return NGX_DECLINED;
    }

    if (dot == NULL) {
        return ngx_http_freshdesk_conf_in(rec->known, s, len)
               ? NGX_OK : NGX_DECLINED;
    }

    return ngx_http_freshdesk_conf_in(rec->any, s, dot - s)
           ? NGX_OK : NGX_DECLINED;
}


/*
 * The tool's "fields" argument: an array of 1 to 64 names of the record,
 * or ["*"].  canon (may be NULL) gets the names joined by ",", which the
 * cursor of a list carries.  NGX_DECLINED: *error says what is wrong.
 */

ngx_int_t
ngx_http_freshdesk_fields_check(ngx_pool_t *pool,
    const ngx_http_freshdesk_tool_t *t, json_t *v, ngx_str_t *canon,
    ngx_str_t *error)
{
    u_char                                  *p;
    size_t                                   len, total;
    json_t                                  *item;
    ngx_int_t                                i;
    ngx_uint_t                               k, n;
    const ngx_http_freshdesk_fields_tool_t  *ft;

    i = ngx_http_freshdesk_fields_index(t->name, ngx_strlen(t->name));
    if (i == NGX_ERROR) {
        return NGX_ERROR;
    }

    ft = &ngx_http_freshdesk_fields_tools[i];

    if (!json_is_array(v)) {
        ngx_str_set(error, "Invalid arguments: \"fields\" must be an array "
                    "of field names, e.g. [\"id\", \"subject\"], or "
                    "[\"*\"] for every field.");
        return NGX_DECLINED;
    }

    n = json_array_size(v);

    if (n == 0 || n > NGX_HTTP_FRESHDESK_FIELDS_MAX) {
        ngx_str_set(error, "Invalid arguments: \"fields\" must hold 1 to 64 "
                    "field names.");
        return NGX_DECLINED;
    }

    total = 0;

    json_array_foreach(v, k, item) {
        if (!json_is_string(item)) {
            ngx_str_set(error, "Invalid arguments: each item of \"fields\" "
                        "must be a string, a field name.");
            return NGX_DECLINED;
        }

        p = (u_char *) json_string_value(item);
        len = json_string_length(item);
        total += len + 1;

        if (len == 1 && p[0] == '*') {
            if (n != 1) {
                ngx_str_set(error, "Invalid arguments: \"*\" in \"fields\" "
                            "stands alone: [\"*\"] for every field.");
                return NGX_DECLINED;
            }

            continue;
        }

        if (ngx_http_freshdesk_fields_name(ft->record, p, len)
            != NGX_OK)
        {
            return ngx_http_freshdesk_fields_unknown(pool, ft, p, len,
                                                     error);
        }
    }

    if (total > NGX_HTTP_FRESHDESK_FIELDS_MAX_LEN) {
        ngx_str_set(error, "Invalid arguments: \"fields\" is too long.");
        return NGX_DECLINED;
    }

    if (canon == NULL) {
        return NGX_OK;
    }

    canon->data = ngx_pnalloc(pool, total);
    if (canon->data == NULL) {
        return NGX_ERROR;
    }

    p = canon->data;

    json_array_foreach(v, k, item) {
        if (k) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, json_string_value(item), json_string_length(item));
    }

    canon->len = p - canon->data;

    return NGX_OK;
}


/* "unknown field": the message lists the names the tool knows */

static ngx_int_t
ngx_http_freshdesk_fields_unknown(ngx_pool_t *pool,
    const ngx_http_freshdesk_fields_tool_t *ft, u_char *s, size_t len,
    ngx_str_t *error)
{
    u_char      *p;
    size_t       size;
    const char  *q;

    if (len > 128) {
        len = 128;
    }

    size = 256 + len * 6 + ngx_strlen(ft->record->known) * 2
           + ngx_strlen(ft->record->any) * 2;

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    error->data = p;

    p = ngx_cpymem(p, "Invalid arguments: unknown field \"",
                   sizeof("Invalid arguments: unknown field \"") - 1);

    /* the name as given, its control characters shown as '?' */

    for ( /* void */ ; len; len--, s++) {
        *p++ = (*s < 0x20 || *s == 0x7f) ? '?' : *s;
    }

    p = ngx_sprintf(p, "\" for %s; valid: ", ft->tool);

    for (q = ft->record->known; *q; q++) {
        if (*q == '|') {
            *p++ = ',';
            *p++ = ' ';

        } else {
            *p++ = *q;
        }
    }

    for (q = ft->record->any; *q; q = *q ? q + 1 : q) {
        p = ngx_cpymem(p, ", ", 2);

        while (*q && *q != '|') {
            *p++ = *q++;
        }

        p = ngx_cpymem(p, ".<name>", 7);
    }

    p = ngx_cpymem(p, "; or [\"*\"] for every field.",
                   sizeof("; or [\"*\"] for every field.") - 1);

    error->len = p - error->data;

    return NGX_DECLINED;
}


/* "a,b,c" or "a|b|c" as names */

static ngx_uint_t
ngx_http_freshdesk_fields_split(u_char *s, size_t len, ngx_str_t *names,
    ngx_uint_t max)
{
    u_char      *p, *q, *last;
    ngx_uint_t   n;

    last = s + len;
    n = 0;

    for (p = s; p < last && n < max; p = q + 1) {
        for (q = p; q < last && *q != ',' && *q != '|'; q++) {
            /* void */
        }

        if (q > p) {
            names[n].data = p;
            names[n].len = q - p;
            n++;
        }
    }

    return n;
}


/* the selection tree of n (checked) names */

static ngx_http_freshdesk_select_t *
ngx_http_freshdesk_fields_build(ngx_pool_t *pool, ngx_str_t *names,
    ngx_uint_t n)
{
    ngx_uint_t                    i;
    ngx_http_freshdesk_select_t  *sel;

    sel = ngx_pcalloc(pool, sizeof(ngx_http_freshdesk_select_t));
    if (sel == NULL) {
        return NULL;
    }

    sel->names = ngx_palloc(pool,
                            n * sizeof(ngx_http_freshdesk_select_name_t));
    if (sel->names == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (ngx_http_freshdesk_fields_add(pool, sel, n, names[i].data,
                                          names[i].len)
            != NGX_OK)
        {
            return NULL;
        }
    }

    return sel;
}


/* one dotted name into a tree whose nodes have room for "room" names */

static ngx_int_t
ngx_http_freshdesk_fields_add(ngx_pool_t *pool,
    ngx_http_freshdesk_select_t *sel, ngx_uint_t room, u_char *s,
    size_t len)
{
    u_char                            *dot;
    size_t                             plen;
    ngx_uint_t                         h, i;
    ngx_http_freshdesk_select_name_t  *e;

    dot = ngx_strlchr(s, s + len, '.');
    plen = dot ? (size_t) (dot - s) : len;

    if (plen == 0) {
        return NGX_OK;
    }

    h = ngx_http_freshdesk_select_hash(s, plen);

    for (i = sel->head[h]; i; i = e->next) {
        e = &sel->names[i - 1];

        if (e->len == plen && ngx_memcmp(e->name, s, plen) == 0) {
            goto found;
        }
    }

    if (sel->n == room || sel->n >= 255) {
        return NGX_OK;
    }

    e = &sel->names[sel->n++];
    ngx_http_freshdesk_select_set(e, s, plen);
    e->next = sel->head[h];
    sel->head[h] = (u_char) sel->n;

    if (dot == NULL) {
        /* the whole member */
        e->sub = NULL;
        return NGX_OK;
    }

    e->sub = ngx_pcalloc(pool, sizeof(ngx_http_freshdesk_select_t));
    if (e->sub == NULL) {
        return NGX_ERROR;
    }

    e->sub->names = ngx_palloc(pool,
                               room * sizeof(ngx_http_freshdesk_select_name_t));
    if (e->sub->names == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_freshdesk_fields_add(pool, e->sub, room, dot + 1,
                                         s + len - dot - 1);

found:

    if (e->sub == NULL) {
        /* the whole member was asked for already */
        return NGX_OK;
    }

    if (dot == NULL) {
        e->sub = NULL;
        return NGX_OK;
    }

    return ngx_http_freshdesk_fields_add(pool, e->sub, room, dot + 1,
                                         s + len - dot - 1);
}


/*
 * The call's selection: the "fields" it gave (canonical, from the
 * arguments or its cursor), otherwise the location's for the tool.
 * *sel = NULL: every member, nothing selected.
 */

ngx_int_t
ngx_http_freshdesk_fields_select(ngx_http_request_t *r,
    const ngx_http_freshdesk_tool_t *t, ngx_str_t *fields,
    ngx_http_freshdesk_select_t **sel)
{
    ngx_int_t                          i;
    ngx_uint_t                         n;
    ngx_str_t                          names[NGX_HTTP_FRESHDESK_FIELDS_MAX];
    ngx_http_freshdesk_loc_conf_t     *flcf;
    ngx_http_freshdesk_fields_conf_t  *fc;

    *sel = NULL;

    i = ngx_http_freshdesk_fields_index(t->name, ngx_strlen(t->name));
    if (i == NGX_ERROR) {
        return NGX_OK;
    }

    if (fields && fields->len) {
        if (fields->len == 1 && fields->data[0] == '*') {
            return NGX_OK;
        }

        n = ngx_http_freshdesk_fields_split(fields->data, fields->len, names,
                                            NGX_HTTP_FRESHDESK_FIELDS_MAX);

        *sel = ngx_http_freshdesk_fields_build(r->pool, names, n);

        return *sel ? NGX_OK : NGX_ERROR;
    }

    flcf = ngx_http_get_module_loc_conf(r, ngx_http_freshdesk_module);
    fc = flcf->fields;

    if (!fc->trim || fc->sel[i] == &ngx_http_freshdesk_fields_all) {
        return NGX_OK;
    }

    *sel = fc->sel[i];

    return NGX_OK;
}


/* the "fields" property of a tool's input schema */

json_t *
ngx_http_freshdesk_fields_schema(const ngx_http_freshdesk_tool_t *t)
{
    u_char                                  *p, *buf;
    size_t                                   size;
    json_t                                  *s;
    ngx_int_t                                i;
    const char                              *q;
    const ngx_http_freshdesk_fields_tool_t  *ft;

    i = ngx_http_freshdesk_fields_index(t->name, ngx_strlen(t->name));
    if (i == NGX_ERROR) {
        return NULL;
    }

    ft = &ngx_http_freshdesk_fields_tools[i];

    size = 256 + ngx_strlen(ft->record->known) + ngx_strlen(ft->defaults)
           + 2 * ngx_strlen(ft->record->any);

    buf = ngx_alloc(size, ngx_cycle->log);
    if (buf == NULL) {
        return NULL;
    }

    p = ngx_cpymem(buf, "Fields per record (default ",
                   sizeof("Fields per record (default ") - 1);

    for (q = ft->defaults; *q; q++) {
        *p++ = (*q == '|') ? ',' : *q;
    }

    p = ngx_cpymem(p, "); [\"*\"] for all. Names: ",
                   sizeof("); [\"*\"] for all. Names: ") - 1);

    for (q = ft->record->known; *q; q++) {
        *p++ = (*q == '|') ? ',' : *q;
    }

    for (q = ft->record->any; *q; q = *q ? q + 1 : q) {
        *p++ = ',';

        while (*q && *q != '|') {
            *p++ = *q++;
        }

        p = ngx_cpymem(p, ".*", 2);
    }

    s = json_pack("{s:s,s:{s:s},s:i,s:i,s:s%}",
                  "type", "array",
                  "items", "type", "string",
                  "minItems", 1,
                  "maxItems", NGX_HTTP_FRESHDESK_FIELDS_MAX,
                  "description", buf, (size_t) (p - buf));

    ngx_free(buf);

    return s;
}


/* configuration */

void *
ngx_http_freshdesk_fields_create_conf(ngx_conf_t *cf)
{
    ngx_http_freshdesk_fields_conf_t  *fc;

    fc = ngx_pcalloc(cf->pool, sizeof(ngx_http_freshdesk_fields_conf_t));
    if (fc == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     fc->sel[] = NULL;
     */

    fc->trim = NGX_CONF_UNSET;

    return fc;
}


char *
ngx_http_freshdesk_fields_merge_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_freshdesk_fields_conf_t  *prev = parent;
    ngx_http_freshdesk_fields_conf_t  *conf = child;

    u_char      *s;
    ngx_uint_t   i, n;
    ngx_str_t    names[NGX_HTTP_FRESHDESK_FIELDS_MAX];

    ngx_conf_merge_value(conf->trim, prev->trim, 1);

    for (i = 0; i < FD_FIELDS_TOOLS; i++) {
        if (conf->sel[i]) {
            continue;
        }

        if (prev->sel[i]) {
            conf->sel[i] = prev->sel[i];
            continue;
        }

        /* the tool's default, kept by the level above too */

        s = (u_char *) ngx_http_freshdesk_fields_tools[i].defaults;

        n = ngx_http_freshdesk_fields_split(s, ngx_strlen(s), names,
                                            NGX_HTTP_FRESHDESK_FIELDS_MAX);

        conf->sel[i] = ngx_http_freshdesk_fields_build(cf->pool, names, n);
        if (conf->sel[i] == NULL) {
            return NGX_CONF_ERROR;
        }

        prev->sel[i] = conf->sel[i];
    }

    return NGX_CONF_OK;
}


/* freshdesk_fields TOOL NAME ...; */

char *
ngx_http_freshdesk_fields_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_loc_conf_t  *flcf = conf;

    size_t                                   total;
    ngx_int_t                                i;
    ngx_str_t                               *value;
    ngx_uint_t                               k, n;
    ngx_http_freshdesk_fields_conf_t        *fc;
    const ngx_http_freshdesk_fields_tool_t  *ft;

    fc = flcf->fields;
    value = cf->args->elts;
    n = cf->args->nelts - 2;

    i = ngx_http_freshdesk_fields_index((char *) value[1].data,
                                        value[1].len);
    if (i == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a tool that returns records; "
                           "freshdesk_fields applies to get_ticket, "
                           "list_tickets, search_tickets, "
                           "list_ticket_conversations, list_contacts, "
                           "get_contact, search_contacts, list_companies, "
                           "get_company, search_companies, list_agents, "
                           "get_agent, list_groups and get_group",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    ft = &ngx_http_freshdesk_fields_tools[i];

    if (fc->sel[i]) {
        return "is duplicate for this tool";
    }

    if (n > NGX_HTTP_FRESHDESK_FIELDS_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "more than %d fields for \"%V\"",
                           NGX_HTTP_FRESHDESK_FIELDS_MAX, &value[1]);
        return NGX_CONF_ERROR;
    }

    if (n == 1 && value[2].len == 1 && value[2].data[0] == '*') {
        fc->sel[i] = &ngx_http_freshdesk_fields_all;
        return NGX_CONF_OK;
    }

    total = 0;

    for (k = 2; k < cf->args->nelts; k++) {
        total += value[k].len + 1;

        if (ngx_http_freshdesk_fields_name(ft->record, value[k].data,
                                           value[k].len)
            != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown field \"%V\" for \"%V\" (\"*\" "
                               "alone for every field)",
                               &value[k], &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (total > NGX_HTTP_FRESHDESK_FIELDS_MAX_LEN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the fields for \"%V\" are too long", &value[1]);
        return NGX_CONF_ERROR;
    }

    fc->sel[i] = ngx_http_freshdesk_fields_build(cf->pool, &value[2], n);
    if (fc->sel[i] == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* freshdesk_fields_default on | off; */

char *
ngx_http_freshdesk_fields_default(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_freshdesk_loc_conf_t  *flcf = conf;

    ngx_command_t  flag;

    flag = *cmd;
    flag.offset = offsetof(ngx_http_freshdesk_fields_conf_t, trim);

    return ngx_conf_set_flag_slot(cf, &flag, flcf->fields);
}
