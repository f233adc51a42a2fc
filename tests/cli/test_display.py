"""Terminal lines: a target's bytes are shown escaped, never sent to the terminal raw."""

from __future__ import annotations

from conformance.cli._display import printable


def test_control_characters_and_lone_surrogates_are_escaped() -> None:
    assert printable("red\x1b[31m clear\x1b[2J nul\x00 lone\ud800") == (
        "red\\x1b[31m clear\\x1b[2J nul\\x00 lone\\ud800"
    )
    printable("lone\ud800").encode("utf-8")  # encodable: printing it cannot raise


def test_printable_text_is_left_alone() -> None:
    assert printable("PASS: é€😀 'quoted'") == "PASS: é€😀 'quoted'"
