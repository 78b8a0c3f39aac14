# SPDX-License-Identifier: MIT
"""A mailbox write larger than its contact point accepts is refused before it is parsed
(issue 8, item 7: a citizen's 127 MB write was parsed, +363 MiB, before the point's limit was
checked). The request to a 1 MB point carrying ~30 MB of files gets 413
CONTACT_POINT_SIZE_LIMIT, and the server's peak memory grows by a small multiple of the body it
had to read, not by the JSON tree (measured with a body of many small objects, whose tree is
~10 times its size); a reply to a letter from that point is
gated the same way; a write within the limit still goes through.
"""
import base64
import json

import pytest

from kuvert_harness import assert_error_message
from readside_util import bearer, mailbox, setup_org, user_token
from test_mailbox_send import AUTH, CPR1, authority_letter, point
from test_recipient_pull import recipient_system

FILE_BYTES = 30_000_000


def peak_rss_kib(srv):
    with open("/proc/%d/status" % srv.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture
def world(make_server):
    srv = make_server()
    srv.cli(["org", "add", "--cvr", AUTH, "--name", "Kommunen"], json_out=False)
    r = recipient_system(srv, AUTH, default=True)
    w = {"srv": srv, "small": point(srv, "Lille", r, "--max-mb", "1"),
         "sender": setup_org(srv, AUTH)}
    mailbox(srv, cpr=CPR1, name="Borger")
    w["tok"] = bearer(user_token(srv, cpr=CPR1))
    return w


def big_body(point_id=None):
    content = base64.b64encode(b"%PDF" + b"\x00" * (FILE_BYTES - 4)).decode()
    body = {"label": "Stor", "text": "se bilag",
            "attachments": [{"filename": "stor.pdf", "mimeType": "application/pdf",
                             "content": content}]}
    if point_id:
        body = dict({"contactPointId": point_id}, **body)
    return json.dumps(body).encode()


def many_entries_body(point_id=None, n=400_000):
    """~17 MB of JSON whose parse costs far more than its bytes: jansson spends hundreds of
    bytes on each of these small objects, so parsing it shows in the peak memory whatever the
    allocator (a plain big string would not under ASan, whose realloc copies the body buffer)."""
    entries = ",".join(['{"filename":"a.pdf","content":"AAAA"}'] * n)
    head = '{"contactPointId":"%s",' % point_id if point_id else "{"
    return (head + '"label":"Stor","text":"se bilag","attachments":[' + entries + "]}").encode()


def test_oversized_write_is_refused_before_parsing(world):
    srv = world["srv"]
    h = dict(world["tok"], **{"Content-Type": "application/json"})
    # not parsed: the peak grows by a few times the bytes read, not by the JSON tree
    data = many_entries_body(world["small"])
    before = peak_rss_kib(srv)
    assert_error_message(srv.post("/api/mailbox/messages", data=data, headers=h), 413,
                         "CONTACT_POINT_SIZE_LIMIT")
    grew_mb = (peak_rss_kib(srv) - before) / 1024
    body_mb = len(data) / 1048576
    print("body %.1f MiB, peak RSS grew %.1f MiB" % (body_mb, grew_mb))
    assert grew_mb < body_mb * 5, (grew_mb, body_mb)
    data = big_body(world["small"])
    r = srv.post("/api/mailbox/messages", data=data, headers=h)
    err = assert_error_message(r, 413, "CONTACT_POINT_SIZE_LIMIT")
    assert "1 MB" in err["message"] and str(len(data)) in err["message"], err
    # within the limit it still works
    ok = {"contactPointId": world["small"], "label": "Lille", "text": "hej",
          "attachments": [{"filename": "a.pdf", "mimeType": "application/pdf",
                           "content": base64.b64encode(b"%PDF" + b"\x00" * 1000).decode()}]}
    r = srv.post("/api/mailbox/messages", json=ok, headers=world["tok"])
    assert r.status_code == 201, r.text


def test_oversized_reply_is_refused_before_parsing(world):
    srv = world["srv"]
    uuid = authority_letter(srv, world["sender"], CPR1, sender_point=world["small"])
    h = dict(world["tok"], **{"Content-Type": "application/json"})
    data = many_entries_body()
    before = peak_rss_kib(srv)
    r = srv.post("/api/mailbox/messages/%s/reply" % uuid, data=data, headers=h)
    assert_error_message(r, 413, "CONTACT_POINT_SIZE_LIMIT")
    assert (peak_rss_kib(srv) - before) / 1024 < len(data) / 1048576 * 5
    r = srv.post("/api/mailbox/messages/%s/reply" % uuid, data=big_body(), headers=h)
    assert_error_message(r, 413, "CONTACT_POINT_SIZE_LIMIT")


def test_key_order_and_escapes_do_not_matter(world):
    """contactPointId after the attachments, or spelt with an escape (found only by the full
    parse), is refused all the same."""
    srv = world["srv"]
    data = big_body()[:-1] + (', "contactPointId": "%s"}' % world["small"]).encode()
    r = srv.post("/api/mailbox/messages", data=data,
                 headers=dict(world["tok"], **{"Content-Type": "application/json"}))
    assert_error_message(r, 413, "CONTACT_POINT_SIZE_LIMIT")
    data = big_body()[:-1] + (', "contactPoint\\u0049d": "%s"}' % world["small"]).encode()
    r = srv.post("/api/mailbox/messages", data=data,
                 headers=dict(world["tok"], **{"Content-Type": "application/json"}))
    assert_error_message(r, 413, "CONTACT_POINT_SIZE_LIMIT")


def declared_only(srv, path, token_header, length):
    """Sends only the headers of a POST declaring `length` body bytes; returns the status line
    and headers the server answers with before any body byte was sent."""
    import socket
    import urllib.parse
    u = urllib.parse.urlparse(srv.url)
    s = socket.create_connection((u.hostname, u.port), timeout=60)
    try:
        s.sendall(("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                   % (path, u.netloc, token_header, length)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode("latin-1")
    finally:
        s.close()


def test_declared_size_is_refused_before_the_body_is_read(world):
    """With Content-Length over what any point open to the writer accepts (here one 1 MB point),
    the answer comes before a single body byte is sent; a reply the same (its point)."""
    srv = world["srv"]
    auth = world["tok"]["Authorization"]
    head = declared_only(srv, "/api/mailbox/messages", auth, 40_000_000)
    assert head.startswith("HTTP/1.1 413"), head
    uuid = authority_letter(srv, world["sender"], CPR1, sender_point=world["small"])
    head = declared_only(srv, "/api/mailbox/messages/%s/reply" % uuid, auth, 40_000_000)
    assert head.startswith("HTTP/1.1 413"), head
    # a size the point may need is let through to the body (the server then waits for it)
    r = srv.post("/api/mailbox/messages", json={"contactPointId": world["small"], "label": "x",
                                                "text": "hej"}, headers=world["tok"])
    assert r.status_code == 201, r.text
