"""netd's SNTP client against the distribution's chronyd (and, for what
a real server will not send, hostile_ntp.py) in the server namespace.
netd runs with --clock-dry-run: the build host's clock is not ours to
change, so netd keeps its own pretend clock and the test checks what it
would have done (the log, netd status, the saved time and the marker)."""
import os
import re
import time

import pytest

from conftest import read, wait_for

DAY = 86400
STATIC = "[cl0]\naddress = 10.99.0.100/24\nrequired = yes\n"


@pytest.fixture(autouse=True)
def need_chronyd():
    if not os.path.exists("/usr/sbin/chronyd"):
        pytest.skip("no chronyd: run scripts/setup-host")


def start(net, conf):
    """netd with a pretend clock, its saved time in the test's folder."""
    clock = os.path.join(net.tmp, "clock")
    net.start_netd(conf, args=["--clock-dry-run", "--clock-file", clock])
    return clock


def synced(net, timeout=20):
    return wait_for("a time sync", lambda: "time synced" in net.log(),
                    timeout)


def status(net):
    return net.netd("status").stdout


def test_days_away_stepped_then_slewed(net):
    """A server three days ahead of the host: the first sync steps the
    (pretend) clock by three days, the next poll only slews."""
    net.chronyd(ahead_s=3 * DAY)
    wall0, mono0 = time.time(), time.monotonic()
    clock = start(net, "ntp = 10.99.0.1\n" + STATIC)
    synced(net)
    log = net.log()
    m = re.search(r"ntp: stepped the clock by \+(\d+)\.\d{6} s \(dry run\)",
                  log)
    assert m, log
    assert abs(int(m.group(1)) - 3 * DAY) <= 2
    assert re.search(r"ntp: state querying -> waiting: synced to 10\.99\.0\."
                     r"1, 1 of 1 servers agreeing, offset \+259[12]\d\d\.\d+ s,"
                     r" stepped; next poll in 64 s", log), log
    # what a service waits for, and init's floor at the next boot
    marker = read(os.path.join(net.run, "time-synced")).split()
    assert marker[1] == "10.99.0.1"
    saved = int(read(clock))
    assert read(clock) == f"{saved}\n"
    assert abs(saved - (time.time() + 3 * DAY)) < 30
    assert abs(int(marker[0]) - saved) < 30
    st = status(net)
    assert re.search(r"^time: synced to 10\.99\.0\.1, offset \+259[12]\d\d\.\d+ "
                     r"s, \d+ s ago \(dry run\)$", st, re.M), st
    assert re.search(r"^  ntp waiting: next poll in \d+ s \(interval 64 s\)$",
                     st, re.M), st
    assert re.search(r"^  server 10\.99\.0\.1: offset \+259[12]\d\d\.\d+ s, "
                     r"delay [\d.]+ ms, stratum 3$", st, re.M), st
    # the host's clock did not move
    assert abs((time.time() - wall0) - (time.monotonic() - mono0)) < 1


def test_option_42_and_the_next_poll(net):
    """The servers of a lease's option 42; 64 s later the next poll
    finds the pretend clock right and slews what is left."""
    net.chronyd(ahead_s=-2 * DAY)
    net.dnsmasq("--dhcp-option=option:ntp-server,10.99.0.1")
    start(net, "[cl0]\ndhcp = yes\n")
    synced(net, 30)
    assert re.search(r"stepped the clock by -172[78]\d\d\.\d+ s", net.log())
    wait_for("the second poll", lambda: "slewing" in net.log(), 80,
             interval=1)
    m = re.search(r"synced to 10\.99\.0\.1, 1 of 1 servers agreeing, offset "
                  r"([+-]\d+\.\d+) s, slewing; next poll in 64 s", net.log())
    assert m, net.log()
    assert abs(float(m.group(1))) < 0.5
    assert net.log().count("stepped the clock") == 1


def test_falseticker_and_insane_answers(net):
    """chronyd and one more server agree; one is days off (a
    falseticker), and the others fail the sanity checks: leap 3,
    stratum 16, a kiss-o'-death DENY, an origin that is not ours, a
    zero transmit time. The clock follows the two that agree."""
    chrony = net.chronyd(ahead_s=5 * DAY)
    net.hostile_ntp("10.99.0.2", "good", chrony.ahead)
    net.hostile_ntp("10.99.0.3", "good", -40 * DAY)
    net.hostile_ntp("10.99.0.4", "leap3", 5 * DAY)
    net.hostile_ntp("10.99.0.5", "stratum16", 5 * DAY)
    net.hostile_ntp("10.99.0.6", "deny", 0)
    origin = net.hostile_ntp("10.99.0.7", "origin", -9 * DAY)
    net.hostile_ntp("10.99.0.8", "zero-xmt", 5 * DAY)
    start(net, "ntp = " + " ".join(f"10.99.0.{i}" for i in range(1, 9)) +
          "\n" + STATIC)
    synced(net)
    log = net.log()
    m = re.search(r"stepped the clock by \+(\d+)\.\d+ s", log)
    assert m and abs(int(m.group(1)) - 5 * DAY) <= 2, log
    assert re.search(r"synced to 10\.99\.0\.[12], 2 of 8 servers agreeing",
                     log), log
    assert re.search(r"ntp: 10\.99\.0\.3 is a falseticker: offset -345[56]\d{3}\."
                     r"\d+ s, the others agree on \+43[12]\d{3}\.\d+ s", log), log
    for addr, why in [
            ("4", "it is not synchronised \\(leap indicator 3\\)"),
            ("5", "it is not synchronised \\(stratum 16\\)"),
            ("7", "its origin timestamp is not our request's"),
            ("8", "a zero transmit timestamp")]:
        assert re.search(rf"ntp: no answer from 10\.99\.0\.{addr}: {why}",
                         log), (addr, log)
    assert "ntp: 10.99.0.6: kiss-o'-death DENY: no longer asking it" in log
    # the forger was asked again and again (three times a poll, and the
    # carrier coming may have started the poll over); no answer counted
    assert read(origin.log).count("tx origin") >= 3
    st = status(net)
    assert "server 10.99.0.3: offset -345" in st and "(falseticker)" in st
    assert "server 10.99.0.6: refuses us (kiss-o'-death)" in st


def test_no_majority_no_sync(net):
    """Two servers a day apart: no majority, no sync, and said why."""
    net.chronyd(ahead_s=DAY)
    net.hostile_ntp("10.99.0.2", "good", 0)
    start(net, "ntp = 10.99.0.1 10.99.0.2\n" + STATIC)
    wait_for("the poll's end", lambda: "no majority" in net.log())
    assert "time synced" not in net.log()
    assert re.search(r"ntp: 10\.99\.0\.1 says offset \+86[34]\d\d\.\d+ s",
                     net.log())
    assert not os.path.exists(os.path.join(net.run, "time-synced"))
    assert re.search(r"^time: not synced: no majority among the 2 servers "
                     r"that answered \(dry run\)$", status(net), re.M)


def test_name_looked_up(net):
    """A server by name, looked up as the host looks names up (here
    /etc/hosts), in a child: netd's loop goes on meanwhile."""
    net.chronyd(ahead_s=DAY)
    net.hosts("127.0.0.1 localhost\n10.99.0.1 time.keel.test\n")
    start(net, "ntp = time.keel.test nosuch.invalid\n" + STATIC)
    synced(net)
    log = net.log()
    assert "ntp: state stopped -> resolving: new servers" in log
    assert "ntp: unable to look up nosuch.invalid: " in log
    assert re.search(r"synced to time\.keel\.test \(10\.99\.0\.1\), 1 of 1",
                     log), log
    assert re.search(r"server time\.keel\.test \(10\.99\.0\.1\): offset "
                     r"\+86[34]\d\d", status(net))


def test_unreachable_then_reload(net):
    """No answer: the poll ends after its retries and the next backs
    off; a reload that names a live server polls it at once."""
    net.chronyd(ahead_s=DAY)
    start(net, "ntp = 10.99.0.77\n" + STATIC)
    wait_for("the poll's end", lambda: "no answer from 1 server" in
             net.log(), 15)
    assert re.search(r"ntp: no answer from 10\.99\.0\.77: timed out", net.log())
    assert re.search(r"state querying -> waiting: no answer from 1 server; "
                     r"next poll in 64 s", net.log())
    st = status(net)
    assert "time: not synced: no answer from 1 server (dry run)" in st
    assert "  server 10.99.0.77: timed out" in st, st
    net.write_conf("ntp = 10.99.0.1\n" + STATIC)
    net.netd("reload")
    synced(net, 10)
    assert "time: synced to 10.99.0.1" in status(net)


def test_no_server(net):
    start(net, STATIC)
    wait_for("readiness", lambda: "ready" in net.log())
    st = status(net)
    assert "time: not synced (dry run)" in st
    assert "ntp stopped: no server (network.conf's ntp, DHCP option 42)" \
        in st
