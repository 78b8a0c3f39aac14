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
