#!/usr/bin/env python3
"""imaged's own cost of probing: 20 pods, each with a readinessProbe
(httpGet) and a livenessProbe (tcpSocket) every 2 s, once they all run
and are ready: the daemon's resident memory (goal: under 4 MiB) and the
CPU it uses over a minute (goal: under 1% of one core).

    pod_probes.py KUBEPROBE HARNESS [PODS]     (PODS: 20 when not given)

Boots the built disk.img (TCG: CPU time is emulated, so slower than on
hardware, never faster) with a busybox image preloaded into imaged's
store. The probes are imaged's own sockets, driven by its event loop: no
process per probe.

Side by side, over the same minute in the same guest: KUBEPROBE
(tests/bench/kubeprobe: the kubelet's own probe packages, run as its
probe workers run them) probes the same 20 pods the same way, from the
same host network namespace. No kubelet can run whole here (Debian 12
packages only kubectl, and a kubelet needs a CRI runtime keel has not),
so that is the least the kubelet spends on the same probes.

Then the same side by side natively, on the build host, where a core is
a core: HARNESS (tests/bench/probe_harness.c: imaged's own probes.c and
handler.c in a loop like imaged's) and KUBEPROBE each probe 20 busybox
httpd servers, one per network namespace on a bridge, as pods are, for
a minute each. The namespaces are made inside one of the bench's own
(unshare --net) and go with it.
"""
import json
import os
import re
import shutil
import signal
import subprocess
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


def make_data(data, tmp, kubeprobe=None):
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
    if kubeprobe:
        shutil.copy(kubeprobe, data / "kubeprobe")  # /var/kubeprobe


def cpu_ticks(m, pid):
    """(utime, stime) of pid, in USER_HZ ticks"""
    f = m.check(f"cat /proc/{pid}/stat").rsplit(")", 1)[1].split()
    return int(f[11]), int(f[12])


HZ = 100  # USER_HZ: what /proc/PID/stat counts in, always


def share(ticks, secs):
    """ticks of CPU over secs, as a percentage of one core"""
    return ticks / HZ / secs * 100


NATIVE_SECONDS = 60


def sh(*argv):
    subprocess.run(argv, check=True)


def native_pods(pods, www, out):
    """pods network namespaces on a bridge, each with busybox httpd on
    port 80 serving www, into out: [(Popen, address)], as they are made
    (stop() them, even when this fails). Call inside a namespace of the
    bench's own: the bridge and the veths go with it."""
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "kbr0", "type", "bridge")
    sh("ip", "addr", "add", "10.99.0.1/16", "dev", "kbr0")
    sh("ip", "link", "set", "kbr0", "up")
    own = os.readlink("/proc/self/ns/net")
    for n in range(pods):
        # unshare execs httpd in the new namespace, in a session of its
        # own: stop() kills it and its child per connection at once
        srv = subprocess.Popen(["unshare", "--net", "--", keelvm.busybox()
                                or "/bin/busybox", "httpd", "-f", "-p", "80",
                                "-h", str(www)], start_new_session=True)
        out.append((srv, None))
        # until unshare has run, the pid is still in this namespace
        while os.readlink(f"/proc/{srv.pid}/ns/net") == own:
            assert srv.poll() is None, "unshare --net failed"
            time.sleep(0.01)
        ip = f"10.99.{1 + n // 250}.{1 + n % 250}"
        sh("ip", "link", "add", f"kh{n}", "type", "veth", "peer", "name",
           "eth0", "netns", str(srv.pid))
        sh("ip", "link", "set", f"kh{n}", "master", "kbr0", "up")
        sh("nsenter", "-t", str(srv.pid), "-n", "sh", "-ec",
           f"ip link set lo up; ip addr add {ip}/16 dev eth0; "
           f"ip link set eth0 up; ip route add default via 10.99.0.1")
        out[-1] = (srv, ip)


def stop(servers):
    for srv, _ in servers:
        os.killpg(srv.pid, signal.SIGKILL)
        srv.wait()


def timed(argv):
    """Run argv to its end: (its output, its CPU seconds user, system)"""
    with tempfile.TemporaryFile("w+") as out:
        # its log (every pod ready...) is kept for a failure alone
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(proc.pid, 0)
        out.seek(0)
        text = out.read().strip()
    assert os.waitstatus_to_exitcode(status) == 0, f"{argv[0]}: {text}"
    return text.splitlines()[-1], ru.ru_utime, ru.ru_stime


def native(kubeprobe, harness, pods):
    """Inside the bench's own network namespace (see main)"""
    with tempfile.TemporaryDirectory() as work:
        www = pathlib.Path(work) / "www"
        www.mkdir()
        (www / "index.html").write_text("ready\n")
        spec = pathlib.Path(work) / "pod.yaml"
        spec.write_text(POD.format(n=0, image=IMAGE))
        servers = []
        try:
            native_pods(pods, www, servers)
            time.sleep(1)
            hout, huser, hsys = timed(
                [harness, str(spec), str(NATIVE_SECONDS)] +
                [ip for _, ip in servers])
            kout, kuser, ksys = timed(
                [kubeprobe, str(NATIVE_SECONDS), "2"] +
                [ip for _, ip in servers])
        finally:
            stop(servers)
    assert f"{pods} of {pods} pods ready, 0 tries failed" in hout, hout
    assert re.search(r"kubeprobe: [1-9]\d* succeeded, 0 failed", kout), kout
    cpu = (huser + hsys) / NATIVE_SECONDS * 100
    kcpu = (kuser + ksys) / NATIVE_SECONDS * 100
    print(f"natively on the build host, the same {pods} pods and probes, "
          f"{NATIVE_SECONDS} s each:")
    print(f"  imaged's probes:  {cpu:5.3f}% of one core (user "
          f"{huser / NATIVE_SECONDS * 100:.3f}%, kernel "
          f"{hsys / NATIVE_SECONDS * 100:.3f}%) (goal < 1%)")
    print(f"  kubelet probers:  {kcpu:5.3f}% of one core (user "
          f"{kuser / NATIVE_SECONDS * 100:.3f}%, kernel "
          f"{ksys / NATIVE_SECONDS * 100:.3f}%)")
    print(f"  imaged / kubelet probers: {cpu / kcpu:.2f}")


def main():
    if sys.argv[1:2] == ["--native"]:
        native(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if len(sys.argv) < 3 or not all(os.access(a, os.X_OK)
                                    for a in sys.argv[1:3]):
        sys.exit("usage: pod_probes.py KUBEPROBE HARNESS [PODS] (make "
                 "bench builds both)")
    kubeprobe, harness = sys.argv[1:3]
    pods = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    images = keelvm.images_dir()
    with tempfile.TemporaryDirectory() as work:
        tmp = pathlib.Path(work)
        data = tmp / "data"
        make_data(data, tmp, kubeprobe)
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
            ips = [json.loads(m.check(f"imagectl get pod probed-{n} -o json"))
                   ["status"]["podIP"] for n in range(pods)]
            # the kubelet's probers, on the same pods from the same place,
            # for the minute measured and the settling before it
            m.check(f"cp /var/kubeprobe /run/kubeprobe && "
                    f"(/run/kubeprobe 80 2 {' '.join(ips)} "
                    f">/run/kubeprobe.out 2>&1 & echo $! >/run/kubeprobe.pid)")
            time.sleep(10)  # settled: every probe has run a few times
            pid = m.check("head -n 1 /sys/fs/cgroup/system/imaged/"
                          "cgroup.procs").strip()
            kpid = m.check("cat /run/kubeprobe.pid").strip()
            t0 = time.time()
            before, kbefore = cpu_ticks(m, pid), cpu_ticks(m, kpid)
            time.sleep(60)
            after, kafter = cpu_ticks(m, pid), cpu_ticks(m, kpid)
            secs = time.time() - t0
            daemon = memory_kb(m, "/sys/fs/cgroup/system/imaged/cgroup.procs")
            krss = memory_kb_pid(m, kpid)
            deadline = time.time() + 60
            while "kubeprobe:" not in m.check("cat /run/kubeprobe.out"):
                assert time.time() < deadline, "kubeprobe never ended"
                time.sleep(2)
            kout = m.check("cat /run/kubeprobe.out").strip()
            ok = re.search(r"kubeprobe: (\d+) succeeded, (\d+) failed", kout)
            assert ok and int(ok.group(1)) > 0, kout
            probes = 2 * pods * secs / 2
            user, system = (a - b for a, b in zip(after, before))
            kuser, ksystem = (a - b for a, b in zip(kafter, kbefore))
            cpu, kcpu = share(user + system, secs), share(kuser + ksystem, secs)
            print(f"{pods} pods, each a readiness (httpGet) and a liveness "
                  f"(tcpSocket) probe every 2 s, over {secs:.0f} s (TCG):")
            print(f"  imaged daemon Rss {daemon[0][0]} KiB (goal < 4096), "
                  f"Pss {daemon[0][1]} KiB; kubelet probers Rss {krss} KiB")
            print(f"  imaged:           {cpu:5.2f}% of one core (user "
                  f"{share(user, secs):.2f}%, kernel "
                  f"{share(system, secs):.2f}%), "
                  f"{(user + system) / HZ * 1e6 / probes:.0f} us a probe")
            print(f"  kubelet probers:  {kcpu:5.2f}% of one core (user "
                  f"{share(kuser, secs):.2f}%, kernel "
                  f"{share(ksystem, secs):.2f}%), "
                  f"{(kuser + ksystem) / HZ * 1e6 / probes:.0f} us a probe "
                  f"({kout.split(': ', 1)[1]} over 80 s)")
            print(f"  imaged / kubelet probers: {cpu / kcpu:.2f} "
                  f"(user alone {user / max(kuser, 1):.2f})")
        finally:
            m.kill()
    # its own network namespace: every veth and bridge goes with it
    sh("unshare", "--net", sys.executable, os.path.abspath(__file__),
       "--native", kubeprobe, harness, str(pods))


def memory_kb_pid(m, pid):
    """Rss of one process, KiB"""
    st = m.check(f"cat /proc/{pid}/smaps_rollup")
    return int(re.search(r"\nRss:\s+(\d+)", st).group(1))


if __name__ == "__main__":
    main()
