#!/usr/bin/env python3
"""Raw SMTP probe for the protocol tests: plays a script of raw lines over
TCP, STARTTLS (Python's ssl, certificate verified against a CA file) or
implicit TLS, and prints every reply as JSON.

Usage: smtp_probe.py HOST PORT CAFILE MODE SCRIPT_JSON
  MODE: plain | implicit
  SCRIPT_JSON: a list of steps; a string is sent as is (UTF-8, add "\\r\\n"
  yourself) and one reply is read; "STARTTLS" as a step sends the command,
  reads its reply and, on 220, upgrades the socket.
Output: a JSON list of [code, text] per step, or null where the server had
closed the connection.
"""
import json
import socket
import ssl
import sys


def read_reply(f):
    text = []
    while True:
        line = f.readline()
        if not line:
            return None
        line = line.decode("utf-8", "replace")
        text.append(line.rstrip("\r\n"))
        if len(line) < 4 or line[3] != "-":
            return [int(line[:3]), "\n".join(text)]


def main():
    host, port, cafile, mode, script = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
    ctx = ssl.create_default_context(cafile=cafile)
    sock = socket.create_connection((host, port), timeout=10)
    if mode == "implicit":
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
    f = sock.makefile("rb")
    out = [read_reply(f)]
    for step in script:
        try:
            if step == "STARTTLS":
                sock.sendall(b"STARTTLS\r\n")
                reply = read_reply(f)
                out.append(reply)
                if reply and reply[0] == 220:
                    sock = ctx.wrap_socket(sock, server_hostname="localhost")
                    f = sock.makefile("rb")
                continue
            sock.sendall(step.encode("utf-8"))
            out.append(read_reply(f))
        except (OSError, ssl.SSLError):
            out.append(None)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
