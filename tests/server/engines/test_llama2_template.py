"""The Llama-2 chat template, rendered as text."""

from __future__ import annotations

from conformance.server.engines.base import ChatMessage
from conformance.server.engines.llama2_template import render, render_prompt


def test_prompt_is_one_user_turn() -> None:
    assert render_prompt("Hello") == "<s>[INST] Hello [/INST]"


def test_system_is_merged_into_the_first_user_turn() -> None:
    messages = [ChatMessage("system", "You are a friendly assistant"), ChatMessage("user", "Why?")]
    assert render(messages) == "<s>[INST] <<SYS>>\nYou are a friendly assistant\n<</SYS>>\n\nWhy? [/INST]"


def test_multi_turn_conversation_closes_answered_turns() -> None:
    messages = [
        ChatMessage("system", "S"),
        ChatMessage("user", "u1"),
        ChatMessage("assistant", "a1"),
        ChatMessage("user", "u2"),
    ]
    assert render(messages) == "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nu1 [/INST] a1 </s><s>[INST] u2 [/INST]"


def test_trailing_assistant_turn_is_left_open_for_continuation() -> None:
    messages = [ChatMessage("user", "u1"), ChatMessage("assistant", "The answer is")]
    assert render(messages) == "<s>[INST] u1 [/INST] The answer is"


def test_other_roles_are_user_turns_and_consecutive_turns_join() -> None:
    messages = [ChatMessage("user", "u1"), ChatMessage("tool", "42")]
    assert render(messages) == "<s>[INST] u1\n\n42 [/INST]"


def test_leading_assistant_and_empty_conversation_get_an_empty_user_turn() -> None:
    assert render([ChatMessage("assistant", "hi")]) == "<s>[INST]  [/INST] hi"
    assert render([]) == "<s>[INST]  [/INST]"


def test_extra_system_text_joins_the_system_prompt() -> None:
    rendered = render([ChatMessage("system", "S"), ChatMessage("user", "u")], extra_system="TOOLS")
    assert rendered == "<s>[INST] <<SYS>>\nS\n\nTOOLS\n<</SYS>>\n\nu [/INST]"
