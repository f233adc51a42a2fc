"""Judging what the page's Worker examples answer through the binding.

The JSON example answers with what ``env.AI.run`` returned: it must be valid
against the output schema's object branch. The streaming example answers with
the binding's stream: its bytes are decoded with the toolkit's SSE decoder and
judged by the same registered checks a streamed run is judged by::

    with running_worker(target) as worker:
        [verdict.passed for verdict in judge_examples(worker)]  # [True, True]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.checks import CheckFailure, CheckSkipped, NotApplicable, Observation, registry
from conformance.checks.reading import snippet
from conformance.contract import SchemaVersion, schema_version
from conformance.contract.bounded_json import read_json
from conformance.generation import Case, CaseKind
from conformance.transport import DONE, Exchange, SSEDecoder, StreamFacts
from conformance.worker.workerd import EXAMPLES, Example, RunningWorker

EXAMPLE_MESSAGES = (
    {"role": "system", "content": "You are a friendly assistant"},
    {"role": "user", "content": "What is the origin of the phrase Hello, World"},
)
"""The messages both of the page's Worker examples send (worker/examples/*.ts)."""

STREAM_CASE = Case.build(
    CaseKind.VALID,
    "worker-stream-example",
    'the page\'s "Worker - Streaming" example through the AI binding',
    {"messages": [dict(m) for m in EXAMPLE_MESSAGES], "stream": True},
)
"""What the streaming example asks ``env.AI.run`` for, as the case its stream is judged against."""

STREAM_CHECKS = ("stream_framing_conformance", "max_tokens_honoured", "usage_consistent")
"""The registered checks judged on the streaming example's bytes."""

WORKER_ANSWERED = "worker_answered"
"""The finding when the Worker itself did not answer 200 (the binding threw, or workerd failed)."""

_MAX_STREAM_EVENTS = 10_000
_MAX_STREAM_BYTES = 8 * 1024 * 1024
_KEPT_BYTES = 64 * 1024
_LOG_WAIT_S = 2.0  # workerd may log an uncaught exception just after the 500 it answered


@dataclass(frozen=True)
class Finding:
    """One property that does not hold: the check's id and its Received/Expected/Where message."""

    check: str
    message: str


@dataclass(frozen=True)
class PathVerdict:
    """What one example answered (``received``, one line) and what is wrong with it."""

    example: Example
    url: str
    received: str
    findings: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings


def judge_examples(
    worker: RunningWorker, *, timeout_s: float = 300.0, schema: SchemaVersion | str | None = None
) -> list[PathVerdict]:
    """Fetch ``/`` and ``/stream`` from a worker serving the page's examples and judge both answers
    (the result by ``schema``'s output schema, the page's by default)."""
    version = schema_version(schema)
    by_path = {example.path: example for example in EXAMPLES}
    timeout = httpx.Timeout(timeout_s, connect=10.0)
    with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False) as http:
        return [
            _judge_json(http, worker, by_path["/"], version),
            _judge_stream(http, worker, by_path["/stream"], timeout_s),
        ]


def _judge_json(
    http: httpx.Client, worker: RunningWorker, example: Example, schema: SchemaVersion
) -> PathVerdict:
    url = worker.url + example.path
    offset = worker.log_size()
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        return _unanswered(example, url, exc)
    if response.status_code != 200:
        return _worker_failed(example, url, response.status_code, response.text, worker, offset)
    try:
        answer: Any = read_json(response.content)
    except ValueError as exc:
        failure = CheckFailure(
            received=f"a body that is not JSON ({exc}): {snippet(response.text)}",
            expected="the JSON of the result object env.AI.run returned",
        )
        return PathVerdict(example, url, "200, not JSON", (Finding("result_conformance", str(failure)),))
    received = f"200, {_describe_result(answer)}"
    violation = schema.result_validator().explain(answer)
    if violation is not None:
        failure = CheckFailure(
            received=violation.message,
            expected="what env.AI.run returned valid against the output schema",
            where=violation.where,
        )
        return PathVerdict(example, url, received, (Finding("result_conformance", str(failure)),))
    if not isinstance(answer, dict):
        failure = CheckFailure(
            received=f"env.AI.run returned {snippet(repr(answer))}",
            expected="the output schema's object branch for a non-streamed run",
        )
        return PathVerdict(example, url, received, (Finding("result_conformance", str(failure)),))
    return PathVerdict(example, url, received)


def _judge_stream(
    http: httpx.Client, worker: RunningWorker, example: Example, timeout_s: float
) -> PathVerdict:
    url = worker.url + example.path
    offset = worker.log_size()
    decoder = SSEDecoder()
    events: list[str] = []
    kept = bytearray()
    total = 0
    broke_at: str | None = None
    status, headers = 200, {}
    deadline = time.monotonic() + timeout_s
    try:
        with http.stream("GET", url) as response:
            if response.status_code != 200:
                response.read()
                return _worker_failed(example, url, response.status_code, response.text, worker, offset)
            headers = {k.lower(): v for k, v in response.headers.items()}
            for chunk in response.iter_bytes():
                total += len(chunk)
                kept.extend(chunk[: max(0, _KEPT_BYTES - len(kept))])
                events += [event.data for event in decoder.feed(chunk)]
                if len(events) >= _MAX_STREAM_EVENTS:
                    broke_at = f"event cap of {_MAX_STREAM_EVENTS} events reached"
                elif total > _MAX_STREAM_BYTES:
                    broke_at = f"byte cap of {_MAX_STREAM_BYTES} bytes reached"
                elif time.monotonic() > deadline:
                    broke_at = f"time cap of {timeout_s:g} s reached after {len(events)} events"
                if broke_at is not None:
                    break
            events += [event.data for event in decoder.close()]
    except httpx.HTTPError as exc:
        if not events and total == 0:
            return _unanswered(example, url, exc)
        broke_at = f"connection broke after {len(events)} events: {type(exc).__name__}: {exc}"
    done = DONE in events
    if broke_at is None and not done:
        broke_at = "stream ended without data: [DONE]"
    facts = StreamFacts(
        events=tuple(events),
        bytes=total,
        done=done,
        after_done=len(events) - events.index(DONE) - 1 if done else 0,
        broke_at=broke_at,
        partial_event=decoder.pending,
    )
    exchange = Exchange(
        method="GET",
        url=url,
        request_headers={},
        request_body=STREAM_CASE.body,
        status=status,
        headers=headers,
        body=bytes(kept),
        body_truncated=total > len(kept),
        stream=facts,
    )
    observation = Observation(STREAM_CASE, exchange)
    findings = []
    for check_id in STREAM_CHECKS:
        try:
            registry[check_id](observation)
        except CheckFailure as failure:
            findings.append(Finding(check_id, str(failure)))
        except (NotApplicable, CheckSkipped):
            continue
    ending = "ended with [DONE]" if done and broke_at is None else broke_at or "no [DONE]"
    received = f"200, {len(events)} events, {ending}"
    return PathVerdict(example, url, received, tuple(findings))


def _describe_result(answer: Any) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("response"), str):
        return f"a result whose response has {len(answer['response'])} characters"
    return f"the JSON {snippet(repr(answer), 60)}"


def _unanswered(example: Example, url: str, exc: httpx.HTTPError) -> PathVerdict:
    failure = CheckFailure(
        received=f"no answer from the Worker: {type(exc).__name__}: {exc}",
        expected="200 with what env.AI.run returned",
    )
    return PathVerdict(example, url, "no answer", (Finding(WORKER_ANSWERED, str(failure)),))


def _worker_failed(
    example: Example, url: str, status: int, text: str, worker: RunningWorker, offset: int
) -> PathVerdict:
    log = _new_log(worker, offset)
    said = f"; workerd logged: {log}" if log else f"; its body {snippet(text)}"
    failure = CheckFailure(
        received=f"{status} from the Worker{said}",
        expected="200 with what env.AI.run returned (the binding throws when the target's answer is "
        "an error or not the contract's; see docs/worker.md)",
    )
    return PathVerdict(example, url, f"{status} from the Worker", (Finding(WORKER_ANSWERED, str(failure)),))


def _new_log(worker: RunningWorker, offset: int) -> str:
    """The uncaught exceptions workerd logged after ``offset``, waiting briefly for the line to land."""
    deadline = time.monotonic() + _LOG_WAIT_S
    while True:
        lines = [line.strip() for line in worker.log_since(offset).splitlines() if line.strip()]
        if lines or worker.log is None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    # "workerd/server/...: error: Uncaught exception: ...: remote.jsg.Error: InferenceUpstreamError: ..."
    shown = [line.rsplit("jsg.Error: ", 1)[-1] for line in lines[-3:]]
    return " | ".join(shown)
