#!/usr/bin/env python3
"""Stateful fake of the Freshdesk v2 REST API (the test "sandbox").

Used as the HTTP upstream of ngx_http_freshdesk_module in the test suite.
Behaviour follows docs/freshdesk-api.md (sections 1-4 and the section 8
checklist); items the docs mark [I] are implemented as written there.
Python 3 standard library only, single file.

Usage:
    python3 t/fake_freshdesk.py --port N [--host 127.0.0.1]
        [--api-key KEY] [--restricted-key KEY2] [--account acme]
        [--tls-cert F --tls-key F] [--pidfile F] [--verbose]
        [--account-rate N [--outside-rate M] [--sublimit CLASS=N ...]]

--port 0 picks a free port.  Once listening, "READY <port>" is printed on
stdout.  SIGTERM / SIGINT stop the server cleanly (exit status 0).

API requests live under /api/v2/ and need HTTP Basic auth with the API key
as user name and "X" as password.  The restricted key may read but gets
403 access_denied on POST/PUT/DELETE.

Rate limit (docs/fake-freshdesk.md; AccountLimit below): every API answer
has X-RateLimit-Total, -Remaining and -Used-CurrentRequest.  Without
--account-rate nothing is ever refused.  With it the account has N
credits in a fixed 60 s window (opened by the first request after the
last one ended); every request costs 1 (failed ones too), includes cost
2 more each on the ticket list and 1 more each on one ticket; a request
that does not fit, or whose class (list_tickets, list_contacts,
create_ticket, update_ticket) is at its sub-limit, gets 429 with
Retry-After and costs nothing.  Sub-limits default to the nearest plan's
scaled by N / plan rate; --outside-rate M spends M credits a minute
evenly, like another integration.

Control API for tests (no auth, never recorded):
    GET    /__control/requests          recorded API requests, oldest first:
                                        {method, path, query, headers, body}
    DELETE /__control/requests          forget the recorded requests
    GET    /__control/count             {"count": N}
    POST   /__control/reset             reseed all state, clear recordings
                                        and faults, zero the rate-limit
                                        statistics, window and clock
                                        offset (its settings stay)
    POST   /__control/fault             queue a fault (JSON body, see
                                        FAULT_MODES below)
    GET    /__control/fault             list queued faults
    DELETE /__control/fault             drop all queued faults
    GET    /__control/state             names of the state collections
    GET    /__control/stats             {requests, too_many, credits_used,
                                        window: {limited, total, remaining,
                                        resets_in, used, outside},
                                        by_class: {CLASS: {requests,
                                        too_many, window, limit}}}
    GET    /__control/account           the rate-limit settings
    POST   /__control/account           change them: {"rate": N or null,
                                        "outside_rate": M, "sublimits":
                                        {CLASS: N}}; absent keys stay,
                                        the window restarts
    GET    /__control/clock             {"offset": seconds}
    POST   /__control/clock             {"advance": S}: move the rate-limit
                                        clock S seconds on (no sleeping)
    ANY    /__control/hook/<anything>   recorded as a hook hit and answered
                                        200 {} (a counting backend for
                                        auth_request and mirror tests)
    GET    /__control/hooks             the hook hits, oldest first:
                                        {method, path, query, headers}
    DELETE /__control/hooks             forget the hook hits
    GET    /__control/state/<name>      one collection as a JSON array of
                                        stored objects (keys starting with
                                        "_" are internal and never sent by
                                        the API)

Fault body: {"mode": M, "count": 1 (-1 = forever), "path_prefix": "/api/v2/..."
(default: any API path), "method": "GET" (optional), ...mode parameters}.
A matching request is still recorded; faults are matched in queue order.
Modes:
    delay           {"seconds": S}: sleep, then answer normally
    late            {"seconds": S}: answer normally, its X-RateLimit-*
                    counted now, but sent S seconds later (an answer that
                    arrives after those of requests Freshdesk counted
                    after it)
    status          {"status": 500, "body": "raw", "headers": {...}}
    ratelimit       {"retry_after": 17}: 429, Retry-After, rate_limit_exceeded
    garbage         200, Content-Type application/json, <html>not json</html>
    truncate        200 declaring the Content-Length of a JSON body, half of
                    it sent, then the connection is closed (FIN)
    reset           connection dropped with a TCP RST, nothing answered
    reset_mid_body  headers and half of the body, then a TCP RST
    big             {"bytes": N}: 200 with a JSON array of ticket-shaped
                    objects of at least N bytes (default 2 MiB);
                    "chunked": true sends it without a Content-Length;
                    "wrap": "results" sends {"results": [...], "total": N}
    unauthorized    401 invalid_credentials

Seed: see the "Seed data" section (ids and counts of every collection).
"""

import argparse
import base64
import binascii
import copy
import datetime
import html
import json
import math
import os
import random
import re
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, unquote_plus


# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

API_PREFIX = "/api/v2"
CONTROL_PREFIX = "/__control"

RATE_LIMIT_TOTAL = 400             # X-RateLimit-Total without --account-rate
RATE_WINDOW = 60                    # seconds of one rate-limit window
# Per-minute sub-limits of the plans (docs/freshdesk-api.md 1.6), by the
# plan's account total; --account-rate N scales the nearest plan's.
PLAN_SUBLIMITS = [
    (200, {"list_tickets": 20, "list_contacts": 20,
           "create_ticket": 80, "update_ticket": 80}),
    (400, {"list_tickets": 100, "list_contacts": 100,
           "create_ticket": 160, "update_ticket": 160}),
    (700, {"list_tickets": 200, "list_contacts": 200,
           "create_ticket": 280, "update_ticket": 280}),
]
LIMIT_CLASSES = ["list_tickets", "list_contacts", "create_ticket",
                 "update_ticket"]
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
MAX_TICKET_LIST_PAGE = 300          # the ticket list stops at 300 pages
SEARCH_PER_PAGE = 30
SEARCH_MAX_PAGE = 10
SEARCH_MAX_QUERY = 512              # characters between the double quotes
TICKET_WINDOW_DAYS = 30             # GET /tickets default window
RECORDS_DEFAULT_PAGE_SIZE = 20
RECORDS_MAX_PAGE_SIZE = 100
ME_AGENT_ID = 1                     # owner of both API keys (/agents/me)
MAX_AGENTS = 10                     # seats; make_agent beyond this -> 403

TICKET_STATUSES = [2, 3, 4, 5, 6]   # 6 is the account's custom status
TICKET_PRIORITIES = [1, 2, 3, 4]
TICKET_SOURCES = list(range(1, 12))
TICKET_TYPES = ["Question", "Incident", "Problem", "Feature Request",
                "Refund"]
REQUESTER_KEYS = ["requester_id", "email", "phone", "unique_external_id",
                  "twitter_id", "facebook_id"]

CONV_REPLY, CONV_NOTE, CONV_FORWARD = 0, 2, 8
SOURCE_OUTBOUND_EMAIL = 10

CSAT_RATINGS = [103, 102, 101, 100, -101, -102, -103]
AUTOMATION_TYPES = [1, 3, 4]

MSG_INVALID_FIELD = "Unexpected/invalid field in request"
ERR_401 = {"code": "invalid_credentials",
           "message": "You have to be logged in to perform this action."}
ERR_403 = {"code": "access_denied",
           "message": "You are not authorized to perform this action."}

ERR_429 = "You have exceeded the limit of requests per minute. Please " \
          "try again after %d seconds."

FAULT_MODES = ["delay", "late", "status", "ratelimit", "garbage",
               "truncate", "reset", "reset_mid_body", "big", "unauthorized"]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
HHMM_RE = re.compile(r"^\d{1,3}:[0-5]\d$")

UTC = datetime.timezone.utc


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def iso(ts):
    """Epoch seconds -> '2024-05-01T10:20:30Z'."""
    return datetime.datetime.fromtimestamp(ts, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def iso_date(ts):
    """Epoch seconds -> '2024-05-01'."""
    return datetime.datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def parse_time(value):
    """ISO-8601 date or date-time string -> epoch seconds, None if invalid.

    Accepts 'YYYY-MM-DD' and 'YYYY-MM-DDTHH:MM[:SS[.f]][Z|+hh:mm]'; a
    missing zone means UTC.
    """
    if not isinstance(value, str):
        return None
    if not (DATE_RE.match(value) or DATETIME_RE.match(value)):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def strip_html(text):
    """HTML -> plain text, as Freshdesk fills the read-only *_text fields."""
    if not text:
        return ""
    plain = re.sub(r"<br\s*/?>|</p>|</div>", "\n", text, flags=re.I)
    plain = html.unescape(re.sub(r"<[^>]+>", "", plain))
    return re.sub(r"\n\s*\n+", "\n", plain).strip()


def json_type(value):
    """The type name Freshdesk uses in datatype_mismatch messages."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "key/value pair"


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def public(obj):
    """A stored object without its internal ('_'-prefixed) keys."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------
# Errors and responses
# ---------------------------------------------------------------------------

class ApiError(Exception):
    """Raised by handlers; becomes an HTTP error response."""

    def __init__(self, status, body=None, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def ferr(field, code, message):
    """One entry of a validation error's errors[] array."""
    return {"field": field, "message": message, "code": code}


def validation_failed(errors, status=400):
    return ApiError(status, {"description": "Validation failed",
                             "errors": errors})


def bad_value(field, message):
    return validation_failed([ferr(field, "invalid_value", message)])


def not_found():
    """Unknown id or URL: 404 with an empty body."""
    return ApiError(404)


def choices_message(choices):
    return "It should be one of these values: '%s'" % ",".join(
        str(c) for c in choices)


class Response:
    """What an API or control handler returns.

    body is a JSON-able object (serialised here), raw is a bytes body
    sent as is; with neither the response has no body.
    """

    def __init__(self, status=200, body=None, headers=None, raw=None):
        self.status = status
        self.headers = dict(headers or {})
        if raw is not None:
            self.payload = raw
        elif body is not None:
            self.payload = dumps(body)
        else:
            self.payload = b""


# ---------------------------------------------------------------------------
# Request body validation
#
# A spec maps each accepted key to a Field.  validate() reports unknown keys
# (invalid_field), wrong JSON types (datatype_mismatch), bad enum values and
# formats (invalid_value) and absent required keys (missing_field), all at
# once, the way Freshdesk lists every problem in errors[].
# ---------------------------------------------------------------------------

class Field:
    """Accepted type of one body field.

    kind: string, integer, boolean, object, datetime, date, email, hhmm,
          strings (array of string), integers (array of integer),
          emails (array of e-mail strings), file (never valid in JSON), any.
    """

    TYPE_NAMES = {
        "string": "String", "integer": "Integer", "boolean": "Boolean",
        "object": "key/value pair", "datetime": "String", "date": "String",
        "email": "String", "hhmm": "String", "strings": "Array",
        "integers": "Array", "emails": "Array", "file": "valid file format",
    }

    def __init__(self, kind, choices=None, nullable=False):
        self.kind = kind
        self.choices = choices
        self.nullable = nullable

    def type_name(self):
        if self.kind == "integer" and self.choices is None:
            return "Positive Integer"
        return self.TYPE_NAMES.get(self.kind, "String")

    def check(self, name, value):
        """Return an error dict for a bad value, None if it is fine."""
        if self.kind == "any":
            return None
        if self.kind == "file":
            return ferr(name, "datatype_mismatch",
                        "It should be a/an valid file format (send files "
                        "as multipart/form-data)")
        if value is None:
            if self.nullable:
                return None
            return ferr(name, "datatype_mismatch",
                        "Value set is of type Null.It should be a/an %s"
                        % self.type_name())
        kind = self.kind
        scalar = {"string": str, "datetime": str, "date": str, "email": str,
                  "hhmm": str, "boolean": bool, "object": dict}
        if kind in scalar and not isinstance(value, scalar[kind]):
            return self.mismatch(name, value)
        if kind == "integer":
            if not is_int(value):
                return self.mismatch(name, value)
            if self.choices is None and value < 1:
                return ferr(name, "invalid_value",
                            "It should be a/an Positive Integer")
        if kind in ("strings", "integers", "emails"):
            if not isinstance(value, list):
                return self.mismatch(name, value)
            want = is_int if kind == "integers" else \
                (lambda v: isinstance(v, str))
            if not all(want(v) for v in value):
                return ferr(name, "datatype_mismatch",
                            "It should contain elements of type %s only"
                            % ("Positive Integer" if kind == "integers"
                               else "String"))
            if kind == "emails":
                for v in value:
                    if not EMAIL_RE.match(v):
                        return ferr(name, "invalid_value",
                                    "It should contain elements that are "
                                    "in the 'valid email address' format")
        if kind == "email" and not EMAIL_RE.match(value):
            return ferr(name, "invalid_value",
                        "It should be in the 'valid email address' format")
        if kind == "datetime" and parse_time(value) is None:
            return ferr(name, "invalid_value",
                        "It should be in the 'valid date time' format")
        if kind == "date" and not (DATE_RE.match(value)
                                   and parse_time(value) is not None):
            return ferr(name, "invalid_value",
                        "It should be in the 'valid date' format")
        if kind == "hhmm" and not HHMM_RE.match(value):
            return ferr(name, "invalid_value",
                        "It should be in the 'hh:mm' format")
        if self.choices is not None and value not in self.choices:
            return ferr(name, "invalid_value", choices_message(self.choices))
        return None

    def mismatch(self, name, value):
        return ferr(name, "datatype_mismatch",
                    "Value set is of type %s.It should be a/an %s"
                    % (json_type(value), self.type_name()))


def validate(body, spec, required=(), errors=None):
    """Check body against spec; returns (errors, names of bad fields)."""
    errors = [] if errors is None else errors
    bad = set()
    for name, value in body.items():
        field = spec.get(name)
        if field is None:
            errors.append(ferr(name, "invalid_field", MSG_INVALID_FIELD))
            bad.add(name)
            continue
        problem = field.check(name, value)
        if problem:
            errors.append(problem)
            bad.add(name)
    for name in required:
        if name not in body:
            errors.append(ferr(name, "missing_field",
                               "It should be a/an %s"
                               % spec[name].type_name()))
            bad.add(name)
        elif isinstance(body[name], str) and not body[name].strip() \
                and name not in bad:
            errors.append(ferr(name, "invalid_value",
                               "It should not be blank as this is a "
                               "mandatory field"))
            bad.add(name)
    return errors, bad


# Custom field definitions ("cf_*") are read from the seeded *_fields
# metadata; this maps their field type to a Field and a search kind.
CUSTOM_FIELD_KINDS = {
    "custom_text": ("string", "str"),
    "custom_paragraph": ("string", "str"),
    "custom_dropdown": ("string", "str"),
    "custom_number": ("integer_any", "int"),
    "custom_checkbox": ("boolean", "bool"),
    "custom_date": ("date", "date"),
}


def validate_custom_fields(values, field_defs, errors):
    """Validate a custom_fields object against *_fields metadata."""
    defs = {f["name"]: f for f in field_defs if f["name"].startswith("cf_")}
    for name, value in values.items():
        fdef = defs.get(name)
        if fdef is None:
            errors.append(ferr(name, "invalid_field", MSG_INVALID_FIELD))
            continue
        kind = CUSTOM_FIELD_KINDS[fdef["type"]][0]
        if kind == "integer_any":
            problem = None if value is None or is_int(value) else ferr(
                name, "datatype_mismatch",
                "Value set is of type %s.It should be a/an Integer"
                % json_type(value))
        else:
            choices = fdef.get("choices") or None
            problem = Field(kind, choices=choices, nullable=True).check(
                name, value)
        if problem:
            errors.append(problem)


# ---------------------------------------------------------------------------
# Seed data
#
# State(anchor) builds the whole account.  Seeded timestamps are offsets
# from `anchor` (the process start time, rounded down to the minute), so
# the 30-day ticket window is meaningful and a reset rebuilds exactly the
# same state.  All "random" choices come from a fixed-seed generator.
#
# Id ranges (so that an id of the wrong kind is a 404, not a lucky hit):
#   tickets 1..120, agents 1..4 (agent 1 = /agents/me), companies 1..3,
#   groups 11..12, roles 21..24, skills 31..32, products 41..42,
#   business hours 51..52, SLA policies 61..62, email configs 71..72,
#   automation rules 81..85, canned folders 91..92, canned responses
#   901..904, solution categories 111..113, folders 121..123, articles
#   131..135, surveys 141..142, contacts 1001..1020, satisfaction ratings
#   2001..2008, time entries 3001..3010, conversations 5001.., custom object
#   schemas 30 (Bookings, BKG-1..BKG-50) and 31 (Subscriptions, SUB-1..3).
# ---------------------------------------------------------------------------

COMPANIES = [
    # id, name, domains, industry, account_tier, health_score, region
    (1, "Acme Corp", ["acme.com"], "Manufacturing", "Enterprise", "Happy",
     "EMEA"),
    (2, "Globex", ["globex.com"], "Energy", "Premium", "Doing okay", "AMER"),
    (3, "Initech", ["initech.com"], "Software", "Basic", "At risk", "APAC"),
]

CONTACTS = [
    # id, name, email, company_id, phone, mobile, tags, state
    # state: verified | unverified | blocked | deleted
    (1001, "Emily Garcia", "emily.garcia@acme.com", 1, "+1-555-0101",
     "+1-555-1101", ["vip"], "verified"),
    (1002, "Liam Chen", "liam.chen@globex.com", 2, "+1-555-0102", None, [],
     "verified"),
    (1003, "Olivia Patel", "olivia.patel@initech.com", 3, None,
     "+44-7700-900103", ["beta"], "verified"),
    (1004, "Noah Kim", "noah.kim@example.com", None, "+1-555-0104", None,
     [], "verified"),
    (1005, "Ava Rossi", "ava.rossi@acme.com", 1, None, None, ["vip"],
     "verified"),
    (1006, "Ethan Novak", "ethan.novak@globex.com", 2, "+1-555-0106", None,
     [], "verified"),
    (1007, "Zo\u00eb M\u00fcller", "zoe.mueller@initech.com", 3, None,
     "+49-151-0107", [], "verified"),
    (1008, "Mason Brown", "mason.brown@example.com", None, None, None,
     ["reseller"], "verified"),
    (1009, "Isabella Silva", "isabella.silva@acme.com", 1, "+1-555-0109",
     None, [], "verified"),
    (1010, "Lucas Dubois", "lucas.dubois@globex.com", 2, None, None, ["vip"],
     "verified"),
    (1011, "Mia Jensen", "mia.jensen@initech.com", 3, "+1-555-0111", None,
     [], "verified"),
    (1012, "James O'Brien", "james.obrien@example.com", None, None,
     "+353-87-0112", [], "verified"),
    (1013, "Amelia Costa", "amelia.costa@acme.com", 1, None, None, [],
     "verified"),
    (1014, "Benjamin Ito", "benjamin.ito@globex.com", 2, "+81-3-0114", None,
     ["beta"], "verified"),
    (1015, "Harper Singh", "harper.singh@initech.com", 3, None, None, [],
     "verified"),
    (1016, "Elijah Novak", "elijah.novak@example.com", None, None, None, [],
     "unverified"),
    (1017, "Charlotte Weber", "charlotte.weber@acme.com", 1, None, None, [],
     "unverified"),
    (1018, "Henry Adams", "henry.adams@globex.com", 2, None, None, [],
     "blocked"),
    (1019, "Grace Lee", "grace.lee@initech.com", 3, None, None, [],
     "deleted"),
    (1020, "Jack Wilson", None, None, "+1-555-0120", None, [], "verified"),
]

AGENTS = [
    # id, name, email, role_ids, group_ids, ticket_scope, occasional, skills
    (1, "Alice Walker", "alice@acmesupport.com", [21], [11, 12], 1, False,
     [31]),
    (2, "Bob Martin", "bob@acmesupport.com", [24], [11], 2, False, []),
    (3, "Carol Nguyen", "carol@acmesupport.com", [23], [12], 1, False, [32]),
    (4, "Dave Okafor", "dave@acmesupport.com", [24], [12], 3, True, [32]),
]

TICKET_SUBJECTS = [
    "Invoice shows wrong VAT rate", "Cannot log in to the portal",
    "Refund for duplicate charge", "Feature request: dark mode",
    "Password reset email never arrives", "App crashes on startup",
    "Shipping address change", "Upgrade to Enterprise plan",
    "API returns 500 on export", "Cancel my subscription",
    "Printer driver download", "Wrong item delivered",
    "Two-factor code not accepted", "Bulk import fails at row 120",
    "How do I add a new user?", "Data export request (GDPR)",
    "Slow dashboard loading", "Discount code not applied",
    "Broken link in welcome email", "Slack integration stopped working",
]

SPAM_TICKETS = {14, 46, 86}
DELETED_TICKETS = {21, 65, 97}
CUSTOM_STATUS_TICKETS = {6, 17, 42, 73, 105}
# Tickets with id % 4 == 3 were created more than 30 days ago.

BOOKING_STATUSES = ["confirmed", "pending", "cancelled"]


def _field(fid, name, label, ftype, position, choices=None, **extra):
    """One entry of ticket_fields / contact_fields / company_fields."""
    custom = ftype.startswith("custom_")
    entry = {
        "id": fid, "name": name, "label": label,
        "label_for_customers": label, "description": label,
        "type": ftype, "default": not custom, "position": position,
        "required_for_closure": False, "required_for_agents": False,
        "required_for_customers": False, "customers_can_edit": True,
        "displayed_to_customers": True,
        "created_at": "2019-01-15T09:00:00Z",
        "updated_at": "2019-01-15T09:00:00Z",
    }
    if choices is not None:
        entry["choices"] = choices
    entry.update(extra)
    return entry


class State:
    """All collections of the fake account (dicts keyed by id)."""

    COLLECTIONS = [
        "tickets", "conversations", "contacts", "companies", "agents",
        "groups", "roles", "skills", "products", "business_hours",
        "sla_policies", "email_configs", "automation_rules",
        "canned_response_folders", "canned_responses",
        "solution_categories", "solution_folders", "solution_articles",
        "surveys", "satisfaction_ratings", "time_entries", "ticket_fields",
        "contact_fields", "company_fields", "custom_object_schemas",
        "custom_object_records", "jobs",
    ]

    def __init__(self, anchor):
        self.anchor = anchor
        for name in self.COLLECTIONS:
            setattr(self, name, {})
        self.next_ids = {}
        self.rng = random.Random(20240501)
        self._seed_metadata()
        self._seed_people()
        self._seed_config()
        self._seed_tickets()
        self._seed_ticket_extras()
        self._seed_solutions()
        self._seed_custom_objects()
        self.next_ids.update({
            "tickets": 121, "conversations": max(self.conversations) + 1,
            "contacts": 1021, "companies": 4, "groups": 13,
            "satisfaction_ratings": 2009, "time_entries": 3011,
            "solution_articles": 136, "canned_responses": 905,
        })

    def new_id(self, collection):
        value = self.next_ids[collection]
        self.next_ids[collection] = value + 1
        return value

    def ago(self, days=0, hours=0, minutes=0):
        return iso(self.anchor - days * 86400 - hours * 3600 - minutes * 60)

    # -- metadata ----------------------------------------------------------

    def _seed_metadata(self):
        agents = {a[1]: a[0] for a in AGENTS}
        self.ticket_fields = {f["id"]: f for f in [
            _field(1, "requester", "Search a requester", "default_requester",
                   1, required_for_agents=True, portalcc=False),
            _field(2, "subject", "Subject", "default_subject", 2,
                   required_for_agents=True),
            _field(3, "ticket_type", "Type", "default_ticket_type", 3,
                   TICKET_TYPES),
            _field(4, "source", "Source", "default_source", 4,
                   {"Email": 1, "Portal": 2, "Phone": 3, "Chat": 7,
                    "Feedback Widget": 9, "Outbound Email": 10}),
            _field(5, "status", "Status", "default_status", 5,
                   {"2": ["Open", "Being Processed"],
                    "3": ["Pending", "Awaiting your Reply"],
                    "4": ["Resolved", "This ticket has been Resolved"],
                    "5": ["Closed", "This ticket has been Closed"],
                    "6": ["Waiting on Customer", "Awaiting your Reply"]},
                   required_for_agents=True),
            _field(6, "priority", "Priority", "default_priority", 6,
                   {"Low": 1, "Medium": 2, "High": 3, "Urgent": 4},
                   required_for_agents=True),
            _field(7, "group", "Group", "default_group", 7,
                   {"Billing": 11, "Technical Support": 12}),
            _field(8, "agent", "Agent", "default_agent", 8, agents),
            _field(9, "product", "Product", "default_product", 9,
                   {"Acme Printers": 41, "Acme Cloud": 42}),
            _field(10, "description", "Description", "default_description",
                   10, required_for_agents=True),
            _field(11, "company", "Company", "default_company", 11),
            _field(12, "cf_order_id", "Order ID", "custom_text", 12),
            _field(13, "cf_region", "Region", "custom_dropdown", 13,
                   ["EMEA", "AMER", "APAC"]),
            _field(14, "cf_vip_level", "VIP level", "custom_number", 14),
            _field(15, "cf_escalated", "Escalated", "custom_checkbox", 15),
            _field(16, "cf_renewal", "Renewal date", "custom_date", 16),
        ]}
        self.contact_fields = {f["id"]: f for f in [
            _field(101, "name", "Full name", "default_name", 1,
                   required_for_agents=True),
            _field(102, "job_title", "Title", "default_job_title", 2),
            _field(103, "email", "Email", "default_email", 3),
            _field(104, "phone", "Work phone", "default_phone", 4),
            _field(105, "mobile", "Mobile phone", "default_mobile", 5),
            _field(106, "twitter_id", "Twitter", "default_twitter_id", 6),
            _field(107, "company_name", "Company", "default_company_name", 7),
            _field(108, "address", "Address", "default_address", 8),
            _field(109, "time_zone", "Time zone", "default_time_zone", 9),
            _field(110, "language", "Language", "default_language", 10),
            _field(111, "tag_names", "Tags", "default_tag_names", 11),
            _field(112, "description", "About", "default_description", 12),
            _field(113, "cf_customer_tier", "Customer tier",
                   "custom_dropdown", 13, ["Gold", "Silver", "Bronze"]),
            _field(114, "cf_account_number", "Account number",
                   "custom_text", 14),
        ]}
        self.company_fields = {f["id"]: f for f in [
            _field(201, "name", "Company name", "default_name", 1,
                   required_for_agents=True),
            _field(202, "description", "Description", "default_description",
                   2),
            _field(203, "note", "Notes", "default_note", 3),
            _field(204, "domains", "Domains", "default_domains", 4),
            _field(205, "health_score", "Health score",
                   "default_health_score", 5,
                   ["At risk", "Doing okay", "Happy"]),
            _field(206, "account_tier", "Account tier",
                   "default_account_tier", 6,
                   ["Basic", "Premium", "Enterprise"]),
            _field(207, "renewal_date", "Renewal date",
                   "default_renewal_date", 7),
            _field(208, "industry", "Industry", "default_industry", 8,
                   ["Manufacturing", "Energy", "Software", "Retail",
                    "Healthcare"]),
            _field(209, "cf_region", "Region", "custom_dropdown", 9,
                   ["EMEA", "AMER", "APAC"]),
        ]}

    # -- people ------------------------------------------------------------

    def _seed_people(self):
        for cid, name, domains, industry, tier, health, region in COMPANIES:
            self.companies[cid] = {
                "id": cid, "name": name,
                "description": "%s is a long-standing customer." % name,
                "note": None, "domains": list(domains),
                "health_score": health, "account_tier": tier,
                "renewal_date": self.ago(days=-90 * cid),
                "industry": industry, "custom_fields": {"cf_region": region},
                "created_at": self.ago(days=700 - cid * 30),
                "updated_at": self.ago(days=60 - cid),
            }
        for n, row in enumerate(CONTACTS):
            cid, name, email, company, phone, mobile, tags, state = row
            self.contacts[cid] = {
                "id": cid, "name": name, "email": email, "other_emails": [],
                "phone": phone, "mobile": mobile, "twitter_id": None,
                "unique_external_id": "ext-%d" % cid if cid % 5 == 0
                else None,
                "facebook_id": None, "company_id": company,
                "view_all_tickets": False, "address": None,
                "description": None, "job_title": ["Engineer", "Manager",
                                                   "Buyer", None][n % 4],
                "language": "en", "time_zone": "Eastern Time (US & Canada)",
                "tags": list(tags),
                "custom_fields": {
                    "cf_customer_tier": ["Gold", "Silver", "Bronze"][n % 3],
                    "cf_account_number": "AC-%04d" % cid},
                "active": state != "unverified",
                "deleted": state == "deleted",
                "avatar": None,
                "created_at": self.ago(days=400 - n * 10),
                "updated_at": self.ago(days=40 - n * 2),
                "_blocked": state == "blocked",
            }
        for aid, name, email, roles, groups, scope, occasional, skills \
                in AGENTS:
            self.agents[aid] = {
                "id": aid, "available": aid != 4,
                "available_since": self.ago(hours=aid),
                "occasional": occasional, "ticket_scope": scope,
                "signature": "<div>%s, Acme support</div>" % name,
                "group_ids": [], "role_ids": list(roles),
                "skill_ids": list(skills), "type": "support_agent",
                "contact": {
                    "name": name, "email": email, "phone": None,
                    "mobile": None, "job_title": "Support engineer",
                    "language": "en",
                    "time_zone": "Eastern Time (US & Canada)",
                    "active": True, "last_login_at": self.ago(hours=aid * 3),
                },
                "created_at": self.ago(days=800 - aid),
                "updated_at": self.ago(days=20 + aid),
            }
        members = {11: [1, 2], 12: [1, 3, 4]}
        for gid, name, desc, escalate in [
                (11, "Billing", "Invoices, refunds and payments", 1),
                (12, "Technical Support", "Product problems", 3)]:
            self.groups[gid] = {
                "id": gid, "name": name, "description": desc,
                "escalate_to": escalate, "unassigned_for": "30m",
                "business_hour_id": 51, "group_type": "support_agent_group",
                "agent_ids": members[gid], "auto_ticket_assign": False,
                "created_at": self.ago(days=790),
                "updated_at": self.ago(days=30),
            }

    # -- account configuration --------------------------------------------

    def _seed_config(self):
        created = self.ago(days=800)
        for rid, name, default in [(21, "Account Administrator", True),
                                   (22, "Administrator", True),
                                   (23, "Supervisor", True),
                                   (24, "Agent", True)]:
            self.roles[rid] = {"id": rid, "name": name,
                               "description": "Default %s role" % name,
                               "default": default, "created_at": created,
                               "updated_at": created}
        self.skills[31] = {"id": 31, "name": "Spanish", "rank": 1,
                           "agents": [{"id": 1}], "match_type": "any",
                           "conditions": [{"resource_type": "contact",
                                           "field_name": "language",
                                           "operator": "is",
                                           "value": ["es"]}],
                           "created_at": created, "updated_at": created}
        self.skills[32] = {"id": 32, "name": "Hardware", "rank": 2,
                           "agents": [{"id": 3}, {"id": 4}],
                           "match_type": "all",
                           "conditions": [{"resource_type": "ticket",
                                           "field_name": "product_id",
                                           "operator": "is",
                                           "value": [41]}],
                           "created_at": created, "updated_at": created}
        for pid, name, email in [(41, "Acme Printers", "printers@acme.com"),
                                 (42, "Acme Cloud", "cloud@acme.com")]:
            self.products[pid] = {"id": pid, "name": name,
                                  "description": "%s product line" % name,
                                  "primary_email": email,
                                  "created_at": created,
                                  "updated_at": created}
        week = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        self.business_hours[51] = {
            "id": 51, "name": "Default business hours",
            "description": "Office hours", "is_default": True,
            "time_zone": "Eastern Time (US & Canada)",
            "business_hours": {d: {"start_time": "8:00 am",
                                   "end_time": "5:00 pm"} for d in week},
            "created_at": created, "updated_at": created}
        self.business_hours[52] = {
            "id": 52, "name": "EMEA support hours",
            "description": "Dublin office", "is_default": False,
            "time_zone": "Dublin",
            "business_hours": {d: {"start_time": "9:00 am",
                                   "end_time": "6:00 pm"} for d in week},
            "created_at": created, "updated_at": created}
        targets = {"priority_%d" % p: {
            "respond_within": 3600 * (5 - p),
            "resolve_within": 14400 * (5 - p),
            "business_hours": p < 4, "escalation_enabled": True}
            for p in (4, 3, 2, 1)}
        self.sla_policies[61] = {
            "id": 61, "name": "Default SLA policy", "description": "",
            "active": True, "is_default": True, "position": 1,
            "sla_target": targets, "applicable_to": {},
            "escalation": {"response": {"escalation_time": 0,
                                        "agent_ids": [-1]}},
            "created_at": created, "updated_at": created}
        self.sla_policies[62] = {
            "id": 62, "name": "VIP customers", "description": "Faster",
            "active": True, "is_default": False, "position": 2,
            "sla_target": {k: dict(v, respond_within=v["respond_within"] // 2)
                           for k, v in targets.items()},
            "applicable_to": {"company_ids": [1], "group_ids": [],
                              "sources": [], "ticket_types": [],
                              "product_ids": []},
            "escalation": {"response": {"escalation_time": 0,
                                        "agent_ids": [1]}},
            "created_at": created, "updated_at": created}
        self.email_configs[71] = {
            "id": 71, "name": "Acme Support", "product_id": None,
            "to_email": "support@acme.freshdesk.com",
            "reply_email": "support@acme.freshdesk.com", "group_id": None,
            "primary_role": True, "active": True,
            "created_at": created, "updated_at": created}
        self.email_configs[72] = {
            "id": 72, "name": "Acme Billing", "product_id": 42,
            "to_email": "billing@acme.com", "reply_email": "billing@acme.com",
            "group_id": 11, "primary_role": False, "active": True,
            "created_at": created, "updated_at": created}
        rules = [
            (81, 1, "Route billing emails", None, None,
             [{"field_name": "subject", "operator": "contains",
               "value": ["invoice", "refund"]}],
             [{"field_name": "group_id", "value": 11}]),
            (82, 1, "Tag VIP requesters", None, None,
             [{"field_name": "company_id", "operator": "in", "value": [1]}],
             [{"field_name": "add_tag", "value": ["vip"]}]),
            (83, 3, "Escalate stale urgent tickets", None, None,
             [{"field_name": "hours_since_created", "operator": "greater_than",
               "value": 4}, {"field_name": "priority", "operator": "in",
                             "value": [4]}],
             [{"field_name": "send_email_to_group", "email_to": 12}]),
            (84, 4, "Notify on reopen", {"type": 4},
             [{"field_name": "status", "from": 4, "to": 2}],
             [{"field_name": "status", "operator": "in", "value": [2]}],
             [{"field_name": "send_email_to_agent", "email_to": -2}]),
            (85, 4, "Thank requester on close", {"type": 2},
             [{"field_name": "status", "from": "--", "to": 5}],
             [], [{"field_name": "add_note", "notify_agents": [],
                   "note_body": "Closed."}]),
        ]
        for pos, (rid, rtype, name, performer, events, cond, actions) \
                in enumerate(rules):
            rule = {"id": rid, "name": name, "position": pos + 1,
                    "active": rid != 82, "automation_type_id": rtype,
                    "conditions": [{"name": "condition_set_1",
                                    "match_type": "all",
                                    "properties": cond}],
                    "actions": actions, "summary": {},
                    "created_at": created, "updated_at": created}
            if rtype == 4:
                rule["performer"] = performer
                rule["events"] = events
            self.automation_rules[rid] = rule
        for fid, name, personal in [(91, "General", False),
                                    (92, "Billing", False)]:
            self.canned_response_folders[fid] = {
                "id": fid, "name": name, "personal": personal,
                "responses_count": 0, "created_at": created,
                "updated_at": created}
        for rid, folder, title, text in [
                (901, 91, "Thanks for reaching out",
                 "Thanks for contacting Acme support, we are on it."),
                (902, 91, "Closing due to inactivity",
                 "We have not heard back, so we are closing this ticket."),
                (903, 92, "Refund processed",
                 "Your refund has been processed and should arrive soon."),
                (904, 92, "Invoice copy",
                 "Please find a copy of your invoice attached.")]:
            self.canned_responses[rid] = {
                "id": rid, "title": title, "folder_id": folder,
                "content": text, "content_html": "<p>%s</p>" % text,
                "attachments": [], "visibility": 0, "group_ids": [],
                "created_at": created, "updated_at": created}
            self.canned_response_folders[folder]["responses_count"] += 1
        self.surveys[141] = {
            "id": 141, "title": "Default satisfaction survey",
            "active": True, "created_at": created, "updated_at": created,
            "questions": [{"id": "default_question",
                           "label": "How would you rate your overall "
                                    "satisfaction for the resolution "
                                    "provided by the agent?",
                           "accepted_ratings": list(CSAT_RATINGS),
                           "default": True}]}
        self.surveys[142] = {
            "id": 142, "title": "Legacy survey", "active": False,
            "created_at": created, "updated_at": created,
            "questions": [{"id": "default_question",
                           "label": "Were you happy with our support?",
                           "accepted_ratings": [103, 100, -103],
                           "default": True}]}

    # -- tickets -----------------------------------------------------------

    def _seed_tickets(self):
        rng = self.rng
        for i in range(1, 121):
            if i == 1:
                age_s, update_s = 2 * 3600, 3600
            elif i == 2:
                age_s, update_s = 5 * 86400, 4 * 86400
            else:
                if i % 4 == 3:
                    age_h = rng.randint(35 * 24, 400 * 24)
                else:
                    age_h = rng.randint(3, 27 * 24)
                age_s = age_h * 3600 + rng.randint(0, 3599)
                update_s = age_s - rng.randint(0, min(age_h, 72)) * 3600
            created = self.anchor - age_s
            updated = self.anchor - update_s
            requester = self.contacts[1001 + (i - 1) % 20]
            if i == 1:
                status, priority, subject = 2, 4, "Printer on fire"
                tags, ttype, source, responder, group = \
                    ["vip"], "Incident", 1, 1, 12
            else:
                status = 6 if i in CUSTOM_STATUS_TICKETS else \
                    rng.choice([2, 2, 3, 4, 5])
                priority = rng.choice(TICKET_PRIORITIES)
                subject = TICKET_SUBJECTS[(i - 2) % len(TICKET_SUBJECTS)]
                tags = rng.choice([[], [], ["billing"], ["printer"],
                                   ["vip", "billing"], ["onboarding"]])
                if i % 10 == 1 and "vip" not in tags:
                    tags = ["vip"] + tags
                ttype = rng.choice(TICKET_TYPES + [None])
                source = rng.choice([1, 1, 2, 3, 7, 9])
                responder = [1, 2, 3, 4, None][i % 5]
                group = [11, 12, None][i % 3]
            description = "<div>%s. Reported by %s (reference A-%d).</div>" \
                % (html.escape(subject), html.escape(requester["name"]),
                   1000 + i)
            resolved = created + 86400 if status in (4, 5) else None
            ticket = {
                "id": i, "subject": subject, "description": description,
                "description_text": strip_html(description),
                "status": status, "priority": priority, "source": source,
                "type": ttype, "requester_id": requester["id"],
                "responder_id": responder, "group_id": group,
                "company_id": requester["company_id"],
                "product_id": 41 if i % 6 == 0 else None,
                "email_config_id": 71 if source == 1 else None,
                "to_emails": ["support@acme.freshdesk.com"]
                if source == 1 else None,
                "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [],
                "fr_escalated": i % 9 == 0, "is_escalated": i % 11 == 0,
                "spam": i in SPAM_TICKETS, "deleted": i in DELETED_TICKETS,
                "due_by": iso(created + 3 * 86400),
                "fr_due_by": iso(created + 86400),
                "tags": tags,
                "custom_fields": {
                    "cf_order_id": "A-%d" % (1000 + i),
                    "cf_region": ["EMEA", "AMER", "APAC"][i % 3],
                    "cf_vip_level": i % 5,
                    "cf_escalated": i % 7 == 0,
                    "cf_renewal": iso_date(created + 365 * 86400)
                    if i % 2 == 0 else None,
                },
                "attachments": [], "association_type": None,
                "created_at": iso(created), "updated_at": iso(updated),
                "_watchers": [],
                "_stats": {
                    "agent_responded_at": iso(created + 3600)
                    if status != 2 else None,
                    "requester_responded_at": None,
                    "first_responded_at": iso(created + 3600)
                    if status != 2 else None,
                    "status_updated_at": iso(updated),
                    "reopened_at": None,
                    "resolved_at": iso(resolved) if resolved else None,
                    "closed_at": iso(resolved) if status == 5 else None,
                    "pending_since": iso(updated) if status == 3 else None,
                },
            }
            self.tickets[i] = ticket
        # Watchers: agent 1 ("me") watches 5 and 9 (and old ticket 3,
        # which filter=watching hides: it is outside the 30-day window).
        self.tickets[1]["_watchers"] = [2]
        self.tickets[3]["_watchers"] = [1]
        self.tickets[5]["_watchers"] = [1, 3]
        self.tickets[9]["_watchers"] = [1]

    def _seed_ticket_extras(self):
        """Conversations, time entries and satisfaction ratings."""
        next_conv = [5001]

        def conv(ticket, minutes, user_id, source, private, incoming, text):
            t0 = parse_time(ticket["created_at"])
            requester = self.contacts[ticket["requester_id"]]
            body = "<div>%s</div>" % html.escape(text)
            cid = next_conv[0]
            next_conv[0] += 1
            self.conversations[cid] = {
                "id": cid, "ticket_id": ticket["id"], "user_id": user_id,
                "body": body, "body_text": text, "private": private,
                "incoming": incoming, "source": source,
                "support_email": "support@acme.freshdesk.com"
                if not private else None,
                "from_email": requester["email"] if incoming else
                "support@acme.freshdesk.com",
                "to_emails": [] if incoming or private else
                [requester["email"]] if requester["email"] else [],
                "cc_emails": [], "bcc_emails": None, "attachments": [],
                "created_at": iso(t0 + minutes * 60),
                "updated_at": iso(t0 + minutes * 60),
                "last_edited_at": None, "last_edited_user_id": None,
            }

        t1 = self.tickets[1]
        conv(t1, 10, 1001, CONV_REPLY, False, True,
             "It is still smoking. Please hurry.")
        conv(t1, 20, 1, CONV_REPLY, False, False,
             "We have dispatched a technician with an extinguisher.")
        conv(t1, 30, 1, CONV_NOTE, True, False,
             "Internal: check the fuser unit warranty.")
        t2 = self.tickets[2]
        for k in range(1, 36):
            if k % 5 == 0:
                conv(t2, k * 10, 2, CONV_NOTE, True, False,
                     "Internal note %d on ticket 2" % k)
            elif k % 2:
                conv(t2, k * 10, t2["requester_id"], CONV_REPLY, False, True,
                     "Customer message %d on ticket 2" % k)
            else:
                conv(t2, k * 10, 2, CONV_REPLY, False, False,
                     "Agent reply %d on ticket 2" % k)
        for tid in range(6, 121, 6):
            ticket = self.tickets[tid]
            conv(ticket, 30, ticket["responder_id"] or 1, CONV_REPLY, False,
                 False, "Thanks, we are looking into ticket %d." % tid)

        # Response stats follow the seeded public replies.
        for c in sorted(self.conversations.values(),
                        key=lambda c: c["created_at"]):
            stats = self.tickets[c["ticket_id"]]["_stats"]
            if c["source"] != CONV_REPLY:
                continue
            if c["incoming"]:
                stats["requester_responded_at"] = c["created_at"]
            else:
                stats["agent_responded_at"] = max(
                    stats["agent_responded_at"] or "", c["created_at"])
                stats["first_responded_at"] = min(
                    stats["first_responded_at"] or "9", c["created_at"])

        entry_tickets = [1, 1, 2, 3, 4, 5, 8, 9, 10, 12]
        spent = ["00:30", "01:15", "00:45", "02:00", "00:10", "00:20",
                 "03:30", "00:05", "01:00", "00:50"]
        for k, tid in enumerate(entry_tickets):
            eid = 3001 + k
            ticket = self.tickets[tid]
            executed = min(parse_time(ticket["created_at"]) + 3600,
                           self.anchor - 60)
            running = eid == 3003
            self.time_entries[eid] = {
                "id": eid, "ticket_id": tid, "agent_id": k % 4 + 1,
                "company_id": ticket["company_id"],
                "billable": k % 3 != 2, "note": "Work on ticket %d" % tid,
                "timer_running": running, "time_spent": spent[k],
                "executed_at": iso(executed),
                "start_time": iso(self.anchor - 20 * 60) if running
                else iso(executed),
                "created_at": iso(executed), "updated_at": iso(executed),
            }

        rated = [t for t in sorted(self.tickets.values(),
                                   key=lambda t: t["id"])
                 if t["status"] in (4, 5) and not t["spam"]
                 and not t["deleted"]][:8]
        values = [103, 102, 101, 100, -101, 103, 102, -103]
        for k, ticket in enumerate(rated):
            rid = 2001 + k
            when = min(parse_time(ticket["updated_at"]) + 3600,
                       self.anchor - 60)
            self.satisfaction_ratings[rid] = {
                "id": rid, "survey_id": 141, "ticket_id": ticket["id"],
                "user_id": ticket["requester_id"],
                "agent_id": ticket["responder_id"],
                "group_id": ticket["group_id"],
                "feedback": ["Great help!", "Quick and friendly.", "OK.",
                             "Fine.", "Took too long.", "Excellent.",
                             "Solved my problem.", "Terrible."][k],
                "ratings": {"default_question": values[k]},
                "created_at": iso(when), "updated_at": iso(when),
            }

    # -- solutions ---------------------------------------------------------

    def _seed_solutions(self):
        created = self.ago(days=300)
        for cid, name in [(111, "Getting Started"), (112, "Billing"),
                          (113, "Troubleshooting")]:
            self.solution_categories[cid] = {
                "id": cid, "name": name,
                "description": "%s articles" % name,
                "visible_in_portals": [1], "created_at": created,
                "updated_at": created}
        for fid, cat, name in [(121, 111, "Account setup"),
                               (122, 112, "Invoices and payments"),
                               (123, 113, "Printers")]:
            self.solution_folders[fid] = {
                "id": fid, "name": name, "description": name,
                "visibility": 1, "category_id": cat, "company_ids": [],
                "articles_count": 0, "created_at": created,
                "updated_at": created}
        for aid, fid, title, status, tags in [
                (131, 121, "How to reset your password", 2, ["password"]),
                (132, 121, "Adding users to your account", 2, ["users"]),
                (133, 122, "Understanding your invoice", 2, ["invoice"]),
                (134, 122, "Updating payment details", 1, ["payment"]),
                (135, 123, "What to do when your printer is on fire", 2,
                 ["printer", "safety"])]:
            body = "<p>%s: step-by-step guide.</p>" % title
            self.solution_articles[aid] = {
                "id": aid, "type": 1,
                "category_id": self.solution_folders[fid]["category_id"],
                "folder_id": fid, "agent_id": 1, "title": title,
                "description": body, "description_text": strip_html(body),
                "status": status, "hits": aid % 17 * 10,
                "thumbs_up": aid % 7, "thumbs_down": aid % 3, "tags": tags,
                "seo_data": {"meta_title": title, "meta_description": title,
                             "meta_keywords": tags},
                "created_at": created, "updated_at": created}
            self.solution_folders[fid]["articles_count"] += 1

    # -- custom objects ----------------------------------------------------

    def _seed_custom_objects(self):
        created_ms = int((self.anchor - 200 * 86400) * 1000)

        def fld(fid, name, label, ftype, required=False, filterable=True,
                choices=None):
            return {"id": fid, "name": name, "label": label, "type": ftype,
                    "required": required, "filterable": filterable,
                    "searchable": ftype in ("PRIMARY", "TEXT"),
                    "editable": True, "position": int(fid.split("_")[1]),
                    "choices": [{"id": n + 1, "value": c}
                                for n, c in enumerate(choices or [])]}

        self.custom_object_schemas[30] = {
            "id": 30, "name": "Bookings", "prefix": "BKG", "version": 1,
            "description": "Hotel bookings of our customers",
            "fields": [
                fld("f_1", "booking_name", "Booking name", "PRIMARY", True),
                fld("f_2", "customer_email", "Customer email", "TEXT"),
                fld("f_3", "guests", "Guests", "NUMBER"),
                fld("f_4", "status", "Status", "DROPDOWN",
                    choices=BOOKING_STATUSES),
                fld("f_5", "check_in", "Check-in date", "DATE"),
                fld("f_6", "paid", "Paid", "CHECKBOX"),
                fld("f_7", "notes", "Notes", "PARAGRAPH", filterable=False),
            ],
            "created_time": created_ms, "updated_time": created_ms,
            "_next_record": 51,
        }
        self.custom_object_schemas[31] = {
            "id": 31, "name": "Subscriptions", "prefix": "SUB", "version": 1,
            "description": "Software subscriptions",
            "fields": [
                fld("f_1", "plan", "Plan", "PRIMARY", True),
                fld("f_2", "seats", "Seats", "NUMBER"),
                fld("f_3", "renewal", "Renewal", "DATE"),
            ],
            "created_time": created_ms, "updated_time": created_ms,
            "_next_record": 4,
        }
        contacts = list(self.contacts.values())
        for n in range(1, 51):
            when = int((self.anchor - (51 - n) * 3600) * 1000)
            self.custom_object_records["BKG-%d" % n] = {
                "display_id": "BKG-%d" % n, "version": 1,
                "data": {
                    "booking_name": "Booking %d" % n,
                    "customer_email": contacts[(n - 1) % 20]["email"],
                    "guests": 1 + n % 6,
                    "status": BOOKING_STATUSES[n % 3],
                    "check_in": iso_date(self.anchor + (n - 25) * 86400),
                    "paid": n % 2 == 0,
                    "notes": "Room %d" % (100 + n),
                },
                "created_time": when, "updated_time": when,
                "_schema_id": 30, "_seq": n,
            }
        for n, (plan, seats) in enumerate([("Starter", 5), ("Growth", 25),
                                           ("Enterprise", 200)], 1):
            self.custom_object_records["SUB-%d" % n] = {
                "display_id": "SUB-%d" % n, "version": 1,
                "data": {"plan": plan, "seats": seats,
                         "renewal": iso_date(self.anchor + n * 30 * 86400)},
                "created_time": created_ms, "updated_time": created_ms,
                "_schema_id": 31, "_seq": n,
            }


# ---------------------------------------------------------------------------
# Search query language (GET /search/tickets|contacts|companies)
#
#   query     := or_expr
#   or_expr   := and_expr ("OR" and_expr)*
#   and_expr  := primary ("AND" primary)*
#   primary   := "(" or_expr ")" | condition
#   condition := FIELD ":" [">" | "<"] VALUE      (no blanks inside)
#   VALUE     := integer | 'single quoted' | null | true | false
#
# ":>" means >= and ":<" means <=, for numbers and dates only.  A date-only
# value ('2024-05-01') compares against the date part of a timestamp.
# ---------------------------------------------------------------------------

class SearchError(Exception):
    pass


_TOKEN_RE = re.compile(r"""
    (?P<lparen>\() | (?P<rparen>\)) |
    (?P<cond>(?P<field>[A-Za-z_][A-Za-z0-9_]*):(?P<op>[<>]?)
             (?P<value>'[^']*'|-?\d+|null|true|false)) |
    (?P<kw>AND|OR)
""", re.X)


def tokenize_query(text):
    """Split a query into ('(',), (')',), ('AND',), ('OR',) and
    ('cond', field, op, value) tokens; raise SearchError on junk."""
    tokens = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise SearchError("Syntax error near '%s'" % text[pos:pos + 20])
        end = m.end()
        # Conditions and keywords must be followed by a blank, a
        # parenthesis or the end ("status:2x" and "ANDx" are errors).
        if (m.group("cond") or m.group("kw")) and end < len(text) \
                and not (text[end].isspace() or text[end] in "()"):
            raise SearchError("Syntax error near '%s'" % text[pos:pos + 20])
        if m.group("lparen"):
            tokens.append(("(",))
        elif m.group("rparen"):
            tokens.append((")",))
        elif m.group("kw"):
            tokens.append((m.group("kw"),))
        else:
            raw = m.group("value")
            if raw.startswith("'"):
                value = ("str", raw[1:-1])
            elif raw == "null":
                value = ("null", None)
            elif raw in ("true", "false"):
                value = ("bool", raw == "true")
            else:
                value = ("int", int(raw))
            tokens.append(("cond", m.group("field"), m.group("op"), value))
        pos = end
    return tokens


def parse_query(text):
    """Query string -> AST: ('or', [...]) | ('and', [...]) | cond token."""
    tokens = tokenize_query(text)
    if not tokens:
        raise SearchError("Query is empty")
    pos = [0]

    def peek():
        return tokens[pos[0]][0] if pos[0] < len(tokens) else None

    def take():
        tok = tokens[pos[0]]
        pos[0] += 1
        return tok

    def or_expr():
        items = [and_expr()]
        while peek() == "OR":
            take()
            items.append(and_expr())
        return items[0] if len(items) == 1 else ("or", items)

    def and_expr():
        items = [primary()]
        while peek() == "AND":
            take()
            items.append(primary())
        return items[0] if len(items) == 1 else ("and", items)

    def primary():
        kind = peek()
        if kind == "(":
            take()
            node = or_expr()
            if peek() != ")":
                raise SearchError("Missing closing parenthesis")
            take()
            return node
        if kind == "cond":
            return take()
        raise SearchError("Expected a condition, found %s"
                          % (kind or "end of query"))

    node = or_expr()
    if pos[0] != len(tokens):
        raise SearchError("Unexpected %s" % tokens[pos[0]][0])
    return node


def check_query(node, fields):
    """Reject unknown fields and values of the wrong type for a field.

    fields maps a field name to (kind, getter); kinds: int, str, bool, date,
    tags (list of strings, membership), strs (list of strings, any equal).
    """
    if node[0] in ("and", "or"):
        for child in node[1]:
            check_query(child, fields)
        return
    _, name, op, (vkind, value) = node
    if name not in fields:
        raise SearchError("Invalid search field: %s" % name)
    kind = fields[name][0]
    if op and kind not in ("int", "date"):
        raise SearchError("Operator :%s is only valid for numbers and "
                          "dates (field %s)" % (op, name))
    if vkind == "null":
        if op:
            raise SearchError("null cannot be compared with :%s" % op)
        return
    ok = {"int": vkind == "int", "bool": vkind == "bool",
          "str": vkind == "str", "tags": vkind == "str",
          "strs": vkind == "str",
          "date": vkind == "str" and parse_time(value) is not None}[kind]
    if not ok:
        raise SearchError("Invalid value for %s" % name)


def eval_query(node, obj, fields):
    """True if obj matches the (already checked) query AST."""
    if node[0] == "and":
        return all(eval_query(child, obj, fields) for child in node[1])
    if node[0] == "or":
        return any(eval_query(child, obj, fields) for child in node[1])
    _, name, op, (vkind, value) = node
    kind, getter = fields[name]
    actual = getter(obj)
    if vkind == "null":
        return actual in (None, [], "")
    if kind in ("tags", "strs"):
        return value.lower() in [str(v).lower() for v in actual or []]
    if actual is None:
        return False
    if kind == "str":
        return str(actual).lower() == value.lower()
    if kind == "bool":
        return actual is value
    if kind == "date":
        if DATE_RE.match(value):
            left, right = str(actual)[:10], value     # compare date parts
        else:
            left, right = parse_time(actual), parse_time(value)
    else:
        left, right = actual, value
    if op == ">":
        return left >= right
    if op == "<":
        return left <= right
    return left == right


def custom_search_fields(field_defs, getter):
    """Search fields for the cf_* entries of a *_fields collection."""
    fields = {}
    for fdef in field_defs:
        name = fdef["name"]
        if name.startswith("cf_"):
            kind = CUSTOM_FIELD_KINDS[fdef["type"]][1]
            fields[name] = (kind, lambda o, n=name: getter(o).get(n))
    return fields


# ---------------------------------------------------------------------------
# Request specs used by several endpoints
# ---------------------------------------------------------------------------

TICKET_SPEC = {
    "requester_id": Field("integer"), "email": Field("email"),
    "phone": Field("string"), "unique_external_id": Field("string"),
    "twitter_id": Field("string"), "facebook_id": Field("string"),
    "name": Field("string"), "subject": Field("string"),
    "description": Field("string"),
    "status": Field("integer", TICKET_STATUSES),
    "priority": Field("integer", TICKET_PRIORITIES),
    "source": Field("integer", TICKET_SOURCES),
    "type": Field("string", TICKET_TYPES, nullable=True),
    "responder_id": Field("integer", nullable=True),
    "group_id": Field("integer", nullable=True),
    "company_id": Field("integer", nullable=True),
    "product_id": Field("integer", nullable=True),
    "email_config_id": Field("integer", nullable=True),
    "tags": Field("strings"), "cc_emails": Field("emails"),
    "due_by": Field("datetime"), "fr_due_by": Field("datetime"),
    "custom_fields": Field("object"), "parent_id": Field("integer"),
    "attachments": Field("file"),
}
TICKET_UPDATE_SPEC = {k: v for k, v in TICKET_SPEC.items()
                      if k != "parent_id"}
TICKET_BULK_SPEC = {k: v for k, v in TICKET_UPDATE_SPEC.items()
                    if k not in REQUESTER_KEYS and k not in
                    ("name", "attachments")}
OUTBOUND_SPEC = {k: TICKET_SPEC[k] for k in [
    "email", "subject", "description", "status", "priority", "cc_emails",
    "tags", "custom_fields", "name", "type", "group_id", "email_config_id",
    "attachments"]}
NOTE_OBJECT_SPEC = {"body": Field("string"), "private": Field("boolean")}

CONTACT_SPEC = {
    "name": Field("string"), "email": Field("email"),
    "phone": Field("string"), "mobile": Field("string"),
    "twitter_id": Field("string"), "unique_external_id": Field("string"),
    "facebook_id": Field("string"),
    "company_id": Field("integer", nullable=True),
    "other_emails": Field("emails"), "job_title": Field("string"),
    "language": Field("string"), "time_zone": Field("string"),
    "address": Field("string"), "description": Field("string"),
    "tags": Field("strings"), "custom_fields": Field("object"),
    "view_all_tickets": Field("boolean"), "avatar": Field("file"),
}
CONTACT_ID_KEYS = ["email", "phone", "mobile", "twitter_id",
                   "unique_external_id", "facebook_id"]

TIME_ENTRY_SPEC = {
    "time_spent": Field("hhmm"), "agent_id": Field("integer"),
    "billable": Field("boolean"), "note": Field("string"),
    "executed_at": Field("datetime"), "start_time": Field("datetime"),
    "timer_running": Field("boolean"),
}

ARTICLE_SPEC = {
    "title": Field("string"), "description": Field("string"),
    "status": Field("integer", [1, 2]), "type": Field("integer", [1, 2]),
    "tags": Field("strings"), "seo_data": Field("object"),
    "agent_id": Field("integer"),
}

GROUP_SPEC = {
    "name": Field("string"), "description": Field("string", nullable=True),
    "agent_ids": Field("integers"),
    "escalate_to": Field("integer", nullable=True),
    "unassigned_for": Field("string", ["30m", "1h", "2h", "4h", "8h", "12h",
                                       "1d", "2d", "3d"], nullable=True),
    "auto_ticket_assign": Field("boolean"),
    "business_hour_id": Field("integer", nullable=True),
}

AGENT_UPDATE_SPEC = {
    "occasional": Field("boolean"), "signature": Field("string"),
    "ticket_scope": Field("integer", [1, 2, 3]),
    "group_ids": Field("integers"), "role_ids": Field("integers"),
    "skill_ids": Field("integers"),
}
MAKE_AGENT_SPEC = dict(AGENT_UPDATE_SPEC, type=Field(
    "string", ["support_agent", "field_agent", "collaborator"]))

TICKET_FIELD_TYPES = sorted({
    "default_requester", "default_subject", "default_ticket_type",
    "default_source", "default_status", "default_priority", "default_group",
    "default_agent", "default_product", "default_description",
    "default_company", "custom_text", "custom_paragraph", "custom_checkbox",
    "custom_number", "custom_date", "custom_dropdown", "nested_field"})


# ---------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------

class Request:
    """One parsed HTTP request as the API handlers see it."""

    def __init__(self, method, target, headers, body):
        self.method = method
        target = target.split("#", 1)[0]
        self.raw_path, _, self.raw_query = target.partition("?")
        self.path = unquote(self.raw_path)
        self.headers = headers           # lower-cased name -> value
        self.body = body                 # bytes
        pairs = parse_qsl(self.raw_query, keep_blank_values=True)
        self.params = dict(pairs)        # last value wins
        self.param_names = [k for k, _ in pairs]
        self.data = None                 # parsed JSON object body
        self.link = None                 # Link header of a paged list
        self.credits = 1                 # X-RateLimit-Used-CurrentRequest
        self.restricted = False
        self.reserved = 0                # credits taken by AccountLimit
        self.window = None               # ... in the window starting then
        self.refused = False             # 429 by the account limit
        self.charged = False             # AccountLimit.charge() done

    def json(self):
        """The JSON object body ({} when the request had none)."""
        return self.data if self.data is not None else {}


class Api:
    """Routes and handlers of /api/v2.  Handlers run under App.lock."""

    def __init__(self, app):
        self.app = app
        self.routes = []
        for pattern, methods in self.route_table():
            self.routes.append((self.compile(pattern), methods))

    @property
    def st(self):
        return self.app.state

    # -- routing -----------------------------------------------------------

    PLACEHOLDERS = {
        "id": (r"([1-9][0-9]*)", int),
        "type": (r"([0-9]+)", int),
        "key": (r"([A-Za-z0-9_-]+)", str),
    }

    def compile(self, pattern):
        converters = []

        def repl(m):
            regex, conv = self.PLACEHOLDERS[m.group(1).split("_")[-1]]
            converters.append(conv)
            return regex

        regex = re.sub(r"\{(\w+)\}", repl, re.escape(pattern).replace(
            r"\{", "{").replace(r"\}", "}"))
        return re.compile("^" + re.escape(API_PREFIX) + regex + "$"), \
            converters

    def route_table(self):
        return [
            # tickets
            ("/tickets", {"GET": self.list_tickets,
                          "POST": self.create_ticket}),
            ("/tickets/bulk_update", {"POST": self.bulk_update}),
            ("/tickets/bulk_delete", {"POST": self.bulk_delete}),
            ("/tickets/merge", {"PUT": self.merge_tickets}),
            ("/tickets/outbound_email", {"POST": self.outbound_email}),
            ("/tickets/{id}", {"GET": self.get_ticket,
                               "PUT": self.update_ticket,
                               "DELETE": self.delete_ticket}),
            ("/tickets/{id}/restore", {"PUT": self.restore_ticket}),
            ("/tickets/{id}/forward", {"POST": self.forward_ticket}),
            ("/tickets/{id}/reply", {"POST": self.reply_ticket}),
            ("/tickets/{id}/notes", {"POST": self.add_note}),
            ("/tickets/{id}/conversations",
             {"GET": self.list_conversations}),
            ("/tickets/{id}/watchers", {"GET": self.list_watchers}),
            ("/tickets/{id}/watch", {"POST": self.watch}),
            ("/tickets/{id}/unwatch", {"PUT": self.unwatch}),
            ("/tickets/{id}/time_entries",
             {"GET": self.list_ticket_time_entries,
              "POST": self.create_time_entry}),
            ("/tickets/{id}/satisfaction_ratings",
             {"GET": self.list_ticket_ratings, "POST": self.create_rating}),
            ("/jobs/{job_key}", {"GET": self.get_job}),
            ("/ticket_fields", {"GET": self.list_ticket_fields}),
            ("/conversations/{id}", {"PUT": self.update_conversation,
                                     "DELETE": self.delete_conversation}),
            # time entries, CSAT
            ("/time_entries", {"GET": self.list_time_entries}),
            ("/time_entries/{id}", {"PUT": self.update_time_entry,
                                    "DELETE": self.delete_time_entry}),
            ("/time_entries/{id}/toggle_timer",
             {"PUT": self.toggle_timer}),
            ("/surveys", {"GET": self.list_surveys}),
            ("/surveys/satisfaction_ratings", {"GET": self.list_ratings}),
            # contacts
            ("/contacts", {"GET": self.list_contacts,
                           "POST": self.create_contact}),
            ("/contacts/autocomplete", {"GET": self.autocomplete_contacts}),
            ("/contacts/merge", {"POST": self.merge_contacts}),
            ("/contacts/{id}", {"GET": self.get_contact,
                                "PUT": self.update_contact,
                                "DELETE": self.delete_contact}),
            ("/contacts/{id}/hard_delete",
             {"DELETE": self.hard_delete_contact}),
            ("/contacts/{id}/restore", {"PUT": self.restore_contact}),
            ("/contacts/{id}/make_agent", {"PUT": self.make_agent}),
            ("/contacts/{id}/send_invite", {"PUT": self.send_invite}),
            ("/contact_fields", {"GET": self.list_contact_fields}),
            # companies
            ("/companies", {"GET": self.list_companies,
                            "POST": self.create_company}),
            ("/companies/autocomplete",
             {"GET": self.autocomplete_companies}),
            ("/companies/{id}", {"GET": self.get_company,
                                 "PUT": self.update_company,
                                 "DELETE": self.delete_company}),
            ("/company_fields", {"GET": self.list_company_fields}),
            # agents, groups, configuration
            ("/agents", {"GET": self.list_agents}),
            ("/agents/me", {"GET": self.get_me}),
            ("/agents/{id}", {"GET": self.get_agent,
                              "PUT": self.update_agent,
                              "DELETE": self.delete_agent}),
            ("/groups", {"GET": self.list_groups,
                         "POST": self.create_group}),
            ("/groups/{id}", {"GET": self.get_group,
                              "PUT": self.update_group,
                              "DELETE": self.delete_group}),
            ("/roles", {"GET": self.lister("roles")}),
            ("/roles/{id}", {"GET": self.getter("roles")}),
            ("/admin/skills", {"GET": self.lister("skills")}),
            ("/admin/skills/{id}", {"GET": self.getter("skills")}),
            ("/products", {"GET": self.lister("products")}),
            ("/products/{id}", {"GET": self.getter("products")}),
            ("/business_hours", {"GET": self.lister("business_hours")}),
            ("/business_hours/{id}", {"GET": self.getter("business_hours")}),
            ("/sla_policies", {"GET": self.lister("sla_policies")}),
            ("/email_configs", {"GET": self.lister("email_configs")}),
            ("/email_configs/{id}", {"GET": self.getter("email_configs")}),
            ("/automations/{type}/rules", {"GET": self.list_rules}),
            ("/automations/{type}/rules/{id}", {"GET": self.get_rule}),
            ("/canned_response_folders",
             {"GET": self.lister("canned_response_folders")}),
            ("/canned_response_folders/{id}",
             {"GET": self.get_canned_folder}),
            ("/canned_response_folders/{id}/responses",
             {"GET": self.list_canned_responses}),
            ("/canned_responses", {"POST": self.create_canned_response}),
            ("/canned_responses/{id}",
             {"GET": self.getter("canned_responses")}),
            # solutions
            ("/solutions/categories",
             {"GET": self.lister("solution_categories")}),
            ("/solutions/categories/{id}",
             {"GET": self.getter("solution_categories")}),
            ("/solutions/categories/{id}/folders",
             {"GET": self.list_solution_folders}),
            ("/solutions/folders/{id}",
             {"GET": self.getter("solution_folders")}),
            ("/solutions/folders/{id}/articles",
             {"GET": self.list_articles, "POST": self.create_article}),
            ("/solutions/articles/{id}", {"GET": self.get_article,
                                          "PUT": self.update_article,
                                          "DELETE": self.delete_article}),
            ("/search/solutions", {"GET": self.search_solutions}),
            # search
            ("/search/tickets", {"GET": self.search_tickets}),
            ("/search/contacts", {"GET": self.search_contacts}),
            ("/search/companies", {"GET": self.search_companies}),
            # custom objects
            ("/custom_objects/schemas", {"GET": self.list_schemas}),
            ("/custom_objects/schemas/{id}", {"GET": self.get_schema}),
            ("/custom_objects/schemas/{id}/records",
             {"GET": self.list_records, "POST": self.create_record}),
            ("/custom_objects/schemas/{id}/records/count",
             {"GET": self.count_records}),
            ("/custom_objects/schemas/{id}/records/{record_key}",
             {"GET": self.get_record, "PUT": self.update_record,
              "DELETE": self.delete_record}),
        ]

    def match(self, path):
        """(methods, args) of the route for path, or (None, None)."""
        for (regex, converters), methods in self.routes:
            m = regex.match(path)
            if m:
                return methods, [conv(g) for conv, g in
                                 zip(converters, m.groups())]
        return None, None

    # -- shared helpers ----------------------------------------------------

    def now(self):
        return iso(time.time())

    def location(self, path):
        return {"Location": "https://%s.freshdesk.com%s/%s"
                % (self.app.account, API_PREFIX, path)}

    def created(self, obj, path):
        return Response(201, obj, self.location(path))

    def get_or_404(self, collection, key):
        obj = getattr(self.st, collection).get(key)
        if obj is None:
            raise not_found()
        return obj

    def lister(self, collection):
        """Handler returning a whole (unpaged) collection, ordered by id."""
        def handler(req):
            return Response(200, [public(o) for _, o in sorted(
                getattr(self.st, collection).items())])
        return handler

    def getter(self, collection):
        def handler(req, key):
            return Response(200, public(self.get_or_404(collection, key)))
        return handler

    def check_params(self, req, allowed):
        """400 invalid_field for query parameters the endpoint lacks."""
        unknown = []
        for name in req.param_names:
            if name not in allowed and name not in unknown:
                unknown.append(name)
        if unknown:
            raise validation_failed([ferr(n, "invalid_field",
                                          MSG_INVALID_FIELD)
                                     for n in unknown])

    def int_param(self, req, name, default=None, maximum=None):
        raw = req.params.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]+", raw):
            raise validation_failed([ferr(
                name, "datatype_mismatch",
                "Value set is of type String.It should be a/an Positive "
                "Integer")])
        value = int(raw)
        if value < 1:
            raise bad_value(name, "It should be a/an Positive Integer")
        if maximum is not None and value > maximum:
            raise bad_value(name, "It should be a Positive Integer less "
                                  "than or equal to %d" % maximum)
        return value

    def time_param(self, req, name):
        raw = req.params.get(name)
        if raw is None:
            return None
        value = parse_time(raw)
        if value is None:
            raise bad_value(name, "It should be in the 'valid date time' "
                                  "format")
        return value

    def enum_param(self, req, name, choices, default=None):
        raw = req.params.get(name)
        if raw is None:
            return default
        if raw not in choices:
            raise bad_value(name, choices_message(choices))
        return raw

    def include_param(self, req, choices):
        raw = req.params.get("include")
        if raw is None:
            return []
        names = raw.split(",")
        for name in names:
            if name not in choices:
                raise bad_value("include", choices_message(choices))
        return list(dict.fromkeys(names))

    def paginate(self, req, items, max_page=None):
        """One page of items; sets req.link when more rows exist."""
        page = self.int_param(req, "page", 1, maximum=max_page)
        per_page = self.int_param(req, "per_page", DEFAULT_PER_PAGE,
                                  maximum=MAX_PER_PAGE)
        start = (page - 1) * per_page
        if len(items) > start + per_page:
            req.link = self.next_link(req, page + 1)
        return items[start:start + per_page]

    def next_link(self, req, page):
        """Link header for the next page: the request's own query with the
        page parameter replaced (other parameters kept verbatim)."""
        parts, replaced = [], False
        for part in req.raw_query.split("&") if req.raw_query else []:
            if not part:
                continue
            if unquote_plus(part.split("=", 1)[0]) == "page":
                if not replaced:
                    parts.append("page=%d" % page)
                    replaced = True
                continue
            parts.append(part)
        if not replaced:
            parts.append("page=%d" % page)
        return '<https://%s.freshdesk.com%s?%s>; rel="next"' % (
            self.app.account, req.raw_path, "&".join(parts))

    def fail_if(self, errors, status=400):
        if errors:
            raise validation_failed(errors, status)

    def user_summary(self, uid):
        """{id,name,email,mobile,phone} of a contact or agent."""
        contact = self.st.contacts.get(uid)
        if contact:
            return {k: contact[k] for k in ("id", "name", "email", "mobile",
                                            "phone")}
        agent = self.st.agents.get(uid)
        if agent:
            c = agent["contact"]
            return {"id": uid, "name": c["name"], "email": c["email"],
                    "mobile": c["mobile"], "phone": c["phone"]}
        return {}

    def user_exists(self, uid):
        return uid in self.st.contacts or uid in self.st.agents

    # -- tickets -----------------------------------------------------------

    def ticket_or_404(self, tid):
        return self.get_or_404("tickets", tid)

    def render_ticket(self, t, listing=False, include=()):
        out = public(t)
        if listing and "description" not in include:
            out.pop("description", None)
            out.pop("description_text", None)
        if "stats" in include:
            out["stats"] = dict(t["_stats"])
        if "requester" in include:
            out["requester"] = self.user_summary(t["requester_id"])
        if "company" in include:
            company = self.st.companies.get(t["company_id"])
            out["company"] = {"id": company["id"], "name": company["name"]} \
                if company else {}
        if "conversations" in include:
            out["conversations"] = [public(c) for c in
                                    self.ticket_conversations(t["id"])[:10]]
        return out

    def ticket_conversations(self, tid):
        return sorted((c for c in self.st.conversations.values()
                       if c["ticket_id"] == tid),
                      key=lambda c: (c["created_at"], c["id"]))

    def frozen(self, t):
        return t["spam"] or t["deleted"]

    def check_ticket_refs(self, body, bad, errors, create=False):
        """Semantic checks of ticket fields (ids exist, custom fields)."""
        st = self.st
        refs = [("responder_id", st.agents, "agent"),
                ("group_id", st.groups, "group"),
                ("company_id", st.companies, "company"),
                ("product_id", st.products, "product"),
                ("email_config_id", st.email_configs, "email_config"),
                ("parent_id", st.tickets, "ticket")]
        for name, coll, label in refs:
            value = body.get(name)
            if name in body and name not in bad and value is not None \
                    and value not in coll:
                errors.append(ferr(name, "invalid_value",
                                   "There is no %s matching the given %s"
                                   % (label, name)))
        rid = body.get("requester_id")
        if "requester_id" in body and "requester_id" not in bad \
                and not self.user_exists(rid):
            errors.append(ferr("requester_id", "invalid_value",
                               "There is no contact matching the given "
                               "requester_id"))
        if "custom_fields" in body and "custom_fields" not in bad:
            validate_custom_fields(body["custom_fields"],
                                   self.st.ticket_fields.values(), errors)
        if create and ("due_by" in body) != ("fr_due_by" in body):
            missing = "fr_due_by" if "due_by" in body else "due_by"
            errors.append(ferr(missing, "missing_field",
                               "Should be given with due_by and fr_due_by "
                               "together"))
        if "due_by" in body and "fr_due_by" in body and not (
                {"due_by", "fr_due_by"} & bad) and \
                parse_time(body["due_by"]) < parse_time(body["fr_due_by"]):
            errors.append(ferr("due_by", "invalid_value",
                               "It should be greater than or equal to "
                               "fr_due_by"))

    def check_requester(self, body, bad, errors, required):
        given = [k for k in REQUESTER_KEYS if k in body]
        if not given and required:
            errors.append(ferr("requester_id", "missing_field",
                               "Please fill at least 1 of requester_id, "
                               "phone, email, twitter_id, facebook_id, "
                               "unique_external_id attributes"))
        if given and given[0] == "phone" and "phone" not in bad \
                and "name" not in body \
                and not self.find_contact("phone", body["phone"]):
            errors.append(ferr("name", "missing_field",
                               "It should be a/an String (required "
                               "with a new phone number)"))

    def find_contact(self, key, value):
        for contact in self.st.contacts.values():
            current = contact.get(key)
            if key == "email" and current and value:
                if current.lower() == value.lower() or value.lower() in [
                        e.lower() for e in contact["other_emails"]]:
                    return contact
            elif current is not None and current == value:
                return contact
        return None

    def resolve_requester(self, body):
        """Requester id for a validated body; unknown identities become
        new contacts, like Freshdesk does."""
        if "requester_id" in body:
            return body["requester_id"]
        for key in REQUESTER_KEYS[1:]:
            if key in body:
                found = self.find_contact(key, body[key])
                if found:
                    return found["id"]
                if key == "email":
                    for agent in self.st.agents.values():
                        if agent["contact"]["email"].lower() == \
                                body[key].lower():
                            return agent["id"]
                name = body.get("name") or (
                    body[key].split("@")[0] if key == "email" else body[key])
                return self.new_contact({"name": name, key: body[key]})["id"]
        return None

    def new_contact(self, fields, cid=None):
        cid = cid or self.st.new_id("contacts")
        now = self.now()
        contact = {
            "id": cid, "name": None, "email": None, "other_emails": [],
            "phone": None, "mobile": None, "twitter_id": None,
            "unique_external_id": None, "facebook_id": None,
            "company_id": None, "view_all_tickets": False, "address": None,
            "description": None, "job_title": None, "language": "en",
            "time_zone": "Eastern Time (US & Canada)", "tags": [],
            "custom_fields": {"cf_customer_tier": None,
                              "cf_account_number": None},
            "active": False, "deleted": False, "avatar": None,
            "created_at": now, "updated_at": now, "_blocked": False,
        }
        self.apply_contact_changes(contact, fields)
        contact["created_at"] = contact["updated_at"]
        self.st.contacts[cid] = contact
        return contact

    def set_ticket_status(self, t, status, now):
        if status == t["status"]:
            return
        stats = t["_stats"]
        if t["status"] in (4, 5) and status not in (4, 5):
            stats["reopened_at"] = now
        if status == 3:
            stats["pending_since"] = now
        if status == 4:
            stats["resolved_at"] = now
        if status == 5:
            stats["closed_at"] = now
            stats["resolved_at"] = stats["resolved_at"] or now
        stats["status_updated_at"] = now
        t["status"] = status

    def apply_ticket_changes(self, t, body):
        """Apply a validated create/update body: given keys only, arrays
        replace, custom_fields merge key by key."""
        now = self.now()
        for key, value in body.items():
            if key in REQUESTER_KEYS or key == "name":
                continue
            if key == "custom_fields":
                t["custom_fields"] = dict(t["custom_fields"], **value)
            elif key == "status":
                self.set_ticket_status(t, value, now)
            elif key in ("due_by", "fr_due_by"):
                t[key] = iso(parse_time(value))
            elif key == "description":
                t["description"] = value
                t["description_text"] = strip_html(value)
            elif key == "parent_id":
                t["association_type"] = 2
                self.st.tickets[value]["association_type"] = 1
            else:
                t[key] = copy.deepcopy(value)
        if any(k in body for k in REQUESTER_KEYS):
            t["requester_id"] = self.resolve_requester(body)
        t["updated_at"] = now

    def new_ticket(self, body, source_default=2, status_default=2):
        tid = self.st.new_id("tickets")
        now = self.now()
        requester_id = self.resolve_requester(body)
        requester = self.st.contacts.get(requester_id) or {}
        t = {
            "id": tid, "subject": None, "description": "",
            "description_text": "", "status": 2,
            "priority": 1, "source": source_default, "type": None,
            "requester_id": requester_id, "responder_id": None,
            "group_id": None, "company_id": requester.get("company_id"),
            "product_id": None, "email_config_id": None, "to_emails": None,
            "cc_emails": [], "fwd_emails": [], "reply_cc_emails": [],
            "fr_escalated": False, "is_escalated": False, "spam": False,
            "deleted": False, "due_by": iso(time.time() + 3 * 86400),
            "fr_due_by": iso(time.time() + 86400), "tags": [],
            "custom_fields": {f["name"]: None for f in
                              self.st.ticket_fields.values()
                              if f["name"].startswith("cf_")},
            "attachments": [], "association_type": None,
            "created_at": now, "updated_at": now, "_watchers": [],
            "_stats": {k: None for k in (
                "agent_responded_at", "requester_responded_at",
                "first_responded_at", "status_updated_at", "reopened_at",
                "resolved_at", "closed_at", "pending_since")},
        }
        t["_stats"]["status_updated_at"] = now
        fields = {k: v for k, v in body.items() if k not in REQUESTER_KEYS}
        status = fields.pop("status", status_default)
        self.apply_ticket_changes(t, fields)
        self.set_ticket_status(t, status, now)     # fills the stats
        self.st.tickets[tid] = t
        return t

    def list_tickets(self, req):
        self.check_params(req, [
            "filter", "requester_id", "email", "unique_external_id",
            "company_id", "updated_since", "order_by", "order_type",
            "include", "page", "per_page"])
        include = self.include_param(req, ["stats", "requester",
                                           "description"])
        req.credits = 1 + 2 * len(include)
        flt = self.enum_param(req, "filter", ["new_and_my_open", "watching",
                                              "spam", "deleted"])
        order_by = self.enum_param(req, "order_by", [
            "created_at", "due_by", "updated_at", "status"], "created_at")
        order_type = self.enum_param(req, "order_type", ["asc", "desc"],
                                     "desc")
        since = None if flt else self.time_param(req, "updated_since")
        tickets = list(self.st.tickets.values())
        if flt == "spam":
            tickets = [t for t in tickets if t["spam"] and not t["deleted"]]
        elif flt == "deleted":
            tickets = [t for t in tickets if t["deleted"]]
        else:
            tickets = [t for t in tickets if not self.frozen(t)]
        if flt == "new_and_my_open":
            tickets = [t for t in tickets if t["status"] == 2 and
                       t["responder_id"] in (None, ME_AGENT_ID)]
        elif flt == "watching":
            tickets = [t for t in tickets if ME_AGENT_ID in t["_watchers"]]
        elif flt is None:
            tickets = self.filter_tickets_by_owner(req, tickets)
        if since is None:
            cutoff = time.time() - TICKET_WINDOW_DAYS * 86400
            tickets = [t for t in tickets
                       if parse_time(t["created_at"]) >= cutoff]
        else:
            tickets = [t for t in tickets
                       if parse_time(t["updated_at"]) >= since]
        tickets.sort(key=lambda t: (t[order_by], t["id"]),
                     reverse=order_type == "desc")
        page = self.paginate(req, tickets, max_page=MAX_TICKET_LIST_PAGE)
        return Response(200, [self.render_ticket(t, True, include)
                              for t in page])

    def filter_tickets_by_owner(self, req, tickets):
        """requester_id / email / unique_external_id / company_id."""
        rid = self.int_param(req, "requester_id")
        if rid is not None:
            if not self.user_exists(rid):
                raise bad_value("requester_id", "There is no contact "
                                "matching the given requester_id")
            tickets = [t for t in tickets if t["requester_id"] == rid]
        for key in ("email", "unique_external_id"):
            if key in req.params:
                contact = self.find_contact(key, req.params[key])
                if contact is None:
                    raise bad_value(key, "There is no contact matching the "
                                         "given %s" % key)
                tickets = [t for t in tickets
                           if t["requester_id"] == contact["id"]]
        company_id = self.int_param(req, "company_id")
        if company_id is not None:
            if company_id not in self.st.companies:
                raise bad_value("company_id", "There is no company "
                                "matching the given company_id")
            tickets = [t for t in tickets if t["company_id"] == company_id]
        return tickets

    def get_ticket(self, req, tid):
        self.check_params(req, ["include"])
        include = self.include_param(req, ["conversations", "requester",
                                           "company", "stats"])
        req.credits = 1 + len(include)
        return Response(200, self.render_ticket(self.ticket_or_404(tid),
                                                include=include))

    def create_ticket(self, req):
        body = req.json()
        errors, bad = validate(body, TICKET_SPEC, ["subject", "description"])
        self.check_requester(body, bad, errors, required=True)
        self.check_ticket_refs(body, bad, errors, create=True)
        self.fail_if(errors)
        t = self.new_ticket(body)
        return self.created(self.render_ticket(t), "tickets/%d" % t["id"])

    def update_ticket(self, req, tid):
        t = self.ticket_or_404(tid)
        body = req.json()
        errors, bad = validate(body, TICKET_UPDATE_SPEC)
        self.check_requester(body, bad, errors, required=False)
        self.check_ticket_refs(body, bad, errors)
        self.fail_if(errors)
        if self.frozen(t):
            raise bad_value("id", "Spam or deleted tickets cannot be "
                                  "updated")
        self.apply_ticket_changes(t, body)
        return Response(200, self.render_ticket(t))

    def delete_ticket(self, req, tid):
        t = self.ticket_or_404(tid)
        if t["deleted"]:
            raise not_found()
        t["deleted"] = True
        t["updated_at"] = self.now()
        return Response(204)

    def restore_ticket(self, req, tid):
        t = self.ticket_or_404(tid)
        if t["deleted"]:
            t["deleted"] = False
            t["updated_at"] = self.now()
        return Response(204)

    # -- bulk jobs ---------------------------------------------------------

    def bulk_body(self, req, spec, required):
        """Validate {"bulk_action": {...}}; returns the inner object."""
        body = req.json()
        errors, bad = validate(body, {"bulk_action": Field("object")},
                               ["bulk_action"])
        self.fail_if(errors)
        action = body["bulk_action"]
        errors, bad = validate(action, spec, required)
        if "ids" not in bad and not action["ids"]:
            errors.append(ferr("ids", "invalid_value",
                               "It should not be blank"))
        return action, errors, bad

    def new_job(self, action, ids, payload):
        now = self.now()
        job = {"id": str(uuid.uuid4()), "status": "in_progress",
               "action": action, "data": [], "created_at": now,
               "updated_at": now, "_ids": ids, "_payload": payload,
               "_fetches": 0}
        self.st.jobs[job["id"]] = job
        return Response(202, {"job_id": job["id"]})

    def bulk_update(self, req):
        action, errors, bad = self.bulk_body(req, {
            "ids": Field("integers"), "properties": Field("object"),
            "reply": Field("object")}, ["ids"])
        if "properties" in action and "properties" not in bad:
            _, pbad = validate(action["properties"], TICKET_BULK_SPEC,
                               errors=errors)
            self.check_ticket_refs(action["properties"], pbad, errors)
        if "reply" in action and "reply" not in bad:
            validate(action["reply"], {"body": Field("string"),
                                       "from_email": Field("email")},
                     ["body"], errors)
        if not ({"properties", "reply"} & set(action)):
            errors.append(ferr("properties", "missing_field",
                               "Please fill at least 1 of properties, "
                               "reply attributes"))
        self.fail_if(errors)
        return self.new_job("bulk_update", action["ids"],
                            {"properties": action.get("properties", {}),
                             "reply": action.get("reply")})

    def bulk_delete(self, req):
        action, errors, _ = self.bulk_body(
            req, {"ids": Field("integers")}, ["ids"])
        self.fail_if(errors)
        return self.new_job("bulk_delete", action["ids"], {})

    def run_job(self, job):
        """Apply a bulk job; called when the job turns "completed"."""
        results = []
        payload = job["_payload"]
        for tid in job["_ids"]:
            t = self.st.tickets.get(tid)
            ok = t is not None and not self.frozen(t)
            if ok and job["action"] == "bulk_update":
                if payload["properties"]:
                    self.apply_ticket_changes(t, payload["properties"])
                if payload["reply"]:
                    self.add_conversation(
                        t, ME_AGENT_ID, payload["reply"]["body"], CONV_REPLY,
                        private=False,
                        from_email=payload["reply"].get("from_email"))
            elif ok:
                t["deleted"] = True
                t["updated_at"] = self.now()
            results.append({"id": tid, "success": ok})
        job["data"] = results
        job["status"] = "completed"
        job["updated_at"] = self.now()

    def get_job(self, req, job_id):
        job = self.get_or_404("jobs", job_id)
        job["_fetches"] += 1
        if job["status"] == "in_progress" and job["_fetches"] > 1:
            self.run_job(job)
        return Response(200, public(job))

    # -- merge -------------------------------------------------------------

    def merge_tickets(self, req):
        body = req.json()
        errors, bad = validate(body, {
            "primary_id": Field("integer"), "ticket_ids": Field("integers"),
            "note_in_primary": Field("object"),
            "note_in_secondary": Field("object"),
            "convert_recepients_to_cc": Field("boolean")},
            ["primary_id", "ticket_ids"])
        for key in ("note_in_primary", "note_in_secondary"):
            if key in body and key not in bad:
                validate(body[key], NOTE_OBJECT_SPEC, ["body"], errors)
        tickets = self.st.tickets
        if "primary_id" not in bad:
            t = tickets.get(body["primary_id"])
            if t is None or self.frozen(t):
                errors.append(ferr("primary_id", "invalid_value",
                                   "There is no ticket matching the given "
                                   "primary_id"))
        if "ticket_ids" not in bad:
            ids = body["ticket_ids"]
            if not ids:
                errors.append(ferr("ticket_ids", "invalid_value",
                                   "It should not be blank"))
            elif body.get("primary_id") in ids:
                errors.append(ferr("ticket_ids", "invalid_value",
                                   "It should not contain the primary_id"))
            else:
                missing = [i for i in ids if i not in tickets
                           or self.frozen(tickets[i])]
                if missing:
                    errors.append(ferr(
                        "ticket_ids", "invalid_value",
                        "There are no tickets matching the given ids: %s"
                        % ", ".join(str(i) for i in missing)))
        self.fail_if(errors)
        primary = tickets[body["primary_id"]]
        secondaries = [tickets[i] for i in dict.fromkeys(body["ticket_ids"])]
        id_list = ", ".join(str(t["id"]) for t in secondaries)
        now = self.now()
        note = body.get("note_in_secondary", {})
        for t in secondaries:
            self.add_conversation(
                t, ME_AGENT_ID, note.get("body") or
                "This ticket is closed and merged into ticket %d"
                % primary["id"], CONV_NOTE, private=note.get("private", True))
            self.set_ticket_status(t, 5, now)
            t["updated_at"] = now
        note = body.get("note_in_primary", {})
        self.add_conversation(
            primary, ME_AGENT_ID, note.get("body") or
            "Tickets with ids %s are merged into this ticket" % id_list,
            CONV_NOTE, private=note.get("private", True))
        if body.get("convert_recepients_to_cc"):
            for t in secondaries:
                email = self.user_summary(t["requester_id"]).get("email")
                emails = [email] + t["cc_emails"] if email else t["cc_emails"]
                for e in emails:
                    if e not in primary["cc_emails"]:
                        primary["cc_emails"].append(e)
        return Response(204)

    # -- conversations -----------------------------------------------------

    def add_conversation(self, t, user_id, body, source, private,
                         incoming=False, to_emails=None, cc_emails=None,
                         bcc_emails=None, from_email=None):
        now = self.now()
        cid = self.st.new_id("conversations")
        support = "support@acme.freshdesk.com"
        conv = {
            "id": cid, "ticket_id": t["id"], "user_id": user_id,
            "body": body, "body_text": strip_html(body), "private": private,
            "incoming": incoming, "source": source,
            "support_email": None if private else support,
            "from_email": from_email or (None if private else support),
            "to_emails": to_emails or [], "cc_emails": cc_emails or [],
            "bcc_emails": bcc_emails or [], "attachments": [],
            "created_at": now, "updated_at": now, "last_edited_at": None,
            "last_edited_user_id": None,
        }
        self.st.conversations[cid] = conv
        t["updated_at"] = now
        if source == CONV_REPLY and not incoming and user_id in \
                self.st.agents:
            t["_stats"]["agent_responded_at"] = now
            t["_stats"]["first_responded_at"] = \
                t["_stats"]["first_responded_at"] or now
        return conv

    def check_user(self, body, key, bad, errors, agents_only=False):
        if key in body and key not in bad:
            ok = body[key] in self.st.agents if agents_only \
                else self.user_exists(body[key])
            if not ok:
                errors.append(ferr(key, "invalid_value",
                                   "There is no %s matching the given %s"
                                   % ("agent" if agents_only else "user",
                                      key)))

    def conversation_created(self, conv):
        return self.created(public(conv), "conversations/%d" % conv["id"])

    def forward_ticket(self, req, tid):
        t = self.ticket_or_404(tid)
        body = req.json()
        errors, bad = validate(body, {
            "to_emails": Field("emails"), "body": Field("string"),
            "cc_emails": Field("emails"), "bcc_emails": Field("emails"),
            "from_email": Field("email"), "agent_id": Field("integer"),
            "include_original_attachments": Field("boolean"),
            "include_quoted_text": Field("boolean")}, ["to_emails"])
        if "to_emails" not in bad and not body["to_emails"]:
            errors.append(ferr("to_emails", "invalid_value",
                               "It should not be blank"))
        self.check_user(body, "agent_id", bad, errors, agents_only=True)
        self.fail_if(errors)
        text = body.get("body", "")
        if body.get("include_quoted_text", True):
            text += "<blockquote>%s</blockquote>" % t["description"]
        conv = self.add_conversation(
            t, body.get("agent_id", ME_AGENT_ID), text, CONV_FORWARD,
            private=True, to_emails=body["to_emails"],
            cc_emails=body.get("cc_emails"),
            bcc_emails=body.get("bcc_emails"),
            from_email=body.get("from_email"))
        return self.conversation_created(conv)

    def reply_ticket(self, req, tid):
        t = self.ticket_or_404(tid)
        body = req.json()
        errors, bad = validate(body, {
            "body": Field("string"), "from_email": Field("email"),
            "user_id": Field("integer"), "cc_emails": Field("emails"),
            "bcc_emails": Field("emails"), "attachments": Field("file")},
            ["body"])
        self.check_user(body, "user_id", bad, errors)
        self.fail_if(errors)
        requester = self.user_summary(t["requester_id"])
        conv = self.add_conversation(
            t, body.get("user_id", ME_AGENT_ID), body["body"], CONV_REPLY,
            private=False,
            to_emails=[requester["email"]] if requester.get("email") else [],
            cc_emails=body.get("cc_emails"),
            bcc_emails=body.get("bcc_emails"),
            from_email=body.get("from_email"))
        return self.conversation_created(conv)

    def add_note(self, req, tid):
        t = self.ticket_or_404(tid)
        body = req.json()
        errors, bad = validate(body, {
            "body": Field("string"), "private": Field("boolean"),
            "notify_emails": Field("emails"), "incoming": Field("boolean"),
            "user_id": Field("integer"), "attachments": Field("file")},
            ["body"])
        self.check_user(body, "user_id", bad, errors)
        self.fail_if(errors)
        conv = self.add_conversation(
            t, body.get("user_id", ME_AGENT_ID), body["body"], CONV_NOTE,
            private=body.get("private", True),
            incoming=body.get("incoming", False),
            to_emails=body.get("notify_emails"))
        return self.conversation_created(conv)

    def list_conversations(self, req, tid):
        self.check_params(req, ["page", "per_page"])
        self.ticket_or_404(tid)
        page = self.paginate(req, self.ticket_conversations(tid))
        return Response(200, [public(c) for c in page])

    def update_conversation(self, req, cid):
        conv = self.get_or_404("conversations", cid)
        body = req.json()
        errors, _ = validate(body, {"body": Field("string"),
                                    "attachments": Field("file")}, ["body"])
        self.fail_if(errors)
        if conv["source"] != CONV_NOTE:
            raise bad_value("id", "Only notes can be updated")
        now = self.now()
        conv.update(body=body["body"], body_text=strip_html(body["body"]),
                    updated_at=now, last_edited_at=now,
                    last_edited_user_id=ME_AGENT_ID)
        return Response(200, public(conv))

    def delete_conversation(self, req, cid):
        self.get_or_404("conversations", cid)
        del self.st.conversations[cid]
        return Response(204)

    # -- watchers ----------------------------------------------------------

    def list_watchers(self, req, tid):
        t = self.ticket_or_404(tid)
        return Response(200, {"watcher_ids": sorted(t["_watchers"])})

    def watcher_id(self, req):
        body = req.json()
        errors, bad = validate(body, {"user_id": Field("integer")})
        self.check_user(body, "user_id", bad, errors, agents_only=True)
        self.fail_if(errors)
        return body.get("user_id", ME_AGENT_ID)

    def watch(self, req, tid):
        t = self.ticket_or_404(tid)
        uid = self.watcher_id(req)
        if uid not in t["_watchers"]:
            t["_watchers"].append(uid)
        return Response(204)

    def unwatch(self, req, tid):
        t = self.ticket_or_404(tid)
        uid = self.watcher_id(req)
        if uid in t["_watchers"]:
            t["_watchers"].remove(uid)
        return Response(204)

    # -- outbound email, ticket fields -------------------------------------

    def outbound_email(self, req):
        body = req.json()
        errors, bad = validate(body, OUTBOUND_SPEC,
                               ["email", "subject", "email_config_id"])
        self.check_ticket_refs(body, bad, errors)
        self.fail_if(errors)
        body = dict(body)
        body.setdefault("description", "")
        t = self.new_ticket(body, source_default=SOURCE_OUTBOUND_EMAIL,
                            status_default=5)
        t["to_emails"] = [body["email"]]
        return self.created(self.render_ticket(t), "tickets/%d" % t["id"])

    def list_ticket_fields(self, req):
        self.check_params(req, ["type"])
        ftype = self.enum_param(req, "type", TICKET_FIELD_TYPES)
        fields = [public(f) for _, f in sorted(self.st.ticket_fields.items())
                  if ftype is None or f["type"] == ftype]
        return Response(200, fields)

    # -- time entries ------------------------------------------------------

    def time_entry_errors(self, body, required=()):
        errors, bad = validate(body, TIME_ENTRY_SPEC, required)
        self.check_user(body, "agent_id", bad, errors, agents_only=True)
        return errors

    def list_ticket_time_entries(self, req, tid):
        self.check_params(req, ["page", "per_page"])
        self.ticket_or_404(tid)
        entries = [e for _, e in sorted(self.st.time_entries.items())
                   if e["ticket_id"] == tid]
        return Response(200, [public(e) for e in self.paginate(req,
                                                                entries)])

    def list_time_entries(self, req):
        self.check_params(req, ["agent_id", "company_id", "executed_after",
                                "executed_before", "billable", "page",
                                "per_page"])
        agent_id = self.int_param(req, "agent_id")
        company_id = self.int_param(req, "company_id")
        after = self.time_param(req, "executed_after")
        before = self.time_param(req, "executed_before")
        billable = self.enum_param(req, "billable", ["true", "false"])
        entries = []
        for _, e in sorted(self.st.time_entries.items()):
            executed = parse_time(e["executed_at"])
            if (agent_id is not None and e["agent_id"] != agent_id) or \
                    (company_id is not None
                     and e["company_id"] != company_id) or \
                    (after is not None and executed < after) or \
                    (before is not None and executed > before) or \
                    (billable is not None
                     and e["billable"] != (billable == "true")):
                continue
            entries.append(e)
        return Response(200, [public(e) for e in self.paginate(req,
                                                                entries)])

    def create_time_entry(self, req, tid):
        t = self.ticket_or_404(tid)
        body = req.json()
        self.fail_if(self.time_entry_errors(body))
        now = self.now()
        entry = {
            "id": self.st.new_id("time_entries"), "ticket_id": tid,
            "agent_id": ME_AGENT_ID, "company_id": t["company_id"],
            "billable": True, "note": "", "timer_running": False,
            "time_spent": "00:00", "executed_at": now, "start_time": now,
            "created_at": now, "updated_at": now,
        }
        self.apply_time_entry(entry, body)
        self.st.time_entries[entry["id"]] = entry
        return self.created(public(entry), "time_entries/%d" % entry["id"])

    def apply_time_entry(self, entry, body):
        now = self.now()
        for key, value in body.items():
            if key == "time_spent":
                hours, minutes = value.split(":")
                entry[key] = "%02d:%s" % (int(hours), minutes)
            elif key in ("executed_at", "start_time"):
                entry[key] = iso(parse_time(value))
            elif key == "timer_running":
                if value != entry["timer_running"]:
                    self.toggle(entry)
            else:
                entry[key] = value
        entry["updated_at"] = now

    def toggle(self, entry):
        """Start a stopped timer, or stop a running one adding the time."""
        now = time.time()
        if entry["timer_running"]:
            hours, minutes = (int(x) for x in entry["time_spent"].split(":"))
            elapsed = int(now - parse_time(entry["start_time"])) // 60
            total = max(0, hours * 60 + minutes + elapsed)
            entry["time_spent"] = "%02d:%02d" % divmod(total, 60)
            entry["timer_running"] = False
        else:
            entry["timer_running"] = True
            entry["start_time"] = iso(now)
        entry["updated_at"] = iso(now)

    def update_time_entry(self, req, eid):
        entry = self.get_or_404("time_entries", eid)
        body = req.json()
        self.fail_if(self.time_entry_errors(body))
        self.apply_time_entry(entry, body)
        return Response(200, public(entry))

    def toggle_timer(self, req, eid):
        entry = self.get_or_404("time_entries", eid)
        self.toggle(entry)
        return Response(200, public(entry))

    def delete_time_entry(self, req, eid):
        self.get_or_404("time_entries", eid)
        del self.st.time_entries[eid]
        return Response(204)

    # -- satisfaction ratings ----------------------------------------------

    def list_surveys(self, req):
        self.check_params(req, ["state", "page", "per_page"])
        state = self.enum_param(req, "state", ["active", "inactive"])
        surveys = [public(s) for _, s in sorted(self.st.surveys.items())
                   if state is None or s["active"] == (state == "active")]
        return Response(200, surveys)

    def list_ratings(self, req):
        self.check_params(req, ["created_since", "page", "per_page"])
        since = self.time_param(req, "created_since")
        ratings = [r for _, r in sorted(self.st.satisfaction_ratings.items())
                   if since is None or parse_time(r["created_at"]) >= since]
        return Response(200, [public(r) for r in self.paginate(req,
                                                                ratings)])

    def list_ticket_ratings(self, req, tid):
        self.ticket_or_404(tid)
        return Response(200, [public(r) for _, r in sorted(
            self.st.satisfaction_ratings.items()) if r["ticket_id"] == tid])

    def create_rating(self, req, tid):
        t = self.ticket_or_404(tid)
        body = req.json()
        errors, bad = validate(body, {"ratings": Field("object"),
                                      "feedback": Field("string")},
                               ["ratings"])
        survey = next(s for _, s in sorted(self.st.surveys.items())
                      if s["active"])
        questions = {q["id"]: q for q in survey["questions"]}
        if "ratings" not in bad:
            ratings = body["ratings"]
            if "default_question" not in ratings:
                errors.append(ferr("default_question", "missing_field",
                                   "It should be a/an Integer"))
            for key, value in ratings.items():
                if key not in questions:
                    errors.append(ferr(key, "invalid_field",
                                       MSG_INVALID_FIELD))
                elif not is_int(value):
                    errors.append(ferr(key, "datatype_mismatch",
                                       "Value set is of type %s.It should "
                                       "be a/an Integer" % json_type(value)))
                elif value not in questions[key]["accepted_ratings"]:
                    errors.append(ferr(key, "invalid_value", choices_message(
                        questions[key]["accepted_ratings"])))
        self.fail_if(errors)
        now = self.now()
        rating = {
            "id": self.st.new_id("satisfaction_ratings"),
            "survey_id": survey["id"], "ticket_id": tid,
            "user_id": t["requester_id"], "agent_id": t["responder_id"],
            "group_id": t["group_id"], "feedback": body.get("feedback"),
            "ratings": dict(body["ratings"]), "created_at": now,
            "updated_at": now,
        }
        self.st.satisfaction_ratings[rating["id"]] = rating
        return self.created(public(rating), "surveys/satisfaction_ratings/%d"
                            % rating["id"])

    # -- contacts ----------------------------------------------------------

    def contact_state(self, c):
        if c["deleted"]:
            return "deleted"
        if c["_blocked"]:
            return "blocked"
        return "verified" if c["active"] else "unverified"

    def list_contacts(self, req):
        self.check_params(req, ["email", "mobile", "phone", "company_id",
                                "state", "_updated_since", "page",
                                "per_page"])
        state = self.enum_param(req, "state", ["blocked", "deleted",
                                               "unverified", "verified"])
        company_id = self.int_param(req, "company_id")
        since = self.time_param(req, "_updated_since")
        email = req.params.get("email")
        contacts = []
        for _, c in sorted(self.st.contacts.items()):
            cstate = self.contact_state(c)
            if state is None and cstate in ("deleted", "blocked"):
                continue
            if (state is not None and cstate != state) or \
                    (email is not None and self.find_contact(
                        "email", email) is not c) or \
                    ("mobile" in req.params
                     and c["mobile"] != req.params["mobile"]) or \
                    ("phone" in req.params
                     and c["phone"] != req.params["phone"]) or \
                    (company_id is not None
                     and c["company_id"] != company_id) or \
                    (since is not None
                     and parse_time(c["updated_at"]) < since):
                continue
            contacts.append(c)
        return Response(200, [public(c) for c in self.paginate(req,
                                                                contacts)])

    def get_contact(self, req, cid):
        return Response(200, public(self.get_or_404("contacts", cid)))

    def contact_errors(self, body, current=None):
        """Validation of a contact create (current None) or update body;
        duplicates are reported with status 409."""
        required = ["name"] if current is None else []
        errors, bad = validate(body, CONTACT_SPEC, required)
        if current is None and not any(k in body for k in CONTACT_ID_KEYS):
            errors.append(ferr("email", "missing_field",
                               "Please fill at least 1 of email, mobile, "
                               "phone, twitter_id, unique_external_id, "
                               "facebook_id attributes"))
        if "company_id" in body and "company_id" not in bad and \
                body["company_id"] is not None and \
                body["company_id"] not in self.st.companies:
            errors.append(ferr("company_id", "invalid_value",
                               "There is no company matching the given "
                               "company_id"))
        if "custom_fields" in body and "custom_fields" not in bad:
            validate_custom_fields(body["custom_fields"],
                                   self.st.contact_fields.values(), errors)
        self.fail_if(errors)
        duplicates = []
        emails = ([body["email"]] if body.get("email") else []) + \
            body.get("other_emails", [])
        for email in emails:
            other = self.find_contact("email", email)
            if other is not None and other is not current:
                duplicates.append(ferr(
                    "email", "duplicate_value",
                    "It should be a unique value (used by contact %d)"
                    % other["id"]))
        for key in ("unique_external_id", "twitter_id", "facebook_id"):
            if body.get(key):
                other = self.find_contact(key, body[key])
                if other is not None and other is not current:
                    duplicates.append(ferr(key, "duplicate_value",
                                           "It should be a unique value"))
        self.fail_if(duplicates, status=409)

    def apply_contact_changes(self, contact, body):
        for key, value in body.items():
            if key == "custom_fields":
                contact[key] = dict(contact[key], **value)
            else:
                contact[key] = copy.deepcopy(value)
        contact["updated_at"] = self.now()

    def create_contact(self, req):
        body = req.json()
        self.contact_errors(body)
        contact = self.new_contact(body)
        return self.created(public(contact), "contacts/%d" % contact["id"])

    def update_contact(self, req, cid):
        contact = self.get_or_404("contacts", cid)
        body = req.json()
        self.contact_errors(body, contact)
        self.apply_contact_changes(contact, body)
        return Response(200, public(contact))

    def delete_contact(self, req, cid):
        contact = self.get_or_404("contacts", cid)
        if contact["deleted"]:
            raise not_found()
        contact["deleted"] = True
        contact["updated_at"] = self.now()
        return Response(204)

    def hard_delete_contact(self, req, cid):
        self.check_params(req, ["force"])
        contact = self.get_or_404("contacts", cid)
        force = self.enum_param(req, "force", ["true", "false"], "false")
        if not contact["deleted"] and force != "true":
            raise bad_value("force", "The contact should be soft deleted "
                                     "first, or force=true given")
        del self.st.contacts[cid]
        return Response(204)

    def restore_contact(self, req, cid):
        contact = self.get_or_404("contacts", cid)
        if contact["deleted"]:
            contact["deleted"] = False
            contact["updated_at"] = self.now()
        return Response(204)

    def send_invite(self, req, cid):
        contact = self.get_or_404("contacts", cid)
        if contact["deleted"] or not contact["email"]:
            raise bad_value("email", "The contact needs an email address "
                                     "and must not be deleted")
        return Response(204)

    def make_agent(self, req, cid):
        contact = self.get_or_404("contacts", cid)
        body = req.json()
        errors, bad = validate(body, MAKE_AGENT_SPEC)
        self.check_agent_refs(body, bad, errors)
        if not contact["email"]:
            errors.append(ferr("email", "missing_field",
                               "The contact must have an email address"))
        self.fail_if(errors)
        if len(self.st.agents) >= MAX_AGENTS:
            raise ApiError(403, {"code": "access_denied",
                                 "message": "No free agent seats are left "
                                            "on this plan."})
        now = self.now()
        agent = {
            "id": cid, "available": False, "available_since": None,
            "occasional": False, "ticket_scope": 1, "signature": None,
            "group_ids": [], "role_ids": [24], "skill_ids": [],
            "type": "support_agent",
            "contact": {
                "name": contact["name"], "email": contact["email"],
                "phone": contact["phone"], "mobile": contact["mobile"],
                "job_title": contact["job_title"],
                "language": contact["language"],
                "time_zone": contact["time_zone"], "active": True,
                "last_login_at": None},
            "created_at": now, "updated_at": now,
        }
        del self.st.contacts[cid]          # the user is now an agent
        self.st.agents[cid] = agent
        self.apply_agent_changes(agent, body)
        return Response(200, self.render_agent(agent))

    def merge_contacts(self, req):
        body = req.json()
        errors, bad = validate(body, {
            "primary_contact_id": Field("integer"),
            "secondary_contact_ids": Field("integers"),
            "contact": Field("object")},
            ["primary_contact_id", "secondary_contact_ids"])
        contacts = self.st.contacts
        if "contact" in body and "contact" not in bad:
            _, cbad = validate(body["contact"], {
                "email": Field("email"), "phone": Field("string"),
                "mobile": Field("string"), "other_emails": Field("emails"),
                "company_ids": Field("integers")}, errors=errors)
            for company in body["contact"].get("company_ids", []) \
                    if "company_ids" not in cbad else []:
                if company not in self.st.companies:
                    errors.append(ferr("company_ids", "invalid_value",
                                       "There is no company matching the "
                                       "given company_ids"))
        if "primary_contact_id" not in bad and \
                body["primary_contact_id"] not in contacts:
            errors.append(ferr("primary_contact_id", "invalid_value",
                               "There is no contact matching the given "
                               "primary_contact_id"))
        if "secondary_contact_ids" not in bad:
            ids = body["secondary_contact_ids"]
            if not ids or body.get("primary_contact_id") in ids or \
                    any(i not in contacts for i in ids):
                errors.append(ferr("secondary_contact_ids", "invalid_value",
                                   "It should be a non-empty list of other "
                                   "existing contact ids"))
        self.fail_if(errors)
        primary = contacts[body["primary_contact_id"]]
        for sid in dict.fromkeys(body["secondary_contact_ids"]):
            secondary = contacts.pop(sid)
            for t in self.st.tickets.values():
                if t["requester_id"] == sid:
                    t["requester_id"] = primary["id"]
            for email in [secondary["email"]] + secondary["other_emails"]:
                if email and email != primary["email"] and \
                        email not in primary["other_emails"]:
                    primary["other_emails"].append(email)
        extra = body.get("contact", {})
        for key in ("email", "phone", "mobile", "other_emails"):
            if key in extra:
                primary[key] = copy.deepcopy(extra[key])
        if extra.get("company_ids"):
            primary["company_id"] = extra["company_ids"][0]
        if primary["email"] in primary["other_emails"]:
            primary["other_emails"].remove(primary["email"])
        primary["updated_at"] = self.now()
        return Response(204)

    def autocomplete_contacts(self, req):
        self.check_params(req, ["term"])
        term = req.params.get("term")
        if not term:
            raise validation_failed([ferr("term", "missing_field",
                                          "It should be a/an String")])
        return Response(200, [{"id": c["id"], "name": c["name"]}
                              for _, c in sorted(self.st.contacts.items())
                              if not c["deleted"]
                              and prefix_match(c["name"], term)][:20])

    def list_contact_fields(self, req):
        return self.lister("contact_fields")(req)

    # -- companies ---------------------------------------------------------

    def company_errors(self, body, current=None):
        spec = {
            "name": Field("string"), "domains": Field("strings"),
            "description": Field("string", nullable=True),
            "note": Field("string", nullable=True),
            "health_score": Field("string", ["At risk", "Doing okay",
                                             "Happy"], nullable=True),
            "account_tier": Field("string", ["Basic", "Premium",
                                             "Enterprise"], nullable=True),
            "renewal_date": Field("datetime", nullable=True),
            "industry": Field("string", self.st.company_fields[208][
                "choices"], nullable=True),
            "custom_fields": Field("object"),
        }
        errors, bad = validate(body, spec,
                               ["name"] if current is None else [])
        if "custom_fields" in body and "custom_fields" not in bad:
            validate_custom_fields(body["custom_fields"],
                                   self.st.company_fields.values(), errors)
        self.fail_if(errors)
        duplicates = []
        for other in self.st.companies.values():
            if other is current:
                continue
            if body.get("name") and \
                    other["name"].lower() == body["name"].lower():
                duplicates.append(ferr("name", "duplicate_value",
                                       "It should be a unique value"))
            for domain in body.get("domains", []):
                if domain.lower() in [d.lower() for d in other["domains"]]:
                    duplicates.append(ferr("domains", "duplicate_value",
                                           "%s is used by company %d"
                                           % (domain, other["id"])))
        self.fail_if(duplicates, status=409)

    def apply_company_changes(self, company, body):
        for key, value in body.items():
            if key == "custom_fields":
                company[key] = dict(company[key], **value)
            elif key == "renewal_date" and value is not None:
                company[key] = iso(parse_time(value))
            else:
                company[key] = copy.deepcopy(value)
        company["updated_at"] = self.now()

    def list_companies(self, req):
        self.check_params(req, ["page", "per_page"])
        companies = [public(c) for _, c in sorted(self.st.companies.items())]
        return Response(200, self.paginate(req, companies))

    def get_company(self, req, cid):
        return Response(200, public(self.get_or_404("companies", cid)))

    def create_company(self, req):
        body = req.json()
        self.company_errors(body)
        now = self.now()
        company = {
            "id": self.st.new_id("companies"), "name": None,
            "description": None, "note": None, "domains": [],
            "health_score": None, "account_tier": None,
            "renewal_date": None, "industry": None,
            "custom_fields": {"cf_region": None}, "created_at": now,
            "updated_at": now,
        }
        self.apply_company_changes(company, body)
        self.st.companies[company["id"]] = company
        return self.created(public(company), "companies/%d" % company["id"])

    def update_company(self, req, cid):
        company = self.get_or_404("companies", cid)
        body = req.json()
        self.company_errors(body, company)
        self.apply_company_changes(company, body)
        return Response(200, public(company))

    def delete_company(self, req, cid):
        self.get_or_404("companies", cid)
        del self.st.companies[cid]
        for obj in list(self.st.contacts.values()) + \
                list(self.st.tickets.values()):
            if obj["company_id"] == cid:
                obj["company_id"] = None
        return Response(204)

    def autocomplete_companies(self, req):
        self.check_params(req, ["name"])
        name = req.params.get("name")
        if not name:
            raise validation_failed([ferr("name", "missing_field",
                                          "It should be a/an String")])
        return Response(200, {"companies": [
            {"id": c["id"], "name": c["name"]}
            for _, c in sorted(self.st.companies.items())
            if prefix_match(c["name"], name)]})

    def list_company_fields(self, req):
        return self.lister("company_fields")(req)

    # -- agents and groups -------------------------------------------------

    def render_agent(self, agent):
        out = public(agent)
        out["group_ids"] = [gid for gid, g in sorted(self.st.groups.items())
                            if agent["id"] in g["agent_ids"]]
        return out

    def list_agents(self, req):
        self.check_params(req, ["email", "mobile", "phone", "state", "page",
                                "per_page"])
        state = self.enum_param(req, "state", ["fulltime", "occasional"])
        agents = []
        for _, a in sorted(self.st.agents.items()):
            c = a["contact"]
            if ("email" in req.params and (c["email"] or "").lower()
                    != req.params["email"].lower()) or \
                    ("mobile" in req.params
                     and c["mobile"] != req.params["mobile"]) or \
                    ("phone" in req.params
                     and c["phone"] != req.params["phone"]) or \
                    (state is not None
                     and a["occasional"] != (state == "occasional")):
                continue
            agents.append(self.render_agent(a))
        return Response(200, self.paginate(req, agents))

    def get_me(self, req):
        return Response(200, self.render_agent(self.st.agents[ME_AGENT_ID]))

    def get_agent(self, req, aid):
        return Response(200, self.render_agent(self.get_or_404("agents",
                                                               aid)))

    def check_agent_refs(self, body, bad, errors):
        for key, coll in (("group_ids", self.st.groups),
                          ("role_ids", self.st.roles),
                          ("skill_ids", self.st.skills)):
            if key in body and key not in bad and \
                    any(i not in coll for i in body[key]):
                errors.append(ferr(key, "invalid_value",
                                   "There is no %s matching the given ids"
                                   % key[:-4]))

    def apply_agent_changes(self, agent, body):
        for key, value in body.items():
            if key == "group_ids":
                for gid, group in self.st.groups.items():
                    members = group["agent_ids"]
                    if gid in value and agent["id"] not in members:
                        members.append(agent["id"])
                    elif gid not in value and agent["id"] in members:
                        members.remove(agent["id"])
            else:
                agent[key] = copy.deepcopy(value)
        agent["updated_at"] = self.now()

    def update_agent(self, req, aid):
        agent = self.get_or_404("agents", aid)
        body = req.json()
        errors, bad = validate(body, AGENT_UPDATE_SPEC)
        self.check_agent_refs(body, bad, errors)
        self.fail_if(errors)
        self.apply_agent_changes(agent, body)
        return Response(200, self.render_agent(agent))

    def delete_agent(self, req, aid):
        """Downgrade an agent to a contact with the same id."""
        agent = self.get_or_404("agents", aid)
        if aid == ME_AGENT_ID:
            raise bad_value("id", "You cannot delete yourself")
        del self.st.agents[aid]
        for group in self.st.groups.values():
            if aid in group["agent_ids"]:
                group["agent_ids"].remove(aid)
        for t in self.st.tickets.values():
            if t["responder_id"] == aid:
                t["responder_id"] = None
        c = agent["contact"]
        contact = {
            "name": c["name"], "email": c["email"], "phone": c["phone"],
            "mobile": c["mobile"], "job_title": c["job_title"],
            "language": c["language"], "time_zone": c["time_zone"]}
        self.new_contact(contact, cid=aid)["active"] = True
        return Response(204)

    def group_errors(self, body, current=None):
        errors, bad = validate(body, GROUP_SPEC,
                               ["name"] if current is None else [])
        if "agent_ids" in body and "agent_ids" not in bad and \
                any(a not in self.st.agents for a in body["agent_ids"]):
            errors.append(ferr("agent_ids", "invalid_value",
                               "There is no agent matching the given ids"))
        for key, coll in (("escalate_to", self.st.agents),
                          ("business_hour_id", self.st.business_hours)):
            if body.get(key) is not None and key not in bad and \
                    body[key] not in coll:
                errors.append(ferr(key, "invalid_value",
                                   "There is no record matching the given "
                                   "%s" % key))
        self.fail_if(errors)
        if body.get("name") and any(
                g["name"].lower() == body["name"].lower()
                for g in self.st.groups.values() if g is not current):
            self.fail_if([ferr("name", "duplicate_value",
                               "It should be a unique value")], 409)

    def list_groups(self, req):
        self.check_params(req, ["page", "per_page"])
        groups = [public(g) for _, g in sorted(self.st.groups.items())]
        return Response(200, self.paginate(req, groups))

    def get_group(self, req, gid):
        return Response(200, public(self.get_or_404("groups", gid)))

    def create_group(self, req):
        body = req.json()
        self.group_errors(body)
        now = self.now()
        group = {"id": self.st.new_id("groups"), "name": None,
                 "description": None, "escalate_to": None,
                 "unassigned_for": None, "business_hour_id": None,
                 "group_type": "support_agent_group", "agent_ids": [],
                 "auto_ticket_assign": False, "created_at": now,
                 "updated_at": now}
        group.update(copy.deepcopy(body))
        self.st.groups[group["id"]] = group
        return self.created(public(group), "groups/%d" % group["id"])

    def update_group(self, req, gid):
        group = self.get_or_404("groups", gid)
        body = req.json()
        self.group_errors(body, group)
        group.update(copy.deepcopy(body))
        group["updated_at"] = self.now()
        return Response(200, public(group))

    def delete_group(self, req, gid):
        self.get_or_404("groups", gid)
        del self.st.groups[gid]
        for t in self.st.tickets.values():
            if t["group_id"] == gid:
                t["group_id"] = None
        return Response(204)

    # -- account configuration ---------------------------------------------

    def automation_type(self, atype):
        if atype not in AUTOMATION_TYPES:
            raise bad_value("automation_type_id",
                            choices_message(AUTOMATION_TYPES))

    def list_rules(self, req, atype):
        self.automation_type(atype)
        return Response(200, [public(r) for _, r in sorted(
            self.st.automation_rules.items())
            if r["automation_type_id"] == atype])

    def get_rule(self, req, atype, rid):
        self.automation_type(atype)
        rule = self.get_or_404("automation_rules", rid)
        if rule["automation_type_id"] != atype:
            raise not_found()
        return Response(200, public(rule))

    def get_canned_folder(self, req, fid):
        folder = public(self.get_or_404("canned_response_folders", fid))
        folder["canned_responses"] = [
            {"id": r["id"], "title": r["title"]}
            for _, r in sorted(self.st.canned_responses.items())
            if r["folder_id"] == fid]
        return Response(200, folder)

    def create_canned_response(self, req):
        """POST /canned_responses: title, content_html, folder_id and
        visibility (0 all agents, 1 personal, 2 groups) are required;
        group_ids only with visibility 2."""
        body = req.json()
        errors, bad = validate(body, {
            "title": Field("string"), "content_html": Field("string"),
            "folder_id": Field("integer"),
            "visibility": Field("integer", [0, 1, 2]),
            "group_ids": Field("integers")},
            ["title", "content_html", "folder_id", "visibility"])
        if "folder_id" not in bad and "folder_id" in body and \
                body["folder_id"] not in self.st.canned_response_folders:
            errors.append(ferr("folder_id", "invalid_value",
                               "There is no folder matching the given "
                               "folder_id"))
        if "group_ids" in body and "group_ids" not in bad:
            if body.get("visibility") != 2:
                errors.append(ferr("group_ids", "invalid_field",
                                   "It is only allowed with visibility 2"))
            elif any(g not in self.st.groups for g in body["group_ids"]):
                errors.append(ferr("group_ids", "invalid_value",
                                   "There is no group matching the given "
                                   "ids"))
        elif body.get("visibility") == 2 and "visibility" not in bad:
            errors.append(ferr("group_ids", "missing_field",
                               "It should be a/an Array (required with "
                               "visibility 2)"))
        self.fail_if(errors)
        now = self.now()
        response = {
            "id": self.st.new_id("canned_responses"),
            "title": body["title"], "folder_id": body["folder_id"],
            "content": strip_html(body["content_html"]),
            "content_html": body["content_html"], "attachments": [],
            "visibility": body["visibility"],
            "group_ids": list(body.get("group_ids", [])),
            "created_at": now, "updated_at": now}
        self.st.canned_responses[response["id"]] = response
        self.st.canned_response_folders[body["folder_id"]][
            "responses_count"] += 1
        return self.created(public(response),
                            "canned_responses/%d" % response["id"])

    def list_canned_responses(self, req, fid):
        self.get_or_404("canned_response_folders", fid)
        return Response(200, [public(r) for _, r in sorted(
            self.st.canned_responses.items()) if r["folder_id"] == fid])

    # -- solutions ---------------------------------------------------------

    def list_solution_folders(self, req, cid):
        self.get_or_404("solution_categories", cid)
        return Response(200, [public(f) for _, f in sorted(
            self.st.solution_folders.items()) if f["category_id"] == cid])

    def list_articles(self, req, fid):
        self.check_params(req, ["page", "per_page"])
        self.get_or_404("solution_folders", fid)
        articles = [public(a) for _, a in sorted(
            self.st.solution_articles.items()) if a["folder_id"] == fid]
        return Response(200, self.paginate(req, articles))

    def article_errors(self, body, required=()):
        errors, bad = validate(body, ARTICLE_SPEC, required)
        self.check_user(body, "agent_id", bad, errors, agents_only=True)
        self.fail_if(errors)

    def apply_article_changes(self, article, body):
        article.update(copy.deepcopy(body))
        article["description_text"] = strip_html(article["description"])
        article["updated_at"] = self.now()

    def create_article(self, req, fid):
        folder = self.get_or_404("solution_folders", fid)
        body = req.json()
        self.article_errors(body, ["title", "description", "status"])
        now = self.now()
        article = {
            "id": self.st.new_id("solution_articles"), "type": 1,
            "category_id": folder["category_id"], "folder_id": fid,
            "agent_id": ME_AGENT_ID, "title": None, "description": "",
            "description_text": "", "status": 1, "hits": 0, "thumbs_up": 0,
            "thumbs_down": 0, "tags": [], "seo_data": {},
            "created_at": now, "updated_at": now,
        }
        self.apply_article_changes(article, body)
        self.st.solution_articles[article["id"]] = article
        folder["articles_count"] += 1
        return self.created(public(article),
                            "solutions/articles/%d" % article["id"])

    def get_article(self, req, aid):
        return Response(200, public(self.get_or_404("solution_articles",
                                                    aid)))

    def update_article(self, req, aid):
        article = self.get_or_404("solution_articles", aid)
        body = req.json()
        self.article_errors(body)
        self.apply_article_changes(article, body)
        return Response(200, public(article))

    def delete_article(self, req, aid):
        article = self.get_or_404("solution_articles", aid)
        del self.st.solution_articles[aid]
        self.st.solution_folders[article["folder_id"]]["articles_count"] -= 1
        return Response(204)

    def search_solutions(self, req):
        self.check_params(req, ["term", "page", "per_page"])
        term = (req.params.get("term") or "").strip()
        if not term:
            raise validation_failed([ferr("term", "missing_field",
                                          "It should be a/an String")])
        words = term.lower().split()
        return Response(200, [public(a) for _, a in sorted(
            self.st.solution_articles.items())
            if all(w in a["title"].lower() for w in words)])

    # -- search ------------------------------------------------------------

    def search(self, req, objects, fields, render):
        """Shared part of /search/*: quoting rule, paging, evaluation."""
        self.check_params(req, ["query", "page", "per_page"])
        raw = req.params.get("query")
        if raw is None:
            raise validation_failed([ferr("query", "missing_field",
                                          "It should be a/an String")])
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            raise bad_value("query", "Query should be enclosed in double "
                                     "quotes")
        text = raw[1:-1]
        if len(text) > SEARCH_MAX_QUERY:
            raise bad_value("query", "Query length should not exceed %d "
                                     "characters" % SEARCH_MAX_QUERY)
        page = self.int_param(req, "page", 1, maximum=SEARCH_MAX_PAGE)
        try:
            ast = parse_query(text)
            check_query(ast, fields)
        except SearchError as exc:
            raise bad_value("query", str(exc))
        hits = [o for o in objects if eval_query(ast, o, fields)]
        hits.sort(key=lambda o: (o["created_at"], o["id"]), reverse=True)
        start = (page - 1) * SEARCH_PER_PAGE
        return Response(200, {
            "results": [render(o) for o in
                        hits[start:start + SEARCH_PER_PAGE]],
            "total": len(hits)})

    def search_tickets(self, req):
        def g(key):
            return lambda t: t[key]
        fields = {
            "agent_id": ("int", g("responder_id")),
            "group_id": ("int", g("group_id")),
            "priority": ("int", g("priority")),
            "status": ("int", g("status")),
            "tag": ("tags", g("tags")),
            "type": ("str", g("type")),
            "due_by": ("date", g("due_by")),
            "fr_due_by": ("date", g("fr_due_by")),
            "created_at": ("date", g("created_at")),
            "updated_at": ("date", g("updated_at")),
            # work for some clients only (freshdesk-api.md 2.3)
            "requester_id": ("int", g("requester_id")),
            "company_id": ("int", g("company_id")),
        }
        fields.update(custom_search_fields(self.st.ticket_fields.values(),
                                           lambda t: t["custom_fields"]))
        tickets = [t for t in self.st.tickets.values() if not self.frozen(t)]
        return self.search(req, tickets, fields,
                           lambda t: self.render_ticket(t, listing=True))

    def search_contacts(self, req):
        def g(key):
            return lambda c: c[key]
        fields = {key: ("str", g(key)) for key in (
            "name", "phone", "mobile", "twitter_id", "language",
            "time_zone")}
        fields.update({
            "email": ("strs", lambda c: [c["email"]] + c["other_emails"]),
            "company_id": ("int", g("company_id")),
            "active": ("bool", g("active")),
            "tag": ("tags", g("tags")),
            "created_at": ("date", g("created_at")),
            "updated_at": ("date", g("updated_at")),
        })
        fields.update(custom_search_fields(self.st.contact_fields.values(),
                                           lambda c: c["custom_fields"]))
        contacts = [c for c in self.st.contacts.values() if not c["deleted"]]
        return self.search(req, contacts, fields, public)

    def search_companies(self, req):
        fields = {
            "name": ("str", lambda c: c["name"]),
            "domain": ("strs", lambda c: c["domains"]),
            "created_at": ("date", lambda c: c["created_at"]),
            "updated_at": ("date", lambda c: c["updated_at"]),
        }
        fields.update(custom_search_fields(self.st.company_fields.values(),
                                           lambda c: c["custom_fields"]))
        return self.search(req, list(self.st.companies.values()), fields,
                           public)

    # -- custom objects ----------------------------------------------------

    def list_schemas(self, req):
        return Response(200, {"schemas": [public(s) for _, s in sorted(
            self.st.custom_object_schemas.items())]})

    def get_schema(self, req, sid):
        return Response(200, public(self.get_or_404("custom_object_schemas",
                                                    sid)))

    def schema_records(self, sid):
        return sorted((r for r in self.st.custom_object_records.values()
                       if r["_schema_id"] == sid), key=lambda r: r["_seq"])

    def record_or_404(self, sid, key):
        self.get_or_404("custom_object_schemas", sid)
        record = self.st.custom_object_records.get(key)
        if record is None or record["_schema_id"] != sid:
            raise not_found()
        return record

    def record_filters(self, req, schema):
        """Query filters field=value / field[op]=value -> [(f, op, value)]
        with values converted to the field's type."""
        fields = {f["name"]: f for f in schema["fields"]}
        filters = []
        for name, raw in parse_qsl(req.raw_query, keep_blank_values=True):
            if name in ("page_size", "next_token"):
                continue
            m = re.fullmatch(r"([A-Za-z0-9_]+)(?:\[(gt|gte|lt|lte)\])?", name)
            fdef = fields.get(m.group(1)) if m else None
            if fdef is None or not fdef["filterable"]:
                raise bad_value(name, "It is not a filterable field of "
                                      "schema %d" % schema["id"])
            op = m.group(2) or "eq"
            ftype = fdef["type"]
            if op != "eq" and ftype not in ("NUMBER", "DATE"):
                raise bad_value(name, "Range operators need a NUMBER or "
                                      "DATE field")
            if ftype == "NUMBER":
                if not re.fullmatch(r"-?[0-9]+", raw):
                    raise bad_value(name, "It should be a number")
                value = int(raw)
            elif ftype == "DATE":
                if not DATE_RE.match(raw):
                    raise bad_value(name, "It should be a 'YYYY-MM-DD' date")
                value = raw
            elif ftype == "CHECKBOX":
                if raw not in ("true", "false"):
                    raise bad_value(name, choices_message(["true", "false"]))
                value = raw == "true"
            else:
                value = raw
            filters.append((fdef["name"], op, value))
        return filters

    @staticmethod
    def record_matches(record, filters):
        for name, op, value in filters:
            actual = record["data"].get(name)
            if actual is None:
                return False
            if isinstance(value, str) and op == "eq":
                if str(actual).lower() != value.lower():
                    return False
            elif not {"eq": actual == value, "gt": actual > value,
                      "gte": actual >= value, "lt": actual < value,
                      "lte": actual <= value}[op]:
                return False
        return True

    @staticmethod
    def encode_token(obj):
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode_token(token):
        try:
            padded = token + "=" * (-len(token) % 4)
            obj = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(obj, dict):
                raise ValueError(token)
            return obj
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None

    def list_records(self, req, sid):
        """Token pagination: next_token carries the schema, the filters
        and the position, so the next href needs nothing else."""
        schema = self.get_or_404("custom_object_schemas", sid)
        size = self.int_param(req, "page_size", RECORDS_DEFAULT_PAGE_SIZE,
                              maximum=RECORDS_MAX_PAGE_SIZE)
        token = req.params.get("next_token")
        if token is not None:
            state = self.decode_token(token)
            if state is None or state.get("schema") != sid or \
                    not is_int(state.get("after")) or \
                    not isinstance(state.get("filters"), list):
                raise bad_value("next_token", "Invalid or expired token")
            filters = [tuple(f) for f in state["filters"]]
            after = state["after"]
        else:
            filters, after = self.record_filters(req, schema), 0
        rows = [r for r in self.schema_records(sid)
                if r["_seq"] > after and self.record_matches(r, filters)]
        page = rows[:size]
        links = {"count": {"href": "/schemas/%d/records/count" % sid}}
        if len(rows) > size:
            token = self.encode_token({"schema": sid,
                                       "after": page[-1]["_seq"],
                                       "filters": filters})
            links["next"] = {"href": "/schemas/%d/records?page_size=%d"
                                     "&next_token=%s" % (sid, size, token)}
        return Response(200, {"records": [public(r) for r in page],
                              "_links": links})

    def count_records(self, req, sid):
        schema = self.get_or_404("custom_object_schemas", sid)
        filters = self.record_filters(req, schema)
        return Response(200, {"count": sum(
            1 for r in self.schema_records(sid)
            if self.record_matches(r, filters))})

    def get_record(self, req, sid, key):
        return Response(200, public(self.record_or_404(sid, key)))

    def record_data_errors(self, schema, data, errors, partial=False):
        """Validate record data against the schema's field list."""
        type_kind = {"PRIMARY": "string", "TEXT": "string",
                     "PARAGRAPH": "string", "NUMBER": "integer_any",
                     "DATE": "date", "CHECKBOX": "boolean",
                     "DROPDOWN": "string"}
        fields = {f["name"]: f for f in schema["fields"]}
        for name, value in data.items():
            fdef = fields.get(name)
            if fdef is None:
                errors.append(ferr(name, "invalid_field", MSG_INVALID_FIELD))
                continue
            kind = type_kind.get(fdef["type"], "any")
            if kind == "integer_any":
                if value is not None and not is_int(value):
                    errors.append(ferr(name, "datatype_mismatch",
                                       "Value set is of type %s.It should "
                                       "be a/an Integer" % json_type(value)))
                continue
            choices = [c["value"] for c in fdef["choices"]] or None
            problem = Field(kind, choices=choices,
                            nullable=not fdef["required"]).check(name, value)
            if problem:
                errors.append(problem)
        if not partial:
            for fdef in schema["fields"]:
                if fdef["required"] and fdef["name"] not in data:
                    errors.append(ferr(fdef["name"], "missing_field",
                                       "It should be a/an String"))

    def create_record(self, req, sid):
        schema = self.get_or_404("custom_object_schemas", sid)
        body = req.json()
        errors, bad = validate(body, {"data": Field("object")}, ["data"])
        if "data" not in bad:
            self.record_data_errors(schema, body["data"], errors)
        self.fail_if(errors)
        seq = schema["_next_record"]
        schema["_next_record"] += 1
        now_ms = int(time.time() * 1000)
        key = "%s-%d" % (schema["prefix"], seq)
        record = {"display_id": key, "version": 1,
                  "data": copy.deepcopy(body["data"]),
                  "created_time": now_ms, "updated_time": now_ms,
                  "_schema_id": sid, "_seq": seq}
        self.st.custom_object_records[key] = record
        return self.created(public(record), "custom_objects/schemas/%d/"
                            "records/%s" % (sid, key))

    def update_record(self, req, sid, key):
        """PUT merges the given data keys; a given version must match."""
        record = self.record_or_404(sid, key)
        schema = self.st.custom_object_schemas[sid]
        body = req.json()
        errors, bad = validate(body, {"display_id": Field("string"),
                                      "version": Field("integer"),
                                      "data": Field("object")}, ["data"])
        if "display_id" in body and "display_id" not in bad and \
                body["display_id"] != key:
            errors.append(ferr("display_id", "invalid_value",
                               "It should match the record id in the URL"))
        if "data" not in bad:
            self.record_data_errors(schema, body["data"], errors,
                                    partial=True)
        self.fail_if(errors)
        if "version" in body and body["version"] != record["version"]:
            raise ApiError(409, {"description": "Conflict", "errors": [ferr(
                "version", "invalid_value",
                "The record was changed meanwhile; current version is %d"
                % record["version"])]})
        record["data"].update(copy.deepcopy(body["data"]))
        record["version"] += 1
        record["updated_time"] = int(time.time() * 1000)
        return Response(200, public(record))

    def delete_record(self, req, sid, key):
        self.record_or_404(sid, key)
        del self.st.custom_object_records[key]
        return Response(204)


def prefix_match(name, term):
    """Autocomplete: the name, or one of its words, starts with term."""
    term = term.lower()
    name = (name or "").lower()
    return name.startswith(term) or any(w.startswith(term)
                                        for w in name.split())


# ---------------------------------------------------------------------------
# Application: state, recording, faults, rate limit, control API
# ---------------------------------------------------------------------------

def accepts_json(accept):
    """True if an Accept header admits application/json."""
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("", "*/*", "application/*", "application/json") or \
                media.endswith("+json"):
            return True
    return False


def merge_headers(base, extra):
    """base updated with extra, header names compared case-insensitively."""
    out = {k: v for k, v in base.items()
           if k.lower() not in {e.lower() for e in extra}}
    out.update(extra)
    return out


def too_many_requests(retry):
    """Freshdesk's 429 answer."""
    return Response(429, {"code": "rate_limit_exceeded",
                          "message": ERR_429 % retry},
                    {"Retry-After": str(retry)})


def plan_sublimits(rate):
    """Sub-limits for an account rate: the nearest plan's (a tie goes to
    the smaller plan), scaled by rate / plan rate, rounded half up, at
    least 1.  400 gives exactly the Pro plan's 100/100/160/160."""
    plan, subs = min(PLAN_SUBLIMITS, key=lambda p: abs(p[0] - rate))
    return {name: max(1, (n * rate + plan // 2) // plan)
            for name, n in subs.items()}


def count_value(value, name, minimum):
    """An integer setting >= minimum (a string of digits is accepted, as
    Perl's JSON encoders send numbers as strings); ValueError if not."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not is_int(value) or value < minimum:
        raise ValueError("%s must be an integer >= %d" % (name, minimum))
    return value


class AccountLimit:
    """The account's API rate limit, shared by every key and client.

    Without a rate (the default) nothing is refused: X-RateLimit-Total is
    400 and Remaining counts down and refills when it would run dry, as if
    a new minute had started (use the ratelimit fault for a 429).

    With a rate N: a fixed window of RATE_WINDOW seconds opens at the
    first API request after the previous window ended (or after a reset or
    a settings change) and holds N credits.  A request costs 1, on the
    ticket list 2 more per include, on one ticket 1 more per include.  It
    is admitted if its whole cost fits in what remains and its class is
    under its sub-limit (a count of requests in the window); otherwise it
    gets 429 with Retry-After = the seconds to the window's end (>= 1) and
    costs nothing.  Every admitted request is charged, whatever its answer
    (401, 404, 5xx faults too).  The outside use (another integration on
    the account, M credits a minute) is computed from the time elapsed in
    the window: floor(M * elapsed / 60), and own + outside use is capped
    at N.  The clock is monotonic plus an offset tests may advance.
    """

    def __init__(self, rate=None, outside_rate=0, sublimits=None):
        self.lock = threading.Lock()
        self.configure(rate, outside_rate, sublimits)
        self.reset()

    # -- settings ----------------------------------------------------------

    @staticmethod
    def check(rate, outside_rate, sublimits):
        """Validated (rate, outside_rate, overrides); ValueError if bad."""
        if rate is not None:
            rate = count_value(rate, "rate", 1)
        outside_rate = count_value(outside_rate or 0, "outside_rate", 0)
        if not isinstance(sublimits or {}, dict):
            raise ValueError("sublimits must be an object")
        overrides = {}
        for name, value in (sublimits or {}).items():
            if name not in LIMIT_CLASSES:
                raise ValueError("sublimit must be one of "
                                 + ", ".join(LIMIT_CLASSES))
            overrides[name] = count_value(value, "sublimit " + name, 0)
        if rate is None and (outside_rate or overrides):
            raise ValueError("outside_rate and sublimits need a rate")
        return rate, outside_rate, overrides

    def configure(self, rate, outside_rate=0, sublimits=None):
        rate, outside_rate, overrides = self.check(rate, outside_rate,
                                                   sublimits)
        with self.lock:
            self.rate = rate
            self.outside_rate = outside_rate
            self.overrides = overrides
            self.sublimits = {}
            if rate is not None:
                self.sublimits = plan_sublimits(rate)
                self.sublimits.update(overrides)
            self.open_window(None)

    def settings(self):
        with self.lock:
            return {"rate": self.rate, "outside_rate": self.outside_rate,
                    "sublimits": dict(self.sublimits),
                    "overrides": dict(self.overrides)}

    def reset(self):
        """Forget the statistics, close the window, zero the clock offset;
        the settings stay."""
        with self.lock:
            self.offset = 0.0
            self.requests = 0
            self.too_many = 0
            self.credits_used = 0
            self.by_class = {name: {"requests": 0, "too_many": 0}
                             for name in LIMIT_CLASSES}
            self.remaining = RATE_LIMIT_TOTAL    # without a rate
            self.open_window(None)

    def advance(self, seconds):
        with self.lock:
            self.offset += seconds
            return self.offset

    # -- the window (callers hold the lock) --------------------------------

    def now(self):
        return time.monotonic() + self.offset

    def open_window(self, now):
        """Start a window at now (None: no window until the next request)."""
        self.start = now
        self.used = 0                        # own credits in the window
        self.class_used = dict.fromkeys(LIMIT_CLASSES, 0)

    def roll(self, now):
        if self.start is not None and now >= self.start + RATE_WINDOW:
            self.open_window(None)

    def outside(self, now):
        if self.start is None or self.rate is None:
            return 0
        elapsed = min(now - self.start, RATE_WINDOW)
        return min(self.rate, int(self.outside_rate * elapsed
                                  // RATE_WINDOW))

    def left(self, now):
        return self.rate - min(self.rate, self.used + self.outside(now))

    def resets_in(self, now):
        if self.start is None:
            return 0
        return max(1, math.ceil(self.start + RATE_WINDOW - now))

    # -- requests ----------------------------------------------------------

    @staticmethod
    def classify(req):
        """The sub-limit class of a request, None for the others."""
        path = req.path
        if path == API_PREFIX + "/tickets":
            return {"GET": "list_tickets",
                    "POST": "create_ticket"}.get(req.method)
        if path == API_PREFIX + "/contacts" and req.method == "GET":
            return "list_contacts"
        if req.method == "PUT" and re.match(
                "^" + re.escape(API_PREFIX) + r"/tickets/[1-9][0-9]*$", path):
            return "update_ticket"
        return None

    @staticmethod
    def estimate(req):
        """The most a request can cost (its includes all valid); the
        handlers set req.credits to the actual cost."""
        if req.method != "GET" or "include" not in req.params:
            return 1
        names = list(dict.fromkeys(req.params["include"].split(",")))
        if req.path == API_PREFIX + "/tickets":
            return 1 + 2 * len(names)
        if re.match("^" + re.escape(API_PREFIX) + r"/tickets/[1-9][0-9]*$",
                    req.path):
            return 1 + len(names)
        return 1

    def admit(self, req):
        """None if req may go on (its estimate reserved), else the 429."""
        cls = self.classify(req)
        with self.lock:
            self.requests += 1
            if cls:
                self.by_class[cls]["requests"] += 1
            if self.rate is None:
                return None
            now = self.now()
            self.roll(now)
            if self.start is None:
                self.open_window(now)
            cost = self.estimate(req)
            limit = self.sublimits.get(cls) if cls else None
            if cost > self.left(now) or (
                    limit is not None and self.class_used[cls] >= limit):
                req.refused = True
                if cls:
                    self.by_class[cls]["too_many"] += 1
                return too_many_requests(self.resets_in(now))
            self.used += cost
            if cls:
                self.class_used[cls] += 1
            req.reserved = cost
            req.window = self.start
            return None

    def charge(self, req, status):
        """Settle an answered request: (total, remaining, credits) for the
        X-RateLimit-* headers."""
        with self.lock:
            if status == 429:
                self.too_many += 1
            if self.rate is None:            # as before: refill when dry
                if self.remaining < req.credits:
                    self.remaining = RATE_LIMIT_TOTAL
                self.remaining -= req.credits
                self.credits_used += req.credits
                req.charged = True
                return RATE_LIMIT_TOTAL, self.remaining, req.credits
            now = self.now()
            credits = req.credits
            if req.refused or status == 429:
                credits = 0                  # a 429 costs nothing
            if req.window is not None and req.window == self.start:
                self.used = max(0, self.used + credits - req.reserved)
            req.reserved = 0
            req.charged = True
            self.credits_used += credits
            self.roll(now)
            left = self.left(now) if self.start is not None else self.rate
            return self.rate, left, credits

    def stats(self):
        with self.lock:
            now = self.now()
            if self.rate is None:
                window = {"limited": False, "total": RATE_LIMIT_TOTAL,
                          "remaining": self.remaining, "resets_in": 0,
                          "used": None, "outside": 0}
            else:
                self.roll(now)
                window = {"limited": True, "total": self.rate,
                          "remaining": self.left(now)
                          if self.start is not None else self.rate,
                          "resets_in": self.resets_in(now),
                          "used": self.used, "outside": self.outside(now)}
            by_class = {}
            for name in LIMIT_CLASSES:
                by_class[name] = dict(self.by_class[name],
                                      window=self.class_used[name],
                                      limit=self.sublimits.get(name))
            return {"requests": self.requests, "too_many": self.too_many,
                    "credits_used": self.credits_used, "window": window,
                    "by_class": by_class}


class App:
    def __init__(self, account, api_key, restricted_key, verbose=False,
                 limit=None):
        self.account = account
        self.api_key = api_key
        self.restricted_key = restricted_key
        self.verbose = verbose
        self.lock = threading.RLock()
        self.limit = limit or AccountLimit()
        # Seed timestamps are relative to this fixed anchor, so a reset
        # restores exactly the same objects.
        self.anchor = int(time.time()) // 60 * 60
        self.api = Api(self)
        self.reset()

    def reset(self):
        with self.lock:
            self.state = State(self.anchor)
            self.recorded = []
            self.hooks = []
            self.faults = []
        self.limit.reset()

    # -- recording ---------------------------------------------------------

    def record(self, req):
        entry = {"method": req.method, "path": req.raw_path,
                 "query": req.raw_query, "headers": dict(req.headers),
                 "body": req.body.decode("utf-8", "replace")}
        with self.lock:
            self.recorded.append(entry)

    # -- faults ------------------------------------------------------------

    def add_fault(self, body):
        mode = body.get("mode")
        if mode not in FAULT_MODES:
            raise ApiError(400, {"error": "mode must be one of "
                                          + ", ".join(FAULT_MODES)})
        checks = {
            "count": lambda v: is_int(v) and (v >= 1 or v == -1),
            "path_prefix": lambda v: isinstance(v, str),
            "method": lambda v: isinstance(v, str),
            "seconds": lambda v: isinstance(v, (int, float))
            and not isinstance(v, bool) and v >= 0,
            "status": lambda v: is_int(v) and 100 <= v <= 599,
            "body": lambda v: isinstance(v, str),
            "headers": lambda v: isinstance(v, dict) and all(
                isinstance(x, str) for x in v.values()),
            "retry_after": lambda v: is_int(v) and v >= 0,
            "bytes": lambda v: is_int(v) and v >= 0,
            "chunked": lambda v: isinstance(v, bool),
            "wrap": lambda v: isinstance(v, str) and v.isidentifier(),
        }
        body = dict(body)
        for key, value in body.items():
            if key == "mode":
                continue
            # Perl's JSON encoders may send numbers as strings.
            if isinstance(value, str) and key in ("count", "seconds",
                                                  "status", "retry_after",
                                                  "bytes"):
                try:
                    value = body[key] = json.loads(value)
                except ValueError:
                    pass
            if key not in checks or not checks[key](value):
                raise ApiError(400, {"error": "bad fault parameter %r" % key})
        fault = {"count": 1, "path_prefix": ""}
        fault.update(body)
        with self.lock:
            self.faults.append(fault)
            return len(self.faults)

    def take_fault(self, req):
        """The first queued fault matching req (its count used up)."""
        with self.lock:
            for fault in self.faults:
                if not req.raw_path.startswith(fault["path_prefix"]):
                    continue
                if fault.get("method", req.method).upper() != req.method:
                    continue
                if fault["count"] > 0:
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self.faults.remove(fault)
                return dict(fault)
        return None

    def sample_body(self):
        """A realistic JSON body (ten tickets) for truncation faults."""
        with self.lock:
            tickets = [self.api.render_ticket(self.state.tickets[i], True)
                       for i in range(1, 11) if i in self.state.tickets]
        return dumps(tickets)

    def big_body(self, size):
        """A JSON array of ticket-shaped objects of at least size bytes."""
        with self.lock:
            template = self.api.render_ticket(self.state.tickets[1],
                                              include=["stats"])
        parts, total, n = [], 2, 0
        while total < size:
            n += 1
            item = dumps(dict(template, id=n,
                              subject="Bulk ticket %d" % n))
            parts.append(item)
            total += len(item) + 1
        return b"[" + b",".join(parts) + b"]"

    # -- API ---------------------------------------------------------------

    @staticmethod
    def basic_auth_user(header):
        """API key from 'Basic base64(key:X)', None if malformed."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
            user, sep, password = decoded.decode("utf-8").partition(":")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        return user if sep and password == "X" else None

    def handle_api(self, req):
        try:
            return self.dispatch_api(req)
        except ApiError as exc:
            return Response(exc.status, exc.body, exc.headers)

    def dispatch_api(self, req):
        if not req.path.startswith(API_PREFIX + "/"):
            raise not_found()
        key = self.basic_auth_user(req.headers.get("authorization"))
        if key is None or key not in (self.api_key, self.restricted_key):
            raise ApiError(401, ERR_401)
        methods, args = self.api.match(req.path)
        if methods is None:
            raise not_found()
        handler = methods.get(req.method)
        if handler is None:
            allowed = ", ".join(sorted(methods))
            raise ApiError(405, {
                "code": "method_not_allowed",
                "message": "%s method is not allowed. It should be one of "
                           "these method(s): %s" % (req.method, allowed)},
                {"Allow": allowed})
        if key == self.restricted_key and \
                req.method in ("POST", "PUT", "DELETE"):
            raise ApiError(403, ERR_403)
        accept = req.headers.get("accept")
        if accept is not None and not accepts_json(accept):
            raise ApiError(406, {"code": "not_acceptable",
                                 "message": "Only application/json "
                                            "responses are available"})
        if req.method in ("POST", "PUT") and req.body:
            ctype = req.headers.get("content-type", "")
            if ctype.split(";")[0].strip().lower() != "application/json":
                raise ApiError(415, {
                    "code": "invalid_content_type",
                    "message": "Content-Type header should have "
                               "application/json"})
            try:
                data = json.loads(req.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                data = None
            if not isinstance(data, dict):
                raise validation_failed([ferr(
                    "", "invalid_json",
                    "Request body has invalid json format")])
            req.data = data
        with self.lock:
            return handler(req, *args)

    # -- control API -------------------------------------------------------

    @staticmethod
    def state_order(item):
        """Order of /__control/state/<name>: by id; custom object records
        by schema and number; jobs by creation time."""
        key, obj = item
        if is_int(key):
            return (0, key)
        return (1, obj.get("_schema_id", 0), obj.get("_seq", 0),
                obj.get("created_at", ""))

    @staticmethod
    def control_body(req):
        """The JSON object body of a control request ({} if empty)."""
        try:
            body = json.loads(req.body.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise ApiError(400, {"error": "body must be a JSON object"})
        return body

    def control(self, req):
        try:
            return self.dispatch_control(req)
        except ApiError as exc:
            return Response(exc.status, exc.body, exc.headers)

    def dispatch_control(self, req):
        path = req.path[len(CONTROL_PREFIX):]
        method = req.method

        def only(*allowed):
            if method not in allowed:
                raise ApiError(405, {"error": "use " + " or ".join(allowed)},
                               {"Allow": ", ".join(allowed)})

        if path == "/requests":
            only("GET", "DELETE")
            with self.lock:
                if method == "GET":
                    return Response(200, self.recorded)
                cleared = len(self.recorded)
                self.recorded = []
            return Response(200, {"cleared": cleared})
        if path.startswith("/hook/"):
            with self.lock:
                self.hooks.append({"method": method,
                                   "path": path[len("/hook"):],
                                   "query": req.raw_query,
                                   "headers": dict(req.headers)})
            return Response(200, {})
        if path == "/hooks":
            only("GET", "DELETE")
            with self.lock:
                if method == "GET":
                    return Response(200, self.hooks)
                self.hooks = []
            return Response(200, {"ok": True})
        if path == "/count":
            only("GET")
            with self.lock:
                return Response(200, {"count": len(self.recorded)})
        if path == "/reset":
            only("POST")
            self.reset()
            return Response(200, {"ok": True})
        if path == "/fault":
            only("GET", "POST", "DELETE")
            if method == "GET":
                with self.lock:
                    return Response(200, self.faults)
            if method == "DELETE":
                with self.lock:
                    self.faults = []
                return Response(200, {"ok": True})
            return Response(200, {"ok": True,
                                  "queued": self.add_fault(
                                      self.control_body(req))})
        if path == "/stats":
            only("GET")
            return Response(200, self.limit.stats())
        if path == "/account":
            only("GET", "POST")
            if method == "POST":
                body = self.control_body(req)
                unknown = set(body) - {"rate", "outside_rate", "sublimits"}
                if unknown:
                    raise ApiError(400, {"error": "unknown setting %r"
                                                  % sorted(unknown)[0]})
                now = self.limit.settings()
                rate = body.get("rate", now["rate"])
                if "rate" in body and rate is None:
                    now["outside_rate"], now["overrides"] = 0, {}
                try:
                    self.limit.configure(
                        rate, body.get("outside_rate", now["outside_rate"]),
                        body.get("sublimits", now["overrides"]))
                except ValueError as exc:
                    raise ApiError(400, {"error": str(exc)})
            return Response(200, self.limit.settings())
        if path == "/clock":
            only("GET", "POST")
            if method == "GET":
                return Response(200, {"offset": self.limit.advance(0)})
            advance = self.control_body(req).get("advance")
            if isinstance(advance, str):
                try:
                    advance = json.loads(advance)
                except ValueError:
                    pass
            if not isinstance(advance, (int, float)) or \
                    isinstance(advance, bool) or not 0 <= advance < 1e9:
                raise ApiError(400, {"error": "advance must be a number "
                                              "of seconds >= 0"})
            return Response(200, {"offset": self.limit.advance(advance)})
        if path == "/state":
            only("GET")
            return Response(200, State.COLLECTIONS)
        if path.startswith("/state/"):
            only("GET")
            name = path[len("/state/"):]
            if name not in State.COLLECTIONS:
                raise ApiError(404, {"error": "no collection %r" % name})
            with self.lock:
                coll = getattr(self.state, name)
                return Response(200, [obj for _, obj in sorted(
                    coll.items(), key=self.state_order)])
        raise ApiError(404, {"error": "unknown control path"})


# ---------------------------------------------------------------------------
# HTTP layer
# ---------------------------------------------------------------------------

def read_chunked(rfile):
    """Read a chunked request body (RFC 9112 7.1); ValueError if broken."""
    body = bytearray()
    while True:
        line = rfile.readline(65537)
        if not line.endswith(b"\n"):
            raise ValueError("truncated chunk size line")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while True:                      # trailer section
                line = rfile.readline(65537)
                if not line:
                    raise ValueError("truncated trailer")
                if line in (b"\r\n", b"\n"):
                    return bytes(body)
        data = rfile.read(size)
        if len(data) != size or rfile.readline(3) not in (b"\r\n", b"\n"):
            raise ValueError("truncated chunk")
        body += data


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: every response carries an exact
    Content-Length, except 204 which has neither body nor length."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeFreshdesk/1.0"
    sys_version = ""
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()     # in this connection's thread
        super().setup()

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            super().log_message(fmt, *args)

    def do_GET(self):
        self.handle_request()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- request -----------------------------------------------------------

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return read_chunked(self.rfile)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            raise ValueError("bad Content-Length")
        data = self.rfile.read(int(length))
        if len(data) != int(length):
            raise ValueError("truncated body")
        return data

    def header_dict(self):
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = headers[name] + ", " + value \
                if name in headers else value
        return headers

    def handle_request(self):
        app = self.server.app
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.send_raw(400, b"", {})
            return
        req = Request(self.command, self.path, self.header_dict(), body)
        control = req.raw_path == CONTROL_PREFIX or \
            req.raw_path.startswith(CONTROL_PREFIX + "/")
        try:
            if control:
                self.write(app.control(req))
                return
            app.record(req)
            refused = app.limit.admit(req)
            if refused:
                self.write(refused, req)
                return
            fault = app.take_fault(req)
            if fault and self.apply_fault(fault, req):
                return
            self.write(app.handle_api(req), req)
        except (ConnectionError, ssl.SSLError):
            self.close_connection = True
        except Exception:                    # a bug in the fake itself
            traceback.print_exc()
            self.write(Response(500, {"code": "internal_error",
                                      "message": "fake_freshdesk crashed"}),
                       req)
        finally:
            if not control and not req.charged:  # truncate, reset faults
                app.limit.charge(req, 200)

    # -- response ----------------------------------------------------------

    def write(self, resp, req=None, remaining=None, charged=None):
        """Send resp; API responses (req given) get the rate-limit and
        request-id headers (charged: the charge already settled)."""
        headers = {}
        if resp.payload:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if req is not None:
            total, left, credits = charged or \
                self.server.app.limit.charge(req, resp.status)
            headers.update({
                "X-RateLimit-Total": str(total),
                "X-RateLimit-Remaining": str(left if remaining is None
                                             else remaining),
                "X-RateLimit-Used-CurrentRequest": str(credits),
                "X-Request-Id": str(uuid.uuid4()),
                "X-Freshdesk-API-Version": "latest=v2; requested=v2",
            })
            if req.link and resp.status == 200:
                headers["Link"] = req.link
        self.send_raw(resp.status, resp.payload,
                      merge_headers(headers, resp.headers))

    def send_raw(self, status, payload, headers, declared_length=None):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        bodyless = status in (204, 304) or status < 200
        if not bodyless:
            self.send_header("Content-Length", str(
                len(payload) if declared_length is None else declared_length))
        self.end_headers()
        if payload and not bodyless and self.command != "HEAD":
            self.wfile.write(payload)

    def send_chunked(self, status, payload, headers, size=7001):
        """Send payload with Transfer-Encoding: chunked, in odd-sized
        chunks, so the receiver never learns the length in advance."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(payload), size):
            piece = payload[i:i + size]
            self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def abort(self):
        """Drop the connection with a TCP RST (SO_LINGER 0), no FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        # The socket really closes once rfile lets go of it as well.
        self.connection.close()
        self.rfile.close()

    def apply_fault(self, fault, req):
        """Act out a fault; False means "now answer normally"."""
        app = self.server.app
        mode = fault["mode"]
        if mode == "delay":
            time.sleep(fault.get("seconds", 1))
            return False
        if mode == "late":
            resp = app.handle_api(req)
            charged = app.limit.charge(req, resp.status)
            time.sleep(fault.get("seconds", 1))
            self.write(resp, req, charged=charged)
            return True
        if mode == "status":
            self.write(Response(fault.get("status", 500),
                                raw=fault.get("body", "").encode(),
                                headers=fault.get("headers")), req)
        elif mode == "ratelimit":
            self.write(too_many_requests(fault.get("retry_after", 60)),
                       req, remaining=0)
        elif mode == "garbage":
            self.write(Response(200, raw=b"<html>not json</html>"), req)
        elif mode == "unauthorized":
            self.write(Response(401, ERR_401), req)
        elif mode == "big":
            body = app.big_body(fault.get("bytes", 2 * 1024 * 1024))
            if fault.get("wrap"):
                body = b'{"%s":%s,"total":%d}' % (
                    fault["wrap"].encode(), body, len(json.loads(body)))
            if fault.get("chunked"):
                app.limit.charge(req, 200)
                self.send_chunked(200, body, {
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Request-Id": str(uuid.uuid4())})
            else:
                self.write(Response(200, raw=body), req)
        elif mode in ("truncate", "reset_mid_body"):
            full = app.sample_body()
            self.send_raw(200, full[:len(full) // 2], {
                "Content-Type": "application/json; charset=utf-8",
                "X-Request-Id": str(uuid.uuid4())},
                declared_length=len(full))
            self.close_connection = True     # truncate: FIN after half
            if mode == "reset_mid_body":
                time.sleep(0.05)             # let the peer read the half
                self.abort()
        elif mode == "reset":
            self.abort()
        return True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # the default backlog of 5 drops SYNs under load tests (1 s retransmits)
    request_queue_size = 1024

    def server_bind(self):
        # HTTPServer.server_bind() calls getfqdn(), which may stall on a
        # host without DNS; the name is not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError)) and not self.app.verbose:
            return                           # peer went away; not our bug
        super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Fake Freshdesk v2 REST API for tests")
    parser.add_argument("--port", type=int, required=True,
                        help="TCP port, 0 = any free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-key", default="fd-test-key")
    parser.add_argument("--restricted-key", default="fd-restricted-key")
    parser.add_argument("--account", default="acme")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--pidfile")
    parser.add_argument("--verbose", action="store_true",
                        help="log every request to stderr")
    parser.add_argument("--account-rate", type=int, metavar="N",
                        help="API credits a minute for the whole account "
                             "(default: unlimited, never 429)")
    parser.add_argument("--outside-rate", type=int, default=0, metavar="M",
                        help="credits a minute another integration spends")
    parser.add_argument("--sublimit", action="append", default=[],
                        metavar="CLASS=N",
                        help="requests a minute for one of "
                             + ", ".join(LIMIT_CLASSES) + " (repeatable)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    sublimits = {}
    for item in args.sublimit:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error("--sublimit wants CLASS=N, not %r" % item)
        sublimits[name.strip()] = value.strip()
    try:
        limit = AccountLimit(args.account_rate, args.outside_rate, sublimits)
    except ValueError as exc:
        parser.error(str(exc))

    if ":" in args.host:
        Server.address_family = socket.AF_INET6
    server = Server((args.host, args.port), Handler)
    server.app = App(args.account, args.api_key, args.restricted_key,
                     args.verbose, limit)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())

    def stop(signum, frame):
        # serve_forever() notices the request within poll_interval;
        # shutdown() blocks until then, so it must not run in this
        # (main) thread.  Raising from here instead could be swallowed
        # by socketserver's error handling.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("READY %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
