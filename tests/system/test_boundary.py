"""The container boundary, tried as an attacker in an ordinary pod would:
each check below is an attack that once worked on a booted keel host
(issue 16) and must not any more. One boot checks them all; every breach
is collected and reported together, so a regression shows each way out
at once."""
import os
import re
import shutil

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
    mountPath, readOnly) tuples; source is a hostPath or "emptyDir"."""
    spec, mounts = "  volumes:\n", "    volumeMounts:\n"
    for name, source, path, ro in vols:
        spec += f"  - name: {name}\n"
        spec += "    emptyDir: {}\n" if source == "emptyDir" else \
            f"    hostPath:\n      path: {source}\n"
        mounts += f"    - name: {name}\n      mountPath: {path}\n"
        if ro:
            mounts += "      readOnly: true\n"
    return spec, mounts


def ctr_pid(m, pod):
    out = m.check(f"imagectl describe {pod}")
    return int(re.search(r"running, pid (\d+)", out).group(1))


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
        put(m, "/run/web.yaml", manifest("web", HTTPD))
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
            wait_for(m, f"imagectl describe {pod}", "running, pid",
                     timeout=240)

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

        # 5. the kernel's OOM killer takes a pod before keel's daemons
        pids = {svc: m.check(f"head -n 1 /sys/fs/cgroup/system/{svc}/"
                             "cgroup.procs").strip()
                for svc in ("netd", "imaged")}
        pids.update(init="1", pod=ctr_pid(m, "web"))
        scores = {who: m.check(f"cat /proc/{pid}/oom_score_adj").strip()
                  for who, pid in pids.items()}
        if scores != dict(netd="-900", imaged="-900", init="-900", pod="0"):
            breaches.append(f"oom_score_adj: {scores}")

        # 6. root in a container drives no control socket, whatever is
        # bind-mounted: a read-only hostPath of /run brings the sockets
        for sock, verb in (("imaged", "pods"), ("netd", "status"),
                           ("init", "status")):
            out = m.run(f"{ex} probe ctl /hostrun/{sock}.sock {verb}")[1]
            # (a request sent after the refusal began fails to send)
            refused(f"{verb} on {sock}.sock from a pod", out,
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
