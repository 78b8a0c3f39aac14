# SPDX-License-Identifier: MIT
"""A system's further fields (issue 11 item 1): technical contact, supplier, allowed IP
addresses and ranges, active from / to -- stored, validated by the one kv_system_check for the
CLI (`kuvert system add|edit`) and the admin API (POST / PATCH /admin/v1/systems), and
enforced: the API gate refuses a system's calls from an address outside its list (403
IP_ADDRESS_NOT_ALLOWED) and outside its active period (403 SYSTEM_NOT_ACTIVE), and a recipient
system outside its active period is no delivery target. The server listens on 127.0.0.1, so
a list without 127.0.0.1 refuses these tests' calls and one with it admits them.
"""
import datetime
import uuid as uuidlib

import pytest

from kuvert_harness import CliError, KuvertServer, assert_error_message, pin_clock_to_noon
from readside_util import basic, letter_xml, setup_org

ADMIN = "admin-token-for-system-fields"
H = {"Authorization": "Bearer " + ADMIN}
ORG = "31313131"
SENDER_ORG = "32323232"


PINNED = []  # the module server's today() (pin_clock_to_noon)


def today(offset_days=0):
    """The server's date (Copenhagen) + offset_days: its clock is pinned near noon, so a date
    the test computes and the server's today agree whenever the suite runs (at 23:59:59 a
    system made active "tomorrow" was already active when the server checked it)."""
    return (PINNED[0]() + datetime.timedelta(days=offset_days)).isoformat()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("kuvert") / "data"
    PINNED[:] = [pin_clock_to_noon(d)]
    s = KuvertServer(d, test_clock=True, env={"KUVERT_ADMIN_TOKEN": ADMIN}).start()
    s.cli(["org", "add", "--cvr", ORG, "--name", "Kommunen"], json_out=False)
    yield s
    s.stop()


def add(srv, *extra, kind="recipient"):
    return srv.cli(["system", "add", "--org", ORG, "--kind", kind, "--name", "S"] + list(extra))


def pull_list(srv, token):
    return srv.get("/apis/v1/memos/", headers=basic(token))


def test_cli_add_show_edit(srv):
    out = add(srv, "--technical-contact", "Ole Olsen, 12 34 56 78", "--supplier", "KMD",
              "--allowed-ips", "10.0.0.0/8, 2001:DB8::/32\n192.0.2.7/32",
              "--active-from", "2026-01-01", "--active-to", "2030-12-31")
    shown = srv.cli(["system", "show", out["id"]])
    assert shown["technicalContact"] == "Ole Olsen, 12 34 56 78"
    assert shown["supplier"] == "KMD"
    assert shown["allowedIps"] == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
    assert (shown["activeFrom"], shown["activeTo"]) == ("2026-01-01", "2030-12-31")
    # edit changes only what is given; "" clears
    ed = srv.cli(["system", "edit", out["id"], "--allowed-ips", "", "--supplier", "Netcompany"])
    assert ed["allowedIps"] == [] and ed["supplier"] == "Netcompany"
    assert ed["technicalContact"] == "Ole Olsen, 12 34 56 78" and ed["activeTo"] == "2030-12-31"
    assert srv.cli(["system", "show", out["id"]])["supplier"] == "Netcompany"


@pytest.mark.parametrize("flags,needle", [
    (["--allowed-ips", "10.0.0.1/8"], "host bits set in 10.0.0.1/8: did you mean 10.0.0.0/8?"),
    (["--allowed-ips", "example.dk"], "allowedIps: not an IP address or range: example.dk"),
    (["--allowed-ips", "10.0.0.0/40"], "prefix length"),
    (["--active-from", "2026-02-30"], "activeFrom: must be a date YYYY-MM-DD"),
    (["--active-from", "2027-01-01", "--active-to", "2026-01-01"],
     "activeTo: must not be before active from"),
])
def test_cli_refuses(srv, flags, needle):
    with pytest.raises(CliError) as e:
        add(srv, *flags)
    assert e.value.proc.returncode == 2 and needle in e.value.proc.stderr


def test_admin_api_add_patch(srv):
    r = srv.post("/admin/v1/systems", headers=H, json={
        "org": ORG, "kind": "sender", "name": "ESDH", "technicalContact": "drift@x.dk",
        "supplier": "Acme", "allowedIps": ["198.51.100.0/24", "::1"], "activeFrom": "2026-01-01"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    got = srv.get("/admin/v1/systems/" + sid, headers=H).json()
    assert got["allowedIps"] == ["198.51.100.0/24", "::1"] and got["supplier"] == "Acme"
    assert got["activeFrom"] == "2026-01-01" and got["activeTo"] is None
    r = srv.request("PATCH", "/admin/v1/systems/" + sid, headers=H,
                    json={"allowedIps": None, "activeTo": "2031-06-30", "name": "ESDH 2"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert (j["allowedIps"], j["activeTo"], j["name"], j["supplier"]) == (
        [], "2031-06-30", "ESDH 2", "Acme")
    # refusals name the field
    r = srv.request("PATCH", "/admin/v1/systems/" + sid, headers=H,
                    json={"allowedIps": ["10.0.0.0/8", "300.0.0.1"]})
    e = assert_error_message(r, 400, "INVALID_FIELD")
    assert [f["field"] for f in e["fieldErrors"]] == ["allowedIps"]
    r = srv.request("PATCH", "/admin/v1/systems/" + sid, headers=H, json={"allowedIps": 5})
    assert_error_message(r, 400, "INVALID_FIELD")
    r = srv.request("PATCH", "/admin/v1/systems/" + sid, headers=H, json={"kind": "recipient"})
    assert assert_error_message(r, 400, "INVALID_FIELD")["fieldErrors"][0]["field"] == "kind"
    r = srv.request("PATCH", "/admin/v1/systems/" + str(uuidlib.uuid4()), headers=H,
                    json={"name": "x"})
    assert_error_message(r, 404)
    assert srv.get("/admin/v1/systems/" + sid, headers=H).json()["name"] == "ESDH 2"


def test_allowed_ips_enforced_on_every_call(srv):
    out = add(srv, "--allowed-ips", "10.0.0.0/8, 2001:db8::/32")
    r = pull_list(srv, out["token"])
    e = assert_error_message(r, 403, "IP_ADDRESS_NOT_ALLOWED")
    assert "127.0.0.1" in e["message"]
    # another route of the same system: also refused
    assert_error_message(srv.get("/apis/v1/memos/" + str(uuidlib.uuid4()),
                                 headers=basic(out["token"])), 403, "IP_ADDRESS_NOT_ALLOWED")
    # a wrong token is still a 401 (the credential is checked first)
    assert_error_message(srv.get("/apis/v1/memos/", headers=basic("x" * 40)), 401)
    srv.cli(["system", "edit", out["id"], "--allowed-ips", "10.0.0.0/8, 127.0.0.1"])
    assert pull_list(srv, out["token"]).status_code == 200
    srv.cli(["system", "edit", out["id"], "--allowed-ips", "127.0.0.0/8"])
    assert pull_list(srv, out["token"]).status_code == 200
    srv.cli(["system", "edit", out["id"], "--allowed-ips", "127.0.0.2"])
    assert_error_message(pull_list(srv, out["token"]), 403, "IP_ADDRESS_NOT_ALLOWED")
    srv.cli(["system", "edit", out["id"], "--allowed-ips", ""])
    assert pull_list(srv, out["token"]).status_code == 200


def test_active_window_enforced(srv):
    out = add(srv, "--active-from", today(1))
    e = assert_error_message(pull_list(srv, out["token"]), 403, "SYSTEM_NOT_ACTIVE")
    assert today(1) in e["message"]
    srv.cli(["system", "edit", out["id"], "--active-from", today(), "--active-to", today()])
    assert pull_list(srv, out["token"]).status_code == 200  # both ends inclusive
    srv.cli(["system", "edit", out["id"], "--active-from", "", "--active-to", today(-1)])
    assert_error_message(pull_list(srv, out["token"]), 403, "SYSTEM_NOT_ACTIVE")


def send(srv, sender, cvr):
    u, xml = letter_xml(SENDER_ORG, cvr, "CVR")
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": u}, data=xml,
                 headers=dict(sender["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    return u, r.json()


def test_outside_window_no_delivery_target(srv):
    cvr = "33343536"
    srv.cli(["org", "add", "--cvr", cvr, "--name", "Styrelsen"], json_out=False)
    rec = srv.cli(["system", "add", "--org", cvr, "--kind", "recipient", "--name", "Sag",
                   "--default", "--active-to", today(-1)])
    sender = setup_org(srv, SENDER_ORG)
    u, receipt = send(srv, sender, cvr)
    assert (receipt["receiptStatus"], receipt["errorCode"]) == ("NOT_ALLOWED", "RECIPIENT_UNKNOWN")
    # back inside its window: routed to it, and it can fetch the letter
    srv.cli(["system", "edit", rec["id"], "--active-to", today(30)])
    u, receipt = send(srv, sender, cvr)
    assert receipt["receiptStatus"] == "RECEIVED"
    r = srv.get("/apis/v1/memos/" + u, headers=basic(rec["token"]))
    assert r.status_code == 200, r.text
