"""Model ids: the one place their rules live. No dependencies on the adapters, so both the
registry and each adapter can use them."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import DomainError
from llmconfig.ollama_names import is_valid_model_name

OLLAMA_PREFIX = "ollama/"
GEMINI_PREFIX = "gemini-"
OPENAI_PREFIX = "openai/"
ACCEPTED_PREFIXES = (OLLAMA_PREFIX, GEMINI_PREFIX, OPENAI_PREFIX)
MAX_MODEL_ID_LENGTH = 200  # the width of the model columns


class UnknownModelError(DomainError, ValueError):
    field = "model"

    def __init__(self, model_id: str, reason: str | None = None) -> None:
        self.model_id = model_id
        super().__init__(
            reason
            or f"Unknown model id {model_id!r}: it must start with "
            + " or ".join(repr(p) for p in ACCEPTED_PREFIXES)
            + " (e.g. 'ollama/qwen3:4b', 'gemini-2.5-flash', 'openai/gemma3-270m')."
        )


@dataclass(frozen=True)
class ModelId:
    """A model id, the one place its rules live: `ollama/<name[:tag]>`, `gemini-…` or
    `openai/<model>` (any OpenAI-compatible server), at most MAX_MODEL_ID_LENGTH
    characters. `bare` is the name the provider knows."""

    provider: str  # "ollama" | "gemini" | "openai"
    bare: str

    @classmethod
    def parse(cls, value: str, *, bare_is_ollama: bool = False) -> ModelId:
        """Raises UnknownModelError. With `bare_is_ollama`, a name without a prefix (the seed
        frontend's `qwen3:4b`) means an Ollama model."""
        value = (value or "").strip()
        if bare_is_ollama and not value.startswith(ACCEPTED_PREFIXES):
            value = OLLAMA_PREFIX + value
        value = check_model_id(value)
        if value.startswith(OLLAMA_PREFIX):
            return cls("ollama", value[len(OLLAMA_PREFIX) :])
        if value.startswith(OPENAI_PREFIX):
            return cls("openai", value[len(OPENAI_PREFIX) :])
        return cls("gemini", value)

    @classmethod
    def bare_name(cls, value: str) -> str:
        """What a person reads: the Ollama name without the prefix, others as they are."""
        return value.removeprefix(OLLAMA_PREFIX)

    def __str__(self) -> str:
        prefixes = {"ollama": OLLAMA_PREFIX, "openai": OPENAI_PREFIX}
        return prefixes.get(self.provider, "") + self.bare


def check_model_id(model_id: str) -> str:
    """Validate a model id's shape; returns it stripped. Raises `UnknownModelError`."""
    model_id = (model_id or "").strip()
    if len(model_id) > MAX_MODEL_ID_LENGTH:
        raise UnknownModelError(
            model_id, f"A model id is at most {MAX_MODEL_ID_LENGTH} characters."
        )
    if model_id.startswith(OLLAMA_PREFIX):
        # Split on the first separator only: Ollama tags contain ':' (and namespaces '/').
        name = model_id[len(OLLAMA_PREFIX) :]
        if not is_valid_model_name(name):
            raise UnknownModelError(model_id, f"{model_id!r} is not a valid Ollama model name.")
        return model_id
    if model_id.startswith(GEMINI_PREFIX) and len(model_id) > len(GEMINI_PREFIX):
        return model_id
    if model_id.startswith(OPENAI_PREFIX):
        # Servers name models freely ("meta-llama/Llama-3.1-8B-Instruct", "gpt-4o-mini"):
        # anything printable without spaces.
        name = model_id[len(OPENAI_PREFIX) :]
        if not name or not name.isprintable() or any(c.isspace() for c in name):
            raise UnknownModelError(model_id, f"{model_id!r} is not a valid model name.")
        return model_id
    raise UnknownModelError(model_id)
