# SPDX-License-Identifier: MIT
"""The routes x privileges matrix, generated (docs/rights.md "One authorisation decision").

Nothing here lists routes or rights by hand: the routes come from `kuvert config routes
--json` (each with its access key), the rules from `kuvert config access --json` (the one
table in src/identity/authz.c), and the roles from `kuvert demo` (systems, bearer tokens)
and `kuvert user list` (every demo employee's rights). Every route is then called by every
role and by nobody, on a real server:

* a route the table refuses to a role must refuse it -- 401/403 for an API route, a redirect
  to sign-in (nobody) or 403 (signed in) for a page; anything else is a LEAK and fails;
* a GET the table admits must not be refused by the gate (catches a route whose handler
  checks something else than its declared key);
* every page request makes exactly one authorisation decision on its route's key (none for a
  public route; an API request at most one): the gate's, counted by kv_authz_decide and reported in the header
  X-Kuvert-Authz-Decisions of a --test-login server (util/reqtrace.h).

API routes authenticate only the Authorization header (system token, admin token, a mailbox
owner's bearer token); pages only the session cookie -- so a session opens no API route and
a token no page, and the test expects exactly that."""
import json
import re
import uuid

import pytest
import requests

from kuvert_harness import run_cli

ADMIN_TOKEN = "matrix-admin-token-0123456789abcdef"
KOMMUNEN = "12345678"
OTHER_ORG = "55667788"


def fill(pattern, org):
    """A concrete path for a route pattern ({orgId} = org, ids that exist nowhere)."""
    def one(m):
        name = m.group(1)
        if name in ("orgId", "cvr", "org"):
            return org
        if name in ("id", "eid", "n"):
            return "1"
        return str(uuid.UUID(int=0x1234))
    return re.sub(r"\{(\w+)\}", one, pattern)


def decide(rule, p, scope):
    """kv_authz_decide's semantics over a rule of `kuvert config access --json`."""
    if "anonymous" in rule["kinds"]:
        return "allow"
    if p is None:
        return "unauth"
    if p["kind"] not in rule["kinds"]:
        return "forbid"
    if p["kind"] == "system" and rule.get("systemKind") and rule["systemKind"] != p["system_kind"]:
        return "forbid"
    if p["kind"] in ("employee", "company_user"):
        if not p.get("org"):
            return "forbid"
        if rule.get("privilege") and rule["privilege"] not in p["privs"]:
            return "forbid"
    if p["kind"] == "citizen":
        # a helper in another's mailbox holds only what their access gives (read or
        # read-write) and is refused where only the owner may act
        if rule.get("ownerOnly") and p.get("helper"):
            return "forbid"
        mp = rule.get("mailboxPrivilege")
        if mp and mp not in p.get("mbox_privs", {"MAILBOX_READ", "MAILBOX_READ_WRITE"}):
            return "forbid"
    if rule["scoped"] and scope != p.get("org"):
        return "forbid"
    return "allow"


class Role:
    def __init__(self, name, headers=None, api=None, session_subject=None, page=None):
        self.name = name
        self.headers = headers or {}
        self.api = api            # principal the API gate sees, or None
        self.subject = session_subject
        self.page = page          # principal a page sees, or None
        self.http = requests.Session()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory, request):
    from kuvert_harness import KuvertServer
    d = str(tmp_path_factory.mktemp("matrix") / "data")
    demo = run_cli(["demo"], data=d)
    routes = run_cli(["config", "routes"])["routes"]
    rules = {r["access"]: r for r in run_cli(["config", "access"])["rules"]}
    srv = KuvertServer(d, test_clock=True,
                       args=["--test-login", "--set", "admin_token=" + ADMIN_TOKEN,
                             "--set", "login_rate=100000"])
    srv.start()
    request.addfinalizer(lambda: srv.stop(check=False))
    return srv, demo, routes, rules


def roles_of(srv, demo):
    def system(kind):
        s = next(x for x in demo["systems"] if x["org"] == KOMMUNEN and x["kind"] == kind)
        return Role(kind + "-system", {"Authorization": "Basic " + s["token"]},
                    api={"kind": "system", "system_kind": kind, "org": KOMMUNEN})

    def token(owner_type, owner_id):
        t = next(x for x in demo["userTokens"] if x["ownerId"] == owner_id)
        api = ({"kind": "citizen"} if owner_type == "CPR" else
               {"kind": "company_user", "org": owner_id,
                "privs": {"MESSAGE_BASIC", "MESSAGE_WRITE"}})
        return Role("%s-token" % owner_type.lower(), {"Authorization": "Bearer " + t["token"]},
                    api=api)

    roles = [Role("nobody"), system("sender"), system("recipient"),
             Role("admin", {"Authorization": "Bearer " + ADMIN_TOKEN}, api={"kind": "admin"}),
             token("CPR", "2211771212"), token("CVR", "33445566"),
             Role("citizen-session", session_subject="2211771212", page={"kind": "citizen"}),
             # Sofie reads Jens's post with read access (demo) and has switched to it
             Role("helper-session", session_subject="1502851236",
                  page={"kind": "citizen", "helper": True, "mbox_privs": {"MAILBOX_READ"}})]
    roles[-1].switch_to = "CPR:0101701234"
    # every demo employee, with the rights `kuvert user list` says they hold in their first
    # organisation context (the session's default)
    held = {}
    for org in sorted({e["org"] for e in demo["employees"]}):
        for e in run_cli(["user", "list", "--org", org], data=srv.data_dir)["employees"]:
            for r in e["rights"]:
                if r["status"] == "ACTIVE":
                    held.setdefault(e["email"], {}).setdefault(r["scope"]["id"], set()).add(r["type"])
            held.setdefault(e["email"], {}).setdefault(org, set())
    for email, by_org in sorted(held.items()):
        ctx = min(by_org)
        roles.append(Role("employee " + email, session_subject=email,
                          page={"kind": "employee", "org": ctx, "privs": by_org[ctx]}))
    return roles


def sign_in(srv, role):
    page = role.http.get(srv.url + "/login", timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = role.http.post(srv.url + "/login/test", data={"subject": role.subject, "csrf": csrf},
                       allow_redirects=False, timeout=30)
    assert r.status_code == 303, (role.name, r.status_code, r.text[:300])
    if getattr(role, "switch_to", None):
        page = role.http.get(srv.url + "/post/", timeout=30)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = role.http.post(srv.url + "/post/postkasse", data={"csrf": csrf,
                                                               "postkasse": role.switch_to},
                           allow_redirects=False, timeout=30)
        assert r.status_code == 303, (role.name, r.status_code, r.text[:300])
        assert "læseadgang" in role.http.get(srv.url + "/post/", timeout=30).text


def test_every_route_with_every_role(matrix):
    srv, demo, routes, rules = matrix
    roles = roles_of(srv, demo)
    leaks, refused, decisions, checked = [], [], [], 0
    # routes that end the caller's own session are called last
    ordered = sorted(routes, key=lambda r: r["pattern"] in ("/logout", "/login/test", "/context"))
    for role in roles:
        if role.subject:
            sign_in(srv, role)
        for rt in ordered:
            assert rt.get("access") in rules, "route %s %s declares no known access key: %r" % (
                rt["method"], rt["pattern"], rt.get("access"))
            rule = rules[rt["access"]]
            page = rt.get("page", False)
            principal = role.page if page else role.api
            scope = KOMMUNEN
            want = decide(rule, principal, scope if rule["scoped"] else None)
            path = fill(rt["pattern"], scope)
            r = role.http.request(rt["method"], srv.url + path, headers=role.headers,
                                  data=b"" if rt["method"] in ("POST", "PUT") else None,
                                  allow_redirects=False, timeout=30)
            checked += 1
            # One authorisation decision on the route's own key per request (util/reqtrace.h,
            # reported under --test-login): the gate's, never a second one in the handler; a
            # public route is admitted by its rule without one.
            own = r.headers.get("X-Kuvert-Authz-Decisions")
            # (an API call without a credential of the kind the key needs is refused 401 by
            # authentication before any decision: at most one there)
            expect = {"0"} if "anonymous" in rule["kinds"] else {"1"} if page else {"0", "1"}
            if own not in expect:
                decisions.append("%-16s %-6s %-58s %-16s -> %s decisions" % (
                    role.name[:16], rt["method"], path, rt["access"], own))
            to_login = r.status_code == 303 and r.headers.get("Location", "").startswith("/login")
            denied = r.status_code in (401, 403) or to_login
            what = "%-16s %-6s %-58s %-16s -> %d" % (role.name[:16], rt["method"], path,
                                                     rt["access"], r.status_code)
            if want != "allow" and not denied:
                leaks.append(what)
            if want == "unauth" and page and not to_login:
                leaks.append(what + " (nobody must be sent to sign-in)")
            if want == "allow" and rt["method"] == "GET" and (r.status_code == 401 or to_login or
                                                             (r.status_code == 403 and not page)):
                refused.append(what)
    assert checked >= len(routes) * len(roles)
    assert not leaks, "LEAKS (refused by the table, served anyway):\n" + "\n".join(leaks)
    assert not refused, "admitted by the table, refused by the route:\n" + "\n".join(refused)
    assert not decisions, ("not exactly one authorisation decision on the route's key:\n" +
                           "\n".join(decisions))


def test_a_scoped_route_refuses_another_organisation(matrix):
    srv, demo, routes, rules = matrix
    sender = roles_of(srv, demo)[1]
    scoped = [rt for rt in routes if rules[rt["access"]]["scoped"]]
    assert scoped, "the table has scoped routes (system:org)"
    for rt in scoped:
        r = sender.http.request(rt["method"], srv.url + fill(rt["pattern"], OTHER_ORG),
                                headers=sender.headers, allow_redirects=False, timeout=30)
        assert r.status_code == 403, (rt["pattern"], r.status_code, r.text[:200])


def test_another_persons_letter_by_its_id(matrix):
    """One person opening another's letter by its id: every /post/brev/{id}... route answers
    404 (or 403 where the key already refuses), never the letter -- for another citizen, for a
    company user and for a helper whose access is to a different mailbox."""
    from kuvert_harness import db_connect
    srv, demo, routes, rules = matrix
    db = db_connect(srv.data_dir)
    mette_letter = db.execute(
        "SELECT l.message_uuid FROM letters l JOIN mailboxes m ON m.id = l.mailbox_id"
        " WHERE m.owner_id = '2211771212' AND l.state = 'AVAILABLE'").fetchone()[0]
    letter_routes = [rt for rt in routes if rt["pattern"].startswith("/post/brev/{id}")]
    assert letter_routes
    roles = {r.name: r for r in roles_of(srv, demo)}
    for name in ("helper-session", "employee erik@eksempelbyg.dk"):
        role = roles[name]
        sign_in(srv, role)
        page = role.http.get(srv.url + "/post/", timeout=30)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        for rt in letter_routes:
            path = rt["pattern"].replace("{id}", mette_letter).replace("{n}", "0")
            r = role.http.request(rt["method"], srv.url + path,
                                  data={"csrf": csrf, "mappe": "deleted", "text": "x"}
                                  if rt["method"] == "POST" else None,
                                  allow_redirects=False, timeout=30)
            assert r.status_code in (403, 404), (name, rt["method"], path, r.status_code)
            assert "Velkommen til Digital Post" not in r.text
    assert db.execute("SELECT folder FROM letters WHERE message_uuid = ?",
                      (mette_letter,)).fetchone()[0] == "inbox"


def test_validations_has_the_send_routes_gate(matrix):
    """POST /apis/v1/validations/ (docs/send-api.md "Validating an HTML body") declares the
    send route's access key, so the matrix above calls it as every role with the send route's
    expectations: nobody gets the same 401, a recipient system 403, the sender system is let
    through to the handler (here 415: no body and no Content-Type) after exactly one
    decision, the gate's."""
    srv, demo, routes, rules = matrix
    by = {(r["method"], r["pattern"].rstrip("/")): r for r in routes}
    send = by[("POST", "/apis/v1/memos")]
    val = by[("POST", "/apis/v1/validations")]
    assert val["access"] == send["access"] == "system:sender"
    roles = {r.name: r for r in roles_of(srv, demo)}
    answers = {}
    for path in ("/apis/v1/memos/", "/apis/v1/validations/"):
        for name in ("nobody", "recipient-system", "admin", "cpr-token"):
            r = roles[name].http.post(srv.url + path, headers=roles[name].headers, data=b"",
                                      timeout=30)
            answers[(path, name)] = (r.status_code, r.json()["code"],
                                     r.headers.get("WWW-Authenticate"))
    for name in ("nobody", "recipient-system", "admin", "cpr-token"):
        assert answers[("/apis/v1/validations/", name)] == answers[("/apis/v1/memos/", name)]
    assert answers[("/apis/v1/validations/", "nobody")][0] == 401
    assert answers[("/apis/v1/validations/", "recipient-system")][0] == 403
    r = roles["sender-system"].http.post(srv.url + "/apis/v1/validations/",
                                         headers=roles["sender-system"].headers, data=b"",
                                         timeout=30)
    assert r.status_code == 415 and r.headers.get("X-Kuvert-Authz-Decisions") == "1"
