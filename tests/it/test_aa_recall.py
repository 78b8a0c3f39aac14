# SPDX-License-Identifier: MIT
"""Administrativ Adgang: recall before the value date (issue 11 item 5,
docs/administrativ-adgang.md) over HTTP: only RECALL_ADMINISTRATOR of the sending
organisation sees and recalls its waiting letters; the confirmation step changes nothing; the
recall takes the API's path and adds MESSAGE_RECALLED_BY_ADMINISTRATOR and a receipt to the
sending system; another organisation's letter is not found."""
import pytest

from kuvert_harness import db_connect, run_cli
from test_web import csrf_of, sign_in

BASE = "/administrativ-adgang/tilbagekald"
DORTE = "dorte.styrelse@demostyrelsen.dk"     # Demostyrelsen (11223344), no recall right yet
PETER = "peter.sagsbehandler@kommunen.dk"     # Kommunen (12345678): RECALL_ADMINISTRATOR


@pytest.fixture
def rc(make_server, tmp_path):
    d = str(tmp_path / "data")
    demo = run_cli(["demo"], data=d)
    letter = [x for x in demo["letters"] if x["label"] == "Årsopgørelse"][0]  # 7 days ahead
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    return srv, letter["messageUUID"], d


def q(d, sql, *args):
    db = db_connect(d)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def state(d, uuid):
    return q(d, "SELECT state FROM letters WHERE message_uuid = ?", uuid)[0][0]


def test_recall_by_administrator(rc):
    srv, uuid, d = rc
    sign_in(srv, DORTE)
    assert srv.get(BASE).status_code == 403              # no RECALL_ADMINISTRATOR yet
    run_cli(["user", "grant", "--org", "11223344", "--right", "RECALL_ADMINISTRATOR",
             "--email", DORTE], data=d)
    r = srv.get(BASE)
    assert r.status_code == 200 and uuid in r.text and "Årsopgørelse" in r.text
    assert uuid in srv.get(BASE + "?q=0101701234").text
    assert uuid not in srv.get(BASE + "?q=2211771212").text
    page = srv.get(BASE + "/" + uuid)
    assert page.status_code == 200 and 'action="%s/%s"' % (BASE, uuid) in page.text
    assert state(d, uuid) == "AWAITING_DELAY"            # asking changes nothing
    assert srv.post(BASE + "/" + uuid, data={"csrf": "y" * 43}).status_code == 403
    assert state(d, uuid) == "AWAITING_DELAY"
    r = srv.post(BASE + "/" + uuid, data={"csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == BASE + "?ok=recalled"
    assert state(d, uuid) == "RECALLED"
    tags = [t for (t,) in q(d, "SELECT tag FROM events WHERE message_uuid = ? ORDER BY seq", uuid)]
    assert tags[-3:] == ["MEMO_MESSAGE_RECALLED", "DELAYED_MEMO_MESSAGE_RECALLED",
                         "MESSAGE_RECALLED_BY_ADMINISTRATOR"]
    actor = q(d, "SELECT actor FROM events WHERE message_uuid = ? AND tag = "
                 "'MESSAGE_RECALLED_BY_ADMINISTRATOR'", uuid)[0][0]
    assert actor and actor != "admin"
    rec = q(d, "SELECT r.receipt_status, r.error_code, s.org_cvr FROM receipts r JOIN systems s"
               " ON s.id = r.system_id WHERE r.message_uuid = ? ORDER BY r.id", uuid)
    assert rec[-1] == ("NOT_ALLOWED", "MESSAGE_RECALLED_BY_ADMINISTRATOR", "11223344")
    r = srv.get(BASE)
    assert uuid not in r.text and "Brevet er tilbagekaldt." not in r.text
    assert "Brevet er tilbagekaldt." in srv.get(BASE + "?ok=recalled").text


def test_other_organisation_cannot_see_or_recall(rc):
    srv, uuid, d = rc
    sign_in(srv, PETER)
    r = srv.get(BASE)
    assert r.status_code == 200 and uuid not in r.text
    assert srv.get(BASE + "/" + uuid).status_code == 404
    csrf = csrf_of(r.text)
    assert srv.post(BASE + "/" + uuid, data={"csrf": csrf}).status_code == 404
    assert state(d, uuid) == "AWAITING_DELAY"
    assert srv.get(BASE + "/not-a-uuid").status_code == 404


def test_published_letter_cannot_be_recalled(rc):
    srv, uuid, d = rc
    run_cli(["user", "grant", "--org", "11223344", "--right", "RECALL_ADMINISTRATOR",
             "--email", DORTE], data=d)
    srv.advance_clock("8d")                              # past the value date
    sign_in(srv, DORTE)
    page = srv.get(BASE)
    assert page.status_code == 200 and uuid not in page.text   # no longer waiting
    r = srv.post(BASE + "/" + uuid, data={"csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 409 and "Brevet kan ikke tilbagekaldes" in r.text
    assert state(d, uuid) != "RECALLED"
    assert not q(d, "SELECT 1 FROM events WHERE message_uuid = ? AND tag = "
                    "'MESSAGE_RECALLED_BY_ADMINISTRATOR'", uuid)


def test_demo_recall_administrator_has_a_letter_to_recall(rc):
    # make run: Kommunen's RECALL_ADMINISTRATOR finds and recalls its own waiting demo letter
    srv, _, d = rc
    sign_in(srv, PETER)
    page = srv.get(BASE)
    assert page.status_code == 200 and "Varsel om ændret ydelse" in page.text
    uuid = q(d, "SELECT message_uuid FROM letters WHERE label = 'Varsel om ændret ydelse'")[0][0]
    r = srv.post(BASE + "/" + uuid, data={"csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 303 and state(d, uuid) == "RECALLED"
