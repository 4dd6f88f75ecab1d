"""make run's working copy of disk.img (scripts/run-disk.mk): grown
sparse to RUN_DISK_SIZE, kept between runs, made afresh when disk.img
changes, disk.img itself untouched. Against a stand-in disk.img: nothing
is built or booted."""
import hashlib
import os
import subprocess

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GIB = 1 << 30


def make(out, *args):
    return subprocess.run(
        ["make", "--no-print-directory", "-f", "scripts/run-disk.mk",
         f"OUT={out}", f"IMAGES={out}/images", "run-disk"] + list(args),
        cwd=TOP, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items()
             if k not in ("MAKEFLAGS", "RUN_DISK_SIZE")})


def digest(path, length=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read(length) if length else f.read())
    return h.hexdigest()


@pytest.fixture
def out(tmp_path):
    (tmp_path / "images").mkdir()
    write_disk(tmp_path, b"A")
    return tmp_path


def write_disk(out, fill, mtime=None):
    """A 3 MiB stand-in with data at both ends and a hole between."""
    disk = out / "images" / "disk.img"
    with open(disk, "wb") as f:
        f.write(fill * (1 << 20))
        f.seek(2 << 20)
        f.write(fill * (1 << 20))
    if mtime:
        os.utime(disk, (mtime, mtime))
    return disk


def test_copy_is_sparse_sized_and_leaves_disk_img(out):
    disk = out / "images" / "disk.img"
    before = (digest(disk), os.stat(disk).st_mtime_ns)
    r = make(out)
    assert r.returncode == 0, r.stderr
    copy = out / "run-disk.img"
    st = os.stat(copy)
    assert st.st_size == 8 * GIB
    assert st.st_blocks * 512 < 16 << 20  # sparse: the stand-in's 2 MiB
    assert digest(copy, 3 << 20) == digest(disk)
    assert (digest(disk), os.stat(disk).st_mtime_ns) == before
    assert not list(out.glob("run-disk.img.tmp"))


def test_kept_between_runs_and_remade_when_disk_img_is_newer(out):
    assert make(out).returncode == 0
    copy = out / "run-disk.img"
    # what a boot leaves: /var's writes, the UEFI variable store
    with open(copy, "r+b") as f:
        f.seek(4 << 20)
        f.write(b"written on /var")
    (out / "run-disk.img.vars").write_bytes(b"vars")
    r = make(out)
    assert r.returncode == 0, r.stderr
    assert "run-disk.img: a copy" not in r.stdout
    with open(copy, "rb") as f:
        f.seek(4 << 20)
        assert f.read(15) == b"written on /var"
    # a rebuilt disk.img: a fresh copy of it, and a fresh variable store
    write_disk(out, b"B", mtime=os.stat(copy).st_mtime + 10)
    r = make(out)
    assert r.returncode == 0, r.stderr
    assert "run-disk.img: a copy of disk.img grown sparse to 8G" in r.stdout
    assert digest(copy, 3 << 20) == digest(out / "images" / "disk.img")
    with open(copy, "rb") as f:
        f.seek(4 << 20)
        assert f.read(15) == b"\0" * 15
    assert os.stat(copy).st_size == 8 * GIB
    assert not (out / "run-disk.img.vars").exists()


def test_run_disk_size_override_grows_and_never_shrinks(out):
    copy = out / "run-disk.img"
    assert make(out, "RUN_DISK_SIZE=16G").returncode == 0
    assert os.stat(copy).st_size == 16 * GIB
    with open(copy, "r+b") as f:
        f.seek(4 << 20)
        f.write(b"kept")
    # smaller than the kept copy: left as it is
    assert make(out).returncode == 0
    assert os.stat(copy).st_size == 16 * GIB
    # bigger: grown in place, /var's writes kept (init grows into it)
    r = make(out, "RUN_DISK_SIZE=20G")
    assert r.returncode == 0, r.stderr
    assert "grown from 16384 to 20480 MiB" in r.stdout
    assert os.stat(copy).st_size == 20 * GIB
    with open(copy, "rb") as f:
        f.seek(4 << 20)
        assert f.read(4) == b"kept"


@pytest.mark.parametrize("size,message", [
    ("1M", "run: RUN_DISK_SIZE=1M is smaller than disk.img (3 MiB)"),
    ("lots", "run: RUN_DISK_SIZE='lots' is not a size"),
])
def test_bad_run_disk_size_writes_nothing(out, size, message):
    r = make(out, f"RUN_DISK_SIZE={size}")
    assert r.returncode != 0
    assert message in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["images"]


def test_make_run_boots_the_copy(tmp_path):
    # the Makefile's run: the copy, not disk.img
    r = subprocess.run(["make", "--no-print-directory", f"O={tmp_path}",
                        "qemu-x86_64_defconfig"], cwd=TOP,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["make", "--no-print-directory", f"O={tmp_path}",
                        "-pq", "run"], cwd=TOP, capture_output=True,
                       text=True)
    rules = r.stdout.splitlines()
    run = rules.index(next(l for l in rules if l.startswith("run: ")))
    assert "run-disk" in rules[run].split()
    recipe = "\n".join(rules[run:run + 12])
    assert "scripts/run-qemu $(ARCH) $(BOARD_DIR) $(RUN_DISK)" in recipe
    assert f"RUN_DISK := {tmp_path}/run-disk.img" in rules
