#!/usr/bin/env python3
"""Install throughput of an OS update vs dd, side by side in QEMU.

    update_throughput.py [ROUNDS]     (default 3)

A bundle with a 200 MiB root payload (random bytes) is attached to the
guest as a second virtio disk, the same 200 MiB as a third. Each round
times, on the guest's clock, `dd` of the payload disk into the inactive
slot's partition (conv=fsync: the physical limit here) and `imagectl os
update --no-reboot` of the bundle disk (verify pass, write pass, read
back), and busybox sha256sum of the payload disk, the cost of one
SHA-256 pass (the install hashes twice: verify pass and read back).
Prints the medians and install/dd as a throughput ratio.
"""
import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import keelvm  # noqa: E402

SIZE = 200 << 20
KEY = os.path.join(keelvm.TOP, ".dev-keys", "bundle-signing.pem")


def uptime(m):
    return float(m.check("cut -d' ' -f1 /proc/uptime").split()[-1])


def timed(m, command, timeout=900):
    t0 = uptime(m)
    out = m.check(command, timeout)
    return uptime(m) - t0, out


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    images = keelvm.images_dir()
    build = os.path.join(os.path.dirname(images), "build")
    with tempfile.TemporaryDirectory() as work:
        payload = os.path.join(work, "root.bin")
        with open(payload, "wb") as f:
            for _ in range(SIZE >> 20):
                f.write(os.urandom(1 << 20))
        bundle = os.path.join(work, "bench.keelb")
        subprocess.run([
            os.path.join(keelvm.TOP, "scripts", "mkbundle"), "--key", KEY,
            "--version", "999.0", "--board", "qemu-x86_64",
            "--verity", "0" * 64 + f":{SIZE // 4096}", "--root", payload,
            "--kernel", glob.glob(os.path.join(build, "linux", "boot",
                                               "vmlinuz-*"))[0],
            "--initramfs", os.path.join(images, "initramfs.cpio.gz"),
            "-o", bundle], check=True, stdout=subprocess.DEVNULL)
        disk = keelvm.copy_disk(os.path.join(work, "disk.img"))
        drives = []
        for path in (bundle, payload):
            drives += ["-drive", f"if=virtio,format=raw,readonly=on,file={path}"]
        m = keelvm.Machine(disk, work, extra_args=drives).start()
        try:
            m.wait_ready()
            dd, install, sha = [], [], []
            for r in range(rounds):
                dd.append(timed(m, "dd if=/dev/vdc of=/dev/vda3 bs=1M "
                                   "conv=fsync 2>/dev/null")[0])
                took, out = timed(m, "imagectl os update --force "
                                     "--no-reboot /dev/vdb | tail -n 2")
                install.append(took)
                sha.append(timed(m, "sha256sum /dev/vdc")[0])
                phases = re.search(r"\((verify .*)\)", out)
                print(f"round {r + 1}: dd {dd[-1]:.2f} s, install "
                      f"{install[-1]:.2f} s "
                      f"({phases.group(1) if phases else out.strip()}), "
                      f"sha256sum {sha[-1]:.2f} s", flush=True)
        finally:
            m.kill()
    mib = SIZE / (1 << 20)
    d, i = statistics.median(dd), statistics.median(install)
    h = statistics.median(sha)
    print(f"sha256:  {mib / h:7.1f} MiB/s  (busybox sha256sum in the guest)")
    print(f"dd:      {mib / d:7.1f} MiB/s  ({d:.2f} s for {mib:.0f} MiB)")
    print(f"install: {mib / i:7.1f} MiB/s  ({i:.2f} s: verify, write, read back)")
    print(f"ratio install/dd: {d / i:.2f}  (goal >= 0.9)")


if __name__ == "__main__":
    main()
