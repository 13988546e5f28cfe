
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Catalog rows: knowledge base (solutions) and custom objects.
 */


#include "ngx_http_freshdesk_tools.h"


/* tools without arguments */
static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_none_args[] =
{
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_solution_folders_args[] =
{
    { "category_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Solution category ID (from list_solution_categories)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_solution_articles_args[] =
{
    { "folder_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Solution folder ID (from list_solution_folders)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_get_solution_article_args[] =
{
    { "article_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric article ID" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_search_solution_articles_args[] =
{
    { "term", FD_STR, FD_IN_QUERY|FD_REQUIRED, 2, 200, NULL, NULL,
      "Keywords, plain text without quotes" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_create_solution_article_args[] =
{
    { "folder_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Solution folder ID (from list_solution_folders)" },
    { "title", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 255, NULL, NULL,
      "Article title" },
    { "description", FD_STR, FD_IN_BODY|FD_REQUIRED, 1, 65536, NULL, NULL,
      "Article body, HTML allowed" },
    { "status", FD_INT_ENUM, FD_IN_BODY|FD_REQUIRED, 0, 0, "1|2", NULL,
      "1 draft, 2 published (visible to the folder's audience at once)" },
    { "type", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2", NULL,
      "1 permanent (default), 2 workaround" },
    { "tags", FD_STRS, FD_IN_BODY, 1, 50, NULL, NULL,
      "Tags, e.g. [\"vip\", \"billing\"]" },
    { "seo_data", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Search engine data: {\"meta_title\", \"meta_description\", "
      "\"meta_keywords\"}" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_update_solution_article_args[] =
{
    { "article_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Numeric article ID" },
    { "title", FD_STR, FD_IN_BODY, 1, 255, NULL, NULL,
      "New title" },
    { "description", FD_STR, FD_IN_BODY, 1, 65536, NULL, NULL,
      "New article body, HTML allowed" },
    { "status", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2", NULL,
      "1 draft, 2 published (visible to the folder's audience at once)" },
    { "type", FD_INT_ENUM, FD_IN_BODY, 0, 0, "1|2", NULL,
      "1 permanent (default), 2 workaround" },
    { "tags", FD_STRS, FD_IN_BODY, 0, 50, NULL, NULL,
      "New complete tag list, replacing the current one ([] removes all "
      "tags)" },
    { "seo_data", FD_OBJECT, FD_IN_BODY, 0, 0, NULL, NULL,
      "Search engine data: {\"meta_title\", \"meta_description\", "
      "\"meta_keywords\"}" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_list_custom_object_records_args[] =
{
    { "schema_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Custom object schema ID (from list_custom_object_schemas)" },
    { "page_size", FD_INT, FD_IN_QUERY, 1, 100, NULL, NULL,
      "Records per page, 1 to 100 (default 20)" },
    { "filters", FD_FILTERS, FD_IN_QUERY, 0, 0, NULL, NULL,
      "Field filters, AND-ed: {\"status\": \"open\"} for equality, "
      "{\"age\": {\"gte\": 35}} for comparisons with gt, gte, lt, lte; only "
      "filterable fields; no OR or not-equal" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


/* the two arguments that name one custom object record */
static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_custom_object_record_args[] =
{
    { "schema_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Custom object schema ID (from list_custom_object_schemas)" },
    { "record_id", FD_KEY, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Record display_id, e.g. \"BKG-1\"" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


static const ngx_http_freshdesk_arg_t
    ngx_http_freshdesk_upsert_custom_object_record_args[] =
{
    { "schema_id", FD_ID, FD_IN_PATH|FD_REQUIRED, 0, 0, NULL, NULL,
      "Custom object schema ID (from list_custom_object_schemas)" },
    { "record_id", FD_KEY, FD_IN_PATH|FD_IN_BODY, 0, 0, NULL, "display_id",
      "display_id of the record to update, e.g. \"BKG-1\"; omit to create a "
      "new record" },
    { "data", FD_OBJECT, FD_IN_BODY|FD_REQUIRED, 0, 0, NULL, NULL,
      "Field values by field name of the schema, e.g. {\"name\": \"Room "
      "4\", \"status\": \"open\"}" },
    { "version", FD_INT, FD_IN_BODY, 1, 2147483647, NULL, NULL,
      "Current version of the record (from get_custom_object_record); "
      "needed on update to detect concurrent edits" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};


const ngx_http_freshdesk_tool_t  ngx_http_freshdesk_tools_kb[] = {

    /* knowledge base */

    { "list_solution_categories", "List solution categories",
      "List the knowledge base (solution) categories; then use "
      "list_solution_folders with a category ID.",
      NGX_HTTP_GET, "/solutions/categories", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "list_solution_folders", "List solution folders",
      "List the folders of a knowledge base category: id, name, description "
      "and visibility; then use list_solution_articles with a folder ID.",
      NGX_HTTP_GET, "/solutions/categories/{category_id}/folders", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_solution_folders_args },

    { "list_solution_articles", "List solution articles",
      "List the articles of a knowledge base folder page by page: id, title, "
      "status (1 draft, 2 published) and description.",
      NGX_HTTP_GET, "/solutions/folders/{folder_id}/articles", 0, NULL,
      FD_PAGE_LINK, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_solution_articles_args },

    { "get_solution_article", "Get solution article",
      "Fetch one knowledge base article with its full HTML description, "
      "status (1 draft, 2 published), type (1 permanent, 2 workaround), tags, "
      "folder and view and vote counts.",
      NGX_HTTP_GET, "/solutions/articles/{article_id}", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_get_solution_article_args },

    { "search_solution_articles", "Search solution articles",
      "Search knowledge base articles by keywords (a plain keyword search, "
      "unlike the field filter of search_tickets); returns the matching "
      "articles in one list.",
      NGX_HTTP_GET, "/search/solutions", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_search_solution_articles_args },

    { "create_solution_article", "Create solution article",
      "Create a knowledge base article in a folder, as a draft (status 1) or "
      "published (status 2, visible at once).",
      NGX_HTTP_POST, "/solutions/folders/{folder_id}/articles", 0, NULL,
      FD_PAGE_NONE, FD_A, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_create_solution_article_args },

    { "update_solution_article", "Update solution article",
      "Change fields of a knowledge base article; only the given fields are "
      "sent. tags REPLACES the whole tag list; status 2 publishes the article.",
      NGX_HTTP_PUT, "/solutions/articles/{article_id}", 0, NULL,
      FD_PAGE_NONE, FD_U, "title,description,status,type,tags,seo_data", NULL,
      NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_update_solution_article_args },

    /* custom objects */

    { "list_custom_object_schemas", "List custom object schemas",
      "List the custom object schemas (e.g. Bookings): id, name, prefix and "
      "fields with their types and filterable flags. Use a schema id with the "
      "custom object record tools.",
      NGX_HTTP_GET, "/custom_objects/schemas", 0, NULL,
      FD_PAGE_NONE, FD_R, NULL, "schemas", NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_none_args },

    { "list_custom_object_records", "List custom object records",
      "List the records of a custom object schema page by page (pages are "
      "read in order with nextCursor), optionally filtered on filterable "
      "fields. Each record has display_id (e.g. \"BKG-1\"), version and data.",
      NGX_HTTP_GET, "/custom_objects/schemas/{schema_id}/records", 0, NULL,
      FD_PAGE_TOKEN, FD_R, NULL, "records", NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_list_custom_object_records_args },

    { "get_custom_object_record", "Get custom object record",
      "Fetch one custom object record by its display_id, with version and "
      "data.",
      NGX_HTTP_GET, "/custom_objects/schemas/{schema_id}/records/{record_id}",
      0, NULL,
      FD_PAGE_NONE, FD_R, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_custom_object_record_args },

    { "upsert_custom_object_record", "Create or update custom object record",
      "Create a custom object record (without record_id), or overwrite an "
      "existing one (with record_id and its current version). On update data "
      "replaces the record's data, so send every field: read it first with "
      "get_custom_object_record.",
      NGX_HTTP_PUT, "/custom_objects/schemas/{schema_id}/records/{record_id}",
      NGX_HTTP_POST, "/custom_objects/schemas/{schema_id}/records",
      FD_PAGE_NONE, FD_U, NULL, NULL, NULL, FD_SPECIAL_NONE,
      ngx_http_freshdesk_upsert_custom_object_record_args },

    { "delete_custom_object_record", "Delete custom object record",
      "Delete a custom object record. This cannot be undone.",
      NGX_HTTP_DELETE,
      "/custom_objects/schemas/{schema_id}/records/{record_id}",
      0, NULL,
      FD_PAGE_NONE, FD_D, NULL, NULL, "record {record_id} deleted",
      FD_SPECIAL_NONE,
      ngx_http_freshdesk_custom_object_record_args },

    { NULL, NULL, NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL, 0, NULL }
};
