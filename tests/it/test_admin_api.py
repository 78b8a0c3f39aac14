# SPDX-License-Identifier: MIT
"""Black-box tests of the HTTP admin API (/admin/v1/), beside the admin CLI.

The server runs with admin_token set through the environment (KUVERT_ADMIN_TOKEN); a second
server without it must refuse the API. What the API creates must work for real: a system
created over HTTP sends a letter with the token it was given.
"""
import base64
import pathlib
import re
import uuid

import pytest

from kuvert_harness import assert_error_message, db_connect

ADMIN = "s3cret-admin-token-for-tests"
H = {"Authorization": "Bearer " + ADMIN}
EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "data" / "examples"


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    from kuvert_harness import KuvertServer
    srv = KuvertServer(tmp_path_factory.mktemp("kuvert") / "data",
                       env={"KUVERT_ADMIN_TOKEN": ADMIN}).start()
    yield srv
    srv.stop()


def test_admin_api_disabled_without_token(server):
    r = server.post("/admin/v1/orgs", json={"cvr": "12345678", "name": "X"}, headers=H)
    assert_error_message(r, 403, "ADMIN_API_DISABLED")


def test_admin_auth(admin_server):
    r = admin_server.post("/admin/v1/orgs", json={"cvr": "12345678", "name": "X"})
    assert_error_message(r, 401)
    r = admin_server.post("/admin/v1/orgs", json={"cvr": "12345678", "name": "X"},
                          headers={"Authorization": "Bearer wrong"})
    assert_error_message(r, 401)


def test_setup_over_http_then_send(admin_server):
    s = admin_server
    r = s.post("/admin/v1/orgs", json={"cvr": "12345678", "name": "Kommunen"}, headers=H)
    assert r.status_code == 201, r.text
    org = r.json()
    assert {k: org[k] for k in ("cvr", "name")} == {"cvr": "12345678", "name": "Kommunen"}
    assert sorted(org) == ["cvr", "id", "name"] and len(org["id"]) == 36
    # duplicate organisation -> 409 with the ErrorMessage shape
    r = s.post("/admin/v1/orgs", json={"cvr": "12345678", "name": "Kommunen"}, headers=H)
    assert_error_message(r, 409)

    r = s.post("/admin/v1/systems", json={"org": "12345678", "kind": "sender", "name": "ESDH"},
               headers=H)
    assert r.status_code == 201, r.text
    sysid, token = r.json()["id"], r.json()["token"]
    assert base64.b64decode(token).decode().startswith(sysid + ":")
    con = db_connect(s.data_dir)
    try:
        assert [r[0] for r in con.execute("SELECT actor FROM events WHERE tag IN "
                                          "('ORGANISATION_CREATED', 'SYSTEM_CREATED') "
                                          "ORDER BY seq").fetchall()] == ["admin", "admin"]
    finally:
        con.close()
    r = s.get("/admin/v1/systems/" + sysid, headers=H)
    assert r.status_code == 200 and r.json()["kind"] == "sender" and r.json()["status"] == "active"
    assert "token" not in r.json()
    assert_error_message(s.get("/admin/v1/systems/" + str(uuid.uuid4()), headers=H), 404)

    r = s.post("/admin/v1/mailboxes", json={"cpr": "2211771212", "name": "Mette"}, headers=H)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "REGISTERED"

    body = (EXAMPLES / "itk-dev-rpa_python-serviceplatformen__MeMo_Minimum_Example__memo-1.2.xml").read_bytes()
    u = str(uuid.uuid4())
    body = re.sub(rb"8C2EA15D-61FB-4BA9-9366-42F8B194C114", u.encode(), body)
    r = s.post("/apis/v1/memos/?memo-message-uuid=" + u, data=body,
               headers={"Authorization": "Basic " + token, "Content-Type": "application/xml"})
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED"

    r = s.post("/admin/v1/mailboxes/close", json={"cpr": "2211771212"}, headers=H)
    assert r.status_code == 200 and r.json()["status"] == "CLOSED"
    u2 = str(uuid.uuid4())
    body2 = body.replace(u.encode(), u2.encode())
    r = s.post("/apis/v1/memos/?memo-message-uuid=" + u2, data=body2,
               headers={"Authorization": "Basic " + token, "Content-Type": "application/xml"})
    assert r.status_code == 201 and r.json()["receiptStatus"] == "NOT_ALLOWED"


@pytest.mark.parametrize("path,body", [
    ("/admin/v1/orgs", {"cvr": "1234", "name": "short cvr"}),
    ("/admin/v1/orgs", {"name": "no cvr"}),
    ("/admin/v1/orgs", {"cvr": 12345678, "name": "cvr not a string"}),
    ("/admin/v1/systems", {"org": "12345678", "kind": "printer", "name": "bad kind"}),
    ("/admin/v1/systems", {"org": "12345678", "kind": "sender", "name": "x",
                           "receiptUrl": "ftp://example"}),
    ("/admin/v1/systems", {"org": "12345678", "kind": "sender", "name": "x", "default": "yes"}),
    ("/admin/v1/mailboxes", {"cpr": "3102771212"}),
    ("/admin/v1/mailboxes", {"cpr": "2211771212", "cvr": "12345678"}),
    ("/admin/v1/mailboxes", {}),
    ("/admin/v1/mailboxes", {"cvr": "87654321", "exempt": "true"}),
])
def test_validation(admin_server, path, body):
    assert_error_message(admin_server.post(path, json=body, headers=H), 400)


def test_not_json(admin_server):
    r = admin_server.post("/admin/v1/orgs", data=b"cvr=1", headers=H)
    assert_error_message(r, 400, "INVALID_JSON")
    r = admin_server.post("/admin/v1/orgs", data=b"[1]", headers=H)
    assert_error_message(r, 400, "INVALID_JSON")
