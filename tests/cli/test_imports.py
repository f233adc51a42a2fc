"""A command imports only what it uses: ``--help`` loads none of the library, ``run`` no server.

The group loads a subcommand's module when it is invoked (`conformance.cli.COMMANDS`);
each command module imports the library inside its function. The imports are
read from ``python -X importtime`` in a child process, as a user would start it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conformance.cli import COMMANDS, main
from support.fake_server import fake_server
from support.processes import ci_env
from support.samples import TOKEN

# What a command's help has no use for: generation, transport, the contract's
# validators, the report, the server, the fuzz and load engines.
HEAVY = frozenset(
    {
        "hypothesis",
        "httpx",
        "jsonschema",
        "jsonschema_rs",
        "jinja2",
        "starlette",
        "uvicorn",
        "torch",
        "transformers",
        "schemathesis",
        "locust",
    }
)
# What testing a server that is already running has no use for.
SERVING = frozenset({"torch", "transformers", "starlette", "uvicorn", "schemathesis", "locust"})


def imported(*args: str, cwd: Path | None = None, token: str | None = None) -> set[str]:
    """The top-level packages ``python -m conformance *args`` imported; it must exit 0."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "conformance", *args],
        cwd=cwd,
        env=ci_env(token),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # "import time:   self |   cumulative |   module.name", indented by depth.
    modules = {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }
    return {module.split(".")[0] for module in modules}


HELPS = [[], *([name] for name in sorted(COMMANDS)), ["schemas", "list"], ["schemas", "diff"]]


@pytest.mark.parametrize("command", HELPS, ids=lambda words: " ".join(words) or "conformance")
def test_help_imports_none_of_the_heavy_packages(command: list[str]) -> None:
    found = imported(*command, "--help")
    assert "click" in found  # the import list was read
    assert not found & HEAVY


def test_a_run_against_a_running_server_imports_no_server_model_or_fuzzer(tmp_path: Path) -> None:
    with fake_server(token=TOKEN) as url:
        found = imported(
            *("run", "--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5"),
            *("--report-dir", str(tmp_path / "reports")),
            cwd=tmp_path,
            token=TOKEN,
        )
    assert {"hypothesis", "httpx"} <= found  # it did draw and send
    assert (tmp_path / "reports" / "report.html").is_file()
    assert not found & SERVING


def test_a_rerun_of_a_seed_reads_its_cases_from_the_cache_without_hypothesis(tmp_path: Path) -> None:
    run = ("run", "--account-id", "X", "--profile", "smoke", "--seed", "5")
    run += ("--report-dir", str(tmp_path / "r"))
    with fake_server(token=TOKEN) as url:
        first = imported(*run, "--base-url", url, cwd=tmp_path, token=TOKEN)
        again = imported(*run, "--base-url", url, cwd=tmp_path, token=TOKEN)
    assert "hypothesis" in first
    assert "httpx" in again and "hypothesis" not in again
    # jsonschema (pure Python) only explains invalid bodies; a conformant server's answers need none.
    assert "jsonschema" not in again  # the first run drew with hypothesis-jsonschema, which loads it
    assert not (tmp_path / ".hypothesis").exists()  # the first run's draw stored nothing here


def real_commands() -> dict[str, click.Command]:
    context = click.Context(main)
    found = {name: main.get_command(context, name) for name in main.list_commands(context)}
    return {name: command for name, command in found.items() if command is not None}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_tables_summary_is_the_first_line_of_the_commands_docstring(name: str) -> None:
    command = real_commands()[name]
    assert command.name == name  # the names are the interface
    assert command.help is not None
    assert COMMANDS[name].summary == command.help.splitlines()[0]


def test_the_group_lists_its_commands_as_click_would_from_the_commands_themselves() -> None:
    eager = click.Group("conformance", commands=real_commands(), help=main.help)
    for width in (60, 80, 120):
        lazy_help = main.get_help(click.Context(main, info_name="conformance", terminal_width=width))
        eager_help = eager.get_help(click.Context(eager, info_name="conformance", terminal_width=width))
        # The options differ (--version); the command listing must not.
        assert lazy_help.partition("Commands:")[2] == eager_help.partition("Commands:")[2]
        assert lazy_help.partition("Commands:")[2].count("\n") == len(COMMANDS)


def test_an_unknown_command_is_a_usage_error() -> None:
    outcome = CliRunner().invoke(main, ["nope"])
    assert outcome.exit_code == 2 and "No such command 'nope'" in outcome.output


def test_the_values_spelled_out_for_help_are_the_librarys() -> None:
    from conformance.cli import cases, diff, fuzz, load, serve
    from conformance.fuzz import engine
    from conformance.generation import CaseKind
    from conformance.generation.catalogue import DEFAULT_COUNT
    from conformance.load import settings
    from conformance.runner.differences import DIFFERENCE_CLASSES
    from conformance.server.app import DEFAULT_MAX_BODY_BYTES

    assert cases.KINDS == tuple(kind.value for kind in CaseKind)
    assert cases.DEFAULT_COUNT == DEFAULT_COUNT
    assert diff.DIFFERENCE_CLASSES == DIFFERENCE_CLASSES
    assert (fuzz.PHASES, fuzz.MODES) == (engine.PHASES, engine.MODES)
    assert load.MIX_CLASSES == settings.MIX_CLASSES
    assert (load.DEFAULT_MIX, load.DEFAULT_RUN_TIME) == (settings.DEFAULT_MIX, settings.DEFAULT_RUN_TIME)
    assert load.DEFAULT_MASTER_PORT == settings.DEFAULT_MASTER_PORT
    assert serve.DEFAULT_MAX_BODY_BYTES == DEFAULT_MAX_BODY_BYTES
