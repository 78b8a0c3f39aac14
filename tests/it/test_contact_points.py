# SPDX-License-Identifier: MIT
"""The contact structure API (docs/recipient-side.md): contact points and contact groups under
/apis/v1/organisations/{orgId}/..., with ETag / If-Match (428 without, 412 when stale),
scoping to the calling system's organisation (403), validation with fieldErrors (400), the
citizen/company search GET /api/contact-points, and `kuvert contact-point add|list`."""
import pytest

from kuvert_harness import CliError, assert_error_message
from readside_util import basic, bearer, mailbox, setup_org, user_token

ORG = "29189978"
OTHER = "12345674"
CPR = "0101701234"
COMPANY = "87654321"


def recipient_system(srv, cvr, default=False):
    args = ["system", "add", "--org", cvr, "--kind", "recipient", "--name", "Modtager " + cvr,
            "--protocol", "pull"]
    if default:
        args.append("--default")
    return srv.cli(args)


@pytest.fixture(scope="module")
def env(server):
    a = setup_org(server, ORG)
    b = setup_org(server, OTHER)
    ra = recipient_system(server, ORG, default=True)
    rb = recipient_system(server, OTHER)
    mailbox(server, cpr=CPR)
    mailbox(server, cvr=COMPANY)
    return {"a": a, "b": b, "ra": ra["id"], "rb": rb["id"],
            "citizen": bearer(user_token(server, cpr=CPR)),
            "company": bearer(user_token(server, cvr=COMPANY))}


def points(cvr):
    return "/apis/v1/organisations/%s/contact-points/" % cvr


def groups(cvr):
    return "/apis/v1/organisations/%s/contact-groups/" % cvr


def put(srv, path, body, auth, etag=None):
    headers = dict(auth)
    if etag is not None:
        headers["If-Match"] = etag
    return srv.request("PUT", path, json=body, headers=headers)


def point_body(env, **kw):
    body = {"name": "Byggesager", "description": "Ansøgninger om byggetilladelse",
            "internalDescription": "Til teknisk forvaltning", "systemId": env["ra"],
            "memoSizeThresholdMB": 40, "allowedNumberOfAttachments": 5,
            "contactPointCodes": [{"type": "KLE", "code": "02.00.00", "codeVersion": "1",
                                   "name": "Byggeri"}],
            "searchTerms": [{"term": "byggetilladelse"}, {"term": "tilbygning"}]}
    body.update(kw)
    return body


def test_point_crud_with_etags(server, env):
    auth = env["a"]["auth"]
    r = server.post(points(ORG), json=point_body(env), headers=auth)
    assert r.status_code == 201, r.text
    p = r.json()
    assert r.headers["ETag"] == '"1"' and p["version"] == 1
    assert r.headers["Location"].endswith("/contact-points/" + p["id"])
    assert p["organisationId"] == server.cli(["org", "show", ORG])["id"]
    assert p["organisationCvr"] == ORG and p["systemId"] == env["ra"]
    assert p["targets"] == [1, 2, 3]
    assert p["active"] is True and p["visible"] is True
    assert p["visibility"] == {"citizen": True, "company": True, "authority": True}
    assert p["memoSizeThresholdMB"] == 40 and p["allowedNumberOfAttachments"] == 5
    assert p["contactPointCodes"] == [{"type": "KLE", "code": "02.00.00", "codeVersion": "1",
                                       "name": "Byggeri"}]
    assert p["searchTerms"] == [{"term": "byggetilladelse"}, {"term": "tilbygning"}]
    one = points(ORG) + p["id"]

    r = server.get(one, headers=auth)
    assert r.status_code == 200 and r.json() == p and r.headers["ETag"] == '"1"'
    r = server.get(points(ORG), headers=auth)
    assert r.status_code == 200 and p["id"] in [x["id"] for x in r.json()["contactPoints"]]

    changed = point_body(env, name="Byg og miljø", searchTerms=[], memoSizeThresholdMB=None)
    assert_error_message(put(server, one, changed, auth), 428, "PRECONDITION_REQUIRED")
    assert_error_message(put(server, one, changed, auth, '"7"'), 412, "PRECONDITION_FAILED")
    assert_error_message(put(server, one, changed, auth, '"garbage"'), 412, "PRECONDITION_FAILED")
    assert server.get(one, headers=auth).json() == p  # nothing changed by the refusals

    r = put(server, one, changed, auth, '"1"')
    assert r.status_code == 200, r.text
    q = r.json()
    assert r.headers["ETag"] == '"2"' and q["version"] == 2
    assert q["name"] == "Byg og miljø" and q["searchTerms"] == []
    assert q["memoSizeThresholdMB"] == 10  # full replacement: absent means the default
    assert q["contactPointCodes"] == p["contactPointCodes"]
    # A writer holding the old ETag loses.
    assert_error_message(put(server, one, point_body(env), auth, '"1"'), 412)
    assert server.get(one, headers=auth).json()["name"] == "Byg og miljø"

    assert_error_message(server.delete(one, headers=dict(auth, **{"If-Match": '"1"'})), 412)
    r = server.delete(one, headers=dict(auth, **{"If-Match": '"2"'}))
    assert r.status_code == 204, r.text
    assert_error_message(server.get(one, headers=auth), 404)
    assert_error_message(server.delete(one, headers=auth), 404)
    assert_error_message(put(server, one, changed, auth, '"2"'), 404)


def test_other_organisation_forbidden(server, env):
    r = server.post(points(ORG), json=point_body(env, name="Privat"), headers=env["a"]["auth"])
    assert r.status_code == 201
    one = points(ORG) + r.json()["id"]
    other = env["b"]["auth"]
    assert_error_message(server.get(points(ORG), headers=other), 403)
    assert_error_message(server.post(points(ORG), json=point_body(env), headers=other), 403)
    assert_error_message(server.get(one, headers=other), 403)
    assert_error_message(put(server, one, point_body(env), other, '"1"'), 403)
    assert_error_message(server.delete(one, headers=other), 403)
    assert_error_message(server.get(groups(ORG), headers=other), 403)
    # Its own organisation's list does not show the point either.
    r = server.get(points(OTHER), headers=other)
    assert r.status_code == 200 and r.json()["contactPoints"] == []
    assert_error_message(server.get(points(ORG)), 401)
    assert_error_message(server.get(one, headers=basic("bm90LWEtdG9rZW4=")), 401)
    assert server.get(one, headers=env["a"]["auth"]).status_code == 200


def fields(resp):
    body = assert_error_message(resp, 400)
    return {e["field"]: e for e in body["fieldErrors"]}


def test_validation(server, env):
    auth = env["a"]["auth"]
    f = fields(server.post(points(ORG), json={}, headers=auth))
    assert set(f) == {"name", "systemId"} and f["name"]["code"] == "REQUIRED"

    bad = point_body(env, name="   ", systemId=env["rb"], memoSizeThresholdMB=0.5,
                     allowedNumberOfAttachments=101, active="yes",
                     contactPointCodes=[{"type": "XYZ", "code": ""}, "KLE"],
                     searchTerms=[{"term": ""}], contactGroups=["not-a-uuid",
                                                               "00000000-0000-4000-8000-000000000000"],
                     visibility={"citizen": "no"})
    f = fields(server.post(points(ORG), json=bad, headers=auth))
    assert f["systemId"]["code"] == "UNKNOWN_SYSTEM" and f["systemId"]["rejectedValue"] == env["rb"]
    assert f["name"]["code"] == "REQUIRED"
    assert f["memoSizeThresholdMB"]["rejectedValue"] == 0.5
    assert f["allowedNumberOfAttachments"]["rejectedValue"] == 101
    assert "active" in f and "visibility.citizen" in f
    assert f["contactPointCodes[0].type"]["rejectedValue"] == "XYZ"
    assert "contactPointCodes[0].code" in f and "contactPointCodes[1]" in f
    assert "searchTerms[0]" in f
    assert f["contactGroups[0]"]["code"] == "INVALID"
    assert f["contactGroups[1]"]["code"] == "UNKNOWN_GROUP"
    for e in f.values():
        assert e["resource"] == "ContactPoint"

    # A sender system is not a recipient system.
    f = fields(server.post(points(ORG), json=point_body(env, systemId=env["a"]["system"]),
                           headers=auth))
    assert set(f) == {"systemId"}
    assert_error_message(server.post(points(ORG), data=b"{not json", headers=auth), 400,
                         "INVALID_JSON")
    assert_error_message(server.post(points(ORG), json=[1], headers=auth), 400)
    assert server.get(points(ORG), headers=auth).status_code == 200
    assert all(p["name"].strip()
               for p in server.get(points(ORG), headers=auth).json()["contactPoints"])


def test_groups_tree(server, env):
    auth = env["a"]["auth"]
    r = server.post(groups(ORG), json={"name": "Borgerservice", "organisationalUnit": "BS"},
                    headers=auth)
    assert r.status_code == 201, r.text
    top = r.json()
    assert "parent" not in top and r.headers["ETag"] == '"1"'
    assert top["organisationalUnit"] is True and top["organisationalUnitName"] == "BS"
    r = server.post(groups(ORG), json={"name": "Pas og kørekort", "parent": top["id"]},
                    headers=auth)
    assert r.status_code == 201, r.text
    child = r.json()
    assert child["parent"] == {"id": top["id"], "name": "Borgerservice"}
    assert child["organisationalUnit"] is False

    f = fields(server.post(groups(ORG), json={"name": "X", "parent":
                                              "00000000-0000-4000-8000-000000000000"},
                           headers=auth))
    assert f["parent"]["code"] == "UNKNOWN_GROUP"
    # Making the top group a child of its own child would make a cycle.
    f = fields(put(server, groups(ORG) + top["id"], {"name": "Borgerservice",
                                                     "parent": child["id"]}, auth, '"1"'))
    assert f["parent"]["code"] == "CYCLE"
    f = fields(put(server, groups(ORG) + top["id"], {"name": "B", "parent": top["id"]}, auth,
                   '"1"'))
    assert f["parent"]["code"] == "CYCLE"

    # A point in the child group; the group cannot go while it has points or children.
    r = server.post(points(ORG), json=point_body(env, name="Pas", contactGroups=[child["id"]]),
                    headers=auth)
    assert r.status_code == 201
    assert r.json()["contactGroups"] == [{"id": child["id"], "name": "Pas og kørekort"}]
    pid = r.json()["id"]
    assert_error_message(server.delete(groups(ORG) + top["id"], headers=auth), 409)
    assert_error_message(server.delete(groups(ORG) + child["id"], headers=auth), 409)
    assert server.delete(points(ORG) + pid, headers=auth).status_code == 204
    assert server.delete(groups(ORG) + child["id"], headers=auth).status_code == 204
    r = put(server, groups(ORG) + top["id"], {"name": "Borgerservice I/S"}, auth, '"1"')
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["ETag"] == '"2"'
    assert_error_message(put(server, groups(ORG) + top["id"], {"name": "Y"}, auth), 428)
    assert server.delete(groups(ORG) + top["id"], headers=auth).status_code == 204
    assert [g for g in server.get(groups(ORG), headers=auth).json()["contactGroups"]
            if g["id"] in (top["id"], child["id"])] == []


def test_search_visibility(server, env):
    auth = env["a"]["auth"]
    made = {}
    for name, extra in [("Skat og told", {}),
                        ("Erhvervsaffald", {"visibility": {"citizen": False}}),
                        ("Lukket postkasse", {"active": False}),
                        ("Sundhedskort", {"visibility": {"company": False},
                                          "searchTerms": [{"term": "Sygesikring"}],
                                          "contactPointCodes": [{"type": "FORM",
                                                                 "code": "SK-101"}]}),
                        ("Usynlig", {"visible": False})]:
        kw = dict({"name": name, "searchTerms": [], "contactPointCodes": []}, **extra)
        r = server.post(points(ORG), json=point_body(env, **kw), headers=auth)
        assert r.status_code == 201, r.text
        made[name] = r.json()["id"]

    def names(headers, **params):
        r = server.get("/api/contact-points", params=dict(organisation=ORG, **params),
                       headers=headers)
        assert r.status_code == 200, r.text
        return {p["name"] for p in r.json() if p["id"] in made.values()}, r.json()

    seen, raw = names(env["citizen"])
    assert seen == {"Skat og told", "Sundhedskort"}
    for p in raw:
        assert "internalDescription" not in p and "systemId" not in p
        assert p["organisation"] == ORG and p["organisationName"]
    seen, _ = names(env["company"])
    assert seen == {"Skat og told", "Erhvervsaffald"}
    assert names(env["citizen"], term="sygesikring")[0] == {"Sundhedskort"}
    assert names(env["citizen"], term="SKAT")[0] == {"Skat og told"}
    assert names(env["citizen"], code="SK-101")[0] == {"Sundhedskort"}
    assert names(env["company"], code="SK-101")[0] == set()
    assert names(env["citizen"], term="100%_")[0] == set()
    r = server.get("/api/contact-points", params={"organisation": OTHER}, headers=env["citizen"])
    assert r.status_code == 200 and r.json() == []
    assert_error_message(server.get("/api/contact-points"), 401)
    assert_error_message(server.get("/api/contact-points", headers=env["a"]["auth"]), 401)
    assert_error_message(server.get("/api/contact-points", params={"organisation": "12"},
                                    headers=env["citizen"]), 400)
    # Deactivating through the API hides it at once.
    one = points(ORG) + made["Skat og told"]
    cur = server.get(one, headers=auth)
    body = cur.json()
    body["active"] = False
    assert put(server, one, body, auth, cur.headers["ETag"]).status_code == 200
    assert "Skat og told" not in names(env["citizen"])[0]


def test_cli_add_and_list(server, env):
    out = server.cli(["contact-point", "add", "--org", ORG, "--name", "Indfødsret",
                      "--system", env["ra"], "--description", "Statsborgerskab",
                      "--code", "KLE:27.00.00", "--code", "CUSTOM:IF-1", "--term", "indfødsret",
                      "--term", "statsborger", "--max-mb", "60", "--max-attachments", "3",
                      "--hidden-for", "company,authority"])
    assert out["name"] == "Indfødsret" and out["version"] == 1
    assert out["contactPointCodes"] == [
        {"type": "KLE", "code": "27.00.00"},
        {"type": "CUSTOM", "code": "IF-1"}]
    assert [t["term"] for t in out["searchTerms"]] == ["indfødsret", "statsborger"]
    assert out["visibility"] == {"citizen": True, "company": False, "authority": False}
    assert out["targets"] == [1]
    assert out["memoSizeThresholdMB"] == 60 and out["allowedNumberOfAttachments"] == 3
    r = server.get(points(ORG) + out["id"], headers=env["a"]["auth"])
    assert r.status_code == 200 and r.json() == out
    listed = server.cli(["contact-point", "list", "--org", ORG])["contactPoints"]
    assert out["id"] in [p["id"] for p in listed]

    with pytest.raises(CliError) as e:
        server.cli(["contact-point", "add", "--org", ORG, "--name", "X", "--system", env["rb"]])
    assert e.value.proc.returncode == 1 and "systemId" in e.value.proc.stderr
    with pytest.raises(CliError) as e:
        server.cli(["contact-point", "add", "--org", ORG, "--name", "X", "--system", env["ra"],
                    "--code", "KLE"])
    assert e.value.proc.returncode == 2
    with pytest.raises(CliError) as e:
        server.cli(["contact-point", "add", "--org", ORG, "--name", "X", "--system", env["ra"],
                    "--hidden-for", "everyone"])
    assert e.value.proc.returncode == 2
    with pytest.raises(CliError) as e:
        server.cli(["contact-point", "add", "--org", ORG, "--name", "X", "--system", env["ra"],
                    "--max-mb", "500"])
    assert e.value.proc.returncode == 1 and "memoSizeThresholdMB" in e.value.proc.stderr
