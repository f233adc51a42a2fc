"""Bodies and transcripts shortened for reading keep their length and both ends."""

from __future__ import annotations

import json

from conformance.report.bodies import pretty_json, request_body, response_body, transcript
from support.results_builder import stream_record, token_events


def test_short_bodies_are_indented_json() -> None:
    assert pretty_json({"prompt": "hi", "n": [1, 2]}) == json.dumps({"prompt": "hi", "n": [1, 2]}, indent=2)


def test_long_strings_keep_head_tail_and_length() -> None:
    text = pretty_json({"prompt": "a" * 100 + "b" * 130872 + "c" * 100})
    assert '"prompt": "' + "a" * 100 in text
    assert "c" * 60 + '" /* 131,072 chars (maxLength) */' in text
    assert len(text) < 400


def test_long_lists_keep_both_ends() -> None:
    text = pretty_json({"image": list(range(10_000))})
    assert "/* … 9,975 more items (10,000 in all) … */" in text
    assert "9999" in text and "5000" not in text


def test_placeholder_lookalikes_in_bodies_are_left_alone() -> None:
    assert "@@x-0@@" in pretty_json({"prompt": "@@x-0@@", "long": "z" * 500})


def test_request_body_views() -> None:
    assert request_body({"body": None}).kind == "none"
    assert request_body({"body": "not json"}).kind == "text"
    summary = request_body(
        {"body": None, "body_summary": {"bytes": 10, "chars": 9, "head": "ab", "tail": "yz"}}
    )
    assert summary.kind == "summary"
    assert summary.note == "Body summarised: 9 characters, 10 bytes."
    assert summary.text == "ab\n… middle left out …\nyz"


def test_response_body_views() -> None:
    assert response_body({"body": {"success": True}}).kind == "json"
    text = response_body({"body": None, "body_text": "<html>502</html>", "body_truncated": True})
    assert (text.kind, text.text, text.note) == (
        "text",
        "<html>502</html>",
        "Not JSON. Truncated by the runner.",
    )


def test_transcript_numbers_events_and_shows_gaps() -> None:
    view = transcript(stream_record(token_events([f"w{i}" for i in range(200)])))
    indexes = [row.index for row in view.rows if not isinstance(row, str)]
    assert indexes == list(range(50)) + list(range(152, 202))
    assert "… events 50 to 151 not kept …" in view.rows
    assert view.facts.startswith("202 events, ")
    assert not view.broke_at_end


def test_transcript_marks_the_event_it_broke_at() -> None:
    view = transcript(stream_record(["{}", "{", "{}"], broke_at="event 1: not JSON"))
    broken = [row for row in view.rows if not isinstance(row, str) and row.broke]
    assert [row.index for row in broken] == [1]
    assert not view.broke_at_end


def test_transcript_marks_a_break_after_the_last_event() -> None:
    view = transcript(stream_record(["{}"], done=False, broke_at="stream ended without data: [DONE]"))
    assert view.broke_at_end
    assert "no data: [DONE]" in view.facts
