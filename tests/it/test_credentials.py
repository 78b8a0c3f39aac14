# SPDX-License-Identifier: MIT
"""Credentials, black-box (issue 8, item 7): mailbox owners' bearer tokens expire, are revoked
when a new one is issued (unless --keep-others / keepOthers), can be listed and revoked one by
one or all of an owner's, through `kuvert user token ...` and /admin/v1/user-tokens; a
system's secret can be rotated (`kuvert system rotate-secret`, /admin/v1/systems/{id}/
rotate-secret and NgDP's .../renewapitoken) and the old token stops working at once. Secrets
are stored hashed and never logged.
"""
import base64
import re
import sqlite3

import pytest

from kuvert_harness import KuvertServer, assert_error_message, db_connect
from readside_util import bearer, mailbox, setup_org
from send_util import EXAMPLE_CPR, MIN_12, SENDER_CVR, letter, send

ADMIN = "another-admin-token-for-credential-tests"
H = {"Authorization": "Bearer " + ADMIN}
CPR = "0101701234"
OTHER_CPR = "0202702345"
COMPANY = "29189978"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = KuvertServer(tmp_path_factory.mktemp("kuvert") / "data", test_clock=True,
                     env={"KUVERT_ADMIN_TOKEN": ADMIN}).start()
    mailbox(s, cpr=CPR)
    mailbox(s, cpr=OTHER_CPR)
    mailbox(s, cvr=COMPANY)
    mailbox(s, cpr=EXAMPLE_CPR)
    yield s
    s.stop()


def reads(srv, token):
    """Status of a mailbox read with token."""
    return srv.get("/api/mailbox/messages", headers=bearer(token)).status_code


def issue(srv, *extra, cpr=CPR):
    return srv.cli(["user", "token", "--cpr", cpr] + list(extra))


# ---- CLI ----

def test_new_token_replaces_the_old_one(srv):
    first = issue(srv)
    assert first["token"].startswith("kvu_") and re.match(r"^[0-9a-f]{16}$", first["id"])
    assert reads(srv, first["token"]) == 200
    second = issue(srv)
    assert second["revokedOthers"] >= 1
    assert reads(srv, second["token"]) == 200
    r = srv.get("/api/mailbox/messages", headers=bearer(first["token"]))
    err = assert_error_message(r, 401)
    assert "revoked" in err["message"]
    # --keep-others: a second client of the same owner
    third = issue(srv, "--keep-others")
    assert third["revokedOthers"] == 0
    assert reads(srv, second["token"]) == 200 and reads(srv, third["token"]) == 200


def test_plain_output_is_the_token_alone(srv):
    p = srv.cli(["user", "token", "--cpr", CPR], json_out=False)
    assert re.match(r"^kvu_[0-9a-f]{64}\n$", p.stdout), p.stdout
    assert reads(srv, p.stdout.strip()) == 200


def test_list_and_revoke_by_id_and_by_owner(srv):
    a = issue(srv, cpr=OTHER_CPR)
    b = issue(srv, "--keep-others", cpr=OTHER_CPR)
    listed = srv.cli(["user", "token", "list", "--cpr", OTHER_CPR])
    by_id = {t["id"]: t for t in listed["items"]}
    assert by_id[a["id"]]["status"] == "active" and by_id[b["id"]]["status"] == "active"
    assert "kvu_" not in str(listed), "never the secret"
    assert listed["items"][0]["id"] == b["id"], "newest first"

    out = srv.cli(["user", "token", "revoke", a["id"].upper()])
    assert out["id"] == a["id"] and out["status"] == "revoked" and not out["alreadyRevoked"]
    assert reads(srv, a["token"]) == 401 and reads(srv, b["token"]) == 200
    assert srv.cli(["user", "token", "revoke", a["id"]])["alreadyRevoked"] is True
    p = srv.cli(["user", "token", "revoke", "0123456789abcdef"], json_out=False, check=False)
    assert p.returncode == 1 and "no user token" in p.stderr

    c = issue(srv, "--keep-others", cpr=OTHER_CPR)
    out = srv.cli(["user", "token", "revoke", "--cpr", OTHER_CPR])
    assert out["revoked"] == 2
    assert reads(srv, b["token"]) == 401 and reads(srv, c["token"]) == 401
    statuses = {t["id"]: t["status"] for t in
                srv.cli(["user", "token", "list", "--cpr", OTHER_CPR])["items"]}
    assert statuses[b["id"]] == statuses[c["id"]] == "revoked"


def test_tokens_expire(srv):
    short = issue(srv, "--ttl", "2h", "--keep-others")
    default = issue(srv, "--keep-others")
    assert reads(srv, short["token"]) == 200
    srv.advance_clock("3h")
    err = assert_error_message(srv.get("/api/mailbox/messages", headers=bearer(short["token"])),
                               401)
    assert "expired" in err["message"]
    assert reads(srv, default["token"]) == 200, "the default lifetime is 30 days"
    srv.advance_clock("30d")
    assert reads(srv, default["token"]) == 401
    listed = srv.cli(["user", "token", "list", "--cpr", CPR])["items"]
    assert {t["id"]: t["status"] for t in listed}[default["id"]] == "expired"


@pytest.mark.parametrize("args", [["--ttl", "0s"], ["--ttl", "400d"], ["--ttl", "soon"],
                                  ["--cvr", COMPANY]])
def test_cli_usage_errors(srv, args):
    p = srv.cli(["user", "token", "--cpr", CPR] + args, json_out=False, check=False)
    assert p.returncode == 2, (p.stdout, p.stderr)


def test_system_secret_rotation_cli(srv):
    org = setup_org(srv, SENDER_CVR)
    mailbox_ok = EXAMPLE_CPR
    uuid, body = letter(MIN_12, cpr=mailbox_ok)
    assert send(srv, org["auth"], body, uuid).status_code == 201
    out = srv.cli(["system", "rotate-secret", org["system"].upper()])
    assert out["id"] == org["system"]
    assert base64.b64decode(out["token"]).decode().startswith(org["system"] + ":")
    uuid, body = letter(MIN_12, cpr=mailbox_ok)
    assert_error_message(send(srv, org["auth"], body, uuid), 401)
    r = send(srv, {"Authorization": "Basic " + out["token"]}, body, uuid)
    assert r.status_code == 201, r.text
    p = srv.cli(["system", "rotate-secret", "00000000-0000-4000-8000-000000000000"],
                json_out=False, check=False)
    assert p.returncode == 1


# ---- admin API ----

def test_admin_api_user_tokens(srv):
    r = srv.post("/admin/v1/user-tokens", json={"cvr": COMPANY, "ttl": "1d"}, headers=H)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["token"].startswith("kvu_") and first["status"] == "active"
    assert first["ownerType"] == "CVR" and first["ownerId"] == COMPANY
    assert r.headers.get("Cache-Control") == "no-store"
    assert reads(srv, first["token"]) == 200
    r = srv.post("/admin/v1/user-tokens", json={"cvr": COMPANY, "keepOthers": True}, headers=H)
    second = r.json()
    assert second["revokedOthers"] == 0 and reads(srv, first["token"]) == 200
    r = srv.post("/admin/v1/user-tokens", json={"cvr": COMPANY}, headers=H)
    third = r.json()
    assert third["revokedOthers"] == 2
    assert reads(srv, first["token"]) == 401 and reads(srv, second["token"]) == 401

    r = srv.get("/admin/v1/user-tokens", params={"cvr": COMPANY}, headers=H)
    assert r.status_code == 200, r.text
    assert "kvu_" not in r.text, "a listing never shows a token"
    st = {t["id"]: t["status"] for t in r.json()["items"]}
    assert st == {first["id"]: "revoked", second["id"]: "revoked", third["id"]: "active"}

    r = srv.delete("/admin/v1/user-tokens/" + third["id"], headers=H)
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    assert reads(srv, third["token"]) == 401
    assert srv.delete("/admin/v1/user-tokens/" + third["id"], headers=H).json()["alreadyRevoked"]
    assert_error_message(srv.delete("/admin/v1/user-tokens/ffffffffffffffff", headers=H), 404)

    fourth = srv.post("/admin/v1/user-tokens", json={"cvr": COMPANY}, headers=H).json()
    r = srv.post("/admin/v1/user-tokens/revoke", json={"cvr": COMPANY}, headers=H)
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert reads(srv, fourth["token"]) == 401


@pytest.mark.parametrize("body", [{}, {"cpr": CPR, "cvr": COMPANY}, {"cpr": "3102771212"},
                                  {"cpr": CPR, "ttl": "500d"}, {"cpr": CPR, "ttl": 5},
                                  {"cpr": CPR, "keepOthers": "yes"}])
def test_admin_api_user_token_validation(srv, body):
    assert_error_message(srv.post("/admin/v1/user-tokens", json=body, headers=H), 400)


def test_admin_api_needs_the_admin_token(srv):
    for method, path in [("POST", "/admin/v1/user-tokens"), ("GET", "/admin/v1/user-tokens"),
                         ("DELETE", "/admin/v1/user-tokens/0123456789abcdef"),
                         ("POST", "/admin/v1/user-tokens/revoke"),
                         ("POST", "/admin/v1/systems/x/rotate-secret"),
                         ("POST", "/admin/v1/systems/x/renewapitoken")]:
        r = srv.request(method, path, json={"cpr": CPR})
        assert_error_message(r, 401)


def test_admin_api_rotate_secret(srv):
    org = setup_org(srv, SENDER_CVR)
    for path in ("rotate-secret", "renewapitoken"):
        old = org["auth"]
        r = srv.post("/admin/v1/systems/%s/%s" % (org["system"], path), headers=H)
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        assert r.json()["id"] == org["system"]
        uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
        assert_error_message(send(srv, old, body, uuid), 401)
        assert send(srv, {"Authorization": "Basic " + token}, body, uuid).status_code == 201
        org = dict(org, auth={"Authorization": "Basic " + token})
    assert_error_message(srv.post("/admin/v1/systems/%s/rotate-secret"
                                  % "00000000-0000-4000-8000-000000000000", headers=H), 404)


def test_secrets_stored_hashed_and_never_logged(srv):
    tok = issue(srv)["token"]
    org = setup_org(srv, SENDER_CVR)
    rotated = srv.cli(["system", "rotate-secret", org["system"]])["token"]
    secret = base64.b64decode(rotated).decode().split(":", 1)[1]
    assert reads(srv, tok) == 200
    log = srv.log()
    assert tok not in log and secret not in log and rotated not in log
    db = db_connect(srv.data_dir, readonly=True)
    try:
        dump = "\n".join(db.iterdump())
    finally:
        db.close()
    assert tok not in dump and secret not in dump
    assert tok[4:] not in dump
