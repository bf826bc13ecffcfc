#!/usr/bin/env python3
"""Start real upstream SMTP servers for the relay's tests; one command.

Debian packages needed (the test command installs them; installing postfix
does not start it):
  dovecot-core dovecot-submissiond postfix sasl2-bin libsasl2-modules
  (and for selftest.sh: swaks libnet-ssleay-perl libauthen-sasl-perl)
Python packages: scripts/upstreams/requirements.txt (run with the project
venv: .venv/bin/python scripts/upstreams/start.py ...).

Usage: start.py [--token] [--dovecot] [--dovecot-bearer-only] [--postfix] [--all]
                [--dovecot-validation post|local]
                [--dovecot-bearer-only-validation post|local]
                [--token-alg ES256|RS256] [--config FILE] [--debug] [--keep] [--no-stdin]

Must run as root (Dovecot and Postfix start as root and drop privileges to
dovecot/dovenull/nobody/postfix). Everything lives in a fresh temp directory
and listens on free ports of 127.0.0.1. When all servers accept connections,
one JSON line is printed on stdout (see README.md for the fields). The
servers run until stdin closes (or SIGTERM/SIGINT; with --no-stdin only the
signals), then all are stopped and the temp directory is removed (--keep
keeps it). --dovecot and --dovecot-bearer-only imply --token; every server
implies the capture server. Without a server flag, --all is assumed.

--config FILE: a JSON object whose top-level keys replace those of DEFAULTS
below ("token", "dovecot", "postfix").
"""

import argparse
import copy
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_ca  # noqa: E402

DEBIAN_PACKAGES = ["dovecot-core", "dovecot-submissiond", "postfix", "sasl2-bin", "libsasl2-modules"]

GOOGLE_SCOPE = "https://mail.google.com/"
M365_SCOPE = "https://outlook.office365.com/.default"

DEFAULTS = {
    "token": {
        "access_token_lifetime": 3600,
        "rotate_refresh_tokens": True,
        "clients": [
            # Microsoft 365 style app registration (client credentials); a token is for one mailbox.
            {"client_id": "m365-app", "client_secret": "m365-secret", "grant_types": ["client_credentials"],
             "mailbox": "alice@example.test", "scopes": [M365_SCOPE]},
            {"client_id": "m365-app-bob", "client_secret": "m365-bob-secret", "grant_types": ["client_credentials"],
             "mailbox": "bob@example.test", "scopes": [M365_SCOPE]},
            # Google / generic OAuth client holding refresh tokens.
            {"client_id": "google-app", "client_secret": "google-secret", "grant_types": ["refresh_token"]},
        ],
        "refresh_tokens": [
            {"refresh_token": "rt-alice-initial", "client_id": "google-app", "mailbox": "alice@example.test",
             "scope": GOOGLE_SCOPE},
            {"refresh_token": "rt-bob-initial", "client_id": "google-app", "mailbox": "bob@example.test",
             "scope": GOOGLE_SCOPE},
            # A third family, for tests that must not disturb the two above (e.g. the log check).
            {"refresh_token": "rt-carol-initial", "client_id": "google-app", "mailbox": "alice@example.test",
             "scope": GOOGLE_SCOPE},
        ],
        # Google service account with domain-wide delegation; its key pair is generated at
        # start (unless public_key_pem/public_key_file is given) and written as a Google
        # service-account JSON file (see "key_file" in the output).
        "service_accounts": [
            {"client_email": "relay@sendas-test.iam.gserviceaccount.com", "client_id": "100000000000000000001",
             "subjects": ["alice@example.test", "bob@example.test"], "scopes": [GOOGLE_SCOPE]},
        ],
    },
    "dovecot": {
        # Password logins (AUTH PLAIN/LOGIN) besides the OAuth 2.0 ones; the bearer-only
        # instance has no password logins.
        "password_users": {"carol@example.test": "carol-password"},
    },
    "postfix": {
        # Cyrus sasldb users (login must contain @: user@realm).
        "users": {"relay@example.test": "relay-password"},
    },
}

POSTFIX_QUEUE_DIRS = [(q, "root", 0o700) for q in ("active", "bounce", "corrupt", "defer", "deferred", "flush",
                                                   "hold", "incoming", "private", "saved", "trace")] + [
    ("maildrop", "postdrop", 0o730), ("public", "postdrop", 0o710), ("pid", "root", 0o755)]

BAD_CERTS = ["wrong_name", "expired", "not_yet_valid", "self_signed", "untrusted"]


# --------------------------------------------------------------------------- helpers

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _child_setup():
    # The child gets SIGTERM if start.py dies (even by SIGKILL).
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def wait_port(port, proc, timeout, what, log=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StartError("%s exited with status %s%s" % (what, proc.returncode, tail(log)))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise StartError("%s did not listen on %d within %ss%s" % (what, port, timeout, tail(log)))


def tail(path, n=25):
    if not path or not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        lines = f.readlines()[-n:]
    return "\n--- %s (last lines) ---\n%s" % (path, "".join(lines))


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


class StartError(Exception):
    pass


def sbin(name):
    """A system program, also when PATH lacks /usr/sbin (as under some test runners)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not found:
        raise StartError("%s not found: install %s" % (name, " ".join(DEBIAN_PACKAGES)))
    return found


# --------------------------------------------------------------------------- the servers


def traversable_tmp():
    """$TMPDIR if every ancestor lets others through (the servers' unprivileged users
    must reach their files), else /tmp."""
    d = os.path.realpath(tempfile.gettempdir())
    p = d
    while True:
        try:
            if not os.stat(p).st_mode & 0o001:
                return "/tmp"
        except OSError:
            return "/tmp"
        if p == "/":
            return d
        p = os.path.dirname(p)


def processes_using(tmp):
    """PIDs whose command line mentions TMP or whose working directory is in it."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
            cwd = os.readlink("/proc/%s/cwd" % pid)
        except OSError:
            continue
        if tmp.encode() in cmd or cwd.startswith(tmp):
            found.append(int(pid))
    return found


def watchdog(tmp, keep):
    """Runs in its own session; start.py writes the PIDs of the servers to our
    stdin. When stdin closes (start.py exited, even by SIGKILL), stop whatever is
    still running from TMP and remove TMP. After a normal stop there is nothing
    left to do. Needed because Postfix's master changes its effective IDs, which
    clears the parent-death signal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    pids = set()
    for line in sys.stdin:
        if line.strip().isdigit():
            pids.add(int(line))
    alive = [p for p in pids if p in processes_using(tmp)]
    for p in alive:
        try:
            os.kill(p, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.time() + 10
    while time.time() < deadline and processes_using(tmp):
        time.sleep(0.1)
    for p in processes_using(tmp):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    if not keep and os.path.isdir(tmp):
        time.sleep(0.2)
        shutil.rmtree(tmp, ignore_errors=True)


class Upstreams:
    def __init__(self, args, config):
        self.args = args
        self.config = config
        self.procs = []  # (name, Popen), stopped in reverse order
        self.tmp = tempfile.mkdtemp(prefix="sendas-upstreams-", dir=traversable_tmp())
        os.chmod(self.tmp, 0o755)  # dovecot/dovenull/nobody/postfix must traverse it
        self.out = {"tmpdir": self.tmp, "pid": os.getpid()}
        argv = [sys.executable, os.path.abspath(__file__), "--watchdog", self.tmp] + (["--keep"] if args.keep else [])
        self.watchdog = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def spawn(self, name, argv, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, log=None):
        errf = open(log, "ab") if log else subprocess.DEVNULL
        p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=errf, preexec_fn=_child_setup,
                             close_fds=True)
        if log:
            errf.close()
        self.procs.append((name, p))
        try:
            self.watchdog.stdin.write(b"%d\n" % p.pid)
            self.watchdog.stdin.flush()
        except OSError:
            pass
        return p

    def spawn_python(self, name, argv, log):
        p = self.spawn(name, [sys.executable] + argv, stdout=subprocess.PIPE, stdin=subprocess.PIPE, log=log)
        line = p.stdout.readline()
        if not line:
            p.wait(5)
            raise StartError("%s failed to start (status %s)%s" % (name, p.returncode, tail(log)))
        return json.loads(line)

    # ---- PKI
    def pki(self):
        self.out["pki"] = make_ca.main(self.path("pki"))
        self.out["ca_bundle"] = self.out["pki"]["ca_bundle"]

    # ---- capture SMTP server
    def capture(self):
        maildir = self.path("capture", "maildir")
        os.makedirs(maildir)
        info = self.spawn_python("capture", [os.path.join(HERE, "capture_smtp.py"), "--maildir", maildir],
                                 self.path("capture", "capture.log"))
        self.out["capture"] = {"host": "127.0.0.1", "port": info["port"], "maildir": maildir,
                               "log": self.path("capture", "capture.log")}

    # ---- token endpoint
    def token(self):
        d = self.path("token")
        os.makedirs(d)
        tcfg = copy.deepcopy(self.config["token"])
        self.introspect_secret = "dovecot-introspect-secret"
        tcfg.setdefault("clients", []).append(
            {"client_id": "dovecot-introspect", "client_secret": self.introspect_secret, "introspect": True,
             "grant_types": []})
        sa_out = []
        for i, sa in enumerate(tcfg.get("service_accounts", [])):
            if "public_key_pem" in sa or "public_key_file" in sa:
                sa_out.append({"client_email": sa["client_email"]})
                continue
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
            pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            sa["public_key_pem"] = pub
            sa_out.append({"client_email": sa["client_email"], "private_key": priv, "index": i,
                           "private_key_id": "sa-key-%d" % i, "client_id": sa.get("client_id", str(10**20 + i))})
        cfg_path = write(self.path("token", "config.json"), json.dumps(tcfg, indent=1), 0o600)
        log = self.path("token", "token.log")
        server = self.out["pki"]["server"]
        info = self.spawn_python("token", [
            os.path.join(HERE, "token_server.py"), "--config", cfg_path,
            "--signing-key", self.path("token", "signing.key"),
            "--dovecot-key-dir", self.path("token", "dovecot-keys"),
            "--alg", self.args.token_alg, "--tls-port", "0", "--tls-cert", server["chain"], "--tls-key", server["key"],
            "--log", log], log)
        # Google service-account JSON files, pointing at our token URL.
        accounts = []
        for sa in sa_out:
            entry = {"client_email": sa["client_email"]}
            if "private_key" in sa:
                for url_key, name in (("token_url", "http"), ("https_token_url", "https")):
                    doc = {"type": "service_account", "project_id": "sendas-test",
                           "private_key_id": sa["private_key_id"], "private_key": sa["private_key"],
                           "client_email": sa["client_email"], "client_id": sa["client_id"],
                           "auth_uri": info["url"] + "/auth", "token_uri": info[url_key]}
                    p = write(self.path("token", "service-account-%d-%s.json" % (sa["index"], name)),
                              json.dumps(doc, indent=1), 0o600)
                    entry["key_file" if name == "http" else "key_file_https"] = p
                entry["private_key_pem_file"] = write(self.path("token", "service-account-%d.key" % sa["index"]),
                                                      sa["private_key"], 0o600)
                entry["private_key_id"] = sa["private_key_id"]
            src = next(s for s in tcfg["service_accounts"] if s["client_email"] == sa["client_email"])
            entry["subjects"] = src.get("subjects", ["*"])
            entry["scopes"] = src.get("scopes")
            accounts.append(entry)
        base = info["url"]
        self.out["token"] = {
            **info,
            "control_url": base + "/control",
            "stats_url": base + "/stats",
            "refresh_tokens_url": base + "/refresh_tokens",
            "config": cfg_path,
            "log": log,
            "dovecot_key_dir": self.path("token", "dovecot-keys"),
            "clients": [{k: c[k] for k in ("client_id", "client_secret", "grant_types", "mailbox", "scopes") if k in c}
                        for c in tcfg["clients"] if not c.get("introspect")],
            "refresh_tokens": tcfg.get("refresh_tokens", []),
            "service_accounts": accounts,
            "access_token_lifetime": tcfg.get("access_token_lifetime", 3600),
        }

    # ---- Dovecot
    def dovecot(self, name, mechanisms, validation, hostname):
        d = self.path(name)
        for sub in ("run", "state"):
            os.makedirs(os.path.join(d, sub))
        os.makedirs(os.path.join(d, "home"))
        os.chmod(os.path.join(d, "home"), 0o1777)
        for attempt in range(3):
            try:
                return self._dovecot_try(name, d, mechanisms, validation, hostname)
            except StartError as e:
                if attempt == 2 or "Address already in use" not in str(e):
                    raise
                shutil.rmtree(os.path.join(d, "run"), ignore_errors=True)
                os.makedirs(os.path.join(d, "run"))

    def _dovecot_try(self, name, d, mechanisms, validation, hostname):
        starttls_port, tls_port = free_ports(2)
        tok = self.out["token"]
        pki = self.out["pki"]
        oauth_mechs = [m for m in mechanisms if m in ("xoauth2", "oauthbearer")]
        password_mechs = [m for m in mechanisms if m in ("plain", "login")]
        users = self.config["dovecot"].get("password_users", {}) if password_mechs else {}
        if validation == "local":
            oauth2 = (
                "# Local validation: the access token is a JWT; its signature (RS256, key looked up\n"
                "# as shared/default/RS256/<kid> in the dict), exp/nbf/iat and iss are checked here.\n"
                "introspection_mode = local\n"
                "local_validation_key_dict = fs:posix:prefix=%s/\n"
                "issuers = %s\n" % (tok["dovecot_key_dir"], tok["issuer"]))
        else:
            u = tok["introspection_url"].replace("http://", "http://dovecot-introspect:%s@" % self.introspect_secret)
            oauth2 = (
                "# RFC 7662 introspection: every login POSTs token=<access token> to the token server,\n"
                "# which answers active=false for unknown, expired or revoked tokens.\n"
                "introspection_mode = post\n"
                "introspection_url = %s\n"
                "active_attribute = active\n"
                "active_value = true\n"
                "timeout_msecs = 10000\n" % u)
        oauth2 += ("# The login name must equal this claim of the token: a token is only good for its mailbox.\n"
                   "username_attribute = email\n"
                   "debug = %s\n" % ("yes" if self.args.debug else "no"))
        oauth2_path = write(os.path.join(d, "dovecot-oauth2.conf.ext"), oauth2)
        passwd_path = write(os.path.join(d, "passwd"),
                            "".join("%s:{PLAIN}%s\n" % (u, p) for u, p in users.items()))
        log = os.path.join(d, "dovecot.log")
        passdbs = ""
        if oauth_mechs:
            passdbs += ("passdb {\n  driver = oauth2\n  mechanisms = %s\n  args = %s\n}\n"
                        % (" ".join(oauth_mechs), oauth2_path))
        if password_mechs:
            passdbs += ("passdb {\n  driver = passwd-file\n  mechanisms = %s\n"
                        "  args = scheme=PLAIN username_format=%%u %s\n}\n" % (" ".join(password_mechs), passwd_path))
        conf = """# Generated by scripts/upstreams/start.py
base_dir = {d}/run
state_dir = {d}/state
instance_name = sendas-{name}-{pid}
protocols = submission
listen = 127.0.0.1
hostname = {hostname}
log_path = {log}
auth_verbose = yes
auth_debug = {debug}
verbose_ssl = {debug}
default_internal_user = dovecot
default_login_user = dovenull
default_process_limit = 300
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
# AUTH only over TLS (STARTTLS or implicit TLS).
disable_plaintext_auth = yes
auth_mechanisms = {mechs}
# No brute-force delays in tests: failure replies come after ~0.5 s instead of 2-15 s.
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{passdbs}userdb {{
  driver = static
  # submission_relay_user=%u: Dovecot logs in to the capture server as the user it
  # authenticated, so the capture records AS WHOM each message was submitted.
  args = uid=nobody gid=nogroup home={d}/home/%d/%n submission_relay_user=%u submission_relay_password=relay
}}
mail_location = maildir:~/Maildir
submission_relay_host = 127.0.0.1
submission_relay_port = {capture}
submission_relay_ssl = no
# trusted: Dovecot also sends XCLIENT (LOGIN=<user>, ADDR, ...) to the capture server.
submission_relay_trusted = yes
service submission-login {{
  inet_listener submission {{
    port = {starttls_port}
  }}
  inet_listener submissions {{
    port = {tls_port}
    ssl = yes
  }}
}}
""".format(d=d, name=name, pid=os.getpid(), hostname=hostname, log=log, debug="yes" if self.args.debug else "no",
           cert=pki["server"]["chain"], key=pki["server"]["key"], mechs=" ".join(mechanisms), passdbs=passdbs,
           capture=self.out["capture"]["port"], starttls_port=starttls_port, tls_port=tls_port)
        conf_path = write(os.path.join(d, "dovecot.conf"), conf)
        p = self.spawn(name, [sbin("dovecot"), "-F", "-c", conf_path], log=os.path.join(d, "dovecot.stderr"))
        try:
            for port in (starttls_port, tls_port):
                wait_port(port, p, 20, name, log)
        except StartError as e:
            raise StartError(str(e) + tail(os.path.join(d, "dovecot.stderr")))
        self.out[name] = {
            "host": "localhost",
            "starttls_port": starttls_port,
            "tls_port": tls_port,
            "mechanisms": [m.upper() for m in mechanisms],
            "validation": validation,
            "password_users": users,
            "hostname": hostname,
            "log": log,
            "config": conf_path,
            "oauth2_config": oauth2_path,
            "pid": p.pid,
        }

    # ---- Postfix
    def postfix(self):
        d = self.path("postfix")
        etc = os.path.join(d, "etc")
        sasl = os.path.join(etc, "sasl")
        for sub in (sasl, os.path.join(d, "spool"), os.path.join(d, "data")):
            os.makedirs(sub)
        shutil.chown(os.path.join(d, "data"), "postfix")
        pki = self.out["pki"]
        users = self.config["postfix"].get("users", {})
        sasldb = os.path.join(sasl, "sasldb2")
        for login, password in users.items():
            user, _, realm = login.partition("@")
            if not realm:
                raise StartError("postfix user %r: use user@realm" % login)
            r = subprocess.run([sbin("saslpasswd2"), "-f", sasldb, "-p", "-c", "-u", realm, user], input=password.encode(),
                               capture_output=True)
            if r.returncode != 0:
                raise StartError("saslpasswd2 failed: %s" % r.stderr.decode())
        if users:
            shutil.chown(sasldb, "root", "postfix")
            os.chmod(sasldb, 0o640)
        # Debian's Postfix reads the Cyrus configuration from $config_directory/sasl/smtpd.conf.
        write(os.path.join(sasl, "smtpd.conf"),
              "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s\n" % sasldb)
        log = os.path.join(d, "postfix.log")
        ports = free_ports(3 + 2 * len(BAD_CERTS))
        starttls_port, smtps_port, plain_port = ports[:3]
        main_cf = """# Generated by scripts/upstreams/start.py
compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.localhost
mydomain = localhost
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
# Everything accepted goes to the capture server.
relayhost = [127.0.0.1]:{capture}
default_transport = smtp
relay_transport = smtp
smtp_tls_security_level = none
maillog_file = {log}
maillog_file_prefixes = {d}
cyrus_sasl_config_path = {sasl}
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_security_options = noanonymous
# Adds "(Authenticated sender: LOGIN)" to the Received: header: says AS WHOM.
smtpd_sasl_authenticated_header = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_client_connection_count_limit = 1000
smtpd_client_connection_rate_limit = 0
smtputf8_enable = yes
message_size_limit = 52428800
""".format(d=d, capture=self.out["capture"]["port"], log=log, sasl=sasl, cert=pki["server"]["chain"],
           key=pki["server"]["key"])
        listeners = [
            "# STARTTLS required (like port 587), AUTH PLAIN/LOGIN after STARTTLS",
            "127.0.0.1:%d inet n - n - - smtpd" % starttls_port,
            "# implicit TLS (smtps wrapper mode, like port 465)",
            "127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_wrappermode=yes" % smtps_port,
            "# plaintext, AUTH without TLS (for the loopback-only TLS mode 'none')",
            "127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_security_level=none -o smtpd_tls_auth_only=no"
            % plain_port,
        ]
        bad = {}
        for i, which in enumerate(BAD_CERTS):
            st, im = ports[3 + 2 * i], ports[4 + 2 * i]
            c = pki[which]
            cert_opts = "-o smtpd_tls_cert_file=%s -o smtpd_tls_key_file=%s" % (c["cert"], c["key"])
            listeners.append("# certificate: %s" % which)
            listeners.append("127.0.0.1:%d inet n - n - - smtpd %s" % (st, cert_opts))
            listeners.append("127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_wrappermode=yes %s" % (im, cert_opts))
            bad[which] = {"starttls_port": st, "tls_port": im}
        master_cf = "\n".join(listeners) + """
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""
        write(os.path.join(etc, "main.cf"), main_cf)
        write(os.path.join(etc, "master.cf"), master_cf)
        # Postfix waits (5 x 300 ms) while main.cf looks "just modified": date it back.
        past = time.time() - 10
        for f in ("main.cf", "master.cf"):
            os.utime(os.path.join(etc, f), (past, past))
        # The queue directories as "postfix check" creates them (that command takes ~2 s).
        spool = os.path.join(d, "spool")
        for sub, group, mode in POSTFIX_QUEUE_DIRS:
            q = os.path.join(spool, sub)
            os.makedirs(q)
            shutil.chown(q, "root" if sub == "pid" else "postfix", group)
            os.chmod(q, mode)
        # The master daemon in the foreground (it does not detach without -w); SIGTERM stops it
        # and all its children.
        master = "/usr/lib/postfix/sbin/master"
        if not os.path.exists(master):
            raise StartError("%s not found: install %s" % (master, " ".join(DEBIAN_PACKAGES)))
        p = self.spawn("postfix", [master, "-c", etc], log=os.path.join(d, "master.stderr"))
        for port in [starttls_port, smtps_port, plain_port]:
            wait_port(port, p, 20, "postfix", log)
        self.out["postfix"] = {
            "host": "localhost",
            "starttls_port": starttls_port,
            "tls_port": smtps_port,
            "plain_port": plain_port,
            "mechanisms": ["PLAIN", "LOGIN"],
            "users": users,
            "bad_cert_ports": bad,
            "hostname": "postfix.localhost",
            "log": log,
            "config_dir": etc,
            "pid": p.pid,
        }

    # ---- stop
    def stop(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 15
        for name, p in reversed(self.procs):
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        # Dovecot's and Postfix's children leave with their master; wait until none is left
        # running from our directory, so that removing it is safe.
        deadline = time.time() + 10
        while time.time() < deadline and [p for p in processes_using(self.tmp) if p != self.watchdog.pid]:
            time.sleep(0.1)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.watchdog.stdin.close()
        try:
            self.watchdog.wait(15)
        except subprocess.TimeoutExpired:
            pass


def main():
    if sys.argv[1:2] == ["--watchdog"]:
        return watchdog(sys.argv[2], "--keep" in sys.argv[3:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--token", action="store_true")
    ap.add_argument("--dovecot", action="store_true")
    ap.add_argument("--dovecot-bearer-only", action="store_true",
                    help="a second Dovecot offering only OAUTHBEARER")
    ap.add_argument("--postfix", action="store_true")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--dovecot-validation", choices=["post", "local"], default="post")
    ap.add_argument("--dovecot-bearer-only-validation", choices=["post", "local"], default="post")
    ap.add_argument("--token-alg", choices=["ES256", "RS256"], default="ES256",
                    help="access-token signature (ES256: ~600-character tokens that fit Dovecot's ~1 KB AUTH line)")
    ap.add_argument("--config", help="JSON file overriding DEFAULTS' top-level keys")
    ap.add_argument("--debug", action="store_true", help="Dovecot auth_debug and oauth2 debug logging")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory")
    ap.add_argument("--no-stdin", action="store_true", help="ignore stdin; stop only on SIGTERM/SIGINT")
    args = ap.parse_args()
    if not (args.token or args.dovecot or args.dovecot_bearer_only or args.postfix):
        args.all = True
    if args.all:
        args.token = args.dovecot = args.dovecot_bearer_only = args.postfix = True
    if args.dovecot or args.dovecot_bearer_only:
        args.token = True
    if os.geteuid() != 0 and (args.dovecot or args.dovecot_bearer_only or args.postfix):
        sys.exit("start.py: Dovecot and Postfix need root")
    config = copy.deepcopy(DEFAULTS)
    if args.config:
        with open(args.config) as f:
            config.update(json.load(f))

    stopping = []

    def on_signal(signum, frame):
        if not stopping:
            stopping.append(signum)
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    up = Upstreams(args, config)
    status = 0
    try:
        t0 = time.time()
        up.pki()
        up.capture()
        if args.token:
            up.token()
        if args.dovecot:
            up.dovecot("dovecot", ["plain", "login", "xoauth2", "oauthbearer"], args.dovecot_validation,
                       "dovecot.localhost")
        if args.dovecot_bearer_only:
            up.dovecot("dovecot_bearer_only", ["oauthbearer"], args.dovecot_bearer_only_validation,
                       "dovecot-bearer.localhost")
        if args.postfix:
            up.postfix()
        up.out["startup_seconds"] = round(time.time() - t0, 2)
        sys.stdout.write(json.dumps(up.out) + "\n")
        sys.stdout.flush()
        if args.no_stdin:
            while True:
                signal.pause()
        else:
            while sys.stdin.buffer.read1(65536) if hasattr(sys.stdin.buffer, "read1") else sys.stdin.buffer.read(1):
                pass
    except KeyboardInterrupt:
        pass
    except StartError as e:
        sys.stdout.write(json.dumps({"error": str(e)}) + "\n")
        sys.stdout.flush()
        print("start.py: %s" % e, file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        up.stop()
    sys.exit(status)


if __name__ == "__main__":
    main()
