# SPDX-License-Identifier: MIT
"""A local HTTP sink that plays the SMS and push gateways of docs/notifications.md: kuvert
POSTs one JSON object per message; the sink records it and answers `status` (default 202).

    with GatewaySink() as gw:
        gw.url                                   # http://127.0.0.1:PORT/sms
        gw.set(status=503)                       # refuse (kuvert retries)
        gw.set(delay=0.2)                        # answer each request after 200 ms
        gw.wait_for(lambda msgs: len(msgs) >= 2)
        gw.messages -> [dict, ...] accepted bodies, in arrival order
        gw.requests -> number of requests seen (accepted or not)

Pure stdlib, loopback only; bounded: bodies over 64 KB get 413, at most 200,000 records.
"""
import http.server
import json
import threading
import time

MAX_BODY = 64 * 1024
MAX_RECORDS = 200000


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        sink = self.server.sink
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            self.send_response(413)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(n)
        with sink._cv:
            status, delay = sink.status, sink.delay
            sink.requests += 1
        if delay:
            time.sleep(delay)
        if 200 <= status < 300:
            try:
                obj = json.loads(body)
            except ValueError:
                obj = {"invalid": body.decode("utf-8", "replace")}
            obj["_path"] = self.path
            obj["_content_type"] = self.headers.get("Content-Type")
            with sink._cv:
                if len(sink.messages) < MAX_RECORDS:
                    sink.messages.append(obj)
                sink._cv.notify_all()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


class GatewaySink:
    def __init__(self, path="/gateway"):
        self.messages = []
        self.requests = 0
        self.status = 202
        self.delay = 0.0
        self._cv = threading.Condition()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.sink = self
        self.url = "http://127.0.0.1:%d%s" % (self.httpd.server_address[1], path)
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def set(self, status=None, delay=None):
        with self._cv:
            if status is not None:
                self.status = status
            if delay is not None:
                self.delay = delay

    def snapshot(self):
        with self._cv:
            return list(self.messages)

    def wait_for(self, pred, timeout=60.0):
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                v = pred(list(self.messages))
                if v or time.monotonic() >= deadline:
                    return v
                self._cv.wait(min(0.2, max(0.0, deadline - time.monotonic())))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
