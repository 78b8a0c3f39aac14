# SPDX-License-Identifier: MIT
"""The NgDP send API, black-box: POST /apis/v1/memos/ with single letters (the official MeMo
examples, recipient adjusted to a demo mailbox), bulk archives (tar + LZMA/xz, multipart), and
every error path: 400 with MeMo rule codes, uuid mismatch, 401, 403, 409, 413, 415;
idempotency both ways; recipient resolution (REGISTERED, EXEMPT -> print job, CLOSED and
unknown -> NOT_ALLOWED). State is checked through the database (sqlite3, read-only) and the
metrics endpoint.
"""
import re
import time
import uuid as uuidlib

import pytest
import requests

from kuvert_harness import assert_error_message, metric, parse_metrics, refused_request
from readside_util import close_mailbox, mailbox, setup_org
from send_util import (EXAMPLE_CPR, FULL_11, FULL_12, MIN_11, MIN_12, REPRESENTATIVE_CVR,
                       SENDER_CVR, archive, counts, event_tags, letter, letter_row, query, send)

EXEMPT_CPR = "0101701234"
CLOSED_CPR = "0202702345"
UNKNOWN_CPR = "0303703456"
COMPANY_CVR = "29189978"
OTHER_CVR = "55133018"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture(scope="module")
def env(server):
    """Directory of the module's server: the examples' sender organisation with two sender
    systems (one with a receipt URL), the representative's organisation, another organisation,
    a recipient system, and mailboxes of every status."""
    e = {
        "srv": server,
        "org": setup_org(server, SENDER_CVR),
        "org2": setup_org(server, SENDER_CVR),
        "pushing": setup_org(server, SENDER_CVR, receipt_url="http://127.0.0.1:9/receipts"),
        "rep": setup_org(server, REPRESENTATIVE_CVR),
        "other": setup_org(server, OTHER_CVR),
        "recipient_sys": setup_org(server, OTHER_CVR, kind="recipient"),
    }
    mailbox(server, cpr=EXAMPLE_CPR, name="Mette Hansen")
    mailbox(server, cvr=COMPANY_CVR, name="Firma A/S")
    mailbox(server, cpr=EXEMPT_CPR, exempt=True, name="Fritaget Person")
    mailbox(server, cpr=CLOSED_CPR)
    close_mailbox(server, cpr=CLOSED_CPR)
    # Full 1.2 names 87654321 as Representative of 12345678: true once 12345678 delegated to it
    server.cli(["delegation", "add", "--org", SENDER_CVR, "--delegate", REPRESENTATIVE_CVR])
    return e


def settle_print(srv, letter_id, timeout=60):
    """Waits until the print worker has dealt with the letter's print job (this mailbox has no
    postal address, so it is FAILED; test_print.py tests printing), so its event and receipt
    do not land in the middle of a later test's before/after counts."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        jobs = query(srv, "SELECT state, pdf_path FROM print_jobs WHERE letter_id = ?", letter_id)
        if jobs and all(j["state"] != "QUEUED" or j["pdf_path"] for j in jobs):
            return jobs
        time.sleep(0.1)
    raise AssertionError("print job of letter %s not handled in time" % letter_id)


def assert_receipt(body, uuid, status="RECEIVED"):
    assert set(body) >= {"transmissionId", "messageUUID", "messageId", "errorCode",
                         "errorMessage", "timeStamp", "receiptStatus"}, body
    assert body["messageUUID"] == uuid.lower()
    assert UUID_RE.match(body["transmissionId"]), body
    assert TS_RE.match(body["timeStamp"]), body
    assert body["receiptStatus"] == status, body


# ---- accepted letters ----

@pytest.mark.parametrize("name", [FULL_12, MIN_12, MIN_11])
def test_official_examples_are_accepted_and_stored(env, name):
    srv = env["srv"]
    uuid, body = letter(name, cpr=EXAMPLE_CPR, value_date="2020-01-01" if name == FULL_12 else "keep")
    r = send(srv, env["org"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert_receipt(rec, uuid)
    assert rec["errorCode"] is None and rec["errorMessage"] is None
    if name == FULL_12:
        assert rec["messageId"] == "MSG-12345"
    row = letter_row(srv, uuid)
    assert row["state"] == "AVAILABLE"
    assert row["body"] == body, "the letter is stored byte for byte"
    assert row["sender_system"] == env["org"]["system"]
    assert row["transmission_id"] == rec["transmissionId"]
    assert row["recipient_type"] == "CPR" and row["recipient_id"] == EXAMPLE_CPR
    assert row["mailbox_id"] is not None
    assert event_tags(srv, uuid) == ["MEMO_SEND_RECEIVED", "MEMO_SEND_VALIDATED",
                                     "MEMO_AVAILABLE_TO_RECIPIENT"]
    receipts = query(srv, "SELECT * FROM receipts WHERE message_uuid = ?", uuid.lower())
    assert len(receipts) == 1
    assert receipts[0]["receipt_status"] == "RECEIVED"
    assert receipts[0]["transmission_id"] == rec["transmissionId"]
    assert receipts[0]["system_id"] == env["org"]["system"]
    assert receipts[0]["push_state"] is None, "a system without receipt URL only pulls"


def test_company_recipient_by_cvr(env):
    uuid, body = letter(MIN_12, cvr=COMPANY_CVR)
    r = send(env["srv"], env["org"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED"
    assert letter_row(env["srv"], uuid)["recipient_type"] == "CVR"


def test_uuid_claim_is_case_insensitive_and_stored_lower_case(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, upper=True)
    r = send(env["srv"], env["org"]["auth"], body, uuid.lower())
    assert r.status_code == 201, r.text
    assert r.json()["messageUUID"] == uuid.lower()
    assert letter_row(env["srv"], uuid)["message_uuid"] == uuid.lower()


def test_receipt_row_is_queued_for_push_when_system_has_url(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = send(env["srv"], env["pushing"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    rows = query(env["srv"], "SELECT push_state FROM receipts WHERE message_uuid = ?", uuid)
    assert len(rows) == 1 and rows[0]["push_state"] is not None


def test_text_xml_with_charset_is_accepted(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = send(env["srv"], env["org"]["auth"], body, uuid, content_type="text/xml; charset=utf-8")
    assert r.status_code == 201, r.text


# ---- recipient resolution ----

def test_exempt_recipient_becomes_print_job(env):
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXEMPT_CPR)
    r = send(srv, env["org"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert_receipt(rec, uuid, "RECEIVED")
    assert "print" in rec["errorMessage"].lower()
    row = letter_row(srv, uuid)
    assert row["state"] == "PRINT"
    jobs = query(srv, "SELECT * FROM print_jobs WHERE letter_id = ?", row["id"])
    assert len(jobs) == 1 and jobs[0]["created_ms"] > 0
    assert event_tags(srv, uuid)[:3] == ["MEMO_SEND_RECEIVED", "MEMO_SEND_VALIDATED",
                                         "PHYSICAL_LETTER_SENT"]
    assert settle_print(srv, row["id"])[0]["state"] == "FAILED"  # no postal address


@pytest.mark.parametrize("cpr,code", [(CLOSED_CPR, "RECIPIENT_MAILBOX_CLOSED"),
                                      (UNKNOWN_CPR, "RECIPIENT_UNKNOWN")])
def test_closed_or_unknown_recipient_is_not_allowed(env, cpr, code):
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=cpr)
    r = send(srv, env["org"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert_receipt(rec, uuid, "NOT_ALLOWED")
    assert rec["errorCode"] == code
    assert cpr in rec["errorMessage"]
    row = letter_row(srv, uuid)
    assert row["state"] == "NOT_ALLOWED" and row["mailbox_id"] is None
    assert query(srv, "SELECT receipt_status FROM receipts WHERE message_uuid = ?",
                 uuid)[0]["receipt_status"] == "NOT_ALLOWED"
    assert "MEMO_AVAILABLE_TO_RECIPIENT" not in event_tags(srv, uuid)


# ---- validation ----

def test_invalid_letter_gets_400_with_rule_codes_and_locations(env):
    srv = env["srv"]
    before = counts(srv)
    uuid, body = letter(FULL_11, cpr=EXAMPLE_CPR)
    r = send(srv, env["org"]["auth"], body, uuid)
    err = assert_error_message(r, 400, "MEMO_VALIDATION_FAILED")
    https = [f for f in err["fieldErrors"] if f["code"] == "NGDP-URL-HTTPS"]
    assert len(https) == 3, err
    for f in err["fieldErrors"]:
        assert f["resource"] == "memo"
        assert re.match(r"^line \d+, column \d+: ", f["message"]), f
    assert https[0]["field"].endswith("memo:EntryPoint/memo:url"), https[0]
    assert https[0]["message"].startswith("line 331,"), https[0]
    codes = {f["code"] for f in err["fieldErrors"]}
    assert codes == {"NGDP-URL-HTTPS"}, "only errors; warnings (NGDP-CVR-MOD11, ...) stay out"
    assert "3 errors" in err["message"]
    after = counts(srv)
    assert after["letters"] == before["letters"] and after["receipts"] == before["receipts"]
    assert letter_row(srv, uuid) is None
    assert event_tags(srv, uuid) == ["MEMO_SEND_VALIDATION_FAILED"]


def test_long_quoted_value_keeps_its_message(env):
    """An XSD message quoting a long value of non-ASCII characters (a messageType of 2,000
    'æ' after one 'x') was cut inside a character; the send API then answered the fieldError
    with the message "(not valid UTF-8)", without its line, column or text."""
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    body = body.replace(b">DIGITALPOST<", (">x" + "\u00e6" * 2000 + "<").encode(), 1)
    err = assert_error_message(send(srv, env["org"]["auth"], body, uuid), 400,
                               "MEMO_VALIDATION_FAILED")
    assert [f["code"] for f in err["fieldErrors"]] == ["XSD"], err
    f = err["fieldErrors"][0]
    assert f["field"].endswith("memo:messageType"), f
    assert re.match(r"^line 4, column 3: memo:messageType: \[facet 'enumeration'\] The value "
                    r"'x\u00e6+", f["message"]), f
    assert f["message"].endswith("..."), f
    assert letter_row(srv, uuid) is None


def test_malformed_xml_is_400(env):
    uuid = str(uuidlib.uuid4())
    r = send(env["srv"], env["org"]["auth"], b"<memo:Message><unclosed>", uuid)
    err = assert_error_message(r, 400, "MEMO_VALIDATION_FAILED")
    assert err["fieldErrors"] and all(f["code"] for f in err["fieldErrors"])


def test_letter_not_in_utf8_is_400_xml_encoding(env):
    """MeMo is UTF-8: a letter declaring UTF-7 (or any other encoding) is refused with rule
    XML-ENCODING and nothing is stored."""
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    body = body.replace(b'encoding="UTF-8"', b'encoding="UTF-7"', 1)
    err = assert_error_message(send(srv, env["org"]["auth"], body, uuid), 400,
                               "MEMO_VALIDATION_FAILED")
    assert [f["code"] for f in err["fieldErrors"]] == ["XML-ENCODING"], err
    assert "UTF-7" in err["fieldErrors"][0]["message"]
    assert letter_row(srv, uuid) is None


def test_uuid_mismatch_is_400(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    other = str(uuidlib.uuid4())
    r = send(env["srv"], env["org"]["auth"], body, other)
    err = assert_error_message(r, 400, "MESSAGE_UUID_MISMATCH")
    assert err["fieldErrors"][0]["field"] == "memo-message-uuid"
    assert err["fieldErrors"][0]["rejectedValue"] == other
    assert letter_row(env["srv"], uuid) is None


def test_missing_uuid_parameter_is_400(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    h = dict(env["org"]["auth"])
    h["Content-Type"] = "application/xml"
    r = env["srv"].post("/apis/v1/memos/", data=body, headers=h)
    assert_error_message(r, 400, "MISSING_MESSAGE_UUID")


# ---- authentication and scope ----

@pytest.mark.parametrize("auth", [None, "Basic", "Basic !!!", "Bearer abc",
                                  "Basic " + "bm9zdWNoOnN5c3RlbQ=="])
def test_missing_or_bad_token_is_401(env, auth):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    h = {"Authorization": auth} if auth else {}
    r = send(env["srv"], h, body, uuid)
    assert_error_message(r, 401)
    assert letter_row(env["srv"], uuid) is None


def test_wrong_secret_is_401(env):
    import base64
    sysid = env["org"]["system"]
    token = base64.b64encode(("%s:%s" % (sysid, "x" * 43)).encode()).decode()
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = send(env["srv"], {"Authorization": "Basic " + token}, body, uuid)
    assert_error_message(r, 401)


def test_other_organisation_is_403(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = send(env["srv"], env["other"]["auth"], body, uuid)
    err = assert_error_message(r, 403, "SENDER_NOT_ALLOWED")
    assert err["fieldErrors"][0]["rejectedValue"] == SENDER_CVR
    assert letter_row(env["srv"], uuid) is None


def test_recipient_system_may_not_send(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = send(env["srv"], env["recipient_sys"]["auth"], body, uuid)
    assert_error_message(r, 403)


def test_representative_sends_for_the_sender_only_when_delegated(env):
    """Full 1.2 names 87654321 as Sender/Representative of 12345678: its system may send it
    only once 12345678 has delegated sending to 87654321 (tests/it/test_delegation.py has the
    rest), and never a letter without that Representative."""
    srv = env["srv"]
    srv.cli(["delegation", "remove", "--org", SENDER_CVR, "--delegate", REPRESENTATIVE_CVR])
    uuid, body = letter(FULL_12, cpr=EXAMPLE_CPR, value_date="2020-01-01")
    try:
        err = assert_error_message(send(srv, env["rep"]["auth"], body, uuid), 403,
                                   "SENDER_NOT_ALLOWED")
        assert err["fieldErrors"][0]["code"] == "SENDER_NOT_DELEGATED"
        assert letter_row(srv, uuid) is None
    finally:
        srv.cli(["delegation", "add", "--org", SENDER_CVR, "--delegate", REPRESENTATIVE_CVR])
    r = send(srv, env["rep"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    assert letter_row(srv, uuid)["sender_cvr"] == SENDER_CVR
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert_error_message(send(srv, env["rep"]["auth"], body, uuid), 403, "SENDER_NOT_ALLOWED")


# ---- idempotency ----

def test_same_bytes_again_returns_the_original_receipt(env):
    srv = env["srv"]
    uuid, body = letter(FULL_12, cpr=EXAMPLE_CPR, value_date="2020-01-01")
    r1 = send(srv, env["org"]["auth"], body, uuid)
    assert r1.status_code == 201, r1.text
    before = counts(srv)
    r2 = send(srv, env["org"]["auth"], body, uuid)
    assert r2.status_code == 201, r2.text
    assert r2.json() == r1.json()
    assert counts(srv) == before, "a replay creates nothing"


def test_same_uuid_other_bytes_is_409(env):
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert send(srv, env["org"]["auth"], body, uuid).status_code == 201
    before = counts(srv)
    _, other = letter(MIN_12, uuid=uuid, cvr=COMPANY_CVR)
    err = assert_error_message(send(srv, env["org"]["auth"], other, uuid), 409,
                               "DUPLICATE_MESSAGE_UUID")
    assert uuid in err["message"]
    assert counts(srv) == before
    assert letter_row(srv, uuid)["recipient_type"] == "CPR", "the original is untouched"


def test_same_bytes_from_another_system_is_409(env):
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert send(srv, env["org"]["auth"], body, uuid).status_code == 201
    assert_error_message(send(srv, env["org2"]["auth"], body, uuid), 409,
                         "DUPLICATE_MESSAGE_UUID")


def test_concurrent_duplicates_store_exactly_one(env):
    """Many clients race the same uuid: one letter is stored, every 201 carries its receipt."""
    import concurrent.futures
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)

    def one(_):
        with requests.Session() as s:
            h = dict(env["org"]["auth"])
            h["Content-Type"] = "application/xml"
            return s.post(srv.url + "/apis/v1/memos/", params={"memo-message-uuid": uuid},
                          data=body, headers=h, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        rs = list(ex.map(one, range(16)))
    assert all(r.status_code == 201 for r in rs), [r.text for r in rs if r.status_code != 201]
    assert len({r.json()["transmissionId"] for r in rs}) == 1
    assert query(srv, "SELECT count(*) AS n FROM letters WHERE message_uuid = ?", uuid)[0]["n"] == 1
    assert event_tags(srv, uuid).count("MEMO_SEND_RECEIVED") == 1


# ---- content types and sizes ----

@pytest.mark.parametrize("ctype", ["text/plain", "application/json", None])
def test_other_content_types_are_415(env, ctype):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    h = dict(env["org"]["auth"])
    if ctype:
        h["Content-Type"] = ctype
    r = env["srv"].post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=body,
                        headers=h)
    assert_error_message(r, 415)


def test_body_over_the_limit_is_413(make_server):
    srv = make_server(args=["--set", "max_body=64k"])
    org = setup_org(srv, SENDER_CVR)
    mailbox(srv, cpr=EXAMPLE_CPR)
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    big = body.replace(b"</memo:label>", b"</memo:label><!-- " + b"x" * 70000 + b" -->", 1)
    # answered from Content-Length and closed, the body unread: the client may see a reset
    assert_error_message(refused_request(
        srv, "POST", "/apis/v1/memos/?memo-message-uuid=" + uuid, body=big,
        headers=dict(org["auth"], **{"Content-Type": "application/xml"})), 413)
    # An archive whose entry unpacks beyond the limit is refused too (decided before reading).
    arch = archive([("big.xml", big)], "xz")
    assert len(arch) < 64 * 1024
    h = dict(org["auth"])
    h["Content-Type"] = "application/x-lzma"
    assert_error_message(srv.post("/apis/v1/memos/", data=arch, headers=h), 413)
    assert send(srv, org["auth"], body, uuid).status_code == 201


# ---- bulk ----

def post_bulk(srv, auth, data, ctype="application/x-lzma"):
    h = dict(auth)
    h["Content-Type"] = ctype
    return srv.post("/apis/v1/memos/", data=data, headers=h)


@pytest.mark.parametrize("fmt", ["alone", "xz"])
def test_bulk_lzma_archive_one_receipt_per_letter(env, fmt):
    srv = env["srv"]
    u1, b1 = letter(FULL_12, cpr=EXAMPLE_CPR, value_date="2020-01-01")
    u2, b2 = letter(MIN_12, cpr=EXEMPT_CPR)
    u3, b3 = letter(FULL_11, cpr=EXAMPLE_CPR)       # invalid (http URLs)
    u4, b4 = letter(MIN_11, cpr=UNKNOWN_CPR)
    data = archive([("a/1.xml", b1), ("a/2.xml", b2), ("a/3.xml", b3), ("a/4.xml", b4)], fmt)
    r = post_bulk(srv, env["org"]["auth"], data)
    assert r.status_code == 201, r.text
    # one Receipt for the batch; each letter's outcome in `letters` (docs/send-api.md, "Bulk")
    batch = r.json()
    assert batch["receiptStatus"] == "RECEIVED" and batch["errorCode"] == "BULK_PARTLY_REFUSED"
    recs = batch["letters"]
    assert [x["fileName"] for x in recs] == ["a/1.xml", "a/2.xml", "a/3.xml", "a/4.xml"]
    assert all(x["transmissionId"] == batch["transmissionId"] for x in recs)
    assert_receipt(recs[0], u1, "RECEIVED")
    assert_receipt(recs[1], u2, "RECEIVED")
    assert recs[2]["receiptStatus"] == "INVALID" and recs[2]["messageUUID"] == u3
    assert recs[2]["errorCode"] == "MEMO_VALIDATION_FAILED"
    assert any(f["code"] == "NGDP-URL-HTTPS" for f in recs[2]["fieldErrors"])
    assert_receipt(recs[3], u4, "NOT_ALLOWED")
    assert letter_row(srv, u1)["state"] == "AVAILABLE"
    assert letter_row(srv, u2)["state"] == "PRINT"
    settle_print(srv, letter_row(srv, u2)["id"])
    assert letter_row(srv, u3) is None
    assert letter_row(srv, u4)["state"] == "NOT_ALLOWED"
    # The same archive again: every stored letter answers with its original receipt.
    before = counts(srv)
    again = post_bulk(srv, env["org"]["auth"], data).json()["letters"]
    for i in (0, 1, 3):
        assert again[i]["transmissionId"] == recs[i]["transmissionId"]
    assert counts(srv)["letters"] == before["letters"]


def test_bulk_scope_and_duplicates_per_letter(env):
    srv = env["srv"]
    u1, b1 = letter(MIN_12, cpr=EXAMPLE_CPR, sender=OTHER_CVR)  # not the system's organisation
    u2, b2 = letter(MIN_12, cpr=EXAMPLE_CPR)
    _, b3 = letter(MIN_12, uuid=u2, cvr=COMPANY_CVR)             # same uuid, other content
    recs = post_bulk(srv, env["org"]["auth"],
                     archive([("1", b1), ("2", b2), ("3", b3)])).json()["letters"]
    assert recs[0]["receiptStatus"] == "NOT_ALLOWED" and recs[0]["errorCode"] == "SENDER_NOT_ALLOWED"
    assert recs[1]["receiptStatus"] == "RECEIVED"
    assert recs[2]["receiptStatus"] == "INVALID"
    assert recs[2]["errorCode"] == "DUPLICATE_MESSAGE_UUID"
    assert letter_row(srv, u1) is None
    assert letter_row(srv, u2)["recipient_type"] == "CPR"


def test_bulk_multipart_form_data(env):
    srv = env["srv"]
    u1, b1 = letter(MIN_12, cpr=EXAMPLE_CPR)
    u2, b2 = letter(MIN_11, cpr=EXAMPLE_CPR)
    data = archive([("1.xml", b1), ("2.xml", b2)])
    r = srv.post("/apis/v1/memos/", headers=env["org"]["auth"],
                 files={"meta": ("m.txt", b"ignored", "text/plain"),
                        "file": ("letters.tar.lzma", data, "application/x-lzma")})
    assert r.status_code == 201, r.text
    recs = r.json()["letters"]
    assert [x["messageUUID"] for x in recs] == [u1, u2]
    assert all(x["receiptStatus"] == "RECEIVED" for x in recs)
    # A form part holding one MeMo letter as XML.
    u3, b3 = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = srv.post("/apis/v1/memos/", headers=env["org"]["auth"],
                 files={"file": ("letter.xml", b3, "application/xml")})
    assert r.status_code == 201, r.text
    assert r.json()["letters"][0]["messageUUID"] == u3


def test_bulk_errors(env):
    srv = env["srv"]
    auth = env["org"]["auth"]
    assert_error_message(post_bulk(srv, auth, b"not an archive at all"), 400, "INVALID_ARCHIVE")
    assert_error_message(post_bulk(srv, auth, archive([])), 400, "INVALID_ARCHIVE")
    r = srv.post("/apis/v1/memos/", headers=auth,
                 files={"other": ("x", archive([("1", b"x")]), "application/x-lzma")})
    assert_error_message(r, 400, "INVALID_MULTIPART")
    h = dict(auth)
    h["Content-Type"] = "multipart/form-data"  # no boundary
    assert_error_message(srv.post("/apis/v1/memos/", data=b"--x\r\n", headers=h), 400)
    assert_error_message(post_bulk(srv, {}, archive([("1", b"x")])), 401)


# ---- metrics ----

def test_metrics_count_letters_and_expose_writer_queue(env):
    srv = env["srv"]
    s0, _ = parse_metrics(srv.get("/metrics").text)
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert send(srv, env["org"]["auth"], body, uuid).status_code == 201
    s1, types = parse_metrics(srv.get("/metrics").text)
    assert metric(s1, "kuvert_letters_accepted_total") == metric(s0, "kuvert_letters_accepted_total") + 1
    assert ("kuvert_queue_depth", frozenset({("queue", "letter_writer")})) in s1
