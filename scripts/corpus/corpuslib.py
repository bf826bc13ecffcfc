"""Shared helpers of the corpus generators in scripts/corpus/.

- `SmtpSink`: a minimal SMTP server on 127.0.0.1 that stores what a client
  sends in DATA (dot-stuffing undone). The Python generators hand their
  messages to `smtplib.SMTP.send_message`, so the bytes in the corpus are
  exactly what Python's smtplib puts on the wire (CRLF, Bcc removed,
  SMTPUTF8 flattening when an address needs it).
- `lf_to_crlf`: what an MTA does with a message a mail program handed to
  sendmail(8) with local line ends, before it goes out over SMTP.
- `problems`: the hard constraints every corpus message must meet.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from pathlib import Path

# The test fixture (smtp-proxy/tests/differential.rs): the user may send as these...
FROM_OK = {"a@tenant.example", "a@xn--tnant-bsa.example", "shared@tenant.example"}
# ...and take replies at these.
REPLY_OK = FROM_OK | {"reply@tenant.example"}
ORIGINATORS = ["from", "sender", "reply-to", "resent-from", "resent-sender"]


class SmtpSink:
    """Accepts every transaction on a loopback port and keeps the messages in order."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self._srv = socket.socket()
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(4)
        self.port = self._srv.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._srv.accept()
            except OSError:
                return
            with conn:
                self._session(conn.makefile("rwb", buffering=0))

    def _session(self, f) -> None:
        def reply(text: str) -> None:
            f.write(text.encode() + b"\r\n")

        reply("220 sink.invalid ESMTP corpus sink")
        envelope: dict = {"rcpt": []}
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                reply("250-sink.invalid")
                reply("250-8BITMIME")
                reply("250-SMTPUTF8")
                reply("250 SIZE 10485760")
            elif verb == "MAIL":
                envelope = {"mail": cmd[10:], "rcpt": []}
                reply("250 2.1.0 OK")
            elif verb == "RCPT":
                envelope["rcpt"].append(cmd[8:])
                reply("250 2.1.5 OK")
            elif verb == "DATA":
                reply("354 go ahead")
                data = bytearray()
                while True:
                    chunk = f.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    if chunk.startswith(b"."):
                        chunk = chunk[1:]
                    data += chunk
                envelope["data"] = bytes(data)
                self.messages.append(envelope)
                reply("250 2.0.0 stored")
            elif verb == "QUIT":
                reply("221 bye")
                return
            else:
                reply("250 OK")

    def close(self) -> None:
        self._srv.close()


def lf_to_crlf(data: bytes) -> bytes:
    """Local line ends (LF) to the wire's CRLF, as an MTA does on submission.
    A message that already has CRLF is left as it is; a bare CR is an error."""
    data = data.replace(b"\r\n", b"\n")
    if b"\r" in data:
        raise ValueError("bare CR in generated message")
    data = data.replace(b"\n", b"\r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


_ADDRESS_LIKE = re.compile(r"@|＠|﹫|\bxn--|\b[\w.-]+\.(example|com|net|org)\b", re.I)


def problems(name: str, data: bytes) -> list[str]:
    """Every hard constraint of the corpus (see scripts/corpus/README.md) that `data` breaks."""
    out = []
    if b"\0" in data:
        out.append("NUL")
    if re.search(rb"\r(?!\n)", data) or re.search(rb"(?<!\r)\n", data):
        out.append("bare CR or LF")
    if not data.endswith(b"\r\n"):
        out.append("does not end with CRLF")
    for i, line in enumerate(data.split(b"\r\n")):
        if len(line) > 998:
            out.append(f"line {i + 1} is {len(line)} octets")
    head = data.split(b"\r\n\r\n", 1)[0]
    if re.search(rb"(?im)^from[ \t]+:", head):
        out.append("space before the colon of From")
    msg = email.message_from_bytes(data, policy=email.policy.default)
    counts = {f: len(msg.get_all(f) or []) for f in ORIGINATORS}
    if counts["from"] != 1:
        out.append(f"{counts['from']} From fields")
    if counts["sender"] > 1 or counts["reply-to"] > 1:
        out.append("more than one Sender or Reply-To")
    for field in ORIGINATORS:
        for header in msg.get_all(field) or []:
            addresses = getattr(header, "addresses", ())
            if not addresses:
                out.append(f"{field}: no address read")
            allowed = REPLY_OK if field == "reply-to" else FROM_OK
            for a in addresses:
                # Raw UTF-8 (RFC 6532) reaches Python as surrogate escapes.
                spec = a.addr_spec.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                local, _, domain = spec.rpartition("@")
                try:
                    domain = domain.encode("idna").decode()
                except UnicodeError:
                    pass
                if f"{local}@{domain}".lower() not in allowed:
                    out.append(f"{field}: {a.addr_spec} is not a fixture address")
                if _ADDRESS_LIKE.search(a.display_name):
                    out.append(f"{field}: display name {a.display_name!r} looks like an address")
    froms = msg.get_all("from") or []
    if froms and len(getattr(froms[0], "addresses", ())) > 1 and counts["sender"] == 0:
        out.append("several From addresses and no Sender")
    return [f"{name}: {p}" for p in out]


def write(outdir: Path, name: str, data: bytes) -> None:
    """Stores one corpus message after checking it."""
    bad = problems(name, data)
    if bad:
        raise SystemExit("\n".join(bad))
    (outdir / name).write_bytes(data)


if __name__ == "__main__":
    import sys

    usage = "usage: corpuslib.py check FILE... | corpuslib.py store SRC DEST (LF to CRLF, check, write)"
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        found = [p for f in sys.argv[2:] for p in problems(Path(f).name, Path(f).read_bytes())]
        print("\n".join(found) or f"{len(sys.argv) - 2} files ok")
        sys.exit(1 if found else 0)
    elif len(sys.argv) == 4 and sys.argv[1] == "store":
        dest = Path(sys.argv[3])
        write(dest.parent, dest.name, lf_to_crlf(Path(sys.argv[2]).read_bytes()))
    else:
        raise SystemExit(usage)
