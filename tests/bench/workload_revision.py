#!/usr/bin/env python3
"""A workload revision from the channel's poll to its pods serving, with
its images already in the store, beside the same pods' own start.

    workload_revision.py [ROUNDS]     (default 3)

Boots the built disk.img (TCG) with a channel served from this host
(channel_url on the ESP, poll_interval 10 s). Two pods of busybox httpd
(the host's network, ports 8081 and 8082, a readinessProbe each) are
forwarded to this host, which fetches them through QEMU's port forwards
every 50 ms; both images (keel/web:1, keel/web:2) are loaded first.

Each pod's grace is 1 s (httpd, pid 1 of its container, ignores
SIGTERM: a replaced pod costs its grace on both sides alike).

- the pods' own start: `imagectl apply -f` of the two pods, from the
  request to both serving (alternately tag 1 and tag 2, so each round
  replaces both pods), then `imagectl delete -f`;
- a revision: the channel names revision N (the same two pods under
  other names, the tag alternating likewise); from the moment the host
  polls the channel (its GET of channel.json, seen by this server) to
  both pods serving the revision's page.

Prints the medians side by side and their difference (goal: a revision
serves less than 5 s after its pods' own start would have), and the
daemon's own account of the last one (imagectl workloads status).
"""
import functools
import hashlib
import http.server
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import keelvm  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KEY = os.path.join(TOP, ".dev-keys", "bundle-signing.pem")
POLLS = []  # time.monotonic() of each GET of channel.json

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: keel/web:{tag}
    command: [httpd, -f, -p, "{port}", -h, /www]
    readinessProbe:
      httpGet:
        path: /
        port: {port}
      periodSeconds: 1
"""


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/channel.json":
            POLLS.append(time.monotonic())
        super().do_GET()


def run(*argv):
    subprocess.run(argv, check=True, capture_output=True)


def images(work):
    """keel/web:1 and :2 as docker archives: busybox, /www/index.html."""
    oci = work / "oci"
    run("umoci", "init", "--layout", str(oci))
    for tag in ("1", "2"):
        run("umoci", "new", "--image", f"{oci}:{tag}")
        run("umoci", "config", "--no-history", "--image", f"{oci}:{tag}",
            "--architecture", keelvm.debarch())
        base = work / f"root{tag}"
        for d in ("bin", "www"):
            (base / d).mkdir(parents=True)
        shutil.copy(keelvm.busybox(), base / "bin" / "busybox")
        os.symlink("busybox", base / "bin" / "httpd")
        (base / "www" / "index.html").write_text(f"web {tag}\n")
        run("umoci", "insert", "--image", f"{oci}:{tag}", str(base), "/")
        run("skopeo", "copy", f"oci:{oci}:{tag}",
            f"docker-archive:{work}/web{tag}.tar:keel/web:{tag}")


def pods(prefix, tag):
    return "---\n".join(POD.format(name=f"{prefix}{i}", tag=tag,
                                   port=8081 + i) for i in range(2))


def fetch(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/",
                                    timeout=2) as r:
            return r.read().decode().strip()
    except Exception:
        return ""


def wait_serving(fwd, tag, since, timeout=180):
    """Seconds from since until both forwarded ports serve "web <tag>"."""
    while not all(fetch(p) == f"web {tag}" for p in fwd):
        assert time.monotonic() - since < timeout, "never served"
        time.sleep(0.05)
    return time.monotonic() - since


def channel(work, rev, port):
    (work / f"fleet-{rev}.yaml").write_text(pods("rev", "12"[rev % 2]))
    subprocess.run([os.path.join(TOP, "scripts", "mkchannel"), "--key", KEY,
                    "--serial", str(rev), "--expires", "+1d",
                    "--workloads", str(work / f"fleet-{rev}.yaml"),
                    "--workloads-url",
                    f"http://10.0.2.2:{port}/fleet-{rev}.yaml",
                    "--revision", str(rev), "-o", str(work / "next.json")],
                   check=True, capture_output=True)
    os.rename(work / "next.json.sig", work / "channel.json.sig")
    os.rename(work / "next.json", work / "channel.json")


def boot(work, port):
    disk = keelvm.copy_disk(str(work / "disk.img"))
    conf = work / "update.conf"
    conf.write_text(f"channel_url = http://10.0.2.2:{port}/channel.json\n"
                    "poll_interval = 10\n")
    offset, _ = keelvm.partition_extent(disk, 1)
    run("mcopy", "-i", f"{disk}@@{offset}", str(conf), "::config/update.conf")
    m = keelvm.Machine(disk, str(work)).start()
    m.wait_ready()
    deadline = time.time() + 60
    while "inet 10.0.2.15/" not in m.check("ip -4 addr show dev eth0"):
        assert time.time() < deadline, "no network"
        time.sleep(1)
    return m


def forward(m):
    fwd = []
    for i in range(2):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        r = m.qmp.cmd("human-monitor-command", **{
            "command-line": f"hostfwd_add net0 tcp:127.0.0.1:{p}-:{8081 + i}"})
        assert r.get("return") == "", r
        fwd.append(p)
    return fwd


def own_start(m, work, port, fwd, rounds):
    """imagectl apply of the two pods to both serving, each round."""
    took = []
    for r in range(rounds):
        tag = "12"[r % 2]
        (work / f"own-{tag}.yaml").write_text(pods("own", tag))
        m.check(f"wget -qO /run/own.yaml "
                f"http://10.0.2.2:{port}/own-{tag}.yaml")
        t0 = time.monotonic()
        m.check("imagectl apply -f /run/own.yaml")
        took.append(wait_serving(fwd, tag, t0))
    m.check("imagectl delete -f /run/own.yaml", timeout=120)
    while any(fetch(p) for p in fwd):
        time.sleep(0.1)
    return took


def revisions(m, work, port, fwd, rounds):
    """Revision N named: its poll to both pods serving, each round."""
    took = []
    for rev in range(1, rounds + 1):
        channel(work, rev, port)
        # the first GET that began after the rename reads this revision
        polls = len(POLLS)
        while len(POLLS) == polls:
            time.sleep(0.05)
        took.append(wait_serving(fwd, "12"[rev % 2], POLLS[polls]))
        deadline = time.time() + 60
        while not re.search(rf"^revision: {rev}$",
                            m.check("imagectl workloads status"), re.M):
            assert time.time() < deadline, m.check("imagectl workloads status")
            time.sleep(0.5)
    return took


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for tool in ("umoci", "skopeo", "mcopy"):
        if not shutil.which(tool):
            sys.exit(f"workload_revision: {tool} is missing")
    if not keelvm.busybox():
        sys.exit("workload_revision: no static busybox (make test-busybox)")
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        images(work)
        shutil.copy(os.path.join(keelvm.images_dir(), "disk.img"),
                    work / "disk.img")
        handler = functools.partial(Handler, directory=str(work))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        port = httpd.server_address[1]
        m = boot(work, port)
        try:
            for tag in ("1", "2"):
                m.check(f"wget -qO /var/lib/keel/web{tag}.tar "
                        f"http://10.0.2.2:{port}/web{tag}.tar && "
                        f"imagectl load /var/lib/keel/web{tag}.tar && "
                        f"rm /var/lib/keel/web{tag}.tar", timeout=120)
            fwd = forward(m)
            own = own_start(m, work, port, fwd, rounds)
            rev = revisions(m, work, port, fwd, rounds)
            status = m.check("imagectl workloads status")
            if os.environ.get("BENCH_DEBUG"):
                print(m.check("grep -E 'workloads|channel|rev|pod' "
                              "/var/log/imaged.log | tail -n 60"))
                print([round(t - POLLS[0], 2) for t in POLLS])
        finally:
            m.kill()
            httpd.shutdown()
    o, r = statistics.median(own), statistics.median(rev)
    print(f"two pods serving, images in the store, median of {rounds} "
          f"(TCG):")
    print(f"  their own start (imagectl apply -f)   {o:6.2f} s  "
          f"{' '.join(f'{t:.2f}' for t in own)}")
    print(f"  a revision, from the channel's poll   {r:6.2f} s  "
          f"{' '.join(f'{t:.2f}' for t in rev)}")
    print(f"  the revision's own cost               {r - o:6.2f} s "
          f"(goal < 5 s)")
    last = re.search(r"^last: .*$", status, re.M)
    print(f"  imaged: {last.group(0) if last else status}")


if __name__ == "__main__":
    main()
