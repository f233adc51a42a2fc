"""Turns JSON Schema validation errors into one human sentence and a pointer.

jsonschema's own messages for a failed ``oneOf`` print the whole instance and
every branch; a report needs "``/temperature`` is 6, above the maximum of 5".
The walk below descends into ``oneOf`` branches the way a reader would: it
follows the branch the body evidently meant (the one whose required keys it
carries) and reports that branch's problems.

Lengths are counted in code points, as JSON Schema and Python's ``len`` do:
131072 emoji are a valid prompt although they are 262144 UTF-16 units.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported when something is explained, not before
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class Violation:
    """One reason an instance does not satisfy a schema.

    ``pointer`` is an RFC 6901 pointer into the instance (``""`` is the whole
    body, ``"/messages/0/role"`` a nested field); ``keyword`` is the JSON
    Schema keyword that failed (``maximum``, ``required``, ``oneOf`` ...).
    """

    pointer: str
    keyword: str
    message: str
    schema_path: str

    @property
    def where(self) -> str:
        """The pointer as a person reads it: ``/`` for the whole body."""
        return self.pointer or "/"

    def __str__(self) -> str:
        return self.message


def pointer_of(path: Iterable[str | int]) -> str:
    """RFC 6901 pointer for a sequence of keys and indexes: ``['a', 0]`` -> ``/a/0``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def violations_of(validator: Draft202012Validator, instance: Any) -> list[Violation]:
    """Every violation, most relevant first, with ``oneOf`` branches resolved."""
    found: list[Violation] = []
    # relevance sorts the best match last (jsonschema's best_match takes the max).
    for error in sorted(validator.iter_errors(instance), key=_relevance, reverse=True):
        found.extend(_leaves(error))
    return found


def _leaves(error: ValidationError) -> list[Violation]:
    if error.validator not in ("oneOf", "anyOf"):
        return [_violation(error, _sentence(error))]
    branches: Sequence[dict[str, Any]] = error.validator_value  # type: ignore[assignment]
    if not error.context:
        return [_violation(error, _several_branches_match(error, branches))]
    engaged = [i for i, branch in enumerate(branches) if _engages(error.instance, branch)]
    if not engaged:
        return [_violation(error, _no_branch_engaged(error, branches))]
    leaves: list[Violation] = []
    for index in engaged:
        branch_errors = [e for e in error.context if e.relative_schema_path[0] == index]
        for sub in sorted(branch_errors, key=_relevance, reverse=True):
            leaves.extend(_leaves(sub))
    return leaves


def _engages(instance: Any, branch: dict[str, Any]) -> bool:
    """Whether the instance evidently means this branch: it has a key the branch requires."""
    required = branch.get("required")
    if not required or not isinstance(instance, dict):
        return not required
    return any(key in instance for key in required)


def _branch_name(index: int, branch: dict[str, Any]) -> str:
    return str(branch.get("title") or f"branch {index}")


def _relevance(error: ValidationError) -> Any:
    from jsonschema.exceptions import relevance

    return relevance(error)


def _violation(error: ValidationError, message: str) -> Violation:
    return Violation(
        pointer=pointer_of(error.absolute_path),
        keyword=str(error.validator),
        message=message,
        schema_path=pointer_of(error.absolute_schema_path),
    )


def _place(error: ValidationError) -> str:
    pointer = pointer_of(error.absolute_path)
    return f"'{pointer}'" if pointer else "the body"


def _several_branches_match(error: ValidationError, branches: Sequence[dict[str, Any]]) -> str:
    from jsonschema import Draft202012Validator

    matching = [(i, b) for i, b in enumerate(branches) if Draft202012Validator(b).is_valid(error.instance)]
    names = " and ".join(_branch_name(i, b) for i, b in matching)
    keys = [k for _, b in matching for k in b.get("required", [])]
    advice = f" Send only one of {', '.join(repr(k) for k in keys)}." if keys else ""
    return (
        f"{_place(error).capitalize()} matches {len(matching)} branches of oneOf "
        f"({names}); exactly one must match.{advice}"
    )


def _no_branch_engaged(error: ValidationError, branches: Sequence[dict[str, Any]]) -> str:
    needs = "; ".join(
        f"{_branch_name(i, b)} needs {', '.join(repr(k) for k in b.get('required', []))}"
        for i, b in enumerate(branches)
    )
    return f"{_place(error).capitalize()} matches none of the branches of {error.validator}: {needs}."


def _brief(value: Any) -> str:
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    # The reader sent JSON, so show JSON (`true`, `null`, `["x"]`), not Python's repr.
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_SCHEMA_TYPES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
    "boolean": "a boolean",
    "null": "null",
}

_JSON_TYPES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def _sentence(error: ValidationError) -> str:
    where = _place(error)
    value: Any = error.instance
    limit: Any = error.validator_value
    match error.validator:
        case "maximum":
            return f"{where} is {_brief(value)}, above the maximum of {limit}."
        case "minimum":
            return f"{where} is {_brief(value)}, below the minimum of {limit}."
        case "exclusiveMaximum":
            return f"{where} is {_brief(value)}; it must be below {limit}."
        case "exclusiveMinimum":
            return f"{where} is {_brief(value)}; it must be above {limit}."
        case "maxLength":
            return f"{where} has {len(value)} characters (code points), more than the maximum of {limit}."
        case "minLength":
            return f"{where} has {len(value)} characters (code points), fewer than the minimum of {limit}."
        case "required":
            missing = [k for k in limit if isinstance(value, dict) and k not in value]
            names = ", ".join(repr(k) for k in missing) or repr(limit)
            noun = "property" if len(missing) == 1 else "properties"
            return f"{where.capitalize()} is missing the required {noun} {names}."
        case "type":
            got = _JSON_TYPES.get(type(value), type(value).__name__)
            types = [limit] if isinstance(limit, str) else list(limit)
            wanted = " or ".join(_SCHEMA_TYPES.get(name, name) for name in types)
            if isinstance(value, str) or value is None:
                shown = _brief(value)
            else:
                shown = f"{got} ({_brief(value)})"
            return f"{where.capitalize()} is {shown}, but the schema requires {wanted}."
        case "const":
            return f"{where.capitalize()} is {_brief(value)}; the schema requires exactly {limit!r}."
        case "enum":
            return f"{where.capitalize()} is {_brief(value)}, not one of {limit!r}."
        case _:
            return f"{where.capitalize()}: {error.message}."
