
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Quota state file: load at start, periodic atomic writes (work in
 * progress).
 */


#include "ngx_http_freshdesk_quota.h"
