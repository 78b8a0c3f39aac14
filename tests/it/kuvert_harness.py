# SPDX-License-Identifier: MIT
"""Black-box harness for kuvert's integration tests (pure stdlib + python3-requests).

Starts the real binary as `$KUVERT serve --data DIR --listen 127.0.0.1:0 [...]`, reads the port
from its one stdout line ("kuvert: listening on http://HOST:PORT"), waits for GET /healthz,
and stops it with SIGTERM, checking exit status 0 (under ASan that also means "no leak").
Also runs CLI commands against the same data directory, parsing --json output.

    srv = KuvertServer(data_dir, test_clock=True).start()
    r = srv.get("/healthz")
    out = run_cli(["system", "add", ...], data=data_dir)     # parsed JSON
    srv.kill9(); srv.start()                                   # restart on the same data
    srv.stop()                                                 # SIGTERM, asserts exit 0

KUVERT (env) is the binary; default build/release/kuvert under the repository root.
"""
import datetime
import json
import hashlib
import os
import re
import sqlite3
import select
import signal
import subprocess
import time

import requests
from zoneinfo import ZoneInfo

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LISTEN_RE = re.compile(r"^kuvert: listening on (http://[^\s:]+:(\d+))\s*$")


# The PostgreSQL pass (tests/run.sh): KUVERT is tests/kuvert-pg.sh, which gives every data
# directory a schema of its own in the KUVERT_TEST_PG database and runs KUVERT_REAL.
PG_HARNESS_VARS = ("KUVERT_REAL", "KUVERT_TEST_PG")


def on_postgresql():
    """True in the black-box suites' PostgreSQL pass."""
    return bool(os.environ.get("KUVERT_TEST_PG"))


def pg_schema(data_dir):
    """The schema tests/kuvert-pg.sh uses for data_dir (same rule)."""
    return "kvd_" + hashlib.sha1(os.path.abspath(str(data_dir)).encode()).hexdigest()[:16]


class _Row(tuple):
    """A result row: a tuple that can also be indexed by column name (like sqlite3.Row)."""

    def __new__(cls, values, names):
        r = tuple.__new__(cls, values)
        r._names = names
        return r

    def __getitem__(self, k):
        if isinstance(k, str):
            return tuple.__getitem__(self, self._names.index(k))
        return tuple.__getitem__(self, k)

    def keys(self):
        return list(self._names)


def _pg_value(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, memoryview):
        return bytes(v)
    return v


class _PgResult:
    def __init__(self, cur):
        names = [d[0] for d in cur.description] if cur.description else []
        self._rows = [_Row([_pg_value(v) for v in r], names) for r in cur.fetchall()] \
            if cur.description else []
        self.rowcount = cur.rowcount

    def fetchone(self):
        return self._rows.pop(0) if self._rows else None

    def fetchall(self):
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self):
        return iter(self.fetchall())


class _PgConnection:
    """The subset of sqlite3.Connection the suites use (execute with ? placeholders, fetch,
    iterdump, commit, close), on the data directory's PostgreSQL schema. Autocommit."""

    def __init__(self, data_dir):
        import psycopg2  # Debian python3-psycopg2; only the PostgreSQL pass needs it
        self._c = psycopg2.connect(os.environ["KUVERT_TEST_PG"],
                                   options="-csearch_path=%s" % pg_schema(data_dir))
        self._c.autocommit = True
        self.row_factory = None

    @staticmethod
    def _sql(sql):
        out, quote = [], None
        for ch in sql:
            if quote:
                quote = None if ch == quote else quote
                out.append("%%" if ch == "%" else ch)
            elif ch in "'\"":
                quote = ch
                out.append(ch)
            elif ch == "?":
                out.append("%s")
            elif ch == "%":
                out.append("%%")
            else:
                out.append(ch)
        return "".join(out)

    def execute(self, sql, args=()):
        with self._c.cursor() as cur:
            cur.execute(self._sql(sql), tuple(args))
            return _PgResult(cur)

    def iterdump(self):
        """Every row of every table of the schema, as text (what a database dump would show)."""
        for (table,) in self.execute("SELECT tablename FROM pg_tables WHERE schemaname = "
                                     "current_schema() ORDER BY tablename").fetchall():
            for row in self.execute('SELECT * FROM "%s"' % table).fetchall():
                yield "%s %r" % (table, tuple(row))

    def commit(self):
        pass

    def close(self):
        self._c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def db_connect(data_dir, readonly=False):
    """A connection to the database of the server or CLI on data_dir: sqlite3 on
    DIR/kuvert.db, or in the PostgreSQL pass the data directory's schema (see _PgConnection).
    SQL uses ? placeholders on both; rows are tuples that can also be indexed by name."""
    if on_postgresql():
        return _PgConnection(data_dir)
    path = os.path.join(str(data_dir), "kuvert.db")
    if readonly:
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
    else:
        con = sqlite3.connect(path, timeout=30)
    return con


CPH = ZoneInfo("Europe/Copenhagen")


def pin_clock_to_noon(data_dir):
    """Moves the test clock of data_dir forward to the next 12:00 in Copenhagen (at most a day
    ahead) by writing DATA/test-clock-offset, which the admin CLI (`kuvert demo` too) and
    `kuvert serve --test-clock` load (src/util/clock_file.c). Call it before anything is
    stored in data_dir. Then everything the test does in the next hours falls on one civil
    date, whatever wall-clock time the suite runs at (across midnight, DST changes at 02:00/
    03:00): a test that asks for "today" agrees with the server's today. Returns today(): the
    Copenhagen date (datetime.date) at the moved clock."""
    os.makedirs(str(data_dir), exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    d = now.astimezone(CPH).date()
    noon = datetime.datetime(d.year, d.month, d.day, 12, tzinfo=CPH)
    if noon <= now:
        d += datetime.timedelta(days=1)
        noon = datetime.datetime(d.year, d.month, d.day, 12, tzinfo=CPH)
    offset = noon - now
    with open(os.path.join(str(data_dir), "test-clock-offset"), "w") as f:
        f.write("%d\n" % (offset // datetime.timedelta(milliseconds=1)))

    def today():
        return (datetime.datetime.now(datetime.timezone.utc) + offset).astimezone(CPH).date()
    return today


def kuvert_bin():
    """Absolute path of the binary under test."""
    path = os.environ.get("KUVERT") or os.path.join(ROOT, "build", "release", "kuvert")
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    if not os.access(path, os.X_OK):
        raise RuntimeError("kuvert binary not found or not executable: %s (set KUVERT)" % path)
    return path


def clean_env(extra=None):
    """The environment for child processes: no stray KUVERT_* settings from the caller's shell
    (they would change the configuration under test), plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KUVERT_") or k in ("KUVERT_ROOT",) + PG_HARNESS_VARS}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env.setdefault("LSAN_OPTIONS", "suppressions=%s:print_suppressions=0"
                   % os.path.join(ROOT, "tests", "lsan.supp"))
    if extra:
        env.update(extra)
    return env


class CliError(Exception):
    def __init__(self, proc):
        self.proc = proc
        super().__init__("kuvert %s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(proc.args[1:]), proc.returncode, proc.stdout, proc.stderr))


def run_cli(args, data=None, json_out=True, check=True, env=None, input=None, timeout=60):
    """Runs `kuvert ARGS [--data DATA] [--json]`. Returns the parsed JSON object when json_out
    (stdout must be exactly one JSON document), else the CompletedProcess. Raises CliError on
    a non-zero exit when check."""
    cmd = [kuvert_bin()] + list(args)
    if data is not None:
        cmd += ["--data", str(data)]
    if json_out:
        cmd.append("--json")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(env), input=input,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise CliError(proc)
    if json_out and proc.returncode == 0:
        return json.loads(proc.stdout)
    return proc


class KuvertServer:
    """One `kuvert serve` process on 127.0.0.1 with an ephemeral port."""

    def __init__(self, data_dir, test_clock=False, args=(), env=None, log_path=None):
        self.data_dir = str(data_dir)
        self.test_clock = test_clock
        self.args = list(args)
        self.env = env
        self.log_path = log_path or (self.data_dir.rstrip("/") + ".server.log")
        self.proc = None
        self.port = None
        self.url = None
        self.session = requests.Session()
        self._log = None

    # ---- lifecycle ----

    def start(self, timeout=60):
        """Starts the server (again, on the same data dir after stop/kill9) and waits until
        GET /healthz answers 200. Returns self."""
        assert self.proc is None, "already running"
        cmd = [kuvert_bin(), "serve", "--data", self.data_dir, "--listen", "127.0.0.1:0"]
        if self.test_clock:
            cmd.append("--test-clock")
        cmd += self.args
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log,
                                     env=clean_env(self.env))
        line = self._read_line(timeout)
        m = LISTEN_RE.match(line)
        if not m:
            self.kill9()
            raise RuntimeError("unexpected first line from kuvert serve: %r\n%s" % (line, self.log()))
        self.url, self.port = m.group(1), int(m.group(2))
        assert self.port > 0
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.session.get(self.url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.kill9()
                raise RuntimeError("server did not become healthy\n" + self.log())
            time.sleep(0.05)
        return self

    def _read_line(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                break
            chunk = os.read(fd, 1)
            if not chunk:
                break
            buf += chunk
        return buf.decode("utf-8", "replace").rstrip("\n")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=60):
        """Waits for exit; returns the exit status and forgets the process."""
        rc = self.proc.wait(timeout=timeout)
        self._reap()
        return rc

    def stop(self, timeout=60, check=True):
        """SIGTERM, wait, and (check) assert exit status 0. Returns the status."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._reap()
            raise AssertionError("server did not stop within %ss of SIGTERM\n%s" % (timeout, self.log()))
        self._reap()
        if check:
            assert rc == 0, "kuvert serve exited %d after SIGTERM\n%s" % (rc, self.log())
        return rc

    def kill9(self):
        """SIGKILL (crash simulation); nothing is flushed or cleaned up."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self._reap()

    def restart(self):
        self.stop()
        return self.start()

    def _reap(self):
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        self.session.close()
        self.session = requests.Session()
        if self._log:
            self._log.close()
            self._log = None

    def log(self):
        """The server's stderr so far (all runs on this data dir)."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # ---- HTTP helpers (requests.Session; path relative to the server) ----

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 60)
        return self.session.request(method, self.url + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def advance_clock(self, duration):
        """POST /test/clock {"advance": duration}; returns the JSON answer."""
        r = self.post("/test/clock", json={"advance": duration})
        assert r.status_code == 200, r.text
        return r.json()

    def cli(self, args, **kw):
        """run_cli against this server's data directory."""
        return run_cli(args, data=self.data_dir, **kw)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop(check=exc[0] is None)


def wait_until(pred, timeout=60, what="condition", step=0.1):
    """Background work (pushes, notices, publication, a closed connection counted out):
    pred() every step s until it is true, at most timeout s; returns its value, or fails
    "timed out waiting for WHAT". The deadline is generous because a loaded machine (or an
    ASan build) is slow; a condition that never comes still fails."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(step)


def wait_port_quiet(port, timeout=60):
    """Waits until no connection to the local TCP port `port` is open on its server side:
    none being accepted (SYN_RECV, or ESTABLISHED in the listen backlog), being served
    (ESTABLISHED) or closed by the peer but not yet by the server (CLOSE_WAIT) -- read from
    /proc/net/tcp{,6}. After the only client of a test receiver was killed, this is the
    moment the receiver has read and recorded every request the client had sent: a fixed
    sleep is outlasted by a loaded machine."""
    def open_conns():
        n = 0
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(path) as f:
                    rows = f.read().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                cols = row.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] in ("01", "03", "08"):
                    n += 1
        return n
    wait_until(lambda: open_conns() == 0, timeout, what="port %d to be quiet" % port)


def await_continue(s):
    """Reads, on raw socket s, the interim "100 Continue" the server sends once it has admitted
    a request that carried "Expect: 100-continue" (the first callback ran: its body budget is
    taken, its slot counted): from then on the request is certainly in flight, without a
    sleep that a loaded machine may outlast."""
    out = b""
    while b"\r\n\r\n" not in out:
        chunk = s.recv(1)
        assert chunk, out
        out += chunk
    assert out.startswith(b"HTTP/1.1 100 "), out


def read_to_close(s, limit=1 << 26):
    """What arrives on socket s until the peer closes it, or resets it (a server that closes
    with unread bytes from the client resets the connection): the bytes read."""
    out = b""
    while len(out) < limit:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


class RawResponse:
    """The parts of a requests.Response the suites read (status_code, headers, content, text,
    json()), for an answer read off a raw socket by refused_request."""

    def __init__(self, raw):
        head, _, self.content = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status_code = int(lines[0].split(" ")[1])
        self.headers = requests.structures.CaseInsensitiveDict()
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip()] = v.strip()
        n = self.headers.get("Content-Length")
        if n is not None:
            self.content = self.content[:int(n)]
        self.text = self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


def refused_request(srv, method, path, headers=None, body=b"", attempts=5):
    """Sends a request that the server refuses from its head alone (a body over max_body, say)
    and answers at once with "Connection: close", without reading the body. The client may then
    see its send cut off by a reset, and the reset may take the answer with it: a race that
    depends on load. So this sends what the socket takes, reads what arrived, and tries again
    (at most attempts times) while nothing did. Returns a RawResponse of the first answer."""
    host = "127.0.0.1"
    head = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (host, srv.port),
            "Content-Length: %d" % len(body), "Connection: close"]
    head += ["%s: %s" % kv for kv in (headers or {}).items()]
    data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    import socket
    for _ in range(attempts):
        s = socket.create_connection((host, srv.port), timeout=60)
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            out = read_to_close(s)
        finally:
            s.close()
        if out:
            return RawResponse(out)
    raise AssertionError("no answer to %s %s in %d attempts" % (method, path, attempts))


def assert_error_message(resp, status, code=None):
    """Asserts resp is an NgDP ErrorMessage {code, message, fieldErrors[]} with status."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("message"), str), body
    assert isinstance(body.get("fieldErrors"), list), body
    if code is not None:
        assert body["code"] == code, body
    return body


def parse_metrics(text):
    """Parses Prometheus text format into {(name, frozenset(labels.items())): value} and
    {name: type}. Raises AssertionError on a malformed line."""
    samples, types = {}, {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            assert name not in types, "TYPE twice for " + name
            types[name] = typ
            continue
        if line.startswith("#"):
            continue
        m = line_re.match(line)
        assert m, "malformed metrics line: %r" % line
        labels = {}
        if m.group(3):
            labels = dict(label_re.findall(m.group(3)))
        key = (m.group(1), frozenset(labels.items()))
        assert key not in samples, "duplicate sample %r" % line
        samples[key] = float(m.group(4))
    return samples, types


def metric(samples, name, **labels):
    """The value of one sample (0.0 when absent)."""
    return samples.get((name, frozenset((k, str(v)) for k, v in labels.items())), 0.0)
