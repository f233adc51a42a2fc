"""Recordings: every exchange of a run, redacted, as JSON lines that `replay` re-judges offline.

The first line is a header (target, seed, profile, whether the run had a
token); each further line is one case or scenario with its exchanges, and a
run that stopped sending (its target stopped answering) ends with why::

    {"format": "workers-ai-conformance/recording", "format_version": 1, "target": {...}, ...}
    {"item": {"type": "case", "id": "boundary/seed-max", ...}, "exchanges": [{...}]}
    {"stopped": "the target stopped answering: 3 requests in a row got no answer in time ..."}

The recorder reads the run's events (`recorded`): the runner itself opens no file.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from conformance.checks import Route, RunFacts, Scenario, ScenarioRequest
from conformance.contract.bounded_json import MAX_DEPTH, read_json
from conformance.errors import UsageError
from conformance.generation import Case
from conformance.runner._stopping import was_not_judged
from conformance.runner.config import RunConfig
from conformance.runner.events import Event, ItemFinished, RunFinished, RunStarted
from conformance.runner.redaction import redact_exchange
from conformance.transport import Exchange, StreamFacts, Timing

FORMAT = "workers-ai-conformance/recording"


class Recorder:
    """Appends items to a recording as they finish; the token is taken out of every exchange's values."""

    def __init__(self, stream: IO[str], secrets: tuple[str, ...]) -> None:
        self._stream = stream
        self._secrets = secrets

    @classmethod
    def open(cls, config: RunConfig, facts: RunFacts) -> Recorder:
        assert config.record is not None
        config.record.parent.mkdir(parents=True, exist_ok=True)
        # backslashreplace: a lone surrogate is written as its JSON escape instead of raising.
        stream = config.record.open("w", encoding="utf-8", errors="backslashreplace")
        recorder = cls(stream, (config.token,) if config.token else ())
        recorder._write(
            {
                "format": FORMAT,
                "format_version": 1,
                "target": {
                    "base_url": config.base_url,
                    "account_id": config.account_id,
                    "model": config.model,
                },
                "profile": config.profile,
                "seed": config.run_seed,
                "has_token": facts.has_token,
                "schema_version": facts.schema.name,
            }
        )
        return recorder

    def _write(self, document: dict[str, Any]) -> None:
        self._stream.write(json.dumps(document, ensure_ascii=False) + "\n")

    def add(self, item: Case | Scenario, exchanges: tuple[Exchange, ...]) -> None:
        redacted = [exchange_to_json(redact_exchange(e, self._secrets)) for e in exchanges]
        self._write({"item": item_to_json(item), "exchanges": redacted})

    def stopped(self, reason: str) -> None:
        """Say why the run stopped sending: its replay then fails for the same reason."""
        self._write({"stopped": reason})

    def close(self) -> None:
        self._stream.close()


async def recorded(
    events: AsyncGenerator[Event, None], config: RunConfig, facts: RunFacts
) -> AsyncGenerator[Event, None]:
    """``events`` unchanged, each finished item appended to ``config.record`` (when set) as it passes.

    An item the run stopped before judging is recorded without exchanges, so
    that a replay does not judge it either, and the recording ends with why
    the run stopped.
    """
    async with aclosing(events):
        if config.record is None:
            async for event in events:
                yield event
            return
        recorder: Recorder | None = None
        try:
            async for event in events:
                if isinstance(event, RunStarted):
                    recorder = Recorder.open(config, facts)
                elif recorder is not None and isinstance(event, ItemFinished):
                    recorder.add(event.result.item, event.result.exchanges)
                elif recorder is not None and isinstance(event, RunFinished):
                    for result in event.result.cases:
                        if was_not_judged(result):
                            recorder.add(result.item, ())
                    if event.result.stopped is not None:
                        recorder.stopped(event.result.stopped)
                    recorder.close()
                yield event
        finally:
            if recorder is not None:
                recorder.close()


@dataclass(frozen=True)
class Recording:
    """A loaded recording: its header, each item with its exchanges, and why the run stopped, if it did."""

    header: dict[str, Any]
    items: list[tuple[Case | Scenario, tuple[Exchange, ...]]]
    stopped: str | None = None


def load_recording(path: Path) -> Recording:
    """Read a recording; anything but a recording is a usage error naming the file."""
    try:
        # Split on LF only: JSON text may hold U+2028 and friends, which str.splitlines splits on.
        lines = path.read_bytes().decode("utf-8").split("\n")
        header = read_json(lines[0])
        if header.get("format") != FORMAT:
            raise ValueError(f"format is {header.get('format')!r}, not {FORMAT!r}")
        items = []
        stopped: str | None = None
        for line in lines[1:]:
            if line.strip():
                # A line wraps a target's JSON (read at MAX_DEPTH) in a few levels of its own.
                entry = read_json(line, max_depth=2 * MAX_DEPTH)
                if "stopped" in entry:
                    stopped = str(entry["stopped"])
                    continue
                exchanges = tuple(exchange_from_json(e) for e in entry["exchanges"])
                items.append((item_from_json(entry["item"]), exchanges))
    except FileNotFoundError:
        raise UsageError(f"RECORDING={str(path)!r} does not exist") from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise UsageError(f"RECORDING={str(path)!r} is not a recording ({exc})") from None
    return Recording(header, items, stopped)


def item_to_json(item: Case | Scenario) -> dict[str, Any]:
    """A recording line's ``item``: a case or a scenario, told apart by ``type``."""
    if isinstance(item, Scenario):
        data: dict[str, Any] = {
            "type": "scenario",
            "id": item.id,
            "label": item.label,
            "check": item.check,
            "requests": [_request_to_json(r) for r in item.requests],
        }
        if item.exclusive:
            data["exclusive"] = True
        return data
    return {"type": "case", **item.to_json()}


def _request_to_json(request: ScenarioRequest) -> dict[str, Any]:
    data: dict[str, Any] = {"body": request.body, "auth": request.auth}
    if request.route is not None:
        data["route"] = {"account": request.route.account, "model": request.route.model}
    if request.wave:
        data["wave"] = request.wave
    return data


def item_from_json(data: dict[str, Any]) -> Case | Scenario:
    """The inverse of `item_to_json`."""
    if data["type"] == "scenario":
        requests = tuple(
            ScenarioRequest(
                r["body"], r["auth"], Route(**r["route"]) if r.get("route") else None, r.get("wave", 0)
            )
            for r in data["requests"]
        )
        return Scenario(
            data["id"], data["label"], requests, data.get("check", ""), data.get("exclusive", False)
        )
    return Case.from_json(data)


def exchange_to_json(exchange: Exchange) -> dict[str, Any]:
    """An exchange as JSON: the body as text when it is UTF-8, else as base64 (``body_b64``)."""
    try:
        body: dict[str, Any] = {"body_text": exchange.body.decode("utf-8")}
    except UnicodeDecodeError:
        body = {"body_b64": base64.b64encode(exchange.body).decode("ascii")}
    stream = exchange.stream
    return {
        "method": exchange.method,
        "url": exchange.url,
        "request_headers": exchange.request_headers,
        "request_body": exchange.request_body,
        "status": exchange.status,
        "headers": exchange.headers,
        **body,
        "body_truncated": exchange.body_truncated,
        "stream": None
        if stream is None
        else {
            "events": list(stream.events),
            "bytes": stream.bytes,
            "done": stream.done,
            "after_done": stream.after_done,
            "broke_at": stream.broke_at,
            "first_event_s": stream.first_event_s,
            "partial_event": stream.partial_event,
            "misnamed": list(stream.misnamed),
        },
        "error": exchange.error,
        "retries": exchange.retries,
        "retry_waits": list(exchange.retry_waits),
        "timing": {
            "total_s": exchange.timing.total_s,
            "ttfb_s": exchange.timing.ttfb_s,
            "ttfe_s": exchange.timing.ttfe_s,
        },
        "framing": list(exchange.framing),
        "unanswered": exchange.unanswered,
        "retried": [exchange_to_json(r) for r in exchange.retried],
    }


def exchange_from_json(data: dict[str, Any]) -> Exchange:
    """The inverse of `exchange_to_json`."""
    if "body_b64" in data:
        body = base64.b64decode(data["body_b64"])
    else:
        body = data.get("body_text", "").encode("utf-8")
    s = data.get("stream")
    stream = (
        None
        if s is None
        else StreamFacts(
            tuple(s["events"]),
            s["bytes"],
            s["done"],
            s["after_done"],
            s["broke_at"],
            s["first_event_s"],
            s.get("partial_event", False),
            tuple(s.get("misnamed", ())),
        )
    )
    t = data["timing"]
    return Exchange(
        data["method"],
        data["url"],
        dict(data["request_headers"]),
        data["request_body"],
        data["status"],
        dict(data["headers"]),
        body,
        data["body_truncated"],
        stream,
        data["error"],
        data["retries"],
        tuple(data.get("retry_waits", ())),
        Timing(t["total_s"], t["ttfb_s"], t["ttfe_s"]),
        framing=tuple(data.get("framing", ())),
        unanswered=data.get("unanswered"),
        retried=tuple(exchange_from_json(r) for r in data.get("retried", ())),
    )
