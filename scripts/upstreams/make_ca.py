#!/usr/bin/env python3
"""Test PKI for the upstream servers: a test CA and certificates signed by it.

Usage: make_ca.py OUTDIR        (prints a JSON object with the file paths)

Writes into OUTDIR (PEM; keys are unencrypted, mode 0644 so that the
unprivileged Dovecot/Postfix processes can read them):

  ca.pem / ca.key                the test CA (trust this one: the "CA bundle")
  server.pem / server.key        CN=localhost, SAN DNS:localhost + IP:127.0.0.1, signed by the CA
  server-chain.pem               server.pem followed by ca.pem
  wrong_name.pem / .key          SAN DNS:wrong.example only, signed by the CA (host-name check)
  expired.pem / .key             localhost + 127.0.0.1, signed by the CA, expired 1 day ago
  not_yet_valid.pem / .key       localhost + 127.0.0.1, signed by the CA, valid from tomorrow
  self_signed.pem / .key         localhost + 127.0.0.1, self-signed (untrusted issuer)
  other_ca.pem / other_ca.key    a second CA nobody trusts
  untrusted.pem / .key           localhost + 127.0.0.1, signed by other_ca (untrusted chain)

Needs the `cryptography` package (pulled in by authlib; see requirements.txt).
"""

import datetime
import ipaddress
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOCAL_SANS = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]


def _key():
    # P-256 keys: fast to generate, accepted by OpenSSL (Dovecot, Postfix), rustls and Python.
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sendas test"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(outdir, stem, cert, key):
    paths = {}
    with open(os.path.join(outdir, stem + ".pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    paths["cert"] = f.name
    with open(os.path.join(outdir, stem + ".key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    paths["key"] = f.name
    for p in paths.values():
        os.chmod(p, 0o644)
    return paths


def make_ca(cn, now):
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(cn, sans, issuer_cert, issuer_key, not_before, not_after):
    key = _key()
    self_signed = issuer_cert is None
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn) if self_signed else issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if not self_signed:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    cert = builder.sign(key if self_signed else issuer_key, hashes.SHA256())
    return cert, key


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    out = {}
    ca_cert, ca_key = make_ca("sendas test CA", now)
    out["ca"] = _write(outdir, "ca", ca_cert, ca_key)
    cert, key = make_leaf("localhost", LOCAL_SANS, ca_cert, ca_key, now - day, now + 825 * day)
    out["server"] = _write(outdir, "server", cert, key)
    chain = os.path.join(outdir, "server-chain.pem")
    with open(chain, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM))
    os.chmod(chain, 0o644)
    out["server"]["chain"] = chain
    cert, key = make_leaf("wrong.example", [x509.DNSName("wrong.example")], ca_cert, ca_key, now - day, now + 825 * day)
    out["wrong_name"] = _write(outdir, "wrong_name", cert, key)
    cert, key = make_leaf("localhost", LOCAL_SANS, ca_cert, ca_key, now - 30 * day, now - day)
    out["expired"] = _write(outdir, "expired", cert, key)
    cert, key = make_leaf("localhost", LOCAL_SANS, ca_cert, ca_key, now + day, now + 30 * day)
    out["not_yet_valid"] = _write(outdir, "not_yet_valid", cert, key)
    cert, key = make_leaf("localhost", LOCAL_SANS, None, None, now - day, now + 825 * day)
    out["self_signed"] = _write(outdir, "self_signed", cert, key)
    other_cert, other_key = make_ca("sendas untrusted CA", now)
    out["other_ca"] = _write(outdir, "other_ca", other_cert, other_key)
    cert, key = make_leaf("localhost", LOCAL_SANS, other_cert, other_key, now - day, now + 825 * day)
    out["untrusted"] = _write(outdir, "untrusted", cert, key)
    out["ca_bundle"] = out["ca"]["cert"]
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(json.dumps(main(os.path.abspath(sys.argv[1]))))
