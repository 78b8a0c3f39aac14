# SPDX-License-Identifier: MIT
"""docs/openapi.yaml must describe exactly the routes the server serves.

The served routes come from the binary itself (`kuvert config routes --json` prints the compiled
route tables). Paths are compared after normalising parameter names ({uuid} == {id}) and
trailing slashes (optional on every route). Test-only routes must be in the spec too, marked
`x-kuvert-test-only: true`; other operations must not carry the mark."""
import os
import re

import yaml

from kuvert_harness import ROOT, run_cli

SPEC = os.path.join(ROOT, "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def norm(path):
    path = re.sub(r"\{[^/{}]+\}", "{}", path)
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def load_spec():
    with open(SPEC) as f:
        return yaml.safe_load(f)


def served():
    routes = run_cli(["config", "routes"])["routes"]
    assert routes, "no routes compiled in"
    # Web pages and assets (src/web, docs/web.md) are not API operations.
    return {(r["method"].upper(), norm(r["pattern"])): r for r in routes if not r.get("page")}


def documented(spec):
    ops = {}
    for path, item in spec["paths"].items():
        for m in METHODS:
            if m in item:
                key = (m.upper(), norm(path))
                assert key not in ops, "documented twice (after normalising): %s %s" % key
                ops[key] = item[m]
    return ops


def test_spec_is_openapi3():
    spec = load_spec()
    assert str(spec["openapi"]).startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    ids = [op.get("operationId") for op in documented(spec).values()]
    assert all(ids), "every operation needs an operationId"
    assert len(ids) == len(set(ids)), "duplicate operationId"
    for key, op in documented(spec).items():
        assert op.get("responses"), "%s %s has no responses" % key


def test_every_served_route_documented_and_nothing_else():
    s = served()
    d = documented(load_spec())
    missing = sorted(set(s) - set(d))
    extra = sorted(set(d) - set(s))
    assert not missing, "served but not in docs/openapi.yaml: %s" % missing
    assert not extra, "in docs/openapi.yaml but not served: %s" % extra


def test_test_only_routes_marked():
    s = served()
    d = documented(load_spec())
    for key, r in s.items():
        if key in d:
            assert bool(d[key].get("x-kuvert-test-only", False)) == r["testOnly"], \
                "%s %s: x-kuvert-test-only must be %s" % (key[0], key[1], r["testOnly"])
    assert any(r["testOnly"] for r in s.values()), "POST /test/clock should be test-only"


def test_routes_list_matches_running_server(clock_server, server):
    """Each listed route is really routed: never the router's 404/405 (handlers may still
    answer 401/400/404 for their own reasons, with their own messages)."""
    for (method, path), r in served().items():
        concrete = path.replace("{}", "00000000-0000-4000-8000-000000000000")
        resp = clock_server.request(method, concrete, data=b"" if method != "GET" else None)
        assert resp.status_code != 405, (method, concrete, resp.text)
        if resp.status_code == 404:
            assert resp.json().get("message") != "no such resource", (method, concrete)
        if r["testOnly"]:
            resp = server.request(method, concrete)
            assert resp.status_code == 404, (method, concrete)
