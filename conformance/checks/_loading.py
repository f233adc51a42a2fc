"""Loading a user's checks module, so that its `check` registrations take part in a run.

A module is named the way ``--checks-module`` takes it: a dotted name
importable from the current directory, or the path of a ``.py`` file::

    load_check_modules(["my_checks", "ci/extra_checks.py"])

Importing the module runs its ``@check`` decorators, which register on the
default registry; selecting and excluding checks by name then works for them
as for the built-ins.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from conformance.errors import ConformanceError, UsageError

FIELD = "checks_module"
"""The option that names a checks module (``--checks-module``), for usage errors."""


def load_check_modules(specs: Iterable[str]) -> list[ModuleType]:
    """Import every module in ``specs`` (dotted names or ``.py`` paths), in order; returns them.

    Loading the same module twice is harmless: it is imported once. A module
    that cannot be found or fails while importing is a `UsageError` that names
    ``--checks-module`` and the value.

    >>> [m.__name__ for m in load_check_modules(["json"])]
    ['json']
    """
    return [_load(spec) for spec in specs]


def _load(spec: str) -> ModuleType:
    if _is_path(spec):
        return _load_path(spec)
    if not all(part.isidentifier() for part in spec.split(".")):
        raise UsageError(
            "is neither a dotted module name (my_checks, ci.checks) nor the path of a .py file",
            field=FIELD,
            value=spec,
        )
    # A console script's sys.path starts at its own bin folder, not the
    # current directory; `python -m` starts at the current directory. Both
    # should find a module that sits where the user runs the command.
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (spec == exc.name or spec.startswith(exc.name + ".")):
            raise UsageError(
                f"could not be imported: no module named {exc.name!r} "
                f"in {cwd} or on the Python path; run from the folder that holds it, "
                "or pass the path of its .py file",
                field=FIELD,
                value=spec,
            ) from None
        raise _failed(spec, exc) from None
    except Exception as exc:
        raise _failed(spec, exc) from None


def _is_path(spec: str) -> bool:
    return spec.endswith(".py") or "/" in spec or os.sep in spec


def _load_path(spec: str) -> ModuleType:
    path = Path(spec)
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise UsageError(
            f"{what}; pass the path of a .py file or a dotted module name", field=FIELD, value=spec
        )
    if path.suffix != ".py":
        raise UsageError("is not a .py file", field=FIELD, value=spec)
    resolved = path.resolve()
    # One name per file, derived from where it lives: loading the file again
    # finds it in sys.modules instead of registering its checks twice, and a
    # file called json.py cannot shadow the json module.
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    name = f"_conformance_checks_{_identifier(resolved.stem)}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, resolved)
    if module_spec is None or module_spec.loader is None:
        raise UsageError("cannot be loaded as a Python module", field=FIELD, value=spec)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it runs
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise _failed(spec, exc) from None
    return module


def _identifier(stem: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in stem)


def _failed(spec: str, exc: Exception) -> UsageError:
    """A usage error naming the option, the value, what went wrong and, when known, where."""
    if isinstance(exc, SyntaxError):
        detail, where = f"SyntaxError: {exc.msg}", f" ({exc.filename}, line {exc.lineno})"
    else:
        detail = str(exc) if isinstance(exc, ConformanceError) else f"{type(exc).__name__}: {exc}"
        # The innermost frame outside this module and the import machinery is the user's line.
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename != __file__ and "importlib" not in f.filename and not f.filename.startswith("<")
        ]
        where = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return UsageError(f"could not be imported: {detail}{where}", field=FIELD, value=spec)
