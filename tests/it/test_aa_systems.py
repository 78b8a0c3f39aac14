# SPDX-License-Identifier: MIT
"""Administrativ Adgang: sender and recipient systems (issue 11 item 1, docs/administrativ-adgang.md)
over HTTP. Who may see the pages (the one rule table: SYSTEM_MANAGER in the organisation acted
for), that another organisation's system is not found, the token renewal's confirmation step,
CSRF refusal, and that renew / deactivate / activate / default change what the API sees."""
import re

import pytest

from kuvert_harness import run_cli
from test_web import csrf_of, sign_in, assert_secure_page

BASE = "/administrativ-adgang/systemer"
SYSTEM_MANAGER = "soeren.system@kommunen.dk"   # Kommunen (12345678): SYSTEM_MANAGER
NO_RIGHTS = "ida.nyansat@kommunen.dk"          # Kommunen: no rights
CITIZEN = "2211771212"


@pytest.fixture
def aa(make_server, tmp_path):
    d = str(tmp_path / "data")
    demo = run_cli(["demo"], data=d)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    systems = {(s["org"], s["kind"]): s for s in demo["systems"]}
    return srv, systems


def basic(token):
    return {"Authorization": "Basic " + token}


def pull_status(srv, token):
    return srv.get("/apis/v1/memos/", headers=basic(token)).status_code


def test_who_may_see_the_systems(aa):
    srv, systems = aa
    r = srv.get(BASE, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    sign_in(srv, CITIZEN)
    r = srv.get("/administrativ-adgang/")
    assert r.status_code == 200 and "medarbejdere" in r.text
    assert srv.get(BASE).status_code == 403
    srv.post("/logout", data={"csrf": csrf_of(srv.get("/").text)})
    sign_in(srv, NO_RIGHTS)
    r = srv.get("/administrativ-adgang/")
    assert r.status_code == 200 and BASE not in r.text
    assert srv.get(BASE).status_code == 403
    sid = systems[("12345678", "recipient")]["id"]
    assert srv.get(BASE + "/" + sid).status_code == 403


def test_list_shows_own_systems_with_health(aa):
    srv, systems = aa
    sign_in(srv, SYSTEM_MANAGER)
    r = srv.get("/administrativ-adgang/")
    assert 'href="%s"' % BASE in r.text
    r = srv.get(BASE)
    assert r.status_code == 200
    assert_secure_page(r)
    assert "Kommunen (CVR 12345678)" in r.text          # the organisation acted for
    assert systems[("12345678", "sender")]["id"] in r.text
    assert systems[("12345678", "recipient")]["id"] in r.text
    assert systems[("11223344", "sender")]["id"] not in r.text
    for col in ("Kø", "Seneste vellykkede levering", "Fejler siden", "Advarsler sendt"):
        assert col in r.text
    r = srv.get(BASE + "?lang=en")
    assert "Last successful delivery" in r.text and "Warnings sent" in r.text


def test_other_organisations_system_is_not_found(aa):
    srv, systems = aa
    sign_in(srv, SYSTEM_MANAGER)
    other = systems[("11223344", "sender")]["id"]
    assert srv.get(BASE + "/" + other).status_code == 404
    assert srv.get(BASE + "/" + other + "/nyt-token").status_code == 404
    csrf = csrf_of(srv.get(BASE).text)
    assert srv.post(BASE + "/" + other + "/deaktiver", data={"csrf": csrf}).status_code == 404
    assert srv.get(BASE + "/not-a-uuid").status_code == 404
    show = run_cli(["system", "show", other], data=srv.data_dir)
    assert show["status"] == "active"


def test_renew_token_after_confirmation(aa):
    srv, systems = aa
    rec = systems[("12345678", "recipient")]
    sign_in(srv, SYSTEM_MANAGER)
    page = srv.get(BASE + "/" + rec["id"] + "/nyt-token")
    assert page.status_code == 200 and 'action="%s/%s/nyt-token"' % (BASE, rec["id"]) in page.text
    assert pull_status(srv, rec["token"]) == 200     # asking changes nothing
    r = srv.post(BASE + "/" + rec["id"] + "/nyt-token", data={"csrf": "x" * 43})
    assert r.status_code == 403
    assert pull_status(srv, rec["token"]) == 200     # a forged form changes nothing
    r = srv.post(BASE + "/" + rec["id"] + "/nyt-token", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="token" type="text" readonly value="([^"]+)"', r.text).group(1)
    assert token != rec["token"]
    assert pull_status(srv, rec["token"]) == 401
    assert pull_status(srv, token) == 200
    assert token not in srv.get(BASE + "/" + rec["id"]).text   # shown once


def test_deactivate_activate_and_default(aa):
    srv, systems = aa
    rec = systems[("12345678", "recipient")]
    second = run_cli(["system", "add", "--org", "12345678", "--kind", "recipient",
                      "--name", "Andet modtagesystem"], data=srv.data_dir)
    sign_in(srv, SYSTEM_MANAGER)
    page = srv.get(BASE + "/" + rec["id"])
    csrf = csrf_of(page.text)
    r = srv.post(BASE + "/" + rec["id"] + "/deaktiver", data={"csrf": csrf}, allow_redirects=False)
    assert r.status_code == 303
    assert run_cli(["system", "show", rec["id"]], data=srv.data_dir)["status"] == "deactivated"
    page = srv.get(r.headers["Location"])
    assert "Systemet er deaktiveret." in page.text and "/aktiver" in page.text
    r = srv.post(BASE + "/" + rec["id"] + "/aktiver", data={"csrf": csrf}, allow_redirects=False)
    assert r.status_code == 303
    assert run_cli(["system", "show", rec["id"]], data=srv.data_dir)["status"] == "active"
    r = srv.post(BASE + "/" + second["id"] + "/standard", data={"csrf": csrf},
                 allow_redirects=False)
    assert r.status_code == 303
    assert run_cli(["system", "show", second["id"]], data=srv.data_dir)["default"] is True
    assert run_cli(["system", "show", rec["id"]], data=srv.data_dir)["default"] is False
    sender = systems[("12345678", "sender")]["id"]
    assert srv.post(BASE + "/" + sender + "/standard", data={"csrf": csrf}).status_code == 400
    assert srv.post(BASE + "/" + rec["id"] + "/deaktiver", data={}).status_code == 403
    assert run_cli(["system", "show", rec["id"]], data=srv.data_dir)["status"] == "active"
