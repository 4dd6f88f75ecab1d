"""A fault-injecting HTTP/1.1 proxy (plain TCP, threads) between a
client and a registry: it relays requests and responses as they are,
keep-alive included, and on demand
  - cuts the connection once, after N bytes of the body of a response
    to a GET whose path contains "/blobs/" (then calls on_cut),
  - strips the client's Range header from blob requests, so the
    registry answers 200 with the whole blob,
  - slows blob bodies to a byte rate, so two clients overlap.
Every request is recorded (request line, Range header, status) for the
tests' assertions."""
import socket
import threading
import time

BLOB = "/blobs/"


class FaultProxy:
    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.requests = []  # dicts: line, method, path, range, status
        self.cut_after = None
        self.cut_digest = ""
        self.on_cut = None
        self.cuts = []  # (path, bytes relayed) of each cut made
        self.strip_range = False
        self.rate = None  # bytes per second of blob bodies
        self.conns = set()
        self.closed = False
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    # --- what the tests set and read -----------------------------------
    def cut_once(self, after, on_cut=None, digest=""):
        """The first blob response (of that digest, if given) to reach
        `after` body bytes is cut there; then on_cut() is called."""
        with self.lock:
            self.cut_after = after
            self.cut_digest = digest
            self.on_cut = on_cut

    def seen(self, method=None, contains=""):
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r["method"] == method) and
                    contains in r["path"]]

    def blob_gets(self, digest):
        return len(self.seen("GET", f"/blobs/{digest}"))

    # --- relaying -------------------------------------------------------
    def accept_loop(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def serve(self, client):
        with self.lock:
            self.conns.add(client)
        cin = client.makefile("rb")
        up = upin = None
        try:
            while True:
                head = read_head(cin)
                if head is None:
                    return
                line, headers = head
                method, path = (line.split(" ") + ["", ""])[:2]
                blob = BLOB in path
                rng = header(headers, "range")
                if blob and self.strip_range:
                    headers = [h for h in headers
                               if h[0].lower() != "range"]
                rec = {"line": line, "method": method, "path": path,
                       "range": rng, "status": None}
                with self.lock:
                    self.requests.append(rec)
                body = b""
                n = int(header(headers, "content-length") or 0)
                if n:
                    body = cin.read(n)
                if up is None:
                    try:
                        up = socket.create_connection(self.upstream, 5)
                        up.settimeout(60)
                    except OSError:
                        return  # the registry is down: so is this client
                    with self.lock:
                        self.conns.add(up)
                    upin = up.makefile("rb")
                up.sendall(format_head(line, headers) + body)
                rhead = read_head(upin)
                if rhead is None:
                    return
                status_line, rheaders = rhead
                status = int(status_line.split(" ")[1])
                rec["status"] = status
                client.sendall(format_head(status_line, rheaders))
                if not self.relay_body(method, path, status, rheaders, upin,
                                       client):
                    return
                conn = (header(rheaders, "connection") or "").lower()
                if conn == "close" or \
                        (header(headers, "connection") or "").lower() == \
                        "close":
                    return
        except OSError:
            return
        finally:
            for s in (client, up):
                if s is not None:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    s.close()
                    with self.lock:
                        self.conns.discard(s)

    def relay_body(self, method, path, status, rheaders, upin, client):
        """The response body, upstream to client: False when the
        connection is to end (cut, or a body that runs to the close)."""
        if method == "HEAD" or status in (204, 304) or status < 200:
            return True
        blob = BLOB in path and method == "GET" and status in (200, 206)
        sent = 0
        start = time.monotonic()

        def cut_here(n):
            """Whether this response is the one to cut, now that it has
            n bytes more to send (only one response is)."""
            if not blob:
                return None
            with self.lock:
                cut = self.cut_after
                if cut is None or sent + n < cut or \
                        self.cut_digest not in path:
                    return None
                on_cut = self.on_cut
                self.cut_after = self.on_cut = None
                self.cuts.append((path, cut))
                return cut, on_cut

        def forward(data):
            nonlocal sent
            c = cut_here(len(data))
            if c:
                client.sendall(data[:c[0] - sent])
                sent = c[0]
                if c[1]:
                    c[1]()
                return False
            client.sendall(data)
            sent += len(data)
            if blob and self.rate:
                ahead = sent / self.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            return True

        te = (header(rheaders, "transfer-encoding") or "").lower()
        cl = header(rheaders, "content-length")
        if "chunked" in te:
            while True:
                size_line = upin.readline()
                if not size_line:
                    return False
                size = int(size_line.split(b";")[0], 16)
                client.sendall(size_line)
                if size == 0:
                    while True:
                        t = upin.readline()
                        client.sendall(t)
                        if t in (b"\r\n", b"\n", b""):
                            return bool(t)
                data = upin.read(size + 2)
                if not forward(data[:size]):
                    return False
                client.sendall(data[size:])
        if cl is not None:
            left = int(cl)
            while left:
                data = upin.read1(min(left, 65536))
                if not data:
                    return False
                left -= len(data)
                if not forward(data):
                    return False
            return True
        while True:
            data = upin.read1(65536)
            if not data or not forward(data):
                return False

    def close(self):
        self.closed = True
        self.sock.close()
        with self.lock:
            conns = list(self.conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def read_head(f):
    """(first line, [(name, value)]) of a request or response, or None at
    the end of the connection."""
    line = f.readline()
    while line in (b"\r\n", b"\n"):
        line = f.readline()
    if not line:
        return None
    headers = []
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    return line.decode("latin-1").rstrip("\r\n"), headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def format_head(line, headers):
    return (line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) +
            "\r\n").encode("latin-1")
