"""The request mix: which catalogue case each simulated user sends next, seeded and reproducible.

The pools are `conformance run`'s catalogue split four ways: drawn valid
bodies sent as JSON, every accepted body that streams (drawn and boundary),
the boundary bodies that do not stream, and the invalid bodies. A user
draws a class by the mix's weights, then a case of that class, from its
own `random.Random` seeded by the run's seed, its process and its number,
so the sequence one user sends is the same on every rerun with that seed.

>>> pools = Pools.build(valid_bodies=[{"prompt": "hi"}, {"prompt": "hi", "stream": True}])
>>> picker = Picker(pools, (("valid", 1), ("stream", 1)), seed=7, user=0)
>>> picker.next()[0] in ("valid", "stream")
True
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.contract import SchemaVersion
from conformance.errors import UsageError
from conformance.generation import Case, CaseKind, Outcome, boundary_cases, invalid_cases
from conformance.generation.cases import body_digest, body_tags


@dataclass(frozen=True)
class Pools:
    """The cases of each mix class, and every case by id (to rebuild a kept failure's request)."""

    by_class: dict[str, tuple[Case, ...]]
    by_id: dict[str, Case]

    @classmethod
    def build(cls, valid_bodies: Iterable[Any], schema: SchemaVersion | str | None = None) -> Pools:
        """The pools from the drawn valid bodies and the built boundary and invalid catalogues
        of a schema version (the page's by default)."""
        drawn = [_drawn_case(body) for body in valid_bodies]
        boundary = boundary_cases(schema)
        accepted = drawn + boundary
        by_class = {
            "valid": tuple(c for c in drawn if not c.stream),
            "stream": tuple(c for c in accepted if c.stream and c.expect is Outcome.ACCEPT),
            "boundary": tuple(c for c in boundary if not c.stream),
            "invalid": tuple(invalid_cases(schema)),
        }
        by_id = {c.id: c for cases in by_class.values() for c in cases}
        return cls(by_class, by_id)

    def check_mix(self, mix: Iterable[tuple[str, int]]) -> None:
        """A `UsageError` when the mix weighs a class that has no case."""
        for name, weight in mix:
            if weight and not self.by_class.get(name):
                raise UsageError(
                    f"--mix gives {name} a weight of {weight} but the catalogue has no {name} case"
                )


def _drawn_case(body: Any) -> Case:
    # The same id and label `conformance run` gives a drawn body (generation.catalogue).
    tags = body_tags(body)
    options = (
        sorted(key for key in body if key not in ("prompt", "messages")) if isinstance(body, dict) else []
    )
    label = f"drawn {tags[0].capitalize()} body" + (f" with {', '.join(options)}" if options else "")
    return Case.build(CaseKind.VALID, body_digest(body), label, body, tags=tags)


def user_seed(seed: int, process: int, user: int) -> int:
    """The seed of one user's draws: stable across runs, different for every process and user."""
    digest = hashlib.sha256(f"{seed}/{process}/{user}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class Picker:
    """One user's draws: a mix class by weight, then a case of that class."""

    def __init__(
        self, pools: Pools, mix: Iterable[tuple[str, int]], *, seed: int, user: int, process: int = 0
    ):
        pairs = [(name, weight) for name, weight in mix if weight > 0]
        self._names = [name for name, _ in pairs]
        self._weights = [weight for _, weight in pairs]
        self._pools = pools.by_class
        self.random = random.Random(user_seed(seed, process, user))

    def next(self) -> tuple[str, Case]:
        """The class and the case to send next."""
        name = self.random.choices(self._names, self._weights)[0]
        return name, self.random.choice(self._pools[name])
