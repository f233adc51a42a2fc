"""Stop sequences cut the answer at the same character however the pieces split it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

from hypothesis import given
from hypothesis import strategies as st

from conformance.server.engines.base import Cancellation, Event, Finished, Piece, Usage
from conformance.server.stop_sequences import STOPPED, StopScanner, stopping_at


def scan(pieces: list[str], stops: list[str]) -> tuple[str, bool]:
    scanner = StopScanner(stops)
    shown = []
    for piece in pieces:
        text, stopped = scanner.feed(piece)
        shown.append(text)
        if stopped:
            return "".join(shown), True
    return "".join(shown) + scanner.flush(), False


def expected(text: str, stops: list[str]) -> tuple[str, bool]:
    cuts = [text.find(stop) for stop in stops if stop and stop in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


def test_a_stop_sequence_split_across_pieces_is_found_and_never_shown() -> None:
    scanner = StopScanner(["END"])
    assert scanner.feed("abcE") == ("abc", False)
    assert scanner.feed("N") == ("", False)
    assert scanner.feed("Dxyz") == ("", True)
    assert scanner.feed("more") == ("", True)


def test_a_false_start_is_released() -> None:
    scanner = StopScanner(["END"])
    assert scanner.feed("abEN") == ("ab", False)
    assert scanner.feed("x") == ("ENx", False)
    assert scanner.flush() == ""


def test_held_text_is_released_when_the_answer_ends() -> None:
    scanner = StopScanner(["</s>"])
    assert scanner.feed("done </") == ("done ", False)
    assert scanner.flush() == "</"


def test_the_earliest_of_several_stop_sequences_wins() -> None:
    assert scan(["one two three"], ["three", "two"]) == ("one ", True)


@given(
    text=st.text(alphabet="abEND\n", max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=6),
    stops=st.lists(st.text(alphabet="abEND\n", min_size=1, max_size=4), max_size=4),
)
def test_every_split_gives_the_answer_the_whole_text_gives(
    text: str, cuts: list[int], stops: list[str]
) -> None:
    bounds = sorted({0, len(text), *(min(cut, len(text)) for cut in cuts)})
    pieces = [text[start:end] for start, end in itertools.pairwise(bounds)]
    assert scan(pieces, stops) == expected(text, stops)


def test_stopping_at_cancels_generation_and_marks_the_end() -> None:
    async def events() -> AsyncIterator[Event]:
        for piece in ["Hel", "lo wor", "ld"]:
            yield Piece(piece)
        yield Finished(Usage(2, 3), "cancelled" if cancellation.cancelled else "eos")

    async def collect() -> list[Event]:
        return [event async for event in stopping_at(events(), ["o w"], cancellation)]

    cancellation = Cancellation()
    got = asyncio.run(collect())
    assert "".join(e.text for e in got if isinstance(e, Piece)) == "Hell"
    assert cancellation.cancelled
    assert isinstance(got[-1], Finished) and got[-1].stop_reason == STOPPED


def test_without_stop_sequences_events_pass_untouched() -> None:
    async def events() -> AsyncIterator[Event]:
        yield Piece("a")
        yield Finished(Usage(1, 1), "length")

    async def collect() -> list[Event]:
        return [event async for event in stopping_at(events(), [], cancellation)]

    cancellation = Cancellation()
    assert asyncio.run(collect()) == [Piece("a"), Finished(Usage(1, 1), "length")]
    assert not cancellation.cancelled
