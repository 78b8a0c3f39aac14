# SPDX-License-Identifier: MIT
"""Administrativ Adgang: the event log (issue 11 item 3, docs/administrativ-adgang.md) over
HTTP on `kuvert demo` data: only the organisation's events are found (its systems', its
letters'), the filters (period, CPR/CVR, event tag, message UUID) narrow the result, bad input
answers 400, every search is itself logged (EVENT_LOG_SEARCHES with the employee as actor,
CPR_LOOKED_UP with the person as subject, never the CPR in the search's properties), one
letter's events as a page, a CSV (BOM, ';') and an evidence page whose hash-chain verdict
turns when an event is edited in the database; only MESSAGE_LOG_ADMINISTRATOR gets in."""
import datetime
import json
import time

import pytest

from kuvert_harness import db_connect, pin_clock_to_noon, run_cli
from test_mailbox_web import Browser, csrf_of
from test_web import sign_in

BASE = "/administrativ-adgang/haendelseslog"
PETER = "peter.sagsbehandler@kommunen.dk"   # Kommunen 12345678: MESSAGE_LOG_ADMINISTRATOR
IDA = "ida.nyansat@kommunen.dk"             # no rights
JENS = "0101701234"                         # letters from Kommunen and from Demostyrelsen


def today(srv):
    """The server's date (Copenhagen) -- its clock is pinned near noon (pin_clock_to_noon), so
    the demo's events, the server's "now" and this date agree whenever the suite runs."""
    return srv.today().isoformat()


@pytest.fixture
def ev(make_server, tmp_path):
    d = str(tmp_path / "data")
    pinned = pin_clock_to_noon(d)
    demo = run_cli(["demo"], data=d)
    mine = [x for x in demo["letters"] if x["label"] == "Afgørelse om boligstøtte"][0]
    other = [x for x in demo["letters"] if x["label"] == "Årsopgørelse"][0]  # Demostyrelsen
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.today = pinned
    sign_in(srv, PETER)
    return srv, d, mine["messageUUID"], other["messageUUID"]


def q(d, sql, *args):
    db = db_connect(d)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def logged(d, tag):
    return q(d, "SELECT actor, subject, props FROM events WHERE tag = ? ORDER BY seq", tag)


def of_letter(d, uuid, fetch):
    """(the letter's events, fetch()) with no event of the letter added while fetch ran: the
    hub adds some in the background (a print job, a receipt, a notice) whenever it gets to
    them, so a count taken on one side of a request may miss one the page shows."""
    deadline = time.monotonic() + 60
    while True:
        n = q(d, "SELECT COUNT(*) FROM events WHERE message_uuid = ?", uuid)[0][0]
        r = fetch()
        if n == q(d, "SELECT COUNT(*) FROM events WHERE message_uuid = ?", uuid)[0][0] or \
                time.monotonic() > deadline:
            return n, r


def test_search_finds_only_the_organisations_events_and_is_logged(ev):
    srv, d, mine, other = ev
    assert srv.get(BASE).status_code == 200
    assert logged(d, "EVENT_LOG_SEARCHES") == []          # the empty form is no search
    t = today(srv)
    r = srv.get(BASE + "?from=%s&to=%s" % (t, t))
    assert r.status_code == 200
    assert mine in r.text and other not in r.text
    rows = logged(d, "EVENT_LOG_SEARCHES")
    assert len(rows) == 1
    actor, subject, props = rows[0]
    assert actor.startswith("employee:") and actor.endswith("@12345678")
    assert subject == "cvr:12345678"
    assert json.loads(props)["from"] == t
    # the search's own event is found by the next search
    r = srv.get(BASE + "?from=%s&to=%s&tag=EVENT_LOG_SEARCHES" % (t, t))
    assert r.status_code == 200 and r.text.count("EVENT_LOG_SEARCHES") >= 2


def test_cpr_search_is_a_logged_lookup(ev):
    srv, d, mine, other = ev
    t = today(srv)
    r = srv.get(BASE + "?from=%s&to=%s&party=%s" % (t, t, JENS))
    assert r.status_code == 200
    assert mine in r.text and other not in r.text          # Demostyrelsen's letter to Jens
    look = logged(d, "CPR_LOOKED_UP")
    assert len(look) == 1 and look[0][1] == "cpr:" + JENS and look[0][0].endswith("@12345678")
    props = logged(d, "EVENT_LOG_SEARCHES")[-1][2]
    assert JENS not in props and json.loads(props)["party"] == "CPR"
    # a CPR with no events of Kommunen finds nothing (but is still a look-up)
    r = srv.get(BASE + "?from=%s&to=%s&party=3112991234" % (t, t))
    assert r.status_code == 200 and mine not in r.text
    assert len(logged(d, "CPR_LOOKED_UP")) == 2


def test_filters_narrow(ev):
    srv, d, mine, _ = ev
    t = today(srv)
    r = srv.get(BASE + "?from=%s&to=%s&tag=MEMO_SEND_RECEIVED" % (t, t))
    assert r.status_code == 200 and mine in r.text
    assert "MEMO_AVAILABLE_TO_RECIPIENT" not in r.text.split("<tbody>")[1]
    n, r = of_letter(d, mine, lambda: srv.get(BASE + "?from=%s&to=%s&q=%s"
                                               % (t, t, mine.upper())))
    body = r.text.split("<tbody>")[1]
    assert body.count("<tr>") == n
    y = (datetime.date.fromisoformat(t) - datetime.timedelta(days=3)).isoformat()
    r = srv.get(BASE + "?from=%s&to=%s" % (y, y))
    assert r.status_code == 200 and mine not in r.text


@pytest.mark.parametrize("bad", [
    "party=123", "party=01017012345", "tag=NOT_A_TAG", "q=not-a-uuid", "from=2026-02-30",
    "from=2024-01-01&to=2026-01-01", "from=2026-03-01&to=2026-02-01", "page=-1", "page=x",
    "system=00000000-0000-4000-8000-000000000000", "party=%3Cscript%3E"])
def test_bad_input_is_400(ev, bad):
    srv, d, _, _ = ev
    before = len(logged(d, "EVENT_LOG_SEARCHES"))
    r = srv.get(BASE + "?" + bad + ("" if "from=" in bad else "&from=" + today(srv)))
    assert r.status_code == 400, bad
    assert "<script>" not in r.text
    assert len(logged(d, "EVENT_LOG_SEARCHES")) == before   # refused, not run


@pytest.mark.parametrize("bad,field,kept", [
    ("party=12345", "ev-party", "12345"),
    ("party=%3Cscript%3E", "ev-party", "&lt;script&gt;"),
    ("q=not-a-uuid", "ev-q", "not-a-uuid"),
    ("from=2026-02-30", "ev-from", "2026-02-30"),
    ("from=2026-03-10&to=2026-03-01", "ev-to", "2026-03-01"),
    ("tag=NOT_A_TAG", "ev-tag", None)])
def test_bad_input_is_shown_at_its_field_and_kept(ev, bad, field, kept):
    """A refused search marks the field (DKFDS form-error, aria-invalid, the message next to it
    and describing it), the error summary links to it, and what was written stays in the form
    (escaped), as in the portals' other forms."""
    srv, _, _, _ = ev
    r = srv.get(BASE + "?" + bad + ("" if "from=" in bad else "&from=" + today(srv)))
    assert r.status_code == 400
    html = r.text
    assert 'href="#%s"' % field in html.split('id="ev-errors"')[1].split("</div>")[0]
    tag = html.split('id="%s"' % field)[1].split(">")[0]
    assert 'aria-invalid="true"' in tag
    assert "%s-error" % field in tag.split('aria-describedby="')[1].split('"')[0]
    assert 'id="%s-error"' % field in html
    if kept is not None:
        assert 'value="%s"' % kept in tag
    assert "<script>" not in html
    assert html.count('aria-invalid="true"') == 1      # only the refused field


def test_letter_events_csv_and_evidence(ev):
    srv, d, mine, other = ev
    n, r = of_letter(d, mine, lambda: srv.get(BASE + "/brev/" + mine))
    assert r.status_code == 200 and r.text.split("<tbody>")[1].count("<tr>") == n
    assert srv.get(BASE + "/brev/" + other).status_code == 404
    assert srv.get(BASE + "/brev/" + other + "/csv").status_code == 404
    assert srv.get(BASE + "/brev/" + other + "/bevis").status_code == 404
    assert srv.get(BASE + "/brev/nope/bevis").status_code == 404
    n, c = of_letter(d, mine, lambda: srv.get(BASE + "/brev/" + mine + "/csv"))
    assert c.status_code == 200 and c.headers["Content-Type"].startswith("text/csv")
    assert c.content.startswith(b"\xef\xbb\xbf")
    lines = c.content[3:].decode().rstrip("\r\n").split("\r\n")
    assert lines[0] == ("seq;eventId;eventTime;eventTag;kuvertTag;messageUUID;systemId;"
                        "systemName;actor;subject;eventProperties;prevHash;hash")
    assert len(lines) == n + 1
    e = srv.get(BASE + "/brev/" + mine + "/bevis?lang=en")
    assert e.status_code == 200
    assert "The hash chain verifies over these events." in e.text
    assert srv.get(BASE + "/brev/" + mine + "/bevis").text.count("alert-success") == 1
    views = [json.loads(p).get("view") for (_, _, p) in logged(d, "EVENT_LOG_SEARCHES")]
    assert {"letter", "csv", "evidence"} <= set(views)
    # edit one of the letter's events behind the hub's back: the verdict turns
    seq = q(d, "SELECT seq FROM events WHERE message_uuid = ? ORDER BY seq LIMIT 1", mine)[0][0]
    db = db_connect(d)
    try:
        db.execute("UPDATE events SET actor = 'someone-else' WHERE seq = ?", (seq,))
        db.commit()
    finally:
        db.close()
    e = srv.get(BASE + "/brev/" + mine + "/bevis?lang=en")
    assert e.status_code == 200
    assert "does NOT verify" in e.text and "event %d" % seq in e.text


def test_only_message_log_administrator(ev):
    srv, _, mine, _ = ev
    sign_in(srv, IDA)
    for path in ("", "?from=" + today(srv), "/brev/" + mine, "/brev/" + mine + "/csv",
                 "/brev/" + mine + "/bevis"):
        assert srv.get(BASE + path).status_code == 403, path


def test_other_organisations_system_by_name_only(ev):
    srv, d, _, _ = ev
    # the region's letter to Kommunen went to Kommunen's recipient system
    run_cli(["user", "grant", "--org", "55667788", "--right", "MESSAGE_LOG_ADMINISTRATOR",
             "--email", "rasmus.region@regioneksempel.dk"], data=d)
    sign_in(srv, "rasmus.region@regioneksempel.dk")
    uuid, rsys = q(d, "SELECT l.message_uuid, r.system_id FROM letters l JOIN recipient_queue r"
                      " ON r.letter_id = l.id WHERE l.sender_cvr = '55667788'")[0]
    name = q(d, "SELECT name FROM systems WHERE id = ?", rsys)[0][0]
    for path in ("/brev/" + uuid, "/brev/" + uuid + "/csv", "/brev/" + uuid + "/bevis"):
        r = srv.get(BASE + path)
        assert r.status_code == 200, path
        text = r.content.decode("utf-8")
        assert rsys not in text, path
        assert name in text, path
    t = today(srv)
    r = srv.get(BASE + "?from=%s&to=%s" % (t, t))
    assert uuid in r.text and rsys not in r.text


def test_a_citizens_forward_is_not_in_the_senders_log(ev):
    """What the recipient does with a letter (forwards and to whom, moves, deletes) is its own:
    the sending organisation's log administrator finds none of it, in a search or on the
    letter's page, CSV and evidence page, whose chain check still covers every event of the
    letter. MESSAGE_READ, the sender's evidence, stays (as in the events API)."""
    srv, d, mine, _ = ev
    jens = Browser(srv, JENS)
    assert jens.get("/post/brev/" + mine).status_code == 200          # read
    page = jens.get("/post/brev/%s/videresend" % mine)
    data = {"csrf": csrf_of(page.text), "til": "email", "email": "bror.jensen@example.dk"}
    assert jens.post("/post/brev/%s/videresend" % mine, data).status_code == 303
    stored = [t for (t,) in q(d, "SELECT tag FROM events WHERE message_uuid = ?", mine)]
    assert "MESSAGE_FORWARDED_TO_EMAIL" in stored and "MESSAGE_READ" in stored, stored
    assert any("bror.jensen@example.dk" in (p or "") for (p,) in
               q(d, "SELECT props FROM events WHERE message_uuid = ?", mine))
    t = today(srv)
    for path in ("?from=%s&to=%s" % (t, t), "?from=%s&to=%s&q=%s" % (t, t, mine),
                 "/brev/" + mine, "/brev/" + mine + "/csv", "/brev/" + mine + "/bevis?lang=en"):
        r = srv.get(BASE + path)
        assert r.status_code == 200, path
        text = r.content.decode("utf-8")
        assert "bror.jensen@example.dk" not in text, path
        if path.startswith("/brev/"):  # (the search form lists every tag as a filter)
            assert "FORWARDED" not in text, path
    csv = srv.get(BASE + "/brev/" + mine + "/csv").content.decode("utf-8")
    assert "MESSAGE_READ" in csv
    e = srv.get(BASE + "/brev/" + mine + "/bevis?lang=en").text
    assert "The hash chain verifies over these events." in e
