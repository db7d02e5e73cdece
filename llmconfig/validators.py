"""The one validator for a model id, for every door (API, admin): `ModelId`'s rules, with a
bare name (the seed frontend's `qwen3:4b`) meaning an Ollama model."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from llmconfig.llm.registry import ModelId, UnknownModelError


def model_id(value: str) -> str:
    """The stored form of a model id ("" stays "": the default). Raises ValidationError."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return str(ModelId.parse(value, bare_is_ollama=True))
    except UnknownModelError as exc:
        raise ValidationError(str(exc)) from exc
