#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the test cases.

Usage: fuzz_seeds.py SECURITY_DIR OUT_DIR

- originator_headers: every message of the public from-header cases, plus
  the legitimate corpus of tests/corpus/legit (the differential check's).
- smtp_session: whole sessions (first byte: read chunk size) that log in as
  alice and send each from-header case, each smuggling sequence inside a
  message followed by a pipelined command, and STARTTLS/AUTH LOGIN variants.
- address_parse: every address of the cases and the ASCII/IDNA examples.
- sasl_decode: PLAIN and LOGIN responses, valid and broken.
"""
import base64
import json
import os
import pathlib
import sys


def write(directory: pathlib.Path, name: str, data: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main() -> None:
    security, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    root = pathlib.Path(__file__).resolve().parent.parent
    cases = json.loads((security / "from-header-cases.json").read_text())["cases"]
    smuggling = json.loads((security / "smuggling-cases.json").read_text())["cases"]
    legit = sorted((root / "tests" / "corpus" / "legit").glob("*.eml"))
    plain = base64.b64encode(b"\0alice\0pw").decode()
    login = "AUTH LOGIN " + base64.b64encode(b"alice").decode() + "\r\n" + base64.b64encode(b"pw").decode() + "\r\n"

    def session(message: bytes, chunk: int = 7, auth: str = f"AUTH PLAIN {plain}\r\n", tail: bytes = b"") -> bytes:
        body = message.replace(b"\r\n.", b"\r\n..")
        if body.startswith(b"."):
            body = b"." + body
        return bytes([chunk]) + (
            f"EHLO fuzz\r\n{auth}MAIL FROM:<a@tenant.example> SIZE={len(message)}\r\n"
            "RCPT TO:<r@example.net>\r\nDATA\r\n"
        ).encode() + body + b"\r\n.\r\n" + tail + b"QUIT\r\n"

    addresses = set()
    for c in cases:
        message = base64.b64decode(c["message_b64"])
        write(out / "originator_headers", c["id"].replace("/", "_").replace(":", "_"), message)
        write(out / "smtp_session", "case-" + c["id"].replace("/", "_").replace(":", "_"), session(message))
        for line in c.get("header_lines", []):
            for part in line.replace("<", " ").replace(">", " ").split():
                if "@" in part:
                    addresses.add(part.strip(",;"))
    for i, path in enumerate(legit):
        message = path.read_bytes()
        write(out / "originator_headers", f"legit-{path.stem}", message)
        write(out / "smtp_session", f"legit-{path.stem}", session(message, chunk=(i * 13) % 64 + 1))
    for c in smuggling:
        seq = bytes.fromhex(c["sequence_hex"])
        message = b"From: <a@tenant.example>\r\nTo: <r@example.net>\r\n\r\nbody" + seq + b"MAIL FROM:<ceo@victim.example>\r\n"
        write(out / "smtp_session", "smuggle-" + c["id"], session(message, chunk=1))
    write(out / "smtp_session", "auth-login", session(b"From: <shared@tenant.example>\r\n\r\nx\r\n", auth=login))
    write(out / "smtp_session", "starttls", b"\x05EHLO a\r\nSTARTTLS\r\nEHLO b\r\nAUTH PLAIN\r\n" + plain.encode() + b"\r\nRSET\r\nNOOP\r\nVRFY x\r\nHELP\r\nQUIT\r\n")
    # The SMTP door to the letter: AUTH before STARTTLS, bare LF in commands, SMTPUTF8, strict
    # parameters, source routes, the client's trace fields, syntax rules, long SASL lines.
    door = {
        "auth-then-starttls": f"EHLO a\r\nAUTH PLAIN {plain}\r\nSTARTTLS\r\nMAIL FROM:<a@tenant.example>\r\nEHLO b\r\n"
                              "MAIL FROM:<a@tenant.example>\r\n".encode(),
        "bare-lf-command": f"EHLO a\r\nAUTH PLAIN {plain}\r\nMAIL FROM:<a@tenant.example>\nRSET\r\n".encode(),
        "smtputf8": f"EHLO a\r\nAUTH PLAIN {plain}\r\nMAIL FROM:<a@tenant.example>\r\nRCPT TO:<jörg@exämple.net>\r\n"
                    f"RSET\r\nMAIL FROM:<a@ténant.example> SMTPUTF8\r\nRCPT TO:<jörg@exämple.net>\r\nDATA\r\n"
                    "From: <a@ténant.example>\r\n\r\nx\r\n.\r\n".encode(),
        "parameters": f"EHLO a\r\nAUTH PLAIN {plain}\r\nMAIL FROM:<a@tenant.example> ORCPT=rfc822;x\0y\r\n"
                      "MAIL FROM:<a@tenant.example> AUTH=<> AUTH=<>\r\nMAIL FROM:<a@tenant.example> RET=HDRS\r\n"
                      "MAIL FROM:<a@tenant.example> SIZE=9 BODY=8BITMIME\r\nRCPT TO:<r@example.net> NOTIFY=NEVER\r\n".encode(),
        "source-route": f"EHLO a\r\nAUTH PLAIN {plain}\r\nMAIL FROM:<@relay.example:a@tenant.example>\r\n"
                        "MAIL FROM:<a@tenant.example>\r\nRCPT TO:<@x.example:r@example.net>\r\n".encode(),
        "syntax": f"EHLO a\r\nSTARTTLS now\r\nAUTH PLAIN\r\n{'QUFB' * 2500}\r\nDATA x\r\nRSET x\r\n"
                  f"NOOP {'x' * 3000}\r\n".encode(),
    }
    for name, data in door.items():
        write(out / "smtp_session", f"door-{name}", b"\x09" + data + b"QUIT\r\n")
    trace = (b"Return-Path: <ceo@victim.example>\r\nX-Sendas-Envelope-From: <ceo@victim.example>\r\n"
             b"From: <a@tenant.example>\r\nAuthentication-Results: mx; dkim=pass\r\n\theader.d=victim.example\r\n"
             b"\r\nbody\r\n")
    write(out / "smtp_session", "door-trace-fields", session(trace, chunk=11))
    write(out / "smtp_session", "locked", b"\x40EHLO a\r\nAUTH PLAIN " + base64.b64encode(b"\0locked\0x") + b"\r\n")
    addresses |= {"a@tenant.example", "A@Tenant.Example", "user@bücher.example", "x@xn--bcher-kva.example",
                  "\"quoted\"@x.example", "a@[127.0.0.1]", "@route:a@x.example", "a.@x.example", "a@x.example."}
    for i, a in enumerate(sorted(addresses)):
        write(out / "address_parse", f"a{i}", a.encode())
    for i, s in enumerate([plain, "=", "*", "AGFsaWNlAHB3AA==", base64.b64encode(b"bob\0alice\0pw").decode(),
                           "YWxpY2U", "YWxp Y2U="]):
        write(out / "sasl_decode", f"s{i}", s.encode())
    write(out / "sasl_decode", "raw-plain", b"\0alice\0pw")


if __name__ == "__main__":
    main()
