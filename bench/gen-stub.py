#!/usr/bin/env python3
"""Writes the fixed Freshdesk-shaped JSON bodies the bench stub serves:
a ~1 KB ticket, ~50 KB and ~500 KB ticket lists, and a page of exactly
100 tickets (~72 KB, what list_tickets with per_page=100 gets)."""

import json
import sys

out = sys.argv[1]


def ticket(i):
    return {
        "id": i, "subject": "Printer on fire in building %d" % i,
        "description": "<div>The printer on floor %d is on fire.</div>" % i,
        "description_text": "The printer on floor %d is on fire." % i,
        "status": 2 + i % 4, "priority": 1 + i % 4, "source": 1,
        "type": "Incident", "requester_id": 1000 + i, "responder_id": 7,
        "group_id": 3, "company_id": 5, "product_id": None,
        "email_config_id": None, "to_emails": ["support@acme.com"],
        "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [],
        "fr_escalated": False, "is_escalated": False, "spam": False,
        "due_by": "2026-05-03T10:00:00Z", "fr_due_by": "2026-05-01T12:00:00Z",
        "tags": ["vip", "hardware"], "custom_fields": {"cf_order_id": "A-%d" % i},
        "attachments": [], "association_type": None,
        "created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T11:00:00Z",
    }


one = ticket(1)
one["description_text"] += " " + "x" * max(0, 1024 - len(json.dumps(one)))
with open(out + "/ticket.json", "w") as f:
    json.dump(one, f, separators=(",", ":"))

with open(out + "/list100.json", "w") as f:
    json.dump([ticket(i) for i in range(1, 101)], f, separators=(",", ":"))

for name, size in (("list50k.json", 50 * 1024), ("list500k.json", 500 * 1024)):
    items, n = [], 0
    while len(json.dumps(items, separators=(",", ":"))) < size:
        n += 1
        items.append(ticket(n))
    with open(out + "/" + name, "w") as f:
        json.dump(items, f, separators=(",", ":"))
