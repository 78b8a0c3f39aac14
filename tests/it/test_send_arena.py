# SPDX-License-Identifier: MIT
"""The send path's check arena (src/memo/arena.c) under concurrent sends to a real `kuvert
serve`: valid letters and letters that fail at every stage of the check (not UTF-8 by
declaration or byte-order mark, a catalog processing instruction, not well-formed, invalid
against the schema, a flood of schema errors) sent at once from 8 clients. Every letter gets
its own verdict (201 or 400 with the rule that refused it), a valid letter is accepted after
them, and the server (an ASan build in the asan suite) stops cleanly.
"""
import concurrent.futures
import re

import requests

from readside_util import mailbox, setup_org
from send_util import EXAMPLE_CPR, MIN_12, FULL_12, SENDER_CVR, letter


CATALOG_PI = rb'\1<?oasis-xml-catalog catalog="file:///etc/xml/catalog"?>'


def _variant(name):
    """(expected status or None for either verdict, rule expected in a 400 body, uuid, bytes):
    a fresh letter (its own messageUUID) of the kind name."""
    u, b = letter(FULL_12 if name == "error-flood" else MIN_12, cpr=EXAMPLE_CPR)
    if name == "valid":
        return 201, None, u, b
    if name == "latin1":
        return 400, "XML-ENCODING", u, re.sub(
            rb"^<\?xml[^>]*\?>", b'<?xml version="1.0" encoding="ISO-8859-1"?>', b)
    if name == "utf16":  # with a byte-order mark, no declaration
        return 400, "XML-ENCODING", u, re.sub(rb"^<\?xml[^>]*\?>", b"", b).decode(
            "utf-8").encode("utf-16")
    if name == "catalog-pi":  # a verdict either way, never a crash
        return None, None, u, re.sub(rb"(^<\?xml[^>]*\?>)", CATALOG_PI, b)
    if name == "truncated":
        return 400, "XML-WF", u, b[:-40]
    if name == "xsd":
        return 400, "XSD", u, b.replace(b"<memo:MessageHeader>",
                                        b"<memo:MessageHeader><memo:bogus/>", 1)
    assert name == "error-flood"  # 64 attributes the schema refuses on every start tag
    m = re.search(rb"<memo:Action>.*?</memo:Action>", b, re.S)
    attrs = b"".join(b' z%d=""' % i for i in range(64))
    block = re.sub(rb"<(memo:[A-Za-z]+)>", lambda t: b"<" + t.group(1) + attrs + b">",
                   m.group(0))
    return 400, "XSD", u, b[:m.end()] + block * 60 + b[m.end():]


NAMES = ["valid", "latin1", "utf16", "catalog-pi", "truncated", "xsd", "error-flood"]


def test_concurrent_sends_of_letters_failing_at_every_stage(server):
    srv = server
    org = setup_org(srv, SENDER_CVR)
    mailbox(srv, cpr=EXAMPLE_CPR, name="Mette Hansen")
    jobs = [(name,) + _variant(name) for _ in range(3) for name in NAMES]

    def one(job):
        name, status, rule, u, body = job
        h = dict(org["auth"])
        h["Content-Type"] = "application/xml"
        with requests.Session() as s:
            r = s.post(srv.url + "/apis/v1/memos/", params={"memo-message-uuid": u}, data=body,
                       headers=h, timeout=120)
        return name, status, rule, r

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(one, jobs))
    for name, status, rule, r in results:
        if status is None:
            assert r.status_code in (201, 400), (name, r.status_code, r.text[:300])
            continue
        assert r.status_code == status, (name, r.status_code, r.text[:300])
        if rule:
            assert rule in r.text, (name, r.text[:300])
    u, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    h = dict(org["auth"])
    h["Content-Type"] = "application/xml"
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": u}, data=body, headers=h)
    assert r.status_code == 201, r.text
