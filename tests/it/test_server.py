# SPDX-License-Identifier: MIT
"""Black-box tests of `kuvert serve` itself: health, metrics, routing errors, body limits,
request ids, the test clock, graceful shutdown, restarts, and configuration precedence."""
import os
import re
import signal
import socket
import time

import pytest
import requests

from kuvert_harness import (KuvertServer, assert_error_message, await_continue, metric,
                            on_postgresql, parse_metrics, read_to_close, refused_request,
                            run_cli)

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def raw_request(port, data, read=True, timeout=30):
    """Sends raw bytes on a fresh connection; returns the whole response (until close)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        return read_to_close(s)
    finally:
        s.close()


# ---- health and request ids ----

def test_healthz(server):
    r = server.get("/healthz")
    assert r.headers.get("X-Request-Id")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"status": "ok"}


def test_healthz_trailing_slash_and_head(server):
    assert server.get("/healthz/").json() == {"status": "ok"}
    r = server.request("HEAD", "/healthz")
    assert r.status_code == 200 and r.content == b""


def test_request_id_header_unique_and_logged(server):
    ids = [server.get("/healthz").headers["X-Request-Id"] for _ in range(5)]
    assert all(re.match(r"^[0-9a-f]{12}-[0-9a-f]+$", i) for i in ids), ids
    assert len(set(ids)) == 5
    r = server.get("/no/such/thing")
    rid = r.headers["X-Request-Id"]
    # access lines are buffered and written every 200 ms (util/log.h): poll, generously
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if re.search(r" access %s GET /no/such/thing 404 \d+B " % re.escape(rid), server.log()):
            break
        time.sleep(0.05)
    else:
        pytest.fail("no access-log line for %s in\n%s" % (rid, server.log()[-2000:]))


def test_access_log_complete_and_in_order_after_stop(make_server):
    """Buffered access lines are all written when the server stops, before its last line
    (a line of another kind writes the buffered access lines first)."""
    srv = make_server()
    with requests.Session() as s:
        ids = [s.get("http://127.0.0.1:%d/healthz" % srv.port, timeout=30).headers["X-Request-Id"]
               for _ in range(300)]
    srv.stop()
    log = srv.log()
    for rid in ids:
        assert re.search(r" access %s GET /healthz 200 \d+B " % re.escape(rid), log), rid
    last_access = max(log.index(" access %s " % rid) for rid in ids)
    assert last_access < log.rindex(" stopped"), log[-3000:]


# ---- routing errors ----

def test_404_is_error_message(server):
    body = assert_error_message(server.get("/apis/v1/nothing-here"), 404, "NOT_FOUND")
    assert body["fieldErrors"] == []
    assert_error_message(server.get("/healthz/extra"), 404, "NOT_FOUND")
    # "/" is the web front page now; unknown paths outside the APIs get the HTML 404 page
    # (tests/it/test_web.py), API paths keep the JSON ErrorMessage.
    assert server.get("/").status_code == 200
    r = server.get("/nothing-here")
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")


def test_405_has_allow(server):
    r = server.post("/healthz", data=b"x")
    assert_error_message(r, 405, "METHOD_NOT_ALLOWED")
    allow = [m.strip() for m in r.headers["Allow"].split(",")]
    assert "GET" in allow and "POST" not in allow
    assert_error_message(server.delete("/metrics/"), 405)


def test_test_clock_is_404_without_flag(server):
    assert_error_message(server.post("/test/clock", json={"advance": "1h"}), 404, "NOT_FOUND")
    assert_error_message(server.get("/test/clock"), 404)


# ---- metrics ----

def test_metrics_format_and_counters_move(server):
    before, types = parse_metrics(server.get("/metrics").text)
    assert types["kuvert_http_requests_total"] == "counter"
    assert types["kuvert_http_request_duration_seconds"] == "histogram"
    assert types["kuvert_letters_accepted_total"] == "counter"
    assert types["kuvert_letters_refused_total"] == "counter"
    assert types["kuvert_test_clock_offset_seconds"] == "gauge"
    for _ in range(3):
        server.get("/healthz")
    server.get("/nowhere")
    r = server.get("/metrics")
    assert r.headers["Content-Type"].startswith("text/plain")
    after, _ = parse_metrics(r.text)
    h = metric(after, "kuvert_http_requests_total", route="healthz", status=200)
    assert h - metric(before, "kuvert_http_requests_total", route="healthz", status=200) == 3
    assert (metric(after, "kuvert_http_requests_total", route="unmatched", status=404)
            - metric(before, "kuvert_http_requests_total", route="unmatched", status=404)) == 1
    # the histogram is cumulative, ends in +Inf == _count, and counts every healthz request
    les = sorted(((float(dict(k[1])["le"]), v) for k, v in after.items()
                  if k[0] == "kuvert_http_request_duration_seconds_bucket"
                  and dict(k[1])["route"] == "healthz"), key=lambda t: t[0])
    assert les[-1][0] == float("inf")
    vals = [v for _, v in les]
    assert vals == sorted(vals)
    count = metric(after, "kuvert_http_request_duration_seconds_count", route="healthz")
    assert vals[-1] == count
    assert count >= h
    assert metric(after, "kuvert_http_request_duration_seconds_sum", route="healthz") > 0


# ---- body limits ----

def test_413_on_declared_length_before_body(make_server):
    # POST /test/clock: a route anyone may call, so the size bound is what answers
    srv = make_server(test_clock=True, args=["--set", "max_body=1000"])
    # answered at once and closed, the body unread: the client may see a reset (refused_request)
    assert_error_message(refused_request(srv, "POST", "/test/clock", body=b"x" * 1001), 413,
                         "PAYLOAD_TOO_LARGE")
    # at the limit it is read and given to the handler (400: not a JSON object), not refused
    assert_error_message(srv.post("/test/clock", data=b"x" * 1000), 400)
    # refused before the body is read: headers alone get the answer
    out = raw_request(srv.port, b"POST /test/clock HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Length: 50000000\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 413"), out[:200]
    assert b"X-Request-Id:" in out
    assert srv.get("/healthz").status_code == 200


def test_413_on_chunked_body_over_limit(make_server):
    srv = make_server(test_clock=True, args=["--set", "max_body=1000"])
    chunk = b"x" * 600
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
    out = raw_request(srv.port, b"POST /test/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\n" + body)
    assert out.startswith(b"HTTP/1.1 413"), out[:300]
    assert b'"PAYLOAD_TOO_LARGE"' in out
    # a client that keeps streaming far past the bound is disconnected, not buffered
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    s.sendall(b"POST /test/clock HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    big = b"%x\r\n%s\r\n" % (65536, b"z" * 65536)
    with pytest.raises(OSError):
        for _ in range(200):  # 13 MB
            s.sendall(big)
    s.close()
    small = b"64\r\n" + b"y" * 100 + b"\r\n0\r\n\r\n"
    out = raw_request(srv.port, b"POST /test/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\n" + small)
    assert out.startswith(b"HTTP/1.1 400"), out[:300]
    assert srv.get("/healthz").status_code == 200


# ---- test clock ----

@pytest.mark.parametrize("model", ["per-connection", "pool"])
def test_many_keepalive_clients(make_server, model):
    """Concurrent keep-alive clients in both threading models all get answers."""
    import threading
    srv = make_server(args=["--set", "http_model=" + model, "--set", "threads=2"])
    errors = []

    def client():
        s = requests.Session()
        try:
            for _ in range(50):
                r = s.post(srv.url + "/healthz", data=b"z" * 2000, timeout=30)
                if r.status_code != 405:
                    errors.append(r.status_code)
                if s.get(srv.url + "/healthz", timeout=30).status_code != 200:
                    errors.append("healthz")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            s.close()

    ts = [threading.Thread(target=client) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []
    samples, _ = parse_metrics(srv.get("/metrics").text)
    assert metric(samples, "kuvert_http_requests_total", route="healthz", status=200) >= 400
    assert metric(samples, "kuvert_http_requests_total", route="unmatched", status=405) == 400


def test_test_clock_advances(clock_server):
    a = clock_server.advance_clock("36h")
    assert ISO_Z.match(a["now"]), a
    assert a["offsetMs"] >= 36 * 3600 * 1000
    b = clock_server.advance_clock("90m")
    assert b["offsetMs"] == a["offsetMs"] + 90 * 60 * 1000
    samples, _ = parse_metrics(clock_server.get("/metrics").text)
    assert metric(samples, "kuvert_test_clock_offset_seconds") == b["offsetMs"] / 1000


def test_test_clock_bad_input(clock_server):
    body = assert_error_message(clock_server.post("/test/clock", json={"advance": "soon"}), 400)
    assert body["fieldErrors"][0]["field"] == "advance"
    assert body["fieldErrors"][0]["rejectedValue"] == "soon"
    assert_error_message(clock_server.post("/test/clock", data=b"not json"), 400)
    assert_error_message(clock_server.post("/test/clock", json={}), 400)
    r = clock_server.get("/test/clock")
    assert_error_message(r, 405)
    assert r.headers["Allow"] == "POST"


# ---- lifecycle ----

def test_listening_line_and_restart_after_kill9(tmp_path):
    srv = KuvertServer(tmp_path / "d").start()
    first_port = srv.port
    srv.kill9()
    srv.start()  # same data directory, after a crash
    assert srv.get("/healthz").json() == {"status": "ok"}
    assert srv.port > 0 and first_port > 0
    srv.stop()
    # the database is DIR/kuvert.db, or in the PostgreSQL pass the --db database, not in DIR
    assert os.path.exists(os.path.join(str(tmp_path / "d"), "kuvert.db")) != on_postgresql()


@pytest.mark.parametrize("model", ["per-connection", "pool"])
def test_sigterm_lets_inflight_upload_finish(make_server, model):
    from readside_util import setup_org
    srv = make_server(test_clock=True, args=["--set", "http_model=" + model])
    port = srv.port
    total = 2_000_000
    # an upload by a system (a public route such as /test/clock takes 64 KiB at most)
    auth = setup_org(srv, "11111111")["auth"]["Authorization"].encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        s.sendall(b"POST /apis/v1/memos/ HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Content-Type: application/xml\r\nAuthorization: %s\r\n"
                  b"Expect: 100-continue\r\n\r\n" % (total, auth))
        await_continue(s)  # the server has admitted the request, it is in flight
        s.sendall(b"a" * (total // 2))
        srv.signal(signal.SIGTERM)
        # no new connections once draining (the server closes its listener on its own time)
        deadline = time.monotonic() + 60
        while True:
            assert srv.running(), "server exited with a request in flight"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=10).close()
            except OSError:
                break
            assert time.monotonic() < deadline, "still accepting 60 s after SIGTERM"
            time.sleep(0.1)
        assert "draining" in srv.log()
        assert srv.running(), "server exited with a request in flight"
        s.sendall(b"a" * (total - total // 2))
        resp = b""
        while b"\r\n\r\n" not in resp or not resp.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            resp += chunk
    finally:
        s.close()
    assert resp.startswith(b"HTTP/1.1 400"), resp[:300]  # answered: not a letter
    assert b"Connection: close" in resp
    assert srv.wait(timeout=30) == 0, srv.log()
    assert "draining" in srv.log()


def test_sigint_also_stops_cleanly(make_server):
    srv = make_server()
    srv.signal(signal.SIGINT)
    assert srv.wait(timeout=30) == 0


def test_second_server_on_one_data_directory_is_refused(tmp_path):
    """Both would hold every background lease under the default name HOSTNAME:DATA
    (docs/postgresql.md): the second exits 1 with one line, the first serves on; once it has
    stopped (also after kill -9) the directory is free again."""
    from kuvert_harness import kuvert_bin, clean_env
    import subprocess
    data = str(tmp_path / "d")
    srv = KuvertServer(data).start()
    try:
        p = subprocess.run([kuvert_bin(), "serve", "--data", data, "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, env=clean_env(), timeout=60)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert p.stdout == ""
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and "another kuvert serve is running on the data directory " \
            + data in lines[0], p.stderr
        assert srv.get("/healthz").status_code == 200
        srv.kill9()
        srv.start()
        assert srv.get("/healthz").status_code == 200
        # A server of its own node_name (docs/postgresql.md) is not refused.
        other = KuvertServer(data, args=["--set", "node_name=second"],
                             log_path=str(tmp_path / "second.log")).start()
        other.stop()
    finally:
        srv.stop()


def test_bad_config_fails_to_start(tmp_path):
    from kuvert_harness import kuvert_bin, clean_env
    import subprocess
    p = subprocess.run([kuvert_bin(), "serve", "--data", str(tmp_path), "--listen", "nonsense"],
                       capture_output=True, text=True, env=clean_env(), timeout=30)
    assert p.returncode == 2 and "listen" in p.stderr, p.stderr
    p = subprocess.run([kuvert_bin(), "serve", "--bogus"], capture_output=True, text=True,
                       env=clean_env(), timeout=30)
    assert p.returncode == 2 and "--bogus" in p.stderr


# ---- configuration ----

def show(data, extra=(), env=None):
    return run_cli(["config", "show", *extra], data=data, env=env)


def test_config_defaults(data_dir):
    c = show(data_dir)
    v, s = c["values"], c["sources"]
    assert v["listen"] == "127.0.0.1:8080" and s["listen"] == "default"
    assert v["max_body"] == 140000000
    assert v["test_clock"] is False
    assert v["data"] == data_dir and s["data"] == "flag"
    for key in ("data", "listen", "max_body", "threads", "log_level", "test_clock", "smtp",
                "public_url", "receipt_push_timeout", "shutdown_grace"):
        assert key in v and key in s, key


def test_config_precedence_file_env_flag(data_dir):
    with open(os.path.join(data_dir, "kuvert.conf"), "w") as f:
        f.write("# comment\n\nmax_body 5000\nthreads 3\nlog_level debug\n"
                "shutdown_grace 5s\nlisten 127.0.0.1:9000\n")
    c = show(data_dir)
    assert (c["values"]["max_body"], c["sources"]["max_body"]) == (5000, "file")
    assert c["values"]["shutdown_grace"] == 5000
    c = show(data_dir, env={"KUVERT_THREADS": "4", "KUVERT_LOG_LEVEL": "warn"})
    assert (c["values"]["threads"], c["sources"]["threads"]) == (4, "env")
    assert (c["values"]["log_level"], c["sources"]["log_level"]) == ("warn", "env")
    assert c["sources"]["max_body"] == "file"
    c = show(data_dir, ["--set", "threads=5", "--listen", "127.0.0.1:9100", "--test-clock"],
             env={"KUVERT_THREADS": "4", "KUVERT_LISTEN": "127.0.0.1:9050"})
    assert (c["values"]["threads"], c["sources"]["threads"]) == (5, "flag")
    assert (c["values"]["listen"], c["sources"]["listen"]) == ("127.0.0.1:9100", "flag")
    assert (c["values"]["test_clock"], c["sources"]["test_clock"]) == (True, "flag")
    assert c["sources"]["max_body"] == "file"


def test_config_explicit_file_and_env_data(tmp_path, data_dir):
    conf = tmp_path / "other.conf"
    conf.write_text("max_body 2k\n")
    c = show(data_dir, ["--config", str(conf)])
    assert c["values"]["max_body"] == 2048 and c["sources"]["max_body"] == "file"
    # KUVERT_DATA picks the data dir, and with it DATA/kuvert.conf
    with open(os.path.join(data_dir, "kuvert.conf"), "w") as f:
        f.write("threads 7\n")
    c = run_cli(["config", "show"], env={"KUVERT_DATA": data_dir})
    assert c["values"]["data"] == data_dir and c["sources"]["data"] == "env"
    assert c["values"]["threads"] == 7


def test_config_errors_name_line(data_dir):
    with open(os.path.join(data_dir, "kuvert.conf"), "w") as f:
        f.write("threads 2\n\nno_such_key 1\n")
    p = run_cli(["config", "show"], data=data_dir, check=False)
    assert p.returncode == 2
    assert "kuvert.conf:3" in p.stderr and "no_such_key" in p.stderr, p.stderr
    with open(os.path.join(data_dir, "kuvert.conf"), "w") as f:
        f.write("max_body 12x\n")
    p = run_cli(["config", "show"], data=data_dir, check=False)
    assert p.returncode == 2 and "kuvert.conf:1" in p.stderr and "max_body" in p.stderr
    os.unlink(os.path.join(data_dir, "kuvert.conf"))
    for bad in ("threads=-1", "max_body=lots", "test_clock=maybe", "log_level=loud",
                "shutdown_grace=soon", "nokey=1"):
        p = run_cli(["config", "show", "--set", bad], data=data_dir, check=False)
        assert p.returncode == 2 and bad.split("=")[0] in p.stderr, (bad, p.stderr)
    p = run_cli(["config", "show"], data=data_dir, check=False, env={"KUVERT_THREADS": "x"},
                json_out=False)
    assert p.returncode == 2


def test_config_secret_redacted(data_dir):
    c = show(data_dir, ["--smtp", "smtp://user:hunter2@mail.example:25"])
    assert c["values"]["smtp"] == "<redacted>"
    p = run_cli(["config", "show", "--smtp", "smtp://user:hunter2@x"], data=data_dir,
                json_out=False)
    assert "hunter2" not in p.stdout and "<redacted>" in p.stdout


def test_config_applies_to_server(make_server, tmp_path):
    d = tmp_path / "cfgdata"
    d.mkdir()
    (d / "kuvert.conf").write_text("max_body 1500\n")
    srv = make_server(data_dir=str(d), test_clock=True)
    assert_error_message(srv.post("/test/clock", data=b"x" * 1501), 413)
    srv.stop()  # one server per data directory (test_second_server_on_one_data_directory...)
    srv2 = make_server(data_dir=str(d), test_clock=True, env={"KUVERT_MAX_BODY": "3000"})
    assert_error_message(srv2.post("/test/clock", data=b"x" * 2000), 400)
    assert_error_message(srv2.post("/test/clock", data=b"x" * 3001), 413)


def test_docs_config_md_matches_table():
    """docs/config.md carries the table generated by `kuvert config show --markdown`."""
    from kuvert_harness import ROOT
    table = run_cli(["config", "show", "--markdown"], json_out=False).stdout
    with open(os.path.join(ROOT, "docs", "config.md")) as f:
        doc = f.read()
    assert table.strip() in doc, "regenerate the table in docs/config.md"
