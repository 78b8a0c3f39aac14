# SPDX-License-Identifier: MIT
"""POST /apis/v1/validations/: NgDP's pre-check of an HTML body (the client's operation
`Validate`, `ValidateAsync(fileName, policy, Content-Length, Body)`), black-box against the
real server. The answer is what the generated client reads: 201 with an ErrorMessage whose
code is APPROVED or REJECTED, one fieldError per finding (checked against the client's
ErrorMessage model). Authentication is the send route's; the refusals are ErrorMessages too.
Decisions: docs/send-api.md "Validating an HTML body"."""
import base64
import json

import pytest

from kuvert_harness import assert_error_message, refused_request
from ngdp_models import check
from readside_util import setup_org

PATH = "/apis/v1/validations/"
MAX = 10 * 1000 * 1000
LETTER = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Brev</title></head>"
          "<body><h1>Kære borger</h1><p>Se <a href=\"https://www.borger.dk/\">borger.dk</a>."
          "</p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"logo\"></body></html>")


@pytest.fixture(scope="module")
def env(server):
    return {"srv": server, "sender": setup_org(server, "12345678"),
            "recipient": setup_org(server, "87654321", kind="recipient")}


def validate(env, body, content_type="text/html", params=None, auth="sender", headers=None):
    h = dict(env[auth]["auth"]) if auth else {}
    if content_type is not None:
        h["Content-Type"] = content_type
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode("utf-8")
    return env["srv"].post(PATH, params=params, data=body, headers=h)


def result(resp, code):
    body = assert_error_message(resp, 201, code)
    check(body, "ErrorMessage")  # as the generated client reads it
    for fe in body["fieldErrors"]:
        assert set(fe) == {"resource", "field", "code", "message", "rejectedValue"}, fe
    return body


def test_approved(env):
    body = result(validate(env, LETTER), "APPROVED")
    assert body["fieldErrors"] == []
    assert "approved" in body["message"]
    # a charset parameter naming UTF-8, any case, and the path without its trailing slash
    r = env["srv"].post(PATH.rstrip("/"), data=LETTER.encode(),
                        headers=dict(env["sender"]["auth"],
                                     **{"Content-Type": "Text/HTML; Charset=\"UTF-8\""}))
    result(r, "APPROVED")


def test_rejected_with_findings(env):
    html = ("<html><body>\n<p onclick=\"steal()\">x</p>\n"
            "<script>alert(1)</script>\n"
            "<img src=\"https://tracker.example/p.gif\">\n"
            "<a href=\"javascript:void(0)\">y</a>\n"
            "<a href=\"https://www.borger.dk/\">fine</a></body></html>")
    body = result(validate(env, html, params={"fileName": "brev.html"}), "REJECTED")
    got = {(fe["code"], fe["field"]): fe for fe in body["fieldErrors"]}
    assert set(got) == {
        ("HTML-EVENT-HANDLER", "/html/body/p/@onclick"),
        ("HTML-SCRIPT", "/html/body/script"),
        ("HTML-EXTERNAL-RESOURCE", "/html/body/img/@src"),
        ("HTML-SCRIPT-URL", "/html/body/a[1]/@href"),
    }, body
    fe = got[("HTML-EVENT-HANDLER", "/html/body/p/@onclick")]
    assert fe["resource"] == "brev.html"
    assert fe["rejectedValue"] == "steal()"
    assert fe["message"].startswith("line 2: ")
    assert got[("HTML-SCRIPT", "/html/body/script")]["message"].startswith("line 3: ")
    assert got[("HTML-SCRIPT", "/html/body/script")]["rejectedValue"] is None
    assert got[("HTML-EXTERNAL-RESOURCE", "/html/body/img/@src")]["rejectedValue"] == \
        "https://tracker.example/p.gif"
    assert "4 findings" in body["message"]


def test_policy_strict_and_lenient(env):
    html = "<p>one <b>two <i>three</b></i>"
    result(validate(env, html), "APPROVED")
    result(validate(env, html, params={"policy": "lenient"}), "APPROVED")
    body = result(validate(env, html, params={"policy": "STRICT"}), "REJECTED")
    assert [fe["code"] for fe in body["fieldErrors"]] == ["HTML-MALFORMED"]
    assert body["fieldErrors"][0]["resource"] == "html"
    body = assert_error_message(validate(env, html, params={"policy": "PARANOID"}), 400,
                                "INVALID_PARAMETER")
    assert body["fieldErrors"][0]["field"] == "policy"
    assert body["fieldErrors"][0]["rejectedValue"] == "PARANOID"


def test_not_utf8(env):
    body = result(validate(env, b"<p>K\xe6re borger</p>"), "REJECTED")
    assert [fe["code"] for fe in body["fieldErrors"]] == ["HTML-ENCODING"]
    body = result(validate(env, "<p>x</p>", content_type="text/html; charset=iso-8859-1"),
                  "REJECTED")
    assert [fe["code"] for fe in body["fieldErrors"]] == ["HTML-ENCODING"]


def test_generated_client_body(env):
    """NSwag's client serialises its Body model {"resource": byte[]} as JSON (base64), sent as
    text/html: the file inside is what is checked."""
    bad = "<p><iframe src=\"https://x.example/\"></iframe></p>"
    wrapped = json.dumps({"resource": base64.b64encode(bad.encode()).decode()})
    body = result(validate(env, wrapped), "REJECTED")
    assert {fe["code"] for fe in body["fieldErrors"]} == {"HTML-EMBEDDED",
                                                        "HTML-EXTERNAL-RESOURCE"}
    wrapped = json.dumps({"resource": base64.b64encode(LETTER.encode()).decode()})
    result(validate(env, wrapped), "APPROVED")
    assert_error_message(validate(env, json.dumps({"resource": ""})), 400, "EMPTY_BODY")


def test_unauthenticated_is_401(env):
    r = validate(env, LETTER, auth=None)
    body = assert_error_message(r, 401)
    assert "Basic" in r.headers.get("WWW-Authenticate", "")
    # the same answer as the send route gives
    send = env["srv"].post("/apis/v1/memos/", data=b"<x/>",
                           headers={"Content-Type": "application/xml"})
    assert send.status_code == 401 and send.json()["code"] == body["code"]
    r = validate(env, LETTER, auth=None, headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="})
    assert_error_message(r, 401)


def test_recipient_system_is_403(env):
    assert_error_message(validate(env, LETTER, auth="recipient"), 403, "FORBIDDEN")


def test_other_media_types_are_415(env):
    for ct in ("application/xml", "text/plain", "application/json", "text/htmlx", None):
        body = assert_error_message(validate(env, LETTER, content_type=ct), 415,
                                    "UNSUPPORTED_MEDIA_TYPE")
        assert "text/html" in body["message"]


def test_empty_body_is_400(env):
    for b in (b"", b"  \r\n\t", b"\xef\xbb\xbf\n"):
        assert_error_message(validate(env, b), 400, "EMPTY_BODY")


def test_over_the_bound_is_413(env):
    # declared: refused from the head, before the body is read
    r = refused_request(env["srv"], "POST", PATH,
                        headers=dict(env["sender"]["auth"], **{"Content-Type": "text/html"}),
                        body=b"<p>" + b"a" * (MAX + 1 - 3))
    assert r.status_code == 413, r.status_code
    assert r.json()["code"] == "PAYLOAD_TOO_LARGE"
    # chunked: read, then refused by the handler
    def chunks():
        for _ in range(10):
            yield b"<p>" + b"a" * (1000 * 1000 - 3)
        yield b"<p>"
    r = env["srv"].post(PATH, data=chunks(),
                        headers=dict(env["sender"]["auth"], **{"Content-Type": "text/html"}))
    assert_error_message(r, 413, "PAYLOAD_TOO_LARGE")
    # exactly the bound is checked
    body = b"a" * MAX  # one text node of 10 MB: libxml2 reads it without XML_PARSE_HUGE

    result(validate(env, body), "APPROVED")


def test_deep_nesting_is_rejected_not_approved(env):
    body = result(validate(env, "<div>" * 20000 + "<script>x()</script>"), "REJECTED")
    assert "HTML-UNREADABLE" in [fe["code"] for fe in body["fieldErrors"]]
    assert env["srv"].get("/healthz").status_code == 200


def test_findings_keep_their_text_when_it_is_not_utf8(env):
    """Every fieldError carries all its members: a message cut to its bound inside a quoted
    value's character, and a fileName whose bytes are not UTF-8 (brev-%E6.html), once left
    out message and resource (jansson refuses a string that is not UTF-8)."""
    for k in (0, 1):
        html = ("<html><head><meta charset=\"" + "x" * k + "\u00e6" * 400 +
                "\"></head><body><p>x</p></body></html>")
        body = result(validate(env, html), "REJECTED")
        enc = [fe for fe in body["fieldErrors"] if fe["code"] == "HTML-ENCODING"]
        assert enc and "declares the encoding " in enc[0]["message"], body
        assert enc[0]["message"].endswith("..."), body  # cut at a character
    r = env["srv"].post(PATH + "?fileName=brev-%E6.html", data=b"<p onclick=\"x()\">y</p>",
                        headers=dict(env["sender"]["auth"], **{"Content-Type": "text/html"}))
    body = result(r, "REJECTED")
    assert body["fieldErrors"][0]["resource"] == "brev-?.html", body
