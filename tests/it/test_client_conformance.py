# SPDX-License-Identifier: MIT
"""Client conformance of the sender-side HTTP API, black-box against the real server: the
requests real NgDP sender systems make (Netcompany's reference sender: `application/xml;
charset=utf-8`, lower-case UUIDs, `Basic <apiKey>`; NSwag clients generated from the NgDP
OpenAPI: one letter as multipart part `file` with memo-message-uuid; libcurl/HttpClient
transport details: Expect: 100-continue, chunked bodies) and the mistakes clients make, each
answered either by accepting what is harmless or by a precise ErrorMessage, never a 500 and
never a partial write. Decisions: docs/send-api.md and docs/receipts.md, "Client
compatibility".
"""
import base64
import gzip
import io
import lzma
import os
import re
import socket
import tarfile
import uuid as uuidlib

import pytest
import requests

from kuvert_harness import assert_error_message, refused_request
from readside_util import mailbox, setup_org, user_token
from send_util import delegate_to_representative
from send_util import (EXAMPLE_CPR, EXAMPLES, MIN_12, SENDER_CVR, archive, counts, letter,
                       letter_row, send)

COMPANY_CVR = "29189978"


@pytest.fixture(scope="module")
def env(server):
    e = {"srv": server, "org": setup_org(server, SENDER_CVR)}
    mailbox(server, cpr=EXAMPLE_CPR, name="Mette Hansen")
    mailbox(server, cvr=COMPANY_CVR, name="Firma A/S")
    delegate_to_representative(server)  # Full 1.2 names 87654321 as its Representative
    e["user"] = {"Authorization": "Bearer " + user_token(server, cpr=EXAMPLE_CPR)}
    return e


def post_letter(env, body, uuid, content_type="application/xml", path="/apis/v1/memos/",
                headers=None):
    h = dict(env["org"]["auth"])
    h["Content-Type"] = content_type
    h.update(headers or {})
    return env["srv"].post(path, params={"memo-message-uuid": uuid}, data=body, headers=h)


def raw_http(srv, head_lines, body=b"", read_interim=False):
    """Sends one request over a plain socket (Connection: close) and returns the raw answer."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    try:
        s.sendall(("\r\n".join(head_lines + ["Host: 127.0.0.1", "Connection: close"]) +
                   "\r\n\r\n").encode())
        interim = b""
        if read_interim:
            interim = s.recv(4096)
        s.sendall(body)
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
        return interim, out
    finally:
        s.close()


def status_of(raw):
    return int(raw.split(b"\r\n", 1)[0].split(b" ")[1])


# ---- single letters: Content-Type, UUID and URL variants real clients send ----

@pytest.mark.parametrize("ct", ["application/xml; charset=utf-8", "text/xml;charset=UTF-8",
                                "Application/XML", 'application/xml ; charset="utf-8"',
                                "text/xml; charset=utf-8; foo=bar"])
def test_content_type_parameters_are_accepted(env, ct):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = post_letter(env, body, uuid, content_type=ct)
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED"
    assert letter_row(env["srv"], uuid)["body"] == body


@pytest.mark.parametrize("ct", ["application/octet-stream", "application/json", ""])
def test_other_content_types_are_415(env, ct):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    before = counts(env["srv"])
    assert_error_message(post_letter(env, body, uuid, content_type=ct), 415,
                         "UNSUPPORTED_MEDIA_TYPE")
    assert counts(env["srv"]) == before


@pytest.mark.parametrize("in_letter,in_query", [("lower", "upper"), ("upper", "lower"),
                                                ("upper", "upper")])
def test_uuid_case_does_not_matter(env, in_letter, in_query):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, upper=in_letter == "upper")
    q = uuid.upper() if in_query == "upper" else uuid.lower()
    r = post_letter(env, body, q)
    assert r.status_code == 201, r.text
    assert r.json()["messageUUID"] == uuid.lower()
    # the resend with the other spelling is the same letter: original receipt, nothing new
    before = counts(env["srv"])
    r2 = post_letter(env, body, q.swapcase())
    assert r2.status_code == 201 and r2.json() == r.json()
    assert counts(env["srv"]) == before


def test_path_without_trailing_slash(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = post_letter(env, body, uuid, path="/apis/v1/memos")
    assert r.status_code == 201, r.text
    assert_error_message(post_letter(env, body, uuid, path="/apis/v1/memos//"), 404)


def test_unknown_query_parameters_are_ignored(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    h = dict(env["org"]["auth"], **{"Content-Type": "application/xml"})
    r = env["srv"].post("/apis/v1/memos/?memo-message-uuid=%s&foo=bar&trace=1" % uuid, data=body,
                        headers=h)
    assert r.status_code == 201, r.text


def test_uuid_parameter_with_surrounding_blanks_is_accepted(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    h = dict(env["org"]["auth"], **{"Content-Type": "application/xml"})
    r = env["srv"].post("/apis/v1/memos/?memo-message-uuid=%20" + uuid + "%20", data=body,
                        headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["messageUUID"] == uuid


@pytest.mark.parametrize("bad", ["z" * 36, "{%s}", "urn:uuid:%s", "nodash", "a" * 5000,
                                 "%s-extra"])
def test_malformed_uuid_parameter_is_precise_400(env, bad):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    value = bad % uuid if "%s" in bad else (uuid.replace("-", "") if bad == "nodash" else bad)
    before = counts(env["srv"])
    err = assert_error_message(post_letter(env, body, value), 400, "INVALID_MESSAGE_UUID")
    assert "not a UUID" in err["message"]
    assert err["fieldErrors"][0]["field"] == "memo-message-uuid"
    assert err["fieldErrors"][0]["rejectedValue"] == value
    assert counts(env["srv"]) == before
    assert letter_row(env["srv"], uuid) is None


def test_non_utf8_uuid_parameter(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    h = dict(env["org"]["auth"], **{"Content-Type": "application/xml"})
    r = env["srv"].post("/apis/v1/memos/?memo-message-uuid=%ff%fe", data=body, headers=h)
    err = assert_error_message(r, 400, "INVALID_MESSAGE_UUID")
    assert err["fieldErrors"][0]["rejectedValue"] is None


@pytest.mark.parametrize("order", ["match_first", "match_second"])
def test_repeated_uuid_parameter_is_refused(env, order):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    other = str(uuidlib.uuid4())
    pair = (uuid, other) if order == "match_first" else (other, uuid)
    h = dict(env["org"]["auth"], **{"Content-Type": "application/xml"})
    r = env["srv"].post("/apis/v1/memos/?memo-message-uuid=%s&memo-message-uuid=%s" % pair,
                        data=body, headers=h)
    err = assert_error_message(r, 400, "INVALID_MESSAGE_UUID")
    assert "more than once" in err["message"]
    assert letter_row(env["srv"], uuid) is None


@pytest.mark.parametrize("body", [b"", b"\xef\xbb\xbf", b"  \r\n\t"])
def test_empty_body_is_precise_400(env, body):
    before = counts(env["srv"])
    err = assert_error_message(post_letter(env, body, str(uuidlib.uuid4())), 400, "EMPTY_BODY")
    assert "empty" in err["message"]
    assert counts(env["srv"]) == before


# ---- single letters: byte-level variants of the XML ----

def test_bom_crlf_and_missing_declaration_are_accepted(env):
    for variant in ("bom", "crlf", "nodecl", "trailing"):
        uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
        if variant == "bom":
            body = b"\xef\xbb\xbf" + body
        elif variant == "crlf":
            body = body.replace(b"\n", b"\r\n")
        elif variant == "nodecl":
            body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", body)
        else:
            body = body + b"\n\n  "
        r = post_letter(env, body, uuid)
        assert r.status_code == 201, (variant, r.text)
        assert letter_row(env["srv"], uuid)["body"] == body, "stored byte for byte"


def test_whitespace_before_xml_declaration_is_refused_precisely(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    err = assert_error_message(post_letter(env, b"\n  " + body, uuid), 400,
                               "MEMO_VALIDATION_FAILED")
    assert err["fieldErrors"][0]["code"] == "XML-WF"
    assert "declaration" in err["fieldErrors"][0]["message"]


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-16", "UTF-7"])
def test_other_declared_encodings_are_refused(env, encoding):
    """MeMo is UTF-8 (issue 8): a letter in another encoding is refused, however correctly
    encoded, with rule XML-ENCODING, and nothing is stored."""
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    text = body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="%s"' % encoding)
    text = text.replace("<memo:label>Pladsanvisning</memo:label>",
                        "<memo:label>Plads æøå</memo:label>", 1)
    py = {"ISO-8859-1": "latin-1", "UTF-16": "utf-16", "UTF-7": "utf-7"}[encoding]
    err = assert_error_message(post_letter(env, text.encode(py), uuid), 400,
                               "MEMO_VALIDATION_FAILED")
    assert [f["code"] for f in err["fieldErrors"]] == ["XML-ENCODING"], err
    assert letter_row(env["srv"], uuid) is None


def test_gzip_content_encoding_is_415_not_a_parse_error(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    before = counts(env["srv"])
    err = assert_error_message(post_letter(env, gzip.compress(body), uuid,
                                           headers={"Content-Encoding": "gzip"}),
                               415, "UNSUPPORTED_MEDIA_TYPE")
    assert "Content-Encoding gzip" in err["message"]
    assert counts(env["srv"]) == before
    # identity is no encoding at all
    r = post_letter(env, body, uuid, headers={"Content-Encoding": "identity"})
    assert r.status_code == 201, r.text


# ---- HTTP transport ----

def test_expect_100_continue_and_chunked_bodies(env):
    srv, tok = env["srv"], env["org"]["token"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    interim, out = raw_http(srv, ["POST /apis/v1/memos/?memo-message-uuid=%s HTTP/1.1" % uuid,
                                  "Authorization: Basic " + tok,
                                  "Content-Type: application/xml; charset=utf-8",
                                  "Content-Length: %d" % len(body), "Expect: 100-continue"],
                            body, read_interim=True)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    assert status_of(out) == 201, out[:300]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 97]), body[i:i + 97])
                       for i in range(0, len(body), 97)) + b"0\r\n\r\n"
    _, out = raw_http(srv, ["POST /apis/v1/memos/?memo-message-uuid=%s HTTP/1.1" % uuid,
                            "Authorization: Basic " + tok, "Content-Type: text/xml",
                            "Transfer-Encoding: chunked"], chunked)
    assert status_of(out) == 201, out[:300]
    assert letter_row(srv, uuid)["body"] == body


def test_expect_100_continue_over_the_limit_is_413_before_the_body(env):
    srv, tok = env["srv"], env["org"]["token"]
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    try:
        s.sendall(("POST /apis/v1/memos/?memo-message-uuid=%s HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Basic %s\r\nContent-Type: application/xml\r\n"
                   "Content-Length: 999999999999\r\nExpect: 100-continue\r\n\r\n"
                   % (uuidlib.uuid4(), tok)).encode())
        first = s.recv(4096)
    finally:
        s.close()
    assert first.startswith(b"HTTP/1.1 413"), first[:200]
    assert b"PAYLOAD_TOO_LARGE" in first


def test_options_lists_methods(env):
    r = env["srv"].request("OPTIONS", "/apis/v1/memos/", headers=env["org"]["auth"])
    assert r.status_code == 204, r.text
    allow = [m.strip() for m in r.headers["Allow"].split(",")]
    assert {"POST", "OPTIONS"} <= set(allow)
    r = env["srv"].request("OPTIONS", "/apis/v1/receipts/1")
    assert r.status_code == 204
    assert {"GET", "HEAD", "DELETE", "OPTIONS"} <= {m.strip() for m in r.headers["Allow"].split(",")}
    assert_error_message(env["srv"].request("OPTIONS", "/apis/v1/nothing"), 404)


def test_head_is_safe_and_never_deletes_a_receipt(env):
    srv, org = env["srv"], env["org"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert post_letter(env, body, uuid).status_code == 201
    rid = [x for x in srv.get("/apis/v1/receipts-bulk/?size=1000",
                              headers=org["auth"]).json()["receipts"]
           if x.get("messageUUID") == uuid][0]["id"]
    h = srv.request("HEAD", "/apis/v1/receipts/%s?delete=true" % rid, headers=org["auth"])
    assert h.status_code == 200 and h.content == b""
    assert srv.get("/apis/v1/receipts/%s" % rid, headers=org["auth"]).status_code == 200
    assert srv.get("/apis/v1/receipts/%s?delete=true" % rid, headers=org["auth"]).status_code == 200
    assert_error_message(srv.get("/apis/v1/receipts/%s" % rid, headers=org["auth"]), 404)


def test_header_sizes(env):
    srv, org = env["srv"], env["org"]
    r = srv.get("/apis/v1/receipts/?size=1", headers=dict(org["auth"], **{"X-Long": "a" * 10000}))
    assert r.status_code == 200
    # The server answers 431 as soon as the head passes its limit and closes without reading the
    # rest, so the client may see its send cut off by a reset (a race that depends on load):
    # refused_request sends what the socket takes, reads what arrived, tries again while nothing
    # did. The answer that arrives must be 431.
    r = refused_request(srv, "GET", "/apis/v1/receipts/",
                        headers={"Authorization": "Basic " + org["token"], "X-Long": "a" * 200000})
    assert r.status_code == 431, r.text
    assert srv.get("/healthz").status_code == 200
    # The limit is the connection's 32 KiB memory (docs/send-api.md): a letter whose head
    # carries 20,000 bytes of headers still leaves room for its body's read buffer; a head of
    # 40,000 bytes is refused.
    uuid, body = letter()
    r = post_letter(env, body, uuid, headers={"X-Long": "a" * 20000})
    assert r.status_code == 201, r.text
    r = refused_request(srv, "GET", "/apis/v1/receipts/",
                        headers={"Authorization": "Basic " + org["token"], "X-Long": "a" * 40000})
    assert r.status_code == 431, r.text
    assert srv.get("/healthz").status_code == 200


# ---- authentication header variants ----

def test_basic_auth_variants(env):
    srv, tok = env["srv"], env["org"]["token"]
    assert tok.endswith("="), "the token has base64 padding to leave off"
    for value in ("Basic " + tok.rstrip("="), "basic " + tok, "BASIC " + tok,
                  "Basic  " + tok, "Basic " + tok + " ", "Basic\t" + tok,
                  "Basic\t" + tok.rstrip("=")):
        r = srv.get("/apis/v1/receipts/?size=1", headers={"Authorization": value})
        assert r.status_code == 200, (value, r.text)
    for value in ("Bearer " + tok, "Basic ", "Basic !!!", "Basic " + tok[:-5],
                  "Basic " + tok.rstrip("=") + "==="):
        r = srv.get("/apis/v1/receipts/?size=1", headers={"Authorization": value})
        assert_error_message(r, 401)
        assert r.headers.get("WWW-Authenticate", "").startswith("Basic")


# ---- receipts paging ----

def test_receipts_paging_edges(env):
    srv, org = env["srv"], env["org"]
    total = srv.get("/apis/v1/receipts/", headers=org["auth"]).json()["totalElements"]
    assert total > 0
    page = srv.get("/apis/v1/receipts/?page=100000&size=5", headers=org["auth"]).json()
    assert page["content"] == [] and page["totalElements"] == total and page["next"] is None
    page = srv.get("/apis/v1/receipts/?page=0&size=1000&sort=timeStamp,asc&foo=1",
                   headers=org["auth"]).json()
    assert len(page["content"]) == total
    for q, name in (("size=0", "size"), ("size=-1", "size"), ("size=1001", "size"),
                    ("size=99999999999999999999", "size"), ("page=-1", "page"),
                    ("page=1.5", "page"), ("page=", "page"), ("page=0&page=1", "page"),
                    ("size=5&size=5", "size")):
        err = assert_error_message(srv.get("/apis/v1/receipts/?" + q, headers=org["auth"]), 400,
                                   "INVALID_PARAMETER")
        assert err["fieldErrors"][0]["field"] == name, (q, err)
    assert_error_message(srv.get("/apis/v1/receipts/1?delete=true&delete=false",
                                 headers=org["auth"]), 400, "INVALID_PARAMETER")


# ---- contacts lookup ----

@pytest.mark.parametrize("q,number", [("cprNumber=221177-1212", EXAMPLE_CPR),
                                      ("cprNumber=221177%201212", EXAMPLE_CPR),
                                      ("cprNumber=22%2011%2077%201212", EXAMPLE_CPR),
                                      ("cprNumber=2211771212%20", EXAMPLE_CPR),
                                      ("cvrNumber=2918%209978", COMPANY_CVR),
                                      ("cvrNumber=29-18-99-78", COMPANY_CVR)])
def test_contacts_number_with_dash_or_spaces(env, q, number):
    r = env["srv"].get("/apis/v1/contacts/?" + q, headers=env["org"]["auth"])
    assert r.status_code == 200, r.text
    c = r.json()["contacts"]
    assert len(c) == 1 and number in (c[0].get("cprNumber"), c[0].get("cvrNumber"))


@pytest.mark.parametrize("q", ["cprNumber=221177-121", "cprNumber=2211771212-1",
                               "cvrNumber=DK29189978", "cprNumber=22117712x2",
                               "cprNumber=2211771212&cprNumber=0101701234"])
def test_contacts_bad_numbers_still_400(env, q):
    r = env["srv"].get("/apis/v1/contacts/?" + q, headers=env["org"]["auth"])
    err = assert_error_message(r, 400)
    assert err["fieldErrors"][0]["field"] in ("cprNumber", "cvrNumber")


def test_contacts_page_has_ngdp_field_names(env):
    r = env["srv"].get("/apis/v1/contacts/", params={"cprNumber": EXAMPLE_CPR},
                       headers=env["org"]["auth"])
    page = r.json()
    assert "content" not in page and len(page["contacts"]) == 1
    assert page["currentPage"] == 0 and page["elementsOnPage"] == 1 and page["totalElements"] == 1
    assert page["contacts"][0]["mailboxSubscription"]["publicRegistrationStatus"] == "REGISTERED"


def test_contacts_bulk_normalizes_numbers(env):
    r = env["srv"].post("/apis/v1/contacts/bulk",
                        json={"cprNumbers": ["221177-1212", EXAMPLE_CPR],
                              "cvrNumbers": ["2918 9978"]},
                        headers=env["org"]["auth"])
    assert r.status_code == 200, r.text
    got = [c.get("cprNumber") or c.get("cvrNumber") for c in r.json()["contacts"]]
    assert got == [EXAMPLE_CPR, COMPANY_CVR], "duplicates after normalizing are looked up once"


# ---- bulk archives ----

def bulk(env, data, ct="application/x-lzma"):
    h = dict(env["org"]["auth"], **{"Content-Type": ct})
    return env["srv"].post("/apis/v1/memos/", data=data, headers=h)


def tar_of(members, compress="alone"):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m[0])
            if m[1] == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif m[1] == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = m[2]
                tar.addfile(info)
            else:
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    if compress == "gzip":
        return gzip.compress(raw.getvalue())
    return lzma.compress(raw.getvalue(), format=lzma.FORMAT_ALONE)


def test_bulk_directories_links_and_foreign_members(env):
    u1, l1 = letter(MIN_12, cpr=EXAMPLE_CPR)
    u2, l2 = letter(MIN_12, cpr=EXAMPLE_CPR)
    u3, l3 = letter(MIN_12, cpr=EXAMPLE_CPR)
    data = tar_of([("memos/", "dir"), ("memos/a.xml", l1), ("link.xml", "symlink", "/etc/passwd"),
                   ("memos/README.txt", b"not a letter"), ("memos/" + "x" * 120 + ".xml", l2),
                   ("memos/a.xml", l3)])
    r = bulk(env, data)
    assert r.status_code == 201, r.text
    got = [(x["fileName"], x["receiptStatus"]) for x in r.json()["letters"]]
    assert got == [("memos/a.xml", "RECEIVED"), ("memos/README.txt", "INVALID"),
                   ("memos/" + "x" * 120 + ".xml", "RECEIVED"), ("memos/a.xml", "RECEIVED")]
    assert r.json()["letters"][1]["errorCode"] == "MEMO_VALIDATION_FAILED"
    for u in (u1, u2, u3):
        assert letter_row(env["srv"], u) is not None


def test_bulk_member_names_that_are_not_utf8_are_listed(env):
    """A tar member's path is bytes: one that is not UTF-8 (here Latin-1 'brev-\\xe6.xml') is
    listed with '?' for its non-ASCII bytes; it was listed without fileName (JSON cannot
    carry the bytes), so a refused member had neither fileName nor messageUUID."""
    u1, l1 = letter(MIN_12, cpr=EXAMPLE_CPR)
    # tarfile writes a surrogate-escaped name as the raw byte (0xE6, 0xFF)
    data = tar_of([("memos/brev-\udce6.xml", l1), ("memos/\udcffnote.txt", b"not a letter"),
                   ("memos/brev-\u00e6.xml", letter(MIN_12, cpr=EXAMPLE_CPR)[1])])
    r = bulk(env, data)
    assert r.status_code == 201, r.text
    got = [(x.get("fileName"), x["receiptStatus"]) for x in r.json()["letters"]]
    assert got == [("memos/brev-?.xml", "RECEIVED"), ("memos/?note.txt", "INVALID"),
                   ("memos/brev-\u00e6.xml", "RECEIVED")], got
    assert letter_row(env["srv"], u1) is not None


def test_bulk_gzip_archive_is_invalid_archive(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    before = counts(env["srv"])
    err = assert_error_message(bulk(env, tar_of([("a.xml", body)], compress="gzip")), 400,
                               "INVALID_ARCHIVE")
    assert "LZMA" in err["message"]
    assert counts(env["srv"]) == before


def test_bulk_same_uuid_twice_in_one_archive(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = bulk(env, archive([("a.xml", body), ("b.xml", body + b"\n")]))
    assert r.status_code == 201, r.text
    assert [x["receiptStatus"] for x in r.json()["letters"]] == ["RECEIVED", "INVALID"]
    assert r.json()["letters"][1]["errorCode"] == "DUPLICATE_MESSAGE_UUID"


# ---- multipart ----

def test_multipart_extra_parts_and_generic_part_types(env):
    srv, auth = env["srv"], env["org"]["auth"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    r = srv.post("/apis/v1/memos/", headers=auth,
                 files=[("meta", ("m.json", b"{}", "application/json")),
                        ("file", ("memos.tar.lzma", archive([("a.xml", body)]),
                                  "application/x-lzma")),
                        ("extra", ("x.txt", b"x", "text/plain"))])
    assert r.status_code == 201, r.text
    assert [x["messageUUID"] for x in r.json()["letters"]] == [uuid]
    for ptype in (None, "application/octet-stream"):
        uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
        part = ("a.xml", b"\xef\xbb\xbf" + body) if ptype is None else ("a.xml", body, ptype)
        r = srv.post("/apis/v1/memos/", headers=auth, files={"file": part})
        assert r.status_code == 201, (ptype, r.text)
        assert [x["receiptStatus"] for x in r.json()["letters"]] == ["RECEIVED"]
        assert letter_row(srv, uuid) is not None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_multipart_letter_in_utf16_or_utf32_is_xml_encoding(env, encoding):
    """A letter in UTF-16 or UTF-32 as a form part of a generic type (none, or
    application/octet-stream) is XML, so it is checked as a letter and refused as
    XML-ENCODING, as a single send is; it was taken for an archive and answered
    INVALID_ARCHIVE "not an LZMA-compressed tar archive", which hides the reason."""
    srv, auth = env["srv"], env["org"]["auth"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    text = body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="%s"' % encoding.upper())
    data = text.encode(encoding)
    for params, ptype in (({"memo-message-uuid": uuid}, "application/octet-stream"), ({}, None)):
        part = ("a.xml", data, ptype) if ptype else ("a.xml", data)
        r = srv.post("/apis/v1/memos/", params=params, headers=auth, files={"file": part})
        if params:
            err = assert_error_message(r, 400, "MEMO_VALIDATION_FAILED")
            codes = [f["code"] for f in err["fieldErrors"]]
        else:
            assert r.status_code == 201, r.text
            (one,) = r.json()["letters"]
            assert one["receiptStatus"] == "INVALID", one
            codes = [f["code"] for f in one["fieldErrors"]]
        assert codes == ["XML-ENCODING"], (encoding, params, codes)
    assert letter_row(srv, uuid) is None


def test_multipart_single_letter_with_uuid_answers_like_a_single_send(env):
    """The NSwag client of the NgDP OpenAPI sends SendMemoAsync(uuid, length, file) this way:
    one part "file" (application/xml), unquoted parameters, a GUID boundary."""
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    boundary = str(uuidlib.uuid4())
    form = (("--%s\r\nContent-Type: application/xml\r\nContent-Disposition: form-data; name=file;"
             " filename=%s.xml; filename*=utf-8''%s.xml\r\n\r\n" % (boundary, uuid, uuid)).encode()
            + body + ("\r\n--%s--\r\n" % boundary).encode())
    h = dict(env["org"]["auth"], **{"Content-Type": "multipart/form-data; boundary=" + boundary})
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=form, headers=h)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert isinstance(rec, dict) and rec["messageUUID"] == uuid and rec["receiptStatus"] == "RECEIVED"
    assert letter_row(srv, uuid)["body"] == body
    before = counts(srv)
    again = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=form, headers=h)
    assert again.status_code == 201 and again.json() == rec
    assert counts(srv) == before
    other, obody = letter(MIN_12, cpr=EXAMPLE_CPR)
    form2 = form.replace(body, obody)
    err = assert_error_message(srv.post("/apis/v1/memos/",
                                        params={"memo-message-uuid": str(uuidlib.uuid4())},
                                        data=form2, headers=h), 400, "MESSAGE_UUID_MISMATCH")
    assert letter_row(srv, other) is None


def test_multipart_empty_file_part_is_precise_400(env):
    r = env["srv"].post("/apis/v1/memos/", headers=env["org"]["auth"],
                        files={"file": ("memos.tar.lzma", b"", "application/x-lzma")})
    err = assert_error_message(r, 400, "INVALID_MULTIPART")
    assert "empty" in err["message"]


# ---- every example letter through the API ----

def examples():
    names = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".xml"))
    assert len(names) >= 10
    return names


@pytest.mark.parametrize("name", examples())
def test_every_example_letter_gets_a_sensible_verdict(env, name):
    """Each example with a fresh messageUUID, the recipient set to a demo mailbox and the
    sender to the system's organisation (the placeholder ids of some examples are replaced,
    so only real MeMo problems remain)."""
    with open(os.path.join(EXAMPLES, name), "rb") as f:
        raw = f.read()
    uuid = str(uuidlib.uuid4())
    m = re.search(rb"<memo:messageUUID>([^<]*)</memo:messageUUID>", raw)
    if m:
        raw = raw.replace(m.group(1), uuid.encode())
    raw = re.sub(rb"(<memo:Recipient>\s*<memo:recipientID>)[^<]*(</memo:recipientID>\s*"
                 rb"<memo:idType>)[^<]*(</memo:idType>)", rb"\g<1>" + EXAMPLE_CPR.encode() +
                 rb"\g<2>CPR\g<3>", raw, count=1)
    raw = re.sub(rb"(<memo:Sender>\s*<memo:senderID>)[^<]*(</memo:senderID>\s*"
                 rb"<memo:idType>)[^<]*(</memo:idType>)", rb"\g<1>" + SENDER_CVR.encode() +
                 rb"\g<2>CVR\g<3>", raw, count=1)
    nemsms = re.search(rb"<(memo:)?messageType>NEMSMS<", raw) is not None
    if nemsms:
        # A NemSMS letter reaches only a subscriber (docs/notifications.md): refused with a
        # receipt saying so while the recipient has no subscription, received once subscribed.
        r = post_letter(env, raw, uuid, content_type="application/xml; charset=utf-8")
        assert r.status_code == 201, r.text
        assert r.json()["receiptStatus"] == "NOT_ALLOWED", r.text
        assert "NEMSMS_NOT_SUBSCRIBED" in r.text
        env["srv"].cli(["nemsms", "subscribe", "--cpr", EXAMPLE_CPR, "--mobile", "71234567"])
        fresh = str(uuidlib.uuid4())
        raw = raw.replace(uuid.encode(), fresh.encode())
        uuid = fresh
    try:
        r = post_letter(env, raw, uuid, content_type="application/xml; charset=utf-8")
    finally:
        if nemsms:
            env["srv"].cli(["nemsms", "unsubscribe", "--cpr", EXAMPLE_CPR])
    if "Full_Example__memo-1.1" in name:
        err = assert_error_message(r, 400, "MEMO_VALIDATION_FAILED")
        assert {e["code"] for e in err["fieldErrors"]} == {"NGDP-URL-HTTPS"}
    elif name.startswith("itk-dev_serviceplatformen__"):
        err = assert_error_message(r, 400, "MEMO_VALIDATION_FAILED")
        assert {e["code"] for e in err["fieldErrors"]} == {"MEMO-VERSION"}
    else:
        assert r.status_code == 201, r.text
        assert r.json()["receiptStatus"] == "RECEIVED"
        assert letter_row(env["srv"], uuid)["body"] == raw
    if r.status_code != 201:
        assert letter_row(env["srv"], uuid) is None


# ---- smaller spellings ----

def test_boolean_parameters_in_any_case(env):
    srv, org = env["srv"], env["org"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert post_letter(env, body, uuid).status_code == 201
    rid = [x for x in srv.get("/apis/v1/receipts-bulk/?size=1000",
                              headers=org["auth"]).json()["receipts"]
           if x.get("messageUUID") == uuid][0]["id"]
    assert srv.get("/apis/v1/receipts/%s?delete=FALSE" % rid, headers=org["auth"]).status_code == 200
    assert srv.get("/apis/v1/receipts/%s?delete=True" % rid, headers=org["auth"]).status_code == 200
    assert_error_message(srv.get("/apis/v1/receipts/%s" % rid, headers=org["auth"]), 404)
    err = assert_error_message(srv.get("/apis/v1/receipts/%s?delete=1" % rid, headers=org["auth"]),
                               400, "INVALID_PARAMETER")
    assert err["fieldErrors"][0]["field"] == "delete"


def test_recall_echoes_the_uuid_lower_cased(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, value_date="2099-01-01")
    assert post_letter(env, body, uuid).status_code == 201
    r = env["srv"].post("/apis/v1/memos/%s/recall/" % uuid.upper(), headers=env["org"]["auth"])
    assert r.status_code == 200, r.text
    assert r.json()["messageUUID"] == uuid and r.json()["alreadyRecalled"] is False


def test_xml_sent_as_archive_gets_a_hint(env):
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    err = assert_error_message(bulk(env, body), 400, "INVALID_ARCHIVE")
    assert "application/xml" in err["message"] and "memo-message-uuid" in err["message"]
    assert letter_row(env["srv"], uuid) is None


def test_absolute_form_request_target(env):
    srv, tok = env["srv"], env["org"]["token"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    _, out = raw_http(srv, ["POST http://127.0.0.1:%d/apis/v1/memos/?memo-message-uuid=%s HTTP/1.1"
                            % (srv.port, uuid), "Authorization: Basic " + tok,
                            "Content-Type: application/xml", "Content-Length: %d" % len(body)],
                      body)
    assert status_of(out) == 201, out[:300]
    assert letter_row(srv, uuid) is not None
    _, out = raw_http(srv, ["GET HTTP://127.0.0.1:%d/healthz HTTP/1.1" % srv.port])
    assert status_of(out) == 200


def test_truncated_upload_leaves_nothing_and_keep_alive_pipelining_works(env):
    srv, tok = env["srv"], env["org"]["token"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    before = counts(srv)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(("POST /apis/v1/memos/?memo-message-uuid=%s HTTP/1.1\r\nHost: x\r\n"
               "Authorization: Basic %s\r\nContent-Type: application/xml\r\n"
               "Content-Length: %d\r\n\r\n" % (uuid, tok, len(body))).encode() + body[:60])
    s.close()
    assert srv.get("/healthz").status_code == 200
    assert counts(srv) == before and letter_row(srv, uuid) is None
    (u1, b1), (u2, b2) = letter(MIN_12, cpr=EXAMPLE_CPR), letter(MIN_12, cpr=EXAMPLE_CPR)
    req = b""
    for u, b in ((u1, b1), (u2, b2)):
        req += ("POST /apis/v1/memos/?memo-message-uuid=%s HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Basic %s\r\nContent-Type: application/xml; charset=utf-8\r\n"
                "Content-Length: %d\r\n\r\n" % (u, tok, len(b))).encode() + b
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    try:
        s.sendall(req + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    finally:
        s.close()
    assert out.count(b"HTTP/1.1 201 Created") == 2 and out.count(b"HTTP/1.1 200 OK") == 1
    assert letter_row(srv, u1) is not None and letter_row(srv, u2) is not None


def test_mailbox_bearer_variants_and_repeated_parameters(env):
    srv = env["srv"]
    tok = env["user"]["Authorization"].split(" ", 1)[1]
    for value in ("Bearer " + tok, "bearer " + tok, "Bearer\t" + tok, "Bearer  " + tok + " "):
        r = srv.get("/api/mailbox/messages?limit=1", headers={"Authorization": value})
        assert r.status_code == 200, (value, r.text)
    assert_error_message(srv.get("/api/mailbox/messages", headers={"Authorization": "Basic " + tok}),
                         401)
    err = assert_error_message(srv.get("/api/mailbox/messages?limit=1&limit=2", headers=env["user"]),
                               400, "INVALID_PARAMETER")
    assert err["fieldErrors"][0]["field"] == "limit"
    r = srv.get("/api/mailbox/messages?unread=TRUE&limit=1", headers=env["user"])
    assert r.status_code == 200, r.text


def _id_types(xml, sender_type, recipient_type):
    text = xml.decode("utf-8")
    text = re.sub(r"(<memo:Sender>.*?<memo:idType>)[^<]*(</memo:idType>)",
                  lambda m: m.group(1) + sender_type + m.group(2), text, count=1, flags=re.S)
    text = re.sub(r"(<memo:Recipient>.*?<memo:idType>)[^<]*(</memo:idType>)",
                  lambda m: m.group(1) + recipient_type + m.group(2), text, count=1,
                  flags=re.S)
    assert "<memo:idType>%s</memo:idType>" % recipient_type in text
    return text.encode("utf-8")


def test_id_type_in_any_case(env):
    """sjkp/digitalpost's MemoBuilder.cs (adapted from Netcompany's .NET reference sender,
    which takes idType from its configuration) builds its MeMo with memolib's
    SenderBuilder.IdType("cvr") / RecipientBuilder.IdType("cvr"): idType is free text in the
    XSD, and kuvert reads CPR and CVR in any case. Such a letter is the organisation's own (not SENDER_NOT_ALLOWED), reaches the
    mailbox (not NOT_ALLOWED "has no Digital Post mailbox"), its number is checked as a CPR /
    CVR (NGDP-CPR) and a test number is still refused as test data. The letter's recipient
    type is stored as CPR / CVR."""
    from readside_util import letter_xml
    srv = env["srv"]
    for stype, rtype, rid in (("cvr", "cpr", EXAMPLE_CPR), ("Cvr", "Cpr", EXAMPLE_CPR),
                              ("CVR", "cvr", COMPANY_CVR)):
        uuid, xml = letter_xml(SENDER_CVR, rid, "CPR")
        body = _id_types(xml, stype, rtype)
        r = post_letter(env, body, uuid)
        assert r.status_code == 201, (stype, rtype, r.text)
        assert r.json()["receiptStatus"] == "RECEIVED", (stype, rtype, r.text)
        row = letter_row(srv, uuid)
        assert row["recipient_type"] == rtype.upper() and row["mailbox_id"], dict(row)
        assert row["state"] != "NOT_ALLOWED", dict(row)
    # the number is checked as what the idType names, whatever its case
    uuid, xml = letter_xml(SENDER_CVR, "3102771212", "CPR")
    r = post_letter(env, _id_types(xml, "cvr", "cpr"), uuid)
    e = assert_error_message(r, 400, "MEMO_VALIDATION_FAILED")
    assert "NGDP-CPR" in [f["code"] for f in e["fieldErrors"]], r.text
    # a test CPR is still test data
    uuid, xml = letter_xml(SENDER_CVR, "9201801234", "CPR")
    r = post_letter(env, _id_types(xml, "cvr", "cpr"), uuid)
    assert_error_message(r, 400, "TEST_DATA_NOT_ACCEPTED")
    # another organisation's CVR in any case is still refused
    uuid, xml = letter_xml("29189978", EXAMPLE_CPR, "CPR")
    r = post_letter(env, _id_types(xml, "cvr", "cpr"), uuid)
    assert_error_message(r, 403, "SENDER_NOT_ALLOWED")
