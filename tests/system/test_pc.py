"""The pc-x86_64 board on the PCs QEMU makes (q35, OVMF, TCG): the disk
on SATA (AHCI) with an Intel e1000e NIC, and on NVMe with an e1000, each
with the 6300ESB watchdog and a VGA screen. Each boot reaches ready with
the drivers its hardware asked for (modalias), the root on dm-verity, an
address by DHCP and the hardware watchdog armed. The SATA machine then
shows what reached its screen, gets the driver of a USB NIC plugged in
later, is reset by the watchdog when init hangs, and offers its
emergency shell on the screen.

They need the pc-x86_64 test image: `make check-pc` runs them against
it alone; `make check` builds it too and names it in KEEL_PC_IMAGES, and
the x86_64 share of its system tests runs them. Elsewhere they are
skipped. Boots of the generic kernel are the slow part: the SATA machine
is shared by the tests that need one, in order."""
import os
import re
import subprocess
import time

import pytest

import keelvm

PC_BOARD = os.path.join(keelvm.TOP, "board", "pc-x86_64")


def pc_images():
    """The pc-x86_64 test image's folder, or None."""
    if os.path.basename(keelvm.board_dir().rstrip("/")) == "pc-x86_64":
        return keelvm.images_dir()
    return os.environ.get("KEEL_PC_IMAGES")


pytestmark = [
    pytest.mark.skipif(not pc_images(), reason="no pc-x86_64 test image "
                       "(make check-pc, or KEEL_PC_IMAGES)"),
    # an x86 PC: in make check, the x86_64 share runs it
    pytest.mark.one_arch("x86_64"),
]

DISKS = {
    "sata": ["-device ahci,id=ahci",
             "-drive if=none,id=disk0,format=raw,file=@DISK@",
             "-device ide-hd,drive=disk0,bus=ahci.0"],
    "nvme": ["-drive if=none,id=disk0,format=raw,file=@DISK@",
             "-device nvme,serial=keel0,drive=disk0"],
}


def pc_board(work, disk, nic):
    """A folder with the board's qemu-args, its disk on `disk` and its
    NIC a `nic`; the rest (OVMF, i6300esb, the screen) as the board has
    it."""
    lines = []
    with open(os.path.join(PC_BOARD, "qemu-args")) as f:
        for line in f:
            word = line.split("#", 1)[0].strip()
            if re.match(r"-(device (ahci|ide-hd|nvme|e1000)|drive if=none)",
                        word):
                continue
            lines.append(line)
    lines += [a + "\n" for a in DISKS[disk]]
    lines.append(f"-device {nic},netdev=net0\n")
    board = os.path.join(work, f"board-{disk}")
    os.makedirs(board, exist_ok=True)
    with open(os.path.join(board, "qemu-args"), "w") as f:
        f.writelines(lines)
    return board


def boot(work, disk, nic):
    m = keelvm.Machine(keelvm.copy_disk(os.path.join(work, "disk.img"),
                                        pc_images()),
                       work, board=pc_board(work, disk, nic))
    m.start()
    start = time.time()
    try:
        m.ready_at = m.wait_ready(timeout=300)
    except Exception:
        # what the screen shows (the kernel's own errors reach it too)
        m.qmp.cmd("screendump", filename=os.path.join(work, "stuck.ppm"))
        m.kill()
        raise
    m.wall = time.time() - start
    return m


def wait_address(m, timeout=60):
    deadline = time.time() + timeout
    while True:
        out = m.check("ip -4 addr show dev eth0")
        if "inet 10.0.2.15/" in out:
            return
        assert time.time() < deadline, out + m.check("netd status")
        time.sleep(1)


def check_machine(m, root_dev, nic_driver, disk_driver, absent):
    """What both machines must show once ready."""
    text = m.console_text()
    # stage 1 loaded the disk controller's driver for its modalias, and
    # sd_mod (SATA) for the disk it found; stage 2 the NIC's and the
    # watchdog's
    assert re.search(rf"init: loaded {disk_driver} for pci:v", text), text
    assert re.search(rf"init: loaded {nic_driver} for pci:v", text), text
    assert re.search(r"init: loaded i6300esb for pci:v00008086d000025AB",
                     text), text
    assert f"keel: root /dev/{root_dev}2 verified by dm-verity as " \
        "/dev/dm-0" in text
    root = [l.split() for l in m.check("cat /proc/mounts").splitlines()
            if l.split()[1] == "/"]
    assert root[-1][0] == "/dev/dm-0" and root[-1][2] == "squashfs", root
    # only what this machine's hardware asked for (q35 always has an
    # AHCI controller: ahci loads on the NVMe machine too)
    loaded = m.check("ls /sys/module").split()
    assert nic_driver in loaded and disk_driver in loaded, loaded
    for other in absent:
        assert other not in loaded, (other, loaded)
    wait_address(m)
    drv = m.check("basename $(readlink /sys/class/net/eth0/device/driver)")
    assert drv.strip() == nic_driver
    # the first hardware watchdog, not softdog
    assert m.check("cat /sys/class/watchdog/watchdog0/identity").strip() \
        == "i6300ESB timer"
    assert re.search(r"init: watchdog i6300ESB timer \(/dev/watchdog0, "
                     r"hardware\) armed: 6 s timeout", text), text
    assert "softdog" not in loaded


@pytest.fixture(scope="module")
def sata(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("sata"))
    m = boot(work, "sata", "e1000e")
    yield m
    m.kill()


def test_sata_e1000e(sata):
    print(f"pc-x86_64 on SATA: ready at {sata.ready_at} s since kernel "
          f"start, {sata.wall:.1f} s since QEMU started")
    check_machine(sata, "sda", "e1000e", "ahci",
                  ("e1000", "igb", "r8169", "virtio_net", "nvme"))
    assert "init: loaded sd_mod for scsi:t-0x00" in sata.console_text()


def screendump(m, name):
    """The screen as (width, height, pixels) from QMP's screendump."""
    path = os.path.join(m.workdir, name)
    reply = m.qmp.cmd("screendump", filename=path)
    assert "error" not in reply, reply
    with open(path, "rb") as f:
        data = f.read()
    # PPM: P6 <width> <height> <maxval> then RGB bytes
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P6" and maxval == b"255"
    return int(width), int(height), pixels


def test_screen_shows_the_console(sata):
    """What can be checked of a screen without reading it: the text the
    console holds (/dev/vcs1, the first virtual console's characters) has
    keel's lines, the screendump is not one colour, and writing a line to
    tty0 changes it."""
    shown = sata.check("cat /dev/vcs1")
    assert "keel: stage 1 (initramfs)" in shown or "keel: stage 2" in shown
    assert "keel: ready at" in shown, shown
    # the console shell on the screen (console-tty0) is running
    assert re.search(r"^console-tty0 +ready", sata.check("initctl status"),
                     re.M)
    w, h, before = screendump(sata, "before.ppm")
    assert w >= 640 and h >= 400
    colours = {before[i:i + 3] for i in range(0, len(before), 3 * 97)}
    assert len(colours) > 1, "the screen is one colour"
    sata.check("printf '\\n@@ON THE SCREEN@@\\n' >/dev/tty0")
    time.sleep(1)
    _, _, after = screendump(sata, "after.ppm")
    assert after != before
    assert "@@ON THE SCREEN@@" in sata.check("cat /dev/vcs1")


def test_usb_nic_plugged_in_later(sata):
    """A USB NIC plugged in once the machine is up: its uevent's modalias
    gets its driver from the root (stage 2's event loop)."""
    assert re.search(r"init: loaded xhci_pci for pci:v00001B36d0000000D",
                     sata.console_text())
    assert "cdc_ether" not in sata.check("ls /sys/module").split()
    reply = sata.qmp.cmd("netdev_add", type="user", id="usbnet")
    assert "error" not in reply, reply
    reply = sata.qmp.cmd("device_add", driver="usb-net", netdev="usbnet",
                         bus="xhci.0")
    assert "error" not in reply, reply
    sata.expect(r"init: loaded cdc_ether for usb:v0525pA4A2d\w+ic02isc06",
                timeout=60)
    deadline = time.time() + 30
    while "usb0" not in sata.check("ls /sys/class/net").split():
        assert time.time() < deadline, sata.check("ls /sys/class/net")
        time.sleep(1)


def test_hung_init_reset_by_the_hardware_watchdog(sata):
    sata.child.sendline("initctl debug-hang")
    sata.expect(r"debug: main loop hanging")
    t0 = time.time()
    sata.expect(r"keel: stage 1", timeout=120)
    assert time.time() - t0 < 60
    # no clean shutdown: the 6300ESB reset the machine
    assert "reboot now" not in sata.console_text()
    sata.wait_ready(timeout=300)
    assert sata.check("cat /sys/class/watchdog/watchdog0/identity").strip() \
        == "i6300ESB timer"


# QMP send-key names for what the test types on the screen's keyboard
KEYS = {" ": "spc", "\n": "ret", "/": "slash", "-": "minus", ".": "dot",
        "@": ["shift", "2"], ">": ["shift", "dot"]}


def type_on_screen(m, text):
    for ch in text:
        key = KEYS.get(ch, ["shift", ch.lower()] if ch.isupper() else ch)
        keys = key if isinstance(key, list) else [key]
        reply = m.qmp.cmd("send-key", keys=[{"type": "qcode", "data": k}
                                            for k in keys])
        assert "error" not in reply, (ch, reply)
        time.sleep(0.05)


def test_emergency_shell_on_the_screen(sata):
    """A /var that e2fsck cannot repair: the emergency shell is offered
    on the screen and the serial port alike; Enter on the screen's
    keyboard gets it there, and it runs commands."""
    sata.qmp.cmd("stop")
    offset, _ = keelvm.partition_extent(sata.disk, 4)
    with open(sata.disk, "r+b") as f:
        f.seek(offset)
        f.write(os.urandom(1 << 20))
    sata.qmp.cmd("system_reset")
    sata.qmp.cmd("cont")
    sata.expect(r"unable to repair data partition /dev/sda4", timeout=300)
    sata.expect(r"keel: press Enter for an emergency shell \(tty0, ttyS0\)")
    type_on_screen(sata, "\n")
    sata.expect(r"keel: emergency shell on /dev/tty0")
    type_on_screen(sata, "echo @@typed-on-the-screen@@ >/dev/ttyS0\n")
    sata.expect(r"@@typed-on-the-screen@@")


def test_nvme_e1000(tmp_path):
    m = boot(str(tmp_path), "nvme", "e1000")
    try:
        print(f"pc-x86_64 on NVMe: ready at {m.ready_at} s since kernel "
              f"start, {m.wall:.1f} s since QEMU started")
        check_machine(m, "nvme0n1p", "e1000", "nvme",
                      ("e1000e", "igb", "r8169", "virtio_net"))
    finally:
        m.kill()
