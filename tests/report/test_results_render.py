"""results.json as the runner writes it is what the HTML report reads: every verdict renders."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from conformance.report import load_results, write_html_report
from conformance.runner import RunConfig, RunFinished, run, write_artifacts
from support.fake_server import fake_server
from support.samples import TOKEN, small_cases


def _unreachable() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/client/v4"


@pytest.mark.parametrize(
    "faults",
    [set(), {"bad_result", "stream_after_done", "echo_auth"}, {"bad_usage", "no_auth"}, None],
    ids=["pass", "fail", "should-only", "unreachable"],
)
def test_every_verdict_renders_as_html_without_the_token(tmp_path: Path, faults: set[str] | None) -> None:
    def go(url: str) -> None:
        config = RunConfig(base_url=url, account_id="X", token=TOKEN, seed=9, cases=small_cases())
        final = list(run(config))[-1]
        assert isinstance(final, RunFinished)
        write_artifacts(final.result, tmp_path)

    if faults is None:
        go(_unreachable())
    else:
        with fake_server(faults, token=TOKEN) as url:
            go(url)
    results = load_results(tmp_path / "results.json")
    html = write_html_report(results, tmp_path / "report.html").read_text(encoding="utf-8")
    assert results["verdict"] in html.lower() or results["verdict"].upper() in html
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path
    assert json.loads((tmp_path / "results.json").read_text())["format_version"] == 2
