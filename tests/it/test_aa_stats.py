# SPDX-License-Identifier: MIT
"""Administrativ Adgang: usage statistics (issue 11 item 9, docs/administrativ-adgang.md)
black-box over HTTP on `kuvert demo` data: the CSV contract (paths, BOM, ';', exact column
names, CRLF, period filter, bad dates -> 400 with a message; a page's form again with the
refused field marked and what was written kept), the figures agree with the
letters actually stored (the aggregates are kept as letters flow, in the same transaction),
grouping collapses dimensions, MeMo usage counts the markup, each organisation sees only its
own letters, and only STATISTICS_ADMINISTRATOR gets in."""
import datetime

import pytest

from kuvert_harness import db_connect, pin_clock_to_noon, run_cli
from test_web import csrf_of, sign_in

BASE = "/administrativ-adgang/statistik"
PETER = "peter.sagsbehandler@kommunen.dk"   # Kommunen 12345678: STATISTICS_ADMINISTRATOR
MADS = "mads.madsen@kommunen.dk"            # Region Eksempel 55667788 (context) has it too
IDA = "ida.nyansat@kommunen.dk"             # Kommunen, no rights
BOM = b"\xef\xbb\xbf"
OVERVIEW_COLS = ("day;count;sender;recipient;senderSystemId;recipientSystemId;senderType;"
                 "recipientType;sizeRange;typeOfMessage;recipientContactPointId;"
                 "recipientContactPointName")
MEMO_COLS = ("startDate;endDate;senderIdentifier;senderName;senderSystemId;senderSystemName;"
             "recipientType;messageFormatMEMO;messageFormatDP;totalMessages;"
             "customNotificationUsed;customAdditionalNotificationUsed;standardNotificationUsed;"
             "hasActions;hasRecipientLabel;hasRecipientAttentionData;hasSenderAttentionData;"
             "isReplyable;hasReplyData;hasContentData;hasSenderContentResponsible")


def today(srv):
    """The server's date (Copenhagen) -- its clock is pinned near noon (pin_clock_to_noon), so
    the demo's letters, the server's "now" and this date agree whenever the suite runs."""
    return srv.today()


@pytest.fixture
def st(make_server, tmp_path):
    d = str(tmp_path / "data")
    pinned = pin_clock_to_noon(d)
    run_cli(["demo"], data=d)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    srv.today = pinned
    return srv, d


def q(d, sql, *args):
    db = db_connect(d)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def csv_rows(r):
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.content
    assert body.startswith(BOM)
    text = body[len(BOM):].decode("utf-8")
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    return lines[0], [line.split(";") for line in lines[1:]]


def test_overview_csv_matches_the_letters(st):
    srv, d = st
    sign_in(srv, PETER)
    t = today(srv).isoformat()
    head, rows = csv_rows(srv.get(BASE + "/oversigt.csv?from=%s&to=%s" % (t, t)))
    assert head == OVERVIEW_COLS
    assert all(len(r) == 12 for r in rows)
    assert {r[0] for r in rows} == {t}
    sent = q(d, "SELECT COUNT(*) FROM letters WHERE sender_cvr = '12345678' AND state <> "
                "'NOT_ALLOWED'")[0][0]
    received = q(d, "SELECT COUNT(*) FROM letters WHERE recipient_type = 'CVR' AND "
                    "recipient_id = '12345678' AND state <> 'NOT_ALLOWED'")[0][0]
    assert sent >= 4 and received >= 1
    assert sum(int(r[1]) for r in rows if r[2] == "12345678") == sent
    assert sum(int(r[1]) for r in rows if r[3] == "12345678") == received
    printed = [r for r in rows if r[9] == "PHYSICAL_LETTER"]
    assert printed and printed[0][7] == "CITIZEN" and printed[0][6] == "AUTHORITY"
    # the region's letter to Kommunen went to Kommunen's own recipient system
    inbound = [r for r in rows if r[3] == "12345678"][0]
    assert inbound[2] == "55667788" and inbound[7] == "AUTHORITY" and inbound[5]
    assert inbound[4] == ""          # another organisation's system: never its id
    # a citizen is counted, never named
    assert all(r[3] == "" for r in rows if r[7] == "CITIZEN")
    # without from/to: the last 30 days, which include today
    _, rows30 = csv_rows(srv.get(BASE + "/oversigt.csv"))
    assert sorted(rows30) == sorted(rows)


def test_period_filter_and_bad_dates(st):
    srv, _ = st
    sign_in(srv, PETER)
    y = (today(srv) - datetime.timedelta(days=1)).isoformat()
    head, rows = csv_rows(srv.get(BASE + "/oversigt.csv?from=%s&to=%s" % (y, y)))
    assert head == OVERVIEW_COLS and rows == []
    head, rows = csv_rows(srv.get(BASE + "/memo-brug.csv?from=2020-01-01&to=2020-12-31"))
    assert head == MEMO_COLS and rows == []
    # (query, the field refused, its message (English), what the form shows in each field)
    for bad, field, msg, shown in (
            ("from=2026-13-01&to=2026-12-31", "st-from", "Give the date as YYYY-MM-DD.",
             ("2026-13-01", "2026-12-31")),
            ("from=yesterday&to=2026-01-01", "st-from", "Give the date as YYYY-MM-DD.",
             ("yesterday", "2026-01-01")),
            ("from=2026-02-30&to=2026-03-01", "st-from", "Give the date as YYYY-MM-DD.",
             ("2026-02-30", "2026-03-01")),
            ("from=2026-03-01&to=2026-02-01", "st-to",
             "The last day must not be before the first.", ("2026-03-01", "2026-02-01")),
            ("from=2020-01-01&to=2026-01-01", "st-to", "The period may span at most 1100 days.",
             ("2020-01-01", "2026-01-01")),
            ("from=2026-01-01&to=2026-01-01x", "st-to", "Give the date as YYYY-MM-DD.",
             ("2026-01-01", "2026-01-01x")),
            ("from=%27%3B--&to=2026-01-01", "st-from", "Give the date as YYYY-MM-DD.",
             ("&#39;;--", "2026-01-01"))):
        for path in ("/oversigt.csv", "/memo-brug.csv"):
            r = srv.get(BASE + path + "?" + bad)
            assert r.status_code == 400, (bad, r.status_code)
            assert "YYYY-MM-DD" in r.text and r.headers["Content-Type"].startswith("text/plain")
        # a page: the form again (400), the field marked with its message next to it, what
        # was written kept, no figures
        for path in ("", "/memo-brug", "/afsendelse", "/modtagelse"):
            r = srv.get(BASE + path + "?lang=en&" + bad)
            assert r.status_code == 400, (path, bad, r.status_code)
            assert r.headers["Content-Type"].startswith("text/html")
            t = r.text
            assert '<span class="form-error-message" id="%s-error">' % field in t, (path, bad)
            assert msg in t and '<a href="#%s">%s</a>' % (field, msg) in t, (path, bad)
            assert t.count('aria-invalid="true"') == 1, (path, bad)
            assert 'aria-describedby="%s-error" aria-invalid="true"' % field in t, (path, bad)
            assert 'id="st-from" name="from" value="%s"' % shown[0] in t, (path, bad)
            assert 'id="st-to" name="to" value="%s"' % shown[1] in t, (path, bad)
            assert "<table" not in t and "<svg" not in t, (path, bad)
    # the grouping chosen stays chosen on a refused period
    t = srv.get(BASE + "?lang=en&from=2026-03-01&to=2026-02-01&grouping=1&sender=GROUP_PARAM").text
    assert 'name="sender" value="GROUP_PARAM" checked' in t
    assert 'name="recipient" value="GROUP_PARAM" checked' not in t


def test_grouping_collapses_dimensions(st):
    srv, _ = st
    sign_in(srv, PETER)
    t = today(srv).isoformat()
    _, rows = csv_rows(srv.get(BASE + "/oversigt.csv?from=%s&to=%s" % (t, t)))
    total = sum(int(r[1]) for r in rows)
    _, one = csv_rows(srv.get(BASE + "/oversigt.csv?from=%s&to=%s&grouping=1" % (t, t)))
    assert one == [[t, str(total)] + [""] * 10]
    _, by_type = csv_rows(srv.get(BASE + "/oversigt.csv?from=%s&to=%s&grouping=1"
                                  "&typeOfMessage=GROUP_PARAM" % (t, t)))
    assert {r[9] for r in by_type} == {"DIGITALPOST", "PHYSICAL_LETTER"}
    assert sum(int(r[1]) for r in by_type) == total
    assert all(r[2] == "" and r[7] == "" for r in by_type)
    page = srv.get(BASE + "?from=%s&to=%s&grouping=1&typeOfMessage=GROUP_PARAM" % (t, t))
    assert page.status_code == 200
    assert "PHYSICAL_LETTER" in page.text and 'name="typeOfMessage" value="GROUP_PARAM" checked' \
        in page.text
    assert 'name="sender" value="GROUP_PARAM" checked' not in page.text


def test_memo_usage_counts_markup(st):
    srv, d = st
    sign_in(srv, PETER)
    t = today(srv).isoformat()
    head, rows = csv_rows(srv.get(BASE + "/memo-brug.csv?from=%s&to=%s" % (t, t)))
    assert head == MEMO_COLS
    cols = head.split(";")
    assert rows and all(len(r) == len(cols) for r in rows)
    row = dict(zip(cols, rows[0]))
    assert row["startDate"] == t and row["endDate"] == t
    assert row["senderIdentifier"] == "12345678" and row["senderName"] == "Kommunen"
    assert row["senderSystemName"] == "Kommunens sagssystem"
    total = sum(int(dict(zip(cols, r))["totalMessages"]) for r in rows)
    assert total == q(d, "SELECT COUNT(*) FROM letters WHERE sender_cvr = '12345678' AND state"
                         " <> 'NOT_ALLOWED'")[0][0]
    # the demo's "Afgørelse om boligstøtte" is the one letter that may be answered
    assert sum(int(dict(zip(cols, r))["isReplyable"]) for r in rows) == 1
    assert all(r[cols.index("messageFormatDP")] == "0" for r in rows)
    page = srv.get(BASE + "/memo-brug?from=%s&to=%s" % (t, t))
    assert page.status_code == 200 and "Kommunens sagssystem" in page.text


def test_each_organisation_sees_its_own(st):
    srv, _ = st
    sign_in(srv, MADS)                    # acts for Kommunen first: no statistics right there
    front = srv.get("/administrativ-adgang/")
    assert srv.get(BASE + "/oversigt.csv").status_code == 403
    r = srv.post("/context", data={"org": "55667788", "csrf": csrf_of(front.text),
                                   "next": "/administrativ-adgang/"}, allow_redirects=False)
    assert r.status_code == 303
    t = today(srv).isoformat()
    _, rows = csv_rows(srv.get(BASE + "/oversigt.csv?from=%s&to=%s" % (t, t)))
    assert rows and all("55667788" in (x[2], x[3]) for x in rows)
    assert not any(x[2] == "12345678" for x in rows)
    own = [x for x in rows if x[2] == "55667788"]
    assert own and all(x[4] for x in own)   # its own sender system: by id


def test_only_statistics_administrator(st):
    srv, _ = st
    sign_in(srv, IDA)
    for path in ("", "/oversigt.csv", "/memo-brug", "/memo-brug.csv", "/afsendelse",
                 "/modtagelse"):
        assert srv.get(BASE + path).status_code == 403, path
    srv2 = srv
    sign_in(srv2, PETER)
    front = srv2.get("/administrativ-adgang/")
    assert 'href="%s"' % BASE in front.text


def test_dashboards_have_charts_and_tables(st):
    srv, _ = st
    sign_in(srv, PETER)
    t = today(srv).isoformat()
    for path, words in (("/afsendelse", ["Breve pr. dag", "Kommunens sagssystem",
                                         "PHYSICAL_LETTER"]),
                        ("/modtagelse", ["Breve pr. dag", "Fejlrate"])):
        r = srv.get(BASE + path + "?from=%s&to=%s" % (t, t))
        assert r.status_code == 200, path
        assert r.text.count('<svg class="aa-chart" role="img"') >= 3
        assert r.text.count("<table") >= 3
        for w in words:
            assert w in r.text, (path, w)
    assert srv.get(BASE + "/afsendelse?from=2026-02-31").status_code == 400
    # the page's title in the language asked for (the English pages were titled
    # in Danish until session 12)
    for path, da, en in (("/afsendelse", "Dashboard: Afsendelse", "Dashboard: Sending"),
                         ("/modtagelse", "Dashboard: Modtagelse", "Dashboard: Receiving")):
        r = srv.get(BASE + path + "?from=%s&to=%s&lang=en" % (t, t))
        assert r.status_code == 200 and "<title>" + en in r.text and da not in r.text, path
        r = srv.get(BASE + path + "?from=%s&to=%s&lang=da" % (t, t))
        assert "<title>" + da in r.text, path
