"""imaged's container setup (container.c, seccomp.c) on the build host.

ctr_harness (tests/integration/ctr_harness.c) starts the first container
of a Pod manifest the way runtime.c's shim does (new PID, IPC and UTS
namespaces, then mount and cgroup namespaces in the child that is PID 1)
over a busybox layer made here; the container reports what it sees, and
the host side is checked afterwards: the upper dir, the lower layer, the
volumes, and where every mount(2) landed (the harness logs each one).
No cgroups (a build host may have only v1): the shim's limits are tested
in QEMU (tests/system/test_pods.py).

Needs the harness (make ctr-harness; CTR_HARNESS=/abs/path), root and a
static /bin/busybox; skipped otherwise."""
import json
import os
import re
import shutil
import stat
import subprocess
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CTR_HARNESS = os.environ.get("CTR_HARNESS") or os.path.join(
    TOP, "output", "qemu-x86_64", "host", "ctr_harness")
BUSYBOX = "/bin/busybox"

# Docker's default capabilities (moby oci/caps/defaults.go), as CapBnd
DOCKER_CAPS = 0x00000000a80425fb
CAP_CHOWN, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN = 0, 12, 13, 21


def why_not():
    """Why these tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root: mount namespaces, overlayfs, mknod"
    if not os.path.isfile(CTR_HARNESS):
        return (f"no ctr_harness at {CTR_HARNESS}: make ctr-harness "
                "(CTR_HARNESS=/abs/path)")
    try:
        with open(BUSYBOX, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return f"no {BUSYBOX}"
    if b"/ld-linux" in head or b"/ld-musl" in head:
        return f"{BUSYBOX} is not static: the layer has no libc"
    return None


pytestmark = pytest.mark.skipif(why_not() is not None, reason=str(why_not()))


def status(text):
    """/proc/self/status lines as {field: value}."""
    return dict(re.findall(r"^(\w+):\s*(.*)$", text, re.M))


def caps(text, field):
    return int(status(text)[field], 16)


def mountinfo(text):
    """{mount point: (fs type, per-mount options)} from mountinfo lines."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) > 9 and "-" in f:
            sep = f.index("-")
            out[f[4]] = (f[sep + 1], f[5].split(","))
    return out


def tree(root):
    """Everything under root: {path: (type, mode, uid, content)}."""
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                what = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    what = f.read()
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                what = st.st_rdev
            else:
                what = None
            out[os.path.relpath(p, root)] = (stat.S_IFMT(st.st_mode),
                                             stat.S_IMODE(st.st_mode),
                                             st.st_uid, what)
    return out


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def read(path):
    with open(path) as f:
        return f.read()


IMAGE_FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
                  "user:x:1000:1000:user:/home/user:/bin/sh\n"
                  "nobody:x:65534:65534:nobody:/:/bin/false\n",
    "etc/group": "root:x:0:\nwheel:x:10:user\nusers:x:100:other,user\n"
                 "user:x:1000:\nnogroup:x:65534:\n",
    "etc/hosts": "127.0.0.1 image-hosts\n",
    "etc/hostname": "image-hostname\n",
    "etc/resolv.conf": "nameserver 192.0.2.53\n",
    "srv/lower.txt": "from the image\n",
    "srv/gone.txt": "to be removed\n",
}


def make_layer(d):
    """A root file system: static busybox, its applets, /etc, /tmp, /srv."""
    os.makedirs(os.path.join(d, "bin"))
    shutil.copy(BUSYBOX, os.path.join(d, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], check=True, text=True,
                             capture_output=True).stdout.split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", os.path.join(d, "bin", a))
    for path, text in IMAGE_FILES.items():
        write(os.path.join(d, path), text)
    for mp in ("proc", "dev", "sys"):
        os.makedirs(os.path.join(d, mp))
    os.makedirs(os.path.join(d, "tmp"))
    os.chmod(os.path.join(d, "tmp"), 0o1777)


@pytest.fixture(scope="session")
def layer(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("layer") / "root")
    make_layer(d)
    before = tree(d)
    yield d
    # no container ever wrote through to the image's layer
    assert tree(d) == before
    shutil.rmtree(os.path.dirname(d))


class Ctr:
    """One container's directories: DIR (upper, work, rootfs, volumes),
    the pod's ns dir and the /etc files beside it, the mount log."""

    def __init__(self, tmp, layer):
        self.tmp = str(tmp)
        self.layer = layer
        self.dir = os.path.join(self.tmp, "ctr")
        self.pod_dir = os.path.join(self.tmp, "pod")
        self.ns_dir = os.path.join(self.pod_dir, "ns")
        self.rootfs = os.path.join(self.dir, "rootfs")
        self.upper = os.path.join(self.dir, "upper")
        self.volumes = os.path.join(self.dir, "volumes")
        self.mount_log = os.path.join(self.tmp, "mounts.log")
        os.makedirs(self.ns_dir)
        self.etc = {"hosts": "10.88.0.7 t\n", "hostname": "t\n",
                    "resolv.conf": "nameserver 10.88.0.1\nsearch keel\n"}
        for name, text in self.etc.items():
            write(os.path.join(self.pod_dir, name), text)

    def host(self, name):
        """A path on the host, under this test's tmp."""
        return os.path.join(self.tmp, name)

    def run(self, *cmd, container=None, volumes=(), lower=None, user=None,
            wrap=(), timeout=60, seccomp_dir=None):
        """The harness's exit, out, err; every mount checked to have
        landed inside the container's rootfs."""
        c = {"name": "c", "image": "busybox"}
        c.update(container or {})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "t"},
               "spec": {"containers": [c], "volumes": list(volumes)}}
        manifest = os.path.join(self.tmp, "pod.json")
        with open(manifest, "w") as f:
            json.dump(pod, f)
        # a fresh writable layer each run, as the shim makes it
        for d in ("upper", "work"):
            shutil.rmtree(os.path.join(self.dir, d), ignore_errors=True)
        if os.path.exists(self.mount_log):
            os.unlink(self.mount_log)
        argv = list(wrap) + [CTR_HARNESS, "-m", self.mount_log]
        if user is not None:
            argv += ["-u", user]
        if seccomp_dir is not None:
            argv += ["-S", seccomp_dir]
        argv += [manifest, lower or self.layer, self.dir, self.ns_dir]
        r = subprocess.run(argv + list(cmd), capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=timeout)
        r.mounts = []
        if os.path.exists(self.mount_log):
            r.mounts = [ln.split("\t") for ln in
                        read(self.mount_log).splitlines()]
        # "/" only changed (made private first, remounted read-only after
        # pivot_root); every mount made inside the container's root
        for target, kind, src in r.mounts:
            if target == "/" and kind == src == "-":
                continue
            assert target == self.rootfs or \
                target.startswith(self.rootfs + "/"), \
                f"a mount outside the container's root: {target}\n" \
                f"{r.mounts}\n{r.stderr}"
        return r

    def sh(self, script, check=True, **kw):
        r = self.run("sh", "-c", script, **kw)
        if check:
            assert r.returncode == 0, \
                f"exit {r.returncode}\nstdout: {r.stdout}\n" \
                f"stderr: {r.stderr}"
        return r

    def refused(self, r, *words):
        """The start failed (127) with the harness's error naming words."""
        assert r.returncode == 127, (r.returncode, r.stdout, r.stderr)
        assert r.stderr.startswith("ctr_harness: "), r.stderr
        for w in words:
            assert w in r.stderr, r.stderr
        # nothing ran: setup stops before execve
        assert r.stdout == ""


@pytest.fixture
def ctr(tmp_path, layer):
    c = Ctr(tmp_path, layer)
    yield c
    # device nodes and whiteouts the containers made, among others
    shutil.rmtree(c.tmp, ignore_errors=True)


# --- namespaces and /proc -------------------------------------------------

def test_pid_namespace(ctr):
    r = ctr.sh('tr "\\0" " " </proc/1/cmdline; echo; readlink /proc/self; '
               'ls /proc')
    lines = r.stdout.splitlines()
    assert lines[0] == "sh -c " + r.args[-1] + " "
    # the shell is 1, readlink one of its first children
    assert 1 < int(lines[1]) <= 4, lines[1]
    # ls (exec'd by the shell as its last command: 1); none of the host's
    pids = {int(x) for x in lines[2:] if x.isdigit()}
    assert pids == {1}, pids
    host = [x for x in os.listdir("/proc") if x.isdigit()]
    assert len(host) > len(pids)


def test_dev(ctr):
    r = ctr.sh("ls -A /dev; echo --; "
               "for f in null zero full random urandom tty; do "
               "stat -c '%n %F %t:%T %a' /dev/$f; done; echo --; "
               "for l in fd stdin stdout stderr ptmx core; do "
               "echo $l $(readlink /dev/$l); done; echo --; "
               "echo x >/dev/null && echo null-ok; "
               "head -c 4 /dev/zero | od -An -tx1; "
               "head -c 16 /dev/urandom | wc -c; "
               "echo x >/dev/full; echo full=$?; "
               "echo x >/dev/shm/x && echo shm-ok; "
               "ls /dev/pts; cat /proc/self/mountinfo")
    ls, nodes, links, rest = r.stdout.split("--\n")
    # Docker's /dev (runc adds core -> /proc/kcore as well)
    assert sorted(ls.split()) == sorted(
        "null zero full random urandom tty fd stdin stdout stderr ptmx "
        "core pts shm mqueue".split())
    assert nodes.splitlines() == [
        "/dev/null character special file 1:3 666",
        "/dev/zero character special file 1:5 666",
        "/dev/full character special file 1:7 666",
        "/dev/random character special file 1:8 666",
        "/dev/urandom character special file 1:9 666",
        "/dev/tty character special file 5:0 666"]
    assert links.splitlines() == [
        "fd /proc/self/fd", "stdin /proc/self/fd/0",
        "stdout /proc/self/fd/1", "stderr /proc/self/fd/2",
        "ptmx pts/ptmx", "core /proc/kcore"]
    out = rest.splitlines()
    assert out[:5] == ["null-ok", " 00 00 00 00", "16", "full=1", "shm-ok"]
    assert "No space left on device" in r.stderr
    mi = mountinfo(rest)
    assert mi["/dev"][0] == "tmpfs"
    assert mi["/dev/pts"][0] == "devpts"
    assert mi["/dev/shm"][0] == "tmpfs" and "nodev" in mi["/dev/shm"][1]
    assert mi["/dev/mqueue"][0] == "mqueue"
    # a new devpts instance: none of the host's terminals
    assert out[5:6] == ["ptmx"], out


def test_masked_paths(ctr):
    files = [f for f in ("kcore", "keys", "timer_list", "sched_debug",
                         "latency_stats", "timer_stats")
             if os.path.exists(f"/proc/{f}")]
    dirs = [d for d in ("acpi", "asound", "scsi")
            if os.path.isdir(f"/proc/{d}")]
    assert files, "no masked /proc file on this kernel to check"
    # the host can read them, so an empty read below is the mask
    assert os.path.getsize("/proc/timer_list") or \
        read("/proc/timer_list")
    script = "".join(f"echo {f} $(cat /proc/{f} | wc -c); " for f in files)
    script += "".join(f"echo {d} $(ls -A /proc/{d} | wc -l); "
                      for d in dirs)
    script += "echo firmware $(ls -A /sys/firmware | wc -l); "
    script += "touch /sys/firmware/x"
    r = ctr.sh(script, check=False)
    got = dict(ln.split() for ln in r.stdout.splitlines())
    for name in files + dirs:
        assert got[name] == "0", (name, r.stdout)
    assert os.listdir("/sys/firmware"), "the host's /sys/firmware is empty"
    assert got["firmware"] == "0"
    assert r.returncode != 0 and "Read-only file system" in r.stderr


def test_read_only_paths(ctr):
    r = ctr.sh("echo keel >/proc/sys/kernel/hostname; echo proc=$?; "
               "touch /sys/x; echo sys=$?; mkdir /sys/fs/cgroup/x; "
               "echo cgroup=$?; cat /proc/self/mountinfo")
    lines = r.stdout.splitlines()
    assert lines[:3] == ["proc=1", "sys=1", "cgroup=1"], r.stdout
    assert r.stderr.count("Read-only file system") == 3, r.stderr
    mi = mountinfo(r.stdout)
    for p in ("/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/fs",
              "/proc/irq", "/sys", "/sys/fs/cgroup"):
        if not os.path.exists(p):
            continue  # not in this kernel
        assert p in mi and "ro" in mi[p][1], (p, mi.get(p))
    # and the host's hostname is what it was
    assert read("/proc/sys/kernel/hostname").strip() != "keel"


# --- confinement ----------------------------------------------------------

def test_no_mount_no_unshare(ctr):
    r = ctr.sh("mkdir -p /mnt; mount -t tmpfs none /mnt; echo mount=$?; "
               "unshare -m true; echo unshare=$?; "
               "echo $(grep -c ' /mnt ' /proc/self/mountinfo)")
    assert r.stdout.splitlines() == ["mount=1", "unshare=1", "0"], r.stdout
    # busybox says EPERM this way for mount, with strerror for unshare
    assert "mount: permission denied" in r.stderr, r.stderr
    assert "unshare(0x20000): Operation not permitted" in r.stderr


def test_default_capabilities_and_seccomp(ctr):
    r = ctr.sh("cat /proc/self/status")
    s = status(r.stdout)
    assert caps(r.stdout, "CapBnd") == DOCKER_CAPS, s["CapBnd"]
    assert s["CapBnd"] == "00000000a80425fb"
    assert caps(r.stdout, "CapEff") == DOCKER_CAPS
    assert caps(r.stdout, "CapPrm") == DOCKER_CAPS
    assert caps(r.stdout, "CapInh") == 0 and caps(r.stdout, "CapAmb") == 0
    assert s["NoNewPrivs"] == "1"
    assert s["Seccomp"] == "2"


def test_seccomp_holds_beyond_capabilities(ctr):
    """CAP_SYS_ADMIN added: the filter still refuses mount, unshare and
    sethostname (keel's filter is the default-capability one)."""
    r = ctr.sh("grep CapEff /proc/self/status; mkdir -p /mnt; "
               "mount -t tmpfs none /mnt; echo mount=$?; "
               "unshare -m true; echo unshare=$?; "
               "hostname other; echo hostname=$?",
               container={"securityContext": {
                   "capabilities": {"add": ["SYS_ADMIN"]}}})
    lines = r.stdout.splitlines()
    assert caps(lines[0], "CapEff") == DOCKER_CAPS | 1 << CAP_SYS_ADMIN
    assert lines[1:] == ["mount=1", "unshare=1", "hostname=1"], r.stdout
    assert "mount: permission denied" in r.stderr
    assert "unshare(0x20000): Operation not permitted" in r.stderr
    assert "sethostname: Operation not permitted" in r.stderr, r.stderr


@pytest.mark.parametrize("sc, want", [
    ({"add": ["NET_ADMIN"], "drop": ["CHOWN", "NET_RAW"]},
     (DOCKER_CAPS | 1 << CAP_NET_ADMIN) &
     ~(1 << CAP_CHOWN | 1 << CAP_NET_RAW)),
    ({"drop": ["ALL"]}, 0),
    ({"drop": ["ALL"], "add": ["CHOWN"]}, 1 << CAP_CHOWN),
], ids=["add-drop", "drop-all", "drop-all-add-one"])
def test_capabilities_add_drop(ctr, sc, want):
    r = ctr.sh("cat /proc/self/status; touch /tmp/f; chown 1000 /tmp/f",
               check=False, container={"securityContext":
                                       {"capabilities": sc}})
    for field in ("CapBnd", "CapEff", "CapPrm"):
        assert caps(r.stdout, field) == want, (field, r.stdout)
    if want & 1 << CAP_CHOWN:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 1
        assert "Operation not permitted" in r.stderr, r.stderr


def test_device_nodes_do_not_open(ctr):
    """The container has CAP_MKNOD (Docker's default) and keel no device
    cgroup: a node it makes, in /dev, its root or a volume, or one its
    image brings, must not open. /dev/kmsg (1:11) is not one of Docker's;
    writing it would reach the host's kernel log."""
    if not os.path.exists("/dev/kmsg"):
        pytest.skip("no /dev/kmsg on this host")
    marker = f"keel-ctr-test-{uuid.uuid4().hex}"
    vol = ctr.host("vol")
    os.makedirs(vol)
    evil = ctr.host("evil")
    os.makedirs(os.path.join(evil, "srv"))
    os.mknod(os.path.join(evil, "srv", "kmsg"), 0o666 | stat.S_IFCHR,
             os.makedev(1, 11))
    script = "".join(
        f"mknod {d}/k c 1 11 && echo made; echo {marker} >{d}/k; "
        f"echo {d}=$?; " for d in ("/dev", "/tmp", "/scratch", "/vol"))
    script += f"echo {marker} >/srv/kmsg; echo image=$?; echo x >/dev/null"
    r = ctr.sh(script, lower=f"{evil}:{ctr.layer}", container={
        "volumeMounts": [{"name": "s", "mountPath": "/scratch"},
                         {"name": "v", "mountPath": "/vol"}]},
        volumes=[{"name": "s", "emptyDir": {}},
                 {"name": "v", "hostPath": {"path": vol}}])
    assert r.stdout.splitlines() == [
        "made", "/dev=1", "made", "/tmp=1", "made", "/scratch=1", "made",
        "/vol=1", "image=1"], r.stdout
    assert r.stderr.count("Permission denied") == 5, r.stderr
    dmesg = subprocess.run(["dmesg"], capture_output=True, text=True)
    assert dmesg.returncode == 0 and marker not in dmesg.stdout


def test_device_nodes_under_a_host_path_do_not_open(ctr):
    """A hostPath with a mount under it (the host's /dev under "/") comes
    with that mount: nodev must reach it too."""
    if not os.path.exists("/dev/kmsg"):
        pytest.skip("no /dev/kmsg on this host")
    marker = f"keel-ctr-test-{uuid.uuid4().hex}"
    d = ctr.host("host-root")
    os.makedirs(os.path.join(d, "dev"))
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs tmpfs "$0"/dev && '
            'mknod "$0"/dev/kmsg c 1 11 && exec "$@"', d]
    r = ctr.sh(f"echo {marker} >/host/dev/kmsg; echo rw=$?; "
               f"echo {marker} >/host-ro/dev/kmsg; echo ro=$?",
               wrap=wrap, container={"volumeMounts": [
                   {"name": "v", "mountPath": "/host"},
                   {"name": "v", "mountPath": "/host-ro",
                    "readOnly": True}]},
               volumes=[{"name": "v", "hostPath": {"path": d}}])
    assert r.stdout.splitlines() == ["rw=1", "ro=1"], r.stdout
    assert r.stderr.count("Permission denied") == 2, r.stderr
    dmesg = subprocess.run(["dmesg"], capture_output=True, text=True)
    assert dmesg.returncode == 0 and marker not in dmesg.stdout


def test_read_only_volume_keeps_the_host_mount_flags(ctr):
    """A readOnly hostPath on a host mount that is nosuid,nodev,noexec
    stays so: the read-only remount must not clear them."""
    d = ctr.host("noexec")
    os.makedirs(d)
    # a host mount of its own, in a mount namespace around the harness
    wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs -o nosuid,nodev,noexec tmpfs "$0" && '
            'cp /bin/busybox "$0"/true && exec "$@"', d]
    r = ctr.sh("/ro/true; echo ro=$?; /rw/true; echo rw=$?; "
               "cat /proc/self/mountinfo", wrap=wrap, container={
                   "volumeMounts": [
                       {"name": "v", "mountPath": "/ro", "readOnly": True},
                       {"name": "v", "mountPath": "/rw"}]},
               volumes=[{"name": "v", "hostPath": {"path": d}}])
    lines = r.stdout.splitlines()
    assert lines[:2] == ["ro=126", "rw=126"], (r.stdout, r.stderr)
    mi = mountinfo(r.stdout)
    for p in ("/ro", "/rw"):
        assert {"nosuid", "nodev", "noexec"} <= set(mi[p][1]), mi[p]
    assert "ro" in mi["/ro"][1] and "rw" in mi["/rw"][1]
    assert os.listdir(d) == []  # the tmpfs went with the namespace


def test_privileged_has_no_limits(ctr):
    host = read("/proc/self/status")
    r = ctr.sh("cat /proc/self/status; echo --; mkdir -p /mnt; "
               "mount -t tmpfs none /mnt && echo mounted; "
               "cat /proc/timer_list | wc -c; ls /dev; echo --; "
               "cat /proc/self/mountinfo",
               container={"securityContext": {"privileged": True}})
    st, rest, mi = r.stdout.split("--\n")
    s = status(st)
    assert s["CapBnd"] == status(host)["CapBnd"]
    assert s["CapEff"] == status(host)["CapBnd"]
    assert s["Seccomp"] == "0" and s["NoNewPrivs"] == "0"
    lines = rest.splitlines()
    assert lines[0] == "mounted"
    assert int(lines[1]) > 0  # not masked
    assert set(os.listdir("/dev")) <= set(lines[2:])  # the host's /dev
    m = mountinfo(mi)
    assert "rw" in m["/sys"][1] and "/proc/sys" not in m


# --- the root file system -------------------------------------------------

def test_read_only_root(ctr):
    r = ctr.sh("touch /x; echo root=$?; mkdir /tmp/d; echo tmp=$?; "
               "echo x >/srv/lower.txt; echo srv=$?; "
               "echo x >/dev/shm/x && echo shm-ok",
               container={"securityContext":
                          {"readOnlyRootFilesystem": True}})
    assert r.stdout.splitlines() == ["root=1", "tmp=1", "srv=1", "shm-ok"]
    assert r.stderr.count("Read-only file system") == 3, r.stderr
    assert os.listdir(ctr.upper) == []


def test_writes_land_in_upper(ctr, layer):
    ctr.sh("echo new >/newfile; echo changed >/srv/lower.txt; "
           "rm /srv/gone.txt; mkdir -p /var/lib/x; echo y >/var/lib/x/y")
    up = ctr.upper
    assert read(os.path.join(up, "newfile")) == "new\n"
    assert read(os.path.join(up, "srv/lower.txt")) == "changed\n"
    st = os.lstat(os.path.join(up, "srv/gone.txt"))  # a whiteout
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert read(os.path.join(up, "var/lib/x/y")) == "y\n"
    # the image's layer as it was, and nothing on the host's /
    assert read(os.path.join(layer, "srv/lower.txt")) == "from the image\n"
    assert os.path.exists(os.path.join(layer, "srv/gone.txt"))
    assert not os.path.exists("/newfile")
    # and the next run starts from the image again
    r = ctr.sh("cat /srv/lower.txt; ls /newfile", check=False)
    assert r.stdout == "from the image\n" and r.returncode == 1


def test_rlimit_nofile(ctr):
    r = ctr.sh("ulimit -n")
    assert r.stdout == "1024\n"


# --- users ----------------------------------------------------------------

def test_run_as_user(ctr):
    r = ctr.sh("id -u; id -g; id -G; cat /proc/self/status; "
               "echo x >/srv/lower.txt; echo write=$?",
               container={"securityContext": {"runAsUser": 1000}})
    lines = r.stdout.splitlines()
    assert lines[0] == "1000"
    assert lines[1] == "1000"  # its passwd line's group
    # and the groups that name it, as containerd gives a runAsUser
    assert sorted(lines[2].split()) == ["10", "100", "1000"]
    assert caps(r.stdout, "CapEff") == 0 and caps(r.stdout, "CapPrm") == 0
    assert caps(r.stdout, "CapBnd") == DOCKER_CAPS
    assert status(r.stdout)["NoNewPrivs"] == "1"
    assert lines[-1] == "write=1" and "Permission denied" in r.stderr


def test_tty(ctr):
    """tty: true: a terminal of the container's own devpts as its
    controlling terminal and stdio, the user's own, its master back to
    the caller (as to the shim, for imagectl attach)."""
    r = ctr.sh("tty; tty <&1; tty <&2; ls -ln /dev/pts/0; "
               "readlink /proc/self/fd/0; "
               "echo sid=$(cut -d' ' -f6 /proc/self/stat) "
               "tpgid=$(cut -d' ' -f8 /proc/self/stat)",
               container={"tty": True, "stdin": True,
                          "securityContext": {"runAsUser": 1000}})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.replace("\r", "").splitlines()
    assert lines[:3] == ["/dev/pts/0"] * 3, lines
    f = lines[3].split()
    assert f[0].startswith("crw--w----") and f[2:4] == ["1000", "5"], f
    # a controlling terminal: sh's process group is its foreground one
    assert any(ln.startswith("sid=") and ln.split()[1] != "tpgid=-1"
               for ln in lines), lines
    # without tty, no terminal at all
    r = ctr.sh("tty", check=False, container={"stdin": True})
    assert "not a tty" in r.stdout + r.stderr, (r.stdout, r.stderr)


def test_run_as_user_and_group(ctr):
    r = ctr.sh("id -u; id -g; id -G",
               container={"securityContext": {"runAsUser": 4242,
                                              "runAsGroup": 4343}})
    assert r.stdout.splitlines() == ["4242", "4343", "4343"]
    r = ctr.sh("id -u; id -g; id -G",
               container={"securityContext": {"runAsUser": 1000,
                                              "runAsGroup": 4343}})
    lines = r.stdout.splitlines()
    assert lines[:2] == ["1000", "4343"]
    assert sorted(lines[2].split()) == ["10", "100", "4343"]


def test_image_user_by_name(ctr):
    r = ctr.sh("id -u; id -g; id -G", user="user")
    lines = r.stdout.splitlines()
    assert lines[:2] == ["1000", "1000"]
    assert sorted(lines[2].split()) == ["10", "100", "1000"]
    r = ctr.sh("id -u; id -g", user="user:wheel")
    assert r.stdout.splitlines() == ["1000", "10"]
    # runAsUser wins over the image's User
    r = ctr.sh("id -u", user="user",
               container={"securityContext": {"runAsUser": 0}})
    assert r.stdout == "0\n"


def test_image_user_unknown(ctr):
    ctr.refused(ctr.run("id", user="ghost"),
                "user ghost is not in the image's /etc/passwd")


def test_working_dir_made(ctr):
    r = ctr.sh("pwd; touch f", container={"workingDir": "/work/deep/er",
                                          "securityContext":
                                          {"runAsUser": 0}})
    assert r.stdout == "/work/deep/er\n"
    assert os.path.isfile(os.path.join(ctr.upper, "work/deep/er/f"))


# --- volumes and /etc -----------------------------------------------------

def test_volumes(ctr):
    rw, ro = ctr.host("host-rw"), ctr.host("host-ro")
    made = ctr.host("host-new/sub")  # and its parent
    write(os.path.join(rw, "from-host"), "rw host\n")
    write(os.path.join(ro, "from-host"), "ro host\n")
    volumes = [
        {"name": "rw", "hostPath": {"path": rw, "type": "Directory"}},
        {"name": "ro", "hostPath": {"path": ro, "type": "Directory"}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "made", "hostPath": {"path": made,
                                      "type": "DirectoryOrCreate"}},
    ]
    mounts = [{"name": "rw", "mountPath": "/mnt/rw"},
              {"name": "ro", "mountPath": "/mnt/ro", "readOnly": True},
              {"name": "scratch", "mountPath": "/scratch"},
              {"name": "made", "mountPath": "/srv/made"}]
    r = ctr.sh("cat /mnt/rw/from-host /mnt/ro/from-host; "
               "echo c >/mnt/rw/from-ctr; echo x >/mnt/ro/nope; "
               "echo ro=$?; echo e >/scratch/e; echo m >/srv/made/m; "
               "cat /proc/self/mountinfo",
               container={"volumeMounts": mounts}, volumes=volumes)
    lines = r.stdout.splitlines()
    assert lines[:3] == ["rw host", "ro host", "ro=1"], r.stdout
    assert "Read-only file system" in r.stderr
    assert read(os.path.join(rw, "from-ctr")) == "c\n"
    assert sorted(os.listdir(ro)) == ["from-host"]
    assert read(os.path.join(ctr.volumes, "scratch", "e")) == "e\n"
    assert os.path.isdir(made) and read(os.path.join(made, "m")) == "m\n"
    mi = mountinfo(r.stdout)
    assert "ro" in mi["/mnt/ro"][1] and "rw" in mi["/mnt/rw"][1]
    # the mount points the image lacked were made in its upper dir
    assert os.path.isdir(os.path.join(ctr.upper, "mnt/rw"))
    assert os.listdir(os.path.join(ctr.upper, "mnt/rw")) == []
    # the bind mounts came from where the pod said
    binds = {t: s for t, ty, s in r.mounts if ty == "-" and s != "-"}
    assert binds[ctr.rootfs + "/mnt/rw"] == rw
    assert binds[ctr.rootfs + "/scratch"] == \
        os.path.join(ctr.volumes, "scratch")


@pytest.mark.parametrize("kind, path, error", [
    ("Directory", "missing", "No such file or directory"),
    ("Directory", "a-file", "is not a Directory"),
    ("File", "a-dir", "is not a File"),
])
def test_host_path_type_checked(ctr, kind, path, error):
    write(ctr.host("a-file"), "x\n")
    os.makedirs(ctr.host("a-dir"))
    r = ctr.run("true", container={"volumeMounts": [
        {"name": "v", "mountPath": "/v"}]}, volumes=[
        {"name": "v", "hostPath": {"path": ctr.host(path), "type": kind}}])
    ctr.refused(r, "hostPath " + ctr.host(path), error)
    assert not os.path.exists(ctr.host("missing"))


def test_etc_files_from_the_pod(ctr, layer):
    r = ctr.sh("cat /etc/hosts; echo --; cat /etc/hostname; echo --; "
               "cat /etc/resolv.conf")
    assert r.stdout.split("--\n") == [ctr.etc["hosts"], ctr.etc["hostname"],
                                      ctr.etc["resolv.conf"]]
    assert read(os.path.join(layer, "etc/hosts")) == IMAGE_FILES["etc/hosts"]
    # without them beside the ns dir, the image's own
    for name in ctr.etc:
        os.unlink(os.path.join(ctr.pod_dir, name))
    r = ctr.sh("cat /etc/hosts /etc/resolv.conf")
    assert r.stdout == IMAGE_FILES["etc/hosts"] + \
        IMAGE_FILES["etc/resolv.conf"]


def test_etc_file_linked_to_a_missing_file(ctr):
    """/etc/resolv.conf linked to systemd-resolved's stub, which is not in
    the image (it is made at run time): the pod's file goes there."""
    lower = evil_layer(ctr, {
        "/etc/resolv.conf": "../run/systemd/resolve/stub-resolv.conf",
        "/etc/hosts": "/run/hosts"})
    r = ctr.sh("cat /etc/resolv.conf /run/systemd/resolve/stub-resolv.conf "
               "/etc/hosts", lower=lower)
    assert r.stdout == 2 * ctr.etc["resolv.conf"] + ctr.etc["hosts"]
    assert os.path.isfile(os.path.join(
        ctr.upper, "run/systemd/resolve/stub-resolv.conf"))


def test_links_chained_and_looping(ctr):
    """A volume's mountPath through a chain of missing links is made at
    the chain's end; a loop of links fails the start."""
    vol = ctr.host("vol")
    write(os.path.join(vol, "v"), "volume\n")
    volumes = [{"name": "v", "hostPath": {"path": vol}}]
    mounts = {"volumeMounts": [{"name": "v", "mountPath": "/a/data"}]}
    r = ctr.sh("cat /a/data/v /c/d/data/v", container=mounts,
               volumes=volumes,
               lower=evil_layer(ctr, {"/a": "b", "/b": "../c/d"}))
    assert r.stdout == 2 * "volume\n"
    assert os.path.isdir(os.path.join(ctr.upper, "c/d/data"))
    shutil.rmtree(ctr.host("evil"))
    r = ctr.run("true", container=mounts, volumes=volumes,
                lower=evil_layer(ctr, {"/a": "b", "/b": "/a"}))
    ctr.refused(r, "/a/data in the container",
                "Too many levels of symbolic links")


# --- hostile images -------------------------------------------------------

def evil_layer(ctr, links):
    """A layer over the busybox one with links {path: symlink target}."""
    top = ctr.host("evil")
    for path, target in links.items():
        p = os.path.join(top, path.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)
    return f"{top}:{ctr.layer}"


def marker_dir(ctr):
    d = ctr.host(f"host-{uuid.uuid4().hex[:8]}")
    write(os.path.join(d, "marker"), "the host's\n")
    return d


HOSTILE_CHECK = {
    # what the container runs to show the mount is where its path leads
    "/proc": "test -r /proc/self/status",
    "/dev": "echo x >/dev/null",
    "/sys": "test -d /sys/kernel",
    "/data": "cat /data/from-volume",
}


@pytest.mark.parametrize("path", sorted(HOSTILE_CHECK))
def test_hostile_symlink_to_host_path(ctr, path):
    """/proc, /dev, /sys or a volume's mountPath a symlink to a host
    directory: resolved in the container's root, never on the host."""
    host = marker_dir(ctr)
    before = tree(host)
    vol = ctr.host("vol")
    write(os.path.join(vol, "from-volume"), "volume\n")
    r = ctr.run("sh", "-c", HOSTILE_CHECK[path],
                lower=evil_layer(ctr, {path: host}),
                container={"volumeMounts": [{"name": "v",
                                             "mountPath": "/data"}]},
                volumes=[{"name": "v", "hostPath": {"path": vol}}])
    assert tree(host) == before
    assert not any(t.startswith(host) for t, _, _ in r.mounts), r.mounts
    # made where the link leads in the image, as runc does, and used there
    assert r.returncode == 0, r.stderr
    assert any(t == ctr.rootfs + host for t, _, _ in r.mounts), r.mounts
    assert os.path.isdir(os.path.join(ctr.upper, host.lstrip("/")))


def test_hostile_symlinks_on_the_way(ctr):
    """A volume under a directory that is a symlink out of the root, and
    /etc/hosts a symlink to a host file: both stay in the root."""
    host = marker_dir(ctr)
    before = tree(host)
    vol = ctr.host("vol")
    write(os.path.join(vol, "from-volume"), "volume\n")
    os.makedirs(os.path.join(ctr.host("evil"), host.lstrip("/")))
    lower = evil_layer(ctr, {"/opt": os.path.dirname(host),
                             "/etc/hosts": os.path.join(host, "marker")})
    r = ctr.run("sh", "-c", "cat /opt/*/data/from-volume /etc/hosts",
                lower=lower,
                container={"volumeMounts": [
                    {"name": "v",
                     "mountPath": f"/opt/{os.path.basename(host)}/data"}]},
                volumes=[{"name": "v", "hostPath": {"path": vol}}])
    assert tree(host) == before
    assert not any(t.startswith(host) for t, _, _ in r.mounts), r.mounts
    assert r.stdout == "volume\n" + ctr.etc["hosts"], r.stderr
    made = os.path.join(ctr.upper, host.lstrip("/"))
    assert sorted(os.listdir(made)) == ["data", "marker"]
    assert os.path.getsize(os.path.join(made, "marker")) == 0


@pytest.mark.parametrize("path", ["/proc", "/dev", "/sys", "/data"])
@pytest.mark.parametrize("target", ["../../..", "/", "/."])
def test_hostile_symlink_to_the_root(ctr, path, target):
    """A link to the container's own root (which "../.." is, in there):
    nothing is mounted over the root; the start fails, saying where."""
    vol = ctr.host("vol")
    os.makedirs(vol)
    r = ctr.run("true", lower=evil_layer(ctr, {path: target}),
                container={"volumeMounts": [{"name": "v",
                                             "mountPath": "/data"}]},
                volumes=[{"name": "v", "hostPath": {"path": vol}}])
    ctr.refused(r, f"{path} in the container leads to its root")
    assert all(t != ctr.rootfs for t, kind, _ in r.mounts
               if kind != "overlay"), r.mounts
    assert os.listdir(vol) == []
