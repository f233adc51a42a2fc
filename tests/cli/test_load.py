"""`conformance load` end to end: real Locust processes against loopback servers that break under load.

Each test loads for a few seconds. The CLI runs through click's runner (it
never imports Locust itself); Locust runs in the child processes it starts.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from support.load_server import load_server
from support.samples import TOKEN

pytestmark = pytest.mark.skipif(
    __import__("importlib").util.find_spec("locust") is None, reason="the load extra is not installed"
)


def load(base_url: str, folder: Path, *extra: str, users: int = 6) -> tuple[int, str, dict[str, Any]]:
    arguments = ["load", "--base-url", base_url, "--account-id", "X", "--users", str(users)]
    arguments += [
        "--spawn-rate",
        "100",
        "--run-time",
        "3s",
        "--seed",
        "4",
        "--report-dir",
        str(folder),
        *extra,
    ]
    result = CliRunner().invoke(main, arguments, env={"CLOUDFLARE_API_TOKEN": TOKEN})
    document = (
        json.loads((folder / "results.json").read_text()) if (folder / "results.json").is_file() else {}
    )
    return result.exit_code, result.output, document


@pytest.mark.parametrize(
    ("fault", "mix", "check"),
    [
        ("error_500_above", "valid=1", "status_code_conformance"),
        ("mixed_streams_above", "stream=1", "stream_framing_conformance"),
        ("bare_429_above", "valid=1", "error_envelope_conformance"),
    ],
)
def test_a_server_that_breaks_only_under_concurrency_fails_naming_the_check(
    tmp_path: Path, fault: str, mix: str, check: str
) -> None:
    seen: dict[str, int] = {}
    with load_server({fault}, limit=2, token=TOKEN, seen=seen) as base_url:
        code, output, document = load(base_url, tmp_path, "--mix", mix)
    assert seen["over"] > 0, "the load never went above the server's limit"
    assert code == 1, output
    assert f"gate crossed: {check}" in output
    figures = {c["id"]: c for c in document["load"]["checks"]}
    assert figures[check]["failed"] > 0 and figures[check]["kept"] > 0
    failing = [c for c in document["cases"] if c["checks"].get(check) == "failed"]
    assert failing
    request = failing[0]["exchanges"][0]["request"]
    # The curl line has a body: whole, or summarised when the body is a maximal boundary body.
    assert request["body"] is not None or request["body_summary"] is not None
    junit = (tmp_path / "junit.xml").read_text()
    assert f'name="{check}"' in junit and "<failure" in junit
    assert "Gates" in (tmp_path / "summary.md").read_text()
    assert 'id="load"' in (tmp_path / "report.html").read_text()


def test_the_same_server_passes_below_its_limit(tmp_path: Path) -> None:
    seen: dict[str, int] = {}
    with load_server(
        {"error_500_above", "mixed_streams_above"}, limit=50, token=TOKEN, seen=seen
    ) as base_url:
        code, output, document = load(base_url, tmp_path, "--mix", "valid=1,stream=1", users=3)
    assert seen["over"] == 0
    assert code == 0, output
    assert document["verdict"] == "pass" and document["load"]["exchanges"] > 0


def test_polite_refusals_under_load_are_counted_not_failed(tmp_path: Path) -> None:
    with load_server({"polite_429_above"}, limit=2, token=TOKEN) as base_url:
        code, output, document = load(base_url, tmp_path, "--mix", "valid=1")
    assert code == 0, output
    refusals = document["load"]["refusals"]
    assert refusals["count"] > 0 and refusals["codes"] == {"3040": refusals["count"]}
    assert refusals["without_retry_after"] == 0
    assert document["load"]["statuses"]["429"] == refusals["count"]


def test_an_unreachable_target_exits_3(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, output, document = load(f"http://127.0.0.1:{port}/client/v4", tmp_path)
    assert code == 3, output
    assert "unreachable" in output and document["verdict"] == "error"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--mix", "tools=1"], "--mix="),
        (["--baseline", "b.json"], "--baseline does not apply"),
        (["--p95-ttft", "2s", "--mix", "valid=1"], "--p95-ttft needs streamed requests"),
        (["--master"], "--master needs --expect-workers"),
        (["--processes", "2", "--master", "--expect-workers", "2"], "pass one"),
        (["--run-time", "soon"], "--run-time="),
        (["--schema-version", "2025"], "--schema-version='2025' is not one of page-2024, docs-2025-01"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    code, output, _ = load("http://127.0.0.1:9/client/v4", tmp_path / "r", *extra)
    assert code == 2, output
    assert message in output


def test_the_embedded_server_cannot_be_a_remote_master(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["load", "--embedded", "--master", "--expect-workers", "1"])
    assert result.exit_code == 2 and "--master needs --base-url" in result.output


def test_the_command_line_loads_neither_locust_nor_gevent() -> None:
    code = (
        "import sys; from conformance.cli import main; "
        "print(sorted(m for m in ('locust', 'gevent') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _cli(*arguments: str) -> list[str]:
    return [sys.executable, "-c", "from conformance.cli import main; main()", *arguments]


def test_a_master_and_two_workers_in_separate_processes_add_up(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN}
    with load_server(token=TOKEN) as base_url:
        master = subprocess.Popen(
            _cli(
                "load",
                "--base-url",
                base_url,
                "--account-id",
                "X",
                "--users",
                "6",
                "--spawn-rate",
                "100",
                "--run-time",
                "3s",
                "--seed",
                "8",
                "--master",
                "--expect-workers",
                "2",
                "--master-port",
                port,
                "--master-bind-host",
                "127.0.0.1",
                "--report-dir",
                str(tmp_path),
            ),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        workers = [
            subprocess.Popen(
                _cli("load", "--worker", "--master-port", port),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        output, _ = master.communicate(timeout=180)
        for worker in workers:
            worker.communicate(timeout=60)
            assert worker.returncode == 0
    assert master.returncode == 0, output
    section = json.loads((tmp_path / "results.json").read_text())["load"]
    assert len(section["workers"]) == 2 and all(w["exchanges"] > 0 for w in section["workers"])
    assert section["exchanges"] == sum(w["exchanges"] for w in section["workers"])
    posts = sum(row["requests"] for row in section["locust"]["stats"] if row["type"] == "POST")
    assert posts == section["exchanges"]  # Locust's own statistics, merged by Locust, agree
    judged = {c["id"]: c["judged"] for c in section["checks"]}
    checks = {row["name"]: row["requests"] for row in section["locust"]["stats"] if row["type"] == "check"}
    assert checks == {k: v for k, v in judged.items() if v}
    assert (tmp_path / "locust_stats.csv").is_file()


@pytest.mark.slow
def test_the_embedded_reference_server_passes_with_two_processes(tmp_path: Path) -> None:
    arguments = [
        "load",
        "--embedded",
        "--users",
        "4",
        "--spawn-rate",
        "100",
        "--run-time",
        "8s",
        "--processes",
        "2",
        "--seed",
        "1",
        "--report-dir",
        str(tmp_path),
    ]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    section = json.loads((tmp_path / "results.json").read_text())["load"]
    assert len(section["workers"]) == 2 and section["exchanges"] > 0
    assert section["exchanges"] == sum(w["exchanges"] for w in section["workers"])


def test_a_retired_model_ends_the_load_test_untestable_naming_cloudflares_error(tmp_path: Path) -> None:
    from support.fake_server import fake_server

    with fake_server({"retired_model"}, token=TOKEN) as base_url:
        code, output, document = load(base_url, tmp_path)
    assert code == 3, output
    assert "does not serve the model" in document["reason"] and "code 5028" in document["reason"]


def test_the_built_cases_and_checks_follow_the_schema_version(tmp_path: Path) -> None:
    from support.fake_server import fake_server

    with fake_server({"serves_docs_2025_01"}, token=TOKEN) as base_url:
        page = load(base_url, tmp_path / "page", "--mix", "boundary=1")
        later = load(base_url, tmp_path / "later", "--mix", "boundary=1", "--schema-version", "docs-2025-01")
    assert page[0] == 1 and "gate crossed: status_code_conformance" in page[1], page[1]
    assert later[0] == 0, later[1]
    assert later[2]["toolkit"]["schema_version"] == "docs-2025-01"
