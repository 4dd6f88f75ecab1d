"""Reproducible roots (issue 21): the same files give the same root image,
byte for byte, whatever their timestamps and owners and the order they
were made in, so a delta update fetches only what changed. Each case
builds the root twice with scripts/mkroot, from two copies of one tree
made differently, and compares the images and their verity root hashes.
"""
import os
import shutil
import subprocess

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MKROOT = os.path.join(TOP, "scripts", "mkroot")


def sample_tree(path):
    """Files, folders, a symlink, a hard link, modes: what a root holds."""
    os.makedirs(os.path.join(path, "sbin"))
    os.makedirs(os.path.join(path, "etc", "init"))
    for i in range(40):
        with open(os.path.join(path, "etc", f"f{i:02d}"), "w") as f:
            f.write(f"file {i}\n" * (i * 37 + 1))
    with open(os.path.join(path, "sbin", "tool"), "wb") as f:
        f.write(bytes(range(256)) * 3000)
    os.chmod(os.path.join(path, "sbin", "tool"), 0o755)
    os.link(os.path.join(path, "sbin", "tool"), os.path.join(path, "sbin", "alias"))
    os.symlink("tool", os.path.join(path, "sbin", "link"))
    with open(os.path.join(path, "etc", "init", "x.conf"), "w") as f:
        f.write("exec = /sbin/tool\n")


def copy_other_way(src, dest, stamp):
    """src again at dest: entries made in reverse order (tar keeps hard
    links), every time set to stamp, files owned by someone else."""
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=src,
                           check=True, capture_output=True, text=True).stdout
    listing = os.path.join(os.path.dirname(dest), "list")
    with open(listing, "w") as f:
        f.write("\n".join(sorted(names.split(), reverse=True)) + "\n")
    os.mkdir(dest)
    subprocess.run(f"tar cf - -C {src} --no-recursion -T {listing} | "
                   f"tar xf - -C {dest}", shell=True, check=True)
    subprocess.run(["find", dest, "-exec", "touch", "-h", "-d", f"@{stamp}",
                    "{}", "+"], check=True)
    subprocess.run(["chown", "-R", "-h", "1234:1234", dest], check=True)


def build(tree, out, fstype, env=None):
    subprocess.run([MKROOT, tree, out, fstype, out + ".verity"], check=True,
                   env=env)
    with open(out, "rb") as f, open(out + ".verity") as v:
        return f.read(), v.read()


@pytest.mark.parametrize("fstype", ["squashfs", "erofs"])
@pytest.mark.parametrize("source", ["sample", "target"])
def test_root_builds_twice_the_same(tmp_path, fstype, source):
    a = str(tmp_path / "a")
    if source == "sample":
        sample_tree(a)
    else:
        # the default board's staged root, when a build made one
        target = os.path.join(TOP, "output", "qemu-x86_64", "target")
        if not os.path.isdir(target):
            pytest.skip("no output/qemu-x86_64/target (run make first)")
        subprocess.run(["cp", "-a", target, a], check=True)
    b = str(tmp_path / "b")
    copy_other_way(a, b, 1234567890)
    one = build(a, str(tmp_path / "one.img"), fstype)
    two = build(b, str(tmp_path / "two.img"), fstype)
    assert one[1] == two[1]
    assert one[0] == two[0]
    # SOURCE_DATE_EPOCH is every timestamp: another one, other bytes
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    three = build(a, str(tmp_path / "three.img"), fstype, env)
    four = build(b, str(tmp_path / "four.img"), fstype, env)
    assert three == four and three[0] != one[0]
