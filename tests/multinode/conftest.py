# SPDX-License-Identifier: MIT
"""pytest fixtures shared by tests/multinode/test_*.py (see cluster_util.py):

  pg    module-scoped PostgreSQL database (KUVERT_TEST_PG's cluster, or a private one)
  sink  a real SMTP server (tests/it/smtp_sink.py), stopped after the test
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster_util import PgDatabase  # noqa: E402  (puts tests/it on the path)
from smtp_sink import SmtpSink  # noqa: E402


@pytest.fixture(scope="module")
def pg():
    with PgDatabase() as db:
        yield db


@pytest.fixture
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()
