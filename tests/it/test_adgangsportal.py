# SPDX-License-Identifier: MIT
"""The Adgangsportal at /adgangsportal/ over HTTP (docs/adgangsportal.md), on a server seeded by
`kuvert demo` and run with --test-login: a citizen signed in from two browsers and one app
(a bearer user token issued with deviceId/deviceName, a push subscription for the same device)
sees three devices with their names, first and last use and push state, the asking browser as
"this device"; logging the other browser out ends that session at once (its next request is
signed out) while this one stays signed in; logging the app out revokes its token at once (the
mailbox API answers 401) and removes its push subscription (a lost phone gets no more
notices); turning notifications off removes only that device's push subscription; another person's device key is 404 and changes nothing; every form needs the
CSRF token; each action leaves its event."""
import re

import pytest
import requests

from kuvert_harness import db_connect, run_cli
from test_web import csrf_of

METTE, JENS = "2211771212", "0101701234"
ADMIN = "adgang-admin-token-0123456789abcdef"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


class Browser:
    def __init__(self, srv, subject, ua):
        self.srv = srv
        self.s = requests.Session()
        self.s.headers["User-Agent"] = ua
        page = self.get("/login")
        r = self.post("/login/test", {"subject": subject, "csrf": csrf_of(page.text)})
        assert r.status_code == 303, r.text

    def get(self, path):
        return self.s.get(self.srv.url + path, allow_redirects=False, timeout=30)

    def post(self, path, data):
        return self.s.post(self.srv.url + path, data=data, allow_redirects=False, timeout=30)


def devices(html):
    """{key: row html} of the devices table."""
    return dict(re.findall(r'<tr id="enhed-([a-z0-9]+)">(.*?)</tr>', html, re.S))


@pytest.fixture
def portal(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d, json_out=False)
    srv = make_server(test_clock=True, data_dir=d,
                      args=["--test-login", "--set", "admin_token=" + ADMIN])
    srv.db = db_connect(d)
    if hasattr(srv.db, "isolation_level"):
        srv.db.isolation_level = None
    return srv


def issue_app_token(srv, cpr, device_id, name):
    r = requests.post(srv.url + "/admin/v1/user-tokens", timeout=30,
                      headers={"Authorization": "Bearer " + ADMIN},
                      json={"cpr": cpr, "keepOthers": True, "deviceId": device_id,
                            "deviceName": name})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def app(srv, token, method, path, **kw):
    return requests.request(method, srv.url + "/api/mailbox" + path, timeout=30,
                            headers={"Authorization": "Bearer " + token,
                                     "User-Agent": "DigitalPost/3.1 (iPhone; iOS 17.5)"}, **kw)


def events(srv, tag):
    return srv.db.execute("SELECT actor, props FROM events WHERE tag = ? ORDER BY seq",
                          (tag,)).fetchall()


def test_two_browsers_and_an_app(portal):
    srv = portal
    a = Browser(srv, METTE, FIREFOX)
    b = Browser(srv, METTE, SAFARI)
    token = issue_app_token(srv, METTE, "iphone-42", "Testtelefon")
    assert app(srv, token, "GET", "/notifications").status_code == 200
    r = app(srv, token, "POST", "/notifications/push",
            json={"providerType": "APN", "deviceId": "iphone-42", "deviceName": "Testtelefon",
                  "deviceToken": "apn-token-1"})
    assert r.status_code == 201, r.text

    # the app sign-in's first use recorded its user agent and last use; the sessions their names
    used = srv.db.execute("SELECT user_agent, last_used_ms, device_name FROM user_tokens "
                          "WHERE device_id = ?", ("iphone-42",)).fetchone()
    assert used[0].startswith("DigitalPost/3.1") and used[1] and used[2] == "Testtelefon"
    names = {r[0] for r in srv.db.execute(
        "SELECT device_name FROM web_sessions WHERE subject = ?", (METTE,)).fetchall()}
    assert {"Firefox · Windows", "Safari · iPhone"} <= names
    page = a.get("/adgangsportal/")
    assert page.status_code == 200
    rows = devices(page.text)
    assert len(rows) == 6, page.text  # and the demo's: API token, Mettes iPhone, Mettes iPad
    assert "Mettes iPhone" in page.text and "API (kuvert demo)" in page.text
    this = [k for k, v in rows.items() if "denne enhed" in v]
    assert len(this) == 1 and "Firefox · Windows" in rows[this[0]]
    other = [k for k, v in rows.items() if "Safari · iPhone" in v]
    phone = [k for k, v in rows.items() if "Testtelefon" in v]
    assert len(other) == 1 and len(phone) == 1
    assert "Slå notifikationer fra" in rows[phone[0]] and ">Ja<" in rows[phone[0]]
    assert ">Nej<" in rows[other[0]] and "notifikationer-fra" not in rows[other[0]]
    # another person sees none of Mette's devices
    jens = Browser(srv, JENS, FIREFOX)
    assert not set(devices(jens.get("/adgangsportal/").text)) & set(rows)

    # log the Safari browser out from the Firefox one
    csrf = csrf_of(page.text)
    r = a.post("/adgangsportal/enhed/%s/log-ud" % other[0], {"csrf": csrf})
    assert r.status_code == 303 and "ok=logget-ud" in r.headers["Location"]
    r = b.get("/adgangsportal/")                    # its next request is signed out
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    assert b.get("/post/").status_code == 303
    page = a.get("/adgangsportal/?ok=logget-ud")  # stays in
    assert page.status_code == 200 and other[0] not in devices(page.text)
    assert "Enheden er logget ud" in page.text
    assert events(srv, "DEVICE_LOGGED_OUT")[-1][0] == "cpr:" + METTE

    # turn push off for the phone only: its token still works, the subscription is gone
    r = a.post("/adgangsportal/enhed/%s/notifikationer-fra" % phone[0], {"csrf": csrf})
    assert r.status_code == 303, r.text
    s = app(srv, token, "GET", "/notifications").json()
    assert [x["deviceId"] for x in s["pushSubscriptions"]] == ["demo-iphone-1"]  # only that one
    assert events(srv, "DEVICE_NOTIFICATIONS_OFF")
    assert events(srv, "PUSH_NOTIFICATION_SUBSCRIPTION_DELETED")
    rows = devices(a.get("/adgangsportal/").text)
    assert ">Nej<" in rows[phone[0]]

    # log the phone out: its token is revoked at once
    r = a.post("/adgangsportal/enhed/%s/log-ud" % phone[0], {"csrf": csrf})
    assert r.status_code == 303
    assert app(srv, token, "GET", "/notifications").status_code == 401
    assert phone[0] not in devices(a.get("/adgangsportal/").text)
    revoked = srv.db.execute("SELECT revoked_ms FROM user_tokens WHERE device_id = ?",
                             ("iphone-42",)).fetchall()
    assert revoked and all(row[0] for row in revoked)
    assert '"reason":"logged-out"' in events(srv, "USER_TOKEN_REVOKED")[-1][1]


def test_logging_out_a_lost_phone_stops_its_push_notices(portal):
    """Log ud is "log out and reset" (portals.md section 4): a lost phone that is logged out
    keeps no push subscription, so it shows no more notices; the person's other device keeps
    its own."""
    srv = portal
    a = Browser(srv, METTE, FIREFOX)
    token = issue_app_token(srv, METTE, "lost-phone", "Mistet telefon")
    r = app(srv, token, "POST", "/notifications/push",
            json={"providerType": "FCM", "deviceId": "lost-phone", "deviceName": "Mistet telefon",
                  "deviceToken": "fcm-token-lost"})
    assert r.status_code == 201, r.text
    page = a.get("/adgangsportal/")
    rows = devices(page.text)
    phone = [k for k, v in rows.items() if "Mistet telefon" in v]
    assert len(phone) == 1 and ">Ja<" in rows[phone[0]]
    r = a.post("/adgangsportal/enhed/%s/log-ud" % phone[0], {"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and "ok=logget-ud" in r.headers["Location"]
    assert app(srv, token, "GET", "/notifications").status_code == 401
    left = srv.db.execute("SELECT device_id FROM notify_channels WHERE kind = 'PUSH'").fetchall()
    assert [x[0] for x in left] == ["demo-iphone-1"]      # the lost phone's is gone, not others'
    # no signed-out "push only" row stays behind for it
    assert not [v for v in devices(a.get("/adgangsportal/").text).values()
                if "Mistet telefon" in v]
    deleted = events(srv, "PUSH_NOTIFICATION_SUBSCRIPTION_DELETED")
    assert len(deleted) == 1 and deleted[0][0] == "cpr:" + METTE
    assert '"pushSubscriptions":1' in events(srv, "DEVICE_LOGGED_OUT")[-1][1]


def test_another_persons_device_is_not_found(portal):
    srv = portal
    mette = Browser(srv, METTE, FIREFOX)
    jens = Browser(srv, JENS, SAFARI)
    token = issue_app_token(srv, METTE, "tablet-1", "Testtablet")
    app(srv, token, "POST", "/notifications/push",
        json={"providerType": "APN", "deviceId": "tablet-1", "deviceName": "Testtablet",
              "deviceToken": "apn-token-2"})
    keys = list(devices(mette.get("/adgangsportal/").text))
    assert len(keys) == 5                           # browser, tablet, the demo's three
    jcsrf = csrf_of(jens.get("/adgangsportal/").text)
    for k in keys:
        for action in ("log-ud", "notifikationer-fra"):
            r = jens.post("/adgangsportal/enhed/%s/%s" % (k, action), {"csrf": jcsrf})
            assert r.status_code == 404, (k, action, r.status_code)
    assert jens.post("/adgangsportal/enhed/s%s/log-ud" % ("0" * 32), {"csrf": jcsrf}).status_code == 404
    # nothing changed for Mette
    assert mette.get("/adgangsportal/").status_code == 200
    assert app(srv, token, "GET", "/notifications").json()["pushSubscriptions"]
    assert not events(srv, "DEVICE_LOGGED_OUT")


def test_forms_need_the_csrf_token_and_sign_in(portal):
    srv = portal
    a = Browser(srv, METTE, FIREFOX)
    b = Browser(srv, METTE, SAFARI)
    key = [k for k, v in devices(a.get("/adgangsportal/").text).items() if "Safari" in v][0]
    assert a.post("/adgangsportal/enhed/%s/log-ud" % key, {}).status_code == 403
    assert a.post("/adgangsportal/enhed/%s/log-ud" % key, {"csrf": "x" * 43}).status_code == 403
    assert b.get("/adgangsportal/").status_code == 200      # still signed in
    anon = requests.get(srv.url + "/adgangsportal/", allow_redirects=False, timeout=30)
    assert anon.status_code == 303 and anon.headers["Location"].startswith("/login")


def test_this_device_can_log_itself_out(portal):
    srv = portal
    a = Browser(srv, METTE, FIREFOX)
    page = a.get("/adgangsportal/")
    key = [k for k, v in devices(page.text).items() if "denne enhed" in v][0]
    r = a.post("/adgangsportal/enhed/%s/log-ud" % key, {"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert a.get("/adgangsportal/").status_code == 303


def test_device_names_are_escaped(portal):
    srv = portal
    a = Browser(srv, METTE, FIREFOX)
    issue_app_token(srv, METTE, "x1", "<script>alert(1)</script>")
    html = a.get("/adgangsportal/").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    r = requests.post(srv.url + "/admin/v1/user-tokens", timeout=30,
                      headers={"Authorization": "Bearer " + ADMIN},
                      json={"cpr": METTE, "deviceName": "x" * 200})
    assert r.status_code == 400


def test_a_person_acting_for_a_company_sees_only_their_own_sessions(portal):
    srv = portal
    erik = "erik@eksempelbyg.dk"          # acts for Eksempel Byg A/S (demo)
    a = Browser(srv, erik, FIREFOX)
    b = Browser(srv, erik, SAFARI)
    page = a.get("/adgangsportal/")
    assert page.status_code == 200, page.text[:300]
    rows = devices(page.text)
    assert len(rows) == 2, page.text       # his two browsers; the company's tokens are not his
    assert all(k.startswith("s") for k in rows)
    other = [k for k, v in rows.items() if "Safari" in v][0]
    r = a.post("/adgangsportal/enhed/%s/log-ud" % other, {"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert b.get("/adgangsportal/").status_code == 303
    assert a.get("/adgangsportal/").status_code == 200
    # a citizen's device keys are not his
    mette = Browser(srv, METTE, FIREFOX)
    mkey = next(iter(devices(mette.get("/adgangsportal/").text)))
    r = a.post("/adgangsportal/enhed/%s/log-ud" % mkey, {"csrf": csrf_of(page.text)})
    assert r.status_code == 404
    assert mette.get("/adgangsportal/").status_code == 200
    # an authority's employee sees their own session only
    soeren = Browser(srv, "soeren.system@kommunen.dk", FIREFOX)
    page = soeren.get("/adgangsportal/")
    assert page.status_code == 200 and len(devices(page.text)) == 1
    assert not set(devices(page.text)) & set(rows)
