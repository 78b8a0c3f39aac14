# SPDX-License-Identifier: MIT
"""Crash test of durable acknowledgement: several clients send unique letters, the server is
killed with SIGKILL mid-burst and restarted on the same data directory. Every messageUUID that
got a 201 must be stored exactly once with everything that belongs to it (letter row, its three
events, its receipt), and nothing may half-exist: no letter without its events and receipt, no
event or receipt without its letter. The event hash chain must still verify.
"""
import threading
import time

import requests

from readside_util import mailbox, setup_org
from send_util import delegate_to_representative
from send_util import EXAMPLE_CPR, MIN_12, FULL_12, SENDER_CVR, letter, query

CLIENTS = 6


MAX_PER_CLIENT = 100000  # bound on one client's loop, far beyond any burst


def client(srv_url, auth, results, lock, idx):
    s = requests.Session()
    n = 0
    # Keep sending until a request fails: the kill -9 ends every client, also one that was
    # between two requests at that moment (a stop flag checked here raced with the kill).
    while n < MAX_PER_CLIENT:
        name = FULL_12 if (idx + n) % 4 == 0 else MIN_12
        uuid, body = letter(name, cpr=EXAMPLE_CPR, value_date="2020-01-01" if name == FULL_12
                            else "keep")
        n += 1
        h = dict(auth)
        h["Content-Type"] = "application/xml"
        try:
            r = s.post(srv_url + "/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=body,
                       headers=h, timeout=60)
            status = r.status_code
            rec = r.json() if status == 201 else None
        except (requests.ConnectionError, requests.Timeout, ValueError):
            status, rec = None, None
        with lock:
            results.append((uuid, body, status, rec))
        if status is None:
            return


def check_consistency(srv):
    letters = {r["message_uuid"]: r for r in query(srv, "SELECT message_uuid, state, "
                                                        "transmission_id FROM letters")}
    ev = {}
    for r in query(srv, "SELECT message_uuid, tag FROM events WHERE message_uuid IS NOT NULL "
                     "ORDER BY seq"):
        ev.setdefault(r["message_uuid"], []).append(r["tag"])
    rc = {}
    for r in query(srv, "SELECT message_uuid, transmission_id FROM receipts"):
        rc.setdefault(r["message_uuid"], []).append(r["transmission_id"])
    for uuid, row in letters.items():
        assert ev.get(uuid) == ["MEMO_SEND_RECEIVED", "MEMO_SEND_VALIDATED",
                                "MEMO_AVAILABLE_TO_RECIPIENT"], (uuid, ev.get(uuid))
        assert rc.get(uuid) == [row["transmission_id"]], (uuid, rc.get(uuid))
    assert set(ev) <= set(letters), "events of letters that do not exist"
    assert set(rc) <= set(letters), "receipts of letters that do not exist"
    return letters


def test_kill9_mid_burst_loses_nothing_acknowledged(make_server):
    srv = make_server()
    org = setup_org(srv, SENDER_CVR)
    mailbox(srv, cpr=EXAMPLE_CPR)
    delegate_to_representative(srv)  # Full 1.2 names its Representative
    lock, results = threading.Lock(), []
    threads = [threading.Thread(target=client, args=(srv.url, org["auth"], results, lock, i))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    # Let the burst get going, then crash the server while requests are in flight.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            ok = sum(1 for r in results if r[2] == 201)
        if ok >= 200:
            break
        time.sleep(0.01)
    srv.kill9()
    for t in threads:
        t.join(60)
    acked = [r for r in results if r[2] == 201]
    assert len(acked) >= 200, "the burst did not get going"
    assert sum(1 for r in results if r[2] is None) == CLIENTS, "every client saw the crash"
    assert all(r[2] in (201, None) for r in results), [r[2] for r in results if r[2] not in (201, None)]

    srv.start()
    letters = check_consistency(srv)
    for uuid, _, _, rec in acked:
        row = letters.get(uuid)
        assert row is not None, "acknowledged letter %s lost" % uuid
        assert row["transmission_id"] == rec["transmissionId"]
        assert row["state"] == "AVAILABLE"
    n = query(srv, "SELECT count(*) AS n, count(DISTINCT message_uuid) AS d FROM letters")[0]
    assert n["n"] == n["d"]

    # Clients retry what was not acknowledged: each is stored once (or answered as a replay).
    for uuid, body, status, _ in results:
        if status is None:
            h = dict(org["auth"])
            h["Content-Type"] = "application/xml"
            r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=body,
                         headers=h)
            assert r.status_code == 201, r.text
    letters = check_consistency(srv)
    assert len(letters) == len(results)
    out = srv.cli(["events", "verify"])
    assert out.get("ok", True) is not False, out
