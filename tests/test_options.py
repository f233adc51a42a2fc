"""The option table (`conformance.options`): what every front end derives from it, and what it may import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click
import pytest

import conformance.options as table
from conformance.cli import main
from conformance.contract import CLOUDFLARE_BASE_URL, DEFAULT_SCHEMA_VERSION, MODEL, schema_versions
from conformance.errors import UsageError
from conformance.generation.catalogue import DEFAULT_SEED
from conformance.options import FRONT_ENDS, OPTIONS, taken_by
from conformance.runner import PROFILES
from conformance.transport import DEFAULT_TOKEN_ENV, FALLBACK_TOKEN_ENV, TransportSettings


def test_the_table_imports_the_standard_library_only() -> None:
    tree = ast.parse(Path(table.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    outside = {
        name for name in imported if name.split(".")[0] not in {*sys.stdlib_module_names, "__future__"}
    }
    assert not outside


def test_the_tables_defaults_and_choices_are_the_librarys() -> None:
    transport = TransportSettings()
    assert OPTIONS["model"].default == MODEL
    assert OPTIONS["schema_version"].default == DEFAULT_SCHEMA_VERSION
    assert OPTIONS["timeout"].default == transport.read_timeout_s
    assert OPTIONS["connect_timeout"].default == transport.connect_timeout_s
    assert OPTIONS["response_timeout"].default == transport.max_response_s
    assert OPTIONS["idle_timeout"].default == transport.idle_timeout_s
    assert OPTIONS["concurrency"].default == transport.concurrency
    assert OPTIONS["seed"].for_front_end("cases").default == DEFAULT_SEED
    assert OPTIONS["profile"].help == f"One of {', '.join(PROFILES)}."
    assert CLOUDFLARE_BASE_URL in OPTIONS["cloudflare"].help
    assert ", ".join(v.name for v in schema_versions()) in OPTIONS["schema_version"].help
    assert f"{DEFAULT_TOKEN_ENV}, then {FALLBACK_TOKEN_ENV}" in OPTIONS["token_env"].help


@pytest.mark.parametrize("front_end", [f for f in FRONT_ENDS if f != "pytest"])
def test_every_command_takes_the_tables_options_as_the_table_says(front_end: str) -> None:
    command = main.get_command(click.Context(main), front_end)
    assert command is not None
    parameters = {p.name: p for p in command.params if isinstance(p, click.Option)}
    for option in taken_by(front_end):
        found = parameters[option.parameter]
        assert found.opts == [option.flag]
        assert found.help == option.help
        assert found.is_flag == (option.kind == "flag")
        assert found.multiple == option.repeatable
        if option.kind != "flag":
            assert found.default == option.default and found.envvar == option.env


def test_the_plugin_declares_every_option_the_table_gives_it(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest("--help").stdout.str()
    for option in taken_by("pytest"):
        assert option.pytest_flag in help_text and option.ini_key in help_text


def test_a_structured_usage_error_is_worded_by_each_front_end() -> None:
    error = UsageError(
        "is not an account id: pass {account_id} or set CLOUDFLARE_ACCOUNT_ID",
        field="account_id",
        value="a/b",
        mentions=("account_id",),
    )
    assert (
        str(error)
        == "--account-id='a/b' is not an account id: pass --account-id or set CLOUDFLARE_ACCOUNT_ID"
    )
    pytest_words = error.worded(lambda name: "--conformance-" + name.replace("_", "-"))
    assert pytest_words.startswith("--conformance-account-id='a/b' is not an account id: pass --conformance-")
    assert str(UsageError("needs {baseline} FILE", field="update_baseline", mentions=("baseline",))) == (
        "--update-baseline needs --baseline FILE"
    )
    assert str(UsageError("a plain message")) == "a plain message"


def test_importing_the_package_loads_neither_hypothesis_nor_httpx_until_a_name_is_used() -> None:
    code = (
        "import sys, conformance; heavy = lambda: [m for m in ('hypothesis', 'httpx', 'jsonschema_rs') "
        "if m in sys.modules]; print(heavy()); conformance.UsageError; print(heavy()); "
        "conformance.Exchange; print('httpx' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[:3] == ["[]", "[]", "True"], done.stdout + done.stderr
