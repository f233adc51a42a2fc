"""A reference recorded once (``conformance run --record``): its requests are sent again, its answers kept.

The capture fixes the cases (its profile and seed), so ``--seed`` and
``--profile`` may only repeat what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.checks import Scenario
from conformance.errors import UsageError
from conformance.generation import Case
from conformance.runner import Plan, RunConfig, load_recording
from conformance.transport import Exchange


@dataclass(frozen=True)
class Capture:
    """A loaded capture: where it was recorded, its cases in order and each one's recorded answers."""

    path: Path
    header: dict[str, Any]
    items: tuple[Case | Scenario, ...]
    exchanges: dict[str, tuple[Exchange, ...]]

    @classmethod
    def load(cls, path: Path) -> Capture:
        """Read a recording; anything but a recording with cases is a usage error naming the option."""
        try:
            recording = load_recording(path)
        except UsageError as exc:
            raise UsageError(str(exc).replace("RECORDING=", "--reference-capture=", 1)) from None
        if not recording.items:
            raise UsageError(
                f"--reference-capture={str(path)!r} holds no cases: record one with run --record"
            )
        items = tuple(item for item, _ in recording.items)
        exchanges = {item.id: exchanges for item, exchanges in recording.items}
        return cls(path, recording.header, items, exchanges)

    @property
    def seed(self) -> int:
        return int(self.header["seed"])

    @property
    def profile(self) -> str:
        return str(self.header["profile"])

    def settle(self, seed: int | None, profile: str | None) -> tuple[int, str]:
        """The seed and profile of the run: the capture's; options that say otherwise are usage errors."""
        for option, given, recorded in (("--seed", seed, self.seed), ("--profile", profile, self.profile)):
            if given is not None and given != recorded:
                raise UsageError(
                    f"{option}={given!r} differs from the capture's {recorded!r}: the capture's requests "
                    f"are sent as recorded; leave {option} out with --reference-capture"
                )
        return self.seed, self.profile

    def plan(self, config: RunConfig) -> Plan:
        """The capture's cases, less the scenarios whose check the run does not select."""
        selected = config.selected_checks()
        ids = {check.id for check in selected}
        items = tuple(i for i in self.items if not isinstance(i, Scenario) or i.check in ids)
        planned = {i.check for i in items if isinstance(i, Scenario)}
        skipped = {
            check.id: "the capture holds no scenario for this check"
            for check in selected
            if check.plan is not None and check.id not in planned
        }
        return Plan(items, skipped)

    def describe(self) -> dict[str, Any]:
        """Where the reference answers came from, for the reports."""
        target = self.header.get("target") or {}
        return {
            "kind": "capture",
            "capture": str(self.path),
            "base_url": target.get("base_url"),
            "account_id": target.get("account_id"),
            "model": target.get("model"),
            "auth": "bearer" if self.header.get("has_token") else "none",
        }
