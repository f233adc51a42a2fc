"""The toolkit's commands run as a user runs them: ``python -m conformance ...`` in a child process.

``conformance`` runs one command to its end; ``serve`` keeps ``conformance serve``
running on a free loopback port for the length of a ``with`` block.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def ci_env(token: str | None = None) -> dict[str, str]:
    """This environment as CI gives it: no CLOUDFLARE_* of the developer's, CI=1, the token if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    env["CI"] = "1"
    if token is not None:
        env["CLOUDFLARE_API_TOKEN"] = token
    return env


def conformance(*args: str, cwd: Path, token: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m conformance *args`` in ``cwd`` under `ci_env`, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=cwd,
        env=ci_env(token),
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def serve(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """``python -m conformance serve --port P *args``: yields its base URL and its stderr lines so far."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--port", str(port), *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line, f"the server exited: {''.join(lines)}"
            lines.append(line)
            if "Application startup complete" in line:
                break
        yield f"http://127.0.0.1:{port}/client/v4", lines
    finally:
        process.terminate()
        process.wait(timeout=15)
        process.stderr.close()
