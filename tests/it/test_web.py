# SPDX-License-Identifier: MIT
"""The web layer over HTTP (docs/web.md): pages, language, security headers, test sign-in,
sessions (cookie flags, hashed ids, idle and absolute expiry, sign-out), CSRF refusal, the
sign-in rate limit and the HTML error pages. Browser-level checks (axe, keyboard,
screenshots) are in tests/web/ (Playwright); OpenID Connect in test_web_oidc.py."""
import re

import pytest

from kuvert_harness import run_cli, db_connect

CPR = "2211771212"          # a citizen with a mailbox (kuvert demo: Mette Hansen)
EVIL = '<script>alert("x")</script>&\''


def demo_server(make_server, args=(), test_clock=False, tmp_path=None):
    srv = make_server(test_clock=test_clock, args=["--test-login"] + list(args))
    return srv


@pytest.fixture
def web(make_server, tmp_path):
    """A server with --test-login and --test-clock on a data dir seeded by `kuvert demo`."""
    def make(args=(), test_login=True):
        d = str(tmp_path / ("web%d" % len(list(tmp_path.iterdir()))))
        run_cli(["demo"], data=d, json_out=False)
        run_cli(["mailbox", "add", "--cpr", "0101801234", "--name", EVIL], data=d)
        return make_server(test_clock=True, data_dir=d,
                           args=(["--test-login"] if test_login else []) + list(args))
    return make


def csrf_of(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html
    return m.group(1)


def sign_in(srv, subject=CPR, next_path=None):
    page = srv.get("/login")
    assert page.status_code == 200
    data = {"subject": subject, "csrf": csrf_of(page.text)}
    if next_path:
        data["next"] = next_path
    r = srv.post("/login/test", data=data, allow_redirects=False)
    assert r.status_code == 303, r.text
    return r


SEC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def assert_secure_page(r):
    for k, v in SEC_HEADERS.items():
        assert r.headers.get(k) == v, (k, r.headers)
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<script>" not in r.text  # no inline script anywhere


def test_front_page_danish_by_default_with_portals_and_dkfds(web):
    srv = web()
    r = srv.get("/")
    assert r.status_code == 200
    assert_secure_page(r)
    assert '<html lang="da">' in r.text and "Forside" in r.text
    for p in ("/post/", "/adgangsportal/", "/administrativ-adgang/", "/rettighedsportal/",
              "/testportal/", "/openapi.yaml"):
        assert 'href="%s"' % p in r.text
    css = re.search(r'<link rel="stylesheet" href="(/assets/dkfds-[0-9.]+/css/dkfds.min.css)"',
                    r.text).group(1)
    a = srv.get(css)
    assert a.status_code == 200 and a.headers["Content-Type"].startswith("text/css")
    assert "immutable" in a.headers["Cache-Control"] and "max-age=31536000" in a.headers["Cache-Control"]
    font = srv.get(css.replace("css/dkfds.min.css",
                               "fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2"))
    assert font.status_code == 200 and font.headers["Content-Type"] == "font/woff2"
    assert srv.get(css.replace("dkfds.min.css", "..%2Fpackage.json")).status_code == 404
    assert srv.get("/assets/dkfds-0.0.1/css/dkfds.min.css").status_code == 404
    y = srv.get("/openapi.yaml")
    assert y.status_code == 200 and "openapi:" in y.text


def test_english_selectable_and_remembered(web):
    srv = web()
    r = srv.get("/?lang=en")
    assert '<html lang="en">' in r.text and "Front page" in r.text
    assert "lang=en" in r.headers["Set-Cookie"]
    r = srv.get("/login")
    assert '<html lang="en">' in r.text and "Test identities" in r.text
    r = srv.get("/?lang=da")
    assert '<html lang="da">' in r.text
    r = srv.get("/?lang=xx")  # unknown: stays with the cookie's language
    assert '<html lang="da">' in r.text


def test_login_page_lists_test_identities_and_banner(web):
    srv = web()
    r = srv.get("/login")
    assert_secure_page(r)
    assert "Testlogin er slået til" in r.text
    assert CPR in r.text and "Mette Hansen" in r.text
    # the hostile name is shown escaped, never as markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;" in r.text
    assert EVIL not in r.text
    assert "HttpOnly" in r.headers["Set-Cookie"]


def test_without_test_login_the_route_is_404_and_no_banner(web):
    srv = web(test_login=False)
    r = srv.post("/login/test", data={"subject": CPR, "csrf": "x" * 43}, allow_redirects=False)
    assert r.status_code == 404
    assert "Set-Cookie" not in r.headers or "kuvert=" not in r.headers["Set-Cookie"]
    r = srv.get("/login")
    assert "Testlogin" not in r.text and CPR not in r.text


def test_sign_in_sets_hardened_cookie_and_stores_only_a_hash(web):
    srv = web()
    r = sign_in(srv, next_path="/post/")
    assert r.headers["Location"] == "/post/"
    cookie = [c for c in r.headers["Set-Cookie"].split(", ") if c.startswith("kuvert=")][0]
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain http, cookie_secure auto
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) == 43  # 256 bits, base64url
    page = srv.get("/post/")
    assert page.status_code == 200 and "Mette Hansen" in page.text
    db = db_connect(srv.data_dir)
    rows = db.execute("SELECT id_sha256, subject, user_agent, created_ms, last_used_ms "
                      "FROM web_sessions").fetchall()
    assert len(rows) == 1 and rows[0][1] == CPR and rows[0][2]  # device recorded
    assert value not in rows[0][0]
    assert value not in "\n".join(db.iterdump())  # nowhere in the database
    ev = db.execute("SELECT tag, actor FROM events WHERE tag = 'USER_SIGNED_IN'").fetchall()
    assert ev == [("USER_SIGNED_IN", "cpr:" + CPR)]


def test_portals_require_sign_in(web):
    srv = web()
    for p in ("/post/", "/adgangsportal/", "/administrativ-adgang/", "/rettighedsportal/",
              "/testportal/"):
        r = srv.get(p, allow_redirects=False)
        assert r.status_code == 303, p
        assert r.headers["Location"] == "/login?next=" + p.replace("/", "%2F"), r.headers
    sign_in(srv)
    r = srv.get("/testportal/")  # for employees with TEST_PORTAL (test_testportal.py)
    assert r.status_code == 403
    r = srv.get("/adgangsportal/")  # the devices (test_adgangsportal.py)
    assert r.status_code == 200 and "Mine enheder" in r.text
    r = srv.get("/administrativ-adgang/")   # a citizen: told it is for employees
    assert r.status_code == 200 and "medarbejdere" in r.text
    r = srv.get("/post/")  # the mailbox (test_mailbox_web.py)
    assert r.status_code == 200 and "Indbakke" in r.text


def test_gate_decides_pages_before_reading_the_body(web):
    """Page routes declare access keys; the request gate authenticates the session cookie and
    refuses before the handler (and before any body byte is read)."""
    srv = web()
    body = "x=" + "a" * 100000
    r = srv.post("/rettighedsportal/medarbejdere", data=body, allow_redirects=False,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")
    sign_in(srv)  # a citizen: no rettighedsadministrator
    r = srv.post("/rettighedsportal/medarbejdere", data=body, allow_redirects=False,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and "Adgang nægtet" in r.text
    routes = {(x["method"], x["pattern"]): x for x in run_cli(["config", "routes"])["routes"]}
    assert routes[("POST", "/rettighedsportal/medarbejdere")]["access"] == "rights"
    assert routes[("GET", "/post/")]["access"] == "mailbox"  # the mailbox (docs/mailbox-web.md)


def test_csrf_refused_changes_nothing(web):
    srv = web()
    srv.get("/login")
    # sign-in without or with a wrong token
    for data in ({"subject": CPR}, {"subject": CPR, "csrf": "A" * 43}, {"subject": CPR, "csrf": ""}):
        r = srv.post("/login/test", data=data, allow_redirects=False)
        assert r.status_code == 403
        assert "kuvert=" not in r.headers.get("Set-Cookie", "")
    # a token from another browser does not work either
    sign_in(srv)
    r = srv.post("/logout", data={"csrf": "B" * 43}, allow_redirects=False)
    assert r.status_code == 403
    assert srv.get("/post/", allow_redirects=False).status_code == 200  # still signed in
    db = db_connect(srv.data_dir)
    assert db.execute("SELECT COUNT(*) FROM web_sessions WHERE revoked_ms IS NOT NULL").fetchone()[0] == 0


def test_sign_out_revokes_server_side(web):
    srv = web()
    sign_in(srv)
    cookie = srv.session.cookies.get("kuvert")
    page = srv.get("/post/")
    r = srv.post("/logout", data={"csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    # replaying the old cookie does not work: the session is revoked in the database
    srv.session.cookies.clear()
    srv.session.cookies.set("kuvert", cookie)
    assert srv.get("/post/", allow_redirects=False).status_code == 303
    db = db_connect(srv.data_dir)
    assert db.execute("SELECT tag FROM events WHERE tag = 'USER_SIGNED_OUT'").fetchall()


def test_new_session_id_on_every_sign_in(web):
    srv = web()
    sign_in(srv)
    first = srv.session.cookies.get("kuvert")
    sign_in(srv, subject="0101701234")
    second = srv.session.cookies.get("kuvert")
    assert first and second and first != second
    srv.session.cookies.clear()
    srv.session.cookies.set("kuvert", first)
    assert srv.get("/post/", allow_redirects=False).status_code == 303  # old one revoked


def test_unknown_identity_refused_clearly(web):
    srv = web()
    page = srv.get("/login")
    r = srv.post("/login/test", data={"subject": "3112991234", "csrf": csrf_of(page.text)})
    assert r.status_code == 400 and "Login afvist" in r.text  # a closed mailbox is no identity
    r = srv.post("/login/test", data={"subject": "nobody@example.dk", "csrf": csrf_of(page.text)})
    assert r.status_code == 400


def test_idle_timeout_and_absolute_lifetime(web):
    srv = web(args=["--set", "session_idle=30m", "--set", "session_lifetime=2h"])
    sign_in(srv)
    srv.advance_clock("29m")
    assert srv.get("/post/", allow_redirects=False).status_code == 200  # use renews idle time
    srv.advance_clock("29m")
    assert srv.get("/post/", allow_redirects=False).status_code == 200
    srv.advance_clock("31m")
    assert srv.get("/post/", allow_redirects=False).status_code == 303  # idle too long
    sign_in(srv)
    for _ in range(4):  # keep it busy for two hours: the absolute lifetime still ends it
        srv.advance_clock("25m")
        assert srv.get("/post/", allow_redirects=False).status_code == 200
    srv.advance_clock("25m")
    assert srv.get("/post/", allow_redirects=False).status_code == 303


def test_secure_cookie_with_host_prefix_when_configured(web):
    srv = web(args=["--set", "cookie_secure=on"])
    r = srv.get("/login")
    assert "__Host-kuvert_pre=" in r.headers["Set-Cookie"] and "Secure" in r.headers["Set-Cookie"]
    token = csrf_of(r.text)
    pre = re.search(r"__Host-kuvert_pre=([^;]+)", r.headers["Set-Cookie"]).group(1)
    r = srv.post("/login/test", data={"subject": CPR, "csrf": token}, allow_redirects=False,
                 headers={"Cookie": "__Host-kuvert_pre=" + pre})
    assert r.status_code == 303
    c = r.headers["Set-Cookie"]
    assert c.startswith("__Host-kuvert=") and "; Secure" in c and "Path=/" in c
    assert "Domain" not in c
    # behind a TLS proxy: auto + https public_url
    srv2 = web(args=["--set", "public_url=https://post.example.dk"])
    assert "__Host-kuvert_pre=" in srv2.get("/login").headers["Set-Cookie"]


def test_sign_in_rate_limited_per_client(web):
    srv = web(args=["--set", "login_rate=3"])
    page = srv.get("/login")
    codes = [srv.post("/login/test", data={"subject": "1", "csrf": csrf_of(page.text)}).status_code
             for _ in range(5)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]
    r = srv.post("/login/test", data={"subject": CPR, "csrf": csrf_of(page.text)})
    assert r.status_code == 429 and "For mange forsøg" in r.text


def test_error_pages_leak_nothing(web):
    srv = web()
    r = srv.get("/no/such/page/etc-passwd")
    assert r.status_code == 404
    assert_secure_page(r)
    assert "etc-passwd" not in r.text and "Siden findes ikke" in r.text
    # API paths keep the NgDP JSON error
    r = srv.get("/apis/v1/no-such")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/json"


def test_next_parameter_cannot_leave_the_site(web):
    srv = web()
    # browsers drop tab, CR and LF anywhere in a URL: "/<TAB>/evil.example" is
    # "//evil.example" to them (before: sent as the Location as it was)
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example",
                "/\t/evil.example", "/\t\\evil.example", "/\n/evil.example", "/ /evil.example"):
        r = sign_in(srv, next_path=bad)
        assert r.headers["Location"] == "/", bad
    r = srv.get("/login?next=%22%3E%3Cscript%3E")
    assert "<script>" not in r.text
    # the sign-in page does not carry such a next into its forms either
    r = srv.get("/login?next=/%09/evil.example")
    assert re.findall(r'name="next" value="([^"]*)"', r.text) and \
        set(re.findall(r'name="next" value="([^"]*)"', r.text)) == {"/"}
    # nor does the organisation switch (same redirect)
    add_employee(srv, "12345678", "nexttab@kommunen.example", "Nina Next")
    sign_in(srv, subject="nexttab@kommunen.example")
    token = csrf_of(srv.get("/rettighedsportal/").text)
    r = srv.post("/context", data={"org": "12345678", "csrf": token,
                                   "next": "/\t/evil.example"}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/", r.headers


def test_ended_sessions_kept_30_days_for_device_history(web):
    srv = web()
    sign_in(srv)
    db = db_connect(srv.data_dir)
    srv.advance_clock("9h")  # past the 8 h lifetime: ended, still listed
    sign_in(srv)
    assert db.execute("SELECT COUNT(*) FROM web_sessions").fetchone()[0] == 2
    srv.advance_clock("31d")
    sign_in(srv)
    assert db.execute("SELECT COUNT(*) FROM web_sessions").fetchone()[0] == 1


def add_employee(srv, org, email, name, rights=("MESSAGE_BASIC",)):
    args = ["user", "add", "--org", org, "--name", name, "--email", email]
    for r in rights:
        args += ["--right", r]
    run_cli(args, data=srv.data_dir)


def test_employee_test_sign_in_and_context_switch(web):
    srv = web()
    add_employee(srv, "12345678", "anne@kommunen.example", "Anne Admin",
                 ["ORGANISATION_USER_ADMINISTRATOR"])
    add_employee(srv, "55667788", "anne@kommunen.example", "Anne Admin", ["MESSAGE_BASIC"])
    page = srv.get("/login")
    assert "anne@kommunen.example" in page.text and "Medarbejder" in page.text
    sign_in(srv, subject="Anne@Kommunen.example")  # e-mail is case-insensitive
    r = srv.get("/post/")
    assert "Anne Admin" in r.text
    # two organisations: a switcher in the header, the first one chosen
    assert 'name="org"' in r.text
    assert re.search(r'<option value="12345678" selected>Kommunen \(12345678\)</option>', r.text)
    db = db_connect(srv.data_dir)
    pid = db.execute("SELECT id FROM persons WHERE email = 'anne@kommunen.example'").fetchone()[0]
    assert db.execute("SELECT actor FROM events WHERE tag = 'USER_SIGNED_IN'").fetchall() == \
        [("employee:%d@12345678" % pid,)]
    token = csrf_of(r.text)
    r = srv.post("/context", data={"org": "55667788", "csrf": token, "next": "/post/"},
                 allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/post/"
    r = srv.get("/post/")
    assert re.search(r'<option value="55667788" selected>', r.text)
    # an organisation that is not theirs, or no CSRF token: refused, nothing changes
    assert srv.post("/context", data={"org": "11223344", "csrf": token}).status_code == 403
    assert srv.post("/context", data={"org": "12345678"}).status_code == 403
    assert db.execute("SELECT org_cvr FROM web_sessions WHERE revoked_ms IS NULL").fetchone() == \
        ("55667788",)


def test_deactivated_employee_is_signed_out_on_the_next_request(web):
    srv = web()
    add_employee(srv, "12345678", "admin@kommunen.example", "Ada Admin",
                 ["ORGANISATION_USER_ADMINISTRATOR"])
    add_employee(srv, "12345678", "bo@kommunen.example", "Bo Borger", ["MESSAGE_BASIC"])
    sign_in(srv, subject="bo@kommunen.example")
    assert srv.get("/post/", allow_redirects=False).status_code == 200
    run_cli(["user", "deactivate", "--org", "12345678", "--email", "bo@kommunen.example"],
            data=srv.data_dir)
    assert srv.get("/post/", allow_redirects=False).status_code == 303
    page = srv.get("/login")
    r = srv.post("/login/test", data={"subject": "bo@kommunen.example", "csrf": csrf_of(page.text)})
    assert r.status_code == 400 and "Login afvist" in r.text


def test_citizen_sign_in_makes_the_person_once(web):
    srv = web()
    sign_in(srv)
    sign_in(srv)
    db = db_connect(srv.data_dir)
    assert db.execute("SELECT name, cpr FROM persons WHERE cpr = ?", (CPR,)).fetchall() == \
        [("Mette Hansen", CPR)]


PORTALS = ("/post/", "/adgangsportal/", "/administrativ-adgang/", "/rettighedsportal/",
           "/testportal/")


def menu_of(html):
    """The portals offered in the header's main menu, in order."""
    m = re.search(r'<ul class="mainmenu">(.*?)</ul>', html, re.S)
    assert m, html
    return tuple(re.findall(r'<a href="([^"]+)" class="nav-link"', m.group(1)))


def front_portals(html):
    m = re.search(r'<ul class="nobullet-list">(.*?)</ul>', html, re.S)
    assert m, html
    return tuple(p for p in re.findall(r'<a href="([^"]+)"', m.group(1)) if p in PORTALS)


def test_menu_offers_only_the_portals_the_person_may_use(web):
    """The header's portals (and the front page's list) come from the one rule table: a
    citizen is not offered the Testportal (which answers them 403) nor the employees'
    portals; an employee without MESSAGE_BASIC is not offered the mailbox; an employee with
    TEST_PORTAL is offered the Testportal; nobody signed in is offered every portal a sign-in
    may open. Every portal offered opens (200)."""
    srv = web()
    assert menu_of(srv.get("/").text) == PORTALS
    assert front_portals(srv.get("/").text) == PORTALS
    expect = {
        CPR: ("/post/", "/adgangsportal/"),
        "ida.nyansat@kommunen.dk": ("/adgangsportal/", "/administrativ-adgang/",   # no rights
                                    "/rettighedsportal/"),
        "tove.tester@kommunen.dk": ("/post/", "/adgangsportal/", "/administrativ-adgang/",
                                    "/rettighedsportal/", "/testportal/"),
    }
    for subject, portals in expect.items():
        srv.session.cookies.clear()
        sign_in(srv, subject)
        for page in ("/", "/adgangsportal/"):
            assert menu_of(srv.get(page).text) == portals, (subject, page)
        assert front_portals(srv.get("/").text) == portals, subject
        for p in portals:
            assert srv.get(p, allow_redirects=False).status_code == 200, (subject, p)
        for p in ("/post/", "/testportal/"):
            if p not in portals:
                assert srv.get(p, allow_redirects=False).status_code == 403, (subject, p)
    # without --test-login there is no Testportal to offer
    plain = web(test_login=False)
    assert "/testportal/" not in menu_of(plain.get("/").text)
