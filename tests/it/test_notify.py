# SPDX-License-Identifier: MIT
"""Notifications of new post and NemSMS (issue 13, docs/notifications.md), black-box: a real
server with --test-clock, a real SMTP server (aiosmtpd, smtp_sink.py) and a local HTTP sink
as SMS and as push gateway (gateway_sink.py); letters sent through POST /apis/v1/memos/,
settings through the mailbox JSON API.

  - an e-mail address is confirmed by the link mailed to it; a mobile number by the PIN sent
    to it by SMS (wrong PINs counted, the PIN voided after 5);
  - a new letter gives exactly one notice per confirmed channel (e-mail, SMS, push) that names
    the sender and never the letter's title; a replay of the letter gives none;
  - a value-dated letter's notice comes at 00:00 Copenhagen time, not before;
  - quiet hours hold SMS and push back until they end (e-mail goes at once); opt-out stops all;
  - a letter still unread after the reminder delay gets one reminder, once;
  - NemSMS: a subscriber gets the letter's text as an SMS (receipt RECEIVED, NEM_SMS_* events),
    a non-subscriber's letter is refused with a receipt that says so, an exempt citizen can use
    NemSMS, the CLI subscribes and unsubscribes without a PIN (actor cli);
  - kill -9 while notices are being sent: after the restart every letter and channel has
    been sent, and no letter+channel under two different references.
"""
import datetime
import re
import time
from zoneinfo import ZoneInfo

import pytest

from gateway_sink import GatewaySink
from kuvert_harness import KuvertServer, pin_clock_to_noon, wait_until
from readside_util import bearer, mailbox, setup_org, user_token
from send_util import EXAMPLE_CPR, MIN_12, SENDER_CVR, event_tags, letter, query as dict_query, send

NEMSMS_12 = "itk-dev-rpa_python-serviceplatformen__MeMo_NemSMS__memo-1.2.xml"
CPH = ZoneInfo("Europe/Copenhagen")
OTHER_CPR = "0101701234"
EXEMPT_CPR = "0202702345"


def query(srv, sql, *args):
    """Rows as tuples (column order of the SELECT)."""
    return [tuple(r.values()) for r in dict_query(srv, sql, *args)]


@pytest.fixture
def sinks():
    from smtp_sink import SmtpSink
    smtp = SmtpSink().start()
    sms = GatewaySink("/sms").start()
    push = GatewaySink("/push").start()
    yield {"smtp": smtp, "sms": sms, "push": push}
    smtp.stop()
    sms.stop()
    push.stop()


def start(tmp_path, sinks, name="data", extra=()):
    # the clock at 12:00 Copenhagen: quiet hours of now-5m..now+2h and a jump of 2h1m past
    # them never meet a DST change (from 01:30 on the last Sunday of October, 2h1m later is
    # 02:31 local time, still inside quiet hours that end at 03:30)
    if not (tmp_path / name / "test-clock-offset").exists():  # a restart keeps its clock
        pin_clock_to_noon(tmp_path / name)
    return KuvertServer(tmp_path / name, test_clock=True,
                        args=["--smtp", sinks["smtp"].url, "--sms-gateway", sinks["sms"].url,
                              "--push-gateway", sinks["push"].url] + list(extra),
                        env={"KUVERT_SMTP_FROM": "post@kuvert.example"}).start()


@pytest.fixture
def env(tmp_path, sinks):
    srv = start(tmp_path, sinks)
    org = setup_org(srv, SENDER_CVR, name="Kommunen")
    mailbox(srv, cpr=EXAMPLE_CPR)
    token = user_token(srv, cpr=EXAMPLE_CPR)
    yield {"srv": srv, "org": org, "token": token, **sinks}
    srv.stop()


def api(env, method, path, token=None, **kw):
    return env["srv"].request(method, "/api/mailbox" + path,
                              headers=bearer(token or env["token"]), **kw)


def confirm_email(env, addr, token=None):
    r = api(env, "POST", "/notifications/emails", token, json={"emailAddress": addr})
    assert r.status_code == 201, r.text
    assert r.json()["confirmed"] is False
    mail = env["smtp"].wait_for(
        lambda ms: [m for m in ms if addr in m["to"] and "/notifikationer/bekraeft" in m["body"]])
    assert mail, "the confirmation mail arrived"
    link = re.search(r"(/notifikationer/bekraeft\?token=[A-Za-z0-9_-]+)", mail[-1]["body"]).group(1)
    token_val = link.split("=", 1)[1]
    r = api(env, "POST", "/notifications/emails/confirm", token, json={"token": token_val})
    assert r.status_code == 204, r.text
    # the link is used up
    r = api(env, "POST", "/notifications/emails/confirm", token, json={"token": token_val})
    assert r.status_code == 404
    return link


def confirm_mobile(env, number, token=None):
    r = api(env, "PUT", "/notifications/mobile", token, json={"mobileNumber": number})
    assert r.status_code == 202, r.text
    assert r.json()["mobileNumber"]["confirmed"] is False
    pins = env["sms"].wait_for(lambda ms: [m for m in ms if m["to"] == number and m["kind"] == "PIN"])
    assert pins, "the PIN SMS arrived"
    pin = re.search(r"(\d{6})", pins[-1]["text"]).group(1)
    wrong = "%06d" % ((int(pin) + 1) % 1000000)
    r = api(env, "POST", "/notifications/mobile/confirm", token, json={"pin": wrong})
    assert r.status_code == 400 and "1 of 5" in r.text
    r = api(env, "POST", "/notifications/mobile/confirm", token, json={"pin": pin})
    assert r.status_code == 204, r.text


def notices(env, uuid_sender="Kommunen"):
    return {
        "mail": [m for m in env["smtp"].snapshot() if "Ny Digital Post" in m["subject"]],
        "sms": [m for m in env["sms"].snapshot() if m["kind"] == "NEW"],
        "push": [m for m in env["push"].snapshot() if m["kind"] == "NEW"],
    }


def send_min(env, cpr=EXAMPLE_CPR, value_date=None):
    uuid, body = letter(MIN_12, cpr=cpr, value_date=value_date)
    r = send(env["srv"], env["org"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    return uuid, body


def test_confirm_channels_and_one_notice_per_channel(env):
    srv = env["srv"]
    confirm_email(env, "borger@example.dk")
    confirm_mobile(env, "21234567")
    r = api(env, "POST", "/notifications/push",
            json={"providerType": "FCM", "deviceId": "phone-1", "deviceName": "Min telefon",
                  "deviceToken": "tok-abc"})
    assert r.status_code == 201, r.text
    s = api(env, "GET", "/notifications").json()
    assert [e["confirmed"] for e in s["emailAddresses"]] == [True]
    assert s["mobileNumber"]["confirmed"] is True and s["mobileNumber"]["mobileNumber"] == "21234567"
    assert s["pushSubscriptions"][0]["deviceName"] == "Min telefon"

    uuid, body = send_min(env)
    env["smtp"].wait_for(lambda ms: [m for m in ms if "Ny Digital Post" in m["subject"]])
    env["sms"].wait_for(lambda ms: [m for m in ms if m["kind"] == "NEW"])
    env["push"].wait_for(lambda ms: [m for m in ms if m["kind"] == "NEW"])
    # a replay of the same letter creates nothing new
    assert send(srv, env["org"]["auth"], body, uuid).status_code in (200, 201)
    time.sleep(2.5)
    n = notices(env)
    assert len(n["mail"]) == 1 and len(n["sms"]) == 1 and len(n["push"]) == 1, n
    mail, sms, push = n["mail"][0], n["sms"][0], n["push"][0]
    assert mail["to"] == ["borger@example.dk"] and "Kommunen" in mail["subject"]
    assert sms["to"] == "21234567" and "Kommunen" in sms["text"]
    assert re.fullmatch(r"kuvert:NEW:\d+:\d+", sms["reference"])
    assert push["deviceToken"] == "tok-abc" and push["provider"] == "FCM"
    assert sms["_content_type"].startswith("application/json")
    for text in (mail["body"], sms["text"], push["body"]):
        assert "Pladsanvisning" not in text, "never the letter's title or content"
    # the outbox holds exactly one NEW row per channel, all SENT (marked so after the
    # gateway's answer: on the sender's own time)
    want = [("EMAIL", "SENT"), ("PUSH", "SENT"), ("SMS", "SENT")]
    rows = wait_until(lambda: (lambda r: r if [x[1] for x in r] == ["SENT"] * len(r) else None)(
        query(srv, "SELECT channel, state FROM notify_outbox WHERE kind = 'NEW'")),
        what="the notices marked SENT")
    assert sorted((r[0], r[1]) for r in rows) == want


def test_validation_and_limits(env):
    r = api(env, "POST", "/notifications/emails", json={"emailAddress": "not an address"})
    assert r.status_code == 400 and r.json()["fieldErrors"][0]["field"] == "emailAddress"
    for i in range(5):
        assert api(env, "POST", "/notifications/emails",
                   json={"emailAddress": "a%d@example.dk" % i}).status_code == 201
    r = api(env, "POST", "/notifications/emails", json={"emailAddress": "a9@example.dk"})
    assert r.status_code == 413
    assert api(env, "POST", "/notifications/emails",
               json={"emailAddress": "a0@example.dk"}).status_code in (409, 413)
    for bad in ("12345678", "2123456", "212345678", "+4521234567", "2123456a"):
        r = api(env, "PUT", "/notifications/mobile", json={"mobileNumber": bad})
        assert r.status_code == 400, bad
    r = api(env, "PUT", "/notifications/preferences", json={"quietHours": {"from": "25:00",
                                                                           "to": "07:00"}})
    assert r.status_code == 400
    # the PIN is void after 5 wrong answers
    assert api(env, "PUT", "/notifications/mobile", json={"mobileNumber": "31234567"}).status_code == 202
    pin = re.search(r"(\d{6})", env["sms"].wait_for(
        lambda ms: [m for m in ms if m["to"] == "31234567"])[-1]["text"]).group(1)
    wrong = "%06d" % ((int(pin) + 1) % 1000000)
    for _ in range(5):
        assert api(env, "POST", "/notifications/mobile/confirm", json={"pin": wrong}).status_code == 400
    r = api(env, "POST", "/notifications/mobile/confirm", json={"pin": pin})
    assert r.status_code == 403, r.text
    # another owner cannot remove my channel
    mailbox(env["srv"], cpr=OTHER_CPR)
    other = user_token(env["srv"], cpr=OTHER_CPR)
    cid = api(env, "GET", "/notifications").json()["emailAddresses"][0]["id"]
    assert api(env, "DELETE", "/notifications/channels/%d" % cid, token=other).status_code == 404
    assert api(env, "DELETE", "/notifications/channels/%d" % cid).status_code == 204



def server_now(srv):
    now = srv.advance_clock("1ms")["now"]
    return datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def test_value_dated_letter_notice_at_copenhagen_midnight(env):
    srv = env["srv"]
    confirm_mobile(env, "41234567")
    d = server_now(srv).astimezone(CPH).date() + datetime.timedelta(days=2)
    midnight = datetime.datetime(d.year, d.month, d.day, tzinfo=CPH)
    uuid, _ = send_min(env, value_date=d.isoformat())
    time.sleep(1.5)
    assert not notices(env)["sms"]
    delta = midnight - server_now(srv) - datetime.timedelta(minutes=1)
    srv.advance_clock("%dms" % int(delta.total_seconds() * 1000))
    time.sleep(1.5)
    assert not notices(env)["sms"], "no notice before midnight"
    srv.advance_clock("2m")
    assert env["sms"].wait_for(lambda ms: [m for m in ms if m["kind"] == "NEW"])
    row = query(srv, "SELECT o.created_ms, l.available_ms FROM notify_outbox o JOIN letters l"
                     " ON l.id = o.letter_id WHERE o.kind = 'NEW'")[0]
    assert row[1] == int(midnight.timestamp() * 1000)
    assert row[0] >= row[1], "queued by the publication at midnight"


def test_quiet_hours_defer_sms_and_push_not_mail(env):
    srv = env["srv"]
    confirm_email(env, "stille@example.dk")
    confirm_mobile(env, "51234567")
    now = server_now(srv).astimezone(CPH)
    start_q = (now - datetime.timedelta(minutes=5)).strftime("%H:%M")
    end_q = (now + datetime.timedelta(hours=2)).strftime("%H:%M")
    r = api(env, "PUT", "/notifications/preferences",
            json={"quietHours": {"from": start_q, "to": end_q}})
    assert r.status_code == 200 and r.json()["quietHours"] == {"from": start_q, "to": end_q}
    send_min(env)
    assert env["smtp"].wait_for(lambda ms: [m for m in ms if "Ny Digital Post" in m["subject"]])
    time.sleep(2)
    assert not notices(env)["sms"], "held back in quiet hours"
    assert query(srv, "SELECT state FROM notify_outbox WHERE channel = 'SMS' AND kind = 'NEW'")[0][0] \
        == "PENDING"
    srv.advance_clock("2h1m")
    assert env["sms"].wait_for(lambda ms: [m for m in ms if m["kind"] == "NEW"])
    # opt-out: nothing at all for the next letter
    r = api(env, "PUT", "/notifications/preferences", json={"quietHours": None, "optedOut": True})
    assert r.status_code == 200 and r.json()["optedOut"] is True, r.text
    send_min(env)
    time.sleep(2.5)
    n = notices(env)
    assert len(n["sms"]) == 1 and len(n["mail"]) == 1


def test_one_reminder_for_an_unread_letter(env):
    srv = env["srv"]
    confirm_mobile(env, "61234567")
    uuid, _ = send_min(env)
    env["sms"].wait_for(lambda ms: [m for m in ms if m["kind"] == "NEW"])
    srv.advance_clock("6d")
    time.sleep(2)
    assert not [m for m in env["sms"].snapshot() if m["kind"] == "REMINDER"]
    srv.advance_clock("1d1h")
    rem = env["sms"].wait_for(lambda ms: [m for m in ms if m["kind"] == "REMINDER"])
    assert rem and "Påmindelse" in rem[0]["text"]
    srv.advance_clock("8d")
    time.sleep(2.5)
    assert len([m for m in env["sms"].snapshot() if m["kind"] == "REMINDER"]) == 1
    # a letter that was read gets none
    uuid2, _ = send_min(env)
    env["sms"].wait_for(lambda ms: len([m for m in ms if m["kind"] == "NEW"]) >= 2)
    assert api(env, "POST", "/messages/%s/read" % uuid2).status_code in (200, 204)
    srv.advance_clock("8d")
    time.sleep(2.5)
    assert len([m for m in env["sms"].snapshot() if m["kind"] == "REMINDER"]) == 1


def test_no_reminder_for_a_letter_deleted_permanently(tmp_path, sinks):
    """A letter the owner deleted permanently (the web mailbox's "slet endeligt": folder
    purged) is never reminded of, though it was never read; a letter kept unread is."""
    from test_mailbox_web import Browser
    srv = start(tmp_path, sinks, extra=["--test-login"])
    try:
        env = {"srv": srv, "org": setup_org(srv, SENDER_CVR, name="Kommunen"), **sinks}
        mailbox(srv, cpr=EXAMPLE_CPR)
        env["token"] = user_token(srv, cpr=EXAMPLE_CPR)
        confirm_mobile(env, "91234567")
        kept, _ = send_min(env)
        gone, _ = send_min(env)
        assert env["sms"].wait_for(lambda ms: len([m for m in ms if m["kind"] == "NEW"]) >= 2)
        ids = dict(query(srv, "SELECT message_uuid, id FROM letters WHERE message_uuid IN (?, ?)",
                         kept, gone))
        b = Browser(srv, EXAMPLE_CPR)
        csrf = b.csrf()
        assert b.post("/post/brev/%s/flyt" % gone, {"csrf": csrf, "mappe": "deleted"}).status_code == 303
        assert b.post("/post/brev/%s/slet-endeligt" % gone, {"csrf": csrf}).status_code == 303
        assert query(srv, "SELECT folder, read_ms FROM letters WHERE id = ?", ids[gone]) == \
            [("purged", None)]
        srv.advance_clock("7d1h")
        reminded = lambda: {int(m["reference"].split(":")[2]) for m in  # noqa: E731
                            env["sms"].snapshot() if m["kind"] == "REMINDER"}
        wait_until(lambda: ids[kept] in reminded(), what="the kept letter's reminder")
        for _ in range(3):  # further passes of the reminder step: none comes for the other
            srv.advance_clock("1h")
        time.sleep(2)
        assert reminded() == {ids[kept]}
        assert query(srv, "SELECT letter_id FROM notify_outbox WHERE kind = 'REMINDER'") == \
            [(ids[kept],)]
    finally:
        srv.stop()


def nemsms_letter(cpr, text="Husk din tid i morgen kl. 10"):
    uuid, body = letter(NEMSMS_12, cpr=cpr, sender=SENDER_CVR)
    body = body.replace(b"fcdcf318-59b6-427c-9879-4f0af833d593", uuid.encode())
    body = body.replace(b"Message Text", text.encode())
    return uuid, body


def test_nemsms_subscriber_gets_sms_non_subscriber_refused(env):
    srv = env["srv"]
    # subscribe through the mailbox API with a PIN
    r = api(env, "PUT", "/nemsms", json={"mobileNumber": "71234567"})
    assert r.status_code == 202 and r.json()["subscribed"] is False
    pin = re.search(r"(\d{6})", env["sms"].wait_for(
        lambda ms: [m for m in ms if m["to"] == "71234567"])[-1]["text"]).group(1)
    assert api(env, "POST", "/nemsms/confirm", json={"pin": pin}).status_code == 204
    assert api(env, "GET", "/nemsms").json()["mobileNumber"] == "71234567"
    uuid, body = nemsms_letter(EXAMPLE_CPR)
    r = send(srv, env["org"]["auth"], body, uuid)
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "RECEIVED"
    got = env["sms"].wait_for(lambda ms: [m for m in ms if m["kind"] == "NEMSMS"])
    assert got[0]["to"] == "71234567" and got[0]["text"] == "Husk din tid i morgen kl. 10"
    wait_until(lambda: "NEM_SMS_SENT_SUCCESSFULLY" in event_tags(srv, uuid),
               what="the NEM_SMS_SENT_SUCCESSFULLY event")
    # not in the mailbox
    items = api(env, "GET", "/messages").json()["items"]
    assert uuid not in [m["messageUUID"] for m in items]
    # a citizen without a subscription: refused, with a receipt that says so
    mailbox(srv, cpr=OTHER_CPR)
    uuid2, body2 = nemsms_letter(OTHER_CPR)
    r = send(srv, env["org"]["auth"], body2, uuid2)
    assert r.status_code == 201, r.text
    assert r.json()["receiptStatus"] == "NOT_ALLOWED"
    assert r.json()["errorCode"] == "NEMSMS_NOT_SUBSCRIBED"
    assert "NemSMS" in r.json()["errorMessage"]
    # an exempt citizen subscribed by the operator (CLI, no PIN) can use NemSMS
    mailbox(srv, cpr=EXEMPT_CPR, exempt=True)
    out = srv.cli(["nemsms", "subscribe", "--cpr", EXEMPT_CPR, "--mobile", "81234567"])
    assert out["subscribed"] is True and out["mobileNumber"] == "81234567"
    uuid3, body3 = nemsms_letter(EXEMPT_CPR, "Planlagt vandafbrydelse")
    r = send(srv, env["org"]["auth"], body3, uuid3)
    assert r.json()["receiptStatus"] == "RECEIVED"
    assert env["sms"].wait_for(lambda ms: [m for m in ms if m["to"] == "81234567"])
    ev = query(srv, "SELECT tag, actor FROM events WHERE subject = ? ORDER BY seq",
               "cpr:" + EXEMPT_CPR)
    assert ("NEM_SMS_CREATED", "cli") in [(e[0], e[1]) for e in ev]
    srv.cli(["nemsms", "unsubscribe", "--cpr", EXEMPT_CPR])
    uuid4, body4 = nemsms_letter(EXEMPT_CPR)
    assert send(srv, env["org"]["auth"], body4, uuid4).json()["receiptStatus"] == "NOT_ALLOWED"
    ev = query(srv, "SELECT tag, actor FROM events WHERE subject = ? ORDER BY seq",
               "cpr:" + EXEMPT_CPR)
    assert ("NEM_SMS_DELETED", "cli") in [(e[0], e[1]) for e in ev]
    # bad input to the CLI
    from kuvert_harness import CliError
    with pytest.raises(CliError):
        srv.cli(["nemsms", "subscribe", "--cpr", EXEMPT_CPR, "--mobile", "12345678"])


def test_kill9_while_sending_never_duplicates(tmp_path, sinks):
    srv = start(tmp_path, sinks)
    org = setup_org(srv, SENDER_CVR, name="Kommunen")
    cprs = ["%02d%02d70%04d" % (1 + i % 28, 1 + i % 12, 1000 + i) for i in range(30)]
    for i, cpr in enumerate(cprs):
        mailbox(srv, cpr=cpr)
        tok = user_token(srv, cpr=cpr)
        r = srv.request("PUT", "/api/mailbox/notifications/mobile", headers=bearer(tok),
                        json={"mobileNumber": "2%07d" % i})
        assert r.status_code == 202
    assert sinks["sms"].wait_for(lambda ms: len([m for m in ms if m["kind"] == "PIN"]) >= 30,
                                 timeout=120)
    pins = [m for m in sinks["sms"].snapshot() if m["kind"] == "PIN"]
    for i, cpr in enumerate(cprs):
        tok = user_token(srv, cpr=cpr)
        pin = re.search(r"(\d{6})", [m for m in pins if m["to"] == "2%07d" % i][-1]["text"]).group(1)
        assert srv.request("POST", "/api/mailbox/notifications/mobile/confirm", headers=bearer(tok),
                           json={"pin": pin}).status_code == 204
    sinks["sms"].set(delay=0.15)  # slow gateway: sending is in progress when we kill
    env = {"srv": srv, "org": org}
    for _ in range(3):
        for cpr in cprs:
            send_min(env, cpr=cpr)
    assert sinks["sms"].wait_for(lambda ms: len([m for m in ms if m["kind"] == "NEW"]) >= 5,
                                 timeout=120)
    srv.kill9()
    sinks["sms"].set(delay=0)
    srv.start()
    srv.advance_clock("6m")  # past the lease of the rows that were in flight
    done = sinks["sms"].wait_for(
        lambda ms: len({m["reference"] for m in ms if m["kind"] == "NEW"}) >= 90, timeout=180)
    assert done, srv.log()
    time.sleep(2)
    new = [m for m in sinks["sms"].snapshot() if m["kind"] == "NEW"]
    refs = {m["reference"] for m in new}
    assert len(refs) == 90, "every letter and channel noticed"
    # one reference per letter+channel: kuvert never made a second notice
    letters = {r.split(":")[2] for r in refs}
    assert len(letters) == 90
    resent = len(new) - len(refs)
    assert resent <= 32, "only notices in flight at the kill are repeated (same reference)"
    states = lambda: dict((r[0], r[1]) for r in query(  # noqa: E731
        srv, "SELECT state, COUNT(*) FROM notify_outbox WHERE kind = 'NEW' GROUP BY state"))
    wait_until(lambda: states() == {"SENT": 90}, what="90 notices marked SENT")
    assert states() == {"SENT": 90}
    srv.stop()
