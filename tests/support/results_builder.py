"""Realistic results dicts (docs/results-format.md, version 1) for the report's tests and benchmark.

``passing_run()``, ``failing_run()`` and ``large_run(5000)`` build whole runs;
``Run`` builds one case at a time where a test needs something particular.
The checks are the registry's built-in ones (`CHECKS`), so a run names only
checks that exist, with their own severity, description and clause.
"""

from __future__ import annotations

import json
import random
from typing import Any

from conformance.checks import Check, registry

MODEL = "@hf/thebloke/llama-2-13b-chat-awq"
BASE_URL = "http://127.0.0.1:8787/client/v4"
URL = f"{BASE_URL}/accounts/X/ai/run/{MODEL}"

EXCHANGE_CLASSES = {"valid", "boundary", "invalid", "streaming"}
# The exchange checks that judge only some classes (on the others their reading
# of the response raises NotApplicable); every other exchange check judges all
# four, and a scenario check (one with a plan) judges scenarios only.
_JUDGED_CLASSES: dict[str, set[str]] = {
    "success_envelope_conformance": {"valid", "boundary"},  # a non-streamed success
    "result_conformance": {"valid", "boundary"},
    "error_envelope_conformance": {"invalid"},  # a 4xx
    "stream_framing_conformance": {"streaming"},
    "max_tokens_honoured": {"valid", "boundary", "streaming"},
    "usage_reported": {"valid", "boundary"},
    "usage_consistent": {"valid", "boundary", "streaming"},
}


def _built_in_checks() -> list[Check]:
    """The registry's own checks, in its order (a test's checks, registered for a while, left out)."""
    built_in = [item for item in registry.all() if item.function.__module__.startswith("conformance.")]
    unknown = _JUDGED_CLASSES.keys() - {item.id for item in built_in}
    assert not unknown, f"results_builder names checks the registry does not have: {sorted(unknown)}"
    return built_in


def _judged_classes(item: Check) -> set[str]:
    if item.is_scenario:
        return {"scenario"}
    return _JUDGED_CLASSES.get(item.id, EXCHANGE_CLASSES)


CHECKS: list[tuple[str, str, str, str, set[str]]] = [
    # id, severity, description, clause, the classes it judges: scenario checks, then the
    # checks of one exchange, each in the registry's order (so the last has failures below)
    (item.id, item.severity, item.description, item.clause, _judged_classes(item))
    for item in sorted(_built_in_checks(), key=lambda item: not item.is_scenario)
]

HEADERS = {"authorization": "Bearer [REDACTED]", "content-type": "application/json"}


def _ok_body(text: str) -> dict[str, Any]:
    return {
        "result": {
            "response": text,
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
        },
        "success": True,
        "errors": [],
        "messages": [],
    }


def _bad_input(message: str) -> dict[str, Any]:
    return {
        "errors": [{"message": f"AiError: Bad input: Error: {message}", "code": 5006}],
        "success": False,
        "result": {},
        "messages": [],
    }


def stream_record(
    events: list[str], *, done: bool = True, broke_at: str | None = None, keep: int = 50
) -> dict[str, Any]:
    """A response's ``stream`` member; transcripts keep the first and last ``keep`` events."""
    data = [*events, "[DONE]"] if done else list(events)
    indexed = list(enumerate(data))
    truncated = len(indexed) > 2 * keep
    if truncated:
        indexed = indexed[:keep] + indexed[-keep:]
    return {
        "events": len(data),
        "bytes": sum(len(d) + 8 for d in data),
        "done": done,
        "after_done": 0,
        "broke_at": broke_at,
        "first_event_s": 0.08,
        "transcript": [{"index": i, "data": d} for i, d in indexed],
        "transcript_truncated": truncated,
    }


def token_events(words: list[str]) -> list[str]:
    events = [json.dumps({"response": w, "p": "abcdefghij"[: 1 + i % 10]}) for i, w in enumerate(words)]
    events.append(
        json.dumps(
            {
                "response": "",
                "usage": {
                    "prompt_tokens": 12,
                    "completion_tokens": len(words),
                    "total_tokens": 12 + len(words),
                },
            }
        )
    )
    return events


class Run:
    """Accumulates cases and failures, then writes a results dict with consistent counts."""

    def __init__(self, *, seed: int = 1234, profile: str = "standard") -> None:
        self.seed = seed
        self.profile = profile
        self.cases: list[dict[str, Any]] = []
        self.failures: dict[str, list[dict[str, Any]]] = {check[0]: [] for check in CHECKS}
        self.accepted: list[dict[str, str]] = []
        self.fixed: list[dict[str, str]] = []
        self.rng = random.Random(seed)

    def case(
        self,
        case_id: str,
        klass: str,
        *,
        label: str = "",
        body: Any = None,
        body_summary: dict[str, Any] | None = None,
        status: int = 200,
        response: Any = None,
        body_text: str | None = None,
        stream: dict[str, Any] | None = None,
        failed: dict[str, str] | None = None,
        baselined: set[str] | frozenset[str] = frozenset(),
        error: str | None = None,
        exchanges: int = 1,
        violates: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """Add one case; ``failed`` maps check ids to their messages."""
        failed = failed or {}
        kind = "valid" if klass == "streaming" else klass
        expect = "reject" if klass == "invalid" else "accept"
        if body is None and body_summary is None:
            body = {"prompt": "Tell me about the history of Hello, World.", "max_tokens": 64}
            if klass == "streaming":
                body["stream"] = True
        if response is None and body_text is None and stream is None and error is None:
            response = _bad_input("oneOf at '/' not met") if expect == "reject" else _ok_body("Hello, World!")
        if klass == "streaming" and stream is None and error is None:
            stream = stream_record(token_events(["Hello", ",", " World", "!"]))
        total = (
            round(self.rng.lognormvariate(-0.9, 0.45), 4)
            if expect == "accept"
            else round(self.rng.uniform(0.004, 0.03), 4)
        )
        ttfb = round(min(total, self.rng.uniform(0.02, 0.12)), 4)
        ttfe = round(ttfb + 0.01, 4) if stream else None
        completion = self.rng.randint(8, 64) if expect == "accept" and not error else None
        tokens = (
            {"completion": completion, "per_second": round(completion / max(total - ttfb, 0.05), 1)}
            if completion
            else None
        )
        checks = {}
        for check_id, _severity, _description, _clause, classes in CHECKS:
            if klass not in classes:
                continue
            checks[check_id] = "failed" if check_id in failed else ("error" if error else "passed")
        outcome = "error" if error else ("failed" if failed else "passed")
        for check_id, message in failed.items():
            self.failures[check_id].append(
                {"case_id": case_id, "message": message, "baselined": check_id in baselined}
            )
            if check_id in baselined:
                self.accepted.append({"check": check_id, "case_id": case_id})
        record = {
            "request": {
                "method": "POST",
                "url": URL,
                "headers": dict(HEADERS),
                "body": body,
                "body_summary": body_summary,
            },
            "response": None
            if error
            else {
                "status": status,
                "headers": {"content-type": "text/event-stream" if stream else "application/json"},
                "content_type": "text/event-stream" if stream else "application/json",
                "body": None if stream else response,
                "body_text": body_text,
                "body_truncated": False,
                "stream": stream,
            },
            "error": error,
            "retries": 0,
            "timing": {"total_s": total, "ttfb_s": ttfb, "ttfe_s": ttfe},
        }
        case = {
            "id": case_id,
            "kind": kind,
            "class": klass,
            "label": label or case_id.split("/")[-1],
            "stream": klass == "streaming",
            "expect": expect,
            "violates": {"pointer": violates[0], "keyword": violates[1]} if violates else None,
            "outcome": outcome,
            "checks": checks,
            "timing": {"total_s": total, "ttfb_s": ttfb, "ttfe_s": ttfe},
            "tokens": tokens,
            "exchanges": [json.loads(json.dumps(record)) for _ in range(exchanges)],
        }
        self.cases.append(case)
        return case

    def build(self) -> dict[str, Any]:
        """The results dict, counts computed from what was added."""
        new = sum(not f["baselined"] for fs in self.failures.values() for f in fs)
        baselined = sum(f["baselined"] for fs in self.failures.values() for f in fs)
        checks = []
        for check_id, severity, description, clause, _classes in CHECKS:
            failures = self.failures[check_id]
            checked = sum(check_id in case["checks"] for case in self.cases)
            status = "failed" if any(not f["baselined"] for f in failures) else "passed"
            checks.append(
                {
                    "id": check_id,
                    "severity": severity,
                    "description": description,
                    "clause": clause,
                    "status": status if checked else "skipped",
                    "skip_reason": None if checked else "no case of its classes ran",
                    "cases_checked": checked,
                    "failures": failures,
                }
            )
        outcomes = [case["outcome"] for case in self.cases]
        verdict = "fail" if new else "pass"
        duration = round(sum(case["timing"]["total_s"] for case in self.cases) / 4, 1)
        return {
            "format": "workers-ai-conformance/results",
            "format_version": 1,
            "verdict": verdict,
            "exit_code": 1 if new else 0,
            "reason": None,
            "toolkit": {
                "version": "0.1.0",
                "schemas": {"input.json": "3f1c9a0e" * 8, "output.json": "b47d21c5" * 8},
            },
            "target": {
                "base_url": BASE_URL,
                "account_id": "X",
                "model": MODEL,
                "embedded": False,
                "auth": "bearer",
            },
            "profile": self.profile,
            "seed": self.seed,
            "strict": False,
            "started_at": "2026-11-23T21:00:00Z",
            "finished_at": "2026-11-23T21:01:10Z",
            "duration_s": duration,
            "counts": {
                "cases": len(self.cases),
                "requests": sum(len(c["exchanges"]) for c in self.cases),
                "retries": 0,
                "cases_passed": outcomes.count("passed"),
                "cases_failed": outcomes.count("failed"),
                "cases_error": outcomes.count("error"),
                "checks_passed": sum(c["status"] == "passed" for c in checks),
                "checks_failed": sum(c["status"] == "failed" for c in checks),
                "checks_skipped": sum(c["status"] == "skipped" for c in checks),
                "checks_error": 0,
                "failures": new + baselined,
                "new_failures": new,
                "baselined": baselined,
                "fixed": len(self.fixed),
            },
            "checks": checks,
            "cases": self.cases,
            "baseline": (
                {"path": "conformance-baseline.json", "accepted": self.accepted, "fixed": self.fixed}
                if self.accepted or self.fixed
                else None
            ),
        }


def _fill(run: Run, n: int) -> None:
    """Add ``n`` passing cases spread over the classes the way a standard profile does."""
    classes = ["valid"] * 5 + ["boundary"] * 2 + ["invalid"] * 2 + ["streaming"] * 2 + ["scenario"]
    for i in range(n):
        klass = classes[i % len(classes)]
        if klass == "invalid":
            run.case(
                f"invalid/temperature-{i}",
                klass,
                label="temperature above its maximum 5",
                body={"prompt": "x", "temperature": 5.5},
                status=400,
                violates=("/temperature", "maximum"),
            )
        else:
            run.case(f"{klass}/{i:05x}", klass, label=f"{klass} case {i}")


def passing_run(n: int = 48) -> dict[str, Any]:
    """A run where every case passes."""
    run = Run()
    _fill(run, n)
    return run.build()


XSS = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"


def failing_run() -> dict[str, Any]:
    """A run with every kind of failure the report must show."""
    run = Run()
    _fill(run, 36)
    run.case(
        "invalid/temperature-maximum",
        "invalid",
        label="temperature 5.5, above its maximum 5",
        body={"prompt": "x", "temperature": 5.5},
        status=500,
        response={
            "errors": [{"message": "internal error", "code": 1000}],
            "success": False,
            "result": None,
            "messages": [],
        },
        violates=("/temperature", "maximum"),
        failed={
            "status_code_conformance": "Received: 500\nExpected: never a 5xx; 4xx for a body that violates "
            "maximum at /temperature",
            "error_envelope_conformance": "Received: code 1000\nExpected: code 5006 (bad input)",
        },
    )
    words = [f" word{i}" for i in range(140)]
    run.case(
        "streaming/truncated",
        "streaming",
        label="stream of 140 tokens",
        stream=stream_record(token_events(words), done=False, broke_at="stream ended without data: [DONE]"),
        failed={
            "http_framing_conformance": "Received: the connection closed after 141 events, inside the "
            "chunked body\nExpected: the body's last chunk (0 CRLF CRLF)"
        },
    )
    events = token_events(["Hel", "lo"])
    events[1] = '{"response": "lo", '
    run.case(
        "streaming/not-json",
        "streaming",
        label="stream whose second event is cut",
        stream=stream_record(events, broke_at="event 1: not JSON: Expecting property name"),
        failed={
            "stream_framing_conformance": "Received: event 1 is not JSON\n"
            "Expected: every data line but [DONE] to be a JSON object"
        },
    )
    run.case(
        "valid/markup-in-response",
        "valid",
        label="response text with markup",
        response=_ok_body(XSS),
        failed={"result_conformance": f"Received: {XSS}\nExpected: a string"},
    )
    prompt_head = "😀" * 40
    run.case(
        "boundary/prompt-max-length",
        "boundary",
        label="prompt of 131072 emoji, its maxLength",
        body_summary={
            "bytes": 524302,
            "chars": 131086,
            "head": '{"prompt": "' + prompt_head,
            "tail": prompt_head + '"}',
            "note": "prompt: 131072 characters (maxLength)",
        },
        status=413,
        response={
            "errors": [{"message": "Request too large", "code": 3006}],
            "success": False,
            "result": {},
            "messages": [],
        },
        failed={"status_code_conformance": "Received: 413\nExpected: 200 for a schema-valid body"},
    )
    run.case(
        "valid/usage-off",
        "valid",
        label="usage that does not add up",
        failed={"usage_consistent": "Received: total_tokens 20\nExpected: 21 (12 + 9)"},
        baselined={"usage_consistent"},
    )
    run.case(
        "boundary/max-tokens-1",
        "boundary",
        label="max_tokens 1",
        body={"prompt": "Count to ten.", "max_tokens": 1},
        failed={"max_tokens_honoured": "Received: 9 completion tokens\nExpected: at most 1"},
        baselined={"max_tokens_honoured"},
    )
    run.case(
        "valid/timeout", "valid", label="a request that timed out", error="ReadTimeout: no response in 30 s"
    )
    run.case(
        "scenario/auth-missing",
        "scenario",
        label="no Authorization header",
        exchanges=2,
        status=200,
        failed={"auth_enforced": "Received: 200\nExpected: 401 or 403 without a token"},
    )
    run.fixed.append({"check": "max_tokens_honoured", "case_id": "boundary/max-tokens-0"})
    return run.build()


def large_run(n: int = 5000, *, failing_every: int = 97) -> dict[str, Any]:
    """``n`` cases, about one in ``failing_every`` failing, for size and speed measurements."""
    run = Run(profile="full")
    _fill(run, n)
    for i, case in enumerate(run.cases):
        if i % failing_every == 3 % failing_every and case["class"] in {"valid", "boundary"}:
            case["outcome"] = "failed"
            case["checks"]["usage_consistent"] = "failed"
            run.failures["usage_consistent"].append(
                {
                    "case_id": case["id"],
                    "message": "Received: total_tokens 20\nExpected: 21 (12 + 9)",
                    "baselined": False,
                }
            )
    return run.build()
