# SPDX-License-Identifier: MIT
"""kuvert behind a reverse proxy (docs/http.md "Behind a proxy"): only a peer in
trusted_proxies is believed, and then the rightmost address of its X-Forwarded-For (or, with
proxy_header=forwarded, RFC 7239 Forwarded for=) that is not a trusted proxy is the client, for
every use of the client address: a system's allowed IP addresses, the sign-in rate limit and
max_conn_per_ip. A header from any other peer is ignored (no spoofing), what a client wrote
into the header itself is never reached, and a malformed header leaves the last hop that was
read well. A refused call is an event IP_ADDRESS_NOT_ALLOWED (at most one a minute per system
and address).

The test's clients connect from loopback addresses of their choice: 127.0.0.2 plays the proxy,
127.0.0.1 and 127.0.0.3 direct clients."""
import http.client
import json
import re
import socket
import time

import pytest

from kuvert_harness import KuvertServer, await_continue, db_connect, wait_until
from readside_util import basic

PROXY = "127.0.0.2"
TRUSTED = "127.0.0.2, 10.1.0.0/16"
ORG = "41414141"
ALLOWED = "198.51.100.7, 2001:db8::/32"


def call(srv, source, path, headers=(), method="GET", body=None):
    """One request from source (a loopback address); headers a list of (name, value) pairs, a
    name may repeat. Returns (status, headers dict, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30,
                                   source_address=(source, 0))
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode("utf-8", "replace")
    finally:
        c.close()


def start(tmp_path, name, *args):
    srv = KuvertServer(tmp_path / name, args=list(args)).start()
    srv.cli(["org", "add", "--cvr", ORG, "--name", "Kommunen"], json_out=False)
    out = srv.cli(["system", "add", "--org", ORG, "--kind", "recipient", "--name", "S",
                   "--allowed-ips", ALLOWED])
    return srv, out


@pytest.fixture
def proxied(tmp_path):
    srv, out = start(tmp_path, "proxied", "--trusted-proxies", TRUSTED)
    yield srv, out
    srv.stop()


def pull(srv, sys, source, *hdrs):
    return call(srv, source, "/apis/v1/memos/", [("Authorization", basic(sys["token"])
                                                  ["Authorization"])] + list(hdrs))


def refused_address(result):
    status, _, body = result
    assert status == 403, (status, body)
    e = json.loads(body)
    assert e["code"] == "IP_ADDRESS_NOT_ALLOWED", e
    return re.match(r"calls from (\S+) are not allowed", e["message"]).group(1)


def test_header_ignored_from_a_peer_that_is_not_trusted(proxied, tmp_path):
    srv, sys = proxied
    # A direct client naming an allowed address itself gets nothing from it.
    assert refused_address(pull(srv, sys, "127.0.0.1", ("X-Forwarded-For", "198.51.100.7"))) \
        == "127.0.0.1"
    assert refused_address(pull(srv, sys, "127.0.0.3", ("Forwarded", "for=198.51.100.7"),
                                ("X-Forwarded-For", "198.51.100.7"))) == "127.0.0.3"
    # Without trusted_proxies (the default) not even 127.0.0.2 is believed.
    plain, psys = start(tmp_path, "plain")
    try:
        assert refused_address(pull(plain, psys, PROXY, ("X-Forwarded-For", "198.51.100.7"))) \
            == PROXY
    finally:
        plain.stop()


@pytest.mark.parametrize("headers,client", [
    ([("X-Forwarded-For", "198.51.100.7")], None),
    # what a client wrote itself stays left of what the proxy appended: never reached
    ([("X-Forwarded-For", "203.0.113.9, 198.51.100.7")], None),
    ([("X-Forwarded-For", "198.51.100.7, 203.0.113.9")], "203.0.113.9"),
    # a chain through a second trusted proxy, and the header split over two lines
    ([("X-Forwarded-For", "203.0.113.9, 198.51.100.7, 10.1.2.3")], None),
    ([("X-Forwarded-For", "203.0.113.9, 198.51.100.7"), ("X-Forwarded-For", "10.1.2.3")], None),
    ([("X-Forwarded-For", "[2001:db8::7]:4711")], None),
    # every hop trusted: the leftmost
    ([("X-Forwarded-For", "10.1.9.9, 10.1.2.3")], "10.1.9.9"),
    # malformed: the walk stops at the last hop read well
    ([("X-Forwarded-For", "198.51.100.7, unknown")], PROXY),
    ([("X-Forwarded-For", "garbage")], PROXY),
    ([("X-Forwarded-For", "198.51.100.7, bad, 10.1.2.3")], "10.1.2.3"),
    ([("X-Forwarded-For", "")], PROXY),
    ([("X-Forwarded-For", ",".join(["10.1.0.1"] * 70))], "10.1.0.1"),
    # no header at all: the proxy itself; the other header kind is not read
    ([], PROXY),
    ([("Forwarded", "for=198.51.100.7")], PROXY),
])
def test_trusted_proxy_header_chains(proxied, headers, client):
    srv, sys = proxied
    r = pull(srv, sys, PROXY, *headers)
    if client is None:
        assert r[0] == 200, r
    else:
        assert refused_address(r) == client


def test_forwarded_header_when_configured(tmp_path):
    srv, sys = start(tmp_path, "fwd", "--trusted-proxies", TRUSTED, "--set",
                     "proxy_header=forwarded")
    try:
        assert pull(srv, sys, PROXY, ("Forwarded", "for=198.51.100.7;proto=https"))[0] == 200
        assert pull(srv, sys, PROXY, ("Forwarded", 'for=203.0.113.9, for="[2001:db8::1]:4711";'
                                                   'by=10.1.0.1'))[0] == 200
        assert refused_address(pull(srv, sys, PROXY, ("Forwarded", "for=unknown"))) == PROXY
        assert refused_address(pull(srv, sys, PROXY, ("Forwarded", "proto=https"))) == PROXY
        # X-Forwarded-For is not read when Forwarded is the configured header
        assert refused_address(pull(srv, sys, PROXY, ("X-Forwarded-For", "198.51.100.7"))) \
            == PROXY
    finally:
        srv.stop()


def test_bad_trusted_proxies_refused_at_start(tmp_path):
    srv = KuvertServer(tmp_path / "bad", args=["--trusted-proxies", "10.0.0.1/8"])
    with pytest.raises(Exception):
        srv.start(timeout=60)  # a start that fails does so at once; 60 s only bounds it
    assert "trusted_proxies" in srv.log() and "10.0.0.0/8" in srv.log()


def test_refusal_is_an_event_once_a_minute(proxied):
    srv, sys = proxied
    for _ in range(3):
        refused_address(pull(srv, sys, PROXY, ("X-Forwarded-For", "203.0.113.9")))
    refused_address(pull(srv, sys, PROXY, ("X-Forwarded-For", "203.0.113.10")))
    con = db_connect(srv.data_dir)
    try:
        rows = con.execute("SELECT actor, system_id, subject, props FROM events WHERE tag = ? "
                           "ORDER BY seq", ("IP_ADDRESS_NOT_ALLOWED",)).fetchall()
    finally:
        con.close()
    assert [json.loads(r[3])["clientAddress"] for r in rows] == ["203.0.113.9", "203.0.113.10"]
    assert all(r[0] == sys["id"] and r[1] == sys["id"] and r[2] == "cvr:" + ORG for r in rows)
    assert json.loads(rows[0][3])["route"]


def login_attempt(srv, source, client):
    """A test sign-in with a wrong subject from client behind the proxy: 400, or 429 once the
    client's budget is spent."""
    xff = [("X-Forwarded-For", client)]
    status, hdrs, page = call(srv, source, "/login", xff)
    assert status == 200, status
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    cookie = [v.split(";")[0] for k, v in hdrs.items() if k.lower() == "set-cookie"]
    body = "subject=1&csrf=" + csrf
    h = xff + [("Content-Type", "application/x-www-form-urlencoded")]
    if cookie:
        h.append(("Cookie", cookie[0]))
    return call(srv, source, "/login/test", h, method="POST", body=body.encode())[0]


def test_sign_in_rate_limit_per_forwarded_client(tmp_path):
    srv = KuvertServer(tmp_path / "login", args=["--test-login", "--trusted-proxies", TRUSTED,
                                                 "--set", "login_rate=2"]).start()
    try:
        assert [login_attempt(srv, PROXY, "198.51.100.7") for _ in range(3)] == [400, 400, 429]
        # another client behind the same proxy has its own budget
        assert login_attempt(srv, PROXY, "198.51.100.8") == 400
        # a direct client cannot borrow another's budget by naming it
        assert login_attempt(srv, "127.0.0.3", "198.51.100.9") == 400
    finally:
        srv.stop()


def hold(srv, source, client):
    """A request whose headers are in and whose body never comes: in flight until closed."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=60,
                                 source_address=(source, 0))
    s.sendall(("POST /test/clock HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\n"
               "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n" % client).encode())
    # admitted (a test-clock route, open to all), so counted for its client before the test
    # goes on
    await_continue(s)
    return s


def test_max_conn_per_ip_applies_to_forwarded_clients_not_to_the_proxy(tmp_path):
    srv = KuvertServer(tmp_path / "limit", test_clock=True,
                       args=["--trusted-proxies", TRUSTED, "--set", "max_conn_per_ip=2"]).start()
    held = []
    try:
        held += [hold(srv, PROXY, "198.51.100.7") for _ in range(2)]
        status, hdrs, body = call(srv, PROXY, "/healthz", [("X-Forwarded-For", "198.51.100.7")])
        assert status == 429 and hdrs.get("Retry-After"), (status, body)
        # the proxy has more than 2 connections open; another client is served through it
        assert call(srv, PROXY, "/healthz", [("X-Forwarded-For", "198.51.100.8")])[0] == 200
        # a direct client is still held to 2 connections
        held += [hold(srv, "127.0.0.3", "x") for _ in range(2)]
        with pytest.raises((ConnectionError, OSError, http.client.HTTPException)):
            call(srv, "127.0.0.3", "/healthz")
        # once one of the client's requests is gone it is served again
        held.pop(0).close()
        # counted out when the server notices the close, on its own time
        wait_until(lambda: call(srv, PROXY, "/healthz",
                                [("X-Forwarded-For", "198.51.100.7")])[0] == 200,
                   what="198.51.100.7 to be served again")
    finally:
        for s in held:
            s.close()
        srv.stop()
