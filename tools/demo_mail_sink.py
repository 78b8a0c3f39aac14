#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The local SMTP sink of `make run` (tools/run-demo.sh): a real SMTP server (Debian's
python3-aiosmtpd) on 127.0.0.1:PORT that accepts every mail kuvert sends -- the notices of new
post to the demo citizen's confirmed address, confirmation links, warning mails -- and appends
each, decoded (To, Subject, text body), to the log file given. Nothing leaves the machine.

    python3 tools/demo_mail_sink.py 127.0.0.1 2525 kuvert-data/demo-mail.log
"""
import email
import email.policy
import sys
import time

from aiosmtpd.controller import Controller

MAX_SIZE = 1024 * 1024


class Handler:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        if len(raw) > MAX_SIZE:
            return "552 message too large"
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_content() if not msg.is_multipart() else "(multipart)"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write("==== %s\nTo: %s\nSubject: %s\n\n%s\n" % (
                time.strftime("%Y-%m-%d %H:%M:%S"), ", ".join(envelope.rcpt_tos),
                msg["Subject"], body))
        return "250 OK"


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctl = Controller(Handler(path), hostname=host, port=port)
    ctl.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
