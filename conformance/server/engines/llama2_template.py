"""The Llama-2 chat template as text, the way Meta's reference code renders it.

``<s>[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n{user} [/INST] {answer} </s><s>[INST] {user2} [/INST]``

Rendered to a string (not through a tokenizer's Jinja template) so every
engine formats the same conversation identically; ``<s>`` and ``</s>`` are
special tokens that the tokenizer maps to BOS and EOS.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.server.engines.base import ChatMessage

BOS = "<s>"
EOS = "</s>"
_INST, _END_INST = "[INST]", "[/INST]"
_SYS, _END_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"


def render(messages: Sequence[ChatMessage], *, extra_system: str = "") -> str:
    """The prompt text for a conversation, ending where the assistant's next answer begins.

    System messages (wherever they appear) are joined and merged into the
    first user turn. Roles other than ``system`` and ``assistant`` (``user``,
    ``tool`` or anything else the schema lets through) are user turns;
    consecutive turns of one side are joined with a blank line. A conversation
    that ends with an assistant turn is left open so the model continues it.

    >>> render([ChatMessage("system", "Be brief."), ChatMessage("user", "Hi")])
    '<s>[INST] <<SYS>>\\nBe brief.\\n<</SYS>>\\n\\nHi [/INST]'
    """
    systems = [m.content for m in messages if m.role == "system"]
    if extra_system:
        systems.append(extra_system)
    turns: list[tuple[str, list[str]]] = []
    for message in messages:
        if message.role == "system":
            continue
        side = "assistant" if message.role == "assistant" else "user"
        if turns and turns[-1][0] == side:
            turns[-1][1].append(message.content)
        else:
            turns.append((side, [message.content]))
    if not turns or turns[0][0] == "assistant":
        turns.insert(0, ("user", [""]))
    system = "\n\n".join(systems)

    parts: list[str] = []
    for index in range(0, len(turns), 2):
        user = "\n\n".join(turns[index][1])
        if index == 0 and system:
            user = f"{_SYS}{system}{_END_SYS}{user}"
        parts.append(f"{BOS}{_INST} {user.strip()} {_END_INST}")
        if index + 1 < len(turns):
            answer = "\n\n".join(turns[index + 1][1])
            last = index + 2 >= len(turns)
            parts.append(f" {answer.strip()}" if last else f" {answer.strip()} {EOS}")
    return "".join(parts)


def render_prompt(prompt: str, *, extra_system: str = "") -> str:
    """A bare ``prompt`` as one user turn: ``<s>[INST] {prompt} [/INST]``."""
    return render([ChatMessage("user", prompt)], extra_system=extra_system)
