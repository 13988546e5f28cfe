#!/usr/bin/env python3
"""Self-test of t/fake_freshdesk.py (python3 standard library only).

    python3 t/fake_freshdesk_selftest.py [-v]

Starts the fake on a free port, exercises the API, the control API and
every fault mode, and prints TAP ("ok N - description", plan at the end).
Exits non-zero when any check fails.
"""

import base64
import calendar
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_freshdesk.py")
KEY = "fd-test-key"
RESTRICTED = "fd-restricted-key"
VERBOSE = "-v" in sys.argv[1:]


# ---------------------------------------------------------------------------
# Tiny TAP harness
# ---------------------------------------------------------------------------

class Tap:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def ok(self, cond, desc, detail=None):
        self.count += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.count, desc),
              flush=True)
        if not cond:
            self.failed += 1
            if detail is not None:
                for line in str(detail)[:2000].splitlines():
                    print("#   " + line)
        return cond

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, "got:  %r\nwant: %r" % (got, want))

    def done(self):
        print("1..%d" % self.count)
        if self.failed:
            print("# %d of %d checks failed" % (self.failed, self.count))
        return 1 if self.failed else 0


T = Tap()


# ---------------------------------------------------------------------------
# Client helpers
# ---------------------------------------------------------------------------

class Reply:
    def __init__(self, resp, body):
        self.status = resp.status
        self.headers = {k.lower(): v for k, v in resp.getheaders()}
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.headers, self.body[:300])


def auth_header(key=KEY, password="X"):
    token = base64.b64encode(("%s:%s" % (key, password)).encode()).decode()
    return "Basic " + token


class Client:
    def __init__(self, port):
        self.port = port

    def connect(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def call(self, method, path, body=None, key=KEY, headers=None,
             conn=None, raw=None, api=True):
        """One request; body is JSON-encoded unless raw bytes are given."""
        hdrs = {}
        if api and key is not None:
            hdrs["Authorization"] = auth_header(key)
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        own = conn is None
        conn = conn or self.connect()
        url = ("/api/v2" + path) if api else path
        conn.request(method, url, body=payload, headers=hdrs)
        resp = conn.getresponse()
        reply = Reply(resp, resp.read())
        if own:
            conn.close()
        return reply

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def control(self, method, path, body=None):
        return self.call(method, "/__control" + path, body=body, api=False)

    def fault(self, **spec):
        r = self.control("POST", "/fault", spec)
        assert r.status == 200, r


def search_q(inner):
    return quote('"%s"' % inner, safe="")


# ---------------------------------------------------------------------------
# Process management
# ---------------------------------------------------------------------------

def start_fake(extra=()):
    proc = subprocess.Popen(
        [sys.executable, FAKE, "--port", "0"] + list(extra) +
        (["--verbose"] if VERBOSE else []),
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit("fake did not start: %r" % line)
    return proc, int(line.split()[1])


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_auth(c):
    r = c.get("/tickets", key=None)
    T.ok(r.status == 401 and r.json == {
        "code": "invalid_credentials",
        "message": "You have to be logged in to perform this action."},
        "no credentials -> 401 invalid_credentials", r)
    T.eq(c.get("/tickets", key="wrong-key").status, 401,
         "wrong api key -> 401")
    r = c.get("/tickets/1", key=None,
              headers={"Authorization": auth_header(KEY, "secret")})
    T.eq(r.status, 401, "password other than X -> 401")
    T.eq(c.get("/tickets/1", key=RESTRICTED).status, 200,
         "restricted key may read")
    r = c.call("POST", "/tickets", {"subject": "x"}, key=RESTRICTED)
    T.ok(r.status == 403 and r.json.get("code") == "access_denied",
         "restricted key POST -> 403 access_denied", r)
    T.eq(c.call("DELETE", "/tickets/1", key=RESTRICTED).status, 403,
         "restricted key DELETE -> 403")
    T.eq(c.get("/tickets/1").json["deleted"], False,
         "403 delete left the ticket alone")


def test_headers(c):
    r1 = c.get("/tickets/1")
    r2 = c.get("/tickets/1")
    h = r1.headers
    T.ok(h.get("x-ratelimit-total") == "400"
         and h.get("x-ratelimit-used-currentrequest") == "1"
         and len(h.get("x-request-id", "")) == 36
         and h.get("content-type") == "application/json; charset=utf-8",
         "rate-limit, request-id and content-type headers", h)
    T.eq(int(r2.headers["x-ratelimit-remaining"]),
         int(h["x-ratelimit-remaining"]) - 1, "X-RateLimit-Remaining "
         "decrements")
    r = c.get("/tickets?include=stats,requester")
    T.ok(r.headers.get("x-ratelimit-used-currentrequest") == "5"
         and "stats" in r.json[0] and "requester" in r.json[0],
         "two includes on the ticket list cost 1+2*2 credits", r.headers)
    r = c.get("/tickets?include=notes")
    T.ok(r.status == 400 and r.json["errors"][0]["code"] == "invalid_value"
         and r.json["errors"][0]["field"] == "include",
         "include=notes -> 400 invalid_value", r)


def test_pagination(c):
    r1 = c.get("/tickets")
    T.ok(r1.status == 200 and len(r1.json) == 30, "default page of 30")
    T.eq(r1.headers.get("link"),
         '<https://acme.freshdesk.com/api/v2/tickets?page=2>; rel="next"',
         "Link rel=next on page 1")
    r2 = c.get("/tickets?page=2")
    T.eq(r2.headers.get("link"),
         '<https://acme.freshdesk.com/api/v2/tickets?page=3>; rel="next"',
         "Link to page 3 on page 2")
    r3 = c.get("/tickets?page=3")
    T.ok(r3.status == 200 and "link" not in r3.headers and
         len(r3.json) == 24, "last page: 24 rows and no Link",
         (len(r3.json), r3.headers))
    ids = [t["id"] for r in (r1, r2, r3) for t in r.json]
    T.eq(len(set(ids)), 84, "84 distinct tickets across the three pages")
    r = c.get("/tickets?order_type=asc&per_page=10&page=2")
    T.eq(r.headers.get("link"),
         '<https://acme.freshdesk.com/api/v2/tickets?order_type=asc'
         '&per_page=10&page=3>; rel="next"',
         "Link keeps the other query parameters")
    r = c.get("/tickets?per_page=100")
    T.ok(r.status == 200 and len(r.json) == 84 and "link" not in r.headers,
         "per_page=100 fits all")
    r = c.get("/tickets?per_page=101")
    T.ok(r.status == 400 and r.json["errors"][0]["field"] == "per_page"
         and r.json["errors"][0]["code"] == "invalid_value",
         "per_page=101 -> 400 invalid_value", r)
    T.eq(c.get("/tickets?per_page=abc").status, 400,
         "per_page=abc -> 400")
    T.eq(c.get("/tickets?page=0").status, 400, "page=0 -> 400")
    r = c.get("/tickets/2/conversations")
    r2 = c.get("/tickets/2/conversations?page=2")
    T.ok(len(r.json) == 30 and "link" in r.headers and len(r2.json) == 5
         and "link" not in r2.headers,
         "ticket 2 has 35 conversations over two pages")
    stamps = [x["created_at"] for x in r.json + r2.json]
    T.eq(stamps, sorted(stamps), "conversations are oldest first")


def test_ticket_list(c):
    now = time.time()
    rows = c.get("/tickets?per_page=100").json
    T.ok(all(calendar.timegm(time.strptime(t["created_at"],
                                           "%Y-%m-%dT%H:%M:%SZ"))
             > now - 30 * 86400 - 60 for t in rows),
         "default list only has tickets from the last 30 days")
    T.ok(all(not t["spam"] and not t["deleted"] for t in rows)
         and "description" not in rows[0], "no spam/deleted, no "
         "description in lists")
    spam = c.get("/tickets?filter=spam").json
    deleted = c.get("/tickets?filter=deleted").json
    T.ok(len(spam) == 3 and all(t["spam"] for t in spam) and
         len(deleted) == 3 and all(t["deleted"] for t in deleted),
         "filter=spam and filter=deleted")
    old = c.get("/tickets?updated_since=2000-01-01T00:00:00Z&per_page=100"
                "&page=2").json
    T.ok(len(old) == 14, "updated_since reaches old tickets (114 total)",
         len(old))
    T.eq(c.get("/tickets?filter=new_any_my_open").status, 400,
         "misspelt filter -> 400")
    T.eq(c.get("/tickets?status=2").status, 400,
         "status is not a list filter -> 400 invalid_field")
    mine = c.get("/tickets?requester_id=1001").json
    T.ok(mine and all(t["requester_id"] == 1001 for t in mine),
         "requester_id filter")
    by_mail = c.get("/tickets?email=emily.garcia%40acme.com").json
    T.eq([t["id"] for t in by_mail], [t["id"] for t in mine],
         "email filter finds the same tickets")
    watching = c.get("/tickets?filter=watching").json
    T.eq(sorted(t["id"] for t in watching), [5, 9],
         "filter=watching (agent 1 watches 5 and 9; 3 is too old)")
    asc = c.get("/tickets?order_by=created_at&order_type=asc").json
    T.ok(asc[0]["created_at"] <= asc[-1]["created_at"], "order_type=asc")


def test_ticket_crud(c):
    t1 = c.get("/tickets/1?include=stats,requester,company,conversations")
    j = t1.json
    T.ok(j["subject"] == "Printer on fire" and j["status"] == 2 and
         j["priority"] == 4 and j["requester_id"] == 1001 and
         j["tags"] == ["vip"] and len(j["conversations"]) >= 3 and
         j["company"] == {"id": 1, "name": "Acme Corp"} and
         j["requester"]["id"] == 1001 and "stats" in j,
         "ticket 1 with all embeds")
    T.eq(t1.headers["x-ratelimit-used-currentrequest"], "5",
         "single view: +1 per include")
    r = c.call("POST", "/tickets", raw=b'{"subject":"x"}',
               headers={"Content-Type": "text/plain"})
    T.eq(r.status, 415, "POST without application/json -> 415")
    r = c.call("POST", "/tickets", raw=b'{"subject":',
               headers={"Content-Type": "application/json"})
    T.eq(r.json, {"description": "Validation failed", "errors": [
        {"field": "", "message": "Request body has invalid json format",
         "code": "invalid_json"}]}, "bad JSON -> 400 invalid_json")
    r = c.call("POST", "/tickets", {
        "id": 5, "subject": "s", "description": "d", "email": "a@b.co",
        "priority": "high", "status": 9, "description_text": "x"})
    codes = {e["field"]: e["code"] for e in r.json["errors"]}
    T.eq(codes, {"id": "invalid_field", "priority": "datatype_mismatch",
                 "status": "invalid_value",
                 "description_text": "invalid_field"},
         "create: every error listed with its code")
    status_err = [e for e in r.json["errors"] if e["field"] == "status"][0]
    T.ok("2,3,4,5,6" in status_err["message"],
         "invalid_value lists the allowed statuses", status_err)
    r = c.call("POST", "/tickets", {"description": "d"})
    fields = {e["field"]: e["code"] for e in r.json["errors"]}
    T.eq(fields, {"subject": "missing_field",
                  "requester_id": "missing_field"},
         "missing subject and requester -> missing_field")
    r = c.call("POST", "/tickets", {
        "subject": "New printer", "description": "<p>Hello</p>",
        "email": "new.person@example.org", "priority": 3,
        "tags": ["a", "b"], "custom_fields": {"cf_region": "EMEA"}})
    T.ok(r.status == 201 and r.json["id"] == 121 and
         r.json["description_text"] == "Hello" and r.json["source"] == 2,
         "create ticket -> 201", r)
    T.eq(r.headers.get("location"),
         "https://acme.freshdesk.com/api/v2/tickets/121",
         "Location header on 201")
    contact = c.get("/contacts?email=new.person%40example.org").json
    T.ok(len(contact) == 1 and contact[0]["id"] == r.json["requester_id"],
         "unknown requester email created a contact")
    r = c.call("PUT", "/tickets/121", {"tags": ["c"], "status": 4})
    T.ok(r.status == 200 and r.json["tags"] == ["c"] and
         r.json["priority"] == 3 and r.json["status"] == 4,
         "update: tags replaced, other fields kept")
    r = c.call("PUT", "/tickets/121", {"created_at": "2024-01-01"})
    T.eq(r.json["errors"][0]["code"], "invalid_field",
         "update with read-only created_at -> invalid_field")
    r = c.call("PUT", "/tickets/14", {"priority": 1})
    T.eq(r.status, 400, "spam ticket is frozen")
    r = c.call("PUT", "/tickets/1", {"custom_fields": {"cf_nope": 1}})
    T.eq(r.json["errors"][0]["code"], "invalid_field",
         "unknown custom field -> invalid_field")
    r = c.call("PUT", "/tickets/1", {"responder_id": 99})
    T.eq(r.json["errors"][0]["code"], "invalid_value",
         "unknown responder_id -> invalid_value")
    r = c.get("/tickets/99999")
    T.ok(r.status == 404 and r.body == b"" and
         r.headers.get("content-length") == "0", "unknown id -> 404, "
         "empty body")
    r = c.get("/nothing/here")
    T.ok(r.status == 404 and r.body == b"", "unknown path -> 404")
    r = c.call("PATCH", "/tickets/1", {"priority": 1})
    T.ok(r.status == 405 and r.json["code"] == "method_not_allowed",
         "wrong method -> 405 method_not_allowed", r)
    r = c.call("POST", "/tickets/outbound_email", {
        "email": "x@y.com", "subject": "Hi", "email_config_id": 71})
    T.ok(r.status == 201 and r.json["source"] == 10, "outbound email -> "
         "201 source 10", r)
    r = c.call("POST", "/tickets/outbound_email", {"email": "x@y.com"})
    T.eq(sorted(e["field"] for e in r.json["errors"]),
         ["email_config_id", "subject"], "outbound email required fields")
    fields = c.get("/ticket_fields?type=default_status").json
    T.ok(len(fields) == 1 and "6" in fields[0]["choices"],
         "default_status choices include custom status 6")


def test_keepalive(c):
    conn = c.connect()
    r = c.call("DELETE", "/tickets/3", conn=conn)
    sock = conn.sock
    T.ok(r.status == 204 and r.body == b"" and
         "content-length" not in r.headers and
         "content-type" not in r.headers,
         "DELETE -> 204, no body, no Content-Length", r)
    r = c.get("/tickets/3", conn=conn)
    T.ok(r.status == 200 and r.json["deleted"] is True and
         conn.sock is sock, "next request on the same keep-alive "
         "connection works", r)
    r = c.call("PUT", "/tickets/3/restore", conn=conn)
    r2 = c.get("/tickets/3", conn=conn)
    T.ok(r.status == 204 and r2.json["deleted"] is False and
         conn.sock is sock, "restore -> 204, undeleted, same connection")
    r = c.call("DELETE", "/tickets/99999", conn=conn)
    r2 = c.get("/tickets/1", conn=conn)
    T.ok(r.status == 404 and r2.status == 200 and conn.sock is sock,
         "404 keeps the connection usable too")
    conn.close()
    # A chunked request body, written by hand.
    s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
    body = json.dumps({"body": "<p>chunked note</p>"}).encode()
    chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
        10, body[:10], len(body) - 10, body[10:])
    s.sendall(b"POST /api/v2/tickets/1/notes HTTP/1.1\r\nHost: x\r\n"
              b"Authorization: " + auth_header().encode() +
              b"\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              + chunks)
    data = b""
    while True:
        part = s.recv(65536)
        if not part:
            break
        data += part
    s.close()
    T.ok(data.startswith(b"HTTP/1.1 201") and b"chunked note" in data,
         "chunked request body accepted", data[:200])


def test_search(c):
    r = c.get("/search/tickets?query=status:2")
    T.ok(r.status == 400 and r.json["errors"][0]["field"] == "query"
         and r.json["errors"][0]["code"] == "invalid_value",
         "unquoted query -> 400", r)
    T.eq(c.get("/search/tickets?query=" + quote("'status:2'")).status, 400,
         "single-quoted query -> 400")
    r = c.get("/search/tickets?query=" + search_q("status:2 AND priority:4"))
    res = r.json["results"]
    T.ok(r.status == 200 and 1 in [t["id"] for t in res] and
         all(t["status"] == 2 and t["priority"] == 4 for t in res) and
         r.json["total"] == len(res), "status:2 AND priority:4", r)
    r = c.get("/search/tickets?query=" + search_q("tag:'vip'"))
    T.ok(r.json["total"] > 0 and
         all("vip" in t["tags"] for t in r.json["results"]), "tag:'vip'")
    r = c.get("/search/tickets?query=" + search_q("(status:2 OR status:3)"))
    T.ok(r.json["total"] > 30 and len(r.json["results"]) == 30 and
         all(t["status"] in (2, 3) for t in r.json["results"]),
         "(status:2 OR status:3), 30 per page")
    total = r.json["total"]
    last = (total + 29) // 30
    r2 = c.get("/search/tickets?page=%d&query=" % last +
               search_q("(status:2 OR status:3)"))
    T.eq(len(r2.json["results"]), total - 30 * (last - 1),
         "last search page holds the rest")
    live = [t for t in c.control("GET", "/state/tickets").json
            if not t["spam"] and not t["deleted"]]
    r = c.get("/search/tickets?query=" + search_q("created_at:>'2020-01-01'"))
    T.eq(r.json["total"], len(live), "created_at:>'2020-01-01' matches "
         "every live ticket")
    r = c.get("/search/tickets?query=" + search_q("created_at:<'2020-01-01'"))
    T.eq(r.json["total"], 0, "created_at:<'2020-01-01' matches none")
    r = c.get("/search/tickets?query=" + search_q(
        "priority:>3 AND type:'Incident' AND agent_id:1"))
    T.ok(r.status == 200 and all(
        t["priority"] >= 3 and t["type"] == "Incident" and
        t["responder_id"] == 1 for t in r.json["results"]) and
        r.json["total"] >= 1, ":> with type and agent_id", r)
    r = c.get("/search/tickets?query=" + search_q("group_id:null"))
    T.ok(r.json["total"] > 0 and
         all(t["group_id"] is None for t in r.json["results"]),
         "group_id:null")
    r = c.get("/search/tickets?query=" + search_q("cf_region:'EMEA'"))
    T.ok(r.json["total"] > 0 and all(
        t["custom_fields"]["cf_region"] == "EMEA"
        for t in r.json["results"]), "custom field cf_region:'EMEA'")
    for bad, why in [("status:2 priority:4", "missing AND"),
                     ("(status:2", "unbalanced parenthesis"),
                     ("subject:'printer'", "not a search field"),
                     ("status:'open'", "string for a number"),
                     ("tag:>'vip'", ":> on a string"),
                     ("", "empty query")]:
        T.eq(c.get("/search/tickets?query=" + search_q(bad)).status, 400,
             "syntax/semantic error -> 400 (%s)" % why)
    T.eq(c.get("/search/tickets?page=11&query=" + search_q("status:2"))
         .status, 400, "search page 11 -> 400")
    long_q = " OR ".join(["status:2"] * 60)
    T.eq(c.get("/search/tickets?query=" + search_q(long_q)).status, 400,
         "query over 512 characters -> 400")
    r = c.get("/search/contacts?query=" +
              search_q("email:'emily.garcia@acme.com'"))
    T.ok(r.json["total"] == 1 and r.json["results"][0]["id"] == 1001,
         "search contacts by email")
    r = c.get("/search/contacts?query=" +
              search_q("company_id:1 AND tag:'vip'"))
    T.eq(sorted(x["id"] for x in r.json["results"]), [1001, 1005],
         "search contacts by company and tag")
    r = c.get("/search/companies?query=" + search_q("domain:'globex.com'"))
    T.ok(r.json["total"] == 1 and r.json["results"][0]["name"] == "Globex",
         "search companies by domain")


def test_merge_and_watch(c):
    r = c.call("PUT", "/tickets/merge", {
        "primary_id": 1, "ticket_ids": [4, 5],
        "note_in_primary": {"body": "merged 4 and 5", "private": True},
        "note_in_secondary": {"body": "see ticket 1"},
        "convert_recepients_to_cc": True})
    T.ok(r.status == 204 and r.body == b"", "merge -> 204", r)
    t4, t5 = c.get("/tickets/4").json, c.get("/tickets/5").json
    T.ok(t4["status"] == 5 and t5["status"] == 5, "secondaries closed")
    convs = c.get("/tickets/1/conversations").json
    T.ok(any(x["body"] == "merged 4 and 5" and x["source"] == 2
             for x in convs), "note added to the primary")
    convs = c.get("/tickets/4/conversations").json
    T.ok(any(x["body"] == "see ticket 1" for x in convs),
         "note added to a secondary")
    t1 = c.get("/tickets/1").json
    T.ok(c.get("/contacts/%d" % t4["requester_id"]).json["email"]
         in t1["cc_emails"], "secondary requesters copied to cc")
    r = c.call("PUT", "/tickets/merge", {"primary_id": 1,
                                         "ticket_ids": [1]})
    T.eq(r.status, 400, "merging a ticket into itself -> 400")
    r = c.call("PUT", "/tickets/merge", {
        "primary_id": 1, "ticket_ids": [6],
        "convert_recipients_to_cc": True})
    T.eq(r.json["errors"][0]["code"], "invalid_field",
         "convert_recipients_to_cc (correct spelling) -> invalid_field")

    T.eq(c.get("/tickets/10/watchers").json, {"watcher_ids": []},
         "no watchers yet")
    r = c.call("POST", "/tickets/10/watch")
    T.ok(r.status == 204 and r.body == b"", "watch -> 204")
    r = c.call("POST", "/tickets/10/watch", {"user_id": 3})
    T.eq(c.get("/tickets/10/watchers").json, {"watcher_ids": [1, 3]},
         "watchers: default agent 1 plus user 3")
    r = c.call("PUT", "/tickets/10/unwatch", {"user_id": 1})
    T.ok(r.status == 204 and c.get("/tickets/10/watchers").json ==
         {"watcher_ids": [3]}, "unwatch -> 204, watcher removed")
    T.eq(c.call("POST", "/tickets/10/watch", {"user_id": 1001}).status,
         400, "watch by a non-agent -> 400")


def test_conversations(c):
    r = c.call("POST", "/tickets/7/reply", {"body": "<b>hi</b>"})
    T.ok(r.status == 201 and r.json["private"] is False and
         r.json["source"] == 0 and r.json["body_text"] == "hi",
         "reply -> 201 public, source 0", r)
    r = c.call("POST", "/tickets/7/notes", {"body": "internal"})
    note = r.json
    T.ok(r.status == 201 and note["private"] is True and
         note["source"] == 2, "note -> 201 private by default, source 2")
    T.eq(c.call("POST", "/tickets/7/notes", {"private": False}).json[
        "errors"][0]["code"], "missing_field", "note without body -> 400")
    r = c.call("POST", "/tickets/7/forward",
               {"to_emails": ["boss@acme.com"], "body": "fyi"})
    T.ok(r.status == 201 and r.json["source"] == 8, "forward -> 201 "
         "source 8", r)
    T.eq(c.call("POST", "/tickets/7/forward", {"body": "x"}).status, 400,
         "forward without to_emails -> 400")
    r = c.call("PUT", "/conversations/%d" % note["id"], {"body": "edited"})
    T.ok(r.status == 200 and r.json["body"] == "edited" and
         r.json["last_edited_at"], "update note")
    T.eq(c.call("DELETE", "/conversations/%d" % note["id"]).status, 204,
         "delete conversation -> 204")
    T.eq(c.call("DELETE", "/conversations/%d" % note["id"]).status, 404,
         "deleted conversation is gone")


def test_bulk_jobs(c):
    r = c.call("POST", "/tickets/bulk_update", {"bulk_action": {
        "ids": [8, 9, 99999], "properties": {"priority": 4},
        "reply": {"body": "bulk reply"}}})
    job_id = (r.json or {}).get("job_id", "")
    T.ok(r.status == 202 and len(job_id) == 36, "bulk_update -> 202 job_id",
         r)
    first = c.get("/jobs/" + job_id).json
    T.eq(first["status"], "in_progress", "first job fetch: in_progress")
    second = c.get("/jobs/" + job_id).json
    T.ok(second["status"] == "completed" and second["data"] == [
        {"id": 8, "success": True}, {"id": 9, "success": True},
        {"id": 99999, "success": False}], "then completed with data",
        second)
    T.ok(c.get("/tickets/8").json["priority"] == 4 and
         c.get("/tickets/9").json["priority"] == 4, "bulk update applied")
    T.ok(any(x["body"] == "bulk reply" for x in
             c.get("/tickets/8/conversations?per_page=100").json),
         "bulk reply added")
    r = c.call("POST", "/tickets/bulk_delete",
               {"bulk_action": {"ids": [11, 12]}})
    job_id = r.json["job_id"]
    c.get("/jobs/" + job_id)
    c.get("/jobs/" + job_id)
    T.ok(c.get("/tickets/11").json["deleted"] and
         c.get("/tickets/12").json["deleted"], "bulk delete applied")
    T.eq(c.get("/jobs/no-such-job").status, 404, "unknown job -> 404")
    r = c.call("POST", "/tickets/bulk_update",
               {"bulk_action": {"ids": [8]}})
    T.eq(r.status, 400, "bulk_update without properties or reply -> 400")


def test_other_endpoints(c):
    me = c.get("/agents/me").json
    T.ok(me["id"] == 1 and me["contact"]["email"], "/agents/me is agent 1")
    T.eq([a["id"] for a in c.get("/agents").json], [1, 2, 3, 4], "4 agents")
    T.eq([a["id"] for a in c.get("/agents?state=occasional").json], [4],
         "agents state=occasional")
    T.eq([g["id"] for g in c.get("/groups").json], [11, 12], "2 groups")
    T.eq([x["name"] for x in c.get("/companies").json],
         ["Acme Corp", "Globex", "Initech"], "3 companies")
    T.eq(c.get("/companies/autocomplete?name=glo").json,
         {"companies": [{"id": 2, "name": "Globex"}]},
         "company autocomplete")
    T.eq(c.get("/contacts/autocomplete?term=emi").json,
         [{"id": 1001, "name": "Emily Garcia"}], "contact autocomplete")
    listable = [x["id"] for x in c.control("GET", "/state/contacts").json
                if not x["deleted"] and not x["_blocked"]]
    contacts = c.get("/contacts?per_page=100").json
    T.ok([x["id"] for x in contacts] == listable and 1018 not in listable
         and 1019 not in listable,
         "contact list hides blocked 1018 and deleted 1019")
    T.eq([x["id"] for x in c.get("/contacts?state=deleted").json], [1019],
         "contacts state=deleted")
    T.eq(c.get("/contacts?updated_since=2020-01-01").status, 400,
         "contacts need _updated_since (leading underscore)")
    T.eq(len(c.get("/contacts?per_page=100&_updated_since="
                   "2000-01-01T00:00:00Z").json), len(listable),
         "_updated_since accepted")
    T.eq(c.get("/contacts?_updated_since=2099-01-01T00:00:00Z").json, [],
         "_updated_since filters")
    r = c.call("POST", "/contacts", {"name": "Dup",
                                     "email": "liam.chen@globex.com"})
    T.ok(r.status == 409 and r.json["errors"][0]["code"] ==
         "duplicate_value", "duplicate contact email -> 409", r)
    r = c.call("POST", "/contacts", {"name": "Solo"})
    T.eq(r.json["errors"][0]["code"], "missing_field",
         "contact without any identity -> missing_field")
    r = c.call("PUT", "/contacts/1002/make_agent", {"occasional": True})
    T.ok(r.status == 200 and r.json["id"] == 1002 and
         c.get("/contacts/1002").status == 404 and
         c.get("/agents/1002").status == 200, "make_agent: contact -> agent")
    T.eq(c.call("PUT", "/contacts/1003/send_invite").status, 204,
         "send_invite -> 204")
    r = c.call("POST", "/contacts/merge", {"primary_contact_id": 1004,
                                           "secondary_contact_ids": [1008]})
    T.ok(r.status == 204 and c.get("/contacts/1008").status == 404 and
         "mason.brown@example.com" in
         c.get("/contacts/1004").json["other_emails"], "contact merge")
    T.eq(c.call("DELETE", "/contacts/1009").status, 204, "soft delete")
    T.eq(c.call("PUT", "/contacts/1009/restore").status, 204, "restore")
    T.eq(c.call("DELETE", "/contacts/1010/hard_delete").status, 400,
         "hard delete of a live contact needs force=true")
    T.eq(c.call("DELETE", "/contacts/1010/hard_delete?force=true").status,
         204, "hard delete with force=true")
    for atype in (1, 3, 4):
        rules = c.get("/automations/%d/rules" % atype).json
        T.ok(rules and all(x["automation_type_id"] == atype for x in rules),
             "automation rules of type %d" % atype)
    T.eq(c.get("/automations/2/rules").status, 400,
         "automation type 2 -> 400")
    T.eq(len(c.get("/canned_response_folders").json), 2,
         "2 canned response folders")
    T.eq(len(c.get("/canned_response_folders/91/responses").json), 2,
         "responses of folder 91")
    T.eq(c.get("/canned_responses/903").json["folder_id"], 92,
         "canned response 903")
    cats = c.get("/solutions/categories").json
    T.eq(len(cats), 3, "3 solution categories")
    folders = c.get("/solutions/categories/111/folders").json
    T.eq([f["id"] for f in folders], [121], "folders of category 111")
    arts = c.get("/solutions/folders/121/articles").json
    T.eq(len(arts), 2, "articles of folder 121")
    hits = c.get("/search/solutions?term=printer").json
    T.eq([a["id"] for a in hits], [135], "search solutions by keyword")
    r = c.call("POST", "/solutions/folders/123/articles",
               {"title": "Toner", "description": "<p>x</p>", "status": 1})
    T.ok(r.status == 201 and r.json["folder_id"] == 123, "create article")
    T.eq(c.call("POST", "/solutions/folders/123/articles",
                {"title": "t", "description": "d", "status": 3}).json[
        "errors"][0]["code"], "invalid_value", "article status 3 -> 400")
    for path in ("/roles", "/admin/skills", "/products", "/business_hours",
                 "/sla_policies", "/email_configs", "/surveys",
                 "/contact_fields", "/company_fields", "/ticket_fields",
                 "/roles/21", "/products/41", "/business_hours/51",
                 "/email_configs/71", "/automations/4/rules/84",
                 "/solutions/articles/131", "/time_entries",
                 "/surveys/satisfaction_ratings",
                 "/tickets/1/satisfaction_ratings", "/tickets/1/time_entries",
                 "/custom_objects/schemas/30"):
        r = c.get(path)
        T.ok(r.status == 200 and r.json is not None, "GET %s" % path, r)
    r = c.call("POST", "/tickets/2/time_entries",
               {"time_spent": "01:30", "billable": False, "note": "n"})
    entry = r.json
    T.ok(r.status == 201 and entry["time_spent"] == "01:30" and
         entry["company_id"] == 2, "create time entry", r)
    T.eq(c.call("POST", "/tickets/2/time_entries",
                {"time_spent": "90 min"}).status, 400, "bad time_spent")
    r = c.call("PUT", "/time_entries/%d/toggle_timer" % entry["id"])
    T.ok(r.json["timer_running"] is True, "toggle_timer starts the timer")
    T.eq(len(c.get("/time_entries?billable=false&agent_id=1").json) >= 1,
         True, "time entries filters")
    T.eq(c.call("DELETE", "/time_entries/%d" % entry["id"]).status, 204,
         "delete time entry")
    r = c.call("POST", "/tickets/3/satisfaction_ratings",
               {"ratings": {"default_question": 103}, "feedback": "yay"})
    T.ok(r.status == 201 and r.json["ratings"]["default_question"] == 103,
         "create satisfaction rating")
    T.eq(c.call("POST", "/tickets/3/satisfaction_ratings",
                {"ratings": {"default_question": 7}}).status, 400,
         "rating outside accepted_ratings -> 400")


def follow_records(c, first_path):
    """All records of a token-paginated listing, following next hrefs."""
    records, pages, path = [], 0, first_path
    while path:
        r = c.get("/custom_objects" + path)
        if r.status != 200:
            return None, pages, r
        pages += 1
        records += r.json["records"]
        path = r.json["_links"].get("next", {}).get("href")
    return records, pages, None


def test_custom_objects(c):
    schemas = c.get("/custom_objects/schemas").json["schemas"]
    T.ok(schemas[0]["id"] == 30 and schemas[0]["prefix"] == "BKG",
         "schema 30 Bookings")
    r = c.get("/custom_objects/schemas/30/records")
    T.ok(len(r.json["records"]) == 20 and
         r.json["_links"]["next"]["href"].startswith(
             "/schemas/30/records?page_size=20&next_token="),
         "records: default page_size 20 with a next href", r)
    records, pages, err = follow_records(c, "/schemas/30/records")
    T.ok(err is None and pages == 3 and
         [x["display_id"] for x in records] ==
         ["BKG-%d" % n for n in range(1, 51)],
         "following next hrefs yields BKG-1..BKG-50 in 3 pages", err)
    records, pages, err = follow_records(
        c, "/schemas/30/records?page_size=7&guests%5Bgte%5D=4")
    T.ok(err is None and pages > 1 and records and
         all(x["data"]["guests"] >= 4 for x in records) and
         len(records) == sum(1 for n in range(1, 51) if 1 + n % 6 >= 4),
         "bracket filter kept across token pages", err)
    r = c.get("/custom_objects/schemas/30/records?status=pending")
    T.ok(all(x["data"]["status"] == "pending" for x in r.json["records"])
         and "next" not in r.json["_links"], "equality filter, last page "
         "has no next")
    T.eq(c.get("/custom_objects/schemas/30/records?page_size=101").status,
         400, "page_size 101 -> 400")
    T.eq(c.get("/custom_objects/schemas/30/records?next_token=junk").status,
         400, "bad next_token -> 400")
    T.eq(c.get("/custom_objects/schemas/30/records/BKG-7").json[
        "data"]["booking_name"], "Booking 7", "get record BKG-7")
    r = c.call("POST", "/custom_objects/schemas/30/records",
               {"data": {"booking_name": "New", "guests": 2}})
    T.ok(r.status == 201 and r.json["display_id"] == "BKG-51",
         "create record -> 201 BKG-51", r)
    r = c.call("PUT", "/custom_objects/schemas/30/records/BKG-51",
               {"version": 1, "data": {"guests": 3}})
    T.ok(r.status == 200 and r.json["version"] == 2 and
         r.json["data"]["guests"] == 3, "update record with version")
    r = c.call("PUT", "/custom_objects/schemas/30/records/BKG-51",
               {"version": 1, "data": {"guests": 4}})
    T.eq(r.status, 409, "stale version -> 409")
    r = c.call("POST", "/custom_objects/schemas/30/records",
               {"data": {"guests": "two"}})
    T.eq(sorted(e["code"] for e in r.json["errors"]),
         ["datatype_mismatch", "missing_field"], "record validation")
    T.eq(c.call("DELETE",
                "/custom_objects/schemas/30/records/BKG-51").status, 204,
         "delete record")


def test_faults(c):
    c.fault(mode="delay", seconds=0.5)
    t0 = time.time()
    r = c.get("/tickets/1")
    T.ok(r.status == 200 and time.time() - t0 >= 0.5,
         "fault delay: slow but normal answer")
    c.fault(mode="status", status=503, body='{"oops":1}',
            headers={"X-Extra": "yes"})
    r = c.get("/tickets/1")
    T.ok(r.status == 503 and r.json == {"oops": 1} and
         r.headers.get("x-extra") == "yes" and
         "x-ratelimit-total" in r.headers, "fault status 503 with body and "
         "headers", r)
    c.fault(mode="ratelimit", retry_after=17)
    r = c.get("/tickets")
    T.ok(r.status == 429 and r.headers.get("retry-after") == "17" and
         r.json["code"] == "rate_limit_exceeded" and
         r.headers.get("x-ratelimit-remaining") == "0",
         "fault ratelimit -> 429 Retry-After 17", r)
    c.fault(mode="garbage")
    r = c.get("/tickets")
    T.ok(r.status == 200 and r.body == b"<html>not json</html>" and
         r.headers["content-type"].startswith("application/json"),
         "fault garbage -> 200 non-JSON body")
    c.fault(mode="unauthorized")
    r = c.get("/tickets/1")
    T.ok(r.status == 401 and r.json["code"] == "invalid_credentials",
         "fault unauthorized -> 401")
    c.fault(mode="big", bytes=2 * 1024 * 1024)
    r = c.get("/tickets")
    T.ok(r.status == 200 and len(r.body) >= 2 * 1024 * 1024 and
         isinstance(r.json, list) and all("id" in x and "subject" in x
                                          for x in r.json),
         "fault big -> valid JSON array of >= 2 MiB", len(r.body))

    c.fault(mode="truncate")
    conn = c.connect()
    conn.request("GET", "/api/v2/tickets",
                 headers={"Authorization": auth_header()})
    resp = conn.getresponse()
    declared = int(resp.getheader("Content-Length"))
    try:
        resp.read()
        got = "complete"
    except http.client.IncompleteRead as exc:
        got = len(exc.partial)
    conn.close()
    T.ok(got == declared // 2, "fault truncate: half of Content-Length "
         "then close", (got, declared))

    c.fault(mode="reset")
    conn = c.connect()
    try:
        conn.request("GET", "/api/v2/tickets/1",
                     headers={"Authorization": auth_header()})
        conn.getresponse()
        got = "answered"
    except ConnectionResetError:
        got = "reset"
    except http.client.RemoteDisconnected:
        got = "closed"
    conn.close()
    T.eq(got, "reset", "fault reset: connection reset without answer")

    c.fault(mode="reset_mid_body")
    conn = c.connect()
    conn.request("GET", "/api/v2/tickets",
                 headers={"Authorization": auth_header()})
    resp = conn.getresponse()
    status = resp.status
    try:
        resp.read()
        got = "complete"
    except (ConnectionResetError, http.client.IncompleteRead):
        got = "broken"
    conn.close()
    T.ok(status == 200 and got == "broken", "fault reset_mid_body: headers "
         "then reset", (status, got))

    c.fault(mode="status", status=500, count=2,
            path_prefix="/api/v2/contacts")
    r1, r2 = c.get("/tickets/1"), c.get("/contacts/1001")
    r3, r4 = c.get("/contacts/1001"), c.get("/contacts/1001")
    T.ok((r1.status, r2.status, r3.status, r4.status) ==
         (200, 500, 500, 200), "path_prefix and count respected",
         (r1.status, r2.status, r3.status, r4.status))
    c.fault(mode="status", status=502, count=-1)
    codes = [c.get("/tickets/1").status for _ in range(3)]
    c.control("DELETE", "/fault")
    T.ok(codes == [502] * 3 and c.get("/tickets/1").status == 200,
         "count -1 lasts until DELETE /__control/fault")
    T.eq(c.control("POST", "/fault", {"mode": "explode"}).status, 400,
         "unknown fault mode -> 400")


def test_recording(c):
    c.control("DELETE", "/requests")
    c.get("/search/tickets?query=%22status%3A2%22")
    c.call("POST", "/tickets/1/notes", {"body": "rec"})
    c.control("GET", "/count")
    recs = c.control("GET", "/requests").json
    T.eq(len(recs), 2, "control requests are not recorded")
    T.ok(recs[0]["path"] == "/api/v2/search/tickets" and
         recs[0]["query"] == "query=%22status%3A2%22" and
         recs[0]["method"] == "GET" and recs[0]["body"] == "",
         "raw path and query recorded untouched", recs[0])
    T.ok(recs[1]["headers"].get("authorization") == auth_header() and
         recs[1]["headers"].get("content-type") == "application/json" and
         json.loads(recs[1]["body"]) == {"body": "rec"},
         "lower-cased headers and raw body recorded", recs[1])
    T.eq(c.control("GET", "/count").json, {"count": 2}, "/__control/count")
    c.fault(mode="reset")
    try:
        c.get("/tickets/2")
    except (ConnectionError, http.client.HTTPException):
        pass
    T.eq(c.control("GET", "/count").json, {"count": 3},
         "a faulted request is still recorded")
    st = c.control("GET", "/state/tickets").json
    T.ok(len(st) > 120 and "_watchers" in st[0],
         "/__control/state/tickets shows stored objects")


def test_reset(c, initial_tickets, initial_contacts):
    c.fault(mode="status", status=500)
    r = c.control("POST", "/reset")
    T.eq(r.status, 200, "POST /__control/reset")
    T.eq(c.control("GET", "/count").json, {"count": 0},
         "reset clears recordings")
    T.eq(c.control("GET", "/fault").json, [], "reset clears faults")
    T.ok(c.control("GET", "/state/tickets").json == initial_tickets and
         c.control("GET", "/state/contacts").json == initial_contacts,
         "reset restores the seeded state exactly")
    T.eq(c.get("/tickets/121").status, 404, "created ticket gone")
    r = c.call("POST", "/tickets", {"subject": "again", "description": "d",
                                    "requester_id": 1001})
    T.eq(r.json["id"], 121, "ids restart after reset")


# ---------------------------------------------------------------------------
# Account rate limit (--account-rate, /__control/account, stats, clock)
# ---------------------------------------------------------------------------

def rl(r):
    """(total, remaining, used) of the X-RateLimit-* headers, ints."""
    return tuple(int(r.headers.get("x-ratelimit-" + name, -1)) for name in
                 ("total", "remaining", "used-currentrequest"))


def retry_after(r):
    try:
        return int(r.headers.get("retry-after", ""))
    except ValueError:
        return None


def is_429(r):
    return r.status == 429 and r.json == {
        "code": "rate_limit_exceeded",
        "message": "You have exceeded the limit of requests per minute. "
                   "Please try again after %s seconds."
                   % r.headers.get("retry-after")}


def advance(c, seconds):
    r = c.control("POST", "/clock", {"advance": seconds})
    assert r.status == 200, r


def account(c, **settings):
    r = c.control("POST", "/account", settings)
    assert r.status == 200, r
    return r.json


def test_unlimited(c):
    c.control("POST", "/reset")
    conn = c.connect()
    replies = [c.get("/tickets/1", conn=conn) for _ in range(100)]
    replies += [c.get("/tickets?per_page=1", conn=conn) for _ in range(30)]
    conn.close()
    T.ok(all(r.status == 200 and rl(r)[0] == 400 and rl(r)[2] == 1
             for r in replies),
         "no --account-rate: 130 quick requests, no 429, Total 400",
         [r for r in replies if r.status != 200][:1])
    st = c.control("GET", "/stats").json
    T.ok(st["requests"] == 130 and st["too_many"] == 0 and
         st["credits_used"] == 130 and st["window"]["limited"] is False
         and st["by_class"]["list_tickets"]["requests"] == 30,
         "stats count requests without a limit", st)
    T.eq(c.control("GET", "/account").json["rate"], None,
         "no --account-rate: rate null")


def test_rate_limit(c):
    acct = c.control("GET", "/account").json
    T.eq((acct["rate"], acct["sublimits"]),
         (400, {"list_tickets": 100, "list_contacts": 100,
                "create_ticket": 160, "update_ticket": 160}),
         "--account-rate 400: the Pro plan's sub-limits exactly")
    st = c.control("GET", "/stats").json
    T.ok(st["requests"] == 0 and st["window"]["resets_in"] == 0 and
         st["window"]["remaining"] == 400, "no window before a request", st)

    conn = c.connect()
    r = c.get("/tickets?include=stats", conn=conn)
    T.ok(r.status == 200 and rl(r) == (400, 397, 3),
         "include on the ticket list costs 1+2: Used 3, Remaining 397", r)
    r = c.get("/tickets/1?include=stats,requester", conn=conn)
    T.ok(r.status == 200 and rl(r) == (400, 394, 3),
         "two includes on one ticket cost 1+1+1", r.headers)
    r = c.get("/tickets/999999", conn=conn)
    T.ok(r.status == 404 and rl(r) == (400, 393, 1), "a 404 counts", r)
    r = c.get("/tickets/1", key="wrong-key", conn=conn)
    T.ok(r.status == 401 and rl(r) == (400, 392, 1), "a 401 counts", r)
    st = c.control("GET", "/stats").json
    T.ok(st["requests"] == 4 and st["window"]["remaining"] == 392 and
         1 <= st["window"]["resets_in"] <= 60,
         "control requests never count; window open", st)

    lists = [c.get("/tickets?per_page=1", conn=conn) for _ in range(99)]
    T.ok(all(x.status == 200 for x in lists) and rl(lists[-1]) ==
         (400, 293, 1), "100 ticket lists in the window admitted",
         lists[-1])
    r = c.get("/tickets?per_page=1", conn=conn)
    T.ok(is_429(r) and rl(r) == (400, 293, 0) and
         1 <= (retry_after(r) or 0) <= 60,
         "101st ticket list: 429 by the sub-limit, costs nothing, "
         "Retry-After 1..60, Remaining still 293", r)
    r = c.get("/tickets/1", conn=conn)
    T.ok(r.status == 200 and rl(r) == (400, 292, 1),
         "while /tickets/1 still works", r)

    drain = [c.get("/tickets/1", conn=conn) for _ in range(292)]
    T.ok(all(x.status == 200 for x in drain) and
         rl(drain[-1]) == (400, 0, 1),
         "the account's 400 credits all usable, Remaining 0", drain[-1])
    r = c.get("/tickets/1", conn=conn)
    T.ok(is_429(r) and rl(r) == (400, 0, 0) and
         1 <= (retry_after(r) or 0) <= 60,
         "after exactly 400 credits: 429, Retry-After 1..60, the three "
         "headers", r)
    r = c.call("POST", "/tickets", {"subject": "s", "description": "d",
                                    "requester_id": 1001}, conn=conn)
    T.ok(is_429(r) and c.control("GET", "/count").json["count"] == 399,
         "a refused write is recorded but not done", r)
    T.eq(c.control("GET", "/state/tickets").json[-1]["id"], 120,
         "no ticket created by the refused POST")
    conn.close()
    st = c.control("GET", "/stats").json
    T.eq((st["requests"], st["too_many"], st["credits_used"],
          st["window"]["remaining"], st["by_class"]["list_tickets"]),
         (399, 3, 400, 0, {"requests": 101, "too_many": 1, "window": 100,
                           "limit": 100}),
         "stats: requests, too_many, credits_used, by_class exact")

    advance(c, 60)
    r = c.get("/tickets/1")
    T.ok(r.status == 200 and rl(r) == (400, 399, 1),
         "the next window has all credits again", r)
    r = c.get("/tickets?per_page=1")
    T.eq(r.status, 200, "and the list sub-limit starts over")

    account(c, rate=3)
    for _ in range(3):
        c.get("/tickets/1")
    r = c.get("/tickets/1")
    T.ok(is_429(r) and retry_after(r) == 60, "rate 3: 4th -> 429, "
         "Retry-After 60 at the window's start", r)
    advance(c, 45)
    r = c.get("/tickets/1")
    T.ok(is_429(r) and retry_after(r) == 15,
         "45 s later Retry-After says 15", r)
    advance(c, 15)
    r = c.get("/tickets/1")
    T.ok(r.status == 200 and rl(r) == (3, 2, 1),
         "after Retry-After the call goes through", r)
    r = c.get("/tickets?include=stats")
    T.ok(is_429(r) and rl(r) == (3, 2, 0),
         "a list with include (3 credits) does not fit in 2: 429", r)
    r = c.get("/tickets/1")
    T.ok(r.status == 200 and rl(r) == (3, 1, 1),
         "a 1-credit call still fits", r)

    acct = account(c, rate=400, outside_rate=150)
    T.ok(acct["rate"] == 400 and acct["outside_rate"] == 150,
         "POST /__control/account changes the settings", acct)
    r = c.get("/tickets/1")
    T.ok(rl(r) == (400, 399, 1), "new window after a settings change", r)
    advance(c, 30)
    r = c.get("/tickets/1")
    T.ok(321 <= rl(r)[1] <= 323, "outside 150/min: half a minute later "
         "about 75 credits gone (+2 own)", r.headers)
    advance(c, 29)
    r = c.get("/tickets/1")
    T.ok(r.status == 200 and 247 <= rl(r)[1] <= 250,
         "--outside-rate 150 at rate 400: about 250 left at the minute's "
         "end", r.headers)
    st = c.control("GET", "/stats").json
    T.ok(145 <= st["window"]["outside"] <= 150 and
         st["window"]["used"] == 3, "stats: outside and own use", st)
    advance(c, 2)
    r = c.get("/tickets/1")
    T.ok(rl(r) == (400, 399, 1), "outside use starts over with the window",
         r.headers)

    account(c, rate=100, outside_rate=600)
    c.get("/tickets/1")
    advance(c, 30)
    r = c.get("/tickets/1")
    T.ok(is_429(r) and rl(r)[1] == 0 and retry_after(r) == 30,
         "outside use can take the whole window", r)

    account(c, rate=400, outside_rate=0, sublimits={"list_tickets": 2})
    codes = [c.get("/tickets?per_page=1").status for _ in range(3)]
    T.eq(codes, [200, 200, 429], "sublimits set at runtime: list_tickets=2")
    codes = [c.get("/contacts?per_page=1").status for _ in range(3)]
    T.eq(codes, [200, 200, 200], "other classes keep their own limits")
    for settings, name in (
            ({"rate": "x"}, "rate not a number"),
            ({"rate": 0}, "rate 0"),
            ({"outside_rate": -1}, "negative outside_rate"),
            ({"sublimits": {"search": 1}}, "unknown sub-limit class"),
            ({"rate": None, "outside_rate": 5}, "outside_rate without rate"),
            ({"speed": 1}, "unknown setting")):
        r = c.control("POST", "/account", settings)
        T.ok(r.status == 400 and "error" in (r.json or {}),
             "/__control/account: %s -> 400" % name, r)
    for rate, want in ((700, [200, 200, 280, 280]), (50, [5, 5, 20, 20]),
                       (300, [30, 30, 120, 120])):
        subs = account(c, rate=rate, sublimits={})["sublimits"]
        T.eq([subs[k] for k in ("list_tickets", "list_contacts",
                                "create_ticket", "update_ticket")], want,
             "rate %d: sub-limits %s" % (rate, want))
    r = c.control("POST", "/clock", {"advance": -5})
    T.eq(r.status, 400, "the clock only goes forward")

    account(c, rate=400)
    c.fault(mode="ratelimit", retry_after=17)
    r = c.get("/tickets/1")
    T.ok(r.status == 429 and retry_after(r) == 17, "ratelimit fault "
         "still works with a rate", r)
    r = c.get("/tickets/1")
    T.ok(rl(r) == (400, 399, 1), "and costs nothing", r.headers)
    for path in ("/tickets/1", "/tickets/2"):
        c.fault(mode="truncate", path_prefix="/api/v2" + path)
    for path in ("/tickets/1", "/tickets/2"):
        try:
            c.get(path)
        except (http.client.HTTPException, OSError):
            pass
    r = c.get("/tickets/1")
    T.ok(rl(r) == (400, 396, 1), "a truncated answer is charged too",
         r.headers)

    r = c.control("POST", "/reset")
    st = c.control("GET", "/stats").json
    T.ok(r.status == 200 and st["requests"] == 0 and st["too_many"] == 0
         and st["credits_used"] == 0 and st["window"]["remaining"] == 400
         and st["window"]["resets_in"] == 0 and
         c.control("GET", "/account").json["rate"] == 400,
         "reset zeroes stats and window, keeps the settings", st)

    # Many clients at once: exactly 400 credits admitted.
    codes = []
    lock = threading.Lock()

    def client():
        conn = c.connect()
        mine = [c.get("/tickets/1", conn=conn).status for _ in range(60)]
        conn.close()
        with lock:
            codes.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    st = c.control("GET", "/stats").json
    T.ok(codes.count(200) == 400 and codes.count(429) == 80 and
         st["too_many"] == 80 and st["requests"] == 480,
         "8 clients x 60 requests: exactly 400 admitted, 80 refused",
         (codes.count(200), codes.count(429), st))


def test_limit_options():
    proc, port = start_fake(["--account-rate", "200", "--outside-rate",
                             "10", "--sublimit", "list_tickets=50",
                             "--sublimit", "create_ticket=7"])
    try:
        acct = Client(port).control("GET", "/account").json
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    T.eq((acct["rate"], acct["outside_rate"], acct["sublimits"]),
         (200, 10, {"list_tickets": 50, "list_contacts": 20,
                    "create_ticket": 7, "update_ticket": 80}),
         "--account-rate 200 --outside-rate 10 --sublimit x2")
    for args in (["--sublimit", "list_tickets=5"],
                 ["--outside-rate", "5"],
                 ["--account-rate", "0"],
                 ["--account-rate", "10", "--sublimit", "search=5"],
                 ["--account-rate", "10", "--sublimit", "list_tickets"],
                 ["--account-rate", "10", "--sublimit", "list_tickets=x"]):
        run = subprocess.run([sys.executable, FAKE, "--port", "0"] + args,
                             capture_output=True, text=True, timeout=30)
        T.ok(run.returncode == 2 and "error:" in run.stderr and
             "READY" not in run.stdout,
             "bad options refused: %s" % " ".join(args), run.stderr)


def main():
    proc, port = start_fake()
    T.ok(port > 0, "fake started, READY %d" % port)
    c = Client(port)
    initial_tickets = c.control("GET", "/state/tickets").json
    initial_contacts = c.control("GET", "/state/contacts").json
    T.eq(len(initial_tickets), 120, "120 seeded tickets")
    try:
        for test in (test_auth, test_headers, test_pagination,
                     test_ticket_list, test_ticket_crud, test_keepalive,
                     test_search, test_merge_and_watch, test_conversations,
                     test_bulk_jobs, test_other_endpoints,
                     test_custom_objects, test_faults, test_recording):
            try:
                test(c)
            except Exception as exc:        # keep going, report the crash
                T.ok(False, "%s crashed: %r" % (test.__name__, exc))
        test_reset(c, initial_tickets, initial_contacts)
        test_unlimited(c)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "timeout"
    T.eq(code, 0, "SIGTERM -> clean exit 0")
    proc, port = start_fake(["--account-rate", "400"])
    try:
        test_rate_limit(Client(port))
    except Exception as exc:
        T.ok(False, "test_rate_limit crashed: %r" % exc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    test_limit_options()
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
