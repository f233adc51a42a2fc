"""``conformance worker``: the page's Worker examples in a real workerd, the AI binding over loopback servers.

Every test that needs workerd starts it on 127.0.0.1 (a free port) and stops
it; they skip, saying why, where ``make worker`` could not install it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import MODEL
from conformance.errors import TargetError
from conformance.worker import (
    STREAM_CHECKS,
    BindingTarget,
    PathVerdict,
    Toolchain,
    find_toolchain,
    judge_examples,
    running_worker,
)
from conformance.worker.judge import EXAMPLE_MESSAGES, WORKER_ANSWERED
from conformance.worker.workerd import WORKER_DIR
from support.fake_server import fake_server

ROOT = Path(__file__).resolve().parents[2]
SEED_PAGE = ROOT.parent / "shared" / "seed" / "workers-ai-llama-2-13b-chat-awq.txt"
TOKEN = "t0k-worker"


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    try:
        return find_toolchain()
    except TargetError as exc:
        pytest.skip(f"workerd is not installed: {exc}")


def verdicts_against(base_url: str, toolchain: Toolchain, token: str | None = TOKEN) -> list[PathVerdict]:
    with running_worker(BindingTarget(base_url, "X", token), toolchain=toolchain) as worker:
        return judge_examples(worker, timeout_s=60)


def findings(verdicts: list[PathVerdict], path: str) -> dict[str, str]:
    [verdict] = [v for v in verdicts if v.example.path == path]
    return {finding.check: finding.message for finding in verdict.findings}


def test_the_page_examples_pass_through_the_binding_against_a_conformant_target(
    toolchain: Toolchain,
) -> None:
    with fake_server(token=TOKEN) as base_url:
        with running_worker(BindingTarget(base_url, "X", TOKEN), toolchain=toolchain) as worker:
            verdicts = judge_examples(worker, timeout_s=60)
            json_answer = httpx.get(worker.url + "/", timeout=60).json()
            missing = httpx.get(worker.url + "/nowhere", timeout=60)
        assert worker.process.poll() is not None  # stopped on leaving the block
    assert [(v.example.path, v.passed) for v in verdicts] == [("/", True), ("/stream", True)]
    assert "ended with [DONE]" in verdicts[1].received
    # What env.AI.run returned is the result object, not the envelope around it.
    assert set(json_answer) == {"response", "usage"}
    assert missing.status_code == 404 and "/stream" in missing.text


@pytest.mark.parametrize(
    ("fault", "path", "check", "phrase"),
    [
        ("stream_no_done", "/stream", "stream_framing_conformance", "ended without data: [DONE]"),
        ("stream_after_done", "/stream", "stream_framing_conformance", "after data: [DONE]"),
        ("stream_bad_json", "/stream", "stream_framing_conformance", "which is not JSON"),
        ("stream_bad_usage", "/stream", "usage_consistent", "total_tokens"),
        ("stream_not_sse", "/stream", WORKER_ANSWERED, "not text/event-stream"),
        ("bad_success_envelope", "/", WORKER_ANSWERED, "without a success envelope"),
        ("bad_result", "/", "result_conformance", "/response"),
        ("wrong_content_type", "/", WORKER_ANSWERED, 'Content-Type "text/plain", not application/json'),
    ],
)
def test_a_broken_target_is_caught_through_the_worker(
    toolchain: Toolchain, fault: str, path: str, check: str, phrase: str
) -> None:
    with fake_server({fault}, token=TOKEN) as base_url:
        verdicts = verdicts_against(base_url, toolchain)
    found = findings(verdicts, path)
    assert check in found, verdicts
    assert phrase in found[check]
    other = "/" if path == "/stream" else "/stream"
    if fault != "wrong_content_type":  # it breaks both answers
        assert findings(verdicts, other) == {}


def test_an_unreachable_target_is_a_failure_that_says_so(toolchain: Toolchain) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    verdicts = verdicts_against(f"http://127.0.0.1:{closed}/client/v4", toolchain)
    for path in ("/", "/stream"):
        assert "could not reach the target" in findings(verdicts, path)[WORKER_ANSWERED]


class _Recorder(BaseHTTPRequestHandler):
    """Keeps what arrives and answers a conformant success."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, dict[str, str], Any]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        data = json.dumps({"result": {"response": "Hi"}, "success": True, "errors": [], "messages": []})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())


@contextmanager
def recording_server() -> Iterator[tuple[str, list[tuple[str, dict[str, str], Any]]]]:
    seen: list[tuple[str, dict[str, str], Any]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Recorder,), {"seen": seen}))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/client/v4", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_binding_sends_the_run_request_the_rest_route_expects(toolchain: Toolchain) -> None:
    with recording_server() as (base_url, seen):
        with running_worker(BindingTarget(base_url + "/", "acct-1", TOKEN), toolchain=toolchain) as worker:
            answer = httpx.get(worker.url + "/", timeout=60).json()
    assert answer == {"response": "Hi"}
    [(path, headers, body)] = seen
    # The model name literally, never %2F-encoded: the live API refuses the encoded form.
    assert path == f"/client/v4/accounts/acct-1/ai/run/{MODEL}"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-type"] == "application/json"
    assert body == {"messages": list(EXAMPLE_MESSAGES)}


def test_without_a_token_the_binding_sends_no_authorization(toolchain: Toolchain) -> None:
    with recording_server() as (base_url, seen):
        with running_worker(BindingTarget(base_url, "X", None), toolchain=toolchain) as worker:
            httpx.get(worker.url + "/", timeout=60)
    [(_, headers, _)] = seen
    assert "authorization" not in headers


CATCHING_WORKER = """\
// A user's own Worker, in TypeScript: it catches what env.AI.run throws.
interface Env { AI: any }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      const result = await env.AI.run("@hf/thebloke/llama-2-13b-chat-awq", { prompt: "" });
      return Response.json({ thrown: false, result });
    } catch (error: any) {
      return Response.json({
        thrown: true,
        isError: error instanceof Error,
        name: error.name,
        message: error.message,
        status: env.AI.lastRequestHttpStatusCode,
        code: env.AI.lastRequestInternalStatusCode,
      });
    }
  },
} satisfies ExportedHandler<Env>;
"""


def caught(base_url: str, script: Path, toolchain: Toolchain) -> Any:
    with running_worker(BindingTarget(base_url, "X", TOKEN), script=script, toolchain=toolchain) as worker:
        assert worker.routes == ()
        return httpx.get(worker.url + "/any/path", timeout=60).json()


def test_an_error_envelope_reaches_worker_code_as_a_catchable_error(
    toolchain: Toolchain, tmp_path: Path
) -> None:
    script = tmp_path / "catching.ts"
    script.write_text(CATCHING_WORKER)
    with fake_server(token=TOKEN) as base_url:
        error = caught(base_url, script, toolchain)
    # As Cloudflare's binding throws it: InferenceUpstreamError, "CODE: MESSAGE".
    assert error == {
        "thrown": True,
        "isError": True,
        "name": "InferenceUpstreamError",
        "message": "5006: AiError: Bad input",
        "status": 400,
        "code": 5006,
    }


def test_a_wrong_error_envelope_is_caught_through_the_worker(toolchain: Toolchain, tmp_path: Path) -> None:
    script = tmp_path / "catching.ts"
    script.write_text(CATCHING_WORKER)
    with fake_server({"bad_error_envelope"}, token=TOKEN) as base_url:
        error = caught(base_url, script, toolchain)
    # No "CODE: MESSAGE" to read: the Worker gets the body as it came, as from Cloudflare's binding.
    assert error["name"] == "InferenceUpstreamError" and error["code"] is None
    assert json.loads(error["message"])["errors"] == {"code": 5006, "message": "AiError: Bad input"}


def test_the_examples_are_the_pages_code_unchanged() -> None:
    page = SEED_PAGE.read_text() if SEED_PAGE.exists() else None
    if page is None:
        pytest.skip("the seed page lives in ../shared beside the checkout")
    for name in ("json.ts", "stream.ts"):
        lines = (WORKER_DIR / "examples" / name).read_text().splitlines()
        code = [line for line in lines if not line.startswith("//")]
        assert "\n".join("    " + line for line in code) in page
    assert "stream: true" in (WORKER_DIR / "examples" / "stream.ts").read_text()


def test_a_missing_toolchain_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="make worker"):
        find_toolchain(tmp_path)


def test_cli_without_workerd_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("conformance.worker.find_toolchain", lambda: find_toolchain(tmp_path))
    result = CliRunner().invoke(
        main, ["worker", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X"]
    )
    assert result.exit_code == 3
    assert "make worker" in result.output


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--embedded", "--base-url", "http://127.0.0.1:9/client/v4"], "contradict"),
        (["--check", "--script", __file__], "--check judges the page's two examples"),
        (["--base-url", "http://127.0.0.1:9/client/v4"], "--account-id is required"),
        (["--schema-version", "2025"], "--schema-version='2025' is not one of page-2024, docs-2025-01"),
    ],
)
def test_cli_usage_errors_exit_2(args: list[str], phrase: str) -> None:
    result = CliRunner().invoke(main, ["worker", *args], env={"CLOUDFLARE_ACCOUNT_ID": ""})
    assert result.exit_code == 2
    assert phrase in result.output


def test_cli_refuses_a_port_in_use_and_a_script_that_does_not_compile(
    toolchain: Toolchain, tmp_path: Path
) -> None:
    target = ["--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X"]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        in_use = CliRunner().invoke(main, ["worker", *target, "--port", str(busy.getsockname()[1])])
    broken = tmp_path / "broken.ts"
    broken.write_text("export default { fetch( }\n")
    not_compiled = CliRunner().invoke(main, ["worker", *target, "--script", str(broken)])
    assert in_use.exit_code == 2 and "cannot listen" in in_use.output
    assert not_compiled.exit_code == 2 and "esbuild could not compile it" in not_compiled.output


def test_cli_check_passes_and_fails_with_run_exit_codes(toolchain: Toolchain) -> None:
    with fake_server(token=TOKEN) as good, fake_server({"stream_no_done"}, token=TOKEN) as broken:
        env = {"MY_TOKEN": TOKEN, "CLOUDFLARE_API_TOKEN": "", "CLOUDFLARE_AUTH_TOKEN": ""}
        args = ["--account-id", "X", "--token-env", "MY_TOKEN", "--check"]
        passed = CliRunner().invoke(main, ["worker", "--base-url", good, *args], env=env)
        failed = CliRunner().invoke(main, ["worker", "--base-url", broken, *args], env=env)
        no_token = CliRunner().invoke(main, ["worker", "--base-url", good, *args[:-3], "--check"], env=env)
    assert passed.exit_code == 0, passed.output
    assert "PASS  /        200" in passed.output and "All 2 examples passed." in passed.output
    assert failed.exit_code == 1
    assert "FAIL  /stream" in failed.output and "stream_framing_conformance" in failed.output
    assert no_token.exit_code == 1 and "10000: Authentication error" in no_token.output


# A shell's background jobs start with SIGINT ignored, and Python then keeps it ignored:
# the command runs with Python's own Ctrl+C handling back, as from a terminal.
WITH_CTRL_C = "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); " + (
    "runpy.run_module('conformance', run_name='__main__', alter_sys=True)"
)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_cli_serves_until_interrupted(toolchain: Toolchain, stop: signal.Signals) -> None:
    with fake_server(token=TOKEN) as base_url:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                WITH_CTRL_C,
                "worker",
                "--base-url",
                base_url,
                "--account-id",
                "X",
                "--port",
                "0",
            ],
            env={**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        try:
            lines: list[str] = []
            while not any("Serving" in line for line in lines):
                line = process.stderr.readline()
                assert line, f"conformance worker exited: {''.join(lines)}"
                lines.append(line)
            [stream_url] = [line.split()[0] for line in lines if "Streaming" in line]
            streamed = httpx.get(stream_url, timeout=60)
        finally:
            process.send_signal(stop)
            code = process.wait(timeout=30)
            process.stderr.close()
    assert code == 0  # workerd stopped with it: running_worker's exit waits for that
    assert streamed.headers["content-type"] == "text/event-stream"
    assert streamed.text.rstrip().endswith("data: [DONE]")
    assert any(line.startswith("workerd 1.") for line in lines)


@pytest.mark.slow
def test_the_page_examples_pass_against_the_embedded_reference_server(toolchain: Toolchain) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "worker", "--embedded", "--check"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASS") == 2, done.stdout
    for check in STREAM_CHECKS:
        assert check not in done.stdout


def test_cli_check_judges_by_the_schema_version_it_is_given(toolchain: Toolchain) -> None:
    with fake_server(token=TOKEN) as good:
        env = {"CLOUDFLARE_API_TOKEN": TOKEN}
        args = ["worker", "--base-url", good, "--account-id", "X", "--check"]
        later = CliRunner().invoke(main, [*args, "--schema-version", "docs-2025-01"], env=env)
    assert later.exit_code == 0, later.output
    assert "All 2 examples passed." in later.output
