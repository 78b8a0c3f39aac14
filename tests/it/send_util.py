# SPDX-License-Identifier: MIT
"""Helpers for the send-pipeline integration tests (test_send.py, test_valuedate.py,
test_crash.py): the official MeMo examples with a fresh messageUUID and an adjusted recipient,
bulk archives (tar + LZMA "alone" or xz, stdlib only), and read-only queries of the server's
SQLite database (DIR/kuvert.db, WAL mode, so reading while the server runs is safe).
"""
import io
import lzma
import os
import re
import sqlite3
import tarfile
import uuid as uuidlib

from kuvert_harness import ROOT, db_connect

EXAMPLES = os.path.join(ROOT, "tests", "data", "examples")
FULL_12 = "itk-dev-rpa_python-serviceplatformen__MeMo_Full_Example__memo-1.2.xml"
MIN_12 = "itk-dev-rpa_python-serviceplatformen__MeMo_Minimum_Example__memo-1.2.xml"
FULL_11 = "itk-dev-rpa_python-serviceplatformen__MeMo_Full_Example__memo-1.1.xml"
MIN_11 = "itk-dev-rpa_python-serviceplatformen__MeMo_Minimum_Example__memo-1.1.xml"
EXAMPLE_UUID = "8C2EA15D-61FB-4BA9-9366-42F8B194C114"
SENDER_CVR = "12345678"          # Sender/senderID of the official examples
REPRESENTATIVE_CVR = "87654321"  # Sender/Representative/representativeID of Full 1.2
EXAMPLE_CPR = "2211771212"       # Recipient/recipientID of the examples

_cache = {}


def delegate_to_representative(srv):
    """Full 1.2 names REPRESENTATIVE_CVR as Representative of SENDER_CVR: the letter is true,
    and SENDER_CVR's systems may send it, once SENDER_CVR delegated sending to it."""
    srv.cli(["org", "add", "--cvr", REPRESENTATIVE_CVR, "--name", "Repræsentant Kommune"],
            json_out=False, check=False)
    srv.cli(["delegation", "add", "--org", SENDER_CVR, "--delegate", REPRESENTATIVE_CVR])


def example_text(name):
    if name not in _cache:
        with open(os.path.join(EXAMPLES, name), "r", encoding="utf-8") as f:
            _cache[name] = f.read()
    return _cache[name]


def letter(name=MIN_12, uuid=None, cpr=None, cvr=None, value_date="keep", sender=None,
           upper=False):
    """An official example as bytes with messageUUID replaced (fresh v4 unless given; every
    occurrence, so ForwardData/ReplyData stay consistent), the recipient replaced by cpr or
    cvr, doNotDeliverUntilDate replaced (value_date a date string), removed (None) or kept,
    and Sender/senderID replaced by sender. Returns (uuid, bytes)."""
    uuid = uuid or str(uuidlib.uuid4())
    text = example_text(name).replace(EXAMPLE_UUID, uuid.upper() if upper else uuid)
    if cpr or cvr:
        rid, rtype = (cpr, "CPR") if cpr else (cvr, "CVR")
        text = re.sub(r"(<memo:Recipient>\s*<memo:recipientID>)[^<]*(</memo:recipientID>\s*"
                      r"<memo:idType>)[^<]*(</memo:idType>)",
                      lambda m: m.group(1) + rid + m.group(2) + rtype + m.group(3), text, count=1)
    if sender:
        text = re.sub(r"(<memo:Sender>\s*<memo:senderID>)[^<]*(</memo:senderID>)",
                      lambda m: m.group(1) + sender + m.group(2), text, count=1)
    if value_date is None:
        text = re.sub(r"\s*<memo:doNotDeliverUntilDate>[^<]*</memo:doNotDeliverUntilDate>", "",
                      text)
    elif value_date != "keep":
        if "<memo:doNotDeliverUntilDate>" in text:
            text = re.sub(r"<memo:doNotDeliverUntilDate>[^<]*</memo:doNotDeliverUntilDate>",
                          "<memo:doNotDeliverUntilDate>%s</memo:doNotDeliverUntilDate>"
                          % value_date, text)
        else:
            text = text.replace("</memo:label>\n\t\t<memo:Sender>",
                                "</memo:label>\n\t\t<memo:doNotDeliverUntilDate>%s"
                                "</memo:doNotDeliverUntilDate>\n\t\t<memo:Sender>" % value_date, 1)
            assert "doNotDeliverUntilDate" in text
    return uuid, text.encode("utf-8")


def xml_headers(auth):
    h = dict(auth)
    h["Content-Type"] = "application/xml"
    return h


def send(srv, auth, body, uuid, content_type="application/xml"):
    h = dict(auth)
    h["Content-Type"] = content_type
    return srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=body, headers=h)


def archive(entries, fmt="alone"):
    """A tar of (name, bytes) entries compressed as LZMA 'alone' (.lzma) or xz."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    if fmt == "alone":
        return lzma.compress(raw.getvalue(), format=lzma.FORMAT_ALONE)
    if fmt == "xz":
        return lzma.compress(raw.getvalue(), format=lzma.FORMAT_XZ)
    return raw.getvalue()


def db(srv_or_dir):
    """A read-only sqlite3 connection to the server's database."""
    d = srv_or_dir if isinstance(srv_or_dir, str) else srv_or_dir.data_dir
    con = db_connect(d, readonly=True)
    con.row_factory = sqlite3.Row
    return con


def query(srv, sql, *args):
    con = db(srv)
    try:
        return [dict(r) for r in con.execute(sql, args).fetchall()]
    finally:
        con.close()


def letter_row(srv, uuid):
    rows = query(srv, "SELECT * FROM letters WHERE message_uuid = ?", uuid.lower())
    return rows[0] if rows else None


def event_tags(srv, uuid):
    return [r["tag"] for r in query(srv, "SELECT tag FROM events WHERE message_uuid = ? "
                                         "ORDER BY seq", uuid.lower())]


def counts(srv):
    """Rows in the tables a submission writes."""
    return {t: query(srv, "SELECT count(*) AS n FROM %s" % t)[0]["n"]
            for t in ("letters", "events", "receipts", "print_jobs")}
