"""The rpi4 board: its firmware check, and (make check-rpi4) the SD image.

The Pi's boot firmware is not fetched by the build; without it the
build must stop at once, naming the files and where they come from. The
full build (3 to 4 minutes from clean, so not part of make check but of
make check-rpi4) runs with stub firmware files, checks that the card has
what the Pi's boot ROM, its firmware and U-Boot read, and boots what
comes after U-Boot on QEMU's virt machine."""
import os
import struct
import subprocess
import time

import pytest

from test_build_errors import make, run, set_option

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIRMWARE = ["start4.elf", "fixup4.dat"]
WHERE = ["raspi-firmware", "/usr/lib/raspi-firmware/",
         "https://github.com/raspberrypi/firmware"]


@pytest.fixture
def rpi4(tmp_path):
    out = tmp_path / "out"
    r = make(f"O={out}", "rpi4_defconfig")
    assert r.returncode == 0, r.stderr
    return out


def build_fails(out):
    start = time.monotonic()
    r = make(f"O={out}", "images")
    took = time.monotonic() - start
    assert r.returncode != 0
    # stopped before setting up anything or fetching the kernel
    assert took < 30, f"took {took:.0f} s to fail"
    assert not os.path.exists(out / "build")
    return r.stderr


def test_no_firmware_folder_stops_build(rpi4):
    err = build_fails(rpi4)
    assert "config: CONFIG_KEEL_RPI_FIRMWARE_DIR is not set" in err
    assert "start4.elf fixup4.dat" in err
    for w in WHERE:
        assert w in err


def test_firmware_folder_lacking_a_file(rpi4, tmp_path):
    fw = tmp_path / "fw"
    fw.mkdir()
    (fw / "start4.elf").write_bytes(b"stub")
    set_option(rpi4, "CONFIG_KEEL_RPI_FIRMWARE_DIR", f'"{fw}"')
    err = build_fails(rpi4)
    assert (f"config: CONFIG_KEEL_RPI_FIRMWARE_DIR='{fw}' lacks the "
            "Raspberry Pi boot firmware file(s) fixup4.dat ") in err
    for w in WHERE:
        assert w in err


def test_firmware_folder_not_a_folder(rpi4, tmp_path):
    set_option(rpi4, "CONFIG_KEEL_RPI_FIRMWARE_DIR", f'"{tmp_path}/none"')
    err = build_fails(rpi4)
    assert f"CONFIG_KEEL_RPI_FIRMWARE_DIR='{tmp_path}/none' is not a folder" in err


# --- the full image (make check-rpi4) ------------------------------------

FULL = os.environ.get("KEEL_RPI4_IMAGE") == "1"
OUT = os.path.join(TOP, "output", "rpi4-build-test")
ESP_MB = 160


@pytest.fixture(scope="module")
def image():
    fw = os.path.join(OUT, "stub-firmware")
    os.makedirs(fw, exist_ok=True)
    stubs = {}
    for name in FIRMWARE:
        stubs[name] = f"stub {name} for the build test\n".encode()
        with open(os.path.join(fw, name), "wb") as f:
            f.write(stubs[name])
    r = make(f"O={OUT}", "rpi4_defconfig")
    assert r.returncode == 0, r.stderr
    set_option(OUT, "CONFIG_KEEL_RPI_FIRMWARE_DIR", f'"{fw}"')
    r = make(f"O={OUT}", "images")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return os.path.join(OUT, "images"), stubs


def fat(disk, path):
    r = run(["mtype", "-i", f"{disk}@@1M", f"::{path}"])
    assert r.returncode == 0, f"{path}: {r.stderr}"
    return r.stdout


def fat_bytes(disk, path):
    r = subprocess.run(["mcopy", "-n", "-i", f"{disk}@@1M", f"::{path}", "-"],
                       capture_output=True)
    assert r.returncode == 0, f"{path}: {r.stderr}"
    return r.stdout


@pytest.mark.skipif(not FULL, reason="the full rpi4 build: make check-rpi4")
def test_sd_image_mbr_and_gpt(image):
    images, _ = image
    disk = os.path.join(images, "disk.img")
    with open(disk, "rb") as f:
        mbr = f.read(512)
    assert mbr[510:512] == b"\x55\xaa"
    # the first MBR entry: the FAT partition, FAT32 LBA, at 1 MiB
    ptype, = struct.unpack_from("<B", mbr, 446 + 4)
    start, size = struct.unpack_from("<II", mbr, 446 + 8)
    assert (ptype, start, size) == (0x0C, 2048, ESP_MB * 2048)
    # the second: 0xee, so Linux and U-Boot read the GPT
    assert mbr[446 + 16 + 4] == 0xEE
    assert struct.unpack_from("<I", mbr, 446 + 16 + 8)[0] == 1
    table = run(["sgdisk", "-p", disk]).stdout
    rows = [l.split() for l in table.splitlines() if l.strip()[:1].isdigit()]
    assert [r[-1] for r in rows] == ["esp", "root-a", "root-b", "data"]
    assert rows[0][-2] == "0700"
    assert "No problems found" in run(["sgdisk", "-v", disk]).stdout


@pytest.mark.skipif(not FULL, reason="the full rpi4 build: make check-rpi4")
def test_sd_image_fat_has_what_the_pi_reads(image):
    images, stubs = image
    disk = os.path.join(images, "disk.img")
    listing = run(["mdir", "-b", "-/", "-i", f"{disk}@@1M", "::"]).stdout
    for path in ["start4.elf", "fixup4.dat", "config.txt", "u-boot.bin",
                 "bcm2711-rpi-4-b.dtb", "bcm2711-rpi-400.dtb", "boot.scr",
                 "EFI/keel/uboot.env", "EFI/keel/uboot.env.bak",
                 "a/vmlinuz", "a/initramfs.img", "a/slot.env", "a/version"]:
        assert f"::/{path}" in listing, path
    for name, data in stubs.items():
        assert fat_bytes(disk, name) == data
    config = fat(disk, "config.txt").splitlines()
    for line in ["arm_64bit=1", "kernel=u-boot.bin", "enable_uart=1"]:
        assert line in config
    uboot = fat_bytes(disk, "u-boot.bin")
    pkg = os.path.join(OUT, "build/u-boot-rpi/usr/lib/u-boot/rpi_4/u-boot.bin")
    assert uboot == open(pkg, "rb").read()
    kernel = fat_bytes(disk, "a/vmlinuz")
    # the generic arm64 Image (the cloud one has no Pi drivers)
    assert kernel[56:60] == b"ARM\x64"
    assert len(kernel) > 30 << 20
    # boot.scr: a U-Boot script image with the Pi's addresses
    scr = fat_bytes(disk, "boot.scr")
    assert scr[:4] == b"\x27\x05\x19\x56"
    for want in [b"setenv keel_kernel 0x08000000",
                 b"setenv keel_ramdisk 0x0c000000",
                 b"setenv keel_c0 0x07000000", b"console=ttyS1,115200",
                 b"booti ${keel_kernel} ${keel_ramdisk}:${keel_rd} ${fdt_addr}"]:
        assert want in scr
    assert b"@KERNEL_ADDR@" not in scr and b"@SCRATCH_ADDR@" not in scr
    env = fat_bytes(disk, "EFI/keel/uboot.env")
    assert len(env) == 4096 and b"KEEL_ORDER=a b\0" in env


@pytest.mark.skipif(not FULL, reason="the full rpi4 build: make check-rpi4")
def test_rpi4_initramfs_and_bundle(image):
    images, _ = image
    listing = subprocess.run(
        f"zcat {images}/initramfs.cpio.gz | cpio -it --quiet", shell=True,
        capture_output=True, text=True).stdout
    for ko in ["sdhci-iproc.ko", "genet.ko", "broadcom.ko",
               "mdio-bcm-unimac.ko", "bcm2835_wdt.ko", "ext4.ko",
               "dm-verity.ko", "xhci-pci.ko", "uas.ko"]:
        assert f"/{ko}" in listing, ko
    assert os.path.exists(os.path.join(images, "keel-0.1.0-rpi4.keelb"))


@pytest.mark.skipif(not FULL, reason="the full rpi4 build: make check-rpi4")
def test_rpi4_kernel_initramfs_and_root_boot(image, tmp_path):
    """QEMU has no Pi 4 here, but the card's kernel (the generic arm64
    one), initramfs and root boot on QEMU virt from the card as a USB
    disk (xhci_pci, usb_storage, sd_mod are in the board's modules): Linux
    reads the GPT behind the hybrid MBR, dm-verity, the ext4 module and
    its crc32c, and init grows data on the larger disk, leaving the
    hybrid MBR as it was."""
    import pexpect
    images, _ = image
    disk = tmp_path / "card.img"
    subprocess.run(["cp", "--sparse=always", os.path.join(images, "disk.img"),
                    str(disk)], check=True)
    subprocess.run(["truncate", "-s", "+128M", str(disk)], check=True)
    with open(disk, "rb") as f:
        mbr = f.read(512)
    verity = open(os.path.join(images, "root.verity")).read().strip()
    kernel = os.path.join(OUT, "build/linux/boot/vmlinuz-6.1.0-56-arm64")
    args = ["-M", "virt", "-accel", "tcg", "-cpu", "cortex-a57", "-smp", "2",
            "-m", "1024", "-nographic", "-no-user-config", "-nodefaults",
            "-serial", "mon:stdio", "-kernel", kernel,
            "-initrd", os.path.join(images, "initramfs.cpio.gz"),
            "-drive", f"if=none,id=card,format=raw,file={disk}",
            "-device", "qemu-xhci", "-device", "usb-storage,drive=card",
            "-append", "console=ttyAMA0 root=PARTLABEL=root-a "
            f"rootfstype=squashfs keel.slot=a keel.verity={verity} panic=5"]
    vm = pexpect.spawn("qemu-system-aarch64", args, timeout=240,
                       encoding="latin-1")
    log = []
    try:
        i = vm.expect([r"keel: ready at", r"emergency|Kernel panic"])
        log.append(vm.before)
        assert i == 0, vm.before[-3000:]
    finally:
        vm.terminate(force=True)
    text = "".join(log)
    assert "unable to load module" not in text
    assert "root /dev/dm-0 (squashfs) mounted read-only" in text
    assert "keel: data: grew /dev/sda4 from 64 MiB to 192 MiB" in text
    with open(disk, "rb") as f:
        assert f.read(512)[446:510] == mbr[446:510]
