#!/usr/bin/env python3
"""Boot timeline of the built disk.img: firmware -> GRUB -> kernel -> init.

    boot_timeline.py [BOOTS]     (default 5)

Each boot is a fresh copy of disk.img (so each is a first boot that also
creates /var) followed by a second boot of the same disk (the steady
state). Times are the guest's own clock since kernel start, read from
init's console lines; the median of BOOTS runs is printed. Wall time from
QEMU start to `keel: ready` includes OVMF and GRUB.
"""
import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import keelvm  # noqa: E402

STAGES = [
    ("stage1", r"keel: stage 1 \(initramfs\) at ([0-9.]+) s"),
    ("stage2", r"keel: stage 2 \(root\) at ([0-9.]+) s"),
    ("ready", r"keel: ready at ([0-9.]+) s"),
]


def one_boot(m):
    t0 = time.monotonic()
    m.start()
    row = {}
    for name, pattern in STAGES:
        row[name] = float(m.expect(pattern).group(1))
        if name == "stage1":
            row["wall_to_kernel_init"] = time.monotonic() - t0
    row["wall_ready"] = time.monotonic() - t0
    m.sync_shell()
    row["stage2_to_ready"] = row["ready"] - row["stage2"]
    status = m.check("cat /proc/1/status")
    row["init_rss_kb"] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    row["init_bytes"] = int(m.check("stat -c %s /sbin/init").strip())
    m.child.sendline("poweroff")
    m.wait_exit(60)
    m.kill()
    return row


def main():
    boots = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    first, second = [], []
    for i in range(boots):
        with tempfile.TemporaryDirectory() as work:
            disk = keelvm.copy_disk(os.path.join(work, "disk.img"))
            m = keelvm.Machine(disk, work)
            first.append(one_boot(m))
            second.append(one_boot(m))
        print(f"boot {i + 1}/{boots}: first {first[-1]['ready']:.3f} s, "
              f"again {second[-1]['ready']:.3f} s", flush=True)

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    print(f"\nmedian of {boots} boots (TCG), guest clock since kernel start:")
    print(f"{'':24}{'first boot':>12}{'next boot':>12}")
    for key, label in (("stage1", "init stage 1"),
                       ("stage2", "init stage 2"),
                       ("ready", "keel: ready"),
                       ("stage2_to_ready", "stage 2 -> ready"),
                       ("wall_ready", "wall: QEMU start->ready")):
        print(f"{label:24}{med(first, key):11.3f}s{med(second, key):11.3f}s")
    print(f"{'init RSS after boot':24}{med(first, 'init_rss_kb'):10.0f}KB"
          f"{med(second, 'init_rss_kb'):10.0f}KB")
    print(f"init binary: {first[0]['init_bytes']} bytes")


if __name__ == "__main__":
    main()
