# SPDX-License-Identifier: MIT
"""Administrativ Adgang: sender and recipient systems (issue 11 item 1, docs/administrativ-adgang.md)
over HTTP. Who may see the pages (the one rule table: SYSTEM_MANAGER in the organisation acted
for), that another organisation's system is not found, the token renewal's confirmation step,
CSRF refusal, and that renew / deactivate / activate / default change what the API sees."""
import re

import pytest

from kuvert_harness import db_connect, run_cli
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
    # the event names the employee who did it (hub/event_actor.h), not "admin"
    con = db_connect(srv.data_dir)
    try:
        actors = [r[0] for r in con.execute(
            "SELECT actor FROM events WHERE tag = 'SYSTEM_DEACTIVATED' AND system_id = ?",
            (rec["id"],)).fetchall()]
        created = [r[0] for r in con.execute(
            "SELECT actor FROM events WHERE tag = 'SYSTEM_CREATED' AND system_id = ?",
            (second["id"],)).fetchall()]
    finally:
        con.close()
    assert len(actors) == 1 and re.match(r"^employee:\d+@12345678$", actors[0]), actors
    assert created == ["cli"]                   # `kuvert system add` above
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


def org_systems(srv, cvr="12345678"):
    db = db_connect(srv.data_dir)
    try:
        return db.execute("SELECT id, name, kind, protocol, push_url, contact_email FROM systems"
                          " WHERE org_cvr = ? ORDER BY created_ms", (cvr,)).fetchall()
    finally:
        db.close()


def test_create_shows_errors_next_to_fields_and_creates_nothing(aa):
    srv, _ = aa
    sign_in(srv, SYSTEM_MANAGER)
    before = org_systems(srv)
    form = srv.get(BASE + "/ny")
    assert form.status_code == 200 and 'name="kind"' in form.text
    csrf = csrf_of(form.text)
    r = srv.post(BASE + "/ny", data={"csrf": csrf, "kind": "recipient", "name": ""})
    assert r.status_code == 400 and 'id="sys-name-error"' in r.text
    r = srv.post(BASE + "/ny", data={"csrf": csrf, "kind": "recipient", "name": "P",
                                     "protocol": "push", "push_url": "",
                                     "contact_email": "no-at-sign"})
    assert r.status_code == 400
    for fid in ("sys-push_url", "sys-contact_email"):
        assert re.search(r'<span class="form-error-message" id="%s-error">' % fid, r.text), fid
        assert 'aria-describedby="%s-error"' % fid in r.text or \
            re.search(r'aria-describedby="[^"]*%s-error"' % fid, r.text), fid
    assert "skal være en e-mailadresse" in r.text          # the domain's reason, in Danish
    assert 'value="no-at-sign"' in r.text                  # the form keeps what was typed
    assert org_systems(srv) == before
    r = srv.post(BASE + "/ny", data={"kind": "sender", "name": "X"})
    assert r.status_code == 403 and org_systems(srv) == before


def test_create_and_edit_a_system(aa):
    srv, systems = aa
    sign_in(srv, SYSTEM_MANAGER)
    csrf = csrf_of(srv.get(BASE + "/ny").text)
    r = srv.post(BASE + "/ny", data={"csrf": csrf, "kind": "recipient", "name": "Nyt <system>",
                                     "protocol": "pull", "contact_email": "drift@kommunen.dk"})
    assert r.status_code == 201, r.text
    token = re.search(r'id="token" type="text" readonly value="([^"]+)"', r.text).group(1)
    assert pull_status(srv, token) == 200
    new = [s for s in org_systems(srv) if s[1] == "Nyt <system>"]
    assert len(new) == 1 and new[0][2:4] == ("recipient", "pull")
    sid = new[0][0]
    assert "Nyt &lt;system&gt;" in srv.get(BASE).text
    page = srv.get(BASE + "/" + sid + "/rediger")
    assert page.status_code == 200 and 'value="drift@kommunen.dk"' in page.text
    r = srv.post(BASE + "/" + sid + "/rediger", data={"csrf": csrf, "name": "Omdøbt",
                                                      "protocol": "push", "push_url": "",
                                                      "contact_email": "drift@kommunen.dk"})
    assert r.status_code == 400 and 'id="sys-push_url-error"' in r.text
    assert [s for s in org_systems(srv) if s[0] == sid][0][1] == "Nyt <system>"
    r = srv.post(BASE + "/" + sid + "/rediger", allow_redirects=False,
                 data={"csrf": csrf, "name": "Omdøbt", "protocol": "push",
                       "push_url": "http://127.0.0.1:9/push", "contact_email": "it@kommunen.dk"})
    assert r.status_code == 303
    row = [s for s in org_systems(srv) if s[0] == sid][0]
    assert row[1:] == ("Omdøbt", "recipient", "push", "http://127.0.0.1:9/push", "it@kommunen.dk")
    assert "Systemet er gemt." in srv.get(r.headers["Location"]).text
    other = systems[("11223344", "sender")]["id"]
    assert srv.get(BASE + "/" + other + "/rediger").status_code == 404
    assert srv.post(BASE + "/" + other + "/rediger",
                    data={"csrf": csrf, "name": "Hijack"}).status_code == 404
    assert [s for s in org_systems(srv, "11223344") if s[0] == other][0][1] != "Hijack"


def test_edit_new_fields_and_ip_list_enforced(aa):
    """Technical contact, supplier, allowed IP addresses and active period through the page:
    a wrong entry is shown next to its field and nothing is saved; a list without 127.0.0.1
    locks the system's API calls out (these tests call from 127.0.0.1), one with it lets
    them in."""
    srv, systems = aa
    sign_in(srv, SYSTEM_MANAGER)
    sid = systems[("12345678", "recipient")]["id"]
    token = systems[("12345678", "recipient")]["token"]
    page = srv.get(BASE + "/" + sid + "/rediger")
    for fid in ("sys-technical_contact", "sys-supplier", "sys-allowed_ips", "sys-active_from",
                "sys-active_to"):
        assert 'id="%s"' % fid in page.text, fid
    csrf = csrf_of(page.text)
    cur = run_cli(["system", "show", sid], data=srv.data_dir)
    base = {"csrf": csrf, "name": cur["name"], "protocol": cur["protocol"],
            "push_url": cur.get("pushUrl") or "", "contact_email": cur.get("contactEmail") or ""}
    r = srv.post(BASE + "/" + sid + "/rediger",
                 data=dict(base, allowed_ips="10.0.0.0/8\n192.0.2.1/24", active_from="2026-13-01"))
    assert r.status_code == 400
    assert re.search(r'<span class="form-error-message" id="sys-allowed_ips-error">', r.text)
    assert "192.0.2.0/24" in r.text                      # the reason suggests the network
    assert re.search(r'<span class="form-error-message" id="sys-active_from-error">', r.text)
    assert run_cli(["system", "show", sid], data=srv.data_dir)["allowedIps"] == []
    # in the page's language (Danish by default), not the domain's English sentence
    assert "Værtsbittene er sat i 192.0.2.1/24: mente du 192.0.2.0/24?" in r.text
    assert "host bits set" not in r.text
    for ips, da in (("10.0.0.0/40", "Præfikslængden i 10.0.0.0/40 skal være 0-32."),
                    ("example.dk &lt;b&gt;", "Ikke en IP-adresse eller et adresseområde: "
                                          "example.dk"),
                    (" ".join("10.0.%d.0/24" % i for i in range(65)),
                     "Mere end 64 adresser eller adresseområder.")):
        r = srv.post(BASE + "/" + sid + "/rediger", data=dict(base, allowed_ips=ips))
        assert r.status_code == 400 and da in r.text, (ips, r.text[:3000])
    r = srv.post(BASE + "/" + sid + "/rediger?lang=en",
                 data=dict(base, allowed_ips="10.0.0.1/8"))
    assert r.status_code == 400
    assert "Host bits are set in 10.0.0.1/8: did you mean 10.0.0.0/8?" in r.text
    srv.get("/?lang=da")
    assert run_cli(["system", "show", sid], data=srv.data_dir)["allowedIps"] == []
    r = srv.post(BASE + "/" + sid + "/rediger", allow_redirects=False,
                 data=dict(base, allowed_ips="10.0.0.0/8\n2001:db8::/32",
                           technical_contact="Ole, 12345678", supplier="KMD",
                           active_from="2026-01-01", active_to="2099-12-31"))
    assert r.status_code == 303, r.text
    shown = run_cli(["system", "show", sid], data=srv.data_dir)
    assert shown["allowedIps"] == ["10.0.0.0/8", "2001:db8::/32"]
    assert (shown["technicalContact"], shown["supplier"]) == ("Ole, 12345678", "KMD")
    assert (shown["activeFrom"], shown["activeTo"]) == ("2026-01-01", "2099-12-31")
    text = srv.get(BASE + "/" + sid).text
    assert "10.0.0.0/8, 2001:db8::/32" in text and "KMD" in text
    assert pull_status(srv, token) == 403
    r = srv.post(BASE + "/" + sid + "/rediger", allow_redirects=False,
                 data=dict(base, allowed_ips="10.0.0.0/8, 127.0.0.1"))
    assert r.status_code == 303
    assert pull_status(srv, token) == 200
