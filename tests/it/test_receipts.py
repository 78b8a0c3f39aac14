# SPDX-License-Identifier: MIT
"""Receipts back to sender systems (docs/receipts.md): the NgDP pull API (paging, get,
get+delete, delete, scoping to the caller) and push to a real local HTTP receiver with the
persisted retry schedule, driven by the test clock, across a crash and restart."""
import http.server
import json
import threading
import time

import pytest

from kuvert_harness import assert_error_message, metric, parse_metrics, wait_until
from readside_util import basic, mailbox, send_letter, setup_org

CPR = "0101701234"


class Receiver:
    """A local HTTP server that answers POSTs with scripted statuses (then 200 forever)."""

    def __init__(self, statuses=(), port=0, always=None):
        self.statuses = list(statuses)
        self.always = always
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.requests.append((self.path, dict(self.headers), body))
                    if outer.always is not None:
                        status = outer.always
                    else:
                        status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d/sender-system/receipt" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return len(self.requests)

    def bodies(self):
        with self.lock:
            return [json.loads(b) for _, _, b in self.requests]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()



def events_of(srv, org, uuid, tag=None):
    params = {"messageUUID": uuid, "size": 1000}
    if tag:
        params["eventTag"] = tag
    r = srv.get("/apis/v1/events/", params=params, headers=org["auth"])
    assert r.status_code == 200, r.text
    return r.json()["events"]


@pytest.fixture(scope="module")
def world(server):
    mailbox(server, cpr=CPR)
    return server


def test_pull_paging_oldest_first(world):
    srv = world
    org = setup_org(srv, "11111114")
    sent = [send_letter(srv, org, cpr=CPR, label="Brev %d" % i)[0] for i in range(5)]

    r = srv.get("/apis/v1/receipts/", headers=org["auth"])
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["number"] == 0 and page["size"] == 20
    assert page["totalElements"] == 5 and page["totalPages"] == 1
    assert page["previous"] is None and page["next"] is None
    # the list names receipts by id (GUID); receipts-bulk gives the same page whole
    bulk = srv.get("/apis/v1/receipts-bulk/", headers=org["auth"]).json()
    assert [x["id"] for x in bulk["receipts"]] == page["content"]
    assert [x["messageUUID"] for x in bulk["receipts"]] == sent
    for x in bulk["receipts"]:
        assert set(x) >= {"id", "transmissionId", "messageUUID", "messageId", "errorCode",
                          "errorMessage", "timeStamp", "receiptStatus"}
        assert x["receiptStatus"] == "RECEIVED"
        assert x["timeStamp"].endswith("Z")
    byid = {x["id"]: x["messageUUID"] for x in bulk["receipts"]}

    seen = []
    for p in range(3):
        r = srv.get("/apis/v1/receipts/", params={"page": p, "size": 2}, headers=org["auth"])
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["number"] == p and body["size"] == 2
        assert body["totalElements"] == 5 and body["totalPages"] == 3
        assert (body["previous"] is None) == (p == 0)
        assert (body["next"] is None) == (p == 2)
        if body["next"] is not None:
            assert body["next"]["page"] == p + 1 and body["next"]["size"] == 2
        seen += [byid[x] for x in body["content"]]
    assert seen == sent
    r = srv.get("/apis/v1/receipts/", params={"page": 3, "size": 2}, headers=org["auth"])
    assert r.status_code == 200 and r.json()["content"] == []


@pytest.mark.parametrize("params", [{"size": 0}, {"size": 1001}, {"page": -1}, {"page": "x"},
                                    {"size": "2.5"}])
def test_pull_bad_paging(world, params):
    org = setup_org(world, "11111114")
    r = world.get("/apis/v1/receipts/", params=params, headers=org["auth"])
    body = assert_error_message(r, 400)
    assert body["fieldErrors"][0]["field"] in params


def test_pull_requires_token(world):
    assert_error_message(world.get("/apis/v1/receipts/"), 401)
    assert_error_message(world.get("/apis/v1/receipts/", headers=basic("bm9wZTpub3Bl")), 401)
    assert_error_message(world.get("/apis/v1/receipts/1", headers=basic("garbage")), 401)
    assert_error_message(world.delete("/apis/v1/receipts/1"), 401)


def test_get_then_delete(world):
    srv = world
    org = setup_org(srv, "22222228")
    uuids = [send_letter(srv, org, cpr=CPR)[0] for _ in range(3)]
    items = srv.get("/apis/v1/receipts-bulk/", headers=org["auth"]).json()["receipts"]
    ids = [x["id"] for x in items]
    assert [x["messageUUID"] for x in items] == uuids

    r = srv.get("/apis/v1/receipts/%s" % ids[0], headers=org["auth"])
    assert r.status_code == 200 and r.json() == items[0]
    r = srv.get("/apis/v1/receipts/%s" % ids[0], params={"delete": "false"}, headers=org["auth"])
    assert r.status_code == 200 and r.json() == items[0]

    r = srv.get("/apis/v1/receipts/%s" % ids[0], params={"delete": "true"}, headers=org["auth"])
    assert r.status_code == 200 and r.json() == items[0]
    assert_error_message(srv.get("/apis/v1/receipts/%s" % ids[0], headers=org["auth"]), 404)

    r = srv.delete("/apis/v1/receipts/%s" % ids[1], headers=org["auth"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_error_message(srv.delete("/apis/v1/receipts/%s" % ids[1], headers=org["auth"]), 404)

    page = srv.get("/apis/v1/receipts/", headers=org["auth"]).json()
    assert page["totalElements"] == 1
    assert page["content"] == [ids[2]]
    assert_error_message(srv.get("/apis/v1/receipts/abc", headers=org["auth"]), 404)
    assert_error_message(srv.get("/apis/v1/receipts/999999", headers=org["auth"]), 404)
    assert_error_message(srv.get("/apis/v1/receipts/%s" % ids[2], params={"delete": "yes"},
                                 headers=org["auth"]), 400)


def test_other_systems_receipt_is_404(world):
    srv = world
    a = setup_org(srv, "33333331")
    b = setup_org(srv, "44444445")
    a2 = setup_org(srv, "33333331")  # a second system of the same organisation
    send_letter(srv, a, cpr=CPR)
    rid = srv.get("/apis/v1/receipts/", headers=a["auth"]).json()["content"][0]
    for other in (b, a2):
        assert_error_message(srv.get("/apis/v1/receipts/%s" % rid, headers=other["auth"]), 404)
        assert_error_message(srv.get("/apis/v1/receipts/%s" % rid, params={"delete": "true"},
                                     headers=other["auth"]), 404)
        assert_error_message(srv.delete("/apis/v1/receipts/%s" % rid, headers=other["auth"]),
                             404)
        assert srv.get("/apis/v1/receipts/", headers=other["auth"]).json()["totalElements"] == 0
    r = srv.get("/apis/v1/receipts/%s" % rid, headers=a["auth"])
    assert r.status_code == 200


def test_not_allowed_receipt_is_pulled(world):
    srv = world
    org = setup_org(srv, "55555559")
    uuid, receipt = send_letter(srv, org, cpr="0202802222")  # no mailbox
    assert receipt["receiptStatus"] == "NOT_ALLOWED"
    items = srv.get("/apis/v1/receipts-bulk/", headers=org["auth"]).json()["receipts"]
    assert len(items) == 1
    assert items[0]["messageUUID"] == uuid and items[0]["receiptStatus"] == "NOT_ALLOWED"
    assert items[0]["transmissionId"] == receipt["transmissionId"]
    assert items[0]["errorMessage"]


# ---- push ----

def test_push_retries_on_schedule(make_server):
    rcv = Receiver(statuses=[500, 503])
    try:
        srv = make_server(test_clock=True)
        mailbox(srv, cpr=CPR)
        org = setup_org(srv, "66666662", receipt_url=rcv.url)
        uuid, receipt = send_letter(srv, org, cpr=CPR)

        wait_until(lambda: rcv.count() >= 1, what="first push attempt")
        # The next attempt is due 10 s (hub clock) after the failure; without moving the
        # clock it does not come within a second of real time.
        time.sleep(1.0)
        assert rcv.count() == 1
        srv.advance_clock("11s")
        wait_until(lambda: rcv.count() >= 2, what="second attempt after 10 s")
        time.sleep(1.0)
        assert rcv.count() == 2  # the third is due 30 s later
        srv.advance_clock("31s")
        wait_until(lambda: events_of(srv, org, uuid, "TECHNICAL_RECEIPT_SENT_TO_SENDER_SYSTEM"),
                 what="receipt sent event")
        assert rcv.count() == 3
        bodies = rcv.bodies()
        pulled = srv.get("/apis/v1/receipts-bulk/", headers=org["auth"]).json()["receipts"]
        assert len(pulled) == 1
        for b in bodies:
            assert b == pulled[0]
        assert bodies[0]["messageUUID"] == uuid
        assert bodies[0]["transmissionId"] == receipt["transmissionId"]
        path, headers, _ = rcv.requests[0]
        assert path == "/sender-system/receipt"
        assert headers.get("Content-Type") == "application/json"
        ev = events_of(srv, org, uuid, "TECHNICAL_RECEIPT_SENT_TO_SENDER_SYSTEM")
        assert len(ev) == 1 and ev[0]["eventProperties"]["attempts"] == "3"
        samples, _ = parse_metrics(srv.get("/metrics").text)
        assert metric(samples, "kuvert_receipts_pushed_total") == 1
        assert metric(samples, "kuvert_receipt_push_failures_total") == 2
        # Done means done: no more pushes however far the clock moves.
        srv.advance_clock("2h")
        time.sleep(1.5)
        assert rcv.count() == 3
    finally:
        rcv.close()


def test_pending_push_survives_crash_and_restart(make_server):
    # Reserve a port, then close it: the receiver is down while the letter is sent.
    probe = Receiver()
    port = probe.port
    probe.close()
    srv = make_server(test_clock=True)
    mailbox(srv, cpr=CPR)
    org = setup_org(srv, "77777776", receipt_url="http://127.0.0.1:%d/r" % port)
    uuid, receipt = send_letter(srv, org, cpr=CPR)
    time.sleep(0.5)
    srv.kill9()

    rcv = Receiver(port=port)
    try:
        srv.start()
        srv.advance_clock("11s")  # covers the 10 s back-off if the first attempt failed
        wait_until(lambda: rcv.count() >= 1, what="push after restart")
        body = rcv.bodies()[0]
        assert body["messageUUID"] == uuid and body["transmissionId"] == receipt["transmissionId"]
        wait_until(lambda: events_of(srv, org, uuid, "TECHNICAL_RECEIPT_SENT_TO_SENDER_SYSTEM"),
                 what="receipt sent event")
    finally:
        rcv.close()


def test_push_gives_up_after_72_hours(make_server):
    rcv = Receiver(always=500)
    try:
        srv = make_server(test_clock=True)
        mailbox(srv, cpr=CPR)
        org = setup_org(srv, "99999993", receipt_url=rcv.url)
        uuid, _ = send_letter(srv, org, cpr=CPR)
        wait_until(lambda: rcv.count() >= 1, what="first push attempt")
        srv.advance_clock("71h")
        wait_until(lambda: rcv.count() >= 2, what="attempt before the deadline")
        assert not events_of(srv, org, uuid, "BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED")
        srv.advance_clock("2h")
        ev = wait_until(lambda: events_of(srv, org, uuid,
                                        "BUSINESS_RECEIPT_SEND_TO_SENDER_SYSTEM_FAILED"),
                      what="give-up event")
        assert len(ev) == 1
        assert ev[0]["eventProperties"]["httpStatus"] == "500"
        n = rcv.count()
        srv.advance_clock("5h")
        time.sleep(1.5)
        assert rcv.count() == n  # FAILED is final
        assert not events_of(srv, org, uuid, "TECHNICAL_RECEIPT_SENT_TO_SENDER_SYSTEM")
        # The receipt can still be pulled.
        assert srv.get("/apis/v1/receipts/", headers=org["auth"]).json()["totalElements"] == 1
    finally:
        rcv.close()
