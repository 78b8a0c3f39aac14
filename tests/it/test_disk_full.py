# SPDX-License-Identifier: MIT
"""A full disk and a read-only data directory under the SQLite store (docs/errors.md "Database
unavailable"), on a real filesystem of its own: an ext4 of 32 MiB mounted for the test.

- A running server whose disk fills up answers every send 201 or 503 `UNAVAILABLE` with
  `Retry-After` (single and bulk), keeps every letter it answered 201 and nothing of the ones
  it refused (letters, receipts and the event chain agree: `kuvert events verify`), stays up
  through a change of a system's credentials (the first store into DIR/kuvert.db-gen's page
  once killed it with SIGBUS: the page was a hole), and takes letters again as soon as space
  is freed, without a restart.
- A background job that fails at every pass (its lease cannot be written, as on a server
  restarted on a full disk) is logged once, then at most once a minute, and once more when it
  runs again, not a line per job per second.
- A server started on a full disk, on a read-only data directory, or on a database file it
  may not write (root's kuvert.db, the server run as nobody), exits non-zero with one line
  that names the cause ("No space left on device", "Read-only file system", "Permission
  denied").

Mounting needs root, mount(8), a loop device and mkfs.ext4, and one test runuser(1) (CI runs
as root on Debian 12); without them the tests fail with a message saying so, they are not
skipped. The tests are about the SQLite data directory, so in the PostgreSQL pass they run the
real binary on SQLite as well."""
import collections
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid as uuidlib

import pytest
import requests

from kuvert_harness import KuvertServer, clean_env, kuvert_bin, wait_until
from readside_util import mailbox, setup_org
from send_util import EXAMPLE_CPR, MIN_12, SENDER_CVR, archive, letter, xml_headers

ADMIN = "disk-full-admin-token-0123456789abcdef"
UNAVAILABLE = {"code": "UNAVAILABLE",
               "message": "the database is not available at the moment: retry later",
               "fieldErrors": []}


@pytest.fixture
def sqlite_only(monkeypatch):
    """The real binary on SQLite, also in the PostgreSQL pass (tests/kuvert-pg.sh)."""
    real = os.environ.get("KUVERT_REAL")
    if real:
        monkeypatch.setenv("KUVERT", real)
    monkeypatch.delenv("KUVERT_TEST_PG", raising=False)


def _mount(args, target):
    p = subprocess.run(["mount"] + args + [target], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.fail("cannot mount %s (%s): %s -- this test needs root and mount(8)"
                    % (target, " ".join(args), p.stderr.strip()))


@pytest.fixture
def small_fs(tmp_path, sqlite_only):
    """A 32 MiB ext4 filesystem of the test's own (an image file on a loop device), mounted at
    tmp_path/fs and unmounted at the end. ext4, not tmpfs: tmpfs gives a mapped file's page
    memory when it is first read, ext4 gives it a disk block only when it is first written,
    which is when a full disk shows (SIGBUS for a store into a mapping). 4 KiB blocks, as on
    any production-sized ext4 (mkfs picks 1 KiB for a filesystem this small): SQLite gives its
    -shm pages their blocks by writing the last byte of each 4 KiB page, which leaves three
    holes in a page of 1 KiB blocks."""
    missing = [t for t in ("mount", "umount", "mkfs.ext4") if not shutil.which(t)]
    if os.geteuid() != 0 or missing:
        pytest.fail("test_disk_full needs root, mount(8) and mkfs.ext4 to mount a small "
                    "filesystem (uid %d, missing: %s)" % (os.geteuid(), missing or "nothing"))
    img, mnt = str(tmp_path / "fs.img"), str(tmp_path / "fs")
    with open(img, "wb") as f:
        f.truncate(32 << 20)
    p = subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "4096", img], capture_output=True, text=True)
    assert p.returncode == 0, "mkfs.ext4 failed: " + p.stderr
    os.mkdir(mnt)
    _mount(["-o", "loop", img], mnt)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", mnt], check=False)


def fill(path):
    """Writes zeros to path until the filesystem is full; returns the path."""
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 20, 4096, 512):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                assert e.errno == 28, e  # ENOSPC
    return path


def send(srv, org, uuid, body):
    return srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=body,
                    headers=xml_headers(org["auth"]))


def assert_unavailable(r):
    assert r.status_code == 503, (r.status_code, r.text[:300])
    assert r.headers.get("Retry-After") == "5", r.headers
    assert r.json() == UNAVAILABLE


def test_full_disk_503_keeps_every_201_survives_and_recovers(small_fs):
    data = os.path.join(small_fs, "data")
    srv = KuvertServer(data, args=["--set", "admin_token=" + ADMIN],
                       log_path=os.path.join(os.path.dirname(small_fs), "server.log"))
    srv.start()
    try:
        org = setup_org(srv, SENDER_CVR)
        mailbox(srv, cpr=EXAMPLE_CPR)
        acked, refused = [], {}
        for _ in range(3):
            u, b = letter(MIN_12, cpr=EXAMPLE_CPR)
            assert send(srv, org, u, b).status_code == 201
            acked.append(u)

        filler = fill(os.path.join(small_fs, "filler"))
        # The WAL may still have room from earlier commits: send until the disk refuses.
        unavailable = 0
        for _ in range(3000):
            u, b = letter(MIN_12, cpr=EXAMPLE_CPR)
            r = send(srv, org, u, b)
            if r.status_code == 201:
                acked.append(u)
                unavailable = 0
                continue
            assert_unavailable(r)
            refused[u] = b
            unavailable += 1
            if unavailable == 3:
                break
        assert unavailable == 3, "the full disk never refused a letter"

        ents = [("a/%d.xml" % i, letter(MIN_12, cpr=EXAMPLE_CPR)[1]) for i in range(3)]
        r = srv.post("/apis/v1/memos/", data=archive(ents),
                     headers=dict(org["auth"], **{"Content-Type": "application/x-lzma"}))
        assert_unavailable(r)
        assert srv.get("/healthz").status_code == 200
        assert srv.get("/apis/v1/receipts/", headers=org["auth"]).status_code == 200

        # A change of the system's credentials advances the counter in DIR/kuvert.db-gen.
        admin = {"Authorization": "Bearer " + ADMIN}
        try:
            r = srv.post("/admin/v1/systems/%s/deactivate" % org["system"], headers=admin)
        except requests.ConnectionError as e:
            pytest.fail("the server died on a credentials change at disk full (%s); exit %s"
                        % (e, srv.proc.wait(timeout=30)))
        assert r.status_code in (200, 503), (r.status_code, r.text)
        assert srv.running()
        assert "database or disk is full" in srv.log()

        # Space again: the same server takes letters, a refused one resent is stored once.
        os.unlink(filler)
        r = srv.post("/admin/v1/systems/%s/activate" % org["system"], headers=admin)
        assert r.status_code == 200, r.text
        resent = next(iter(refused))
        assert send(srv, org, resent, refused.pop(resent)).status_code == 201
        acked.append(resent)
        u, b = letter(MIN_12, cpr=EXAMPLE_CPR)
        assert send(srv, org, u, b).status_code == 201
        acked.append(u)
    finally:
        srv.stop(check=srv.running())

    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(data, "kuvert.db"), uri=True)
    try:
        stored = {row[0] for row in con.execute("SELECT message_uuid FROM letters")}
        assert stored == set(acked), (len(stored), len(acked))
        assert not stored & set(refused)
        assert con.execute("SELECT count(*) FROM receipts").fetchone()[0] == len(acked)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    v = subprocess.run([kuvert_bin(), "events", "verify", "--data", data], capture_output=True,
                       text=True, env=clean_env(), timeout=60)
    assert v.returncode == 0, v.stdout + v.stderr


def start_fails(data):
    p = subprocess.run([kuvert_bin(), "serve", "--data", data, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, env=clean_env(), timeout=60)
    assert p.returncode != 0, p.stdout
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_start_on_a_full_disk_says_so(small_fs):
    data = os.path.join(small_fs, "data")
    subprocess.run([kuvert_bin(), "org", "add", "--cvr", SENDER_CVR, "--name", "Kommunen",
                    "--data", data], check=True, capture_output=True, env=clean_env())
    fill(os.path.join(small_fs, "filler"))
    line = start_fails(data)
    assert "No space left on device" in line and data in line, line


def test_start_on_a_read_only_data_directory_says_so(small_fs):
    data = os.path.join(small_fs, "data")
    subprocess.run([kuvert_bin(), "org", "add", "--cvr", SENDER_CVR, "--name", "Kommunen",
                    "--data", data], check=True, capture_output=True, env=clean_env())
    ro = os.path.join(os.path.dirname(small_fs), "ro-" + uuidlib.uuid4().hex[:8])
    os.mkdir(ro)
    _mount(["--bind", data], ro)
    try:
        _mount(["-o", "remount,bind,ro"], ro)
        line = start_fails(ro)
        assert "the data directory %s is not writable (Read-only file system)" % ro in line, line
    finally:
        subprocess.run(["umount", ro], check=False)


def test_start_on_a_database_it_may_not_write_says_so(sqlite_only):
    """kuvert.db created by root (`kuvert org add` run as root), the server run as another
    user in a directory it may write: SQLite opened the file read-only without a word, and the
    server started and refused every write (and logged eight warnings a second). Now it exits
    1 with one line naming the file and the reason."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.fail("this test needs root and runuser(1) to start kuvert as user nobody")
    data = tempfile.mkdtemp(prefix="kuvert-notmine-")  # in /tmp: reachable for nobody
    try:
        subprocess.run([kuvert_bin(), "org", "add", "--cvr", SENDER_CVR, "--name", "Kommunen",
                        "--data", data], check=True, capture_output=True, env=clean_env())
        os.chmod(data, 0o777)
        os.chmod(os.path.join(data, "kuvert.db"), 0o644)
        # its own process group: a server that does start is stopped with runuser
        p = subprocess.Popen(["runuser", "-u", "nobody", "--", kuvert_bin(), "serve", "--data",
                              data, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=clean_env(),
                             start_new_session=True)
        try:
            out, errs = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            out, errs = p.communicate()
            pytest.fail("kuvert serve started on a database it may not write: %r" % out)
        assert p.returncode == 1 and out == "", (p.returncode, out, errs)
        lines = errs.strip().splitlines()
        assert len(lines) == 1, p.stderr
        assert "cannot write %s/kuvert.db: Permission denied" % data in lines[0], lines[0]
    finally:
        shutil.rmtree(data, ignore_errors=True)


def test_a_job_failing_at_every_pass_is_logged_once(small_fs):
    """Restarted on a full disk, a server's background jobs could not take their leases: a
    warning per job per second (eight lines a second, burying the cause). Whether a full disk
    refuses the small lease writes depends on the room left in the WAL, so here the database
    and its WAL refuse every write deterministically (chattr +i: EPERM, answered 500). Each
    job's failure is logged once (then at most once a minute), and once more when the job runs
    again."""
    if not shutil.which("chattr"):
        pytest.fail("this test needs chattr(1) (e2fsprogs)")
    data = os.path.join(small_fs, "data")
    # a short lease time: the leases the server holds lapse within seconds
    srv = KuvertServer(data, args=["--set", "lease_ttl=2s"],
                       log_path=os.path.join(os.path.dirname(small_fs), "server.log"))
    srv.start()
    frozen = [os.path.join(data, "kuvert.db" + sfx) for sfx in ("", "-wal")]
    try:
        org = setup_org(srv, SENDER_CVR)
        mailbox(srv, cpr=EXAMPLE_CPR)
        start = len(srv.log())
        subprocess.run(["chattr", "+i"] + frozen, check=True)
        u, b = letter(MIN_12, cpr=EXAMPLE_CPR)
        assert send(srv, org, u, b).status_code == 500
        waits = re.compile(r" warn hub lease (\w+): sqlite: disk I/O error[^\n]*; the job ")
        wait_until(lambda: waits.search(srv.log()[start:]), what="a lease's failure")
        time.sleep(3)  # the scheduler runs a pass a second: a few more failing passes
        log = srv.log()[start:]
        per_lease = collections.Counter(waits.findall(log))
        assert per_lease and max(per_lease.values()) == 1, (per_lease, log)
        assert log.count(" warn sender reminders: ") <= 1, log
        assert log.count("scheduler: hook ") <= 1, log
        subprocess.run(["chattr", "-i"] + frozen, check=True)
        wait_until(lambda: "the job runs again after " in srv.log()[start:],
                   what="a lease taken again")
        u, b = letter(MIN_12, cpr=EXAMPLE_CPR)
        assert send(srv, org, u, b).status_code == 201
    finally:
        subprocess.run(["chattr", "-i"] + frozen, check=False)
        srv.stop(check=srv.running())


def test_wal_deleted_under_the_server_is_logged_and_a_clean_stop_keeps_every_letter(
        tmp_path, sqlite_only):
    """DIR/kuvert.db-wal and -shm deleted while the server runs (a clean-up script, an operator
    freeing space): SQLite goes on through its open descriptors without a word, and what it
    commits until the next checkpoint lives only in the deleted file (a kill -9 then lost every
    such letter: 50 of 50 by hand). The periodic checkpoint now logs it once, with what to do;
    a clean stop (SIGTERM) keeps every letter answered 201, before and after the deletion."""
    data = str(tmp_path / "data")
    srv = KuvertServer(data).start()
    acked = []
    try:
        org = setup_org(srv, SENDER_CVR)
        mailbox(srv, cpr=EXAMPLE_CPR)
        for i in range(6):
            if i == 3:
                for suffix in ("-wal", "-shm"):
                    os.unlink(os.path.join(data, "kuvert.db" + suffix))
            u, b = letter(MIN_12, cpr=EXAMPLE_CPR)
            assert send(srv, org, u, b).status_code == 201
            acked.append(u)
        # -wal or -shm, whichever the checkpoint finds missing first (a connection opened
        # meanwhile may have made a new, empty -wal)
        wait_until(lambda: re.search(r"kuvert\.db-(wal|shm) was deleted while kuvert runs",
                                     srv.log()), what="the deleted WAL in the log")
        assert srv.log().count("was deleted while kuvert runs") == 1, srv.log()
    finally:
        srv.stop(check=srv.running())
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(data, "kuvert.db"), uri=True)
    try:
        stored = {row[0] for row in con.execute("SELECT message_uuid FROM letters")}
    finally:
        con.close()
    assert stored == set(acked)
