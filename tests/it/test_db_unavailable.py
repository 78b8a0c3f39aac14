# SPDX-License-Identifier: MIT
"""A database that is unavailable for now — PostgreSQL read-only (a standby being promoted, a
primary being demoted; here `ALTER DATABASE ... SET default_transaction_read_only` and the
sessions ended), SQLite locked by another writer past the busy timeout — is answered 503 with
Retry-After, not 500: the API with the ErrorMessage UNAVAILABLE, pages with the 503 page
(docs/errors.md "Database unavailable"). Nothing of the refused request is kept, and once the
database takes writes again the same letter is accepted.

In the PostgreSQL pass the server runs on a database of its own (created and dropped here), so
making it read-only touches nothing else of the test cluster."""
import os
import re
import sqlite3
import uuid as uuidlib

import pytest

from kuvert_harness import KuvertServer, on_postgresql, run_cli
from readside_util import mailbox, setup_org
from send_util import EXAMPLE_CPR, MIN_12, SENDER_CVR, letter, xml_headers


class _PgDatabase:
    """A database of its own in the test cluster, which the test can make read-only."""

    def __init__(self):
        import psycopg2  # Debian python3-psycopg2; only the PostgreSQL pass needs it
        self._pg = psycopg2
        self.base = os.environ["KUVERT_TEST_PG"]
        self.name = "kvro_" + uuidlib.uuid4().hex[:12]
        m = re.match(r"^(postgresql://[^/]*/)([^?]*)(.*)$", self.base)
        assert m, self.base
        self.url = m.group(1) + self.name + m.group(3)
        with self._admin() as c:
            c.cursor().execute("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' "
                               "LC_COLLATE 'C' LC_CTYPE 'C'" % self.name)

    def _admin(self):
        c = self._pg.connect(self.base)
        c.autocommit = True
        return _Closing(c)

    def set_read_only(self, on):
        """Every new session of the database read-only (or not), and the current ones ended:
        kuvert reconnects into the new setting, as it does after a failover."""
        with self._admin() as c:
            cur = c.cursor()
            cur.execute("ALTER DATABASE %s SET default_transaction_read_only = %s"
                        % (self.name, "on" if on else "off"))
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (self.name,))

    def count(self, sql):
        c = self._pg.connect(self.url)
        try:
            cur = c.cursor()
            cur.execute("SET TRANSACTION READ ONLY")
            cur.execute(sql)
            return cur.fetchone()[0]
        finally:
            c.close()

    def drop(self):
        with self._admin() as c:
            c.cursor().execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)


class _Closing:
    def __init__(self, c):
        self.c = c

    def __enter__(self):
        return self.c

    def __exit__(self, *exc):
        self.c.close()
        return False


class _SqliteLock:
    """Another writer holding SQLite's write lock (BEGIN IMMEDIATE) for as long as it likes:
    kuvert's writes wait out their 10 s busy timeout and fail with SQLITE_BUSY."""

    def __init__(self, data_dir):
        self.path = os.path.join(data_dir, "kuvert.db")
        self.con = None

    def set_read_only(self, on):
        if on:
            self.con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.con.execute("BEGIN IMMEDIATE")
        else:
            self.con.execute("ROLLBACK")
            self.con.close()
            self.con = None

    def count(self, sql):
        con = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=30)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()

    def drop(self):
        if self.con:
            self.con.close()


@pytest.fixture
def unavailable_db(tmp_path):
    """(server, database handle, org) on a database the test can make unavailable."""
    data = str(tmp_path / "data")
    args = ["--test-login"]
    pg = _PgDatabase() if on_postgresql() else None
    if pg:
        args += ["--db", pg.url]
    srv = KuvertServer(data, args=args)
    if pg:
        # Every CLI command of the test names the same database.
        srv.cli = lambda a, **kw: run_cli(list(a) + ["--db", pg.url], data=data, **kw)
    srv.start()
    db = pg or _SqliteLock(data)
    try:
        org = setup_org(srv, SENDER_CVR)
        mailbox(srv, cpr=EXAMPLE_CPR)
        yield srv, db, org
    finally:
        if srv.proc is not None:
            srv.stop(check=False)
        db.drop()


def send(srv, org, uuid, body):
    return srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=body,
                    headers=xml_headers(org["auth"]), timeout=60)


def counts(db):
    return (db.count("SELECT count(*) FROM letters"), db.count("SELECT count(*) FROM events"),
            db.count("SELECT count(*) FROM receipts"), db.count("SELECT count(*) FROM web_sessions"))


def test_unavailable_database_answers_503_with_retry_after_and_keeps_nothing(unavailable_db):
    srv, db, org = unavailable_db
    u0, b0 = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert send(srv, org, u0, b0).status_code == 201
    login = srv.get("/login")
    assert login.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    before = counts(db)

    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    db.set_read_only(True)
    try:
        r = send(srv, org, uuid, body)
        assert r.status_code == 503, (r.status_code, r.text)
        assert r.headers.get("Retry-After") == "5", r.headers
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json() == {"code": "UNAVAILABLE",
                            "message": "the database is not available at the moment: retry later",
                            "fieldErrors": []}
        # A page that writes (the test sign-in stores a session): the 503 page, in Danish.
        p = srv.post("/login/test", data={"subject": EXAMPLE_CPR, "csrf": csrf},
                     allow_redirects=False)
        assert p.status_code == 503, (p.status_code, p.text[:500])
        assert p.headers.get("Retry-After") == "5", p.headers
        assert p.headers["Content-Type"].startswith("text/html")
        assert "Tjenesten er utilgængelig et øjeblik" in p.text
        assert "INSERT" not in p.text and "read-only" not in p.text
        assert counts(db) == before, "a refused request left something behind"
    finally:
        db.set_read_only(False)

    # Writable again: the same letter is accepted and stored once.
    r = send(srv, org, uuid, body)
    assert r.status_code == 201, (r.status_code, r.text)
    after = counts(db)
    assert after[0] == before[0] + 1
    assert db.count("SELECT count(*) FROM letters WHERE message_uuid = '%s'" % uuid.lower()) == 1
    assert "database unavailable" in srv.log()
