"""`conformance.server.__all__` lists exactly what the package exports, and importing it stays torch-free."""

from __future__ import annotations

import subprocess
import sys

import conformance.server


def test_all_exports_exist_and_public_names_are_listed() -> None:
    for name in conformance.server.__all__:
        assert hasattr(conformance.server, name), name
    public = {
        name
        for name, value in vars(conformance.server).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("conformance")
        and not isinstance(value, type(sys))
    }
    assert public <= set(conformance.server.__all__)


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, conformance.server; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
