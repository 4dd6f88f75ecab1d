#!/usr/bin/env python3
"""Pull and unpack a ~200 MB multi-layer image: imaged vs skopeo + umoci.

    image_pull.py [IMAGED] [ROUNDS]   (default: the image's imaged, 5)

The distribution's docker-registry serves on 127.0.0.1 from a scratch
folder; the image (4 layers of ~50 MB: four 12 MB files of random
bytes and many small text files, gzip'd by umoci) is built once with
umoci and pushed with skopeo. Each round, alternating:

- imaged (the static musl build that goes into the image, run with
  --images-only on a fresh store): `imagectl pull`, which downloads,
  verifies and unpacks every layer into its snapshot;
- the pair: `skopeo copy docker://... oci:DIR` then `umoci unpack`,
  which does the same work with the distribution's tools.

Prints the medians and imaged/pair as a ratio (goal: <= 0.5), and the
peak resident memory of imaged's processes during a pull (the daemon,
the pull and its layer workers, sampled every 20 ms: the largest one,
and all of them at one moment; goal: under 8 MiB).
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    deadline = time.time() + 20
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None or time.time() > deadline:
            sys.exit(f"{what} did not start")
        time.sleep(0.1)


def run(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def build_image(tmp, port):
    oci = os.path.join(tmp, "oci")
    run("umoci", "init", "--layout", oci)
    run("umoci", "new", "--image", oci + ":1")
    for layer in range(4):
        d = os.path.join(tmp, f"layer{layer}")
        os.makedirs(os.path.join(d, f"data{layer}", "small"))
        for i in range(4):  # 4 x 12 MB of random bytes
            with open(os.path.join(d, f"data{layer}", f"blob{i}"), "wb") as f:
                f.write(os.urandom(12 << 20))
        for i in range(2000):  # 2000 x ~9 KB of text
            with open(os.path.join(d, f"data{layer}", "small", f"f{i}.txt"),
                      "w") as f:
                f.write(f"line {i} of a small text file\n" * 300)
        run("umoci", "insert", "--image", oci + ":1", d, "/")
        shutil.rmtree(d)
    run("skopeo", "copy", "--dest-tls-verify=false", f"oci:{oci}:1",
        f"docker://127.0.0.1:{port}/bench/big:1")
    total = sum(os.path.getsize(os.path.join(oci, "blobs", "sha256", b))
                for b in os.listdir(os.path.join(oci, "blobs", "sha256")))
    return total


def descendants(pid):
    out = [pid]
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            out += descendants(int(p))
    return out


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Peak RSS of any one of imaged's processes (VmHWM), and of all of
    them at one moment (VmRSS summed)."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.peak, self.total, self.stop = root, 0, 0, False

    def run(self):
        while not self.stop:
            now = 0
            for p in descendants(self.root):
                self.peak = max(self.peak, status_kib(p, "VmHWM"))
                now += status_kib(p, "VmRSS")
            self.total = max(self.total, now)
            time.sleep(0.02)


def main():
    imaged = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(
        TOP, "output", "qemu-x86_64", "build", "keel", "imaged")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    for tool in ("docker-registry", "skopeo", "umoci"):
        if not shutil.which(tool):
            sys.exit(f"image_pull: {tool} is missing (scripts/setup-host)")
    tmp = tempfile.mkdtemp(prefix="keel-bench-pull-")
    port = free_port()
    with open(os.path.join(tmp, "registry.yml"), "w") as f:
        f.write(f"version: 0.1\nstorage:\n  filesystem:\n"
                f"    rootdirectory: {tmp}/storage\n"
                f"http:\n  addr: 127.0.0.1:{port}\n")
    reg = subprocess.Popen(["docker-registry", "serve",
                            os.path.join(tmp, "registry.yml")],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    daemon = None
    try:
        wait_port(port, reg, "docker-registry")
        print("image_pull: building and pushing the image ...", flush=True)
        size = build_image(tmp, port)
        conf = os.path.join(tmp, "registries.conf")
        with open(conf, "w") as f:
            f.write(f"[127.0.0.1:{port}]\ninsecure = yes\n")
        ctl = os.path.join(tmp, "imagectl")
        os.symlink(imaged, ctl)
        sock = os.path.join(tmp, "imaged.sock")
        ref = f"127.0.0.1:{port}/bench/big:1"
        t_imaged, t_pair, peaks, totals = [], [], [], []
        for r in range(rounds):
            store = os.path.join(tmp, "store")
            shutil.rmtree(store, ignore_errors=True)
            daemon = subprocess.Popen(
                [imaged, "--images-only", "--store", store, "--socket",
                 sock, "--registries", conf],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while not os.path.exists(sock):
                time.sleep(0.02)
            sampler = Sampler(daemon.pid)
            sampler.start()
            t0 = time.monotonic()
            run(ctl, "--socket", sock, "pull", ref)
            t_imaged.append(time.monotonic() - t0)
            sampler.stop = True
            sampler.join()
            peaks.append(sampler.peak)
            totals.append(sampler.total)
            daemon.terminate()
            daemon.wait()
            os.unlink(sock)

            dest = os.path.join(tmp, "pair")
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest)
            t0 = time.monotonic()
            run("skopeo", "copy", "--src-tls-verify=false",
                f"docker://{ref}", f"oci:{dest}/oci:1")
            run("umoci", "unpack", "--image", f"{dest}/oci:1",
                f"{dest}/bundle")
            t_pair.append(time.monotonic() - t0)
            print(f"  round {r + 1}: imaged {t_imaged[-1]:.2f} s "
                  f"(peak RSS {peaks[-1]} KiB), skopeo+umoci "
                  f"{t_pair[-1]:.2f} s", flush=True)
        mi, mp = statistics.median(t_imaged), statistics.median(t_pair)
        print(f"image pull ({size / 1e6:.0f} MB, 4 layers, median of "
              f"{rounds}): imaged {mi:.2f} s, skopeo+umoci {mp:.2f} s, "
              f"ratio imaged/pair {mi / mp:.2f} (goal <= 0.5)")
        print(f"imaged peak RSS: {max(peaks)} KiB in one process, "
              f"{max(totals)} KiB all its processes together "
              f"(goal < 8192)")
    finally:
        if daemon and daemon.poll() is None:
            daemon.kill()
        reg.kill()
        reg.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
