#!/usr/bin/env python3
"""Self-test of scripts/upstreams with real clients only (no sendas code):
Python smtplib / urllib, Google's own google-auth library and swaks.

Starts start.py --all (the OAUTHBEARER-only Dovecot with local JWT
validation, the main one with RFC 7662 introspection), runs the checks, prints
one PASS/FAIL line per check, stops everything by closing start.py's stdin and
checks that nothing is left. Exit status 0 only if every check passed.
Run it through selftest.sh (as root).
"""

import base64
import concurrent.futures
import email
import glob
import json
import os
import smtplib
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = []
T0 = time.time()


def check(name):
    def deco(fn):
        t = time.time()
        try:
            detail = fn()
            ok = True
        except AssertionError as e:
            ok, detail = False, str(e) or "assertion failed"
        except Exception as e:  # noqa: BLE001
            ok, detail = False, "%s: %s" % (type(e).__name__, e)
        RESULTS.append((name, ok))
        print("%s  %-72s %5.2fs%s" % ("PASS" if ok else "FAIL", name, time.time() - t,
                                      ("  " + str(detail)) if detail else ""), flush=True)
        return fn
    return deco


# --------------------------------------------------------------------------- start the servers

proc = subprocess.Popen([sys.executable, os.path.join(HERE, "start.py"), "--all",
                         "--dovecot-validation", "post", "--dovecot-bearer-only-validation", "local"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
line = proc.stdout.readline()
if not line:
    print("FAIL  start.py printed nothing (status %s)" % proc.wait())
    sys.exit(1)
UP = json.loads(line)
if "error" in UP:
    print("FAIL  start.py: %s" % UP["error"])
    sys.exit(1)
print("started in %.2fs (start.py reports %.2fs): tmpdir %s" % (time.time() - T0, UP["startup_seconds"], UP["tmpdir"]))
TOK = UP["token"]
DC = UP["dovecot"]
DB = UP["dovecot_bearer_only"]
PF = UP["postfix"]
CA = UP["ca_bundle"]
MAILDIR = UP["capture"]["maildir"]
ALICE, BOB = "alice@example.test", "bob@example.test"
SA = TOK["service_accounts"][0]
CTX = ssl.create_default_context(cafile=CA)  # verifies chain, expiry and host name


# --------------------------------------------------------------------------- helpers

def http(url, data=None, auth=None, json_body=None, timeout=15):
    headers = {}
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def control(**switches):
    st, body = http(TOK["control_url"], json_body=switches)
    assert st == 200, (st, body)
    return body


def cc_token(client="m365-app", secret="m365-secret", url=None):
    st, body = http(url or TOK["token_url"], {"grant_type": "client_credentials"}, auth=(client, secret))
    assert st == 200, (st, body)
    return body["access_token"]


def claims(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def smtp(port, tls="implicit", host="localhost"):
    if tls == "implicit":
        s = smtplib.SMTP_SSL(host, port, context=CTX, timeout=20)
    else:
        s = smtplib.SMTP(host, port, timeout=20)
        if tls == "starttls":
            s.ehlo("selftest")
            s.starttls(context=CTX)
    s.ehlo("selftest")
    return s


def xoauth2(s, user, token, initial=True):
    ir = base64.b64encode(("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()).decode()
    if initial:
        code, msg = s.docmd("AUTH", "XOAUTH2 " + ir)
    else:
        code, msg = s.docmd("AUTH", "XOAUTH2")
        assert code == 334, (code, msg)
        code, msg = s.docmd(ir)
    if code == 334:  # error challenge (JSON); the client answers with an empty line
        code, msg = s.docmd("")
    return code, msg


def oauthbearer(s, user, token, port):
    ir = base64.b64encode(("n,a=%s,\x01host=localhost\x01port=%d\x01auth=Bearer %s\x01\x01"
                           % (user, port, token)).encode()).decode()
    code, msg = s.docmd("AUTH", "OAUTHBEARER " + ir)
    if code == 334:  # RFC 7628 error: the client answers with %x01
        code, msg = s.docmd(base64.b64encode(b"\x01").decode())
    return code, msg


def send(s, sender, rcpt="dest@example.net"):
    marker = "selftest-" + uuid.uuid4().hex
    msg = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@selftest>\r\n\r\nbody %s\r\n"
           % (sender, rcpt, marker, marker, marker))
    s.sendmail(sender, [rcpt], msg.encode())
    return marker


def captured(marker, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for j in sorted(glob.glob(os.path.join(MAILDIR, "*.json"))):
            with open(j) as f:
                rec = json.load(f)
            with open(rec["eml"], "rb") as f:
                raw = f.read()
            if marker.encode() in raw:
                rec["message"] = email.message_from_bytes(raw)
                return rec
        time.sleep(0.1)
    raise AssertionError("message %s did not arrive at the capture server" % marker)


def swaks(*args):
    r = subprocess.run(["swaks", "--hide-informational", "--timeout", "20"] + list(args), capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def refused(code):
    assert code == 535, "expected 535, got %s" % code


# --------------------------------------------------------------------------- token endpoint

@check("token: client_credentials (client_secret_basic) issues a JWT for the client's mailbox")
def _():
    t = cc_token()
    c = claims(t)
    assert c["email"] == ALICE and c["sub"] == ALICE and c["client_id"] == "m365-app", c
    assert c["exp"] - c["iat"] == 3600, c
    return "%d chars, %s" % (len(t), TOK["alg"])


@check("token: client_credentials, client_secret_post on a /TENANT/oauth2/v2.0/token path")
def _():
    st, body = http(TOK["url"] + "/tenant-1/oauth2/v2.0/token",
                    {"grant_type": "client_credentials", "client_id": "m365-app-bob",
                     "client_secret": "m365-bob-secret", "scope": "https://outlook.office365.com/.default"})
    assert st == 200 and claims(body["access_token"])["email"] == BOB, (st, body)


@check("token: client_credentials over HTTPS (test CA) works")
def _():
    req = urllib.request.Request(TOK["https_token_url"], data=b"grant_type=client_credentials",
                                 headers={"Authorization": "Basic " + base64.b64encode(b"m365-app:m365-secret").decode()})
    with urllib.request.urlopen(req, context=CTX, timeout=10) as r:
        assert r.status == 200 and "access_token" in json.load(r)


@check("token: wrong client secret -> 401 invalid_client")
def _():
    st, body = http(TOK["token_url"], {"grant_type": "client_credentials"}, auth=("m365-app", "nope"))
    assert st == 401 and body["error"] == "invalid_client", (st, body)


ROTATED = {}


@check("token: refresh_token grant via google-auth rotates the refresh token")
def _():
    import google.auth.transport.requests
    import google.oauth2.credentials

    creds = google.oauth2.credentials.Credentials(
        token=None, refresh_token="rt-alice-initial", client_id="google-app", client_secret="google-secret",
        token_uri=TOK["token_url"], scopes=["https://mail.google.com/"])
    creds.refresh(google.auth.transport.requests.Request())
    assert claims(creds.token)["email"] == ALICE
    assert creds.refresh_token and creds.refresh_token != "rt-alice-initial", creds.refresh_token
    ROTATED["rt1"] = creds.refresh_token


@check("token: the old refresh token is refused after rotation (invalid_grant)")
def _():
    st, body = http(TOK["token_url"], {"grant_type": "refresh_token", "refresh_token": "rt-alice-initial",
                                       "client_id": "google-app", "client_secret": "google-secret"})
    assert st == 400 and body["error"] == "invalid_grant", (st, body)


@check("token: the rotated refresh token works once, then it is refused too")
def _():
    form = {"grant_type": "refresh_token", "refresh_token": ROTATED["rt1"]}
    st, body = http(TOK["token_url"], form, auth=("google-app", "google-secret"))
    assert st == 200 and body["refresh_token"] not in (ROTATED["rt1"], "rt-alice-initial"), (st, body)
    st2, body2 = http(TOK["token_url"], form, auth=("google-app", "google-secret"))
    assert st2 == 400 and body2["error"] == "invalid_grant", (st2, body2)
    st3, rts = http(TOK["refresh_tokens_url"])
    fam = [r for r in rts if r["mailbox"] == ALICE]
    assert [r["active"] for r in sorted(fam, key=lambda r: r["generation"])] == [False, False, True], fam


JWTB = {}


@check("token: jwt-bearer (RFC 7523) via google-auth service account, subject bob")
def _():
    import google.auth.transport.requests
    from google.oauth2 import service_account

    creds = service_account.Credentials.from_service_account_file(
        SA["key_file"], scopes=["https://mail.google.com/"], subject=BOB)
    creds.refresh(google.auth.transport.requests.Request())
    c = claims(creds.token)
    assert c["email"] == BOB and c["scope"] == "https://mail.google.com/", c
    JWTB["bob"] = creds.token


def assertion(key_pem, iss, sub, aud, scope="https://mail.google.com/"):
    from joserfc import jwk, jwt

    now = int(time.time())
    return jwt.encode({"alg": "RS256", "typ": "JWT"},
                      {"iss": iss, "sub": sub, "aud": aud, "scope": scope, "iat": now, "exp": now + 3600},
                      jwk.RSAKey.import_key(key_pem))


@check("token: jwt-bearer refuses a wrong audience, an undelegated subject, a foreign key")
def _():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    with open(SA["private_key_pem_file"]) as f:
        pem = f.read()
    g = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ok = http(TOK["token_url"], {"grant_type": g, "assertion": assertion(pem, SA["client_email"], ALICE,
                                                                          TOK["token_url"])})
    assert ok[0] == 200 and claims(ok[1]["access_token"])["email"] == ALICE, ok
    st, body = http(TOK["token_url"], {"grant_type": g, "assertion": assertion(
        pem, SA["client_email"], ALICE, "https://login.example.com/token")})
    assert st == 400 and body["error"] == "invalid_grant", ("audience", st, body)
    st, body = http(TOK["token_url"], {"grant_type": g, "assertion": assertion(
        pem, SA["client_email"], "eve@example.test", TOK["token_url"])})
    assert st in (400, 401) and "access_token" not in body, ("subject", st, body)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    st, body = http(TOK["token_url"], {"grant_type": g, "assertion": assertion(
        other, SA["client_email"], ALICE, TOK["token_url"])})
    assert st == 400 and body["error"] == "invalid_grant", ("key", st, body)


# --------------------------------------------------------------------------- Dovecot (introspection)

@check("dovecot: implicit TLS verified (CA, host name localhost and 127.0.0.1), XOAUTH2 login")
def _():
    t = cc_token()
    with smtp(DC["tls_port"], "implicit", host="127.0.0.1") as s:
        pass
    with smtp(DC["tls_port"], "implicit") as s:
        code, msg = xoauth2(s, ALICE, t)
        assert code == 235, (code, msg)
        marker = send(s, ALICE)
    rec = captured(marker)
    assert rec["auth_login"] == ALICE and rec["mail_auth"] == ALICE, rec
    assert rec["xclient"]["LOGIN"] == ALICE and rec["mail_from"] == ALICE, rec
    assert "by dovecot.localhost" in rec["message"]["Received"], rec["message"]["Received"]
    return "captured as %s (auth_login, MAIL AUTH=, XCLIENT LOGIN)" % rec["auth_login"]


@check("dovecot: STARTTLS (verified), OAUTHBEARER login with the jwt-bearer token of bob")
def _():
    with smtp(DC["starttls_port"], "starttls") as s:
        code, msg = oauthbearer(s, BOB, JWTB["bob"], DC["starttls_port"])
        assert code == 235, (code, msg)
        marker = send(s, BOB)
    rec = captured(marker)
    assert rec["auth_login"] == BOB and rec["xclient"]["LOGIN"] == BOB, rec


@check("dovecot: XOAUTH2 with the token after the 334 continuation")
def _():
    with smtp(DC["tls_port"]) as s:
        code, msg = xoauth2(s, ALICE, cc_token(), initial=False)
        assert code == 235, (code, msg)


@check("dovecot: a token is refused for another mailbox (XOAUTH2 and OAUTHBEARER): 535")
def _():
    t = cc_token()  # alice's
    with smtp(DC["tls_port"]) as s:
        refused(xoauth2(s, BOB, t)[0])
    with smtp(DC["tls_port"]) as s:
        refused(oauthbearer(s, BOB, t, DC["tls_port"])[0])


@check("dovecot: garbage and forged (foreign key, same kid) tokens are refused: 535")
def _():
    from joserfc import jwk, jwt

    c = claims(cc_token())
    forged = jwt.encode({"alg": "ES256", "typ": "JWT", "kid": TOK["kid"]}, c, jwk.ECKey.generate_key("P-256"))
    for port in (DC["tls_port"],):
        with smtp(port) as s:
            refused(xoauth2(s, ALICE, "not-a-token")[0])
        with smtp(port) as s:
            refused(xoauth2(s, ALICE, forged)[0])


@check("dovecot: a revoked access token is refused (introspection says inactive): 535")
def _():
    t = cc_token()
    with smtp(DC["tls_port"]) as s:
        assert xoauth2(s, ALICE, t)[0] == 235
    control(revoke={"access_token": t})
    with smtp(DC["tls_port"]) as s:
        refused(xoauth2(s, ALICE, t)[0])
    control(reset=True)


@check("dovecot: password login (AUTH PLAIN over STARTTLS) with swaks, verified TLS")
def _():
    marker = "selftest-" + uuid.uuid4().hex
    rc, out = swaks("-s", "localhost:%d" % DC["starttls_port"], "-tls", "--tls-verify", "--tls-ca-path", CA,
                    "-a", "PLAIN", "-au", "carol@example.test", "-ap", "carol-password",
                    "-f", "carol@example.test", "-t", "dest@example.net", "--header", "Subject: " + marker)
    assert rc == 0, out[-800:]
    rec = captured(marker)
    assert rec["auth_login"] == "carol@example.test", rec
    rc, out = swaks("-s", "localhost:%d" % DC["starttls_port"], "-tls", "--tls-verify", "--tls-ca-path", CA,
                    "-a", "PLAIN", "-au", "carol@example.test", "-ap", "wrong", "--quit-after", "AUTH")
    assert rc != 0 and "535" in out, out[-800:]


@check("dovecot: on loopback AUTH works without STARTTLS (local IP = remote IP counts as secure); "
       "Received says ESMTPA, not ESMTPSA")
def _():
    with smtp(DC["starttls_port"], "none") as s:
        assert s.has_extn("starttls"), s.esmtp_features
        code, msg = xoauth2(s, ALICE, cc_token())
        assert code == 235, (code, msg)
        marker = send(s, ALICE)
    rec = captured(marker)
    assert " with ESMTPA" in rec["message"]["Received"], rec["message"]["Received"]
    with smtp(DC["starttls_port"], "starttls") as s:
        code, msg = xoauth2(s, ALICE, cc_token())
        marker = send(s, ALICE)
    rec = captured(marker)
    assert " with ESMTPSA" in rec["message"]["Received"], rec["message"]["Received"]
    return "tests must check the Received header (or dovecot.log) for TLS"


@check("dovecot: passes the capture server's 451/554 (recipient tempfail@/permfail@) to its client")
def _():
    with smtp(DC["tls_port"]) as s:
        assert xoauth2(s, ALICE, cc_token())[0] == 235
        for rcpt, want in (("tempfail@example.net", 451), ("permfail@example.net", 554)):
            try:
                send(s, ALICE, rcpt)
                raise AssertionError("accepted")
            except smtplib.SMTPDataError as e:
                assert e.smtp_code == want, (rcpt, e.smtp_code, e.smtp_error)
            s.rset()


@check("dovecot: 50 concurrent XOAUTH2 sessions with one token: 1 token request, 50 introspections")
def _():
    control(reset_stats=True)
    t = cc_token()
    markers = []

    def one(i):
        with smtp(DC["tls_port"]) as s:
            code, msg = xoauth2(s, ALICE, t)
            assert code == 235, (code, msg)
            return send(s, ALICE)

    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        markers = list(ex.map(one, range(50)))
    for m in markers:
        captured(m)
    st, stats = http(TOK["stats_url"])
    assert stats["token_requests"] == 1 and stats["introspections_active"] == 50, stats


# --------------------------------------------------------------------------- Dovecot, OAUTHBEARER only (local JWT validation)

@check("dovecot (bearer-only, local JWT): EHLO offers only OAUTHBEARER; XOAUTH2 -> 504")
def _():
    with smtp(DB["tls_port"]) as s:
        assert s.esmtp_features.get("auth", "").split() == ["OAUTHBEARER"], s.esmtp_features
        code, msg = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(b"user=x\x01auth=Bearer y\x01\x01").decode())
        assert code == 504, (code, msg)


@check("dovecot (bearer-only, local JWT): OAUTHBEARER over STARTTLS, message captured")
def _():
    with smtp(DB["starttls_port"], "starttls") as s:
        code, msg = oauthbearer(s, ALICE, cc_token(), DB["starttls_port"])
        assert code == 235, (code, msg)
        marker = send(s, ALICE)
    rec = captured(marker)
    assert rec["auth_login"] == ALICE and "by dovecot-bearer.localhost" in rec["message"]["Received"], rec


@check("dovecot (bearer-only, local JWT): other-mailbox and forged tokens refused: 535")
def _():
    from joserfc import jwk, jwt

    t = cc_token()
    forged = jwt.encode({"alg": "ES256", "typ": "JWT", "kid": TOK["kid"]}, claims(t), jwk.ECKey.generate_key("P-256"))
    with smtp(DB["tls_port"]) as s:
        refused(oauthbearer(s, BOB, t, DB["tls_port"])[0])
    with smtp(DB["tls_port"]) as s:
        refused(oauthbearer(s, ALICE, forged, DB["tls_port"])[0])


# --------------------------------------------------------------------------- token switches

@check("switch lifetime=2: token expires, then both Dovecots refuse it: 535")
def _():
    control(lifetime=2)
    t = cc_token()
    assert claims(t)["exp"] - claims(t)["iat"] == 2
    control(reset=True)
    with smtp(DC["tls_port"]) as s:
        assert xoauth2(s, ALICE, t)[0] == 235, "fresh short-lived token refused"
    time.sleep(3.1)
    with smtp(DC["tls_port"]) as s:
        refused(xoauth2(s, ALICE, t)[0])
    with smtp(DB["tls_port"]) as s:
        refused(oauthbearer(s, ALICE, t, DB["tls_port"])[0])


@check("switch slow=1.5: the token answer is delayed")
def _():
    control(slow=1.5)
    t = time.time()
    cc_token()
    took = time.time() - t
    control(reset=True)
    assert took >= 1.5, took
    return "took %.2fs" % took


@check("switch down: 503, then down=close: connection closed without answer")
def _():
    control(down=True)
    st, body = http(TOK["token_url"], {"grant_type": "client_credentials"}, auth=("m365-app", "m365-secret"))
    assert st == 503, (st, body)
    control(down="close")
    try:
        http(TOK["token_url"], {"grant_type": "client_credentials"}, auth=("m365-app", "m365-secret"))
        raise AssertionError("got an answer")
    except (ConnectionError, urllib.error.URLError, OSError) as e:
        detail = type(e).__name__
    control(reset=True)
    cc_token()
    return detail


@check("switch invalid_grant: refresh and jwt-bearer refused, client_credentials unaffected")
def _():
    control(invalid_grant=True)
    st, body = http(TOK["token_url"], {"grant_type": "refresh_token", "refresh_token": "rt-bob-initial"},
                    auth=("google-app", "google-secret"))
    assert st == 400 and body["error"] == "invalid_grant", (st, body)
    with open(SA["private_key_pem_file"]) as f:
        pem = f.read()
    st, body = http(TOK["token_url"], {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                       "assertion": assertion(pem, SA["client_email"], BOB, TOK["token_url"])})
    assert st == 400 and body["error"] == "invalid_grant", (st, body)
    cc_token()
    control(reset=True)


@check("switch invalid_client: 401 invalid_client for a correct secret")
def _():
    control(invalid_client=True)
    st, body = http(TOK["token_url"], {"grant_type": "client_credentials"}, auth=("m365-app", "m365-secret"))
    control(reset=True)
    assert st == 401 and body["error"] == "invalid_client", (st, body)


@check("switch revoke mailbox: bob's refresh token gets invalid_grant")
def _():
    control(revoke={"mailbox": BOB})
    st, body = http(TOK["token_url"], {"grant_type": "refresh_token", "refresh_token": "rt-bob-initial"},
                    auth=("google-app", "google-secret"))
    control(reset=True)
    assert st == 400 and body["error"] == "invalid_grant", (st, body)


@check("stats: 8 concurrent token requests are counted exactly (per grant type and client)")
def _():
    control(reset_stats=True)
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda _: cc_token(), range(8)))
    st, s = http(TOK["stats_url"])
    assert s["token_requests"] == 8 and s["by_grant_type"] == {"client_credentials": 8}, s
    assert s["by_client"] == {"m365-app": 8} and s["issued"] == 8, s


@check("switch pad=1500: long token (~2 KB) works after 334, is refused as initial response (500)")
def _():
    control(pad=1500)
    t = cc_token()
    control(reset=True)
    with smtp(DC["tls_port"]) as s:
        code, msg = xoauth2(s, ALICE, t, initial=True)
        assert code == 500, ("initial response of %d chars" % len(t), code, msg)
    with smtp(DC["tls_port"]) as s:
        code, msg = xoauth2(s, ALICE, t, initial=False)
        assert code == 235, (code, msg)
    return "token %d chars: Dovecot 2.3.19 limits the AUTH command line to ~1 KB" % len(t)


# --------------------------------------------------------------------------- Postfix + Cyrus SASL

@check("postfix: STARTTLS (verified) + AUTH PLAIN via swaks, relayed to capture")
def _():
    marker = "selftest-" + uuid.uuid4().hex
    rc, out = swaks("-s", "localhost:%d" % PF["starttls_port"], "-tls", "--tls-verify", "--tls-ca-path", CA,
                    "-a", "PLAIN", "-au", "relay@example.test", "-ap", "relay-password",
                    "-f", "relay@example.test", "-t", "dest@example.net", "--header", "Subject: " + marker)
    assert rc == 0, out[-800:]
    rec = captured(marker)
    assert "(Authenticated sender: relay@example.test)" in rec["message"]["Received"], rec["message"]["Received"]
    return "Received: ...(Authenticated sender: relay@example.test) by postfix.localhost"


@check("postfix: implicit TLS (smtps wrapper, verified) + AUTH LOGIN via smtplib")
def _():
    with smtp(PF["tls_port"]) as s:
        s.user, s.password = "relay@example.test", "relay-password"
        code, msg = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        assert code == 235, (code, msg)
        marker = send(s, "relay@example.test")
    rec = captured(marker)
    assert "(Authenticated sender: relay@example.test)" in rec["message"]["Received"]


@check("postfix: wrong password -> 535; no AUTH and no MAIL before STARTTLS")
def _():
    with smtp(PF["starttls_port"], "starttls") as s:
        try:
            s.login("relay@example.test", "wrong")
            raise AssertionError("login accepted")
        except smtplib.SMTPAuthenticationError as e:
            assert e.smtp_code == 535, e
    with smtp(PF["starttls_port"], "none") as s:
        assert "auth" not in s.esmtp_features, s.esmtp_features
        code, msg = s.docmd("MAIL", "FROM:<relay@example.test>")
        assert code == 530, (code, msg)


@check("postfix: plaintext port accepts AUTH PLAIN without TLS (loopback 'none' mode)")
def _():
    with smtp(PF["plain_port"], "none") as s:
        s.login("relay@example.test", "relay-password")


@check("postfix: bad-certificate listeners fail verification for the right reason")
def _():
    import socket

    expect = {"wrong_name": "Hostname mismatch", "expired": "certificate has expired",
              "not_yet_valid": "certificate is not yet valid", "self_signed": "self-signed certificate",
              "untrusted": "unable to get local issuer certificate"}
    seen = []
    for which, ports in PF["bad_cert_ports"].items():
        for kind in ("tls", "starttls"):
            port = ports[kind + "_port"]
            try:
                if kind == "tls":
                    smtplib.SMTP_SSL("localhost", port, context=CTX, timeout=10).quit()
                else:
                    s = smtplib.SMTP("localhost", port, timeout=10)
                    s.ehlo("x")
                    s.starttls(context=CTX)
                raise AssertionError("%s/%s: verification passed" % (which, kind))
            except ssl.SSLCertVerificationError as e:
                assert expect[which] in str(e), (which, kind, str(e))
            seen.append(which)
            # without verification the same listener works: the server is fine, the cert is bad
            nov = ssl.create_default_context()
            nov.check_hostname, nov.verify_mode = False, ssl.CERT_NONE
            if kind == "tls":
                with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                    with nov.wrap_socket(raw, server_hostname="localhost") as t:
                        assert t.recv(100).startswith(b"220")
    return "%d listeners" % len(seen)


# --------------------------------------------------------------------------- shutdown

@check("shutdown: closing stdin stops everything and removes the temp dir")
def _():
    t = time.time()
    proc.stdin.close()
    rc = proc.wait(30)
    assert rc == 0, rc
    assert not os.path.exists(UP["tmpdir"]), "temp dir left"
    left = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ")
                cwd = os.readlink("/proc/%s/cwd" % pid)
            except OSError:
                continue
            if UP["tmpdir"].encode() in cmd or cwd.startswith(UP["tmpdir"]) or ("sendas-dovecot-%d" % UP["pid"]).encode() in cmd \
                    or ("sendas-dovecot_bearer_only-%d" % UP["pid"]).encode() in cmd:
                left.append(cmd.decode(errors="replace"))
    assert not left, left
    return "stopped in %.2fs" % (time.time() - t)


failed = [n for n, ok in RESULTS if not ok]
print("\n%d checks, %d passed, %d failed, %.1fs" % (len(RESULTS), len(RESULTS) - len(failed), len(failed),
                                                    time.time() - T0))
if proc.poll() is None:
    proc.stdin.close() if not proc.stdin.closed else None
    proc.wait(30)
sys.exit(1 if failed else 0)
