"""A real SMTP server that enforces AUTH, for tests: aiosmtpd.

Accepts AUTH PLAIN/LOGIN only for the one username and password given,
writes every accepted message to DIR/<n>.eml with the authenticated
login in DIR/<n>.login, every AUTH attempt (login and outcome) to
DIR/auth.log, and prints "ready <port>" once listening.

Usage: python upstream_smtp.py --port P --user U [--maildir DIR]
The password is read from the environment variable UPSTREAM_PASSWORD
(so it does not show in the process list).
"""

import argparse
import asyncio
import logging
import os
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Authenticator:
    """Checks the one user's password; logs every attempt (login and outcome, never the
    password) to DIR/auth.log, so tests can count how often a client tried."""

    def __init__(self, user: str, password: str, maildir):
        self.user, self.password = user.encode(), password.encode()
        self.log = os.path.join(maildir, "auth.log") if maildir else None

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user and auth_data.password == self.password
        if self.log:
            login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else "?"
            with open(self.log, "a") as f:
                f.write(f"{mechanism} {login} {'ok' if ok else 'refused'}\n")
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class Store:
    def __init__(self, maildir):
        self.maildir = maildir
        # A restarted upstream continues the numbering of its maildir.
        self.count = len([n for n in os.listdir(maildir) if n.endswith(".eml")]) if maildir and os.path.isdir(maildir) else 0

    async def handle_DATA(self, server, session, envelope):
        locals_ = [r.split("@")[0].lower() for r in envelope.rcpt_tos]
        if "tempfail" in locals_:
            return "451 4.3.0 Temporary failure, try again"
        if "permfail" in locals_:
            return "554 5.7.1 Rejected by upstream policy"
        if "slow" in locals_:
            await asyncio.sleep(5)
        if "drop" in locals_:
            server.transport.close()
            return "421 4.3.0 closing"
        if self.maildir:
            self.count += 1
            base = os.path.join(self.maildir, f"{self.count:05d}")
            # Written whole, then renamed into place: a server killed mid-write (the fault tests
            # SIGKILL it) leaves no half message that a reader would count as delivered.
            with open(base + ".login.tmp", "w") as f:
                data = session.auth_data
                login = data.login.decode() if isinstance(data, LoginPassword) else str(data)
                f.write(f"{login}\n{envelope.mail_from}\n" + "\n".join(envelope.rcpt_tos) + "\n")
            os.rename(base + ".login.tmp", base + ".login")
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.rename(base + ".eml.tmp", base + ".eml")
        return f"250 2.0.0 Ok: queued as UP{self.count:05d}"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--maildir")
    args = p.parse_args()
    logging.disable(logging.WARNING)
    import warnings
    warnings.simplefilter("ignore")
    password = os.environ.get("UPSTREAM_PASSWORD", "")
    if args.maildir:
        os.makedirs(args.maildir, exist_ok=True)
    controller = Controller(
        Store(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        authenticator=Authenticator(args.user, password, args.maildir),
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    print(f"ready {args.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    try:
        signal.pause()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
