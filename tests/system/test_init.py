"""init as a service manager, in the test image (tests/system/overlay adds
the t-* services). The first group shares one machine and runs in order.
Its RTC starts at 2001 (as a box whose battery died), for the clock's
floor."""
import re
import subprocess
import time

import pytest

import keelvm

MACHINE_IDS = []
# QEMU's RTC at this date on every start of QEMU
RTC_2001 = ["-rtc", "base=2001-01-01T00:00:00"]
RTC_2001_SECS = 978307200


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("init"))
    m = keelvm.Machine(keelvm.copy_disk(f"{work}/disk.img"), work,
                       extra_args=RTC_2001)
    m.start()
    m.wait_ready()
    yield m
    m.kill()


def status(vm):
    """initctl status as {service: (state, pid, restarts, note)}."""
    rows = {}
    for line in vm.check("initctl status").splitlines():
        f = line.split(None, 5)
        # init's own console messages may interleave with the table
        if len(f) >= 5 and f[3].isdigit() and not f[0].endswith(":"):
            rows[f[0]] = (f[1], f[2], int(f[3]), f[5] if len(f) > 5 else "")
    return rows


def wait_for(vm, predicate, timeout=30):
    deadline = time.time() + timeout
    while True:
        st = status(vm)
        if predicate(st):
            return st
        assert time.time() < deadline, st
        time.sleep(0.5)


def test_bad_service_file_is_named_and_skipped(vm):
    text = vm.console_text()
    assert ("unable to load /etc/init/t-broken.conf: line 3: "
            "unknown key 'retsart'") in text
    st = status(vm)
    assert "t-broken" not in st
    assert st["console"][0] == "ready"


def test_needs_waits_for_readiness(vm):
    st = wait_for(vm, lambda s: s["t-needs"][0] == "ready")
    assert st["t-notify"][0] == "ready"
    ready = float(vm.check("cat /run/t-notify.ready").split()[0])
    started = float(vm.check("cat /run/t-needs.start").split()[0])
    assert started >= ready
    text = vm.console_text()
    assert text.index("t-notify: ready") < text.index("t-needs: started")


def test_crash_backoff_and_limit(vm):
    assert status(vm)["t-crash"][0] == "stopped"  # autostart = no
    vm.check("initctl start t-crash")
    st = wait_for(vm, lambda s: s["t-crash"][0] == "backoff"
                  and s["t-crash"][2] >= 2)
    # the delay of the pending restart is shown
    assert re.search(r"restart in \d+ ms \(delay [24]000 ms\)",
                     st["t-crash"][3]), st["t-crash"]
    st = wait_for(vm, lambda s: s["t-crash"][0] == "failed", timeout=30)
    assert st["t-crash"][2] == 3
    assert "crash loop: exited with 3" in st["t-crash"][3]
    text = vm.console_text()
    delays = [int(d) for d in
              re.findall(r"t-crash: exited with 3; restart \d+ in (\d+) ms",
                         text)]
    assert delays == [1000, 2000, 4000]
    assert "t-crash: exited with 3 4 times in a row; giving up" in text
    # its output went to its log, once per run
    assert vm.check("grep -c crashing /var/log/t-crash.log").strip() == "4"


def test_user_env_workdir(vm):
    log = vm.check("cat /var/log/t-env.log")
    assert "uid=65534 gid=65534 foo=bar baz pwd=/tmp" in log


def test_stop_kills_whole_cgroup(vm):
    procs = vm.check("cat /sys/fs/cgroup/system/t-forker/cgroup.procs").split()
    assert len(procs) == 3
    out = vm.check("initctl stop t-forker")
    assert "t-forker: stopping" in out
    wait_for(vm, lambda s: s["t-forker"][0] == "stopped", timeout=15)
    # (a process may end between the glob and the read: not an error)
    left = vm.check("for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' "
                    "2>/dev/null <$f; echo; done | "
                    "grep -c '^sleep 10000[123]' || true")
    assert left.strip() == "0"
    vm.check("initctl start t-forker")
    st = wait_for(vm, lambda s: s["t-forker"][0] == "ready")
    assert st["t-forker"][1] != "-"


def test_restart_gives_new_pid(vm):
    before = status(vm)["t-env"][1]
    vm.check("initctl restart t-env")
    st = wait_for(vm, lambda s: s["t-env"][0] == "ready"
                  and s["t-env"][1] not in ("-", before))
    assert st["t-env"][1] != before


def test_blocked_service_says_what_it_waits_for(vm):
    vm.check("initctl stop t-notify")
    wait_for(vm, lambda s: s["t-notify"][0] == "stopped")
    vm.check("initctl restart t-needs")
    st = wait_for(vm, lambda s: s["t-needs"][0] == "blocked")
    assert st["t-needs"][3] == "waiting for t-notify (stopped)"
    vm.check("initctl start t-notify")
    st = wait_for(vm, lambda s: s["t-needs"][0] == "ready", timeout=20)
    assert st["t-notify"][0] == "ready"


def test_unknown_service_and_request(vm):
    rc, out = vm.run("initctl stop nope")
    assert rc == 1
    assert "no service named 'nope'" in out
    rc, out = vm.run("initctl frobnicate")
    assert rc == 1
    assert "unknown request 'frobnicate'" in out
    rc, out = vm.run("initctl")
    assert rc == 2
    assert "usage: initctl status" in out


def test_control_socket_is_root_only(vm):
    mode = vm.check("stat -c %a /run/init.sock").strip()
    assert mode == "600"


def test_log_rotation(vm):
    out = vm.check("ls /var/log/")
    names = out.split()
    assert "t-logger.log" in names and "t-logger.log.1" in names
    assert "t-logger.log.2" in names and "t-logger.log.3" not in names
    sizes = vm.check("stat -c %s /var/log/t-logger.log*").split()
    assert all(int(s) <= 16 * 1024 for s in sizes), sizes
    # the newest lines are in the current file
    assert "line 1999 of t-logger" in vm.check("tail -n 1 /var/log/t-logger.log")


def test_init_log_keeps_early_lines(vm):
    log = vm.check("cat /var/log/init.log")
    # written before /var was mounted, flushed once it was
    assert "keel: stage 2 (root)" in log
    assert "keel: data: created ext4 filesystem" in log
    assert "t-notify: ready" in log


def test_host_setup(vm):
    mid = vm.check("cat /etc/machine-id").strip()
    assert re.fullmatch(r"[0-9a-f]{32}", mid)
    assert vm.check("cat /var/lib/keel/machine-id").strip() == mid
    assert vm.check("hostname").strip() == "keel-" + mid[:8]
    assert vm.check("cat /proc/sys/kernel/panic").strip() == "10"
    # forwarding is netd's, once its firewall is in for a pod
    assert vm.check("cat /proc/sys/net/ipv4/ip_forward").strip() == "0"
    assert vm.check("stat -c %s /var/lib/keel/random-seed").strip() == "512"
    mounts = vm.check("cat /proc/mounts")
    boot = [l.split() for l in mounts.splitlines() if l.split()[1] == "/boot"]
    assert boot and boot[0][2] == "vfat" and boot[0][3].startswith("ro")
    assert "README.txt" in vm.check("ls /boot/config")
    MACHINE_IDS.append(mid)


def test_watchdog_armed_and_quiet(vm):
    assert "watchdog softdog armed: 6 s timeout" in vm.console_text() or \
        re.search(r"watchdog .* armed: 6 s timeout", vm.console_text())
    time.sleep(10)  # longer than the timeout: petting keeps it up
    vm.sync_shell()
    assert vm.console_text().count("keel: stage 1") == 1


@pytest.mark.one_arch("x86_64")
def test_full_disk_drops_log_lines(vm):
    # Its log files go first: on a full disk each rotation frees the blocks
    # the next file needs, so a current file that the few blocks left after
    # the fill let reach the rotation size never drops a line (CI saw it).
    # A new file can't grow past those few blocks, so it never rotates.
    vm.check("initctl stop t-logger")
    wait_for(vm, lambda s: s["t-logger"][0] == "stopped", timeout=15)
    vm.check("rm /var/log/t-logger.log*")
    vm.check("dd if=/dev/zero of=/var/fill bs=1M 2>/dev/null; sync; true",
             timeout=120)
    vm.check("initctl start t-logger")
    st = wait_for(vm, lambda s: "lines dropped" in s["t-logger"][3],
                  timeout=60)
    assert re.search(r"log: \d+ lines dropped", st["t-logger"][3])
    assert "dropping its log lines" in vm.console_text()
    # the run after the removal made a new file: init let go of the old one
    vm.check("test -f /var/log/t-logger.log")
    # init and the other services carry on
    assert st["console"][0] == "ready" and st["t-env"][0] == "ready"
    vm.check("rm /var/fill && sync")
    # once there is room the service's output is kept again (the note of
    # the loss itself is checked by the unit tests: here rotation would
    # soon push it out)
    vm.check("initctl restart t-logger")
    wait_for(vm, lambda s: s["t-logger"][0] == "ready")
    vm.check("sleep 3")
    assert "line 1999 of t-logger" in vm.check("tail -n 1 /var/log/t-logger.log")


def now(vm):
    return int(vm.check("date +%s"))


def test_clock_floor_is_the_build_time(vm):
    """An RTC at 2001: stage 2 moved the clock on to the image's build
    time, and said so."""
    built = int(vm.check("cat /etc/keel/build-time"))
    assert built > RTC_2001_SECS
    assert built <= now(vm) < built + 3600, (built, now(vm))
    assert re.search(r"keel: clock set to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                     r"UTC, the image's build time \(it said 2001-01-01 ",
                     vm.console_text())
    # the RTC itself is left as it was
    rtc = vm.check("cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null || "
                   "true").strip()
    assert not rtc or int(rtc) < built, rtc


@pytest.mark.one_arch("x86_64")
def test_reboot_keeps_identity_and_time(vm):
    """What /var keeps across a reboot: the machine id, a new random seed,
    and the last time the host knew (saved at shutdown), which the next
    boot's clock starts from although the RTC still says 2001."""
    mid = vm.check("cat /etc/machine-id").strip()
    seed = vm.check("md5sum /var/lib/keel/random-seed").split()[0]
    # as if time sync had set it: three days past the build
    later = int(vm.check("cat /etc/keel/build-time")) + 3 * 86400
    vm.check(f"date -s @{later} >/dev/null")
    vm.child.sendline("reboot")
    vm.expect(r"keel: reboot now")
    vm.wait_ready()
    assert vm.check("cat /etc/machine-id").strip() == mid
    assert vm.check("md5sum /var/lib/keel/random-seed").split()[0] != seed
    saved = int(vm.check("cat /var/lib/keel/clock"))
    assert later <= saved < later + 600, (later, saved)
    assert saved <= now(vm) < saved + 600
    assert "the last time this host knew" in vm.console_text()


def test_poweroff_bounded_with_stubborn_service(vm):
    start = time.time()
    vm.child.sendline("poweroff")
    vm.expect(r"t-stubborn: still running after 2 s; killing it")
    assert vm.wait_exit(60) == 0
    assert time.time() - start < 20
    text = vm.console_text().split("keel: poweroff: stopping services")[-1]
    # services that others need stop last
    assert text.index("t-needs: stopped") < text.index("t-notify: stopped")


def fresh(tmp_path, name):
    work = str(tmp_path)
    m = keelvm.Machine(keelvm.copy_disk(f"{work}/{name}.img"), work)
    m.start()
    m.wait_ready()
    return m


@pytest.mark.one_arch("aarch64")
def test_critical_crash_loop_reboots(tmp_path):
    m = fresh(tmp_path, "critical")
    try:
        MACHINE_IDS.append(m.check("cat /etc/machine-id").strip())
        m.check("initctl start t-critical")
        m.expect(r"t-critical is critical: rebooting", timeout=30)
        m.expect(r"keel: reboot now")
        m.expect(r"keel: stage 1")
        m.wait_ready()
    finally:
        m.kill()


@pytest.mark.one_arch("x86_64")
def test_watchdog_resets_wedged_init(tmp_path):
    m = fresh(tmp_path, "wedge")
    try:
        MACHINE_IDS.append(m.check("cat /etc/machine-id").strip())
        m.child.sendline("initctl debug-hang")
        m.expect(r"debug: main loop hanging")
        t0 = time.time()
        m.expect(r"keel: stage 1", timeout=60)
        # no clean shutdown happened: the watchdog reset it
        assert "reboot now" not in m.console_text()
        assert time.time() - t0 < 30
        m.wait_ready()
    finally:
        m.kill()


def test_machine_ids_differ_between_disks():
    # the disks booted above (a one_arch test among them may run on the
    # other arch only)
    assert len(MACHINE_IDS) >= 2, MACHINE_IDS
    assert len(set(MACHINE_IDS)) == len(MACHINE_IDS), MACHINE_IDS
