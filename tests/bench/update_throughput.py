#!/usr/bin/env python3
"""OS update throughput and delta downloads, side by side in QEMU.

    update_throughput.py [ROUNDS]     (default 3)

Full bundles (issue 21's goals): a 200 MiB root of random bytes with its
real dm-verity tree (veritysetup, as scripts/mkroot makes it) in a format
2 bundle with the image's kernel and initramfs, attached to the guest as
a disk (vdb) and served over http from the host; the root's data alone
as a third disk (vdc). Each round times, on the guest's clock:

  dd        the root's data into the inactive slot (conv=fsync)
  sha256    busybox sha256sum of the same bytes: one SHA-256 pass
  install   imagectl os update --no-reboot, from the disk and from
            http, with the read back (verify_after_write) off and on

and prints the medians, with install against its limit: the slower of dd
and one SHA-256 pass without the read back, that plus one more SHA-256
pass with it (goal >= 0.9 both).

Delta bundles: version 2 changes one binary of 150 KB in the image's
root, version 3 changes nothing but its version. For each: bytes the
guest fetched and the install time, delta against full (both over http),
and on the host `casync extract --seed` doing the same job (the old root,
kernel and initramfs as seeds) from the same store over http.
"""
import functools
import glob
import hashlib
import http.server
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import keelvm  # noqa: E402

SIZE = 200 << 20
KEY = os.path.join(keelvm.TOP, ".dev-keys", "bundle-signing.pem")
MKBUNDLE = os.path.join(keelvm.TOP, "scripts", "mkbundle")
MKROOT = os.path.join(keelvm.TOP, "scripts", "mkroot")
SENT = {"bytes": 0}


class Handler(http.server.SimpleHTTPRequestHandler):
    """Files with Range, over kept-alive connections; body bytes counted."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        fs = os.path.join(self.directory, self.path.split("?")[0].lstrip("/"))
        if ".." in self.path or not os.path.isfile(fs):
            self.send_error(404)
            return
        size, start = os.path.getsize(fs), 0
        rng = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if rng:
            start = int(rng.group(1))
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        with open(fs, "rb") as f:
            f.seek(start)
            try:
                for block in iter(lambda: f.read(1 << 20), b""):
                    self.wfile.write(block)
                    SENT["bytes"] += len(block)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True


def serve(directory):
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=directory))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, httpd.server_address[1]


def kernel():
    build = os.path.join(os.path.dirname(keelvm.images_dir()), "build")
    return glob.glob(os.path.join(build, "linux", "boot", "vmlinuz-*"))[0]


def bundle(work, name, version, root, verity, delta=False):
    out = os.path.join(work, name + ".keelb")
    extra = ["--delta", os.path.join(work, name + "-delta.keelb"),
             "--store", os.path.join(work, name + ".castr")] if delta else []
    subprocess.run([MKBUNDLE, "--key", KEY, "--version", version,
                    "--board", "qemu-x86_64", "--verity", verity,
                    "--root", root, "--kernel", kernel(), "--initramfs",
                    os.path.join(keelvm.images_dir(), "initramfs.cpio.gz"),
                    "-o", out] + extra, check=True, stdout=subprocess.DEVNULL)
    return out


def random_root(work):
    """200 MiB of random data and its verity tree after it."""
    img, data = os.path.join(work, "root.img"), os.path.join(work, "root.data")
    with open(data, "wb") as f:
        for _ in range(SIZE >> 20):
            f.write(os.urandom(1 << 20))
    shutil.copyfile(data, img)
    out = subprocess.run(["veritysetup", "format", "--no-superblock",
                          "--salt=-", f"--hash-offset={SIZE}", img, img],
                         check=True, capture_output=True, text=True).stdout
    root_hash = re.search(r"Root hash:\s*([0-9a-f]{64})", out).group(1)
    return img, data, f"{root_hash}:{SIZE // 4096}"


def image_root(work, name, version, edit=None):
    """The image's root with another version (and edit applied)."""
    tree = os.path.join(work, name + ".tree")
    target = os.path.join(os.path.dirname(keelvm.images_dir()), "target")
    shutil.copytree(target, tree, symlinks=True)
    rel = os.path.join(tree, "etc", "os-release")
    with open(rel) as f:
        text = f.read()
    with open(rel, "w") as f:
        f.write(re.sub(r"(?m)^VERSION_ID=.*$", f"VERSION_ID={version}", text))
    if edit:
        edit(tree)
    img = os.path.join(work, name + ".img")
    subprocess.run([MKROOT, tree, img, "squashfs", img + ".verity"],
                   check=True)
    shutil.rmtree(tree)
    with open(img + ".verity") as f:
        return img, f.read().strip()


def new_netd(tree):
    """One binary of 150 KB changed all through, as a rebuild changes it."""
    path = os.path.join(tree, "sbin", "netd")
    with open(path, "wb") as f:
        f.write(os.urandom(150 * 1024))


def uptime(m):
    return float(m.check("cut -d' ' -f1 /proc/uptime").split()[-1])


def timed(m, command, timeout=1800):
    t0 = uptime(m)
    out = m.check(command, timeout)
    return uptime(m) - t0, out


def full_rounds(m, rounds, url):
    cases = {"dd": "dd if=/dev/vdc of=/dev/vda3 bs=1M conv=fsync 2>/dev/null",
             "sha256": "sha256sum /dev/vdc",
             # the link's own limit: QEMU's user-mode network under TCG
             "wget": f"wget -q -O /dev/null {url}/big.keelb"}
    for src, where in (("disk", "/dev/vdb"), ("http", f"{url}/big.keelb")):
        for rb, flag in (("no read back", " --no-verify-after-write"),
                         ("read back", "")):
            cases[f"install {src}, {rb}"] = (
                f"imagectl os update --force --no-reboot{flag} {where} "
                f"| tail -n 2")
    times = {k: [] for k in cases}
    for r in range(rounds):
        line = []
        for name, command in cases.items():
            took, out = timed(m, command)
            times[name].append(took)
            line.append(f"{name} {took:.2f} s")
            if name.startswith("install") and "installed keel" not in out:
                raise SystemExit(f"{name}: {out}")
        print(f"round {r + 1}: " + ", ".join(line), flush=True)
    return {k: statistics.median(v) for k, v in times.items()}


def report_full(t):
    mib = SIZE / (1 << 20)
    limit = max(t["dd"], t["sha256"])
    print(f"dd:            {mib / t['dd']:7.1f} MiB/s  ({t['dd']:.2f} s for "
          f"{mib:.0f} MiB)")
    print(f"sha256:        {mib / t['sha256']:7.1f} MiB/s  ({t['sha256']:.2f} s, "
          f"busybox sha256sum in the guest)")
    print(f"wget:          {mib / t['wget']:7.1f} MiB/s  ({t['wget']:.2f} s, "
          f"the bundle over http to /dev/null: the link)")
    for name, s in t.items():
        if not name.startswith("install"):
            continue
        rb = not name.endswith("no read back")
        goal = limit + (t["sha256"] if rb else 0)
        line = (f"{name + ':':28s} {mib / s:7.1f} MiB/s  ({s:.2f} s)  "
                f"ratio {goal / s:.2f} of "
                f"{'limit + sha256' if rb else 'limit'} ({goal:.2f} s)  "
                f"(goal >= 0.9)")
        if "http" in name:
            # over http the link may be slower than dd and SHA-256
            link = max(limit, t["wget"]) + (t["sha256"] if rb else 0)
            line += f"; {link / s:.2f} of the link's limit ({link:.2f} s)"
        print(line)


def casync_extract(work, port, name, seeds):
    """casync extract of a version's root, kernel and initramfs from its
    store over http, each seeded by the running one; bytes and time."""
    bundle_path = os.path.join(work, name + "-delta.keelb")
    with open(bundle_path, "rb") as f:
        head = f.read(16)
        text = f.read(int.from_bytes(head[8:12], "little")).decode()
    before, t0 = SENT["bytes"], time.time()
    for part, seed in seeds.items():
        m = re.search(rf"^chunked {part} (\d+) (\d+) ", text, re.M)
        index = os.path.join(work, f"{name}-{part}.caibx")
        with open(bundle_path, "rb") as f, open(index, "wb") as g:
            f.seek(int(m.group(1)))
            g.write(f.read(int(m.group(2))))
        out = os.path.join(work, f"{name}-{part}.out")
        if os.path.exists(out):
            os.unlink(out)
        subprocess.run(["casync", "extract", f"--seed={seed}",
                        f"--store=http://127.0.0.1:{port}/{name}.castr",
                        index, out], check=True, capture_output=True)
    return SENT["bytes"] - before, time.time() - t0


def delta_rounds(m, work, url, port, running):
    """Full and delta installs of v2 (one binary) and v3 (nothing)."""
    for name, version, edit in (("v2", "999.2", new_netd),
                                ("v3", "999.3", None)):
        img, verity = image_root(work, name, version, edit)
        full = bundle(work, name, version, img, verity, delta=True)
        size = os.path.getsize(full)
        res = {}
        for kind, path in (("full", f"{name}.keelb"),
                           ("delta", f"{name}-delta.keelb")):
            before = SENT["bytes"]
            took, out = timed(m, f"imagectl os update --force --no-reboot "
                                 f"{url}/{path} | tail -n 2")
            if "installed keel" not in out:
                raise SystemExit(f"{name} {kind}: {out}")
            res[kind] = (SENT["bytes"] - before, took)
        ca = casync_extract(work, port, name, running)
        what = "one binary of 150 KB" if edit else "nothing but its version"
        print(f"delta {name} ({what} changed): full bundle {size / 1e6:.2f} MB")
        for kind, (b, s) in res.items():
            print(f"  {kind:6s} install: {b / 1e6:8.3f} MB fetched "
                  f"({100 * b / size:5.1f}% of the full bundle), {s:6.2f} s "
                  f"in the guest")
        print(f"  casync extract --seed (host): {ca[0] / 1e6:8.3f} MB "
              f"fetched, {ca[1]:6.2f} s")
        goal = 10 if edit else 1
        print(f"  goals: bytes < {goal}% of the full bundle: "
              f"{100 * res['delta'][0] / size:.2f}%; delta install under the "
              f"full one's: {res['delta'][1]:.2f} s vs {res['full'][1]:.2f} s")


def running_parts(work):
    """The image's root data, kernel and initramfs: casync's seeds."""
    images = keelvm.images_dir()
    with open(os.path.join(images, "root.verity")) as f:
        blocks = int(f.read().strip().split(":")[1])
    data = os.path.join(work, "running-root.data")
    with open(os.path.join(images, "root.img"), "rb") as f, \
            open(data, "wb") as g:
        g.write(f.read(blocks * 4096))
    return {"root": data, "kernel": kernel(),
            "initramfs": os.path.join(images, "initramfs.cpio.gz")}


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as work:
        img, data, verity = random_root(work)
        big = bundle(work, "big", "999.0", img, verity)
        httpd, port = serve(work)
        url = f"http://10.0.2.2:{port}"
        disk = keelvm.copy_disk(os.path.join(work, "disk.img"))
        drives = []
        for path in (big, data):
            drives += ["-drive", f"if=virtio,format=raw,readonly=on,file={path}"]
        m = keelvm.Machine(disk, work, extra_args=drives).start()
        try:
            m.wait_ready()
            t = full_rounds(m, rounds, url)
            report_full(t)
            delta_rounds(m, work, url, port, running_parts(work))
        finally:
            m.kill()
            httpd.shutdown()


if __name__ == "__main__":
    main()
