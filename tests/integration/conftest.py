"""Fixtures for the integration tests.

netd's: a server namespace and a client namespace joined by a veth pair,
both created here and deleted after each test, with the distribution's
dnsmasq or the hostile test server on one side and netd (the host build)
on the other.

imaged's image pull: docker-registry, token issuers, fault proxies and
snooping mirrors per test (`peers`), and, made once, the test images, a
test CA and the hostile layer corpus."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

import faultproxy
import hostile_layers
import oci_build
import registry
import snoop

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
NETD = os.environ.get("NETD", os.path.join(TOP, "output", "qemu-x86_64",
                                           "host", "netd"))


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True,
                          text=True).stdout


def wait_for(what, pred, timeout=20, interval=0.1):
    """Poll pred() until it returns something true; fail with `what`."""
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for "
                                 f"{what}")
        time.sleep(interval)


class Net:
    def __init__(self, tmp):
        tag = uuid.uuid4().hex[:6]
        self.tmp = str(tmp)
        self.srv_ns = f"kts-{tag}"
        self.cli_ns = f"ktc-{tag}"
        self.extra_ns = []
        self.etc_dirs = []
        self.procs = []
        sh("ip", "netns", "add", self.srv_ns)
        sh("ip", "netns", "add", self.cli_ns)
        self.veth(f"kva{tag}", f"kvb{tag}", "srv0", "cl0")
        self.srv("ip", "addr", "add", "10.99.0.1/24", "dev", "srv0")
        self.srv("ip", "link", "set", "srv0", "up")
        self.srv("ip", "link", "set", "lo", "up")
        self.netd_proc = None
        self.conf = os.path.join(self.tmp, "network.conf")
        self.state = os.path.join(self.tmp, "state")
        self.run = os.path.join(self.tmp, "run")
        self.netd_log = os.path.join(self.tmp, "netd.log")

    def veth(self, a, b, srv_name, cli_name):
        """A veth pair, one end in each namespace, renamed there."""
        sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        sh("ip", "link", "set", a, "netns", self.srv_ns)
        sh("ip", "link", "set", b, "netns", self.cli_ns)
        self.srv("ip", "link", "set", a, "name", srv_name)
        self.cli("ip", "link", "set", b, "name", cli_name)

    def srv(self, *argv, check=True):
        return sh("ip", "netns", "exec", self.srv_ns, *argv, check=check)

    def cli(self, *argv, check=True):
        return sh("ip", "netns", "exec", self.cli_ns, *argv, check=check)

    def spawn(self, ns, argv, log, **kw):
        f = open(log, "a")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + argv, stdout=f,
                             stderr=subprocess.STDOUT, **kw)
        self.procs.append(p)
        return p

    # --- dnsmasq, the real DHCP server --------------------------------
    def dnsmasq(self, *opts, range_="10.99.0.50,10.99.0.60", lease="2m",
                name="dnsmasq"):
        log = os.path.join(self.tmp, f"{name}.log")
        argv = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                "--interface=srv0", "--bind-interfaces",
                "--except-interface=lo", "--port=0", "--no-ping",
                "--user=root", "--pid-file=", "--log-dhcp",
                "--log-facility=-",
                f"--dhcp-leasefile={os.path.join(self.tmp, name + '.leases')}",
                f"--dhcp-range={range_},{lease}"] + list(opts)
        p = self.spawn(self.srv_ns, argv, log)
        p.log = log
        wait_for("dnsmasq to start", lambda: "started" in read(log), 10)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    # --- NTP servers ------------------------------------------------------
    def chronyd(self, ahead_s=0, addr="10.99.0.1", name="chronyd"):
        """The distribution's chronyd serving time ahead_s seconds away
        from the host's (to the second), without touching the host's
        clock: -x (no clock control) and CAP_SYS_TIME gone from its
        bounding set; its own time is moved by `chronyc settime`
        (`manual`), which under -x it keeps to itself and serves as a
        stratum 3 server (`local`)."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d, mode=0o700)
        conf = os.path.join(d, "chrony.conf")
        sock = os.path.join(d, "chronyd.sock")
        with open(conf, "w") as f:
            f.write(f"pidfile {d}/chronyd.pid\ndriftfile {d}/drift\n"
                    f"bindcmdaddress {sock}\nbindaddress {addr}\n"
                    "local stratum 3\nmanual\nallow all\n")
        log = os.path.join(self.tmp, f"{name}.log")
        p = self.spawn(self.srv_ns, [
            "setpriv", "--inh-caps=-sys_time", "--bounding-set=-sys_time",
            "chronyd", "-x", "-d", "-u", "root", "-f", conf], log)
        wait_for("chronyd's command socket", lambda: os.path.exists(sock),
                 10)
        when = time.strftime("%Y-%m-%d %H:%M:%S",
                             time.gmtime(time.time() + ahead_s))
        r = subprocess.run(["chronyc", "-h", sock, "settime", when],
                           capture_output=True, text=True,
                           env=dict(os.environ, TZ="UTC"))
        assert r.returncode == 0 and "200 OK" in r.stdout, r
        # settime takes whole seconds: what chronyd now serves, to the
        # millisecond, for servers that must agree with it
        p.ahead = float(self.srv(sys.executable,
                                 os.path.join(HERE, "hostile_ntp.py"),
                                 "--query", addr))
        p.log = log
        return p

    def hostile_ntp(self, addr, mode="good", ahead_s=0.0):
        """tests/integration/hostile_ntp.py on addr (given to srv0 here):
        right, wrong or hostile answers, on purpose."""
        self.srv("ip", "addr", "add", f"{addr}/24", "dev", "srv0")
        log = os.path.join(self.tmp, f"ntp-{addr}.log")
        p = self.spawn(self.srv_ns, [
            sys.executable, os.path.join(HERE, "hostile_ntp.py"), "--addr",
            addr, "--mode", mode, "--ahead", str(ahead_s), "--log", log],
            log)
        wait_for(f"hostile_ntp on {addr}", lambda: "ready" in read(log), 10)
        p.log = log
        return p

    def hosts(self, text):
        """/etc/hosts as netd (started after this) and its name lookups
        see it: `ip netns exec` binds /etc/netns/NS/hosts over it."""
        d = f"/etc/netns/{self.cli_ns}"
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "hosts"), "w") as f:
            f.write(text)
        self.etc_dirs.append(d)

    # --- netd -------------------------------------------------------------
    def write_conf(self, text):
        with open(self.conf + ".tmp", "w") as f:
            f.write(text)
        os.rename(self.conf + ".tmp", self.conf)

    def start_netd(self, conf=None, ready_pipe=False, args=()):
        if conf is not None:
            self.write_conf(conf)
        env = dict(os.environ)
        pass_fds = ()
        self.ready_r = None
        if ready_pipe:
            r, w = os.pipe()
            env["READY_FD"] = str(w)
            pass_fds = (w,)
            self.ready_r = r
        self.netd_proc = self.spawn(
            self.cli_ns, [NETD, "--config", self.conf, "--state", self.state,
                          "--run", self.run] + list(args), self.netd_log,
            env=env, pass_fds=pass_fds)
        if ready_pipe:
            os.close(w)
        wait_for("netd's socket",
                 lambda: os.path.exists(os.path.join(self.run, "netd.sock")))
        return self.netd_proc

    def netd_pid(self):
        """The daemon's pid: `ip netns exec` execs it, or (in batch mode)
        forks it as its only child."""
        pid = self.netd_proc.pid
        kids = read(f"/proc/{pid}/task/{pid}/children").split()
        return int(kids[0]) if kids else pid

    def netd(self, *args, check=True):
        """The netd client, as a user runs it: in the daemon's mount and
        network namespaces, as its control socket will want its peers
        (`ip netns exec` gives each command a mount namespace of its
        own)."""
        r = subprocess.run(["nsenter", "-t", str(self.netd_pid()), "-m", "-n",
                            NETD, "--run", self.run] + list(args),
                           capture_output=True, text=True)
        if check:
            assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        return r

    def log(self):
        return read(self.netd_log)

    def addrs(self, dev="cl0"):
        out = self.cli("ip", "-o", "addr", "show", "dev", dev)
        return re.findall(r"inet6? (\S+)", out)

    def v4(self, dev="cl0"):
        return [a for a in self.addrs(dev) if ":" not in a]

    def routes(self, *args):
        return self.cli("ip", "route", "show", *args)

    def resolv(self):
        return read(os.path.join(self.run, "resolv.conf"))

    def close(self):
        for p in reversed(self.procs):
            self.stop(p)
        for ns in [self.cli_ns, self.srv_ns] + self.extra_ns:
            sh("ip", "netns", "del", ns, check=False)
        for d in self.etc_dirs:
            shutil.rmtree(d, ignore_errors=True)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


@pytest.fixture
def net(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if not os.path.exists(NETD):
        pytest.fail(f"no netd host build at {NETD}: run 'make integration'")
    n = Net(tmp_path)
    yield n
    alive = n.netd_proc is not None and n.netd_proc.poll() is None
    n.close()
    # netd must never have died on its own, whatever the test did to it
    if n.netd_proc is not None and not alive and \
            n.netd_proc.returncode not in (0, -signal.SIGTERM):
        pytest.fail(f"netd exited {n.netd_proc.returncode}:\n{n.log()}")


# --- image pull: registries and their peers -----------------------------

class Peers:
    """Registries, token issuers, fault proxies and snooping mirrors a
    test starts; all stopped (registries killed and waited for) when it
    ends."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.all = []
        self.n = 0

    def _keep(self, obj):
        self.all.append(obj)
        return obj

    def registry(self, mode="plain", **kw):
        self.n += 1
        kw.setdefault("name", f"registry{self.n}")
        return self._keep(registry.Registry(self.tmp, mode, **kw))

    def issuer(self, **kw):
        self.n += 1
        return self._keep(registry.TokenIssuer(
            os.path.join(self.tmp, f"issuer{self.n}"), **kw))

    def proxy(self, upstream_port):
        return self._keep(faultproxy.FaultProxy(upstream_port))

    def snoop(self, **kw):
        return self._keep(snoop.Snoop(**kw))

    def close(self):
        for obj in reversed(self.all):
            obj.close()


@pytest.fixture
def peers(tmp_path):
    p = Peers(tmp_path)
    yield p
    p.close()


@pytest.fixture(scope="session")
def oci_images(tmp_path_factory):
    """The standard test images (oci_build.build_all), built once."""
    return oci_build.build_all(tmp_path_factory.mktemp("oci") / "layout")


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    return registry.CA(tmp_path_factory.mktemp("ca"))


HOSTILE_BOMB_MIB = 256  # 8 times test_pull.py's max_layer_bytes


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """The hostile layer corpus (hostile_layers.py), made once: (entries,
    layout, marker). The marker directory itself is the test's to make."""
    marker = f"/tmp/keel-hostile-{uuid.uuid4().hex[:8]}"
    entries, lay = hostile_layers.generate(
        str(tmp_path_factory.mktemp("hostile")), marker, HOSTILE_BOMB_MIB)
    return entries, lay, marker
