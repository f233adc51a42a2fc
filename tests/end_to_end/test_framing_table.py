"""The HTTP and SSE framing table, row by row, through the real client and checks, and a few through the CLI.

Every legal framing must pass every check on a valid request; every lie must
fail its row's check with a message that names the framing, never end as
"could not be judged". docs/runner.md ("HTTP and SSE framing") shows the same
table; a test keeps the two equal.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest

from conformance.checks import RunFacts, registry
from conformance.generation import Case, CaseKind
from conformance.runner import CaseResult, judge_case
from conformance.transport import Client, Exchange
from support.framing_server import framing_server
from support.framing_table import HTTP, ROWS, SSE, Row
from support.processes import conformance
from support.samples import TOKEN

DOC = Path(__file__).parents[2] / "docs" / "runner.md"
DOC_ROW = re.compile(r"^\| `(?P<name>\w+)` \| (?P<sends>.+) \| (?P<verdict>passes|fails `\w+`: .+) \|$")
BY_NAME = {row.name: row for row in ROWS}

JSON_CASE = Case.build(CaseKind.VALID, "prompt", "a prompt", {"prompt": "Hello"})
STREAM_CASE = Case.build(CaseKind.VALID, "stream", "streamed", {"prompt": "Hello", "stream": True})


def send(url: str, body: object, times: int = 1) -> list[Exchange]:
    async def go() -> list[Exchange]:
        async with Client(url, "X", token=TOKEN) as client:
            return [await client.send(body) for _ in range(times)]

    return asyncio.run(go())


def judged(row: Row) -> tuple[Exchange, CaseResult]:
    case = STREAM_CASE if row.stream else JSON_CASE
    with framing_server(row) as url:
        (exchange,) = send(url, case.body)
    checks = [c for c in registry.all() if not c.is_scenario]
    return exchange, judge_case(case, exchange, checks, RunFacts())


def verdict(row: Row) -> str:
    return "passes" if row.legal else f"fails `{row.check}`: {row.says}"


@pytest.mark.parametrize("row", [r for r in ROWS if r.legal], ids=lambda r: r.name)
def test_a_legal_framing_passes_every_check(row: Row) -> None:
    exchange, result = judged(row)
    assert result.outcome == "passed", [f.message for f in result.failures] or result.error
    assert set(result.checks.values()) == {"passed"}
    assert exchange.framing == () and exchange.error is None
    assert HTTP in result.checks and (SSE in result.checks) == row.stream


@pytest.mark.parametrize("row", [r for r in ROWS if not r.legal], ids=lambda r: r.name)
def test_a_framing_lie_fails_its_check_naming_the_framing(row: Row) -> None:
    exchange, result = judged(row)
    assert result.outcome == "failed" and result.error is None  # judged, not "could not be judged"
    assert exchange.status is not None
    messages = [f.message for f in result.failures if f.check_id == row.check]
    assert messages and row.says is not None and row.says in messages[0], [f.message for f in result.failures]
    assert messages[0].startswith("Received: ") and "\nExpected: " in messages[0]
    assert "Traceback" not in messages[0] and "could not" not in messages[0]


def doc_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("## HTTP and SSE framing", 1)[1].split("\n## ", 1)[0]


def test_the_table_in_docs_runner_md_is_this_table() -> None:
    documented: list[tuple[str, str, str, str]] = []
    group = ""
    for line in doc_section().splitlines():
        if line.startswith("### "):
            group = line[4:].strip()
        elif (found := DOC_ROW.match(line)) is not None:
            documented.append((group, found["name"], found["sends"], found["verdict"]))
    assert documented == [(r.group, r.name, r.sends, verdict(r)) for r in ROWS]
    assert len(BY_NAME) == len(ROWS)


def test_a_lie_on_a_kept_open_connection_does_not_become_the_next_answer() -> None:
    # Bytes past a Content-Length body would be read as the next response on that
    # connection: the client closes it, and the next request gets an answer of its own.
    row = BY_NAME["content_length_shorter_kept_open"]
    connections: list[int] = []
    with framing_server(row, connections) as url:
        first, second = send(url, JSON_CASE.body, times=2)
    assert first.framing == second.framing and len(first.framing) == 1
    assert second.status == 200 and second.error is None
    assert len(connections) == 2


def test_a_legal_framing_on_a_kept_open_connection_serves_both_requests_on_it() -> None:
    connections: list[int] = []
    with framing_server(BY_NAME["chunked"], connections) as url:
        exchanges = send(url, JSON_CASE.body, times=2)
    assert [e.framing for e in exchanges] == [(), ()] and len(connections) == 1


def run_cli(row: Row, check: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # The server answers every request with the row's bytes, so only the framing check is selected:
    # a JSON row is no answer to a streamed or an invalid request, whatever its framing.
    target = ["--account-id", "X", "--profile", "smoke", "--seed", "1", "--check", check]
    with framing_server(row) as url:
        return conformance(
            "run", "--base-url", url, *target, "--report-dir", str(tmp_path / "r"), *extra, cwd=tmp_path
        )


@pytest.mark.parametrize(
    ("name", "check", "code"),
    [
        ("chunked_trailers", HTTP, 0),
        ("sse_gzip", SSE, 0),
        ("content_length_conflicting", HTTP, 1),  # h11 refuses the head: a failure, not "not HTTP" (exit 3)
        ("sse_last_event_lost", SSE, 1),
    ],
)
def test_the_cli_passes_legal_rows_and_fails_lies_with_the_framing_named(
    name: str, check: str, code: int, tmp_path: Path
) -> None:
    row = BY_NAME[name]
    done = run_cli(row, check, tmp_path)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == code, done.stdout + done.stderr
    if row.says is not None:
        assert row.says in done.stdout, done.stdout
        assert "0 could not be judged" in done.stdout


@pytest.mark.parametrize(("name", "check"), [("content_length_shorter", HTTP), ("sse_field_name_case", SSE)])
def test_a_recorded_lie_replays_to_the_same_failure(name: str, check: str, tmp_path: Path) -> None:
    row = BY_NAME[name]
    capture = tmp_path / "capture.jsonl"
    live = run_cli(row, check, tmp_path, "--record", str(capture))
    replayed = conformance("replay", str(capture), "--report-dir", str(tmp_path / "replayed"), cwd=tmp_path)
    assert live.returncode == replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert row.says is not None and row.says in replayed.stdout
