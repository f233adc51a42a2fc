"""What changed between two schema versions: every keyword added, removed or changed, by JSON pointer.

`SchemaDiff.of(old, new)` lists the raw changes and says them in words a
person can act on, one sentence per change, the same change in several
``oneOf`` branches said once::

    input: `image` removed from both branches (Prompt, Messages)
    output: `usage` added to the object branch, not required (type object; properties ...)

A property added or removed is one change (its sub-schema is not walked);
``required`` lists are compared as sets, so a reordering is no change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from conformance.contract.explain import pointer_of
from conformance.contract.versions import SchemaVersion

Kind = Literal["added", "removed", "changed"]
Part = Literal["input", "output"]


@dataclass(frozen=True)
class SchemaChange:
    """One keyword that differs between two versions of the input or output schema.

    ``pointer`` points at the keyword (``/oneOf/0/properties/image``) in the
    older schema for a removal and in the newer one otherwise.
    """

    part: Part
    kind: Kind
    pointer: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class SchemaDiff:
    """The input and output schemas of two versions and every change between them.

    >>> from conformance.contract.versions import schema_version
    >>> diff = SchemaDiff.of(schema_version("page-2024"), schema_version("docs-2025-01"))
    >>> [c.pointer for c in diff.changes]
    ['/oneOf/0/properties/image', '/oneOf/1/properties/image', '/oneOf/0/properties/usage']
    >>> diff.sentences()[0]
    'input: `image` removed from both branches (Prompt, Messages)'
    """

    schemas: dict[str, tuple[dict[str, Any], dict[str, Any]]]
    changes: tuple[SchemaChange, ...]

    @classmethod
    def of(cls, old: SchemaVersion, new: SchemaVersion) -> SchemaDiff:
        """The diff from version ``old`` to version ``new``."""
        return cls.between(old.input_schema(), new.input_schema(), old.output_schema(), new.output_schema())

    @classmethod
    def between(
        cls,
        old_input: dict[str, Any],
        new_input: dict[str, Any],
        old_output: dict[str, Any],
        new_output: dict[str, Any],
    ) -> SchemaDiff:
        """The diff between two pairs of schemas (input, output), whatever their source."""
        schemas = {
            "input": (_clean(old_input), _clean(new_input)),
            "output": (_clean(old_output), _clean(new_output)),
        }
        changes = [c for part, (a, b) in schemas.items() for c in _walk(part, a, b, ())]  # type: ignore[arg-type]
        return cls(schemas, tuple(changes))

    def sentences(self) -> list[str]:
        """One sentence per change, grouped across ``oneOf`` branches; empty when nothing changed."""
        return _describe(self.schemas, self.changes)


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    # `$comment` and `$id` are ours (the page's output.json carries one), not the publisher's.
    return {k: v for k, v in schema.items() if k not in ("$comment", "$id")}


def _walk(part: Part, old: Any, new: Any, path: tuple[str | int, ...]) -> Iterator[SchemaChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            where = (*path, key)
            if key not in new:
                yield SchemaChange(part, "removed", pointer_of(where), before=old[key])
            elif key not in old:
                yield SchemaChange(part, "added", pointer_of(where), after=new[key])
            elif key == "required" and isinstance(old[key], list) and isinstance(new[key], list):
                if set(old[key]) != set(new[key]):
                    yield SchemaChange(part, "changed", pointer_of(where), old[key], new[key])
            else:
                yield from _walk(part, old[key], new[key], where)
    elif (
        isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new)
        and all(isinstance(item, dict) for item in [*old, *new])
    ):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _walk(part, a, b, (*path, index))
    elif old != new or type(old) is not type(new):
        yield SchemaChange(part, "changed", pointer_of(path), old, new)


def _describe(
    schemas: dict[str, tuple[dict[str, Any], dict[str, Any]]], changes: tuple[SchemaChange, ...]
) -> list[str]:
    # The same change in several branches (image removed from Prompt and from
    # Messages) is one sentence naming the branches.
    groups: dict[tuple[str, str, str, bool], list[str]] = {}
    for change in changes:
        before, after = schemas[change.part]
        segments = [_segment(s) for s in change.pointer.split("/")[1:]]
        branch, rest = _branch(change.part, before if change.kind == "removed" else after, segments)
        what, tail, is_property = _sentence(change, rest, after)
        groups.setdefault((change.part, what, tail, is_property), [])
        if branch:
            groups[(change.part, what, tail, is_property)].append(branch)
    lines = []
    for (part, what, tail, is_property), branches in groups.items():
        count = max(len(schemas[part][0].get("oneOf", ())), len(schemas[part][1].get("oneOf", ())))
        where = _where(what, branches, count) if is_property else _in_branches(branches, count)
        lines.append(f"{part}: {what}{where}{tail}")
    return lines


def _segment(text: str) -> str | int:
    text = text.replace("~1", "/").replace("~0", "~")
    return int(text) if text.isdigit() else text


def _branch(part: str, schema: dict[str, Any], segments: list[str | int]) -> tuple[str, list[str | int]]:
    """The top-level ``oneOf`` branch a pointer is in, by name, and the rest of the pointer."""
    if len(segments) >= 2 and segments[0] == "oneOf" and isinstance(segments[1], int):
        branch = schema.get("oneOf", [])[segments[1]]
        if part == "output":
            name = "object" if branch.get("type") == "object" else str(branch.get("contentType", "string"))
        else:
            name = str(branch.get("title", f"branch {segments[1] + 1}"))
        return name, segments[2:]
    return "", segments


def _location(segments: list[str | int]) -> str:
    """``properties/messages/items/properties/content`` read as ``messages[].content``."""
    words: list[str] = []
    index = 0
    while index < len(segments):
        segment = segments[index]
        if segment in ("properties", "additionalProperties") and index + 1 < len(segments):
            if segment == "additionalProperties":
                words.append("*")
                index += 1
                continue
            words.append(str(segments[index + 1]))
            index += 2
            continue
        if segment == "items":
            words[-1:] = [(words[-1] if words else "") + "[]"]
        elif segment == "oneOf" and index + 1 < len(segments):
            words.append(f"oneOf[{segments[index + 1]}]")
            index += 1
        else:
            words.append(str(segment))
        index += 1
    return ".".join(words)


def _sentence(
    change: SchemaChange, rest: list[str | int], new_schema: dict[str, Any]
) -> tuple[str, str, bool]:
    """What changed, what follows the branches, and whether it is a property added or removed."""
    if len(rest) >= 2 and rest[-2] == "properties" and change.kind != "changed":
        name = f"`{_location(rest)}`"
        if change.kind == "removed":
            return f"{name} removed", "", True
        parent = _node(new_schema, change.pointer.split("/")[1:-2])
        required = isinstance(parent, dict) and rest[-1] in parent.get("required", ())
        return f"{name} added", f", {'required' if required else 'not required'}{_shape(change.after)}", True
    keyword = str(rest[-1]) if rest else "(root)"
    owner = _location(rest[:-1])
    at = f"`{owner}`: " if owner else ""
    if keyword == "required":
        before, after = set(change.before or ()), set(change.after or ())
        words = []
        if after - before:
            words.append(", ".join(f"`{k}`" for k in sorted(after - before)) + " now required")
        if before - after:
            words.append(", ".join(f"`{k}`" for k in sorted(before - after)) + " no longer required")
        return at + " and ".join(words), "", False
    if keyword == "description":
        return f"{at}description {change.kind}", "", False
    if change.kind == "added":
        return f"{at}`{keyword}` {_short(change.after)} added", "", False
    if change.kind == "removed":
        return f"{at}`{keyword}` {_short(change.before)} removed", "", False
    return f"{at}`{keyword}` changed from {_short(change.before)} to {_short(change.after)}", "", False


def _node(schema: Any, segments: list[str]) -> Any:
    for segment in (_segment(s) for s in segments):
        schema = schema[segment]
    return schema


def _shape(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    bits = []
    if "type" in schema:
        bits.append(f"type {schema['type']}")
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        bits.append("properties " + ", ".join(properties))
    return f" ({'; '.join(bits)})" if bits else ""


def _where(what: str, branches: list[str], count: int) -> str:
    """`` from both branches (Prompt, Messages)``, `` to the object branch``."""
    if not branches:
        return ""
    preposition = " from" if what.endswith("removed") else " to"
    if len(branches) == count > 1:
        both = "both branches" if count == 2 else "every branch"
        return f"{preposition} {both} ({', '.join(branches)})"
    names = " and ".join(branches)
    return f"{preposition} the {names} branch{'es' if len(branches) > 1 else ''}"


def _in_branches(branches: list[str], count: int) -> str:
    """`` (both branches: Prompt, Messages)``, `` (Prompt branch)``."""
    if not branches:
        return ""
    if len(branches) == count > 1:
        both = "both branches" if count == 2 else "every branch"
        return f" ({both}: {', '.join(branches)})"
    return f" ({' and '.join(branches)} branch{'es' if len(branches) > 1 else ''})"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
