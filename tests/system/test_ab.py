"""A/B slot selection by the bootloader (GRUB, or U-Boot's boot.scr) from
the boot state in the ESP: a slot on trial boots while it has tries, then
the bootloader falls back to the good slot. The boot state here is
written on the host with grub-editenv, or for U-Boot with libubootenv's
fw_setenv over the two copies; imaged writes the same variables on the
device."""
import os
import subprocess
import time

import keelvm

ENV = "::EFI/keel/grubenv"
UENV = ("::EFI/keel/uboot.env", "::EFI/keel/uboot.env.bak")


def esp(disk):
    offset, _ = keelvm.partition_extent(disk, 1)
    return f"{disk}@@{offset}"


def uboot_copies(disk, work):
    """The two copies out of the ESP, and a fw_env config naming them."""
    paths = []
    for i, name in enumerate(UENV):
        local = os.path.join(work, f"uboot.env.{i}")
        if os.path.exists(local):
            os.unlink(local)
        subprocess.run(["mcopy", "-i", esp(disk), name, local], check=True)
        paths.append(local)
    cfg = os.path.join(work, "fw_env.config")
    with open(cfg, "w") as f:
        f.writelines(f"{p} 0x0 0x1000\n" for p in paths)
    return paths, cfg


def get_env(disk, work, name=ENV):
    if keelvm.uboot():
        _, cfg = uboot_copies(disk, work)
        out = subprocess.run(["fw_printenv", "-c", cfg], check=True,
                             capture_output=True, text=True).stdout
        return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    local = os.path.join(work, "grubenv.out")
    if os.path.exists(local):
        os.unlink(local)
    subprocess.run(["mcopy", "-i", esp(disk), name, local], check=True)
    out = subprocess.run(["grub-editenv", local, "list"], check=True,
                         capture_output=True, text=True).stdout
    return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)


def set_env(disk, work, **values):
    if keelvm.uboot():
        paths, cfg = uboot_copies(disk, work)
        for k, v in values.items():
            subprocess.run(["fw_setenv", "-c", cfg, k, v], check=True)
        for local, name in zip(paths, UENV):
            subprocess.run(["mcopy", "-o", "-i", esp(disk), local, name],
                           check=True)
        return
    local = os.path.join(work, "grubenv.in")
    for name in (ENV, ENV + ".bak"):
        if os.path.exists(local):
            os.unlink(local)
        subprocess.run(["mcopy", "-i", esp(disk), name, local], check=True)
        subprocess.run(["grub-editenv", local, "set"] +
                       [f"{k}={v}" for k, v in values.items()], check=True)
        subprocess.run(["mcopy", "-o", "-i", esp(disk), local, name],
                       check=True)


def fill_slot_b(disk, work):
    """Install the same OS into slot b, as an update would."""
    images = keelvm.images_dir()
    offset, size = keelvm.partition_extent(disk, 3)
    subprocess.run(["dd", f"if={images}/root.img", f"of={disk}", "bs=1M",
                    f"seek={offset >> 20}", "conv=notrunc", "status=none"],
                   check=True)
    for name in ("vmlinuz", "initramfs.img", keelvm.slot_file()[0]):
        local = os.path.join(work, name)
        if os.path.exists(local):
            os.unlink(local)
        subprocess.run(["mcopy", "-i", esp(disk), f"::a/{name}", local],
                       check=True)
        subprocess.run(["mcopy", "-o", "-i", esp(disk), local, f"::b/{name}"],
                       check=True)


def booted_slot(m):
    m.wait_ready()
    cmdline = m.check("cat /proc/cmdline")
    root = [l.split()[0] for l in m.check("cat /proc/mounts").splitlines()
            if l.split()[1] == "/"][-1]
    slot = "b" if "keel.slot=b" in cmdline else "a"
    # the root is the verity device over the slot's partition
    assert root == "/dev/dm-0", root
    part = m.check("ls /sys/block/dm-0/slaves").split()
    assert part == [{"a": "vda2", "b": "vda3"}[slot]], (part, cmdline)
    return slot


def boot_once(disk, work):
    m = keelvm.Machine(disk, work).start()
    try:
        slot = booted_slot(m)
        m.child.sendline("poweroff")
        m.wait_exit(60)
        return slot
    finally:
        m.kill()


def test_factory_state_boots_a(workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    assert get_env(disk, workdir) == {
        "KEEL_ORDER": "a b", "KEEL_A_TRIES": "0", "KEEL_B_TRIES": "0",
        "KEEL_A_OK": "1", "KEEL_B_OK": "0"}
    assert boot_once(disk, workdir) == "a"


def test_trial_slot_spends_a_try_then_is_marked_good(workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    fill_slot_b(disk, workdir)
    set_env(disk, workdir, KEEL_ORDER="b a", KEEL_B_TRIES="2", KEEL_B_OK="0")
    m = keelvm.Machine(disk, workdir).start()
    try:
        assert booted_slot(m) == "b"
        # GRUB spent one try; imaged's health gate then keeps the slot
        for _ in range(60):
            if "passed the health gate" in m.check("imagectl os status"):
                break
            time.sleep(1)
        m.child.sendline("poweroff")
        m.wait_exit(60)
    finally:
        m.kill()
    env = get_env(disk, workdir)
    assert env == {"KEEL_ORDER": "b a", "KEEL_A_TRIES": "0",
                   "KEEL_B_TRIES": "0", "KEEL_A_OK": "1", "KEEL_B_OK": "1"}
    if not keelvm.uboot():
        # both copies were kept in step (U-Boot's alternate by design)
        assert get_env(disk, workdir, ENV + ".bak") == env
    # a slot that runs out of tries is covered by test_update.py


def test_good_slot_b_boots_without_spending_tries(workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    fill_slot_b(disk, workdir)
    set_env(disk, workdir, KEEL_ORDER="b a", KEEL_B_TRIES="0", KEEL_B_OK="1")
    assert boot_once(disk, workdir) == "b"
    assert get_env(disk, workdir)["KEEL_B_TRIES"] == "0"


def test_unreadable_state_uses_the_copy(workdir):
    disk = keelvm.copy_disk(os.path.join(workdir, "disk.img"))
    fill_slot_b(disk, workdir)
    set_env(disk, workdir, KEEL_ORDER="b a", KEEL_B_OK="1")
    if keelvm.uboot():
        # U-Boot's copies alternate: two more writes (fw_setenv skips a
        # value that does not change) give the other copy the same state
        set_env(disk, workdir, KEEL_A_TRIES="1")
        set_env(disk, workdir, KEEL_A_TRIES="0")
    # a torn write of the first copy: garbage in its place
    junk = os.path.join(workdir, "junk")
    with open(junk, "wb") as f:
        f.write(os.urandom(1024 if not keelvm.uboot() else 4096))
    subprocess.run(["mcopy", "-o", "-i", esp(disk), junk,
                    UENV[0] if keelvm.uboot() else ENV], check=True)
    m = keelvm.Machine(disk, workdir).start()
    try:
        m.expect(r"grubenv unreadable, using its copy" if not keelvm.uboot()
                 else r"keel: boot state copy 0 unreadable")
        assert booted_slot(m) == "b"
    finally:
        m.kill()
