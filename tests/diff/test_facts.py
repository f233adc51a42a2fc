"""`conformance.diff.facts`: what is compared of a real exchange, read off broken loopback servers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conformance.checks import Scenario, ScenarioRequest
from conformance.diff.facts import FACT_CLASSES, exchange_facts, item_facts
from conformance.transport import Client, Exchange
from support.fake_server import fake_server
from support.samples import TOKEN

HELLO = {"prompt": "Hello", "max_tokens": 5}
STREAMED = {**HELLO, "stream": True}


def exchange(body: Any, faults: set[str] | None = None) -> Exchange:
    async def send(url: str) -> Exchange:
        async with Client(url, "X", token=TOKEN) as client:
            return await client.send(body)

    with fake_server(faults or set(), token=TOKEN) as url:
        return asyncio.run(send(url))


def test_a_json_answer_gives_its_status_branch_fields_usage_and_text() -> None:
    facts = exchange_facts(exchange(HELLO))
    assert facts["status"] == 200 and facts["branch"] == "object"
    assert facts["fields"] == ["response", "usage"]
    assert facts["usage.arithmetic"] == "adds up" and facts["usage.max_tokens"] == "within max_tokens"
    assert isinstance(facts["text"], str) and facts["text"]
    assert not any(name.startswith("stream.") for name in facts) and "error_codes" not in facts


def test_a_stream_gives_its_framing_facts() -> None:
    facts = exchange_facts(exchange(STREAMED))
    assert facts["branch"] == "event-stream" and facts["fields"] == ["response", "usage"]
    assert facts["stream.done"] is True and facts["stream.json"] is True
    assert facts["stream.after_done"] is False and facts["stream.padding"] is True


@pytest.mark.parametrize(
    ("fault", "fact", "value"),
    [
        ("stream_no_done", "stream.done", False),
        ("stream_after_done", "stream.after_done", True),
        ("stream_bad_json", "stream.json", False),
        ("stream_too_many_tokens", "usage.max_tokens", "over max_tokens"),
        ("stream_bad_usage", "usage.arithmetic", "does not add up"),
    ],
)
def test_each_framing_and_usage_fault_changes_its_fact(fault: str, fact: str, value: Any) -> None:
    assert exchange_facts(exchange(STREAMED))[fact] != value
    assert exchange_facts(exchange(STREAMED, {fault}))[fact] == value


def test_padding_is_compared_present_or_not_never_its_content() -> None:
    plain, random = exchange(STREAMED), exchange(STREAMED, {"random_padding"})
    assert plain.stream is not None and random.stream is not None
    assert plain.stream.events[0] != random.stream.events[0]  # the padding differs on the wire
    assert exchange_facts(plain)["stream.padding"] == exchange_facts(random)["stream.padding"] is True


def test_an_error_gives_its_status_and_codes_and_nothing_of_a_success() -> None:
    invalid = {"prompt": "x", "temperature": 6}
    assert exchange_facts(exchange(invalid)) == {"status": 400, "error_codes": [5006]}
    assert exchange_facts(exchange(invalid, {"bad_input_code_3003"})) == {
        "status": 400,
        "error_codes": [3003],
    }


def test_usage_absent_shows_in_fields_and_leaves_the_usage_facts_out() -> None:
    for body in (HELLO, STREAMED):
        facts = exchange_facts(exchange(body, {"no_usage"}))
        assert facts["fields"] == ["response"]
        assert "usage.arithmetic" not in facts and "usage.max_tokens" not in facts


def test_headers_are_no_fact() -> None:
    plain, shuffled = exchange(HELLO), exchange(HELLO, {"shuffled_headers"})
    assert list(plain.headers) != list(shuffled.headers)
    assert exchange_facts(plain) == exchange_facts(shuffled)


def test_no_response_is_a_status_of_its_own() -> None:
    failed = Exchange("POST", "http://127.0.0.1:9/x", {}, HELLO, error="ConnectError: refused")
    assert exchange_facts(failed) == {"status": "no response"}


def test_a_determinism_scenario_says_whether_it_reproduced_itself() -> None:
    body = {**HELLO, "seed": 7}
    scenario = Scenario("scenario/same-seed-1", "twice", (ScenarioRequest(body),) * 2, "same_seed_same_text")
    same = (exchange(body), exchange(body))
    differing = (exchange(body), exchange(body, {"nondeterministic"}))
    assert item_facts(scenario, same) == {"reproduces": True}
    assert item_facts(scenario, differing) == {"reproduces": False}
    other = Scenario(
        "scenario/stream-agreement-1", "x", (ScenarioRequest(body),) * 2, "stream_matches_non_stream"
    )
    assert item_facts(other, differing) == {}


def test_every_fact_has_one_of_the_documented_classes() -> None:
    from conformance.runner.differences import DIFFERENCE_CLASSES

    assert set(FACT_CLASSES.values()) == set(DIFFERENCE_CLASSES)
