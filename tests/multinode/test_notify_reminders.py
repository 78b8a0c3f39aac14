# SPDX-License-Identifier: MIT
"""The reminder rule of the notices of new post (docs/notifications.md "The reminder rule") on
two `kuvert serve` nodes over one PostgreSQL database: the rule runs as a scheduler hook on
every node, under the lease "notify_reminders", so one node applies it per pass. Black-box:
the demo's citizen Mette Hansen has a confirmed e-mail address; letters are sent to her
through both nodes; both nodes' test clocks pass the reminder delay several times; then each
unread letter has exactly one REMINDER per channel, the SMTP server received exactly one
reminder mail per letter (her other channels wait for gateways this test does not run), a
read letter got none, and the lease is held by one of the nodes.
Only loopback addresses; every wait is bounded.
"""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster_util import pg_query as q, start_nodes  # noqa: E402
from kuvert_harness import wait_until as wait  # noqa: E402
from readside_util import basic, letter_xml  # noqa: E402

SENDER = "29189978"
METTE = "2211771212"          # the demo's citizen with a confirmed e-mail address
ADDRESS = "mette.hansen@example.dk"
LETTERS = 8


def reminder_mails(sink):
    return [m for m in sink.snapshot()
            if m["to"] == [ADDRESS] and m["subject"].startswith("Påmindelse")]


def test_two_nodes_make_one_reminder_per_letter_and_channel(pg, tmp_path, sink):
    url, schema = pg.fresh_url()
    nodes = start_nodes(tmp_path, url, 2,
                        args=["--smtp", sink.url, "--set", "lease_ttl=2s",
                              "--set", "notify_reminder=1d"],
                        env={"KUVERT_SMTP_FROM": "kuvert@hub.example"})
    try:
        nodes[0].cli(["demo"], json_out=False)
        nodes[0].cli(["org", "add", "--cvr", SENDER, "--name", "Afsender"], json_out=False)
        out = nodes[0].cli(["system", "add", "--org", SENDER, "--kind", "sender",
                            "--name", "Afsender"])
        auth = basic(out["token"])
        # the demo's own letters to Mette are read, so that only these count
        q(pg, schema, "UPDATE letters SET read_ms = 1 WHERE recipient_id = %s", (METTE,))
        sent = []
        for i in range(LETTERS):
            uuid, xml = letter_xml(SENDER, METTE, "CPR", label="Brev %d" % i)
            r = nodes[i % 2].post("/apis/v1/memos/", params={"memo-message-uuid": uuid},
                                  data=xml, timeout=60,
                                  headers=dict(auth, **{"Content-Type": "application/xml"}))
            assert r.status_code == 201, r.text
            sent.append(uuid)
        ids = dict(q(pg, schema, "SELECT message_uuid, id FROM letters WHERE message_uuid"
                     " = ANY(%s)", (sent,)))
        assert len(ids) == LETTERS
        # every letter's NEW notice goes out first (one per letter on her one channel)
        wait(lambda: q(pg, schema, "SELECT COUNT(*) FROM notify_outbox WHERE kind = 'NEW'"
                       " AND state = 'SENT' AND letter_id = ANY(%s)",
                       (list(ids.values()),))[0][0] == LETTERS, what="the NEW notices")
        # one letter is read before the delay: it gets no reminder
        read = ids[sent[0]]
        q(pg, schema, "UPDATE letters SET read_ms = 1 WHERE id = %s", (read,))

        # both clocks pass the delay, then several more passes of both nodes
        for n in nodes:
            n.advance_clock("1d1h")
        wait(lambda: len(reminder_mails(sink)) >= LETTERS - 1, what="the reminder mails")
        for _ in range(3):
            for n in nodes:
                n.advance_clock("1h")
        time.sleep(4)                       # two lease times: any second reminder would be out

        rows = q(pg, schema, "SELECT letter_id, channel_id, COUNT(*) FROM notify_outbox"
                 " WHERE kind = 'REMINDER' GROUP BY letter_id, channel_id")
        assert all(r[2] == 1 for r in rows), rows
        # exactly the channels her NEW notices went to, for every letter but the read one
        new = q(pg, schema, "SELECT letter_id, channel_id FROM notify_outbox WHERE kind = 'NEW'"
                " AND letter_id = ANY(%s)", (list(ids.values()),))
        assert sorted((r[0], r[1]) for r in rows) == sorted(r for r in new if r[0] != read)
        assert {r[0] for r in rows} == set(ids.values()) - {read}
        assert len(reminder_mails(sink)) == LETTERS - 1, [m["subject"] for m in sink.snapshot()]
        # marked SENT after the SMTP server's answer: on the sender's own time
        mailed = lambda: q(pg, schema, "SELECT state, COUNT(*) FROM notify_outbox"  # noqa: E731
                           " WHERE kind = 'REMINDER' AND channel = 'EMAIL' GROUP BY state")
        wait(lambda: mailed() == [("SENT", LETTERS - 1)], what="the reminders marked SENT")
        assert mailed() == [("SENT", LETTERS - 1)], mailed()
        holder = q(pg, schema, "SELECT holder FROM work_leases WHERE name = 'notify_reminders'")
        assert holder and holder[0][0] in ("node0", "node1"), holder
    finally:
        for n in nodes:
            if n.running():
                n.stop()
    assert q(pg, schema, "SELECT COUNT(*) FROM work_leases")[0][0] == 0
