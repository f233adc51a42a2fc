"""Which engine ``conformance serve`` runs, from its options: checked first (exit 2), then built.

``--engine transformers`` (default) loads a checkpoint in-process,
``--engine vllm`` starts vLLM's async engine on one, and ``--engine openai``
forwards to an OpenAI-compatible server the user already runs
(``--upstream-url``). Options that do not fit the chosen engine are usage
errors, so a typo never silently serves something else.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from conformance.errors import CheckpointError
from conformance.server.checkpoint import inspect_checkpoint

if TYPE_CHECKING:
    from conformance.server.engines.base import Engine

ENGINES = ("transformers", "vllm", "openai")


@dataclass(frozen=True)
class EngineOptions:
    """The serve options that choose and configure the engine."""

    engine: str
    model_path: str | None = None
    upstream_url: str | None = None
    upstream_model: str | None = None
    upstream_api_key_env: str | None = None
    device: str = "auto"

    def check(self) -> None:
        """Raise `click.UsageError` naming the option and value for a combination that cannot serve."""
        upstream = {
            "--upstream-url": self.upstream_url,
            "--upstream-model": self.upstream_model,
            "--upstream-api-key-env": self.upstream_api_key_env,
        }
        if self.engine != "openai":
            for option, value in upstream.items():
                if value is not None:
                    raise click.UsageError(
                        f"{option}={value!r} is only for --engine=openai (the engine is {self.engine!r})."
                    )
        if self.engine == "openai":
            self._check_upstream()
        elif self.model_path is not None:
            try:
                inspect_checkpoint(self.model_path)
            except CheckpointError as exc:
                raise click.UsageError(f"--model-path={self.model_path!r}: {exc}") from exc
        if self.engine != "transformers" and self.device != "auto":
            raise click.UsageError(
                f"--device={self.device!r} is only for --engine=transformers "
                f"({self.engine!r} places the model itself)."
            )
        if self.engine == "vllm" and importlib.util.find_spec("vllm") is None:
            raise click.UsageError(
                "--engine=vllm needs the vllm package, which is not installed. "
                "On a CUDA machine: pip install 'workers-ai-conformance[vllm]'."
            )

    def _check_upstream(self) -> None:
        if self.model_path is not None:
            raise click.UsageError(
                f"--model-path={self.model_path!r} is not used by --engine=openai: "
                "the upstream holds the model."
            )
        if self.upstream_url is None:
            raise click.UsageError(
                "--engine=openai needs --upstream-url, the OpenAI base of the server to forward to "
                "(e.g. http://127.0.0.1:8000/v1)."
            )
        parts = urlsplit(self.upstream_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise click.UsageError(
                f"--upstream-url={self.upstream_url!r} is not an http(s) URL such as http://127.0.0.1:8000/v1."
            )
        variable = self.upstream_api_key_env
        if variable is not None and not os.environ.get(variable):
            raise click.UsageError(
                f"--upstream-api-key-env={variable!r}: that environment variable is not set."
            )

    def describe(self) -> str:
        """What is about to be loaded, for the start-up line."""
        if self.engine == "openai":
            return f"the openai engine in front of {self.upstream_url}"
        return f"{self.model_path or 'the tiny embedded model'} with the {self.engine} engine"

    def build(self) -> Engine:
        """The engine; raises `TargetError` when it cannot start (no model, upstream unreachable)."""
        if self.engine == "openai":
            from conformance.server.engines.openai_engine import OpenAIEngine

            assert self.upstream_url is not None
            key = os.environ.get(self.upstream_api_key_env) if self.upstream_api_key_env else None
            return OpenAIEngine.connect(self.upstream_url, self.upstream_model, api_key=key)
        if self.engine == "vllm":
            from conformance.server.engines.vllm_engine import VLLMEngine
            from conformance.server.tiny_model import ensure_tiny_model

            return VLLMEngine.load(self.model_path or ensure_tiny_model())
        from conformance.server.embedded import load_default_engine

        return load_default_engine(self.model_path, device=self.device)
