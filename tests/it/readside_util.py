# SPDX-License-Identifier: MIT
"""Helpers for the read-side integration tests (receipts, contacts, mailbox, events):
directory setup through the real CLI and MeMo letters sent through the real send API.

    org = setup_org(srv, "29189978", receipt_url=None)   # {"cvr", "system", "token", "auth"}
    mailbox(srv, cpr="0101701234")                         # REGISTERED mailbox
    tok = user_token(srv, cpr="0101701234")                # bearer token
    uuid, receipt = send_letter(srv, org, cpr="0101701234", label="Hej", files=[...])
"""
import base64
import uuid as uuidlib
from xml.sax.saxutils import escape

_counter = [0]


def basic(token):
    return {"Authorization": "Basic " + token}


def bearer(token):
    return {"Authorization": "Bearer " + token}


def setup_org(srv, cvr, name=None, receipt_url=None, kind="sender"):
    """Creates the organisation (if new) and one system of it; returns a dict with the
    system's id, token and ready Authorization header."""
    # The organisation may exist already (several systems of one organisation); a real
    # failure shows up in `system add` below.
    srv.cli(["org", "add", "--cvr", cvr, "--name", name or ("Org " + cvr)], json_out=False,
            check=False)
    args = ["system", "add", "--org", cvr, "--kind", kind, "--name", "System of " + cvr]
    if receipt_url:
        args += ["--receipt-url", receipt_url]
    out = srv.cli(args)
    return {"cvr": cvr, "system": out["id"], "token": out["token"], "auth": basic(out["token"])}


def mailbox(srv, cpr=None, cvr=None, exempt=False, name=None):
    args = ["mailbox", "add"]
    args += ["--cpr", cpr] if cpr else ["--cvr", cvr]
    if name:
        args += ["--name", name]
    if exempt:
        args.append("--exempt")
    return srv.cli(args)


def close_mailbox(srv, cpr=None, cvr=None):
    args = ["mailbox", "close"] + (["--cpr", cpr] if cpr else ["--cvr", cvr])
    return srv.cli(args)


def user_token(srv, cpr=None, cvr=None):
    out = srv.cli(["user", "token"] + (["--cpr", cpr] if cpr else ["--cvr", cvr]))
    return out["token"]


def _file_xml(f):
    return ("<memo:File><memo:encodingFormat>%s</memo:encodingFormat>"
            "<memo:filename>%s</memo:filename><memo:language>da</memo:language>"
            "<memo:content>%s</memo:content></memo:File>" % (
                escape(f[1]), escape(f[0]), base64.b64encode(f[2]).decode()))


def letter_xml(sender_cvr, recipient_id, recipient_type="CPR", label="Brev", uuid=None,
               files=None, attachments=None, action_url="https://example.dk/sag",
               value_date=None, message_id=None):
    """A MeMo 1.2 letter. files: [(filename, mime, bytes)] of the MainDocument;
    attachments: [[(filename, mime, bytes)], ...], one AdditionalDocument each."""
    uuid = uuid or str(uuidlib.uuid4())
    _counter[0] += 1
    files = files or [("brev.txt", "text/plain", ("Brev nr. %d" % _counter[0]).encode())]
    header = ["<memo:messageType>DIGITALPOST</memo:messageType>",
              "<memo:messageUUID>%s</memo:messageUUID>" % uuid]
    if message_id:
        header.append("<memo:messageID>%s</memo:messageID>" % escape(message_id))
    header.append("<memo:label>%s</memo:label>" % escape(label))
    if value_date:
        header.append("<memo:doNotDeliverUntilDate>%s</memo:doNotDeliverUntilDate>" % value_date)
    header.append("<memo:Sender><memo:senderID>%s</memo:senderID><memo:idType>CVR</memo:idType>"
                  "<memo:label>Afsender %s</memo:label></memo:Sender>" % (sender_cvr, sender_cvr))
    header.append("<memo:Recipient><memo:recipientID>%s</memo:recipientID>"
                  "<memo:idType>%s</memo:idType></memo:Recipient>" % (recipient_id, recipient_type))
    main = ["<memo:label>Hoveddokument</memo:label>"] + [_file_xml(f) for f in files]
    if action_url:
        main.append("<memo:Action><memo:label>Se din sag</memo:label>"
                    "<memo:actionCode>SELVBETJENING</memo:actionCode>"
                    "<memo:EntryPoint><memo:url>%s</memo:url></memo:EntryPoint></memo:Action>"
                    % escape(action_url))
    body = ["<memo:createdDateTime>2024-05-03T12:00:00Z</memo:createdDateTime>",
            "<memo:MainDocument>%s</memo:MainDocument>" % "".join(main)]
    for i, att in enumerate(attachments or []):
        body.append("<memo:AdditionalDocument><memo:label>Bilag %d</memo:label>%s"
                    "</memo:AdditionalDocument>" % (i + 1, "".join(_file_xml(f) for f in att)))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2">'
           "<memo:MessageHeader>%s</memo:MessageHeader><memo:MessageBody>%s</memo:MessageBody>"
           "</memo:Message>\n" % ("".join(header), "".join(body)))
    return uuid, xml.encode("utf-8")


def send_letter(srv, org, cpr=None, cvr=None, expect=201, **kw):
    """Sends a letter through POST /apis/v1/memos/; returns (uuid, receipt JSON)."""
    rid, rtype = (cpr, "CPR") if cpr else (cvr, "CVR")
    uuid, xml = letter_xml(org["cvr"], rid, rtype, **kw)
    r = srv.post("/apis/v1/memos/", params={"memo-message-uuid": uuid}, data=xml,
                 headers=dict(org["auth"], **{"Content-Type": "application/xml"}))
    assert r.status_code == expect, (r.status_code, r.text)
    return uuid, r.json()
