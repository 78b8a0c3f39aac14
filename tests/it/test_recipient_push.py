# SPDX-License-Identifier: MIT
"""REST push to recipient systems (docs/recipient-side.md "REST push"), black-box: a real
`kuvert serve` with the test clock, letters sent through the real send API to an authority
whose default recipient system has protocol push, and a real HTTP receiver (receiver.py) that
accepts, fails or hangs. Checked: the multipart POST (part `file`, file name = messageUUID,
the bytes as sent), the events, the resend schedule (1 min, 5 min, 15 min, then hourly) driven
by the test clock, 503 / connection refused / timeout, no second delivery once accepted, value
date and recall, pull and deactivated systems not pushed to, restart and `kill -9` in a burst
losing nothing."""
import json
import os
import sqlite3
import time

import pytest

from kuvert_harness import run_cli, db_connect, wait_port_quiet
from readside_util import setup_org
from receiver import Receiver
from recipient_util import authority, letter_events, send_to, settle

SENDER = "29189978"
AUTH = "55133018"
AUTH2 = "12345674"
SENT = "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM"
FAILED = "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM_FAILED"


def serve(make_server, timeout="1s", parallel=None):
    args = ["--set", "recipient_push_timeout=" + timeout]
    if parallel:
        args += ["--set", "recipient_push_parallel=%d" % parallel]
    return make_server(test_clock=True, args=args)


def queue_row(srv, uuid):
    con = db_connect(srv.data_dir, readonly=True)
    try:
        return con.execute("SELECT q.state, q.attempts, q.last_error, q.fetched_ms FROM "
                           "recipient_queue q JOIN letters l ON l.id = q.letter_id "
                           "WHERE l.message_uuid = ?", (uuid,)).fetchone()
    finally:
        con.close()


def attempts_of(rx, uuid):
    return [a for a in rx.attempts if a["filename"] == uuid]


@pytest.fixture
def rx():
    with Receiver() as r:
        yield r


def test_delivery_multipart_bytes_and_events(make_server, rx):
    srv = serve(make_server)
    sender = setup_org(srv, SENDER)
    sys = authority(srv, AUTH, push_url=rx.url)
    sent = [send_to(srv, sender, AUTH, label="Ansøgning %d" % i) for i in range(3)]
    # A bigger letter with a binary attachment: bytes must arrive untouched.
    blob = bytes(range(256)) * 4096
    sent.append(send_to(srv, sender, AUTH, attachments=[[("bilag.pdf", "application/pdf",
                                                          blob)]]))
    assert rx.wait_for(lambda: len(rx.received) >= len(sent), timeout=60), rx.attempts
    settle(srv)  # the pass that pushed them has committed
    by_uuid = {r["filename"]: r for r in rx.received}
    assert set(by_uuid) == {u for u, _ in sent}
    for uuid, xml in sent:
        got = by_uuid[uuid]
        assert got["content_type"] == "application/xml"
        assert got["body"] == xml
        assert got["path"] == "/inbox"
        state, attempts, last_error, fetched = queue_row(srv, uuid)
        assert (state, attempts, last_error) == ("DELIVERED", 1, None) and fetched
        ev = letter_events(srv, sender, uuid, SENT)
        assert len(ev) == 1, ev
        # the recipient organisation's system appears by name only: its id is the non-secret
        # half of its token (issue 8)
        assert ev[0]["system"] == {"name": sys["name"]}
        assert ev[0]["eventProperties"]["recipientSystemName"] == sys["name"]
        assert sys["system"] not in json.dumps(ev)
        assert ev[0]["eventProperties"]["attempt"] == "1"
        assert letter_events(srv, sender, uuid, FAILED) == []
    # Delivered letters are never pushed again, however much time passes.
    srv.advance_clock("2h")
    settle(srv)
    assert len(rx.attempts) == len(sent)
    # The pull view agrees: a pushed letter counts as fetched (not in the queue any more).
    out = srv.cli(["system", "show", sys["system"]])
    assert out["queueLength"] == 0 and out["lastSuccessfulDelivery"] is not None, out
    # The push system answers with a business receipt like a pull system; it reaches the
    # sender.
    uuid = sent[0][0]
    r = srv.post("/apis/v1/memos/%s/receipt" % uuid, json={"receiptStatus": "COMPLETED"},
                 headers=sys["auth"])
    assert r.status_code == 200, r.text
    r = srv.get("/apis/v1/receipts-bulk/", params={"size": 1000}, headers=sender["auth"])
    assert r.status_code == 200, r.text
    assert [x["receiptStatus"] for x in r.json()["receipts"] if x.get("messageUUID") == uuid] == \
        ["RECEIVED", "COMPLETED"]
    assert srv.cli(["events", "verify"])["ok"] is True


def test_503_resend_schedule_then_delivered_once(make_server, rx):
    srv = serve(make_server)
    sender = setup_org(srv, SENDER)
    sys = authority(srv, AUTH, push_url=rx.url)
    rx.set_mode("fail", status=503)
    uuid, xml = send_to(srv, sender, AUTH)
    assert rx.wait_for(lambda: len(attempts_of(rx, uuid)) >= 1, timeout=60)
    settle(srv)
    assert len(attempts_of(rx, uuid)) == 1, "a failed letter is not retried at once"
    state, attempts, last_error, _ = queue_row(srv, uuid)
    assert (state, attempts) == ("QUEUED", 1) and "503" in last_error
    # The documented schedule: +1 min, +5 min, +15 min, then every hour (no giving up).
    n = 1
    for step_s in (60, 300, 900, 3600, 3600, 3600):
        srv.advance_clock("%dms" % (step_s * 1000 - 1500))
        settle(srv)
        assert len(attempts_of(rx, uuid)) == n, "retried before %d s" % step_s
        srv.advance_clock("1500ms")
        n += 1
        assert rx.wait_for(lambda: len(attempts_of(rx, uuid)) >= n, timeout=60), step_s
        settle(srv)
        assert len(attempts_of(rx, uuid)) == n
    failed = letter_events(srv, sender, uuid, FAILED)
    assert [e["eventProperties"]["attempt"] for e in failed] == [str(i) for i in range(1, n + 1)]
    for e in failed:
        assert e["eventProperties"]["recipientSystemName"] == sys["name"]
        assert "recipientSystemId" not in e["eventProperties"]
        assert "503" in e["eventProperties"]["error"]
    assert letter_events(srv, sender, uuid, SENT) == []
    # The receiver recovers: delivered at the next attempt, exactly once.
    rx.set_mode("accept")
    srv.advance_clock("1h")
    assert rx.wait_for(lambda: len(rx.received) >= 1, timeout=60)
    srv.advance_clock("3h")
    settle(srv)
    assert rx.uuids() == [uuid]
    assert rx.received[0]["body"] == xml
    assert len(attempts_of(rx, uuid)) == n + 1
    ok = letter_events(srv, sender, uuid, SENT)
    assert len(ok) == 1 and ok[0]["eventProperties"]["attempt"] == str(n + 1)
    assert queue_row(srv, uuid)[:2] == ("DELIVERED", n + 1)


def test_failing_system_is_not_hammered(make_server, rx):
    srv = serve(make_server, parallel=1)
    sender = setup_org(srv, SENDER)
    rx.set_mode("fail", status=500)
    # Queue several letters while the system is deactivated, so they are all due at once.
    sys = authority(srv, AUTH2, push_url=rx.url)
    srv.cli(["system", "deactivate", sys["system"]])
    uuids = [send_to(srv, sender, AUTH2)[0] for _ in range(5)]
    settle(srv)
    assert rx.attempts == []
    srv.cli(["system", "activate", sys["system"]])
    assert rx.wait_for(lambda: len(rx.attempts) >= 1, timeout=60)
    settle(srv)
    settle(srv)
    # One failure stops the system's other letters for this pass and until the backoff ends.
    assert len(rx.attempts) == 1, rx.attempts
    srv.advance_clock("61s")
    assert rx.wait_for(lambda: len(rx.attempts) >= 2, timeout=60)
    settle(srv)
    assert len(rx.attempts) == 2, "a failing system gets one probe at a time"
    # Once it accepts, the whole backlog goes at once.
    rx.set_mode("accept")
    srv.advance_clock("301s")
    assert rx.wait_for(lambda: len(rx.received) >= 5, timeout=60)
    assert sorted(rx.uuids()) == sorted(uuids)


def test_connection_refused_and_timeout(make_server):
    srv = serve(make_server, timeout="1s")
    sender = setup_org(srv, SENDER)
    # Connection refused: a port nobody listens on any more.
    gone = Receiver().start()
    url = gone.url
    gone.close()
    authority(srv, AUTH, push_url=url)
    u1, _ = send_to(srv, sender, AUTH)
    # Hang: the receiver holds the request; the hub gives up after recipient_push_timeout.
    with Receiver() as rx:
        rx.set_mode("hang")
        authority(srv, AUTH2, push_url=rx.url)
        u2, xml2 = send_to(srv, sender, AUTH2)
        assert rx.wait_for(lambda: len(attempts_of(rx, u2)) >= 1, timeout=60)
        deadline = time.monotonic() + 60
        while not letter_events(srv, sender, u2, FAILED) and time.monotonic() < deadline:
            time.sleep(0.1)
        ev = letter_events(srv, sender, u2, FAILED)
        assert len(ev) == 1, ev
        assert "timed out" in ev[0]["eventProperties"]["error"].lower() or \
            "timeout" in ev[0]["eventProperties"]["error"].lower()
        refused = letter_events(srv, sender, u1, FAILED)
        assert len(refused) == 1 and "connect" in refused[0]["eventProperties"]["error"].lower()
        # The receiver answers again: the retry after a minute delivers the letter.
        rx.set_mode("accept")
        srv.advance_clock("61s")
        assert rx.wait_for(lambda: len(rx.received) >= 1, timeout=60)
        settle(srv)
        assert rx.uuids() == [u2] and rx.received[0]["body"] == xml2
        assert [e["eventProperties"]["attempt"] for e in letter_events(srv, sender, u2, SENT)] \
            == ["2"]
        # The unreachable system was retried on the same schedule.
        assert len(letter_events(srv, sender, u1, FAILED)) == 2
        assert queue_row(srv, u1)[:2] == ("QUEUED", 2)
    # A redirect is not followed: a 3xx is a failed attempt like any other non-2xx.
    with Receiver() as rx3:
        rx3.set_mode("fail", status=302)
        authority(srv, "11223344", push_url=rx3.url)
        u3, _ = send_to(srv, sender, "11223344")
        assert rx3.wait_for(lambda: len(rx3.attempts) >= 1, timeout=60)
        settle(srv)
        ev = letter_events(srv, sender, u3, FAILED)
        assert len(ev) == 1 and ev[0]["eventProperties"]["httpStatus"] == "302", ev
        assert letter_events(srv, sender, u3, SENT) == [] and len(rx3.attempts) == 1


def value_date(srv, days):
    """The date `days` after the server's today (UTC date; days >= 2 keeps it in the future
    in Copenhagen too)."""
    import datetime
    now = srv.advance_clock("1ms")["now"]
    d = datetime.datetime.strptime(now[:10], "%Y-%m-%d").date() + datetime.timedelta(days=days)
    return d.isoformat()


def test_value_date_recall_pull_and_deactivated(make_server, rx):
    srv = serve(make_server)
    sender = setup_org(srv, SENDER)
    authority(srv, AUTH, push_url=rx.url)
    dated, dated_xml = send_to(srv, sender, AUTH, value_date=value_date(srv, 3))
    recalled, _ = send_to(srv, sender, AUTH, value_date=value_date(srv, 3))
    r = srv.post("/apis/v1/memos/%s/recall" % recalled, headers=sender["auth"])
    assert r.status_code == 200 and r.json()["state"] == "RECALLED", r.text
    # A pull system, even with a push URL on record, is never pushed to.
    pull = authority(srv, "11223344", protocol="pull", push_url=rx.url)
    pulled, _ = send_to(srv, sender, "11223344")
    # A deactivated push system keeps its queue untouched.
    off = authority(srv, AUTH2, push_url=rx.url)
    srv.cli(["system", "deactivate", off["system"]])
    waiting, waiting_xml = send_to(srv, sender, AUTH2)
    settle(srv)
    srv.advance_clock("1d")
    settle(srv)
    assert rx.attempts == []
    assert queue_row(srv, waiting)[:2] == ("QUEUED", 0)
    # Past the value date: the dated letter arrives, the recalled one never does.
    srv.advance_clock("3d")
    assert rx.wait_for(lambda: len(rx.received) >= 1, timeout=60)
    settle(srv)
    assert rx.uuids() == [dated] and rx.received[0]["body"] == dated_xml
    # Reactivated: the backlog is delivered.
    srv.cli(["system", "activate", off["system"]])
    assert rx.wait_for(lambda: len(rx.received) >= 2, timeout=60)
    srv.advance_clock("2h")
    settle(srv)
    assert rx.uuids() == [dated, waiting]
    assert rx.received[1]["body"] == waiting_xml
    assert recalled not in [a["filename"] for a in rx.attempts]
    assert pulled not in [a["filename"] for a in rx.attempts]
    # The pull system still has its letter to fetch.
    r = srv.get("/apis/v1/memos/", headers=pull["auth"])
    assert r.status_code == 200 and r.json()["content"] == [pulled]


def test_restart_resumes_pending_pushes(make_server, rx):
    srv = serve(make_server)
    sender = setup_org(srv, SENDER)
    authority(srv, AUTH, push_url=rx.url)
    rx.set_mode("fail", status=502)
    sent = [send_to(srv, sender, AUTH)[0] for _ in range(3)]
    assert rx.wait_for(lambda: len(rx.attempts) >= 1, timeout=60)
    settle(srv)
    srv.stop()
    rx.set_mode("accept")
    srv.start()
    # The retry state is in the database: after the first minute everything goes.
    srv.advance_clock("61s")
    assert rx.wait_for(lambda: len(rx.received) >= 3, timeout=60), rx.attempts
    srv.advance_clock("2h")
    settle(srv)
    assert sorted(rx.uuids()) == sorted(sent)


def test_kill9_during_burst_loses_nothing(make_server, rx):
    srv = serve(make_server, timeout="5s", parallel=4)
    sender = setup_org(srv, SENDER)
    sys = authority(srv, AUTH, push_url=rx.url)
    # A receiver that accepts slowly, so the burst is still running when the hub is killed.
    handler = rx.server.RequestHandlerClass
    fast_post = handler.do_POST

    def slow_post(self):
        time.sleep(0.05)
        fast_post(self)
    handler.do_POST = slow_post
    srv.cli(["system", "deactivate", sys["system"]])
    sent = [send_to(srv, sender, AUTH)[0] for _ in range(200)]
    srv.cli(["system", "activate", sys["system"]])
    # 20 of 200 in, then the kill: the other 180 take at least 180 x 50 ms / 4 = 2.25 s
    assert rx.wait_for(lambda: len(rx.received) >= 20, timeout=60)
    srv.kill9()
    # requests the hub had sent before it died are read and recorded (50 ms each, longer on a
    # loaded machine): once the receiver has closed every connection, none is left to come
    wait_port_quiet(rx.port)
    before = rx.uuids()
    con = db_connect(srv.data_dir)
    try:
        committed = {r[0] for r in con.execute(
            "SELECT l.message_uuid FROM recipient_queue q JOIN letters l ON l.id = q.letter_id "
            "WHERE q.state = 'DELIVERED'")}
    finally:
        con.close()
    assert len(before) < len(sent), "the kill should land inside the burst"
    assert committed <= set(before)
    handler.do_POST = fast_post
    srv.start()
    assert rx.wait_for(lambda: set(rx.uuids()) >= set(sent), timeout=60), \
        len(set(sent) - set(rx.uuids()))
    settle(srv)
    after = rx.uuids()[len(before):]
    # Nothing committed as delivered is pushed again; nothing is delivered twice after the
    # restart; duplicates are only letters whose first POST was not yet committed.
    assert not committed & set(after)
    assert len(after) == len(set(after))
    assert set(after) == set(sent) - committed
    assert run_cli(["events", "verify"], data=srv.data_dir)["ok"] is True


def test_receipt_posted_while_the_push_waits_is_a_delivery(make_server, rx):
    """Netcompany's reference recipient system (RecipientSystemMemoEndpointController) posts
    its business receipt to NgDP (POST memos/{file name}/receipt, waiting for the answer)
    while it handles the push, and only then answers 200. The receipt is accepted, and the
    push's 200 still counts as the delivery: one MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM, the
    system's last successful delivery, attempt 1; never pushed again. (Before, the receipt
    settled the queue row first and the push's outcome was dropped: no event, no delivery
    counted, no health success.)"""
    srv = serve(make_server, timeout="10s")
    sender = setup_org(srv, SENDER)
    sys = authority(srv, AUTH, push_url=rx.url)
    answers = {}

    def receipt(filename):
        body = {"transmissionId": "5d2b1a8e-6c11-4f7e-9a51-0c6f1e2d3b4a",
                "messageUUID": filename, "timeStamp": "2026-01-01T10:00:00.123Z",
                "receiptStatus": "COMPLETED"}
        r = srv.post("/apis/v1/memos/%s/receipt" % filename, data=json.dumps(body),
                     headers=dict(sys["auth"], **{"Content-Type":
                                                  "application/json; charset=utf-8"}),
                     timeout=30)
        answers[filename] = r.status_code

    rx.before_answer = receipt
    uuid, _ = send_to(srv, sender, AUTH)
    assert rx.wait_for(lambda: len(rx.received) >= 1, timeout=60), rx.attempts
    settle(srv)
    settle(srv)
    assert answers == {uuid: 200}
    state, attempts, last_error, fetched = queue_row(srv, uuid)
    assert (state, attempts, last_error) == ("DELIVERED", 1, None) and fetched
    ev = letter_events(srv, sender, uuid, SENT)
    assert len(ev) == 1, letter_events(srv, sender, uuid)
    assert ev[0]["eventProperties"]["attempt"] == "1"
    assert letter_events(srv, sender, uuid, FAILED) == []
    assert len(letter_events(srv, sender, uuid,
                             "BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM")) == 1
    out = srv.cli(["system", "show", sys["system"]])
    assert out["lastSuccessfulDelivery"] is not None and out["queueLength"] == 0, out
    r = srv.get("/apis/v1/receipts-bulk/", params={"size": 1000}, headers=sender["auth"])
    assert [x["receiptStatus"] for x in r.json()["receipts"]
            if x.get("messageUUID") == uuid] == ["RECEIVED", "COMPLETED"]
    srv.advance_clock("2h")
    settle(srv)
    assert len(rx.attempts) == 1
    assert len(letter_events(srv, sender, uuid, SENT)) == 1
    assert srv.cli(["events", "verify"])["ok"] is True
