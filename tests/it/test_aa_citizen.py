# SPDX-License-Identifier: MIT
"""Administrativ Adgang: citizen service and business service (issue 11 item 7,
docs/administrativ-adgang.md "Citizen service"). Look-up needs number AND full name and is
logged with the employee; exempting (reason, channel, address; unopened letters from a date as
paper -> fjernprint) and re-registering change the mailbox the send pipeline uses; a helper's
access goes through the rights model with a power of attorney PDF; companies are exempted for
a limited period that ends by itself; every action is an event with the organisation as actor
and ends on a receipt page."""
import re
import time

import pytest

from kuvert_harness import db_connect, run_cli
from readside_util import send_letter, setup_org
from test_web import csrf_of, sign_in

CS = "/administrativ-adgang/borgerservice"
BS = "/administrativ-adgang/erhvervsservice"
BIRGIT = "birgit.borgerservice@kommunen.dk"   # Kommunen: CITIZEN_SERVICE_EMPLOYEE
RASMUS = "rasmus.region@regioneksempel.dk"    # Regioneksempel: BUSINESS_SERVICE_EMPLOYEE
PETER = "peter.sagsbehandler@kommunen.dk"     # neither
METTE = ("2211771212", "Mette Hansen")        # REGISTERED, an unread letter from Kommunen
JENS = ("0101701234", "Jens Jensen")
TOVE = "tove.tester@kommunen.dk"              # Kommunen: TEST_PORTAL
TEST_CITIZEN = ("9707900001", "Snart Væk")    # a test CPR (day 97), made in the Testportal
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def cs(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d)
    return make_server(data_dir=d, args=["--test-login"]), d


def q(d, sql, *args):
    db = db_connect(d)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def status(d, cpr):
    return q(d, "SELECT status, address FROM mailboxes WHERE owner_id = ?", cpr)[0]


def lookup(srv, who, base=CS):
    page = srv.get(base)
    assert page.status_code == 200
    return srv.post(base, data={"csrf": csrf_of(page.text), "id": who[0], "navn": who[1]})


def test_lookup_needs_number_and_name_and_is_logged(cs):
    srv, d = cs
    sign_in(srv, BIRGIT)
    r = lookup(srv, (METTE[0], "Mette Jensen"))
    assert r.status_code == 404 and "Intet match" in r.text and "Mette Hansen" not in r.text
    r = lookup(srv, ("2211771213", METTE[1]))
    assert r.status_code == 404 and "Intet match" in r.text
    r = lookup(srv, (METTE[0], "  mette   HANSEN "))
    assert r.status_code == 200 and "Tilmeldt Digital Post" in r.text and METTE[0] in r.text
    rows = q(d, "SELECT actor, subject, props FROM events WHERE tag = 'CPR_LOOKED_UP' ORDER BY seq")
    assert len(rows) == 3
    assert all(a and a.startswith("person:") or a for (a, _, _) in rows)
    assert rows[0][1] == "cpr:2211771212" and '"matched":false' in rows[0][2]
    assert '"matched":true' in rows[2][2] and '"organisation":"12345678"' in rows[2][2]
    employee = rows[2][0]
    assert employee and not employee.startswith("cvr:")


def test_exempt_forward_unopened_letters_and_register_again(cs):
    srv, d = cs
    # a letter Mette deleted permanently unopened (web mailbox, folder purged) is not forwarded
    from test_mailbox_web import Browser
    org = setup_org(srv, "12345678")
    purged, _ = send_letter(srv, org, cpr=METTE[0])
    mette = Browser(srv, METTE[0])
    csrf = mette.csrf()
    assert mette.post("/post/brev/%s/flyt" % purged,
                      {"csrf": csrf, "mappe": "deleted"}).status_code == 303
    assert mette.post("/post/brev/%s/slet-endeligt" % purged, {"csrf": csrf}).status_code == 303
    assert q(d, "SELECT folder, read_ms FROM letters WHERE message_uuid = ?", purged) == \
        [("purged", None)]
    sign_in(srv, BIRGIT)
    page = lookup(srv, METTE)
    form = {"csrf": csrf_of(page.text), "id": METTE[0], "navn": METTE[1]}
    # refused: no reason; then a future forward date
    r = srv.post(CS + "/fritag", data=dict(form, channel="IN_PERSON", adresse="Vej 1\r\n1000 By"))
    assert r.status_code == 400 and 'id="cs-reason-error"' in r.text and "Vælg årsagen." in r.text
    r = srv.post(CS + "/fritag", data=dict(form, reason="OTHER", channel="IN_PERSON",
                                          adresse="Vej 1", fra="2999-01-01"))
    assert r.status_code == 400 and 'id="cs-forward-error"' in r.text
    assert status(d, METTE[0])[0] == "REGISTERED"
    r = srv.post(CS + "/fritag", data=dict(form, reason="LEFT_THE_COUNTRY", channel="PROXY",
                                          adresse="Mette Hansen\r\nStrandvejen 2\r\n2900 Hellerup",
                                          fra="2020-01-01"))
    assert r.status_code == 200 and "Kvittering" in r.text and "Fritaget for Digital Post" in r.text
    assert status(d, METTE[0]) == ("EXEMPT", "Mette Hansen\nStrandvejen 2\n2900 Hellerup")
    (ev,) = q(d, "SELECT actor, props FROM events WHERE tag = 'DIGITAL_POST_EXEMPTED'")
    assert ev[0] == "cvr:12345678" and '"EXEMPT_LEFT_THE_COUNTRY"' in ev[1]
    assert '"forwarded":1' in ev[1] and '"employee"' in ev[1]
    # the unopened demo letter goes to print, and is rendered
    jobs = q(d, "SELECT pj.id, pj.origin, l.message_uuid FROM print_jobs pj JOIN letters l "
                "ON l.id = pj.letter_id WHERE l.recipient_id = ?", METTE[0])
    assert len(jobs) == 1 and jobs[0][1] == "FORWARDED"
    assert q(d, "SELECT COUNT(*) FROM events WHERE tag = 'UNOPENED_MAIL_SENT_AS_PHYSICAL_POST' "
                "AND message_uuid = ?", jobs[0][2])[0][0] == 1
    deadline = time.time() + 60
    while time.time() < deadline:
        listed = [j for j in run_cli(["print", "list"], data=d) if j["id"] == jobs[0][0]]
        if listed and listed[0]["pdf"]:
            break
        time.sleep(0.2)
    assert listed[0]["pdf"] and listed[0]["origin"] == "FORWARDED"
    # a new letter to her is printed now
    uuid, rec = send_letter(srv, org, cpr=METTE[0])
    assert "print" in rec["errorMessage"].lower()
    # status shows the exemption; register again
    page = lookup(srv, METTE)
    assert "Fritaget for Digital Post" in page.text and "Udrejst" in page.text
    r = srv.post(CS + "/genregistrer", data={"csrf": csrf_of(page.text), "id": METTE[0],
                                             "navn": METTE[1]})
    assert r.status_code == 200 and "Tilmeldt Digital Post igen" in r.text
    assert status(d, METTE[0])[0] == "REGISTERED"
    assert q(d, "SELECT ended_ms IS NOT NULL FROM exemptions")[0][0] == 1
    (ev,) = q(d, "SELECT actor FROM events WHERE tag = 'DIGITAL_POST_REGISTERED' AND subject = "
                 "'cpr:2211771212'")
    assert ev[0] == "cvr:12345678"
    # wrong name on an action: not found, nothing changes
    r = srv.post(CS + "/fritag", data={"csrf": csrf_of(page.text), "id": METTE[0],
                                       "navn": "Someone Else", "reason": "OTHER",
                                       "channel": "PROXY", "adresse": "x"})
    assert r.status_code == 404 and status(d, METTE[0])[0] == "REGISTERED"


def test_grant_helper_access_with_power_of_attorney(cs):
    srv, d = cs
    sign_in(srv, BIRGIT)
    page = lookup(srv, JENS)
    form = {"csrf": csrf_of(page.text), "id": JENS[0], "navn": JENS[1],
            "hjaelper_cpr": "0707601234", "hjaelper_navn": "Hans Hjælper", "niveau": "write",
            "til": "2099-12-31"}

    def post(data, pdf):
        files = {"fuldmagt": ("fuldmagt.pdf", pdf, "application/pdf")} if pdf is not None else None
        return srv.post(CS + "/adgang", data=data, files=files or {"x": ("", b"", "text/plain")})

    r = post(form, b"GIF89a")
    assert r.status_code == 400 and 'id="cs-poa-error"' in r.text and "ikke et PDF" in r.text
    r = post(form, None)
    assert r.status_code == 400 and "Vælg fuldmagten" in r.text
    r = post(dict(form, hjaelper_cpr=JENS[0]), PDF)
    assert r.status_code == 400 and 'id="cs-hcpr-error"' in r.text
    r = post(dict(form, til="2001-01-01"), PDF)
    assert r.status_code == 400
    r = post(form, b"%PDF-" + b"0" * (5 * 1024 * 1024))
    assert r.status_code == 413 and "5 MB" in r.text
    sofie = "SELECT p.id, p.type FROM privileges p JOIN persons pe ON pe.id = " \
            "p.grantee_person_id WHERE p.scope_type = 'CPR' AND p.scope_id = ? AND " \
            "p.status = 'ACTIVE' AND pe.cpr = '0707601234'"
    assert not q(d, sofie, JENS[0])
    r = post(form, PDF)
    assert r.status_code == 200 and "Adgang givet til en hjælper" in r.text
    (priv,) = q(d, sofie, JENS[0])
    assert priv[1] == "MAILBOX_READ_WRITE"
    (poa,) = q(d, "SELECT pdf, org_cvr FROM powers_of_attorney WHERE privilege_id = ?", priv[0])
    assert bytes(poa[0]) == PDF and poa[1] == "12345678"
    assert q(d, "SELECT COUNT(*) FROM events WHERE tag = 'READ_ACCESS_CREATED' AND props LIKE ?",
             '%%"id":%d,%%' % priv[0])[0][0] == 1
    (ev,) = q(d, "SELECT actor FROM events WHERE tag = 'PRIVILEGES_GRANTED_ON_BEHALF_OF'")
    assert ev[0] == "cvr:12345678"
    page = lookup(srv, JENS)
    assert "Hans Hjælper" in page.text and "Læse og skrive" in page.text
    r = post(dict(form, csrf=csrf_of(page.text)), PDF)
    assert r.status_code == 409 and "allerede" in r.text


def test_company_limited_exemption_ends_by_itself(cs):
    srv, d = cs
    sign_in(srv, RASMUS)
    company = ("33445566", "Bageriet ApS")
    page = lookup(srv, company, BS)
    assert page.status_code == 200 and "Fritag virksomheden i en periode" in page.text
    form = {"csrf": csrf_of(page.text), "id": company[0], "navn": company[1],
            "reason": "OTHER", "channel": "IN_PERSON", "adresse": "Bageriet ApS\nTorvet 1"}
    r = srv.post(BS + "/fritag", data=form)
    assert r.status_code == 400 and 'id="cs-until-error"' in r.text
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
    r = srv.post(BS + "/fritag", data=dict(form, til=today))
    assert r.status_code == 200 and "Kvittering" in r.text
    assert status(d, company[0])[0] == "EXEMPT"
    # the rights hook ends it once its last day is over
    db = db_connect(d)
    try:
        db.execute("UPDATE exemptions SET until_ms = 1 WHERE mailbox_id = "
                   "(SELECT id FROM mailboxes WHERE owner_id = ?)", (company[0],))
        db.commit()
    finally:
        db.close()
    deadline = time.time() + 60
    while time.time() < deadline and status(d, company[0])[0] != "REGISTERED":
        time.sleep(0.2)
    assert status(d, company[0])[0] == "REGISTERED"
    assert q(d, "SELECT actor FROM events WHERE tag = 'DIGITAL_POST_REGISTERED' AND subject = "
                "'cvr:33445566'")[0][0] == "hub"


def test_access(cs):
    srv, d = cs
    sign_in(srv, PETER)
    assert srv.get(CS).status_code == 403 and srv.get(BS).status_code == 403
    srv.session.cookies.clear()
    sign_in(srv, BIRGIT)
    assert srv.get(BS).status_code == 403
    page = srv.get(CS)
    assert srv.post(CS, data={"csrf": "x" * 43, "id": METTE[0], "navn": METTE[1]}).status_code == 403
    assert not q(d, "SELECT 1 FROM events WHERE tag = 'CPR_LOOKED_UP'")
    assert page.status_code == 200


@pytest.fixture
def cs_sms(make_server, tmp_path):
    from gateway_sink import GatewaySink
    sms = GatewaySink("/sms").start()
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d)
    yield make_server(data_dir=d, args=["--test-login", "--sms-gateway", sms.url]), d, sms
    sms.stop()


def nem_events(d):
    return q(d, "SELECT tag, actor, subject, props FROM events WHERE tag LIKE 'NEM_SMS_%%'"
                " OR tag = 'PINCODE_SENT_TO_MOBILE_NEM_SMS' ORDER BY seq")


def test_nemsms_on_the_citizens_behalf_with_the_pin_sent_to_the_number(cs_sms):
    """Citizen service subscribes, changes and removes a citizen's NemSMS number (portals.md
    section 2.3): the number is confirmed by the PIN sent to it, which the citizen reads out;
    every step is an event with the employee as actor; opening the NemSMS data is a logged
    look-up; a number and name that do not match are 404 and change nothing."""
    srv, d, sms = cs_sms
    sign_in(srv, BIRGIT)
    page = lookup(srv, METTE)
    assert "Ikke tilmeldt NemSMS." in page.text
    form = {"csrf": csrf_of(page.text), "id": METTE[0], "navn": METTE[1]}
    looked = len(q(d, "SELECT 1 FROM events WHERE tag = 'CPR_LOOKED_UP'"))
    r = srv.post(CS + "/nemsms", data=form)
    assert r.status_code == 200 and "Tilmeld NemSMS" in r.text
    assert len(q(d, "SELECT 1 FROM events WHERE tag = 'CPR_LOOKED_UP'")) == looked + 1

    # a name that does not match: 404, nothing sent or stored
    bad = dict(form, navn="Mette Jensen", mobil="41234567")
    for path in ("/nemsms", "/nemsms/nummer", "/nemsms/fjern"):
        assert srv.post(CS + path, data=bad).status_code == 404, path
    # no csrf: refused
    assert srv.post(CS + "/nemsms/nummer", data={"id": METTE[0], "navn": METTE[1],
                                                 "mobil": "41234567"}).status_code == 403
    # not a Danish mobile number: refused by its field
    for number in ("1234567", "12345678", "+4541234567", "4123456x"):
        r = srv.post(CS + "/nemsms/nummer", data=dict(form, mobil=number))
        assert r.status_code == 400 and 'id="cs-nem-mobile-error"' in r.text, number
    assert not q(d, "SELECT 1 FROM nemsms_subscriptions WHERE cpr = ?", METTE[0])
    assert not nem_events(d)

    # the number: a PIN goes to it; it is not active until the PIN is given
    r = srv.post(CS + "/nemsms/nummer", data=dict(form, mobil="41234567"))
    assert r.status_code == 200 and "41234567" in r.text and 'id="cs-nem-pin"' in r.text
    got = sms.wait_for(lambda ms: [m for m in ms if m["to"] == "41234567"], timeout=60)
    assert got, "no PIN SMS"
    pin = re.search(r"\d{6}", got[-1]["text"]).group(0)
    row = q(d, "SELECT confirmed_ms, pending_mobile FROM nemsms_subscriptions WHERE cpr = ?",
            METTE[0])[0]
    assert row[0] is None and row[1] == "41234567"
    wrong = "000000" if pin != "000000" else "111111"
    r = srv.post(CS + "/nemsms/bekraeft", data=dict(form, pin=wrong))
    assert r.status_code == 400 and 'id="cs-nem-pin-error"' in r.text
    r = srv.post(CS + "/nemsms/bekraeft", data=dict(form, pin=pin))
    assert r.status_code == 200 and "Kvittering" in r.text and "NemSMS aktiveret" in r.text
    assert "41234567" in r.text and "Birgit Borgerservice" in r.text
    row = q(d, "SELECT mobile, confirmed_ms FROM nemsms_subscriptions WHERE cpr = ?",
            METTE[0])[0]
    assert row[0] == "41234567" and row[1]
    assert "NemSMS sendes til" in lookup(srv, METTE).text

    # a change keeps the old number until the new one's PIN is given
    r = srv.post(CS + "/nemsms/nummer", data=dict(form, mobil="51234567"))
    assert r.status_code == 200
    assert q(d, "SELECT mobile, pending_mobile FROM nemsms_subscriptions WHERE cpr = ?",
             METTE[0])[0] == ("41234567", "51234567")

    # removed
    r = srv.post(CS + "/nemsms/fjern", data=form)
    assert r.status_code == 200 and "NemSMS-tilmelding fjernet" in r.text
    assert not q(d, "SELECT 1 FROM nemsms_subscriptions WHERE cpr = ?", METTE[0])
    assert srv.post(CS + "/nemsms/fjern", data=form).status_code == 409

    ev = nem_events(d)
    assert [e[0] for e in ev] == ["NEM_SMS_CREATED", "PINCODE_SENT_TO_MOBILE_NEM_SMS",
                                  "NEM_SMS_ACTIVATED", "NEM_SMS_UPDATED",
                                  "PINCODE_SENT_TO_MOBILE_NEM_SMS", "NEM_SMS_DELETED"], ev
    employee = q(d, "SELECT actor FROM events WHERE tag = 'CPR_LOOKED_UP' ORDER BY seq")[-1][0]
    assert all(e[1] == employee for e in ev), ev          # the employee, not the citizen
    assert all(e[2] == "cpr:" + METTE[0] for e in ev)


def test_nemsms_pages_need_citizen_service(cs_sms):
    srv, d, _ = cs_sms
    sign_in(srv, PETER)
    page = srv.get("/administrativ-adgang/")
    form = {"csrf": csrf_of(page.text), "id": METTE[0], "navn": METTE[1], "mobil": "41234567"}
    for path in ("/nemsms", "/nemsms/nummer", "/nemsms/bekraeft", "/nemsms/fjern"):
        assert srv.post(CS + path, data=form).status_code == 403, path
    assert not q(d, "SELECT 1 FROM nemsms_subscriptions")


def test_without_test_login_a_test_citizen_is_not_found_by_any_page(make_server, tmp_path):
    """Test data (docs/testportal.md) exists only with --test-login: a test citizen made in the
    Testportal is found by the look-up and the NemSMS page on a test server, and by neither
    (404, as an unknown number; nothing changed) once the server runs without it. The NemSMS
    page used to skip that check and opened the test citizen's data."""
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d)
    srv = make_server(data_dir=d, args=["--test-login"])
    sign_in(srv, TOVE)
    page = srv.get("/testportal/borger/ny")
    assert page.status_code == 200
    r = srv.post("/testportal/borger/ny", allow_redirects=False,
                 data={"csrf": csrf_of(page.text), "name": TEST_CITIZEN[1],
                       "number": TEST_CITIZEN[0]})
    assert r.status_code == 303, r.text[:2000]
    sign_in(srv, BIRGIT)
    page = lookup(srv, TEST_CITIZEN)
    assert page.status_code == 200 and TEST_CITIZEN[1] in page.text
    form = {"csrf": csrf_of(page.text), "id": TEST_CITIZEN[0], "navn": TEST_CITIZEN[1]}
    r = srv.post(CS + "/nemsms", data=form)
    assert r.status_code == 200 and "Tilmeld NemSMS" in r.text
    cookies = srv.session.cookies
    srv.stop()

    plain = make_server(data_dir=d)  # no --test-login; Birgit is no test person
    plain.session.cookies = cookies
    page = plain.get(CS)
    assert page.status_code == 200  # still signed in
    form["csrf"] = csrf_of(page.text)
    assert lookup(plain, METTE).status_code == 200  # a real citizen is found
    r = lookup(plain, TEST_CITIZEN)
    assert r.status_code == 404 and "Intet match" in r.text and TEST_CITIZEN[1] not in r.text
    r = plain.post(CS + "/nemsms", data=form)
    assert r.status_code == 404 and TEST_CITIZEN[1] not in r.text
    assert "Tilmeld NemSMS" not in r.text
    r = plain.post(CS + "/nemsms/nummer", data=dict(form, mobil="41234567"))
    assert r.status_code == 404
    assert not q(d, "SELECT 1 FROM nemsms_subscriptions WHERE cpr = ?", TEST_CITIZEN[0])
