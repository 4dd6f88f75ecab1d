"""The container boundary, tried as an attacker in an ordinary pod would:
each check below is an attack that once worked on a booted keel host
(issue 16) and must not any more. One boot checks them all; every breach
is collected and reported together, so a regression shows each way out
at once."""
import os
import re
import shutil
import time

import pytest

import keelvm
from test_pods import IMAGE, manifest, put, registry, wait_for  # noqa: F401

pytestmark = pytest.mark.skipif(
    not keelvm.have_qemu() or not shutil.which("docker-registry")
    or not shutil.which(keelvm.musl_gcc()) or not keelvm.busybox(),
    reason="needs qemu, docker-registry, a musl compiler and the static "
    "busybox of the guest's arch (make test-busybox)")

SLEEP = '["/bin/sleep", "3600"]'
HTTPD = '["/bin/httpd", "-f", "-p", "80", "-h", "/www"]'


def volumes(*vols):
    """spec.volumes and the container's volumeMounts for (name, source,
    mountPath, readOnly) tuples; source is a hostPath, "emptyDir" or
    "Memory" (an emptyDir in memory)."""
    spec, mounts = "  volumes:\n", "    volumeMounts:\n"
    for name, source, path, ro in vols:
        spec += f"  - name: {name}\n" + (
            "    emptyDir: {}\n" if source == "emptyDir" else
            "    emptyDir:\n      medium: Memory\n" if source == "Memory"
            else f"    hostPath:\n      path: {source}\n")
        mounts += f"    - name: {name}\n      mountPath: {path}\n"
        if ro:
            mounts += "      readOnly: true\n"
    return spec, mounts


def running(out, ctr):
    """Container ctr's pid in imagectl describe's output, or None."""
    r = re.search(rf"  {ctr}:\n(?:    .*\n)*?    State:\s+Running, pid (\d+)",
                  out)
    return int(r.group(1)) if r else None


def ctr_pid(m, pod, ctr=None):
    return running(m.check(f"imagectl describe {pod}"), ctr or pod)


def wait_running(m, pod, ctr=None, timeout=240):
    deadline = time.time() + timeout
    while True:
        rc, out = m.run(f"imagectl describe {pod}")
        if rc == 0 and running(out, ctr or pod):
            return
        if time.time() > deadline:
            pytest.fail(f"{pod} {ctr or pod} never ran: {out}")
        time.sleep(1)


def test_container_boundary(registry, workdir):  # noqa: F811
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    breaches = []

    def refused(what, out, *want):
        """The attack's output must show it was refused (one of want)."""
        if not any(w in out for w in want):
            breaches.append(f"{what}: {out.strip()[:300]!r}")

    try:
        m.wait_ready()
        # (stdin: its shim listens for imagectl attach, attacked in 7)
        put(m, "/run/web.yaml", manifest("web", HTTPD,
                                         ctr_extra="    stdin: true\n"))
        spec, mounts = volumes(("root", "/", "/host", True),
                               ("run", "/run", "/hostrun", True))
        put(m, "/run/ro.yaml", manifest("ro", SLEEP, extra=spec,
                                        ctr_extra=mounts))
        spec, mounts = volumes(("data", "emptyDir", "/data", False))
        put(m, "/run/suid.yaml", manifest("suid", SLEEP, extra=spec,
                                          ctr_extra=mounts))
        for pod in ("web", "ro", "suid"):
            m.check(f"imagectl apply -f /run/{pod}.yaml")
        for pod in ("web", "ro", "suid"):
            wait_running(m, pod)

        # 1. exec without -t: the program must not get the admin's
        # terminal, or TIOCSTI types a line into the root shell that runs
        # once imagectl returns
        out = m.run("imagectl exec web -- probe tiocsti "
                    "'touch /tmp/tiocsti-pwned'")[1]
        m.sync_shell()
        if m.run("test -e /tmp/tiocsti-pwned")[0] == 0:
            breaches.append(f"TIOCSTI from exec typed into the host's "
                            f"shell: {out.strip()!r}")
        refused("TIOCSTI through /dev/tty", out, "No such device")
        # its stdio are pipes imagectl relays, exit code and all
        assert m.check("echo relayed | imagectl exec web -- cat").strip() \
            == "relayed"
        assert m.run("imagectl exec web -- sh -c 'exit 3'")[0] == 3
        assert m.check("imagectl exec web -- sh -c 'echo to-stderr >&2' "
                       "2>/dev/null").strip() == ""
        refused("exec's stdin", m.check("imagectl exec web -- readlink "
                                        "/proc/self/fd/0"), "pipe:")

        # 2. exec passes none of the caller's descriptors
        fds = m.check("sh -c 'exec 7</etc/os-release; "
                      "imagectl exec web -- ls /proc/self/fd'").split()
        if "7" in fds:
            breaches.append(f"the caller's fd 7 reached the container: "
                            f"{fds}")

        # 3. a read-only hostPath is read-only all the way down: its
        # submounts (/var, /run, /proc/sys, /sys/fs/cgroup) too
        ex = "imagectl exec ro --"
        for what, cmd in (
                ("/var", "touch /host/var/ro-pwned"),
                ("/run", "touch /host/run/ro-pwned"),
                ("/proc/sys", "sh -c 'cat /host/proc/sys/kernel/core_pattern"
                 " >/host/proc/sys/kernel/core_pattern'"),
                ("/sys/fs/cgroup",
                 "sh -c 'mkdir /host/sys/fs/cgroup/ro-pwned'")):
            refused(f"write under a read-only hostPath / into {what}",
                    m.run(f"{ex} {cmd}")[1], "Read-only file system")
        m.run("rm -f /var/ro-pwned /run/ro-pwned; "
              "rmdir /sys/fs/cgroup/ro-pwned")

        # 4. a file a container made is not a host user's to reach or
        # run: a setuid-root copy of the probe in an emptyDir
        m.check("imagectl exec suid -- sh -c "
                "'cp /bin/probe /data/p && chmod 4755 /data/p'")
        # the probe on the host, to act as an unprivileged host user
        m.check("imagectl exec suid -- cat /bin/probe >/run/hprobe && "
                "chmod 755 /run/hprobe")
        nobody = "/run/hprobe runas 65534"
        vol = "/var/lib/keel/containers/suid/volumes/data"
        refused("a host user runs a container's setuid file",
                m.run(f"{nobody} {vol}/p euid")[1], "Permission denied")
        refused("a host user lists the containers' files",
                m.run(f"{nobody} /bin/ls /var/lib/keel/containers")[1],
                "Permission denied")
        # and where root put it within reach, /var is nosuid
        out = m.run(f"mkdir -p /var/suid && cp -p {vol}/p /var/suid/p && "
                    f"chmod 755 /var/suid && {nobody} /var/suid/p euid")[1]
        refused("a setuid file on /var", out, "65534")
        m.run("rm -rf /var/suid")

        # pidof imaged is the daemon alone: each container's shim is a
        # program of its own name (kill -9 $(pidof imaged) kills no pod)
        daemon = m.check("head -n 1 /sys/fs/cgroup/system/imaged/"
                         "cgroup.procs").split()
        assert m.check("pidof imaged").split() == daemon
        assert len(m.check("pidof keel-shim").split()) == 3
        assert m.check("readlink /proc/$(pidof keel-shim | cut -d' ' -f1)"
                       "/exe").strip() == "/sbin/keel-shim"

        # 5. the kernel's OOM killer takes a pod before keel's daemons
        pids = {svc: m.check(f"head -n 1 /sys/fs/cgroup/system/{svc}/"
                             "cgroup.procs").strip()
                for svc in ("netd", "imaged")}
        pids.update(init="1", pod=ctr_pid(m, "web"))
        scores = {who: m.check(f"cat /proc/{pid}/oom_score_adj").strip()
                  for who, pid in pids.items()}
        if scores != dict(netd="-900", imaged="-900", init="-900", pod="0"):
            breaches.append(f"oom_score_adj: {scores}")

        # imagectl run: a network namespace of its own, as a pod's, unless
        # it asks for the host's
        host_net = m.check("readlink /proc/self/ns/net").strip()
        run = f"imagectl run {IMAGE} readlink /proc/self/ns/net"
        out = m.check(run, timeout=120).strip()
        if out == host_net:
            breaches.append(f"imagectl run is in the host's network "
                            f"namespace: {out}")
        assert m.check(run.replace("run ", "run --net=host ", 1),
                       timeout=120).strip() == host_net
        out = m.check(f"imagectl run --host-users=false {IMAGE} cat "
                      "/proc/self/uid_map", timeout=120).split()
        assert out[:1] == ["0"] and int(out[1]) >= 65536, out
        rc, out = m.run(f"imagectl run --net=host --host-users=false {IMAGE}"
                        " /bin/true")
        assert rc == 1 and "cannot go with --net=host" in out, out
        # each run's namespaces and address are let go
        assert m.check("ls /run/imaged/pods").split() == \
            ["ro", "suid", "web"]

        # 6. hostUsers: false, a user namespace of its own: container
        # root is an unprivileged host id, the image's files are its
        # through idmapped layers, and it still serves
        spec, mounts = volumes(("data", "emptyDir", "/data", False),
                               ("mem", "Memory", "/mem", False))
        put(m, "/run/users.yaml", manifest(
            "users", HTTPD, extra="  hostUsers: false\n" + spec,
            ctr_extra=mounts) + f"""  - name: hold
    image: {IMAGE}
    command: ["/bin/probe", "hold"]
    securityContext:
      runAsUser: 1000
""")
        m.check("imagectl apply -f /run/users.yaml")
        for ctr in ("users", "hold"):
            wait_running(m, "users", ctr)
        base = int(m.check("cat /var/lib/keel/containers/users/userns"))
        assert base >= 65536 and base % 65536 == 0, base
        ux = "imagectl exec users -c users --"
        assert m.check(f"{ux} cat /proc/self/uid_map").split() == \
            ["0", str(base), "65536"]
        # root inside, an unprivileged id outside
        assert m.check(f"{ux} probe euid").strip() == "0"
        host = m.check(f"grep Uid /proc/{ctr_pid(m, 'users')}/status")
        assert host.split()[1:] == [str(base)] * 4, host
        # the layer's setuid-root probe, run by uid 1000: nothing, in
        # the pod or on the host
        host = m.check(f"grep Uid /proc/{ctr_pid(m, 'users', 'hold')}/"
                       "status")
        assert host.split()[1:] == [str(base + 1000)] * 4, host
        # the image's files are its root's, through the idmapped layers
        assert m.check(f"{ux} sh -c 'stat -c %u /bin/busybox'").strip() \
            == "0"
        # what it writes is an unprivileged host id's, disk or memory
        m.check(f"{ux} sh -c 'echo x >/data/f; echo y >/mem/f'")
        vols = "/var/lib/keel/containers/users/volumes"
        assert m.check(f"stat -c %u {vols}/data/f {vols}/mem/f").split() \
            == [str(base)] * 2
        # its own network: it binds port 80 and serves
        ip = m.check("imagectl pods | grep '^users '").split()[-1]
        assert "served" in wait_for(m, f"wget -qO- http://{ip}/", "served",
                                    timeout=30)
        refused("mount in a user namespace pod",
                m.check(f"{ux} probe mount"), "Operation not permitted")

        # a restarted imaged keeps its ids, and so does the next start
        m.check("kill -9 $(head -n 1 /sys/fs/cgroup/system/imaged/"
                "cgroup.procs)")
        wait_running(m, "users", timeout=60)
        assert m.check(f"{ux} cat /proc/self/uid_map").split()[1] == \
            str(base)
        m.check("imagectl stop users", timeout=60)
        m.check("imagectl start users")
        wait_running(m, "users", timeout=120)
        assert int(m.check("cat /var/lib/keel/containers/users/userns")) \
            == base
        assert m.check(f"{ux} cat /data/f").strip() == "x"

        # default_host_users = false (the ESP's settings): a pod that
        # needs no host ids gets a namespace, one with a hostPath not
        m.check("mount -o remount,rw /boot && printf "
                "'default_host_users = false\\n' >>/boot/config/update.conf"
                " && mount -o remount,ro /boot")
        m.check("kill $(head -n 1 /sys/fs/cgroup/system/imaged/"
                "cgroup.procs)")
        put(m, "/run/plain.yaml", manifest("plain", SLEEP))
        wait_for(m, "imagectl apply -f /run/plain.yaml", "created",
                 timeout=60)
        wait_running(m, "plain", timeout=120)
        other = int(m.check("cat /var/lib/keel/containers/plain/userns"))
        assert other >= 65536 and other != base, (other, base)
        assert m.check("imagectl exec plain -- cat /proc/self/uid_map")\
            .split()[:2] == ["0", str(other)]
        assert m.check("imagectl exec ro -- cat /proc/self/uid_map")\
            .split()[:2] == ["0", "0"]

        # 7. root in a container drives no control socket, whatever is
        # bind-mounted: a read-only hostPath of /run brings the sockets
        for sock, verb in (("imaged", "pods"), ("netd", "status"),
                           ("init", "status")):
            out = m.run(f"{ex} probe ctl /hostrun/{sock}.sock {verb}")[1]
            # (a request sent after the refusal began fails to send)
            refused(f"{verb} on {sock}.sock from a pod", out,
                    "answer 1 permission denied", "Broken pipe")
        # nor a shim's attach socket (in a folder root's alone): the
        # container's stdin and output
        out = m.run(f"{ex} probe ctl "
                    "/hostrun/imaged/pods/web/web/attach/sock x")[1]
        refused("the attach socket of a pod from a pod", out,
                "answer 1 permission denied", "Broken pipe")
        for log in ("init", "imaged", "netd"):
            refused(f"{log}'s log line for the refusal",
                    m.check(f"cat /var/log/{log}.log"),
                    "refused a control request from pid ")
        # last: on a host that takes it, this ends the boot
        try:
            out = m.run(f"{ex} probe ctl /hostrun/init.sock poweroff")[1]
            refused("poweroff on init.sock from a pod", out,
                    "answer 1 permission denied", "Broken pipe")
            m.check("echo still up")
        except Exception as e:  # the host went down: the worst breach
            breaches.append(f"poweroff from a pod took the host down: {e}")
        assert not breaches, "the boundary leaks:\n" + "\n".join(breaches)
    finally:
        m.kill()
