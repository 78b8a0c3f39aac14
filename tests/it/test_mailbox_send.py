# SPDX-License-Identifier: MIT
"""Citizens and companies writing to authorities through the mailbox API (docs/mailbox-api.md,
"Writing to authorities"): POST /api/mailbox/messages to a contact point and
POST /api/mailbox/messages/{uuid}/reply. Black-box on a real server: the letter reaches the
authority's recipient system through REST pull as a valid MeMo (sender, recipient, contact
point, attachments byte-identical, ReplyData), lands in the writer's "sent" folder and never in
an inbox; contact-point visibility and limits, request and MeMo validation, reply rules
(reply=true, replyByDateTime with the test clock, someone else's letter, unreachable sender)."""
import base64
import datetime
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import pytest

from kuvert_harness import assert_error_message, kuvert_bin, db_connect
from readside_util import bearer, letter_xml, mailbox, setup_org, user_token
from test_recipient_pull import events, page, recipient_system

AUTH = "55133018"      # the authority (recipient systems, contact points, a sender system)
NOSYS = "29189978"     # an organisation that sends but cannot receive
CPR1 = "0101701234"
CPR2 = "0202802345"
COMPANY = "12345674"
NS = {"memo": "https://DigitalPost.dk/MeMo-1"}

PDF = b"%PDF-1.4\n\x00\x01\x02\xff\xfe binary \x80\x81 data\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


def b64(data):
    return base64.b64encode(data).decode()


def point(srv, name, system, *extra):
    out = srv.cli(["contact-point", "add", "--org", AUTH, "--name", name, "--system",
                   system["system"]] + list(extra))
    return out["id"]


def write(srv, tok, point_id, label="Ansøgning", text="Hej kommune", attachments=(), **kw):
    body = {"contactPointId": point_id, "label": label, "text": text,
            "attachments": [{"filename": f, "mimeType": m, "content": b64(d)}
                            for f, m, d in attachments]}
    body.update(kw)
    return srv.post("/api/mailbox/messages", json=body, headers=tok)


def reply(srv, tok, uuid, text="Mit svar", attachments=(), **kw):
    body = {"text": text, "attachments": [{"filename": f, "mimeType": m, "content": b64(d)}
                                          for f, m, d in attachments]}
    body.update(kw)
    return srv.post("/api/mailbox/messages/%s/reply" % uuid, json=body, headers=tok)


def db_one(srv, sql, args=()):
    db = db_connect(srv.data_dir)
    try:
        return db.execute(sql, args).fetchone()
    finally:
        db.close()


def n_letters(srv):
    return db_one(srv, "SELECT COUNT(*) FROM letters")[0]


def pulled(srv, system, uuid):
    """The MeMo the recipient system pulls for uuid, checked with `kuvert memo validate`."""
    assert uuid in page(srv, system, size=1000)["content"]
    r = srv.get("/apis/v1/memos/" + uuid, headers=system["auth"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/xml")
    v = subprocess.run([kuvert_bin(), "memo", "validate", "-"], input=r.content,
                       capture_output=True, timeout=60)
    assert v.returncode == 0, v.stdout + v.stderr
    return ET.fromstring(r.content)


def text_of(root, path):
    el = root.find(path, NS)
    return None if el is None else el.text


def files_of(root):
    """[(filename, mime, bytes)] of every File in document order."""
    out = []
    for f in root.iter("{%s}File" % NS["memo"]):
        out.append((text_of(f, "memo:filename"), text_of(f, "memo:encodingFormat"),
                    base64.b64decode(text_of(f, "memo:content"))))
    return out


def authority_letter(srv, sender, cpr, reply_by=None, reply_flag=True, sender_point=None,
                     case_id=None, label="Svar venligst", sender_id_type=None):
    """Sends a letter from sender's organisation to cpr (reply / replyByDateTime / Sender
    ContactPoint / ReplyData with a caseID; the Sender's idType as given, e.g. "cvr");
    returns its uuid."""
    uuid, xml = letter_xml(sender["cvr"], cpr, "CPR", label=label, message_id="SAG-MSG-1")
    if sender_id_type:
        old = b"</memo:senderID><memo:idType>CVR</memo:idType>"
        assert xml.count(old) == 1, xml
        xml = xml.replace(old, b"</memo:senderID><memo:idType>" + sender_id_type.encode() +
                          b"</memo:idType>")
    extra = b""
    if reply_flag:
        extra += b"<memo:reply>true</memo:reply>"
    if reply_by:
        extra += b"<memo:replyByDateTime>" + reply_by.encode() + b"</memo:replyByDateTime>"
    lab = b"<memo:label>" + label.encode() + b"</memo:label>"
    assert xml.count(lab) == 1
    xml = xml.replace(lab, lab + extra)
    if sender_point:
        end = b"</memo:label></memo:Sender>"
        assert xml.count(end) == 1
        xml = xml.replace(end, b"</memo:label><memo:ContactPoint><memo:contactPointID>" +
                          sender_point.encode() + b"</memo:contactPointID></memo:ContactPoint>"
                          b"</memo:Sender>")
    if case_id:
        xml = xml.replace(b"</memo:MessageHeader>",
                          b"<memo:ReplyData><memo:messageUUID>" + uuid.encode() +
                          b"</memo:messageUUID><memo:caseID>" + case_id.encode() +
                          b"</memo:caseID></memo:ReplyData></memo:MessageHeader>")
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                 headers=dict(sender["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED"
    return uuid


def utc_in(hours):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def setup_world(srv):
    srv.cli(["org", "add", "--cvr", AUTH, "--name", "Kommunen"], json_out=False)
    r1 = recipient_system(srv, AUTH, default=True)
    r2 = recipient_system(srv, AUTH)
    w = {"r1": r1, "r2": r2,
         "byg": point(srv, "Byggesager", r2, "--max-mb", "1", "--max-attachments", "2"),
         "firma": point(srv, "Kun virksomheder", r2, "--hidden-for", "citizen"),
         "lukket": point(srv, "Lukket", r2, "--inactive"),
         "sender": setup_org(srv, AUTH),
         "nosys": setup_org(srv, NOSYS)}
    for cpr in (CPR1, CPR2):
        mailbox(srv, cpr=cpr, name="Borger " + cpr)
    mailbox(srv, cvr=COMPANY, name="Firma A/S")
    w["tok"] = {k: bearer(user_token(srv, cpr=k)) for k in (CPR1, CPR2)}
    w["tok"][COMPANY] = bearer(user_token(srv, cvr=COMPANY))
    return w


@pytest.fixture(scope="module")
def world(server):
    return setup_world(server)


def test_citizen_writes_pulled_by_point_system_and_in_sent_folder(server, world):
    srv, w = server, world
    atts = [("bilag.pdf", "application/pdf", PDF), ("foto.png", "image/png", PNG)]
    r = write(srv, w["tok"][CPR1], w["byg"], label="Byggetilladelse, Æblevej 3",
              text="Jeg søger om tilladelse.\n", attachments=atts)
    assert r.status_code == 201, r.text
    out = r.json()
    uuid = out["messageUUID"]
    assert r.headers["Location"] == "/api/mailbox/messages/" + uuid
    assert out["folder"] == "sent" and out["contactPointId"] == w["byg"]
    assert out["recipient"] == {"id": AUTH, "label": "Kommunen"} and out["inReplyTo"] is None
    assert out["messageId"] == uuid and out["size"] > len(PDF) + len(PNG)

    # The contact point's system pulls it; the default system does not see it.
    root = pulled(srv, w["r2"], uuid)
    assert uuid not in page(srv, w["r1"], size=1000)["content"]
    h = "memo:MessageHeader/"
    assert root.get("memoVersion") == "1.2"
    assert text_of(root, h + "memo:messageUUID") == uuid
    assert text_of(root, h + "memo:label") == "Byggetilladelse, Æblevej 3"
    assert text_of(root, h + "memo:Sender/memo:senderID") == CPR1
    assert text_of(root, h + "memo:Sender/memo:idType") == "CPR"
    assert text_of(root, h + "memo:Sender/memo:label") == "Borger " + CPR1
    assert text_of(root, h + "memo:Recipient/memo:recipientID") == AUTH
    assert text_of(root, h + "memo:Recipient/memo:idType") == "CVR"
    assert text_of(root, h + "memo:Recipient/memo:ContactPoint/memo:contactPointID") == w["byg"]
    assert files_of(root) == [("brev.txt", "text/plain", "Jeg søger om tilladelse.\n".encode())] \
        + atts
    assert len(root.findall("memo:MessageBody/memo:AdditionalDocument", NS)) == 2

    # The writer's sent folder has it; no inbox shows it.
    sent = srv.get("/api/mailbox/messages", params={"folder": "sent"},
                   headers=w["tok"][CPR1]).json()["items"]
    assert sent[0]["messageUUID"] == uuid and sent[0]["folder"] == "sent"
    assert sent[0]["recipient"] == {"id": AUTH, "label": "Kommunen"}
    assert sent[0]["sender"]["id"] == CPR1 and sent[0]["read"] is True
    for params in ({}, {"folder": "inbox"}):
        items = srv.get("/api/mailbox/messages", params=params,
                        headers=w["tok"][CPR1]).json()["items"]
        assert uuid not in [x["messageUUID"] for x in items]
    assert srv.get("/api/mailbox/messages", params={"folder": "sent", "unread": "true"},
                   headers=w["tok"][CPR1]).json()["items"] == []
    d = srv.get("/api/mailbox/messages/" + uuid, headers=w["tok"][CPR1])
    assert d.status_code == 200, d.text
    d = d.json()
    assert d["folder"] == "sent" and d["sender"]["id"] == CPR1
    assert [doc["kind"] for doc in d["documents"]] == ["MAIN", "ADDITIONAL", "ADDITIONAL"]
    f = srv.get("/api/mailbox/messages/%s/files/2" % uuid, headers=w["tok"][CPR1])
    assert f.status_code == 200 and f.content == PNG
    # Nobody else sees it, and marking it read records nothing.
    assert_error_message(srv.get("/api/mailbox/messages/" + uuid, headers=w["tok"][CPR2]), 404)
    assert srv.post("/api/mailbox/messages/%s/read" % uuid,
                    headers=w["tok"][CPR1]).status_code == 204
    assert [e for e in events(srv, "MESSAGE_READ") if e[0] == uuid] == []

    # Stored as a user letter: no sender system, sender mailbox set; events with the user.
    row = db_one(srv, "SELECT sender_system, sender_cvr, sender_mailbox_id IS NOT NULL, "
                 "mailbox_id FROM letters WHERE message_uuid = ?", (uuid,))
    assert row == ("", "", 1, None)
    ev = db_one(srv, "SELECT actor, system_id, subject FROM events WHERE message_uuid = ? "
                "AND tag = 'MEMO_SEND_RECEIVED'", (uuid,))
    assert ev == ("cpr:" + CPR1, None, "cvr:" + AUTH)
    avail = [e for e in events(srv, "MEMO_AVAILABLE_TO_RECIPIENT") if e[0] == uuid]
    assert len(avail) == 1 and w["r2"]["system"] in avail[0][2]

    # The system's business receipt is recorded, without a sender-system receipt.
    r = srv.post("/apis/v1/memos/%s/receipt" % uuid, json={"receiptStatus": "COMPLETED"},
                 headers=w["r2"]["auth"])
    assert r.status_code == 200, r.text
    assert db_one(srv, "SELECT COUNT(*) FROM receipts WHERE message_uuid = ?", (uuid,))[0] == 0
    br = [e for e in events(srv, "BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM") if e[0] == uuid]
    assert len(br) == 1 and '"receiptId":null' in br[0][2]


def test_company_writes_and_visibility(server, world):
    srv, w = server, world
    before = n_letters(srv)
    # Hidden from citizens, inactive, unknown: 404 for a citizen, nothing stored.
    for pid in (w["firma"], w["lukket"], "00000000-0000-4000-8000-0000000000cb"):
        assert_error_message(write(srv, w["tok"][CPR1], pid), 404, "CONTACT_POINT_NOT_FOUND")
    assert_error_message(write(srv, w["tok"][COMPANY], w["lukket"]), 404,
                         "CONTACT_POINT_NOT_FOUND")
    assert n_letters(srv) == before
    # A company may write to the point that is hidden only from citizens.
    r = write(srv, w["tok"][COMPANY], w["firma"], label="Fra firmaet")
    assert r.status_code == 201, r.text
    uuid = r.json()["messageUUID"]
    root = pulled(srv, w["r2"], uuid)
    assert text_of(root, "memo:MessageHeader/memo:Sender/memo:senderID") == COMPANY
    assert text_of(root, "memo:MessageHeader/memo:Sender/memo:idType") == "CVR"
    assert db_one(srv, "SELECT sender_system, sender_cvr FROM letters WHERE message_uuid = ?",
                  (uuid,)) == ("", COMPANY)
    sent = srv.get("/api/mailbox/messages", params={"folder": "sent"},
                   headers=w["tok"][COMPANY]).json()["items"]
    assert [x["messageUUID"] for x in sent] == [uuid]


def test_contact_point_limits(server, world):
    srv, w = server, world
    tok = w["tok"][CPR2]
    before = n_letters(srv)
    small = [("a%d.pdf" % i, "application/pdf", PDF) for i in range(3)]
    body = assert_error_message(write(srv, tok, w["byg"], attachments=small), 400,
                                "CONTACT_POINT_ATTACHMENT_LIMIT")
    assert body["fieldErrors"][0]["code"] == "CONTACT_POINT_ATTACHMENT_LIMIT"
    # 1 MB = 1,000,000 bytes of decoded files, the text included.
    text = "x" * 100
    big = [("stor.pdf", "application/pdf", b"%PDF" + b"\x00" * (1000000 - 100 - 4 + 1))]
    assert_error_message(write(srv, tok, w["byg"], text=text, attachments=big), 413,
                         "CONTACT_POINT_SIZE_LIMIT")
    assert n_letters(srv) == before
    assert srv.get("/api/mailbox/messages", params={"folder": "sent"},
                   headers=tok).json()["items"] == []
    # Exactly at both limits is accepted.
    fits = [("stor.pdf", "application/pdf", b"%PDF" + b"\x00" * (1000000 - 100 - 4 - 10)),
            ("lille.txt", "text/plain", b"0123456789")]
    r = write(srv, tok, w["byg"], text=text, attachments=fits)
    assert r.status_code == 201, r.text
    root = pulled(srv, w["r2"], r.json()["messageUUID"])
    assert files_of(root)[1:] == fits
    assert n_letters(srv) == before + 1


def test_request_and_memo_validation(server, world):
    srv, w = server, world
    tok = w["tok"][CPR2]
    before = n_letters(srv)
    body = assert_error_message(
        srv.post("/api/mailbox/messages", headers=tok, json={
            "contactPointId": w["byg"], "label": "x", "text": "y",
            "attachments": [{"filename": "a.pdf", "content": "not base64!"}]}),
        400, "VALIDATION_FAILED")
    assert [(e["field"], e["code"]) for e in body["fieldErrors"]] == \
        [("attachments[0].content", "NGDP-BASE64")]
    # A forbidden file type is refused by the MeMo rules, with their codes.
    body = assert_error_message(
        write(srv, tok, w["byg"], attachments=[("virus.exe", "application/pdf", PDF)]), 400,
        "MEMO_VALIDATION_FAILED")
    assert "NGDP-FILE-EXECUTABLE" in [e["code"] for e in body["fieldErrors"]]
    body = assert_error_message(
        write(srv, tok, w["byg"], attachments=[("ok.pdf", "application/x-msdownload", PDF)]),
        400, "MEMO_VALIDATION_FAILED")
    assert "NGDP-FILE-MIME" in [e["code"] for e in body["fieldErrors"]]
    # Request shape: every problem listed.
    body = assert_error_message(
        srv.post("/api/mailbox/messages", headers=tok,
                 json={"label": "x" * 257, "text": "  ", "attachments": {}}),
        400, "VALIDATION_FAILED")
    assert sorted(e["field"] for e in body["fieldErrors"]) == ["contactPointId", "label", "text"]
    assert_error_message(srv.post("/api/mailbox/messages", headers=tok, data=b"[1,2"), 400,
                         "INVALID_JSON")
    assert_error_message(write(srv, {}, w["byg"]), 401)
    assert_error_message(write(srv, w["r2"]["auth"], w["byg"]), 401)  # a system token
    assert n_letters(srv) == before


def test_reply_routed_with_reply_data(server, world):
    srv, w = server, world
    tok = w["tok"][CPR1]
    # The letter names the authority's contact point: the reply goes to that point's system.
    orig = authority_letter(srv, w["sender"], CPR1, reply_by=utc_in(48), sender_point=w["byg"],
                            case_id="SAG-2024-17", label="Høring")
    r = reply(srv, tok, orig, attachments=[("svar.pdf", "application/pdf", PDF)])
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["inReplyTo"] == orig and out["label"] == "Re: Høring"
    assert out["contactPointId"] == w["byg"]
    root = pulled(srv, w["r2"], out["messageUUID"])
    h = "memo:MessageHeader/"
    assert text_of(root, h + "memo:label") == "Re: Høring"
    assert text_of(root, h + "memo:Sender/memo:senderID") == CPR1
    assert text_of(root, h + "memo:Recipient/memo:recipientID") == AUTH
    assert text_of(root, h + "memo:Recipient/memo:ContactPoint/memo:contactPointID") == w["byg"]
    rd = root.findall(h + "memo:ReplyData", NS)
    assert len(rd) == 2
    assert {c.tag.split("}")[1]: c.text for c in rd[0]} == {
        "messageID": "SAG-MSG-1", "messageUUID": orig, "replyUUID": out["messageUUID"],
        "senderID": AUTH, "recipientID": CPR1, "contactPointID": w["byg"]}
    assert {c.tag.split("}")[1]: c.text for c in rd[1]} == {"messageUUID": orig,
                                                            "caseID": "SAG-2024-17"}
    assert files_of(root)[1:] == [("svar.pdf", "application/pdf", PDF)]
    sent = srv.get("/api/mailbox/messages", params={"folder": "sent"}, headers=tok).json()
    assert sent["items"][0]["messageUUID"] == out["messageUUID"]
    # The point's limits apply to a reply through it.
    assert_error_message(reply(srv, tok, orig, attachments=[("a.pdf", "application/pdf", PDF)] * 3),
                         400, "CONTACT_POINT_ATTACHMENT_LIMIT")

    # Without a Sender/ContactPoint (and with a label): the default recipient system.
    orig2 = authority_letter(srv, w["sender"], CPR1)
    r = reply(srv, tok, orig2, label="Mit eget emne")
    assert r.status_code == 201, r.text
    out2 = r.json()
    assert out2["contactPointId"] is None and out2["label"] == "Mit eget emne"
    root = pulled(srv, w["r1"], out2["messageUUID"])
    assert root.find(h + "memo:Recipient/memo:ContactPoint", NS) is None
    assert text_of(root, h + "memo:ReplyData/memo:messageUUID") == orig2
    assert out2["messageUUID"] not in page(srv, w["r2"], size=1000)["content"]
    # A Sender/ContactPoint that is inactive: the default system too, without a ContactPoint.
    orig3 = authority_letter(srv, w["sender"], CPR1, sender_point=w["lukket"])
    r = reply(srv, tok, orig3)
    assert r.status_code == 201, r.text
    assert r.json()["contactPointId"] is None
    root = pulled(srv, w["r1"], r.json()["messageUUID"])
    assert root.find(h + "memo:Recipient/memo:ContactPoint", NS) is None
    assert text_of(root, h + "memo:ReplyData/memo:contactPointID") == w["lukket"]


def test_reply_to_a_letter_whose_sender_id_type_is_lower_case(server, world):
    """A letter whose Sender idType is "cvr" (sjkp/digitalpost's MemoBuilder writes it so) is
    accepted as the organisation's own since ca6058a; the citizen's reply to it reaches the
    organisation's recipient system like a reply to a letter with "CVR"."""
    srv, w = server, world
    tok = w["tok"][CPR1]
    for id_type in ("cvr", "Cvr"):
        orig = authority_letter(srv, w["sender"], CPR1, sender_id_type=id_type)
        r = reply(srv, tok, orig)
        assert r.status_code == 201, (id_type, r.text)
        root = pulled(srv, w["r1"], r.json()["messageUUID"])
        h = "memo:MessageHeader/"
        assert text_of(root, h + "memo:Recipient/memo:recipientID") == AUTH
        assert text_of(root, h + "memo:ReplyData/memo:messageUUID") == orig


def test_reply_refusals(server, world):
    srv, w = server, world
    before = n_letters(srv)
    no_reply = authority_letter(srv, w["sender"], CPR1, reply_flag=False)
    assert_error_message(reply(srv, w["tok"][CPR1], no_reply), 409, "REPLY_NOT_ALLOWED")
    # Someone else's letter, an unknown letter: 404.
    mine = authority_letter(srv, w["sender"], CPR1)
    assert_error_message(reply(srv, w["tok"][CPR2], mine), 404)
    assert_error_message(reply(srv, w["tok"][CPR1], "00000000-0000-4000-8000-0000000000cb"), 404)
    # A letter from an organisation with no recipient system cannot be answered.
    unreachable = authority_letter(srv, w["nosys"], CPR1)
    assert_error_message(reply(srv, w["tok"][CPR1], unreachable), 409, "NOT_REACHABLE")
    # One's own sent letter is not a letter one can reply to.
    r = write(srv, w["tok"][CPR1], w["byg"])
    assert r.status_code == 201
    assert_error_message(reply(srv, w["tok"][CPR1], r.json()["messageUUID"]), 409,
                         "REPLY_NOT_ALLOWED")
    assert n_letters(srv) == before + 4  # the three authority letters and the written one
    # The sent folder pages newest first with the cursor, like the inbox.
    whole = srv.get("/api/mailbox/messages", params={"folder": "sent"},
                    headers=w["tok"][CPR1]).json()
    assert len(whole["items"]) >= 3 and whole["nextCursor"] is None
    assert whole["items"][0]["messageUUID"] == r.json()["messageUUID"]
    paged, cursor = [], None
    while True:
        p = {"folder": "sent", "limit": 1}
        if cursor:
            p["cursor"] = cursor
        pg = srv.get("/api/mailbox/messages", params=p, headers=w["tok"][CPR1]).json()
        paged += pg["items"]
        cursor = pg["nextCursor"]
        if not cursor:
            break
    assert [x["messageUUID"] for x in paged] == [x["messageUUID"] for x in whole["items"]]
    assert [x["createdAt"] for x in paged] == sorted((x["createdAt"] for x in paged), reverse=True)


def test_reply_after_deadline_refused(make_server):
    srv = make_server(test_clock=True)
    w = setup_world(srv)
    orig = authority_letter(srv, w["sender"], CPR1, reply_by=utc_in(2))
    r = reply(srv, w["tok"][CPR1], orig)
    assert r.status_code == 201, r.text
    before = n_letters(srv)
    srv.advance_clock("3h")
    body = assert_error_message(reply(srv, w["tok"][CPR1], orig), 409, "REPLY_DEADLINE_PASSED")
    assert body["fieldErrors"][0]["field"] == "replyByDateTime"
    assert n_letters(srv) == before
    # A letter with reply=true and no deadline can still be answered.
    r = reply(srv, w["tok"][CPR1], authority_letter(srv, w["sender"], CPR1))
    assert r.status_code == 201, r.text
