# SPDX-License-Identifier: MIT
"""The Rettighedsportal over HTTP (docs/rights.md) on a server seeded by `kuvert demo` and run
with --test-login: who may open it, employees with search and detail, grant with a last day
and revoke, the rule that an organisation keeps a rettighedsadministrator (also from the
portal), CSRF, objects of another organisation (404, nothing changes), the context switch,
user groups, external partners handing a right on, and requests from employees. Browser-level
checks (keyboard, axe, screenshots) are in tests/web/rights.test.mjs."""
import re

import pytest
import requests

from kuvert_harness import db_connect, run_cli
from test_web import csrf_of

KOMMUNEN, STYRELSEN, REGION, BYG = "12345678", "11223344", "55667788", "87654321"
ANNE = "anne.rettighed@kommunen.dk"        # rettighedsadministrator in Kommunen
SOEREN = "soeren.system@kommunen.dk"       # systemadministrator, not rettighedsadministrator
IDA = "ida.nyansat@kommunen.dk"            # no rights, a pending request
MADS = "mads.madsen@kommunen.dk"           # rettighedsadministrator in Kommunen and the region
DORTE = "dorte.styrelse@demostyrelsen.dk"  # the only rettighedsadministrator of Demostyrelsen
ERIK = "erik@eksempelbyg.dk"               # rettighedsadministrator of Eksempel Byg A/S


class Browser:
    """One signed-in browser (its own cookies) on a running server."""

    def __init__(self, srv, subject=None):
        self.srv = srv
        self.s = requests.Session()
        if subject:
            self.sign_in(subject)

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        return self.s.get(self.srv.url + path, **kw)

    def post(self, path, data, **kw):
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        return self.s.post(self.srv.url + path, data=data, **kw)

    def sign_in(self, subject):
        page = self.get("/login")
        r = self.post("/login/test", {"subject": subject, "csrf": csrf_of(page.text)})
        assert r.status_code == 303, r.text

    def csrf(self, path="/rettighedsportal/"):
        return csrf_of(self.get(path).text)


@pytest.fixture
def portal(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d, json_out=False)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.db = db_connect(d)
    return srv


def employee_id(srv, email, org):
    return srv.db.execute("SELECT e.id FROM employees e JOIN persons p ON p.id = e.person_id"
                          " WHERE p.email = ? AND e.org_cvr = ?", (email, org)).fetchone()[0]


def active_rights(srv, email, org):
    return sorted(r[0] for r in srv.db.execute(
        "SELECT p.type FROM privileges p JOIN employees e ON e.id = p.grantee_employee_id"
        " JOIN persons s ON s.id = e.person_id WHERE s.email = ? AND p.scope_id = ?"
        " AND p.status = 'ACTIVE'", (email, org)))


def privilege_id(srv, email, org, type_):
    return srv.db.execute(
        "SELECT p.id FROM privileges p JOIN employees e ON e.id = p.grantee_employee_id"
        " JOIN persons s ON s.id = e.person_id WHERE s.email = ? AND p.scope_id = ?"
        " AND p.type = ? AND p.status = 'ACTIVE'", (email, org, type_)).fetchone()[0]


def test_who_may_open_it(portal):
    anon = Browser(portal)
    r = anon.get("/rettighedsportal/medarbejdere")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")
    citizen = Browser(portal, "2211771212")
    r = citizen.get("/rettighedsportal/")  # the portal root explains what it is for
    assert r.status_code == 200 and "privatperson" in r.text and "Medarbejdere" not in r.text
    assert citizen.get("/rettighedsportal/medarbejdere").status_code == 403
    soeren = Browser(portal, SOEREN)
    r = soeren.get("/rettighedsportal/")
    assert r.status_code == 200 and "Anmod om en rettighed" in r.text
    for p in ("/rettighedsportal/medarbejdere", "/rettighedsportal/grupper",
              "/rettighedsportal/partnere", "/rettighedsportal/anmodninger",
              "/rettighedsportal/medarbejdere/%d" % employee_id(portal, IDA, KOMMUNEN)):
        assert soeren.get(p).status_code == 403, p
    anne = Browser(portal, ANNE)
    r = anne.get("/rettighedsportal/")
    assert r.status_code == 200 and "Medarbejdere" in r.text and "Kommunen" in r.text


def test_employees_search_and_detail(portal):
    anne = Browser(portal, ANNE)
    r = anne.get("/rettighedsportal/medarbejdere")
    assert r.status_code == 200
    for name in ("Anne Rettighed", "Ida Nyansat", "Søren System", "Birgit Borgerservice"):
        assert name in r.text
    assert "Dorte" not in r.text  # another organisation's employee
    r = anne.get("/rettighedsportal/medarbejdere?q=BORGER")
    assert "Birgit Borgerservice" in r.text and "Ida Nyansat" not in r.text
    r = anne.get("/rettighedsportal/medarbejdere/%d" % employee_id(portal, SOEREN, KOMMUNEN))
    assert r.status_code == 200
    assert "Systemadministrator" in r.text and "Kontaktstrukturadministrator" in r.text
    # English
    r = anne.get("/rettighedsportal/medarbejdere/%d?lang=en" % employee_id(portal, SOEREN, KOMMUNEN))
    assert "System administrator" in r.text and "Grant a right" in r.text


def test_grant_with_last_day_and_revoke(portal):
    anne = Browser(portal, ANNE)
    ida = employee_id(portal, IDA, KOMMUNEN)
    page = "/rettighedsportal/medarbejdere/%d" % ida
    token = anne.csrf(page)
    r = anne.post(page + "/tildel", {"csrf": token, "right": "MESSAGE_BASIC", "until": "2030-06-30"})
    assert r.status_code == 303 and r.headers["Location"] == page + "?ok=granted"
    r = anne.get(r.headers["Location"])
    assert "Rettigheden er tildelt." in r.text and "2030-06-30" in r.text
    assert active_rights(portal, IDA, KOMMUNEN) == ["MESSAGE_BASIC"]
    to = portal.db.execute("SELECT active_to_ms FROM privileges WHERE type = 'MESSAGE_BASIC' AND"
                           " grantee_employee_id = ?", (ida,)).fetchone()[0]
    assert to == 1909087200000  # 2030-07-01 00:00 Europe/Copenhagen
    pid = privilege_id(portal, IDA, KOMMUNEN, "MESSAGE_BASIC")
    anne_pid = portal.db.execute("SELECT id FROM persons WHERE email = ?", (ANNE,)).fetchone()[0]
    assert portal.db.execute("SELECT actor FROM events WHERE tag = 'PRIVILEGES_GRANTED' ORDER BY"
                             " seq DESC LIMIT 1").fetchone()[0] == "employee:%d@%s" % (anne_pid, KOMMUNEN)
    # the same right twice: refused with a reason
    r = anne.post(page + "/tildel", {"csrf": token, "right": "MESSAGE_BASIC"})
    assert r.status_code == 409 and "Rettigheden er allerede tildelt." in r.text
    # a bad date and an unknown right change nothing
    assert anne.post(page + "/tildel", {"csrf": token, "right": "SYSTEM_MANAGER",
                                        "until": "2030-02-30"}).status_code == 400
    assert anne.post(page + "/tildel", {"csrf": token, "right": "NOPE"}).status_code == 400
    assert active_rights(portal, IDA, KOMMUNEN) == ["MESSAGE_BASIC"]
    # revoke
    r = anne.post("/rettighedsportal/rettigheder/%d/fjern" % pid, {"csrf": token, "back": page})
    assert r.status_code == 303 and r.headers["Location"] == page + "?ok=revoked"
    assert active_rights(portal, IDA, KOMMUNEN) == []
    assert portal.db.execute("SELECT COUNT(*) FROM events WHERE tag = 'PRIVILEGES_REVOKED'"
                             ).fetchone()[0] == 1


def test_last_rettighedsadministrator_is_kept(portal):
    dorte = Browser(portal, DORTE)
    me = employee_id(portal, DORTE, STYRELSEN)
    pid = privilege_id(portal, DORTE, STYRELSEN, "ORGANISATION_USER_ADMINISTRATOR")
    page = "/rettighedsportal/medarbejdere/%d" % me
    token = dorte.csrf(page)
    r = dorte.post("/rettighedsportal/rettigheder/%d/fjern" % pid, {"csrf": token, "back": page})
    assert r.status_code == 409
    assert "mindst én rettighedsadministrator uden slutdato" in r.text
    r = dorte.post(page + "/status", {"csrf": token, "active": "0"})
    assert r.status_code == 409 and "mindst én rettighedsadministrator" in r.text
    assert "ORGANISATION_USER_ADMINISTRATOR" in active_rights(portal, DORTE, STYRELSEN)
    # with a second one (made from the portal), the first may go
    r = dorte.post("/rettighedsportal/medarbejdere", {"csrf": token, "name": "Ny Admin",
                                                      "email": "ny@demostyrelsen.dk"})
    assert r.status_code == 303
    ny = employee_id(portal, "ny@demostyrelsen.dk", STYRELSEN)
    assert dorte.post("/rettighedsportal/medarbejdere/%d/tildel" % ny,
                      {"csrf": token, "right": "ORGANISATION_USER_ADMINISTRATOR"}).status_code == 303
    r = dorte.post("/rettighedsportal/rettigheder/%d/fjern" % pid, {"csrf": token, "back": page})
    assert r.status_code == 303
    # and Dorte, no longer administrator, is refused on her next request
    assert dorte.get("/rettighedsportal/medarbejdere").status_code == 403


def test_csrf_and_other_organisations_objects(portal):
    anne = Browser(portal, ANNE)
    ida = employee_id(portal, IDA, KOMMUNEN)
    r = anne.post("/rettighedsportal/medarbejdere/%d/tildel" % ida, {"right": "MESSAGE_BASIC"})
    assert r.status_code == 403
    r = anne.post("/rettighedsportal/medarbejdere/%d/tildel" % ida,
                  {"right": "MESSAGE_BASIC", "csrf": "x" * 43})
    assert r.status_code == 403
    assert active_rights(portal, IDA, KOMMUNEN) == []
    token = anne.csrf()
    dorte = employee_id(portal, DORTE, STYRELSEN)
    dorte_admin = privilege_id(portal, DORTE, STYRELSEN, "ORGANISATION_USER_ADMINISTRATOR")
    assert anne.get("/rettighedsportal/medarbejdere/%d" % dorte).status_code == 404
    assert anne.post("/rettighedsportal/medarbejdere/%d/tildel" % dorte,
                     {"csrf": token, "right": "MESSAGE_BASIC"}).status_code == 404
    assert anne.post("/rettighedsportal/medarbejdere/%d/status" % dorte,
                     {"csrf": token, "active": "0"}).status_code == 404
    assert anne.post("/rettighedsportal/rettigheder/%d/fjern" % dorte_admin,
                     {"csrf": token}).status_code == 404
    assert anne.get("/rettighedsportal/medarbejdere/99999").status_code == 404
    assert anne.get("/rettighedsportal/medarbejdere/abc").status_code == 404
    assert active_rights(portal, DORTE, STYRELSEN) == sorted(
        ["ORGANISATION_USER_ADMINISTRATOR", "TEST_PORTAL", "SYSTEM_MANAGER"])


def test_context_switch_changes_the_organisation(portal):
    mads = Browser(portal, MADS)
    r = mads.get("/rettighedsportal/medarbejdere")
    assert r.status_code == 200 and "Ida Nyansat" in r.text and "Rasmus Region" not in r.text
    r = mads.post("/context", {"org": REGION, "csrf": csrf_of(r.text),
                               "next": "/rettighedsportal/medarbejdere"})
    assert r.status_code == 303
    r = mads.get("/rettighedsportal/medarbejdere")
    assert "Rasmus Region" in r.text and "Ida Nyansat" not in r.text
    # an object of the organisation left behind is out of reach now
    assert mads.get("/rettighedsportal/medarbejdere/%d"
                    % employee_id(portal, IDA, KOMMUNEN)).status_code == 404


def test_user_groups(portal):
    anne = Browser(portal, ANNE)
    token = anne.csrf("/rettighedsportal/grupper")
    r = anne.post("/rettighedsportal/grupper", {"csrf": token, "name": "Tilbagekald <b>",
                                                "description": "kan tilbagekalde"})
    assert r.status_code == 303
    gpage = r.headers["Location"].split("?")[0]
    r = anne.get(gpage)
    assert "Tilbagekald &lt;b&gt;" in r.text and "<b>" not in r.text.split("<main")[1]
    ida = employee_id(portal, IDA, KOMMUNEN)
    assert anne.post(gpage + "/medlemmer", {"csrf": token, "employee": str(ida)}).status_code == 303
    assert anne.post(gpage + "/tildel", {"csrf": token, "right": "RECALL_ADMINISTRATOR"}
                     ).status_code == 303
    r = anne.get("/rettighedsportal/medarbejdere/%d" % ida)
    assert "Tilbagekaldelsesadministrator" in r.text and "gruppe" in r.text
    # Ida now holds it: the authorisation sees the group's right
    ida_b = Browser(portal, IDA)
    assert ida_b.get("/rettighedsportal/").status_code == 200
    assert anne.post(gpage + "/medlemmer/%d/fjern" % ida, {"csrf": token}).status_code == 303
    assert anne.post(gpage + "/medlemmer", {"csrf": token, "employee": str(
        employee_id(portal, DORTE, STYRELSEN))}).status_code == 400  # another organisation's


def test_external_partner_hands_a_right_on(portal):
    anne = Browser(portal, ANNE)
    token = anne.csrf("/rettighedsportal/partnere")
    r = anne.post("/rettighedsportal/partnere", {"csrf": token, "cvr": BYG, "right": "MESSAGE_BASIC"})
    assert r.status_code == 303
    assert anne.post("/rettighedsportal/partnere", {"csrf": token, "cvr": BYG,
                                                    "right": "ORGANISATION_USER_ADMINISTRATOR"}
                     ).status_code == 400
    assert anne.post("/rettighedsportal/partnere", {"csrf": token, "cvr": "123",
                                                    "right": "MESSAGE_BASIC"}).status_code == 400
    assert "CVR " + BYG in anne.get("/rettighedsportal/partnere").text
    erik = Browser(portal, ERIK)
    r = erik.get("/rettighedsportal/partnere")
    assert "Rettigheder givet til os" in r.text and "Kommunen" in r.text
    appointed = re.search(r'/rettighedsportal/partnere/(\d+)/videregiv', r.text).group(1)
    r = erik.post("/rettighedsportal/partnere/%s/videregiv" % appointed,
                  {"csrf": csrf_of(r.text), "employee": str(employee_id(portal, ERIK, BYG))})
    assert r.status_code == 303
    # Erik can now act for Kommunen: it is in his context switcher
    r = erik.get("/rettighedsportal/")
    assert '<option value="%s"' % KOMMUNEN in r.text
    # Anne cannot hand on what was given to someone else
    assert anne.post("/rettighedsportal/partnere/%s/videregiv" % appointed,
                     {"csrf": token, "employee": str(employee_id(portal, IDA, KOMMUNEN))}
                     ).status_code == 404


def test_requests_from_employees(portal):
    soeren = Browser(portal, SOEREN)
    token = soeren.csrf("/rettighedsportal/anmod")
    r = soeren.post("/rettighedsportal/anmod", {"csrf": token, "right": "RECALL_ADMINISTRATOR",
                                                "note": "til <tilbagekald>"})
    assert r.status_code == 303
    assert soeren.post("/rettighedsportal/anmod", {"csrf": token, "right": "RECALL_ADMINISTRATOR"}
                       ).status_code == 409
    anne = Browser(portal, ANNE)
    r = anne.get("/rettighedsportal/anmodninger")
    assert "Søren System" in r.text and "Ida Nyansat" in r.text  # demo: Ida asked already
    assert "til &lt;tilbagekald&gt;" in r.text
    rid = portal.db.execute("SELECT id FROM privilege_requests WHERE type = 'RECALL_ADMINISTRATOR'"
                            ).fetchone()[0]
    atoken = csrf_of(r.text)
    assert anne.post("/rettighedsportal/anmodninger/%d" % rid, {"csrf": atoken,
                                                               "decision": "maybe"}).status_code == 400
    r = anne.post("/rettighedsportal/anmodninger/%d" % rid, {"csrf": atoken, "decision": "approve"})
    assert r.status_code == 303
    assert "RECALL_ADMINISTRATOR" in active_rights(portal, SOEREN, KOMMUNEN)
    assert anne.post("/rettighedsportal/anmodninger/%d" % rid,
                     {"csrf": atoken, "decision": "reject"}).status_code == 409
    # Dorte (another organisation) cannot decide Kommunen's requests
    dorte = Browser(portal, DORTE)
    ida_req = portal.db.execute("SELECT id FROM privilege_requests WHERE state = 'SUBMITTED'"
                                ).fetchone()[0]
    assert dorte.post("/rettighedsportal/anmodninger/%d" % ida_req,
                      {"csrf": dorte.csrf(), "decision": "approve"}).status_code == 404
