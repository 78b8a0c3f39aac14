# SPDX-License-Identifier: MIT
"""The Testportal over HTTP (docs/testportal.md) on a server seeded by `kuvert demo`: test
citizens, companies, authorities and employees made from its forms (marked as test data, with
events), "sign in as" into the real mailbox, test messages built from the form and sent
through the real send path as a sender system of the employee's organisation (and a MeMo file
as is), a reply that reaches the organisation's recipient system by REST pull, the test clock;
and the refusals: no TEST_PORTAL (403), bad input (field errors, nothing written), and a
server without --test-login (the portal is 404, test persons cannot sign in or keep a
session, a letter to a test CPR is refused with TEST_DATA_NOT_ACCEPTED). The browser flow
is tests/web/testportal.test.mjs."""
import re

import pytest
import requests

from kuvert_harness import db_connect, run_cli
from test_web import csrf_of

KOMMUNEN = "12345678"
TOVE = "tove.tester@kommunen.dk"  # TEST_PORTAL in Kommunen (demo)
IDA = "ida.nyansat@kommunen.dk"   # no rights
METTE = "2211771212"              # a demo citizen


class Browser:
    """One browser (its own cookies) on a running server."""

    def __init__(self, srv, subject=None):
        self.srv = srv
        self.s = requests.Session()
        if subject:
            self.sign_in(subject)

    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        kw.setdefault("allow_redirects", False)
        return self.s.get(self.srv.url + path, **kw)

    def post(self, path, data=None, files=None, **kw):
        kw.setdefault("timeout", 60)
        kw.setdefault("allow_redirects", False)
        return self.s.post(self.srv.url + path, data=data, files=files, **kw)

    def sign_in(self, subject):
        page = self.get("/login")
        r = self.post("/login/test", {"subject": subject, "csrf": csrf_of(page.text)})
        assert r.status_code == 303, r.text

    def csrf(self, path="/testportal/"):
        return csrf_of(self.get(path).text)


def multipart(fields):
    """requests' files= form for text fields only (the letter form is multipart)."""
    return {k: (None, v) for k, v in fields.items()}


@pytest.fixture
def env(make_server, tmp_path):
    d = str(tmp_path / "data")
    demo = run_cli(["demo"], data=d)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.db = db_connect(d)
    srv.demo = demo
    return srv


def system(srv, kind, org=KOMMUNEN):
    return next(x for x in srv.demo["systems"] if x["org"] == org and x["kind"] == kind)


def count(srv, sql, args=()):
    return srv.db.execute(sql, args).fetchone()[0]


def create(b, kind, fields):
    fields = dict(fields, csrf=b.csrf())
    r = b.post("/testportal/%s/ny" % kind, fields)
    assert r.status_code == 303, r.text[:3000]
    m = re.match(r"/testportal/\?oprettet=(\d+)$", r.headers["Location"])
    assert m, r.headers["Location"]
    return int(m.group(1))


def test_test_citizen_marked_listed_and_signed_in_as(env):
    tove = Browser(env, TOVE)
    r = tove.get("/testportal/")
    assert r.status_code == 200 and "Testportal" in r.text
    tid = create(tove, "borger", {"name": "Test Testesen", "number": "", "status": "REGISTERED"})
    row = env.db.execute("SELECT kind, number, person_id, owner_cvr FROM test_identities"
                         " WHERE id = ?", (tid,)).fetchone()
    assert row[0] == "CITIZEN" and row[3] == KOMMUNEN
    cpr = row[1]
    assert re.fullmatch(r"9[2-9](0[1-9]|1[0-2])\d{6}", cpr), cpr
    assert count(env, "SELECT is_test FROM persons WHERE id = ?", (row[2],)) == 1
    assert env.db.execute("SELECT status FROM mailboxes WHERE owner_type = 'CPR' AND"
                          " owner_id = ?", (cpr,)).fetchone()[0] == "REGISTERED"
    ev = env.db.execute("SELECT actor, subject FROM events WHERE tag = 'TEST_DATA_CREATED'"
                        " ORDER BY seq DESC").fetchone()
    assert ev[1] == "cpr:" + cpr and ev[0].startswith("employee:")
    page = tove.get("/testportal/?oprettet=%d" % tid).text
    assert "Test Testesen" in page and cpr in page
    # sign in as: the session becomes the citizen's, in the real mailbox
    r = tove.post("/testportal/log-ind-som", {"csrf": csrf_of(page), "id": str(tid)})
    assert r.status_code == 303 and r.headers["Location"] == "/post/"
    r = tove.get("/post/")
    assert r.status_code == 200 and "Test Testesen" in r.text
    assert tove.get("/testportal/").status_code == 403  # no longer the employee
    assert count(env, "SELECT COUNT(*) FROM events WHERE tag = 'TEST_IDENTITY_SIGNED_IN_AS'"
                      " AND subject = ?", ("cpr:" + cpr,)) == 1


def test_exempt_closed_company_authority_and_employee(env):
    tove = Browser(env, TOVE)
    create(tove, "borger", {"name": "Fri Tagen", "number": "9301850001", "status": "EXEMPT"})
    create(tove, "borger", {"name": "Luk Ket", "number": "9402900002", "status": "CLOSED"})
    st = dict(env.db.execute("SELECT owner_id, status FROM mailboxes WHERE owner_id IN"
                             " ('9301850001', '9402900002')").fetchall())
    assert st == {"9301850001": "EXEMPT", "9402900002": "CLOSED"}
    cid = create(tove, "virksomhed", {"name": "Test ApS", "number": "09000001",
                                      "status": "REGISTERED"})
    aid = create(tove, "myndighed", {"name": "Testkommune", "number": "09000002"})
    assert count(env, "SELECT COUNT(*) FROM orgs WHERE cvr = '09000002'") == 1
    eid = create(tove, "medarbejder", {"name": "Tina Test", "email": "tina@test.invalid",
                                       "org": "09000002", "right-SYSTEM_MANAGER": "1",
                                       "right-MESSAGE_BASIC": "1"})
    rights = sorted(r[0] for r in env.db.execute(
        "SELECT p.type FROM privileges p JOIN employees e ON e.id = p.grantee_employee_id"
        " JOIN persons s ON s.id = e.person_id WHERE s.email = 'tina@test.invalid'"
        " AND p.status = 'ACTIVE'"))
    assert rights == ["MESSAGE_BASIC", "SYSTEM_MANAGER"]
    assert count(env, "SELECT is_test FROM persons WHERE email = 'tina@test.invalid'") == 1
    # the company's user reads the company's mailbox; the authority's employee its portal
    b = Browser(env, TOVE)
    r = b.post("/testportal/log-ind-som", {"csrf": b.csrf(), "id": str(cid)})
    assert r.status_code == 303 and r.headers["Location"] == "/post/"
    assert "Test ApS" in b.get("/post/").text
    b = Browser(env, TOVE)
    r = b.post("/testportal/log-ind-som", {"csrf": b.csrf(), "id": str(aid)})
    assert r.status_code == 303
    assert "Testkommune" in b.get("/administrativ-adgang/").text
    b = Browser(env, TOVE)
    r = b.post("/testportal/log-ind-som", {"csrf": b.csrf(), "id": str(eid)})
    assert r.status_code == 303
    assert b.get("/administrativ-adgang/systemer").status_code == 200
    # an employee may be made only in one's own test organisations, never in a real one
    r = tove.post("/testportal/medarbejder/ny", {"csrf": tove.csrf(), "name": "Ond",
                                                 "org": KOMMUNEN,
                                                 "right-ORGANISATION_USER_ADMINISTRATOR": "1"})
    assert r.status_code == 400 and "form-error-message" in r.text
    assert count(env, "SELECT COUNT(*) FROM persons WHERE name = 'Ond'") == 0


def test_bad_input_gives_field_errors_and_writes_nothing(env):
    tove = Browser(env, TOVE)
    before = [count(env, "SELECT COUNT(*) FROM %s" % t)
              for t in ("test_identities", "mailboxes", "persons", "orgs", "letters")]
    for kind, fields, want in [
            ("borger", {"name": "", "number": "0101701234"}, ["tp-name", "tp-number"]),
            ("borger", {"name": "X", "number": METTE}, ["tp-number"]),
            ("borger", {"name": "X", "number": "9201901234", "status": "GONE"}, ["tp-status"]),
            ("virksomhed", {"name": "Y", "number": "12345678"}, ["tp-number"]),
            ("myndighed", {"name": "Z", "number": "0900"}, ["tp-number"]),
            ("medarbejder", {"name": "W", "email": "not-mail", "org": ""},
             ["tp-email", "tp-org"])]:
        r = tove.post("/testportal/%s/ny" % kind, dict(fields, csrf=tove.csrf()))
        assert r.status_code == 400, (kind, fields, r.status_code)
        assert 'data-module="error-summary"' in r.text
        for control in want:
            assert 'id="%s-error"' % control in r.text or \
                ('href="#%s' % control) in r.text, (kind, control)
        assert 'aria-invalid="true"' in r.text
    # the letter form: a real CPR, no title, no text: nothing is sent
    r = tove.post("/testportal/brev/ny", files=multipart({
        "csrf": tove.csrf(), "system": system(env, "sender")["id"], "recipient": METTE,
        "title": "", "text": ""}))
    assert r.status_code == 400
    for control in ("tl-recipient", "tl-title", "tl-text"):
        assert 'id="%s-error"' % control in r.text, control
    # a sender system of another organisation is not offered and not accepted
    other = next(x for x in env.demo["systems"] if x["org"] != KOMMUNEN and x["kind"] == "sender")
    r = tove.post("/testportal/brev/ny", files=multipart({
        "csrf": tove.csrf(), "system": other["id"], "recipient": "9201901234",
        "title": "Hej", "text": "Tekst"}))
    assert r.status_code == 400 and 'id="tl-system-error"' in r.text
    after = [count(env, "SELECT COUNT(*) FROM %s" % t)
             for t in ("test_identities", "mailboxes", "persons", "orgs", "letters")]
    assert after == before


def test_who_may_use_it(env):
    assert Browser(env).get("/testportal/").status_code == 303  # to sign-in
    for who in (IDA, METTE):
        b = Browser(env, who)
        assert b.get("/testportal/").status_code == 403
        assert b.get("/testportal/borger/ny").status_code == 403
        r = b.post("/testportal/borger/ny", {"csrf": csrf_of(b.get("/").text), "name": "X"})
        assert r.status_code == 403
    assert count(env, "SELECT COUNT(*) FROM test_identities") == 0
    # a form without its CSRF token is refused
    tove = Browser(env, TOVE)
    assert tove.post("/testportal/borger/ny", {"name": "X"}).status_code == 403
    # another organisation's test identity cannot be signed in as
    tid = create(tove, "borger", {"name": "Kun Kommunen"})
    env.db.execute("UPDATE test_identities SET owner_cvr = '55667788' WHERE id = ?", (tid,))
    env.db.commit()
    r = tove.post("/testportal/log-ind-som", {"csrf": tove.csrf(), "id": str(tid)})
    assert r.status_code == 404


def pull(env, sys_, want_uuid):
    """The recipient system's REST pull: the list (uuids) has the letter, then its XML."""
    auth = {"Authorization": "Basic " + sys_["token"]}
    r = env.get("/apis/v1/memos/", headers=auth, params={"size": 100})
    assert r.status_code == 200, r.text
    assert want_uuid in r.json()["content"], (want_uuid, r.text)
    return env.get("/apis/v1/memos/" + want_uuid, headers=auth)


def test_test_message_read_replied_and_pulled(env):
    tove = Browser(env, TOVE)
    tid = create(tove, "borger", {"name": "Svar Testesen", "number": "9505900123"})
    sender = system(env, "sender")
    r = tove.post("/testportal/brev/ny", files={
        "csrf": (None, tove.csrf()), "system": (None, sender["id"]),
        "recipient": (None, "9505900123"), "title": (None, "Testbrev med svar"),
        "text": (None, "Hej Svar, dette er en test."), "reply": (None, "1"),
        "actionCode": (None, "SELVBETJENING"), "actionLabel": (None, "Se mere"),
        "actionUrl": (None, "https://example.dk/se"),
        "att1": ("bilag.txt", b"Et bilag\n", "text/plain")})
    assert r.status_code == 200, r.text[:3000]
    m = re.search(r'id="receipt-uuid">([0-9a-f-]{36})<', r.text)
    assert m and 'id="receipt-status">RECEIVED<' in r.text
    letter = m.group(1)
    row = env.db.execute("SELECT l.sender_system, m.owner_id FROM letters l JOIN mailboxes m ON"
                         " m.id = l.mailbox_id WHERE l.message_uuid = ?", (letter,)).fetchone()
    assert row[0] == sender["id"] and row[1] == "9505900123"
    assert count(env, "SELECT COUNT(*) FROM events WHERE message_uuid = ? AND tag ="
                      " 'MEMO_SEND_RECEIVED'", (letter,)) == 1
    assert count(env, "SELECT COUNT(*) FROM events WHERE tag = 'TEST_MESSAGE_SENT'") == 1
    # the same MeMo as a file, as is: the send path's own idempotency answers (same system,
    # same bytes -> the original receipt)
    xml = env.db.execute("SELECT message_uuid FROM letters WHERE message_uuid = ?",
                         (letter,)).fetchone()[0]
    assert xml == letter
    # sign in as the citizen, read it, reply
    r = tove.post("/testportal/log-ind-som", {"csrf": tove.csrf(), "id": str(tid)})
    assert r.status_code == 303
    assert "Testbrev med svar" in tove.get("/post/").text
    page = tove.get("/post/brev/" + letter)
    assert page.status_code == 200 and "dette er en test" in page.text
    r = tove.post("/post/brev/%s/svar" % letter, {"csrf": csrf_of(page.text),
                                                   "text": "Tak for brevet, her er mit svar."})
    assert r.status_code == 303, r.text[:2000]
    reply = r.headers["Location"].rsplit("/", 1)[1]
    got = pull(env, system(env, "recipient"), reply)
    assert got.status_code == 200 and "9505900123" in got.text and "Testbrev med svar" in got.text


def test_memo_file_as_is(env, tmp_path):
    tove = Browser(env, TOVE)
    sender = system(env, "sender")
    u, xml = memo_xml("9612881234", "Upload", tmp_path)
    r = tove.post("/testportal/brev/memo", files={
        "csrf": (None, tove.csrf("/testportal/brev/ny")), "system": (None, sender["id"]),
        "memo": ("brev.xml", xml.encode(), "application/xml")})
    # no mailbox for 9612881234: the send path answers NOT_ALLOWED, as for any letter
    assert r.status_code == 200, r.text[:2000]
    assert 'id="receipt-status">NOT_ALLOWED<' in r.text and u in r.text
    r = tove.post("/testportal/brev/memo", files={
        "csrf": (None, tove.csrf("/testportal/brev/ny")), "system": (None, sender["id"]),
        "memo": ("brev.xml", b"<not-memo/>", "application/xml")})
    assert r.status_code == 400 and 'id="refusal-code">MEMO_VALIDATION_FAILED<' in r.text
    r = tove.post("/testportal/brev/memo", files={
        "csrf": (None, tove.csrf("/testportal/brev/ny")), "system": (None, sender["id"])})
    assert r.status_code == 400 and 'id="tm-file-error"' in r.text


def test_pdf_letter_with_value_date(env):
    """A PDF as the main document and a value date: stored with its bytes, awaiting the date;
    a file that is not a PDF is a field error and nothing is sent."""
    tove = Browser(env, TOVE)
    create(tove, "borger", {"name": "Pdf Testesen", "number": "9903900777"})
    sender = system(env, "sender")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = tove.post("/testportal/brev/ny", files={
        "csrf": (None, tove.csrf()), "system": (None, sender["id"]),
        "recipient": (None, "9903900777"), "title": (None, "PDF-brev"),
        "pdf": ("brev.pdf", pdf, "application/pdf"), "valueDate": (None, "2099-01-02")})
    assert r.status_code == 200 and 'id="receipt-status">RECEIVED<' in r.text, r.text[:2000]
    letter = re.search(r'id="receipt-uuid">([0-9a-f-]{36})<', r.text).group(1)
    assert env.db.execute("SELECT state FROM letters WHERE message_uuid = ?",
                          (letter,)).fetchone()[0] == "AWAITING_DELAY"
    n = count(env, "SELECT COUNT(*) FROM letters")
    r = tove.post("/testportal/brev/ny", files={
        "csrf": (None, tove.csrf()), "system": (None, sender["id"]),
        "recipient": (None, "9903900777"), "title": (None, "Ikke PDF"),
        "pdf": ("brev.pdf", b"GIF89a...", "application/pdf")})
    assert r.status_code == 400 and 'id="tl-pdf-error"' in r.text
    assert count(env, "SELECT COUNT(*) FROM letters") == n


def test_clock_moves_forward(env):
    tove = Browser(env, TOVE)
    before = tove.get("/testportal/").text
    t0 = re.search(r'id="clock-now">([^<]+)<', before).group(1)
    r = tove.post("/testportal/ur", {"csrf": csrf_of(before), "advance": "7d"})
    assert r.status_code == 303
    t1 = re.search(r'id="clock-now">([^<]+)<', tove.get("/testportal/").text).group(1)
    assert t1[:10] > t0[:10], (t0, t1)
    assert count(env, "SELECT COUNT(*) FROM events WHERE tag = 'TEST_CLOCK_ADVANCED'") == 1
    r = tove.post("/testportal/ur", {"csrf": tove.csrf(), "advance": "-7d"})
    assert r.status_code == 400


def memo_xml(recipient, title, tmp):
    """A MeMo letter from Kommunen (`kuvert memo new`): (messageUUID, XML text)."""
    doc = tmp / "brev.txt"
    doc.write_text("Et brev.\n")
    xml = run_cli(["memo", "new", "--sender", KOMMUNEN, "--recipient", recipient,
                   "--label", title, "--document", str(doc)], json_out=False).stdout
    u = re.search(r"<memo:messageUUID>([0-9a-f-]{36})<", xml).group(1)
    return u, xml


def send_api(srv, recipient, tmp):
    sender = system(srv, "sender")
    u, xml = memo_xml(recipient, "API", tmp)
    return srv.post("/apis/v1/memos/", params={"memo-message-uuid": u}, data=xml.encode(),
                    headers={"Authorization": "Basic " + sender["token"],
                             "Content-Type": "application/xml"})


def test_without_test_login_test_data_is_neither_shown_nor_accepted(make_server, tmp_path):
    d = str(tmp_path / "data")
    demo = run_cli(["demo"], data=d)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.demo = demo
    tove = Browser(srv, TOVE)
    tid = create(tove, "borger", {"name": "Snart Væk", "number": "9707900001"})
    r = send_api(srv, "9707900001", tmp_path)
    assert r.status_code == 201, r.text  # in test mode: accepted
    auth = {"Authorization": "Basic " + system(srv, "sender")["token"]}
    r = srv.get("/apis/v1/contacts/", params={"cprNumber": "9707900001"}, headers=auth)
    assert r.status_code == 200 and len(r.json()["contacts"]) == 1, r.text
    citizen = Browser(srv, TOVE)
    r = citizen.post("/testportal/log-ind-som", {"csrf": citizen.csrf(), "id": str(tid)})
    assert r.status_code == 303 and citizen.get("/post/").status_code == 200
    srv.stop()
    plain = make_server(data_dir=d)  # no --test-login
    plain.demo = demo
    anyone = Browser(plain)
    for path in ("/testportal/", "/testportal/borger/ny", "/testportal/brev/ny"):
        r = anyone.get(path)
        assert r.status_code == 404, (path, r.status_code)
    assert anyone.post("/testportal/borger/ny", {"name": "X"}).status_code == 404
    # the session made as the test citizen no longer works
    citizen.srv = plain
    r = citizen.get("/post/")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    # and a letter to a test CPR through the API is refused with a clear error
    r = send_api(plain, "9707900001", tmp_path)
    assert r.status_code == 400, r.text
    body = r.json()
    assert "TEST_DATA_NOT_ACCEPTED" in r.text, body
    assert "9707900001" in r.text
    # the contact look-up does not show it
    r = plain.get("/apis/v1/contacts/", params={"cprNumber": "9707900001," + METTE},
                  headers=auth)
    assert r.status_code == 200 and [c["cprNumber"] for c in r.json()["contacts"]] == [METTE]
    # a real recipient still works
    assert send_api(plain, METTE, tmp_path).status_code == 201
    db = db_connect(d)
    assert db.execute("SELECT COUNT(*) FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id"
                      " WHERE m.owner_id = '9707900001'").fetchone()[0] == 1
