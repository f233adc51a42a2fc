"""The vendored schemas: equal to what the model page publishes, pinned, packaged."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from conformance.contract import SCHEMA_FILES, load_schema, read_bytes
from conformance.contract.seed import extract_input_schema
from conformance.errors import ContractError

ROOT = Path(__file__).resolve().parents[1]
SEED_PAGE = ROOT.parent / "shared" / "seed" / "workers-ai-llama-2-13b-chat-awq.txt"
PROVENANCE = json.loads((ROOT / "schemas" / "PROVENANCE.json").read_text())


@pytest.mark.skipif(not SEED_PAGE.exists(), reason="the seed page lives in ../shared beside the checkout")
def test_vendored_input_schema_equals_the_seed_pages_json() -> None:
    published = extract_input_schema(SEED_PAGE.read_text(encoding="utf-8"))
    assert json.loads(read_bytes("input.json")) == published


@pytest.mark.skipif(not SEED_PAGE.exists(), reason="the seed page lives in ../shared beside the checkout")
def test_provenance_records_the_seed_page_it_was_taken_from() -> None:
    seed_sha = hashlib.sha256(SEED_PAGE.read_bytes()).hexdigest()
    assert PROVENANCE["files"]["input.json"]["seed_sha256"] == seed_sha


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_vendored_file_matches_its_pinned_hash(name: str) -> None:
    # An edit to a vendored schema must come with an edit to PROVENANCE.json.
    assert hashlib.sha256(read_bytes(name)).hexdigest() == PROVENANCE["files"][name]["sha256"]


def test_every_vendored_file_has_provenance() -> None:
    # openapi.json is generated from these files (tests/test_openapi.py keeps it current).
    on_disk = {p.name for p in (ROOT / "schemas").glob("*.json")} - {"PROVENANCE.json", "openapi.json"}
    assert on_disk == set(SCHEMA_FILES) == set(PROVENANCE["files"])


def test_sibling_references_are_inlined() -> None:
    usage = load_schema("stream-event.json")["properties"]["usage"]
    assert "$ref" not in json.dumps(usage)
    assert usage["required"] == ["prompt_tokens", "completion_tokens", "total_tokens"]


def test_output_schema_is_the_published_oneof_of_object_and_event_stream() -> None:
    branches = load_schema("output.json")["oneOf"]
    assert branches[0]["type"] == "object"
    assert set(branches[0]["properties"]) == {"response", "tool_calls"}
    assert branches[1] == {"type": "string", "contentType": "text/event-stream", "format": "binary"}


def test_unknown_schema_name_is_a_contract_error() -> None:
    with pytest.raises(ContractError, match="missing"):
        read_bytes("nope.json")


def test_seed_page_without_a_schema_block_is_a_contract_error() -> None:
    with pytest.raises(ContractError, match=r"API Schemas|JSON Schema"):
        extract_input_schema("a page without the block")


@pytest.mark.slow
def test_built_wheel_ships_the_schemas(tmp_path: Path) -> None:
    build = pytest.importorskip("build", reason="python -m build is not installed")
    del build
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SCHEMA_FILES:
        assert f"conformance/schemas/{name}" in names
