#!/usr/bin/env python3
"""OAuth 2.0 token endpoint for the relay's tests (Authlib + Flask).

Grants (RFC 6749 / RFC 7523), all on POST /token (and POST /<anything>/token,
so a Microsoft-style URL such as /TENANT/oauth2/v2.0/token works too):

  client_credentials   client_secret_basic or client_secret_post; the token is
                       for the client's configured "mailbox".
  refresh_token        client_secret_basic or client_secret_post; WITH rotation:
                       every refresh returns a new refresh_token and the old one
                       is refused afterwards with invalid_grant.
  urn:ietf:params:oauth:grant-type:jwt-bearer
                       RFC 7523, the Google service-account flow: the assertion
                       is a JWT signed (RS256) with the service account's private
                       key, iss = the service account's client_email, sub = the
                       mailbox, aud = the token URL (or Google's token URL, which
                       google-auth always sends), scope (claim or form field)
                       e.g. https://mail.google.com/. No client authentication.

Access tokens are JWTs (ES256 by default, or RS256; header kid) signed with
--signing-key, with claims iss, sub and email = the mailbox the token may log
in as, client_id, aud, scope, iat, nbf, exp, jti. Their lifetime is configurable (config
"access_token_lifetime", or at runtime via /control {"lifetime": N}).

Other endpoints:
  POST /introspect     RFC 7662 (client_secret_basic of a client with
                       "introspect": true); answers active=false for unknown,
                       expired or revoked tokens. Dovecot uses it.
  GET  /jwks           the public signing key (RFC 7517); GET /.well-known/
                       oauth-authorization-server (RFC 8414).
  GET  /stats          request counters (see README.md).
  GET  /refresh_tokens the refresh tokens the server knows, with state.
  GET  /control        current switches;  POST /control  JSON, any of:
     {"slow": SECONDS}             delay every /token answer
     {"down": true|STATUS|"close"} /token answers 503 (or STATUS), or closes the
                                   connection without an answer; false = up
     {"invalid_grant": true|[GRANT_TYPE,...]}
                                   refuse refresh_token and jwt-bearer (or the
                                   listed grant types) with 400 invalid_grant
     {"invalid_client": true}      refuse every grant with 401 invalid_client
     {"lifetime": SECONDS}         lifetime of access tokens issued from now on
     {"rotate": true|false}        refresh-token rotation (default true)
     {"pad": N}                    add a claim of N characters to new access tokens
                                   (long tokens, like Microsoft's)
     {"revoke": {"access_token": T} | {"refresh_token": T} | {"mailbox": M}
                 | {"access_tokens_of": C} (the client's tokens issued so far only)
                | {"client_id": C} | {"all": true}}
                                   revoked access tokens introspect as inactive;
                                   revoked refresh tokens give invalid_grant; a
                                   revoked mailbox/client also gets no new tokens
     {"reset": true}               all switches back to defaults, revocations lifted
     {"reset_stats": true}         counters to zero
  The answer is the resulting switch state.

Usage: token_server.py --config FILE --signing-key KEY.pem [--kid KID]
         [--port 0] [--tls-port 0 --tls-cert C --tls-key K]
         [--dovecot-key-dir DIR] [--log FILE]
Prints one JSON line when listening: {"port", "url", "token_url",
"introspection_url", "https_port", "https_url", "https_token_url", "kid"}.
Stops on SIGTERM/SIGINT or when stdin closes.
"""

import argparse
import base64
import hmac
import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
import uuid
from collections import Counter

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback is fine in tests

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7523 import JWTBearerGrant
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask, Response, jsonify, request
from joserfc import jwk, jwt
from werkzeug.serving import make_server

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
GOOGLE_AUDIENCES = ["https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token"]


# --------------------------------------------------------------------------- models


class Client(ClientMixin):
    def __init__(self, d, service_account=False):
        self.service_account = service_account
        if service_account:
            self.client_id = d["client_email"]
            self.client_secret = None
            self.grant_types = [JWT_BEARER]
            self.mailbox = d["client_email"]
            self.subjects = d.get("subjects", ["*"])
            pem = d.get("public_key_pem")
            if pem is None and d.get("public_key_file"):
                with open(d["public_key_file"]) as f:
                    pem = f.read()
            if pem is None:
                raise SystemExit("service account %s: public_key_pem or public_key_file needed" % self.client_id)
            self.public_key = jwk.RSAKey.import_key(pem)
            self.introspect = False
        else:
            self.client_id = d["client_id"]
            self.client_secret = d.get("client_secret")
            self.grant_types = d.get("grant_types", ["client_credentials", "refresh_token"])
            self.mailbox = d.get("mailbox")
            self.subjects = []
            self.introspect = bool(d.get("introspect"))
        self.scopes = d.get("scopes")  # None = any scope

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        if not scope:
            return " ".join(self.scopes) if self.scopes else ""
        if self.scopes is None:
            return scope
        if not set(scope_to_list(scope)) <= set(self.scopes):
            return None  # -> invalid_scope
        return scope

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return self.client_secret is not None and hmac.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in TOKEN_AUTH_METHODS and self.client_secret is not None

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


class User:
    def __init__(self, mailbox):
        self.mailbox = mailbox

    def get_user_id(self):
        return self.mailbox


class RefreshRecord(TokenMixin):
    def __init__(self, token, client_id, mailbox, scope, family=None, generation=0):
        self.token = token
        self.client_id = client_id
        self.mailbox = mailbox
        self.scope = scope
        self.family = family or uuid.uuid4().hex[:12]
        self.generation = generation
        self.revoked = False
        self.rotated = False
        self.created = time.time()

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return 0

    def is_expired(self):
        return False

    def is_revoked(self):
        return self.revoked or self.rotated

    def get_user(self):
        return User(self.mailbox)

    def get_client(self):
        return STATE.clients.get(self.client_id)

    def as_dict(self):
        return {
            "refresh_token": self.token,
            "client_id": self.client_id,
            "mailbox": self.mailbox,
            "scope": self.scope,
            "family": self.family,
            "generation": self.generation,
            "active": not self.is_revoked(),
            "rotated": self.rotated,
            "revoked": self.revoked,
        }


class AccessRecord(TokenMixin):
    def __init__(self, token, claims, grant_type):
        self.token = token
        self.claims = claims
        self.grant_type = grant_type
        self.revoked = False

    def get_client(self):
        return STATE.clients.get(self.claims["client_id"])

    def check_client(self, client):
        return True

    def get_scope(self):
        return self.claims.get("scope")

    def get_expires_in(self):
        return self.claims["exp"] - self.claims["iat"]

    def is_expired(self):
        return time.time() >= self.claims["exp"]

    def is_revoked(self):
        return self.revoked


# --------------------------------------------------------------------------- state


class State:
    DEFAULT_SWITCHES = {
        "slow": 0,
        "down": False,
        "invalid_grant": False,
        "invalid_client": False,
        "lifetime": None,  # filled from the config
        "rotate": True,
        "pad": 0,
    }

    def __init__(self):
        self.lock = threading.RLock()
        self.clients = {}
        self.refresh = {}
        self.access = {}
        self.revoked_mailboxes = set()
        self.revoked_clients = set()
        self.stats = Counter()
        self.config = {}
        self.switches = {}

    def load(self, config):
        self.config = config
        for c in config.get("clients", []):
            cl = Client(c)
            self.clients[cl.client_id] = cl
        for sa in config.get("service_accounts", []):
            cl = Client(sa, service_account=True)
            self.clients[cl.client_id] = cl
        for r in config.get("refresh_tokens", []):
            rec = RefreshRecord(r["refresh_token"], r["client_id"], r["mailbox"], r.get("scope", ""))
            self.refresh[rec.token] = rec
        self.reset_switches()

    def reset_switches(self):
        with self.lock:
            self.switches = dict(self.DEFAULT_SWITCHES)
            self.switches["lifetime"] = int(self.config.get("access_token_lifetime", 3600))
            self.switches["rotate"] = bool(self.config.get("rotate_refresh_tokens", True))
            self.revoked_mailboxes.clear()
            self.revoked_clients.clear()

    def count(self, *keys):
        with self.lock:
            for k in keys:
                self.stats[k] += 1

    def stats_json(self):
        with self.lock:
            out = {"token_requests": 0, "issued": 0, "refused": 0, "by_grant_type": {}, "by_client": {},
                   "by_grant_type_and_client": {}, "issued_by_grant_type": {}, "refused_by_error": {},
                   "by_mailbox": {}, "introspections": 0, "introspections_active": 0,
                   "introspections_inactive": 0}
            for k, v in self.stats.items():
                kind, _, rest = k.partition(":")
                if not rest:
                    out[kind] = v
                elif kind == "grant":
                    out["by_grant_type"][rest] = v
                elif kind == "client":
                    out["by_client"][rest] = v
                elif kind == "grant_client":
                    out["by_grant_type_and_client"][rest] = v
                elif kind == "issued_grant":
                    out["issued_by_grant_type"][rest] = v
                elif kind == "error":
                    out["refused_by_error"][rest] = v
                elif kind == "mailbox":
                    out["by_mailbox"][rest] = v
            out["access_tokens_outstanding"] = sum(
                1 for a in self.access.values() if not a.is_expired() and not a.revoked
            )
            return out


STATE = State()
ISSUE_LOCK = threading.Lock()
SIGNING = {}  # key (joserfc RSAKey), kid, issuer, audience


# --------------------------------------------------------------------------- token generation


def mailbox_for(client, user):
    if user is not None:
        return user.get_user_id()
    return client.mailbox


def generate_bearer_token(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
    scope = client.get_allowed_scope(scope)
    if scope is None:
        raise InvalidScopeError()
    mailbox = mailbox_for(client, user)
    if not mailbox:
        raise InvalidGrantError(description="no mailbox configured for this client")
    with STATE.lock:
        lifetime = int(STATE.switches["lifetime"] if expires_in is None else expires_in)
    now = int(time.time())
    claims = {
        "iss": SIGNING["issuer"],
        "sub": mailbox,
        "email": mailbox,
        "client_id": client.get_client_id(),
        "aud": SIGNING["audience"],
        "scope": scope,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    with STATE.lock:
        pad = int(STATE.switches.get("pad") or 0)
    if pad:
        claims["pad"] = "x" * pad  # makes the token longer (Microsoft's are ~1.5-2.5 KB)
    header = {"alg": SIGNING["alg"], "typ": "JWT", "kid": SIGNING["kid"]}
    access_token = jwt.encode(header, claims, SIGNING["key"])
    token = {"token_type": "Bearer", "access_token": access_token, "expires_in": lifetime, "scope": scope}
    if include_refresh_token:
        token["refresh_token"] = "rt-" + generate_token(40)
    with STATE.lock:
        STATE.access[claims["jti"]] = AccessRecord(access_token, claims, grant_type)
    return token


def check_not_revoked(client, mailbox):
    with STATE.lock:
        if client.get_client_id() in STATE.revoked_clients:
            raise InvalidGrantError(description="grant revoked for this client")
        if mailbox in STATE.revoked_mailboxes:
            raise InvalidGrantError(description="grant revoked for this mailbox")


def save_token(token, req):
    """Called by Authlib after a token was generated."""
    client = req.client
    user = getattr(req, "user", None)
    mailbox = mailbox_for(client, user)
    STATE.count("issued", "mailbox:%s" % mailbox)
    rt = token.get("refresh_token")
    if rt:
        old = getattr(req, "refresh_token", None)
        with STATE.lock:
            rec = RefreshRecord(
                rt, client.get_client_id(), mailbox, token.get("scope", ""),
                family=old.family if old is not None else None,
                generation=(old.generation + 1) if old is not None else 0,
            )
            STATE.refresh[rt] = rec


# --------------------------------------------------------------------------- grants


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def validate_token_request(self):
        super().validate_token_request()
        check_not_revoked(self.request.client, self.request.client.mailbox)


class RefreshToken(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    @property
    def INCLUDE_NEW_REFRESH_TOKEN(self):
        with STATE.lock:
            return STATE.switches["rotate"]

    def authenticate_refresh_token(self, refresh_token):
        with STATE.lock:
            rec = STATE.refresh.get(refresh_token)
            if rec is None or rec.is_revoked():
                return None
            return rec

    def authenticate_user(self, refresh_token):
        return User(refresh_token.mailbox)

    def validate_token_request(self):
        super().validate_token_request()
        check_not_revoked(self.request.client, self.request.refresh_token.mailbox)

    def revoke_old_credential(self, refresh_token):
        with STATE.lock:
            if STATE.switches["rotate"]:
                refresh_token.rotated = True


class JWTBearer(JWTBearerGrant):
    # Google's assertions carry iat and exp (at most one hour apart).
    CLAIMS_OPTIONS = {"iss": {"essential": True}, "aud": {"essential": True}, "exp": {"essential": True},
                      "iat": {"essential": True}}

    def resolve_issuer_client(self, issuer):
        c = STATE.clients.get(issuer)
        return c if c is not None and c.service_account else None

    def resolve_client_public_key(self, client):
        return client.public_key

    def get_audiences(self):
        # The token URL the client used (any path ending in /token), plus extra configured ones.
        base = request.host_url.rstrip("/")
        # Google's client libraries (google-auth) always put Google's token URL into aud,
        # whatever token_uri says; Google accepts it, so do we (config "jwt_bearer_audiences").
        return [base + request.path, base + "/token", SIGNING["issuer"] + "/token"] + list(
            STATE.config.get("jwt_bearer_audiences", GOOGLE_AUDIENCES)
        )

    def authenticate_user(self, subject):
        return User(subject)

    def has_granted_permission(self, client, user):
        return "*" in client.subjects or user.get_user_id() in client.subjects

    def validate_token_request(self):
        assertion = self.request.form.get("assertion")
        if assertion:
            try:
                _, claims = self.extract_assertion(assertion)
                self.assertion_scope = claims.get("scope") if isinstance(claims, dict) else None
            except OAuth2Error:
                self.assertion_scope = None
        super().validate_token_request()
        if self.request.user is None:
            self.request.user = User(self.request.client.mailbox)
        check_not_revoked(self.request.client, self.request.user.get_user_id())

    def create_token_response(self):
        # Google puts the scope into the assertion; a form field "scope" wins.
        scope = self.request.payload.scope or getattr(self, "assertion_scope", None)
        token = self.generate_token(scope=scope, user=self.request.user, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        if token_type_hint != "access_token":
            with STATE.lock:
                rec = STATE.refresh.get(token_string)
            if rec is not None:
                return rec
        try:
            tok = jwt.decode(token_string, SIGNING["key"])
        except Exception:
            return None
        with STATE.lock:
            return STATE.access.get(tok.claims.get("jti"))

    def check_permission(self, token, client, req):
        return client.introspect

    def introspect_token(self, token):
        if isinstance(token, RefreshRecord):
            return {"active": True, "token_type": "refresh_token", "client_id": token.client_id,
                    "username": token.mailbox, "email": token.mailbox, "sub": token.mailbox, "scope": token.scope}
        c = token.claims
        return {"active": True, "token_type": "Bearer", "client_id": c["client_id"], "username": c["email"],
                "email": c["email"], "sub": c["sub"], "scope": c["scope"], "iss": c["iss"], "aud": c["aud"],
                "exp": c["exp"], "iat": c["iat"], "nbf": c["nbf"], "jti": c["jti"]}

    def create_introspection_payload(self, token):
        payload = super().create_introspection_payload(token)
        STATE.count("introspections", "introspections_active" if payload.get("active") else "introspections_inactive")
        return payload


# --------------------------------------------------------------------------- flask app


app = Flask(__name__)
server = AuthorizationServer(app, query_client=lambda cid: STATE.clients.get(cid), save_token=save_token)
server.register_token_generator("default", generate_bearer_token)
server.register_grant(ClientCredentials)
server.register_grant(RefreshToken)
server.register_grant(JWTBearer)
server.register_endpoint(Introspection)


def _client_id_of_request():
    form = request.form
    if form.get("grant_type") == JWT_BEARER and form.get("assertion"):
        try:
            payload = form["assertion"].split(".")[1]
            payload += "=" * (-len(payload) % 4)
            return json.loads(base64.urlsafe_b64decode(payload)).get("iss", "?")
        except Exception:
            return "?"
    auth = request.authorization
    if auth is not None and auth.username:
        return auth.username
    return form.get("client_id", "?")


def _error(status, error, description):
    return Response(json.dumps({"error": error, "error_description": description}), status=status,
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"})


@app.post("/token")
@app.post("/<path:prefix>/token")
def token_endpoint(prefix=None):
    grant = request.form.get("grant_type", "?")
    client_id = _client_id_of_request()
    STATE.count("token_requests", "grant:%s" % grant, "client:%s" % client_id, "grant_client:%s %s" % (grant, client_id))
    with STATE.lock:
        sw = dict(STATE.switches)
    if sw["slow"]:
        time.sleep(float(sw["slow"]))
    if sw["down"]:
        if sw["down"] == "close":
            STATE.count("refused", "error:connection_closed")
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            return Response(status=503)
        status = 503 if sw["down"] is True else int(sw["down"])
        STATE.count("refused", "error:http_%d" % status)
        return Response("token endpoint down (test switch)\n", status=status, headers={"Content-Type": "text/plain", "Retry-After": "1"})
    if sw["invalid_client"]:
        STATE.count("refused", "error:invalid_client")
        r = _error(401, "invalid_client", "client authentication failed (test switch)")
        r.headers["WWW-Authenticate"] = 'Basic realm="token"'
        return r
    ig = sw["invalid_grant"]
    if ig and ((ig is True and grant in ("refresh_token", JWT_BEARER)) or (isinstance(ig, list) and grant in ig)):
        STATE.count("refused", "error:invalid_grant")
        return _error(400, "invalid_grant", "grant refused (test switch)")
    with ISSUE_LOCK:  # one grant at a time: refresh-token rotation is atomic
        resp = server.create_token_response()
    if resp.status_code == 200:
        STATE.count("issued_grant:%s" % grant)
    else:
        try:
            err = json.loads(resp.get_data()).get("error", "?")
        except Exception:
            err = "?"
        STATE.count("refused", "error:%s" % err)
    return resp


@app.post("/introspect")
def introspect_endpoint():
    return server.create_endpoint_response(Introspection.ENDPOINT_NAME)


@app.get("/jwks")
def jwks():
    return jsonify({"keys": [SIGNING["key"].as_dict(private=False, kid=SIGNING["kid"], use="sig", alg=SIGNING["alg"])]})


@app.get("/.well-known/oauth-authorization-server")
@app.get("/.well-known/openid-configuration")
def metadata():
    base = request.host_url.rstrip("/")
    return jsonify({
        "issuer": SIGNING["issuer"],
        "token_endpoint": base + "/token",
        "introspection_endpoint": base + "/introspect",
        "jwks_uri": base + "/jwks",
        "grant_types_supported": ["client_credentials", "refresh_token", JWT_BEARER],
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
    })


@app.get("/stats")
def stats():
    return jsonify(STATE.stats_json())


@app.get("/refresh_tokens")
def refresh_tokens():
    with STATE.lock:
        return jsonify([r.as_dict() for r in STATE.refresh.values()])


@app.get("/control")
def control_get():
    with STATE.lock:
        return jsonify({**STATE.switches, "revoked_mailboxes": sorted(STATE.revoked_mailboxes),
                        "revoked_clients": sorted(STATE.revoked_clients)})


@app.post("/control")
def control_post():
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_request", "JSON object expected")
    unknown = set(body) - set(State.DEFAULT_SWITCHES) - {"revoke", "reset", "reset_stats"}
    if unknown:
        return _error(400, "invalid_request", "unknown switches: %s" % sorted(unknown))
    with STATE.lock:
        if body.get("reset"):
            STATE.reset_switches()
            for r in STATE.refresh.values():
                r.revoked = False
            for a in STATE.access.values():
                a.revoked = False
        if body.get("reset_stats"):
            STATE.stats.clear()
        for k in State.DEFAULT_SWITCHES:
            if k in body:
                STATE.switches[k] = body[k]
        rv = body.get("revoke")
        if rv:
            if not isinstance(rv, dict):
                return _error(400, "invalid_request", "revoke takes an object")
            revoke_all = bool(rv.get("all"))
            if rv.get("mailbox"):
                STATE.revoked_mailboxes.add(rv["mailbox"])
            if rv.get("client_id"):
                STATE.revoked_clients.add(rv["client_id"])
            for r in STATE.refresh.values():
                if revoke_all or r.token == rv.get("refresh_token") or r.mailbox == rv.get("mailbox") \
                        or r.client_id == rv.get("client_id"):
                    r.revoked = True
            for a in STATE.access.values():
                if revoke_all or a.token == rv.get("access_token") or a.claims["email"] == rv.get("mailbox") \
                        or a.claims["client_id"] in (rv.get("client_id"), rv.get("access_tokens_of")):
                    a.revoked = True
    return control_get()


# --------------------------------------------------------------------------- main


def load_or_create_key(path, alg):
    if os.path.exists(path):
        with open(path, "rb") as f:
            pem = f.read()
    else:
        k = ec.generate_private_key(ec.SECP256R1()) if alg == "ES256" else rsa.generate_private_key(
            public_exponent=65537, key_size=2048)
        pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    return pem


def write_dovecot_keys(key_dir, public_pem, kid, alg):
    """Dovecot's local JWT validation looks keys up in its dict as
    shared/<azp or "default">/<alg>/<kid or "default">; dict fs maps
    "shared/X" to the file PREFIX/X. Our tokens carry no azp and a kid, so
    write the PEM public key as KEY_DIR/default/<alg>/<kid> (and under the name
    "default" for tokens without kid)."""
    d = os.path.join(key_dir, "default", alg)
    os.makedirs(d, exist_ok=True)
    for name in (kid, "default"):
        with open(os.path.join(d, name), "wb") as f:
            f.write(public_pem)
    for root, dirs, files in os.walk(key_dir):
        os.chmod(root, 0o755)
        for n in files:
            os.chmod(os.path.join(root, n), 0o644)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--signing-key", required=True, help="private key PEM (created if missing)")
    ap.add_argument("--alg", choices=["ES256", "RS256"], default="ES256",
                    help="access-token signature; ES256 (default) keeps tokens short (~600 chars)")
    ap.add_argument("--kid", default="sendas-test-1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-port", type=int, default=None, help="also serve HTTPS on this port (0 = any)")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--audience", default="sendas-upstream")
    ap.add_argument("--dovecot-key-dir", help="write the public key here in Dovecot's key dict layout")
    ap.add_argument("--log", help="request log file (default: none)")
    args = ap.parse_args()

    with open(args.config) as f:
        config = json.load(f)
    pem = load_or_create_key(args.signing_key, args.alg)
    key = (jwk.ECKey if args.alg == "ES256" else jwk.RSAKey).import_key(pem)
    public_pem = serialization.load_pem_private_key(pem, None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if args.dovecot_key_dir:
        write_dovecot_keys(args.dovecot_key_dir, public_pem, args.kid, args.alg)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if args.log:
        h = logging.FileHandler(args.log)
        h.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logging.getLogger().addHandler(h)
        logging.getLogger().setLevel(logging.INFO)
        logging.getLogger("werkzeug").setLevel(logging.INFO)

    http = make_server("127.0.0.1", args.port, app, threaded=True)
    base = "http://127.0.0.1:%d" % http.server_port
    SIGNING.update(key=key, kid=args.kid, alg=args.alg, issuer=config.get("issuer", base), audience=config.get("audience", args.audience))
    STATE.load(config)
    servers = [http]
    out = {"port": http.server_port, "url": base, "token_url": base + "/token",
           "introspection_url": base + "/introspect", "jwks_url": base + "/jwks", "issuer": SIGNING["issuer"],
           "kid": args.kid, "alg": args.alg, "audience": SIGNING["audience"]}
    if args.tls_port is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        https = make_server("127.0.0.1", args.tls_port, app, threaded=True, ssl_context=ctx)
        servers.append(https)
        hbase = "https://localhost:%d" % https.server_port
        out.update(https_port=https.server_port, https_url=hbase, https_token_url=hbase + "/token")
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(json.dumps(out), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except Exception:
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    main()
