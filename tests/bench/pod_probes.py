#!/usr/bin/env python3
"""imaged's own cost of probing: 20 pods, each with a readinessProbe
(httpGet) and a livenessProbe (tcpSocket) every 2 s, once they all run
and are ready: the daemon's resident memory (goal: under 4 MiB) and the
CPU it uses over a minute (goal: under 1% of one core).

    pod_probes.py [PODS]     (default 20)

Boots the built disk.img (TCG: CPU time is emulated, so slower than on
hardware, never faster) with a busybox image preloaded into imaged's
store. The probes are imaged's own sockets, driven by its event loop: no
process per probe. The kubelet's cost for the same is not measured here:
there is no kubelet in the image nor on the build host to run beside it.
"""
import os
import re
import shutil
import sys
import tempfile
import time
import pathlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import keelvm  # noqa: E402
from pod_start import boot_preloaded, memory_kb, run  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = "docker.io/bench/busybox:1"

POD = """apiVersion: v1
kind: Pod
metadata: {{name: probed-{n}}}
spec:
  containers:
  - name: web
    image: {image}
    command: [/bin/httpd, -f, -p, "80", -h, /www]
    readinessProbe:
      httpGet: {{path: /index.html, port: 80}}
      periodSeconds: 2
    livenessProbe:
      tcpSocket: {{port: 80}}
      periodSeconds: 2
"""


def make_data(data, tmp):
    base = tmp / "rootfs"
    (base / "bin").mkdir(parents=True)
    shutil.copy(keelvm.busybox() or "/bin/busybox", base / "bin" / "busybox")
    for applet in ("sh", "httpd", "sleep"):
        os.symlink("busybox", base / "bin" / applet)
    # busybox httpd answers a folder without an index 404: not ready
    (base / "www").mkdir()
    (base / "www" / "index.html").write_text("ready\n")
    oci = tmp / "oci"
    run("umoci", "init", "--layout", str(oci))
    run("umoci", "new", "--image", f"{oci}:1")
    run("umoci", "insert", "--image", f"{oci}:1", str(base), "/")
    preload = data / "lib" / "keel" / "preload"
    preload.mkdir(parents=True)
    run("skopeo", "copy", f"oci:{oci}:1",
        f"docker-archive:{preload}/bench.tar:bench/busybox:1")


def cpu_ticks(m, pid):
    """(utime, stime) of pid, in USER_HZ ticks"""
    f = m.check(f"cat /proc/{pid}/stat").rsplit(")", 1)[1].split()
    return int(f[11]), int(f[12])


def main():
    pods = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    images = keelvm.images_dir()
    with tempfile.TemporaryDirectory() as work:
        tmp = pathlib.Path(work)
        data = tmp / "data"
        make_data(data, tmp)
        m = boot_preloaded(images, work, data, IMAGE)
        try:
            for n in range(pods):
                text = POD.format(n=n, image=IMAGE)
                lines = " ".join(f"'{ln}'" for ln in text.strip().split("\n"))
                m.check(f"printf '%s\\n' {lines} | imagectl apply -f -")
            deadline = time.time() + 600
            while len(re.findall(r"\s1/1\s+Running",
                                 m.check("imagectl pods"))) < pods:
                assert time.time() < deadline, m.check("imagectl pods")
                time.sleep(2)
            time.sleep(10)  # settled: every probe has run a few times
            pid = m.check("head -n 1 /sys/fs/cgroup/system/imaged/"
                          "cgroup.procs").strip()
            hz = 100  # USER_HZ: what /proc/PID/stat counts in, always
            t0, before = time.time(), cpu_ticks(m, pid)
            time.sleep(60)
            t1, after = time.time(), cpu_ticks(m, pid)
            daemon = memory_kb(m, "/sys/fs/cgroup/system/imaged/cgroup.procs")
            probes = 2 * pods * (t1 - t0) / 2
            user, system = (a - b for a, b in zip(after, before))
            cpu = (user + system) / hz / (t1 - t0) * 100
            print(f"{pods} pods, each a readiness (httpGet) and a liveness "
                  f"(tcpSocket) probe every 2 s:")
            print(f"  imaged daemon Rss {daemon[0][0]} KiB (goal < 4096), "
                  f"Pss {daemon[0][1]} KiB")
            print(f"  imaged CPU over {t1 - t0:.0f} s: {cpu:.2f}% of one core "
                  f"(goal < 1%), about {probes:.0f} probes "
                  f"({(user + system) / hz * 1e6 / probes:.0f} us each, "
                  f"TCG)")
            # the kernel's share: the TCP exchanges with the pods, which
            # any prober pays (a kubelet too), not imaged's own code
            print(f"  of which user {user / hz / (t1 - t0) * 100:.2f}%, "
                  f"kernel {system / hz / (t1 - t0) * 100:.2f}%")
            print("  the kubelet's cost for the same: not measured (no "
                  "kubelet to run beside it here)")
        finally:
            m.kill()


if __name__ == "__main__":
    main()
