"""imaged/run/syscalltab.c (the seccomp profile reader's call numbers) is
what scripts/mksyscalltab writes from this host's kernel headers, for
x86_64 and aarch64 alike: a hand edit, or headers that moved, shows up
here."""
import os
import subprocess

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_syscalltab_is_generated(tmp_path):
    out = tmp_path / "syscalltab.c"
    subprocess.run([os.path.join(TOP, "scripts", "mksyscalltab"), str(out)],
                   check=True)
    with open(os.path.join(TOP, "imaged", "run", "syscalltab.c")) as f:
        checked_in = f.read()
    assert out.read_text() == checked_in, \
        "imaged/run/syscalltab.c differs: run scripts/mksyscalltab"
    # both arches' tables, each with its own numbering
    assert "mkdir:83 " in checked_in and "mkdirat:34 " in checked_in
    assert " read:0 " in checked_in and "read:63 " in checked_in
