# SPDX-License-Identifier: MIT
"""Fjernprint, black-box (docs/print.md): a letter to an exempt recipient becomes one
print-ready PDF in DATA/print/<batch>/ with a manifest.json; `kuvert print list --json` and
`kuvert print mark-printed JOB` are the print provider's contract; the states are events and
receipts. The PDFs are checked with poppler-utils (pdfinfo for pages, pdftotext for text,
also cropped to the C5 envelope window of the address page).
"""
import json
import os
import subprocess
import threading
import time
import zlib

import pytest

from kuvert_harness import run_cli
from readside_util import send_letter, setup_org
from send_util import event_tags, query

EXEMPT_CPR = "0101701234"
NOADDR_CPR = "0202702345"
SENDER_CVR = "12345678"
ADDRESS = "Karen Poulsen\nHovedgaden 1, 2. th.\n1000 K\u00f8benhavn K"


def tiny_pdf(pages):
    """A small valid PDF with one line of text on each page (texts: list of ASCII strings)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = ("BT /F1 14 Tf 72 720 Td (%s) Tj ET" % text).encode()
        objs.append("<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream.decode()))
        content = len(objs)
        objs.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content)
        kids.append("%d 0 R" % len(objs))
    objs[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(kids), len(kids))
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(out))
        out += ("%d 0 obj\n%s\nendobj\n" % (i + 1, o)).encode()
    xref = len(out)
    out += ("xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)).encode()
    for off in offsets:
        out += ("%010d 00000 n \n" % off).encode()
    out += ("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref)).encode()
    return out


def tiny_png():
    def chunk(t, d):
        c = t + d
        return len(d).to_bytes(4, "big") + c + zlib.crc32(c).to_bytes(4, "big")
    ihdr = (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def env(server):
    org = setup_org(server, SENDER_CVR, name="Testkommune")
    server.cli(["mailbox", "add", "--cpr", EXEMPT_CPR, "--name", "Karen Poulsen", "--exempt",
                "--address", ADDRESS])
    server.cli(["mailbox", "add", "--cpr", NOADDR_CPR, "--name", "Uden Adresse", "--exempt"])
    return {"srv": server, "org": org}


def jobs(srv):
    return srv.cli(["print", "list"])


def wait_job(srv, uuid, state=None, rendered=True, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for j in jobs(srv):
            if j["letter"] == uuid and (not rendered or j["pdf"] or j["state"] == "FAILED"):
                if state is None or j["state"] == state:
                    return j
        time.sleep(0.2)
    raise AssertionError("no print job for %s in time: %s" % (uuid, jobs(srv)))


def pdftext(path, *args):
    return subprocess.run(["pdftotext", "-layout", *args, path, "-"], capture_output=True,
                          text=True, check=True).stdout


def pdfpages(path):
    out = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    return int([ln for ln in out.splitlines() if ln.startswith("Pages:")][0].split()[1])


def receipts(srv, uuid):
    return query(srv, "SELECT receipt_status, error_code, error_message FROM receipts "
                      "WHERE message_uuid = ? ORDER BY id", uuid.lower())


def test_letter_becomes_one_pdf_with_address_page_and_documents(env):
    srv = env["srv"]
    html = (b"<html><head><title>x</title><style>p{color:red}</style>"
            b"<script>alert('HEMMELIG SCRIPT')</script></head>"
            b"<body><h1>Afg\xc3\xb8relse</h1><p>Du har f\xc3\xa5et bevilget hj\xc3\xa6lp.</p>"
            b"<ul><li>Punkt et</li><li>Punkt to</li></ul></body></html>")
    uuid, rec = send_letter(
        srv, env["org"], cpr=EXEMPT_CPR, label="Afg\u00f8relse om hj\u00e6lp",
        files=[("brev.txt", "text/plain", "K\u00e6re Karen\n\nDette er brevets tekst.".encode())],
        attachments=[[("bilag.pdf", "application/pdf", tiny_pdf(["Bilag side EN", "Bilag side TO"]))],
                     [("svar.html", "text/html", html)],
                     [("foto.png", "image/png", tiny_png())],
                     [("defekt.pdf", "application/pdf", b"%PDF-1.4 this is not a pdf")]])
    assert rec["receiptStatus"] == "RECEIVED"
    job = wait_job(srv, uuid)
    assert job["state"] == "QUEUED", job
    assert set(job) >= {"id", "letter", "state", "pdf"}
    pdf = job["pdf"]
    assert os.path.isabs(pdf) and os.path.isfile(pdf)
    assert pdf.startswith(os.path.realpath(srv.data_dir) + "/print/")
    # address page + text (1) + PDF (2) + HTML (1); the image and the broken PDF are listed
    assert pdfpages(pdf) == 5
    assert job["pages"] == 5 and job["unprintable"] == 2
    page1 = pdftext(pdf, "-f", "1", "-l", "1")
    assert "Karen Poulsen" in page1 and "Hovedgaden 1, 2. th." in page1
    assert "1000 K\u00f8benhavn K" in page1
    assert "Testkommune" in page1 and uuid in page1
    assert "foto.png" in page1 and "defekt.pdf" in page1 and "Kan ikke printes" in page1
    assert "bilag.pdf" in page1
    # the envelope window (DIN 5008 B: 20 mm from the left, 45 mm from the top, 85 x 45 mm)
    mm = 72 / 25.4
    window = pdftext(pdf, "-f", "1", "-l", "1", "-x", str(int(20 * mm)), "-y",
                     str(int(45 * mm)), "-W", str(int(85 * mm)), "-H", str(int(45 * mm)))
    assert "Karen Poulsen" in window and "1000 K\u00f8benhavn K" in window
    assert "Testkommune" in window  # the return line
    assert "Afg\u00f8relse om hj\u00e6lp" not in window and uuid not in window
    assert "Dette er brevets tekst." in pdftext(pdf, "-f", "2", "-l", "2")
    assert "Bilag side EN" in pdftext(pdf, "-f", "3", "-l", "3")
    assert "Bilag side TO" in pdftext(pdf, "-f", "4", "-l", "4")
    p5 = pdftext(pdf, "-f", "5", "-l", "5")
    assert "Du har f\u00e5et bevilget hj\u00e6lp." in p5 and "Punkt to" in p5
    assert "HEMMELIG" not in p5 and "color" not in p5
    # the batch's manifest names the file
    batch_dir = os.path.dirname(pdf)
    with open(os.path.join(batch_dir, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["batch"] == job["batch"] == os.path.basename(batch_dir)
    entry = [e for e in manifest["jobs"] if e["id"] == job["id"]][0]
    assert entry["letter"] == uuid and entry["pdf"] == os.path.basename(pdf)
    assert entry["pages"] == 5 and "Hovedgaden 1" in entry["address"]
    # queued is an event and a receipt
    assert "PRINT_JOB_QUEUED" in event_tags(srv, uuid)
    assert [r["receipt_status"] for r in receipts(srv, uuid)] == ["RECEIVED", "RECEIVED"]


def test_mark_printed_completes_once(env):
    srv = env["srv"]
    uuid, _ = send_letter(srv, env["org"], cpr=EXEMPT_CPR)
    job = wait_job(srv, uuid)
    out = srv.cli(["print", "mark-printed", str(job["id"])])
    assert out == {"id": job["id"], "state": "PRINTED"}
    assert wait_job(srv, uuid)["state"] == "PRINTED"
    assert event_tags(srv, uuid)[-1] == "PRINT_JOB_PRINTED"
    last = receipts(srv, uuid)[-1]
    assert last["receipt_status"] == "COMPLETED" and last["error_code"] is None
    again = srv.cli(["print", "mark-printed", str(job["id"])], check=False, json_out=False)
    assert again.returncode == 1 and "not waiting for print" in again.stderr
    assert len(receipts(srv, uuid)) == 3, "nothing recorded twice"
    unknown = srv.cli(["print", "mark-printed", "999999"], check=False, json_out=False)
    assert unknown.returncode == 1 and "no print job" in unknown.stderr
    bad = srv.cli(["print", "mark-printed", "x1"], check=False, json_out=False)
    assert bad.returncode == 2


def test_mark_failed_needs_reason_and_tells_sender(env):
    srv = env["srv"]
    uuid, _ = send_letter(srv, env["org"], cpr=EXEMPT_CPR)
    job = wait_job(srv, uuid)
    noreason = srv.cli(["print", "mark-failed", str(job["id"])], check=False, json_out=False)
    assert noreason.returncode == 2
    srv.cli(["print", "mark-failed", str(job["id"]), "--reason", "Adressen findes ikke"])
    j = wait_job(srv, uuid, state="FAILED")
    assert j["error"] == "Adressen findes ikke"
    last = receipts(srv, uuid)[-1]
    assert last["receipt_status"] == "NOT_ALLOWED" and last["error_code"] == "PRINT_FAILED"
    assert "Adressen findes ikke" in last["error_message"]
    assert event_tags(srv, uuid)[-1] == "PRINT_JOB_FAILED"


def test_recipient_without_address_fails_with_reason(env):
    srv = env["srv"]
    uuid, _ = send_letter(srv, env["org"], cpr=NOADDR_CPR)
    j = wait_job(srv, uuid, state="FAILED")
    assert j["pdf"] is None and "postal address" in j["error"]
    last = receipts(srv, uuid)[-1]
    assert last["receipt_status"] == "NOT_ALLOWED" and last["error_code"] == "PRINT_FAILED"


def test_list_filters_and_text_output(env):
    srv = env["srv"]
    failed = srv.cli(["print", "list", "--state", "FAILED"])
    assert failed and all(j["state"] == "FAILED" for j in failed)
    bad = srv.cli(["print", "list", "--state", "LOST"], check=False, json_out=False)
    assert bad.returncode == 2
    text = srv.cli(["print", "list"], json_out=False)
    assert text.stdout.splitlines()[0].split()[:3] == ["ID", "LETTER", "STATE"]


def test_each_job_is_rendered_once_by_concurrent_workers(make_server):
    """The server's worker and three `kuvert print render` processes race for 12 jobs: every
    job ends up in exactly one batch manifest with one PRINT_JOB_QUEUED event."""
    srv = make_server()
    org = setup_org(srv, SENDER_CVR)
    srv.cli(["mailbox", "add", "--cpr", EXEMPT_CPR, "--exempt", "--address", ADDRESS])
    uuids = [send_letter(srv, org, cpr=EXEMPT_CPR)[0] for _ in range(12)]
    outs = []

    def worker():
        outs.append(run_cli(["print", "render"], data=srv.data_dir))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for u in uuids:
        wait_job(srv, u)
    seen = {}
    spool = os.path.join(srv.data_dir, "print")
    for batch in os.listdir(spool):
        mpath = os.path.join(spool, batch, "manifest.json")
        assert os.path.exists(mpath), "every batch directory has its manifest"
        with open(mpath) as f:
            for e in json.load(f)["jobs"]:
                seen[e["letter"]] = seen.get(e["letter"], 0) + 1
                assert os.path.exists(os.path.join(spool, batch, e["pdf"]))
    assert sorted(seen) == sorted(u.lower() for u in uuids)
    assert set(seen.values()) == {1}
    for u in uuids:
        assert event_tags(srv, u).count("PRINT_JOB_QUEUED") == 1
    assert len(outs) == 3
