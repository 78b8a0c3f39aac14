# SPDX-License-Identifier: MIT
"""Read and read-write access for helpers at /post/ (docs/mailbox-web.md "Access for helpers")
over HTTP on a `kuvert demo` server with --test-login: a helper asks by first name, last name
and CPR (a wrong name or an unknown CPR get the same refusal and store nothing), the owner
sees and approves the request, the helper switches to the mailbox and reads post from before
the grant (MAILBOX_READ_BY_PARTY_REPRESENTATIVE), cannot write, reply, delete permanently or
answer requests with read access (403 from the one authorisation table), the owner's activity
log names the helper, either side revokes (ACCESS_REQUEST_REVOKED) and the helper then sees
nothing of the owner's post; a read-write helper's reply names them to the authority as MeMo
Sender/Representative. Browser checks: tests/web/post_access.test.mjs."""
import re

import pytest

from test_mailbox_web import Browser, csrf_of, uuid_of, JENS, METTE
from kuvert_harness import db_connect, run_cli

SOFIE = "1502851236"


@pytest.fixture
def post(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d, json_out=False)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.db = db_connect(d)
    if hasattr(srv.db, "isolation_level"):
        srv.db.isolation_level = None
    return srv


def events(srv, tag, subject=None):
    q = "SELECT actor, subject, message_uuid FROM events WHERE tag = ?"
    args = [tag]
    if subject:
        q += " AND subject = ?"
        args.append(subject)
    return srv.db.execute(q + " ORDER BY seq", tuple(args)).fetchall()


def requests_of(srv, cpr):
    return srv.db.execute("SELECT id, type, state FROM privilege_requests WHERE scope_id = ?"
                          " ORDER BY id", (cpr,)).fetchall()


def ask(b, first, last, cpr, level="r", until=""):
    csrf = csrf_of(b.get("/post/adgang/anmod").text)
    return b.post("/post/adgang/anmod", {"csrf": csrf, "fornavn": first, "efternavn": last,
                                         "cpr": cpr, "adgang": level, "til": until})


def switch(b, value):
    return b.post("/post/postkasse", {"csrf": b.csrf(), "postkasse": value})


def test_read_access_flow(post):
    sofie, mette = Browser(post, SOFIE), Browser(post, METTE)
    letter = uuid_of(post, METTE, "Velkommen til Digital Post")   # from before any grant
    # a wrong name and an unknown CPR: the same refusal, nothing stored
    before = len(requests_of(post, METTE))
    r1 = ask(sofie, "Mette", "Jensen", METTE)
    r2 = ask(sofie, "Mette", "Hansen", "0101019999")
    assert r1.status_code == r2.status_code == 400
    assert "Ingen postkasse passer" in r1.text and "Ingen postkasse passer" in r2.text
    assert len(requests_of(post, METTE)) == before
    assert ask(sofie, "Sofie", "Nielsen", SOFIE).status_code == 400       # own mailbox
    assert ask(sofie, "Mette", "Hansen", METTE, until="2001-01-01").status_code == 400
    # the request (names compared without case, CPR with a dash)
    r = ask(sofie, "mette", "HANSEN", "221177-1212")
    assert r.status_code == 303, r.text
    rid, typ, state = requests_of(post, METTE)[-1]
    assert (typ, state) == ("MAILBOX_READ", "SUBMITTED")
    assert events(post, "ACCESS_REQUEST_SUBMITTED", "cpr:" + METTE)
    assert ask(sofie, "Mette", "Hansen", METTE).status_code == 409       # waits already
    # before approval the helper cannot switch to the mailbox
    assert switch(sofie, "CPR:" + METTE).status_code == 403
    # the helper cannot approve her own request (not her mailbox: not found)
    path = "/post/adgang/anmodning/%d/godkend" % rid
    assert sofie.post(path, {"csrf": sofie.csrf()}).status_code == 404
    # the owner sees it and approves it
    page = mette.get("/post/adgang").text
    assert "Sofie Nielsen" in page and path in page
    assert mette.post(path, {"csrf": mette.csrf()}).status_code == 303
    assert requests_of(post, METTE)[-1][2] == "APPROVED"
    assert events(post, "ACCESS_REQUEST_APPROVED", "cpr:" + METTE)
    assert mette.post(path, {"csrf": mette.csrf()}).status_code == 409   # answered already
    # the helper switches and reads post from before the grant
    assert "Mette Hansen" in sofie.get("/post/adgang").text
    assert switch(sofie, "CPR:" + METTE).status_code == 303
    folder = sofie.get("/post/").text
    assert "Velkommen til Digital Post" in folder and "læseadgang" in folder
    assert sofie.get("/post/brev/" + letter).status_code == 200
    ev = events(post, "MAILBOX_READ_BY_PARTY_REPRESENTATIVE", "cpr:" + METTE)
    assert ev and ev[-1][0] == "cpr:" + SOFIE and ev[-1][2] == letter
    # read access: move and unread yes; write, reply, purge, answering requests no (403)
    csrf = sofie.csrf()
    assert sofie.post("/post/brev/%s/flyt" % letter, {"csrf": csrf, "mappe": "deleted"}
                      ).status_code == 303
    assert sofie.post("/post/brev/%s/slet-endeligt" % letter, {"csrf": csrf}).status_code == 403
    assert sofie.get("/post/brev/%s/svar" % letter).status_code == 403
    assert sofie.post("/post/brev/%s/svar" % letter, {"csrf": csrf, "text": "x"}
                      ).status_code == 403
    assert sofie.post("/post/adgang/anmodning/1/godkend", {"csrf": csrf}).status_code == 403
    assert "slet-endeligt" not in sofie.get("/post/brev/" + letter).text
    assert post.db.execute("SELECT folder FROM letters WHERE message_uuid = ?",
                           (letter,)).fetchone()[0] == "deleted"
    assert sofie.get("/post/aktivitet").status_code == 200
    # the owner's activity log names the helper
    log = mette.get("/post/aktivitet").text
    assert "Sofie Nielsen (150285-1236)" in log and "åbnede et brev som hjælper" in log
    assert "flyttede et brev" in log
    # the owner revokes; the helper sees nothing of her post any more
    pid = post.db.execute("SELECT id FROM privileges WHERE scope_id = ? AND grantee_person_id ="
                          " (SELECT id FROM persons WHERE cpr = ?) AND status = 'ACTIVE'",
                          (METTE, SOFIE)).fetchone()[0]
    assert mette.post("/post/adgang/%d/ophaev" % pid, {"csrf": mette.csrf()}).status_code == 303
    assert post.db.execute("SELECT status FROM privileges WHERE id = ?", (pid,)
                           ).fetchone()[0] == "REVOKED"
    assert events(post, "ACCESS_REQUEST_REVOKED", "cpr:" + METTE)
    assert "Velkommen til Digital Post" not in sofie.get("/post/?mappe=deleted").text
    assert sofie.get("/post/brev/" + letter).status_code == 404
    assert switch(sofie, "CPR:" + METTE).status_code == 403


def test_revoke_is_only_for_the_two_sides(post):
    """A third person cannot revoke an access (404 like an unknown id); the owner rejects."""
    jens, mette, sofie = Browser(post, JENS), Browser(post, METTE), Browser(post, SOFIE)
    pid = post.db.execute("SELECT id FROM privileges WHERE scope_id = ? AND status = 'ACTIVE'"
                          " AND type = 'MAILBOX_READ'", (JENS,)).fetchone()[0]   # Sofie's
    assert mette.post("/post/adgang/%d/ophaev" % pid, {"csrf": mette.csrf()}).status_code == 404
    assert mette.post("/post/adgang/999999/ophaev", {"csrf": mette.csrf()}).status_code == 404
    assert sofie.post("/post/adgang/%d/ophaev" % pid, {"csrf": sofie.csrf()}).status_code == 303
    assert post.db.execute("SELECT status FROM privileges WHERE id = ?", (pid,)
                           ).fetchone()[0] == "REVOKED"
    # Jens rejects Mette's waiting request (demo)
    rid = requests_of(post, JENS)[-1][0]
    assert jens.post("/post/adgang/anmodning/%d/afvis" % rid,
                     {"csrf": jens.csrf()}).status_code == 303
    assert requests_of(post, JENS)[-1][2] == "REJECTED"
    assert events(post, "ACCESS_REQUEST_REJECTED", "cpr:" + JENS)


def test_read_write_helper_replies_in_the_owners_name(post):
    jens, mette = Browser(post, JENS), Browser(post, METTE)
    rid, typ, _ = requests_of(post, JENS)[-1]          # demo: Mette asked for read-write
    assert typ == "MAILBOX_READ_WRITE"
    assert jens.post("/post/adgang/anmodning/%d/godkend" % rid,
                     {"csrf": jens.csrf()}).status_code == 303
    assert switch(mette, "CPR:" + JENS).status_code == 303
    u = uuid_of(post, JENS, "Afgørelse om boligstøtte")
    page = mette.get("/post/brev/" + u).text
    assert 'href="/post/brev/%s/svar"' % u in page
    csrf = csrf_of(mette.get("/post/brev/%s/svar" % u).text)
    r = mette.post("/post/brev/%s/svar" % u, {"csrf": csrf, "text": "Svar fra Mette"})
    assert r.status_code == 303, r.text
    new = r.headers["Location"].rsplit("/", 1)[1]
    row = post.db.execute("SELECT l.sender_mailbox_id, m.owner_id FROM letters l JOIN mailboxes m"
                          " ON m.id = l.sender_mailbox_id WHERE l.message_uuid = ?",
                          (new,)).fetchone()
    assert row[1] == JENS                                  # written from Jens's mailbox
    xml = letter_xml(post, new)
    assert re.search(r"<(\w+:)?Representative>.*%s.*Mette Hansen" % METTE, xml, re.S), xml[:2000]
    ev = events(post, "MAILBOX_MESSAGE_SENT", "cpr:" + JENS)
    assert ev and ev[-1][0] == "cpr:" + METTE
    assert "skrev et brev" in jens.get("/post/aktivitet").text
    # Mette gives the access up herself
    pid = post.db.execute("SELECT id FROM privileges WHERE scope_id = ? AND status = 'ACTIVE'"
                          " AND type = 'MAILBOX_READ_WRITE'", (JENS,)).fetchone()[0]
    assert mette.post("/post/adgang/%d/ophaev" % pid, {"csrf": mette.csrf()}).status_code == 303
    assert "Afgørelse om boligstøtte" not in mette.get("/post/").text
    assert mette.get("/post/brev/" + u).status_code == 404


def letter_xml(srv, uuid):
    row = srv.db.execute("SELECT body FROM letters WHERE message_uuid = ?", (uuid,)).fetchone()
    b = row[0]
    return b.decode() if isinstance(b, (bytes, bytearray, memoryview)) and not isinstance(b, str) \
        else str(b)
