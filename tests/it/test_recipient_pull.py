# SPDX-License-Identifier: MIT
"""REST pull for recipient systems (docs/recipient-side.md): GET /apis/v1/memos/ paging,
GET /apis/v1/memos/{id} (the MeMo XML as sent), POST /apis/v1/memos/{id}/receipt (reaching the
sender's GET /apis/v1/receipts/ and the event log), DELETE, and that a system never sees a
letter routed to another.

FIXTURE UNTIL ROUTING IS WIRED: letters are sent through the real send API, but the send
pipeline does not yet call kv_recipient_route (see docs/recipient-side.md, "What is left"), so
route() below inserts the recipient_queue rows with sqlite3 exactly as kv_recipient_route
would. Once letter_store.c routes letters to authorities, replace route() with sending to the
authority's CVR and drop the direct database access."""
import os
import sqlite3

import pytest

from kuvert_harness import assert_error_message
from readside_util import basic, letter_xml, mailbox, send_letter, setup_org

SENDER = "29189978"
AUTHORITY = "55133018"


def recipient_system(srv, cvr, default=False):
    args = ["system", "add", "--org", cvr, "--kind", "recipient", "--name", "Sag " + cvr,
            "--protocol", "pull"]
    if default:
        args.append("--default")
    out = srv.cli(args)
    return {"system": out["id"], "auth": basic(out["token"])}


def route(srv, uuid, system_id):
    """FIXTURE: queue a sent letter for a recipient system (what kv_recipient_route does)."""
    db = sqlite3.connect(os.path.join(srv.data_dir, "kuvert.db"), timeout=30)
    try:
        with db:
            n = db.execute("INSERT INTO recipient_queue (letter_id, system_id, state, created_ms)"
                           " SELECT id, ?, 'QUEUED', created_ms FROM letters"
                           " WHERE message_uuid = ?", (system_id, uuid)).rowcount
        assert n == 1
    finally:
        db.close()


def events(srv, tag):
    db = sqlite3.connect(os.path.join(srv.data_dir, "kuvert.db"), timeout=30)
    try:
        return db.execute("SELECT message_uuid, system_id, props FROM events WHERE tag = ?"
                          " ORDER BY seq", (tag,)).fetchall()
    finally:
        db.close()


@pytest.fixture(scope="module")
def env(server):
    sender = setup_org(server, SENDER)
    server.cli(["org", "add", "--cvr", AUTHORITY, "--name", "Kommunen"], json_out=False)
    # The authority also has a mailbox so the current send pipeline accepts letters to its CVR.
    mailbox(server, cvr=AUTHORITY)
    r1 = recipient_system(server, AUTHORITY, default=True)
    r2 = recipient_system(server, AUTHORITY)
    sent = {}
    for name, system, n in (("r1", r1, 5), ("r2", r2, 2)):
        sent[name] = []
        for i in range(n):
            uuid, xml = letter_xml(SENDER, AUTHORITY, "CVR", label="Til %s nr %d" % (name, i))
            r = server.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                            headers=dict(sender["auth"], **{"Content-Type": "application/xml"}))
            assert r.status_code == 201, r.text
            route(server, uuid, system["system"])
            sent[name].append((uuid, xml))
    return {"sender": sender, "r1": r1, "r2": r2, "sent": sent}


def page(srv, sys, **params):
    r = srv.get("/apis/v1/memos/", params=params, headers=sys["auth"])
    assert r.status_code == 200, r.text
    return r.json()


def test_paging(server, env):
    uuids = [u for u, _ in env["sent"]["r1"]]
    p = page(server, env["r1"], page=0, size=2)
    assert p["content"] == uuids[0:2]
    assert (p["number"], p["size"], p["totalElements"], p["totalPages"]) == (0, 2, 5, 3)
    assert p["previous"] is None and p["next"] == "/apis/v1/memos/?page=1&size=2"
    p = page(server, env["r1"], page=2, size=2)
    assert p["content"] == uuids[4:5] and p["next"] is None
    assert p["previous"] == "/apis/v1/memos/?page=1&size=2"
    assert page(server, env["r1"], page=3, size=2)["content"] == []
    p = page(server, env["r1"])
    assert p["content"] == uuids and p["size"] == 20 and p["totalPages"] == 1
    assert page(server, env["r2"])["content"] == [u for u, _ in env["sent"]["r2"]]
    assert_error_message(server.get("/apis/v1/memos/", params={"size": 0},
                                     headers=env["r1"]["auth"]), 400)
    assert_error_message(server.get("/apis/v1/memos/", params={"page": -1},
                                     headers=env["r1"]["auth"]), 400)
    assert_error_message(server.get("/apis/v1/memos/"), 401)
    # A sender system cannot pull; the send API on the same path still works by method.
    assert_error_message(server.get("/apis/v1/memos/", headers=env["sender"]["auth"]), 403)
    r = server.request("PUT", "/apis/v1/memos/", headers=env["r1"]["auth"])
    assert r.status_code == 405 and "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]


def test_get_xml_and_isolation(server, env):
    uuid, xml = env["sent"]["r1"][1]
    r = server.get("/apis/v1/memos/" + uuid, headers=env["r1"]["auth"])
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/xml")
    assert r.content == xml
    r = server.get("/apis/v1/memos/" + uuid.upper(), headers=env["r1"]["auth"])
    assert r.status_code == 200 and r.content == xml
    # The other system of the same organisation sees nothing of it, and vice versa.
    assert_error_message(server.get("/apis/v1/memos/" + uuid, headers=env["r2"]["auth"]), 404)
    other_uuid, _ = env["sent"]["r2"][0]
    assert_error_message(server.get("/apis/v1/memos/" + other_uuid, headers=env["r1"]["auth"]),
                         404)
    assert uuid not in page(server, env["r2"])["content"]
    assert_error_message(server.get("/apis/v1/memos/00000000-0000-4000-8000-000000000000",
                                    headers=env["r1"]["auth"]), 404)
    assert_error_message(server.get("/apis/v1/memos/" + uuid, headers=env["sender"]["auth"]), 403)


def receipts_of(server, sender, uuid):
    r = server.get("/apis/v1/receipts/", params={"size": 1000}, headers=sender["auth"])
    assert r.status_code == 200, r.text
    return [x for x in r.json()["content"] if x["messageUUID"] == uuid]


def test_business_receipt_reaches_sender(server, env):
    uuid, _ = env["sent"]["r1"][2]
    rpath = "/apis/v1/memos/%s/receipt" % uuid
    before = receipts_of(server, env["sender"], uuid)
    assert [x["receiptStatus"] for x in before] == ["RECEIVED"]
    # Not the other system's to answer.
    assert_error_message(server.post(rpath, json={"receiptStatus": "COMPLETED"},
                                     headers=env["r2"]["auth"]), 404)
    assert_error_message(server.post(rpath, json={"receiptStatus": "RECEIVED"},
                                     headers=env["r1"]["auth"]), 400, "INVALID_RECEIPT")
    assert_error_message(server.post(rpath, data=b"nope", headers=env["r1"]["auth"]), 400)
    assert_error_message(server.post(rpath, json={"receiptStatus": "INVALID", "errorCode": 7},
                                     headers=env["r1"]["auth"]), 400)
    r = server.post(rpath, json={"receiptStatus": "COMPLETED"}, headers=env["r1"]["auth"])
    assert r.status_code == 201, r.text
    after = receipts_of(server, env["sender"], uuid)
    assert [x["receiptStatus"] for x in after] == ["RECEIVED", "COMPLETED"]
    assert after[1]["transmissionId"] == before[0]["transmissionId"]
    assert after[1]["errorCode"] is None
    assert_error_message(server.post(rpath, json={"receiptStatus": "COMPLETED"},
                                     headers=env["r1"]["auth"]), 409)
    assert len(receipts_of(server, env["sender"], uuid)) == 2

    uuid2, _ = env["sent"]["r1"][3]
    r = server.post("/apis/v1/memos/%s/receipt" % uuid2,
                    json={"receiptStatus": "INVALID", "errorCode": "PARSE",
                          "errorMessage": "kunne ikke læse brevet"},
                    headers=env["r1"]["auth"])
    assert r.status_code == 201, r.text
    bad = receipts_of(server, env["sender"], uuid2)[-1]
    assert (bad["receiptStatus"], bad["errorCode"], bad["errorMessage"]) == \
        ("INVALID", "PARSE", "kunne ikke læse brevet")
    ev = [e for e in events(server, "BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM")
          if e[0] in (uuid, uuid2)]
    assert [(e[0], e[1]) for e in ev] == [(uuid, env["r1"]["system"]),
                                          (uuid2, env["r1"]["system"])]
    assert server.cli(["events", "verify"])["ok"] is True


def test_delete(server, env):
    uuid, _ = env["sent"]["r1"][4]
    path = "/apis/v1/memos/" + uuid
    assert_error_message(server.delete(path, headers=env["r2"]["auth"]), 404)
    r = server.delete(path, headers=env["r1"]["auth"])
    assert r.status_code == 204, r.text
    assert_error_message(server.get(path, headers=env["r1"]["auth"]), 404)
    assert_error_message(server.delete(path, headers=env["r1"]["auth"]), 404)
    assert_error_message(server.post(path + "/receipt", json={"receiptStatus": "COMPLETED"},
                                     headers=env["r1"]["auth"]), 404)
    p = page(server, env["r1"])
    assert uuid not in p["content"] and p["totalElements"] == 4
    # The sender's letter itself is untouched.
    assert receipts_of(server, env["sender"], uuid)[0]["receiptStatus"] == "RECEIVED"
