"""The embedded default model: a tiny Llama built from code, deterministically, on first use.

A LlamaForCausalLM with random weights drawn from a fixed seed, and a
byte-level BPE tokenizer trained on a text file shipped in the package
(``data/tiny_corpus.txt``). It produces nonsense, but every mechanism of the
server (tokenising, the chat template, sampling, streaming, stopping) runs
for real. Built in a few seconds, without network, and cached under
``~/.cache/workers-ai-conformance`` (or ``$CONFORMANCE_CACHE_DIR``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

RECIPE_VERSION = 1
"""Bump when the recipe below changes: the cache key includes it."""

VOCAB_SIZE = 1024
CONTEXT_WINDOW = 1024
_SEED = 20240301
_SPECIAL_TOKENS = ["<unk>", "<s>", "</s>"]
_CONFIG: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 172,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": CONTEXT_WINDOW,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": False,
}

_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}"
    "{% set loop_messages = messages[1:] %}"
    "{% set system_message = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}"
    "{% else %}{% set loop_messages = messages %}{% set system_message = '' %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if loop.index0 == 0 %}{% set content = system_message + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '<s>[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' </s>' }}{% endif %}"
    "{% endfor %}"
)


def cache_root() -> Path:
    """Where built models live: ``$CONFORMANCE_CACHE_DIR`` or ``~/.cache/workers-ai-conformance``."""
    override = os.environ.get("CONFORMANCE_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "workers-ai-conformance"


def corpus_text() -> str:
    """The bundled text the tokenizer is trained on."""
    return resources.files("conformance.server.data").joinpath("tiny_corpus.txt").read_text("utf-8")


def recipe_key() -> str:
    """A short hash of everything that decides the built files."""
    recipe = json.dumps({"v": RECIPE_VERSION, "config": _CONFIG, "vocab": VOCAB_SIZE, "seed": _SEED})
    digest = hashlib.sha256(recipe.encode() + corpus_text().encode("utf-8"))
    return digest.hexdigest()[:12]


def ensure_tiny_model() -> Path:
    """The directory of the tiny model, building it first if the cache does not hold it.

    The directory is an ordinary Hugging Face checkpoint (``config.json``,
    ``model.safetensors``, ``tokenizer.json`` ...), so anything that loads a
    checkpoint loads it.

    >>> path = ensure_tiny_model()
    >>> (path / "config.json").exists()
    True
    """
    return cached_build(f"tiny-llama-{recipe_key()}", build_tiny_model)


def cached_build(name: str, build: Callable[[Path], None]) -> Path:
    """``cache_root() / name``, filled by ``build(directory)`` unless it holds a model already.

    The build writes into a staging directory that is renamed into place, so
    concurrent processes never see half a model.
    """
    target = cache_root() / name
    if (target / "model.safetensors").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        build(staging)
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:
            # Another process finished first; its copy is identical.
            if not (target / "model.safetensors").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def build_tiny_model(
    directory: Path, shape: dict[str, Any] | None = None, *, gain: float | None = None
) -> None:
    """Write the tokenizer and the model into ``directory`` (which must exist).

    ``shape`` overrides the LlamaConfig sizes (the AWQ variant needs inputs
    divisible by its group size, 128); the weights come from the same seed.
    With ``gain``, a projection with ``n`` inputs draws its weights with
    standard deviation ``gain / sqrt(n)`` instead of 0.1, so wider variants
    keep the tiny model's scale (0.1 is a gain of 0.8 over its 64 inputs).
    """
    tokenizer = _train_tokenizer()
    _save_tokenizer(tokenizer, directory)
    bos, eos = tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>")
    _save_model(tokenizer.get_vocab_size(), bos, eos, directory, {**_CONFIG, **(shape or {})}, gain)


def _train_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus_text().splitlines(keepends=True), trainer=trainer)
    return tokenizer


def _save_tokenizer(tokenizer: Any, directory: Path) -> None:
    tokenizer.save(str(directory / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": CONTEXT_WINDOW,
        "chat_template": _CHAT_TEMPLATE,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", "utf-8")
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    (directory / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n", "utf-8")


def _save_model(
    vocab_size: int, bos: int, eos: int, directory: Path, sizes: dict[str, Any], gain: float | None
) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import LlamaConfig

    config = LlamaConfig(vocab_size=vocab_size, bos_token_id=bos, eos_token_id=eos, **sizes)
    config.architectures = ["LlamaForCausalLM"]
    config.save_pretrained(str(directory))
    generator = torch.Generator().manual_seed(_SEED)
    hidden, inter = sizes["hidden_size"], sizes["intermediate_size"]
    heads, kv_heads = sizes["num_attention_heads"], sizes["num_key_value_heads"]
    head_dim = hidden // heads

    def normal(*shape: int, std: float) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * std

    def projection(outputs: int, inputs: int) -> torch.Tensor:
        return normal(outputs, inputs, std=0.1 if gain is None else gain / inputs**0.5)

    tensors: dict[str, torch.Tensor] = {"model.embed_tokens.weight": normal(vocab_size, hidden, std=1.0)}
    for layer in range(sizes["num_hidden_layers"]):
        prefix = f"model.layers.{layer}."
        tensors[prefix + "input_layernorm.weight"] = torch.ones(hidden)
        tensors[prefix + "post_attention_layernorm.weight"] = torch.ones(hidden)
        tensors[prefix + "self_attn.q_proj.weight"] = projection(heads * head_dim, hidden)
        tensors[prefix + "self_attn.k_proj.weight"] = projection(kv_heads * head_dim, hidden)
        tensors[prefix + "self_attn.v_proj.weight"] = projection(kv_heads * head_dim, hidden)
        tensors[prefix + "self_attn.o_proj.weight"] = projection(hidden, heads * head_dim)
        tensors[prefix + "mlp.gate_proj.weight"] = projection(inter, hidden)
        tensors[prefix + "mlp.up_proj.weight"] = projection(inter, hidden)
        tensors[prefix + "mlp.down_proj.weight"] = projection(hidden, inter)
    tensors["model.norm.weight"] = torch.ones(hidden)
    head = normal(vocab_size, hidden, std=0.5)
    # EOS gets a zero row: its logit sits in the middle of the pack, so the
    # random model rarely stops on its own and max_tokens is what ends answers.
    head[eos] = 0.0
    tensors["lm_head.weight"] = head
    save_file(tensors, str(directory / "model.safetensors"), metadata={"format": "pt"})
    generation = {"bos_token_id": bos, "eos_token_id": eos, "do_sample": True, "temperature": 0.6}
    (directory / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n", "utf-8")
