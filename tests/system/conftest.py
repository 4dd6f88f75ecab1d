import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import keelvm  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "one_arch(arch): an arch-neutral test; when make check "
        "runs every arch at once (KEEL_SHARE=1), it runs on arch only")
    if not os.path.exists(os.path.join(keelvm.images_dir(), "disk.img")):
        raise pytest.UsageError(
            f"no disk.img in {keelvm.images_dir()}: run 'make' first "
            "(make check builds it)")


@pytest.fixture
def workdir(tmp_path):
    return str(tmp_path)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("KEEL_SHARE") != "1":
        return
    keep, elsewhere = [], []
    for item in items:
        mark = item.get_closest_marker("one_arch")
        on = mark.args[0] if mark else keelvm.arch()
        (keep if on == keelvm.arch() else elsewhere).append(item)
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = keep
