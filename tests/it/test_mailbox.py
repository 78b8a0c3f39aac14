# SPDX-License-Identifier: MIT
"""Mailbox read API (docs/mailbox-api.md): list newest first with cursor paging and filters,
one letter with documents and actions, file download, mark read (+ MESSAGE_READ event),
isolation between owners (404, never 403) and bearer authentication. Letters arrive through
the real send API."""
import datetime
import time
import urllib.parse

import pytest

from kuvert_harness import assert_error_message
from readside_util import basic, bearer, mailbox, send_letter, setup_org, user_token

CPR1 = "0101701234"
CPR2 = "0202802345"
EXEMPT = "0303903456"
CVR = "29189978"

PDF = b"%PDF-1.4\n\x00\x01\x02\xff\xfe binary \x80\x81 data\n%%EOF\n"


@pytest.fixture(scope="module")
def world(server):
    srv = server
    for cpr in (CPR1, CPR2):
        mailbox(srv, cpr=cpr)
    mailbox(srv, cpr=EXEMPT, exempt=True)
    mailbox(srv, cvr=CVR)
    org = setup_org(srv, "12345674")
    toks = {k: bearer(user_token(srv, cpr=k)) for k in (CPR1, CPR2, EXEMPT)}
    toks[CVR] = bearer(user_token(srv, cvr=CVR))
    return srv, org, toks


def listing(srv, tok, **params):
    r = srv.get("/api/mailbox/messages", params=params, headers=tok)
    assert r.status_code == 200, r.text
    return r.json()


def all_items(srv, tok, **params):
    items, cursor = [], None
    while True:
        p = dict(params)
        if cursor:
            p["cursor"] = cursor
        page = listing(srv, tok, **p)
        items += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            return items


def test_list_newest_first_and_cursor_paging(world):
    srv, org, toks = world
    sent = [send_letter(srv, org, cvr=CVR, label="Virksomhedsbrev %d" % i)[0] for i in range(5)]
    page = listing(srv, toks[CVR])
    assert [x["messageUUID"] for x in page["items"]] == sent[::-1]
    assert page["nextCursor"] is None
    it = page["items"][0]
    assert it["label"] == "Virksomhedsbrev 4"
    assert it["sender"] == {"id": org["cvr"], "label": "Afsender " + org["cvr"]}
    assert it["read"] is False and it["readAt"] is None and it["folder"] == "inbox"
    assert it["createdAt"].endswith("Z") and it["availableAt"].endswith("Z")
    assert it["size"] > 0

    p1 = listing(srv, toks[CVR], limit=2)
    assert [x["messageUUID"] for x in p1["items"]] == sent[4:2:-1]
    assert p1["nextCursor"]
    # A letter arriving between pages does not disturb the pages already being read.
    newer = send_letter(srv, org, cvr=CVR, label="Nyere")[0]
    p2 = listing(srv, toks[CVR], limit=2, cursor=p1["nextCursor"])
    assert [x["messageUUID"] for x in p2["items"]] == sent[2:0:-1]
    p3 = listing(srv, toks[CVR], limit=2, cursor=p2["nextCursor"])
    assert [x["messageUUID"] for x in p3["items"]] == sent[0:1]
    assert p3["nextCursor"] is None
    assert [x["messageUUID"] for x in all_items(srv, toks[CVR], limit=1)] == [newer] + sent[::-1]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"},
                                    {"cursor": "nonsense"}, {"cursor": "g" * 32},
                                    {"unread": "maybe"}])
def test_list_bad_parameters(world, params):
    srv, _, toks = world
    r = srv.get("/api/mailbox/messages", params=params, headers=toks[CPR1])
    assert_error_message(r, 400)


def test_bearer_required(world):
    srv, org, toks = world
    assert_error_message(srv.get("/api/mailbox/messages"), 401)
    assert_error_message(srv.get("/api/mailbox/messages", headers=bearer("wrong-token")), 401)
    assert_error_message(srv.get("/api/mailbox/messages", headers={"Authorization": "Bearer"}),
                         401)
    # A system token is not a user token, in either header form.
    assert_error_message(srv.get("/api/mailbox/messages", headers=org["auth"]), 401)
    assert_error_message(srv.get("/api/mailbox/messages", headers=bearer(org["token"])), 401)
    uuid = send_letter(srv, org, cpr=CPR1)[0]
    for method, path in (("GET", ""), ("GET", "/files/0"), ("POST", "/read")):
        assert_error_message(srv.request(method, "/api/mailbox/messages/" + uuid + path), 401)
    assert_error_message(srv.get("/api/mailbox/messages/" + uuid, headers=basic(org["token"])),
                         401)


def test_one_message_documents_and_files(world):
    srv, org, toks = world
    main = [("brev.pdf", "application/pdf", PDF), ("noter.txt", "text/plain", "Hej æøå\n".encode())]
    attach = [[("bilag æ 1.csv", "text/csv", b"a;b\n1;2\n")]]
    uuid, _ = send_letter(srv, org, cpr=CPR1, label="Afgørelse", files=main, attachments=attach,
                          message_id="SAG-42")
    r = srv.get("/api/mailbox/messages/" + uuid.upper(), headers=toks[CPR1])
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["messageUUID"] == uuid and m["label"] == "Afgørelse" and m["messageId"] == "SAG-42"
    assert m["messageType"] == "DIGITALPOST" and m["memoVersion"] == "1.2"
    assert m["sender"]["id"] == org["cvr"] and m["sender"]["idType"] == "CVR"
    assert m["recipient"] == {"id": CPR1, "idType": "CPR", "label": None}
    assert m["read"] is False
    docs = m["documents"]
    assert [d["kind"] for d in docs] == ["MAIN", "ADDITIONAL"]
    assert docs[0]["label"] == "Hoveddokument" and docs[1]["label"] == "Bilag 1"
    files = [f for d in docs for f in d["files"]]
    assert [(f["index"], f["filename"], f["mimeType"], f["size"]) for f in files] == [
        (0, "brev.pdf", "application/pdf", len(PDF)),
        (1, "noter.txt", "text/plain", len(main[1][2])),
        (2, "bilag æ 1.csv", "text/csv", 8)]
    assert docs[0]["actions"] == [{
        "label": "Se din sag", "actionCode": "SELVBETJENING", "startDateTime": None,
        "endDateTime": None, "entryPoint": {"url": "https://example.dk/sag"},
        "reservation": None}]
    assert docs[1]["actions"] == []

    originals = [f[2] for f in main] + [attach[0][0][2]]
    for n, f in enumerate(files):
        r = srv.get("/api/mailbox/messages/%s/files/%d" % (uuid, n), headers=toks[CPR1])
        assert r.status_code == 200, r.text
        assert r.content == originals[n]
        assert r.headers["Content-Type"].split(";")[0] == f["mimeType"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        disp = r.headers["Content-Disposition"]
        assert disp.startswith("attachment;")
        star = disp.split("filename*=UTF-8''", 1)[1]
        assert urllib.parse.unquote(star) == f["filename"]
    for bad in ("3", "-1", "x", "99999999999"):
        r = srv.get("/api/mailbox/messages/%s/files/%s" % (uuid, bad), headers=toks[CPR1])
        assert_error_message(r, 404)


def test_read_marks_and_logs_once(world):
    srv, org, toks = world
    uuid, _ = send_letter(srv, org, cpr=CPR2, label="Læs mig")
    other, _ = send_letter(srv, org, cpr=CPR2, label="Ulæst")
    unread = [x["messageUUID"] for x in listing(srv, toks[CPR2], unread="true")["items"]]
    assert uuid in unread and other in unread

    for _ in range(2):
        r = srv.post("/api/mailbox/messages/%s/read" % uuid, headers=toks[CPR2])
        assert r.status_code == 204, r.text
    m = srv.get("/api/mailbox/messages/" + uuid, headers=toks[CPR2]).json()
    assert m["read"] is True and m["readAt"].endswith("Z")
    unread = [x["messageUUID"] for x in listing(srv, toks[CPR2], unread="true")["items"]]
    read = [x["messageUUID"] for x in listing(srv, toks[CPR2], unread="false")["items"]]
    assert uuid not in unread and other in unread
    assert read == [uuid]

    r = srv.get("/apis/v1/events/", params={"messageUUID": uuid, "eventTag": "MESSAGE_READ"},
                headers=org["auth"])
    assert r.status_code == 200, r.text
    ev = r.json()["events"]
    assert len(ev) == 1
    assert ev[0]["eventTag"] == "MESSAGE_READ" and ev[0]["messageUUID"] == uuid
    assert ev[0]["actor"] == "cpr:" + CPR2 and ev[0]["subject"] == "cpr:" + CPR2


def test_other_owner_gets_404(world):
    srv, org, toks = world
    uuid, _ = send_letter(srv, org, cpr=CPR1, label="Privat")
    for tok in (toks[CPR2], toks[CVR]):
        for method, path in (("GET", ""), ("GET", "/files/0"), ("POST", "/read")):
            r = srv.request(method, "/api/mailbox/messages/" + uuid + path, headers=tok)
            assert_error_message(r, 404)
        assert uuid not in [x["messageUUID"] for x in all_items(srv, tok)]
    # Same answer as for a letter that does not exist at all.
    r = srv.get("/api/mailbox/messages/00000000-0000-4000-8000-000000000000", headers=toks[CPR2])
    assert_error_message(r, 404)
    # The owner's read state is untouched by the attempts.
    assert srv.get("/api/mailbox/messages/" + uuid, headers=toks[CPR1]).json()["read"] is False


def test_print_and_refused_letters_are_not_shown(world):
    srv, org, toks = world
    printed, receipt = send_letter(srv, org, cpr=EXEMPT, label="Papirbrev")
    assert receipt["receiptStatus"] == "RECEIVED"
    assert listing(srv, toks[EXEMPT])["items"] == []
    assert_error_message(srv.get("/api/mailbox/messages/" + printed, headers=toks[EXEMPT]), 404)


def test_value_date_and_recall_visibility(make_server):
    srv = make_server(test_clock=True)
    mailbox(srv, cpr=CPR1)
    tok = bearer(user_token(srv, cpr=CPR1))
    org = setup_org(srv, "12345674")
    day = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).date()
    later, _ = send_letter(srv, org, cpr=CPR1, label="Senere", value_date=day.isoformat())
    recalled, _ = send_letter(srv, org, cpr=CPR1, label="Tilbagekaldt", value_date=day.isoformat())
    now, _ = send_letter(srv, org, cpr=CPR1, label="Nu")
    r = srv.post("/apis/v1/memos/%s/recall" % recalled, headers=org["auth"])
    assert r.status_code in (200, 204), r.text

    assert [x["messageUUID"] for x in listing(srv, tok)["items"]] == [now]
    assert_error_message(srv.get("/api/mailbox/messages/" + later, headers=tok), 404)

    srv.advance_clock("5d")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        uuids = [x["messageUUID"] for x in listing(srv, tok)["items"]]
        if later in uuids:
            break
        time.sleep(0.1)
    assert uuids == [later, now]  # newest first: published after "now" became available
    assert srv.get("/api/mailbox/messages/" + later, headers=tok).status_code == 200
    assert_error_message(srv.get("/api/mailbox/messages/" + recalled, headers=tok), 404)
