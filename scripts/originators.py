#!/usr/bin/env python3
"""The second, independent parser of the differential header check:
Python's `email` package (policy.default, with Mail-Reply-To and
Mail-Followup-To read as address lists) reads the originator fields of
every *.eml file in a folder and prints, as JSON, per file and field, the
addresses it sees (lower-cased, domain as IDNA A-labels), or an error.

Usage: originators.py DIR
"""
import email
import email.headerregistry
import email.policy
import json
import pathlib
import sys

FIELDS = ["from", "sender", "reply-to", "mail-reply-to", "mail-followup-to", "resent-from", "resent-sender"]

# The mailing-list fields that direct replies are address lists too; Python's
# registry knows them only as unstructured text unless told.
_REGISTRY = email.headerregistry.HeaderRegistry()
for _name in ("mail-reply-to", "mail-followup-to"):
    _REGISTRY.map_to_type(_name, email.headerregistry.AddressHeader)
POLICY = email.policy.default.clone(header_factory=_REGISTRY)


def normalise(addr_spec: str) -> str:
    # Raw UTF-8 in a header (RFC 6532, as SMTPUTF8 mail is written) reaches
    # Python's parser as surrogate escapes: read it back as UTF-8 first.
    addr_spec = addr_spec.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    local, _, domain = addr_spec.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return f"{local}@{domain}".lower()


def originators(data: bytes) -> dict:
    msg = email.message_from_bytes(data, policy=POLICY)
    out = {}
    for field in FIELDS:
        found = []
        for header in msg.get_all(field) or []:
            for address in getattr(header, "addresses", ()):
                found.append(normalise(address.addr_spec))
        out[field] = found
    return out


def main() -> None:
    result = {}
    for path in sorted(pathlib.Path(sys.argv[1]).glob("*.eml")):
        try:
            result[path.name] = originators(path.read_bytes())
        except Exception as e:  # noqa: BLE001 - any failure is a disagreement to report
            result[path.name] = {"error": f"{type(e).__name__}: {e}"}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
