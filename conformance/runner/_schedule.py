"""Which items of a run may be in flight together.

Items run beside each other, as many at once as ``--concurrency`` allows. An
item that must see no other request of the run (a `Scenario` with
``exclusive=True``: two answers compared, or requests sent at once on
purpose) runs alone: the schedule holds back every item not yet started,
lets those in flight finish, runs the exclusive item, then lets the rest
resume. Exclusive items run one at a time, in the order they asked.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from conformance.checks import Scenario
from conformance.generation import Case


def runs_alone(item: Case | Scenario) -> bool:
    """Whether ``item`` must be sent with nothing else of the run in flight."""
    return isinstance(item, Scenario) and item.exclusive


class Schedule:
    """The gate every item of one run passes through; shared by everything that sends the run's items.

    >>> async def send(schedule: Schedule, item: Case | Scenario) -> None:
    ...     async with schedule.slot(runs_alone(item)):
    ...         ...  # send the item's requests
    """

    def __init__(self) -> None:
        self._beside = 0  # items in flight beside each other
        self._alone: list[int] = []  # tickets of the exclusive items waiting or running, in order
        self._tickets = itertools.count()
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self, alone: bool) -> AsyncIterator[None]:
        """Hold a place in the run: beside the other items, or alone."""
        if alone:
            async with self._alone_slot():
                yield
        else:
            async with self._shared_slot():
                yield

    @asynccontextmanager
    async def _shared_slot(self) -> AsyncIterator[None]:
        async with self._changed:
            # An exclusive item waiting holds back new items, so the run cannot starve it.
            await self._changed.wait_for(lambda: not self._alone)
            self._beside += 1
        try:
            yield
        finally:
            async with self._changed:
                self._beside -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def _alone_slot(self) -> AsyncIterator[None]:
        ticket = next(self._tickets)
        self._alone.append(ticket)
        try:
            async with self._changed:
                await self._changed.wait_for(lambda: self._beside == 0 and self._alone[0] == ticket)
            yield
        finally:
            self._alone.remove(ticket)
            async with self._changed:
                self._changed.notify_all()
