# SPDX-License-Identifier: MIT
"""Existence leaks, black-box (issue 8, item 7): nothing a sender system gets back tells it
that another organisation's letter exists. Recalling another organisation's letter is
answered exactly as an unknown uuid (404, same body), and reusing another sender's
messageUUID is answered with the same 409 as any other reuse, naming no other sender.
"""
import uuid as uuidlib

import pytest

from kuvert_harness import assert_error_message
from readside_util import mailbox, setup_org
from send_util import EXAMPLE_CPR, MIN_12, SENDER_CVR, letter, letter_row, send

OTHER_CVR = "55133018"


@pytest.fixture(scope="module")
def env(server):
    mailbox(server, cpr=EXAMPLE_CPR)
    return {"srv": server, "org": setup_org(server, SENDER_CVR),
            "org_b": setup_org(server, SENDER_CVR),
            "other": setup_org(server, OTHER_CVR)}


def recall(env, uuid, who):
    return env["srv"].post("/apis/v1/memos/%s/recall" % uuid, headers=env[who]["auth"])


def test_recall_of_another_organisations_letter_is_answered_as_unknown(env):
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, value_date="2999-01-01")
    assert send(srv, env["org"]["auth"], body, uuid).status_code == 201
    unknown = str(uuidlib.uuid4())
    theirs = recall(env, uuid, "other")
    nobodys = recall(env, unknown, "other")
    assert_error_message(theirs, 404)
    assert_error_message(nobodys, 404)
    assert theirs.json() == {k: (v.replace(unknown, uuid) if isinstance(v, str) else v)
                             for k, v in nobodys.json().items()}
    assert set(theirs.headers) - {"X-Request-Id", "Date"} == \
        set(nobodys.headers) - {"X-Request-Id", "Date"}
    assert letter_row(srv, uuid)["state"] == "AWAITING_DELAY", "nothing was recalled"
    # the owner still may
    assert recall(env, uuid, "org").status_code == 200


def test_reusing_another_senders_uuid_names_no_sender(env):
    srv = env["srv"]
    uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert send(srv, env["org"]["auth"], body, uuid).status_code == 201
    # the same bytes from a system of another organisation, and of the same organisation
    _, other_body = letter(MIN_12, uuid=uuid, cpr=EXAMPLE_CPR, sender=OTHER_CVR)
    foreign = assert_error_message(send(srv, env["other"]["auth"], other_body, uuid), 409,
                                   "DUPLICATE_MESSAGE_UUID")
    sibling = assert_error_message(send(srv, env["org_b"]["auth"], body, uuid), 409,
                                   "DUPLICATE_MESSAGE_UUID")
    _, changed = letter(MIN_12, uuid=uuid, cpr="0101701234")
    own = assert_error_message(send(srv, env["org"]["auth"], changed, uuid), 409,
                               "DUPLICATE_MESSAGE_UUID")
    for err in (foreign, sibling):
        text = str(err).lower()
        assert "another sender" not in text and "system" not in text, err
        assert SENDER_CVR not in str(err) and env["org"]["system"] not in str(err), err
    assert foreign == own == sibling, "one answer whoever used the uuid first"
