"""seccompProfile Localhost on the build host: a profile file read by
imaged's reader (run/seccompprofile.c) and installed by its container
setup in place of the default filter, started by ctr_harness -S (the
profile dir) as test_container.py starts its containers. The container's
own commands show what the kernel answers them."""
import json
import os

import pytest

from test_container import (  # noqa: F401 (fixtures)
    Ctr, ctr, layer, pytestmark, status, write)


def localhost(ctr, profile, name="p.json"):
    """A seccomp profile dir holding profile as name; the container's
    securityContext that names it."""
    d = ctr.host("seccomp")
    write(os.path.join(d, name), json.dumps(profile))
    return d, {"securityContext": {"seccompProfile": {
        "type": "Localhost", "localhostProfile": name}}}


def test_seccomp_localhost_errno(ctr):
    """A Localhost profile in place of the default filter: mkdir refused
    with the profile's errnoRet (42, ENOMSG), everything else allowed,
    even what the default filter refuses (unshare of a user namespace,
    which needs no capability)."""
    d, sc = localhost(ctr, {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
        "syscalls": [{"names": ["mkdir", "mkdirat"],
                      "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]})
    r = ctr.sh("mkdir /tmp/d; echo mkdir=$?; touch /tmp/f; echo touch=$?; "
               "unshare -U true; echo unshare=$?; "
               "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status",
               container=sc, seccomp_dir=d)
    lines = r.stdout.splitlines()
    assert lines[:3] == ["mkdir=1", "touch=0", "unshare=0"], r.stdout
    assert status(r.stdout)["Seccomp"] == "2"
    assert status(r.stdout)["NoNewPrivs"] == "1"
    assert os.strerror(42) in r.stderr, r.stderr  # No message of ...
    assert "mkdir: can't create directory '/tmp/d'" in r.stderr
    # without the profile: the default filter, which refuses unshare
    r = ctr.sh("mkdir /tmp/d; echo mkdir=$?; unshare -U true; "
               "echo unshare=$?")
    assert r.stdout.splitlines() == ["mkdir=0", "unshare=1"], r.stdout


@pytest.mark.parametrize("arg, refused", [
    ({"value": 8, "op": "SCMP_CMP_EQ"}, True),
    # the same low half, another high one: a 64-bit compare lets it by
    ({"value": 0x100000008, "op": "SCMP_CMP_EQ"}, False),
    ({"value": 0xff, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}, True),
    ({"value": 0x100000000, "op": "SCMP_CMP_GE"}, False),
    ({"value": 7, "op": "SCMP_CMP_GT"}, True),
], ids=["eq", "eq-high-half", "masked-eq", "ge-high-half", "gt"])
def test_seccomp_localhost_args(ctr, arg, refused):
    """personality(2) refused by its argument alone: linux32 asks for
    PER_LINUX32 (8), linux64 for PER_LINUX (0)."""
    d, sc = localhost(ctr, {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": 95, "args": [dict(index=0, **arg)]}]})
    r = ctr.sh("linux32 true; echo l32=$?; linux64 true; echo l64=$?",
               container=sc, seccomp_dir=d)
    assert r.stdout.splitlines() == [
        f"l32={1 if refused else 0}", "l64=0"], (r.stdout, r.stderr)
    if refused:
        assert f"personality(0x8): {os.strerror(95)}" in r.stderr, r.stderr


def test_seccomp_localhost_default_action(ctr):
    """defaultAction ERRNO with an allow list: a call off the list (mkdir
    here) gets defaultErrnoRet; the profile holds in every process."""
    allow = ["execve", "brk", "arch_prctl", "set_tid_address", "exit_group",
             "exit", "write", "writev", "read", "open", "openat", "close",
             "fstat", "newfstatat", "mmap", "munmap", "mprotect",
             "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "getpid",
             "getppid", "getuid", "geteuid", "ioctl", "fcntl", "wait4",
             "clone", "fork", "vfork", "dup2", "dup3", "stat", "lstat",
             "getcwd", "uname", "prctl", "sigaltstack", "lseek",
             "set_robust_list", "rseq", "getrandom", "prlimit64"]
    d, sc = localhost(ctr, {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
        "syscalls": [{"names": allow, "action": "SCMP_ACT_ALLOW"}]})
    r = ctr.sh("mkdir /tmp/d; echo mkdir=$?; echo ok", check=False,
               container=sc, seccomp_dir=d)
    assert r.stdout.splitlines() == ["mkdir=1", "ok"], (r.stdout, r.stderr)
    assert os.strerror(13) in r.stderr, r.stderr  # Permission denied


@pytest.mark.parametrize("files, want", [
    ({}, "ctr_harness: seccomp profile {d}/p.json: No such file or "
         "directory"),
    ({"p.json": '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": '
                '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", '
                '"args": [{"index": 0, "op": "SCMP_CMP_SOMETIMES"}]}]}'},
     "ctr_harness: seccomp profile {d}/p.json: syscalls[0].args[0].op: "
     "\"SCMP_CMP_SOMETIMES\" is not an operator"),
    ({"p.json": '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": '
                '[{"names": ["no_such_call"], "action": "SCMP_ACT_LOG"}]}'},
     "ctr_harness: seccomp profile {d}/p.json: syscalls: none of the 1 "
     "calls it names exists on this architecture"),
], ids=["missing", "bad-op", "no-known-call"])
def test_seccomp_localhost_refused(ctr, files, want):
    """A profile missing or bad: the container does not start, and the
    error names the file and the field."""
    d = ctr.host("seccomp")
    os.makedirs(d)
    for name, text in files.items():
        write(os.path.join(d, name), text)
    r = ctr.run("true", seccomp_dir=d, container={"securityContext": {
        "seccompProfile": {"type": "Localhost",
                           "localhostProfile": "p.json"}}})
    ctr.refused(r)
    assert r.stderr.startswith(want.format(d=d)), r.stderr
