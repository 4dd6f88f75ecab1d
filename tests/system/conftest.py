import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import keelvm  # noqa: E402


def pytest_configure(config):
    if not os.path.exists(os.path.join(keelvm.images_dir(), "disk.img")):
        raise pytest.UsageError(
            f"no disk.img in {keelvm.images_dir()}: run 'make' first "
            "(make check builds it)")


@pytest.fixture
def workdir(tmp_path):
    return str(tmp_path)
