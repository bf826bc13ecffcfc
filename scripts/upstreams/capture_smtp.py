#!/usr/bin/env python3
"""Capturing SMTP server (aiosmtpd) behind the upstream servers.

Dovecot submission and Postfix relay everything they accept to this server;
it stores each message so that a test can assert what arrived and as whom.

Usage: capture_smtp.py --maildir DIR [--port 0]

Prints one JSON line {"port": P, "maildir": DIR} when listening; stops on
SIGTERM/SIGINT or when stdin closes.

Every accepted message becomes two files in DIR, numbered in arrival order
(000001, 000002, ...):

  NNNNNN.eml   the message bytes exactly as received in DATA (after
               dot-unstuffing; includes the Received: headers the upstream
               added)
  NNNNNN.json  {"seq", "mail_from", "mail_options", "rcpt_tos",
               "rcpt_options", "auth_login", "auth_mechanism", "mail_auth", "helo",
               "peer", "xclient", "size", "eml", "received_at"}

Recipients whose local part is "tempfail" or "permfail" make DATA fail with
451 or 554 (nothing is stored).

The .json file is written last (atomically, by rename): a test that sees it
can read the .eml. "auth_login" is the SASL login the sender (Dovecot
submission) used towards this server: Dovecot logs in with the user it
authenticated (submission_relay_user = %u), so this field says AS WHOM the
message was submitted. Any login/password is accepted; AUTH is optional (Postfix
relays without it).
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class RecordingSMTP(SMTP):
    """aiosmtpd's SMTP plus: XCLIENT (recorded, not acted upon) and the
    MAIL FROM parameter AUTH=<mailbox> (RFC 4954 section 5; Dovecot submission sends it
    once it has logged in here), recorded as "mail_auth"."""

    async def smtp_MAIL(self, arg):
        kept = []
        self.session.mail_auth = None
        for part in (arg or "").split(" "):
            if part.upper().startswith("AUTH="):
                self.session.mail_auth = part[5:]
            else:
                kept.append(part)
        await super().smtp_MAIL(" ".join(kept))

    async def smtp_XCLIENT(self, arg):
        attrs = {}
        for part in (arg or "").split():
            if "=" in part:
                k, v = part.split("=", 1)
                attrs[k.upper()] = v
        self.session.xclient = {**(getattr(self.session, "xclient", None) or {}), **attrs}
        # RFC: after XCLIENT the server sends a new greeting.
        await self.push("220 %s capture ESMTP (xclient)" % self.hostname)


class Handler:
    def __init__(self, maildir):
        self.maildir = maildir
        self.lock = threading.Lock()
        existing = [n for n in os.listdir(maildir) if n.endswith(".json")]
        self.count = len(existing)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        # Advertise XCLIENT so that a trusted relay (Dovecot submission_relay_trusted)
        # can forward the original client's data; it is recorded per message.
        last = responses[-1]
        responses[-1] = "250-" + last[4:]
        responses.append("250 XCLIENT ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT TTL TIMEOUT")
        return responses

    async def handle_DATA(self, server, session, envelope):
        # Failure injection by recipient local part (as scripts/upstream_smtp.py does):
        # Dovecot submission relays synchronously and passes these replies to its client;
        # Postfix queues first, so there they become deferrals/bounces.
        locals_ = [r.split("@")[0].lower() for r in envelope.rcpt_tos]
        if "tempfail" in locals_:
            return "451 4.3.0 Temporary failure (capture: tempfail recipient)"
        if "permfail" in locals_:
            return "554 5.7.1 Rejected (capture: permfail recipient)"
        with self.lock:
            self.count += 1
            seq = self.count
        stem = os.path.join(self.maildir, "%06d" % seq)
        data = envelope.original_content if envelope.original_content is not None else envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        with open(stem + ".eml", "wb") as f:
            f.write(data)
        login = session.auth_data
        if isinstance(login, LoginPassword):
            login = login.login.decode("utf-8", "replace")
        elif isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        record = {
            "seq": seq,
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "auth_login": login if session.authenticated else None,
            "auth_mechanism": getattr(session, "auth_mechanism", None),
            "mail_auth": getattr(session, "mail_auth", None),
            "helo": session.host_name,
            "peer": list(session.peer) if session.peer else None,
            "xclient": getattr(session, "xclient", None),
            "size": len(data),
            "eml": stem + ".eml",
            "received_at": time.time(),
        }
        tmp = stem + ".json.tmp"
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, stem + ".json")
        return "250 2.0.0 Ok: captured as %06d" % seq


def authenticator(server, session, envelope, mechanism, auth_data):
    session.auth_mechanism = mechanism
    return AuthResult(success=True, handled=False, auth_data=auth_data)


def make_smtp(handler):
    return RecordingSMTP(
        handler,
        hostname="capture.localhost",
        authenticator=authenticator,
        auth_required=False,
        auth_require_tls=False,
        enable_SMTPUTF8=True,
        decode_data=False,
        data_size_limit=64 * 1024 * 1024,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    handler = Handler(args.maildir)
    asyncio.run(serve(handler, args))


async def serve(handler, args):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: make_smtp(handler), host="127.0.0.1", port=args.port)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "maildir": os.path.abspath(args.maildir)}), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except Exception:
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    await stop.wait()
    server.close()


if __name__ == "__main__":
    main()
