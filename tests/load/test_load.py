"""conformance.load's pieces that need no Locust: settings, the mix, the wire client, judging, figures, gates.

The Locust processes themselves are driven end to end in tests/cli/test_load.py.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from conformance.checks import CheckRegistry, RunFacts, check, registry
from conformance.errors import UsageError
from conformance.generation import Case, CaseKind
from conformance.load.figures import KEEP_PER_CHECK, Figures, Histogram
from conformance.load.gates import evaluate
from conformance.load.judging import SAMPLED, judge, refusal_of, tokens_of
from conformance.load.mix import Picker, Pools
from conformance.load.observe import Observer
from conformance.load.settings import Gates, LoadSettings, parse_duration, parse_mix
from conformance.load.wire import Connection, Sent
from conformance.transport import Exchange, StreamFacts, Timing
from support.fake_server import fake_server
from support.samples import TOKEN

EXCHANGE_CHECKS = [c for c in registry.all() if not c.is_scenario]


@pytest.mark.parametrize(("text", "seconds"), [("20", 20.0), ("20s", 20.0), ("2m", 120.0), ("1h30m", 5400.0)])
def test_durations_read_as_locust_writes_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0s", "-3", "5x"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(UsageError, match="--run-time="):
        parse_duration(text)


def test_the_mix_keeps_the_weights_given_and_drops_zeros() -> None:
    assert parse_mix("stream=3, valid=0,invalid=1") == (("stream", 3), ("invalid", 1))


@pytest.mark.parametrize("text", ["valid", "valid=x", "tools=1", "valid=1,valid=2", "valid=0", "valid=-1"])
def test_bad_mixes_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="--mix="):
        parse_mix(text)


def test_settings_travel_as_json_and_back() -> None:
    settings = LoadSettings(
        base_url="http://127.0.0.1:1/client/v4",
        account_id="X",
        seed=5,
        gates=Gates(max_failure_ratio=0.1, p95_ttft_s=2.0),
        checks=("status_code_conformance",),
        valid_bodies=({"prompt": "hi"},),
    )
    assert LoadSettings.from_json(json.loads(json.dumps(settings.to_json()))) == settings


def test_a_ttft_gate_needs_streams_in_the_mix() -> None:
    with pytest.raises(UsageError, match="--p95-ttft needs streamed requests"):
        LoadSettings(base_url="http://x", account_id="X", mix=(("valid", 1),), gates=Gates(p95_ttft_s=1.0))


def test_pools_split_the_catalogue_and_a_user_draws_the_same_sequence_again() -> None:
    pools = Pools.build([{"prompt": "a"}, {"prompt": "b", "stream": True}])
    assert all(not c.stream for c in pools.by_class["valid"]) and pools.by_class["valid"]
    assert all(c.stream for c in pools.by_class["stream"]) and len(pools.by_class["stream"]) > 1
    assert all(c.kind == "invalid" for c in pools.by_class["invalid"])
    mix = parse_mix("valid=6,stream=3,boundary=1,invalid=1")

    def draws(user: int) -> list[str]:
        picker = Picker(pools, mix, seed=11, user=user)
        return [picker.next()[1].id for _ in range(50)]

    assert draws(0) == draws(0)
    assert draws(0) != draws(1)
    assert {Picker(pools, mix, seed=11, user=0).next()[0] for _ in range(1)} <= {
        "valid",
        "stream",
        "boundary",
        "invalid",
    }


def test_a_mix_weighing_an_empty_class_is_a_usage_error() -> None:
    pools = Pools.build([])
    with pytest.raises(UsageError, match="no valid case"):
        pools.check_mix(parse_mix("valid=1"))


def test_the_wire_client_reads_json_and_streams_and_keeps_the_connection() -> None:
    stats: dict[str, int] = {}
    with fake_server(token=TOKEN, stats=stats) as base_url:
        connection = Connection(base_url, "X", token=TOKEN)
        first = connection.send({"prompt": "hello", "max_tokens": 3})
        streamed = connection.send({"prompt": "hello", "max_tokens": 3, "stream": True})
        again = connection.send({"prompt": "hello", "max_tokens": 3})
        connection.close()
    assert first.exchange.status == 200 and first.exchange.json()["success"] is True
    assert first.exchange.request_headers["authorization"] == "Bearer [REDACTED]"
    facts = streamed.exchange.stream
    assert facts is not None and facts.done and facts.broke_at is None
    assert streamed.exchange.timing.ttfe_s is not None
    assert len(streamed.gaps) == len(facts.events) - 1
    assert again.exchange.status == 200 and stats["requests"] == 3


def test_the_wire_client_turns_a_refused_connection_into_an_exchange() -> None:
    sent = Connection("http://127.0.0.1:9/client/v4", "X").send({"prompt": "x"})
    assert sent.exchange.status is None and sent.exchange.error


def _exchange(status: int, body: Any, headers: dict[str, str] | None = None) -> Exchange:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(
        "POST",
        "http://x",
        {},
        {"prompt": "x"},
        status,
        {"content-type": "application/json", **(headers or {})},
        data,
        timing=Timing(0.01),
    )


CASE = Case.build(CaseKind.VALID, "x", "x", {"prompt": "x"})
ENVELOPE_3040 = {
    "success": False,
    "errors": [{"code": 3040, "message": "Capacity"}],
    "result": {},
    "messages": [],
}


def test_a_429_with_a_capacity_code_is_a_refusal_judged_by_its_envelope_only() -> None:
    exchange = _exchange(429, ENVELOPE_3040, {"retry-after": "2"})
    refusal = refusal_of(exchange)
    assert refusal is not None and refusal.code == 3040 and refusal.retry_after_s == 2.0
    judged = judge(CASE, exchange, EXCHANGE_CHECKS, RunFacts(), sample=lambda _: True)
    assert judged.statuses == {"error_envelope_conformance": "passed"} and not judged.failed


def test_a_refusal_is_judged_by_the_checks_that_declare_they_judge_refusals() -> None:
    own = CheckRegistry()
    for check_id, flag in (("plain", False), ("own_envelope", True)):
        check(id=check_id, severity="must", description=".", clause="ours", judges_refusals=flag, into=own)(
            lambda observation: None
        )
    exchange = _exchange(429, ENVELOPE_3040, {"retry-after": "2"})
    judged = judge(CASE, exchange, own.all(), RunFacts(), sample=lambda _: True)
    assert judged.statuses == {"own_envelope": "passed"} and judged.refusal is not None


def test_a_429_without_the_envelope_is_judged_like_any_answer_and_fails() -> None:
    exchange = Exchange(
        "POST", "http://x", {}, {"prompt": "x"}, 429, {"content-type": "text/plain"}, b"Too Many"
    )
    assert refusal_of(exchange) is None
    judged = judge(CASE, exchange, EXCHANGE_CHECKS, RunFacts(), sample=lambda _: True)
    assert judged.statuses["error_envelope_conformance"] == "failed"
    assert judged.statuses["status_code_conformance"] == "failed"


def test_costly_checks_are_sampled_on_streams_only() -> None:
    stream_case = Case.build(CaseKind.VALID, "s", "s", {"prompt": "x", "stream": True})
    events = (
        json.dumps({"response": "a "}),
        json.dumps(
            {"response": "", "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        ),
        "[DONE]",
    )
    streamed = Exchange(
        "POST",
        "http://x",
        {},
        stream_case.body,
        200,
        {"content-type": "text/event-stream"},
        b"",
        stream=StreamFacts(events, 10, True),
        timing=Timing(0.1, 0.01, 0.02),
    )
    never = judge(stream_case, streamed, EXCHANGE_CHECKS, RunFacts(), sample=lambda _: False)
    assert set(never.sampled_out) == set(SAMPLED) and not set(SAMPLED) & set(never.statuses)
    assert never.statuses["stream_framing_conformance"] == "passed"
    body = {
        "result": {"response": "a", "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
        "success": True,
        "errors": [],
        "messages": [],
    }
    plain = judge(CASE, _exchange(200, body), EXCHANGE_CHECKS, RunFacts(), sample=lambda _: False)
    assert not plain.sampled_out and set(SAMPLED) <= set(plain.statuses)
    assert tokens_of(streamed) == 1


def test_histograms_merge_by_adding_counts() -> None:
    a, b = Histogram(), Histogram()
    for value in range(1, 101):
        (a if value % 2 else b).add(float(value))
    a.merge(Histogram.from_json(b.to_json()))
    assert a.n == 100
    p95 = a.quantile(0.95)
    assert p95 is not None and 93 <= p95 <= 97


def _observed(failing: bool) -> Figures:
    figures = Figures()
    observer = Observer(figures, interval_s=1.0, worker="w")
    bad = {"result": {"response": 5}, "success": True, "errors": [], "messages": []}
    good = {"result": {"response": "a"}, "success": True, "errors": [], "messages": []}
    for _ in range(KEEP_PER_CHECK + 3):
        exchange = _exchange(200, bad if failing else good)
        judged = judge(CASE, exchange, EXCHANGE_CHECKS, RunFacts(), sample=lambda _: True)
        events = observer.observe("valid", CASE, Sent(exchange), judged)
        assert events[0].request_type == "POST"
        assert {e.name for e in events if e.request_type == "check"} == set(judged.statuses)
    return figures


def test_workers_figures_add_up_on_the_master_and_kept_failures_stay_bounded() -> None:
    master = Figures()
    for worker in (_observed(True), _observed(True)):
        master.merge(json.loads(json.dumps(worker.take())))
    assert master.exchanges == 2 * (KEEP_PER_CHECK + 3)
    assert master.checks["result_conformance"]["failed"] == master.exchanges
    assert len(master.kept["result_conformance"]) == KEEP_PER_CHECK
    assert sum(master.workers.values()) == master.exchanges


def test_gates_fail_on_any_must_failure_unless_the_ratio_allows_it() -> None:
    figures = _observed(True)
    gates = evaluate(figures, EXCHANGE_CHECKS, Gates(), strict=False, duration_s=1.0)
    crossed = [g.check for g in gates if not g.passed]
    assert crossed == ["result_conformance"]
    relaxed = evaluate(figures, EXCHANGE_CHECKS, Gates(max_failure_ratio=1.0), strict=False, duration_s=1.0)
    assert all(g.passed for g in relaxed)
    clean = evaluate(_observed(False), EXCHANGE_CHECKS, Gates(), strict=False, duration_s=1.0)
    assert all(g.passed for g in clean)


def test_throughput_and_ttft_gates_compare_their_figures() -> None:
    figures = _observed(False)
    figures.tokens = 10
    gates = evaluate(
        figures, [], Gates(p95_ttft_s=1.0, min_tokens_per_second=100), strict=False, duration_s=1.0
    )
    by_name = {g.name: g for g in gates}
    assert not by_name["tokens per second"].passed and "10.0" in by_name["tokens per second"].value
    assert not by_name["p95 time to first event"].passed  # no stream measured: not proven


def test_loading_the_package_imports_neither_locust_nor_gevent() -> None:
    assert "locust" not in sys.modules and "gevent" not in sys.modules
