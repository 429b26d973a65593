"""Every app's tests run in `make test` and CI: pytest collects only the folders listed in
pyproject.toml's `testpaths`, so a new app left out of it would have its tests silently skipped."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_tests_folder_is_collected():
    testpaths = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"])
    folders = {
        path.parent.name
        for path in ROOT.glob("*/tests")
        if (path / "__init__.py").exists() or any(path.glob("test_*.py"))
    }
    assert folders - testpaths == set()
