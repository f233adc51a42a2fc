"""Between schemathesis and our checks: its responses as our `Exchange`, our checks as its checks.

schemathesis sends the requests; each response becomes the `Exchange` and
`Case` our checks judge, so the same functions decide under both engines. A
request that leaves the contract's route (another method, no token, a
mutated path or content type) carries the `OFF_ROUTE` tag: only
schemathesis's own checks judge it, since ours assume the run route.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlsplit

import schemathesis

from conformance.checks import (
    Check,
    CheckFailure,
    CheckRegistry,
    CheckSkipped,
    NotApplicable,
    Observation,
    RunFacts,
)
from conformance.contract import SchemaVersion, schema_version
from conformance.fuzz.hooks import STALLED
from conformance.generation import Case, CaseKind
from conformance.generation.cases import body_digest, body_tags
from conformance.runner import RunConfig
from conformance.transport import DONE, REDACTED, Exchange, SSEDecoder, StreamFacts, Target, Timing

OFF_ROUTE = "off-route"
"""Tag of a case whose request is not a JSON POST to the run route with the run's token."""

BRIDGE_PREFIX = "conformance_"
"""Our checks are registered in schemathesis as ``conformance_<id>``."""

SCHEMATHESIS_PREFIX = "schemathesis_"
"""schemathesis's own checks appear in our results as ``schemathesis_<name>``."""


@dataclass
class Bridge:
    """Converts responses, runs our checks inside schemathesis, and keeps what it saw.

    One per fuzz run; the module-level `active` slot points at it while the run
    lasts, because schemathesis checks are plain functions registered globally.
    """

    target: Target
    """What a request must look like to be judged by our checks: its route and token."""
    checks: Sequence[Check]
    facts: RunFacts
    seen: dict[str, tuple[Case, Exchange]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, response: Any, case: Any) -> tuple[Case, Exchange]:
        """Our `Case` and `Exchange` for one schemathesis response (memoised per schemathesis case)."""
        key = str(case.id)
        with self._lock:
            found = self.seen.get(key)
        if found is not None:
            return found
        exchange = to_exchange(response, self.target.token)
        sent = response.request.headers.get("Authorization")
        authorized = sent == (f"Bearer {self.target.token}" if self.target.token else None)
        ours = to_case(
            exchange, self.target, phase=_phase_of(case), authorized=authorized, schema=self.facts.schema
        )
        with self._lock:
            self.seen[key] = (ours, exchange)
        return ours, exchange

    def judge(self, check: Check, response: Any, case: Any) -> None:
        ours, exchange = self.observe(response, case)
        if OFF_ROUTE in ours.tags:
            return
        try:
            check(Observation(ours, exchange, self.facts))
        except (NotApplicable, CheckSkipped):
            return
        except CheckFailure as exc:
            raise AssertionError(f"{check.id} ({check.severity}): {exc}") from None


active: Bridge | None = None
_registered: set[str] = set()


def register_checks(checks: Sequence[Check]) -> list[str]:
    """Register each exchange check as a schemathesis check; returns their schemathesis names."""
    names = []
    for item in checks:
        if item.is_scenario:
            continue
        name = f"{BRIDGE_PREFIX}{item.id}"
        names.append(name)
        if name not in _registered:
            schemathesis.check(_bridged(item.id, name))
            _registered.add(name)
    return names


def _bridged(check_id: str, name: str) -> Callable[[Any, Any, Any], None]:
    def bridged(ctx: Any, response: Any, case: Any) -> None:
        bridge = active
        if bridge is None:
            return
        chosen = {c.id: c for c in bridge.checks}.get(check_id)
        if chosen is not None:
            bridge.judge(chosen, response, case)

    bridged.__name__ = name
    bridged.__qualname__ = name
    return bridged


def to_exchange(response: Any, token: str | None) -> Exchange:
    """Our `Exchange` for a schemathesis `Response` (its ``request`` is what was sent)."""
    request = response.request
    shown = {k.lower(): v for k, v in request.headers.items()}
    if "authorization" in shown:
        shown["authorization"] = f"Bearer {REDACTED}" if token else REDACTED
    raw = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", errors="replace")
    headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
    content = bytes(response.content or b"")
    wants_stream = isinstance(body, dict) and body.get("stream") is True
    stream = None
    if wants_stream and 200 <= response.status_code < 300:
        stream = stream_facts(content)
        stalled = getattr(request, STALLED, None)
        if getattr(response, "stream_cut_short", False) and stalled is not None:
            broke_at = f"stalled after {len(stream.events)} events: no bytes for {stalled:g} s"
            stream = replace(stream, broke_at=broke_at)
        elif getattr(response, "stream_cut_short", False):
            stream = replace(stream, broke_at="schemathesis stopped reading (max-stream-events or timeout)")
    return Exchange(
        method=str(request.method),
        url=str(request.url),
        request_headers=shown,
        request_body=body,
        status=response.status_code,
        headers=headers,
        body=content,
        stream=stream,
        timing=Timing(total_s=float(response.elapsed)),
    )


def stream_facts(content: bytes) -> StreamFacts:
    """What our SSE decoder reads in a buffered stream body."""
    decoder = SSEDecoder()
    events = [e.data for e in decoder.feed(content)] + [e.data for e in decoder.close()]
    done = DONE in events
    after = len(events) - events.index(DONE) - 1 if done else 0
    return StreamFacts(
        events=tuple(events),
        bytes=len(content),
        done=done,
        after_done=after,
        broke_at=None if done else "stream ended without data: [DONE]",
        partial_event=decoder.pending,
    )


def to_case(
    exchange: Exchange,
    target: Target,
    *,
    phase: str,
    authorized: bool = True,
    schema: SchemaVersion | None = None,
) -> Case:
    """Our `Case` for what schemathesis sent: valid or invalid by the run's schema version, tagged
    when off the route."""
    body = exchange.request_body
    violation = schema_version(schema).request_validator().explain(body)
    kind = CaseKind.VALID if violation is None else CaseKind.INVALID
    on_route = (
        exchange.method == "POST"
        and unquote(urlsplit(exchange.url).path) == target.run_url_path
        and (exchange.request_headers.get("content-type") or "").startswith("application/json")
        and authorized
    )
    identity = {"method": exchange.method, "url": exchange.url, "body": body, "on_route": on_route}
    tags = (*body_tags(body), "fuzz", phase, *(() if on_route else (OFF_ROUTE,)))
    label = f"schemathesis {phase}: {exchange.method} {'(off the run route)' if not on_route else ''}".strip()
    return Case.build(
        kind,
        f"fuzz-{phase}-{body_digest(identity)}",
        label,
        body,
        violates=(violation.pointer, violation.keyword) if violation is not None else None,
        tags=tags,
    )


def _phase_of(case: Any) -> str:
    # Explicit examples (ours, added by the hooks) are built without generation metadata.
    meta = getattr(case, "meta", None)
    phase = getattr(getattr(meta, "phase", None), "name", None)
    return str(getattr(phase, "value", phase) or "examples").lower()


def schemathesis_checks(outcomes: dict[str, dict[str, str | None]], names: Sequence[str]) -> CheckRegistry:
    """schemathesis's own checks as our checks: each reports what schemathesis recorded for a case."""
    found = CheckRegistry()
    for name in names:
        found.register(
            Check(
                id=f"{SCHEMATHESIS_PREFIX}{name}",
                severity="must",
                description=f"schemathesis's own {name} check.",
                clause="schemathesis",
                function=_recorded(outcomes, name),
            )
        )
    return found


def _recorded(outcomes: dict[str, dict[str, str | None]], name: str) -> Callable[[Any], None]:
    def judge(observation: Observation) -> None:
        recorded = outcomes.get(observation.case.id, {})
        if name not in recorded:
            raise NotApplicable
        message = recorded[name]
        if message is not None:
            title, _, detail = message.partition("\n")
            raise CheckFailure(received=detail.strip() or title, expected=f"schemathesis {name}: {title}")

    return judge


def judging_config(config: RunConfig, theirs: CheckRegistry) -> RunConfig:
    """``config`` judging with our checks (silent on off-route cases) and schemathesis's beside them."""
    combined = CheckRegistry()
    for item in config.registry.all():
        combined.register(item if item.is_scenario else replace(item, function=_on_route_only(item.function)))
    for item in theirs.all():
        combined.register(item)
    include = (*config.checks, *(c.id for c in theirs.all())) if config.checks else ()
    return replace(config, registry=combined, checks=include)


def _on_route_only(function: Callable[[Any], None]) -> Callable[[Any], None]:
    def judge(observation: Observation) -> None:
        if OFF_ROUTE in observation.case.tags:
            raise NotApplicable
        function(observation)

    return judge
