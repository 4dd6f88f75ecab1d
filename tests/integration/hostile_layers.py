#!/usr/bin/python3
"""A corpus of hostile layer tarballs, each wrapped as a single-layer
OCI image (tag = the entry's name) in one OCI layout, for the image
pull tests; also runnable on its own:

    python3 tests/integration/hostile_layers.py OUTDIR [--marker DIR]
                                                       [--bomb-mib N]

Every entry names its expected outcome:
  refused    the pull fails (imagectl exits 1) and no snapshot is kept;
  contained  the pull may succeed or fail; either way nothing lands
             outside the snapshot. When it succeeds, `inside` lists
             paths that must then be in the snapshot (what the entry made,
             contained), `absent` paths that must not.
Whatever the outcome, nothing may change under MARKER (a directory the
test makes beforehand, holding a file `victim`) or next to the store.

The expectations follow imaged/store/unpack.h: no ".." component at all, no
symlink followed while unpacking (so a symlink a layer made cannot
redirect a later entry), hardlinks only to files the layer made, and
bounded header sizes (imaged/store/tar.h) and output (max_layer_bytes)."""
import argparse
import gzip
import hashlib
import os
import subprocess
import sys
import tarfile
import threading
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_build import Image, Layer, Layout, MT_LAYER, Tar  # noqa: E402

UP = "../" * 40  # from any depth: up to /


class Hostile:
    def __init__(self, name, expect, layer, note, inside=(), absent=()):
        assert expect in ("refused", "contained")
        self.name, self.expect, self.layer, self.note = name, expect, \
            layer, note
        self.inside, self.absent = tuple(inside), tuple(absent)
        self.image = Image([layer])

    def __repr__(self):
        return f"<{self.name}: {self.expect}>"


# --- raw tar pieces -----------------------------------------------------

def octal(n, width):
    return (b"%0*o" % (width - 1, n)) + b"\0"


def ustar_header(name, size=0, type=b"0", mode=0o644, link=b""):
    """One 512-byte ustar header, fields as given (nothing checked)."""
    if isinstance(name, str):
        name = name.encode()
    if isinstance(link, str):
        link = link.encode()
    h = bytearray(512)
    h[0:len(name[:100])] = name[:100]
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12) if size < 8 ** 11 else \
        b"\x80" + size.to_bytes(11, "big")
    h[136:148] = octal(1700000000, 12)
    h[148:156] = b" " * 8
    h[156:157] = type
    h[157:157 + len(link[:100])] = link[:100]
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[265:269] = b"root"
    h[297:301] = b"root"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(data):
    return data + bytes(-len(data) % 512)


def pax_record(key, value):
    """One "len key=value\\n" record, its length counting itself."""
    body = f" {key}={value}\n".encode()
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n += 1
    return str(n).encode() + body


END = bytes(1024)


def simple(build, compression="gzip"):
    t = Tar()
    build(t)
    return Layer(t, compression)


def raw(tar_bytes, compression="gzip"):
    return Layer(tar_bytes, compression)


# --- bombs --------------------------------------------------------------

def zeros_tar(size):
    """A tar holding one file `zero` of size bytes of zeros: as pieces
    for stream() (bytes, or an int for that many zero bytes)."""
    return [ustar_header("zero", size), size + (-size % 512) + 1024]


def stream(pieces, chunk=1 << 20):
    for p in pieces:
        if isinstance(p, bytes):
            yield p
            continue
        z = bytes(chunk)
        while p:
            n = min(p, chunk)
            yield z[:n]
            p -= n


def gzip_bomb(pieces):
    """gzip of the pieces, made fast: every full-flushed deflate block
    of 1 MiB of zeros compresses to the same bytes, so one is made and
    repeated. (blob, diff_id)"""
    chunk = 1 << 20

    def block(data):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)

    zblock = block(bytes(chunk))
    out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"]
    crc, h, total = 0, hashlib.sha256(), 0
    for piece in stream(pieces, chunk):
        out.append(zblock if piece == zblock_src(chunk) else block(piece))
        crc = zlib.crc32(piece, crc)
        h.update(piece)
        total += len(piece)
    out.append(b"\x03\x00")  # an empty final fixed-Huffman block
    out.append(crc.to_bytes(4, "little") + (total & 0xffffffff)
               .to_bytes(4, "little"))
    return b"".join(out), "sha256:" + h.hexdigest()


_ZEROS = {}


def zblock_src(n):
    if n not in _ZEROS:
        _ZEROS[n] = bytes(n)
    return _ZEROS[n]


def zstd_bomb(pieces):
    """zstd -19 of the pieces, streamed through the CLI."""
    p = subprocess.Popen(["zstd", "-q", "-c", "-19"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    out = []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()))
    reader.start()
    h = hashlib.sha256()
    for piece in stream(pieces):
        h.update(piece)
        p.stdin.write(piece)
    p.stdin.close()
    reader.join()
    if p.wait():
        raise RuntimeError("zstd failed")
    return out[0], "sha256:" + h.hexdigest()


# --- the corpus ---------------------------------------------------------

def corpus(marker, bomb_mib=1024):
    """The entries, for a marker directory (absolute, under /tmp)."""
    m = marker.rstrip("/")
    mrel = m.lstrip("/")
    E = []

    def add(*a, **kw):
        E.append(Hostile(*a, **kw))

    # path traversal
    add("dotdot-short", "refused", simple(lambda t: t.file("../../x", "x\n")),
        "../../x: from a snapshot dir, the store")
    add("dotdot-three", "refused",
        simple(lambda t: t.file("../../../x", "x\n")),
        "../../../x: next to the store")
    add("dotdot-deep", "refused",
        simple(lambda t: t.file(UP + mrel + "/dotdot", "x\n")),
        "../ x 40 then the marker: from anywhere, into the marker")
    add("dotdot-middle", "refused",
        simple(lambda t: t.dir("a").file("a/../../x", "x\n")),
        "a/../../x: the '..' after a real directory")
    add("dotdot-dir", "refused",
        simple(lambda t: t.dir(UP + mrel + "/newdir")),
        "a directory made through ../")
    add("absolute", "contained",
        simple(lambda t: t.file(m + "/abs", "absolute\n")),
        "/MARKER/abs: an absolute name is relative to the layer",
        inside=[mrel + "/abs"])
    # symlink, then something through it
    add("symlink-abs-then-file", "refused",
        simple(lambda t: t.symlink("a", m).file("a/pwned", "pwned\n")),
        "a -> MARKER, then a/pwned")
    add("symlink-rel-then-file", "refused",
        simple(lambda t: t.symlink("a", "../../..").file("a/pwned", "p\n")),
        "a -> ../../.., then a/pwned")
    add("symlink-deep-then-file", "refused",
        simple(lambda t: t.symlink("a", UP + mrel)
               .file("a/pwned", "pwned\n")),
        "a -> ../../(x40)/MARKER, then a/pwned")
    add("symlink-chain-then-file", "refused",
        simple(lambda t: t.symlink("l1", "l2").symlink("l2", m)
               .file("l1/pwned", "pwned\n")),
        "l1 -> l2 -> MARKER, then l1/pwned")
    add("symlink-then-dir", "refused",
        simple(lambda t: t.symlink("a", m).dir("a/sub")),
        "a -> MARKER, then the directory a/sub")
    add("symlink-dot-then-file", "refused",
        simple(lambda t: t.symlink("a", m).file("a/./pwned", "pwned\n")),
        "a -> MARKER, then a/./pwned")
    add("file-over-symlink", "contained",
        simple(lambda t: t.symlink("victim", m + "/victim")
               .file("victim", "replaced\n")),
        "victim -> MARKER/victim, then a file victim: the symlink is "
        "replaced, never written through", inside=["victim"])
    add("dir-over-symlink", "contained",
        simple(lambda t: t.symlink("d", m).dir("d", mode=0o777)),
        "d -> MARKER, then a directory d (mode 777): never chmod through")
    # hardlinks
    add("hardlink-etc-passwd", "refused",
        simple(lambda t: t.hardlink("passwd", "/etc/passwd")),
        "a hardlink to /etc/passwd (not in this layer)")
    add("hardlink-dotdot", "refused",
        simple(lambda t: t.hardlink("x", "../../x")),
        "a hardlink to ../../x")
    add("hardlink-deep", "refused",
        simple(lambda t: t.hardlink("x", UP + mrel + "/victim")),
        "a hardlink to ../(x40)/MARKER/victim")
    add("hardlink-through-symlink", "refused",
        simple(lambda t: t.symlink("a", m).hardlink("stolen", "a/victim")),
        "a -> MARKER, then a hardlink to a/victim")
    add("hardlink-to-symlink", "contained",
        simple(lambda t: t.symlink("s", "/etc/passwd").hardlink("h", "s")),
        "a hardlink to a symlink to /etc/passwd: at most a second name "
        "for the symlink itself")
    # whiteouts
    add("whiteout-dotdot", "refused",
        simple(lambda t: t.file(".wh...", "")),
        ".wh... would white out the parent")
    add("whiteout-dot", "refused",
        simple(lambda t: t.dir("a").file("a/.wh..", "")),
        "a/.wh.. would white out a itself")
    add("whiteout-escape", "refused",
        simple(lambda t: t.dir("a").file("a/../../.wh.x", "")),
        "a/../../.wh.x")
    add("whiteout-deep", "refused",
        simple(lambda t: t.file(UP + mrel + "/.wh.victim", "")),
        "../(x40)/MARKER/.wh.victim")
    add("whiteout-through-symlink", "refused",
        simple(lambda t: t.symlink("a", m).file("a/.wh.victim", "")),
        "a -> MARKER, then a/.wh.victim")
    add("opaque-through-symlink", "refused",
        simple(lambda t: t.symlink("a", m).file("a/.wh..wh..opq", "")),
        "a -> MARKER, then a/.wh..wh..opq (an xattr on MARKER)")
    # what tar headers can claim
    pax = pax_record("path", UP + mrel + "/paxesc")
    add("pax-path-escape", "refused",
        raw(ustar_header("././@PaxHeader", len(pax), b"x") + pad(pax) +
            ustar_header("innocent", 2) + pad(b"x\n") + END),
        "ustar name 'innocent', pax path ../(x40)/MARKER/paxesc")
    pax = pax_record("linkpath", "/etc/passwd")
    add("pax-linkpath-passwd", "refused",
        raw(ustar_header("././@PaxHeader", len(pax), b"x") + pad(pax) +
            ustar_header("innocent", 0, b"1", link="innocent2") + END),
        "a hardlink whose pax linkpath is /etc/passwd")
    t = Tar(format=tarfile.GNU_FORMAT)
    t.file(UP + mrel + "/gnuesc", "x\n")
    add("gnu-longname-escape", "refused", Layer(t),
        "a GNU long name ('L') ../(x40)/MARKER/gnuesc")
    bogus = b"99999999999 path=" + b"a" * 20 + b"\n"
    add("pax-giant-record", "refused",
        raw(ustar_header("././@PaxHeader", len(bogus), b"x") + pad(bogus) +
            ustar_header("f", 0) + END),
        "a pax record claiming 99999999999 bytes in a 38-byte header")
    add("pax-huge-header", "refused",
        raw(ustar_header("././@PaxHeader", 1 << 36, b"x") +
            pad(pax_record("path", "x")) + END),
        "a pax header claiming 64 GiB of records (4 KiB follow)")
    add("gnu-longname-100mb", "refused",
        raw(ustar_header("././@LongLink", 100 << 20, b"L") +
            b"a" * 4096 + END),
        "a GNU long name claiming 100 MB (4 KiB follow)")
    body = bytes(range(256)) * 40
    whole = ustar_header("file", len(body)) + pad(body) + END
    add("truncated-header", "refused",
        raw(ustar_header("first", 3) + pad(b"ok\n") + whole[:300]),
        "a good entry, then the archive ends 300 bytes into a header")
    add("truncated-data", "refused", raw(whole[:512 + 5000]),
        "a 10240-byte file, the archive ends after 5000 of them")
    good = gzip.compress(whole, mtime=0)
    add("gzip-truncated", "refused",
        Layer(blob=good[:len(good) // 2], diff_id="sha256:" +
              hashlib.sha256(whole).hexdigest(), media_type=MT_LAYER["gzip"]),
        "the gzip stream itself cut in half")
    blob, diff_id = gzip_bomb(zeros_tar(bomb_mib << 20))
    add("gzip-bomb", "refused", Layer(blob=blob, diff_id=diff_id,
                                      media_type=MT_LAYER["gzip"]),
        f"{len(blob) >> 10} KiB of gzip, {bomb_mib} MiB of zeros in one file")
    blob, diff_id = zstd_bomb(zeros_tar(bomb_mib << 20))
    add("zstd-bomb", "refused", Layer(blob=blob, diff_id=diff_id,
                                      media_type=MT_LAYER["zstd"]),
        f"{len(blob) >> 10} KiB of zstd, {bomb_mib} MiB of zeros in one file")
    # no header claims much here: only decompressing it all (to check
    # the diff_id, which covers the whole stream) meets the cap
    small = ustar_header("ok", 3) + pad(b"ok\n") + END
    blob, diff_id = gzip_bomb([small, bomb_mib << 20])
    add("gzip-bomb-tail", "refused", Layer(blob=blob, diff_id=diff_id,
                                           media_type=MT_LAYER["gzip"]),
        f"a 3-byte file, then {bomb_mib} MiB of zeros after the end of the "
        "archive (the diff_id covers them)")
    # not hostile to the host, but not to be made without unpack_devices
    t = Tar()
    t.dir("dev")
    for path, type, dev in (("dev/mem", tarfile.CHRTYPE, (1, 1)),
                            ("dev/sda", tarfile.BLKTYPE, (8, 0))):
        ti = tarfile.TarInfo(path)
        ti.type, ti.mode = type, 0o666
        ti.devmajor, ti.devminor = dev
        t.tf.addfile(ti)
    t.fifo("dev/fifo")
    t.file("dev/ok", "ok\n")
    add("device-nodes", "contained", Layer(t),
        "/dev/mem, /dev/sda and a fifo: skipped with unpack_devices = no",
        inside=["dev/ok"], absent=["dev/mem", "dev/sda", "dev/fifo"])
    return E


def generate(outdir, marker=None, bomb_mib=1024):
    """The corpus as an OCI layout in outdir (tag = entry name), plus
    each layer blob as outdir/<name>.layer: (entries, layout)."""
    marker = marker or f"/tmp/keel-hostile-{uuid.uuid4().hex[:8]}"
    os.makedirs(outdir, exist_ok=True)
    entries = corpus(marker, bomb_mib)
    lay = Layout(os.path.join(outdir, "layout"))
    for e in entries:
        lay.add(e.name, e.image)
        with open(os.path.join(outdir, e.name + ".layer"), "wb") as f:
            f.write(e.layer.blob)
    return entries, lay


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--marker", help="the directory escapes aim at "
                    "(default: a new /tmp/keel-hostile-*)")
    ap.add_argument("--bomb-mib", type=int, default=1024)
    a = ap.parse_args()
    entries, lay = generate(a.outdir, a.marker, a.bomb_mib)
    for e in entries:
        print(f"{e.name:26} {e.expect:9} {e.layer.size:8}  {e.note}")
    print(f"OCI layout: {lay.dir} ({len(entries)} images)")


if __name__ == "__main__":
    main()
