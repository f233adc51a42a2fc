"""What one load test is asked to do: users, run time, the request mix, the gates, where Locust runs.

Every bad value is a `UsageError` naming the option and the value. The
settings travel to the Locust processes as a JSON-ready dict (`to_json`):
the token never does; each process reads it from its own environment.

>>> parse_mix("valid=6,stream=3,boundary=1,invalid=1")
(('valid', 6), ('stream', 3), ('boundary', 1), ('invalid', 1))
>>> parse_duration("1m30s")
90.0
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.contract import DEFAULT_SCHEMA_VERSION, schema_version
from conformance.errors import UsageError
from conformance.transport import Target

MIX_CLASSES = ("valid", "stream", "boundary", "invalid")
"""What a simulated user may send: drawn valid JSON bodies, streamed bodies, boundary bodies, invalid ones."""

DEFAULT_MIX = "valid=6,stream=3,boundary=1,invalid=1"
DEFAULT_RUN_TIME = "60s"
MAX_RUN_TIME_S = 24 * 3600.0
MAX_USERS = 100_000
MAX_PROCESSES = 256
DEFAULT_MASTER_PORT = 5557
DEFAULT_VALID_DRAWS = 20
"""Drawn valid bodies in the pool, as many as the standard profile of `conformance run` draws."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s|ms)", re.IGNORECASE)
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str, option: str = "--run-time") -> float:
    """Seconds in ``60``, ``60s``, ``2m``, ``1h30m`` or ``250ms``; else a `UsageError` naming ``option``."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        pieces = _DURATION.findall(value)
        if not pieces or _DURATION.sub("", value).strip():
            raise UsageError(
                f"{option}={text!r} is not a duration: write seconds (20, 20s), minutes (2m) or hours (1h30m)"
            ) from None
        seconds = sum(float(number) * _UNIT_S[unit] for number, unit in pieces)
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"{option}={text!r} is not a positive duration")
    return seconds


def parse_mix(text: str) -> tuple[tuple[str, int], ...]:
    """``valid=6,stream=3`` as ((class, weight), ...); classes left out weigh 0."""
    weights: dict[str, int] = {}
    for part in text.split(","):
        name, equals, number = part.strip().partition("=")
        name = name.strip().lower()
        if not equals or name not in MIX_CLASSES:
            raise UsageError(
                f"--mix={text!r}: {part.strip()!r} is not CLASS=WEIGHT "
                f"with CLASS one of {', '.join(MIX_CLASSES)}"
            )
        try:
            weight = int(number)
        except ValueError:
            raise UsageError(f"--mix={text!r}: the weight of {name} is not a whole number") from None
        if weight < 0 or name in weights:
            raise UsageError(f"--mix={text!r}: {name} is given twice or weighs less than 0")
        weights[name] = weight
    if not any(weights.values()):
        raise UsageError(f"--mix={text!r} weighs every class 0: nothing would be sent")
    return tuple((name, weights[name]) for name in MIX_CLASSES if weights.get(name))


@dataclass(frozen=True)
class Gates:
    """When a load test fails: the failure ratio allowed per check, p95 time to first event, throughput."""

    max_failure_ratio: float = 0.0
    p95_ttft_s: float | None = None
    min_tokens_per_second: float | None = None

    def __post_init__(self) -> None:
        ratio = self.max_failure_ratio
        if not isinstance(ratio, int | float) or not 0.0 <= ratio <= 1.0:
            raise UsageError(f"--max-failure-ratio={ratio!r} is not between 0 and 1")
        if self.min_tokens_per_second is not None and not self.min_tokens_per_second > 0:
            raise UsageError(f"--min-tokens-per-second={self.min_tokens_per_second!r} is not above 0")


@dataclass(frozen=True)
class LoadSettings:
    """One load test: the target (without its token), the users, the mix, the checks and the gates.

    >>> LoadSettings(base_url="http://127.0.0.1:8787/client/v4", account_id="X", users=0)
    Traceback (most recent call last):
    ...
    conformance.errors.UsageError: --users=0 is not between 1 and 100000
    """

    base_url: str
    account_id: str
    model: str = "@hf/thebloke/llama-2-13b-chat-awq"
    seed: int = 0
    users: int = 8
    spawn_rate: float = 8.0
    run_time_s: float = 60.0
    mix: tuple[tuple[str, int], ...] = parse_mix(DEFAULT_MIX)
    checks: tuple[str, ...] = ()
    """The exchange checks that judge, by id, in registration order (resolved by the caller)."""
    strict: bool = False
    gates: Gates = field(default_factory=Gates)
    has_token: bool = True
    embedded: bool = False
    series_interval_s: float = 1.0
    valid_bodies: tuple[Any, ...] = field(default=(), repr=False)
    """The drawn valid bodies, drawn once by the caller so that no Locust process runs Hypothesis."""
    schema_version: str = DEFAULT_SCHEMA_VERSION
    """The published schema version the built cases and the checks follow."""

    def __post_init__(self) -> None:
        schema_version(self.schema_version)  # an unknown name is a usage error naming the choices
        if isinstance(self.users, bool) or not 1 <= self.users <= MAX_USERS:
            raise UsageError(f"--users={self.users!r} is not between 1 and {MAX_USERS}")
        if not self.spawn_rate > 0:
            raise UsageError(f"--spawn-rate={self.spawn_rate!r} is not above 0")
        if not 0 < self.run_time_s <= MAX_RUN_TIME_S:
            raise UsageError(f"--run-time={self.run_time_s:g}s is not between 0 and {MAX_RUN_TIME_S:g} s")
        if self.gates.p95_ttft_s is not None and "stream" not in dict(self.mix):
            raise UsageError(
                "--p95-ttft needs streamed requests: give the mix a stream weight (--mix stream=1,...)"
            )

    def target(self, token: str | None) -> Target:
        """What the users load, with the ``token`` their process read from its environment."""
        return Target(self.base_url, self.account_id, self.model, token, self.embedded)

    @property
    def weights(self) -> dict[str, int]:
        return dict(self.mix)

    def to_json(self) -> dict[str, Any]:
        """The settings as plain JSON values, for the Locust processes."""
        document = asdict(self)
        document["mix"] = [list(pair) for pair in self.mix]
        document["checks"] = list(self.checks)
        document["valid_bodies"] = list(self.valid_bodies)
        return document

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadSettings:
        """The inverse of `to_json`."""
        values = dict(data)
        values["mix"] = tuple((str(name), int(weight)) for name, weight in values["mix"])
        values["checks"] = tuple(values["checks"])
        values["gates"] = Gates(**values["gates"])
        values["valid_bodies"] = tuple(values.get("valid_bodies", ()))
        return cls(**values)


def series_interval(run_time_s: float, points: int = 240) -> float:
    """Seconds per point of the charts over time: one second, or coarser so a long run keeps ~240 points."""
    return float(max(1, math.ceil(run_time_s / points)))
