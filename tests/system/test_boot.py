"""Boot the built disk.img in QEMU (OVMF -> GRUB -> kernel -> init) and
check what the foundation promises, from inside the guest. The tests in
this file share one disk and run in order: first boot, reboot, poweroff,
boot again."""
import random
import subprocess

import pytest

import keelvm

TOKEN = "keel-%08x" % random.getrandbits(32)


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("boot"))
    disk = keelvm.copy_disk(f"{work}/disk.img")
    m = keelvm.Machine(disk, work)
    m.start()
    yield m
    m.kill()


def test_first_boot_reaches_ready(vm):
    vm.expect(r"keel: stage 1 \(initramfs\) at [0-9.]+ s")
    vm.expect(r"keel: stage 2 \(root\) at [0-9.]+ s")
    vm.expect(r"keel: data: created ext4 filesystem on /dev/vda4")
    ready = vm.wait_ready()
    assert 0 < ready < 120


def test_root_is_readonly(vm):
    mounts = vm.check("cat /proc/mounts")
    root = [l for l in mounts.splitlines() if l.split()[1:2] == ["/"]]
    assert root, mounts
    assert root[-1].split()[2] == "squashfs"
    assert root[-1].split()[0] == "/dev/dm-0"  # through dm-verity
    assert root[-1].split()[3].split(",")[0] == "ro"
    rc, out = vm.run("touch /keel-write-test")
    assert rc != 0
    assert "Read-only file system" in out


def test_var_is_writable_ext4(vm):
    mounts = vm.check("cat /proc/mounts")
    var = [l.split() for l in mounts.splitlines() if l.split()[1:2] == ["/var"]]
    assert var, mounts
    assert var[0][0] == "/dev/vda4"
    assert var[0][2] == "ext4"
    assert var[0][3].startswith("rw")
    vm.check(f"echo {TOKEN} > /var/keel-token && sync")
    assert vm.check("cat /var/keel-token").strip() == TOKEN


def test_kernel_filesystems_mounted(vm):
    mounts = vm.check("cat /proc/mounts")
    types = {l.split()[1]: l.split()[2] for l in mounts.splitlines()}
    assert types.get("/proc") == "proc"
    assert types.get("/sys") == "sysfs"
    assert types.get("/dev") == "devtmpfs"
    assert types.get("/dev/pts") == "devpts"
    assert types.get("/dev/shm") == "tmpfs"
    assert types.get("/run") == "tmpfs"
    assert types.get("/tmp") == "tmpfs"
    assert types.get("/sys/fs/cgroup") == "cgroup2"


def test_orphans_are_reaped(vm):
    # the sleeps outlive their parents, are re-parented to PID 1 and must
    # not stay zombies once they exit
    vm.check("for i in 1 2 3; do sh -c 'sleep 1 & exit 0'; done")
    vm.check("sleep 3")
    out = vm.check("cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"Z\"' | wc -l")
    assert out.strip() == "0", out


def test_changed_root_block_is_an_io_error(vm):
    # write around dm-verity, straight to the partition, as an attacker
    # or a failing disk would; a block init does not need at run time
    block = int(vm.check("cat /sys/block/dm-0/size").strip()) // 16
    vm.check(f"dd if=/dev/vda2 of=/tmp/block bs=4096 skip={block} count=1 "
             "2>/dev/null")
    vm.check(f"dd if=/dev/urandom of=/dev/vda2 bs=4096 seek={block} "
             "count=1 conv=notrunc 2>/dev/null && sync")
    vm.check("echo 3 > /proc/sys/vm/drop_caches")
    rc, out = vm.run(f"dd if=/dev/dm-0 of=/dev/null bs=4096 skip={block} "
                     "count=1")
    assert rc != 0 and "I/O error" in out, out
    assert "verity" in vm.check("dmesg | grep -i 'corrupted' | tail -1")
    # put it back for the tests that boot this disk again
    vm.check(f"dd if=/tmp/block of=/dev/vda2 bs=4096 seek={block} count=1 "
             "conv=notrunc 2>/dev/null && sync && "
             "echo 3 > /proc/sys/vm/drop_caches")
    vm.check(f"dd if=/dev/dm-0 of=/dev/null bs=4096 skip={block} count=1")


def test_initramfs_is_gone(vm):
    # switch_root deleted the initramfs: no /init, no /newroot
    rc, _ = vm.run("test -e /init -o -e /newroot")
    assert rc == 1


def test_reboot_keeps_var_and_does_not_reformat(vm):
    vm.child.sendline("reboot")
    vm.expect(r"keel: reboot: stopping services")
    vm.expect(r"keel: reboot now")
    vm.expect(r"keel: stage 1 \(initramfs\)")
    m = vm.expect(r"keel: data: (/dev/vda4 .*?) \(e2fsck -p exit (\d+)\)")
    assert m.group(2) == "0", m.group(1)
    vm.wait_ready()
    assert vm.check("cat /var/keel-token").strip() == TOKEN
    text = vm.console_text()
    assert text.count("data: created ext4") == 1
    assert text.count("data: first boot") == 1


def test_poweroff_leaves_data_clean(vm):
    # a mount below /var (as container overlays will be) must not keep
    # /var from unmounting
    vm.check("mkdir -p /var/sub && mount -t tmpfs none /var/sub")
    vm.child.sendline("poweroff")
    vm.expect(r"keel: poweroff: stopping services")
    # nothing may hold /var open: not even init's own log
    vm.expect(r"init: /var unmounted")
    vm.expect(r"keel: poweroff now")
    assert vm.wait_exit(60) == 0
    # Read the data partition from the host, as the next boot would.
    offset, size = keelvm.partition_extent(vm.disk, 4)
    part = vm.disk + ".data"
    subprocess.run(["dd", f"if={vm.disk}", f"of={part}", "bs=1M",
                    f"skip={offset // 1048576}", f"count={size // 1048576}",
                    "status=none"], check=True)
    fsck = subprocess.run(["e2fsck", "-fn", part], capture_output=True,
                          text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    hdr = subprocess.run(["dumpe2fs", "-h", part], capture_output=True,
                         text=True, check=True).stdout
    assert "Filesystem state:         clean" in hdr
    assert "Filesystem volume name:   data" in hdr


def test_boot_after_poweroff_is_clean(vm):
    vm.kill()
    vm.start()
    m = vm.expect(r"keel: data: /dev/vda4 (\S+) \(e2fsck -p exit (\d+)\)")
    assert (m.group(1), m.group(2)) == ("clean", "0")
    vm.wait_ready()
    assert vm.check("cat /var/keel-token").strip() == TOKEN
    assert "data: created ext4" not in vm.console_text().split(
        "keel: stage 1")[-1]
