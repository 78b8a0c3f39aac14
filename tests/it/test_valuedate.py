# SPDX-License-Identifier: MIT
"""Value date (doNotDeliverUntilDate) and recall, black-box with the test clock: a letter with
a future value date is stored AWAITING_DELAY and invisible in the mailbox API until the clock
passes 00:00 Europe/Copenhagen of that date; the scheduler publishes it (also after a
restart); recall works before publication (API and `kuvert memo recall`) and is refused with
409 after; events record every step.
"""
import datetime
import uuid as uuidlib
from zoneinfo import ZoneInfo

import pytest

from kuvert_harness import assert_error_message, wait_until
from readside_util import bearer, mailbox, setup_org, user_token
from send_util import delegate_to_representative
from send_util import EXAMPLE_CPR, FULL_12, MIN_12, SENDER_CVR, event_tags, letter, letter_row, send

CPH = ZoneInfo("Europe/Copenhagen")


def server_now(srv):
    """The server's clock (with its test offset) as an aware datetime."""
    now = srv.advance_clock("1ms")["now"]
    return datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def value_date(srv, days):
    """(date string, Unix ms of its 00:00 Copenhagen) `days` after the server's today."""
    d = server_now(srv).astimezone(CPH).date() + datetime.timedelta(days=days)
    midnight = datetime.datetime(d.year, d.month, d.day, tzinfo=CPH)
    return d.isoformat(), int(midnight.timestamp() * 1000)


def advance_to(srv, ms, offset_ms):
    """Advances the server's clock to ms + offset_ms (must be in the future)."""
    now_ms = int(server_now(srv).timestamp() * 1000)
    delta = ms + offset_ms - now_ms
    assert delta > 0
    srv.advance_clock("%dms" % delta)


def wait_published(srv, uuid):
    """The clock's answer waits for the publisher at most 5 s; under load it may take longer."""
    wait_until(lambda: letter_row(srv, uuid)["state"] == "AVAILABLE", 60,
               "the letter published after its value date")


def visible(srv, token, uuid):
    r = srv.get("/api/mailbox/messages", headers=bearer(token))
    assert r.status_code == 200, r.text
    return uuid.lower() in [m["messageUUID"] for m in r.json()["items"]]


@pytest.fixture
def env(make_server):
    srv = make_server(test_clock=True)
    org = setup_org(srv, SENDER_CVR)
    other = setup_org(srv, "55133018")
    mailbox(srv, cpr=EXAMPLE_CPR)
    delegate_to_representative(srv)  # Full 1.2 names its Representative
    return {"srv": srv, "org": org, "other": other, "token": user_token(srv, cpr=EXAMPLE_CPR)}


def send_delayed(env, days, name=MIN_12):
    srv = env["srv"]
    date, ms = value_date(srv, days)
    uuid, body = letter(name, cpr=EXAMPLE_CPR, value_date=date)
    r = send(srv, env["org"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED"
    return uuid, ms


def test_future_value_date_waits_until_copenhagen_midnight(env):
    srv = env["srv"]
    uuid, ms = send_delayed(env, 2, FULL_12)
    row = letter_row(srv, uuid)
    assert row["state"] == "AWAITING_DELAY"
    assert row["available_ms"] == ms
    assert event_tags(srv, uuid) == ["MEMO_SEND_RECEIVED", "MEMO_SEND_VALIDATED",
                                     "DELAYED_MEMO_SEND_VALIDATED_AWAITING_DELAY"]
    assert not visible(srv, env["token"], uuid)
    advance_to(srv, ms, -60_000)  # one minute before midnight
    assert letter_row(srv, uuid)["state"] == "AWAITING_DELAY"
    assert not visible(srv, env["token"], uuid)
    srv.advance_clock("2m")       # one minute after
    wait_published(srv, uuid)
    assert visible(srv, env["token"], uuid)
    assert event_tags(srv, uuid)[-2:] == ["DELAYED_MEMO_SEND_SENT", "MEMO_AVAILABLE_TO_RECIPIENT"]


def test_value_date_today_or_past_is_available_at_once(env):
    srv = env["srv"]
    for days in (0, -3):
        date, _ = value_date(srv, days)
        uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, value_date=date)
        assert send(srv, env["org"]["auth"], body, uuid).status_code == 201
        assert letter_row(srv, uuid)["state"] == "AVAILABLE"
        assert visible(srv, env["token"], uuid)


def test_value_date_with_a_time_zone_is_the_same_day(env):
    """doNotDeliverUntilDate is an xs:date: a time zone (Z, +hh:mm, -hh:mm) may follow the
    date, and the rules (NGDP-DATE-INVALID) and `kuvert memo validate` accept it. The send
    path refused such a letter with 400 and an undocumented code NGDP-DATE (its date did not
    fit a 10-byte copy). It is the same calendar day: published at 00:00 Copenhagen of it."""
    srv = env["srv"]
    date, ms = value_date(srv, 2)
    # Blanks around it collapse (xs:date): libxml2 refused them with XSD until parse.c
    # stripped them (docs/memo-reader.md "White space that the schema collapses").
    for spelled in (date + "Z", date + "+14:00", date + "-05:30", "\n\t\t\t" + date + "\n\t\t"):
        uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, value_date=spelled)
        r = send(srv, env["org"]["auth"], body, uuid)
        assert r.status_code == 201, (spelled, r.text)
        row = letter_row(srv, uuid)
        assert row["state"] == "AWAITING_DELAY", spelled
        assert row["available_ms"] == ms, spelled
        assert not visible(srv, env["token"], uuid)


def test_value_date_before_1970_is_in_the_past(env):
    """A value date before 1970-01-02 (0001-01-01 is .NET's DateTime.MinValue, what a sender
    system writes for a date it never set) is a real xs:date in the past: published at once,
    like any past value date. Its 00:00 Copenhagen is a negative Unix time, which the send path
    took for "not a date" and refused with 400 (kuvert memo validate called it valid)."""
    srv = env["srv"]
    for date in ("0001-01-01", "1900-06-15", "1969-12-31", "1970-01-01"):
        uuid, body = letter(MIN_12, cpr=EXAMPLE_CPR, value_date=date)
        r = send(srv, env["org"]["auth"], body, uuid)
        assert r.status_code == 201, (date, r.text)
        assert letter_row(srv, uuid)["state"] == "AVAILABLE", date
        assert visible(srv, env["token"], uuid), date


def test_scheduler_publishes_after_restart(env):
    srv = env["srv"]
    uuid, ms = send_delayed(env, 3)
    srv.kill9()
    srv.start()
    assert letter_row(srv, uuid)["state"] == "AWAITING_DELAY"
    advance_to(srv, ms, 1000)
    wait_published(srv, uuid)
    assert visible(srv, env["token"], uuid)
    srv.stop()
    srv.start()
    assert event_tags(srv, uuid).count("MEMO_AVAILABLE_TO_RECIPIENT") == 1, "published once"


def recall(env, uuid, who="org"):
    return env["srv"].post("/apis/v1/memos/%s/recall" % uuid, headers=env[who]["auth"])


def test_recall_before_publication(env):
    srv = env["srv"]
    uuid, ms = send_delayed(env, 2)
    r = recall(env, uuid)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "RECALLED" and r.json()["alreadyRecalled"] is False
    assert letter_row(srv, uuid)["state"] == "RECALLED"
    assert event_tags(srv, uuid)[-2:] == ["MEMO_MESSAGE_RECALLED", "DELAYED_MEMO_MESSAGE_RECALLED"]
    again = recall(env, uuid.upper())
    assert again.status_code == 200 and again.json()["alreadyRecalled"] is True
    assert event_tags(srv, uuid).count("MEMO_MESSAGE_RECALLED") == 1
    advance_to(srv, ms, 60_000)
    assert letter_row(srv, uuid)["state"] == "RECALLED", "a recalled letter is never published"
    assert not visible(srv, env["token"], uuid)


def test_recall_after_publication_is_409(env):
    srv = env["srv"]
    uuid, ms = send_delayed(env, 1)
    advance_to(srv, ms, 1000)
    wait_published(srv, uuid)
    assert_error_message(recall(env, uuid), 409)
    assert letter_row(srv, uuid)["state"] == "AVAILABLE"
    # A letter without value date is published on arrival: nothing to recall.
    u2, body = letter(MIN_12, cpr=EXAMPLE_CPR)
    assert send(srv, env["org"]["auth"], body, u2).status_code == 201
    assert_error_message(recall(env, u2), 409)


def test_recall_errors(env):
    srv = env["srv"]
    uuid, _ = send_delayed(env, 2)
    assert_error_message(recall(env, str(uuidlib.uuid4())), 404)
    assert_error_message(recall(env, "not-a-uuid"), 404)
    assert_error_message(recall(env, uuid, who="other"), 404)  # as unknown: no existence leak
    assert_error_message(srv.post("/apis/v1/memos/%s/recall" % uuid), 401)
    assert letter_row(srv, uuid)["state"] == "AWAITING_DELAY"


def test_cli_recall(env):
    srv = env["srv"]
    uuid, ms = send_delayed(env, 2)
    out = srv.cli(["memo", "recall", uuid])
    assert out["messageUUID"] == uuid and out["state"] == "RECALLED"
    assert letter_row(srv, uuid)["state"] == "RECALLED"
    tags = event_tags(srv, uuid)
    assert tags[-2:] == ["MEMO_MESSAGE_RECALLED", "DELAYED_MEMO_MESSAGE_RECALLED"]
    # Unknown and already-published letters: exit status 1 with a message.
    p = srv.cli(["memo", "recall", str(uuidlib.uuid4())], json_out=False, check=False)
    assert p.returncode == 1 and "no letter" in p.stderr
    u2, ms2 = send_delayed(env, 1)
    advance_to(srv, ms2, 1000)
    wait_published(srv, u2)
    p = srv.cli(["memo", "recall", u2], json_out=False, check=False)
    assert p.returncode == 1 and "published" in p.stderr
