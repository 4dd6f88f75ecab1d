"""A registry front with the manners of big registries, for the pull
tests: in front of the distribution's docker-registry, it asks for Basic
credentials, answers manifests with chunked bodies, sends blobs by a 307
to a separate "blob store" (another port: another origin), and answers
the first requests to a path with 429 or 503 when told to. It records
what each side saw: Authorization headers, connections, statuses."""
import base64
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Quirky:
    def __init__(self, backend_port, creds=("edge", "s3cret"),
                 throttle=None):
        self.backend = ("127.0.0.1", backend_port)
        self.auth = "Basic " + base64.b64encode(
            ":".join(creds).encode()).decode()
        # {path substring: [status, ...]}: answered in turn, then served
        self.throttle = dict(throttle or {})
        self.lock = threading.Lock()
        self.front_seen = []   # (method, path, authorization)
        self.store_seen = []   # (path, authorization)
        self.connections = 0
        self.front = _Server(("127.0.0.1", 0), self._front_handler())
        self.store = _Server(("127.0.0.1", 0), self._store_handler())
        for s in (self.front, self.store):
            threading.Thread(target=s.serve_forever, daemon=True).start()
        self.host = f"127.0.0.1:{self.front.server_address[1]}"
        self.store_port = self.store.server_address[1]

    def _fetch(self, method, path, headers):
        c = http.client.HTTPConnection(*self.backend, timeout=30)
        keep = {k: v for k, v in headers.items()
                if k.lower() in ("accept", "range")}
        c.request(method, path, headers=keep)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, r.getheaders(), body

    def _front_handler(self):
        q = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with q.lock:
                    q.connections += 1

            def log_message(self, *a):
                pass

            def do_GET(self):
                auth = self.headers.get("Authorization")
                with q.lock:
                    q.front_seen.append(("GET", self.path, auth))
                if auth != q.auth:
                    return self._send(401, b"{}", [(
                        "WWW-Authenticate", 'Basic realm="quirky"')])
                turn = None
                with q.lock:
                    for key, statuses in q.throttle.items():
                        if key in self.path and statuses:
                            turn = statuses.pop(0)
                            break
                if turn:
                    return self._send(turn, b"slow down\n",
                                      [("Retry-After", "1")])
                if "/blobs/" in self.path:
                    # RFC 9110 15.4.8: the blob lives elsewhere
                    loc = f"http://127.0.0.1:{q.store_port}{self.path}"
                    return self._send(307, b"", [("Location", loc)])
                status, headers, body = q._fetch("GET", self.path,
                                                 self.headers)
                keep = [(k, v) for k, v in headers
                        if k.lower() in ("content-type",
                                         "docker-content-digest")]
                self._send_chunked(status, body, keep)

            def _send(self, status, body, headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _send_chunked(self, status, body, headers):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                # odd chunk sizes, an extension, a trailer: RFC 9112 7.1
                for i in range(0, len(body), 97):
                    part = body[i:i + 97]
                    self.wfile.write(b"%x;x=y\r\n" % len(part) + part +
                                     b"\r\n")
                self.wfile.write(b"0\r\nX-Trailer: 1\r\n\r\n")

        return H

    def _store_handler(self):
        q = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                with q.lock:
                    q.store_seen.append(
                        (self.path, self.headers.get("Authorization")))
                status, headers, body = q._fetch("GET", self.path,
                                                 self.headers)
                self.send_response(status)
                for k, v in headers:
                    if k.lower() in ("content-type", "content-range"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return H

    def close(self):
        for s in (self.front, self.store):
            s.shutdown()
            s.server_close()
