"""``conformance fuzz``'s engine: schemathesis generates and sends, our runner judges and reports.

schemathesis runs its examples, coverage and fuzzing phases on our OpenAPI
document, positive and negative, with our checks registered inside it (so it
shrinks on their failures too) beside its own. Every request it sent becomes a
case; of the requests that failed the same checks only the smallest is kept,
which is the shrunk one. The cases then go through `judge_sent`, so the
verdict, baseline, recording and report files are those of `conformance run`::

    settings = FuzzSettings(max_examples=10, phases=("coverage",), mode="negative")
    for event in fuzz(config, settings):
        ...
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from conformance.checks import RunFacts
from conformance.contract.openapi import openapi_document
from conformance.errors import TargetError, UsageError
from conformance.generation import Case
from conformance.runner import Event, RunConfig, judge_sent
from conformance.transport import Exchange, TransportSettings

if TYPE_CHECKING:
    from conformance.fuzz.bridge import Bridge

PHASES = ("examples", "coverage", "fuzzing")
MODES = ("positive", "negative", "all")
MAX_WORKERS = 64
MAX_STREAM_EVENTS = 10000
CURL_BODY_LIMIT = 4000
"""Bodies longer than this (as JSON) are not inlined in a finding's curl line."""


class SchemathesisError(TargetError):
    """schemathesis itself failed: an internal error, not a finding about the target."""


@dataclass(frozen=True)
class FuzzSettings:
    """What schemathesis is asked to do; every bad value is a `UsageError` naming the option."""

    max_examples: int = 20
    phases: tuple[str, ...] = PHASES
    mode: str = "all"
    workers: int = 1
    request_timeout_s: float = 120.0
    idle_timeout_s: float = TransportSettings.idle_timeout_s

    def __post_init__(self) -> None:
        if isinstance(self.max_examples, bool) or not 1 <= self.max_examples <= 100000:
            raise UsageError(f"--max-examples={self.max_examples!r} is not between 1 and 100000")
        for phase in self.phases:
            if phase not in PHASES:
                raise UsageError(f"--phase={phase!r} is not one of {', '.join(PHASES)}")
        if not self.phases:
            raise UsageError("--phase: at least one phase is needed")
        if self.mode not in MODES:
            raise UsageError(f"--mode={self.mode!r} is not one of {', '.join(MODES)}")
        if isinstance(self.workers, bool) or not 1 <= self.workers <= MAX_WORKERS:
            raise UsageError(f"--workers={self.workers!r} is not between 1 and {MAX_WORKERS}")
        if not math.isfinite(self.idle_timeout_s) or self.idle_timeout_s <= 0:
            raise UsageError(f"--idle-timeout={self.idle_timeout_s!r} is not a positive number of seconds")


@dataclass(frozen=True)
class Sending:
    """Progress while schemathesis sends: requests so far, in which phase."""

    phase: str
    sent: int


def fuzz(config: RunConfig, settings: FuzzSettings) -> Iterator[Sending | Event]:
    """Fuzz ``config``'s target with schemathesis, then judge; yields `Sending`, then the run's events."""
    # Imported here: schemathesis is heavy, and the hooks register globally on import.
    from conformance.fuzz import bridge, hooks

    facts = RunFacts(has_token=config.token is not None, schema=config.schema)
    checks = [c for c in config.selected_checks() if not c.is_scenario]
    target = config.target
    session = bridge.Bridge(target, checks, facts)
    ours = bridge.register_checks(checks)
    hooks.use_account(config.account_id)
    hooks.use_idle_timeout(settings.idle_timeout_s)
    bridge.active = session
    found = _Findings(session)
    try:
        for event in _engine_events(config, settings):
            progress = found.take(event)
            if progress is not None:
                yield progress
    finally:
        bridge.active = None
        hooks.use_account(None)
        hooks.use_idle_timeout(None)
    if found.internal:
        raise SchemathesisError(
            "schemathesis failed internally (not a finding about the target): " + "; ".join(found.internal)
        )
    sent = found.kept()
    own = sorted({name for name in found.check_names if name not in ours})
    judged = bridge.judging_config(config, bridge.schemathesis_checks(found.outcomes, own))
    scenario_checks = {
        c.id: "conformance fuzz sends no scenarios" for c in judged.selected_checks() if c.is_scenario
    }
    yield from judge_sent(judged, sent, facts, skipped=scenario_checks)


def _engine_events(config: RunConfig, settings: FuzzSettings) -> Iterator[Any]:
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import from_schema

    headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
    st_config = SchemathesisConfig.from_dict(
        {
            "seed": config.run_seed,
            # No .schemathesis/ folder in the user's current directory; --seed reproduces a run.
            "cache": {"enabled": False},
            "base-url": config.base_url,
            "headers": headers,
            "workers": settings.workers,
            "request-timeout": settings.request_timeout_s,
            # schemathesis reads 20 events of a stream by default; a reply is longer.
            "max-stream-events": MAX_STREAM_EVENTS,
            "generation": {"mode": settings.mode, "max-examples": settings.max_examples, "database": "none"},
            "phases": {
                **{phase: {"enabled": phase in settings.phases} for phase in PHASES},
                "stateful": {"enabled": False},
            },
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "405", "413", "429", "5xx"]
                }
            },
            "output": {"sanitization": {"sensitive-markers": ["key", "secret", "password", "auth"]}},
        }
    )
    document = openapi_document(config.model, schema=config.schema)
    schema = schemathesis.openapi.from_dict(document, config=st_config)
    yield from from_schema(schema).execute()


class _Findings:
    """What the schemathesis events said: each case's exchange and every check's outcome on it."""

    def __init__(self, session: Bridge) -> None:
        self.session = session
        self.sent: dict[str, tuple[Case, Exchange]] = {}
        self.failed: dict[str, frozenset[str]] = {}
        self.outcomes: dict[str, dict[str, str | None]] = {}
        self.check_names: set[str] = set()
        self.internal: list[str] = []
        self.count = 0

    def take(self, event: Any) -> Sending | None:
        from schemathesis.engine import Status, events

        if isinstance(event, events.FatalError):
            self.internal.append(f"{type(event.exception).__name__}: {event.exception}")
        elif isinstance(event, events.NonFatalError) and not _is_network(event.value):
            self.internal.append(f"{type(event.value).__name__}: {event.value}")
        elif isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                node = recorder.cases.get(case_id)
                if node is None or interaction.response is None:
                    continue
                ours, exchange = self.session.observe(interaction.response, node.value)
                outcome: dict[str, str | None] = {}
                for check in recorder.checks.get(case_id, []):
                    self.check_names.add(check.name)
                    failure = check.failure_info
                    if check.status == Status.FAILURE and failure is not None:
                        outcome[check.name] = f"{failure.failure.title}\n{failure.failure.message}"
                    elif check.status == Status.SUCCESS:
                        outcome.setdefault(check.name, None)
                self.outcomes[ours.id] = outcome
                self.sent[ours.id] = (ours, exchange)
                self.failed[ours.id] = frozenset(k for k, v in outcome.items() if v is not None)
                self.count += 1
            return Sending(str(getattr(event.phase, "value", event.phase)), self.count)
        return None

    def kept(self) -> list[tuple[Case, Exchange]]:
        """Every passing case, and per set of failed checks the smallest failing request: the shrunk one."""
        smallest: dict[frozenset[str], str] = {}
        for case_id, failed in self.failed.items():
            if not failed:
                continue
            size = len(_json(self.sent[case_id][0].body))
            best = smallest.get(failed)
            if best is None or size < len(_json(self.sent[best][0].body)):
                smallest[failed] = case_id
        minimal = set(smallest.values())
        kept = []
        for case_id, (case, exchange) in self.sent.items():
            if self.failed[case_id] and case_id not in minimal:
                continue
            if case_id in minimal:
                case = _with_reproduction(case, exchange)
            kept.append((case, exchange))
        return kept


def _with_reproduction(case: Case, exchange: Exchange) -> Case:
    return replace(case, label=f"{case.label}; minimal request found; reproduce: {curl_line(exchange)}")


def curl_line(exchange: Exchange) -> str:
    """A curl command that sends the exchange's request again, the token left to the shell."""
    parts = ["curl", "-X", exchange.method, shlex.quote(exchange.url)]
    if "authorization" in exchange.request_headers:
        parts += ["-H", '"Authorization: Bearer $CLOUDFLARE_API_TOKEN"']
    ctype = exchange.request_headers.get("content-type")
    if ctype:
        parts += ["-H", shlex.quote(f"Content-Type: {ctype}")]
    body = _json(exchange.request_body)
    if exchange.request_body is not None:
        if len(body) > CURL_BODY_LIMIT:
            parts += ["--data-binary", f"@body.json  # {len(body)} bytes: the body is in results.json"]
        else:
            parts += ["--data-binary", shlex.quote(body)]
    return " ".join(parts)


def _json(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body


def _is_network(error: Exception) -> bool:
    import requests

    return isinstance(error, requests.RequestException | TimeoutError | ConnectionError)
