# SPDX-License-Identifier: MIT
"""Automatic deactivation of recipient systems with warning e-mails (issue 4 §5,
docs/recipient-side.md "Deactivation and warning e-mails"), black-box: a real server with
--test-clock and --smtp pointing at a real SMTP server (aiosmtpd, smtp_sink.py), push systems
pointing at a real HTTP receiver (receiver.py), letters sent through POST /apis/v1/memos/.

  push:  6 days 23 hours of failure -> still active, the warnings after 1, 3 and 6 days
         received; 7 days -> deactivated (`kuvert system show --json`, admin API, event,
         metrics) and the deactivation mail received; `kuvert system activate` -> the whole
         backlog delivered, every letter accepted exactly once.
  reset: one success on day 5 -> still active on day 8, no deactivation mail.
  pull:  letters waiting, never fetched for 7 days -> deactivated (fetching refused); fetching
         on day 5 -> still active on day 8; reactivation through the admin API -> it can fetch
         its backlog again.
The test clock lives in the server process, so each scenario runs on one server without
restarting it.
"""
import os
import re
import sqlite3
import time

import pytest

from kuvert_harness import KuvertServer, parse_metrics, db_connect, wait_until as wait
from readside_util import basic, setup_org
from receiver import Receiver
from smtp_sink import SmtpSink
from test_recipient_pull import SENDER, send

ADMIN = "admin-token-deactivation-tests"
ADMIN_H = {"Authorization": "Bearer " + ADMIN}
PUSH_ORG = "55133018"
PULL_ORG = "66554433"
PULL_ORG2 = "77665544"


@pytest.fixture
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


@pytest.fixture
def rx():
    r = Receiver().start()
    r.set_mode("fail", status=503)
    yield r
    r.close()


@pytest.fixture
def hub(tmp_path, sink):
    srv = KuvertServer(tmp_path / "data", test_clock=True, args=["--smtp", sink.url],
                       env={"KUVERT_ADMIN_TOKEN": ADMIN,
                            "KUVERT_SMTP_FROM": "kuvert@hub.example"}).start()
    yield srv
    srv.stop()


def recipient(srv, cvr, protocol, email, push_url=None):
    srv.cli(["org", "add", "--cvr", cvr, "--name", "Myndighed " + cvr], json_out=False)
    args = ["system", "add", "--org", cvr, "--kind", "recipient", "--name", "Sag " + cvr,
            "--protocol", protocol, "--default", "--contact-email", email]
    if push_url:
        args += ["--push-url", push_url]
    out = srv.cli(args)
    return {"system": out["id"], "auth": basic(out["token"]), "email": email}


def show(srv, system):
    return srv.cli(["system", "show", system["system"]])



def mails_to(sink, addr):
    return [m for m in sink.snapshot() if m["to"] == [addr]]


def wait_mails(sink, addr, n, timeout=60):
    sink.wait_for(lambda ms: len([m for m in ms if m["to"] == [addr]]) >= n, timeout)
    got = mails_to(sink, addr)
    assert len(got) == n, [m["subject"] for m in got]
    return got


def events(srv, tag, system):
    db = db_connect(srv.data_dir)
    try:
        return [r[0] for r in db.execute("SELECT props FROM events WHERE tag = ? AND"
                                         " system_id = ? ORDER BY seq", (tag, system))]
    finally:
        db.close()


def check_mail(m, system, kind):
    """Headers and text of a warning ("warning") or deactivation ("deactivated") mail."""
    h = m["headers"]
    assert m["from"] == "kuvert@hub.example"
    assert h["From"] == "kuvert@hub.example" and h["To"] == m["to"][0]
    assert h["Date"] and re.match(r"^<kuvert-mail-\d+\.\d+@hub\.example>$", h["Message-ID"])
    assert h.get_content_type() == "text/plain" and h.get_content_charset() == "utf-8"
    assert system["system"] in m["body"]
    if kind == "warning":
        assert "has not received post for" in m["subject"]
    else:
        assert "has been deactivated" in m["subject"]
        assert "kuvert system activate " + system["system"] in m["body"]


def test_push_deactivation_and_reactivation(hub, sink, rx):
    sender = setup_org(hub, SENDER)
    sys_ = recipient(hub, PUSH_ORG, "push", "drift@kommunen.dk", push_url=rx.url)
    sent = [send(hub, sender, PUSH_ORG, label="Brev %d" % i)[0] for i in range(3)]
    # The pusher tries, the receiver fails: the failure period starts.
    wait(lambda: show(hub, sys_)["failingSince"], what="the first failed push")
    s = show(hub, sys_)
    assert s["status"] == "active" and s["queueLength"] == 3
    assert s["lastSuccessfulDelivery"] is None and "503" in s["lastError"]

    hub.advance_clock("1h")
    time.sleep(1.5)  # a scheduler pass or two: nothing is due yet
    assert mails_to(sink, sys_["email"]) == []

    hub.advance_clock("23h")  # 1 day
    m = wait_mails(sink, sys_["email"], 1)
    check_mail(m[0], sys_, "warning")
    assert "1 day" in m[0]["subject"]
    hub.advance_clock("2d")  # 3 days
    m = wait_mails(sink, sys_["email"], 2)
    assert "3 days" in m[1]["subject"]
    hub.advance_clock("3d23h")  # 6 days 23 hours
    m = wait_mails(sink, sys_["email"], 3)
    assert "6 days" in m[2]["subject"]
    time.sleep(1.5)
    s = show(hub, sys_)
    assert s["status"] == "active" and s["warningsSent"] == 3 and s["deactivatedAt"] is None
    assert len(mails_to(sink, sys_["email"])) == 3

    hub.advance_clock("1h")  # 7 days
    m = wait_mails(sink, sys_["email"], 4)
    check_mail(m[3], sys_, "deactivated")
    s = show(hub, sys_)
    assert s["status"] == "deactivated" and s["deactivatedAt"] and s["queueLength"] == 3
    r = hub.get("/admin/v1/systems/" + sys_["system"], headers=ADMIN_H)
    assert r.status_code == 200 and r.json()["status"] == "deactivated"
    assert r.json()["queueLength"] == 3 and r.json()["failingSince"]
    ev = events(hub, "SYSTEM_DEACTIVATED", sys_["system"])
    assert len(ev) == 1 and '"reason":"automatic"' in ev[0]
    samples, _ = parse_metrics(hub.get("/metrics").text)
    assert samples[("kuvert_recipient_systems_deactivated", frozenset())] == 1

    # While deactivated: new letters wait, nothing is pushed.
    sent.append(send(hub, sender, PUSH_ORG, label="Brev i pausen")[0])
    attempts = len(rx.attempts)
    hub.advance_clock("2h")
    time.sleep(1.5)
    assert len(rx.attempts) == attempts
    assert show(hub, sys_)["queueLength"] == 4

    # Reactivation by the CLI: the whole backlog is delivered, each letter accepted once.
    rx.set_mode("accept")
    out = hub.cli(["system", "activate", sys_["system"]])
    assert out["status"] == "active" and out["backlog"] == 4 and out["failingSince"] is None
    assert rx.wait_for(lambda: len(rx.received) >= 4, timeout=60), rx.attempts
    time.sleep(1.5)
    assert sorted(rx.uuids()) == sorted(sent)  # nothing lost, nothing twice
    failed = [a["filename"] for a in rx.attempts if a["mode"] == "fail"]
    assert set(failed) <= set(sent)
    s = wait(lambda: (lambda x: x if x["queueLength"] == 0 else None)(show(hub, sys_)),
             what="the backlog to drain")
    assert s["status"] == "active" and s["lastSuccessfulDelivery"] and s["warningsSent"] == 0
    assert len(events(hub, "SYSTEM_ACTIVATED", sys_["system"])) == 1
    assert len(mails_to(sink, sys_["email"])) == 4  # no further mail


def test_success_resets_and_pull_systems(hub, sink, rx):
    sender = setup_org(hub, SENDER)
    push = recipient(hub, PUSH_ORG, "push", "push@kommunen.dk", push_url=rx.url)
    idle = recipient(hub, PULL_ORG, "pull", "idle@region.dk")      # never fetches
    busy = recipient(hub, PULL_ORG2, "pull", "busy@styrelse.dk")   # fetches on day 5
    push_sent = [send(hub, sender, PUSH_ORG)[0] for _ in range(2)]
    idle_uuid = send(hub, sender, PULL_ORG)[0]
    busy_uuid = send(hub, sender, PULL_ORG2)[0]
    wait(lambda: show(hub, push)["failingSince"], what="the first failed push")

    hub.advance_clock("5d")  # 5 days: warnings after 1 and 3 days for all three
    for s in (push, idle, busy):
        wait_mails(sink, s["email"], 2)
    # Day 5: the push receiver accepts again, the busy pull system fetches its letter.
    rx.set_mode("accept")
    hub.advance_clock("1h")  # the letters' next attempt is due
    assert rx.wait_for(lambda: len(rx.received) >= 2, timeout=60), rx.attempts
    r = hub.get("/apis/v1/memos/", headers=busy["auth"])
    assert r.status_code == 200 and r.json()["content"] == [busy_uuid]
    assert hub.get("/apis/v1/memos/" + busy_uuid, headers=busy["auth"]).status_code == 200
    s = wait(lambda: (lambda x: x if x["lastSuccessfulDelivery"] else None)(show(hub, push)),
             what="the push success")
    assert s["failingSince"] is None and s["warningsSent"] == 0
    s = wait(lambda: (lambda x: x if x["lastFetch"] else None)(show(hub, busy)),
             what="the pull fetch")
    assert s["failingSince"] is None and s["lastSuccessfulDelivery"]

    hub.advance_clock("2d23h")  # day 8
    # The idle pull system has had its letter waiting unfetched for 7 days: deactivated.
    m = wait_mails(sink, idle["email"], 4)
    check_mail(m[3], idle, "deactivated")
    assert ["1 day" in m[0]["subject"], "3 days" in m[1]["subject"],
            "6 days" in m[2]["subject"]] == [True, True, True]
    s = show(hub, idle)
    assert s["status"] == "deactivated" and s["queueLength"] == 1
    r = hub.get("/apis/v1/memos/", headers=idle["auth"])
    assert r.status_code == 401 and "deactivated" in r.text
    # The two that received something on day 5 stay active, with no further mail.
    time.sleep(1.5)
    for sys_ in (push, busy):
        s = show(hub, sys_)
        assert s["status"] == "active" and s["deactivatedAt"] is None, s
        assert len(mails_to(sink, sys_["email"])) == 2
    assert sorted(rx.uuids()) == sorted(push_sent)

    # Reactivation through the admin API (the server's clock): the idle system gets a fresh
    # 7 days and can fetch its backlog.
    r = hub.post("/admin/v1/systems/%s/activate" % idle["system"], headers=ADMIN_H)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and r.json()["backlog"] == 1
    time.sleep(1.5)
    assert show(hub, idle)["status"] == "active"
    r = hub.get("/apis/v1/memos/", headers=idle["auth"])
    assert r.status_code == 200 and r.json()["content"] == [idle_uuid]
    assert hub.get("/apis/v1/memos/" + idle_uuid, headers=idle["auth"]).status_code == 200
    assert show(hub, idle)["queueLength"] == 0
    r = hub.post("/admin/v1/systems/%s/deactivate" % idle["system"], headers=ADMIN_H)
    assert r.status_code == 200 and r.json()["status"] == "deactivated"
    r = hub.post("/admin/v1/systems/00000000-0000-4000-8000-000000000000/activate",
                 headers=ADMIN_H)
    assert r.status_code == 404
    assert len(mails_to(sink, idle["email"])) == 4  # deactivation by hand sends no mail


def test_no_smtp_keeps_mails_pending(tmp_path, rx):
    """Without an SMTP server the mails wait in the outbox (one warning in the log)."""
    srv = KuvertServer(tmp_path / "data", test_clock=True).start()
    try:
        sender = setup_org(srv, SENDER)
        sys_ = recipient(srv, PUSH_ORG, "push", "drift@kommunen.dk", push_url=rx.url)
        send(srv, sender, PUSH_ORG)
        wait(lambda: show(srv, sys_)["failingSince"], what="the first failed push")
        srv.advance_clock("7d")
        wait(lambda: show(srv, sys_)["status"] == "deactivated", what="deactivation")
        wait(lambda: "no SMTP server is configured" in srv.log(), what="the warning")
        samples, _ = parse_metrics(srv.get("/metrics").text)
        assert samples[("kuvert_mail_outbox_pending", frozenset())] == 4
        assert srv.log().count("no SMTP server is configured") == 1
    finally:
        srv.stop()


def outbox(srv):
    db = db_connect(srv.data_dir)
    try:
        return db.execute("SELECT kind, state, attempts, last_error FROM mail_outbox"
                          " ORDER BY id").fetchall()
    finally:
        db.close()


def test_smtp_refusal_is_retried(hub, sink, rx):
    """A mail the SMTP server refuses (451) stays PENDING with the error and goes out on the
    retry a minute later, once."""
    sender = setup_org(hub, SENDER)
    sys_ = recipient(hub, PUSH_ORG, "push", "drift@kommunen.dk", push_url=rx.url)
    send(hub, sender, PUSH_ORG)
    wait(lambda: show(hub, sys_)["failingSince"], what="the first failed push")
    sink.set_refuse(True)
    hub.advance_clock("1d")
    sink.wait_for(lambda ms: sink.refused >= 1, timeout=60)
    row = wait(lambda: (lambda o: o if o and o[0][2] == 1 else None)(outbox(hub)),
               what="the failed attempt recorded")[0]
    assert row[0] == "SYSTEM_WARNING" and row[1] == "PENDING" and "451" in (row[3] or ""), row
    sink.set_refuse(False)
    time.sleep(1.5)
    assert mails_to(sink, sys_["email"]) == []  # not before the retry delay
    hub.advance_clock("1m")
    m = wait_mails(sink, sys_["email"], 1)
    check_mail(m[0], sys_, "warning")
    row = wait(lambda: (lambda o: o if o[0][1] == "SENT" else None)(outbox(hub)),
               what="the mail marked SENT")[0]
    assert row[2] == 2 and sink.refused == 1
