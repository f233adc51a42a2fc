"""`conformance.server.__all__` lists exactly what the package exports; importing it stays torch-free,
and Starlette-free until a serving name is asked for."""

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


def test_a_light_module_of_the_server_loads_neither_starlette_nor_uvicorn() -> None:
    # The CLI reads the cache folder and the device spelling from here on paths that serve nothing.
    code = (
        "import sys, conformance.server.tiny_model, conformance.server.engines.devices; "
        "assert not {'starlette', 'uvicorn'} & set(sys.modules), 'the server package imported its app'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
