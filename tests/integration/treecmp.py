"""Comparing two root file systems: umoci's unpack of an image (the
reference) against imaged's snapshots mounted as overlayfs.

What must match, path by path: the set of paths, file type, mode bits
(with setuid, setgid, sticky), uid/gid, size and content (sha256) of
regular files, symlink targets, device numbers, the mtime of regular
files in whole seconds, xattrs other than trusted.overlay.* and
security.*, and hardlink groups (paths sharing an inode in one tree
share one in the other). The roots' own attributes are left out: the
root of a snapshot is the store's, not the image's."""
import contextlib
import hashlib
import os
import stat
import subprocess

IGNORED_XATTRS = ("trusted.overlay.", "security.")
TYPES = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "symlink",
         stat.S_IFCHR: "chardev", stat.S_IFBLK: "blockdev",
         stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket"}


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def xattrs(path, ignore=IGNORED_XATTRS):
    out = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return out
    for n in names:
        if ignore and n.startswith(ignore):
            continue
        try:
            out[n] = os.getxattr(path, n, follow_symlinks=False)
        except OSError as e:
            out[n] = f"<unreadable: {e.strerror}>"
    return out


def scan(root):
    """{relative path: attributes} for everything under root."""
    root = str(root)
    tree = {}
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            fmt = stat.S_IFMT(st.st_mode)
            a = {"type": TYPES.get(fmt, oct(fmt)),
                 "mode": oct(stat.S_IMODE(st.st_mode)),
                 "uid": st.st_uid, "gid": st.st_gid}
            if fmt == stat.S_IFREG:
                a["size"] = st.st_size
                a["sha256"] = file_sha256(p)
                a["mtime"] = int(st.st_mtime)
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif fmt == stat.S_IFLNK:
                a["target"] = os.readlink(p)
            elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
                a["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            x = xattrs(p)
            if x:
                a["xattrs"] = x
            tree[rel] = a
    for group in inodes.values():
        for rel in group:
            tree[rel]["links"] = tuple(sorted(group)) if len(group) > 1 \
                else ()
    return tree


def differences(a_root, b_root, a_name="a", b_name="b"):
    """Readable lines, one per difference; [] when the trees match."""
    a, b = scan(a_root), scan(b_root)
    out = []
    for p in sorted(set(a) - set(b)):
        out.append(f"only in {a_name}: {p} ({a[p]['type']})")
    for p in sorted(set(b) - set(a)):
        out.append(f"only in {b_name}: {p} ({b[p]['type']})")
    for p in sorted(set(a) & set(b)):
        for k in sorted(set(a[p]) | set(b[p])):
            va, vb = a[p].get(k), b[p].get(k)
            if va != vb:
                out.append(f"{p}: {k}: {a_name} {va!r}, {b_name} {vb!r}")
    return out


def assert_same(a_root, b_root, a_name="umoci", b_name="imaged"):
    diffs = differences(a_root, b_root, a_name, b_name)
    assert not diffs, f"{len(diffs)} differences between {a_name} " \
        f"({a_root}) and {b_name} ({b_root}):\n  " + "\n  ".join(diffs[:60])
    return True


def umoci_unpack(layout_dir, tag, bundle):
    """The reference root fs: umoci unpack (as root, so owners are kept)
    of layout:tag into bundle; its rootfs path."""
    r = subprocess.run(["umoci", "unpack", "--image", f"{layout_dir}:{tag}",
                        str(bundle)], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"umoci unpack {layout_dir}:{tag}: {r.stderr}")
    return os.path.join(str(bundle), "rootfs")


@contextlib.contextmanager
def overlay(snapshots, mountpoint):
    """A read-only overlayfs of snapshot dirs (base first, as imagectl
    inspect lists them) at mountpoint. overlayfs wants two lower dirs
    at least without an upper one, so an empty dir goes at the bottom."""
    mountpoint = str(mountpoint)
    empty = mountpoint + ".empty"
    os.makedirs(mountpoint, exist_ok=True)
    os.makedirs(empty, exist_ok=True)
    lower = ":".join(list(reversed([str(s) for s in snapshots])) + [empty])
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={lower}", mountpoint], check=True,
                   capture_output=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", mountpoint], check=False)
