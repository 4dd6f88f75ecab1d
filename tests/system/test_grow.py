"""A disk image flashed onto a bigger disk: the data partition and /var
grow to fill it on first boot, and a power cut in the middle is finished
on the next boot."""
import os
import subprocess

import pytest

import keelvm


def bigger_disk(work, size="2G"):
    disk = keelvm.copy_disk(os.path.join(work, "disk.img"))
    subprocess.run(["truncate", "-s", size, disk], check=True)
    return disk


def grown_min(disk):
    """What /var must hold at least once grown into a 2 GiB disk: what
    the ESP and the two slots leave, less the file system's own 10%."""
    used = sum(keelvm.partition_extent(disk, n)[1] for n in (1, 2, 3))
    return ((2 << 30) - used) * 9 // 10


def var_bytes(m):
    out = m.check("df -k /var").splitlines()[-1].split()
    return int(out[1]) * 1024


def table_ok(disk):
    r = subprocess.run(["sgdisk", "-v", disk], capture_output=True,
                       text=True)
    assert "No problems found" in r.stdout, r.stdout
    offset, size = keelvm.partition_extent(disk, 4)
    return offset + size


def test_var_grows_to_fill_disk(workdir):
    disk = bigger_disk(workdir)
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.expect(r"keel: data: grew /dev/vda4 from 64 MiB to (\d+) MiB")
        m.wait_ready()
        assert var_bytes(m) > grown_min(disk)
        # the next boot has nothing to do
        m.child.sendline("reboot")
        m.expect(r"keel: stage 1")
        m.wait_ready()
        assert var_bytes(m) > grown_min(disk)
        assert m.console_text().count("data: grew") == 1
        m.child.sendline("poweroff")
        m.wait_exit(60)
    finally:
        m.kill()
    end = table_ok(disk)
    assert os.path.getsize(disk) - end < 2 << 20


@pytest.mark.one_arch("x86_64")
def test_power_cut_during_growth(workdir):
    # An image whose filesystem exists already (second boot of a small
    # disk) is moved to a bigger disk: partition growth, then the online
    # resize2fs. Power is cut as soon as the resize starts.
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    m = keelvm.Machine(disk, workdir).start()
    m.wait_ready()
    m.check("echo kept > /var/kept && sync")
    m.child.sendline("poweroff")
    m.wait_exit(60)
    m.kill()
    subprocess.run(["truncate", "-s", "2G", disk], check=True)

    m = keelvm.Machine(disk, workdir).start()
    m.expect(r"keel: data: growing the filesystem on /dev/vda4")
    m.qmp.cmd("quit")  # the power cut
    m.wait_exit(30)
    m.kill()

    m = keelvm.Machine(disk, workdir).start()
    try:
        m.wait_ready()
        assert var_bytes(m) > grown_min(disk)
        assert m.check("cat /var/kept").strip() == "kept"
        m.child.sendline("poweroff")
        m.wait_exit(60)
    finally:
        m.kill()
    table_ok(disk)
    offset, size = keelvm.partition_extent(disk, 4)
    part = disk + ".data"
    subprocess.run(["dd", f"if={disk}", f"of={part}", "bs=1M",
                    f"skip={offset >> 20}", f"count={size >> 20}",
                    "status=none"], check=True)
    fsck = subprocess.run(["e2fsck", "-fn", part], capture_output=True,
                          text=True)
    assert fsck.returncode == 0, fsck.stdout
