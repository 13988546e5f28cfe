
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Catalog rows: products, business hours, SLA policies, automations, email
 * configs, canned responses and the freshdesk_request escape hatch.
 */


#include "ngx_http_freshdesk_tools.h"


/* tools without arguments */
static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_none_args[] =
{
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_business_hours_args[] =
{
    { "business_hour_id", FD_ID, FD_IN_PATH, 0, 0, NULL, NULL,
      "Fetch only this calendar" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_automation_rules_args[] =
{
    { "automation_type_id", FD_INT_ENUM, FD_IN_PATH|FD_REQUIRED, 0, 0,
      "1|3|4", NULL,
      "Rule type: 1 ticket creation, 3 time triggers, 4 ticket updates" },
    { "rule_id", FD_ID, FD_IN_PATH, 0, 0, NULL, NULL,
      "Fetch only this rule" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_canned_responses_args[] =
{
    { "folder_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Canned response folder ID (from list_canned_response_folders)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_get_canned_response_args[] =
{
    { "canned_response_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric canned response ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_canned_response_args[] =
{
    { "title", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 255, NULL, NULL,
      "Title of the response" },
    { "content_html", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 65536, NULL, NULL,
      "Response text, HTML allowed" },
    { "folder_id", FD_ID, FD_IN_BODY|FD_REQUIRED, 0, 0, NULL, NULL,
      "Folder ID (see list_canned_response_folders)" },
    { "visibility", FD_INT_ENUM, FD_IN_BODY|FD_REQUIRED, 0, 0, "0|1|2", NULL,
      "Who can use it: 0 all agents, 1 only the API key's agent, 2 the "
      "groups in group_ids" },
    { "group_ids", FD_IDS, FD_IN_BODY, 1, 100, NULL, NULL,
      "Group IDs, with visibility 2" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_freshdesk_request_args[] =
{
    { "path", FD_PATH, FD_IN_NONE|FD_REQUIRED, 1, 512, NULL, NULL,
      "Relative API path starting with /, appended to /api/v2, e.g. "
      "\"/tickets/42/summary\"; no scheme, host, \"..\", ? or #" },
    { "method", FD_ENUM, FD_IN_NONE, 0, 0, "GET|POST|PUT|DELETE", NULL,
      "HTTP method, default GET; POST, PUT and DELETE only when "
      "freshdesk_request_writes is on" },
    { "query", FD_STR_MAP, FD_IN_NONE, 0, 0, NULL, NULL,
      "Query parameters as an object of strings, numbers or booleans, e.g. "
      "{\"page\": 2, \"per_page\": 100}" },
    { "body", FD_OBJECT, FD_IN_NONE, 0, 0, NULL, NULL,
      "JSON body for POST or PUT" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_admin[] = {

    /* account configuration */

    { "list_products", "List products",
      "List the products (brands) of the account with their support email; "
      "use the id as product_id on tickets.",
      NGX_HTTP_GET, "/products", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "list_business_hours", "List business hours",
      "List the business hours calendars, or fetch one when business_hour_id "
      "is given: time zone and working hours per weekday. SLA timers and "
      "groups use them.",
      NGX_HTTP_GET, "/business_hours/{business_hour_id}",
      NGX_HTTP_GET, "/business_hours",
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_business_hours_args },

    { "list_sla_policies", "List SLA policies",
      "List the SLA policies: respond and resolve targets per priority (in "
      "seconds), the tickets each applies to (companies, groups, sources, "
      "types, products) and escalation rules.",
      NGX_HTTP_GET, "/sla_policies", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "list_automation_rules", "List automation rules",
      "List the automation rules of one type, or fetch one when rule_id is "
      "given: conditions, actions, active flag and position. Types: 1 ticket "
      "creation, 3 time triggers (hourly), 4 ticket updates.",
      NGX_HTTP_GET, "/automations/{automation_type_id}/rules/{rule_id}",
      NGX_HTTP_GET, "/automations/{automation_type_id}/rules",
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_automation_rules_args },

    { "list_email_configs", "List email configs",
      "List the support email addresses (mailboxes) of the account; use the "
      "id as email_config_id (e.g. in create_outbound_email) and the address "
      "as from_email in replies.",
      NGX_HTTP_GET, "/email_configs", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    /* canned responses */

    { "list_canned_response_folders", "List canned response folders",
      "List the folders of canned responses (saved reply templates) with "
      "their response counts; then use list_canned_responses with a folder ID.",
      NGX_HTTP_GET, "/canned_response_folders", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "list_canned_responses", "List canned responses",
      "List the canned responses (saved reply templates) of a folder: id, "
      "title and content.",
      NGX_HTTP_GET, "/canned_response_folders/{folder_id}/responses", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_canned_responses_args },

    { "get_canned_response", "Get canned response",
      "Fetch one canned response with its full HTML content, e.g. to reuse in "
      "reply_ticket. Placeholders such as {{ticket.id}} are returned as "
      "written, not filled in.",
      NGX_HTTP_GET, "/canned_responses/{canned_response_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_get_canned_response_args },

    { "create_canned_response", "Create canned response",
      "Save a new canned response (reply template) in a folder.",
      NGX_HTTP_POST, "/canned_responses", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_canned_response_args },

    /* escape hatch */

    { "freshdesk_request", "Freshdesk API request",
      "Call any Freshdesk API v2 endpoint that has no dedicated tool, by "
      "relative /api/v2 path, e.g. \"/tickets/42/summary\" or "
      "\"/tickets/archived/42\". Only GET is allowed unless the operator "
      "enabled writes with freshdesk_request_writes. The path must start with "
      "/ and contain no scheme, host, \"..\" or query string: pass query "
      "parameters in query.",
      NGX_HTTP_GET, NULL, 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_REQUEST,
      ngx_http_freshdesk_freshdesk_request_args },

    { NULL, NULL, NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL, 0, NULL }
};
