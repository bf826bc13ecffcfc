#!/usr/bin/env python3
"""Signed and encrypted legitimate mail: the MIME entities are made by the
real tools, `openssl smime` / `openssl cms` (S/MIME) and `gpg` (PGP/MIME and
inline OpenPGP), with the throwaway keys of keys.sh; Python's `email`
package writes the message around them where the tool does not (the way a
mail client wraps the entity its crypto library returned).

Usage: crypto_mail.py OUTDIR KEYDIR
Varies between runs: keys, signatures, ciphertexts, openssl's boundaries.
"""

from __future__ import annotations

import os
import subprocess
import sys
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from pathlib import Path

import corpuslib

OUT, KEYS = Path(sys.argv[1]), Path(sys.argv[2])
SMIME = KEYS / "smime"
ENV = {**os.environ, "GNUPGHOME": str(KEYS / "gnupg"), "TZ": "UTC"}
CLOCK = ["faketime", "-f", "2024-03-06 10:00:00 x0"]
written: list[str] = []


def run(args: list[str], data: bytes) -> bytes:
    return subprocess.run(CLOCK + args, input=data, check=True, capture_output=True, env=ENV).stdout


def headers(subject: str, n: int, frm: str = "Alice Tenant <a@tenant.example>", extra: str = "") -> bytes:
    return (
        f"From: {frm}\r\nTo: Bob Example <bob@example.net>\r\nSubject: {subject}\r\n"
        f"Date: Wed, 06 Mar 2024 11:{n:02d}:00 +0100\r\nMessage-ID: <crypto-{n}.20240306@tenant.example>\r\n{extra}"
    ).encode()


def store(name: str, data: bytes) -> None:
    corpuslib.write(OUT, name, corpuslib.lf_to_crlf(data))
    written.append(name)


def flat(msg: Message) -> bytes:
    """An entity as it is signed: CRLF, no re-folding."""
    return msg.as_bytes(policy=compat32.clone(linesep="\r\n"))


def with_boundaries(msg: Message, prefix: str) -> Message:
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"{prefix}-{i}")
    return msg


# ------------------------------------------------------------------ S/MIME (openssl)
signer = ["-signer", str(SMIME / "alice.pem"), "-inkey", str(SMIME / "alice.key"), "-certfile", str(SMIME / "ca.pem")]
body = b"The signed quarterly report follows.\r\n\r\nAlice\r\n"

# openssl smime writes the whole message itself, headers included (no Date or Message-ID: the MTA adds those).
store("openssl-smime-sign-with-headers.eml", run(
    ["openssl", "smime", "-sign", *signer, "-text", "-from", "Alice Tenant <a@tenant.example>",
     "-to", "Bob Example <bob@example.net>", "-subject", "Signed quarterly report"], body))

entity = MIMEMultipart()
entity.attach(MIMEText("Invoice attached, signed with S/MIME.\r\n", "plain", "us-ascii"))
att = MIMEApplication(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n%%EOF\n", "pdf")
att.add_header("Content-Disposition", "attachment", filename="Rechnung März 2024.pdf")
entity.attach(att)
with_boundaries(entity, "smime-inner")
del entity["MIME-Version"]
signed = run(["openssl", "cms", "-sign", *signer, "-md", "sha256"], flat(entity))
store("openssl-cms-signed-detached-attachment.eml", headers("=?utf-8?q?Rechnung_M=C3=A4rz_2024_=28signiert=29?=", 1,
      frm="Tenant Billing <shared@tenant.example>", extra="Sender: Alice Tenant <a@tenant.example>\r\n") + signed)

opaque = run(["openssl", "cms", "-sign", "-nodetach", *signer, "-md", "sha256"], b"Content-Type: text/plain; charset=us-ascii\r\n\r\nOpaque-signed note.\r\n")
store("openssl-cms-signed-opaque.eml", headers("Opaque S/MIME signature", 2) + opaque)

enc = run(["openssl", "smime", "-encrypt", "-aes256", str(SMIME / "bob.pem"), str(SMIME / "alice.pem")],
          b"Content-Type: text/plain; charset=us-ascii\r\n\r\nThe new door code is 4711.\r\n")
store("openssl-smime-encrypted.eml", headers("Encrypted with S/MIME", 3, extra="Disposition-Notification-To: Alice Tenant <a@tenant.example>\r\n") + enc)

signed_then_enc = run(["openssl", "smime", "-encrypt", "-aes256", str(SMIME / "bob.pem")],
                      run(["openssl", "smime", "-sign", *signer], b"Content-Type: text/plain; charset=us-ascii\r\n\r\nSigned, then encrypted.\r\n"))
store("openssl-smime-signed-then-encrypted.eml", headers("Signed and encrypted (S/MIME)", 4) + signed_then_enc)

# ------------------------------------------------------------------ OpenPGP (gpg)
gpg = ["gpg", "--batch", "--quiet", "--yes", "--armor", "--local-user", "a@tenant.example"]

inner = MIMEText("This message is signed with PGP/MIME (RFC 3156).\r\n", "plain", "utf-8")
del inner["MIME-Version"]
signed_part = flat(inner)
sig = run(gpg + ["--detach-sign", "--digest-algo", "SHA512"], signed_part)
outer = MIMEMultipart("signed", protocol="application/pgp-signature", micalg="pgp-sha512")
outer.set_boundary("pgp-signed-0001")
outer.preamble = "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)"
outer.attach(inner)
sigpart = MIMEApplication(sig, "pgp-signature", _encoder=lambda p: None, name="OpenPGP_signature.asc")
sigpart.add_header("Content-Description", "OpenPGP digital signature")
sigpart.add_header("Content-Disposition", "attachment", filename="OpenPGP_signature.asc")
outer.attach(sigpart)
store("gpg-pgpmime-signed.eml", headers("Signed with PGP/MIME", 5) + flat(outer))

plain_entity = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGeheim: die Tür öffnet sich mit 4711.\r\n".encode()
cipher = run(gpg + ["--sign", "--encrypt", "--recipient", "bob@example.net", "--recipient", "a@tenant.example"], plain_entity)
enc = MIMEMultipart("encrypted", protocol="application/pgp-encrypted")
enc.set_boundary("pgp-encrypted-0001")
enc.preamble = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)"
ver = MIMEApplication(b"Version: 1\n", "pgp-encrypted", _encoder=lambda p: None)
ver.add_header("Content-Description", "PGP/MIME version identification")
enc.attach(ver)
data = MIMEApplication(cipher, "octet-stream", _encoder=lambda p: None, name="encrypted.asc")
data.add_header("Content-Description", "OpenPGP encrypted message")
data.add_header("Content-Disposition", "inline", filename="encrypted.asc")
enc.attach(data)
# "..." as the visible Subject, as clients that hide the real one in the encrypted part write it.
store("gpg-pgpmime-encrypted.eml", headers("...", 6) + flat(enc))

clear = run(gpg + ["--clearsign"], "Inline-signed note.\nThe meeting moves to room 3.12.\n\nAlice\n".encode())
store("gpg-inline-clearsigned.eml", headers("Room change (signed)", 7, extra="MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n") + clear)

print(f"crypto: {len(written)} messages")
