# SPDX-License-Identifier: MIT
"""The mailbox at /post/ over HTTP (docs/mailbox-web.md) on a server seeded by `kuvert demo`
and run with --test-login: the folder view with counts, search and paging; a letter with its
text escaped and its attachments served with their own type, nosniff, a sandbox CSP for
anything but PDF and an RFC 6266 Content-Disposition; unread, delete, restore and permanent
delete; reply through the mailbox send path only while the letter allows it; CSRF; and the
route x role matrix of every /post/ route, including one person opening another's letter by
its id (404, like a letter that does not exist). Browser checks: tests/web/post.test.mjs."""
import re
import uuid as uuidlib

import pytest
import requests

from kuvert_harness import db_connect, run_cli, wait_until
from readside_util import send_letter, setup_org
from test_web import csrf_of

JENS, METTE = "0101701234", "2211771212"
ERIK = "erik@eksempelbyg.dk"            # MESSAGE_BASIC + MESSAGE_WRITE in Eksempel Byg A/S
SOEREN = "soeren.system@kommunen.dk"    # no mailbox right in Kommunen


class Browser:
    def __init__(self, srv, subject=None):
        self.srv = srv
        self.s = requests.Session()
        if subject:
            page = self.get("/login")
            r = self.post("/login/test", {"subject": subject, "csrf": csrf_of(page.text)})
            assert r.status_code == 303, r.text

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        return self.s.get(self.srv.url + path, **kw)

    def post(self, path, data, **kw):
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        return self.s.post(self.srv.url + path, data=data, **kw)

    def csrf(self):
        return csrf_of(self.get("/post/").text)


@pytest.fixture
def post(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d, json_out=False)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.db = db_connect(d)
    if hasattr(srv.db, "isolation_level"):
        srv.db.isolation_level = None  # sqlite3: autocommit, every read sees the server's writes
    return srv


def uuid_of(srv, cpr, label):
    return srv.db.execute(
        "SELECT l.message_uuid FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id "
        "WHERE m.owner_id = ? AND l.label = ?", (cpr, label)).fetchone()[0]


def folder_of(srv, uuid):
    return srv.db.execute("SELECT folder, read_ms FROM letters WHERE message_uuid = ?",
                          (uuid,)).fetchone()


def test_folder_view_counts_and_search(post):
    b = Browser(post, JENS)
    r = b.get("/post/")
    assert r.status_code == 200
    assert "Afgørelse om boligstøtte" in r.text
    assert "Årsopgørelse" not in r.text          # value date not reached
    assert re.search(r"Indbakke <span class=\"folder-count\">\(1, 1 ulæst", r.text), r.text
    assert "Content-Security-Policy" in r.headers
    r = b.get("/post/?q=boligst")
    assert "Afgørelse om boligstøtte" in r.text
    assert "Afgørelse om boligstøtte" in b.get("/post/?q=BOLIGST").text   # ASCII case
    assert "Afgørelse om boligstøtte" in b.get("/post/?q=kommunen").text  # the sender
    r = b.get("/post/?q=nothing-like-this")
    assert "Afgørelse om boligstøtte" not in r.text
    r = b.get("/post/?q=100%25_!")                # LIKE metacharacters are literal
    assert r.status_code == 200 and "Afgørelse" not in r.text
    assert b.get("/post/?mappe=nosuch").status_code == 404
    assert b.get("/post/?side=zz").status_code == 400
    assert b.get("/post/?q=" + "x" * 201).status_code == 400
    assert b.get("/post/?lang=en").text.count("Inbox") >= 1


def test_paging(post):
    org = setup_org(post, "29189978", "Pagingstyrelsen")
    for i in range(23):
        send_letter(post, org, cpr=METTE, label="Brev %02d" % i, action_url=None)
    b = Browser(post, METTE)
    first = b.get("/post/").text
    assert first.count('href="/post/brev/') == 20
    m = re.search(r'href="(/post/\?mappe=inbox&amp;q=&amp;side=[0-9a-f]{32})[^"]*"', first)
    assert m, first
    second = b.get(m.group(1).replace("&amp;", "&")).text
    assert second.count('href="/post/brev/') == 4   # 23 + the demo letter
    assert "Første side" in second
    assert "Næste side" not in second


def test_letter_attachments_and_downloads(post):
    org = setup_org(post, "29189979", "Bilagsstyrelsen")
    html = b"<html><body><script>alert(1)</script><b>Hej</b></body></html>"
    pdf = b"%PDF-1.4\n% test\n"
    u, _ = send_letter(post, org, cpr=METTE, label="Brev <med> bilag",
                       files=[("brev.txt", "text/plain", "Hej <b>Mette</b> & co".encode())],
                       attachments=[[("vejledning.pdf", "application/pdf", pdf)],
                                    [("side æ;ø%.html", "text/html", html)]],
                       action_url="https://example.dk/sag")
    b = Browser(post, METTE)
    r = b.get("/post/brev/" + u)
    assert r.status_code == 200
    assert "Brev &lt;med&gt; bilag" in r.text
    assert "Hej &lt;b&gt;Mette&lt;/b&gt; &amp; co" in r.text
    assert "<b>Mette" not in r.text
    assert "<script>" not in r.text
    assert folder_of(post, u)[1] is not None        # opened = read
    # files are numbered across documents: 0 brev.txt, 1 pdf, 2 html
    r = b.get("/post/brev/%s/fil/1" % u)
    assert r.status_code == 200 and r.content == pdf
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="vejledning.pdf"')
    r = b.get("/post/brev/%s/fil/1?vis=1" % u)
    assert r.headers["Content-Disposition"].startswith("inline;")
    r = b.get("/post/brev/%s/fil/2?vis=1" % u)
    assert r.status_code == 200 and r.content == html
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = r.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "script-src" not in csp and "allow-scripts" not in csp
    cd = r.headers["Content-Disposition"]
    assert cd.startswith('inline; filename="side ______.html"; '), cd
    assert cd.endswith("filename*=UTF-8''side%20%C3%A6%3B%C3%B8%25.html"), cd
    assert '"' not in cd.split("filename*=")[1]
    assert b.get("/post/brev/%s/fil/3" % u).status_code == 404
    assert b.get("/post/brev/%s/fil/x1" % u).status_code == 404


def test_unread_delete_restore_purge(post):
    b = Browser(post, JENS)
    u = uuid_of(post, JENS, "Afgørelse om boligstøtte")
    b.get("/post/brev/" + u)
    assert folder_of(post, u)[1] is not None
    csrf = b.csrf()
    assert b.post("/post/brev/%s/ulaest" % u, {"csrf": "wrong"}).status_code == 403
    assert folder_of(post, u)[1] is not None
    assert b.post("/post/brev/%s/ulaest" % u, {"csrf": csrf}).status_code == 303
    assert folder_of(post, u)[1] is None
    # permanent delete only from "deleted"
    assert b.post("/post/brev/%s/slet-endeligt" % u, {"csrf": csrf}).status_code == 400
    assert b.post("/post/brev/%s/flyt" % u, {"csrf": csrf, "mappe": "elsewhere"}).status_code == 400
    assert b.post("/post/brev/%s/flyt" % u, {"csrf": csrf, "mappe": "deleted"}).status_code == 303
    assert folder_of(post, u)[0] == "deleted"
    assert u not in b.get("/post/").text
    assert u in b.get("/post/?mappe=deleted").text
    assert b.post("/post/brev/%s/flyt" % u, {"csrf": csrf, "mappe": "inbox"}).status_code == 303
    assert folder_of(post, u)[0] == "inbox"
    b.post("/post/brev/%s/flyt" % u, {"csrf": csrf, "mappe": "deleted"})
    assert b.post("/post/brev/%s/slet-endeligt" % u, {"csrf": csrf}).status_code == 303
    assert folder_of(post, u)[0] == "purged"
    assert b.get("/post/brev/" + u).status_code == 404
    assert u not in b.get("/post/?mappe=deleted").text
    tags = [t for (t,) in post.db.execute(
        "SELECT tag FROM events WHERE message_uuid = ? ORDER BY seq", (u,)).fetchall()]
    assert tags.count("MESSAGE_MOVED") == 3 and tags[-1] == "MESSAGE_DELETED"


def test_reply(post):
    b = Browser(post, JENS)
    u = uuid_of(post, JENS, "Afgørelse om boligstøtte")
    page = b.get("/post/brev/" + u).text
    assert 'href="/post/brev/%s/svar"' % u in page
    form = b.get("/post/brev/%s/svar" % u)
    assert form.status_code == 200
    csrf = csrf_of(form.text)
    assert b.post("/post/brev/%s/svar" % u, {"csrf": csrf, "text": ""}).status_code == 400
    r = b.post("/post/brev/%s/svar" % u, {"csrf": csrf, "text": "Tak for brevet <3"})
    assert r.status_code == 303, r.text
    new = r.headers["Location"].rsplit("/", 1)[1]
    row = post.db.execute("SELECT label, recipient_id, sender_mailbox_id IS NOT NULL FROM letters "
                          "WHERE message_uuid = ?", (new,)).fetchone()
    assert row[0].startswith("Re: ") and row[1] == "12345678" and row[2] == 1
    sent = b.get("/post/?mappe=sent").text
    assert new in sent
    assert "Besvar" not in b.get("/post/brev/" + new).text   # own letter: no reply
    # a letter without reply=true has no button and refuses the form
    m = Browser(post, METTE)
    w = uuid_of(post, METTE, "Velkommen til Digital Post")
    assert "/svar" not in m.get("/post/brev/" + w).text
    assert m.get("/post/brev/%s/svar" % w).status_code == 409


def test_reply_deadline_passed(post):
    u = uuid_of(post, JENS, "Afgørelse om boligstøtte")
    post.advance_clock("31d")
    b = Browser(post, JENS)          # signed in after the move: the old session is idle
    csrf = b.csrf()
    page = b.get("/post/brev/" + u).text
    if "/svar\"" in page:
        pytest.fail("reply button shown after the deadline")
    assert b.get("/post/brev/%s/svar" % u).status_code == 409
    r = b.post("/post/brev/%s/svar" % u, {"csrf": csrf, "text": "for sent"})
    assert r.status_code == 409
    assert "svarfrist" in r.text.lower() or "deadline" in r.text
    assert post.db.execute("SELECT COUNT(*) FROM letters WHERE sender_mailbox_id IS NOT NULL"
                           ).fetchone()[0] == 0


# ---- route x role matrix ----

ROUTES = [  # (method, path template, access key as declared in post_folder.c)
    ("GET", "/post/", "mailbox"),
    ("GET", "/post/brev/{u}", "mailbox"),
    ("GET", "/post/brev/{u}/fil/0", "mailbox"),
    ("POST", "/post/brev/{u}/ulaest", "mailbox"),
    ("POST", "/post/brev/{u}/flyt", "mailbox"),
    ("POST", "/post/brev/{u}/slet-endeligt", "mailbox:write"),
    ("GET", "/post/brev/{u}/svar", "mailbox:write"),
    ("POST", "/post/brev/{u}/svar", "mailbox:write"),
]


def test_route_role_matrix(post):
    """Every /post/ route for nobody, a citizen who owns the letter, another citizen, an
    employee without mailbox rights and a company user with them: sign-in redirect, 200/303
    for the owner, 404 for another person's letter (same as an unknown id), 403 without
    the right."""
    jens_letter = uuid_of(post, JENS, "Afgørelse om boligstøtte")
    unknown = str(uuidlib.uuid4())
    nobody = Browser(post)
    jens, mette = Browser(post, JENS), Browser(post, METTE)
    soeren, erik = Browser(post, SOEREN), Browser(post, ERIK)
    for method, tmpl, access in ROUTES:
        path = tmpl.format(u=jens_letter)
        data = {"mappe": "inbox", "text": "x"}
        # nobody: to sign-in
        r = nobody.get(path) if method == "GET" else nobody.post(path, data)
        assert r.status_code == 303 and "/login" in r.headers["Location"], (tmpl, r.status_code)
        # an employee without MESSAGE_BASIC/WRITE
        r = soeren.get(path) if method == "GET" else soeren.post(path, dict(data, csrf="x"))
        assert r.status_code == 403, (tmpl, r.status_code)
        if tmpl == "/post/":
            continue
        # another citizen, with a valid CSRF token: the letter does not exist for them
        for who in (mette, erik):
            d = dict(data, csrf=who.csrf())
            r = who.get(path) if method == "GET" else who.post(path, d)
            assert r.status_code == 404, (tmpl, r.status_code)
            other = tmpl.format(u=unknown)
            r2 = who.get(other) if method == "GET" else who.post(other, d)
            assert r2.status_code == 404
            assert r.text == r2.text                      # nothing tells them apart
    # the owner may open every GET route
    for method, tmpl, _ in ROUTES:
        if method == "GET":
            assert jens.get(tmpl.format(u=jens_letter)).status_code == 200, tmpl
    assert erik.get("/post/").status_code == 200            # the company's mailbox
    assert "CVR 87654321" in erik.get("/post/").text
    assert "Afgørelse" not in mette.get("/post/").text


def counts_consistent(srv):
    """mailbox_counts (kept by triggers, migration 037; a key's slots summed, 056) equals
    counting the letters."""
    kept = {(r[0], r[1]): (r[2], r[3]) for r in srv.db.execute(
        "SELECT mailbox_id, folder, SUM(total), SUM(unread) FROM mailbox_counts "
        "GROUP BY mailbox_id, folder HAVING SUM(total) <> 0 OR SUM(unread) <> 0")}
    real = {(r[0], r[1]): (r[2], r[3]) for r in srv.db.execute(
        "SELECT mailbox_id, folder, COUNT(*), SUM(CASE WHEN read_ms IS NULL THEN 1 ELSE 0 END) "
        "FROM letters WHERE state = 'AVAILABLE' AND mailbox_id IS NOT NULL "
        "GROUP BY mailbox_id, folder")}
    assert kept == real


def test_counts_follow_every_change(post):
    """Read, unread, delete, purge, a value date reached and a new letter all keep the kept
    counts equal to the letters, and the folder page shows them."""
    counts_consistent(post)
    b = Browser(post, JENS)
    u = uuid_of(post, JENS, "Afgørelse om boligstøtte")
    assert b.get("/post/brev/" + u).status_code == 200
    counts_consistent(post)
    csrf = b.csrf()
    b.post("/post/brev/%s/ulaest" % u, {"csrf": csrf})
    b.post("/post/brev/%s/flyt" % u, {"csrf": csrf, "mappe": "deleted"})
    counts_consistent(post)
    b.post("/post/brev/%s/slet-endeligt" % u, {"csrf": csrf})
    counts_consistent(post)
    post.advance_clock("400d")                  # the demo's waiting letter is published
    # (within 60 s, not 10: published after the counts below were read, the page would show
    # one letter more than they say)
    wait_until(lambda: post.db.execute("SELECT COUNT(*) FROM letters WHERE state = "
                                       "'AWAITING_DELAY'").fetchone()[0] == 0,
               what="the demo's waiting letters published")
    counts_consistent(post)
    inbox, unread = post.db.execute(
        "SELECT SUM(c.total), SUM(c.unread) FROM mailbox_counts c JOIN mailboxes m"
        " ON m.id = c.mailbox_id WHERE m.owner_id = ? AND c.folder = 'inbox'",
        (JENS,)).fetchone()
    page = re.sub(r"<[^>]+>", "", Browser(post, JENS).get("/post/").text)
    assert ("Indbakke (%d, %d ulæst)" % (inbox, unread) if unread else
            "Indbakke (%d)" % inbox) in page
