"""The vendored schemas: equal to what the model page publishes, pinned, packaged."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from conformance.contract import MODEL, SCHEMA_FILES, load_schema, read_bytes, schema_versions
from conformance.contract.seed import extract_input_schema
from conformance.errors import ContractError

ROOT = Path(__file__).resolve().parents[2]
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
    # openapi.json is generated from these files (tests/contract/test_openapi.py keeps it current).
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


VERSIONED_FILES = [(name, path) for name, entry in PROVENANCE["versions"].items() for path in entry["files"]]


@pytest.mark.parametrize(("version", "path"), VERSIONED_FILES)
def test_every_versioned_file_matches_its_pinned_hash(version: str, path: str) -> None:
    expected = PROVENANCE["versions"][version]["files"][path]["sha256"]
    assert hashlib.sha256(read_bytes(path)).hexdigest() == expected


def test_every_versioned_file_on_disk_has_provenance() -> None:
    on_disk = {str(p.relative_to(ROOT / "schemas")) for p in (ROOT / "schemas" / "versions").rglob("*.json")}
    assert on_disk == {path for _, path in VERSIONED_FILES}


def test_the_registry_and_provenance_name_the_same_versions_and_files() -> None:
    entries = PROVENANCE["versions"]
    assert [v.name for v in schema_versions()] == list(entries)
    for version in schema_versions():
        entry = entries[version.name]
        assert (entry["input"], entry["output"], entry["published"]) == (
            version.input_file,
            version.output_file,
            version.published_file,
        )
        assert entry["default"] is version.is_default
        source = entry["source"]
        assert source["repository"] == "cloudflare/cloudflare-docs"
        assert source["path"] == "src/content/workers-ai-models/llama-2-13b-chat-awq.json"
        assert len(source["commit"]) == 40 and int(source["commit"], 16) >= 0
        assert source["date"] and entry["date"] and entry["summary"]
    assert [v.name for v in schema_versions() if v.is_default] == ["page-2024"]


@pytest.mark.parametrize("version", schema_versions(), ids=str)
def test_each_versions_schemas_are_those_of_its_published_file(version: object) -> None:
    from conformance.contract import SchemaVersion

    assert isinstance(version, SchemaVersion)
    published = json.loads(read_bytes(version.published_file))
    assert published["name"] == MODEL
    # Our page output.json carries a $comment saying where it came from; the content is the publisher's.
    assert version.input_schema() == published["schema"]["input"]
    output = {k: v for k, v in version.output_schema().items() if k != "$comment"}
    assert output == published["schema"]["output"]


def test_the_later_version_drops_image_and_declares_usage() -> None:
    page, docs = schema_versions()
    assert page.declares_input("image") and not docs.declares_input("image")
    assert not page.declares_output("usage") and docs.declares_output("usage")
    # As published, usage is declared (numbers, default 0) but not required.
    assert not docs.requires_output("usage")
    assert docs.request_validator().is_valid({"prompt": "Hi", "image": [1]})  # extra keys stay allowed


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
    for _, path in VERSIONED_FILES:
        assert f"conformance/schemas/{path}" in names
