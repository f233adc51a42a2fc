"""The tiny embedded model: built from code, deterministic, cached where configured."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conformance.server import tiny_model

pytestmark = pytest.mark.slow


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_build_is_deterministic_and_cached_under_the_configured_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFORMANCE_CACHE_DIR", str(tmp_path / "a"))
    first = tiny_model.ensure_tiny_model()
    assert first.parent == tmp_path / "a"
    built_at = (first / "model.safetensors").stat().st_mtime_ns
    assert tiny_model.ensure_tiny_model() == first
    assert (first / "model.safetensors").stat().st_mtime_ns == built_at, "a cached model is not rebuilt"

    monkeypatch.setenv("CONFORMANCE_CACHE_DIR", str(tmp_path / "b"))
    second = tiny_model.ensure_tiny_model()
    assert second.name == first.name
    assert digests(first) == digests(second)
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".building-")]


def test_default_cache_is_outside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONFORMANCE_CACHE_DIR", raising=False)
    assert tiny_model.cache_root() == Path.home() / ".cache" / "workers-ai-conformance"


def test_checkpoint_is_an_ordinary_llama_with_the_llama2_chat_template(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    tiny_model.build_tiny_model(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert config["max_position_embeddings"] == tiny_model.CONTEXT_WINDOW
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path))
    assert tokenizer.vocab_size <= tiny_model.VOCAB_SIZE
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "u"}]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False)
    assert rendered == "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nu [/INST]"
    # Any text, emoji and scripts the corpus never saw included, round-trips through byte-level BPE.
    text = "Grüße 🙂 \u2028 こんにちは"
    assert tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) == text


def test_recipe_key_depends_on_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    key = tiny_model.recipe_key()
    monkeypatch.setattr(tiny_model, "corpus_text", lambda: "another corpus")
    assert tiny_model.recipe_key() != key
