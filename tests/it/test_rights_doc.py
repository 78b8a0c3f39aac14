# SPDX-License-Identifier: MIT
"""docs/rights.md's "Routes by access key" is generated from `kuvert config routes --json`
(tools/routes-doc.py): this fails while the document does not list exactly the routes the
binary under test serves, and says how to regenerate it."""
import importlib.util
import os
import subprocess
import sys

from kuvert_harness import ROOT, kuvert_bin


def test_rights_md_lists_the_routes_the_binary_serves():
    env = dict(os.environ, KUVERT=kuvert_bin())
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "routes-doc.py"), "--check"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (
        "docs/rights.md is stale: run `python3 tools/routes-doc.py` (after `make`) and commit "
        "docs/rights.md\n" + r.stderr)


def test_the_check_fails_on_a_stale_table():
    """The check compares the whole section: one route count off is caught."""
    spec = importlib.util.spec_from_file_location(
        "routes_doc", os.path.join(ROOT, "tools", "routes-doc.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    os.environ["KUVERT"] = kuvert_bin()
    with open(mod.DOC, encoding="utf-8") as f:
        doc = f.read()
    assert mod.rewritten(doc) == doc
    i = doc.index(mod.BEGIN)
    stale = doc[:i] + doc[i:].replace(" routes (`kuvert", "0 routes (`kuvert", 1)
    assert stale != doc and mod.rewritten(stale) == doc
