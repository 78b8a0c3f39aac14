# SPDX-License-Identifier: MIT
"""Administrativ Adgang: the contact structure (issue 11 item 2, docs/administrativ-adgang.md)
over HTTP on a `kuvert demo` server. Who may see it (CONTACT_ADMINISTRATOR in the organisation
acted for), the demo's tree, groups created / moved / deleted (a cycle and a non-empty group
refused), contact points created with every field and refused next to the fields (the legal
size bounds, the required recipient system) with nothing written, the same versions as the
contact structure API (a page save moves the API's ETag; a stale save or delete gets the 409
page with the current version and writes nothing), and another organisation's objects 404."""
import re

import pytest

from kuvert_harness import run_cli
from test_web import assert_secure_page, csrf_of, sign_in

BASE = "/administrativ-adgang/kontaktstruktur"
SOEREN = "soeren.system@kommunen.dk"      # Kommunen (12345678): SYSTEM_MANAGER, CONTACT_ADMINISTRATOR
IDA = "ida.nyansat@kommunen.dk"           # Kommunen: no rights
DORTE = "dorte.styrelse@demostyrelsen.dk"  # Demostyrelsen (11223344)
KOMMUNEN = "12345678"


@pytest.fixture
def aa(make_server, tmp_path):
    d = str(tmp_path / "data")
    demo = run_cli(["demo"], data=d)
    srv = make_server(test_clock=True, data_dir=d, args=["--test-login"])
    systems = {(s["org"], s["kind"]): s for s in demo["systems"]}
    return srv, systems


def api_points(srv, systems):
    """Kommunen's contact points through the API (its recipient system's token)."""
    tok = systems[(KOMMUNEN, "recipient")]["token"]
    r = srv.get("/apis/v1/organisations/%s/contact-points/" % KOMMUNEN,
                headers={"Authorization": "Basic " + tok})
    assert r.status_code == 200, r.text
    body = r.json()
    items = body if isinstance(body, list) else body.get("content") or body.get("contactPoints")
    return {p["name"]: p for p in items}


def api_groups(srv, systems):
    tok = systems[(KOMMUNEN, "recipient")]["token"]
    r = srv.get("/apis/v1/organisations/%s/contact-groups/" % KOMMUNEN,
                headers={"Authorization": "Basic " + tok})
    assert r.status_code == 200, r.text
    body = r.json()
    items = body if isinstance(body, list) else body.get("content") or body.get("contactGroups")
    return {g["name"]: g for g in items}


def test_who_may_see_the_contact_structure(aa):
    srv, _ = aa
    r = srv.get(BASE, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    sign_in(srv, IDA)
    assert srv.get(BASE).status_code == 403
    assert srv.get(BASE + "/kontaktpunkter/ny").status_code == 403
    assert 'href="%s"' % BASE not in srv.get("/administrativ-adgang/").text
    srv.post("/logout", data={"csrf": csrf_of(srv.get("/").text)})
    sign_in(srv, SOEREN)
    assert 'href="%s"' % BASE in srv.get("/administrativ-adgang/").text
    r = srv.get(BASE)
    assert r.status_code == 200
    assert_secure_page(r)
    assert "Kommunen (CVR 12345678)" in r.text


def test_demo_tree_nests_groups_and_points(aa):
    srv, _ = aa
    sign_in(srv, SOEREN)
    text = srv.get(BASE).text
    # Teknik og miljø > Byggesager > Byggetilladelser, in that nesting
    tm = text.index("Teknik og miljø")
    byg = text.index("Byggesager", tm)
    point = text.index("Byggetilladelser", byg)
    assert text.count('<ul class="cs-tree">', tm, byg) == 1   # Byggesager one level down
    assert "cs-points" in text[byg:point + 200]
    assert "Myndighedspost" in text[text.index("Kontaktpunkter uden gruppe"):]
    assert "(organisatorisk enhed)" in text


def test_groups_create_move_delete(aa):
    srv, systems = aa
    sign_in(srv, SOEREN)
    form = srv.get(BASE + "/grupper/ny")
    csrf = csrf_of(form.text)
    r = srv.post(BASE + "/grupper/ny", data={"csrf": csrf, "name": ""})
    assert r.status_code == 400 and 'id="cg-name-error"' in r.text
    r = srv.post(BASE + "/grupper/ny", allow_redirects=False,
                 data={"csrf": csrf, "name": "Skole", "description": "Skoler og SFO", "unit": "1"})
    assert r.status_code == 303 and r.headers["Location"] == BASE + "?ok=created"
    groups = api_groups(srv, systems)
    skole = groups["Skole"]
    assert skole["organisationalUnit"] is True and skole["description"] == "Skoler og SFO"
    r = srv.post(BASE + "/grupper/ny", allow_redirects=False,
                 data={"csrf": csrf, "name": "Indskoling", "parent": skole["id"]})
    assert r.status_code == 303
    ind = api_groups(srv, systems)["Indskoling"]
    assert ind["parent"]["id"] == skole["id"]
    # the parent choice of Skole leaves out Skole itself and its descendants
    page = srv.get(BASE + "/grupper/" + skole["id"]).text
    select = page[page.index('id="cg-parent"'):page.index("</select>")]
    assert skole["id"] not in select and ind["id"] not in select
    # a cycle is refused next to the parent field, nothing changes
    r = srv.post(BASE + "/grupper/" + skole["id"],
                 data={"csrf": csrf, "version": str(skole["version"]), "name": "Skole",
                       "parent": ind["id"]})
    assert r.status_code == 400 and 'id="cg-parent-error"' in r.text
    assert api_groups(srv, systems)["Skole"]["version"] == skole["version"]
    # move Indskoling under Borgerservice
    bs = api_groups(srv, systems)["Borgerservice"]
    r = srv.post(BASE + "/grupper/" + ind["id"], allow_redirects=False,
                 data={"csrf": csrf, "version": str(ind["version"]), "name": "Indskoling",
                       "parent": bs["id"]})
    assert r.status_code == 303, r.text
    moved = api_groups(srv, systems)["Indskoling"]
    assert moved["parent"]["id"] == bs["id"] and moved["version"] == ind["version"] + 1
    # a group with contents is not deleted
    byg = api_groups(srv, systems)["Byggesager"]
    r = srv.post(BASE + "/grupper/%s/slet" % byg["id"],
                 data={"csrf": csrf, "version": str(byg["version"])})
    assert r.status_code == 409 and "Byggesager" in api_groups(srv, systems)
    # an empty one is, after the confirmation step
    page = srv.get(BASE + "/grupper/%s/slet" % skole["id"])
    assert page.status_code == 200 and "Skole" in page.text
    r = srv.post(BASE + "/grupper/%s/slet" % skole["id"], allow_redirects=False,
                 data={"csrf": csrf, "version": str(skole["version"])})
    assert r.status_code == 303
    assert "Skole" not in api_groups(srv, systems)


def point_form(srv, path):
    page = srv.get(path)
    assert page.status_code == 200, page.text
    return page.text, csrf_of(page.text)


def test_point_create_with_every_field_and_errors_by_the_fields(aa):
    srv, systems = aa
    sign_in(srv, SOEREN)
    before = api_points(srv, systems)
    text, csrf = point_form(srv, BASE + "/kontaktpunkter/ny")
    rec = systems[(KOMMUNEN, "recipient")]["id"]
    assert 'value="%s" selected' % rec in text        # the default recipient system preselected
    bad = {"csrf": csrf, "name": "Skat", "system": "", "mb": "50", "attachments": "x",
           "target-citizen": "1", "target-company": "1", "code_rows": "2",
           "code_type_0": "KLE", "code_0": "", "code_name_0": "Kun navn"}
    r = srv.post(BASE + "/kontaktpunkter/ny", data=bad)
    assert r.status_code == 400
    for fid in ("cp-system", "cp-mb", "cp-attachments"):
        assert re.search(r'id="%s-error"' % fid, r.text), fid
    assert 'id="cp-code-0-error"' in r.text
    assert "højst være 40 MB" in r.text                    # the legal bound, in Danish
    assert 'value="Kun navn"' in r.text                # what was typed is kept
    assert api_points(srv, systems).keys() == before.keys()
    groups = api_groups(srv, systems)
    good = {"csrf": csrf, "name": "Skat og gæld", "description": "Spørgsmål om restskat",
            "internal": "Til opkrævningen", "terms": "restskat\ngæld, afdrag\n\n",
            "system": rec, "mb": "60", "attachments": "5", "target-citizen": "1",
            "visible": "1", "active": "1", "code_rows": "3",
            "code_type_0": "KLE", "code_0": "25.00.00", "code_name_0": "Skat",
            "code_type_1": "CUSTOM", "code_1": "", "code_name_1": "",
            "code_type_2": "GLN", "code_2": "5790000000000", "code_name_2": "",
            "group-" + groups["Borgerservice"]["id"]: "1"}
    r = srv.post(BASE + "/kontaktpunkter/ny", data=good, allow_redirects=False)
    assert r.status_code == 303, r.text
    p = api_points(srv, systems)["Skat og gæld"]
    assert p["description"] == "Spørgsmål om restskat"
    assert p["internalDescription"] == "Til opkrævningen"
    assert [t["term"] for t in p["searchTerms"]] == ["restskat", "gæld", "afdrag"]
    assert [(c["type"], c["code"]) for c in p["contactPointCodes"]] == [
        ("KLE", "25.00.00"), ("GLN", "5790000000000")]
    assert p["visibility"] == {"citizen": True, "company": False, "authority": False}
    assert (p["memoSizeThresholdMB"], p["allowedNumberOfAttachments"]) == (60, 5)
    assert p["systemId"] == rec and p["active"] is True and p["visible"] is True
    assert [g["id"] for g in p["contactGroups"]] == [groups["Borgerservice"]["id"]]
    assert "Skat og gæld" in srv.get(BASE).text


def test_concurrent_edits_second_save_gets_the_current_version(aa):
    srv, systems = aa
    sign_in(srv, SOEREN)
    p = api_points(srv, systems)["Byggetilladelser"]
    path = BASE + "/kontaktpunkter/" + p["id"]
    first, csrf = point_form(srv, path)
    second, _ = point_form(srv, path)
    v = re.search(r'name="version" value="(\d+)"', first).group(1)
    assert v == str(p["version"])
    form = {"csrf": csrf, "version": v, "name": "Byggetilladelser", "system": p["systemId"],
            "mb": "40", "attachments": "20", "target-citizen": "1", "target-company": "1",
            "visible": "1", "active": "1", "code_rows": "1", "code_type_0": "KLE",
            "code_0": "02.34.02", "code_name_0": "Byggetilladelse",
            "terms": "byggetilladelse\ntilbygning\ncarport",
            "group-" + p["contactGroups"][0]["id"]: "1"}
    r = srv.post(path, data=dict(form, description="Første medarbejders tekst"),
                 allow_redirects=False)
    assert r.status_code == 303, r.text
    after = api_points(srv, systems)["Byggetilladelser"]
    assert after["version"] == p["version"] + 1
    # the second editor still has the old version in the form
    r = srv.post(path, data=dict(form, description="Anden medarbejders tekst", mb="10"))
    assert r.status_code == 409
    assert 'id="conflict"' in r.text
    assert "Første medarbejders tekst" in r.text          # the current version is shown
    assert "Anden medarbejders tekst" in r.text           # next to what they entered
    assert re.search(r'name="version" value="%d"' % after["version"], r.text)
    now = api_points(srv, systems)["Byggetilladelser"]
    assert now["description"] == "Første medarbejders tekst" and now["version"] == after["version"]
    # the API's ETag is the same version the page used
    tok = systems[(KOMMUNEN, "recipient")]["token"]
    r = srv.get("/apis/v1/organisations/%s/contact-points/%s" % (KOMMUNEN, p["id"]),
                headers={"Authorization": "Basic " + tok})
    assert r.headers["ETag"].strip('"W/') == str(after["version"])
    # a save on the version the conflict page gave goes through
    r = srv.post(path, data=dict(form, version=str(after["version"]), description="Samlet"),
                 allow_redirects=False)
    assert r.status_code == 303
    assert api_points(srv, systems)["Byggetilladelser"]["description"] == "Samlet"


def test_point_delete_and_stale_delete(aa):
    srv, systems = aa
    sign_in(srv, SOEREN)
    p = api_points(srv, systems)["Myndighedspost"]
    page = srv.get(BASE + "/kontaktpunkter/%s/slet" % p["id"])
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    r = srv.post(BASE + "/kontaktpunkter/%s/slet" % p["id"],
                 data={"csrf": csrf, "version": str(p["version"] + 5)})
    assert r.status_code == 409 and 'id="conflict"' in r.text
    assert "Myndighedspost" in api_points(srv, systems)
    r = srv.post(BASE + "/kontaktpunkter/%s/slet" % p["id"], allow_redirects=False,
                 data={"csrf": csrf, "version": str(p["version"])})
    assert r.status_code == 303
    assert "Myndighedspost" not in api_points(srv, systems)
    r = srv.post(BASE + "/kontaktpunkter/%s/slet" % p["id"], data={"csrf": csrf, "version": "1"})
    assert r.status_code == 404


def test_other_organisation_and_csrf(aa):
    srv, systems = aa
    sign_in(srv, SOEREN)
    p = api_points(srv, systems)["Borgerservice"]
    csrf = csrf_of(srv.get(BASE).text)
    # without the CSRF token nothing is written
    r = srv.post(BASE + "/kontaktpunkter/%s/slet" % p["id"], data={"version": str(p["version"])})
    assert r.status_code == 403 and "Borgerservice" in api_points(srv, systems)
    srv.post("/logout", data={"csrf": csrf})
    run_cli(["user", "grant", "--org", "11223344", "--right", "CONTACT_ADMINISTRATOR",
             "--email", DORTE], data=srv.data_dir, json_out=False)
    sign_in(srv, DORTE)
    assert srv.get(BASE).status_code == 200
    assert "Borgerservice" not in srv.get(BASE).text
    assert srv.get(BASE + "/kontaktpunkter/" + p["id"]).status_code == 404
    csrf = csrf_of(srv.get(BASE).text)
    r = srv.post(BASE + "/kontaktpunkter/%s/slet" % p["id"],
                 data={"csrf": csrf, "version": str(p["version"])})
    assert r.status_code == 404 and "Borgerservice" in api_points(srv, systems)


def test_legal_size_bounds_apply_to_the_cli_too(aa):
    """The bounds live in the domain: `kuvert contact-point add` is refused alike."""
    srv, systems = aa
    rec = systems[(KOMMUNEN, "recipient")]["id"]
    base = ["contact-point", "add", "--org", KOMMUNEN, "--system", rec]
    for name, extra, ok in (("A", ["--max-mb", "41"], False),        # companies may write
                            ("B", ["--max-mb", "40"], True),
                            ("C", ["--max-mb", "60", "--hidden-for", "company,authority"], True),
                            ("D", ["--max-mb", "61", "--hidden-for", "company,authority"], False),
                            ("E", ["--max-mb", "100", "--hidden-for", "citizen,company"], True)):
        out = run_cli(base + ["--name", name] + extra, data=srv.data_dir, check=False,
                      json_out=False)
        assert (out.returncode == 0) == ok, (name, out.stderr)
        if not ok:
            assert "memoSizeThresholdMB" in out.stderr and "at most" in out.stderr


def contact_events(srv):
    from kuvert_harness import db_connect
    import json as _json
    db = db_connect(srv.data_dir)
    try:
        rows = db.execute("SELECT tag, actor, subject, props FROM events WHERE tag IN "
                          "('CONTACT_POINT_CHANGED', 'CONTACT_GROUP_CHANGED') ORDER BY seq"
                          ).fetchall()
    finally:
        db.close()
    return [(r[0], r[1], r[2], _json.loads(r[3])) for r in rows]


def test_every_change_is_an_event_with_its_actor(aa):
    """CONTACT_POINT_CHANGED / CONTACT_GROUP_CHANGED in the change's transaction: the
    employee as actor for the pages, the system for the API, the organisation as subject."""
    srv, systems = aa
    before = len(contact_events(srv))
    assert before == 6  # the demo: 3 groups and 3 points, created by the CLI
    assert all(e[1] == "cli" and e[3]["action"] == "CREATED" for e in contact_events(srv))
    sign_in(srv, SOEREN)
    text, csrf = point_form(srv, BASE + "/grupper/ny")
    r = srv.post(BASE + "/grupper/ny", data={"csrf": csrf, "name": "Ældre"},
                 allow_redirects=False)
    assert r.status_code == 303
    g = api_groups(srv, systems)["Ældre"]
    p = api_points(srv, systems)["Myndighedspost"]
    r = srv.post(BASE + "/kontaktpunkter/%s/slet" % p["id"], allow_redirects=False,
                 data={"csrf": csrf, "version": str(p["version"])})
    assert r.status_code == 303
    # a refused save writes no event
    r = srv.post(BASE + "/grupper/" + g["id"], data={"csrf": csrf, "version": "99", "name": "X"})
    assert r.status_code == 409
    # the API: the calling system is the actor
    tok = systems[(KOMMUNEN, "recipient")]["token"]
    r = srv.request("PUT", "/apis/v1/organisations/%s/contact-groups/%s" % (KOMMUNEN, g["id"]),
                    json={"name": "Ældre og sundhed"},
                    headers={"Authorization": "Basic " + tok, "If-Match": '"%d"' % g["version"]})
    assert r.status_code == 200, r.text
    new = contact_events(srv)[before:]
    assert [(e[0], e[3]["action"]) for e in new] == [
        ("CONTACT_GROUP_CHANGED", "CREATED"), ("CONTACT_POINT_CHANGED", "DELETED"),
        ("CONTACT_GROUP_CHANGED", "UPDATED")]
    assert new[0][1].startswith("employee:") and new[1][1] == new[0][1]
    assert new[2][1] == systems[(KOMMUNEN, "recipient")]["id"]
    assert all(e[2] == "cvr:" + KOMMUNEN for e in new)
    assert new[0][3]["contactGroupId"] == g["id"] and new[0][3]["name"] == "Ældre"
    assert new[1][3] == {"action": "DELETED", "contactPointId": p["id"],
                         "name": "Myndighedspost", "version": p["version"]}
    assert new[2][3]["name"] == "Ældre og sundhed" and new[2][3]["version"] == g["version"] + 1
