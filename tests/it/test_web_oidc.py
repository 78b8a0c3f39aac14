# SPDX-License-Identifier: MIT
"""Sign-in with OpenID Connect against a real provider: npm's oidc-provider, started by these
tests (tests/web/oidc_provider.mjs). The whole authorisation code flow with PKCE, state and
nonce runs over HTTP; the provider then hands out tampered ID tokens to show that kuvert
refuses a forged signature, a wrong audience, an expired token, a wrong issuer, a wrong nonce
and an unsigned token, each with a clear page, and that a replayed code or callback does not
sign anyone in."""
import base64
import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import urllib.parse

import pytest
import requests

from kuvert_harness import ROOT, KuvertServer, run_cli, db_connect

CLIENT_ID = "kuvert"
SECRET = "kuvert-test-secret"
CPR = "2211771212"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def oidc(tmp_path_factory):
    """(kuvert server, provider URL) with OIDC configured; the provider stops at teardown.
    The provider must know kuvert's callback URL before kuvert starts, so kuvert listens on a
    port picked beforehand; another process may take that port in between (the machine runs
    other tests), so a start that fails is tried again on a fresh port (at most 5 times)."""
    d = tmp_path_factory.mktemp("oidc") / "data"
    run_cli(["demo"], data=str(d), json_out=False)
    run_cli(["user", "add", "--org", "12345678", "--name", "Eva Employee", "--email",
             "eva@kommunen.example", "--right", "ORGANISATION_USER_ADMINISTRATOR"], data=str(d))
    script = os.path.join(ROOT, "tests", "web", "oidc_provider.mjs")
    for attempt in range(5):
        port = free_port()
        redirect = "http://127.0.0.1:%d/login/oidc/callback" % port
        prov = subprocess.Popen(["node", script, "--redirect", redirect, "--client-id", CLIENT_ID,
                                 "--client-secret", SECRET], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        line = prov.stdout.readline()
        m = re.match(r"oidc-provider: listening on (http://\S+)", line)
        assert m, (line, prov.stderr.read() if prov.poll() is not None else "")
        issuer = m.group(1)
        srv = KuvertServer(str(d), args=[
            "--listen", "127.0.0.1:%d" % port,
            "--set", "oidc_issuer=" + issuer, "--set", "oidc_client_id=" + CLIENT_ID,
            "--set", "oidc_client_secret=" + SECRET, "--set", "login_rate=1000"])
        # KuvertServer puts --listen 127.0.0.1:0 first; the later --listen wins
        try:
            srv.start()
            break
        except RuntimeError:
            prov.terminate()
            prov.wait(timeout=60)
            if attempt == 4:
                raise
    yield srv, issuer
    srv.stop()
    prov.terminate()
    prov.wait(timeout=60)


def set_person(issuer, **claims):
    r = requests.post(issuer + "/__test/next", json=claims, timeout=60)
    assert r.status_code == 204


def set_mode(issuer, mode):
    r = requests.post(issuer + "/__test/mode", json={"mode": mode}, timeout=60)
    assert r.status_code == 204


def start(srv, next_path="/post/"):
    """Follows the flow up to kuvert's callback; returns (session, callback URL)."""
    s = requests.Session()
    r = s.get(srv.url + "/login/oidc", params={"next": next_path}, allow_redirects=False,
              timeout=30)
    assert r.status_code == 303, r.text
    auth = r.headers["Location"]
    q = urllib.parse.parse_qs(urllib.parse.urlparse(auth).query)
    assert q["response_type"] == ["code"] and q["client_id"] == [CLIENT_ID]
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43
    assert len(q["state"][0]) == 43 and len(q["nonce"][0]) == 43
    url = auth
    for _ in range(10):  # provider: authorize -> interaction -> authorize -> ... -> callback
        r = s.get(url, allow_redirects=False, timeout=30)
        assert r.status_code in (302, 303), (r.status_code, r.text[:500])
        url = urllib.parse.urljoin(url, r.headers["Location"])
        if url.startswith(srv.url + "/login/oidc/callback"):
            return s, url
    raise AssertionError("never came back to kuvert")


def finish(s, callback):
    return s.get(callback, allow_redirects=False, timeout=30)


def test_discovery_driven_code_flow_signs_a_citizen_in(oidc):
    srv, issuer = oidc
    set_mode(issuer, "normal")
    set_person(issuer, sub="c-1", name="Mette Hansen", cpr=CPR)
    s, cb = start(srv)
    assert "code=" in cb and "state=" in cb
    r = finish(s, cb)
    assert r.status_code == 303 and r.headers["Location"] == "/post/", r.text
    page = s.get(srv.url + "/post/", timeout=30)
    assert page.status_code == 200 and "Mette Hansen" in page.text
    db = db_connect(srv.data_dir)
    assert db.execute("SELECT method, subject FROM web_sessions ORDER BY created_ms DESC "
                      "LIMIT 1").fetchone() == ("oidc", CPR)
    assert db.execute("SELECT COUNT(*) FROM web_oidc_logins").fetchone()[0] == 0


def test_pkce_challenge_is_s256_of_a_stored_verifier(oidc):
    srv, issuer = oidc
    s = requests.Session()
    r = s.get(srv.url + "/login/oidc", allow_redirects=False, timeout=30)
    q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
    db = db_connect(srv.data_dir)
    state_hash = hashlib.sha256(q["state"][0].encode()).hexdigest()
    verifier, = db.execute("SELECT verifier FROM web_oidc_logins WHERE state_sha256 = ?",
                           (state_hash,)).fetchone()
    want = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert q["code_challenge"][0] == want.decode()
    # the state itself is not stored
    assert db.execute("SELECT COUNT(*) FROM web_oidc_logins WHERE state_sha256 = ?",
                      (q["state"][0],)).fetchone()[0] == 0


REASONS = {  # what the server log says for each tampered token (the page says less)
    "forged": "signature does not verify",
    "wrong_aud": "audience is not this client",
    "expired": "ID token expired",
    "wrong_iss": "issuer is not the configured",
    "wrong_nonce": "nonce does not match",
    "alg_none": "algorithm none refused",
}


@pytest.mark.parametrize("mode", sorted(REASONS))
def test_bad_id_tokens_are_refused_with_a_clear_page(oidc, mode):
    srv, issuer = oidc
    set_person(issuer, sub="c-2", name="Jens Jensen", cpr="0101701234")
    set_mode(issuer, mode)
    try:
        s, cb = start(srv)
        r = finish(s, cb)
    finally:
        set_mode(issuer, "normal")
    assert r.status_code == 403, (mode, r.status_code)
    assert "Login afvist" in r.text and "kunne ikke verificeres" in r.text, r.text
    assert any(REASONS[mode] in line for line in srv.log().splitlines()[-4:]), srv.log()[-600:]
    assert "kuvert=" not in r.headers.get("Set-Cookie", "").replace("kuvert_oidc=", "")
    assert s.get(srv.url + "/post/", allow_redirects=False, timeout=30).status_code == 303


def test_replayed_callback_and_replayed_code_are_refused(oidc):
    srv, issuer = oidc
    set_mode(issuer, "normal")
    set_person(issuer, sub="c-3", name="Sofie Nielsen", cpr="1502851236")
    s, cb = start(srv)
    assert finish(s, cb).status_code == 303
    # the same callback again (same state and code): the sign-in was used up
    # (even with the browser's state cookie, which the first callback cleared, put back)
    state = urllib.parse.parse_qs(urllib.parse.urlparse(cb).query)["state"][0]
    s2 = requests.Session()
    s2.cookies.set("kuvert_oidc", state)
    r = s2.get(cb, allow_redirects=False, timeout=30)
    assert r.status_code == 403 and "allerede brugt" in r.text
    # the old code with a fresh, valid state: the provider refuses the code
    s3, cb3 = start(srv)
    old_code = urllib.parse.parse_qs(urllib.parse.urlparse(cb).query)["code"][0]
    parts = urllib.parse.urlparse(cb3)
    q = urllib.parse.parse_qs(parts.query)
    q["code"] = [old_code]
    r = s3.get(parts._replace(query=urllib.parse.urlencode(q, doseq=True)).geturl(),
               allow_redirects=False, timeout=30)
    assert r.status_code == 403 and "bekræftede ikke" in r.text
    assert "kuvert=" not in r.headers.get("Set-Cookie", "").replace("kuvert_oidc=", "")


def test_callback_from_another_browser_is_refused(oidc):
    srv, issuer = oidc
    set_mode(issuer, "normal")
    s, cb = start(srv)
    r = requests.get(cb, allow_redirects=False, timeout=30)  # no state cookie: login CSRF
    assert r.status_code == 403 and "tilhører ikke denne browser" in r.text


def test_provider_error_and_unknown_employee(oidc):
    srv, issuer = oidc
    s = requests.Session()
    s.get(srv.url + "/login/oidc", allow_redirects=False, timeout=30)
    r = s.get(srv.url + "/login/oidc/callback?error=access_denied&state=x", timeout=30)
    assert r.status_code == 403 and "Login afvist" in r.text
    set_mode(issuer, "normal")
    set_person(issuer, sub="e-1", name="Nobody", email="nobody@example.dk")
    s, cb = start(srv)
    r = finish(s, cb)
    assert r.status_code == 403 and "ikke registreret" in r.text


def test_login_page_offers_mitid_button(oidc):
    srv, _ = oidc
    r = requests.get(srv.url + "/login?next=/post/", timeout=30)
    assert 'href="/login/oidc?next=%2Fpost%2F"' in r.text


def test_oidc_routes_404_when_not_configured(server):
    assert server.get("/login/oidc", allow_redirects=False).status_code == 404
    assert server.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_employee_signs_in_with_email_and_cvr_claims(oidc):
    srv, issuer = oidc
    set_mode(issuer, "normal")
    set_person(issuer, sub="e-2", name="Eva E.", email="EVA@kommunen.example", cvr="12345678")
    s, cb = start(srv)
    r = finish(s, cb)
    assert r.status_code == 303, r.text
    page = s.get(srv.url + "/post/", timeout=30)
    assert "Eva Employee" in page.text and "Kommunen" in page.text
    # the same person naming an organisation they do not act for is refused
    set_person(issuer, sub="e-2", name="Eva E.", email="eva@kommunen.example", cvr="11223344")
    s, cb = start(srv)
    r = finish(s, cb)
    assert r.status_code == 403 and "handler ikke på vegne af" in r.text
