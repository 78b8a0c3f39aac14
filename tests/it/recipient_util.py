# SPDX-License-Identifier: MIT
"""Helpers for the recipient-side integration tests (push): an authority with a recipient
system created through the real CLI, letters to it sent through the real send API, and
waiting for the scheduler.

    auth = authority(srv, "55133018", protocol="push", push_url=rx.url)  # {"cvr","system",...}
    uuid, xml = send_to(srv, sender, "55133018")     # sender = readside_util.setup_org(...)
    settle(srv)                                        # every hook of a pass after now has run
"""
from readside_util import basic, letter_xml


def authority(srv, cvr, protocol="push", push_url=None, default=True, name=None):
    """Creates organisation cvr (if new) and a recipient system of it; returns a dict with the
    system's id and Authorization header."""
    srv.cli(["org", "add", "--cvr", cvr, "--name", name or ("Myndighed " + cvr)],
            json_out=False, check=False)
    args = ["system", "add", "--org", cvr, "--kind", "recipient", "--name", "Sag " + cvr,
            "--protocol", protocol]
    if push_url:
        args += ["--push-url", push_url]
    if default:
        args.append("--default")
    out = srv.cli(args)
    return {"cvr": cvr, "system": out["id"], "name": "Sag " + cvr, "auth": basic(out["token"])}


def send_to(srv, sender, cvr, **kw):
    """Sends a MeMo to organisation cvr through POST /apis/v1/memos/ as sender (a
    readside_util.setup_org dict); returns (uuid, the exact bytes sent)."""
    uuid, xml = letter_xml(sender["cvr"], cvr, "CVR", **kw)
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                 headers=dict(sender["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED", r.text
    return uuid, xml


def settle(srv):
    """Returns once a whole scheduler pass (publishing and every hook) that began after this
    call has finished: POST /test/clock waits for the publishing step of a pass begun after
    its kick, and passes run one after another, so after the second call the pass kicked by
    the first is complete. Needs --test-clock; moves the clock by 2 ms."""
    srv.advance_clock("1ms")
    srv.advance_clock("1ms")


def letter_events(srv, sender, uuid, tag=None):
    """The letter's events as the sender system sees them through GET /apis/v1/events/."""
    params = {"messageUUID": uuid, "size": 1000}
    if tag:
        params["eventTag"] = tag
    r = srv.get("/apis/v1/events/", params=params, headers=sender["auth"])
    assert r.status_code == 200, r.text
    return r.json()["events"]
