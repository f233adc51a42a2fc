"""junit.xml text: whatever characters a target sent, the file stays XML 1.0."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.runner.junit import xml_text


def test_characters_xml_forbids_are_written_as_visible_escapes() -> None:
    hostile = "nul\x00 esc\x1b[2J bell\x07 lone\ud800 \ufffe"
    safe = xml_text(hostile)
    assert safe == "nul\\x00 esc\\x1b[2J bell\\x07 lone\\ud800 \\ufffe"
    element = ET.Element("failure", message=safe)
    element.text = safe
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.get("message") == safe and parsed.text == safe


def test_text_xml_can_hold_is_left_alone() -> None:
    text = "tab\t line\n cr\r é€😀 \u2028 <&>"
    assert xml_text(text) == text
