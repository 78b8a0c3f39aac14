# SPDX-License-Identifier: MIT
"""The contact structure as the C# client generated from NgDP's OpenAPI 1.68 drives it
(sjkp/digitalpost DigitalPostClient.cs: Create/Query/Fetch/Update/DeleteContactGroupAsync and
...ContactPointAsync). What the unchanged client does, and so what is sent here:
  - {organisationId} is a Guid: the organisation's UUID (kuvert also takes the CVR);
  - bodies are System.Text.Json of ContactGroupCommand / ContactPointCommand: every member is
    written, null for unset references, false/0 for unset value types, so a group always
    carries "organisationalUnit": false and a point "memoSizeThresholdMB": 0 when unset;
    ContactPointCommand.targets has no string converter, so targets go as numbers (1 CITIZEN,
    2 COMPANY, 3 AUTHORITY), and the answers must carry them as numbers too;
  - If-Match is ConvertToString of its member-less ETag class: "digitalpost.ETag";
  - accepted statuses: create 201 (400/401/403/404), query 200, fetch 200 (404), update 200
    (400), delete 204 (400/404/409).
Every answer is checked with ngdp_models against the client's classes."""
import pytest

from ngdp_models import assert_model
from readside_util import bearer, mailbox, setup_org, user_token

ORG = "55133018"
OTHER = "12345674"
CPR = "0101701234"
COMPANY = "29189978"
NIL = "00000000-0000-0000-0000-000000000000"
CLIENT_ETAG = "digitalpost.ETag"


@pytest.fixture(scope="module")
def env(server):
    sender = setup_org(server, ORG)
    setup_org(server, OTHER)
    other = setup_org(server, OTHER)
    out = server.cli(["system", "add", "--org", ORG, "--kind", "recipient", "--name",
                      "Sagssystem", "--protocol", "pull", "--default"])
    mailbox(server, cpr=CPR)
    mailbox(server, cvr=COMPANY)
    org_id = server.cli(["org", "show", ORG])["id"]
    return {"auth": sender["auth"], "other": other["auth"], "system": out["id"],
            "org_id": org_id, "citizen": bearer(user_token(server, cpr=CPR)),
            "company": bearer(user_token(server, cvr=COMPANY))}


def base(env, kind, org=None):
    return "/apis/v1/organisations/%s/%s/" % (org or env["org_id"], kind)


def group_command(name, parent=None):
    return {"name": name, "description": None, "organisationalUnit": False,
            "postkasseIds": None, "parent": {"id": parent} if parent else None}


def point_command(env, name, targets=(1, 2, 3), groups=(), visible=True, **kw):
    body = {"name": name, "description": None, "internalDescription": None,
            "targets": list(targets), "memoSizeThresholdMB": 0, "allowedNumberOfAttachments": 0,
            "active": True, "visible": visible, "reportLink": None, "systemId": env["system"],
            "contactPointCodes": [{"id": NIL, "version": 0, "codeVersion": None, "name": None,
                                   "type": "KLE", "code": "27.00.00",
                                   "contactPointCodeTypeName": None}],
            "contactGroups": [{"id": g} for g in groups], "recommendedAttributes": None,
            "searchTerms": [{"id": NIL, "version": 0, "term": name.lower()}],
            "translations": None}
    body.update(kw)
    return body


def call(srv, method, url, env, body=None, etag=None, status=200, auth=None):
    headers = dict(auth or env["auth"], **{"Accept": "application/json"})
    if etag:
        headers["If-Match"] = etag
    r = srv.request(method, url, json=body, headers=headers)
    assert r.status_code == status, (method, url, r.status_code, r.text)
    return r


GROUP_REQUIRED = ["id", "version", "createdDate", "lastUpdated", "name", "organisationalUnit",
                  "organisation"]
POINT_REQUIRED = ["id", "version", "createdDate", "lastUpdated", "name", "targets",
                  "memoSizeThresholdMB", "allowedNumberOfAttachments", "active", "visible",
                  "organisationId", "systemId", "contactPointCodes", "contactGroups",
                  "searchTerms"]


def test_groups_crud_as_the_client(server, env):
    r = call(server, "POST", base(env, "contact-groups"), env, group_command("Borgerservice"),
             status=201)
    top = assert_model(r.json(), "ContactGroup", required=GROUP_REQUIRED)
    assert top["organisationalUnit"] is False and "parent" not in top
    assert_model(top["organisation"], "Organisation", required=["id", "cvrNumber", "name"])
    assert top["organisation"]["id"] == env["org_id"] and top["organisation"]["cvrNumber"] == ORG
    r = call(server, "POST", base(env, "contact-groups"), env,
             dict(group_command("Pas", top["id"]), organisationalUnit=True), status=201)
    child = assert_model(r.json(), "ContactGroup", required=GROUP_REQUIRED)
    assert child["organisationalUnit"] is True and child["parent"]["id"] == top["id"]

    page = assert_model(call(server, "GET", base(env, "contact-groups"), env).json(),
                        "ContactGroupSearchResult",
                        required=["contactGroups", "currentPage", "totalPages", "elementsOnPage",
                                  "totalElements"])
    assert {g["id"] for g in page["contactGroups"]} >= {top["id"], child["id"]}
    roots = call(server, "GET", base(env, "contact-groups") + "?isRoot=true", env).json()
    assert top["id"] in [g["id"] for g in roots["contactGroups"]]
    assert child["id"] not in [g["id"] for g in roots["contactGroups"]]

    one = base(env, "contact-groups") + child["id"]
    got = assert_model(call(server, "GET", one, env).json(), "ContactGroup")
    assert got == child
    upd = call(server, "PUT", one, env, dict(group_command("Pas og kørekort", top["id"]),
                                             description="Pas"), etag=CLIENT_ETAG).json()
    assert_model(upd, "ContactGroup")
    assert upd["version"] == 2 and upd["name"] == "Pas og kørekort"
    # a group with children cannot go (409, declared by the client)
    call(server, "DELETE", base(env, "contact-groups") + top["id"], env, etag=CLIENT_ETAG,
         status=409)
    call(server, "DELETE", one, env, etag=CLIENT_ETAG, status=204)
    call(server, "GET", one, env, status=404)


def test_points_crud_as_the_client(server, env):
    g = call(server, "POST", base(env, "contact-groups"), env, group_command("Byg"),
             status=201).json()
    r = call(server, "POST", base(env, "contact-points"), env,
             point_command(env, "Byggesager", groups=[g["id"]]), status=201)
    p = assert_model(r.json(), "ContactPoint", required=POINT_REQUIRED)
    assert p["targets"] == [1, 2, 3] and p["memoSizeThresholdMB"] == 10
    assert p["allowedNumberOfAttachments"] == 0 and p["visible"] is True
    assert p["organisationId"] == env["org_id"] and p["systemId"] == env["system"]
    assert [x["id"] for x in p["contactGroups"]] == [g["id"]]
    assert p["contactPointCodes"] == [{"type": "KLE", "code": "27.00.00"}]

    lst = assert_model(call(server, "GET", base(env, "contact-points"), env).json(),
                       "ContactPointSearchResult",
                       required=["contactPoints", "currentPage", "totalPages", "elementsOnPage",
                                 "totalElements"])
    assert p["id"] in [x["id"] for x in lst["contactPoints"]]
    in_group = call(server, "GET", base(env, "contact-points") + "?contactGroupId=" + g["id"],
                    env).json()["contactPoints"]
    assert [x["id"] for x in in_group] == [p["id"]]
    assert p["id"] not in [x["id"] for x in call(server, "GET", base(env, "contact-points")
                                                 + "?isRoot=true", env).json()["contactPoints"]]
    found = call(server, "GET", base(env, "contact-points") + "?searchTermOrName=BYGGE",
                 env).json()["contactPoints"]
    assert p["id"] in [x["id"] for x in found]

    one = base(env, "contact-points") + p["id"]
    assert assert_model(call(server, "GET", one, env).json(), "ContactPoint") == p
    upd = call(server, "PUT", one, env,
               point_command(env, "Byggesager", targets=[2], memoSizeThresholdMB=25.0,
                             visible=False),
               etag=CLIENT_ETAG).json()
    assert_model(upd, "ContactPoint", required=POINT_REQUIRED)
    assert upd["version"] == 2 and upd["targets"] == [2] and upd["contactGroups"] == []
    assert upd["memoSizeThresholdMB"] == 25 and upd["visible"] is False
    hidden = call(server, "GET", base(env, "contact-points") + "?visibility=HIDDEN",
                  env).json()["contactPoints"]
    assert [x["id"] for x in hidden] == [p["id"]]
    call(server, "DELETE", one, env, etag=CLIENT_ETAG, status=204)
    call(server, "GET", one, env, status=404)


def test_organisation_by_uuid_any_case_or_cvr(server, env):
    for org in (env["org_id"], env["org_id"].upper(), ORG):
        page = call(server, "GET", base(env, "contact-groups", org), env).json()
        assert_model(page, "ContactGroupSearchResult")
    # another organisation's id, and an unknown one, are 403 alike
    other_id = server.cli(["org", "show", OTHER])["id"]
    for org in (other_id, "00000000-0000-4000-8000-000000000000", "not-an-org"):
        call(server, "GET", base(env, "contact-points", org), env, status=403)
    call(server, "POST", base(env, "contact-groups"), env, group_command("X"), status=403,
         auth=env["other"])


def test_targets_decide_who_may_write(server, env):
    """A point for companies only (targets [COMPANY]) refuses a citizen's letter and takes a
    company's; names are accepted as well as numbers."""
    r = call(server, "POST", base(env, "contact-points"), env,
             point_command(env, "Erhverv", targets=["COMPANY"]), status=201)
    p = r.json()
    assert p["targets"] == [2]

    def write(tok):
        return server.post("/api/mailbox/messages", headers=tok,
                           json={"contactPointId": p["id"], "label": "Spørgsmål",
                                 "text": "Hej", "attachments": []})
    assert write(env["citizen"]).status_code == 404
    assert write(env["company"]).status_code == 201
    # every target: the citizen may write too
    upd = call(server, "PUT", base(env, "contact-points") + p["id"], env,
               point_command(env, "Erhverv", targets=[1, 2]), etag='"1"').json()
    assert upd["targets"] == [1, 2]
    assert write(env["citizen"]).status_code == 201


def test_validation_answers_error_messages(server, env):
    for body, field in ((point_command(env, "X", targets=[7]), "targets[0]"),
                        (point_command(env, "X", systemId=NIL), "systemId"),
                        (point_command(env, "X", memoSizeThresholdMB=2.5), "memoSizeThresholdMB")):
        r = call(server, "POST", base(env, "contact-points"), env, body, status=400)
        err = assert_model(r.json(), "ErrorMessage", required=["code", "message", "fieldErrors"])
        assert field in [e["field"] for e in err["fieldErrors"]]
    r = call(server, "POST", base(env, "contact-groups"), env,
             dict(group_command("X"), organisationalUnit="ja?"), status=201)
    assert r.json()["organisationalUnit"] is True  # kuvert's older unit-name form


def test_targets_decide_whether_an_authority_may_write(server, env):
    """A sender system (an authority) naming a contact point in its MeMo reaches the point's
    system only when the point targets AUTHORITY; otherwise the letter goes to the
    organisation's default recipient system, as for an inactive point."""
    from readside_util import letter_xml
    from send_util import query
    from test_recipient_pull import with_contact_point

    second = server.cli(["system", "add", "--org", ORG, "--kind", "recipient", "--name",
                         "Fagsystem", "--protocol", "pull"])["id"]
    sender = setup_org(server, OTHER)
    routed = {}
    for name, targets in (("Til alle", [1, 2, 3]), ("Kun borgere", [1])):
        p = call(server, "POST", base(env, "contact-points"), env,
                 point_command(env, name, targets=targets, systemId=second), status=201).json()
        uuid, xml = letter_xml(OTHER, ORG, "CVR", label=name)
        r = server.post("/apis/v1/memos/", params={"memo-message-uuid": uuid},
                        data=with_contact_point(xml, p["id"]),
                        headers=dict(sender["auth"], **{"Content-Type": "application/xml"}))
        assert r.status_code == 201, r.text
        rows = query(server, "SELECT q.system_id, q.contact_point_id FROM recipient_queue q "
                             "JOIN letters l ON l.id = q.letter_id WHERE l.message_uuid = ?",
                     uuid)
        routed[name] = (rows[0]["system_id"], rows[0]["contact_point_id"], p["id"])
    assert routed["Til alle"][:2] == (second, routed["Til alle"][2])
    assert routed["Kun borgere"][:2] == (env["system"], None)


LINK = {"id": NIL, "version": 0, "externalLink": "https://kommune.example/indberet",
        "externalLinkText": "Indberet", "description": "Indberetning af byggesager",
        "label": "Byg"}


def test_members_the_client_sends_are_kept(server, env):
    """postkasseIds (group), reportLink, recommendedAttributes and translations (point) come
    back as they were sent (the server's ids and versions of the nested objects aside), are
    replaced by an update and dropped by null."""
    g = call(server, "POST", base(env, "contact-groups"), env,
             dict(group_command("Digital Post 2"), postkasseIds=[4711, 42, 4711]),
             status=201).json()
    assert_model(g, "ContactGroup", required=GROUP_REQUIRED + ["postkasseIds"])
    assert g["postkasseIds"] == [4711, 42]
    one = base(env, "contact-groups") + g["id"]
    assert call(server, "GET", one, env).json()["postkasseIds"] == [4711, 42]
    upd = call(server, "PUT", one, env, dict(group_command("Digital Post 2"), postkasseIds=[7]),
               etag=CLIENT_ETAG).json()
    assert upd["postkasseIds"] == [7]
    upd = call(server, "PUT", one, env, group_command("Digital Post 2"), etag=CLIENT_ETAG).json()
    assert "postkasseIds" not in upd

    body = point_command(env, "Indberetning", reportLink=LINK,
                         recommendedAttributes=[{"id": NIL, "version": 0, "name": "Matrikelnr."},
                                                "Sagsnummer"],
                         translations=[{"id": NIL, "version": 0, "postkasseId": 4711,
                                        "postkasseEmneId": 17},
                                       {"postkasseId": 4712, "postkasseEmneId": None}])
    p = call(server, "POST", base(env, "contact-points"), env, body, status=201).json()
    assert_model(p, "ContactPoint", required=POINT_REQUIRED + [
        "reportLink", "recommendedAttributes", "translations"])
    assert p["reportLink"] == {k: v for k, v in LINK.items() if k not in ("id", "version")}
    assert p["recommendedAttributes"] == [{"name": "Matrikelnr."}, {"name": "Sagsnummer"}]
    assert p["translations"] == [{"postkasseId": 4711, "postkasseEmneId": 17},
                                 {"postkasseId": 4712}]
    for m in ("reportLink", "recommendedAttributes", "translations"):
        assert_model(p[m][0] if isinstance(p[m], list) else p[m],
                     {"reportLink": "ReportLink", "recommendedAttributes": "RecommendedAttribute",
                      "translations": "Translation"}[m])
    one = base(env, "contact-points") + p["id"]
    assert call(server, "GET", one, env).json() == p
    upd = call(server, "PUT", one, env, point_command(env, "Indberetning",
                                                      translations=[{"postkasseId": 1}]),
               etag=CLIENT_ETAG).json()
    assert upd["translations"] == [{"postkasseId": 1}]
    assert "reportLink" not in upd and "recommendedAttributes" not in upd
    call(server, "DELETE", one, env, etag=CLIENT_ETAG, status=204)


def test_members_are_validated(server, env):
    for body, field in (
            (point_command(env, "X", reportLink={"externalLink": "javascript:alert(1)"}),
             "reportLink.externalLink"),
            (point_command(env, "X", reportLink="https://x"), "reportLink"),
            (point_command(env, "X", recommendedAttributes=[{"name": ""}]),
             "recommendedAttributes[0]"),
            (point_command(env, "X", translations=[{"postkasseId": -1}]), "translations[0]"),
            (point_command(env, "X", translations=[{"postkasseEmneId": 3}]), "translations[0]"),
            (point_command(env, "X", translations=[{}] * 101), "translations")):
        r = call(server, "POST", base(env, "contact-points"), env, body, status=400)
        err = assert_model(r.json(), "ErrorMessage", required=["code", "message", "fieldErrors"])
        assert field in [e["field"] for e in err["fieldErrors"]], (field, err)
    for ids, field in (([1.5], "postkasseIds[0]"), (["12"], "postkasseIds[0]"),
                       (list(range(101)), "postkasseIds")):
        r = call(server, "POST", base(env, "contact-groups"), env,
                 dict(group_command("X"), postkasseIds=ids), status=400)
        assert field in [e["field"] for e in r.json()["fieldErrors"]]


def test_organisation_wide_lists(server, env):
    """QueryAllContactPoints / QueryAllContactGroups (contact-points/, contact-groups/): any
    system sees its own organisation's points in full and other organisations' active,
    visible points without internalDescription and systemId (a system id is the non-secret
    half of its token); filters postkasseId, postkasseEmneId, contactGroupId, isRoot,
    searchTerm(OrName) for points, name and isRoot for groups."""
    g = call(server, "POST", base(env, "contact-groups"), env,
             dict(group_command("Fælles gruppe"), postkasseIds=[99]), status=201).json()
    shown = call(server, "POST", base(env, "contact-points"), env,
                 point_command(env, "Fælles indgang", groups=[g["id"]],
                               internalDescription="kun internt",
                               translations=[{"postkasseId": 900, "postkasseEmneId": 1}]),
                 status=201).json()
    hidden = call(server, "POST", base(env, "contact-points"), env,
                  point_command(env, "Skjult indgang", visible=False,
                                translations=[{"postkasseId": 900, "postkasseEmneId": 2}]),
                  status=201).json()
    # the owner: both, in full
    own = assert_model(call(server, "GET", "/apis/v1/contact-points/?postkasseId=900&size=100",
                            env).json(), "ContactPointSearchResult",
                       required=["contactPoints", "totalElements"])
    by_id = {p["id"]: p for p in own["contactPoints"]}
    assert set(by_id) == {shown["id"], hidden["id"]}
    assert by_id[shown["id"]]["systemId"] == env["system"]
    assert by_id[shown["id"]]["internalDescription"] == "kun internt"
    # another organisation's system: the visible one only, without system and internal text
    other = call(server, "GET", "/apis/v1/contact-points/?postkasseId=900&size=100", env,
                 auth=env["other"]).json()["contactPoints"]
    assert [p["id"] for p in other] == [shown["id"]]
    assert "systemId" not in other[0] and "internalDescription" not in other[0]
    assert_model(other[0], "ContactPoint")
    assert env["system"] not in str(other)
    # filters
    q = "/apis/v1/contact-points/?postkasseId=900&postkasseEmneId=1"
    assert [p["id"] for p in call(server, "GET", q, env).json()["contactPoints"]] == [shown["id"]]
    q = "/apis/v1/contact-points/?contactGroupId=" + g["id"]
    assert [p["id"] for p in call(server, "GET", q, env, auth=env["other"]).json()[
        "contactPoints"]] == [shown["id"]]
    q = "/apis/v1/contact-points/?searchTermOrName=f%C3%A6lles%20indgang&size=1000"
    assert shown["id"] in [p["id"] for p in call(server, "GET", q, env).json()["contactPoints"]]
    call(server, "GET", "/apis/v1/contact-points/?postkasseId=x", env, status=400)
    groups = assert_model(call(server, "GET", "/apis/v1/contact-groups/?name=lles%20grup",
                               env, auth=env["other"]).json(), "ContactGroupSearchResult",
                          required=["contactGroups"])
    assert [x["id"] for x in groups["contactGroups"]] == [g["id"]]
    assert groups["contactGroups"][0]["postkasseIds"] == [99]
    roots = call(server, "GET", "/apis/v1/contact-groups/?isRoot=true&size=1000", env).json()
    assert g["id"] in [x["id"] for x in roots["contactGroups"]]
    # no token: 401
    r = server.get("/apis/v1/contact-points/")
    assert r.status_code == 401
    for x in (shown, hidden):
        call(server, "DELETE", base(env, "contact-points") + x["id"], env, etag=CLIENT_ETAG,
             status=204)


def test_following_next_is_stable_while_the_list_changes(server, env):
    """next carries a keyset cursor (and the filters): a walk that deletes what it has seen,
    or meets new elements sorted before its position, neither skips nor repeats one."""
    made = []
    for i in range(6):
        made.append(call(server, "POST", base(env, "contact-groups"), env,
                         group_command("Side %d" % i), status=201).json()["id"])
    url = base(env, "contact-groups") + "?size=2&name=Side%20"
    seen, pages = [], 0
    while url and pages < 10:
        page = assert_model(call(server, "GET", url, env).json(), "ContactGroupSearchResult")
        seen += [g["id"] for g in page["contactGroups"]]
        for g in page["contactGroups"]:  # delete what was read, as a sync job would
            call(server, "DELETE", base(env, "contact-groups") + g["id"], env,
                 etag=CLIENT_ETAG, status=204)
        if pages == 0:  # a new group that sorts first
            call(server, "POST", base(env, "contact-groups"), env, group_command("Side 0a"),
                 status=201)
        url = page.get("next")
        if url:
            assert "name=Side" in url and "afterId=" in url
        pages += 1
    assert seen == made


def test_sort_fields_any_and_fields(server, env):
    """NgDP's generic parameters on the contact lists: sortFields orders (up to 3 fields,
    :asc/:desc, ties by id), any keeps the elements one of whose keywords equals a term,
    fields projects the answer's elements, searchParameters is accepted and not used (NgDP's
    client: "searchParameters as query param is NOT used"). next keeps them all and carries a
    keyset cursor in the chosen order (afterKey, afterId)."""
    made = {}
    for name, desc in (("Gen B", "zulu"), ("Gen A", "yankee"), ("Gen C", "xray"),
                       ("Gen D", "yankee")):
        g = call(server, "POST", base(env, "contact-groups"), env,
                 dict(group_command(name), description=desc), status=201).json()
        made[name] = g["id"]
    lst = base(env, "contact-groups") + "?name=Gen%20"
    page = call(server, "GET", lst + "&sortFields=description:desc,name:asc", env).json()
    assert [g["name"] for g in page["contactGroups"]] == ["Gen B", "Gen A", "Gen D", "Gen C"]
    page = call(server, "GET", lst + "&sortFields=name:desc", env).json()
    assert [g["name"] for g in page["contactGroups"]] == ["Gen D", "Gen C", "Gen B", "Gen A"]
    # any: exact keyword, either term
    page = call(server, "GET", lst + "&any=yankee,Gen%20C", env).json()
    assert sorted(g["name"] for g in page["contactGroups"]) == ["Gen A", "Gen C", "Gen D"]
    assert call(server, "GET", lst + "&any=yank", env).json()["contactGroups"] == []
    # fields: only these members
    page = call(server, "GET", lst + "&fields=id,name&sortFields=name", env).json()
    assert page["contactGroups"] == [{"id": made[n], "name": n}
                                     for n in ("Gen A", "Gen B", "Gen C", "Gen D")]
    assert page["totalElements"] == 4
    # searchParameters is accepted and changes nothing
    plain = call(server, "GET", lst, env).json()
    assert call(server, "GET", lst + "&searchParameters=System.Object", env).json() == plain
    # next walks the chosen order by its cursor, also when what was read is deleted
    url, seen = lst + "&size=1&sortFields=description:desc,name:asc&fields=id,description", []
    for _ in range(10):
        page = call(server, "GET", url, env).json()
        seen += [g["id"] for g in page["contactGroups"]]
        assert all(set(g) <= {"id", "description"} for g in page["contactGroups"])
        for g in page["contactGroups"]:
            call(server, "DELETE", base(env, "contact-groups") + g["id"], env, etag=CLIENT_ETAG,
                 status=204)
        url = page.get("next")
        if not url:
            break
        assert "afterKey=" in url and "sortFields=" in url and "fields=" in url
    assert seen == [made[n] for n in ("Gen B", "Gen A", "Gen D", "Gen C")]
    # points: sortFields on a point's members, any on a nested keyword (a search term)
    for name in ("Gen P2", "Gen P1"):
        call(server, "POST", base(env, "contact-points"), env, point_command(env, name),
             status=201)
    pts = base(env, "contact-points") + "?searchTerm=gen%20p"
    page = call(server, "GET", pts + "&sortFields=name:desc&fields=name", env).json()
    assert page["contactPoints"] == [{"name": "Gen P2"}, {"name": "Gen P1"}]
    page = call(server, "GET", pts + "&any=gen%20p1&fields=name", env).json()
    assert page["contactPoints"] == [{"name": "Gen P1"}]
    page = call(server, "GET", "/apis/v1/contact-points/?searchTerm=gen%20p&sortFields=name:desc"
                "&fields=name", env).json()
    assert page["contactPoints"] == [{"name": "Gen P2"}, {"name": "Gen P1"}]
    # bad values are 400 ErrorMessages naming the parameter
    for q in ("sortFields=nope", "sortFields=name:sideways", "sortFields=a,b,c,d",
              "fields=na%20me", "any=" + ",".join("t%d" % i for i in range(11)),
              "sortFields=name&afterId=" + made["Gen A"] + "&afterKey=notjson"):
        r = call(server, "GET", lst + "&" + q, env, status=400)
        assert r.json().get("fieldErrors") is not None or r.json().get("message")


def test_search_terms_one_or_more(server, env):
    """searchTerm and searchTermOrName are "One or more" in NgDP's QueryContactPoints and
    QueryAllContactPoints; the generated client joins several with commas ("a,b",
    ConvertToString of a string[]) and a point matches when one of them matches. Blanks
    around a term are dropped, empty terms ignored. A repeated filter parameter, which would
    be read by its first value only, is a 400 naming it (as the contacts lookup answers)."""
    made = {}
    for name, term in (("Terma byg", "byggetilladelse"), ("Terma skat", "ejendomsskat"),
                       ("Terma affald", "storskrald")):
        made[name] = call(server, "POST", base(env, "contact-points"), env,
                          point_command(env, name, searchTerms=[{"term": term}]),
                          status=201).json()["id"]

    def names(url, auth=None):
        page = assert_model(call(server, "GET", url, env, auth=auth).json(),
                            "ContactPointSearchResult", required=["contactPoints"])
        return sorted(p["name"] for p in page["contactPoints"])

    own = base(env, "contact-points")
    for lst in (own, "/apis/v1/contact-points/"):
        assert names(lst + "?searchTerm=bygge") == ["Terma byg"]
        assert names(lst + "?searchTerm=bygge,skat") == ["Terma byg", "Terma skat"]
        assert names(lst + "?searchTerm=bygge%2C%20skrald%20,") == ["Terma affald",
                                                                    "Terma byg"]
        assert names(lst + "?searchTermOrName=terma%20skat,skrald") == ["Terma affald",
                                                                        "Terma skat"]
        assert names(lst + "?searchTerm=nothing,xyz") == []
        # with the other filters: AND across parameters, OR within one
        assert names(lst + "?searchTerm=bygge,skat&searchTermOrName=byg") == ["Terma byg"]
    assert names("/apis/v1/contact-points/?searchTerm=bygge,skat", auth=env["other"]) == \
        ["Terma byg", "Terma skat"]
    # next keeps the whole list
    page = call(server, "GET", own + "?searchTerm=bygge,skat&size=1", env).json()
    assert len(page["contactPoints"]) == 1
    assert "searchTerm=bygge%2Cskat" in page["next"] or "searchTerm=bygge,skat" in page["next"]
    assert len(call(server, "GET", page["next"], env).json()["contactPoints"]) == 1
    for q in ("searchTerm=bygge&searchTerm=skat", "searchTermOrName=a&searchTermOrName=b",
              "visibility=ALL&visibility=HIDDEN"):
        r = call(server, "GET", own + "?" + q, env, status=400)
        e = assert_model(r.json(), "ErrorMessage", required=["code", "message", "fieldErrors"])
        assert e["fieldErrors"][0]["field"] == q.split("=")[0], r.text
    for pid in made.values():
        call(server, "DELETE", own + pid, env, etag=CLIENT_ETAG, status=204)
