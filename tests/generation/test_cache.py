"""The catalogue cache: a rerun reads back exactly what was drawn, and nothing wrong with it fails a run."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.contract import schema_version
from conformance.generation import body_digest, cache, valid_cases

VARIABLE = "CONFORMANCE_CATALOGUE_CACHE_DIR"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "catalogue"
    monkeypatch.setenv(VARIABLE, str(where))
    return where


def typed(node: Any) -> Any:
    """A body with every value's type beside it: 5 and 5.0 compare equal, these do not."""
    if isinstance(node, dict):
        return {key: typed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [typed(item) for item in node]
    return (type(node).__name__, node)


def values(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in values(value)]
    if isinstance(node, list):
        return [leaf for item in node for leaf in values(item)]
    return [node]


def test_a_second_call_reads_back_exactly_what_was_drawn(folder: Path) -> None:
    drawn = valid_cases(60, seed=5)
    (entry,) = folder.iterdir()
    assert entry == cache.entry_path(5, 60, schema_version(None))
    read = valid_cases(60, seed=5)
    assert read == drawn and [case.id for case in read] == [case.id for case in drawn]
    # Key order, ints against integral floats, characters beyond ASCII: all as drawn.
    assert [list(case.body) for case in read] == [list(case.body) for case in drawn]
    assert [typed(case.body) for case in read] == [typed(case.body) for case in drawn]
    leaves = [leaf for case in drawn for leaf in values(case.body)]
    assert any(isinstance(leaf, float) and leaf.is_integer() for leaf in leaves)
    assert any(isinstance(leaf, str) and not leaf.isascii() for leaf in leaves)
    assert entry.read_bytes().isascii()


@pytest.mark.parametrize("schema", ["page-2024", "docs-2025-01"])
def test_the_cache_gives_what_drawing_gives(folder: Path, schema: str) -> None:
    drawn = valid_cases(25, seed=2, schema=schema, cache=False)
    assert not folder.exists(), "cache=False writes nothing"
    assert valid_cases(25, seed=2, schema=schema) == drawn  # drawn and stored
    assert valid_cases(25, seed=2, schema=schema) == drawn  # read back
    assert [typed(c.body) for c in valid_cases(25, seed=2, schema=schema)] == [typed(c.body) for c in drawn]


RERUN = """
import json, sys
from conformance.runner import RunConfig
from conformance.runner.profiles import cases_for
config = RunConfig(base_url="http://127.0.0.1:9/client/v4", account_id="X", seed=1)
ids = [case.id for case in cases_for(config)]
print(json.dumps({"ids": ids, "hypothesis": "hypothesis" in sys.modules}))
"""


def test_a_rerun_with_the_same_seed_does_not_import_hypothesis(folder: Path) -> None:
    def run() -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", RERUN], capture_output=True, text=True, check=True)
        assert done.stderr == ""
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer

    first, second = run(), run()
    assert first["hypothesis"] and not second["hypothesis"]
    assert second["ids"] == first["ids"]
    assert len(list(folder.iterdir())) == 1


def test_every_input_that_decides_the_draw_is_in_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    page, docs = schema_version("page-2024"), schema_version("docs-2025-01")
    edited = dataclasses.replace(page, input_file=docs.input_file)  # the same name, another input schema
    paths = {
        cache.entry_path(1, 20, page),
        cache.entry_path(2, 20, page),
        cache.entry_path(1, 200, page),
        cache.entry_path(1, 20, docs),
        cache.entry_path(1, 20, edited),
    }
    assert len(paths) == 5
    monkeypatch.setattr(cache, "_versions", lambda: ("3.11.7", "0.2.0", "6.170.9", "0.23.1"))
    assert cache.entry_path(1, 20, page) not in paths
    monkeypatch.setattr(cache, "_generation_source", lambda: "an edited strategy")
    assert cache.entry_path(1, 20, page) not in paths


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _body_changed(data: bytes) -> bytes:
    pairs = json.loads(data)
    pairs[0][1]["seed"] = 12345
    return json.dumps(pairs).encode()


def _float_read_as_int(data: bytes) -> bytes:
    pairs = json.loads(data)
    pairs[0][1]["max_tokens"] = 5.0
    pairs[0][0] = body_digest(pairs[0][1])
    text = json.dumps(pairs)
    return text.replace('"max_tokens": 5.0', '"max_tokens": 5', 1).encode()


def _one_missing(data: bytes) -> bytes:
    return json.dumps(json.loads(data)[:-1]).encode()


@pytest.mark.parametrize(
    "corrupt",
    [
        _truncated,
        lambda data: b"\xff\xfe not json",
        lambda data: b'{"a": 1}',
        lambda data: b"[1, 2, 3, 4, 5, 6, 7, 8]",
        lambda data: b"",
        _body_changed,
        _float_read_as_int,
        _one_missing,
    ],
    ids=["truncated", "not-json", "object", "not-pairs", "empty", "body-changed", "float-as-int", "short"],
)
def test_an_entry_that_is_not_what_was_drawn_is_drawn_again(folder: Path, corrupt: Any) -> None:
    drawn = valid_cases(8, seed=9)
    (entry,) = folder.iterdir()
    good = entry.read_bytes()
    entry.write_bytes(corrupt(good))
    assert cache.load(entry, 8) is None
    again = valid_cases(8, seed=9)
    assert again == drawn and [typed(c.body) for c in again] == [typed(c.body) for c in drawn]
    assert entry.read_bytes() == good, "the entry is written again"


def test_an_unwritable_folder_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(VARIABLE, str(tmp_path / "a-file" / "catalogue"))  # cannot be made, even by root
    drawn = valid_cases(5, seed=3)
    assert valid_cases(5, seed=3) == drawn == valid_cases(5, seed=3, cache=False)
    assert list(tmp_path.iterdir()) == [tmp_path / "a-file"]


def test_the_folder_keeps_the_newest_entries_and_nothing_else(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seed in range(4):
        valid_cases(1, seed=seed)
    entries = [cache.entry_path(seed, 1, schema_version(None)) for seed in range(5)]
    for seed, entry in enumerate(entries[:4]):
        os.utime(entry, (1_000_000 + seed, 1_000_000 + seed))  # seed 0 the oldest
    valid_cases(1, seed=0)  # read: now the newest by use
    foreign = [folder / "notes.txt", folder / "drawn-0a1d554db872668181049a3c.json"]
    for path in foreign:
        path.write_text("not an entry")
        os.utime(path, (0, 0))
    stale, fresh = folder / f".{entries[1].name}k2j4_x8a", folder / f".{entries[2].name}q0d1l1l3"
    stale.write_text("")  # left by a process that died a long time ago
    fresh.write_text("")  # another process writing now
    os.utime(stale, (0, 0))

    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    valid_cases(1, seed=4)
    kept = {path.name for path in folder.iterdir()}
    assert kept == {path.name for path in (entries[4], entries[0], entries[3], *foreign, fresh)}


def test_the_folder_keeps_at_most_max_bytes(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version = schema_version(None)
    paths = [cache.entry_path(seed, 1, version) for seed in range(4)]
    body = {"prompt": "x" * 1000}
    for age, path in enumerate(paths[:3]):
        cache.store(path, {body_digest(body): body})
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    size = paths[0].stat().st_size
    monkeypatch.setattr(cache, "MAX_BYTES", 2 * size + size // 2)
    cache.store(paths[3], {body_digest(body): body})
    assert [path.exists() for path in paths] == [False, False, True, True]
    assert cache.load(paths[3], 1) == {body_digest(body): body}


def test_the_folder_follows_the_cache_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE)
    monkeypatch.setenv("CONFORMANCE_CACHE_DIR", "/somewhere")
    assert cache.folder() == Path("/somewhere/catalogue")
    monkeypatch.delenv("CONFORMANCE_CACHE_DIR")
    assert cache.folder() == Path.home() / ".cache" / "workers-ai-conformance" / "catalogue"
    monkeypatch.setenv(VARIABLE, "/elsewhere")
    assert cache.folder() == Path("/elsewhere")
