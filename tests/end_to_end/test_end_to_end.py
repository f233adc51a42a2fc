"""The product's main job, run as a user runs it: ``python -m conformance`` in a fresh folder.

Two journeys. ``conformance run`` with no ``--base-url`` starts the embedded
reference server, tests it, stops it and leaves four reports under
``reports/latest``. ``conformance serve`` in one process and
``conformance run --base-url`` in another test a self-hosted server with a
token, and a wrong token ends the run with exit 3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
import pytest

from support.processes import accepts_connections, free_port
from support.reference_server import run_url

pytestmark = pytest.mark.slow

REPORT_FILES = ("results.json", "junit.xml", "summary.md", "report.html")
SERVER_TOKEN = "e2e-server-token-6f1c0b"

# Variables a developer's shell may carry that would change which target a run picks.
_TARGET_VARIABLES = (
    "CLOUDFLARE_BASE_URL",
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_AUTH_TOKEN",
    "CONFORMANCE_SERVER_TOKEN",
)

# Loaded before the CLI through PYTHONPATH: writes down every token that
# `secrets.token_urlsafe` makes (the embedded run generates its token with it),
# so the test can grep the artefacts for the real secret, not a guess at it.
_TOKEN_SPY = """\
import os
import secrets

_original = secrets.token_urlsafe


def _recorded(nbytes=None):
    token = _original(nbytes)
    with open(os.environ["E2E_TOKEN_LOG"], "a", encoding="utf-8") as log:
        log.write(token + "\\n")
    return token


secrets.token_urlsafe = _recorded
"""


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One toolkit cache for the session, so the tiny model is built once and never in ~/.cache."""
    return tmp_path_factory.mktemp("conformance-cache")


def user_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _TARGET_VARIABLES}
    env["CONFORMANCE_CACHE_DIR"] = str(cache_dir)
    env.update(extra)
    return env


def conformance(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


def every_text(folder: Path) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in folder.rglob("*") if path.is_file()}


def check_statuses(results: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in results["checks"]}


# -- conformance run, no --base-url: the embedded reference server -----------------------------


@pytest.fixture(scope="module")
def embedded_run(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path
) -> tuple[Path, subprocess.CompletedProcess[str], list[str]]:
    workdir = tmp_path_factory.mktemp("user-project")
    spy = tmp_path_factory.mktemp("token-spy")
    (spy / "sitecustomize.py").write_text(_TOKEN_SPY, encoding="utf-8")
    token_log = spy / "tokens.txt"
    env = user_env(cache_dir, PYTHONPATH=str(spy), E2E_TOKEN_LOG=str(token_log))
    completed = conformance("run", "--profile", "smoke", "--seed", "3", cwd=workdir, env=env)
    tokens = token_log.read_text(encoding="utf-8").split() if token_log.exists() else []
    return workdir, completed, tokens


def test_embedded_smoke_run_passes_and_writes_every_report(
    embedded_run: tuple[Path, subprocess.CompletedProcess[str], list[str]],
) -> None:
    workdir, completed, _ = embedded_run
    assert completed.returncode == 0, completed.stderr
    latest = workdir / "reports" / "latest"
    for name in REPORT_FILES:
        assert (latest / name).is_file(), f"reports/latest/{name} missing: {completed.stderr}"
    # Nothing else lands in the user's folder (Hypothesis's cache goes to the toolkit cache).
    assert sorted(os.listdir(workdir)) == ["reports"]

    results = json.loads((latest / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "pass"
    assert results["exit_code"] == 0
    assert results["profile"] == "smoke" and results["seed"] == 3
    assert results["target"]["embedded"] is True
    for check in results["checks"]:
        assert check["status"] in ("passed", "skipped"), check
        if check["status"] == "skipped":
            assert check["skip_reason"], check
    # The embedded run has a token, so auth is tested, not skipped.
    assert check_statuses(results)["auth_enforced"] == "passed"
    assert results["counts"]["cases_failed"] == 0 and results["counts"]["cases_error"] == 0
    assert "PASS" in completed.stdout + completed.stderr

    junit = ElementTree.parse(latest / "junit.xml").getroot()
    assert junit.tag == "testsuites" and int(junit.attrib["tests"]) > 0
    assert junit.attrib["failures"] == "0" and junit.attrib["errors"] == "0"
    assert (latest / "summary.md").read_text(encoding="utf-8").startswith("# Workers AI conformance: PASS")
    assert "</html>" in (latest / "report.html").read_text(encoding="utf-8")


def test_embedded_run_never_writes_its_token(
    embedded_run: tuple[Path, subprocess.CompletedProcess[str], list[str]],
) -> None:
    workdir, completed, tokens = embedded_run
    assert completed.returncode == 0, completed.stderr
    assert len(tokens) == 1 and len(tokens[0]) >= 24, f"the run's token was not observed: {tokens}"
    token = tokens[0]

    assert token not in completed.stdout and token not in completed.stderr
    for path, text in every_text(workdir).items():
        assert token not in text, f"the token appears in {path}"

    results = json.loads((workdir / "reports/latest/results.json").read_text(encoding="utf-8"))
    authorizations = [
        exchange["request"]["headers"]["authorization"]
        for case in results["cases"]
        for exchange in case["exchanges"]
        if "authorization" in exchange["request"]["headers"]
    ]
    assert authorizations, "no request recorded an Authorization header"
    assert set(authorizations) == {"Bearer [REDACTED]"}


def test_embedded_server_is_stopped_after_the_run(
    embedded_run: tuple[Path, subprocess.CompletedProcess[str], list[str]],
) -> None:
    workdir, completed, _ = embedded_run
    assert completed.returncode == 0, completed.stderr
    results = json.loads((workdir / "reports/latest/results.json").read_text(encoding="utf-8"))
    base_url = urlsplit(results["target"]["base_url"])
    assert base_url.hostname == "127.0.0.1" and base_url.path == "/client/v4"
    assert base_url.port is not None
    assert not accepts_connections(base_url.port)


# -- conformance serve in one process, conformance run --base-url in another -------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[str]:
    """``conformance serve --token`` on a free port; terminated at the end whatever happens."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance", "serve", "--port", str(port), "--token", SERVER_TOKEN],
            env=user_env(cache_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}/client/v4"
        deadline = time.monotonic() + 180
        while not accepts_connections(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"conformance serve did not start: {log_path.read_text(encoding='utf-8')}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_served_reference_server_answers_a_client_with_the_token(served: str) -> None:
    body = {"prompt": "Hello", "max_tokens": 2}
    refused = httpx.post(run_url(served, "X"), json=body, timeout=60)
    accepted = httpx.post(
        run_url(served, "X"), json=body, headers={"Authorization": f"Bearer {SERVER_TOKEN}"}, timeout=60
    )
    assert refused.status_code == 401, refused.text
    assert accepted.status_code == 200, accepted.text


def test_run_against_a_served_reference_server_passes(served: str, tmp_path: Path, cache_dir: Path) -> None:
    env = user_env(cache_dir, CLOUDFLARE_API_TOKEN=SERVER_TOKEN)
    completed = conformance(
        "run", "--base-url", served, "--account-id", "X", "--profile", "smoke", "--seed", "3",
        "--report-dir", "out",
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "pass"
    assert results["target"]["embedded"] is False
    assert results["target"]["base_url"] == served
    assert check_statuses(results)["auth_enforced"] == "passed"
    assert SERVER_TOKEN not in completed.stdout + completed.stderr
    for path, text in every_text(tmp_path).items():
        assert SERVER_TOKEN not in text, f"the token appears in {path}"


def test_run_with_a_wrong_token_cannot_test_and_exits_3(served: str, tmp_path: Path, cache_dir: Path) -> None:
    env = user_env(cache_dir, CLOUDFLARE_API_TOKEN="not-the-" + SERVER_TOKEN)
    completed = conformance(
        "run", "--base-url", served, "--account-id", "X", "--profile", "smoke", "--report-dir", "out",
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    assert completed.returncode == 3, completed.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "error"
    reason = results["reason"]
    assert reason and "401" in reason, results
    assert reason in completed.stdout + completed.stderr, "the reason is not printed"
