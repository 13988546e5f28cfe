
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Catalog rows: tickets, conversations, time entries, satisfaction ratings,
 * background jobs, ticket fields.
 */


#include "ngx_http_freshdesk_tools.h"


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_get_ticket_args[] = {
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "include", FD_ENUMS, FD_IN_QUERY, 1, 4,
      "conversations|requester|company|stats", NULL,
      "Extra data to embed: conversations (oldest 10 only), requester, "
      "company, stats (response and resolution timestamps)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_tickets_args[] =
{
    { "filter", FD_ENUM, FD_IN_QUERY, 0, 0,
      "new_and_my_open|watching|spam|deleted", NULL,
      "Predefined view; when given, the other filters are ignored: "
      "new_and_my_open (new, or open and assigned to the API key's agent), "
      "watching (watched by that agent), spam, deleted (in trash)" },
    { "requester_id", FD_ID, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only tickets of this requester (contact ID)" },
    { "email", FD_EMAIL, FD_IN_QUERY, 3, 254, NULL, NULL,
      "Only tickets of the requester with this email" },
    { "unique_external_id", FD_STR, FD_IN_QUERY, 1, 255, NULL, NULL,
      "Only tickets of the requester with this external ID" },
    { "company_id", FD_ID, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only tickets of this company ID" },
    { "updated_since", FD_DATETIME, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only tickets updated at or after this time, ISO-8601 \"2024-05-01\" "
      "or \"2024-05-01T10:20:30Z\"; also lifts the 30-day creation window" },
    { "order_by", FD_ENUM, FD_IN_QUERY, 0, 0,
      "created_at|due_by|updated_at|status", NULL,
      "Sort field (default created_at)" },
    { "order_type", FD_ENUM, FD_IN_QUERY, 0, 0, "asc|desc", NULL,
      "Sort direction (default desc)" },
    { "include", FD_ENUMS, FD_IN_QUERY, 1, 3,
      "stats|requester|description", NULL,
      "Extra data per ticket: stats (response and resolution timestamps), "
      "requester (name, email, phone), description (the ticket body, "
      "otherwise omitted); each costs extra Freshdesk rate-limit credits" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_search_tickets_args[] =
{
    { "query", FD_STR, FD_IN_RAWQ, 1, 510, NULL, NULL,
      "Raw Freshdesk query language, without the outer double quotes, e.g. "
      "\"priority:3 AND status:2\"; string values in single quotes like "
      "'vip'; AND, OR, parentheses, :> (at least), :< (at most), null. "
      "Fields: agent_id, group_id, priority, status, tag, type, due_by, "
      "fr_due_by, created_at, updated_at, cf_* custom fields. A field "
      "filter, NOT full-text search of subject/body. Do not combine with "
      "the structured arguments" },
    { "status", FD_INTS, FD_IN_SEARCH, 1, 6, "2|3|4|5|6|7", "status",
      "Statuses to match (OR-ed): 2 Open, 3 Pending, 4 Resolved, 5 Closed, "
      "6 and 7 custom statuses" },
    { "priority", FD_INTS, FD_IN_SEARCH, 1, 4, "1|2|3|4", "priority",
      "Priorities to match (OR-ed): 1 Low, 2 Medium, 3 High, 4 Urgent" },
    { "agent_id", FD_ID, FD_IN_SEARCH, 0, 0, NULL, "agent_id",
      "Assigned agent ID (responder_id)" },
    { "group_id", FD_ID, FD_IN_SEARCH, 0, 0, NULL, "group_id",
      "Assigned group ID" },
    { "tag", FD_STR, FD_IN_SEARCH, 1, 100, NULL, "tag",
      "A tag the tickets carry, e.g. \"vip\"" },
    { "type", FD_STR, FD_IN_SEARCH, 1, 100, NULL, "type",
      "Ticket type, e.g. \"Incident\" (choices in list_ticket_fields)" },
    NGX_HTTP_FRESHDESK_SEARCH_SINCE_ARGS
    { "due_before", FD_DATETIME, FD_IN_SEARCH, 0, 0, NULL, "due_by:<",
      "Resolution due on or before this ISO-8601 date \"2024-05-01\"" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* the one argument of every tool that acts on a whole ticket */
static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_ticket_id_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_ticket_fields_args[] =
{
    { "type", FD_STR, FD_IN_QUERY, 1, 64, NULL, NULL,
      "Only fields of this type, e.g. \"default_status\", "
      "\"custom_dropdown\"" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* the ticket properties create_ticket and update_ticket both set */
#define NGX_HTTP_FRESHDESK_TICKET_FIELDS_ARGS  \
    { "source", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2|3|7|9|10", NULL,         \
      "Channel: 1 Email, 2 Portal, 3 Phone, 7 Chat, 9 Feedback widget, 10 "  \
      "Outbound email" },                                                    \
    { "type", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,                        \
      "Ticket type, one of the choices of the type field (see "              \
      "list_ticket_fields), e.g. \"Incident\"" },                            \
    { "responder_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,                   \
      "ID of the agent to assign" },                                         \
    { "group_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,                       \
      "ID of the group to assign" },                                         \
    { "company_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,                     \
      "Company ID; the requester must belong to it" },                       \
    { "product_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,                     \
      "Product ID (see list_products)" },


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_ticket_args[] =
{
    { "subject", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 255, NULL, NULL,
      "Ticket subject" },
    { "description", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 65536, NULL, NULL,
      "Ticket body, HTML allowed" },
    { "email", FD_EMAIL, FD_IN_BODY, 3, 254, NULL, NULL,
      "Requester email; an unknown address creates a contact" },
    { "requester_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Requester contact ID" },
    { "phone", FD_STR, FD_IN_BODY, 1, 50, NULL, NULL,
      "Requester phone number; for an unknown number also give name" },
    { "unique_external_id", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,
      "Requester external ID" },
    { "name", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,
      "Requester name, used when a new contact is created (needed with "
      "phone)" },
    { "status", FD_INT, FD_IN_BODY, 2, 99, NULL, NULL,
      "2 Open, 3 Pending, 4 Resolved, 5 Closed; 6 and up are custom "
      "statuses (see list_ticket_fields)" },
    { "priority", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2|3|4", NULL,
      "1 Low (default), 2 Medium, 3 High, 4 Urgent" },
    NGX_HTTP_FRESHDESK_TICKET_FIELDS_ARGS
    { "email_config_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Support mailbox ID replies are sent from (see list_email_configs)" },
    { "tags", FD_STRS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Tags, e.g. [\"vip\", \"billing\"]" },
    { "cc_emails", FD_EMAILS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Email addresses to copy on the ticket" },
    { "due_by", FD_DATETIME, FD_IN_BODY, 0, 0, NULL, NULL,
      "Resolution due time, ISO-8601 \"2024-05-01\" or "
      "\"2024-05-01T10:20:30Z\"; give together with fr_due_by" },
    { "fr_due_by", FD_DATETIME, FD_IN_BODY, 0, 0, NULL, NULL,
      "First response due time, ISO-8601 \"2024-05-01\" or "
      "\"2024-05-01T10:20:30Z\"; give together with due_by" },
    { "custom_fields", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Custom field values by name, e.g. {\"cf_order_id\": \"A-17\"} (names "
      "in list_ticket_fields)" },
    { "parent_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Create this ticket as a child of that parent ticket ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_update_ticket_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "subject", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,
      "New subject" },
    { "description", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,
      "New ticket body, HTML allowed" },
    { "status", FD_INT, FD_IN_BODY, 2, 99, NULL, NULL,
      "2 Open, 3 Pending, 4 Resolved, 5 Closed; 6 and up are custom "
      "statuses (see list_ticket_fields)" },
    { "priority", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2|3|4", NULL,
      "1 Low, 2 Medium, 3 High, 4 Urgent" },
    NGX_HTTP_FRESHDESK_TICKET_FIELDS_ARGS
    { "tags", FD_STRS, FD_IN_BODY, 0, 50, NULL, NULL,
      "New complete tag list, replacing the current one ([] removes all "
      "tags)" },
    { "due_by", FD_DATETIME, FD_IN_BODY, 0, 0, NULL, NULL,
      "Resolution due time, ISO-8601 \"2024-05-01\" or "
      "\"2024-05-01T10:20:30Z\"" },
    { "fr_due_by", FD_DATETIME, FD_IN_BODY, 0, 0, NULL, NULL,
      "First response due time, ISO-8601 \"2024-05-01\" or "
      "\"2024-05-01T10:20:30Z\"" },
    { "custom_fields", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Custom field values to set by name, e.g. {\"cf_order_id\": \"A-17\"}" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_bulk_update_tickets_args[] =
{
    { "ids", FD_IDS, FD_IN_BODY|FD_REQUIRED, 1, 100, NULL, "bulk_action.ids",
      "Ticket IDs (1 to 100)" },
    { "properties", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, "bulk_action.properties",
      "Fields to set on every ticket, named as in update_ticket, e.g. "
      "{\"status\": 4, \"group_id\": 3}" },
    { "reply_body", FD_STR, FD_IN_BODY, 1, 65536,
      NULL, "bulk_action.reply.body",
      "HTML reply emailed to the requester of every ticket" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_bulk_delete_tickets_args[] =
{
    { "ids", FD_IDS, FD_IN_BODY|FD_REQUIRED, 1, 100, NULL, "bulk_action.ids",
      "Ticket IDs (1 to 100)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_get_job_args[] = {
    { "job_id", FD_KEY, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Job ID returned by the bulk tool" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_merge_tickets_args[] =
{
    { "primary_id", FD_ID, FD_IN_BODY|FD_REQUIRED, 0, 0, NULL, NULL,
      "ID of the ticket that remains" },
    { "ticket_ids", FD_IDS, FD_IN_BODY|FD_REQUIRED, 1, 100, NULL, NULL,
      "IDs of the tickets merged into it (they get closed)" },
    { "note_in_primary", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Note added to the primary ticket: {\"body\": \"HTML\", \"private\": "
      "true}" },
    { "note_in_secondary", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Note added to each secondary ticket: {\"body\": \"HTML\", "
      "\"private\": true}" },
    { "convert_recipients_to_cc", FD_BOOL, FD_IN_BODY, 0, 0,
      NULL, "convert_recepients_to_cc",
      "Add the requesters of the secondary tickets as CC on the primary "
      "ticket" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* copies and sender of reply_ticket and forward_ticket */
#define NGX_HTTP_FRESHDESK_SEND_ARGS  \
    { "cc_emails", FD_EMAILS, FD_IN_BODY, 1, 50, NULL, NULL,   \
      "Email addresses to copy" },                             \
    { "bcc_emails", FD_EMAILS, FD_IN_BODY, 1, 50, NULL, NULL,  \
      "Email addresses to blind copy" },                       \
    { "from_email", FD_EMAIL, FD_IN_BODY, 3, 254, NULL, NULL,  \
      "Sender, one of the account's support addresses (see "   \
      "list_email_configs); omit for the default" },


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_reply_ticket_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "body", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 65536, NULL, NULL,
      "Reply text, HTML allowed" },
    NGX_HTTP_FRESHDESK_SEND_ARGS
    { "user_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Agent ID the reply is sent as; default the API key's agent" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_add_note_args[] = {
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "body", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 65536, NULL, NULL,
      "Note text, HTML allowed" },
    { "private", FD_BOOL, FD_IN_BODY, 0, 0, NULL, NULL,
      "false makes the note public (visible to the requester); default "
      "true, agents only" },
    { "notify_emails", FD_EMAILS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Agent email addresses to notify about the note" },
    { "incoming", FD_BOOL, FD_IN_BODY, 0, 0, NULL, NULL,
      "true records the note as coming from outside (customer side); "
      "default false" },
    { "user_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Author (agent or contact ID); default the API key's agent" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_forward_ticket_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "to_emails", FD_EMAILS, FD_IN_BODY|FD_REQUIRED, 1, 50, NULL, NULL,
      "Recipient email addresses" },
    { "body", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,
      "Text above the forwarded ticket, HTML allowed" },
    NGX_HTTP_FRESHDESK_SEND_ARGS
    { "agent_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Agent ID the forward is sent as; default the API key's agent" },
    { "include_original_attachments", FD_BOOL, FD_IN_BODY, 0, 0, NULL, NULL,
      "Attach the original ticket's attachments" },
    { "include_quoted_text", FD_BOOL, FD_IN_BODY, 0, 0, NULL, NULL,
      "Include the original ticket text below the body" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_add_watcher_args[] = {
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "user_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Agent ID to add; default the API key's agent" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_remove_watcher_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "user_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,
      "Agent ID to remove; default the API key's agent" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_outbound_email_args[] =
{
    { "email", FD_EMAIL, FD_IN_BODY|FD_REQUIRED, 3, 254, NULL, NULL,
      "Recipient (requester) email address" },
    { "subject", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 255, NULL, NULL,
      "Email subject" },
    { "email_config_id", FD_ID, FD_IN_BODY|FD_REQUIRED, 0, 0, NULL, NULL,
      "Support mailbox to send from (see list_email_configs)" },
    { "description", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,
      "Email body, HTML allowed" },
    { "status", FD_INT, FD_IN_BODY, 2, 99, NULL, NULL,
      "2 Open, 3 Pending, 4 Resolved, 5 Closed; 6 and up are custom "
      "statuses (see list_ticket_fields); Freshdesk may close outbound "
      "tickets unless 2 is given" },
    { "priority", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2|3|4", NULL,
      "1 Low, 2 Medium, 3 High, 4 Urgent" },
    { "cc_emails", FD_EMAILS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Email addresses to copy" },
    { "tags", FD_STRS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Tags, e.g. [\"vip\", \"billing\"]" },
    { "custom_fields", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Custom field values by name, e.g. {\"cf_order_id\": \"A-17\"}" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t  ngx_http_freshdesk_update_note_args[] = {
    { "conversation_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Note ID (conversation id from list_ticket_conversations)" },
    { "body", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 65536, NULL, NULL,
      "New note text, HTML allowed; replaces the old text" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_delete_conversation_args[] =
{
    { "conversation_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Conversation ID (from list_ticket_conversations)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_time_entries_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH, 0, 0, NULL, NULL,
      "Only this ticket's entries (the other filters then do not apply)" },
    { "agent_id", FD_ID, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only entries of this agent ID" },
    { "company_id", FD_ID, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only entries on tickets of this company ID" },
    { "executed_after", FD_DATETIME, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only work done at or after this time, ISO-8601 \"2024-05-01\" or "
      "\"2024-05-01T10:20:30Z\"" },
    { "executed_before", FD_DATETIME, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only work done at or before this time, ISO-8601 \"2024-05-01\" or "
      "\"2024-05-01T10:20:30Z\"" },
    { "billable", FD_BOOL, FD_IN_QUERY, 0, 0, NULL, NULL,
      "true: billable entries only; false: non-billable only" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* the time entry properties create_time_entry and update_time_entry set */
#define NGX_HTTP_FRESHDESK_TIME_ENTRY_ARGS  \
    { "time_spent", FD_DURATION, FD_IN_BODY, 0, 0, NULL, NULL,   \
      "Time spent as \"hh:mm\", e.g. \"01:30\"" },               \
    { "agent_id", FD_ID, FD_IN_BODY, 0, 0, NULL, NULL,           \
      "Agent who did the work; default the API key's agent" },   \
    { "billable", FD_BOOL, FD_IN_BODY, 0, 0, NULL, NULL,         \
      "Whether the time is billable (default true)" },           \
    { "note", FD_STR, FD_IN_BODY, 1, 4096, NULL, NULL,           \
      "Description of the work" },                               \
    { "executed_at", FD_DATETIME, FD_IN_BODY, 0, 0, NULL, NULL,  \
      "When the work was done, ISO-8601 \"2024-05-01\" or "      \
      "\"2024-05-01T10:20:30Z\"" },                              \
    { "start_time", FD_DATETIME, FD_IN_BODY, 0, 0, NULL, NULL,   \
      "When the timer started, ISO-8601 \"2024-05-01\" or "      \
      "\"2024-05-01T10:20:30Z\"" },


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_time_entry_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    NGX_HTTP_FRESHDESK_TIME_ENTRY_ARGS
    { "timer_running", FD_BOOL, FD_IN_BODY, 0, 0, NULL, NULL,
      "true starts a running timer on the entry" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_update_time_entry_args[] =
{
    { "time_entry_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Time entry ID (from list_time_entries)" },
    NGX_HTTP_FRESHDESK_TIME_ENTRY_ARGS
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_time_entry_id_args[] =
{
    { "time_entry_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Time entry ID (from list_time_entries)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_satisfaction_ratings_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH, 0, 0, NULL, NULL,
      "Only this ticket's ratings" },
    { "created_since", FD_DATETIME, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Only ratings created at or after this time, ISO-8601 \"2024-05-01\" "
      "or \"2024-05-01T10:20:30Z\" (account-wide list)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_satisfaction_rating_args[] =
{
    { "ticket_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric ticket ID" },
    { "rating", FD_INT, FD_IN_BODY|FD_REQUIRED, -103, 103,
      NULL, "ratings.default_question",
      "Answer to the default survey question: 103 extremely happy, 102 very "
      "happy, 101 happy, 100 neutral, -101 unhappy, -102 very unhappy, -103 "
      "extremely unhappy (accepted values per survey in list_surveys)" },
    { "feedback", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,
      "The customer's comment" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_surveys_args[] =
{
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_tickets[] = {

    /* tickets */

    { "get_ticket", "Get ticket",
      "Fetch one Freshdesk ticket by its numeric ID: subject, description, "
      "status (2 Open, 3 Pending, 4 Resolved, 5 Closed, 6+ custom), priority "
      "(1 Low, 2 Medium, 3 High, 4 Urgent), requester, agent, group, tags, "
      "custom fields and timestamps. For the whole conversation thread use "
      "list_ticket_conversations.",
      NGX_HTTP_GET, "/tickets/{ticket_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_get_ticket_args },

    { "list_tickets", "List tickets",
      "List tickets page by page (newest created first by default). Without "
      "updated_since only tickets created in the last 30 days are returned, "
      "and spam or deleted tickets only with filter. It cannot filter by "
      "status, priority, agent, group or tag: use search_tickets for that.",
      NGX_HTTP_GET, "/tickets", 0, NULL,
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_tickets_args },

    { "search_tickets", "Search tickets",
      "Filter tickets by field values with the Freshdesk search API: 30 per "
      "page, at most 10 pages (300 results), the answer has the true total. "
      "Give structured arguments (AND-ed) or a raw query, not both. It is a "
      "field filter, not full-text search: subject and description text "
      "cannot be searched. Recent changes may take a few minutes to show, and "
      "archived tickets never do.",
      NGX_HTTP_GET, "/search/tickets", 0, NULL,
      FD_PAGE_SEARCH, FD_R,
      "query,status,priority,agent_id,group_id,tag,type,created_since,"
      "updated_since,due_before", "results", NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_search_tickets_args },

    { "list_ticket_conversations", "List ticket conversations",
      "List all replies and notes of a ticket, oldest first, page by page. "
      "Each has body (HTML), body_text, private (true for private notes), "
      "incoming (true if from the customer), user_id and source (0 reply, 2 "
      "note, 8 forwarded email). get_ticket with include conversations only "
      "returns the first 10.",
      NGX_HTTP_GET, "/tickets/{ticket_id}/conversations", 0, NULL,
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_ticket_id_args },

    { "list_ticket_watchers", "List ticket watchers",
      "List the IDs of the agents watching a ticket (answer {\"watcher_ids\": "
      "[...]}). Change them with add_watcher and remove_watcher.",
      NGX_HTTP_GET, "/tickets/{ticket_id}/watchers", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_ticket_id_args },

    { "list_ticket_fields", "List ticket fields",
      "List the ticket fields of the account, default and custom (cf_*), with "
      "type, choices and required flags. Use it to learn valid ticket types, "
      "custom field names and custom status IDs (choices of the "
      "default_status field) before creating, updating or searching tickets.",
      NGX_HTTP_GET, "/ticket_fields", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_ticket_fields_args },

    { "create_ticket", "Create ticket",
      "Create a ticket. Identify the requester with one of email, "
      "requester_id, phone or unique_external_id (an unknown email creates a "
      "contact). Defaults: status 2 Open, priority 1 Low, source 2 Portal. To "
      "start an email conversation with a customer use create_outbound_email "
      "instead.",
      NGX_HTTP_POST, "/tickets", 0, NULL,
      FD_PAGE_NONE, FD_A, "email,requester_id,phone,unique_external_id", NULL,
      NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_ticket_args },

    { "update_ticket", "Update ticket",
      "Change fields of a ticket; only the given fields are sent, the others "
      "stay as they are. tags REPLACES the whole tag list: include the "
      "existing tags to keep them. Resolving or closing can fail while fields "
      "required for closure are empty; spam and deleted tickets cannot be "
      "updated.",
      NGX_HTTP_PUT, "/tickets/{ticket_id}", 0, NULL,
      FD_PAGE_NONE, FD_U,
      "subject,description,status,priority,source,type,responder_id,group_id,"
      "company_id,product_id,tags,due_by,fr_due_by,custom_fields", NULL, NULL,
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_update_ticket_args },

    { "delete_ticket", "Delete ticket",
      "Move a ticket to the trash (soft delete); restore_ticket brings it "
      "back. Deleted tickets are only listed by list_tickets with filter "
      "deleted.",
      NGX_HTTP_DELETE, "/tickets/{ticket_id}", 0, NULL,
      FD_PAGE_NONE, FD_D, NULL, NULL, "ticket {ticket_id} moved to trash",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_ticket_id_args },

    { "restore_ticket", "Restore ticket",
      "Restore a deleted ticket from the trash.",
      NGX_HTTP_PUT, "/tickets/{ticket_id}/restore", 0, NULL,
      FD_PAGE_NONE, FD_S, NULL, NULL, "ticket {ticket_id} restored",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_ticket_id_args },

    { "bulk_update_tickets", "Bulk update tickets",
      "Apply the same field changes and/or the same public reply to up to 100 "
      "tickets as a background job; returns a job_id to follow with get_job. "
      "A reply is emailed to every requester. For one ticket use "
      "update_ticket or reply_ticket.",
      NGX_HTTP_POST, "/tickets/bulk_update", 0, NULL,
      FD_PAGE_NONE, FD_X, "properties,reply_body", NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_bulk_update_tickets_args },

    { "bulk_delete_tickets", "Bulk delete tickets",
      "Move up to 100 tickets to the trash as a background job; returns a "
      "job_id to follow with get_job. Each ticket can be brought back with "
      "restore_ticket.",
      NGX_HTTP_POST, "/tickets/bulk_delete", 0, NULL,
      FD_PAGE_NONE, FD_X, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_bulk_delete_tickets_args },

    { "get_job", "Get background job",
      "Get the state of a background job started by bulk_update_tickets or "
      "bulk_delete_tickets: status in_progress, completed or failed, with "
      "per-ticket results.",
      NGX_HTTP_GET, "/jobs/{job_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_get_job_args },

    { "merge_tickets", "Merge tickets",
      "Merge secondary tickets into a primary ticket: their conversations are "
      "moved to the primary and the secondary tickets are closed. This cannot "
      "be undone.",
      NGX_HTTP_PUT, "/tickets/merge", 0, NULL,
      FD_PAGE_NONE, FD_X, NULL, NULL,
      "tickets {ticket_ids} merged into {primary_id}", FD_SPECIAL_NONE,
      ngx_http_freshdesk_merge_tickets_args },

    { "reply_ticket", "Reply to ticket",
      "Send a public reply on a ticket: it is EMAILED to the requester (and "
      "CC addresses) and added to the conversations. For an internal remark "
      "use add_note; to send the ticket to a third party use forward_ticket.",
      NGX_HTTP_POST, "/tickets/{ticket_id}/reply", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_reply_ticket_args },

    { "add_note", "Add note",
      "Add a note to a ticket. Notes are PRIVATE (agents only) by default; "
      "set private false for a public note the requester can see. To email "
      "the customer use reply_ticket instead.",
      NGX_HTTP_POST, "/tickets/{ticket_id}/notes", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_add_note_args },

    { "forward_ticket", "Forward ticket",
      "Forward a ticket by email to third parties (not the requester); the "
      "forward is added to the ticket's conversations. To answer the customer "
      "use reply_ticket.",
      NGX_HTTP_POST, "/tickets/{ticket_id}/forward", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_forward_ticket_args },

    { "add_watcher", "Watch ticket",
      "Make an agent (by default the API key's own agent) watch a ticket, so "
      "they are notified of its updates. list_ticket_watchers shows the "
      "watchers.",
      NGX_HTTP_POST, "/tickets/{ticket_id}/watch", 0, NULL,
      FD_PAGE_NONE, FD_S, NULL, NULL, "watching ticket {ticket_id}",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_add_watcher_args },

    { "remove_watcher", "Unwatch ticket",
      "Stop an agent (by default the API key's own agent) watching a ticket.",
      NGX_HTTP_PUT, "/tickets/{ticket_id}/unwatch", 0, NULL,
      FD_PAGE_NONE, FD_S, NULL, NULL, "stopped watching ticket {ticket_id}",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_remove_watcher_args },

    { "create_outbound_email", "Create outbound email",
      "Start a new email conversation with a customer: creates a ticket "
      "(source 10 Outbound email) and emails it to the given address from the "
      "chosen support mailbox. Its subject and description cannot be changed "
      "afterwards.",
      NGX_HTTP_POST, "/tickets/outbound_email", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_outbound_email_args },

    /* conversations */

    { "update_note", "Update note",
      "Replace the text of an existing note. Only notes can be edited, not "
      "replies that were already emailed.",
      NGX_HTTP_PUT, "/conversations/{conversation_id}", 0, NULL,
      FD_PAGE_NONE, FD_U, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_update_note_args },

    { "delete_conversation", "Delete conversation",
      "Delete a note or reply from a ticket. This cannot be undone, and a "
      "reply that was already emailed is not recalled.",
      NGX_HTTP_DELETE, "/conversations/{conversation_id}", 0, NULL,
      FD_PAGE_NONE, FD_D, NULL, NULL, "conversation {conversation_id} deleted",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_delete_conversation_args },

    /* time entries */

    { "list_time_entries", "List time entries",
      "List time entries page by page: those of one ticket when ticket_id is "
      "given, otherwise of all tickets, filtered by agent, company, date and "
      "billable. Each entry has time_spent \"hh:mm\", agent_id, billable, "
      "note and timer_running.",
      NGX_HTTP_GET, "/tickets/{ticket_id}/time_entries",
      NGX_HTTP_GET, "/time_entries",
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_time_entries_args },

    { "create_time_entry", "Create time entry",
      "Log time worked on a ticket, as \"hh:mm\" in time_spent, or start a "
      "running timer with timer_running true.",
      NGX_HTTP_POST, "/tickets/{ticket_id}/time_entries", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_time_entry_args },

    { "update_time_entry", "Update time entry",
      "Change fields of a time entry; only the given fields are sent. To "
      "start or stop its timer use toggle_time_entry_timer.",
      NGX_HTTP_PUT, "/time_entries/{time_entry_id}", 0, NULL,
      FD_PAGE_NONE, FD_U,
      "time_spent,agent_id,billable,note,executed_at,start_time", NULL, NULL,
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_update_time_entry_args },

    { "toggle_time_entry_timer", "Start or stop timer",
      "Start the timer of a time entry if it is stopped, or stop it if it is "
      "running (the elapsed time is added to time_spent). Calling it twice "
      "undoes the first call.",
      NGX_HTTP_PUT, "/time_entries/{time_entry_id}/toggle_timer", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_time_entry_id_args },

    { "delete_time_entry", "Delete time entry",
      "Delete a time entry. This cannot be undone.",
      NGX_HTTP_DELETE, "/time_entries/{time_entry_id}", 0, NULL,
      FD_PAGE_NONE, FD_D, NULL, NULL, "time entry {time_entry_id} deleted",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_time_entry_id_args },

    /* satisfaction ratings (CSAT) */

    { "list_satisfaction_ratings", "List satisfaction ratings",
      "List customer satisfaction (CSAT) ratings page by page: those of one "
      "ticket when ticket_id is given, otherwise of the whole account. "
      "ratings.default_question is 103 extremely happy, 102 very happy, 101 "
      "happy, 100 neutral, -101 unhappy, -102 very unhappy, -103 extremely "
      "unhappy.",
      NGX_HTTP_GET, "/tickets/{ticket_id}/satisfaction_ratings",
      NGX_HTTP_GET, "/surveys/satisfaction_ratings",
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_satisfaction_ratings_args },

    { "create_satisfaction_rating", "Create satisfaction rating",
      "Record a customer's satisfaction rating for a ticket, e.g. one "
      "collected by phone.",
      NGX_HTTP_POST, "/tickets/{ticket_id}/satisfaction_ratings", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_satisfaction_rating_args },

    { "list_surveys", "List surveys",
      "List the satisfaction surveys of the account with their questions and "
      "accepted rating values.",
      NGX_HTTP_GET, "/surveys", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_surveys_args },

    { NULL, NULL, NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL, 0, NULL }
};
