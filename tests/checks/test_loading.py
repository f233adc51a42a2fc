"""`load_check_modules`: a user's module of checks, by dotted name or by path, and clear errors."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks import load_check_modules, registry
from conformance.errors import UsageError

USER_CHECK = """
from conformance import CheckFailure, check

@check(id="{id}", severity="should", description="A user's check.", clause="ours")
def {id}(observation):
    raise CheckFailure(received="anything", expected="nothing")
"""


@pytest.fixture(autouse=True)
def restore_registry_and_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test's checks and modules vanish afterwards: the registry and sys.modules are process-wide."""
    checks, modules = {c.id for c in registry.all()}, set(sys.modules)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for item in registry.all():
        if item.id not in checks:
            registry.unregister(item.id)
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source))
    return path


def test_a_path_registers_the_files_checks(tmp_path: Path) -> None:
    path = write(tmp_path / "my_checks.py", USER_CHECK.format(id="user_path_check"))
    (module,) = load_check_modules([str(path)])
    assert "user_path_check" in registry
    assert registry["user_path_check"].function is module.user_path_check


def test_loading_the_same_file_twice_registers_its_checks_once(tmp_path: Path) -> None:
    path = write(tmp_path / "my_checks.py", USER_CHECK.format(id="user_twice_check"))
    first = load_check_modules([str(path)])
    again = load_check_modules([str(tmp_path / "." / "my_checks.py")])
    assert first == again
    assert [c.id for c in registry.all()].count("user_twice_check") == 1


def test_a_file_named_like_a_standard_module_does_not_shadow_it(tmp_path: Path) -> None:
    write(tmp_path / "json.py", USER_CHECK.format(id="user_json_check"))
    load_check_modules([str(tmp_path / "json.py")])
    assert sys.modules["json"] is json and "user_json_check" in registry


def test_a_dotted_name_is_imported_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "__init__.py").write_text("")
    write(tmp_path / "team" / "checks.py", USER_CHECK.format(id="user_dotted_check"))
    monkeypatch.chdir(tmp_path)
    # As under the `conformance` console script: neither '' nor the directory on sys.path.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    (module,) = load_check_modules(["team.checks"])
    assert module.__name__ == "team.checks" and "user_dotted_check" in registry


@pytest.mark.parametrize(
    ("spec", "files", "message"),
    [
        ("missing.py", {}, "--checks-module='missing.py' does not exist"),
        ("sub/", {"sub/keep.txt": ""}, "--checks-module='sub/' is not a file"),
        ("notes/checks.txt", {"notes/checks.txt": ""}, "--checks-module='notes/checks.txt' is not a .py"),
        ("my-checks", {}, "--checks-module='my-checks' is neither a dotted module name"),
        ("no_such_checks_module", {}, "could not be imported: no module named 'no_such_checks_module'"),
        (
            "broken.py",
            {"broken.py": "x = 1\nraise RuntimeError('no config')\n"},
            "--checks-module='broken.py' could not be imported: RuntimeError: no config (",
        ),
        (
            "typo.py",
            {"typo.py": "def f(:\n"},
            "--checks-module='typo.py' could not be imported: SyntaxError: ",
        ),
        (
            "needs_dep.py",
            {"needs_dep.py": "import no_such_dependency_here\n"},
            "could not be imported: ModuleNotFoundError: No module named 'no_such_dependency_here' (",
        ),
        (
            "clash.py",
            {"clash.py": USER_CHECK.format(id="auth_enforced")},
            "--checks-module='clash.py' could not be imported: a check named 'auth_enforced' is already",
        ),
    ],
)
def test_a_module_that_cannot_be_loaded_is_a_usage_error_naming_option_and_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        load_check_modules([spec])
    assert message in str(info.value)


def test_an_error_inside_the_module_points_at_the_users_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "broken.py", "x = 1\nraise RuntimeError('no config')\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        load_check_modules(["broken"])
    assert str(info.value).endswith(f"({tmp_path / 'broken.py'}, line 2)")
