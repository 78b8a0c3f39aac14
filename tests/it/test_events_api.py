# SPDX-License-Identifier: MIT
"""Events API GET /apis/v1/events/ (docs/events-api.md): scope (own system's events; a
letter's events for the sending or receiving organisation only), filters (dates inclusive
from / exclusive to, tag, messageUUID), paging (page/size and afterSeq) and parameter errors."""
import datetime
import zoneinfo

import pytest

from kuvert_harness import assert_error_message
from readside_util import bearer, mailbox, send_letter, setup_org, user_token

CPR = "0101701234"
CVR_RECIPIENT = "29189978"


@pytest.fixture(scope="module")
def world(server):
    srv = server
    mailbox(srv, cpr=CPR)
    mailbox(srv, cvr=CVR_RECIPIENT)
    a1 = setup_org(srv, "12345674")
    a2 = setup_org(srv, "12345674")
    b1 = setup_org(srv, "11111114")
    c1 = setup_org(srv, CVR_RECIPIENT, kind="recipient")
    tok = bearer(user_token(srv, cpr=CPR))
    l1, _ = send_letter(srv, a1, cpr=CPR, label="Et")
    l2, _ = send_letter(srv, a1, cvr=CVR_RECIPIENT, label="To")
    lb, _ = send_letter(srv, b1, cpr=CPR, label="B's")
    r = srv.post("/api/mailbox/messages/%s/read" % l1, headers=tok)
    assert r.status_code == 204, r.text
    return srv, {"a1": a1, "a2": a2, "b1": b1, "c1": c1}, {"l1": l1, "l2": l2, "lb": lb}


def events(srv, org, **params):
    r = srv.get("/apis/v1/events/", params=params, headers=org["auth"])
    assert r.status_code == 200, r.text
    return r.json()


def test_letter_events_for_sender_org(world):
    srv, s, l = world
    page = events(srv, s["a1"], messageUUID=l["l1"], size=1000)
    ev = page["events"]
    assert ev and page["totalElements"] == len(ev)
    assert all(e["messageUUID"] == l["l1"] for e in ev)
    seqs = [e["seq"] for e in ev]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    tags = [e["eventTag"] for e in ev]
    assert "MESSAGE_READ" in tags
    for e in ev:
        assert set(e) >= {"eventId", "seq", "eventTime", "eventTag", "messageUUID", "hash"}
        assert e["eventTime"].endswith("Z")
    # Another system of the same organisation sees the same; upper-case uuid works too.
    assert events(srv, s["a2"], messageUUID=l["l1"].upper(), size=1000)["events"] == ev


def test_other_org_sees_nothing_of_a_letter(world):
    srv, s, l = world
    page = events(srv, s["b1"], messageUUID=l["l1"])
    assert page["events"] == [] and page["totalElements"] == 0
    page = events(srv, s["a1"], messageUUID=l["lb"])
    assert page["events"] == []
    page = events(srv, s["a1"], messageUUID="00000000-0000-4000-8000-000000000000")
    assert page["events"] == []


def test_receiving_org_sees_its_letter(world):
    srv, s, l = world
    ev = events(srv, s["c1"], messageUUID=l["l2"], size=1000)["events"]
    assert ev and all(e["messageUUID"] == l["l2"] for e in ev)
    assert events(srv, s["c1"], messageUUID=l["l1"])["events"] == []


def test_without_uuid_only_own_system(world):
    srv, s, l = world
    mine = events(srv, s["a1"], size=1000)["events"]
    assert mine and all(e["system"]["id"] == s["a1"]["system"] for e in mine)
    uuids = {e.get("messageUUID") for e in mine}
    assert {l["l1"], l["l2"]} <= uuids and l["lb"] not in uuids
    theirs = events(srv, s["b1"], size=1000)["events"]
    assert all(e["system"]["id"] == s["b1"]["system"] for e in theirs)
    # b1's letters are exactly lb (its own administrative events carry no messageUUID)
    assert {e.get("messageUUID") for e in theirs} - {None} == {l["lb"]}


def test_tag_filter(world):
    srv, s, l = world
    ev = events(srv, s["a1"], eventTag="MESSAGE_READ", size=1000)["events"]
    assert [e["messageUUID"] for e in ev] == [l["l1"]]
    assert events(srv, s["a1"], eventTag="NO_SUCH_TAG")["events"] == []


def test_paging_and_after_seq(world):
    srv, s, _ = world
    full = events(srv, s["a1"], size=1000)
    allev = full["events"]
    n = len(allev)
    assert n >= 3 and full["totalElements"] == n and full["totalPages"] == 1
    got = []
    for p in range(n):
        page = events(srv, s["a1"], page=p, size=1)
        assert page["currentPage"] == p and page["totalElements"] == n
        assert page["totalPages"] == n and page["elementsOnPage"] == 1
        assert ("next" in page) == (p < n - 1)
        if "next" in page:  # the next page's relative URL, filters and snapshot kept
            assert page["next"] == "/apis/v1/events/?page=%d&size=1&untilSeq=%d" % (
                p + 1, allev[-1]["seq"])
        got += page["events"]
    assert got == allev
    assert events(srv, s["a1"], page=n, size=1)["events"] == []
    after = events(srv, s["a1"], afterSeq=allev[0]["seq"], size=1000)["events"]
    assert after == allev[1:]


def _copenhagen_local(t):
    """An eventTime ("…Z", milliseconds) as Danish wall-clock time without a zone."""
    utc = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    local = utc.astimezone(zoneinfo.ZoneInfo("Europe/Copenhagen"))
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (local.microsecond // 1000)


def test_date_filters(world):
    srv, s, _ = world
    allev = events(srv, s["a1"], size=1000)["events"]
    t = allev[1]["eventTime"]
    from_t = events(srv, s["a1"], dateFrom=t, size=1000)["events"]
    assert from_t and from_t[0]["eventTime"] >= t and all(e["eventTime"] >= t for e in from_t)
    assert allev[1] in from_t
    to_t = events(srv, s["a1"], dateTo=t, size=1000)["events"]
    assert all(e["eventTime"] < t for e in to_t) and allev[1] not in to_t
    assert len(from_t) + len(to_t) == len(allev)
    # Whole days (Europe/Copenhagen), with a day of margin each side.
    # Copenhagen's date, taken after the events were made: theirs is today or earlier
    # whatever the machine's time zone (date.today() is the machine's, up to a day off)
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Copenhagen")).date()
    day = datetime.timedelta(days=1)
    ev = events(srv, s["a1"], dateFrom=(today - day).isoformat(), dateTo=(today + day).isoformat(),
                size=1000)["events"]
    assert ev == allev
    assert events(srv, s["a1"], dateTo="2000-01-01")["events"] == []
    assert events(srv, s["a1"], dateFrom=(today + 2 * day).isoformat())["events"] == []
    # Offsets are honoured: the same instant written in +02:00.
    assert events(srv, s["a1"], dateFrom="2000-01-01T02:00:00+02:00", size=1000)["events"] == allev
    # A time without a zone (what .NET NSwag clients send) is Europe/Copenhagen local time:
    # the same split as with the UTC instant, written as Danish wall-clock time.
    t_local = _copenhagen_local(t)
    assert events(srv, s["a1"], dateFrom=t_local, size=1000)["events"] == from_t
    assert events(srv, s["a1"], dateTo=t_local, size=1000)["events"] == to_t
    assert events(srv, s["a1"], dateFrom="2000-01-01T00:00:00", dateTo="2999-12-31T23:59:59",
                  size=1000)["events"] == allev
    # .NET's round-trip format (7 fraction digits), and a '+' the client left unencoded.
    assert events(srv, s["a1"], dateFrom="2000-01-01T00:00:00.0000000",
                  size=1000)["events"] == allev
    r = srv.get("/apis/v1/events/?size=1000&dateFrom=2000-01-01T02:00:00+02:00",
                headers=s["a1"]["auth"])
    assert r.status_code == 200 and r.json()["events"] == allev


@pytest.mark.parametrize("params", [
    {"dateFrom": "yesterday"}, {"dateFrom": "2025-13-01"}, {"dateTo": "2025-02-30"},
    {"dateFrom": "2025-01-01T10:00:00+0100"}, {"dateFrom": "2025-05-02", "dateTo": "2025-05-01"},
    {"dateFrom": "2025-01-01T10:00:00", "dateTo": "2025-01-01T09:00:00Z"},
    {"eventTag": "message_read"}, {"messageUUID": "1234"}, {"size": 0}, {"size": 1001},
    {"page": -1}, {"afterSeq": "x"}])
def test_bad_parameters(world, params):
    srv, s, _ = world
    body = assert_error_message(srv.get("/apis/v1/events/", params=params, headers=s["a1"]["auth"]),
                                400)
    assert body["fieldErrors"][0]["field"] in params


def test_requires_system_token(world):
    srv, _, _ = world
    assert_error_message(srv.get("/apis/v1/events/"), 401)
    tok = bearer(user_token(srv, cpr=CPR))
    assert_error_message(srv.get("/apis/v1/events/", headers=tok), 401)
