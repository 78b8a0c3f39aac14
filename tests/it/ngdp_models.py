# SPDX-License-Identifier: MIT
"""Checks a JSON answer against a class of the C# client that NSwag generated from NgDP's
OpenAPI 1.68 (sjkp/digitalpost src/digitalpost/DigitalPostClient.cs, commit 3fcb9fd), as its
System.Text.Json deserialiser would read it. The classes, their JSON member names and C# types
come from tests/data/ngdp/client-1.68-models.json (a copy of the project's reference file
shared/reference/ngdp/client-1.68-models.json; path overridable with NGDP_MODELS).

What the client does, and so what is checked:
  - a member that is absent is fine (optional properties; the C# default is used);
  - null is an error where the C# type is a value type or enum (Guid, int, long, bool, float,
    DateTimeOffset, enums): System.Text.Json throws; null is fine for string, object,
    collections, dictionaries and classes;
  - Guid: a string of 32 hex digits in the 8-4-4-4-12 form (either case);
  - int / long: a JSON integer in range (1.0 or "1" throw); float: any number;
  - DateTimeOffset without converter: ISO 8601 as System.Text.Json accepts it
    (YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.f...]] with optional Z / +hh:mm);
    with DateFormatConverter: a string DateTimeOffset.Parse reads (null throws);
  - enums (JsonStringEnumConverter): one of the enum's names, exact case; an enum WITHOUT a
    converter (the items of ContactPoint.targets, ContactGroup.targets, Organisation.targets,
    where NSwag left "TODO(system.text.json): Add string enum item converter") is read by
    System.Text.Json's default enum handling, which takes the enum's numbers only;
  - a class where an object is declared: a string or a number throws;
  - members the class does not know are kept in AdditionalProperties: allowed.

    check(obj, "PagingResultUUID")          -> raises AssertionError listing every problem
    problems(obj, "Receipt")                -> the list of problems ([] when conformant)
    assert_model(obj, "Contact", required=["id"])  -> check + kuvert's stricter policy: no
                                               null anywhere (absent values are left out)
                                               and the named members present
"""
import json
import os
import re

_HERE = os.path.dirname(os.path.abspath(__file__))
_CANDIDATES = [
    os.environ.get("NGDP_MODELS", ""),
    os.path.join(_HERE, "..", "data", "ngdp", "client-1.68-models.json"),
]

_MODELS = None

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{12}$")
# System.Text.Json's ISO 8601-1:2019 extended profile (date, or date and time, optional zone).
STJ_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}"
                         r"(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$")
# What DateTimeOffset.Parse reads of the shapes an API answers with.
PARSE_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}"
                           r"([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?$")

VALUE_TYPES = {"Guid", "int", "long", "bool", "float", "double", "DateTimeOffset", "DateTime"}


def models():
    """The parsed client-1.68-models.json ({classes, enums, source})."""
    global _MODELS
    if _MODELS is None:
        for p in _CANDIDATES:
            if p and os.path.isfile(p):
                with open(p, encoding="utf-8") as f:
                    _MODELS = json.load(f)
                break
        else:
            raise FileNotFoundError("client-1.68-models.json not found (set NGDP_MODELS)")
    return _MODELS


def members(cls):
    """{json name: (C# type, converter)} of class cls."""
    return {p["json"]: (p["type"], p["converter"]) for p in models()["classes"][cls]["props"]}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _check_value(v, typ, conv, path, out):
    m = models()
    if typ.endswith("?"):
        if v is None:
            return
        typ = typ[:-1]
    if v is None:
        if typ in VALUE_TYPES or typ in m["enums"]:
            out.append("%s: null where the client's %s cannot be null" % (path, typ))
        return
    coll = re.match(r"^ICollection<(.+)>$", typ)
    if coll:
        if not isinstance(v, list):
            out.append("%s: %s where the client expects an array of %s"
                       % (path, type(v).__name__, coll.group(1)))
            return
        for i, e in enumerate(v):
            _check_value(e, coll.group(1), None, "%s[%d]" % (path, i), out)
        return
    dic = re.match(r"^IDictionary<string, (.+)>$", typ)
    if dic:
        if not isinstance(v, dict):
            out.append("%s: %s where the client expects an object" % (path, type(v).__name__))
            return
        for k, e in v.items():
            _check_value(e, dic.group(1), None, "%s.%s" % (path, k), out)
        return
    if typ == "object":
        return
    if typ == "string":
        if not isinstance(v, str):
            out.append("%s: %r where the client expects a string" % (path, v))
        return
    if typ == "Guid":
        if not isinstance(v, str) or not GUID_RE.match(v):
            out.append("%s: %r is not a GUID" % (path, v))
        return
    if typ == "int":
        if not _is_int(v) or not -2**31 <= v < 2**31:
            out.append("%s: %r is not a 32-bit integer" % (path, v))
        return
    if typ == "long":
        if not _is_int(v) or not -2**63 <= v < 2**63:
            out.append("%s: %r is not a 64-bit integer" % (path, v))
        return
    if typ in ("float", "double"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            out.append("%s: %r is not a number" % (path, v))
        return
    if typ == "bool":
        if not isinstance(v, bool):
            out.append("%s: %r is not a boolean" % (path, v))
        return
    if typ in ("DateTimeOffset", "DateTime"):
        rx = PARSE_DATE_RE if conv == "DateFormatConverter" else STJ_DATE_RE
        if not isinstance(v, str) or not rx.match(v):
            out.append("%s: %r is not a date-time the client reads" % (path, v))
        return
    if typ in m["enums"] and conv is None:
        n = len(m["enums"][typ]["values"])
        if not _is_int(v) or not 0 <= v < n:
            out.append("%s: %r: enum %s has no string converter here, the client reads only "
                       "its numbers 0..%d" % (path, v, typ, n - 1))
        return
    if typ in m["enums"]:
        if not isinstance(v, str) or v not in m["enums"][typ]["values"]:
            out.append("%s: %r is not one of %s %s" % (path, v, typ, m["enums"][typ]["values"]))
        return
    if typ in m["classes"]:
        if not isinstance(v, dict):
            out.append("%s: %r where the client expects a %s object" % (path, v, typ))
            return
        _check_class(v, typ, path, out)
        return
    # A type the extraction does not describe (e.g. an inline enum): not checked.


def _check_class(obj, cls, path, out):
    for name, (typ, conv) in members(cls).items():
        if name in obj:
            _check_value(obj[name], typ, conv, "%s.%s" % (path, name), out)


def problems(obj, cls):
    """Everything in obj (parsed JSON) that NgDP's client would fail to read as class cls."""
    out = []
    if cls not in models()["classes"]:
        raise KeyError("no class %s in client-1.68-models.json" % cls)
    if not isinstance(obj, dict):
        return ["$: %r where the client expects a %s object" % (obj, cls)]
    _check_class(obj, cls, "$", out)
    return out


def check(obj, cls):
    """Asserts that obj reads as class cls in NgDP's generated client; returns obj."""
    p = problems(obj, cls)
    assert not p, "not a valid %s for NgDP's client:\n  %s\n%s" % (
        cls, "\n  ".join(p), json.dumps(obj, ensure_ascii=False)[:2000])
    return obj


def require(obj, cls, *names):
    """check(obj, cls) and that the named members are present (and not null)."""
    check(obj, cls)
    missing = [n for n in names if obj.get(n) is None]
    assert not missing, "%s lacks %s: %s" % (cls, missing, json.dumps(obj)[:1000])
    return obj


def enum_values(name):
    """The names of client enum name, in declaration order (index = the number)."""
    return list(models()["enums"][name]["values"])


def _nulls(v, path, out):
    if v is None:
        out.append("%s: null (kuvert leaves absent values out)" % path)
    elif isinstance(v, dict):
        for k, e in v.items():
            _nulls(e, "%s.%s" % (path, k), out)
    elif isinstance(v, list):
        for i, e in enumerate(v):
            _nulls(e, "%s[%d]" % (path, i), out)


def assert_model(obj, cls, required=(), no_null=True):
    """check(obj, cls), the named members present, and (no_null) no null anywhere in obj:
    kuvert's policy on NgDP's shared paths is to leave absent values out. Returns obj."""
    p = problems(obj, cls)
    if isinstance(obj, dict):
        p += ["$.%s: missing" % n for n in required if n not in obj]
    if no_null:
        _nulls(obj, "$", p)
    assert not p, "not a valid %s for NgDP's client:\n  %s\n%s" % (
        cls, "\n  ".join(p), json.dumps(obj, ensure_ascii=False)[:2000])
    return obj
