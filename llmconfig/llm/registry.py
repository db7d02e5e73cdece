"""Which adapter serves a model id. Ids are `<provider prefix><model>`:

| id                   | adapter                                                        |
|----------------------|----------------------------------------------------------------|
| `ollama/<name[:tag]>`| Ollama: ollama.com + key in cloud mode, else endpoint/OLLAMA_HOST |
| `gemini-…`           | Gemini: Vertex AI or the Gemini API, per settings              |
| `openai/<model>`     | any OpenAI-compatible server: stored base URL or OPENAI_BASE_URL |

Anything else is refused: the original silently sent unknown ids to Vertex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from common.errors import DomainError
from llmconfig.llm.base import LLMAdapter
from llmconfig.llm.gemini import GeminiAdapter, gemini_config_error
from llmconfig.llm.ids import (
    ACCEPTED_PREFIXES,
    GEMINI_PREFIX,
    MAX_MODEL_ID_LENGTH,
    OLLAMA_PREFIX,
    ModelId,
    UnknownModelError,
    check_model_id,
)
from llmconfig.llm.ollama import OllamaAdapter
from llmconfig.llm.openai_compat import OpenAICompatAdapter

if TYPE_CHECKING:
    from llmconfig.models import UserSettings

# The model-id rules live in llmconfig.llm.ids; the registry is where callers look for them.
__all__ = [
    "ACCEPTED_PREFIXES",
    "GEMINI_PREFIX",
    "MAX_MODEL_ID_LENGTH",
    "OLLAMA_PREFIX",
    "ModelId",
    "ProviderNotConfigured",
    "UnknownModelError",
    "check_model_id",
    "get_adapter",
    "ollama_connection",
    "openai_connection",
]


class ProviderNotConfigured(DomainError, ValueError):
    """The model is routable but its provider lacks a setting (key, project)."""

    field = "model"


def ollama_connection(user_settings: UserSettings | None) -> tuple[str, str | None, bool]:
    """(base_url, api_key, cloud) for Ollama from the stored settings."""
    if user_settings is not None and user_settings.ollama_use_cloud:
        if not user_settings.ollama_api_key:
            raise ProviderNotConfigured(
                "Ollama Cloud mode is on but no API key is set (ollama_api_key)."
            )
        return (
            user_settings.ollama_endpoint or settings.OLLAMA_CLOUD_HOST,
            user_settings.ollama_api_key,
            True,
        )
    endpoint = (user_settings.ollama_endpoint if user_settings else None) or settings.OLLAMA_HOST
    return endpoint, None, False


def openai_connection(user_settings: UserSettings | None) -> tuple[str, str | None]:
    """(base_url, api_key) of the OpenAI-compatible server from the stored settings."""
    base_url = (
        user_settings.effective_openai_base_url
        if user_settings is not None
        else settings.OPENAI_BASE_URL.rstrip("/")
    )
    if not base_url:
        raise ProviderNotConfigured(
            "No OpenAI-compatible server is configured: set its base URL "
            "(openai_base_url in the settings, or OPENAI_BASE_URL)."
        )
    return base_url, (user_settings.openai_api_key if user_settings else None) or None


def get_adapter(model_id: str, user_settings: UserSettings | None = None) -> LLMAdapter:
    parsed = ModelId.parse(model_id)
    model_id = str(parsed)
    if parsed.provider == "ollama":
        base_url, api_key, cloud = ollama_connection(user_settings)
        return OllamaAdapter(model_id, base_url=base_url, api_key=api_key, cloud=cloud)
    if parsed.provider == "openai":
        base_url, api_key = openai_connection(user_settings)
        return OpenAICompatAdapter(model_id, base_url=base_url, api_key=api_key)
    problem = gemini_config_error(use_vertex=settings.GOOGLE_GENAI_USE_VERTEXAI)
    if problem:
        raise ProviderNotConfigured(problem)
    return GeminiAdapter(model_id)
