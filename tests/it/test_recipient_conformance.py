# SPDX-License-Identifier: MIT
"""Client conformance of the recipient side, black-box against the real server: the requests
real NgDP recipient systems and authority administrators make, and what the hub sends them.

- REST pull (NgDP REST_PULL): paging edges, HEAD, the letter's headers (ETag,
  Content-Disposition), upper-case UUIDs, DELETE twice, and the business-receipt bodies real
  clients send (NgDP's Receipt with messageUUID/transmissionId/timeStamp, .NET models written
  with PascalCase names, a lower-case status, text/plain), never a 500 or a partial write.
- REST push: the exact request libcurl sends (one part `file`, file name = messageUUID,
  Content-Length, no Expect, no chunking).
- Contact structure: NgDP ContactPoint / ContactGroup JSON with extra members, nulls and
  Danish text; If-Match as weak, unquoted and list ETags; the citizen search folding Æ Ø Å.
- Letters from citizens with long Danish file names.
- Changing an organisation's default recipient system (`kuvert system set-default`,
  POST /admin/v1/systems/{id}/default).
Decisions: docs/recipient-side.md, "Client compatibility".
"""
import base64
import os
import socket
import sqlite3
import threading
import uuid as uuidlib

import pytest

from kuvert_harness import KuvertServer, assert_error_message, db_connect
from readside_util import basic, bearer, letter_xml, mailbox, setup_org, user_token
from recipient_util import settle

ADMIN = "conformance-admin-token"
ADMIN_H = {"Authorization": "Bearer " + ADMIN}
SENDER = "29189978"
AUTH = "55133018"     # the authority with the pull system
PUSHORG = "12345674"  # an authority whose system is pushed to
CPR = "0101701234"
NIL = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = KuvertServer(tmp_path_factory.mktemp("kuvert") / "data", test_clock=True,
                     env={"KUVERT_ADMIN_TOKEN": ADMIN}).start()
    yield s
    s.stop()


def recipient(srv, cvr, default=True, protocol="pull", push_url=None):
    srv.cli(["org", "add", "--cvr", cvr, "--name", "Myndighed " + cvr], json_out=False,
            check=False)
    args = ["system", "add", "--org", cvr, "--kind", "recipient", "--name", "Sag " + cvr,
            "--protocol", protocol]
    if push_url:
        args += ["--push-url", push_url]
    if default:
        args.append("--default")
    out = srv.cli(args)
    return {"cvr": cvr, "system": out["id"], "auth": basic(out["token"])}


@pytest.fixture(scope="module")
def env(srv):
    e = {"sender": setup_org(srv, SENDER), "r": recipient(srv, AUTH)}
    mailbox(srv, cpr=CPR, name="Jens Jensen")
    e["user"] = bearer(user_token(srv, cpr=CPR))
    return e


def send(srv, sender, cvr, **kw):
    uuid, xml = letter_xml(sender["cvr"], cvr, "CVR", **kw)
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                 headers=dict(sender["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED", r.text
    return uuid, xml


def queue_length(srv, system):
    return srv.cli(["system", "show", system["system"]])["queueLength"]


def receipts_of(srv, sender, uuid):
    r = srv.get("/apis/v1/receipts-bulk/", params={"size": 1000}, headers=sender["auth"])
    assert r.status_code == 200, r.text
    return [x for x in r.json()["receipts"] if x.get("messageUUID") == uuid]


def db_rows(srv, sql, args=()):
    db = db_connect(srv.data_dir)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


# ---- REST pull ----

def test_pull_paging_edges(srv, env):
    r = env["r"]
    for _ in range(3):
        send(srv, env["sender"], AUTH)
    full = srv.get("/apis/v1/memos/", headers=r["auth"]).json()
    total = full["totalElements"]
    assert total >= 3
    # Beyond the end: 200, empty, the real counts, no next.
    p = srv.get("/apis/v1/memos/?page=99&size=2", headers=r["auth"]).json()
    assert p["content"] == [] and p["totalElements"] == total and p["next"] is None
    assert p["number"] == 99 and p["size"] == 2
    # Without the trailing slash, with NgDP's sort parameter (ignored), and as HEAD.
    assert srv.get("/apis/v1/memos?sort=createdDateTime,desc", headers=r["auth"]).json() == full
    h = srv.request("HEAD", "/apis/v1/memos/", headers=r["auth"])
    assert h.status_code == 200 and h.content == b""
    # Bounds and repeated parameters are precise 400s naming the parameter.
    for q, name in (("size=0", "size"), ("size=1001", "size"), ("page=-1", "page"),
                    ("page=", "page"), ("page=0&page=1", "page"), ("size=2&size=2", "size")):
        err = assert_error_message(srv.get("/apis/v1/memos/?" + q, headers=r["auth"]), 400,
                                   "INVALID_PARAMETER")
        assert err["fieldErrors"][0]["field"] == name, (q, err)
    # The largest page is allowed.
    assert srv.get("/apis/v1/memos/?size=1000", headers=r["auth"]).json()["content"] == \
        full["content"]


def test_letter_headers_head_and_upper_case(srv, env):
    r = env["r"]
    uuid, xml = send(srv, env["sender"], AUTH)
    before = queue_length(srv, r)
    # HEAD: the GET's headers, no body, and not a delivery (the letter stays queued).
    h = srv.request("HEAD", "/apis/v1/memos/" + uuid.upper(), headers=r["auth"])
    assert h.status_code == 200 and h.content == b""
    assert int(h.headers["Content-Length"]) == len(xml)
    assert h.headers["ETag"] == '"%s"' % uuid
    assert queue_length(srv, r) == before
    assert db_rows(srv, "SELECT q.state FROM recipient_queue q JOIN letters l ON l.id = "
                        "q.letter_id WHERE l.message_uuid = ?", (uuid,)) == [("QUEUED",)]
    # GET: the bytes as sent, typed, with an ETag and a file name; the first GET delivers.
    g = srv.get("/apis/v1/memos/" + uuid.upper(), headers=r["auth"])
    assert g.status_code == 200 and g.content == xml
    assert g.headers["Content-Type"].startswith("application/xml")
    assert g.headers["ETag"] == '"%s"' % uuid
    assert g.headers["Content-Disposition"] == 'inline; filename="%s.xml"' % uuid
    assert queue_length(srv, r) == before - 1
    # DELETE in upper case, then again: 204, then 404; the letter is gone from the list.
    d = srv.delete("/apis/v1/memos/" + uuid.upper(), headers=r["auth"])
    assert d.status_code == 204, d.text
    assert_error_message(srv.delete("/apis/v1/memos/" + uuid, headers=r["auth"]), 404,
                         "NOT_FOUND")
    assert uuid not in srv.get("/apis/v1/memos/?size=1000", headers=r["auth"]).json()["content"]
    assert_error_message(srv.get("/apis/v1/memos/" + uuid, headers=r["auth"]), 404)
    # A malformed id is a 404 too, not a 500.
    assert_error_message(srv.get("/apis/v1/memos/not-a-uuid", headers=r["auth"]), 404)


@pytest.mark.parametrize("body,content_type,status", [
    # NgDP's Receipt, as the Netcompany reference recipient posts it (extra members ignored)
    ({"transmissionId": NIL, "messageUUID": "{UUID}", "messageId": None, "errorCode": None,
      "errorMessage": None, "timeStamp": "2026-01-01T10:00:00Z", "receiptStatus": "COMPLETED"},
     "application/json", "COMPLETED"),
    # a .NET model serialised by Newtonsoft without a camelCase resolver, Guid left unset
    ({"TransmissionId": NIL, "MessageUuid": NIL, "ErrorCode": None, "ErrorMessage": None,
      "Timestamp": "0001-01-01T00:00:00", "ReceiptStatus": "INVALID"},
     "application/json; charset=utf-8", "INVALID"),
    # a lower-case status, the messageUUID in upper case, sent as text/plain
    ({"receiptStatus": "completed", "messageUUID": "{UPPER}", "errorMessage": "ok"},
     "text/plain", "COMPLETED"),
])
def test_receipt_body_variants(srv, env, body, content_type, status):
    uuid, _ = send(srv, env["sender"], AUTH)
    text = __import__("json").dumps(body).replace("{UUID}", uuid).replace("{UPPER}",
                                                                          uuid.upper())
    r = srv.post("/apis/v1/memos/%s/receipt" % uuid.upper(), data=text.encode(),
                 headers=dict(env["r"]["auth"], **{"Content-Type": content_type}))
    assert r.status_code == 200, r.text
    assert r.json() == {"messageUUID": uuid, "receiptStatus": status}
    got = receipts_of(srv, env["sender"], uuid)
    assert [x["receiptStatus"] for x in got] == ["RECEIVED", status]


def test_receipt_refusals_write_nothing(srv, env):
    uuid, _ = send(srv, env["sender"], AUTH)
    other, _ = send(srv, env["sender"], AUTH)
    path = "/apis/v1/memos/%s/receipt" % uuid
    auth = env["r"]["auth"]
    # a receipt naming another letter in its body
    err = assert_error_message(srv.post(path, json={"receiptStatus": "COMPLETED",
                                                    "messageUUID": other}, headers=auth),
                               400, "INVALID_RECEIPT")
    assert err["fieldErrors"][0]["field"] == "messageUUID"
    assert err["fieldErrors"][0]["rejectedValue"] == other
    err = assert_error_message(srv.post(path, json={"receiptStatus": "COMPLETED",
                                                    "messageUUID": 42}, headers=auth),
                               400, "INVALID_RECEIPT")
    assert err["fieldErrors"][0]["field"] == "messageUUID"
    # statuses a recipient system cannot give, and not a status at all
    for st in ("RECEIVED", "NOT_ALLOWED", "done", "", None, 1):
        err = assert_error_message(srv.post(path, json={"receiptStatus": st}, headers=auth),
                                   400, "INVALID_RECEIPT")
        assert err["fieldErrors"][0]["field"] == "receiptStatus"
    assert_error_message(srv.post(path, data=b"", headers=auth), 400, "INVALID_JSON")
    assert_error_message(srv.post(path, data=b"COMPLETED", headers=auth), 400, "INVALID_JSON")
    assert [x["receiptStatus"] for x in receipts_of(srv, env["sender"], uuid)] == ["RECEIVED"]
    assert db_rows(srv, "SELECT COUNT(*) FROM events WHERE message_uuid = ? AND tag = "
                        "'BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM'", (uuid,)) == [(0,)]
    # Then the real one is taken, once; a repeat is a retry (200) and another status a 409,
    # both writing nothing more.
    r = srv.post(path, json={"receiptStatus": "COMPLETED"}, headers=auth)
    assert r.status_code == 200, r.text
    assert srv.post(path, json={"receiptStatus": "COMPLETED"}, headers=auth).status_code == 200
    assert_error_message(srv.post(path, json={"receiptStatus": "INVALID"}, headers=auth), 409)
    assert [x["receiptStatus"] for x in receipts_of(srv, env["sender"], uuid)] == \
        ["RECEIVED", "COMPLETED"]


def test_receipt_text_limits_are_bytes_and_never_cut(srv, env):
    """errorCode and errorMessage reach the sender exactly, or are refused: never cut (a cut
    through a Danish letter spoiled the sender's receipt)."""
    auth = env["r"]["auth"]
    uuid, _ = send(srv, env["sender"], AUTH)
    path = "/apis/v1/memos/%s/receipt" % uuid
    err = assert_error_message(srv.post(path, json={"receiptStatus": "INVALID",
                                                    "errorCode": "Æ" * 40}, headers=auth),
                               400, "INVALID_RECEIPT")
    assert err["fieldErrors"][0]["field"] == "errorCode" and "80 bytes" in err["message"]
    err = assert_error_message(srv.post(path, json={"receiptStatus": "INVALID",
                                                    "errorMessage": "æ" * 512}, headers=auth),
                               400, "INVALID_RECEIPT")
    assert err["fieldErrors"][0]["field"] == "errorMessage" and "1024 bytes" in err["message"]
    assert [x["receiptStatus"] for x in receipts_of(srv, env["sender"], uuid)] == ["RECEIVED"]
    code, message = "Å" * 31 + "X", "ø" * 511 + "!"  # 63 and 1023 bytes: the limits
    r = srv.post(path, json={"receiptStatus": "INVALID", "errorCode": code,
                             "errorMessage": message}, headers=auth)
    assert r.status_code == 200, r.text
    got = receipts_of(srv, env["sender"], uuid)[-1]
    assert (got["receiptStatus"], got["errorCode"], got["errorMessage"]) == \
        ("INVALID", code, message)


# ---- REST push: the request on the wire ----

class RawCapture:
    """A one-connection HTTP server that records the raw request and answers 200."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = "http://127.0.0.1:%d/inbox" % self.sock.getsockname()[1]
        self.head = None
        self.body = None
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        c, _ = self.sock.accept()
        c.settimeout(20)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v.strip())
        while len(body) < n:
            chunk = c.recv(65536)
            if not chunk:
                break
            body += chunk
        self.head, self.body = head.decode("latin-1"), body
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.close()
        self.done.set()

    def close(self):
        self.sock.close()


def test_push_request_on_the_wire(srv, env):
    cap = RawCapture()
    try:
        recipient(srv, PUSHORG, protocol="push", push_url=cap.url)
        uuid, xml = send(srv, env["sender"], PUSHORG)
        settle(srv)
        assert cap.done.wait(30), "no push arrived"
    finally:
        cap.close()
    lines = cap.head.split("\r\n")
    assert lines[0] == "POST /inbox HTTP/1.1"
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    assert hdrs["user-agent"] == "kuvert"
    assert "expect" not in hdrs and "transfer-encoding" not in hdrs
    assert int(hdrs["content-length"]) == len(cap.body)
    ctype = hdrs["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    boundary = ctype.split("boundary=", 1)[1].encode()
    parts = cap.body.split(b"--" + boundary)
    assert parts[0] == b"" and parts[-1].strip() == b"--" and len(parts) == 3
    phead, _, pbody = parts[1].lstrip(b"\r\n").partition(b"\r\n\r\n")
    assert b'Content-Disposition: form-data; name="file"; filename="%s"' % uuid.encode() \
        in phead.split(b"\r\n")
    assert b"Content-Type: application/xml" in phead.split(b"\r\n")
    assert pbody == xml + b"\r\n"


# ---- contact structure ----

def cp_url(cvr, suffix=""):
    return "/apis/v1/organisations/%s/contact-points/%s" % (cvr, suffix)


def ngdp_point(system_id, name="Børn og Unge – Ældrepleje ÆØÅ"):
    """A ContactPoint as an NgDP client writes it: every model member, most of them null."""
    return {"id": None, "version": None, "name": name, "description": None,
            "internalDescription": None, "memoSizeThresholdMB": None,
            "allowedNumberOfAttachments": None, "active": True, "visible": True,
            "reportLink": None, "systemId": system_id,
            "contactPointCodes": [{"type": "kle", "code": "27.24.00", "codeVersion": None,
                                   "name": None, "contactPointCodeTypeName": "KLE"}],
            "contactGroups": None, "recommendedAttributes": [{"name": "cpr"}],
            "searchTerms": [{"term": "ældrepleje"}], "translations": [],
            "legacyRecipientSystem": None, "organisationId": NIL, "targets": None}


def test_contact_point_ngdp_json(srv, env):
    r = env["r"]
    body = ngdp_point(r["system"])
    c = srv.post(cp_url(AUTH), json=body, headers=r["auth"])
    assert c.status_code == 201, c.text
    p = c.json()
    assert p["name"] == body["name"] and p["version"] == 1 and c.headers["ETag"] == '"1"'
    assert p["memoSizeThresholdMB"] == 10 and p["allowedNumberOfAttachments"] == 10
    assert p["contactPointCodes"] == [{"type": "KLE", "code": "27.24.00"}]
    g = srv.get(cp_url(AUTH, p["id"].upper()), headers=r["auth"])
    assert g.status_code == 200 and g.json() == p
    # A type that is not one of the five is still refused precisely.
    bad = ngdp_point(r["system"])
    bad["contactPointCodes"][0]["type"] = "KLE2"
    err = assert_error_message(srv.post(cp_url(AUTH), json=bad, headers=r["auth"]), 400,
                               "VALIDATION_FAILED")
    assert err["fieldErrors"][0]["field"] == "contactPointCodes[0].type"


def test_if_match_variants(srv, env):
    r = env["r"]
    p = srv.post(cp_url(AUTH), json=ngdp_point(r["system"], "If-Match"), headers=r["auth"]).json()
    url = cp_url(AUTH, p["id"])
    body = ngdp_point(r["system"], "If-Match")

    def put(tag):
        h = dict(r["auth"])
        if tag is not None:
            h["If-Match"] = tag
        return srv.request("PUT", url, json=body, headers=h)

    assert_error_message(put(None), 428, "PRECONDITION_REQUIRED")
    version = 1
    for tag in ('W/"%d"', '%d', 'w/"%d"', '"%d" ,', '"999", "%d"', '"%d", W/"998"'):
        resp = put(tag.replace("%d", str(version)))
        assert resp.status_code == 200, (tag, resp.text)
        version += 1
        assert resp.json()["version"] == version and resp.headers["ETag"] == '"%d"' % version
    # Stale, a list without the current version, and tags kuvert never issues: 412, no write.
    for tag in ('"1"', '"1", "2"', 'bogus', '""', 'W/', '"-3"'):
        err = assert_error_message(put(tag), 412, "PRECONDITION_FAILED")
        assert str(version) in err["message"], (tag, err)
    assert srv.get(url, headers=r["auth"]).json()["version"] == version
    # The same rules for DELETE; a nonsense tag on a missing point is 404, not 412.
    assert_error_message(srv.delete(url, headers=dict(r["auth"], **{"If-Match": "x"})), 412)
    d = srv.delete(url, headers=dict(r["auth"], **{"If-Match": '"0", W/"%d"' % version}))
    assert d.status_code == 204, d.text
    assert_error_message(srv.delete(url, headers=dict(r["auth"], **{"If-Match": "x"})), 404)
    assert_error_message(srv.delete(url, headers=r["auth"]), 404)


def test_group_parent_as_object(srv, env):
    r = env["r"]
    base = "/apis/v1/organisations/%s/contact-groups/" % AUTH
    top = srv.post(base, json={"name": "Social og Sundhed", "description": None, "parent": None,
                               "postkasseIds": [], "targets": None}, headers=r["auth"])
    assert top.status_code == 201, top.text
    tid = top.json()["id"]
    child = srv.post(base, json={"name": "Ældre", "parent": {"id": tid.upper(),
                                                             "name": "Social og Sundhed"}},
                     headers=r["auth"])
    assert child.status_code == 201, child.text
    assert child.json()["parent"] == {"id": tid, "name": "Social og Sundhed"}
    err = assert_error_message(srv.post(base, json={"name": "X", "parent": {"name": "no id"}},
                                        headers=r["auth"]), 400, "VALIDATION_FAILED")
    assert err["fieldErrors"][0]["field"] == "parent"


def test_citizen_search_folds_danish_letters(srv, env):
    r = env["r"]
    name = "Ældrepleje og Børneområdet Åbenrå"
    pid = srv.post(cp_url(AUTH), json=dict(ngdp_point(r["system"], name),
                                           searchTerms=[{"term": "SKØNSMÆSSIG"}]),
                   headers=r["auth"]).json()["id"]

    def found(term):
        resp = srv.get("/api/contact-points", params={"term": term}, headers=env["user"])
        assert resp.status_code == 200, resp.text
        return pid in [p["id"] for p in resp.json()]

    for term in ("ældrepleje", "ÆLDREPLEJE", "Ældre", "børneområdet", "BØRNE", "åbenrå",
                 "ÅBENRÅ", "skønsmæssig", "Skønsmæssig", "ÆLDREPLEJE OG BØRN"):
        assert found(term), term
    for term in ("aeldre", "boerne", "abenra", "%", "_ldre"):
        assert not found(term), term


# ---- letters from citizens ----

def test_mailbox_write_long_danish_file_names(srv, env):
    r = env["r"]
    pid = srv.post(cp_url(AUTH), json=ngdp_point(r["system"], "Filnavne"),
                   headers=r["auth"]).json()["id"]
    content = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()

    def write(filename):
        return srv.post("/api/mailbox/messages", headers=env["user"], json={
            "contactPointId": pid, "label": "Ansøgning – ÆØÅ", "text": "Hej",
            "attachments": [{"filename": filename, "mimeType": "application/pdf",
                             "content": content}]})

    ok = "å" * 125 + ".pdf"  # 254 bytes, 129 characters
    assert len(ok.encode()) == 254
    w = write(ok)
    assert w.status_code == 201, w.text
    uuid = w.json()["messageUUID"]
    memo = srv.get("/apis/v1/memos/" + uuid, headers=r["auth"])
    assert memo.status_code == 200 and ok.encode() in memo.content
    long_name = "å" * 126 + ".pdf"  # 256 bytes
    err = assert_error_message(write(long_name), 400, "VALIDATION_FAILED")
    fe = err["fieldErrors"][0]
    assert fe["field"] == "attachments[0].filename" and fe["code"] == "TOO_LONG"
    assert "256 bytes" in fe["message"] and "130 characters" in fe["message"]


# ---- the default recipient system ----

def test_set_default_cli_and_admin_api(srv, env):
    org = "11111114"
    a = recipient(srv, org, default=True)
    b = recipient(srv, org, default=False)
    sender_sys = setup_org(srv, org)
    u1, _ = send(srv, env["sender"], org)
    assert u1 in srv.get("/apis/v1/memos/", headers=a["auth"]).json()["content"]

    # CLI: b becomes the default, a stops being one, in one step; new letters go to b.
    out = srv.cli(["system", "set-default", b["system"].upper()])
    assert out == {"id": b["system"], "org": org, "name": "Sag " + org, "default": True,
                   "previousDefault": a["system"]}
    assert srv.cli(["system", "show", a["system"]])["default"] is False
    assert srv.cli(["system", "show", b["system"]])["default"] is True
    u2, _ = send(srv, env["sender"], org)
    assert u2 in srv.get("/apis/v1/memos/", headers=b["auth"]).json()["content"]
    assert u2 not in srv.get("/apis/v1/memos/", headers=a["auth"]).json()["content"]
    # Again on the default: nothing changes, no event.
    assert srv.cli(["system", "set-default", b["system"]])["previousDefault"] is None
    # Refusals: a sender system, an unknown id; usage without an id.
    p = srv.cli(["system", "set-default", sender_sys["system"]], json_out=False, check=False)
    assert p.returncode == 1 and "recipient" in p.stderr
    p = srv.cli(["system", "set-default", str(uuidlib.uuid4())], json_out=False, check=False)
    assert p.returncode == 1 and "no system" in p.stderr
    p = srv.cli(["system", "set-default"], json_out=False, check=False)
    assert p.returncode == 2

    # Admin API, under both names; the answer is the system with previousDefault.
    resp = srv.post("/admin/v1/systems/%s/default" % a["system"], headers=ADMIN_H)
    assert resp.status_code == 200, resp.text
    j = resp.json()
    assert j["id"] == a["system"] and j["default"] is True and j["previousDefault"] == b["system"]
    assert j["status"] == "active" and "queueLength" in j
    resp = srv.post("/admin/v1/systems/%s/makedefaultrecipient" % b["system"].upper(),
                    headers=ADMIN_H)
    assert resp.status_code == 200 and resp.json()["previousDefault"] == a["system"]
    resp = srv.post("/admin/v1/systems/%s/default" % b["system"], headers=ADMIN_H)
    assert resp.status_code == 200 and resp.json()["previousDefault"] is None
    assert_error_message(srv.post("/admin/v1/systems/%s/default" % sender_sys["system"],
                                  headers=ADMIN_H), 400)
    assert_error_message(srv.post("/admin/v1/systems/%s/default" % uuidlib.uuid4(),
                                  headers=ADMIN_H), 404)
    assert_error_message(srv.post("/admin/v1/systems/%s/default" % a["system"]), 401)

    # Exactly one default at every step, and one event per change naming both systems.
    assert db_rows(srv, "SELECT id FROM systems WHERE org_cvr = ? AND is_default = 1",
                   (org,)) == [(b["system"],)]
    ev = db_rows(srv, "SELECT system_id, props FROM events WHERE tag = 'SYSTEM_DEFAULT_CHANGED'"
                      " AND subject = ? ORDER BY seq", ("cvr:" + org,))
    assert [e[0] for e in ev] == [b["system"], a["system"], b["system"]]
    import json as _json
    assert [_json.loads(e[1])["previous"] for e in ev] == [a["system"], b["system"],
                                                          a["system"]]


def test_set_default_is_one_transaction_under_concurrency(srv, env):
    """Many switches at once from both directions (admin API): never two defaults, never
    none, and no request fails."""
    org = "22222229"
    a = recipient(srv, org, default=True)
    b = recipient(srv, org, default=False)
    errors = []

    def flip(sysid, n):
        for _ in range(n):
            resp = srv.session.__class__().post(
                srv.url + "/admin/v1/systems/%s/default" % sysid, headers=ADMIN_H, timeout=60)
            if resp.status_code != 200:
                errors.append(resp.text)

    threads = [threading.Thread(target=flip, args=(s, 15)) for s in
               (a["system"], b["system"], a["system"], b["system"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    defaults = db_rows(srv, "SELECT id FROM systems WHERE org_cvr = ? AND is_default = 1",
                       (org,))
    assert len(defaults) == 1
    ev = db_rows(srv, "SELECT system_id FROM events WHERE tag = 'SYSTEM_DEFAULT_CHANGED' AND "
                      "subject = ? ORDER BY seq", ("cvr:" + org,))
    # Each logged change names the new default; the last one is the one in force.
    assert ev and ev[-1][0] == defaults[0][0]
    assert all(ev[i][0] != ev[i + 1][0] for i in range(len(ev) - 1))
