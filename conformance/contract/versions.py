"""The published versions of the model's schema, side by side; a run names the one it follows.

A `SchemaVersion` is a value: the CLI and the pytest plugin pick one by name
and pass it down to generation, checks, the OpenAPI document and the
reference server, so nothing changes globally and two versions can be judged
in one process. Each version's files live in ``schemas/`` (the page's, the
default) or ``schemas/versions/<name>/``; ``schemas/PROVENANCE.json`` says
where each came from.

>>> schema_version("docs-2025-01").declares_input("image")
False
>>> default_schema_version().name
'page-2024'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from conformance.contract import loading
from conformance.contract.validators import ContractValidator, validator_for
from conformance.errors import UsageError

DEFAULT_SCHEMA_VERSION = "page-2024"
"""The model page's version (the project's seed): what a run follows unless told otherwise."""


@dataclass(frozen=True)
class SchemaVersion:
    """One published version of the input and output schemas, by the name a user types.

    >>> version = schema_version("page-2024")
    >>> version.request_validator().is_valid({"prompt": "Hi", "image": [1, 2]})
    True
    """

    name: str
    input_file: str
    output_file: str
    published_file: str

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_SCHEMA_VERSION

    def input_schema(self) -> dict[str, Any]:
        """A fresh copy of this version's input schema."""
        return loading.load_schema(self.input_file)

    def output_schema(self) -> dict[str, Any]:
        """A fresh copy of this version's output schema."""
        return loading.load_schema(self.output_file)

    def request_validator(self) -> ContractValidator:
        """Judges request bodies against this version's input schema."""
        return validator_for(self.input_file)

    def result_validator(self) -> ContractValidator:
        """Judges a non-streamed ``result`` against this version's output schema."""
        return validator_for(self.output_file)

    def branches(self) -> dict[str, dict[str, Any]]:
        """The input schema's ``oneOf`` branches by title: ``Prompt`` and ``Messages``."""
        return _branches(self.input_file)

    def declares_input(self, key: str) -> bool:
        """Whether any input branch declares the top-level property ``key``."""
        return any(key in branch.get("properties", {}) for branch in self.branches().values())

    def result_object(self) -> dict[str, Any]:
        """The output schema's object branch: what a non-streamed ``result`` is."""
        return _result_object(self.output_file)

    def declares_output(self, key: str) -> bool:
        """Whether the result object declares ``key`` (``usage`` in later versions)."""
        return key in self.result_object().get("properties", {})

    def requires_output(self, key: str) -> bool:
        """Whether the result object lists ``key`` as required."""
        return key in self.result_object().get("required", ())

    def dropped_inputs(self) -> tuple[str, ...]:
        """Inputs another published version declares and this one does not, e.g. ``image``.

        The reference server refuses them when it serves this version, so a
        client built for the other version hears so instead of being ignored.
        """
        others = {
            key
            for version in schema_versions()
            for branch in version.branches().values()
            for key in branch.get("properties", {})
        }
        return tuple(sorted(key for key in others if not self.declares_input(key)))

    def schema_hashes(self) -> dict[str, str]:
        """sha256 of this version's input and output files, as results.json records them."""
        return {
            "input.json": hashlib.sha256(loading.read_bytes(self.input_file)).hexdigest(),
            "output.json": hashlib.sha256(loading.read_bytes(self.output_file)).hexdigest(),
        }

    def provenance(self) -> dict[str, Any]:
        """This version's entry in ``schemas/PROVENANCE.json``: date, summary, source, hashes."""
        entry: dict[str, Any] = _provenance()["versions"][self.name]
        return entry


PAGE_2024 = SchemaVersion("page-2024", loading.INPUT, loading.OUTPUT, "versions/page-2024/published.json")
DOCS_2025_01 = SchemaVersion(
    "docs-2025-01",
    "versions/docs-2025-01/input.json",
    "versions/docs-2025-01/output.json",
    "versions/docs-2025-01/published.json",
)
_VERSIONS = (PAGE_2024, DOCS_2025_01)


def schema_versions() -> tuple[SchemaVersion, ...]:
    """Every vendored version, oldest first."""
    return _VERSIONS


def default_schema_version() -> SchemaVersion:
    """The version a run follows unless told otherwise: the model page's."""
    return PAGE_2024


def schema_version(name: str | SchemaVersion | None) -> SchemaVersion:
    """The version called ``name`` (None: the default); a `UsageError` naming the choices otherwise.

    >>> schema_version("2025")
    Traceback (most recent call last):
    ...
    conformance.errors.UsageError: --schema-version='2025' is not one of page-2024, docs-2025-01
    """
    if isinstance(name, SchemaVersion):
        return name
    if name is None:
        return default_schema_version()
    for version in _VERSIONS:
        if version.name == name:
            return version
    names = ", ".join(v.name for v in _VERSIONS)
    raise UsageError(f"is not one of {names}", field="schema_version", value=name)


@cache
def _branches(input_file: str) -> dict[str, dict[str, Any]]:
    return {branch["title"]: branch for branch in loading.load_schema(input_file)["oneOf"]}


@cache
def _result_object(output_file: str) -> dict[str, Any]:
    (branch,) = [b for b in loading.load_schema(output_file)["oneOf"] if b.get("type") == "object"]
    return dict(branch)


@cache
def _provenance() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(loading.read_bytes("PROVENANCE.json"))
    return document
