# SPDX-License-Identifier: MIT
"""Every error the API gives has the one NgDP ErrorMessage shape.

    {"code": "UPPER_CASE", "message": "...", "fieldErrors": [
        {"resource": "...", "field": "...", "code": "...", "message": "...",
         "rejectedValue": <any JSON value or null>}]}

Exactly these members, always all of them, in JSON with an application/json type; a message
about a place in a submitted document (MeMo XML, a JSON body) reads "line L, column C: text"
and nothing else does. Two walks: every served API route (from the binary's own route tables)
with each error a client without credentials, with a wrong method, a wrong body or an unknown
id can cause; then each refusal class of each API family with valid credentials (send,
recall, bulk receipts, receipts, contacts, events, mailbox read and write, recipient pull,
contact structure, admin API, test clock)."""
import io
import json
import re
import uuid as uuidlib

import pytest

from kuvert_harness import KuvertServer, refused_request, run_cli
from readside_util import basic, bearer, letter_xml, mailbox, setup_org, user_token
from send_util import archive, letter

ADMIN = "error-bodies-admin-token"
ORG = "55133018"      # sender and receiver
OTHER = "29189978"    # another organisation
CPR = "0101701234"
CLOSED_CPR = "0202802345"
MAX_BODY = 1000000   # the server's request body bound in these tests
ZERO = "00000000-0000-4000-8000-000000000000"
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
LOCATED_RE = re.compile(r"^line [1-9][0-9]*, column [0-9]+: \S")
MEMBERS = {"code", "message", "fieldErrors"}
FIELD_MEMBERS = {"resource", "field", "code", "message", "rejectedValue"}


def check_field(fe, where):
    assert isinstance(fe, dict), where
    assert set(fe) == FIELD_MEMBERS, (where, fe)
    for k in ("resource", "field", "code", "message"):
        assert isinstance(fe[k], str), (where, k, fe)
    assert fe["code"], (where, fe)
    assert "line 0," not in fe["message"], (where, fe)
    if "line " in fe["message"] and ", column " in fe["message"]:
        assert LOCATED_RE.match(fe["message"]), (where, fe)


def check_error_list(fes, where):
    assert isinstance(fes, list), where
    for fe in fes:
        check_field(fe, where)


def check_body(resp, where, status=None, code=None):
    """Asserts the one ErrorMessage shape; returns the body."""
    if status is not None:
        assert resp.status_code == status, (where, resp.status_code, resp.text)
    assert resp.status_code >= 400, (where, resp.status_code, resp.text)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), \
        (where, resp.headers)
    body = resp.json()
    assert isinstance(body, dict) and set(body) == MEMBERS, (where, body)
    assert isinstance(body["code"], str) and CODE_RE.match(body["code"]), (where, body)
    assert isinstance(body["message"], str) and body["message"], (where, body)
    if "line " in body["message"] and ", column " in body["message"]:
        assert LOCATED_RE.match(body["message"]), (where, body)
    check_error_list(body["fieldErrors"], where)
    if code is not None:
        assert body["code"] == code, (where, body)
    return body


API_PREFIXES = ("/apis/", "/api/", "/admin/", "/test/", "/healthz", "/metrics")


def served_routes():
    """The API routes the binary serves (web pages answer in HTML: docs/web.md)."""
    routes = [r for r in run_cli(["config", "routes"])["routes"]
              if r["pattern"].startswith(API_PREFIXES)]
    assert len(routes) >= 38, routes
    return routes


def concrete(pattern):
    return re.sub(r"\{[^/{}]+\}", ZERO, pattern)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = KuvertServer(tmp_path_factory.mktemp("kuvert") / "data", test_clock=True,
                     env={"KUVERT_ADMIN_TOKEN": ADMIN, "KUVERT_MAX_BODY": str(MAX_BODY)}).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def env(srv):
    sender = setup_org(srv, ORG, name="Kommunen")
    other = setup_org(srv, OTHER, name="Regionen")
    out = srv.cli(["system", "add", "--org", ORG, "--kind", "recipient", "--name", "Sag",
                   "--protocol", "pull", "--default"])
    recipient = {"system": out["id"], "auth": basic(out["token"])}
    point = srv.cli(["contact-point", "add", "--org", ORG, "--name", "Borgerservice",
                     "--system", recipient["system"]])["id"]
    mailbox(srv, cpr=CPR)
    mailbox(srv, cpr=CLOSED_CPR)
    closed_tok = bearer(user_token(srv, cpr=CLOSED_CPR))
    srv.cli(["mailbox", "close", "--cpr", CLOSED_CPR])
    return {"sender": sender, "other": other, "recipient": recipient, "point": point,
            "user": bearer(user_token(srv, cpr=CPR)), "closed_user": closed_tok,
            "admin": {"Authorization": "Bearer " + ADMIN}}


# ---- walk 1: every route, the errors any client can cause ----

def test_every_route_without_credentials(srv):
    n = 0
    for r in served_routes():
        method, path = r["method"], concrete(r["pattern"])
        for headers in ({}, {"Authorization": "Basic bm8tc3VjaDp0b2tlbg=="},
                        {"Authorization": "Bearer nope"}):
            resp = srv.request(method, path, data=b"{}" if method != "GET" else None,
                               headers=dict(headers, **{"Content-Type": "application/json"}))
            if resp.status_code >= 400:
                check_body(resp, (method, path, headers))
                n += 1
    assert n >= 38 * 3, n  # every authenticated route answers each bad credential with an error


def test_every_route_wrong_method_and_unknown_path(srv):
    for r in served_routes():
        path = concrete(r["pattern"])
        for method in ("PATCH", "PUT", "DELETE", "POST", "GET"):
            resp = srv.request(method, path)
            if resp.status_code == 405:
                check_body(resp, (method, path), 405, "METHOD_NOT_ALLOWED")
        check_body(srv.get(path + "/no/such/thing"), path, 404)


def test_every_body_route_with_bad_json(srv, env):
    """Each route that reads a JSON body, with credentials it accepts: a syntax error is a
    located INVALID_JSON, another JSON value an INVALID_JSON without a location."""
    cases = [
        ("/admin/v1/orgs", env["admin"]),
        ("/admin/v1/systems", env["admin"]),
        ("/admin/v1/mailboxes", env["admin"]),
        ("/apis/v1/contacts/bulk", env["sender"]["auth"]),
        ("/apis/v1/organisations/%s/contact-points/" % ORG, env["recipient"]["auth"]),
        ("/apis/v1/organisations/%s/contact-groups/" % ORG, env["recipient"]["auth"]),
        ("/api/mailbox/messages", env["user"]),
        ("/test/clock", {}),
    ]
    for path, auth in cases:
        h = dict(auth, **{"Content-Type": "application/json"})
        body = check_body(srv.post(path, data=b'{"a": 1,\n "b": }', headers=h), path, 400,
                          "INVALID_JSON")
        assert body["message"].startswith("line 2, column "), (path, body)
        body = check_body(srv.post(path, data=b"[1, 2]", headers=h), path, 400, "INVALID_JSON")
        assert not LOCATED_RE.match(body["message"]), (path, body)


def test_body_over_the_server_limit(srv, env):
    # answered from Content-Length and closed, the body unread: the client may see a reset
    resp = refused_request(srv, "POST", "/apis/v1/memos/?memo-message-uuid=" + ZERO,
                           body=b"x" * (MAX_BODY + 1),
                           headers=dict(env["sender"]["auth"],
                                        **{"Content-Type": "application/xml"}))
    check_body(resp, "max body", 413)


# ---- walk 2: each refusal class, with credentials ----

def send(srv, auth, body, uuid=None, ct="application/xml", params=None):
    p = {"memo-message-uuid": uuid} if uuid else {}
    p.update(params or {})
    return srv.post("/apis/v1/memos/", params=p, data=body, headers=dict(auth, **{
        "Content-Type": ct}))


def test_send_refusals(srv, env):
    auth = env["sender"]["auth"]
    u, xml = letter_xml(ORG, CPR)
    b = check_body(send(srv, auth, xml), "missing uuid", 400, "MISSING_MESSAGE_UUID")
    assert b["fieldErrors"] == [{"resource": "request", "field": "memo-message-uuid",
                                 "code": "MISSING_MESSAGE_UUID",
                                 "message": b["message"], "rejectedValue": None}]
    b = check_body(send(srv, auth, xml, "not-a-uuid"), "bad uuid", 400, "INVALID_MESSAGE_UUID")
    assert b["fieldErrors"][0]["rejectedValue"] == "not-a-uuid"
    check_body(send(srv, auth, b"  ", u), "empty", 400, "EMPTY_BODY")
    check_body(send(srv, auth, xml, u, ct="text/plain"), "415", 415, "UNSUPPORTED_MEDIA_TYPE")
    b = check_body(send(srv, auth, xml, str(uuidlib.uuid4())), "mismatch", 400,
                   "MESSAGE_UUID_MISMATCH")
    assert b["fieldErrors"][0]["field"] == "memo-message-uuid"
    # MeMo errors: one located fieldError each
    bad = xml.replace(b"<memo:label>Brev</memo:label>", b"<memo:label></memo:label>"
                      b"<memo:bogus/>")
    b = check_body(send(srv, auth, bad, u), "memo", 400, "MEMO_VALIDATION_FAILED")
    assert b["fieldErrors"], b
    for fe in b["fieldErrors"]:
        assert fe["resource"] == "memo" and LOCATED_RE.match(fe["message"]), fe
        assert fe["rejectedValue"] is None, fe
    # not well-formed XML: located too
    b = check_body(send(srv, auth, b"<memo:Message>\n<oops", u), "xml", 400,
                   "MEMO_VALIDATION_FAILED")
    assert all(LOCATED_RE.match(fe["message"]) for fe in b["fieldErrors"]), b
    # another organisation's name: 403 with the field that is wrong
    u2, xml2 = letter_xml(OTHER, CPR)
    b = check_body(send(srv, auth, xml2, u2), "scope", 403, "SENDER_NOT_ALLOWED")
    assert b["fieldErrors"][0]["field"].endswith("memo:senderID"), b
    # a reused messageUUID with other bytes: 409
    u3, xml3 = letter_xml(ORG, CPR)
    assert send(srv, auth, xml3, u3).status_code == 201
    _, xml4 = letter_xml(ORG, CPR, uuid=u3, label="Andet brev")
    b = check_body(send(srv, auth, xml4, u3), "dup", 409, "DUPLICATE_MESSAGE_UUID")
    assert b["fieldErrors"][0]["rejectedValue"] == u3
    # a recipient system may not send
    check_body(send(srv, env["recipient"]["auth"], xml, u), "kind", 403)
    # archives and forms
    check_body(send(srv, auth, b"not an archive", ct="application/x-lzma"), "archive", 400,
               "INVALID_ARCHIVE")
    check_body(send(srv, auth, b"--x\r\n", ct="multipart/form-data; boundary=x"), "form", 400,
               "INVALID_MULTIPART")


def test_bulk_receipt_field_errors_share_the_shape(srv, env):
    good_u, good = letter(cpr=CPR, sender=ORG, value_date=None)
    bad_u, bad = letter(cpr=CPR, sender=ORG, value_date=None)
    bad = bad.replace(b"<memo:label>", b"<memo:bogus/><memo:label>", 1)
    resp = send(srv, env["sender"]["auth"], archive([("a.xml", good), ("b.xml", bad)]),
                ct="application/x-lzma")
    assert resp.status_code == 201, resp.text
    by_name = {r["fileName"]: r for r in resp.json()["letters"]}  # one Receipt; letters: kuvert ext.
    assert by_name["a.xml"]["receiptStatus"] == "RECEIVED"
    r = by_name["b.xml"]
    assert r["receiptStatus"] == "INVALID" and r["errorCode"] == "MEMO_VALIDATION_FAILED", r
    check_error_list(r["fieldErrors"], "bulk")
    assert r["fieldErrors"] and all(LOCATED_RE.match(fe["message"]) for fe in r["fieldErrors"])


def test_recall_receipts_events_contacts(srv, env):
    auth = env["sender"]["auth"]
    check_body(srv.post("/apis/v1/memos/%s/recall" % ZERO, headers=auth), "recall", 404)
    check_body(srv.get("/apis/v1/receipts/" + ZERO, headers=auth), "receipt", 404)
    b = check_body(srv.get("/apis/v1/receipts/", params={"size": "x"}, headers=auth), "page",
                   400)
    assert b["fieldErrors"] and b["fieldErrors"][0]["rejectedValue"] == "x", b
    check_body(srv.get("/apis/v1/events/", params={"size": "-1"}, headers=auth), "events", 400)
    check_body(srv.get("/apis/v1/contacts/", params={"cprNumber": "12"}, headers=auth),
               "contacts", 400)
    b = check_body(srv.post("/apis/v1/contacts/bulk", json={"cprNumbers": ["12"]},
                            headers=auth), "bulk lookup", 400)
    check_error_list(b["fieldErrors"], "bulk lookup")


def test_mailbox_read_and_write(srv, env):
    user = env["user"]
    check_body(srv.get("/api/mailbox/messages/" + ZERO, headers=user), "read", 404)
    check_body(srv.get("/api/mailbox/messages/%s/files/0" % ZERO, headers=user), "file", 404)
    b = check_body(srv.post("/api/mailbox/messages", json={"contactPointId": 5}, headers=user),
                   "write fields", 400, "VALIDATION_FAILED")
    assert {fe["field"] for fe in b["fieldErrors"]} >= {"contactPointId", "label", "text"}, b
    for fe in b["fieldErrors"]:
        assert fe["resource"] == "MailboxMessage", fe
    b = check_body(srv.post("/api/mailbox/messages", json={
        "contactPointId": ZERO, "label": "Hej", "text": "Hej"}, headers=user), "point", 404,
        "CONTACT_POINT_NOT_FOUND")
    assert b["fieldErrors"][0]["field"] == "contactPointId"
    assert b["fieldErrors"][0]["rejectedValue"] == ZERO
    check_body(srv.post("/api/mailbox/messages/%s/reply" % ZERO, json={"text": "Hej"},
                        headers=user), "reply", 404, "NOT_FOUND")
    check_body(srv.post("/api/mailbox/messages", json={
        "contactPointId": env["point"], "label": "Hej", "text": "Hej"},
        headers=env["closed_user"]), "closed", 403, "MAILBOX_NOT_ACTIVE")
    b = check_body(srv.post("/api/mailbox/messages", json={
        "contactPointId": env["point"], "label": "Hej", "text": "Hej",
        "attachments": [{"filename": "a.txt", "content": "@@@"}]}, headers=user), "b64", 400)
    assert b["fieldErrors"][0]["field"] == "attachments[0].content", b


def test_recipient_pull(srv, env):
    rec = env["recipient"]["auth"]
    check_body(srv.get("/apis/v1/memos/", headers=env["sender"]["auth"]), "sender pulls", 403)
    check_body(srv.get("/apis/v1/memos/" + ZERO, headers=rec), "unknown", 404)
    b = check_body(srv.post("/apis/v1/memos/%s/receipt" % ZERO, json={"receiptStatus": "NO"},
                            headers=rec), "receipt", 400)
    check_error_list(b["fieldErrors"], "receipt")
    check_body(srv.get("/apis/v1/memos/", params={"page": "-3"}, headers=rec), "page", 400)


def test_contact_structure(srv, env):
    rec = env["recipient"]["auth"]
    base = "/apis/v1/organisations/%s/contact-points/" % ORG
    b = check_body(srv.post(base, json={"name": 7}, headers=rec), "point", 400)
    assert b["fieldErrors"] and all(fe["resource"] for fe in b["fieldErrors"]), b
    check_body(srv.get(base + ZERO, headers=rec), "unknown point", 404)
    check_body(srv.get("/apis/v1/organisations/%s/contact-points/" % OTHER, headers=rec),
               "other org", 403)
    r = srv.get(base + env["point"], headers=rec)
    assert r.status_code == 200, r.text
    stale = dict(rec, **{"If-Match": '"999"'})
    check_body(srv.put(base + env["point"], json=r.json(), headers=stale) if hasattr(srv, "put")
               else srv.request("PUT", base + env["point"], json=r.json(), headers=stale),
               "stale", 412)


def test_admin_api_and_test_clock(srv, env):
    adm = env["admin"]
    b = check_body(srv.post("/admin/v1/systems", json={"org": ORG, "kind": "sender",
                                                       "name": "X", "protocol": "smoke"},
                            headers=adm), "field", 400)
    check_error_list(b["fieldErrors"], "admin field")
    check_body(srv.post("/admin/v1/orgs", json={"cvr": ORG, "name": "Igen"}, headers=adm),
               "dup org", 409)
    check_body(srv.post("/admin/v1/orgs", data=b"{" + b" " * (70 << 10) + b"}",
                        headers=adm), "big", 413)
    check_body(srv.get("/admin/v1/systems/" + ZERO, headers=adm), "unknown system", 404)
    b = check_body(srv.post("/test/clock", json={"advance": "soon"}), "clock", 400)
    assert b["fieldErrors"][0]["field"] == "advance" and b["fieldErrors"][0]["rejectedValue"] \
        == "soon", b
