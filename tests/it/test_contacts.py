# SPDX-License-Identifier: MIT
"""Recipient lookup, NgDP GET /apis/v1/contacts/ and the bulk forms (POST
/apis/v1/contacts/bulk, and GET with isBulkLookup=true as NgDP does)."""
import pytest

from kuvert_harness import assert_error_message
from readside_util import basic, close_mailbox, mailbox, setup_org

REG_CPR = "0101701111"
EXEMPT_CPR = "0202802222"
CLOSED_CPR = "0303903333"
UNKNOWN_CPR = "0404904444"
REG_CVR = "29189978"
CLOSED_CVR = "30808460"


@pytest.fixture(scope="module")
def world(server):
    mailbox(server, cpr=REG_CPR, name="Registreret Borger")
    mailbox(server, cpr=EXEMPT_CPR, exempt=True)
    mailbox(server, cpr=CLOSED_CPR)
    close_mailbox(server, cpr=CLOSED_CPR)
    mailbox(server, cvr=REG_CVR)
    mailbox(server, cvr=CLOSED_CVR)
    close_mailbox(server, cvr=CLOSED_CVR)
    sender = setup_org(server, "12345674")
    recipient = setup_org(server, "10000009", kind="recipient")
    return server, sender, recipient


def lookup(srv, org, **params):
    r = srv.get("/apis/v1/contacts/", params=params, headers=org["auth"])
    assert r.status_code == 200, r.text
    return r.json()


def one(srv, org, **params):
    page = lookup(srv, org, **params)
    assert page["totalElements"] == 1 and len(page["contacts"]) == 1, page
    return page["contacts"][0]


def test_registered_citizen(world):
    srv, org, _ = world
    c = one(srv, org, cprNumber=REG_CPR)
    assert c["type"] == "CITIZEN"
    assert c["cprNumber"] == REG_CPR and "cvrNumber" not in c
    sub = c["mailboxSubscription"]
    assert sub["publicRegistrationStatus"] == "REGISTERED"
    assert sub["registrationStatus"] == "AUTOMATIC_REGISTRATION"
    assert sub["exemptThroughPowerOfAttorney"] is False
    assert sub["startTime"].endswith("Z") and "endTime" not in sub
    assert "nemSmsSubscription" not in c
    assert c["eligibleForVoluntaryRegistration"] is False


def test_exempt_citizen(world):
    srv, org, _ = world
    c = one(srv, org, cprNumber=EXEMPT_CPR)
    sub = c["mailboxSubscription"]
    assert sub["publicRegistrationStatus"] == "EXEMPT"
    assert sub["registrationStatus"].startswith("EXEMPT_")
    assert c["eligibleForVoluntaryRegistration"] is True


def test_closed_citizen_and_company(world):
    srv, org, _ = world
    c = one(srv, org, cprNumber=CLOSED_CPR)
    assert c["mailboxSubscription"]["publicRegistrationStatus"] == "CLOSED"
    assert c["mailboxSubscription"]["endTime"].endswith("Z")
    c = one(srv, org, cvrNumber=CLOSED_CVR)
    assert c["type"] == "COMPANY" and c["cvrNumber"] == CLOSED_CVR and "cprNumber" not in c
    assert c["mailboxSubscription"]["publicRegistrationStatus"] == "CLOSED"


def test_registered_company(world):
    srv, org, _ = world
    c = one(srv, org, cvrNumber=REG_CVR)
    assert c["type"] == "COMPANY"
    assert c["mailboxSubscription"]["publicRegistrationStatus"] == "REGISTERED"
    assert c["eligibleForVoluntaryRegistration"] is False


def test_recipient_system_may_look_up(world):
    srv, _, recipient = world
    assert one(srv, recipient, cprNumber=REG_CPR)["cprNumber"] == REG_CPR


def test_unknown_number_gives_empty_page(world):
    srv, org, _ = world
    page = lookup(srv, org, cprNumber=UNKNOWN_CPR)
    assert page["contacts"] == [] and page["totalElements"] == 0 and page["totalPages"] == 0
    page = lookup(srv, org, cvrNumber="87654321")
    assert page["contacts"] == []


def test_both_numbers(world):
    srv, org, _ = world
    page = lookup(srv, org, cprNumber=REG_CPR, cvrNumber=REG_CVR)
    assert [c["type"] for c in page["contacts"]] == ["CITIZEN", "COMPANY"]


@pytest.mark.parametrize("params", [{"cprNumber": "123"}, {"cprNumber": "01017011112"},
                                    {"cprNumber": "010170111x"}, {"cvrNumber": "1234567"},
                                    {"cvrNumber": "abcdefgh"}])
def test_invalid_number_is_400(world, params):
    srv, org, _ = world
    r = srv.get("/apis/v1/contacts/", params=params, headers=org["auth"])
    body = assert_error_message(r, 400)
    assert body["fieldErrors"] and body["fieldErrors"][0]["field"] in ("cprNumber", "cvrNumber")


def test_lookup_requires_system_token(world):
    srv, _, _ = world
    assert_error_message(srv.get("/apis/v1/contacts/", params={"cprNumber": REG_CPR}), 401)
    assert_error_message(srv.get("/apis/v1/contacts/", params={"cprNumber": REG_CPR},
                                 headers=basic("eDp5")), 401)
    assert_error_message(srv.post("/apis/v1/contacts/bulk", json={"cprNumbers": [REG_CPR]}), 401)


def test_bulk_post(world):
    srv, org, _ = world
    body = {"cprNumbers": [REG_CPR, EXEMPT_CPR, UNKNOWN_CPR, CLOSED_CPR, REG_CPR],
            "cvrNumbers": [REG_CVR, "87654321"]}
    r = srv.post("/apis/v1/contacts/bulk", json=body, headers=org["auth"])
    assert r.status_code == 200, r.text
    page = r.json()
    got = [(c.get("cprNumber") or c.get("cvrNumber"), c["mailboxSubscription"]["publicRegistrationStatus"])
           for c in page["contacts"]]
    assert got == [(REG_CPR, "REGISTERED"), (EXEMPT_CPR, "EXEMPT"), (CLOSED_CPR, "CLOSED"),
                   (REG_CVR, "REGISTERED")]
    assert page["totalElements"] == 4


def test_bulk_get_ngdp_form(world):
    srv, org, _ = world
    r = srv.request("GET", "/apis/v1/contacts/", params={"isBulkLookup": "true"},
                    json={"cprNumbers": [EXEMPT_CPR], "cvrNumbers": [CLOSED_CVR]},
                    headers=org["auth"])
    assert r.status_code == 200, r.text
    assert [c["mailboxSubscription"]["publicRegistrationStatus"] for c in r.json()["contacts"]] == \
        ["EXEMPT", "CLOSED"]


def test_bulk_bounds_and_errors(world):
    srv, org, _ = world
    many = ["01017%05d" % i for i in range(1001)]
    r = srv.post("/apis/v1/contacts/bulk", json={"cprNumbers": many}, headers=org["auth"])
    assert_error_message(r, 400, "TOO_MANY_NUMBERS")
    # exactly 1000 is allowed
    r = srv.post("/apis/v1/contacts/bulk", json={"cprNumbers": many[:999] + [REG_CPR]},
                 headers=org["auth"])
    assert r.status_code == 200, r.text
    assert [c["cprNumber"] for c in r.json()["contacts"]] == [REG_CPR]

    r = srv.post("/apis/v1/contacts/bulk", json={"cprNumbers": [REG_CPR, "12", 5]},
                 headers=org["auth"])
    body = assert_error_message(r, 400, "INVALID_NUMBER")
    assert [e["field"] for e in body["fieldErrors"]] == ["cprNumbers[1]", "cprNumbers[2]"]
    for bad in (b"not json", b"[]", b'{"cprNumbers": "0101701111"}', b"{}"):
        r = srv.post("/apis/v1/contacts/bulk", data=bad, headers=dict(
            org["auth"], **{"Content-Type": "application/json"}))
        assert_error_message(r, 400)
