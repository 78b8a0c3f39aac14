# SPDX-License-Identifier: MIT
"""Conformance of the sender-side receipt API with the C# client NSwag generated from NgDP's
OpenAPI 1.68 (sjkp/digitalpost src/digitalpost/DigitalPostClient.cs, commit 3fcb9fd):

  ListAvailableReceiptsAsync(ReceiptSearchCommand)  GET receipts/?<AdditionalProperties>
        (the generated URL builder writes only the command's extension data, so an integrator
        puts page/size/sort there); 200 -> PagingResultUUID: content = receipt ids (Guid),
        previous/next = PagingArguments
  BulkFetchReceiptsAsync(ReceiptSearchCommand)      GET receipts-bulk/?...; 200 ->
        ReceiptSearchResult {currentPage, totalPages, elementsOnPage, totalElements,
        receipts: [BulkReceipt]} (BulkReceipt.id a Guid)
  FetchReceiptAsync(Guid id, object delete)         GET receipts/{id}[?delete=...]; 200/201
        -> Receipt; 404 ErrorMessage
  DeleteReceiptAsync(Guid id)                       DELETE receipts/{id}; 204; 404
        ErrorMessage

An integrator lists, fetches and deletes its receipts across several pages; every id it was
given must be a Guid that fetches and deletes. Decisions: docs/receipts.md.
"""
import pytest

from kuvert_harness import assert_error_message
from ngdp_models import check, require
from readside_util import mailbox, send_letter, setup_org

SENDER = "29189978"
OTHER = "31313131"
CPR = "0101701234"
N = 7


@pytest.fixture(scope="module")
def env(server):
    mailbox(server, cpr=CPR, name="Mette Hansen")
    e = {"srv": server, "org": setup_org(server, SENDER), "other": setup_org(server, OTHER)}
    e["sent"] = [send_letter(server, e["org"], cpr=CPR, message_id="SAG-%d" % i)
                 for i in range(N)]
    return e


def get(env, path, params=None, org="org"):
    return env["srv"].get(path, params=params, headers=dict(env[org]["auth"],
                                                            Accept="application/json"))


def walk(env, path, size, cls="PagingResultUUID"):
    """Pages through a list as a generated-client integrator does: page/size in the command's
    extension data, then the PagingArguments of `next` turned back into page/size/sort."""
    q, pages = {"page": 0, "size": size}, []
    for _ in range(100):
        r = get(env, path, q)
        assert r.status_code == 200, r.text
        p = check(r.json(), cls)
        pages.append(p)
        if p.get("next") is None:
            return pages
        n = p["next"]
        q = {"page": n["page"], "size": n["size"],
             "sort": ["%s,%s" % (o["property"], o["direction"]) for o in n["ordering"]]}
    raise AssertionError("paging did not end")


def test_list_fetch_and_delete_across_pages(env):
    pages = walk(env, "/apis/v1/receipts/", 3)
    ids = [i for p in pages for i in p["content"]]
    assert len(pages) == 3 and len(ids) == N and len(set(ids)) == N
    assert pages[0]["next"] == {"page": 1, "size": 3,
                                "ordering": [{"property": "timeStamp", "direction": "ASC"},
                                             {"property": "after:" + pages[0]["content"][-1],
                                              "direction": "ASC"}]}
    assert pages[1]["previous"]["page"] == 0
    # each id fetches as a Receipt, in send order
    got = []
    for rid in ids:
        r = get(env, "/apis/v1/receipts/" + rid)
        assert r.status_code in (200, 201), r.text
        got.append(require(r.json(), "Receipt", "transmissionId", "messageUUID", "timeStamp",
                           "receiptStatus"))
    assert [g["messageUUID"] for g in got] == [u for u, _ in env["sent"]]
    assert [g["messageId"] for g in got] == ["SAG-%d" % i for i in range(N)]
    assert all(g["receiptStatus"] == "RECEIVED" for g in got)
    assert [g["transmissionId"] for g in got] == [rc["transmissionId"] for _, rc in env["sent"]]
    # upper-case Guid (how a .NET Guid may be printed) names the same receipt
    assert get(env, "/apis/v1/receipts/" + ids[0].upper()).json()["messageUUID"] == got[0][
        "messageUUID"]
    # delete: fetch-and-delete, then DeleteReceiptAsync
    r = get(env, "/apis/v1/receipts/" + ids[0], {"delete": "true"})
    assert r.status_code == 200 and r.json()["messageUUID"] == got[0]["messageUUID"]
    check(assert_error_message(get(env, "/apis/v1/receipts/" + ids[0]), 404), "ErrorMessage")
    r = env["srv"].delete("/apis/v1/receipts/" + ids[1], headers=env["org"]["auth"])
    assert r.status_code == 204
    r = env["srv"].delete("/apis/v1/receipts/" + ids[1], headers=env["org"]["auth"])
    check(assert_error_message(r, 404), "ErrorMessage")
    pages = walk(env, "/apis/v1/receipts/", 3)
    assert [i for p in pages for i in p["content"]] == ids[2:]


def test_receipts_bulk_pages_of_whole_receipts(env):
    q = {"page": 0, "size": 2}
    seen = []
    while True:
        r = get(env, "/apis/v1/receipts-bulk/", q)
        assert r.status_code == 200, r.text
        p = check(r.json(), "ReceiptSearchResult")
        assert p["currentPage"] == q["page"] and p["elementsOnPage"] == len(p["receipts"])
        for x in p["receipts"]:
            require(x, "BulkReceipt", "id", "transmissionId", "messageUUID", "timeStamp",
                    "receiptStatus")
        seen += p["receipts"]
        if q["page"] + 1 >= p["totalPages"]:
            break
        q["page"] += 1
    assert len(seen) == p["totalElements"] and len(seen) >= 2
    # the ids are the ones GET receipts/{id} knows; nothing was deleted by listing
    for x in seen:
        r = get(env, "/apis/v1/receipts/" + x["id"])
        assert r.status_code == 200 and r.json()["messageUUID"] == x["messageUUID"]
    r = get(env, "/apis/v1/receipts-bulk/", {"page": 0, "size": 1000, "sort": "timeStamp,DESC"})
    assert [x["id"] for x in r.json()["receipts"]] == [x["id"] for x in reversed(seen)]


def test_other_systems_and_bad_ids(env):
    ids = get(env, "/apis/v1/receipts/", {"size": 1000}).json()["content"]
    assert ids
    # another sender system: its own (empty) list; ours are 404 to it, never 403
    p = check(get(env, "/apis/v1/receipts/", org="other").json(), "PagingResultUUID")
    assert p["content"] == [] and p["totalElements"] == 0
    check(assert_error_message(get(env, "/apis/v1/receipts/" + ids[0], org="other"), 404),
          "ErrorMessage")
    r = env["srv"].delete("/apis/v1/receipts/" + ids[0], headers=env["other"]["auth"])
    check(assert_error_message(r, 404), "ErrorMessage")
    for bad in ("00000000-0000-4000-8000-000000000000", "not-a-guid", "0"):
        check(assert_error_message(get(env, "/apis/v1/receipts/" + bad), 404), "ErrorMessage")
    for q in ({"page": "-1"}, {"size": "0"}, {"size": "x"}):
        check(assert_error_message(get(env, "/apis/v1/receipts/", q), 400), "ErrorMessage")
        check(assert_error_message(get(env, "/apis/v1/receipts-bulk/", q), 400), "ErrorMessage")
    assert env["srv"].get("/apis/v1/receipts-bulk/").status_code == 401


def test_not_allowed_receipt_has_no_null_guid(env):
    # a letter to an unknown CPR: stored with receipt NOT_ALLOWED; still a readable Receipt
    uuid, rc = send_letter(env["srv"], env["org"], cpr="0202020202")
    assert rc["receiptStatus"] == "NOT_ALLOWED"
    r = get(env, "/apis/v1/receipts-bulk/", {"size": 1000, "sort": "timeStamp,DESC"})
    x = r.json()["receipts"][0]
    require(x, "BulkReceipt", "id", "transmissionId", "messageUUID", "errorCode")
    assert x["messageUUID"] == uuid and x["receiptStatus"] == "NOT_ALLOWED"


def test_deleting_while_following_next_skips_nothing(env):
    """List a page, fetch and delete each receipt, follow next: the keyset cursor in next's
    ordering ("after:<the page's last receipt id>") keeps the walk from skipping the receipts
    that moved up into the deleted ones' positions."""
    srv = env["srv"]
    org = setup_org(srv, "42424242")
    sent = [send_letter(srv, org, cpr=CPR, message_id="DEL-%d" % i) for i in range(7)]
    mine = dict(env, mine=org)
    q, ids = {"page": 0, "size": 3}, []
    for _ in range(10):
        r = get(mine, "/apis/v1/receipts/", q, org="mine")
        assert r.status_code == 200, r.text
        p = check(r.json(), "PagingResultUUID")
        for rid in p["content"]:
            assert get(mine, "/apis/v1/receipts/" + rid, org="mine").status_code in (200, 201)
            r = srv.delete("/apis/v1/receipts/" + rid, headers=org["auth"])
            assert r.status_code == 204, r.text
        ids += p["content"]
        if p.get("next") is None:
            break
        n = p["next"]
        q = {"page": n["page"], "size": n["size"],
             "sort": ["%s,%s" % (o["property"], o["direction"]) for o in n["ordering"]]}
    assert len(ids) == len(sent) == len(set(ids))


def as_query(args):
    """PagingArguments turned back into page/size/sort, as the generated client's caller does."""
    return {"page": args["page"], "size": args["size"],
            "sort": ["%s,%s" % (o["property"], o["direction"]) for o in args["ordering"]]}


def test_previous_carries_a_cursor_too(env):
    """previous is as stable as next: its ordering carries "before:<the page's first receipt
    id>", and handed back the page is the receipts before that one, also when receipts before
    it were deleted meanwhile (a position would shift the page onto ones already read)."""
    srv = env["srv"]
    org = setup_org(srv, "43434343")
    for i in range(7):
        send_letter(srv, org, cpr=CPR, message_id="PREV-%d" % i)
    mine = dict(env, mine=org)
    everything = get(mine, "/apis/v1/receipts/", {"size": 100}, org="mine").json()["content"]
    assert len(everything) == 7
    p2 = check(get(mine, "/apis/v1/receipts/", {"page": 2, "size": 3}, org="mine").json(),
               "PagingResultUUID")
    assert p2["content"] == everything[6:7]
    assert {"property": "before:" + everything[6], "direction": "ASC"} in \
        p2["previous"]["ordering"]
    # the first receipt is deleted: by position page 1 would now be everything[4:7]
    assert srv.delete("/apis/v1/receipts/" + everything[0], headers=org["auth"]).status_code == 204
    p1 = check(get(mine, "/apis/v1/receipts/", as_query(p2["previous"]), org="mine").json(),
               "PagingResultUUID")
    assert p1["content"] == everything[3:6]
    assert p1["number"] == 1
    p0 = check(get(mine, "/apis/v1/receipts/", as_query(p1["previous"]), org="mine").json(),
               "PagingResultUUID")
    assert p0["content"] == everything[1:3]
    assert p0["previous"] is None  # nothing is left before it
    # the plain kuvert parameter; newest first
    r = get(mine, "/apis/v1/receipts/", {"size": 2, "before": everything[3]}, org="mine")
    assert r.json()["content"] == everything[1:3]
    r = get(mine, "/apis/v1/receipts/", {"size": 2, "sort": "timeStamp,DESC",
                                          "before": everything[3]}, org="mine")
    assert r.json()["content"] == [everything[5], everything[4]]
    r = get(mine, "/apis/v1/receipts/", {"before": "nope"}, org="mine")
    assert r.status_code == 400
    r = get(mine, "/apis/v1/receipts/", {"before": everything[3], "after": everything[1]},
            org="mine")
    assert r.status_code == 400


def test_bulk_pages_by_the_cursor(env):
    """receipts-bulk: next and previous (kuvert extensions, NgDP's ReceiptSearchResult has no
    links; the client ignores unknown members) are relative URLs with the keyset cursor, so a
    client that deletes what it read and follows next skips nothing."""
    srv = env["srv"]
    org = setup_org(srv, "44444444")
    for i in range(7):
        send_letter(srv, org, cpr=CPR, message_id="BULK-%d" % i)
    r = srv.get("/apis/v1/receipts-bulk/", params={"size": 3}, headers=org["auth"])
    assert r.status_code == 200, r.text
    p = check(r.json(), "ReceiptSearchResult")
    assert "previous" not in p
    seen = []
    for _ in range(10):
        for rc in p["receipts"]:
            seen.append(rc["id"])
            assert srv.delete("/apis/v1/receipts/" + rc["id"], headers=org["auth"]).status_code \
                == 204
        if "next" not in p:
            break
        assert "after=" in p["next"]
        r = srv.get(p["next"], headers=org["auth"])
        assert r.status_code == 200, r.text
        p = check(r.json(), "ReceiptSearchResult")
        if p["receipts"]:
            assert "before=" in p["previous"]
    assert len(seen) == 7 == len(set(seen))
