"""Stopping a run whose target stopped answering: a few timeouts in a row end the sending.

Without it, a target that hangs partway costs one read timeout per remaining
case, hours for the standard profile. `Watchdog` wraps a live run's sender:
after `STOP_AFTER` requests in a row got no answer in time (`Exchange.unanswered`),
it cuts the requests in flight and refuses to send more. What was not answered
is reported as not judged, with the reason, and the run fails.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from conformance.runner.results import CaseResult
from conformance.transport import Exchange

if TYPE_CHECKING:
    from conformance.checks import Route, Scenario
    from conformance.generation import Case
    from conformance.runner._sending import Sender
    from conformance.transport import Auth

STOP_AFTER = 3
"""Requests in a row without an answer in time that stop a run.

One or two can time out on a target that works (two maximal prompts side by
side on a CPU); a third with no answer in between is a target that stopped. The
number does not grow with the concurrency: the requests in flight when a
target hangs all time out within one read timeout of each other, so at any
concurrency of 3 or more the run stops one read timeout after the hang (at 1,
after three in sequence), and a larger number would only add timeouts.
"""

NOT_JUDGED = "not judged: the run stopped before this was answered"
"""How the ``error`` of an item the run did not send, or cut off, begins."""

_WHAT = {
    "connect": "no connection within the connect timeout",
    "refused": "the connection was refused",
    "read": "no byte within the read timeout",
    "idle": "a stream stalled",
    "response": "the response time cap was reached",
}


class TargetStopped(Exception):
    """Raised instead of sending once the run has stopped; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Watchdog:
    """A `Sender` that stops sending after `STOP_AFTER` requests in a row got no answer in time.

    ``stopped`` is None until then, and the reason after. Any answer, even an
    error status, resets the count.
    """

    def __init__(self, sender: Sender, *, limit: int = STOP_AFTER) -> None:
        self._sender = sender
        self._limit = limit
        self._silent = 0
        self._in_flight: set[asyncio.Future[Exchange]] = set()
        self.stopped: str | None = None

    async def send(
        self, item_id: str, index: int, body: Any, auth: Auth, route: Route | None = None
    ) -> Exchange:
        if self.stopped is not None:
            raise TargetStopped(self.stopped)
        sending = asyncio.ensure_future(self._sender.send(item_id, index, body, auth, route))
        self._in_flight.add(sending)
        try:
            exchange = await sending
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self.stopped is not None and current is not None and not current.cancelling():
                raise TargetStopped(self.stopped) from None  # cut off by the stop, not by our caller
            raise
        finally:
            self._in_flight.discard(sending)
        self._observe(exchange)
        return exchange

    def _observe(self, exchange: Exchange) -> None:
        if exchange.unanswered is None:
            self._silent = 0
            return
        self._silent += 1
        if self._silent >= self._limit and self.stopped is None:
            self.stopped = stop_reason(self._silent, exchange)
            for sending in self._in_flight:
                sending.cancel()


def stop_reason(count: int, last: Exchange) -> str:
    """Why a run stopped, saying what the last silent request met and what to do if the target is slow."""
    detail = last.error or (last.stream.broke_at if last.stream is not None else None) or ""
    what = _WHAT.get(last.unanswered or "", "no answer")
    return (
        f"the target stopped answering: {count} requests in a row got no answer in time "
        f"(the last: {what}{': ' + detail if detail else ''}); the run stopped sending. "
        "If the target is only slow, raise --timeout, or --idle-timeout for streams"
    )


def not_judged(item: Case | Scenario, reason: str) -> CaseResult:
    """The result of an item the run did not send, or cut off, once it stopped."""
    return CaseResult(item, "error", {}, (), (), error=f"{NOT_JUDGED} ({reason})")


def was_not_judged(result: CaseResult) -> bool:
    """Whether ``result`` is an item the stopped run never judged (`not_judged`)."""
    return not result.exchanges and (result.error or "").startswith(NOT_JUDGED)
