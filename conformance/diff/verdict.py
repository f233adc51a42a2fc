"""Which differences fail a side-by-side run, and the run's verdict with them.

A counted difference fails the run unless its class is accepted with
``--allow CLASS``; differing texts fail it only with ``--strict-text``, since
two implementations rarely sample token for token alike. The target's own
`must` failures fail it as they do in `conformance run`; either side that
cannot be tested at all makes it untestable (exit 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from conformance.errors import UsageError
from conformance.runner import EXIT_FAIL, EXIT_PASS, EXIT_UNTESTABLE, RunResult
from conformance.runner.differences import DIFFERENCE_CLASSES, Difference, Differences

TEXT_NOTE = "texts are compared only with --strict-text"


@dataclass(frozen=True)
class DiffSettings:
    """What a side-by-side run accepts: classes allowed to differ, and whether texts must agree.

    >>> DiffSettings(allow=("usage",)).allow
    ('usage',)
    >>> DiffSettings(allow=("speed",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    conformance.errors.UsageError: --allow='speed' is not one of status, error_code, branch, ...
    """

    allow: tuple[str, ...] = ()
    strict_text: bool = False

    def __post_init__(self) -> None:
        for klass in self.allow:
            if klass not in DIFFERENCE_CLASSES:
                raise UsageError(f"--allow={klass!r} is not one of {', '.join(DIFFERENCE_CLASSES)}")


def settle(differences: Sequence[Difference], settings: DiffSettings) -> tuple[Difference, ...]:
    """Each counted difference accepted where ``settings`` accept its class."""
    settled = []
    for difference in differences:
        if difference.standing == "counted" and difference.klass in settings.allow:
            difference = replace(
                difference, standing="accepted", note=f"accepted by --allow {difference.klass}"
            )
        elif difference.standing == "counted" and difference.klass == "text" and not settings.strict_text:
            difference = replace(difference, standing="accepted", note=TEXT_NOTE)
        settled.append(difference)
    return tuple(settled)


def conclude(result: RunResult, differences: Differences, secrets: tuple[str, ...] = ()) -> RunResult:
    """The target's result with the differences on it and the verdict they give."""
    result = replace(result, differences=differences, secrets=result.secrets + secrets)
    if result.reason is not None:
        return result
    if result.exit_code == EXIT_FAIL or differences.counted:
        return replace(result, verdict="fail", exit_code=EXIT_FAIL)
    return replace(result, verdict="pass", exit_code=EXIT_PASS)


def untestable(result: RunResult, reason: str, secrets: tuple[str, ...] = ()) -> RunResult:
    """The target's result, made untestable because the other side could not be tested."""
    return replace(
        result, verdict="error", exit_code=EXIT_UNTESTABLE, reason=reason, secrets=result.secrets + secrets
    )
