# SPDX-License-Identifier: MIT
"""The test clock survives restarts (docs/config.md, src/util/clock_file.c): POST /test/clock
saves the offset in DATA/test-clock-offset; a server restarted with --test-clock (after
SIGTERM or kill -9) continues at the moved time, a server without --test-clock ignores it,
and the admin CLI on the same data directory agrees with the server about "now"."""
import datetime
import os

from kuvert_harness import KuvertServer, parse_metrics, metric

DAY_S = 86400


def offset_s(srv):
    samples, _ = parse_metrics(srv.get("/metrics").text)
    return metric(samples, "kuvert_test_clock_offset_seconds")


def test_offset_survives_sigterm_and_kill9(tmp_path):
    data = tmp_path / "data"
    srv = KuvertServer(data, test_clock=True).start()
    try:
        assert offset_s(srv) == 0
        assert srv.advance_clock("3d")["offsetMs"] == 3 * DAY_S * 1000
        assert os.path.exists(os.path.join(str(data), "test-clock-offset"))
        srv.stop()
        srv.start()
        assert offset_s(srv) == 3 * DAY_S
        assert srv.advance_clock("1h")["offsetMs"] == (3 * DAY_S + 3600) * 1000
        srv.kill9()
        srv.start()
        assert offset_s(srv) == 3 * DAY_S + 3600
    finally:
        srv.stop()
    # Without --test-clock the file is ignored: production time is real time.
    plain = KuvertServer(data).start()
    try:
        assert offset_s(plain) == 0
        assert plain.post("/test/clock", json={"advance": "1h"}).status_code == 404
    finally:
        plain.stop()


def test_cli_agrees_with_the_moved_clock(tmp_path):
    data = tmp_path / "data"
    srv = KuvertServer(data, test_clock=True).start()
    try:
        srv.advance_clock("10d")
        srv.cli(["org", "add", "--cvr", "12121212", "--name", "Tidsstyrelsen"], json_out=False)
        out = srv.cli(["system", "add", "--org", "12121212", "--kind", "sender", "--name", "S"])
        shown = srv.cli(["system", "show", out["id"]])
        created = datetime.datetime.strptime(shown["created"], "%Y-%m-%dT%H:%M:%S.%fZ")
        ahead = created - datetime.datetime.utcnow()
        assert datetime.timedelta(days=9) < ahead < datetime.timedelta(days=11), shown["created"]
    finally:
        srv.stop()


def test_malformed_offset_file_is_refused(tmp_path):
    data = tmp_path / "data"
    srv = KuvertServer(data, test_clock=True).start()
    srv.stop()
    with open(os.path.join(str(data), "test-clock-offset"), "w") as f:
        f.write("soon\n")
    bad = KuvertServer(data, test_clock=True)
    try:
        bad.start(timeout=60)  # a start that fails does so at once; 60 s only bounds it
        started = True
    except RuntimeError:
        started = False
    assert not started, "a server must not start on a malformed test-clock offset"
    assert "test-clock offset" in bad.log()
