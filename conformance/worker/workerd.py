"""Starting workerd with a Worker whose ``AI`` binding forwards ``env.AI.run`` to any implementation.

workerd and esbuild come from npm, pinned in the checkout's ``worker/`` folder
(``make worker``). The binding is workerd's own mechanism, a ``wrapped``
binding over an internal module (``worker/ai-binding.js``); the target's base
URL, account id and token reach it through the environment of the workerd
process, never through the config file::

    target = Target("http://127.0.0.1:8787/client/v4", "X", token="t0k")
    with running_worker(target) as worker:
        httpx.get(worker.url + "/").json()["response"]
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from conformance.errors import TargetError, UsageError
from conformance.transport import Target

WORKER_DIR = Path(__file__).resolve().parents[2] / "worker"
"""The checkout's npm folder: workerd and esbuild (pinned by package-lock.json), the binding, the examples."""

COMPATIBILITY_DATE = "2025-09-01"
"""The compatibility date every Worker runs under (workerd refuses dates after its own build)."""

BINDING_MODULE = "conformance-internal:ai-binding"

ENV_BASE_URL = "CONFORMANCE_WORKER_BASE_URL"
ENV_ACCOUNT_ID = "CONFORMANCE_WORKER_ACCOUNT_ID"
ENV_TOKEN = "CONFORMANCE_WORKER_TOKEN"

_STARTUP_TIMEOUT_S = 60.0  # a busy machine; workerd itself listens within a second
_STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Example:
    """One of the model page's Worker examples and the path it is served at."""

    path: str
    source: str
    label: str


EXAMPLES = (
    Example("/", "examples/json.ts", 'the page\'s "Worker" example (JSON)'),
    Example("/stream", "examples/stream.ts", 'the page\'s "Worker - Streaming" example'),
)


@dataclass(frozen=True)
class Toolchain:
    """The workerd and esbuild binaries, and the npm version of workerd."""

    workerd: Path
    esbuild: Path
    folder: Path = WORKER_DIR

    @property
    def version(self) -> str:
        """workerd's npm version, e.g. ``1.20261123.1``, or ``unknown``."""
        try:
            manifest = json.loads((self.folder / "node_modules" / "workerd" / "package.json").read_text())
        except (OSError, ValueError):
            return "unknown"
        return str(manifest.get("version", "unknown"))


def find_toolchain(folder: Path = WORKER_DIR) -> Toolchain:
    """workerd and esbuild as ``npm ci`` put them in ``folder``; a `TargetError` saying how when absent."""
    binaries = folder / "node_modules" / ".bin"
    workerd, esbuild = binaries / "workerd", binaries / "esbuild"
    missing = [path.name for path in (workerd, esbuild) if not os.access(path, os.X_OK)]
    if not folder.is_dir():
        raise TargetError(
            f"no worker/ folder at {folder}: `conformance worker` runs from a checkout of the toolkit, "
            "whose worker/ folder pins workerd and esbuild"
        )
    if missing:
        hint = "run `make worker` (npm ci in worker/; it needs Node.js and npm)"
        if shutil.which("npm") is None:
            hint = "install Node.js and npm, then run `make worker` (npm ci in worker/)"
        raise TargetError(f"{' and '.join(missing)} not installed in {binaries}: {hint}")
    return Toolchain(workerd, esbuild, folder)


def BindingTarget(base_url: str, account_id: str, token: str | None = None) -> Target:
    """The `Target` the binding sends ``run`` to: ``POST {base_url}/accounts/{account_id}/ai/run/{model}``,
    the model named by each call (the name the worker's tests and scripts use)."""
    return Target(base_url, account_id, token=token)


@dataclass
class RunningWorker:
    """A started workerd: its address, what it serves, and its log (None when it goes to the terminal)."""

    url: str
    routes: tuple[Example, ...]
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path | None = None

    def log_size(self) -> int:
        """The log's length so far, to read what a later request adds with `log_since`."""
        return self.log.stat().st_size if self.log is not None else 0

    def log_since(self, offset: int) -> str:
        """What workerd wrote after ``offset`` (its uncaught exceptions, the Workers' console)."""
        if self.log is None:
            return ""
        with self.log.open("rb") as file:
            file.seek(offset)
            return file.read().decode("utf-8", errors="replace")


@contextmanager
def running_worker(
    target: Target,
    *,
    script: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    log_to_terminal: bool = False,
    toolchain: Toolchain | None = None,
) -> Iterator[RunningWorker]:
    """workerd serving ``script`` (default: the page's two examples) on ``host:port``; stopped on exit.

    ``port=0`` picks a free port. workerd's output goes to a log file that
    `RunningWorker.log_since` reads, or to the terminal with ``log_to_terminal``.
    """
    tools = toolchain or find_toolchain()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="conformance-worker-")))
        routes = _prepare(tools, folder, script)
        sock = _listening_socket(host, port)
        stack.callback(sock.close)
        log = None if log_to_terminal else folder / "workerd.log"
        process = _start(tools, folder, sock, target, log)
        stack.callback(_stop, process)
        bound = sock.getsockname()[1]
        sock.close()  # workerd holds its own copy of the listening socket
        yield RunningWorker(f"http://{host}:{bound}", routes, process, log)


def _prepare(tools: Toolchain, folder: Path, script: Path | None) -> tuple[Example, ...]:
    """Compile the Worker(s) into ``folder`` and write the config beside them; the routes served."""
    shutil.copyfile(tools.folder / "ai-binding.js", folder / "ai-binding.js")
    if script is not None:
        _compile(tools, script, folder / "worker.js", user=True)
        services = [_worker_service("main", "worker.js", binding=True)]
        routes: tuple[Example, ...] = ()
    else:
        shutil.copyfile(tools.folder / "router.js", folder / "router.js")
        services = [_worker_service("main", "router.js", binding=False, router=True)]
        for name, example in zip(("json", "stream"), EXAMPLES, strict=True):
            _compile(tools, tools.folder / example.source, folder / f"{name}.js", user=False)
            services.append(_worker_service(name, f"{name}.js", binding=True))
        routes = EXAMPLES
    (folder / "config.capnp").write_text(_config(services), encoding="utf-8")
    return routes


def _compile(tools: Toolchain, source: Path, output: Path, *, user: bool) -> None:
    # Bundled as wrangler bundles a Worker, so a user's Worker may import its own modules;
    # TypeScript loses its annotations and nothing else.
    command = [
        str(tools.esbuild),
        str(source),
        "--bundle",
        "--format=esm",
        "--platform=neutral",
        "--target=es2022",
        "--conditions=workerd,worker,browser",
        "--main-fields=browser,module,main",
        "--external:cloudflare:*",
        "--external:node:*",
        f"--outfile={output}",
        "--log-level=error",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = done.stderr.strip() or f"esbuild exited {done.returncode}"
        if user:
            raise UsageError(f"--script={str(source)!r}: esbuild could not compile it:\n{message}")
        raise TargetError(f"esbuild could not compile {source}:\n{message}")


def _worker_service(name: str, module: str, *, binding: bool, router: bool = False) -> str:
    bindings = []
    if binding:
        bindings.append(".aiBinding")
    if router:
        bindings += [
            '(name = "JSON_EXAMPLE", service = "json")',
            '(name = "STREAM_EXAMPLE", service = "stream")',
        ]
    return (
        f'(name = "{name}", worker = (\n'
        f'      modules = [(name = "{module}", esModule = embed "{module}")],\n'
        f'      compatibilityDate = "{COMPATIBILITY_DATE}",\n'
        f"      bindings = [{', '.join(bindings)}],\n"
        "    ))"
    )


def _config(services: list[str]) -> str:
    # Only names this module chose appear here: every value a user gives (base URL, account
    # id, token) reaches the binding through `fromEnvironment`, so nothing needs quoting.
    joined = ",\n    ".join(services)
    return f"""# Written by `conformance worker`; see conformance/worker/workerd.py.
using Workerd = import "/workerd/workerd.capnp";

const aiBinding :Workerd.Worker.Binding = (
  name = "AI",
  wrapped = (
    moduleName = "{BINDING_MODULE}",
    innerBindings = [
      (name = "fetcher", service = "target"),
      (name = "baseUrl", fromEnvironment = "{ENV_BASE_URL}"),
      (name = "accountId", fromEnvironment = "{ENV_ACCOUNT_ID}"),
      (name = "token", fromEnvironment = "{ENV_TOKEN}"),
    ],
  ),
);

const config :Workerd.Config = (
  services = [
    {joined},
    # The binding's way out: any address, loopback and private ones included (the default
    # "internet" service allows public addresses only), with the usual CAs for https.
    (name = "target", network = (allow = ["public", "private", "local"],
                                 tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [(name = "http", http = (), service = "main")],
  extensions = [(modules = [
    (name = "{BINDING_MODULE}", esModule = embed "ai-binding.js", internal = true),
  ])],
);
"""


def _listening_socket(host: str, port: int) -> socket.socket:
    # Bound here and handed to workerd (--socket-fd): a port in use is a clear usage error, and
    # port 0 gives a free port whose number is known before workerd starts.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UsageError(f"--port={port}: cannot listen on {host}:{port} ({exc.strerror})") from exc
    return sock


def _start(
    tools: Toolchain, folder: Path, sock: socket.socket, target: Target, log: Path | None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, ENV_BASE_URL: target.base_url.rstrip("/"), ENV_ACCOUNT_ID: target.account_id}
    env.pop(ENV_TOKEN, None)
    if target.token:
        env[ENV_TOKEN] = target.token
    control_read, control_write = os.pipe()
    command = [
        str(tools.workerd),
        "serve",
        str(folder / "config.capnp"),
        f"--socket-fd=http={sock.fileno()}",
        f"--control-fd={control_write}",
    ]
    output = log.open("wb") if log is not None else None
    try:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            pass_fds=(sock.fileno(), control_write),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
        )
    except OSError as exc:
        os.close(control_read)
        raise TargetError(f"workerd could not be started ({tools.workerd}): {exc}") from exc
    finally:
        os.close(control_write)
        if output is not None:
            output.close()
    try:
        _wait_until_listening(process, control_read, log)
    except BaseException:
        _stop(process)
        raise
    finally:
        os.close(control_read)
    return process


def _wait_until_listening(process: subprocess.Popen[bytes], control: int, log: Path | None) -> None:
    """Read workerd's control pipe until it reports the socket listening, or it exits."""
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    received = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TargetError(f"workerd did not start within {_STARTUP_TIMEOUT_S:g} s{_log_tail(log)}")
        readable, _, _ = select.select([control], [], [], left)
        if not readable:
            continue
        chunk = os.read(control, 4096)
        if not chunk:  # workerd closed the pipe: it exited
            code = process.wait()
            raise TargetError(f"workerd exited with status {code} before serving{_log_tail(log)}")
        received += chunk
        for line in received.split(b"\n"):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "listen" and event.get("socket") == "http":
                return


def _log_tail(log: Path | None, lines: int = 20) -> str:
    if log is None:
        return " (its output is above)"
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return ":\n" + "\n".join(text.splitlines()[-lines:]) if text else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
