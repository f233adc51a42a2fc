"""SchemaVersion: each vendored version by name, read from its own files, chosen per call, never globally."""

from __future__ import annotations

import pytest

from conformance.contract import (
    DEFAULT_SCHEMA_VERSION,
    default_schema_version,
    request_validator,
    result_validator,
    schema_version,
    schema_versions,
)
from conformance.errors import UsageError

PAGE, LATER = schema_version("page-2024"), schema_version("docs-2025-01")


def test_the_default_is_the_pages_version_and_reads_the_files_the_rest_of_the_toolkit_reads() -> None:
    assert default_schema_version() is PAGE and DEFAULT_SCHEMA_VERSION == "page-2024"
    assert schema_version(None) is PAGE and schema_version(LATER) is LATER
    assert PAGE.request_validator() is request_validator()
    assert PAGE.result_validator() is result_validator()
    assert [v.name for v in schema_versions()] == ["page-2024", "docs-2025-01"]


def test_an_unknown_name_is_a_usage_error_naming_every_version() -> None:
    message = r"^--schema-version='latest' is not one of page-2024, docs-2025-01$"
    with pytest.raises(UsageError, match=message):
        schema_version("latest")


def test_both_versions_are_judged_side_by_side_in_one_process() -> None:
    with_image = {"prompt": "Hi", "image": "not base64 but a string"}
    wrong_usage = {"response": "hi", "usage": {"total_tokens": "three"}}
    assert PAGE.request_validator().is_valid(with_image)
    # Undeclared in the later version, so any value is an allowed extra key there too.
    assert LATER.request_validator().is_valid(with_image)
    assert PAGE.result_validator().is_valid(wrong_usage)
    assert not LATER.result_validator().is_valid(wrong_usage)
    assert PAGE.request_validator().is_valid({"prompt": "Hi", "image": [1, 2]})


def test_what_each_version_declares() -> None:
    assert PAGE.declares_input("image") and not LATER.declares_input("image")
    assert LATER.declares_output("usage") and not LATER.requires_output("usage")
    assert not PAGE.declares_output("usage")
    assert LATER.dropped_inputs() == ("image",) and PAGE.dropped_inputs() == ()
    assert set(PAGE.branches()) == set(LATER.branches()) == {"Prompt", "Messages"}


def test_provenance_and_hashes_are_per_version() -> None:
    assert PAGE.provenance()["source"]["commit"].startswith("1db3529d")
    assert LATER.provenance()["source"]["commit"].startswith("a7f17ac1")
    assert PAGE.schema_hashes().keys() == {"input.json", "output.json"}
    assert PAGE.schema_hashes()["input.json"] != LATER.schema_hashes()["input.json"]
