"""Cross-model work and I/O for the LLM configuration."""

from __future__ import annotations

import time
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from pydantic import BaseModel

from llmconfig import ollama_server
from llmconfig.llm import LLMAdapter, LLMError, get_adapter
from llmconfig.llm.gemini import gemini_config_error
from llmconfig.llm.registry import ModelId
from llmconfig.models import LLMCall, PromptTemplate, UserSettings
from llmconfig.prompts import PLACEHOLDERS, render

WRITABLE_SETTINGS = (
    "ollama_use_cloud",
    "ollama_endpoint",
    "ollama_models",
    "vision_model",
)


def user_settings_update(*, data: dict[str, Any]) -> UserSettings:
    """Apply only the fields present in `data` (the original overwrote omitted ones).

    `ollama_api_key` is write-only: a non-empty value replaces the key, `clear_ollama_key`
    removes it, and leaving both out keeps it.
    """
    with transaction.atomic():
        obj = UserSettings.load_for_update()
        for name in WRITABLE_SETTINGS:
            if name in data:
                setattr(obj, name, data[name])
        if data.get("clear_ollama_key"):
            obj.ollama_api_key = None
        elif data.get("ollama_api_key"):
            obj.ollama_api_key = data["ollama_api_key"]
        obj.save()
    return obj


def model_unavailable_reason(*, model_id: str) -> str:
    """Why `model_id` cannot be used now, or "" when it can: an Ollama model must be
    installed on the configured server (local or Cloud) or downloading now; a Gemini model
    must be one of the configured Gemini models. Raises OllamaUnavailable when Ollama cannot
    be asked."""
    parsed = ModelId.parse(model_id)
    if parsed.provider == "ollama":
        name = parsed.bare
        installed = {m["name"] for m in ollama_server.models_list()}
        if name in installed or f"{name}:latest" in installed:
            return ""
        downloading = ollama_server.download_current()
        if downloading is not None and downloading.model == name:
            return ""
        return f"'{name}' is not installed on the Ollama server; pull it first."
    if model_id not in settings.GEMINI_MODELS:
        return f"'{model_id}' is not one of the configured Gemini models (GEMINI_MODELS)."
    return ""


def enabled_models(*, user_settings: UserSettings) -> dict[str, list[dict[str, Any]]]:
    gemini: list[dict[str, Any]] = []
    if gemini_config_error(use_vertex=settings.GOOGLE_GENAI_USE_VERTEXAI) is None:
        gemini = [
            {"id": m, "label": m, "enabled": True, "vision": True} for m in settings.GEMINI_MODELS
        ]
    return {"ollama": user_settings.enabled_ollama_models(), "gemini": gemini}


class LLMUsage(TypedDict):
    prompt_tokens: int
    output_tokens: int
    calls: int


class LLMRun(TypedDict):
    """What /api/llm/generate and /api/llm/analyze-image answer."""

    result: dict[str, Any]
    model: str
    latency_ms: int
    usage: LLMUsage


def llm_run(
    *,
    model_id: str,
    schema: type[BaseModel],
    prompt: str,
    system_prompt: str | None = None,
    temperature: float = 0.7,
    image: bytes | None = None,
    mime_type: str = "image/jpeg",
) -> LLMRun:
    """One structured call for the API: the result plus what it cost."""
    adapter: LLMAdapter = get_adapter(model_id, UserSettings.load())
    started = time.monotonic()
    try:
        completion = adapter.generate(
            prompt,
            schema,
            temperature=temperature,
            system_prompt=system_prompt,
            image=image,
            mime_type=mime_type,
            purpose="generate" if image is None else "analyze-image",
        )
    except LLMError as exc:
        LLMCall.objects.record(exc.calls)
        raise
    latency_ms = int((time.monotonic() - started) * 1000)
    LLMCall.objects.record(completion.calls)
    usage: LLMUsage = {
        "prompt_tokens": sum(r.prompt_tokens or 0 for r in completion.calls),
        "output_tokens": sum(r.output_tokens or 0 for r in completion.calls),
        "calls": len(completion.calls),
    }
    return {
        "result": completion.value.model_dump(),
        "model": model_id,
        "latency_ms": latency_ms,
        "usage": usage,
    }


def model_config_save(
    *, categorization_model: str, scoring_model: str, use_separate_models: bool
) -> tuple[UserSettings, str]:
    """Save the model choice (inside the caller's transaction, if any). Returns the settings
    and which role's model changed: "categorization" (then topics may change too),
    "scoring", or "" when neither did."""
    with transaction.atomic():
        us = UserSettings.load_for_update()
        old_cat, old_score = us.effective_categorization_model, us.effective_scoring_model
        us.categorization_model = categorization_model
        us.use_separate_models = use_separate_models
        us.scoring_model = scoring_model if use_separate_models else categorization_model
        us.save()
    if us.effective_categorization_model != old_cat:
        return us, "categorization"
    if us.effective_scoring_model != old_score:
        return us, "scoring"
    return us, ""


def prompts_rendered() -> dict[str, str]:
    out = {}
    for name in (PromptTemplate.Name.CATEGORIZATION, PromptTemplate.Name.SCORING):
        text, _version = PromptTemplate.get_text(name)
        out[f"{name}_prompt"] = render(text, **PLACEHOLDERS[name])
    return out
