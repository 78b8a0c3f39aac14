# SPDX-License-Identifier: MIT
"""A real SMTP server for the tests: aiosmtpd's Controller (Debian python3-aiosmtpd) on
127.0.0.1 with an ephemeral port, recording every message it accepts.

    with SmtpSink() as sink:
        url = sink.url                           # smtp://127.0.0.1:PORT for kuvert --smtp
        sink.wait_for(lambda m: len(m) >= 2)     # waits until the predicate holds
        sink.messages -> [{"from", "to" (list), "subject", "body", "headers"(Message)}...]
        sink.set_refuse(True)                    # answer 451 to DATA (a temporary failure)

The subject is decoded (RFC 2047) and the body decoded from its transfer encoding to text.
Bounded: at most 1,000 messages of at most 1 MB each are kept.
"""
import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller

MAX_MESSAGES = 1000
MAX_SIZE = 1024 * 1024


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if self.sink.refuse:
            with self.sink._cv:
                self.sink.refused += 1
                self.sink._cv.notify_all()
            return "451 try again later"
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        if len(raw) > MAX_SIZE:
            return "552 message too large"
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_content() if not msg.is_multipart() else ""
        rec = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
               "subject": str(msg["Subject"] or ""), "body": body, "headers": msg,
               "raw": raw}
        with self.sink._cv:
            if len(self.sink.messages) < MAX_MESSAGES:
                self.sink.messages.append(rec)
            self.sink._cv.notify_all()
        return "250 OK"


class SmtpSink:
    def __init__(self):
        self.messages = []
        self.refuse = False
        self.refused = 0
        self._cv = threading.Condition()
        self.port = _free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.url = "smtp://127.0.0.1:%d" % self.port

    def start(self):
        """Starts the server (on a fresh port again, at most 5 times, when another process took
        the one picked: it is picked before aiosmtpd binds it)."""
        for attempt in range(5):
            try:
                self.controller.start()
                return self
            except OSError:
                if attempt == 4:
                    raise
                self.port = _free_port()
                self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
                self.url = "smtp://127.0.0.1:%d" % self.port

    def stop(self):
        self.controller.stop()

    def set_refuse(self, refuse):
        with self._cv:
            self.refuse = refuse

    def snapshot(self):
        with self._cv:
            return list(self.messages)

    def wait_for(self, pred, timeout=60.0):
        """Waits until pred(messages) is true; returns its last value."""
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
