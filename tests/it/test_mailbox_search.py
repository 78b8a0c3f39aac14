# SPDX-License-Identifier: MIT
"""Search by text in the mailbox over HTTP, on letters sent through the real send API
(docs/mailbox-web.md "Search by text"; the index of migration 017): the mailbox API's `text`
and the /post/ page's `q` find a substring of the title or of the sender's name, ignoring
case for ASCII and æøå; texts of one or two characters; text with a date range; paging with
no letter lost or repeated; letters not visible to the reader (another person's, a value
date not reached, recalled, deleted permanently) are never found, and a letter whose value
date passes is; a malformed text is refused with 400. A letter is found right after its 201
although the letter writer indexes letters later, many at a time (SQLite: letters.h
kv_letters_store_group), also after the server was killed with SIGKILL before it indexed them,
and the restarted server indexes them. Runs on SQLite and PostgreSQL (tests/run.sh)."""
import datetime
import re
import time

import pytest
import requests

from kuvert_harness import assert_error_message, db_connect, on_postgresql, run_cli, wait_until
from readside_util import bearer, send_letter, setup_org, user_token
from send_util import query

JENS, METTE = "0101701234", "2211771212"


@pytest.fixture
def world(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d, json_out=False)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    org = setup_org(srv, "29189978", "Søgestyrelsen")
    tok = bearer(user_token(srv, cpr=METTE))
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).date()
    sent = {}
    for label in ("Årsopgørelse for 2025", "Varsel om ÆNDRING af ydelse",
                  "Indkaldelse til tandlæge", "Kvittering 100% betalt"):
        sent[label] = send_letter(srv, org, cpr=METTE, label=label)[0]
    for i in range(25):
        send_letter(srv, org, cpr=METTE, label="Faktura %02d" % i)
    send_letter(srv, org, cpr=JENS, label="Årsopgørelse for en anden")
    sent["future"] = send_letter(srv, org, cpr=METTE, label="Årsopgørelse senere",
                                 value_date=later.isoformat())[0]
    recalled = send_letter(srv, org, cpr=METTE, label="Årsopgørelse tilbagekaldt",
                           value_date=later.isoformat())[0]
    r = srv.post("/apis/v1/memos/%s/recall" % recalled, headers=org["auth"])
    assert r.status_code in (200, 204), r.text
    return srv, org, tok, sent


def found(srv, tok, **params):
    """All pages of a search: the titles, newest first."""
    items, cursor, pages = [], None, 0
    while True:
        p = dict(params)
        if cursor:
            p["cursor"] = cursor
        r = srv.get("/api/mailbox/messages", params=p, headers=tok)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= int(params.get("limit", 20))
        items += [x["label"] for x in page["items"]]
        cursor = page["nextCursor"]
        pages += 1
        assert pages < 100
        if not cursor:
            return items


def test_api_substring_case_and_danish_letters(world):
    srv, org, tok, sent = world
    assert found(srv, tok, text="årsopgør") == ["Årsopgørelse for 2025"]
    assert found(srv, tok, text="ÅRSOPGØR") == ["Årsopgørelse for 2025"]
    assert found(srv, tok, text="opgørelse for") == ["Årsopgørelse for 2025"]
    assert found(srv, tok, text="ændring") == ["Varsel om ÆNDRING af ydelse"]
    assert found(srv, tok, text="TANDLÆGE", folder="inbox") == ["Indkaldelse til tandlæge"]
    assert found(srv, tok, text="100%") == ["Kvittering 100% betalt"]
    assert found(srv, tok, text="1_0") == []
    assert found(srv, tok, text="no such words") == []
    # the sender's name as the list shows it
    sender = srv.get("/api/mailbox/messages", params={"limit": 1},
                     headers=tok).json()["items"][0]["sender"]["label"]
    assert len(sender) >= 4
    assert len(found(srv, tok, text=sender[1:].upper())) == 29  # all 29 of Mette's from it
    # texts of one and two characters (read without the index)
    assert found(srv, tok, text="Æ", folder="inbox") == [
        "Indkaldelse til tandlæge", "Varsel om ÆNDRING af ydelse"]
    assert found(srv, tok, text="25") == ["Årsopgørelse for 2025"]
    assert found(srv, tok, text="%") == ["Kvittering 100% betalt"]


def test_api_paging_and_refusals(world):
    srv, org, tok, sent = world
    got = found(srv, tok, text="FAKTURA", limit=10)
    assert got == ["Faktura %02d" % i for i in range(24, -1, -1)]
    for bad in ("x" * 201, "a\tb", "\x7f"):
        r = srv.get("/api/mailbox/messages", params={"text": bad}, headers=tok)
        err = assert_error_message(r, 400)
        assert "text" in r.text, err
    r = srv.get("/api/mailbox/messages?text=%FF%FE", headers=tok)
    assert_error_message(r, 400)


def test_api_invisible_letters_never_found(world):
    srv, org, tok, sent = world
    # another person's, the value date not reached, recalled: not found
    assert found(srv, tok, text="årsopgørelse") == ["Årsopgørelse for 2025"]
    assert found(srv, tok, text="en anden") == []
    assert found(srv, tok, text="tilbagekaldt") == []
    srv.advance_clock("5d")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = found(srv, tok, text="årsopgørelse")
        if len(got) == 2:
            break
        time.sleep(0.2)
    assert got == ["Årsopgørelse senere", "Årsopgørelse for 2025"]
    assert found(srv, tok, text="tilbagekaldt") == []


def test_found_right_after_201_and_after_a_crash(world):
    srv, org, tok, sent = world
    sqlite = not on_postgresql()
    # read-your-writes: each letter is found by the search right after its 201
    for i in range(5):
        send_letter(srv, org, cpr=METTE, label="Straks nummer %d" % i)
        assert found(srv, tok, text="straks nummer %d" % i) == ["Straks nummer %d" % i]
    # killed before the writer indexed its letters (it waits 500 ms of quiet): on SQLite the
    # deferral row (the letters from its from_id are not indexed) outlives the crash
    for attempt in range(3):
        titles = ["Før nedbrud %d/%d" % (attempt, i) for i in range(3)]
        for t in titles:
            send_letter(srv, org, cpr=METTE, label=t)
        left = query(srv, "SELECT count(*) AS n FROM letters_search_defer")[0]["n"]
        if left == (1 if sqlite else 0):
            break
    assert left == (1 if sqlite else 0)
    srv.kill9()
    if sqlite:
        assert query(srv, "SELECT count(*) AS n FROM letters_search_defer")[0]["n"] == 1
        n = query(srv, "SELECT count(*) AS n FROM letters WHERE id >= "
                       "(SELECT from_id FROM letters_search_defer)")[0]["n"]
        assert n >= 3
    srv.start()
    assert found(srv, tok, text="FØR NEDBRUD %d/" % attempt) == titles[::-1]
    assert len(found(srv, tok, text="straks nummer")) == 5
    # the restarted server indexes what was left, and the index holds every visible letter
    wait_until(lambda: query(srv, "SELECT count(*) AS n FROM letters_search_defer")[0]["n"] == 0,
               timeout=30, what="letters indexed after the restart")
    assert found(srv, tok, text="før nedbrud %d/" % attempt) == titles[::-1]
    if sqlite:
        want = query(srv, "SELECT count(*) AS n FROM letters WHERE mailbox_id IS NOT NULL AND "
                          "state IN ('AWAITING_DELAY', 'AVAILABLE') AND folder <> 'purged'")
        got = query(srv, "SELECT count(*) AS n FROM letters l JOIN letters_search f "
                         "ON f.rowid = l.mailbox_id * 68719476736 + l.id")
        assert got[0]["n"] == want[0]["n"] == query(
            srv, "SELECT count(*) AS n FROM letters_search")[0]["n"]
        assert query(srv, "SELECT count(*) AS n FROM letters_search WHERE letters_search "
                          "MATCH ?", '"nedbrud %d/"' % attempt)[0]["n"] == 3


class Browser:
    def __init__(self, srv, subject):
        self.srv = srv
        self.s = requests.Session()
        page = self.get("/login")
        r = self.post("/login/test", {"subject": subject, "csrf": csrf_of(page.text)})
        assert r.status_code == 303, r.text

    def get(self, path, **kw):
        return self.s.get(self.srv.url + path, timeout=30, allow_redirects=False, **kw)

    def post(self, path, data):
        return self.s.post(self.srv.url + path, data=data, timeout=30, allow_redirects=False)


def csrf_of(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html
    return m.group(1)


def titles(html):
    return re.findall(r'href="/post/brev/[0-9a-f-]{36}">(?:<strong>)?([^<]*)<', html)


def test_post_page_search_dates_paging_and_purge(world):
    srv, org, tok, sent = world
    b = Browser(srv, METTE)
    r = b.get("/post/", params={"q": "ÅRSOPGØR"})
    assert r.status_code == 200
    assert titles(r.text) == ["Årsopgørelse for 2025"]
    assert titles(b.get("/post/", params={"q": "ø"}).text) == ["Årsopgørelse for 2025"]
    # text and received between two days
    today = datetime.date.today()
    around = {"q": "årsopgørelse", "fra": (today - datetime.timedelta(days=2)).isoformat(),
              "til": (today + datetime.timedelta(days=2)).isoformat()}
    assert titles(b.get("/post/", params=around).text) == ["Årsopgørelse for 2025"]
    before = {"q": "årsopgørelse", "fra": "2020-01-01", "til": "2020-12-31"}
    page = b.get("/post/", params=before).text
    assert titles(page) == [] and "Ingen breve passer til søgningen." in page
    # paging: 25 letters, 20 a page
    first = b.get("/post/", params={"q": "faktura"}).text
    assert titles(first) == ["Faktura %02d" % i for i in range(24, 4, -1)]
    m = re.search(r'href="(/post/\?mappe=inbox&amp;q=faktura&amp;side=[0-9a-f]{32}[^"]*)"', first)
    assert m, first
    second = b.get(m.group(1).replace("&amp;", "&")).text
    assert titles(second) == ["Faktura %02d" % i for i in range(4, -1, -1)]
    # deleted: found in "deleted"; deleted permanently: found nowhere
    u = sent["Varsel om ÆNDRING af ydelse"]
    csrf = csrf_of(b.get("/post/").text)
    assert b.post("/post/brev/%s/flyt" % u, {"csrf": csrf, "mappe": "deleted"}).status_code == 303
    assert titles(b.get("/post/", params={"q": "ændring"}).text) == []
    assert titles(b.get("/post/", params={"q": "ændring", "mappe": "deleted"}).text) == [
        "Varsel om ÆNDRING af ydelse"]
    assert b.post("/post/brev/%s/slet-endeligt" % u, {"csrf": csrf}).status_code == 303
    assert titles(b.get("/post/", params={"q": "ændring", "mappe": "deleted"}).text) == []
    assert found(srv, tok, text="ændring") == []
    # another person's letters are not found by Mette's search
    assert titles(b.get("/post/", params={"q": "en anden"}).text) == []
    jens = Browser(srv, JENS)
    assert titles(jens.get("/post/", params={"q": "EN ANDEN"}).text) == [
        "Årsopgørelse for en anden"]
