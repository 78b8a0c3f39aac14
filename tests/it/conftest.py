# SPDX-License-Identifier: MIT
"""pytest fixtures shared by every tests/it/test_*.py (see kuvert_harness.py).

  server        module-scoped `kuvert serve` on a fresh temp data dir (no test clock)
  clock_server  module-scoped server with --test-clock
  make_server   factory: make_server(test_clock=False, args=[...], env={...}, data_dir=None)
                starts a server per test; all are stopped (and exit 0 asserted) at teardown
  data_dir      a fresh empty temp directory (path string) for CLI-only tests
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from kuvert_harness import KuvertServer  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = KuvertServer(tmp_path_factory.mktemp("kuvert") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def clock_server(tmp_path_factory):
    srv = KuvertServer(tmp_path_factory.mktemp("kuvert") / "data", test_clock=True).start()
    yield srv
    srv.stop()


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return str(d)


@pytest.fixture
def make_server(tmp_path):
    started = []

    def make(test_clock=False, args=(), env=None, data_dir=None):
        d = data_dir or str(tmp_path / ("data%d" % len(started)))
        srv = KuvertServer(d, test_clock=test_clock, args=args, env=env).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        if srv.proc is not None:
            srv.stop()
