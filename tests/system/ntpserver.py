"""An NTP server on the host for the guests: the distribution's chronyd
on 127.0.0.1 (the guest's 10.0.2.2 through QEMU's user network), serving
a time some seconds away from the host's without touching the host's
clock: -x (no clock control), CAP_SYS_TIME out of its bounding set, and
its own time moved by `chronyc settime` (`manual`), which under -x it
keeps to itself and serves as a stratum 3 server (`local`)."""
import contextlib
import os
import re
import shutil
import socket
import subprocess
import time


def have_chronyd():
    return bool(shutil.which("chronyd"))


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def chronyd(dir, ahead_s=0):
    """chronyd in dir (made here) on 127.0.0.1:PORT, ahead_s seconds
    ahead of the host; yields (PORT, what it serves minus the host's
    time, exactly: settime takes whole seconds)."""
    d = os.path.join(str(dir), "chrony")
    os.makedirs(d, mode=0o700)
    sock = os.path.join(d, "chronyd.sock")
    port = free_udp_port()
    with open(os.path.join(d, "chrony.conf"), "w") as f:
        f.write(f"pidfile {d}/chronyd.pid\ndriftfile {d}/drift\n"
                f"bindcmdaddress {sock}\nbindaddress 127.0.0.1\n"
                f"port {port}\nlocal stratum 3\nmanual\nallow all\n")
    log = open(os.path.join(str(dir), "chronyd.log"), "w")
    proc = subprocess.Popen(
        ["setpriv", "--inh-caps=-sys_time", "--bounding-set=-sys_time",
         "chronyd", "-x", "-d", "-u", "root", "-f", f"{d}/chrony.conf"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 10
        while not os.path.exists(sock):
            assert time.time() < deadline and proc.poll() is None, \
                open(log.name).read()
            time.sleep(0.1)
        when = time.strftime("%Y-%m-%d %H:%M:%S",
                             time.gmtime(time.time() + ahead_s))
        subprocess.run(["chronyc", "-h", sock, "settime", when], check=True,
                       capture_output=True, env=dict(os.environ, TZ="UTC"))
        out = subprocess.run(["chronyc", "-h", sock, "tracking"], check=True,
                             capture_output=True, text=True).stdout
        m = re.search(r"System time\s*:\s*([\d.]+) seconds (slow|fast)", out)
        assert m, out
        yield port, float(m.group(1)) * (1 if m.group(2) == "slow" else -1)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
