"""The import directions of docs/ARCHITECTURE.md hold for every module in the package.

Each module is parsed (never imported), so lazy imports inside functions and
``importlib.import_module("conformance....")`` with a literal name count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"

# The conformance layers each layer may import besides itself. `errors` holds
# the one exception hierarchy every layer raises, so any layer may import it.
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    # The option table the CLI and the pytest entry point derive their options from:
    # the standard library only (tests/test_options.py), so every pytest run can read it.
    "options": frozenset(),
    "contract": frozenset({"errors"}),
    "generation": frozenset({"errors", "contract"}),
    "transport": frozenset({"errors", "contract"}),
    "checks": frozenset({"errors", "contract", "generation", "transport"}),
    "runner": frozenset({"errors", "contract", "generation", "transport", "checks"}),
    # The report reads a results dict only (docs/results-format.md), so it
    # could render a file written by another version of the runner.
    "report": frozenset({"errors", "contract", "generation", "transport", "checks"}),
    # The openai engine reads its upstream's stream with transport's SSE decoder
    # rather than a second one (transport imports nothing of the server).
    "server": frozenset({"errors", "contract", "transport"}),
    # schemathesis as a second engine: a consumer of the runner, like the CLI.
    "fuzz": frozenset({"errors", "contract", "generation", "transport", "checks", "runner"}),
    # workerd with the page's Worker examples (docs/worker.md): a front end that judges what
    # comes out of the binding with the checks, as the runner would.
    "worker": frozenset({"errors", "contract", "generation", "transport", "checks"}),
    # `conformance load` on Locust: beside fuzz, a consumer of the runner and its checks.
    "load": frozenset({"errors", "contract", "generation", "transport", "checks", "runner"}),
    # `conformance diff`: the runner's plan sent to two sides, compared; a consumer like fuzz.
    "diff": frozenset({"errors", "contract", "generation", "transport", "checks", "runner"}),
    "cli": frozenset(
        {
            "errors",
            "options",
            "contract",
            "generation",
            "transport",
            "checks",
            "runner",
            "report",
            "server",
            "fuzz",
            "worker",
            "load",
            "diff",
        }
    ),
    # The facade re-exports the library; the CLI and the server (starlette, uvicorn)
    # stay out of `import conformance`.
    "__init__": frozenset({"errors", "contract", "generation", "transport", "checks", "runner", "report"}),
    # The pytest plugin consumes the library as the CLI does; nothing imports it.
    # `suite` is the module pytest collects (the plugin builds its items), and
    # `strategies` re-exports generation's Hypothesis strategies for users' tests.
    "pytest_plugin": frozenset(
        {"errors", "options", "contract", "generation", "transport", "checks", "runner", "report", "server"}
    ),
    "suite": frozenset(),
    "strategies": frozenset({"errors", "generation"}),
    "__main__": frozenset({"cli"}),
}

# Third-party modules a layer must not import: the runner is driven by the
# pytest plugin and the CLI, never the other way round.
FORBIDDEN_THIRD_PARTY: dict[str, frozenset[str]] = {
    "contract": frozenset({"httpx", "starlette", "uvicorn", "torch"}),
    "generation": frozenset({"httpx", "starlette", "uvicorn", "torch"}),
    "runner": frozenset({"pytest", "click", "jinja2"}),
    "report": frozenset({"httpx", "click"}),
    "fuzz": frozenset({"click", "jinja2", "pytest"}),
    "load": frozenset({"click", "jinja2", "pytest", "httpx"}),
    "diff": frozenset({"click", "jinja2", "pytest", "httpx"}),
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, source: str | None = None) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) of every import in the file, lazy ones included."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            yield node.lineno, stem
            # `from conformance import server` imports the layer, not a name.
            for alias in node.names:
                yield node.lineno, f"{stem}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def conformance_layer(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "conformance" or len(parts) == 1:
        return None
    return parts[1]


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_known_layer() -> None:
    unknown = {layer_of(path) for path in MODULES} - ALLOWED.keys()
    assert not unknown, f"add {sorted(unknown)} to ALLOWED and to docs/ARCHITECTURE.md"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_point_the_documented_way(path: Path) -> None:
    layer = layer_of(path)
    wrong = []
    for line, name in imported_modules(path):
        target = conformance_layer(name)
        if target is not None and target != layer and target in ALLOWED and target not in ALLOWED[layer]:
            wrong.append(f"line {line}: {name} ({layer} must not import {target})")
        if name.split(".")[0] in FORBIDDEN_THIRD_PARTY.get(layer, frozenset()):
            wrong.append(f"line {line}: {name} ({layer} must not import {name.split('.')[0]})")
    assert not wrong, "\n".join(wrong)


def test_the_rules_catch_a_wrong_import() -> None:
    # A rule that never fires is no rule: a transport module importing the
    # checks lazily and relatively, and the runner absolutely, is caught.
    client = PACKAGE / "transport" / "client.py"
    source = "def f():\n    from ..checks import registry\n    import conformance.runner\n"
    targets = {conformance_layer(name) for _, name in imported_modules(client, source)}
    assert {"checks", "runner"} <= targets
    assert not {"checks", "runner"} & ALLOWED[layer_of(client)]


TESTS = Path(__file__).resolve().parent
# Folders of tests/ that stand for no subpackage: cross-layer runs and the shared helpers.
BESIDES_THE_PACKAGE = {"end_to_end", "support"}


def test_test_folders_mirror_the_package() -> None:
    # tests/server/engines/test_x.py tests conformance/server/engines/; a test file
    # elsewhere would be one a reader cannot find by the module it tests.
    misplaced = []
    for path in sorted(TESTS.rglob("test_*.py")):
        folder = path.parent.relative_to(TESTS)
        if folder.parts and folder.parts[0] in BESIDES_THE_PACKAGE:
            continue
        if folder.parts and not (PACKAGE / folder / "__init__.py").is_file():
            misplaced.append(str(path.relative_to(TESTS.parent)))
    assert not misplaced, f"not in a folder named after a subpackage of conformance: {misplaced}"
