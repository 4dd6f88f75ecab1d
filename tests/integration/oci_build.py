"""OCI image layouts (image-spec image-layout.md: oci-layout, index.json,
blobs/sha256) built in Python from busybox-static, for the image pull
tests: the images themselves, pushing them to a test registry with
skopeo, and `docker save` and OCI layout tar archives for imagectl load.

Layers are made with tarfile in PAX format (what Go's archive/tar and
BuildKit write); gzip with the mtime zeroed so digests are stable, zstd
through the zstd CLI."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

BUSYBOX = "/bin/busybox"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
REF_NAME = "org.opencontainers.image.ref.name"
MTIME = 1700000000  # 2023-11-14, the default for every entry
APPLETS = ("sh", "ls", "cat", "echo", "true", "false", "mkdir", "rm")


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def compress(data, how):
    if how is None:
        return data
    if how == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data,
                              check=True, capture_output=True).stdout
    raise ValueError(how)


# --- layers -------------------------------------------------------------

class Tar:
    """A layer's tar stream, entry by entry. Paths are as they go in the
    archive (relative, no leading "./"); the caller lists directories
    before what they hold."""

    def __init__(self, format=tarfile.PAX_FORMAT):
        self.buf = io.BytesIO()
        self.tf = tarfile.open(fileobj=self.buf, mode="w", format=format)
        self.done = None

    def _add(self, path, type, mode, uid, gid, mtime, data=None, link="",
             xattrs=None, uname="", gname=""):
        ti = tarfile.TarInfo(path)
        ti.type = type
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname, ti.gname = uname, gname
        ti.mtime = mtime
        ti.linkname = link
        if xattrs:
            ti.pax_headers = {f"SCHILY.xattr.{k}": v
                              for k, v in xattrs.items()}
        if data is not None:
            ti.size = len(data)
            self.tf.addfile(ti, io.BytesIO(data))
        else:
            self.tf.addfile(ti)
        return self

    def dir(self, path, mode=0o755, uid=0, gid=0, mtime=MTIME, xattrs=None):
        return self._add(path, tarfile.DIRTYPE, mode, uid, gid, mtime,
                         xattrs=xattrs)

    def file(self, path, data=b"", mode=0o644, uid=0, gid=0, mtime=MTIME,
             xattrs=None):
        if isinstance(data, str):
            data = data.encode()
        return self._add(path, tarfile.REGTYPE, mode, uid, gid, mtime, data,
                         xattrs=xattrs)

    def symlink(self, path, target, uid=0, gid=0, mtime=MTIME):
        return self._add(path, tarfile.SYMTYPE, 0o777, uid, gid, mtime,
                         link=target)

    def hardlink(self, path, target, mode=0o644, uid=0, gid=0, mtime=MTIME):
        """(the header's metadata should be the target's, as tar writers
        have it: it is the same inode)"""
        return self._add(path, tarfile.LNKTYPE, mode, uid, gid, mtime,
                         link=target)

    def fifo(self, path, mode=0o644):
        return self._add(path, tarfile.FIFOTYPE, mode, 0, 0, MTIME)

    def whiteout(self, path):
        d, _, base = path.rpartition("/")
        return self.file((d + "/" if d else "") + ".wh." + base, b"")

    def opaque(self, dir):
        return self.file(dir.rstrip("/") + "/.wh..wh..opq", b"")

    def bytes(self):
        if self.done is None:
            self.tf.close()
            self.done = self.buf.getvalue()
        return self.done


class Layer:
    """A layer blob: the tar stream compressed (or not), with its digest
    and diff_id. `blob`/`diff_id`/`media_type` may also be given raw."""

    def __init__(self, tar=None, compression="gzip", blob=None, diff_id=None,
                 media_type=None):
        if tar is not None:
            if isinstance(tar, Tar):
                tar = tar.bytes()
            self.tar = tar
            self.diff_id = sha256(tar)
            self.blob = compress(tar, compression)
        else:
            self.tar = None
            self.diff_id = diff_id
            self.blob = blob
        self.media_type = media_type or MT_LAYER[compression]
        self.digest = sha256(self.blob)
        self.size = len(self.blob)


def busybox_tar(extra=None):
    """The base layer: busybox-static and a few applets, /etc with a
    passwd, /tmp and /root as a distribution has them."""
    with open(BUSYBOX, "rb") as f:
        bb = f.read()
    t = Tar()
    t.dir("bin")
    t.file("bin/busybox", bb, mode=0o755)
    for a in APPLETS:
        t.symlink(f"bin/{a}", "busybox")
    t.dir("etc")
    t.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    t.file("etc/hostname", "keel-test\n")
    t.dir("root", mode=0o700)
    t.dir("tmp", mode=0o1777)
    if extra:
        extra(t)
    return t


# --- images and layouts -------------------------------------------------

class Image:
    """An image manifest and its config over some layers."""

    def __init__(self, layers, arch="amd64", os_="linux", variant=None,
                 cmd=("/bin/sh",), annotations=None):
        self.layers = layers
        self.platform = {"architecture": arch, "os": os_}
        if variant:
            self.platform["variant"] = variant
        cfg = dict(self.platform)
        cfg.update({
            "created": "2023-11-14T22:13:20Z",
            "config": {"Env": ["PATH=/bin"], "Cmd": list(cmd)},
            "rootfs": {"type": "layers",
                       "diff_ids": [la.diff_id for la in layers]},
            "history": [{"created": "2023-11-14T22:13:20Z",
                         "created_by": f"oci_build layer {i}"}
                        for i in range(len(layers))],
        })
        self.config = canon(cfg)
        self.config_digest = sha256(self.config)
        man = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": {"mediaType": MT_CONFIG, "digest": self.config_digest,
                       "size": len(self.config)},
            "layers": [{"mediaType": la.media_type, "digest": la.digest,
                        "size": la.size} for la in layers],
        }
        if annotations:
            man["annotations"] = annotations
        self.manifest = canon(man)
        self.digest = sha256(self.manifest)

    def blobs(self):
        yield self.config
        for la in self.layers:
            yield la.blob
        yield self.manifest

    def descriptor(self, platform=True):
        d = {"mediaType": MT_MANIFEST, "digest": self.digest,
             "size": len(self.manifest)}
        if platform:
            d["platform"] = dict(self.platform)
        return d

    def size(self):
        return len(self.config) + sum(la.size for la in self.layers)


class Index:
    """An image index over several images (a multi-arch image)."""

    def __init__(self, images):
        self.images = images
        self.manifest = canon({
            "schemaVersion": 2, "mediaType": MT_INDEX,
            "manifests": [im.descriptor() for im in images]})
        self.digest = sha256(self.manifest)

    def blobs(self):
        for im in self.images:
            yield from im.blobs()
        yield self.manifest

    def descriptor(self, platform=False):
        return {"mediaType": MT_INDEX, "digest": self.digest,
                "size": len(self.manifest)}


class Layout:
    """An OCI image layout directory: images are added under tags
    (`org.opencontainers.image.ref.name`), blobs shared."""

    def __init__(self, dir):
        self.dir = str(dir)
        self.blobdir = os.path.join(self.dir, "blobs", "sha256")
        os.makedirs(self.blobdir, exist_ok=True)
        with open(os.path.join(self.dir, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.tags = {}

    def put(self, data):
        d = sha256(data)
        p = os.path.join(self.blobdir, d[7:])
        if not os.path.exists(p):
            with open(p + ".tmp", "wb") as f:
                f.write(data)
            os.rename(p + ".tmp", p)
        return d

    def add(self, tag, obj):
        for b in obj.blobs():
            self.put(b)
        self.tags[tag] = obj
        self.write_index()
        return obj

    def write_index(self):
        manifests = []
        for tag, obj in self.tags.items():
            d = obj.descriptor(platform=False)
            d["annotations"] = {REF_NAME: tag}
            manifests.append(d)
        with open(os.path.join(self.dir, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": MT_INDEX,
                       "manifests": manifests}, f, indent=1)

    def ref(self, tag):
        return f"oci:{self.dir}:{tag}"


# --- the test images ----------------------------------------------------

def busybox_image(compression="gzip"):
    return Image([Layer(busybox_tar(), compression)])


def layers_image():
    """Three layers exercising what unpacking must get right: whiteouts
    of a file and a directory, an opaque directory, a file replaced by a
    directory and back, hardlinks, symlinks, odd modes, owners, mtimes
    (one fractional, in a pax record), a long path and a user xattr."""
    long_dir = "deep/" + "d" * 60 + "/" + "e" * 60
    base = busybox_tar()
    t = base
    t.dir("data")
    t.file("data/keep", "version 1\n")
    t.file("data/gone", "to be whited out\n")
    t.dir("data/dir-gone")
    t.file("data/dir-gone/inner", "inner\n")
    t.dir("data/dir-gone/sub")
    t.file("data/dir-gone/sub/deeper", "deeper\n")
    t.file("data/becomes-dir", "a file for now\n")
    t.dir("data/becomes-file")
    t.file("data/becomes-file/x", "x\n")
    t.dir("opq", mode=0o750)
    t.file("opq/a", "a\n")
    t.file("opq/b", "b\n")
    t.dir("opq/sub")
    t.file("opq/sub/c", "c\n")
    t.file("data/hl1", "linked twice\n", mode=0o640, mtime=1111111111)
    t.hardlink("data/hl2", "data/hl1", 0o640, mtime=1111111111)
    t.symlink("data/link-rel", "keep")
    t.symlink("data/link-abs", "/etc/passwd")
    t.symlink("data/link-dangling", "../nowhere/at/all")
    t.file("data/setuid", "#!/bin/sh\n", mode=0o4755)
    t.file("data/setgid", "#!/bin/sh\n", mode=0o2711)
    t.dir("data/sticky", mode=0o1777)
    t.file("data/private", "secret\n", mode=0o600, uid=1000, gid=1000)
    t.file("data/nobody", "nobody's\n", mode=0o444, uid=65534, gid=65534)
    t.file("data/bigid", "pax uid\n", uid=3000000, gid=3000001)
    t.file("data/nomode", "mode 0\n", mode=0o000)
    t.file("data/old", "old\n", mtime=946684800)
    t.file("data/frac", "fractional mtime\n", mtime=1234567890.75)
    t.file("data/xattr", "has a user xattr\n",
           xattrs={"user.keel.test": "hello", "user.keel.other": "x=y"})
    t.file("data/empty", b"")
    t.dir("deep")
    t.dir("deep/" + "d" * 60)
    t.dir(long_dir)
    t.file(long_dir + "/" + "f" * 90, "a path over 100 bytes\n")
    t.symlink("data/long-target", "/" + long_dir + "/" + "f" * 90)
    l1 = Layer(base, "gzip")

    t = Tar()
    t.dir("data")
    t.file("data/keep", "version 2\n", mtime=1700000500)
    t.whiteout("data/gone")
    t.whiteout("data/dir-gone")
    t.whiteout("data/becomes-dir")
    t.dir("data/becomes-dir", mode=0o711)
    t.file("data/becomes-dir/now", "now a directory\n")
    t.whiteout("data/becomes-file")
    t.file("data/becomes-file", "now a file\n", mode=0o600)
    t.dir("opq", mode=0o755)
    t.opaque("opq")
    t.file("opq/new", "only this one\n")
    t.file("data/l2a", "layer 2 links\n", uid=7, gid=8)
    t.hardlink("data/l2b", "data/l2a", uid=7, gid=8)
    t.hardlink("data/l2c", "data/l2a", uid=7, gid=8)
    t.dir("data/sticky", mode=0o1770, uid=5, gid=6)
    l2 = Layer(t, "gzip")

    t = Tar()
    t.dir("data")
    t.whiteout("data/link-rel")
    t.symlink("data/link-abs", "/etc/hostname")
    t.whiteout("data/l2c")
    t.dir("data/dir-gone")
    t.file("data/dir-gone/reborn", "a new directory, nothing below\n")
    t.dir("etc")
    t.file("etc/hostname", "layer three\n", mode=0o600, mtime=1500000000)
    l3 = Layer(t, "gzip")
    return Image([l1, l2, l3])


def arch_image(arch, variant=None, base=None):
    """busybox plus /arch naming the architecture."""
    t = Tar()
    t.file("arch", f"{arch}{'/' + variant if variant else ''}\n")
    return Image([base or Layer(busybox_tar()), Layer(t)], arch=arch,
                 variant=variant)


def multiarch_index():
    """arm64/v8 first, so taking the first entry is not taking amd64."""
    base = Layer(busybox_tar())
    return Index([arch_image("arm64", "v8", base), arch_image("amd64",
                                                              base=base)])


def zstd_image(compression="zstd"):
    """Two zstd layers; with compression="gzip" the same tar streams
    gzipped (umoci 0.4.7 cannot unpack zstd: that twin is the
    reference)."""
    base = Layer(busybox_tar(), compression)
    t = Tar()
    t.dir("etc")
    t.whiteout("etc/hostname")
    t.file("etc/zstd", "from a zstd layer\n", mode=0o640)
    t.hardlink("etc/zstd-link", "etc/zstd", 0o640)
    return Image([base, Layer(t, compression)])


def big_image(mib=20, seed=1):
    """busybox plus one layer holding /big.bin: mib MiB of
    incompressible pseudo-random bytes (seeded: the same every run)."""
    import random
    data = random.Random(seed).randbytes(mib << 20)
    t = Tar()
    t.file("big.bin", data, mode=0o644)
    return Image([Layer(busybox_tar()), Layer(t, "gzip")])


def big_file_sha256(mib=20, seed=1):
    import random
    return hashlib.sha256(random.Random(seed).randbytes(mib << 20)) \
        .hexdigest()


# --- pushing and archives -----------------------------------------------

def skopeo(*argv):
    r = subprocess.run(["skopeo"] + list(argv), capture_output=True,
                       text=True)
    if r.returncode:
        raise RuntimeError(f"skopeo {' '.join(argv)}: {r.stderr}")
    return r.stdout


def push(layout, tag, registry, name, dest_tag="1", all=False):
    """skopeo copy of layout:tag to registry as test/name:dest_tag; the
    manifest (or index) digest the registry now has."""
    digestfile = os.path.join(layout.dir, f".digest-{name}-{dest_tag}")
    args = ["copy", "--quiet", "--digestfile", digestfile]
    if all:
        args.append("--all")
    args += registry.skopeo_dest_args()
    skopeo(*args, layout.ref(tag),
           f"docker://{registry.host}/test/{name}:{dest_tag}")
    with open(digestfile) as f:
        return f.read().strip()


def docker_archive(layout, tag, path, name):
    """A `docker save` archive of layout:tag, its RepoTags [name]."""
    if os.path.exists(path):
        os.unlink(path)
    skopeo("copy", "--quiet", layout.ref(tag), f"docker-archive:{path}:{name}")
    return path


def oci_archive(layout, tag, path, name):
    """An OCI layout as a tar archive (what imagectl load takes): only
    layout:tag's blobs, index.json naming it `name` (a full reference)."""
    obj = layout.tags[tag]
    stage = path + ".d"
    shutil.rmtree(stage, ignore_errors=True)
    sub = Layout(stage)
    sub.add(name, obj)
    if os.path.exists(path):
        os.unlink(path)
    with tarfile.open(path, "w") as tf:
        for entry in ("oci-layout", "index.json", "blobs"):
            tf.add(os.path.join(stage, entry), arcname=entry)
    shutil.rmtree(stage)
    return path


def build_all(dir, big_mib=20):
    """The standard test images in one layout: tags busybox, layers,
    multi (an index; multi-amd64 and multi-arm64 its manifests), zstd
    (zstd-as-gzip its twin for umoci), big."""
    lay = Layout(dir)
    lay.add("busybox", busybox_image())
    lay.add("layers", layers_image())
    idx = multiarch_index()
    lay.add("multi", idx)
    lay.add("multi-arm64", idx.images[0])
    lay.add("multi-amd64", idx.images[1])
    lay.add("zstd", zstd_image())
    lay.add("zstd-as-gzip", zstd_image("gzip"))
    lay.add("big", big_image(big_mib))
    return lay
