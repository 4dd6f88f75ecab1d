"""The distribution's docker-registry (CNCF distribution 2.8) as a test
peer: started on 127.0.0.1 on a free port with a config and storage of
the test's own, in one of four modes (plain HTTP, TLS with a test CA,
htpasswd Basic auth, Bearer tokens from the small issuer below), and
killed afterwards.

The token issuer signs RS256 JWTs with `openssl dgst`, so it needs
nothing beyond what scripts/setup-host installs. distribution 2.8
(registry/auth/token/token.go) finds the signing key from the JWT
header in this order: `x5c` (a chain it verifies up to the certificates
in `rootcertbundle`, any key usage), `jwk`, then `kid` (a libtrust key
ID of one of those certificates' public keys). Both x5c and kid are
supported here. Claims it checks: `iss` (== issuer), `aud` (== service),
`exp`/`nbf` (60 s leeway) and `access` for the scope."""
import base64
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGISTRY = "/usr/bin/docker-registry"
SERVICE = "keel-test-registry"
ISSUER = "keel-test-issuer"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*argv, input=None):
    r = subprocess.run(argv, input=input, capture_output=True)
    if r.returncode:
        raise RuntimeError(f"{argv[0]} failed ({r.returncode}): "
                           f"{r.stderr.decode(errors='replace')}")
    return r.stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- certificates -------------------------------------------------------

class CA:
    """A test CA (RSA 2048, openssl) that signs server certificates."""

    def __init__(self, dir, name="keel test CA"):
        self.dir = str(dir)
        os.makedirs(self.dir, exist_ok=True)
        self.key = os.path.join(self.dir, "ca.key")
        self.pem = os.path.join(self.dir, "ca.pem")
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", self.key, "-out", self.pem, "-days", "3",
            "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        # skopeo's --dest-cert-dir takes *.crt files as CAs
        self.cert_dir = os.path.join(self.dir, "certs.d")
        os.makedirs(self.cert_dir, exist_ok=True)
        with open(self.pem) as f, \
                open(os.path.join(self.cert_dir, "ca.crt"), "w") as g:
            g.write(f.read())

    def server_cert(self, name="server", san="DNS:localhost,IP:127.0.0.1"):
        """(cert.pem, key.pem) for a server, signed by this CA."""
        key = os.path.join(self.dir, f"{name}.key")
        csr = os.path.join(self.dir, f"{name}.csr")
        pem = os.path.join(self.dir, f"{name}.pem")
        ext = os.path.join(self.dir, f"{name}.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
            "-out", csr, "-subj", "/CN=localhost")
        run("openssl", "x509", "-req", "-in", csr, "-CA", self.pem, "-CAkey",
            self.key, "-CAcreateserial", "-out", pem, "-days", "3",
            "-extfile", ext)
        return pem, key


def self_signed(dir, name):
    """A self-signed RSA certificate and key: the token signer."""
    key = os.path.join(dir, f"{name}.key")
    pem = os.path.join(dir, f"{name}.pem")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
        key, "-out", pem, "-days", "3", "-subj", f"/CN={name}")
    return pem, key


def libtrust_key_id(cert_pem):
    """The `kid` distribution 2.8 looks a key up by: sha256 of the DER
    SubjectPublicKeyInfo, first 240 bits, base32, 12 groups of 4 joined
    by ':' (libtrust's keyIDFromCryptoKey; spec/auth/jwt.md)."""
    pub = run("openssl", "x509", "-in", cert_pem, "-noout", "-pubkey")
    der = run("openssl", "pkey", "-pubin", "-outform", "DER", input=pub)
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    return ":".join(s[i:i + 4] for i in range(0, 48, 4))


# --- the token issuer ---------------------------------------------------

class TokenIssuer:
    """A Docker token service (spec/auth/token.md) on 127.0.0.1.

    GET /token?service=S&scope=repository:NAME:ACTIONS (or the OAuth2
    POST form). Grants what is asked; with `creds=(user, password)` it
    answers 401 unless the request carries them (Basic, or the POST
    form's username/password). Every request is recorded in `requests`:
    dicts with method, scopes, service, user (None without Basic
    credentials), status and the token given (None when refused). With
    `ca` it serves https on localhost, with a certificate from that CA."""

    def __init__(self, dir, creds=None, key_id="x5c", ttl=300, ca=None):
        self.dir = str(dir)
        os.makedirs(self.dir, exist_ok=True)
        self.cert, self.key = self_signed(self.dir, "token-signer")
        der = run("openssl", "x509", "-in", self.cert, "-outform", "DER")
        self.x5c = base64.b64encode(der).decode()
        self.kid = libtrust_key_id(self.cert)
        self.key_id = key_id
        self.creds = creds
        self.ttl = ttl
        self.requests = []
        self.lock = threading.Lock()
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                q = urllib.parse.urlparse(self.path)
                issuer.handle(self, q.path, urllib.parse.parse_qs(q.query),
                              "GET")

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                issuer.handle(self, urllib.parse.urlparse(self.path).path,
                              form, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.realm = f"http://127.0.0.1:{self.port}/token"
        if ca is not None:
            cert, key = ca.server_cert(f"issuer-{self.port}")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.server.socket = ctx.wrap_socket(self.server.socket,
                                                 server_side=True)
            self.realm = f"https://localhost:{self.port}/token"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def handle(self, h, path, q, method):
        user = password = None
        auth = h.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode() \
                    .partition(":")
            except ValueError:
                user = ""
        elif method == "POST" and "username" in q:
            user, password = q["username"][0], q.get("password", [""])[0]
        scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
        rec = {"method": method, "path": path, "scopes": scopes,
               "service": q.get("service", [None])[0], "user": user,
               "status": 200, "token": None}
        if path != "/token":
            rec["status"] = 404
        elif self.creds and (user, password) != tuple(self.creds):
            rec["status"] = 401
        with self.lock:
            self.requests.append(rec)
        if rec["status"] != 200:
            body = json.dumps({"errors": [{"code": "UNAUTHORIZED"}]}).encode()
            h.send_response(rec["status"])
            if rec["status"] == 401:
                h.send_header("WWW-Authenticate", 'Basic realm="keel-token"')
        else:
            tok = self.token(scopes, user or "", rec["service"] or SERVICE)
            rec["token"] = tok
            body = json.dumps({
                "token": tok, "access_token": tok, "expires_in": self.ttl,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                           time.gmtime())}).encode()
            h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def token(self, scopes, subject, audience):
        access = []
        for s in scopes:
            # "type:name:actions"; a name has no ':' (no registry part)
            typ, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": typ, "name": name,
                           "actions": [a for a in actions.split(",") if a]})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256"}
        if self.key_id == "x5c":
            header["x5c"] = [self.x5c]
        else:
            header["kid"] = self.kid
        claims = {"iss": ISSUER, "sub": subject, "aud": audience,
                  "exp": now + self.ttl, "nbf": now - 5, "iat": now,
                  "jti": uuid.uuid4().hex, "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = run("openssl", "dgst", "-sha256", "-sign", self.key,
                  input=signing_input.encode())
        return signing_input + "." + b64url(sig)

    def token_requests(self):
        with self.lock:
            return [r for r in self.requests if r["path"] == "/token"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- the registry -------------------------------------------------------

class Registry:
    """docker-registry on 127.0.0.1:port. mode is "plain", "tls",
    "basic" (htpasswd; plain HTTP unless ca is given) or "token" (needs
    issuer). `host` is what goes in image references."""

    def __init__(self, tmp, mode="plain", ca=None, creds=("keel", "s3cret"),
                 issuer=None, name="registry", port=None):
        self.dir = os.path.join(str(tmp), name)
        os.makedirs(self.dir, exist_ok=True)
        self.mode = mode
        self.ca = ca
        self.creds = tuple(creds) if mode == "basic" else None
        self.issuer = issuer
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.storage = os.path.join(self.dir, "storage")
        self.log = os.path.join(self.dir, "registry.log")
        self.config = os.path.join(self.dir, "config.yml")
        self.tls = mode == "tls" or (mode in ("basic", "token") and
                                     ca is not None)
        # BearSSL (imaged's TLS) matches a certificate's DNS names only
        if self.tls:
            self.host = f"localhost:{self.port}"
        self.scheme = "https" if self.tls else "http"
        self.proc = None
        self.write_config()
        self.start()

    def write_config(self):
        lines = ["version: 0.1",
                 "log:",
                 "  level: info",
                 "  formatter: text",
                 "storage:",
                 "  filesystem:",
                 f"    rootdirectory: {self.storage}",
                 "  delete:",
                 "    enabled: true",
                 "  maintenance:",
                 "    uploadpurging:",
                 "      enabled: false",
                 "http:",
                 f"  addr: {self.host}",
                 f"  secret: {uuid.uuid4().hex}"]
        if self.tls:
            self.cert, key = self.ca.server_cert(f"registry-{self.port}")
            lines += ["  tls:", f"    certificate: {self.cert}",
                      f"    key: {key}"]
        if self.mode == "basic":
            pw = os.path.join(self.dir, "htpasswd")
            with open(pw, "wb") as f:
                f.write(run("htpasswd", "-Bbn", *self.creds))
            lines += ["auth:", "  htpasswd:", "    realm: keel-basic",
                      f"    path: {pw}"]
        elif self.mode == "token":
            lines += ["auth:", "  token:", f"    realm: {self.issuer.realm}",
                      f"    service: {SERVICE}", f"    issuer: {ISSUER}",
                      f"    rootcertbundle: {self.issuer.cert}"]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen([REGISTRY, "serve", self.config],
                                         stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            status = self.ping()
            if status in (200, 401):
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"docker-registry did not start "
                                   f"({status}):\n{self.read_log()}")
            time.sleep(0.05)

    def ssl_context(self):
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=self.ca.pem)

    def ping(self):
        """The status of GET /v2/, or None when nothing answers."""
        try:
            return self.get("/v2/").status
        except urllib.error.HTTPError as e:
            return e.code
        except (OSError, urllib.error.URLError):
            return None

    def get(self, path, headers=None, method="GET"):
        req = urllib.request.Request(f"{self.scheme}://{self.host}{path}",
                                     headers=headers or {}, method=method)
        return urllib.request.urlopen(req, timeout=10,
                                      context=self.ssl_context())

    def api(self, path, headers=None, creds=None, method="GET"):
        """A request as a registry client makes it, auth included: on a
        401 with a Basic challenge it retries with creds; with a Bearer
        one it gets a token from the realm (with creds as Basic, if
        any) for the challenge's scope and retries with it. Returns
        (status, headers, body); raises HTTPError for other errors."""
        headers = dict(headers or {})
        try:
            r = self.get(path, headers, method)
            return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            if e.code != 401:
                raise
            chal = e.headers.get("WWW-Authenticate", "")
        scheme, _, params = chal.partition(" ")
        params = dict(re.findall(r'(\w+)="([^"]*)"', params))
        basic = None
        if creds:
            basic = "Basic " + base64.b64encode(
                ":".join(creds).encode()).decode()
        if scheme == "Basic":
            if not basic:
                raise RuntimeError("Basic challenge and no credentials")
            headers["Authorization"] = basic
        elif scheme == "Bearer":
            q = {"service": params.get("service", "")}
            if params.get("scope"):
                q["scope"] = params["scope"]
            req = urllib.request.Request(
                params["realm"] + "?" + urllib.parse.urlencode(q),
                headers={"Authorization": basic} if basic else {})
            with urllib.request.urlopen(req, timeout=10) as t:
                tok = json.load(t)["token"]
            headers["Authorization"] = "Bearer " + tok
        else:
            raise RuntimeError(f"unknown challenge {chal!r}")
        r = self.get(path, headers, method)
        return r.status, r.headers, r.read()

    def stop(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self, delay=0):
        """Killed, then (after delay seconds) started again on the same
        port with the same storage."""
        self.stop()
        time.sleep(delay)
        self.start()

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def blob_path(self, digest):
        """The data file of a blob in the registry's storage."""
        hexd = digest.split(":", 1)[-1]
        return os.path.join(self.storage, "docker", "registry", "v2",
                            "blobs", "sha256", hexd[:2], hexd, "data")

    def corrupt_blob(self, digest):
        """Flips a byte in the middle of a stored blob: the registry
        goes on serving it under its old digest."""
        p = self.blob_path(digest)
        with open(p, "r+b") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(size // 2)
            b = f.read(1)
            f.seek(size // 2)
            f.write(bytes([b[0] ^ 0xff]))

    def blob_gets(self, digest):
        """How many GETs of the blob the registry's access log shows."""
        return sum(1 for line in self.read_log().splitlines()
                   if '"GET /v2/' in line and f"/blobs/{digest} " in line)

    # what skopeo needs to push here
    def skopeo_dest_args(self):
        args = []
        if self.tls:
            args += ["--dest-cert-dir", self.ca.cert_dir]
        else:
            args += ["--dest-tls-verify=false"]
        if self.creds:
            args += ["--dest-creds", ":".join(self.creds)]
        elif self.issuer is not None and self.issuer.creds:
            args += ["--dest-creds", ":".join(self.issuer.creds)]
        return args

    def skopeo_src_args(self):
        return [a.replace("--dest-", "--src-") for a in
                self.skopeo_dest_args()]

    def ref(self, name, tag="1"):
        return f"{self.host}/test/{name}:{tag}"

    def close(self):
        self.stop()
