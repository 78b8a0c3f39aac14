# SPDX-License-Identifier: MIT
"""A real HTTP receiver for push tests: an authority's recipient system on 127.0.0.1 that the
hub POSTs letters to (multipart/form-data, part `file`, file name = messageUUID).

The test tells it what to do with each request:
    accept  answer 200 and record the letter (default)
    fail    answer `status` (default 500) and record only the attempt
    hang    hold the request without answering until the mode changes or `hang_s` passes
            (the hub's timeout should fire first), then close the connection

    with Receiver() as rx:
        url = rx.url                      # http://127.0.0.1:PORT/inbox
        rx.set_mode("fail", status=503)
        ...
        rx.set_mode("accept")
        rx.wait_for(lambda: len(rx.received) >= 3, timeout=20)
        rx.received   -> [{"uuid", "filename", "content_type", "body"(bytes), "path"}...]
        rx.attempts   -> [{"mode", "status", "filename"}...] every request, in order
        rx.uuids()    -> list of filenames of accepted letters, in order
        rx.before_answer = fn  # fn(filename) runs in accept mode before the 200 is sent,
                               # as Netcompany's reference recipient posts its business
                               # receipt to NgDP while handling the push

Pure stdlib (http.server, email parser); bounded: bodies over 200 MB get 413, at most 10,000
records are kept.
"""
import email.parser
import email.policy
import http.server
import threading
import time

MAX_BODY = 200 * 1024 * 1024
MAX_RECORDS = 10000


def _parse_multipart(content_type, body):
    """Returns (filename, part content type, bytes) of the part named `file`, or None."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        return None
    for part in msg.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return (part.get_filename(), part.get_content_type(),
                    part.get_payload(decode=True) or b"")
    return None


class Receiver:
    def __init__(self, path="/inbox"):
        self.path = path
        self.mode = "accept"
        self.status = 500
        self.hang_s = 120.0
        self.received = []
        self.attempts = []
        self.before_answer = None
        self._cv = threading.Condition()
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n > MAX_BODY:
                    self.send_response(413)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = self.rfile.read(n)
                ctype = self.headers.get("Content-Type", "")
                part = None
                if ctype.startswith("multipart/form-data"):
                    try:
                        part = _parse_multipart(ctype, body)
                    except Exception:  # malformed: recorded as an attempt without a file
                        part = None
                with rx._cv:
                    mode, status = rx.mode, rx.status
                    if len(rx.attempts) < MAX_RECORDS:
                        rx.attempts.append({"mode": mode, "status": status,
                                            "filename": part[0] if part else None,
                                            "path": self.path})
                    rx._cv.notify_all()
                if mode == "hang":
                    deadline = time.monotonic() + rx.hang_s
                    with rx._cv:
                        while rx.mode == "hang" and time.monotonic() < deadline:
                            rx._cv.wait(0.1)
                    self.close_connection = True
                    return
                if mode == "fail":
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if part is None or self.path != rx.path:
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with rx._cv:
                    if len(rx.received) < MAX_RECORDS:
                        rx.received.append({"uuid": part[0], "filename": part[0],
                                            "content_type": part[1], "body": part[2],
                                            "path": self.path})
                    rx._cv.notify_all()
                if rx.before_answer:
                    rx.before_answer(part[0])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d%s" % (self.port, path)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def set_mode(self, mode, status=500):
        assert mode in ("accept", "fail", "hang"), mode
        with self._cv:
            self.mode = mode
            self.status = status
            self._cv.notify_all()

    def uuids(self):
        with self._cv:
            return [r["filename"] for r in self.received]

    def wait_for(self, pred, timeout=60.0):
        """Waits until pred() is true (checked under the lock after every request);
        returns pred()'s last value."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                v = pred()
                if v or time.monotonic() >= deadline:
                    return v
                self._cv.wait(min(0.2, max(0.0, deadline - time.monotonic())))

    def close(self):
        self.set_mode("accept")
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
