"""results.json, format version 2 (docs/results-format.md), built from a `RunResult`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.checks import Scenario
from conformance.checks.reading import reported_usage
from conformance.contract.bounded_json import read_json
from conformance.generation import Case
from conformance.runner._json_text import head, json_pieces, tail, utf8_size
from conformance.runner._verdict import toolkit_version
from conformance.runner.differences import Difference, Differences
from conformance.runner.results import CaseResult, CheckResult, RunResult
from conformance.transport import Exchange, StreamFacts

FORMAT = "workers-ai-conformance/results"
FORMAT_VERSION = 2
SUMMARISED_BODY_BYTES = 4 * 1024  # request bodies above this are summarised, not copied
MAX_BODY_TEXT = 64 * 1024
TRANSCRIPT_ENDS = 50


def results_document(result: RunResult) -> dict[str, Any]:
    """The results.json document as a JSON-ready dict."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "reason": result.reason,
        "stopped": result.stopped,
        "toolkit": {
            "version": toolkit_version(),
            "schema_version": result.schema.name,
            "schemas": result.schema.schema_hashes(),
        },
        "target": result.target,
        "profile": result.profile,
        "seed": result.seed,
        "strict": result.strict,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "duration_s": result.duration_s,
        "counts": result.counts,
        "checks": [_check(c) for c in result.checks],
        "cases": [_case(c) for c in result.cases],
        "baseline": None
        if result.baseline is None
        else {
            "path": result.baseline.path,
            "accepted": [{"check": c, "case_id": i} for c, i in result.baseline.accepted],
            "fixed": [{"check": c, "case_id": i} for c, i in result.baseline.fixed],
            "updated": result.baseline.updated,
        },
        "load": result.load,
        "differences": None if result.differences is None else _differences(result.differences),
    }


def write_results_json(result: RunResult, path: Path) -> Path:
    """Write results.json, with every secret of the run taken out of its values."""
    text = results_text(results_document(result.redacted()))
    # A target's JSON may hold a lone surrogate ("\ud800"): backslashreplace writes it back as
    # that same escape, which is still valid JSON, where strict UTF-8 would raise.
    path.write_text(text + "\n", encoding="utf-8", errors="backslashreplace")
    return path


def results_text(document: dict[str, Any]) -> str:
    """The document as results.json lays it out: a member per line, a check or case per line.

    json's C encoder runs only without ``indent`` (with it, a full run's file took
    0.1 s to encode in pure Python); a line per case still lets a reader grep
    and diff the file.

    >>> print(results_text({"verdict": "pass", "cases": [{"id": "a"}, {"id": "b"}], "load": None}))
    {
     "verdict": "pass",
     "cases": [
      {"id": "a"},
      {"id": "b"}
     ],
     "load": null
    }
    """

    def encode(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    members = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n  ".join(encode(item) for item in value)
            members.append(f"{encode(key)}: [\n  {items}\n ]")
        else:
            members.append(f"{encode(key)}: {encode(value)}")
    return "{\n " + ",\n ".join(members) + "\n}"


def _differences(found: Differences) -> dict[str, Any]:
    listed = [d for d in found.differences if d.standing != "noise"]
    return {
        "reference": found.reference,
        "noise_sample": found.noise_sample,
        "allowed": list(found.allowed),
        "strict_text": found.strict_text,
        "cases_compared": found.cases_compared,
        "texts": {"compared": found.texts_compared, "same": found.texts_same},
        "counts": found.counts(),
        "disagreements": [{**_difference(d), "accepted": d.standing == "accepted"} for d in listed],
        "noise": [_difference(d) for d in found.differences if d.standing == "noise"],
        "reference_exchanges": {
            case_id: [_exchange(e) for e in found.reference_exchanges.get(case_id, ())]
            for case_id in dict.fromkeys(d.case_id for d in listed)
        },
    }


def _difference(difference: Difference) -> dict[str, Any]:
    return {
        "case_id": difference.case_id,
        "exchange": difference.exchange,
        "class": difference.klass,
        "fact": difference.fact,
        "reference": difference.reference,
        "target": difference.target,
        "note": difference.note,
    }


def _check(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.check.id,
        "severity": check.check.severity,
        "description": check.check.description,
        "clause": check.check.clause,
        "status": check.status,
        "skip_reason": check.skip_reason,
        "cases_checked": check.cases_checked,
        "failures": [
            {"case_id": f.case_id, "message": f.message, "baselined": f.baselined} for f in check.failures
        ],
    }


def _case(result: CaseResult) -> dict[str, Any]:
    item = result.item
    first = result.exchanges[0] if result.exchanges else None
    document: dict[str, Any] = {
        "id": result.id,
        "kind": result.kind,
        "class": result.case_class,
        "label": item.label,
        "stream": item.stream,
        "expect": str(item.expect) if isinstance(item, Case) else "accept",
        "violates": (
            {"pointer": item.violates[0], "keyword": item.violates[1]}
            if isinstance(item, Case) and item.violates
            else None
        ),
        "outcome": result.outcome,
        "checks": dict(result.checks),
        "timing": _case_timing(result),
        "tokens": _tokens(first) if first is not None else None,
        "exchanges": [_exchange(e) for e in result.exchanges],
    }
    if result.error is not None:
        document["error"] = result.error  # additive: why a case could not be judged
    if isinstance(item, Scenario):
        document["expect"] = "reject" if all(r.auth != "token" for r in item.requests) else "accept"
        document["scenario_check"] = item.check  # additive
    return document


def _case_timing(result: CaseResult) -> dict[str, Any]:
    if not result.exchanges:
        return {"total_s": 0.0, "ttfb_s": None, "ttfe_s": None}
    first = result.exchanges[0].timing
    return {
        "total_s": round(sum(e.timing.total_s for e in result.exchanges), 4),
        "ttfb_s": _round(first.ttfb_s),
        "ttfe_s": _round(first.ttfe_s),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _tokens(exchange: Exchange) -> dict[str, Any] | None:
    usage = reported_usage(exchange) if exchange.status is not None and exchange.status < 300 else None
    completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
    if not isinstance(completion, int) or isinstance(completion, bool):
        return None
    seconds = exchange.timing.total_s
    return {"completion": completion, "per_second": round(completion / seconds, 2) if seconds > 0 else None}


def _exchange(exchange: Exchange) -> dict[str, Any]:
    document: dict[str, Any] = {
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "headers": exchange.request_headers,
            **_request_body(exchange.request_body),
        },
        "response": None if exchange.status is None else _response(exchange),
        "error": exchange.error,
        "retries": exchange.retries,
        "timing": {
            "total_s": round(exchange.timing.total_s, 4),
            "ttfb_s": _round(exchange.timing.ttfb_s),
            "ttfe_s": _round(exchange.timing.ttfe_s),
        },
    }
    if exchange.unanswered is not None:
        document["unanswered"] = exchange.unanswered  # additive: which wait ran out
    if exchange.retried:
        document["retried"] = [_response(r) for r in exchange.retried]  # additive: the answers retried
    return document


def _request_body(body: Any) -> dict[str, Any]:
    text = list(json_pieces(body))  # its JSON text, as the client sent it
    size = utf8_size(text)
    if size <= SUMMARISED_BODY_BYTES:
        return {"body": body, "body_summary": None}
    return {
        "body": None,
        "body_summary": {
            "bytes": size,
            "chars": sum(map(len, text)),
            "head": head(text, 200),
            "tail": tail(text, 200),
            "note": f"request body of {size} bytes summarised; the recording (--record) keeps it whole",
        },
    }


def _response(exchange: Exchange) -> dict[str, Any]:
    body: Any = None
    body_text: str | None = None
    truncated = exchange.body_truncated
    if exchange.stream is None:
        try:
            body = read_json(exchange.body) if len(exchange.body) <= MAX_BODY_TEXT else None
        except ValueError:
            body = None
        if body is None:
            text = exchange.text
            body_text = text[:MAX_BODY_TEXT] if text else None
            truncated = truncated or len(text) > MAX_BODY_TEXT
    return {
        "status": exchange.status,
        "headers": exchange.headers,
        "content_type": exchange.content_type,
        "body": body,
        "body_text": body_text,
        "body_truncated": truncated,
        "stream": None if exchange.stream is None else _stream(exchange.stream),
    }


def _stream(facts: StreamFacts) -> dict[str, Any]:
    indexed = list(enumerate(facts.events))
    truncated = len(indexed) > 2 * TRANSCRIPT_ENDS
    if truncated:
        indexed = indexed[:TRANSCRIPT_ENDS] + indexed[-TRANSCRIPT_ENDS:]
    return {
        "events": len(facts.events),
        "bytes": facts.bytes,
        "done": facts.done,
        "after_done": facts.after_done,
        "broke_at": facts.broke_at,
        "first_event_s": _round(facts.first_event_s),
        "transcript": [{"index": i, "data": d} for i, d in indexed],
        "transcript_truncated": truncated,
    }
