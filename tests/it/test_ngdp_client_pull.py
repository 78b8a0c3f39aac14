# SPDX-License-Identifier: MIT
"""Conformance of the recipient-side pull API with the C# client NSwag generated from NgDP's
OpenAPI 1.68 (sjkp/digitalpost src/digitalpost/DigitalPostClient.cs, commit 3fcb9fd), request
by request as that client makes them and answer by answer as it reads them:

  ListAvailableMemosAsync(page, size, sort)  GET memos/?page=&size=&sort=property,direction
                                             (each sort item its own parameter); 200 ->
                                             PagingResultUUID, whose previous/next are
                                             PagingArguments {page, size, ordering} objects
  FetchMemoAsync(id)                         GET memos/{id}, Accept application/xml; 200/206
  CreateReceiptAsync(id, Receipt body)       POST memos/{id}/receipt, the whole Receipt as
                                             System.Text.Json writes it (unset Guids as
                                             00000000-..., unset strings null, unset
                                             timeStamp 0001-01-01...); only 200 is success;
                                             400/404/409/422 carry ErrorMessage
  DeleteMemoAsync(id)                        DELETE memos/{id}; 204

The pull loop a generated-client integrator writes (follow `next` until it is null, turning
its PagingArguments back into page/size/sort) must collect every waiting letter across
several pages; a receipt the client retries (its 200 was lost) must not turn into a 409.
Decisions: docs/recipient-side.md ("Paging", "Business receipts").
"""
import pytest
import requests

from kuvert_harness import assert_error_message
from ngdp_models import check
from readside_util import basic, setup_org
from recipient_util import send_to

SENDER = "29189978"
AUTHORITY = "55133018"
NIL = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def env(server):
    sender = setup_org(server, SENDER)
    server.cli(["org", "add", "--cvr", AUTHORITY, "--name", "Myndighed"], json_out=False,
               check=False)
    out = server.cli(["system", "add", "--org", AUTHORITY, "--kind", "recipient", "--name",
                      "Sag", "--protocol", "pull", "--default"])
    rec = {"system": out["id"], "auth": basic(out["token"])}
    uuids = [send_to(server, sender, AUTHORITY)[0] for _ in range(7)]
    return {"srv": server, "sender": sender, "rec": rec, "uuids": uuids}


def list_memos(env, page=None, size=None, sort=()):
    """ListAvailableMemosAsync: the query exactly as the generated client builds it."""
    params = []
    if page is not None:
        params.append(("page", str(page)))
    if size is not None:
        params.append(("size", str(size)))
    for s in sort:
        params.append(("sort", s))
    r = env["srv"].get("/apis/v1/memos/", params=params,
                       headers=dict(env["rec"]["auth"], Accept="application/json"))
    return r


def follow(args):
    """The query of the next call from a PagingArguments, as an integrator passes it back to
    ListAvailableMemosAsync(args.Page, args.Size, args.Ordering.Select(o => o.Property + ","
    + o.Direction))."""
    return {"page": args["page"], "size": args["size"],
            "sort": ["%s,%s" % (o["property"], o["direction"]) for o in args["ordering"]]}


def client_receipt(uuid, status="COMPLETED", error_code=None, error_message=None):
    """A Receipt as System.Text.Json serialises the generated class with only MessageUUID and
    ReceiptStatus (and maybe the error texts) set."""
    return {"transmissionId": NIL, "messageUUID": uuid, "messageId": None,
            "errorCode": error_code, "errorMessage": error_message,
            "timeStamp": "0001-01-01T00:00:00+00:00", "receiptStatus": status}


def post_receipt(env, uuid, body):
    return env["srv"].post("/apis/v1/memos/%s/receipt" % uuid, json=body,
                           headers=env["rec"]["auth"])


def walk(env, size, sort=()):
    """The generated-client pull loop: every page until next is null. Returns (uuids, pages)."""
    got, pages = [], []
    q = {"page": 0, "size": size, "sort": list(sort)}
    for _ in range(100):
        r = list_memos(env, **q)
        assert r.status_code == 200, r.text
        p = check(r.json(), "PagingResultUUID")
        pages.append(p)
        got += p["content"]
        if p.get("next") is None:
            return got, pages
        q = follow(p["next"])
    raise AssertionError("paging did not end")


def test_pull_across_pages_follows_paging_arguments(env):
    got, pages = walk(env, 3)
    assert got == env["uuids"]
    assert len(pages) == 3 and [p["number"] for p in pages] == [0, 1, 2]
    assert all(p["totalElements"] == 7 and p["totalPages"] == 3 for p in pages)
    first, middle, last = pages
    assert first["previous"] is None
    # the order, then the keyset cursor: the page's last letter (docs/recipient-side.md)
    assert first["next"] == {"page": 1, "size": 3,
                             "ordering": [{"property": "createdDate", "direction": "ASC"},
                                          {"property": "after:" + first["content"][-1],
                                           "direction": "ASC"}]}
    assert middle["previous"]["page"] == 0 and middle["next"]["page"] == 2
    assert last["next"] is None and last["content"] == env["uuids"][6:]


def test_default_query_and_no_query(env):
    r = list_memos(env)  # the client leaves out null page/size
    assert r.status_code == 200
    p = check(r.json(), "PagingResultUUID")
    assert p["content"] == env["uuids"] and p["number"] == 0 and p["size"] == 20


def test_sort_descending_is_honoured_and_carried_in_next(env):
    got, pages = walk(env, 4, sort=["createdDate,DESC"])
    assert got == list(reversed(env["uuids"]))
    assert pages[0]["next"]["ordering"] == [
        {"property": "createdDate", "direction": "DESC"},
        {"property": "after:" + pages[0]["content"][-1], "direction": "DESC"}]
    # any case; several sort parameters (the first that names the order counts)
    r = list_memos(env, 0, 2, sort=["createdDate,desc", "messageUUID,ASC"])
    assert r.json()["content"] == list(reversed(env["uuids"]))[:2]


def test_sort_on_other_properties_is_ignored_and_bad_direction_is_400(env):
    r = list_memos(env, 0, 2, sort=["label,DESC"])
    assert r.status_code == 200 and r.json()["content"] == env["uuids"][:2]
    assert r.json()["next"]["ordering"][0] == {"property": "createdDate", "direction": "ASC"}
    r = list_memos(env, 0, 2, sort=["createdDate,sideways"])
    body = assert_error_message(r, 400)
    check(body, "ErrorMessage")
    assert body["fieldErrors"][0]["field"] == "sort"


def test_page_past_the_end(env):
    r = list_memos(env, 9, 3)
    p = check(r.json(), "PagingResultUUID")
    assert p["content"] == [] and p["next"] is None and p["previous"]["page"] == 8


def test_fetch_receipt_retry_and_delete_as_the_client_does(env):
    srv, uuid = env["srv"], env["uuids"][0]
    r = srv.get("/apis/v1/memos/" + uuid, headers=dict(env["rec"]["auth"],
                                                       Accept="application/xml"))
    assert r.status_code in (200, 206) and r.content.startswith(b"<?xml")
    # CreateReceiptAsync: only 200 counts as success
    r = post_receipt(env, uuid, client_receipt(uuid))
    assert r.status_code == 200, r.text
    # the client's retry of the same receipt (its first answer lost): 200 again, nothing new
    r = post_receipt(env, uuid, client_receipt(uuid))
    assert r.status_code == 200, r.text
    r = srv.get("/apis/v1/receipts-bulk/", params={"size": 1000}, headers=env["sender"]["auth"])
    mine = [x for x in r.json()["receipts"] if x.get("messageUUID") == uuid]
    assert [x["receiptStatus"] for x in mine] == ["RECEIVED", "COMPLETED"]
    # another receipt for the same letter: 409 with the ErrorMessage the client reads
    r = post_receipt(env, uuid, client_receipt(uuid, "INVALID", "E1", "could not read"))
    check(assert_error_message(r, 409), "ErrorMessage")
    r = srv.delete("/apis/v1/memos/" + uuid, headers=env["rec"]["auth"])
    assert r.status_code == 204
    r = srv.get("/apis/v1/memos/" + uuid, headers=env["rec"]["auth"])
    check(assert_error_message(r, 404), "ErrorMessage")


def test_negative_receipt_with_texts(env):
    uuid = env["uuids"][1]
    body = client_receipt(uuid, "INVALID", "PARSE_ERROR", "Brevet kunne ikke læses")
    assert post_receipt(env, uuid, body).status_code == 200
    assert post_receipt(env, uuid, body).status_code == 200
    r = env["srv"].get("/apis/v1/receipts-bulk/", params={"size": 1000},
                       headers=env["sender"]["auth"])
    mine = [x for x in r.json()["receipts"] if x.get("messageUUID") == uuid]
    assert mine[-1]["receiptStatus"] == "INVALID" and mine[-1]["errorCode"] == "PARSE_ERROR"
    assert mine[-1]["errorMessage"] == "Brevet kunne ikke læses"


def test_receipt_errors_are_error_messages(env):
    uuid = env["uuids"][2]
    # the client's default ReceiptStatus (NOT_ALLOWED, when the integrator forgot to set it)
    r = post_receipt(env, uuid, client_receipt(uuid, "NOT_ALLOWED"))
    check(assert_error_message(r, 400), "ErrorMessage")
    r = post_receipt(env, "00000000-0000-4000-8000-00000000dead",
                     client_receipt("00000000-0000-4000-8000-00000000dead"))
    check(assert_error_message(r, 404), "ErrorMessage")


def test_a_sender_system_cannot_pull(env):
    r = env["srv"].get("/apis/v1/memos/", headers=env["sender"]["auth"])
    check(assert_error_message(r, 403), "ErrorMessage")
    r = requests.get(env["srv"].url + "/apis/v1/memos/")
    assert r.status_code == 401


def test_deleting_while_following_next_skips_nothing(env):
    """The loop most integrators write: read a page, fetch, receipt and delete each letter,
    then follow next. Pages are cut by position, so without more the second page would
    start after as many letters as were deleted and skip them; next carries a keyset cursor
    (an Order "after:<the page's last messageUUID>") that the loop hands back as a sort
    value, and the next page is then the letters after that one."""
    srv = env["srv"]
    cvr = "41414141"
    srv.cli(["org", "add", "--cvr", cvr, "--name", "Anden myndighed"], json_out=False,
            check=False)
    out = srv.cli(["system", "add", "--org", cvr, "--kind", "recipient", "--name", "Sag 2",
                   "--protocol", "pull", "--default"])
    mine = dict(env, rec={"system": out["id"], "auth": basic(out["token"])})
    uuids = [send_to(srv, env["sender"], cvr)[0] for _ in range(7)]
    got, q = [], {"page": 0, "size": 3, "sort": []}
    for _ in range(10):
        r = list_memos(mine, **q)
        assert r.status_code == 200, r.text
        p = check(r.json(), "PagingResultUUID")
        for u in p["content"]:
            assert srv.get("/apis/v1/memos/" + u, headers=mine["rec"]["auth"]).status_code == 200
            assert post_receipt(mine, u, client_receipt(u)).status_code == 200
            assert srv.delete("/apis/v1/memos/" + u,
                              headers=mine["rec"]["auth"]).status_code == 204
        got += p["content"]
        if p.get("next") is None:
            break
        q = follow(p["next"])
    assert got == uuids
    # the kuvert parameter after= is the same cursor; a malformed cursor is a 400
    r = list_memos(mine, 0, 3, sort=["after:nope"])
    assert_error_message(r, 400)
    assert srv.get("/apis/v1/memos/", params={"after": "x"},
                   headers=mine["rec"]["auth"]).status_code == 400
