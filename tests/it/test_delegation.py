# SPDX-License-Identifier: MIT
"""Sending in another organisation's name, black-box (issue 8, item 7): organisation A's token
with MeMo 1.2 Sender/senderID = B and Sender/Representative = A is refused (403
SENDER_NOT_ALLOWED, fieldError SENDER_NOT_DELEGATED) unless B has delegated sending to A
(`kuvert delegation add`, /admin/v1/orgs/{cvr}/delegations). A refused letter is not stored:
the citizen never sees B as its sender, B's events and recall know nothing of it. With the
delegation the letter is B's: the citizen sees B (represented by A), B sees its events and may
recall it, and so may A.
"""
import pytest

from kuvert_harness import KuvertServer, assert_error_message
from readside_util import bearer, mailbox, setup_org, user_token
from send_util import (EXAMPLE_CPR, FULL_12, MIN_11, MIN_12, REPRESENTATIVE_CVR, SENDER_CVR,
                       archive, counts, letter, letter_row, send)

ADMIN = "admin-token-for-delegation-tests"
H = {"Authorization": "Bearer " + ADMIN}
B = SENDER_CVR           # 12345678: the Sender of the official examples
A = REPRESENTATIVE_CVR   # 87654321: their Representative
C = "55133018"           # a third organisation


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    srv = KuvertServer(tmp_path_factory.mktemp("kuvert") / "data",
                       env={"KUVERT_ADMIN_TOKEN": ADMIN}).start()
    e = {"srv": srv, "a": setup_org(srv, A), "b": setup_org(srv, B), "c": setup_org(srv, C)}
    mailbox(srv, cpr=EXAMPLE_CPR)
    e["citizen"] = bearer(user_token(srv, cpr=EXAMPLE_CPR))
    yield e
    srv.stop()


def in_b_name(value_date="2999-01-01"):
    """A letter of A's in B's name: Full 1.2 (Sender B, Representative A)."""
    return letter(FULL_12, cpr=EXAMPLE_CPR, value_date=value_date)


def mailbox_uuids(env):
    r = env["srv"].get("/api/mailbox/messages", headers=env["citizen"])
    assert r.status_code == 200, r.text
    return [m["messageUUID"] for m in r.json()["items"]]


def events_of(env, who, uuid):
    r = env["srv"].get("/apis/v1/events/", params={"messageUUID": uuid},
                       headers=env[who]["auth"])
    assert r.status_code == 200, r.text
    return r.json()["events"]


def delegate(env, org, to):
    r = env["srv"].post("/admin/v1/orgs/%s/delegations" % org, json={"delegate": to}, headers=H)
    assert r.status_code == 201, r.text
    return r.json()


def undelegate(env, org, to):
    r = env["srv"].delete("/admin/v1/orgs/%s/delegations/%s" % (org, to), headers=H)
    assert r.status_code == 200, r.text


def test_representative_without_delegation_is_refused(env):
    srv = env["srv"]
    before = counts(srv)
    for value_date in ("2999-01-01", None):
        uuid, body = in_b_name(value_date)
        err = assert_error_message(send(srv, env["a"]["auth"], body, uuid), 403,
                                   "SENDER_NOT_ALLOWED")
        assert [f["code"] for f in err["fieldErrors"]] == ["SENDER_NOT_DELEGATED"], err
        assert err["fieldErrors"][0]["rejectedValue"] == B
        assert B in err["message"] and A in err["message"]
        assert letter_row(srv, uuid) is None
        assert uuid not in mailbox_uuids(env), "the citizen never sees B as its sender"
        assert events_of(env, "b", uuid) == [] and events_of(env, "a", uuid) == []
        assert_error_message(srv.post("/apis/v1/memos/%s/recall" % uuid,
                                      headers=env["b"]["auth"]), 404)
    assert counts(srv) == before, "nothing stored, no receipt"


def test_other_ways_round_the_rule_are_refused(env):
    srv = env["srv"]
    # a third organisation naming itself Representative
    uuid, body = in_b_name()
    body = body.replace(b"<memo:representativeID>%s" % A.encode(),
                        b"<memo:representativeID>%s" % C.encode())
    err = assert_error_message(send(srv, env["c"]["auth"], body, uuid), 403, "SENDER_NOT_ALLOWED")
    assert err["fieldErrors"][0]["code"] == "SENDER_NOT_DELEGATED"
    # A without naming itself as Representative (1.1 has no Representative at all)
    for name in (MIN_12, MIN_11):
        uuid, body = letter(name, cpr=EXAMPLE_CPR)
        assert_error_message(send(srv, env["a"]["auth"], body, uuid), 403, "SENDER_NOT_ALLOWED")
        assert letter_row(srv, uuid) is None
    # in a bulk archive: receipt NOT_ALLOWED, nothing stored
    uuid, body = in_b_name()
    h = dict(env["a"]["auth"], **{"Content-Type": "application/x-lzma"})
    r = srv.post("/apis/v1/memos/", data=archive([("b.xml", body)]), headers=h)
    assert r.status_code == 201, r.text
    rec = r.json()["letters"][0]  # one Receipt for the batch; per letter in `letters`
    assert rec["receiptStatus"] == "NOT_ALLOWED" and rec["errorCode"] == "SENDER_NOT_ALLOWED"
    assert letter_row(srv, uuid) is None


def test_with_delegation_the_letter_is_bs(env):
    srv = env["srv"]
    d = delegate(env, B, A)
    assert d["org"] == B and d["delegate"] == A and d["delegateName"]
    try:
        uuid, body = in_b_name(value_date=None)
        r = send(srv, env["a"]["auth"], body, uuid)
        assert r.status_code == 201, r.text
        row = letter_row(srv, uuid)
        assert row["sender_cvr"] == B and row["sender_system"] == env["a"]["system"]
        got = srv.get("/api/mailbox/messages/" + uuid, headers=env["citizen"])
        assert got.status_code == 200, got.text
        assert B in got.text and A in got.text, "B as sender, A as its representative"
        assert events_of(env, "b", uuid), "B sees the events of letters in its name"
        # a recallable one: both B and A may recall it; a third organisation may not
        uuid, body = in_b_name()
        assert send(srv, env["a"]["auth"], body, uuid).status_code == 201
        assert_error_message(srv.post("/apis/v1/memos/%s/recall" % uuid,
                                      headers=env["c"]["auth"]), 404)
        r = srv.post("/apis/v1/memos/%s/recall" % uuid, headers=env["b"]["auth"])
        assert r.status_code == 200, r.text
        # the delegation goes one way only: B may not send in A's name
        uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, sender=A)
        assert_error_message(send(srv, env["b"]["auth"], body, uuid), 403, "SENDER_NOT_ALLOWED")
    finally:
        undelegate(env, B, A)
    uuid, body = in_b_name()
    assert_error_message(send(srv, env["a"]["auth"], body, uuid), 403, "SENDER_NOT_ALLOWED")


def test_own_letter_may_name_only_a_delegated_representative(env):
    """A letter in the system's own name (Sender B from B's system) that names another
    organisation as Representative says that organisation sends for B: refused (403
    SENDER_NOT_ALLOWED, fieldError REPRESENTATIVE_NOT_DELEGATED) unless B delegated sending to
    it; no Representative, or B itself, needs no delegation; a Representative that is not a
    CVR is refused outright."""
    srv = env["srv"]
    before = counts(srv)
    uuid, body = in_b_name()  # Sender B, Representative A, sent by B's own system
    err = assert_error_message(send(srv, env["b"]["auth"], body, uuid), 403,
                               "SENDER_NOT_ALLOWED")
    assert [f["code"] for f in err["fieldErrors"]] == ["REPRESENTATIVE_NOT_DELEGATED"], err
    assert err["fieldErrors"][0]["rejectedValue"] == A
    assert err["fieldErrors"][0]["field"].endswith("memo:Representative/memo:representativeID")
    assert letter_row(srv, uuid) is None
    # naming a third organisation, and naming a person (idType CPR), are refused too
    for rep, idtype in ((C, b"CVR"), (EXAMPLE_CPR, b"CPR")):
        uuid, body = in_b_name()
        body = body.replace(b"<memo:representativeID>%s" % A.encode(),
                            b"<memo:representativeID>%s" % rep.encode())
        if idtype == b"CPR":
            i = body.index(b"<memo:Representative>")
            j = body.index(b"</memo:Representative>")
            body = body[:i] + body[i:j].replace(b">CVR<", b">CPR<") + body[j:]
        err = assert_error_message(send(srv, env["b"]["auth"], body, uuid), 403,
                                   "SENDER_NOT_ALLOWED")
        assert err["fieldErrors"][0]["code"] == "REPRESENTATIVE_NOT_DELEGATED", err
        assert letter_row(srv, uuid) is None
    assert counts(srv) == before, "nothing stored, no receipt"
    # B naming itself, or no Representative (Minimum 1.2), needs no delegation
    uuid, body = in_b_name()
    body = body.replace(b"<memo:representativeID>%s" % A.encode(),
                        b"<memo:representativeID>%s" % B.encode())
    assert send(srv, env["b"]["auth"], body, uuid).status_code == 201
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert send(srv, env["b"]["auth"], body, uuid).status_code == 201
    # once B delegated to A, B's own letter may name A
    delegate(env, B, A)
    try:
        uuid, body = in_b_name()
        r = send(srv, env["b"]["auth"], body, uuid)
        assert r.status_code == 201, r.text
        assert letter_row(srv, uuid)["sender_cvr"] == B
    finally:
        undelegate(env, B, A)


def test_cli(env):
    srv = env["srv"]
    out = srv.cli(["delegation", "add", "--org", B, "--delegate", C])
    assert out["org"] == B and out["delegate"] == C
    listed = srv.cli(["delegation", "list", "--org", B])["items"]
    assert [(d["org"], d["delegate"]) for d in listed] == [(B, C)]
    assert srv.cli(["delegation", "list", "--delegate", A])["items"] == []
    p = srv.cli(["delegation", "add", "--org", B, "--delegate", C], json_out=False, check=False)
    assert p.returncode == 1 and "already" in p.stderr
    uuid, body = in_b_name()
    body = body.replace(b"<memo:representativeID>%s" % A.encode(),
                        b"<memo:representativeID>%s" % C.encode())
    assert send(srv, env["c"]["auth"], body, uuid).status_code == 201
    out = srv.cli(["delegation", "remove", "--org", B, "--delegate", C])
    assert out["removed"] is True
    uuid, body = in_b_name()
    body = body.replace(b"<memo:representativeID>%s" % A.encode(),
                        b"<memo:representativeID>%s" % C.encode())
    assert_error_message(send(srv, env["c"]["auth"], body, uuid), 403, "SENDER_NOT_ALLOWED")
    for args, rc in ([["add", "--org", B, "--delegate", B], 1],
                     [["add", "--org", B, "--delegate", "11111111"], 1],
                     [["add", "--org", "123", "--delegate", A], 1],
                     [["remove", "--org", B, "--delegate", C], 1],
                     [["add", "--org", B], 2], [["frobnicate"], 2]):
        p = srv.cli(["delegation"] + args, json_out=False, check=False)
        assert p.returncode == rc, (args, p.returncode, p.stderr)
    assert "no organisation with CVR 11111111" in \
        srv.cli(["delegation", "add", "--org", B, "--delegate", "11111111"], json_out=False,
                check=False).stderr


def test_admin_api(env):
    srv = env["srv"]
    assert_error_message(srv.get("/admin/v1/orgs/%s/delegations" % B), 401)
    assert_error_message(srv.post("/admin/v1/orgs/%s/delegations" % B, json={"delegate": A}),
                         401)
    assert_error_message(srv.delete("/admin/v1/orgs/%s/delegations/%s" % (B, A)), 401)
    assert_error_message(srv.post("/admin/v1/orgs/%s/delegations" % B, json={}, headers=H), 400)
    assert_error_message(srv.post("/admin/v1/orgs/%s/delegations" % B, json={"delegate": B},
                                  headers=H), 400)
    assert_error_message(srv.post("/admin/v1/orgs/99999999/delegations", json={"delegate": A},
                                  headers=H), 404)
    delegate(env, B, A)
    assert_error_message(srv.post("/admin/v1/orgs/%s/delegations" % B, json={"delegate": A},
                                  headers=H), 409)
    r = srv.get("/admin/v1/orgs/%s/delegations" % B, headers=H)
    assert r.status_code == 200 and [d["delegate"] for d in r.json()["items"]] == [A], r.text
    undelegate(env, B, A)
    assert srv.get("/admin/v1/orgs/%s/delegations" % B, headers=H).json()["items"] == []
    assert_error_message(srv.delete("/admin/v1/orgs/%s/delegations/%s" % (B, A), headers=H), 404)
