# SPDX-License-Identifier: MIT
"""The reading side of /post/ beyond the inbox (docs/mailbox-web.md): own nested folders with
counts kept by triggers, moving letters into them, who may manage them (owner, read helper;
not an employee without MESSAGE_WRITE); the flag and the flagged filter; search by received
date with keyset paging; legal notification (forkyndelse) marked once when the letter is
opened, by the owner or a helper on the owner's behalf; MeMo actions -- links, deadlines, and
appointments as RFC 5545 .ics files (parsed back with python3-icalendar)."""
import json
import re
import uuid as uuidlib

import pytest
from icalendar import Calendar

from kuvert_harness import db_connect, run_cli
from readside_util import close_mailbox, letter_xml, mailbox, setup_org
from test_mailbox_web import Browser, csrf_of

JENS, METTE, SOFIE = "0101701234", "2211771212", "1502851236"   # Sofie reads Jens's post


@pytest.fixture
def post(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d, json_out=False)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.db = db_connect(d)
    if hasattr(srv.db, "isolation_level"):
        srv.db.isolation_level = None
    return srv


def send(srv, org, cpr, label, header="", action="", files=None):
    """A letter through the real send path; header is inserted before Sender (legal
    notification, reply), action replaces the default EntryPoint action."""
    uuid, xml = letter_xml(org["cvr"], cpr, label=label, files=files,
                           action_url=None if action else "https://example.dk/sag")
    xml = xml.decode()
    if header:
        xml = xml.replace("<memo:Sender>", header + "<memo:Sender>", 1)
    if action:
        xml = xml.replace("</memo:MainDocument>", action + "</memo:MainDocument>", 1)
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml.encode(),
                 headers=dict(org["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    return uuid


def events(srv, tag, uuid=None):
    q, a = "SELECT actor, subject, props, message_uuid FROM events WHERE tag = ?", [tag]
    if uuid:
        q += " AND message_uuid = ?"
        a.append(uuid)
    return srv.db.execute(q + " ORDER BY seq", tuple(a)).fetchall()


def folder_id(srv, cpr, name):
    return srv.db.execute("SELECT f.id FROM mailbox_folders f JOIN mailboxes m ON "
                          "m.id = f.mailbox_id WHERE m.owner_id = ? AND f.name = ?",
                          (cpr, name)).fetchone()[0]


def form(b, path, data, page="/post/mapper"):
    data = dict(data, csrf=csrf_of(b.get(page).text))
    return b.post(path, data)


def test_own_folders_nested_with_counts(post):
    org = setup_org(post, "29189981", "Mappestyrelsen")
    u1 = send(post, org, JENS, "Skattebrev")
    jens = Browser(post, JENS)
    assert jens.get("/post/mapper").status_code == 200
    assert form(jens, "/post/mapper", {"navn": "Skat", "under": "0"}).status_code == 303
    skat = folder_id(post, JENS, "Skat")
    assert form(jens, "/post/mapper", {"navn": "2024", "under": str(skat)}).status_code == 303
    y24 = folder_id(post, JENS, "2024")
    # same name among siblings: refused with the reason; same name elsewhere is fine
    r = form(jens, "/post/mapper", {"navn": "Skat", "under": "0"})
    assert r.status_code == 409 and "Der findes allerede en mappe med det navn" in r.text
    assert form(jens, "/post/mapper", {"navn": "Skat", "under": str(y24)}).status_code == 303
    inner = post.db.execute("SELECT id FROM mailbox_folders WHERE parent_id = ?",
                            (y24,)).fetchone()[0]
    for bad in ("", " x", "x" * 61, "a\tb"):
        assert form(jens, "/post/mapper", {"navn": bad, "under": "0"}).status_code == 400
    # a folder cannot go inside its own descendant
    r = form(jens, "/post/mapper/%d" % skat, {"navn": "Skat", "under": str(inner)})
    assert r.status_code == 400 and "inden i sig selv" in r.text
    # the tree in the sidebar: 2024 nested under Skat, Skat (inner) under 2024
    page = jens.get("/post/").text
    start = page.index('<nav aria-label="Mapper">')
    nav = page[start:page.index("</nav>", start)]
    assert nav.index("Indbakke") < nav.index(">Skat ") < nav.index(">2024 ") < nav.index("Sendt")
    assert nav.count("sidenav-sub_list") == 2
    # move a letter into 2024: counts come from mailbox_counts (no scan), event recorded
    r = form(jens, "/post/brev/%s/flyt" % u1, {"mappe": "f%d" % y24}, page="/post/brev/" + u1)
    assert r.status_code == 303
    assert post.db.execute("SELECT folder FROM letters WHERE message_uuid = ?",
                           (u1,)).fetchone()[0] == "f%d" % y24
    assert post.db.execute("SELECT SUM(total) FROM mailbox_counts c JOIN mailboxes m ON "
                           "m.id = c.mailbox_id WHERE m.owner_id = ? AND c.folder = ?",
                           (JENS, "f%d" % y24)).fetchone()[0] == 1
    assert json.loads(events(post, "MESSAGE_MOVED", u1)[-1][2])["folder"] == "f%d" % y24
    page = jens.get("/post/?mappe=f%d" % y24).text
    assert "Skattebrev" in page and re.search(r">2024 <span class=\"folder-count\">\(1\)", page)
    assert "Skattebrev" not in jens.get("/post/").text
    # a letter page offers the own folders in its move form
    assert 'value="f%d"' % skat in jens.get("/post/brev/" + u1).text
    # rename and un-nest
    assert form(jens, "/post/mapper/%d" % y24, {"navn": "År 2024", "under": "0"}).status_code \
        == 303
    assert post.db.execute("SELECT name, parent_id FROM mailbox_folders WHERE id = ?",
                           (y24,)).fetchone() == ("År 2024", 0)
    # delete: only when empty (letters and sub-folders); nothing moves along with a folder
    r = form(jens, "/post/mapper/%d/slet" % y24, {})
    assert r.status_code == 409 and "Mappen har mapper i sig" in r.text
    assert form(jens, "/post/mapper/%d/slet" % inner, {}).status_code == 303
    r = form(jens, "/post/mapper/%d/slet" % y24, {})
    assert r.status_code == 409 and "Mappen har breve i sig" in r.text
    assert post.db.execute("SELECT folder FROM letters WHERE message_uuid = ?",
                           (u1,)).fetchone()[0] == "f%d" % y24
    form(jens, "/post/brev/%s/flyt" % u1, {"mappe": "inbox"}, page="/post/brev/" + u1)
    assert form(jens, "/post/mapper/%d/slet" % y24, {}).status_code == 303
    tags = [e for e in ("FOLDER_CREATED", "FOLDER_UPDATED", "FOLDER_MOVED", "FOLDER_DELETED")
            if events(post, e)]
    assert len(tags) == 4
    assert "oprettede en mappe" in jens.get("/post/aktivitet").text
    assert all(e[1] == "cpr:" + JENS for e in events(post, "FOLDER_DELETED"))
    # a folder that is gone, or another person's, is not a target and not a page
    assert jens.get("/post/?mappe=f%d" % y24).status_code == 404
    r = form(jens, "/post/brev/%s/flyt" % u1, {"mappe": "f%d" % y24}, page="/post/brev/" + u1)
    assert r.status_code == 400
    mette = Browser(post, METTE)
    assert mette.get("/post/?mappe=f%d" % skat).status_code == 404
    assert form(mette, "/post/mapper/%d" % skat, {"navn": "Mit", "under": "0"}).status_code \
        == 404
    assert form(mette, "/post/mapper/%d/slet" % skat, {}).status_code == 404
    assert form(mette, "/post/mapper", {"navn": "Under", "under": str(skat)}).status_code == 400
    # CSRF
    assert jens.post("/post/mapper", {"navn": "Uden", "under": "0"}).status_code == 403


def test_read_helper_manages_folders_employee_without_write_does_not(post):
    org = setup_org(post, "29189982", "Hjælperstyrelsen")
    u = send(post, org, JENS, "Til mappen")
    sofie = Browser(post, SOFIE)
    r = sofie.post("/post/postkasse", {"csrf": sofie.csrf(), "postkasse": "CPR:" + JENS})
    assert r.status_code == 303
    assert form(sofie, "/post/mapper", {"navn": "Sofies sortering", "under": "0"}) \
        .status_code == 303
    fid = folder_id(post, JENS, "Sofies sortering")
    r = form(sofie, "/post/brev/%s/flyt" % u, {"mappe": "f%d" % fid}, page="/post/brev/" + u)
    assert r.status_code == 303
    ev = events(post, "FOLDER_CREATED")[-1]
    assert ev[0] == "cpr:" + SOFIE and ev[1] == "cpr:" + JENS
    assert events(post, "MESSAGE_MOVED", u)[-1][0] == "cpr:" + SOFIE
    # an employee with MESSAGE_BASIC only: reads and moves, but no folder management
    post.cli(["user", "add", "--org", "29189982", "--email", "laeser@example.dk", "--name",
              "Lis Læser", "--right", "MESSAGE_BASIC"])
    lis = Browser(post, "laeser@example.dk")
    assert lis.get("/post/").status_code == 200
    assert lis.get("/post/mapper").status_code == 403
    assert "/post/mapper" not in lis.get("/post/").text


def test_flag_and_flagged_filter(post):
    org = setup_org(post, "29189983", "Flagstyrelsen")
    a = send(post, org, METTE, "Skal følges op")
    send(post, org, METTE, "Ikke vigtigt")
    mette = Browser(post, METTE)
    r = form(mette, "/post/brev/%s/marker" % a, {"marker": "1"}, page="/post/brev/" + a)
    assert r.status_code == 303 and r.headers["Location"].endswith("/post/brev/" + a)
    assert post.db.execute("SELECT flagged FROM letters WHERE message_uuid = ?",
                           (a,)).fetchone()[0] == 1
    page = mette.get("/post/").text
    row = [x for x in page.split("<tr") if "Skal følges op" in x][0]
    assert "Markeret" in row
    assert "Markeret" not in [x for x in page.split("<tr") if "Ikke vigtigt" in x][0]
    flagged = mette.get("/post/?mappe=inbox&markeret=1").text
    assert "Skal følges op" in flagged and "Ikke vigtigt" not in flagged
    assert "Fjern markeringen" in mette.get("/post/brev/" + a).text
    assert form(mette, "/post/brev/%s/marker" % a, {"marker": "0"},
                page="/post/brev/" + a).status_code == 303
    assert "Skal følges op" not in mette.get("/post/?markeret=1").text
    assert form(mette, "/post/brev/%s/marker" % a, {"marker": "x"},
                page="/post/brev/" + a).status_code == 400
    # another person's letter: 404, nothing changes
    assert form(Browser(post, JENS), "/post/brev/%s/marker" % a, {"marker": "1"},
                page="/post/").status_code == 404
    assert post.db.execute("SELECT flagged FROM letters WHERE message_uuid = ?",
                           (a,)).fetchone()[0] == 0


def test_search_by_received_date_with_paging(post):
    org = setup_org(post, "29189984", "Datostyrelsen")
    days = {"2026-03-01": 3, "2026-03-02": 22, "2026-03-04": 1}
    for day, n in days.items():
        for i in range(n):
            u = send(post, org, METTE, "Brev %s nr %02d" % (day, i))
            # received at 00:30 Danish time (23:30 UTC the day before, winter time)
            y, m, d = map(int, day.split("-"))
            ms = post.db.execute("SELECT 1").fetchone() and (
                __import__("calendar").timegm((y, m, d, 0, 30, i, 0, 0, 0)) - 3600) * 1000
            post.db.execute("UPDATE letters SET available_ms = ? WHERE message_uuid = ?",
                            (ms, u))
    mette = Browser(post, METTE)
    page = mette.get("/post/?mappe=inbox&fra=2026-03-02&til=2026-03-02").text
    assert page.count('href="/post/brev/') == 20
    assert "2026-03-01" not in page.split("<tbody>")[1] and "2026-03-04" not in page
    m = re.search(r'href="(/post/\?mappe=inbox&amp;q=&amp;side=[0-9a-f]{32}'
                  r'&amp;fra=2026-03-02&amp;til=2026-03-02&amp;markeret=)"', page)
    assert m, page
    rest = mette.get(m.group(1).replace("&amp;", "&")).text
    assert rest.count('href="/post/brev/') == 2 and "Næste side" not in rest
    # one-sided ranges, combined with text
    page = mette.get("/post/?fra=2026-03-03").text
    assert page.count('href="/post/brev/') >= 1 and "2026-03-04 nr 00" in page
    assert "Brev 2026-03-02" not in page
    page = mette.get("/post/?til=2026-03-01&q=nr+01").text
    assert "Brev 2026-03-01 nr 01" in page and page.count('href="/post/brev/') == 1
    for bad in ("fra=2026-02-30", "til=03-01-2026", "fra=2026-03-04&til=2026-03-01",
                "fra=2026-3-1"):
        assert mette.get("/post/?" + bad).status_code == 400


def test_legal_notification_marked_once_for_owner_and_helper(post):
    org = setup_org(post, "29189985", "Forkyndelsesstyrelsen")
    legal = "<memo:legalNotification>true</memo:legalNotification>"
    a = send(post, org, METTE, "Forkyndelse af afgørelse", header=legal)
    plain = send(post, org, METTE, "Almindeligt brev")
    mette = Browser(post, METTE)
    r = mette.get("/post/brev/" + a)
    assert r.status_code == 200 and "Forkyndelse" in r.text
    at = post.db.execute("SELECT legally_notified_ms FROM letters WHERE message_uuid = ?",
                         (a,)).fetchone()[0]
    assert at
    ev = events(post, "MESSAGE_LEGALLY_NOTIFIED", a)
    assert len(ev) == 1 and ev[0][0] == "cpr:" + METTE and ev[0][1] == "cpr:" + METTE
    shown = re.search(r"første gang blev åbnet: <strong>([0-9-]+ [0-9:]+)</strong>", r.text)
    assert shown, r.text
    # idempotent: a second opening changes nothing, the page shows the first time
    r2 = mette.get("/post/brev/" + a)
    assert shown.group(1) in r2.text
    assert len(events(post, "MESSAGE_LEGALLY_NOTIFIED", a)) == 1
    assert post.db.execute("SELECT legally_notified_ms FROM letters WHERE message_uuid = ?",
                           (a,)).fetchone()[0] == at
    mette.get("/post/brev/" + plain)
    assert events(post, "MESSAGE_LEGALLY_NOTIFIED", plain) == []
    assert "Forkyndelse" not in mette.get("/post/brev/" + plain).text
    # a read helper opens the owner's legal notification: notified on the owner's behalf
    b = send(post, org, JENS, "Forkyndelse til Jens", header=legal)
    sofie = Browser(post, SOFIE)
    sofie.post("/post/postkasse", {"csrf": sofie.csrf(), "postkasse": "CPR:" + JENS})
    assert "Forkyndelse" in sofie.get("/post/brev/" + b).text
    ev = events(post, "MESSAGE_LEGALLY_NOTIFIED", b)
    assert len(ev) == 1 and ev[0][0] == "cpr:" + SOFIE and ev[0][1] == "cpr:" + JENS
    assert json.loads(ev[0][2]) == {"onBehalf": True}
    Browser(post, JENS).get("/post/brev/" + b)
    assert len(events(post, "MESSAGE_LEGALLY_NOTIFIED", b)) == 1


APPOINTMENT = (
    "<memo:Action><memo:label>Din tid hos lægen</memo:label>"
    "<memo:actionCode>AFTALE</memo:actionCode>"
    "<memo:Reservation><memo:description>Husk sygesikringskort; medbring medicinliste, "
    "og kom 10 min. før. Spørgsmål: ring på 12 34 56 78 – vi glæder os til at se dig igen "
    "og igen og igen.</memo:description>"
    "<memo:reservationUUID>%s</memo:reservationUUID>"
    "<memo:abstract>Lægetid, ørelæge</memo:abstract>"
    "<memo:location>Klinikken; Åboulevarden 1, 8000 Aarhus C</memo:location>"
    "<memo:startDateTime>2026-12-14T09:30:00Z</memo:startDateTime>"
    "<memo:endDateTime>2026-12-14T10:00:00Z</memo:endDateTime>"
    "<memo:organizerMail>klinik@example.dk</memo:organizerMail>"
    "<memo:organizerName>Klinik \"Øst\"</memo:organizerName>"
    "</memo:Reservation></memo:Action>"
    "<memo:Action><memo:label>Svar senest</memo:label><memo:actionCode>SELVBETJENING"
    "</memo:actionCode><memo:endDateTime>2026-12-20T22:59:00Z</memo:endDateTime>"
    "<memo:EntryPoint><memo:url>https://example.dk/svar?a=1&amp;b=2</memo:url></memo:EntryPoint>"
    "</memo:Action>"
    "")


def test_actions_links_deadlines_and_ics(post):
    org = setup_org(post, "29189986", "Aftalestyrelsen")
    rid = str(uuidlib.uuid4())
    u = send(post, org, METTE, "Indkaldelse", action=APPOINTMENT % rid)
    mette = Browser(post, METTE)
    page = mette.get("/post/brev/" + u).text
    assert "Lægetid, ørelæge" in page and "Klinikken; Åboulevarden 1" in page
    assert "2026-12-14 10:30" in page                       # Danish time
    assert "Frist: 2026-12-20 23:59" in page
    assert 'href="https://example.dk/svar?a=1&amp;b=2" rel="noopener noreferrer"' in page
    assert '<span class="link-address">https://example.dk/svar?a=1&amp;b=2</span>' in page
    m = re.search(r'href="(/post/brev/%s/aftale/0)" download' % u, page)
    assert m, page
    r = mette.get(m.group(1))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="aftale.ics"')
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"].startswith("sandbox")
    raw = r.content
    # RFC 5545: CRLF line ends, lines folded at 75 octets, never inside a UTF-8 character
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in x and b"\r" not in x for x in lines)
    assert all(len(x) <= 75 for x in lines), [x for x in lines if len(x) > 75]
    assert any(x.startswith(b" ") for x in lines)          # the description was folded
    for x in lines:
        x.decode("utf-8")
    cal = Calendar.from_ical(raw)
    ev = [c for c in cal.walk() if c.name == "VEVENT"][0]
    assert cal["VERSION"] == "2.0" and str(ev["UID"]) == rid
    assert str(ev["SUMMARY"]) == "Lægetid, ørelæge"
    assert str(ev["LOCATION"]) == "Klinikken; Åboulevarden 1, 8000 Aarhus C"
    assert str(ev["DESCRIPTION"]).startswith("Husk sygesikringskort; medbring medicinliste, og")
    assert ev.decoded("DTSTART").isoformat() == "2026-12-14T09:30:00+00:00"
    assert ev.decoded("DTEND").isoformat() == "2026-12-14T10:00:00+00:00"
    assert str(ev["ORGANIZER"]) == "mailto:klinik@example.dk"
    assert b"SUMMARY:L\xc3\xa6getid\\, \xc3\xb8rel\xc3\xa6ge" in raw   # TEXT escaping
    # not an appointment, no such action, another person: 404
    assert mette.get("/post/brev/%s/aftale/1" % u).status_code == 404
    assert mette.get("/post/brev/%s/aftale/9" % u).status_code == 404
    assert mette.get("/post/brev/%s/aftale/x" % u).status_code == 404
    assert Browser(post, JENS).get("/post/brev/%s/aftale/0" % u).status_code == 404


def test_forward_to_an_authority_and_by_email(post):
    from test_recipient_pull import recipient_system
    sys_ = recipient_system(post, "12345678")
    point = post.cli(["contact-point", "add", "--org", "12345678", "--name", "Borgerservice",
                      "--system", sys_["system"]])["id"]
    org = setup_org(post, "29189987", "Videresendelsesstyrelsen")
    pdf = b"%PDF-1.4\n%%EOF\n"
    u = send(post, org, JENS, "Afgørelse til videresendelse",
             files=[("afgoerelse.pdf", "application/pdf", pdf)])
    sofie = Browser(post, SOFIE)                     # read access to Jens's post
    sofie.post("/post/postkasse", {"csrf": sofie.csrf(), "postkasse": "CPR:" + JENS})
    page = sofie.get("/post/brev/" + u).text
    assert 'href="/post/brev/%s/videresend"' % u in page
    r = sofie.get("/post/brev/%s/videresend?q=Borgerservice" % u)
    assert r.status_code == 200 and 'value="%s"' % point in r.text
    csrf = csrf_of(r.text)
    r = sofie.post("/post/brev/%s/videresend" % u, {"csrf": csrf, "til": "myndighed",
                                                     "kontaktpunkt": point,
                                                     "kommentar": "Til orientering; se bilag."})
    assert r.status_code == 303, r.text
    new = r.headers["Location"].rsplit("/", 1)[1]
    row = post.db.execute("SELECT label, sender_mailbox_id IS NOT NULL FROM letters WHERE "
                          "message_uuid = ?", (new,)).fetchone()
    assert row == ("Videresendt: Afgørelse til videresendelse", 1)
    body = bytes(post.db.execute("SELECT body FROM letters WHERE message_uuid = ?",
                                 (new,)).fetchone()[0]).decode()
    import base64
    assert base64.b64encode(pdf).decode() in body           # the original's file attached
    assert "<memo:filename>afgoerelse.pdf</memo:filename>" in body
    assert "representativeID>%s<" % SOFIE in body           # the helper named
    ev = events(post, "MESSAGE_FORWARDED_TO_AUTHORITY", u)
    assert len(ev) == 1 and ev[0][0] == "cpr:" + SOFIE and ev[0][1] == "cpr:" + JENS
    assert json.loads(ev[0][2]) == {"contactPointId": point, "messageUUID": new}
    # the recipient system gets it through REST pull
    queued = post.db.execute("SELECT q.contact_point_id FROM recipient_queue q JOIN letters l "
                             "ON l.id = q.letter_id WHERE l.message_uuid = ?",
                             (new,)).fetchone()
    assert queued and queued[0] == point
    # by e-mail: a notice only, queued with its event in one transaction
    jens = Browser(post, JENS)
    csrf = csrf_of(jens.get("/post/brev/%s/videresend" % u).text)
    r = jens.post("/post/brev/%s/videresend" % u, {"csrf": csrf, "til": "email",
                                                    "email": "bror@example.dk",
                                                    "kommentar": "Kan du hjælpe?"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/post/brev/" + u)
    mail = post.db.execute("SELECT to_addr, subject, body FROM mail_outbox WHERE kind = "
                           "'MAILBOX_FORWARD'").fetchall()
    assert len(mail) == 1 and mail[0][0] == "bror@example.dk"
    assert "Jens Jensen" in mail[0][1] and "Afgørelse til videresendelse" in mail[0][2]
    assert "Kan du hjælpe?" in mail[0][2] and "JVBERi" not in mail[0][2]   # no PDF content
    assert json.loads(events(post, "MESSAGE_FORWARDED_TO_EMAIL", u)[0][2]) == \
        {"to": "bror@example.dk"}
    # refusals: bad address, too long comment, unknown point, no target, CSRF, another person
    for data, code in (({"til": "email", "email": "ikke en adresse"}, 400),
                       ({"til": "email", "email": "a@b.dk", "kommentar": "x" * 513}, 400),
                       ({"til": "myndighed", "kontaktpunkt": str(uuidlib.uuid4())}, 404),
                       ({"til": "fax"}, 400)):
        data["csrf"] = csrf
        assert jens.post("/post/brev/%s/videresend" % u, data).status_code == code, data
    assert jens.post("/post/brev/%s/videresend" % u, {"til": "email",
                                                      "email": "a@b.dk"}).status_code == 403
    mette = Browser(post, METTE)
    assert mette.get("/post/brev/%s/videresend" % u).status_code == 404
    assert len(post.db.execute("SELECT 1 FROM mail_outbox WHERE kind = 'MAILBOX_FORWARD'")
               .fetchall()) == 1
    assert "videresendte et brev til en myndighed" in jens.get("/post/aktivitet").text


def field_error(page, value, says):
    """The forward page's CPR/CVR field carries the error next to it (DKFDS form-error, the
    message tied to the input by aria-describedby, aria-invalid) with what was typed."""
    group = re.search(r'<div class="form-group form-error"><label class="form-label" '
                      r'for="fwd-person">.*?</div>', page, re.S)
    assert group, page[:3000]
    msg = re.search(r'<span class="form-error-message" id="fwd-person-error">(.*?)</span>'
                    r'(.*?)</span>', group.group(0), re.S)
    assert msg and says in msg.group(2), group.group(0)
    inp = re.search(r'<input[^>]*id="fwd-person"[^>]*>', group.group(0)).group(0)
    assert 'aria-describedby="fwd-person-hint fwd-person-error"' in inp, inp
    assert 'aria-invalid="true"' in inp and 'value="%s"' % value in inp, inp
    assert page.count("form-error-message") == 1
    assert '<a href="#fwd-person">' in page             # the summary leads to the field


def test_forward_to_another_digital_post_recipient(post):
    """Forwarding to another citizen's or company's Digital Post (NgDP ForwardCommand with
    recipientIdType CPR/CVR, MESSAGE_FORWARDED_TO_TRUSTED): a new MeMo letter through the send
    path, delivered to that mailbox with the original's files and ForwardData, in the
    forwarder's "sent"; a read helper may; refusals write nothing."""
    org = setup_org(post, "29189990", "Videresendelsesstyrelsen")
    pdf = b"%PDF-1.4\n%% videresendt\n%%EOF\n"
    legal = "<memo:legalNotification>true</memo:legalNotification>"
    u = send(post, org, JENS, "Afgørelse om boligstøtte", header=legal,
             files=[("afgoerelse.pdf", "application/pdf", pdf)])
    sofie, jens, mette = Browser(post, SOFIE), Browser(post, JENS), Browser(post, METTE)
    sofie.post("/post/postkasse", {"csrf": sofie.csrf(), "postkasse": "CPR:" + JENS})
    page = sofie.get("/post/brev/%s/videresend" % u)
    assert page.status_code == 200 and 'name="modtager"' in page.text
    csrf = csrf_of(page.text)
    letters = post.db.execute("SELECT COUNT(*) FROM letters").fetchone()[0]
    # refusals first: only what was typed (a malformed number, the mailbox's own owner) is
    # refused, next to the field; nothing is written by any of them
    for who, says in (("12345", "Skriv et CPR-nummer"), ("abcdefghij", "Skriv et CPR-nummer"),
                      ("010170-1234", "allerede i denne postkasse")):   # the owner's own
        r = sofie.post("/post/brev/%s/videresend" % u, {"csrf": csrf, "til": "person",
                                                        "modtager": who})
        assert r.status_code == 400, (who, r.status_code, r.text[:300])
        field_error(r.text, who, says)
    assert sofie.post("/post/brev/%s/videresend" % u,
                      {"til": "person", "modtager": METTE}).status_code == 403     # no CSRF
    assert mette.get("/post/brev/%s/videresend" % u).status_code == 404  # not Mette's letter
    assert post.db.execute("SELECT COUNT(*) FROM letters").fetchone()[0] == letters
    assert events(post, "MESSAGE_FORWARDED_TO_TRUSTED") == []
    # the helper forwards it to Mette (ddmmyy-xxxx as people write it)
    r = sofie.post("/post/brev/%s/videresend" % u, {
        "csrf": csrf, "til": "person", "modtager": METTE[:6] + "-" + METTE[6:],
        "kommentar": "Til orientering, Mette."})
    assert r.status_code == 303, r.text[:500]
    new = r.headers["Location"].rsplit("/", 1)[1]
    row = post.db.execute(
        "SELECT l.recipient_type, l.recipient_id, l.state, r.owner_id, s.owner_id, l.label "
        "FROM letters l JOIN mailboxes r ON r.id = l.mailbox_id "
        "JOIN mailboxes s ON s.id = l.sender_mailbox_id WHERE l.message_uuid = ?",
        (new,)).fetchone()
    assert row == ("CPR", METTE, "AVAILABLE", METTE, JENS,
                   "Videresendt: Afgørelse om boligstøtte"), row
    body = bytes(post.db.execute("SELECT body FROM letters WHERE message_uuid = ?",
                                 (new,)).fetchone()[0]).decode()
    fwd = re.search(r"<memo:ForwardData>(.*?)</memo:ForwardData>", body, re.S)
    assert fwd, body[:2000]
    assert "<memo:messageUUID>%s</memo:messageUUID>" % u in fwd.group(1)
    assert "<memo:comment>Til orientering, Mette.</memo:comment>" in fwd.group(1)
    assert "<memo:originalSender>" in fwd.group(1)
    assert "representativeID>%s<" % SOFIE in body                    # the helper named
    assert "<memo:legalNotification>true" not in body                 # a plain copy
    ev = events(post, "MESSAGE_FORWARDED_TO_TRUSTED", u)
    assert len(ev) == 1 and ev[0][0] == "cpr:" + SOFIE and ev[0][1] == "cpr:" + JENS
    assert json.loads(ev[0][2]) == {"recipientIdType": "CPR", "recipientId": METTE,
                                    "messageUUID": new}
    assert len(events(post, "MEMO_AVAILABLE_TO_RECIPIENT", new)) == 1
    # Mette has it in her inbox, opens it and downloads the original's PDF
    assert "Videresendt: Afgørelse om boligstøtte" in mette.get("/post/").text
    opened = mette.get("/post/brev/" + new)
    assert opened.status_code == 200 and "afgoerelse.pdf" in opened.text
    files = re.findall(r'href="(/post/brev/%s/fil/\d+)" download' % new, opened.text)
    got = [mette.get(f).content for f in files]
    assert pdf in got, files
    # Jens has it in "sent"; the sent copy is not forwarded again
    assert "Videresendt: Afgørelse om boligstøtte" in jens.get("/post/?mappe=sent").text
    assert jens.get("/post/brev/%s/videresend" % new).status_code == 404
    assert "videresendte et brev til en anden modtager i Digital Post" in \
        jens.get("/post/aktivitet").text
    # to a company's mailbox by CVR
    bager = "33445566"                       # demo: a CVR mailbox letters are delivered to
    csrf = csrf_of(jens.get("/post/brev/%s/videresend" % u).text)
    r = jens.post("/post/brev/%s/videresend" % u, {"csrf": csrf, "til": "person",
                                                    "modtager": bager})
    assert r.status_code == 303, r.text[:500]
    new2 = r.headers["Location"].rsplit("/", 1)[1]
    assert post.db.execute("SELECT l.recipient_type, m.owner_id FROM letters l JOIN mailboxes m"
                           " ON m.id = l.mailbox_id WHERE l.message_uuid = ?",
                           (new2,)).fetchone() == ("CVR", bager)


def letter_to_point(srv, org, cvr, label, point):
    """A letter from org to company cvr's mailbox naming contact point point (None: none)."""
    uuid, xml = letter_xml(org["cvr"], cvr, recipient_type="CVR", label=label)
    if point:
        xml = xml.replace(b"</memo:idType></memo:Recipient>",
                          ("</memo:idType><memo:ContactPoint><memo:contactPointID>%s"
                           "</memo:contactPointID></memo:ContactPoint></memo:Recipient>"
                           % point.upper()).encode(), 1)
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                 headers=dict(org["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    return uuid


def reads_in_log(b):
    """The "read a letter" rows of b's mailbox activity log (one page)."""
    r = b.get("/post/aktivitet")
    assert r.status_code == 200, r.text[:300]
    return r.text.count("<td>læste et brev</td>")


def test_authority_mailbox_narrowed_to_contact_points(post):
    bager = "33445566"                     # demo: a CVR mailbox that letters are delivered to
    post.cli(["org", "add", "--cvr", bager, "--name", "Bageriet ApS"], json_out=False)
    # a recipient system that is not active yet: letters to the points land in the mailbox
    sid = post.cli(["system", "add", "--org", bager, "--kind", "recipient", "--name",
                    "Kommende", "--active-from", "2099-01-01"])["id"]
    pa = post.cli(["contact-point", "add", "--org", bager, "--name", "Salg",
                   "--system", sid])["id"]
    pb = post.cli(["contact-point", "add", "--org", bager, "--name", "Løn",
                   "--system", sid])["id"]
    org = setup_org(post, "29189988", "Indberetningsstyrelsen")

    def to_point(label, point):
        return letter_to_point(post, org, bager, label, point)

    a, b, none = to_point("Ordre til salg", pa), to_point("Lønseddel", pb), \
        to_point("Til hele firmaet", None)
    assert post.db.execute("SELECT contact_point_id FROM letters WHERE message_uuid = ?",
                           (a,)).fetchone()[0] == pa
    post.cli(["user", "add", "--org", bager, "--email", "salg@bageriet.dk", "--name",
              "Sara Salg"])
    post.cli(["user", "grant", "--org", bager, "--right", "MESSAGE_BASIC", "--email",
              "salg@bageriet.dk", "--contact-point", pa])
    post.cli(["user", "add", "--org", bager, "--email", "chef@bageriet.dk", "--name",
              "Carl Chef", "--right", "MESSAGE_BASIC"])
    sara, carl = Browser(post, "salg@bageriet.dk"), Browser(post, "chef@bageriet.dk")
    page = sara.get("/post/").text
    assert "Ordre til salg" in page
    assert "Lønseddel" not in page and "Til hele firmaet" not in page
    assert re.search(r"Indbakke <span class=\"folder-count\">\(1, 1 ulæst", page), page
    assert sara.get("/post/brev/" + a).status_code == 200
    for other in (b, none):                 # another point's letter by id: 404
        assert sara.get("/post/brev/" + other).status_code == 404
        assert sara.get("/post/brev/%s/fil/0" % other).status_code == 404
    assert "Lønseddel" not in sara.get("/post/?q=L%C3%B8n").text
    page = carl.get("/post/").text
    for label in ("Ordre til salg", "Lønseddel", "Til hele firmaet"):
        assert label in page
    whole = re.search(r"Indbakke <span class=\"folder-count\">\((\d+), ", page)
    assert whole and int(whole.group(1)) >= 3, page        # and the demo's own letters
    # the narrowed counts follow moves and reads through their trigger-kept rows
    form(sara, "/post/brev/%s/flyt" % a, {"mappe": "deleted"}, page="/post/brev/" + a)
    page = sara.get("/post/").text
    assert re.search(r"Slettet <span class=\"folder-count\">\(1\)", page), page
    assert re.search(r"Indbakke <span class=\"folder-count\">\(0\)", page), page
    assert post.db.execute("SELECT SUM(total) FROM mailbox_point_counts WHERE "
                           "contact_point_id = ? AND folder = 'deleted'", (pa,)).fetchone()[0] \
        == 1
    # the activity log: the narrowed employee sees the events of her point's letters only
    assert carl.get("/post/brev/" + b).status_code == 200
    assert carl.get("/post/brev/" + none).status_code == 200
    ev = post.db.execute("SELECT message_uuid FROM events WHERE tag = 'MESSAGE_READ' AND "
                         "subject = ?", ("cvr:" + bager,)).fetchall()
    assert {a, b, none} <= {r[0] for r in ev}
    assert reads_in_log(sara) == 1 and "flyttede et brev" in sara.get("/post/aktivitet").text
    assert reads_in_log(carl) >= 3


def test_authority_mailbox_narrowed_to_a_contact_group(post):
    """MESSAGE_BASIC narrowed to a contact GROUP: the letters to the points of the group and
    of its sub-groups are the employee's, in lists, counts, search, open, download and the
    activity log; a point outside the group and a letter naming no point are not."""
    bager = "33445566"                     # demo: a CVR mailbox that letters are delivered to
    post.cli(["org", "add", "--cvr", bager, "--name", "Bageriet ApS"], json_out=False)
    sid = post.cli(["system", "add", "--org", bager, "--kind", "recipient", "--name",
                    "Kommende", "--active-from", "2099-01-01"])["id"]
    admin = setup_org(post, bager, "Bageriet ApS")            # the contact structure's API
    org_id = post.cli(["org", "show", bager])["id"]
    base = "/apis/v1/organisations/%s/" % org_id

    def create(kind, body):
        r = post.post(base + kind + "/", json=body,
                      headers=dict(admin["auth"], **{"Accept": "application/json"}))
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def group(name, parent=None):
        return create("contact-groups", {"name": name, "description": None,
                                         "organisationalUnit": False, "postkasseIds": None,
                                         "parent": {"id": parent} if parent else None})

    def point(name, groups):
        return create("contact-points", {
            "name": name, "description": None, "internalDescription": None,
            "targets": [1, 2, 3], "memoSizeThresholdMB": 0, "allowedNumberOfAttachments": 0,
            "active": True, "visible": True, "reportLink": None, "systemId": sid,
            "contactPointCodes": [], "contactGroups": [{"id": g} for g in groups],
            "recommendedAttributes": None, "searchTerms": [], "translations": None})

    kunde = group("Kundeservice")
    rekl = group("Reklamationer", kunde)                     # a sub-group of it
    p_kunde, p_rekl, p_loen = point("Bestillinger", [kunde]), point("Klager", [rekl]), \
        point("Løn", [])
    org = setup_org(post, "29189989", "Gruppestyrelsen")
    a = letter_to_point(post, org, bager, "Bestilling af kringle", p_kunde)
    c = letter_to_point(post, org, bager, "Klage over kringle", p_rekl)
    b = letter_to_point(post, org, bager, "Lønseddel for maj", p_loen)
    none = letter_to_point(post, org, bager, "Til hele firmaet", None)
    post.cli(["user", "add", "--org", bager, "--email", "kunde@bageriet.dk", "--name",
              "Kirsten Kunde"])
    post.cli(["user", "grant", "--org", bager, "--right", "MESSAGE_BASIC", "--email",
              "kunde@bageriet.dk", "--contact-group", kunde])
    post.cli(["user", "add", "--org", bager, "--email", "chef@bageriet.dk", "--name",
              "Carl Chef", "--right", "MESSAGE_BASIC"])
    kirsten, carl = Browser(post, "kunde@bageriet.dk"), Browser(post, "chef@bageriet.dk")
    # list and counts: the group's point and its sub-group's point, nothing else
    page = kirsten.get("/post/").text
    assert "Bestilling af kringle" in page and "Klage over kringle" in page
    assert "Lønseddel for maj" not in page and "Til hele firmaet" not in page
    assert re.search(r"Indbakke <span class=\"folder-count\">\(2, 2 ulæst", page), page
    # search
    page = kirsten.get("/post/?q=kringle").text
    assert "Bestilling af kringle" in page and "Klage over kringle" in page
    assert "Lønseddel for maj" not in kirsten.get("/post/?q=L%C3%B8nseddel").text
    assert "Til hele firmaet" not in kirsten.get("/post/?q=firmaet").text
    # open and download: inside 200, outside 404 like an unknown id
    unknown = kirsten.get("/post/brev/" + str(uuidlib.uuid4()))
    assert unknown.status_code == 404
    for inside in (a, c):
        assert kirsten.get("/post/brev/" + inside).status_code == 200
        f = kirsten.get("/post/brev/%s/fil/0" % inside)
        assert f.status_code == 200 and f.content.startswith(b"Brev nr.")
    for outside in (b, none):
        r = kirsten.get("/post/brev/" + outside)
        assert r.status_code == 404
        assert kirsten.get("/post/brev/%s/fil/0" % outside).status_code == 404
    page = kirsten.get("/post/").text
    assert re.search(r"Indbakke <span class=\"folder-count\">\(2\)", page), page   # both read
    # the unnarrowed colleague sees all four and reads the others
    page = carl.get("/post/").text
    for label in ("Bestilling af kringle", "Klage over kringle", "Lønseddel for maj",
                  "Til hele firmaet"):
        assert label in page, label
    for u in (b, none):
        assert carl.get("/post/brev/" + u).status_code == 200
    # the activity log: only the reads of the group's letters
    assert reads_in_log(kirsten) == 2
    assert reads_in_log(carl) >= 4


def test_sender_does_not_see_what_the_recipient_does_with_its_letter(post):
    """The events API shows a letter's sender that the letter was read (MESSAGE_READ, its
    evidence), never what the citizen did with it: forwarded to whom (a third person's CPR,
    an e-mail address), moved, flagged (docs/events-api.md). Neither by messageUUID nor by
    the sender system's own log."""
    org = setup_org(post, "29189993", "Afsenderstyrelsen")
    u = send(post, org, JENS, "Brev der videresendes")
    jens = Browser(post, JENS)
    assert jens.get("/post/brev/" + u).status_code == 200          # MESSAGE_READ
    for data in ({"til": "person", "modtager": METTE, "kommentar": "Til dig"},
                 {"til": "email", "email": "bror@example.dk"}):
        data["csrf"] = csrf_of(jens.get("/post/brev/%s/videresend" % u).text)
        r = jens.post("/post/brev/%s/videresend" % u, data)
        assert r.status_code == 303, (data, r.status_code, r.text[:300])
    assert form(jens, "/post/mapper", {"navn": "Privat", "under": "0"}).status_code == 303
    assert len(events(post, "MESSAGE_FORWARDED_TO_TRUSTED", u)) == 1
    assert len(events(post, "MESSAGE_FORWARDED_TO_EMAIL", u)) == 1
    for params in ({"messageUUID": u, "size": 1000}, {"size": 1000},
                   {"senderOrRecipientSystem": org["system"], "size": 1000},
                   {"any": METTE, "size": 1000}, {"senderOrRecipient": JENS, "size": 1000}):
        r = post.get("/apis/v1/events/", params=params, headers=org["auth"])
        assert r.status_code == 200, (params, r.text[:300])
        tags = [e["eventTag"] for e in r.json()["events"]]
        assert not [t for t in tags if t.startswith("MESSAGE_FORWARDED")], (params, tags)
        assert METTE not in r.text and "bror@example.dk" not in r.text, params
        if "messageUUID" in params:
            assert "MESSAGE_READ" in tags, tags


def test_forward_comment_not_utf8_is_400(post):
    """A comment that is not UTF-8 is the form's fault: 400 with the form, never 500, and
    nothing is forwarded."""
    org = setup_org(post, "29189994", "Kommentarstyrelsen")
    u = send(post, org, JENS, "Brev med kommentar")
    jens = Browser(post, JENS)
    csrf = csrf_of(jens.get("/post/brev/%s/videresend" % u).text)
    body = "csrf=%s&til=person&modtager=%s&kommentar=%%FF%%FE" % (csrf, METTE)
    r = jens.post("/post/brev/%s/videresend" % u, body.encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert 'name="modtager"' in r.text                     # the form again
    assert events(post, "MESSAGE_FORWARDED_TO_TRUSTED", u) == []


def test_forward_to_a_number_answers_the_same_with_or_without_a_mailbox(post):
    """Forwarding to a CPR/CVR must not tell the writer whether the number has an open
    Digital Post mailbox (docs/mailbox-web.md): every well-formed number gets 303 to the new
    letter in "Sendt", the same page and the same list entry. The hub delivers it to an open
    mailbox and keeps it NOT_ALLOWED for none, a closed and an exempt one (RECIPIENT_UNKNOWN,
    RECIPIENT_MAILBOX_CLOSED, RECIPIENT_EXEMPT, MEMO_SEND_NOT_ALLOWED in the event log); the
    exempt citizen's copy is never printed, while an authority's letter to the same exempt
    citizen still is (PRINT with a print job)."""
    exempt, closed, none = "0202804444", "0303805555", "0404806666"
    mailbox(post, cpr=exempt, exempt=True, name="Fritaget Person")
    mailbox(post, cpr=closed)
    close_mailbox(post, cpr=closed)
    org = setup_org(post, "29189995", "Orakelstyrelsen")
    u = send(post, org, JENS, "Brev til videresendelse")
    jens = Browser(post, JENS)
    outcome = {}
    for who in (METTE, none, closed, exempt, "44556677"):   # the CVR has no mailbox
        csrf = csrf_of(jens.get("/post/brev/%s/videresend" % u).text)
        r = jens.post("/post/brev/%s/videresend" % u, {"csrf": csrf, "til": "person",
                                                        "modtager": who, "kommentar": "Se her"})
        assert r.status_code == 303, (who, r.status_code, r.text[:300])
        new = r.headers["Location"].rsplit("/", 1)[1]
        assert r.headers["Location"] == "/post/brev/" + new, r.headers["Location"]
        shown = jens.get(r.headers["Location"])
        assert shown.status_code == 200, (who, shown.status_code)
        # the page of the sent letter differs only by the letter's id and the number
        outcome[who] = (new, re.sub(r"\d", "0", shown.text.replace(new, "UUID")))
    pages = {p for w, (n, p) in outcome.items() if len(w) == 10}
    assert len(pages) == 1, "the sent letter's page tells the numbers apart"
    sent = jens.get("/post/?mappe=sent").text
    for who, (new, _) in outcome.items():
        assert "/post/brev/" + new in sent, who
    assert sent.count("Videresendt: Brev til videresendelse") == len(outcome)
    state = {who: post.db.execute("SELECT state, error_code, mailbox_id FROM letters WHERE "
                                  "message_uuid = ?", (new,)).fetchone()
             for who, (new, _) in outcome.items()}
    assert state[METTE][0] == "AVAILABLE" and state[METTE][2] is not None, state
    for who, code in ((none, "RECIPIENT_UNKNOWN"), (closed, "RECIPIENT_MAILBOX_CLOSED"),
                      (exempt, "RECIPIENT_EXEMPT"), ("44556677", "RECIPIENT_UNKNOWN")):
        assert state[who] == ("NOT_ALLOWED", code, None), (who, state[who])
        assert len(events(post, "MEMO_SEND_NOT_ALLOWED", outcome[who][0])) == 1, who
        assert events(post, "PHYSICAL_LETTER_SENT", outcome[who][0]) == [], who
    ids = tuple(n for n, _ in outcome.values())
    assert post.db.execute("SELECT COUNT(*) FROM print_jobs j JOIN letters l ON "
                           "l.id = j.letter_id WHERE l.message_uuid IN (?,?,?,?,?)",
                           ids).fetchone()[0] == 0
    assert len(events(post, "MESSAGE_FORWARDED_TO_TRUSTED", u)) == len(outcome)
    # an authority's letter to the exempt citizen is still printed
    p = send(post, org, exempt, "Brev der skal printes")
    assert post.db.execute("SELECT l.state, COUNT(j.id) FROM letters l LEFT JOIN print_jobs j "
                           "ON j.letter_id = l.id WHERE l.message_uuid = ? GROUP BY l.state",
                           (p,)).fetchone() == ("PRINT", 1)


def company_forwarding(post, org_cvr):
    """The demo company 33445566 with a sender system (own) and an employee (ejer) with
    MESSAGE_WRITE who has read a letter (uuid) from organisation org_cvr in its mailbox."""
    bager = "33445566"                       # demo: a CVR mailbox letters are delivered to
    own = setup_org(post, bager, "Bageriet ApS")          # its sender system reads the log
    org = setup_org(post, org_cvr, "Afsenderstyrelsen")
    uuid, xml = letter_xml(org["cvr"], bager, recipient_type="CVR", label="Til bageriet")
    r = post.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                  headers=dict(org["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    post.cli(["user", "add", "--org", bager, "--email", "ejer@bageriet.dk", "--name",
              "Ejer", "--right", "MESSAGE_BASIC"])
    post.cli(["user", "grant", "--org", bager, "--right", "MESSAGE_WRITE", "--email",
              "ejer@bageriet.dk"])
    ejer = Browser(post, "ejer@bageriet.dk")
    assert ejer.get("/post/brev/" + uuid).status_code == 200             # MESSAGE_READ
    return own, ejer, uuid


def forward_to(b, uuid, number):
    """b forwards letter uuid to number; the new letter's messageUUID."""
    csrf = csrf_of(b.get("/post/brev/%s/videresend" % uuid).text)
    r = b.post("/post/brev/%s/videresend" % uuid, {"csrf": csrf, "til": "person",
                                                   "modtager": number})
    assert r.status_code == 303, (number, r.status_code, r.text[:300])
    return r.headers["Location"].rsplit("/", 1)[1]


def test_events_api_keeps_a_forward_events_own_message_uuid(post):
    """A forward's MESSAGE_FORWARDED_TO_TRUSTED is recorded on the original letter with the
    new letter's messageUUID in its properties: the events API shows the company whose
    mailbox it is both -- eventProperties.messageUUID the new letter (the event's own), the
    top-level messageUUID the original (docs/events-api.md)."""
    own, ejer, uuid = company_forwarding(post, "29189996")
    new = forward_to(ejer, uuid, METTE)
    r = post.get("/apis/v1/events/", params={"messageUUID": uuid, "size": 1000},
                 headers=own["auth"])
    assert r.status_code == 200, r.text[:300]
    fwd = [e for e in r.json()["events"] if e["eventTag"] == "MESSAGE_FORWARDED_TO_TRUSTED"]
    assert len(fwd) == 1, [e["eventTag"] for e in r.json()["events"]]
    assert fwd[0]["eventProperties"]["messageUUID"] == new, fwd[0]
    assert fwd[0]["messageUUID"] == uuid
    assert fwd[0]["eventProperties"]["recipientId"] == METTE
    # an event without a messageUUID of its own still names its letter in its properties
    read = [e for e in r.json()["events"] if e["eventTag"] == "MESSAGE_READ"]
    assert read and all(e["eventProperties"]["messageUUID"] == uuid for e in read), read


def test_events_api_does_not_tell_a_forwarding_company_who_has_a_mailbox(post):
    """A company that forwards a letter to a CPR/CVR gets the same answer for every number
    (test above); its sender system must not learn the outcome from the events API either:
    a letter written in its mailbox to another's mailbox is out of its scope (an empty page,
    as for another organisation's letter), delivered or not. The recipient company still sees
    the events of a letter it received."""
    own, ejer, uuid = company_forwarding(post, "29189997")
    delivered, kept = forward_to(ejer, uuid, METTE), forward_to(ejer, uuid, "0404806666")
    assert post.db.execute("SELECT state FROM letters WHERE message_uuid = ?",
                           (kept,)).fetchone()[0] == "NOT_ALLOWED"
    for new in (delivered, kept):
        r = post.get("/apis/v1/events/", params={"messageUUID": new, "size": 1000},
                     headers=own["auth"])
        assert r.status_code == 200, r.text[:300]
        assert r.json()["events"] == [] and r.json()["totalElements"] == 0, (new, r.text[:500])
    # the original letter (received by the company) is still the company's to see
    r = post.get("/apis/v1/events/", params={"messageUUID": uuid, "size": 1000},
                 headers=own["auth"])
    assert "MESSAGE_FORWARDED_TO_TRUSTED" in [e["eventTag"] for e in r.json()["events"]]
    # a company that receives a forward sees its events
    other = setup_org(post, "29189998", "Modtagerselskabet")
    mailbox(post, cvr="29189998")
    got = forward_to(ejer, uuid, "29189998")
    r = post.get("/apis/v1/events/", params={"messageUUID": got, "size": 1000},
                 headers=other["auth"])
    assert "MEMO_AVAILABLE_TO_RECIPIENT" in [e["eventTag"] for e in r.json()["events"]], r.text


OWNER_PRIVATE = ("MESSAGE_FORWARDED_TO_TRUSTED", "MESSAGE_FORWARDED_TO_EMAIL", "MESSAGE_MOVED",
                 "MESSAGE_DELETED", "MAILBOX_READ_BY_PARTY_REPRESENTATIVE")


def test_owner_events_name_no_sender_system(post):
    """What a mailbox's owner or its helper does with a letter is stored without the letter's
    sender system (events.system_id NULL), so that system's log holds none of it whatever the
    events API's tag guard does (docs/events-api.md); only MESSAGE_READ and
    MESSAGE_LEGALLY_NOTIFIED, the sender's evidence, name it. A reply the owner writes names no
    sender system either. The owner's activity log shows every step, as before."""
    org = setup_org(post, "29189988", "Systemstyrelsen")
    legal = "<memo:legalNotification>true</memo:legalNotification>"
    u = send(post, org, JENS, "Brev med forkyndelse", header=legal)
    jens = Browser(post, JENS)
    assert jens.get("/post/brev/" + u).status_code == 200     # read, legally notified
    sofie = Browser(post, SOFIE)
    r = sofie.post("/post/postkasse", {"csrf": sofie.csrf(), "postkasse": "CPR:" + JENS})
    assert r.status_code == 303
    assert sofie.get("/post/brev/" + u).status_code == 200    # opened as a helper
    forward_to(jens, u, METTE)
    data = {"csrf": csrf_of(jens.get("/post/brev/%s/videresend" % u).text), "til": "email",
            "email": "bror@example.dk"}
    assert jens.post("/post/brev/%s/videresend" % u, data).status_code == 303
    assert form(jens, "/post/brev/%s/flyt" % u, {"mappe": "deleted"}).status_code == 303
    assert form(jens, "/post/brev/%s/slet-endeligt" % u, {}).status_code == 303
    # a reply to the demo's letter from Kommunen (reply allowed)
    w = post.db.execute("SELECT l.message_uuid FROM letters l JOIN mailboxes m ON "
                        "m.id = l.mailbox_id WHERE m.owner_id = ? AND l.label = ?",
                        (JENS, "Afgørelse om boligstøtte")).fetchone()[0]
    r = form(jens, "/post/brev/%s/svar" % w, {"text": "Tak"})
    assert r.status_code == 303, r.text[:300]
    reply = r.headers["Location"].rsplit("/", 1)[1]

    stored = {}
    for tag, sid in post.db.execute("SELECT tag, system_id FROM events WHERE message_uuid = ?",
                                    (u,)).fetchall():
        stored.setdefault(tag, set()).add(sid)
    for tag in OWNER_PRIVATE:
        assert stored.get(tag) == {None}, (tag, stored)
    for tag in ("MESSAGE_READ", "MESSAGE_LEGALLY_NOTIFIED"):
        assert stored.get(tag) == {org["system"]}, (tag, stored)
    assert post.db.execute("SELECT COUNT(*) FROM events WHERE system_id = ? AND tag IN "
                           "(?,?,?,?,?)", (org["system"],) + OWNER_PRIVATE).fetchone()[0] == 0
    kommunen = {s for (s,) in post.db.execute("SELECT id FROM systems WHERE org_cvr = ? AND "
                                              "kind = 'sender'", ("12345678",)).fetchall()}
    written = post.db.execute("SELECT tag, system_id FROM events WHERE message_uuid = ? OR "
                              "(tag = 'MAILBOX_MESSAGE_SENT' AND subject = ?)",
                              (reply, "cpr:" + JENS)).fetchall()
    assert "MAILBOX_MESSAGE_SENT" in [t for t, _ in written], written
    assert not [e for e in written if e[1] in kommunen], written
    # the sender system's own log and the letter's events through the events API
    for params in ({"size": 1000}, {"messageUUID": u, "size": 1000}):
        r = post.get("/apis/v1/events/", params=params, headers=org["auth"])
        assert r.status_code == 200, r.text[:300]
        tags = [e["eventTag"] for e in r.json()["events"]]
        assert "MESSAGE_READ" in tags and "MESSAGE_LEGALLY_NOTIFIED" in tags, (params, tags)
        assert not set(tags) & set(OWNER_PRIVATE), (params, tags)
    # the owner's activity log still shows every step
    log = jens.get("/post/aktivitet").text
    for what in ("læste et brev", "blev forkyndt et brev", "åbnede et brev som hjælper",
                 "videresendte et brev til en anden modtager i Digital Post",
                 "videresendte en besked om et brev på e-mail", "flyttede et brev",
                 "slettede et brev endeligt", "skrev et brev"):
        assert what in log, what
