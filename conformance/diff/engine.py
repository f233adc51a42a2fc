"""The side-by-side run: the same plan sent to the target and to the reference, then compared case by case.

Sending is the runner's (`conformance.runner.run` with one `Plan` for every
side), so the target is judged by the checks exactly as in `conformance run`.
A live reference answers the plan twice (its noise floor); a capture answered
it once, so the target is asked twice instead::

    result = diff(target_config, LiveReference(Target("http://127.0.0.1:9000/client/v4", "X")),
                  DiffSettings(allow=("usage",)))
    result.exit_code, len(result.differences.counted)  # (0, 0) when they agree
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from conformance.diff.capture import Capture
from conformance.diff.compare import Sample, Sides, compare_case
from conformance.diff.verdict import DiffSettings, conclude, settle, untestable
from conformance.errors import UsageError
from conformance.runner import Plan, RunConfig, RunFinished, RunResult, plan_run, run
from conformance.runner.differences import Difference, Differences
from conformance.runner.events import Event
from conformance.transport import Exchange, Target

Follow = Callable[[str, Iterable[Event]], RunResult]
"""Consumes one side's events (showing progress, say) and returns its result; the label names the side."""


def finish(label: str, events: Iterable[Event]) -> RunResult:
    """The default `Follow`: no display, just the result."""
    for event in events:
        if isinstance(event, RunFinished):
            return event.result
    raise RuntimeError(f"the {label} run ended without a result")


@dataclass(frozen=True)
class LiveReference:
    """A reference server to ask: its base URL, account id and token (the run's model)."""

    target: Target

    def __post_init__(self) -> None:
        if not self.target.base_url.startswith(("http://", "https://")):
            raise UsageError(f"--reference-url={self.target.base_url!r} is not an http:// or https:// URL")
        if not self.target.account_id or "/" in self.target.account_id:
            raise UsageError(f"--reference-account-id={self.target.account_id!r} is not an account id")

    def config_for(self, target: RunConfig) -> RunConfig:
        """The target's run configuration pointed at the reference, writing nothing of its own."""
        return replace(
            _quiet(target),
            base_url=self.target.base_url,
            account_id=self.target.account_id,
            token=self.target.token,
            embedded=self.target.embedded,
            strict=False,
        )


Reference = LiveReference | Capture


def diff(
    config: RunConfig, reference: Reference, settings: DiffSettings, *, follow: Follow = finish
) -> RunResult:
    """Compare the target ``config`` names with ``reference``; the target's result with the differences on it.

    ``follow`` is called once per side with its events: target, reference,
    reference again (or, for a capture, target and target again).
    """
    if isinstance(reference, Capture):
        plan = reference.plan(config)
        target = follow("target", run(config, plan))
        if target.reason is not None:
            return target
        again = follow("target again (noise floor)", run(_quiet(config), plan))
        if again.reason is not None:
            return untestable(target, f"the target could not be tested the second time: {again.reason}")
        found = _compare(plan, reference.exchanges, _by_id(target), (_by_id(target), _by_id(again)), "target")
        return conclude(target, _differences(found, reference.describe(), "target", settings))
    plan = plan_run(config)
    target = follow("target", run(config, plan))
    if target.reason is not None:
        return target
    secrets = (reference.target.token,) if reference.target.token else ()
    reference_config = reference.config_for(config)
    first = follow("reference", run(reference_config, plan))
    if first.reason is not None:
        return untestable(target, f"the reference could not be tested: {first.reason}", secrets)
    second = follow("reference again (noise floor)", run(reference_config, plan))
    if second.reason is not None:
        return untestable(
            target, f"the reference could not be tested the second time: {second.reason}", secrets
        )
    found = _compare(plan, _by_id(first), _by_id(target), (_by_id(first), _by_id(second)), "reference")
    described = {"kind": "embedded" if reference.target.embedded else "url", **first.target}
    return conclude(target, _differences(found, described, "reference", settings), secrets)


@dataclass(frozen=True)
class _Found:
    sides: dict[str, Sides]
    differences: list[Difference]
    texts: int
    same_texts: int


def _compare(
    plan: Plan,
    reference: dict[str, tuple[Exchange, ...]],
    target: dict[str, tuple[Exchange, ...]],
    sample: tuple[dict[str, tuple[Exchange, ...]], dict[str, tuple[Exchange, ...]]],
    side: Sample,
) -> _Found:
    sides: dict[str, Sides] = {}
    differences: list[Difference] = []
    texts = same = 0
    for item in plan.items:
        if item.id not in reference or item.id not in target:
            continue
        pair = Sides(
            item, reference[item.id], target[item.id], sample[0].get(item.id, ()), sample[1].get(item.id, ())
        )
        sides[item.id] = pair
        compared = compare_case(pair, side)
        differences.extend(compared.differences)
        texts += compared.texts
        same += compared.same_texts
    return _Found(sides, differences, texts, same)


def _differences(
    found: _Found, described: dict[str, Any], side: Sample, settings: DiffSettings
) -> Differences:
    settled = settle(found.differences, settings)
    return Differences(
        reference=described,
        noise_sample=side,
        allowed=settings.allow,
        strict_text=settings.strict_text,
        cases_compared=len(found.sides),
        texts_compared=found.texts,
        texts_same=found.same_texts,
        differences=settled,
        reference_exchanges={
            case_id: found.sides[case_id].reference
            for case_id in dict.fromkeys(d.case_id for d in settled if d.standing != "noise")
        },
    )


def _by_id(result: RunResult) -> dict[str, tuple[Exchange, ...]]:
    return {case.id: case.exchanges for case in result.cases}


def _quiet(config: RunConfig) -> RunConfig:
    """The same run writing nothing: no recording, no baseline."""
    return replace(config, record=None, baseline=None, update_baseline=False)
