"""String lengths count code points: the same maximal length in four alphabets, and a search when refused.

JSON Schema's ``maxLength`` counts code points, so a prompt (or a message's
content) of 131072 characters is valid whether they are ASCII, two- or
three-byte BMP characters or astral ones. A server that counts UTF-8 bytes
refuses the non-ASCII ones; one that counts UTF-16 units refuses the astral
one. When a maximal body is refused, the check's follow-up searches, in the
same field and alphabet, for the longest length the server accepts, so the
failure can say "accepts up to 100000 code points; the schema allows 131072".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.checks._registry import CheckFailure, CheckSkipped, check
from conformance.checks.reading import is_success
from conformance.checks.subjects import PlanContext, Scenario, ScenarioOutcome, ScenarioRequest
from conformance.contract import MAX_CONTENT_CHARS, documented_refusal
from conformance.transport import Exchange


@dataclass(frozen=True)
class Alphabet:
    """One kind of character: a sample, its name, and what it costs in UTF-8 bytes and UTF-16 units."""

    slug: str
    char: str
    name: str

    @property
    def utf8(self) -> int:
        return len(self.char.encode("utf-8"))

    @property
    def utf16(self) -> int:
        return len(self.char.encode("utf-16-le")) // 2


ALPHABETS = (
    Alphabet("ascii", "a", "ASCII characters"),
    Alphabet("2-byte", "\u00e9", "two-byte BMP characters (U+00E9)"),
    Alphabet("3-byte", "\u20ac", "three-byte BMP characters (U+20AC)"),
    Alphabet("astral", "\U0001f600", "astral characters (U+1F600)"),
)
"""The alphabets every maximal length is tried in, in order of their cost in bytes."""

FIELDS = ("prompt", "content")


def length_body(field: str, text: str) -> dict[str, Any]:
    """The smallest valid body carrying ``text`` in ``field`` (``prompt`` or a message's ``content``)."""
    if field == "prompt":
        return {"prompt": text, "max_tokens": 1}
    return {"messages": [{"role": "user", "content": text}], "max_tokens": 1}


def _text_of(body: Any) -> str:
    if "prompt" in body:
        return str(body["prompt"])
    return str(body["messages"][0]["content"])


def _plan(context: PlanContext) -> list[Scenario]:
    scenarios = []
    for field in FIELDS:
        requests = tuple(ScenarioRequest(length_body(field, a.char * MAX_CONTENT_CHARS)) for a in ALPHABETS)
        label = f"{field} of {MAX_CONTENT_CHARS} code points in each of {len(ALPHABETS)} alphabets"
        scenarios.append(Scenario(f"scenario/length-{field}", label, requests))
    return scenarios


def _refused(exchange: Exchange) -> bool:
    """Whether the server turned the body down in a way the contract does not document."""
    if exchange.status is None or is_success(exchange):
        return False
    return documented_refusal(exchange.status, ("large",)) is None


@dataclass(frozen=True)
class _Search:
    """What the answers so far say about one alphabet: longest accepted, shortest refused, lengths tried."""

    alphabet: Alphabet
    accepted: int
    refused: int
    tried: frozenset[int]

    @property
    def exact(self) -> bool:
        return self.refused - self.accepted <= 1


def _search(outcome_exchanges: tuple[Exchange, ...]) -> _Search | None:
    """The search for the first alphabet refused at the maximum, from every answer so far."""
    base = outcome_exchanges[: len(ALPHABETS)]
    refused = [a for a, e in zip(ALPHABETS, base, strict=False) if _refused(e)]
    if len(base) < len(ALPHABETS) or not refused or any(e.status is None for e in base):
        return None
    alphabet = refused[0]
    accepted, shortest_refused, tried = 0, MAX_CONTENT_CHARS, {MAX_CONTENT_CHARS}
    for exchange in outcome_exchanges[len(ALPHABETS) :]:
        length = len(_text_of(exchange.request_body)) // len(alphabet.char)
        tried.add(length)
        if is_success(exchange):
            accepted = max(accepted, length)
        elif _refused(exchange):
            shortest_refused = min(shortest_refused, length)
    return _Search(alphabet, accepted, shortest_refused, frozenset(tried))


def _next_length(search: _Search) -> int | None:
    # First the lengths a byte or UTF-16 count would stop at (and one past each), then halving.
    low, high = search.accepted, search.refused
    for unit in (search.alphabet.utf8, search.alphabet.utf16):
        guess = MAX_CONTENT_CHARS // unit
        for length in (guess, guess + 1):
            if low < length < high and length not in search.tried:
                return length
    if search.exact:
        return None
    return (low + high) // 2


def _follow_up(scenario: Scenario, exchanges: tuple[Exchange, ...]) -> ScenarioRequest | None:
    search = _search(exchanges)
    if search is None:
        return None
    length = _next_length(search)
    if length is None:
        return None
    field = "prompt" if "prompt" in scenario.requests[0].body else "content"
    return ScenarioRequest(length_body(field, search.alphabet.char * length))


def _what_it_counts(search: _Search, accepted: list[Alphabet]) -> str:
    if search.exact and search.accepted:
        if search.alphabet.utf8 > 1 and search.accepted * search.alphabet.utf8 == MAX_CONTENT_CHARS:
            return "the server counts UTF-8 bytes, not code points"
        if search.alphabet.utf16 > 1 and search.accepted * search.alphabet.utf16 == MAX_CONTENT_CHARS:
            return "the server counts UTF-16 units, not code points"
    if accepted:
        names = ", ".join(a.name for a in accepted)
        return f"the same length is accepted in {names}, so the server does not count code points"
    return ""


@check(
    id="length_counts_code_points",
    severity="must",
    description=f"A prompt or content of {MAX_CONTENT_CHARS} code points is accepted in every alphabet "
    "(ASCII, two- and three-byte, astral): lengths count code points, not bytes or UTF-16 units.",
    clause="Input schema: prompt and content maxLength (JSON Schema counts code points)",
    plan=_plan,
    follow_up=_follow_up,
)
def length_counts_code_points(outcome: ScenarioOutcome) -> None:
    base = outcome.exchanges[: len(ALPHABETS)]
    broken = next((e for e in base if e.status is None), None)
    if broken is not None:
        raise CheckSkipped(f"a request of {outcome.scenario.id} got no answer ({broken.error})")
    refused = [(a, e) for a, e in zip(ALPHABETS, base, strict=True) if _refused(e)]
    if not refused:
        return
    accepted = [a for a, e in zip(ALPHABETS, base, strict=True) if is_success(e)]
    search = _search(outcome.exchanges)
    assert search is not None
    field = "prompt" if "prompt" in outcome.scenario.requests[0].body else "content"
    statuses = "; ".join(f"{e.status} for {a.name}" for a, e in refused)
    if search.exact:
        found = f"accepts up to {search.accepted} code points of {search.alphabet.name}"
        if search.alphabet.utf8 > 1:
            found += f" ({search.accepted * search.alphabet.utf8} UTF-8 bytes"
            found += f", {search.accepted * search.alphabet.utf16} UTF-16 units)"
    else:
        found = (
            f"accepts at least {search.accepted} and fewer than {search.refused} code points "
            f"of {search.alphabet.name} (search stopped)"
        )
    verdict = _what_it_counts(search, accepted)
    received = f"{statuses} at {MAX_CONTENT_CHARS} code points; the server {found}; "
    received += f"the schema allows {MAX_CONTENT_CHARS}"
    if verdict:
        received += f"; {verdict}"
    raise CheckFailure(
        received=received,
        expected=f"a 2xx for {field} of {MAX_CONTENT_CHARS} code points in every alphabet "
        "(or 413 with code 3006, request too large)",
        where=f"{outcome.scenario.id} /{'prompt' if field == 'prompt' else 'messages/0/content'}",
    )
