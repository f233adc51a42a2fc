"""Tolerant reads from a results dict: a missing or mistyped optional field reads as absent.

The report renders whatever a runner wrote; a field it does not know, or one
an older runner left out, must never stop the page from rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def mapping(value: Any, key: str) -> Mapping[str, Any]:
    """``value[key]`` when both are mappings, else an empty mapping."""
    if isinstance(value, Mapping):
        found = value.get(key)
        if isinstance(found, Mapping):
            return found
    return {}


def items(value: Any, key: str) -> list[Mapping[str, Any]]:
    """The mappings in the list ``value[key]``; anything else is skipped."""
    if isinstance(value, Mapping):
        found = value.get(key)
        if isinstance(found, list):
            return [item for item in found if isinstance(item, Mapping)]
    return []


def text(value: Any, key: str, default: str = "") -> str:
    """``value[key]`` as a string; numbers are written out, null and others read as ``default``."""
    if isinstance(value, Mapping):
        found = value.get(key)
        if isinstance(found, str):
            return found
        if isinstance(found, bool):
            return "true" if found else "false"
        if isinstance(found, int | float):
            return str(found)
    return default


def number(value: Any, key: str) -> float | None:
    """``value[key]`` when it is a finite number (not a bool), else None."""
    if isinstance(value, Mapping):
        found = value.get(key)
        if isinstance(found, int | float) and not isinstance(found, bool) and found == found:
            if abs(found) != float("inf"):
                return float(found)
    return None


def integer(value: Any, key: str) -> int | None:
    """``value[key]`` when it is an integer (not a bool), else None."""
    if isinstance(value, Mapping):
        found = value.get(key)
        if isinstance(found, int) and not isinstance(found, bool):
            return found
    return None


def flag(value: Any, key: str) -> bool:
    """``value[key] is True``."""
    return isinstance(value, Mapping) and value.get(key) is True
