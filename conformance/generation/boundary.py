"""The boundary catalogue: valid bodies built at every edge of the input schema.

Built, not drawn: Hypothesis cannot draw strings near 131072 code points, and
edges found by chance are found in some runs and not in others. Numeric
bounds are read from the vendored schema; the rest (lengths, variants,
awkward unicode) is listed here because the schema cannot say what is
awkward. Every case is valid, so every case expects 2xx.

Names: a Prompt-branch case has a plain name (``boundary/seed-max``); the same
edge in the Messages branch is prefixed (``boundary/messages-seed-max``); a
streamed variant ends in ``-stream``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from conformance.contract import MAX_CONTENT_CHARS, SchemaVersion, schema_version
from conformance.generation._examples import (
    FUNCTION,
    IMAGE_BYTES,
    IMAGE_STRING,
    MESSAGE,
    PROMPT,
    TOOL_FLAT,
    TOOL_OPENAI,
    Body,
    messages_body,
    prompt_body,
)
from conformance.generation.cases import Case, CaseKind, body_tags

ASTRAL = "\U0001f600"
"""GRINNING FACE: one code point, two UTF-16 units, four UTF-8 bytes."""

AWKWARD_TEXT = {
    "line-separator": ("U+2028 and U+2029", "one\u2028two\u2029three"),
    "next-line": ("U+0085 NEXT LINE", "one\u0085two"),
    "nul": ("a NUL character", "one\x00two"),
    "combining-mark": ("lone combining marks with no base", "\u0301\u0308 marks first, then a\u0301"),
    "rtl": (
        "right-to-left text and a bidi override",
        "\u0645\u0631\u062d\u0628\u0627 \u202eabc\u202c \u05e9\u05dc\u05d5\u05dd",
    ),
    "crlf": ("CR, LF and CRLF line ends", "one\rtwo\nthree\r\nfour"),
    "bom": ("a byte-order mark and U+FFFF", "\ufeffone\uffff"),
    "emoji-zwj": ("an emoji zero-width-joiner sequence", "\U0001f469\u200d\U0001f469\u200d\U0001f467"),
    "control": ("C0 control characters and DEL", "one\x01two\x08three\x1bfour\x7f"),
}
"""Text that breaks naive parsers: str.splitlines() splits on U+2028, U+0085 and CR."""

ROLES = ("system", "user", "assistant", "tool")

STREAMED = (
    "prompt-length-1-ascii",
    "prompt-length-max-astral",
    "max_tokens-zero",
    "raw-true",
    "unicode-line-separator",
    "messages-all-roles",
    "messages-tools-flat",
    "messages-tools-openai",
    "messages-functions",
    "messages-unicode-next-line",
    "messages-content-length-max-ascii",
)
"""Cases repeated with ``"stream": true``: the stream is judged separately from JSON."""


def boundary_cases(schema: SchemaVersion | str | None = None) -> list[Case]:
    """Every boundary case of a schema version (the page's by default), in a fixed order.

    The same list on every call and machine. An option the version does not
    declare (``image`` in ``docs-2025-01``) has no cases.

    >>> [c.id for c in boundary_cases()][:2]
    ['boundary/prompt-minimal', 'boundary/messages-minimal']
    """
    version = schema_version(schema)
    built = list(_all(version))
    by_name = {case.id.removeprefix("boundary/"): case for case in built}
    streamed = [_streamed(name, by_name[name]) for name in STREAMED if name in by_name]
    return built + streamed


def _case(name: str, label: str, body: Any) -> Case:
    # Bodies share the example values; each case gets a body of its own.
    body = copy.deepcopy(body)
    return Case.build(CaseKind.BOUNDARY, name, label, body, tags=body_tags(body))


def _streamed(name: str, case: Case) -> Case:
    return _case(f"{name}-stream", f"{case.label}; streamed", {**case.body, "stream": True})


_BRANCHES = (("", "Prompt", prompt_body), ("messages-", "Messages", messages_body))


def _declares(version: SchemaVersion, title: str, key: str) -> bool:
    return key in version.branches()[title].get("properties", {})


def _all(version: SchemaVersion) -> Iterator[Case]:
    yield _case("prompt-minimal", "only 'prompt': max_tokens defaults to 256", {"prompt": PROMPT})
    yield _case(
        "messages-minimal",
        "only 'messages', one user message: max_tokens defaults to 256",
        {"messages": [MESSAGE]},
    )
    yield _case("stream-prompt", "a Prompt body streamed", prompt_body(stream=True))
    yield _case("stream-messages", "a Messages body streamed", messages_body(stream=True))
    yield _case("stream-false", "'stream' false, stated", prompt_body(stream=False))
    yield from _numeric_bounds(version)
    yield from _max_tokens(version)
    yield from _lengths()
    yield from _messages()
    yield from _tools(version)
    yield from _images(version)
    if _declares(version, "Prompt", "raw"):
        yield _case(
            "raw-true",
            "'raw' true: no chat template",
            prompt_body(prompt=f"[INST] {PROMPT} [/INST]", raw=True),
        )
    if _declares(version, "Prompt", "lora"):
        yield _case(
            "lora", "'lora' names an adapter (any string is schema-valid)", prompt_body(lora="my-adapter")
        )
    yield from _unicode()
    yield from _every_option(version)


def _numeric_bounds(version: SchemaVersion) -> Iterator[Case]:
    """Each ``minimum`` and ``maximum`` in the schema, hit exactly, in both branches."""
    branches = version.branches()
    for prefix, title, build in _BRANCHES:
        for name, sub in branches[title]["properties"].items():
            for keyword, end in (("minimum", "min"), ("maximum", "max")):
                if keyword in sub:
                    value = sub[keyword]
                    label = f"{name} at its {keyword} ({value}), {title} branch"
                    yield _case(f"{prefix}{name}-{end}", label, build(**{name: value}))


def _max_tokens(version: SchemaVersion) -> Iterator[Case]:
    """``max_tokens`` has no bounds; ``integer`` admits integral floats."""
    for prefix, title, build in _BRANCHES:
        yield _case(
            f"{prefix}max_tokens-zero", f"max_tokens 0 (schema-valid), {title} branch", build(max_tokens=0)
        )
        yield _case(
            f"{prefix}max_tokens-negative",
            f"max_tokens -1 (schema-valid), {title} branch",
            build(max_tokens=-1),
        )
        for name in ("max_tokens", "top_k", "seed"):
            if not _declares(version, title, name):
                continue
            yield _case(
                f"{prefix}{name}-integral-float",
                f"{name} 5.0: JSON Schema's integer admits integral floats, {title} branch",
                build(**{name: 5.0}),
            )


def _lengths() -> Iterator[Case]:
    """Lengths 1 and 131072 in code points, as JSON Schema counts them."""
    texts = {
        "1-ascii": ("1 ASCII character", "a"),
        "1-astral": ("1 astral-plane character (2 UTF-16 units)", ASTRAL),
        "max-ascii": (f"{MAX_CONTENT_CHARS} ASCII characters", "a" * MAX_CONTENT_CHARS),
        "max-2byte": (
            f"{MAX_CONTENT_CHARS} two-byte characters ({2 * MAX_CONTENT_CHARS} UTF-8 bytes)",
            "\u00e9" * MAX_CONTENT_CHARS,
        ),
        "max-3byte": (
            f"{MAX_CONTENT_CHARS} three-byte characters ({3 * MAX_CONTENT_CHARS} UTF-8 bytes)",
            "\u20ac" * MAX_CONTENT_CHARS,
        ),
        "max-astral": (
            f"{MAX_CONTENT_CHARS} astral-plane characters ({2 * MAX_CONTENT_CHARS} UTF-16 units)",
            ASTRAL * MAX_CONTENT_CHARS,
        ),
    }
    for suffix, (what, text) in texts.items():
        yield _case(f"prompt-length-{suffix}", f"prompt of {what}", prompt_body(prompt=text))
    for suffix, (what, text) in texts.items():
        body = messages_body(messages=[{"role": "user", "content": text}])
        yield _case(f"messages-content-length-{suffix}", f"message content of {what}", body)
    body = messages_body(messages=[{"role": "user", "content": ""}])
    yield _case("messages-content-empty", "empty message content (content has no minLength)", body)


def _messages() -> Iterator[Case]:
    yield _case(
        "messages-empty", "an empty messages array (the schema sets no minItems)", messages_body(messages=[])
    )
    for role in ROLES:
        body = messages_body(messages=[{"role": role, "content": PROMPT}])
        yield _case(f"messages-role-{role}", f"a single message with role {role!r}", body)
    for name, role, why in (
        ("unlisted", "narrator", "a role the description does not name"),
        ("empty", "", ""),
    ):
        body = messages_body(messages=[{"role": role, "content": PROMPT}])
        yield _case(
            f"messages-role-{name}", f"role {role!r}: {why or 'the empty string'}; role is any string", body
        )
    conversation = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "What is the weather in Lisbon?"},
        {"role": "assistant", "content": "Checking."},
        {"role": "tool", "content": '{"temperature_c": 21}'},
        {"role": "user", "content": PROMPT},
    ]
    yield _case(
        "messages-all-roles",
        "a conversation using system, user, assistant and tool",
        messages_body(messages=conversation),
    )
    turns = [{"role": ("user", "assistant")[i % 2], "content": f"Turn {i}."} for i in range(63)]
    yield _case("messages-many", "64 messages in one conversation", messages_body(messages=[*turns, MESSAGE]))


def _tools(version: SchemaVersion) -> Iterator[Case]:
    if not _declares(version, "Messages", "tools"):
        yield from _functions(version)
        return
    yield _case(
        "messages-tools-flat",
        "a tool of the flat variant {name, description, parameters}",
        messages_body(tools=[TOOL_FLAT]),
    )
    yield _case(
        "messages-tools-openai",
        "a tool of the OpenAI-style variant {type, function}",
        messages_body(tools=[TOOL_OPENAI]),
    )
    yield _case(
        "messages-tools-mixed",
        "one tool of each variant in one array",
        messages_body(tools=[TOOL_FLAT, TOOL_OPENAI]),
    )
    yield _case("messages-tools-empty", "an empty tools array", messages_body(tools=[]))
    # A member one variant does not describe is junk there, even when it is the
    # other variant's key: a server that picks the variant by key presence
    # reads a flat tool with a `function` member as the nested variant.
    yield _case(
        "messages-tools-junk-members",
        "each tool variant carrying the other variant's key as an undescribed member",
        messages_body(tools=[{**TOOL_FLAT, "function": {"parameters": True}}, {**TOOL_OPENAI, "name": 7}]),
    )
    yield from _functions(version)


def _functions(version: SchemaVersion) -> Iterator[Case]:
    if _declares(version, "Messages", "functions"):
        yield _case(
            "messages-functions", "a functions item {name, code}", messages_body(functions=[FUNCTION])
        )


def _images(version: SchemaVersion) -> Iterator[Case]:
    for prefix, title, build in _BRANCHES:
        if not _declares(version, title, "image"):
            continue
        yield _case(
            f"{prefix}image-bytes",
            f"image as an array of byte values, {title} branch",
            build(image=IMAGE_BYTES),
        )
        yield _case(
            f"{prefix}image-string",
            f"image as a binary (base64) string, {title} branch",
            build(image=IMAGE_STRING),
        )
    if _declares(version, "Prompt", "image"):
        yield _case("image-bytes-empty", "image as an empty array", prompt_body(image=[]))


def _unicode() -> Iterator[Case]:
    for name, (what, text) in AWKWARD_TEXT.items():
        yield _case(
            f"unicode-{name}", f"prompt containing {what}", prompt_body(prompt=f"Repeat exactly: {text}")
        )
    for name, (what, text) in AWKWARD_TEXT.items():
        body = messages_body(messages=[{"role": "user", "content": f"Repeat exactly: {text}"}])
        yield _case(f"messages-unicode-{name}", f"message content containing {what}", body)


def _every_option(version: SchemaVersion) -> Iterator[Case]:
    shared: Body = {
        "temperature": 0.6,
        "top_p": 0.9,
        "top_k": 40,
        "seed": 42,
        "repetition_penalty": 1.1,
        "frequency_penalty": 0.5,
        "presence_penalty": 0.5,
        "stream": False,
    }
    # lora stays out: a server may refuse an adapter it has not loaded (405,
    # 5005), and that refusal would hide every other option. boundary/lora
    # exercises it alone.
    prompt_extra: Body = {"image": IMAGE_BYTES, "raw": False}
    messages_extra: Body = {"image": IMAGE_STRING, "tools": [TOOL_FLAT, TOOL_OPENAI], "functions": [FUNCTION]}
    yield _case(
        "prompt-every-option",
        "every optional field of the Prompt branch at once, lora aside",
        prompt_body(**_only_declared(version, "Prompt", {**shared, **prompt_extra})),
    )
    yield _case(
        "messages-every-option",
        "every optional field of the Messages branch at once",
        messages_body(**_only_declared(version, "Messages", {**shared, **messages_extra})),
    )


def _only_declared(version: SchemaVersion, title: str, fields: Body) -> Body:
    return {key: value for key, value in fields.items() if _declares(version, title, key)}
