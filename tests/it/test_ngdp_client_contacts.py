# SPDX-License-Identifier: MIT
"""GET /apis/v1/contacts/ as the C# client generated from NgDP's OpenAPI 1.68 calls and reads
it (sjkp/digitalpost DigitalPostClient.cs, QueryContactsAsync): query parameters id,
cprNumber, cvrNumber ("one or more", joined with commas by ConvertToString), isBulkLookup;
always a JSON body ("null" when the caller gives none) with Content-Type application/json;
declared statuses 200 (ContactSearchResult), 401, 403. Every answer is checked against the
client's classes with ngdp_models: no null where a value type is declared, dates ISO 8601,
enums by name, ids GUIDs."""
import json

import pytest

from ngdp_models import assert_model, enum_values
from readside_util import close_mailbox, mailbox, setup_org
from send_util import query

REG_CPR = "0101701111"
EXEMPT_CPR = "0202802222"
CLOSED_CPR = "0303903333"
UNKNOWN_CPR = "0404904444"
REG_CVR = "29189978"
EXEMPT_CVR = "30808460"
CLOSED_CVR = "11223344"


@pytest.fixture(scope="module")
def world(server):
    mailbox(server, cpr=REG_CPR)
    mailbox(server, cpr=EXEMPT_CPR, exempt=True)
    mailbox(server, cpr=CLOSED_CPR)
    close_mailbox(server, cpr=CLOSED_CPR)
    mailbox(server, cvr=REG_CVR)
    mailbox(server, cvr=EXEMPT_CVR, exempt=True)
    mailbox(server, cvr=CLOSED_CVR)
    close_mailbox(server, cvr=CLOSED_CVR)
    return server, setup_org(server, "12345674")


def client_get(srv, org, query_string):
    """The request exactly as QueryContactsAsync sends it (body "null", JSON content type)."""
    headers = dict(org["auth"], **{"Content-Type": "application/json",
                                   "Accept": "application/json"})
    return srv.request("GET", "/apis/v1/contacts/?" + query_string, data=b"null", headers=headers)


def search(srv, org, query_string):
    r = client_get(srv, org, query_string)
    assert r.status_code == 200, r.text
    page = assert_model(r.json(), "ContactSearchResult",
                        required=["contacts", "currentPage", "totalPages", "elementsOnPage",
                                  "totalElements"])
    assert page["elementsOnPage"] == len(page["contacts"]) == page["totalElements"]
    return page


def only(srv, org, query_string):
    page = search(srv, org, query_string)
    assert len(page["contacts"]) == 1, page
    return page["contacts"][0]


CONTACT_REQUIRED = ["id", "version", "type", "mailboxSubscription", "lastUpdated", "createdDate",
                    "transactionId", "eligibleForVoluntaryRegistration"]
SUB_REQUIRED = ["id", "version", "publicRegistrationStatus", "exemptThroughPowerOfAttorney",
                "startTime"]


def test_found_citizen_has_every_member_the_client_reads(world):
    srv, org = world
    c = only(srv, org, "cprNumber=" + REG_CPR)
    assert_model(c, "Contact", required=CONTACT_REQUIRED + ["cprNumber"])
    sub = assert_model(c["mailboxSubscription"], "MailboxSubscription", required=SUB_REQUIRED)
    assert c["type"] == "CITIZEN" and c["cprNumber"] == REG_CPR and "cvrNumber" not in c
    assert sub["publicRegistrationStatus"] == "REGISTERED"
    assert sub["registrationStatus"] == "AUTOMATIC_REGISTRATION"
    for absent in ("exemptionStart", "exemptionEnd", "endTime"):
        assert absent not in sub, "absent values are left out, not null"
    assert "nemSmsSubscription" not in c
    assert c["id"] != sub["id"] and c["version"] == sub["version"] == 1
    assert c["createdDate"] == c["lastUpdated"]


def test_ids_are_stable_and_addressable(world):
    srv, org = world
    a = only(srv, org, "cprNumber=" + REG_CPR)
    b = only(srv, org, "cprNumber=" + REG_CPR)
    assert (a["id"], a["mailboxSubscription"]["id"]) == (b["id"], b["mailboxSubscription"]["id"])
    by_id = only(srv, org, "id=" + a["id"].upper())
    assert by_id == a
    other = only(srv, org, "cvrNumber=" + REG_CVR)
    page = search(srv, org, "id=%s,%s" % (a["id"], other["id"]))
    assert [c["id"] for c in page["contacts"]] == [a["id"], other["id"]]
    assert search(srv, org, "id=00000000-0000-4000-8000-000000000000")["contacts"] == []


def test_exempt_citizen_and_company(world):
    srv, org = world
    for q, kind in (("cprNumber=" + EXEMPT_CPR, "CITIZEN"), ("cvrNumber=" + EXEMPT_CVR, "COMPANY")):
        c = only(srv, org, q)
        sub = c["mailboxSubscription"]
        assert c["type"] == kind
        assert sub["publicRegistrationStatus"] == "EXEMPT"
        assert sub["registrationStatus"] in enum_values("RegistrationStatus")
        assert sub["registrationStatus"].startswith("EXEMPT_")
        # DateFormatConverter writes and reads a date
        assert len(sub["exemptionStart"]) == 10 and sub["exemptionStart"][4] == "-"
        assert "exemptionEnd" not in sub and "endTime" not in sub
    assert only(srv, org, "cprNumber=" + EXEMPT_CPR)["eligibleForVoluntaryRegistration"] is True


def test_closed_mailbox(world):
    srv, org = world
    for q in ("cprNumber=" + CLOSED_CPR, "cvrNumber=" + CLOSED_CVR):
        c = only(srv, org, q)
        sub = c["mailboxSubscription"]
        assert sub["publicRegistrationStatus"] == "CLOSED"
        assert "registrationStatus" not in sub, "no RegistrationStatus fits a closed mailbox"
        assert sub["endTime"] >= sub["startTime"]
        assert c["version"] == 2 and c["lastUpdated"] >= c["createdDate"]
    # the transaction id is the one the closing event recorded
    c = only(srv, org, "cprNumber=" + CLOSED_CPR)
    rows = query(srv, "SELECT props FROM events WHERE tag = 'MAILBOX_CLOSED' AND subject = ?",
                 "cpr:" + CLOSED_CPR)
    assert [json.loads(r["props"])["transactionId"] for r in rows] == [c["transactionId"]]


def test_several_at_once_comma_joined(world):
    srv, org = world
    page = search(srv, org, "cprNumber=%s,%s,%s,%s&cvrNumber=%s,%s" % (
        REG_CPR, UNKNOWN_CPR, EXEMPT_CPR, REG_CPR, REG_CVR, CLOSED_CVR))
    got = [(c["type"], c.get("cprNumber") or c.get("cvrNumber")) for c in page["contacts"]]
    assert got == [("CITIZEN", REG_CPR), ("CITIZEN", EXEMPT_CPR), ("COMPANY", REG_CVR),
                   ("COMPANY", CLOSED_CVR)], "unknown numbers are absent, repeats looked up once"
    # the separators clients write around numbers are tolerated inside each value
    page = search(srv, org, "cprNumber=010170-1111,020280%202222")
    assert [c["cprNumber"] for c in page["contacts"]] == [REG_CPR, EXEMPT_CPR]


def test_query_without_filter_is_an_empty_result(world):
    """The register is not listable: no number and no id match no contact (documented in
    docs/openapi.yaml); 200 with an empty ContactSearchResult, which the client accepts."""
    srv, org = world
    page = search(srv, org, "")
    assert page["contacts"] == [] and page["totalElements"] == 0 and page["totalPages"] == 0
    page = search(srv, org, "page=0&size=20")
    assert page["contacts"] == []


@pytest.mark.parametrize("q,field", [("cprNumber=%s,123" % REG_CPR, "cprNumber"),
                                     ("cprNumber=%s," % REG_CPR, "cprNumber"),
                                     ("cvrNumber=1234567", "cvrNumber"),
                                     ("id=not-a-uuid", "id")])
def test_malformed_values_are_400_error_messages(world, q, field):
    srv, org = world
    r = client_get(srv, org, q)
    assert r.status_code == 400, r.text
    body = assert_model(r.json(), "ErrorMessage", required=["code", "message", "fieldErrors"])
    assert body["fieldErrors"][0]["field"] == field


def test_too_many_numbers(world):
    srv, org = world
    many = ",".join("01017%05d" % i for i in range(1001))
    r = client_get(srv, org, "cprNumber=" + many)
    assert r.status_code == 400
    assert_model(r.json(), "ErrorMessage", required=["code", "message"])
    page = search(srv, org, "cprNumber=" + ",".join(["01017%05d" % i for i in range(999)] + [REG_CPR]))
    assert [c["cprNumber"] for c in page["contacts"]] == [REG_CPR]


def test_unauthenticated_is_401(world):
    srv, _ = world
    r = client_get(srv, {"auth": {}}, "cprNumber=" + REG_CPR)
    assert r.status_code == 401
    assert_model(r.json(), "ErrorMessage", required=["code", "message"])


def test_bulk_lookup_answers_the_same_shape(world):
    srv, org = world
    headers = dict(org["auth"], **{"Content-Type": "application/json"})
    r = srv.request("GET", "/apis/v1/contacts/?isBulkLookup=true", headers=headers,
                    data=json.dumps({"cprNumbers": [REG_CPR, CLOSED_CPR]}).encode())
    assert r.status_code == 200, r.text
    page = assert_model(r.json(), "ContactSearchResult", required=["contacts"])
    for c in page["contacts"]:
        assert_model(c, "Contact", required=CONTACT_REQUIRED)


def test_fetch_contact_by_id(world):
    """FetchContactAsync: GET /apis/v1/contacts/{id} answers the Contact (200) or 404."""
    srv, org = world
    c = only(srv, org, "cprNumber=" + CLOSED_CPR)
    r = srv.get("/apis/v1/contacts/" + c["id"], headers=org["auth"])
    assert r.status_code == 200, r.text
    assert assert_model(r.json(), "Contact", required=CONTACT_REQUIRED) == c
    assert srv.get("/apis/v1/contacts/" + c["id"].upper(), headers=org["auth"]).json() == c
    for missing in ("00000000-0000-4000-8000-000000000000", "nope"):
        r = srv.get("/apis/v1/contacts/" + missing, headers=org["auth"])
        assert r.status_code == 404
        assert_model(r.json(), "ErrorMessage", required=["code", "message"])
    assert srv.get("/apis/v1/contacts/" + c["id"]).status_code == 401


def page_of(srv, org, query_string):
    r = client_get(srv, org, query_string)
    assert r.status_code == 200, r.text
    page = assert_model(r.json(), "ContactSearchResult",
                        required=["contacts", "currentPage", "totalPages", "elementsOnPage",
                                  "totalElements"])
    assert page["elementsOnPage"] == len(page["contacts"])
    return page


def number(c):
    return c.get("cprNumber") or c.get("cvrNumber")


def test_last_updated(world):
    """lastUpdated keeps the contacts changed at or after it (ISO time or date), within the
    numbers and ids asked for: a sync asks "which of these changed since"."""
    import time
    srv, org = world
    early, late = "0505051111", "0606062222"
    mailbox(srv, cpr=early)
    mailbox(srv, cpr=late)
    time.sleep(0.05)
    close_mailbox(srv, cpr=late)  # a change: late's lastUpdated moves on
    both = "cprNumber=%s,%s" % (early, late)
    e, l = (only(srv, org, "cprNumber=" + x) for x in (early, late))
    assert l["lastUpdated"] > e["lastUpdated"]
    assert [number(c) for c in search(srv, org, both + "&lastUpdated=" + l["lastUpdated"]
                                      )["contacts"]] == [late]
    assert [number(c) for c in search(srv, org, both + "&lastUpdated=" + e["lastUpdated"]
                                      )["contacts"]] == [early, late]
    assert search(srv, org, both + "&lastUpdated=2999-01-01")["contacts"] == []
    assert len(search(srv, org, both + "&lastUpdated=2000-01-01T00%3A00%3A00")["contacts"]) == 2
    # without numbers or ids the register is still not listable
    assert search(srv, org, "lastUpdated=2000-01-01")["contacts"] == []
    r = client_get(srv, org, both + "&lastUpdated=yesterday")
    assert r.status_code == 400
    assert assert_model(r.json(), "ErrorMessage")["fieldErrors"][0]["field"] == "lastUpdated"


def test_sort_fields_and_paging(world):
    srv, org = world
    q = "cprNumber=%s,%s,%s&cvrNumber=%s,%s" % (EXEMPT_CPR, REG_CPR, CLOSED_CPR, REG_CVR,
                                                 EXEMPT_CVR)
    plain = [number(c) for c in search(srv, org, q)["contacts"]]
    assert plain == [EXEMPT_CPR, REG_CPR, CLOSED_CPR, REG_CVR, EXEMPT_CVR], "request order"
    got = [number(c) for c in search(srv, org, q + "&sortFields=cprNumber:desc")["contacts"]]
    assert got == [CLOSED_CPR, EXEMPT_CPR, REG_CPR, REG_CVR, EXEMPT_CVR], \
        "contacts without the field keep request order, after those with it when descending"
    got = search(srv, org, q + "&sortFields=type:asc,mailboxSubscription.publicRegistrationStatus"
                 ":DESC,createdDate")["contacts"]
    assert [(c["type"], c["mailboxSubscription"]["publicRegistrationStatus"]) for c in got] == [
        ("CITIZEN", "REGISTERED"), ("CITIZEN", "EXEMPT"), ("CITIZEN", "CLOSED"),
        ("COMPANY", "REGISTERED"), ("COMPANY", "EXEMPT")]
    for bad in ("nope", "cprNumber:up", "a,b,c,d", "mailboxSubscription.nope"):
        r = client_get(srv, org, q + "&sortFields=" + bad)
        assert r.status_code == 400, bad
    # pages of 2 over the sorted set, following next
    url = "/apis/v1/contacts/?" + q + "&sortFields=cprNumber&size=2"
    seen, n = [], 0
    while url and n < 5:
        r = srv.request("GET", url, data=b"null", headers=dict(
            org["auth"], **{"Content-Type": "application/json"}))
        assert r.status_code == 200, r.text
        page = assert_model(r.json(), "ContactSearchResult")
        assert page["totalElements"] == 5 and page["totalPages"] == 3 and page["currentPage"] == n
        seen += [number(c) for c in page["contacts"]]
        url = page.get("next")
        n += 1
    # ascending, contacts without a cprNumber (the companies) come first, in request order
    assert seen == [REG_CVR, EXEMPT_CVR] + sorted([EXEMPT_CPR, REG_CPR, CLOSED_CPR])
    assert page_of(srv, org, q + "&page=9&size=2")["contacts"] == []


def client_put(srv, token, contact, etag="digitalpost.ETag", status=200, cid=None):
    """UpdateContactAsync: PUT contacts/{id}, If-Match = ConvertToString(ETag) (the class
    name), the Contact as System.Text.Json writes it (every member, unset ones as defaults)."""
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json",
               "Accept": "application/json"}
    if etag is not None:
        headers["If-Match"] = etag
    r = srv.request("PUT", "/apis/v1/contacts/" + (cid or contact["id"]), headers=headers,
                data=json.dumps(contact).encode())
    assert r.status_code == status, r.text
    return r


def client_contact(c, **sub):
    """c with every member the generated client writes (defaults for the unset ones)."""
    body = {"id": c["id"], "version": c["version"], "type": c["type"],
            "transactionId": c.get("transactionId"), "cprNumber": c.get("cprNumber"),
            "cvrNumber": c.get("cvrNumber"),
            "eligibleForVoluntaryRegistration": c["eligibleForVoluntaryRegistration"],
            "nemSmsSubscription": None, "lastUpdated": c["lastUpdated"],
            "createdDate": c["createdDate"]}
    s = dict({"id": NIL, "version": 0, "registrationStatus": "UNKNOWN",
              "publicRegistrationStatus": "UNKNOWN", "exemptThroughPowerOfAttorney": False,
              "exemptionStart": "0001-01-01", "exemptionEnd": "0001-01-01",
              "startTime": "0001-01-01T00:00:00+00:00", "endTime": "0001-01-01T00:00:00+00:00"},
             **c["mailboxSubscription"])
    s.update(sub)
    body["mailboxSubscription"] = s
    return body


NIL = "00000000-0000-0000-0000-000000000000"


def test_update_contact_voluntary_registration(world):
    """UpdateContactAsync by the contact's owner: an exempt citizen registers voluntarily
    (200, VOLUNTARY_REGISTRATION, a new version and transaction, DIGITAL_POST_REGISTERED);
    asking again changes nothing; the ETag is checked; exemption and closing are not
    self-service (403); another's contact is 404; a system may not (403)."""
    from readside_util import user_token
    srv, org = world
    cpr, other = "0707071111", "0808082222"
    mailbox(srv, cpr=cpr, exempt=True)
    mailbox(srv, cpr=other)
    tok, other_tok = user_token(srv, cpr=cpr), user_token(srv, cpr=other)
    c = only(srv, org, "cprNumber=" + cpr)
    assert c["mailboxSubscription"]["publicRegistrationStatus"] == "EXEMPT"
    want = client_contact(c, publicRegistrationStatus="REGISTERED",
                          registrationStatus="VOLUNTARY_REGISTRATION")
    client_put(srv, tok, want, etag=None, status=428)
    client_put(srv, tok, want, etag='"%d"' % (c["version"] + 1), status=412)
    client_put(srv, other_tok, want, status=404)
    r = srv.request("PUT", "/apis/v1/contacts/" + c["id"], json=want,
                headers=dict(org["auth"], **{"If-Match": "*"}))
    assert r.status_code in (401, 403), r.text
    r = client_put(srv, tok, want)
    got = assert_model(r.json(), "Contact", required=CONTACT_REQUIRED)
    sub = got["mailboxSubscription"]
    assert sub["publicRegistrationStatus"] == "REGISTERED"
    assert sub["registrationStatus"] == "VOLUNTARY_REGISTRATION"
    assert got["version"] == c["version"] + 1 and got["transactionId"] != c["transactionId"]
    assert got["eligibleForVoluntaryRegistration"] is False
    assert r.headers["ETag"] == '"%d"' % got["version"]
    assert only(srv, org, "cprNumber=" + cpr) == got
    rows = query(srv, "SELECT actor, props FROM events WHERE tag = 'DIGITAL_POST_REGISTERED' "
                      "AND subject = ?", "cpr:" + cpr)
    assert len(rows) == 1 and rows[0]["actor"] == "cpr:" + cpr
    assert json.loads(rows[0]["props"])["transactionId"] == got["transactionId"]
    # again, with the version: nothing changes
    again = client_put(srv, tok, client_contact(got, publicRegistrationStatus="REGISTERED"),
                       etag='"%d"' % got["version"]).json()
    assert again == got
    # not self-service
    client_put(srv, tok, client_contact(got, publicRegistrationStatus="EXEMPT"), status=403)
    client_put(srv, tok, client_contact(got, publicRegistrationStatus="UNKNOWN",
                                        registrationStatus="EXEMPT_OTHER_REASON"), status=403)
    # publicRegistrationStatus wins over a stale registrationStatus of the fetched Contact
    assert client_put(srv, tok, client_contact(got, registrationStatus="EXEMPT_OTHER_REASON")
                      ).json() == got
    client_put(srv, tok, client_contact(got, publicRegistrationStatus="CLOSED"), status=403)
    # identity and nonsense
    for body in (dict(client_contact(got), cprNumber=REG_CPR),
                 client_contact(got, publicRegistrationStatus="MAYBE"),
                 dict(client_contact(got), id="00000000-0000-4000-8000-000000000001"),
                 dict(client_contact(got), mailboxSubscription="REGISTERED")):
        r = client_put(srv, tok, body, status=400, cid=got["id"])
        e = assert_model(r.json(), "ErrorMessage", required=["code", "message", "fieldErrors"])
        assert e["fieldErrors"][0]["resource"] == "Contact"
    assert only(srv, org, "cprNumber=" + cpr) == got


def test_update_closed_contact_is_403(world):
    from readside_util import user_token
    srv, org = world
    cpr = "0909093333"
    mailbox(srv, cpr=cpr)
    tok = user_token(srv, cpr=cpr)
    close_mailbox(srv, cpr=cpr)
    c = only(srv, org, "cprNumber=" + cpr)
    r = srv.request("PUT", "/apis/v1/contacts/" + c["id"], json=client_contact(c),
                headers={"Authorization": "Bearer " + tok, "If-Match": "digitalpost.ETag"})
    assert r.status_code in (401, 403), r.text


def test_any_fields_and_search_parameters(world):
    """any keeps the contacts one of whose keywords equals a term (here a registration
    status, also nested, case folded); fields projects them (dot notation for the
    subscription's members); searchParameters is accepted and not used (NgDP's client:
    "searchParameters as query param is NOT used"); next keeps any and fields."""
    srv, org = world
    q = "cprNumber=%s,%s,%s&cvrNumber=%s,%s" % (EXEMPT_CPR, REG_CPR, CLOSED_CPR, REG_CVR,
                                                 EXEMPT_CVR)
    got = [number(c) for c in search(srv, org, q + "&any=exempt")["contacts"]]
    assert got == [EXEMPT_CPR, EXEMPT_CVR]
    got = [number(c) for c in search(srv, org, q + "&any=CLOSED,%s" % REG_CVR)["contacts"]]
    assert got == [CLOSED_CPR, REG_CVR]
    assert search(srv, org, q + "&any=EXEMP")["contacts"] == []
    page = search(srv, org, q + "&fields=cprNumber,cvrNumber,mailboxSubscription."
                                 "publicRegistrationStatus")
    assert page["contacts"][0] == {"cprNumber": EXEMPT_CPR, "mailboxSubscription": {
        "publicRegistrationStatus": "EXEMPT"}}
    assert page["contacts"][3] == {"cvrNumber": REG_CVR, "mailboxSubscription": {
        "publicRegistrationStatus": "REGISTERED"}}
    assert search(srv, org, q + "&searchParameters=System.Object") == search(srv, org, q)
    r = client_get(srv, org, q + "&size=1&any=exempt&fields=id")
    assert r.status_code == 200 and "any=exempt" in r.json()["next"] and \
        "fields=id" in r.json()["next"]
    assert list(r.json()["contacts"][0]) == ["id"]
    for bad in ("fields=a%20b", "fields=" + ",".join("f%d" % i for i in range(33)),
                "any=" + ",".join("t%d" % i for i in range(11))):
        assert client_get(srv, org, q + "&" + bad).status_code == 400, bad


def test_query_without_filter_answers_the_callers_own_contact(world):
    """QueryContactsAsync with no filter, as sjkp/digitalpost's README shows it against NgDP
    production: GET contacts/ by SJKP Consulting's system answered one Contact, the calling
    company's own (CVR 34485771, the Sender/Recipient of its MemoBuilder). kuvert answers the
    calling system's organisation's Contact when it has a mailbox; another's are never listed;
    with lastUpdated, sortFields, any and fields as for any query."""
    srv, _ = world
    own = setup_org(srv, REG_CVR)  # a sender system of the company with a mailbox
    page = search(srv, own, "")
    assert [c.get("cvrNumber") for c in page["contacts"]] == [REG_CVR]
    assert_model(page["contacts"][0], "Contact", required=CONTACT_REQUIRED)
    assert page["contacts"][0] == only(srv, own, "cvrNumber=" + REG_CVR)
    assert search(srv, own, "page=0&size=20")["contacts"] == page["contacts"]
    assert search(srv, own, "lastUpdated=2999-01-01")["contacts"] == []
    assert list(search(srv, own, "fields=cvrNumber")["contacts"][0]) == ["cvrNumber"]
    # a filter names the contacts asked for, the own one only if asked for
    assert [number(c) for c in search(srv, own, "cprNumber=" + REG_CPR)["contacts"]] == \
        [REG_CPR]
