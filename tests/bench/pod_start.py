#!/usr/bin/env python3
"""Container start-to-exit, imaged vs crun, with and without a user
namespace, and imaged's memory with pods.

    pod_start.py [RUNS]     (default 100)

Boots the built disk.img (TCG) with a data partition made for the
bench: a busybox image preloaded into imaged's store, and beside it the
distribution's crun (its binary, shared libraries and loader, so it
runs on keel as it is), an OCI bundle whose rootfs holds the same files,
and a small static timer. In the guest, each side runs `/bin/true` in
a fresh container RUNS times in a row, timed one by one:

- imaged: `imagectl run bench/busybox:1 /bin/true` (the request, a
  shim, an overlayfs root with a fresh upper layer, namespaces, mounts,
  cgroup, capabilities, no_new_privs, seccomp, exec, wait, clean up);
- crun: `crun run` of the bundle, whose config.json asks for the same
  (pid, ipc, uts, mount and cgroup namespaces, the host's network as
  `imagectl run` has it, Docker's masked and read-only paths, the same
  14 capabilities, no_new_privs, RLIMIT_NOFILE, pids.max, a seccomp
  filter refusing what keel's refuses) on a plain directory (no
  overlayfs: less work than imaged's).

The same again with a user namespace on both sides: `imagectl run
--host-users=false` (a network namespace on keel0 from netd, a user
namespace, idmapped layers) and crun with a user and a network namespace
(uid and gid maps of 65536 ids; an empty network namespace, no veth),
beside `imagectl run` with its network namespace and the host's users,
so the namespace's own cost shows.

Prints the medians and imaged/crun as a ratio (goal: <= 1). Then 5
pods (`sleep`, each with its own network namespace) are applied and
imaged's resident memory is read once they run: the daemon (goal:
under 4 MiB) and its shims.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import keelvm  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = "/var/lib/bench"
IMAGE = "docker.io/bench/busybox:1"

TIMER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* timer N PROG ARG...: PROG run N times in a row; each one's wall time
 * in microseconds on a line. "%d" in an ARG becomes the run's number. */
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	char *args[64], bufs[64][256];
	for (int i = 0; i < n; i++) {
		int k;
		for (k = 2; k < argc && k < 62; k++) {
			snprintf(bufs[k], sizeof(bufs[k]), argv[k], i);
			args[k - 2] = strstr(argv[k], "%d") ? bufs[k] : argv[k];
		}
		args[k - 2] = NULL;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		pid_t pid = fork();
		if (!pid) {
			int null = open("/dev/null", 1);
			dup2(null, 1);
			execv(args[0], args);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "run %d: status %d\n", i, st);
			return 1;
		}
		printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000L +
				       (b.tv_nsec - a.tv_nsec) / 1000);
	}
	return 0;
}
"""

# what keel's seccomp filter refuses (imaged/README.md, "Seccomp"),
# as crun's config.json says it
REFUSED = """mount umount2 pivot_root fsopen fsconfig fsmount fspick move_mount
open_tree mount_setattr unshare setns init_module finit_module
delete_module kexec_load kexec_file_load reboot swapon swapoff acct
settimeofday clock_settime bpf perf_event_open fanotify_init
lookup_dcookie quotactl quotactl_fd syslog vhangup iopl ioperm
sethostname setdomainname open_by_handle_at kcmp pidfd_getfd
process_madvise mbind set_mempolicy get_mempolicy migrate_pages
move_pages add_key request_key keyctl userfaultfd io_uring_setup
io_uring_enter io_uring_register _sysctl sysfs ustat uselib nfsservctl
create_module get_kernel_syms query_module vserver""".split()

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
        "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]


def run(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, **kw)


def rootfs(path):
    (path / "bin").mkdir(parents=True)
    # the mount points: crun in a user namespace may not make them itself
    # in a root that is not its root's
    for d in ("proc", "sys", "dev", "tmp", "etc"):
        (path / d).mkdir()
    shutil.copy("/bin/busybox", path / "bin" / "busybox")
    for applet in ("sh", "true", "sleep"):
        os.symlink("busybox", path / "bin" / applet)


def crun_config(userns=False):
    run("crun", "spec", cwd=WORK)
    with open(os.path.join(WORK, "config.json")) as f:
        c = json.load(f)
    os.unlink(os.path.join(WORK, "config.json"))
    p = c["process"]
    p["terminal"] = False
    p["args"] = ["/bin/true"]
    p["noNewPrivileges"] = True
    p["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 524288, "soft": 1024}]
    for kind in ("bounding", "effective", "permitted"):
        p["capabilities"][kind] = CAPS
    p["capabilities"].pop("inheritable", None)
    p["capabilities"].pop("ambient", None)
    c["root"]["readonly"] = False
    lx = c["linux"]
    lx["namespaces"] = [{"type": t} for t in
                        ("pid", "ipc", "uts", "mount", "cgroup")]
    if userns:
        # as a hostUsers: false pod: 65536 ids, and a network of its own
        lx["namespaces"] += [{"type": "user"}, {"type": "network"}]
        lx["uidMappings"] = lx["gidMappings"] = [
            {"containerID": 0, "hostID": 65536, "size": 65536}]
    # imaged keeps no device list: neither does crun here
    lx["resources"] = {"pids": {"limit": 1024}}
    lx["cgroupsPath"] = "/bench/crun"
    lx["maskedPaths"] += ["/sys/devices/virtual/powercap"]
    lx["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": REFUSED, "action": "SCMP_ACT_ERRNO",
                      "errnoRet": 1}],
    }
    return c


def make_data(data, tmp):
    base = tmp / "rootfs"
    rootfs(base)
    oci = tmp / "oci"
    run("umoci", "init", "--layout", str(oci))
    run("umoci", "new", "--image", f"{oci}:1")
    run("umoci", "insert", "--image", f"{oci}:1", str(base), "/")
    preload = data / "lib" / "keel" / "preload"
    preload.mkdir(parents=True)
    run("skopeo", "copy", f"oci:{oci}:1",
        f"docker-archive:{preload}/bench.tar:bench/busybox:1")
    bench = data / "lib" / "bench"
    (bench / "crun").mkdir(parents=True)
    # crun and what it links, and the loader to start it with
    libs = run("ldd", shutil.which("crun"), text=True).stdout
    for path in re.findall(r"(/\S+\.so[.\d]*)", libs) + [shutil.which("crun")]:
        shutil.copy(os.path.realpath(path),
                    bench / "crun" / os.path.basename(path))
    for name, userns in (("bundle", False), ("bundle-userns", True)):
        bundle = bench / name
        rootfs(bundle / "rootfs")
        (bundle / "config.json").write_text(
            json.dumps(crun_config(userns), indent=1))
    src = tmp / "timer.c"
    src.write_text(TIMER_C)
    run("musl-gcc", "-static", "-O2", "-o", str(bench / "timer"), str(src))


def median_ms(out):
    times = [int(x) / 1000 for x in out.split() if x.isdigit()]
    return statistics.median(times), len(times)


def memory_kb(m, pids_file):
    """(Rss, Pss) of each process in a cgroup: a shim is a fork of imaged
    and shares its pages, which Rss counts whole in each, Pss in part."""
    total = []
    for pid in m.check(f"cat {pids_file}").split():
        rc, st = m.run(f"cat /proc/{pid}/smaps_rollup")
        rss = re.search(r"\nRss:\s+(\d+)", st)
        pss = re.search(r"\nPss:\s+(\d+)", st)
        if rc == 0 and rss and pss:
            total.append((int(rss.group(1)), int(pss.group(1))))
    return total



def boot_preloaded(images, work, data, image):
    """The built image on a disk of its own in work, its data partition
    made from data (a preloaded image in it), booted until image is in
    imaged's store."""
    built = os.path.join(images, "disk.img")
    mb = [keelvm.partition_extent(built, n)[1] >> 20 for n in (1, 2, 4)]
    disk = os.path.join(work, "disk.img")
    subprocess.run([os.path.join(TOP, "scripts", "mkdisk"), disk,
                    os.path.join(images, "..", "build", "esp"),
                    os.path.join(images, "root.img"), *map(str, mb),
                    str(data)], check=True, capture_output=True)
    m = keelvm.Machine(disk, work).start()
    try:
        m.wait_ready()
        deadline = time.time() + 120
        while image not in m.check("imagectl images"):
            assert time.time() < deadline, "the image never loaded"
            time.sleep(1)
    except BaseException:
        m.kill()
        raise
    return m

def main():
    global WORK
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    if not shutil.which("crun"):
        sys.exit("pod_start: crun is missing (scripts/setup-host)")
    images = keelvm.images_dir()
    with tempfile.TemporaryDirectory() as work:
        WORK = work
        import pathlib
        tmp = pathlib.Path(work)
        data = tmp / "data"
        make_data(data, tmp)
        m = boot_preloaded(images, work, data, IMAGE)
        try:
            crun = (f"{BENCH}/crun/ld-linux-x86-64.so.2 --library-path "
                    f"{BENCH}/crun {BENCH}/crun/crun --root /run/crun run "
                    f"--bundle {BENCH}/bundle b%d")
            sides = {
                "imaged": f"/sbin/imagectl run --net=host {IMAGE} /bin/true",
                "crun": crun,
                "imaged-net": f"/sbin/imagectl run --host-users=true "
                              f"{IMAGE} /bin/true",
                "imaged-userns": f"/sbin/imagectl run --host-users=false "
                                 f"{IMAGE} /bin/true",
                "crun-userns": crun.replace("/bundle ", "/bundle-userns ")
                                   .replace(" b%d", " u%d"),
            }
            # once each first: caches warm, modules (overlay) loaded
            for argv in sides.values():
                m.check(f"{BENCH}/timer 3 {argv}", timeout=120)
            # in rounds, side by side, so a machine that slows down or
            # speeds up meanwhile weighs on every side alike
            rounds = max(1, runs // 10)
            times = {name: "" for name in sides}
            for _ in range(rounds):
                for name, argv in sides.items():
                    times[name] += m.check(
                        f"{BENCH}/timer {runs // rounds} {argv}",
                        timeout=1200)
            t = {}
            for name, out in times.items():
                t[name], n = median_ms(out)
                assert n == rounds * (runs // rounds), (name, n)
            print(f"start-to-exit of /bin/true, median of {runs} in a row "
                  f"(TCG):")
            print("  the host's network and users:")
            print(f"    imaged  {t['imaged']:7.1f} ms")
            print(f"    crun    {t['crun']:7.1f} ms")
            print(f"    ratio imaged/crun {t['imaged'] / t['crun']:.2f} "
                  f"(goal <= 1)")
            print("  a user namespace (and a network namespace) of its own:")
            print(f"    imaged, its network, the host's users "
                  f"{t['imaged-net']:7.1f} ms")
            print(f"    imaged, its network and users         "
                  f"{t['imaged-userns']:7.1f} ms")
            print(f"    crun, its network and users           "
                  f"{t['crun-userns']:7.1f} ms")
            print(f"    ratio imaged userns/imaged "
                  f"{t['imaged-userns'] / t['imaged-net']:.2f}, "
                  f"imaged userns/crun userns "
                  f"{t['imaged-userns'] / t['crun-userns']:.2f} (goal <= 1)")

            for i in range(5):
                m.check(f"printf '%s\\n' 'apiVersion: v1' 'kind: Pod' "
                        f"'metadata:' '  name: p{i}' 'spec:' '  containers:' "
                        f"'  - name: c' '    image: {IMAGE}' "
                        f"'    command: [\"/bin/sleep\", \"3600\"]' "
                        f"> /run/p{i}.yaml && imagectl apply -f /run/p{i}.yaml")
            deadline = time.time() + 180
            while m.check("imagectl pods").count("Running") < 5:
                assert time.time() < deadline, m.check("imagectl pods")
                time.sleep(1)
            time.sleep(5)  # idle: a few reconcile rounds
            daemon = memory_kb(m,
                               "/sys/fs/cgroup/system/imaged/cgroup.procs")
            shims = memory_kb(m, "/sys/fs/cgroup/shims/cgroup.procs")
            print("memory with 5 running pods:")
            print(f"  imaged daemon Rss {daemon[0][0]} KiB (goal < 4096), "
                  f"Pss {daemon[0][1]} KiB")
            print(f"  its {len(shims)} shims   Rss "
                  f"{', '.join(str(r) for r, _ in shims)} KiB; Pss "
                  f"{sum(p for _, p in shims)} KiB together")
        finally:
            m.kill()


if __name__ == "__main__":
    main()
