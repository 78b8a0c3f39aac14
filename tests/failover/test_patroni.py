# SPDX-License-Identifier: MIT
"""PostgreSQL primary failover under load (issue 14 item 4b, docs/postgresql.md "Failover with
Patroni"), black-box: a one-member etcd, two PostgreSQL 15 instances managed by Patroni in
synchronous mode (one primary, one synchronous standby), all on 127.0.0.1 in a temp
directory; two `kuvert serve` nodes whose `db` is a multi-host libpq URL with
target_session_attrs=read-write. Clients send letters round-robin with retry on the other node;
mid-burst the primary's Patroni is stopped (SIGTERM: it stops PostgreSQL and gives up the
leader key); Patroni promotes the standby; the kuvert nodes reconnect by themselves.
Afterwards every letter that got a 201 is stored exactly once on the new primary, letters sent
after the failover are accepted, and the event chain verifies.

Needs Debian's patroni and etcd-server (`make test-cluster` installs them when missing); not
part of `make test` (it takes about a minute and needs those packages). Only loopback
addresses; every wait is bounded.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "multinode"))

from cluster_util import Node  # noqa: E402
from readside_util import basic, letter_xml  # noqa: E402

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
SENDER = "29189978"
CPR = "0101701234"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def as_postgres(cmd):
    """cmd run as the postgres user when we are root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--"] + cmd if os.getuid() == 0 else cmd


def wait(pred, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = pred()
        except Exception:  # a member still starting answers nothing yet
            v = None
        if v:
            return v
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.2)


def rest(port, path):
    """Status of GET http://127.0.0.1:port/path on a Patroni member (0 when unreachable)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


PATRONI_YML = """scope: kuvert-failover
name: {name}
restapi:
  listen: 127.0.0.1:{rest}
  connect_address: 127.0.0.1:{rest}
etcd3:
  hosts: 127.0.0.1:{etcd}
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
  initdb:
  - encoding: UTF8
  - locale: C
  - auth: trust
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{pg}
  connect_address: 127.0.0.1:{pg}
  data_dir: {dir}/{name}
  bin_dir: {bin}
  pgpass: {dir}/pgpass-{name}
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
  parameters:
    unix_socket_directories: '{dir}'
    synchronous_commit: 'on'
    fsync: 'on'
"""


class PatroniCluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kuvert-patroni.")
        os.chmod(self.dir, 0o700)
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.etcd_port, self.etcd_peer = free_port(), free_port()
        self.members = []
        for name in ("pg1", "pg2"):
            m = {"name": name, "pg": free_port(), "rest": free_port(), "proc": None}
            path = os.path.join(self.dir, name + ".yml")
            with open(path, "w") as f:
                f.write(PATRONI_YML.format(name=name, rest=m["rest"], etcd=self.etcd_port,
                                           pg=m["pg"], dir=self.dir, bin=PGBIN))
            m["yml"] = path
            self.members.append(m)
        self.etcd = None

    def start(self):
        self.etcd = subprocess.Popen(
            as_postgres(["etcd", "--name", "kuvert-test", "--data-dir",
                         os.path.join(self.dir, "etcd"),
                         "--listen-client-urls", "http://127.0.0.1:%d" % self.etcd_port,
                         "--advertise-client-urls", "http://127.0.0.1:%d" % self.etcd_port,
                         "--listen-peer-urls", "http://127.0.0.1:%d" % self.etcd_peer,
                         "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % self.etcd_peer,
                         "--initial-cluster", "kuvert-test=http://127.0.0.1:%d" % self.etcd_peer]),
            stdout=open(os.path.join(self.dir, "etcd.log"), "wb"), stderr=subprocess.STDOUT)
        for m in self.members:
            self.start_member(m)
            if m is self.members[0]:  # the first bootstraps; the second clones it
                wait(lambda: rest(m["rest"], "/primary") == 200, what="pg1 primary")
        wait(lambda: self.sync_standby() is not None, what="a synchronous standby")
        return self

    def start_member(self, m):
        m["proc"] = subprocess.Popen(as_postgres(["patroni", m["yml"]]),
                                     stdout=open(os.path.join(self.dir, m["name"] + ".log"), "ab"),
                                     stderr=subprocess.STDOUT)

    def state(self):
        """GET /cluster from the first member that answers."""
        for m in self.members:
            if m["proc"] and m["proc"].poll() is None:
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/cluster" % m["rest"],
                                                timeout=2) as r:
                        return json.loads(r.read())
                except OSError:
                    continue
        return {}

    def sync_standby(self):
        for mem in self.state().get("members", []):
            if mem.get("role") == "sync_standby" and mem.get("state") in ("running", "streaming"):
                return mem["name"]
        return None

    def primary(self):
        for m in self.members:
            if m["proc"] and m["proc"].poll() is None and rest(m["rest"], "/primary") == 200:
                return m
        return None

    def url(self, db="kuvert"):
        hosts = ",".join("127.0.0.1:%d" % m["pg"] for m in self.members)
        return ("postgresql://%s/%s?user=postgres&target_session_attrs=read-write"
                "&connect_timeout=3" % (hosts, db))

    def psql(self, sql, db="postgres"):
        p = self.primary()
        out = subprocess.run([os.path.join(PGBIN, "psql"), "-X", "-At", "-h", "127.0.0.1", "-p",
                              str(p["pg"]), "-U", "postgres", "-d", db, "-c", sql],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def stop(self):
        for m in self.members:
            if m["proc"] and m["proc"].poll() is None:
                m["proc"].send_signal(signal.SIGTERM)
                try:
                    m["proc"].wait(60)
                except subprocess.TimeoutExpired:
                    m["proc"].kill()
                    m["proc"].wait()
        if self.etcd and self.etcd.poll() is None:
            self.etcd.terminate()
            self.etcd.wait(30)
        # a PostgreSQL left behind by a killed Patroni
        for m in self.members:
            pid = os.path.join(self.dir, m["name"], "postmaster.pid")
            if os.path.exists(pid):
                subprocess.run(as_postgres([os.path.join(PGBIN, "pg_ctl"), "-D",
                                            os.path.join(self.dir, m["name"]), "-m",
                                            "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        out = []
        for n in ("etcd", "pg1", "pg2"):
            try:
                with open(os.path.join(self.dir, n + ".log"), "rb") as f:
                    out.append("== %s\n%s" % (n, f.read()[-3000:].decode("utf-8", "replace")))
            except OSError:
                pass
        return "\n".join(out)


@pytest.fixture
def patroni():
    c = PatroniCluster()
    try:
        c.start()
    except BaseException:
        print(c.log())
        c.stop()
        raise
    yield c
    c.stop()


def test_primary_failover_loses_no_acknowledged_letter(patroni, tmp_path):
    patroni.psql("CREATE DATABASE kuvert TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'")
    url = patroni.url()
    nodes = [Node(os.path.join(str(tmp_path), "node%d" % i), url, "node%d" % i,
                  test_clock=False).start() for i in range(2)]
    try:
        nodes[0].cli(["org", "add", "--cvr", SENDER, "--name", "Afsender"], json_out=False)
        out = nodes[0].cli(["system", "add", "--org", SENDER, "--kind", "sender", "--name", "A"])
        auth = basic(out["token"])
        nodes[0].cli(["mailbox", "add", "--cpr", CPR])

        acked, lock = [], threading.Lock()
        stats = {"retries": 0}
        total, workers = 240, 4
        first = patroni.primary()["name"]

        def client(w):
            for i in range(w, total, workers):
                # Paced (about 3 s for all letters) so that letters are still being sent while
                # the primary stops and the standby is promoted, also on an idle machine.
                time.sleep(0.05)
                uuid, xml = letter_xml(SENDER, CPR, "CPR", label="Brev %d" % i)
                deadline = time.monotonic() + 120
                k = i
                while True:
                    node = nodes[k % 2]
                    k += 1
                    try:
                        r = node.post("/apis/v1/memos/", params={"memo-message-uuid": uuid},
                                      data=xml, headers=dict(auth, **{"Content-Type":
                                                                      "application/xml"}),
                                      timeout=30)
                        if r.status_code == 201:
                            with lock:
                                acked.append(uuid)
                            break
                        # The database unavailable for now: 503 with Retry-After, never a
                        # 500 (docs/errors.md "Database unavailable").
                        assert r.status_code == 503, (r.status_code, r.text)
                        assert r.headers.get("Retry-After"), r.headers
                    except requests.RequestException:
                        pass
                    with lock:
                        stats["retries"] += 1
                    assert time.monotonic() < deadline, "a letter was never acknowledged"
                    time.sleep(0.2)

        th = [threading.Thread(target=client, args=(w,)) for w in range(workers)]
        for t in th:
            t.start()
        wait(lambda: len(acked) >= total // 4, what="a quarter of the letters")
        old = patroni.primary()
        t0 = time.monotonic()
        old["proc"].send_signal(signal.SIGTERM)  # stop the primary under load
        old["proc"].wait(180)  # Patroni stops its PostgreSQL first: slow on a loaded machine
        new = wait(lambda: patroni.primary(), what="promotion of the standby")
        promoted = time.monotonic() - t0
        for t in th:
            t.join(300)
        assert all(not t.is_alive() for t in th)
        assert len(acked) == total
        assert new["name"] != first

        # Every acknowledged letter on the new primary, once.
        rows = patroni.psql("SELECT message_uuid, COUNT(*) FROM letters GROUP BY message_uuid",
                            db="kuvert").split()
        counts = dict(r.split("|") for r in rows)
        assert sorted(counts) == sorted(acked)
        assert all(c == "1" for c in counts.values())
        # Both nodes work on the new primary without a restart. Patroni names the new leader a
        # moment before its PostgreSQL accepts writes ("session is read-only"): a node answers
        # 503 with Retry-After meanwhile, as to any client during the failover, and 201 once it
        # is writable.
        for n in nodes:
            uuid, xml = letter_xml(SENDER, CPR, "CPR", label="Efter")
            deadline = time.monotonic() + 60
            while True:
                r = n.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                           headers=dict(auth, **{"Content-Type": "application/xml"}))
                if r.status_code == 201 or time.monotonic() > deadline:
                    break
                assert r.status_code == 503, (r.status_code, r.text)
                assert r.headers.get("Retry-After"), r.headers
                time.sleep(0.2)
            assert r.status_code == 201, r.text
        assert nodes[1].cli(["events", "verify"])["ok"] is True
        print("failover: %s -> %s promoted %.1f s after the primary was stopped; %d letters,"
              " all %d acknowledged stored once; %d client retries" % (
                  first, new["name"], promoted, total, len(acked), stats["retries"]))
    finally:
        for n in nodes:
            if n.running():
                n.stop()
