# SPDX-License-Identifier: MIT
"""The gate's cache of system authentications across processes and nodes (docs/store.md
"Credentials generation"). Servers run with `pg_credentials_cache notify` (on SQLite the
setting changes nothing: the shared counter is always used). A system's token is used on every
node, then its secret is rotated, it is deactivated and activated again, and its allowed
addresses are changed by another process (the CLI): every node refuses the old token and
admits the new one. On SQLite the change holds for the very next request; on PostgreSQL a
second server on the same database is a second node, and each change is awaited within a
generous bound there (its notification arrives milliseconds after the commit)."""
import os

from kuvert_harness import KuvertServer, on_postgresql, pg_schema, wait_until
from readside_util import basic, setup_org

SENDER_CVR = "11111111"
NOTIFY = ["--set", "pg_credentials_cache=notify"]


def status(srv, auth):
    return srv.get("/apis/v1/receipts/?size=1", headers=auth).status_code


def settled(nodes, auth, want):
    """Every node answers auth with want: at once on SQLite, within 60 s on PostgreSQL."""
    if not on_postgresql():
        assert [status(n, auth) for n in nodes] == [want] * len(nodes)
        return
    for n in nodes:
        wait_until(lambda: status(n, auth) == want, timeout=60, what="status %d" % want)


def test_changes_by_another_process_reach_every_node(tmp_path):
    a = KuvertServer(str(tmp_path / "a"), args=NOTIFY).start()
    nodes = [a]
    try:
        if on_postgresql():  # a second node on the same database (tests/kuvert-pg.sh's schema)
            base = os.environ["KUVERT_TEST_PG"]
            url = "%s%soptions=-csearch_path%%3D%s" % (base, "&" if "?" in base else "?",
                                                       pg_schema(a.data_dir))
            nodes.append(KuvertServer(str(tmp_path / "b"), args=NOTIFY + ["--db", url]).start())
        org = setup_org(a, SENDER_CVR)
        for n in nodes:  # used, and so kept, on every node
            assert status(n, org["auth"]) == 200
            assert status(n, org["auth"]) == 200

        out = a.cli(["system", "rotate-secret", org["system"]])
        new = basic(out["token"])
        settled(nodes, org["auth"], 401)
        for n in nodes:
            assert status(n, new) == 200
            assert status(n, org["auth"]) == 401  # once refused, it stays refused
            assert status(n, new) == 200

        a.cli(["system", "deactivate", org["system"]])
        settled(nodes, new, 401)
        a.cli(["system", "activate", org["system"]])
        settled(nodes, new, 200)

        a.cli(["system", "edit", org["system"], "--allowed-ips", "10.0.0.0/8"])
        settled(nodes, new, 403)
        a.cli(["system", "edit", org["system"], "--allowed-ips", ""])
        settled(nodes, new, 200)
    finally:
        for n in reversed(nodes):
            n.stop()
