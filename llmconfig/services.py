"""Cross-model work and I/O for the LLM configuration."""

from __future__ import annotations

import contextlib
import time
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from pydantic import BaseModel

from llmconfig import ollama_server, openai_server
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
    "openai_base_url",
    "batch_sizes",
    "call_modes",
)
# Write-only secrets: a non-empty value replaces the key, `clear_<name>` removes it.
SECRET_SETTINGS = {"ollama_api_key": "clear_ollama_key", "openai_api_key": "clear_openai_key"}
# Where each key is sent. A change of it clears the key unless the same request gives one, so
# whoever can edit an address cannot have the stored key sent to a server of their own (the
# rule GitHub applies to a webhook's secret).
KEY_DESTINATIONS = {"ollama_api_key": "ollama_endpoint", "openai_api_key": "openai_base_url"}


def _destination(user_settings: UserSettings, key: str) -> str:
    return (getattr(user_settings, KEY_DESTINATIONS[key]) or "").strip().rstrip("/")


def user_settings_update(*, data: dict[str, Any]) -> UserSettings:
    """Apply only the fields present in `data` (the original overwrote omitted ones).

    The API keys are write-only: a non-empty value replaces the key, `clear_<provider>_key`
    removes it, and leaving both out keeps it, unless the address the key is sent to changes
    (KEY_DESTINATIONS): then it is cleared.
    """
    with transaction.atomic():
        obj = UserSettings.load_for_update()
        before = {key: _destination(obj, key) for key in SECRET_SETTINGS}
        for name in WRITABLE_SETTINGS:
            if name in data:
                setattr(obj, name, data[name])
        for key, clear in SECRET_SETTINGS.items():
            if data.get(clear):
                setattr(obj, key, None)
            elif data.get(key):
                setattr(obj, key, data[key])
            elif _destination(obj, key) != before[key]:
                setattr(obj, key, None)
        obj.save()
    return obj


def model_unavailable_reason(*, model_id: str) -> str:
    """Why `model_id` cannot be used now, or "" when it can: an Ollama model must be
    installed on the configured server (local or Cloud) or downloading now; a Gemini model
    must be one of the configured Gemini models; an `openai/` model one the server lists.
    Raises OllamaUnavailable / OpenAIUnavailable when the server cannot
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
    if parsed.provider == "openai":
        served = {m["id"] for m in openai_server.models_list()}
        if model_id in served:
            return ""
        return f"'{parsed.bare}' is not served by the OpenAI-compatible server (its /v1/models)."
    if model_id not in settings.GEMINI_MODELS:
        return f"'{model_id}' is not one of the configured Gemini models (GEMINI_MODELS)."
    return ""


# The models scoring runs on: choosing one it cannot use would pause scoring at once, and
# would let the configured model be deleted as "not in use".
CHOSEN_MODELS = ("categorization_model", "scoring_model")
ModelsUnknown = (ollama_server.OllamaUnavailable, openai_server.OpenAIUnavailable)


def model_choice_problems(*, user_settings: UserSettings, choice: dict[str, str]) -> dict[str, str]:
    """The one rule for choosing a model, for every door (the API, the admin): field → why
    the model it is changed to cannot be used now. A model left as it is passes, installed
    or not (a fresh install's default before its first pull), so saving settings unchanged
    never fails. Raises one of `ModelsUnknown` when the server cannot be asked."""
    current = {
        "categorization_model": user_settings.effective_categorization_model,
        "scoring_model": user_settings.effective_scoring_model,
    }
    problems = {}
    for field, model_id in choice.items():
        if not model_id or model_id in (getattr(user_settings, field), current.get(field)):
            continue
        if problem := model_unavailable_reason(model_id=model_id):
            problems[field] = problem
    return problems


def enabled_models(*, user_settings: UserSettings) -> dict[str, list[dict[str, Any]]]:
    gemini: list[dict[str, Any]] = []
    if gemini_config_error(use_vertex=settings.GOOGLE_GENAI_USE_VERTEXAI) is None:
        gemini = [
            {"id": m, "label": m, "enabled": True, "vision": True} for m in settings.GEMINI_MODELS
        ]
    openai: list[dict[str, Any]] = []
    if user_settings.effective_openai_base_url:
        # Best effort and quick: a server that is down must not break the model picker.
        with contextlib.suppress(openai_server.OpenAIUnavailable):
            openai = [
                {"id": m["id"], "label": m["name"], "enabled": True, "vision": False}
                for m in openai_server.models_list(timeout=settings.OLLAMA_HEALTH_TIMEOUT)
            ]
    return {"ollama": user_settings.enabled_ollama_models(), "gemini": gemini, "openai": openai}


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
