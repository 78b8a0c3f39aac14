# SPDX-License-Identifier: MIT
"""GET /apis/v1/events/ as the C# client generated from NgDP's OpenAPI 1.68 calls and reads it
(sjkp/digitalpost DigitalPostClient.cs, QueryEventsAsync): parameters dateFrom,
senderOrRecipientSystem, senderOrRecipient, dateTo, eventTag, page, size (and "ownerOrActor "
with its trailing space), any, sortFields; declared statuses 200 (EventLogSearchResult), 401, 403.
The page is read from "events"; an EventLog's system is an object {id, name, user},
eventProperties a string -> string dictionary and eventTag one of the client's
EventLogEventTag values. A sender's view names other organisations' systems by name only
(issue 8: a recipient system's id is the non-secret half of its token)."""
import json

import pytest

from kuvert_harness import run_cli
from ngdp_models import assert_model, enum_values
from readside_util import letter_xml, mailbox, setup_org

CPR_A = "0101701234"
CPR_B = "0202802345"
UNKNOWN_CPR = "0303903456"
SENDER = "12345674"
OTHER = "11111114"
AUTHORITY = "55133018"
TAGS = set(enum_values("EventLogEventTag"))


def send(srv, org, rid, rtype="CPR", label="Brev"):
    uuid, xml = letter_xml(org["cvr"], rid, rtype, label=label)
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                 headers=dict(org["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    return uuid, r.json()


@pytest.fixture(scope="module")
def world(server):
    srv = server
    mailbox(srv, cpr=CPR_A)
    mailbox(srv, cpr=CPR_B)
    a1 = setup_org(srv, SENDER)
    a2 = setup_org(srv, SENDER)
    b1 = setup_org(srv, OTHER)
    srv.cli(["org", "add", "--cvr", AUTHORITY, "--name", "Myndigheden"], json_out=False,
            check=False)
    out = srv.cli(["system", "add", "--org", AUTHORITY, "--kind", "recipient", "--name",
                   "Sagssystem 55", "--protocol", "pull", "--default"])
    rcp = {"cvr": AUTHORITY, "system": out["id"], "token": out["token"],
           "auth": {"Authorization": "Basic " + out["token"]}}
    la, _ = send(srv, a1, CPR_A, label="Til A")
    lb, _ = send(srv, a1, CPR_B, label="Til B")
    l2, _ = send(srv, a2, CPR_A, label="Fra a2")
    refused, receipt = send(srv, a1, UNKNOWN_CPR, label="Ingen postkasse")
    assert receipt["receiptStatus"] == "NOT_ALLOWED"
    lr, _ = send(srv, a1, AUTHORITY, rtype="CVR", label="Til myndigheden")
    # the recipient system fetches the letter and answers with a business receipt
    r = srv.get("/apis/v1/memos/" + lr, headers=rcp["auth"])
    assert r.status_code == 200, r.text
    r = srv.post("/apis/v1/memos/%s/receipt" % lr, json={"receiptStatus": "COMPLETED"},
                 headers=rcp["auth"])
    assert r.status_code in (200, 201), r.text
    return srv, {"a1": a1, "a2": a2, "b1": b1, "rcp": rcp}, \
        {"la": la, "lb": lb, "l2": l2, "refused": refused, "lr": lr}


def query(srv, org, query_string="", status=200):
    r = srv.get("/apis/v1/events/?" + query_string, headers=org["auth"])
    assert r.status_code == status, r.text
    if status != 200:
        return assert_model(r.json(), "ErrorMessage", required=["code", "message"])
    page = assert_model(r.json(), "EventLogSearchResult",
                        required=["events", "currentPage", "totalPages", "elementsOnPage",
                                  "totalElements"])
    assert page["elementsOnPage"] == len(page["events"])
    for e in page["events"]:
        assert_model(e, "EventLog", required=["id", "eventId", "version", "eventTime",
                                              "eventTag", "eventProperties"])
        assert e["eventTag"] in TAGS
        assert all(isinstance(v, str) for v in e["eventProperties"].values())
    return page


def test_own_events_have_the_client_shape(world):
    srv, s, l = world
    page = query(srv, s["a1"], "size=1000")
    ev = page["events"]
    assert ev and page["totalElements"] == len(ev) and "content" not in page
    for e in ev:
        assert e["system"] == {"id": s["a1"]["system"], "name": "System of " + SENDER}
        assert e["id"] == e["eventId"]
    uuids = {e["eventProperties"].get("messageUUID") for e in ev}
    assert {l["la"], l["lb"], l["refused"], l["lr"]} <= uuids and l["l2"] not in uuids


def test_kuvert_tags_are_mapped_and_kept_in_properties(world):
    srv, s, l = world
    ev = query(srv, s["a1"], "size=1000")["events"]
    created = [e for e in ev if e["eventProperties"].get("kuvertTag") == "SYSTEM_CREATED"]
    assert len(created) == 1 and created[0]["eventTag"] == "SYSTEM_CHANGED"
    refused = [e for e in ev if e["eventProperties"].get("messageUUID") == l["refused"]
               and e["eventProperties"].get("kuvertTag") == "MEMO_SEND_NOT_ALLOWED"]
    assert len(refused) == 1 and refused[0]["eventTag"] == "MEMO_SEND_VALIDATION_FAILED"
    # filtering by the NgDP tag finds the mapped events, by the kuvert tag exactly those
    changed = query(srv, s["a1"], "eventTag=SYSTEM_CHANGED")["events"]
    assert created[0] in changed
    assert query(srv, s["a1"], "eventTag=SYSTEM_CREATED")["events"] == created
    failed = query(srv, s["a1"], "eventTag=MEMO_SEND_VALIDATION_FAILED&size=1000")["events"]
    assert refused[0] in failed
    assert query(srv, s["a1"], "eventTag=UNKNOWN")["events"] == []


def test_sender_or_recipient(world):
    srv, s, l = world
    for q in ("senderOrRecipient=" + CPR_B, "senderOrRecipient=020280-2345",
              "senderOrRecipient=cpr:" + CPR_B):
        ev = query(srv, s["a1"], q + "&size=1000")["events"]
        assert ev and {e["eventProperties"].get("messageUUID") for e in ev} == {l["lb"]}, q
    ev = query(srv, s["a1"], "senderOrRecipient=%s&size=1000" % CPR_A)["events"]
    assert {e["eventProperties"].get("messageUUID") for e in ev} == {l["la"]}, \
        "only the caller's own events (a2's letter to the same citizen is not a1's)"
    assert query(srv, s["a1"], "senderOrRecipient=" + UNKNOWN_CPR + "&size=1000")["events"]
    for bad in ("123", "abcdefghij", "cvr:" + CPR_A, "01017012345"):
        query(srv, s["a1"], "senderOrRecipient=" + bad, status=400)


def test_sender_or_recipient_system(world):
    srv, s, l = world
    ev = query(srv, s["a1"], "senderOrRecipientSystem=%s&size=1000" % s["a2"]["system"])["events"]
    assert ev and all(e["system"]["id"] == s["a2"]["system"] for e in ev)
    assert l["l2"] in {e["eventProperties"].get("messageUUID") for e in ev}
    # upper case is the same system
    assert query(srv, s["a1"], "senderOrRecipientSystem=%s&size=1000"
                 % s["a2"]["system"].upper())["events"] == ev
    # another organisation's system: nothing, as for an unknown one
    for other in (s["b1"]["system"], s["rcp"]["system"], "00000000-0000-4000-8000-000000000000"):
        page = query(srv, s["a1"], "senderOrRecipientSystem=" + other)
        assert page["events"] == [] and page["totalElements"] == 0
    query(srv, s["a1"], "senderOrRecipientSystem=nope", status=400)


def test_recipient_system_is_named_not_identified(world):
    """The sender reads the events of its letter to the authority: the recipient system's
    fetch/receipt events name it, but its id (the non-secret half of its token) appears
    nowhere; the recipient organisation itself sees its own system's id."""
    srv, s, l = world
    ev = query(srv, s["a1"], "messageUUID=%s&size=1000" % l["lr"])["events"]
    text = json.dumps(ev)
    assert s["rcp"]["system"] not in text
    foreign = [e for e in ev if e.get("system", {}).get("name") == "Sagssystem 55"]
    assert foreign, ev
    for e in foreign:
        assert e["system"] == {"name": "Sagssystem 55"}
    receipt = [e for e in ev if e["eventTag"] == "BUSINESS_RECEIPT_RECEIVED_BY_RECIPIENT_SYSTEM"]
    assert receipt and receipt[0]["actor"] == "Sagssystem 55"
    own = query(srv, s["rcp"], "messageUUID=%s&size=1000" % l["lr"])["events"]
    assert s["rcp"]["system"] in json.dumps(own)
    # and the recipient sees the sender's system by name only
    assert s["a1"]["system"] not in json.dumps(own)


def test_paging_with_next(world):
    srv, s, _ = world
    allev = query(srv, s["a1"], "size=1000&senderOrRecipient=" + CPR_A)["events"]
    assert len(allev) >= 2
    got, url, pages = [], "/apis/v1/events/?size=1&senderOrRecipient=" + CPR_A, 0
    while url and pages < 50:
        r = srv.get(url, headers=s["a1"]["auth"])
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["currentPage"] == pages and page["totalPages"] == len(allev)
        got += page["events"]
        url = page.get("next")
        pages += 1
    assert got == allev


def test_client_query_string(world):
    """Dates as the client's ConvertToString writes a DateTime (no zone), and the
    "ownerOrActor " parameter with its trailing space, are read."""
    srv, s, l = world
    page = query(srv, s["a1"], "dateFrom=2000-01-01T00%3A00%3A00&dateTo=2999-01-01T00%3A00%3A00"
                 "&ownerOrActor%20=" + CPR_B + "&page=0&size=1000")
    assert page["events"] == query(srv, s["a1"], "size=1000&senderOrRecipient=" + CPR_B)["events"]
    assert {e["eventProperties"].get("messageUUID") for e in page["events"]} == {l["lb"]}


def uuids_of(events):
    return {e["eventProperties"].get("messageUUID") for e in events} - {None}


def test_owner_or_actor(world):
    """ownerOrActor narrows to one person's or company's events (subject or actor), in both
    spellings of the name; a system id of the caller's organisation narrows to what that
    system caused; another organisation's system or a malformed value does not widen."""
    srv, s, l = world
    for name in ("ownerOrActor%20", "ownerOrActor"):
        ev = query(srv, s["a1"], "%s=%s&size=1000" % (name, CPR_B))["events"]
        assert ev and uuids_of(ev) == {l["lb"]}, name
        ev = query(srv, s["a1"], "%s=cpr:%s&size=1000" % (name, CPR_A))["events"]
        assert uuids_of(ev) == {l["la"]}, name
    # combined with senderOrRecipient: both must hold
    assert query(srv, s["a1"], "ownerOrActor=%s&senderOrRecipient=%s" % (CPR_A, CPR_B)
                 )["events"] == []
    # the calling system as actor: the events it caused (its submissions), all its own
    mine = query(srv, s["a1"], "size=1000")["events"]
    acted = query(srv, s["a1"], "ownerOrActor=%s&size=1000" % s["a1"]["system"].upper())["events"]
    assert acted and all(e["actor"] == s["a1"]["system"] for e in acted)
    assert [e for e in mine if e.get("actor") == s["a1"]["system"]] == acted
    # a system of another organisation: nothing, as for an unknown one
    for other in (s["b1"]["system"], s["rcp"]["system"], "00000000-0000-4000-8000-000000000000"):
        page = query(srv, s["a1"], "ownerOrActor=" + other)
        assert page["events"] == [] and page["totalElements"] == 0
    for bad in ("x", "123", "cvr:" + CPR_A, "zzzzzzzz-0000-4000-8000-000000000000"):
        e = query(srv, s["a1"], "ownerOrActor%20=" + bad, status=400)
        assert "ownerOrActor" in json.dumps(e)


def test_any(world):
    """any=a,b: events one of whose keywords (id, tag, messageUUID, system, actor, subject,
    a property value) equals one of the terms; never wider than the caller's scope."""
    srv, s, l = world
    ev = query(srv, s["a1"], "any=%s&size=1000" % l["lb"])["events"]
    assert ev and uuids_of(ev) == {l["lb"]}
    assert uuids_of(query(srv, s["a1"], "any=%s,%s&size=1000" % (l["lb"], l["la"].upper())
                          )["events"]) == {l["lb"], l["la"]}
    # a bare CPR number finds the events whose subject is that citizen
    assert uuids_of(query(srv, s["a1"], "any=%s&size=1000" % CPR_B)["events"]) == {l["lb"]}
    # an NgDP tag finds the kuvert events shown as it; a kuvert tag exactly those
    changed = query(srv, s["a1"], "any=SYSTEM_CHANGED&size=1000")["events"]
    assert changed and all(e["eventTag"] == "SYSTEM_CHANGED" for e in changed)
    assert query(srv, s["a1"], "any=SYSTEM_CREATED")["events"] == \
        query(srv, s["a1"], "eventTag=SYSTEM_CREATED")["events"]
    # an event id
    one = ev[0]
    assert query(srv, s["a1"], "any=" + one["id"])["events"] == [one]
    # another organisation's letter is no keyword of the caller's events
    assert query(srv, s["a1"], "any=" + l["l2"])["events"] == []
    assert query(srv, s["a1"], "any=nothing-like-this")["events"] == []
    query(srv, s["a1"], "any=" + ",".join("t%d" % i for i in range(11)), status=400)
    query(srv, s["a1"], "any=" + "x" * 129, status=400)


def stored_tag(e):
    return e["eventProperties"].get("kuvertTag", e["eventTag"])


def test_sort_fields(world):
    srv, s, _ = world
    allev = query(srv, s["a1"], "size=1000")["events"]
    assert len(allev) > 3
    desc = query(srv, s["a1"], "size=1000&sortFields=eventTime:desc")["events"]
    assert desc == list(reversed(allev))
    assert query(srv, s["a1"], "size=1000&sortFields=created:DESC")["events"] == desc
    assert query(srv, s["a1"], "size=1000&sortFields=eventTime")["events"] == allev
    by_tag = query(srv, s["a1"], "size=1000&sortFields=eventTag:asc,eventTime:desc")["events"]
    assert by_tag == sorted(allev, key=lambda e: (stored_tag(e), -e["seq"]))
    by_id = query(srv, s["a1"], "size=1000&sortFields=id:desc")["events"]
    assert [e["id"] for e in by_id] == sorted((e["id"] for e in allev), reverse=True)
    for bad in ("nope", "eventTime:sideways", "eventTime,id,seq,actor", "system.id", ""):
        query(srv, s["a1"], "sortFields=" + bad, status=400)


def test_paging_is_a_snapshot(world):
    """A walk that follows next sees the set of its first page, also when new events are
    logged meanwhile and the order puts them first: next carries untilSeq."""
    srv, s, l = world
    before = query(srv, s["a1"], "size=1000&sortFields=eventTime:desc&senderOrRecipient="
                   + CPR_A)["events"]
    url = "/apis/v1/events/?size=1&sortFields=eventTime:desc&senderOrRecipient=" + CPR_A
    got, pages = [], 0
    while url and pages < 50:
        r = srv.get(url, headers=s["a1"]["auth"])
        assert r.status_code == 200, r.text
        page = r.json()
        got += page["events"]
        assert page["totalElements"] == len(before)
        url = page.get("next")
        if pages == 0:
            assert "untilSeq=" in url
            send(srv, s["a1"], CPR_A, label="Midt i bladringen")  # logs new, newer events
        pages += 1
    assert got == before
    after = query(srv, s["a1"], "size=1000&sortFields=eventTime:desc&senderOrRecipient="
                  + CPR_A)["events"]
    assert len(after) > len(before)
    query(srv, s["a1"], "untilSeq=-1", status=400)


def test_unauthenticated_is_401(world):
    srv, _, _ = world
    query(srv, {"auth": {}}, "", status=401)


def test_hash_chain_still_verifies(world):
    srv, _, _ = world
    out = run_cli(["events", "verify", "--data", srv.data_dir, "--json"])
    assert out["ok"] is True and out["events"] > 10


def test_time_sort_reads_an_index():
    """sortFields=eventTime[:desc] on one system's events (src/hub/event_search.c, the
    SORTED_TIME_* statements) is delivered in order by the index of migration 043 (system_id,
    time_ms, seq), not by sorting every event of the system (a temporary B-tree). Checked on
    the SQLite schema the migrations build, with the statement's shape."""
    import glob
    import os
    import sqlite3
    root = os.environ.get("KUVERT_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
    db = sqlite3.connect(":memory:")
    for f in sorted(glob.glob(os.path.join(root, "src/store/migrations/sqlite/*.sql"))):
        db.executescript(open(f, encoding="utf-8").read())
    for direction in ("ASC", "DESC"):
        plan = " | ".join(r[3] for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT seq, event_id FROM events WHERE system_id = ?1"
            " AND (?2 IS NULL OR subject = ?2 OR actor = ?2) AND +seq > ?3"
            " AND (?4 = 0 OR time_ms >= ?4) AND (?5 = 0 OR time_ms < ?5) AND +seq <= ?6"
            " ORDER BY time_ms %s, seq %s LIMIT 20 OFFSET 0" % (direction, direction),
            ("s", None, 0, 0, 0, 10**9)))
        assert "events_system_time" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


def test_fields_projects_the_events(world):
    """fields keeps only the named members of each EventLog (dot notation for nested ones:
    system.name); next keeps it; searchParameters is accepted and not used."""
    srv, s, _ = world
    def raw(q):
        r = srv.get("/apis/v1/events/?" + q, headers=s["a1"]["auth"])
        assert r.status_code == 200, r.text
        return r.json()
    allev = query(srv, s["a1"], "size=1000")["events"]
    got = raw("size=1000&fields=id,eventTag,system.name")["events"]
    assert len(got) == len(allev)
    for full, part in zip(allev, got):
        want = {"id": full["id"], "eventTag": full["eventTag"]}
        if "name" in (full.get("system") or {}):
            want["system"] = {"name": full["system"]["name"]}
        assert part == want
    page = raw("size=1&fields=id")
    assert "fields=id" in page["next"] and list(page["events"][0]) == ["id"]
    assert query(srv, s["a1"], "size=1000&searchParameters=x")["events"] == allev
    query(srv, s["a1"], "fields=a%20b", status=400)
