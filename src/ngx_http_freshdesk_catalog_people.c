
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Catalog rows: contacts, companies, agents, groups, roles, skills.
 */


#include "ngx_http_freshdesk_tools.h"


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_contacts_args[] =
{
    { "email", FD_EMAIL, FD_IN_QUERY, 3, 254, NULL, NULL,
      "Only the contact with this email" },
    { "mobile", FD_STR, FD_IN_QUERY, 1, 50, NULL, NULL,
      "Only contacts with this mobile number" },
    { "phone", FD_STR, FD_IN_QUERY, 1, 50, NULL, NULL,
      "Only contacts with this phone number" },
    { "company_id", FD_ID, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only contacts of this company ID" },
    { "state", FD_ENUM, FD_IN_QUERY, 0, 0,
      "blocked|deleted|unverified|verified", NULL,
      "Only contacts in this state: blocked, deleted (soft-deleted), "
      "unverified (not yet activated), verified" },
    { "updated_since", FD_DATETIME, FD_IN_QUERY, 0, 0, NULL, "_updated_since",
      "Only contacts updated at or after this time, ISO-8601 \"2024-05-01\" "
      "or \"2024-05-01T10:20:30Z\"" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* the one argument of the tools that act on a whole contact */
static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_contact_id_args[] =
{
    { "contact_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric contact ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_search_contacts_args[] =
{
    { "query", FD_STR, FD_IN_RAWQ, 1, 510, NULL, NULL,
      "Raw Freshdesk query language, without the outer double quotes, e.g. "
      "\"tag:'vip' AND company_id:5\"; string values in single quotes like "
      "'vip'; AND, OR, parentheses, :> (at least), :< (at most), null. "
      "Fields: name, email, phone, mobile, company_id, twitter_id, active, "
      "tag, language, time_zone, created_at, updated_at, cf_* custom "
      "fields. A field filter, NOT full-text search of subject/body. Do not "
      "combine with the structured arguments" },
    { "email", FD_EMAIL, FD_IN_SEARCH, 3, 254, NULL, "email",
      "Exact email address" },
    { "phone", FD_STR, FD_IN_SEARCH, 1, 50, NULL, "phone",
      "Exact phone number" },
    { "company_id", FD_ID, FD_IN_SEARCH, 0, 0, NULL, "company_id",
      "Company ID" },
    { "tag", FD_STR, FD_IN_SEARCH, 1, 100, NULL, "tag",
      "A tag the contacts carry, e.g. \"vip\"" },
    NGX_HTTP_FRESHDESK_SEARCH_SINCE_ARGS
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_autocomplete_contacts_args[] =
{
    { "term", FD_STR, FD_IN_QUERY|FD_REQUIRED, 2, 100, NULL, NULL,
      "Beginning of the contact name, at least 2 characters" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* the contact properties create_contact and update_contact both set */
#define NGX_HTTP_FRESHDESK_CONTACT_FIELDS_ARGS  \
    { "email", FD_EMAIL, FD_IN_BODY, 3, 254, NULL, NULL,             \
      "Primary email address (unique among contacts)" },             \
    { "phone", FD_STR, FD_IN_BODY, 1, 50, NULL, NULL,                \
      "Phone number" },                                              \
    { "mobile", FD_STR, FD_IN_BODY, 1, 50, NULL, NULL,               \
      "Mobile number" },                                             \
    { "twitter_id", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,          \
      "Twitter handle" },                                            \
    { "unique_external_id", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,  \
      "External ID from another system (unique)" },                  \
    { "company_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,             \
      "ID of the contact's primary company" },                       \
    { "other_emails", FD_EMAILS, FD_IN_BODY, 1, 10, NULL, NULL,      \
      "Additional email addresses (up to 10)" },                     \
    { "job_title", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,           \
      "Job title" },                                                 \
    { "language", FD_STR, FD_IN_BODY, 2, 10, NULL, NULL,             \
      "Language code, e.g. \"en\", \"fr\", \"pt-BR\"" },             \
    { "time_zone", FD_STR, FD_IN_BODY, 1, 100, NULL, NULL,           \
      "Time zone name, e.g. \"Eastern Time (US & Canada)\"" },       \
    { "address", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,             \
      "Postal address" },                                            \
    { "description", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,       \
      "Notes about the contact" },


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_contact_args[] =
{
    { "name", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 255, NULL, NULL,
      "Full name" },
    NGX_HTTP_FRESHDESK_CONTACT_FIELDS_ARGS
    { "tags", FD_STRS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Tags, e.g. [\"vip\", \"billing\"]" },
    { "custom_fields", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Custom field values by name (names in list_contact_fields)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_update_contact_args[] =
{
    { "contact_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric contact ID" },
    { "name", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,
      "Full name" },
    NGX_HTTP_FRESHDESK_CONTACT_FIELDS_ARGS
    { "tags", FD_STRS, FD_IN_BODY, 0, 50, NULL, NULL,
      "New complete tag list, replacing the current one ([] removes all "
      "tags)" },
    { "custom_fields", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Custom field values to set by name" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_make_contact_agent_args[] =
{
    { "contact_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric contact ID" },
    { "occasional", FD_BOOL, FD_IN_BODY, 0, 0, NULL, NULL,
      "true for an occasional (day pass) agent; default full-time" },
    { "ticket_scope", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2|3", NULL,
      "Tickets the agent can access: 1 Global (all), 2 Group (their "
      "groups), 3 Restricted (assigned to them)" },
    { "type", FD_ENUM, FD_IN_BODY, 0, 0,
      "support_agent|field_agent|collaborator", NULL,
      "Agent type (default support_agent)" },
    { "role_ids", FD_IDS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Role IDs (see list_roles)" },
    { "group_ids", FD_IDS, FD_IN_BODY, 1, 100, NULL, NULL,
      "Group IDs (see list_groups)" },
    { "skill_ids", FD_IDS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Skill IDs (see list_skills)" },
    { "signature", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,
      "Email signature, HTML allowed" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_merge_contacts_args[] =
{
    { "primary_contact_id", FD_ID, FD_IN_BODY|FD_REQUIRED, 0, 0, NULL, NULL,
      "ID of the contact that remains" },
    { "secondary_contact_ids", FD_IDS, FD_IN_BODY|FD_REQUIRED, 1, 100,
      NULL, NULL,
      "IDs of the contacts merged into it" },
    { "contact", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Values the primary keeps after the merge: {\"email\", \"phone\", "
      "\"mobile\", \"other_emails\": [...], \"company_ids\": [...]}" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* tools without arguments */
static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_none_args[] =
{
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_company_id_args[] =
{
    { "company_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric company ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_search_companies_args[] =
{
    { "query", FD_STR, FD_IN_RAWQ, 1, 510, NULL, NULL,
      "Raw Freshdesk query language, without the outer double quotes, e.g. "
      "\"domain:'acme.com'\"; string values in single quotes like 'vip'; "
      "AND, OR, parentheses, :> (at least), :< (at most), null. Fields: "
      "name, domain, created_at, updated_at, cf_* custom fields. A field "
      "filter, NOT full-text search of subject/body. Do not combine with "
      "the structured arguments" },
    { "name", FD_STR, FD_IN_SEARCH, 1, 255, NULL, "name",
      "Exact company name" },
    { "domain", FD_STR, FD_IN_SEARCH, 1, 255, NULL, "domain",
      "A domain of the company, e.g. \"acme.com\"" },
    NGX_HTTP_FRESHDESK_SEARCH_SINCE_ARGS
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_autocomplete_companies_args[] =
{
    { "name", FD_STR, FD_IN_QUERY|FD_REQUIRED, 1, 255, NULL, NULL,
      "Beginning of the company name" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* the company properties create_company and update_company both set */
#define NGX_HTTP_FRESHDESK_COMPANY_FIELDS_ARGS  \
    { "domains", FD_STRS, FD_IN_BODY, 1, 50, NULL, NULL,                   \
      "Email domains of the company, e.g. [\"acme.com\"]; contacts with "  \
      "these domains are linked to it" },                                  \
    { "description", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,             \
      "Description of the company" },                                      \
    { "note", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,                    \
      "Internal note about the company" },                                 \
    { "health_score", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,              \
      "Health score, one of the choices in list_company_fields, e.g. "     \
      "\"Happy\"" },                                                       \
    { "account_tier", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,              \
      "Account tier, one of the choices in list_company_fields, e.g. "     \
      "\"Premium\"" },                                                     \
    { "renewal_date", FD_DATETIME, FD_IN_BODY, 0, 0, NULL, NULL,           \
      "Contract renewal date, ISO-8601 \"2024-05-01\" or "                 \
      "\"2024-05-01T10:20:30Z\"" },                                        \
    { "industry", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,                  \
      "Industry, one of the choices in list_company_fields" },             \
    { "custom_fields", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,            \
      "Custom field values by name (names in list_company_fields)" },


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_company_args[] =
{
    { "name", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 255, NULL, NULL,
      "Company name (unique)" },
    NGX_HTTP_FRESHDESK_COMPANY_FIELDS_ARGS
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_update_company_args[] =
{
    { "company_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric company ID" },
    { "name", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,
      "Company name (unique)" },
    NGX_HTTP_FRESHDESK_COMPANY_FIELDS_ARGS
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_list_agents_args[] = {
    { "email", FD_EMAIL, FD_IN_QUERY, 3, 254, NULL, NULL,
      "Only the agent with this email" },
    { "mobile", FD_STR, FD_IN_QUERY, 1, 50, NULL, NULL,
      "Only agents with this mobile number" },
    { "phone", FD_STR, FD_IN_QUERY, 1, 50, NULL, NULL,
      "Only agents with this phone number" },
    { "state", FD_ENUM, FD_IN_QUERY, 0, 0, "fulltime|occasional", NULL,
      "Only full-time or only occasional agents" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_get_agent_args[] = {
    { "agent_id", FD_ID_OR_ME, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Agent ID, or \"me\" for the agent owning the API key" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_get_group_args[] = {
    { "group_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric group ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_get_role_args[] = {
    { "role_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric role ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_people[] = {

    /* contacts */

    { "list_contacts", "List contacts",
      "List contacts (customers) page by page, optionally filtered by exact "
      "email, phone, mobile, company or state. To find a contact by the start "
      "of the name use autocomplete_contacts; for tag or date filters use "
      "search_contacts.",
      NGX_HTTP_GET, "/contacts", 0, NULL,
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_contacts_args },

    { "get_contact", "Get contact",
      "Fetch one contact (customer) by ID: name, emails, phones, company, job "
      "title, tags, custom fields, active and deleted flags. Agents are "
      "fetched with get_agent.",
      NGX_HTTP_GET, "/contacts/{contact_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_contact_id_args },

    { "search_contacts", "Search contacts",
      "Filter contacts by field values with the Freshdesk search API: 30 per "
      "page, at most 10 pages (300 results), the answer has the true total. "
      "Give structured arguments (AND-ed) or a raw query, not both. It is a "
      "field filter, not full-text search; to find a contact by the start of "
      "the name use autocomplete_contacts.",
      NGX_HTTP_GET, "/search/contacts", 0, NULL,
      FD_PAGE_SEARCH, FD_R,
      "query,email,phone,company_id,tag,created_since,updated_since", "results",
      NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_search_contacts_args },

    { "autocomplete_contacts", "Autocomplete contacts",
      "Find contacts whose name starts with the given text; returns a short "
      "list of id and name. Use it to turn a person's name into a contact ID.",
      NGX_HTTP_GET, "/contacts/autocomplete", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_autocomplete_contacts_args },

    { "create_contact", "Create contact",
      "Create a contact (customer). name is required, plus at least one of "
      "email, phone, mobile, twitter_id or unique_external_id; the email must "
      "not belong to another contact.",
      NGX_HTTP_POST, "/contacts", 0, NULL,
      FD_PAGE_NONE, FD_A, "email,phone,mobile,twitter_id,unique_external_id",
      NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_contact_args },

    { "update_contact", "Update contact",
      "Change fields of a contact; only the given fields are sent. tags and "
      "other_emails REPLACE the whole list: include the existing values to "
      "keep them.",
      NGX_HTTP_PUT, "/contacts/{contact_id}", 0, NULL,
      FD_PAGE_NONE, FD_U,
      "name,email,phone,mobile,twitter_id,unique_external_id,company_id,"
      "other_emails,job_title,language,time_zone,address,description,tags,"
      "custom_fields", NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_update_contact_args },

    { "delete_contact", "Delete contact",
      "Soft-delete a contact: it moves to the deleted state and can be "
      "brought back with restore_contact.",
      NGX_HTTP_DELETE, "/contacts/{contact_id}", 0, NULL,
      FD_PAGE_NONE, FD_D, NULL, NULL, "contact {contact_id} deleted",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_contact_id_args },

    { "restore_contact", "Restore contact",
      "Restore a soft-deleted contact.",
      NGX_HTTP_PUT, "/contacts/{contact_id}/restore", 0, NULL,
      FD_PAGE_NONE, FD_S, NULL, NULL, "contact {contact_id} restored",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_contact_id_args },

    { "make_contact_agent", "Make contact an agent",
      "Convert a contact into an agent. This takes a paid agent seat, fails "
      "without a free seat or without an email, and cannot simply be undone.",
      NGX_HTTP_PUT, "/contacts/{contact_id}/make_agent", 0, NULL,
      FD_PAGE_NONE, FD_X, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_make_contact_agent_args },

    { "send_contact_invite", "Send contact invite",
      "Email a contact an invitation to activate their support portal account.",
      NGX_HTTP_PUT, "/contacts/{contact_id}/send_invite", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, "invitation sent to contact {contact_id}",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_contact_id_args },

    { "merge_contacts", "Merge contacts",
      "Merge secondary contacts into a primary contact: their tickets and "
      "details move to the primary and the secondary contacts are removed. "
      "This cannot be undone.",
      NGX_HTTP_POST, "/contacts/merge", 0, NULL,
      FD_PAGE_NONE, FD_X, NULL, NULL,
      "contacts {secondary_contact_ids} merged into {primary_contact_id}",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_merge_contacts_args },

    { "list_contact_fields", "List contact fields",
      "List the contact fields, default and custom (cf_*), with types and "
      "choices; use it to find custom field names for create_contact and "
      "update_contact.",
      NGX_HTTP_GET, "/contact_fields", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    /* companies */

    { "list_companies", "List companies",
      "List all companies page by page. To find a company by name use "
      "autocomplete_companies or search_companies.",
      NGX_HTTP_GET, "/companies", 0, NULL,
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "get_company", "Get company",
      "Fetch one company by ID: name, domains, description, note, health "
      "score, account tier, renewal date, industry and custom fields.",
      NGX_HTTP_GET, "/companies/{company_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_company_id_args },

    { "search_companies", "Search companies",
      "Filter companies by field values with the Freshdesk search API: 30 per "
      "page, at most 10 pages (300 results), the answer has the true total. "
      "Give structured arguments (AND-ed) or a raw query, not both. It is a "
      "field filter, not full-text search; to find a company by the start of "
      "its name use autocomplete_companies.",
      NGX_HTTP_GET, "/search/companies", 0, NULL,
      FD_PAGE_SEARCH, FD_R, "query,name,domain,created_since,updated_since",
      "results", NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_search_companies_args },

    { "autocomplete_companies", "Autocomplete companies",
      "Find companies whose name starts with the given text; returns a short "
      "list of id and name. Use it to turn a company name into a company ID.",
      NGX_HTTP_GET, "/companies/autocomplete", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, "companies", NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_autocomplete_companies_args },

    { "create_company", "Create company",
      "Create a company; the name must be unique. Contacts are linked to it "
      "through their company_id.",
      NGX_HTTP_POST, "/companies", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_company_args },

    { "update_company", "Update company",
      "Change fields of a company; only the given fields are sent. domains "
      "REPLACES the whole domain list.",
      NGX_HTTP_PUT, "/companies/{company_id}", 0, NULL,
      FD_PAGE_NONE, FD_U,
      "name,domains,description,note,health_score,account_tier,renewal_date,"
      "industry,custom_fields", NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_update_company_args },

    { "delete_company", "Delete company",
      "Delete a company. This cannot be undone.",
      NGX_HTTP_DELETE, "/companies/{company_id}", 0, NULL,
      FD_PAGE_NONE, FD_D, NULL, NULL, "company {company_id} deleted",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_company_id_args },

    { "list_company_fields", "List company fields",
      "List the company fields, default and custom (cf_*), with types and "
      "choices (e.g. health_score, account_tier, industry); use it to find "
      "valid values for create_company and update_company.",
      NGX_HTTP_GET, "/company_fields", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    /* agents, groups, roles, skills */

    { "list_agents", "List agents",
      "List agents page by page, optionally filtered by exact email, phone, "
      "mobile or state. Agent IDs are the responder_id and user_id values "
      "seen on tickets and conversations.",
      NGX_HTTP_GET, "/agents", 0, NULL,
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_agents_args },

    { "get_agent", "Get agent",
      "Fetch one agent by ID, or the agent owning the API key with \"me\": "
      "name and email (under contact), ticket_scope (1 Global, 2 Group, 3 "
      "Restricted), group_ids, role_ids and availability.",
      NGX_HTTP_GET, "/agents/{agent_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_get_agent_args },

    { "list_groups", "List groups",
      "List agent groups page by page: id, name, description, agent_ids and "
      "escalation settings. Use the id as group_id on tickets.",
      NGX_HTTP_GET, "/groups", 0, NULL,
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "get_group", "Get group",
      "Fetch one agent group by ID with its member agent_ids, escalation and "
      "automatic assignment settings.",
      NGX_HTTP_GET, "/groups/{group_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_get_group_args },

    { "list_roles", "List roles",
      "List agent roles (id, name, description); role IDs are used by "
      "make_contact_agent.",
      NGX_HTTP_GET, "/roles", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "get_role", "Get role",
      "Fetch one agent role by ID: name, description and whether it is a "
      "built-in default role.",
      NGX_HTTP_GET, "/roles/{role_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_get_role_args },

    { "list_skills", "List skills",
      "List the skills used for skill-based ticket routing, with their "
      "matching conditions and agents.",
      NGX_HTTP_GET, "/admin/skills", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { NULL, NULL, NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL, 0, NULL }
};
