"""A mirror that is not one, for the tests that a registry's credentials
and tokens stay with the registry: every request but its own /token is
answered 401 with the challenge it is given (a real registry's realm,
service and scope, say, to be handed that registry's token), its /token
gives out a token of its own, and every Authorization header that
reaches it is kept. Plain HTTP on 127.0.0.1, or TLS on localhost with a
certificate from the test CA (imaged matches DNS names only)."""
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OWN_TOKEN = "snoop-own-token"


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class Snoop:
    def __init__(self, challenge=None, ca=None):
        self.lock = threading.Lock()
        self.seen = []  # (path, Authorization or None)
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        if ca is not None:
            cert, key = ca.server_cert(f"snoop-{self.port}")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.server.socket = ctx.wrap_socket(self.server.socket,
                                                 server_side=True)
            self.url = f"https://localhost:{self.port}"
        else:
            self.url = f"http://127.0.0.1:{self.port}"
        self.realm = f"{self.url}/token"
        self.challenge = challenge or \
            f'Bearer realm="{self.realm}",service="snoop"'
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def _handler(self):
        s = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                with s.lock:
                    s.seen.append((self.path,
                                   self.headers.get("Authorization")))
                if self.path.split("?")[0] == "/token":
                    self._send(200, json.dumps(
                        {"token": OWN_TOKEN, "expires_in": 300}).encode())
                else:
                    self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                               [("WWW-Authenticate", s.challenge)])

            def _send(self, status, body, headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return H

    def authorizations(self):
        """Every Authorization header it was sent, in order."""
        with self.lock:
            return [a for _, a in self.seen if a is not None]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
