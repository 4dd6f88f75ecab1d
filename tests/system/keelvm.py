"""Drive a keel image in QEMU through its serial console and QMP."""
import json
import os
import re
import shutil
import socket
import subprocess
import time

import pexpect

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The serial console sends \r\n, sometimes \r\r\n.
NL = r"\r*\n"


def images_dir():
    return os.environ.get("KEEL_IMAGES",
                          os.path.join(TOP, "output", "qemu-x86_64", "images"))


def board_dir():
    return os.environ.get("KEEL_BOARD_DIR",
                          os.path.join(TOP, "board", "qemu-x86_64"))


def arch():
    return os.environ.get("KEEL_ARCH", "x86_64")


def full():
    """make check-full (KEEL_FULL=1): every case of the long tests."""
    return os.environ.get("KEEL_FULL") == "1"


ARCHES = ("x86_64", "aarch64")


def share_of(cases):
    """The long, arch-neutral loops (a power cut at every fault point)
    split between the arches when make check runs them at once: each arch
    takes every other case, so each case runs once and both bootloaders
    see cuts. Alone, or in make check-full, an arch runs them all."""
    if full() or os.environ.get("KEEL_SHARE") != "1":
        return list(cases)
    return list(cases)[ARCHES.index(arch())::len(ARCHES)]


# the guest's arch in OCI's and Debian's words
DEBARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def debarch(a=None):
    return DEBARCH[a or arch()]


def busybox(a=None):
    """The distribution's static busybox for arch a (the guest's by
    default), for the test containers, or None: make test-busybox puts
    both arches' in output/test-busybox."""
    path = os.path.join(TOP, "output", "test-busybox", debarch(a), "bin",
                        "busybox")
    if os.path.exists(path):
        return path
    if (a or arch()) == os.uname().machine and os.path.exists("/bin/busybox"):
        return "/bin/busybox"
    return None


def musl_gcc(a=None):
    """A C compiler giving static musl binaries for arch a."""
    return "musl-gcc" if (a or arch()) == os.uname().machine \
        else f"{a or arch()}-linux-musl-gcc"


def uboot():
    """Whether the board boots with U-Boot (boot.cmd) rather than GRUB."""
    return os.path.exists(os.path.join(board_dir(), "boot.cmd"))


def bootstate_files():
    """The boot state's two files in the booted guest."""
    names = ("uboot.env", "uboot.env.bak") if uboot() else \
        ("grubenv", "grubenv.bak")
    return [f"/boot/EFI/keel/{n}" for n in names]


def slot_file():
    """A slot's settings file on the ESP, and how a verity hash ends in it."""
    return ("slot.env", "\n") if uboot() else ("slot.cfg", '"')


def console():
    """The serial console's device in the guest."""
    return "ttyS0" if arch() == "x86_64" else "ttyAMA0"


def slot_settings(disk, slot, work):
    """(verity argument, extra command line) of a slot, from the ESP:
    slot.cfg (GRUB script) or slot.env (U-Boot name=value lines)."""
    offset, _ = partition_extent(disk, 1)
    for name in ("slot.env", "slot.cfg"):
        dest = os.path.join(work, name)
        r = subprocess.run(["mcopy", "-n", "-i", f"{disk}@@{offset}",
                            f"::{slot}/{name}", dest], capture_output=True)
        if r.returncode:
            continue
        text = open(dest).read()
        if name == "slot.cfg":  # set keel_verity="keel.verity=..."
            return text.split('"')[1], text.split('"')[3]
        kv = dict(line.split("=", 1) for line in text.splitlines() if line)
        return kv.get("keel_verity", ""), kv.get("keel_cmdline", "")
    raise FileNotFoundError(f"no slot settings for {slot} in {disk}")


def copy_disk(dest, images=None):
    """A private copy of the built disk.img (sparse, so it is cheap), of
    the test image under test or of the one in `images`."""
    src = os.path.join(images or images_dir(), "disk.img")
    subprocess.run(["cp", "--sparse=always", src, dest], check=True)
    return dest


def partition_extent(disk, number):
    """(offset, size) in bytes of GPT partition `number`."""
    out = subprocess.run(["sgdisk", "-i", str(number), disk], check=True,
                         capture_output=True, text=True).stdout
    first = int(re.search(r"First sector: (\d+)", out).group(1))
    last = int(re.search(r"Last sector: (\d+)", out).group(1))
    return first * 512, (last - first + 1) * 512


class QMP:
    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply or "error" in reply:
                return reply

    def close(self):
        self.sock.close()


class Machine:
    """One QEMU guest. `log` holds everything the console printed."""

    def __init__(self, disk, workdir, kernel_boot=None, extra_args=(),
                 board=None):
        self.disk = disk
        # a folder with the qemu-args to use (the board's by default)
        self.board = board or board_dir()
        self.extra_args = list(extra_args)
        self.workdir = workdir
        self.kernel_boot = kernel_boot
        self.child = None
        self.qmp = None
        self.boots = 0
        self.logfile = open(os.path.join(workdir, "console.log"), "a")

    def _argv(self):
        qmp = os.path.join(self.workdir, "qmp.sock")
        if os.path.exists(qmp):
            os.unlink(qmp)
        extra = ["-qmp", f"unix:{qmp},server=on,wait=off"] + self.extra_args
        if self.kernel_boot is None:
            return [os.path.join(TOP, "scripts", "run-qemu"), arch(),
                    self.board, self.disk] + extra, qmp
        # Direct kernel boot: skips firmware and GRUB, so a test can
        # choose the command line.
        kernel, initrd, append = self.kernel_boot
        machine = ["-machine", "q35"] if arch() == "x86_64" else \
            ["-machine", "virt", "-cpu", "cortex-a57"]
        return [f"qemu-system-{arch()}", *machine, "-accel", "tcg",
                "-m", "512", "-smp", "2", "-nographic", "-nodefaults",
                "-no-user-config", "-serial", "stdio", "-no-reboot",
                "-drive", f"if=virtio,format=raw,file={self.disk}",
                "-kernel", kernel, "-initrd", initrd,
                "-append", append] + extra, qmp

    def start(self):
        argv, qmp = self._argv()
        self.child = pexpect.spawn(argv[0], argv[1:], encoding="utf-8",
                                   codec_errors="replace", timeout=120)
        self.child.logfile_read = self.logfile
        self.qmp = QMP(qmp)
        self.boots += 1
        return self

    def expect(self, pattern, timeout=120):
        """Wait for a regex on the console; returns the match."""
        self.child.expect(pattern, timeout=timeout)
        return self.child.match

    def wait_ready(self, timeout=180):
        """Wait for boot to finish and the console shell to answer."""
        m = self.expect(r"keel: ready at ([0-9.]+) s", timeout)
        ready = float(m.group(1))
        self.sync_shell()
        return ready

    def sync_shell(self, timeout=60):
        # A serial line has no window size; the shell's line editor would
        # wrap long commands at 80 columns and break the echo parsing.
        # $((6*7)) only expands in the output, not in the echoed command.
        self.child.sendline("stty cols 4096; echo @@SYNC$((6*7))@@")
        self.expect(r"@@SYNC42@@" + NL, timeout)

    def run(self, command, timeout=60):
        """Run a shell command on the console; returns (rc, output)."""
        self.child.sendline(f"{command}; echo @@RC=$?@@")
        self.expect(r"@@RC=(\d+)@@" + NL, timeout)
        rc = int(self.child.match.group(1))
        text = self.child.before.replace("\r", "")
        # drop the echoed command line
        out = text.split("\n", 1)[1] if "\n" in text else ""
        return rc, out

    def check(self, command, timeout=60):
        rc, out = self.run(command, timeout)
        assert rc == 0, f"{command!r} exited {rc}: {out}"
        return out

    def wait_exit(self, timeout=120):
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def kill(self):
        if self.child is not None and self.child.isalive():
            try:
                self.qmp.cmd("quit")
            except OSError:
                pass
            self.child.expect(pexpect.EOF, timeout=30)
        if self.child is not None:
            self.child.close(force=True)
        if self.qmp:
            self.qmp.close()
            self.qmp = None

    def console_text(self):
        self.logfile.flush()
        with open(os.path.join(self.workdir, "console.log"),
                  errors="replace") as f:
            return f.read().replace("\r", "")


def have_qemu():
    return shutil.which(f"qemu-system-{arch()}") is not None
