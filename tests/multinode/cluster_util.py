# SPDX-License-Identifier: MIT
"""Several `kuvert serve` nodes on one PostgreSQL database, for the multi-node tests and
benchmarks (docs/postgresql.md "Several nodes on one database").

    with PgDatabase() as pg:                  # KUVERT_TEST_PG's cluster, or a private one
        url = pg.fresh_url()                  # a fresh schema of it, as a libpq URL
        nodes = start_nodes(tmp, url, 3, args=[...])   # KuvertServer per node, own data dir
        cli(nodes[0], ["org", "add", ...])    # admin CLI on the shared database

The private cluster is tests/pg_cluster.sh's (initdb/pg_ctl, Unix socket only), stopped and
removed on exit. Nodes run the real binary (KUVERT_REAL in the test runner's PostgreSQL pass,
else KUVERT) with `--db URL` given explicitly, so every node reaches the same schema.
"""
import os
import subprocess
import sys
import tempfile
import uuid as uuidlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "it"))

import kuvert_harness  # noqa: E402
from kuvert_harness import KuvertServer, ROOT, run_cli  # noqa: E402


def pg_query(pg, schema, sql, args=()):
    """Runs sql (psycopg2 %s placeholders) on schema of PgDatabase pg; the rows, or []."""
    c = pg.connect(schema)
    try:
        with c.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else []
    finally:
        c.close()


def real_binary():
    """The kuvert binary itself (not the PostgreSQL-pass wrapper tests/kuvert-pg.sh)."""
    path = os.environ.get("KUVERT_REAL") or kuvert_harness.kuvert_bin()
    return os.path.abspath(path)


class PgDatabase:
    """The test cluster of KUVERT_TEST_PG, or a private one started here."""

    def __init__(self):
        self.base = os.environ.get("KUVERT_TEST_PG", "")
        self.dir = None

    def __enter__(self):
        if not self.base:
            self.dir = tempfile.mkdtemp(prefix="kuvert-multinode-pg.")
            os.rmdir(self.dir)
            out = subprocess.run([os.path.join(ROOT, "tests", "pg_cluster.sh"), "start",
                                  self.dir], capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                raise RuntimeError("cannot start a PostgreSQL cluster: " + out.stderr)
            self.base = out.stdout.strip()
        return self

    def __exit__(self, *exc):
        if self.dir:
            subprocess.run([os.path.join(ROOT, "tests", "pg_cluster.sh"), "stop", self.dir],
                           timeout=120)

    def connect(self, schema=None):
        import psycopg2
        opts = "-csearch_path=%s" % schema if schema else None
        c = psycopg2.connect(self.base, options=opts) if opts else psycopg2.connect(self.base)
        c.autocommit = True
        return c

    def fresh_url(self):
        """A new empty schema; returns (url, schema)."""
        schema = "kvm_" + uuidlib.uuid4().hex[:16]
        c = self.connect()
        with c.cursor() as cur:
            cur.execute("CREATE SCHEMA %s" % schema)
        c.close()
        sep = "&" if "?" in self.base else "?"
        return self.base + sep + "options=-csearch_path%3D" + schema, schema


def node_env(extra=None):
    """Extra environment of a node."""
    return dict(extra or {})


class Node(KuvertServer):
    """A KuvertServer on the shared database, run from the real binary."""

    def __init__(self, data_dir, url, name, test_clock=True, args=(), env=None):
        super().__init__(data_dir, test_clock=test_clock,
                         args=["--db", url, "--set", "node_name=" + name] + list(args),
                         env=node_env(env))
        self.db_url = url
        self.name = name

    def start(self, timeout=60):
        saved = os.environ.get("KUVERT")
        os.environ["KUVERT"] = real_binary()
        try:
            return super().start(timeout)
        finally:
            if saved is None:
                del os.environ["KUVERT"]
            else:
                os.environ["KUVERT"] = saved

    def cli(self, args, **kw):
        return cli_db(self.db_url, self.data_dir, args, **kw)


def cli_db(url, data_dir, args, **kw):
    """`kuvert ARGS --db URL --data DIR [--json]` with the real binary."""
    saved = os.environ.get("KUVERT")
    os.environ["KUVERT"] = real_binary()
    try:
        return run_cli(list(args) + ["--db", url], data=data_dir, env=node_env(), **kw)
    finally:
        if saved is None:
            del os.environ["KUVERT"]
        else:
            os.environ["KUVERT"] = saved


def start_nodes(tmp, url, n, args=(), env=None):
    nodes = []
    try:
        for i in range(n):
            nodes.append(Node(os.path.join(str(tmp), "node%d" % i), url, "node%d" % i,
                              args=args, env=env).start())
    except Exception:
        for x in nodes:
            x.kill9()
        raise
    return nodes
