"""Boot failures init must explain, then offer the emergency shell (or
reboot when that is turned off). These boot the kernel and initramfs from
the image's ESP directly, so each test can choose the command line."""
import os
import subprocess

import pytest

import keelvm

# init's failure paths: the same code on every arch
pytestmark = pytest.mark.one_arch("x86_64")


@pytest.fixture(scope="module")
def kernel_files(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("esp"))
    disk = os.path.join(keelvm.images_dir(), "disk.img")
    offset, _ = keelvm.partition_extent(disk, 1)
    files = {}
    for name in ("vmlinuz", "initramfs.img"):
        dest = os.path.join(work, name)
        subprocess.run(["mcopy", "-n", "-i", f"{disk}@@{offset}",
                        f"::a/{name}", dest], check=True)
        files[name] = dest
    verity, _ = keelvm.slot_settings(disk, "a", work)
    return files["vmlinuz"], files["initramfs.img"], verity


def boot(workdir, kernel_files, append, corrupt_data=False):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    if corrupt_data:
        # neither blank nor ext4: init must not format it
        offset, size = keelvm.partition_extent(disk, 4)
        with open(disk, "r+b") as f:
            f.seek(offset)
            f.write(os.urandom(1 << 20))
    kernel, initrd, verity = kernel_files
    m = keelvm.Machine(disk, workdir,
                       kernel_boot=(kernel, initrd,
                                    f"console={keelvm.console()} quiet {verity} " + append))
    return m.start()


def test_missing_root_partition(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=PARTLABEL=nope rootwait=2")
    try:
        # to the line's end: a match on what has come so far could stop at
        # any entry's ")" (CI saw one)
        m.expect(r"unable to find root partition PARTLABEL=nope: "
                 r"No such file or directory \(waited 2 s; partitions: "
                 r"([^\r\n]*)\)" + keelvm.NL)
        listed = m.child.match.group(1)
        for part in ("(esp)", "(root-a)", "(root-b)", "(data)"):
            assert part in listed
        assert listed.split() == sorted(listed.split()), listed
        m.expect(r"keel: emergency shell on /dev/" + keelvm.console())
        m.sync_shell()
        # the shell is real: it can see the initramfs
        assert m.check("ls /init").strip() == "/init"
    finally:
        m.kill()


def test_bad_root_spec(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=LABEL=x rootwait=1")
    try:
        m.expect(r"unable to find root partition LABEL=x: use "
                 r"PARTLABEL=<name> or /dev/<name>")
        m.expect(r"keel: emergency shell")
    finally:
        m.kill()


def test_unrepairable_data_partition(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=PARTLABEL=root-a", corrupt_data=True)
    try:
        m.expect(r"keel: stage 2")
        m.expect(r"unable to repair data partition /dev/vda4: e2fsck -p "
                 r"exit (\d+),")
        assert int(m.child.match.group(1)) >= 4
        m.expect(r"keel: emergency shell")
        m.sync_shell()
        # nothing was formatted or mounted
        rc, out = m.run("grep -c ' /var ' /proc/mounts")
        assert out.strip() == "0"
        assert "data: created" not in m.console_text()
    finally:
        m.kill()


def test_unverified_root_is_refused(workdir, kernel_files):
    kernel, initrd, _ = kernel_files
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir, kernel_boot=(
        kernel, initrd,
        f"console={keelvm.console()} quiet root=PARTLABEL=root-a")).start()
    try:
        m.expect(r"no keel.verity= on the command line: refusing to mount "
                 r"/dev/vda2 unverified")
        m.expect(r"keel: emergency shell")
    finally:
        m.kill()


def test_wrong_root_hash_fails(workdir, kernel_files):
    m = boot(workdir, kernel_files, "root=PARTLABEL=root-a keel.verity=" +
             "0" * 64 + ":" + kernel_files[2].split(":")[1])
    try:
        # every block fails verification: the root cannot be mounted
        m.expect(r"unable to mount /dev/dm-0 read-only as|unable to mount "
                 r"/dev/dm-0 \(squashfs\)")
        m.expect(r"keel: emergency shell")
    finally:
        m.kill()


def test_no_emergency_shell_reboots(workdir, kernel_files):
    m = boot(workdir, kernel_files,
             "root=PARTLABEL=nope rootwait=1 keel.emergency=0")
    try:
        m.expect(r"emergency shell disabled; rebooting in \d+ s")
        # -no-reboot turns the guest's reboot into QEMU exiting
        m.wait_exit(60)
    finally:
        m.kill()
