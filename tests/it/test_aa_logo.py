# SPDX-License-Identifier: MIT
"""Administrativ Adgang: the organisation's logo (issue 11 item 4,
docs/administrativ-adgang.md "Logo"). Only ORGANISATION_ADMINISTRATOR uploads, previews and
deletes; a file is accepted only when libpng decodes all of it within 1 MB and 16..2000 px, and
every refusal says why next to the field; /logo/{cvr} serves it as image/png with an ETag and
caching headers; recipients see it beside the sender's name in /post/."""
import re
import uuid as uuid_mod
import struct
import zlib

import pytest

from kuvert_harness import db_connect, run_cli
from test_web import csrf_of, sign_in

BASE = "/administrativ-adgang/logo"
SOEREN = "soeren.system@kommunen.dk"          # Kommunen (12345678): ORGANISATION_ADMINISTRATOR
PETER = "peter.sagsbehandler@kommunen.dk"     # Kommunen, without it
METTE = "2211771212"                          # got "Velkommen til Digital Post" from Kommunen
KOMMUNEN = "12345678"


def png(w, h, color=(0, 90, 160)):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\x00" + bytes(color) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def lg(make_server, tmp_path):
    d = str(tmp_path / "data")
    run_cli(["demo"], data=d)
    return make_server(data_dir=d, args=["--test-login"]), d


def upload(srv, data, filename="logo.png", csrf=None, ctype="image/png"):
    page = srv.get(BASE)
    token = csrf if csrf is not None else csrf_of(page.text)
    return srv.post(BASE, data={"csrf": token}, files={"logo": (filename, data, ctype)},
                    allow_redirects=False)


def events(d, tag):
    db = db_connect(d)
    try:
        return db.execute("SELECT actor, subject, props FROM events WHERE tag = ? ORDER BY seq",
                          (tag,)).fetchall()
    finally:
        db.close()


def test_upload_preview_serve_and_delete(lg):
    srv, d = lg
    sign_in(srv, SOEREN)
    page = srv.get(BASE)
    assert page.status_code == 200 and "Organisationen har intet logo." in page.text
    image = png(120, 40)
    r = upload(srv, image)
    assert r.status_code == 303 and r.headers["Location"] == BASE + "?ok=saved"
    page = srv.get(BASE + "?ok=saved")
    assert "Logoet er gemt." in page.text and "120 × 40 px" in page.text
    m = re.search(r'<img src="(/logo/12345678\?v=[0-9a-f]{64})"', page.text)
    assert m, page.text
    (ev,) = events(d, "ORGANISATION_LOGO_CHANGED")
    assert ev[0] and ev[0] != "admin" and ev[1] == "cvr:" + KOMMUNEN
    r = srv.get(m.group(1))
    assert r.status_code == 200 and r.content == image
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=" in r.headers["Cache-Control"] and "public" in r.headers["Cache-Control"]
    etag = r.headers["ETag"]
    assert srv.get("/logo/" + KOMMUNEN, headers={"If-None-Match": etag}).status_code == 304
    # the recipient sees it beside the sender's name, in the list and in the letter
    srv.session.cookies.clear()
    sign_in(srv, METTE)
    folder = srv.get("/post/")
    assert folder.status_code == 200 and 'src="/logo/12345678?v=' in folder.text
    uuid = re.search(r'href="/post/brev/([0-9a-f-]{36})"', folder.text).group(1)
    letter = srv.get("/post/brev/" + uuid)
    assert 'class="sender-logo" src="/logo/12345678?v=' in letter.text
    # two more letters from Kommunen: every row carries the logo (kv__web_logo_img_memo looks it
    # up once per page and reuses it for the later rows)
    con = db_connect(d)
    for _ in range(2):
        con.execute(
            "INSERT INTO letters (message_uuid, transmission_id, sender_system, sender_cvr,"
            " sender_label, recipient_type, recipient_id, mailbox_id, label, message_type,"
            " memo_version, body_sha256, body, size, state, receipt_status, available_ms,"
            " created_ms, folder) SELECT ?, transmission_id, sender_system, sender_cvr,"
            " sender_label, recipient_type, recipient_id, mailbox_id, label, message_type,"
            " memo_version, body_sha256, body, size, state, receipt_status, available_ms,"
            " created_ms, folder FROM letters WHERE message_uuid = ?",
            (str(uuid_mod.uuid4()), uuid))
    con.commit()
    con.close()
    folder = srv.get("/post/")
    assert folder.text.count('href="/post/brev/') == 3
    assert folder.text.count('class="sender-logo" src="/logo/12345678?v=') == 3
    # delete
    srv.session.cookies.clear()
    sign_in(srv, SOEREN)
    page = srv.get(BASE)
    r = srv.post(BASE + "/slet", data={"csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == BASE + "?ok=deleted"
    assert srv.get("/logo/" + KOMMUNEN).status_code == 404
    assert len(events(d, "ORGANISATION_LOGO_DELETED")) == 1
    assert "Organisationen har intet logo." in srv.get(BASE).text


@pytest.mark.parametrize("data,status,reason", [
    (b"GIF89a not a png at all", 400, "Filen er ikke et PNG-billede"),
    (png(64, 64)[:60], 400, "PNG-billedet er beskadiget"),
    (png(64, 64)[:-20] + b"\x00" * 20, 400, "PNG-billedet er beskadiget"),
    (png(8, 8), 400, "Billedet er for lille"),
    (png(2500, 20), 400, "Billedet er for stort"),
    (b"", 400, "Vælg en PNG-fil."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 + 10), 413, "Filen er større end 1 MB."),
], ids=["gif", "cut", "corrupt-crc", "tiny", "huge", "empty", "over-1mb"])
def test_refused_files_say_why_next_to_the_field(lg, data, status, reason):
    srv, d = lg
    sign_in(srv, SOEREN)
    r = upload(srv, data)
    assert r.status_code == status
    assert 'class="form-group form-error"' in r.text
    err = re.search(r'<span class="form-error-message" id="logo-file-error">(.*?)</span></span>|'
                    r'<span class="form-error-message" id="logo-file-error">.*?</span>(.*?)</span>',
                    r.text)
    assert err and reason in r.text[err.start():err.end() + 200]
    assert 'aria-describedby="logo-file-hint logo-file-error"' in r.text
    assert srv.get("/logo/" + KOMMUNEN).status_code == 404
    assert not events(d, "ORGANISATION_LOGO_CHANGED")


def test_only_organisation_administrator_and_csrf(lg):
    srv, d = lg
    sign_in(srv, PETER)
    assert srv.get(BASE).status_code == 403
    assert srv.post(BASE, data={"csrf": "x"}, files={"logo": ("a.png", png(32, 32), "image/png")},
                    allow_redirects=False).status_code == 403
    srv.session.cookies.clear()
    sign_in(srv, SOEREN)
    assert upload(srv, png(32, 32), csrf="y" * 43).status_code == 403
    assert srv.get("/logo/" + KOMMUNEN).status_code == 404
    assert srv.get("/logo/1234").status_code == 404
    assert srv.get("/logo/..%2f..%2fetc").status_code == 404
