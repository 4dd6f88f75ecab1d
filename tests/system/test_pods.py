"""Pods in the booted image: Kubernetes Pod manifests applied with
imagectl, run by imaged's own runtime from an image pulled from the
distribution's docker-registry on the host, then checked from outside
(pod IP, cgroups) and from inside (imagectl exec) for the confinement a
container must have, the limits, and survival of imaged's death and a
reboot."""
import os
import re
import shutil
import subprocess
import time

import pytest

import keelvm
from test_hostport import fetch, free_port
from test_images import PORT, new_image, serve_registry

pytestmark = pytest.mark.skipif(
    not keelvm.have_qemu() or not shutil.which("docker-registry")
    or not shutil.which(keelvm.musl_gcc()) or not keelvm.busybox(),
    reason="needs qemu, docker-registry, a musl compiler and the static "
    "busybox of the guest's arch (make test-busybox)")

IMAGE = f"10.0.2.2:{PORT}/test/web:1"

# What a container may try: each prints "ok" or the error it got.
PROBE_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
static int say(int r) { puts(r ? strerror(errno) : "ok"); return 0; }
/* a request to a keel control socket, as initctl sends it */
static int ctl(const char *path, char **words)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char req[512], ans[8192];
	size_t n = 0;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) return say(-1);
	for (; *words; words++) n += snprintf(req + n, sizeof(req) - n, "%s", *words) + 1;
	if (send(fd, req, n - 1, 0) < 0) return say(-1);
	ssize_t got = recv(fd, ans, sizeof(ans) - 1, 0);
	if (got <= 0) return puts(got ? strerror(errno) : "closed"), 0;
	ans[got] = 0;
	return printf("answer %c %s\n", ans[0], ans + 1) < 0;
}
int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "euid")) return printf("%d\n", (int)geteuid()) < 0;
	/* type a line into the input of the controlling terminal */
	if (!strcmp(what, "tiocsti") && argc == 3) {
		int fd = open("/dev/tty", O_RDWR);
		if (fd < 0) return say(-1);
		for (const char *c = argv[2]; *c; c++)
			if (ioctl(fd, TIOCSTI, c)) return say(-1);
		return say(ioctl(fd, TIOCSTI, "\n"));
	}
	if (!strcmp(what, "ctl") && argc > 3) return ctl(argv[2], argv + 3);
	/* stay, as whoever exec made us */
	if (!strcmp(what, "hold")) for (;;) pause();
	/* the host side: run a program as an unprivileged uid */
	if (!strcmp(what, "runas") && argc > 3) {
		gid_t g = atoi(argv[2]);
		if (setgroups(1, &g) || setgid(g) || setuid(atoi(argv[2])))
			return say(-1);
		execv(argv[3], argv + 3);
		return say(-1);
	}
	if (!strcmp(what, "mount")) return say(mount("t", "/tmp", "tmpfs", 0, 0));
	if (!strcmp(what, "module")) return say(syscall(SYS_init_module, "", 0, ""));
	if (!strcmp(what, "unshare")) return say(unshare(CLONE_NEWNS));
	if (!strcmp(what, "sysctl"))
		return say(open("/proc/sys/kernel/hostname", O_WRONLY) < 0 ? -1 : 0);
	return 2;
}
"""


def build_image(tmp_path):
    """busybox, a web root, and a setuid-root probe program."""
    oci = tmp_path / "oci"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    new_image(oci, "1")
    base = tmp_path / "rootfs"
    for d in ("bin", "www", "etc", "tmp"):
        (base / d).mkdir(parents=True)
    shutil.copy(keelvm.busybox(), base / "bin" / "busybox")
    for applet in ("sh", "httpd", "cat", "ls", "touch", "tail", "sleep",
                   "grep", "id", "echo", "wget", "hostname", "readlink",
                   "yes", "head", "tty", "mkdir"):
        os.symlink("busybox", base / "bin" / applet)
    (base / "www" / "index.html").write_text("served by a keel pod\n")
    (base / "etc" / "passwd").write_text(
        "root:x:0:0:root:/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n")
    (base / "etc" / "group").write_text("root:x:0:\napp:x:1000:\n")
    src = tmp_path / "probe.c"
    src.write_text(PROBE_C)
    run(keelvm.musl_gcc(), "-static", "-O2", "-o", str(base / "bin" / "probe"),
        str(src))
    os.chmod(base / "bin" / "probe", 0o4755)
    os.chmod(base / "tmp", 0o1777)
    run("umoci", "insert", "--image", f"{oci}:1", str(base), "/")
    return oci


@pytest.fixture
def registry(tmp_path):
    yield from serve_registry(tmp_path, build_image(tmp_path), "test/web")


def put(m, path, text):
    """A file in the guest, line by line through printf."""
    lines = " ".join(f"'{line}'" for line in text.strip("\n").split("\n"))
    m.check(f"printf '%s\\n' {lines} > {path}")


def manifest(name, command, extra="", ctr_extra="", policy="Always"):
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: {policy}
{extra}  containers:
  - name: {name}
    image: {IMAGE}
    command: {command}
{ctr_extra}"""


def wait_for(m, command, want, timeout=120):
    deadline = time.time() + timeout
    while True:
        rc, out = m.run(command)
        if rc == 0 and want in out:
            return out
        if time.time() > deadline:
            log = m.run("tail -n 30 /var/log/imaged.log")[1]
            pytest.fail(f"{command!r} never showed {want!r}: {out}\n{log}")
        time.sleep(1)


def pod_line(m, name):
    for line in m.check("imagectl pods").splitlines():
        if line.split()[:1] == [name]:
            return line.split()
    return []


def attach(m, pod, *typed, wait=3):
    """imagectl attach with each of typed (printf's format) in turn, a
    second apart, its input kept open wait seconds after; rc and output."""
    lines = "; sleep 1; ".join(f"printf '{t}'" for t in typed)
    return m.run(f"({lines}; sleep {wait}) | imagectl attach {pod}",
                 timeout=60)


def attach_checks(m):
    """imagectl attach: a shell on a pipe, a shell on a terminal, and
    stdinOnce, each started with the container (stdin: true)."""
    # (a shell is pid 1 of its namespace: SIGTERM does not end it)
    quick = "  terminationGracePeriodSeconds: 1\n"
    put(m, "/run/shin.yaml", manifest("shin", '["/bin/sh"]', extra=quick,
                                      ctr_extra="    stdin: true\n"))
    put(m, "/run/term.yaml", manifest(
        "term", '["/bin/sh"]', extra=quick,
        ctr_extra="    stdin: true\n    tty: true\n"))
    put(m, "/run/once.yaml", manifest(
        "once", '["/bin/sh"]', policy="Never",
        ctr_extra="    stdin: true\n    stdinOnce: true\n"))
    for pod in ("shin", "term", "once"):
        m.check(f"imagectl apply -f /run/{pod}.yaml")
    for pod in ("shin", "term", "once"):
        wait_for(m, f"imagectl describe {pod}", "Running, pid", timeout=60)
    # the same shell each time: what the first attach set, the second sees
    rc, out = attach(m, "shin", "X=kept-$((6*7)); echo hello-$((1+2))\\n")
    assert rc == 0 and "hello-3" in out, out
    # the shim holds stdin, not imaged: its death closes nothing
    m.check("kill -9 $(cat /sys/fs/cgroup/system/imaged/cgroup.procs)")
    rc, out = attach(m, "shin", "echo again-$X\\n")
    assert rc == 0 and "again-kept-42" in out, out
    wait_for(m, "imagectl describe shin", "Running, pid", timeout=60)
    assert "hello-3" in m.check("imagectl logs shin")
    # one client at a time
    m.check("(sleep 6 | imagectl attach shin >/dev/null 2>&1 &) ; sleep 2")
    rc, out = m.run("imagectl attach shin </dev/null")
    assert rc == 1 and "attached already" in out, out
    # no stdin, no attach
    rc, out = m.run("imagectl attach web </dev/null")
    assert rc == 1 and "has stdin disabled" in out, out
    # a terminal of the container's devpts, the output through it to the
    # log too; Ctrl-P Ctrl-Q detaches, and what follows is not typed
    rc, out = attach(m, "term", "tty; echo t-$((2+2))\\n")
    assert rc == 0 and "/dev/pts/0" in out and "t-4" in out, out
    rc, out = attach(m, "term", "echo u-$((5+5))\\n", "\\020\\021",
                     "echo never-$((3+3))\\n")
    assert rc == 0 and "detached from term" in out, out
    assert "never-6" not in out, out
    time.sleep(2)
    log = m.check("imagectl logs term")
    assert "/dev/pts/0" in log and "u-10" in log and "never-6" not in log, \
        log
    # from a terminal (the serial console): raw while attached (Ctrl-Q
    # would be XON otherwise), its size passed on at the start and on
    # SIGWINCH, the terminal restored after
    m.check("stty rows 41")
    m.child.sendline("(sleep 8; stty rows 43) & imagectl attach term")
    time.sleep(3)
    m.child.send("busybox stty size\r")
    m.expect(r"41 4096", timeout=30)
    time.sleep(7)
    m.child.send("busybox stty size\r")
    m.expect(r"43 4096", timeout=30)
    m.child.send("\x10\x11")
    m.expect("detached from term", timeout=30)
    m.sync_shell()
    modes = m.check("stty -a")
    assert "-icanon" not in modes and "-echo " not in modes, modes
    # stdinOnce: the first attach's end is the shell's EOF; no second
    rc, out = attach(m, "once", "echo once-$((4+4))\\n")
    assert rc == 0 and "once-8" in out, out
    wait_for(m, "imagectl pods | grep '^once '", "Completed", timeout=60)
    rc, out = m.run("imagectl attach once </dev/null")
    assert rc == 1 and "not running" in out, out
    for pod in ("shin", "term", "once"):
        m.check(f"imagectl delete {pod}", timeout=60)


def test_pods(registry, workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        put(m, "/run/web.yaml", manifest(
            "web", '["/bin/httpd", "-f", "-p", "80", "-h", "/www"]',
            ctr_extra="""    ports:
    - containerPort: 80
      hostPort: 8080
    securityContext:
      readOnlyRootFilesystem: true
"""))
        assert "pod/web created" in m.check("imagectl apply -f /run/web.yaml")
        # running, then ready once its program is exec'd (it has no
        # readinessProbe): the kubelet's order
        wait_for(m, "imagectl pods | grep '^web '", " 1/1 ", timeout=240)
        line = pod_line(m, "web")
        assert line[1:3] == ["1/1", "Running"], line
        ip = line[-1]
        assert ip.startswith("10.88."), line
        # reachable on its pod IP from the host's network namespace
        assert "served by a keel pod" in wait_for(
            m, f"wget -qO- http://{ip}/", "served", timeout=30)
        # and on its hostPort: at the guest's own address, and from the
        # real host through a QEMU port forward to it
        assert "served" in m.check("wget -qO- -T 5 http://10.0.2.15:8080/")
        port = free_port()
        r = m.qmp.cmd("human-monitor-command", **{
            "command-line": f"hostfwd_add net0 tcp:127.0.0.1:{port}-:8080"})
        assert r.get("return") == "", r
        deadline = time.time() + 20
        while "served by a keel pod" not in fetch(port):
            assert time.time() < deadline, fetch(port)
            time.sleep(1)
        assert "pod/web unchanged" in m.check(
            "imagectl apply -f /run/web.yaml")

        ex = "imagectl exec web --"
        # its own PID namespace: httpd is 1, and the host's are not there
        pids = [p for p in m.check(f"{ex} ls /proc").split() if p.isdigit()]
        assert "1" in pids and len(pids) <= 3, pids
        assert m.check(f"{ex} cat /proc/1/cmdline").startswith("/bin/httpd")
        # no mounts, no modules, no sysctls, no new namespaces
        assert m.check(f"{ex} probe mount").strip() == \
            "Operation not permitted"
        assert m.check(f"{ex} probe module").strip() == \
            "Operation not permitted"
        assert m.check(f"{ex} probe unshare").strip() == \
            "Operation not permitted"
        assert m.check(f"{ex} probe sysctl").strip() == \
            "Read-only file system"
        rc, out = m.run(f"{ex} touch /written")
        assert rc != 0 and "Read-only file system" in out, out
        # -t: a terminal of the container's own
        assert m.check("imagectl exec -t web -- tty").strip() == "/dev/pts/0"
        rc, out = m.run("imagectl exec -t web -- tty </dev/null")
        assert rc == 1 and "not a terminal" in out, out
        status = m.check(f"{ex} cat /proc/self/status")
        assert "NoNewPrivs:\t1" in status and "Seccomp:\t2" in status, status
        # Docker's default capability set, nothing more
        assert "CapBnd:\t00000000a80425fb" in status, status
        # the cgroup the container is in, as the host sees it
        assert m.check("cat /sys/fs/cgroup/pods/web/web/pids.max").strip() \
            == "1024"

        attach_checks(m)

        # a setuid-root binary gives a non-root user nothing
        put(m, "/run/user.yaml", manifest(
            "user", '["/bin/sleep", "3600"]', extra="""  volumes:
  - name: scratch
    emptyDir:
      medium: Memory
      sizeLimit: 1Mi
""", ctr_extra="""    securityContext:
      runAsUser: 1000
    volumeMounts:
    - name: scratch
      mountPath: /scratch
"""))
        m.check("imagectl apply -f /run/user.yaml")
        wait_for(m, "imagectl exec user -- id -u", "1000", timeout=60)
        assert m.check("imagectl exec user -- probe euid").strip() == "1000"
        # an emptyDir in memory, as big as its sizeLimit
        m.check("imagectl exec user -- sh -c 'echo hi > /scratch/f'")
        rc, out = m.run("imagectl exec user -- sh -c "
                        "'yes > /scratch/big 2>&1; echo $?'")
        assert "No space left" in out or out.strip().endswith("1"), out
        mounts = m.check("grep /var/lib/keel/containers/user/volumes/scratch "
                         "/proc/mounts")
        assert "tmpfs" in mounts and "size=1024k" in mounts, mounts

        # seccompProfile Localhost: the image's /etc/keel/seccomp/
        # deny-mkdir.json (tests/system/overlay) answers mkdir with errno
        # 42, in the container and in what exec starts in it
        sec = """    securityContext:
      seccompProfile:
        type: Localhost
        localhostProfile: {}
"""
        put(m, "/run/sec.yaml", manifest(
            "sec", '["/bin/sh", "-c", "mkdir /tmp/d; echo mkdir=$?; '
            'sleep 3600"]', ctr_extra=sec.format("deny-mkdir.json")))
        m.check("imagectl apply -f /run/sec.yaml")
        logs = wait_for(m, "imagectl logs sec", "mkdir=1", timeout=60)
        assert "'/tmp/d': No message of desired type" in logs, logs
        rc, out = m.run("imagectl exec sec -- sh -c 'mkdir /tmp/e; "
                        "echo rc=$?; touch /tmp/f; echo touch=$?'")
        assert "rc=1" in out and "touch=0" in out, out
        assert "No message of desired type" in out, out
        # one the image does not have: the start fails, and says why
        put(m, "/run/nosec.yaml", manifest(
            "nosec", '["/bin/sleep", "3600"]',
            ctr_extra=sec.format("gone.json")))
        m.check("imagectl apply -f /run/nosec.yaml")
        wait_for(m, "imagectl pods", "CreateContainerError", timeout=60)
        assert "seccomp profile /etc/keel/seccomp/gone.json: No such file " \
            "or directory" in m.check("imagectl describe nosec")
        m.check("imagectl delete sec", timeout=60)
        m.check("imagectl delete nosec", timeout=60)

        # a memory hog is killed by the OOM killer and restarted
        put(m, "/run/hog.yaml", manifest(
            "hog", '["/bin/sh", "-c", "tail /dev/zero"]', policy="OnFailure",
            ctr_extra="""    resources:
      limits:
        memory: 32Mi
"""))
        m.check("imagectl apply -f /run/hog.yaml")
        wait_for(m, "imagectl describe hog", "OOMKilled, exit code 137")
        wait_for(m, "imagectl describe hog", "Restart Count:  1", timeout=60)
        assert "was killed: out of memory" in \
            m.check("grep 'pod hog' /var/log/imaged.log")
        m.check("imagectl delete hog")

        # a fork bomb stops at pids.max; the host does not notice
        put(m, "/run/bomb.yaml", manifest(
            "bomb", '["/bin/sh", "-c", "while :; do sleep 1000 & done"]'))
        m.check("imagectl apply -f /run/bomb.yaml")
        wait_for(m, "grep 'max [1-9]' /sys/fs/cgroup/pods/bomb/bomb/pids.events",
                 "max", timeout=120)
        events = m.check("cat /sys/fs/cgroup/pods/bomb/bomb/pids.events")
        assert int(events.split()[1]) > 0, events
        assert int(m.check(
            "cat /sys/fs/cgroup/pods/bomb/bomb/pids.current")) <= 1024
        assert m.check("echo the host is fine").strip() == "the host is fine"
        assert "pod/bomb deleted" in m.check("imagectl delete bomb",
                                             timeout=60)
        rc, _ = m.run("test -e /sys/fs/cgroup/pods/bomb")
        assert rc == 1

        # imaged killed outright: the container keeps serving, and the
        # next imaged finds it running
        before = m.check("imagectl describe web")
        # (the daemon: its shims are in /sys/fs/cgroup/shims)
        m.check("kill -9 $(cat /sys/fs/cgroup/system/imaged/cgroup.procs)")
        assert "served" in m.check(f"wget -qO- http://{ip}/")
        wait_for(m, "imagectl describe web", "Running, pid", timeout=60)
        after = m.check("imagectl describe web")
        pid = re.compile(r"Running, pid (\d+)")
        assert pid.search(before).group(1) == pid.search(after).group(1), \
            (before, after)
        assert pod_line(m, "web")[3] == "0"
        assert "served" in m.check(f"wget -qO- http://{ip}/")

        # stop and start
        assert "pod/web stopped" in m.check("imagectl stop web", timeout=60)
        assert pod_line(m, "web")[2] == "Stopped"
        rc, _ = m.run(f"wget -qO- -T 3 http://{ip}/")
        assert rc != 0
        m.check("imagectl start web")
        wait_for(m, f"wget -qO- http://{ip}/", "served", timeout=60)

        # the log of what it wrote, rotated past 10 MiB
        m.check("imagectl delete user")
        put(m, "/run/echo.yaml", manifest(
            "echo", '["/bin/sh", "-c", "echo hello from the pod; '
            'yes 0123456789abcdef | head -c 11000000; echo; echo the end; '
            'sleep 3600"]'))
        m.check("imagectl apply -f /run/echo.yaml")
        wait_for(m, "imagectl logs echo | tail -n 1", "the end")
        assert m.check("imagectl logs echo | head -n 1").strip() == \
            "hello from the pod"
        assert int(m.check("imagectl logs echo | wc -c")) == \
            len("hello from the pod\n") + 11000000 + len("\nthe end\n")
        m.check("test -s /var/log/pods/echo/echo.log.1")

        # a reboot starts the applied pods again
        m.child.sendline("reboot")
        m.expect(r"keel: reboot now")
        m.wait_ready()
        wait_for(m, "imagectl pods", "Running", timeout=120)
        ip = pod_line(m, "web")[-1]
        assert "served" in wait_for(m, f"wget -qO- http://{ip}/", "served",
                                    timeout=30)
        assert "served" in m.check("wget -qO- -T 5 http://10.0.2.15:8080/")
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_bad_manifest_is_refused(registry, workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        put(m, "/run/bad.yaml", manifest(
            "bad", '["/bin/true"]', ctr_extra="""    resources:
      limits:
        gpu: 1
"""))
        rc, out = m.run("imagectl apply -f /run/bad.yaml")
        assert rc == 1, out
        assert "/run/bad.yaml:" in out and "gpu" in out, out
        assert "bad" not in m.check("imagectl pods")
        rc, _ = m.run("ls /var/lib/keel/pods/bad.yaml")
        assert rc != 0
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_esp_pods_gate_readiness(registry, workdir, tmp_path):
    """Pods in config/pods on the ESP start at boot, a bad manifest
    beside them is only logged, and imaged (so `keel: ready`) waits for
    the good one to run."""
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    offset, _ = keelvm.partition_extent(disk, 1)
    esp = f"{disk}@@{offset}"
    web = tmp_path / "web.yaml"
    web.write_text(manifest(
        "espweb", '["/bin/httpd", "-f", "-p", "80", "-h", "/www"]',
        extra="""  initContainers:
  - name: first
    image: """ + IMAGE + """
    command: ["/bin/sh", "-c", "echo init ran"]
""") + f"""  - name: side
    image: {IMAGE}
    command: ["/bin/sleep", "3600"]
""")
    bad = tmp_path / "bad.yaml"
    bad.write_text(manifest("bad", '["/bin/true"]',
                            extra="  setHostnameAsFQDN: true\n"))
    subprocess.run(["mmd", "-D", "s", "-i", esp, "::config/pods"],
                   capture_output=True)
    for f in (web, bad):
        subprocess.run(["mcopy", "-o", "-i", esp, str(f),
                        f"::config/pods/{f.name}"], check=True)
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready(timeout=300)
        # ready means running: no waiting here
        line = pod_line(m, "espweb")
        assert line[1:3] == ["2/2", "Running"], line
        # its two containers share the network, IPC and UTS namespaces
        side = "imagectl exec espweb -c side --"
        assert "served" in m.check(f"{side} wget -qO- http://127.0.0.1/")
        assert m.check(f"{side} hostname").strip() == "espweb"
        ipc, pid = ([m.check(f"imagectl exec espweb -c {c} -- readlink "
                             f"/proc/self/ns/{kind}").strip()
                     for c in ("espweb", "side")] for kind in ("ipc", "pid"))
        assert ipc[0] == ipc[1] and pid[0] != pid[1], (ipc, pid)
        log = m.check("cat /var/log/imaged.log")
        assert "every pod of the image and the ESP runs: ready" in log
        assert "/boot/config/pods/bad.yaml:" in log and \
            "setHostnameAsFQDN" in log, log
        assert "init ran" in m.check("imagectl logs espweb -c first")
        assert "served" in m.check(f"wget -qO- http://{line[-1]}/")
        # one container, run to its end and removed
        out = m.check(f"imagectl run {IMAGE} /bin/sh -c 'echo one-shot; id -u'")
        assert out.split() == ["one-shot", "0"], out
        rc, out = m.run(f"imagectl run {IMAGE} /bin/sh -c 'exit 3'")
        assert rc == 1 and "exited with 3" in out, out
        rc, out = m.run(f"imagectl run {IMAGE} /nonexistent")
        assert rc == 1 and "did not start: exec /nonexistent" in out, out
        assert m.check("ls -d /sys/fs/cgroup/pods/*/").split() == \
            ["/sys/fs/cgroup/pods/espweb/"]
        # an image a pod runs is not removed from under it
        rc, out = m.run(f"imagectl rm {IMAGE}")
        assert rc == 1 and "used by pod espweb" in out, out
        # the ESP's pods are the user's: imagectl does not delete them
        rc, out = m.run("imagectl delete espweb")
        assert rc == 1 and "/boot/config/pods/web.yaml" in out, out
    finally:
        m.kill()
