"""Which adapter serves a model id. Ids are `<provider prefix><model>`:

| id                   | adapter                                                        |
|----------------------|----------------------------------------------------------------|
| `ollama/<name[:tag]>`| Ollama: ollama.com + key in cloud mode, else endpoint/OLLAMA_HOST |
| `gemini-…`           | Gemini: Vertex AI or the Gemini API, per settings              |

Anything else is refused: the original silently sent unknown ids to Vertex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from llmconfig.llm.base import LLMAdapter
from llmconfig.llm.gemini import VertexAIAdapter
from llmconfig.llm.ollama import OllamaAdapter

if TYPE_CHECKING:
    from llmconfig.models import UserSettings

OLLAMA_PREFIX = "ollama/"
GEMINI_PREFIX = "gemini-"
ACCEPTED_PREFIXES = (OLLAMA_PREFIX, GEMINI_PREFIX)
MAX_MODEL_ID_LENGTH = 200  # the width of the model columns


class UnknownModelError(ValueError):
    def __init__(self, model_id: str, reason: str | None = None) -> None:
        self.model_id = model_id
        super().__init__(
            reason
            or f"Unknown model id {model_id!r}: it must start with "
            + " or ".join(repr(p) for p in ACCEPTED_PREFIXES)
            + " (e.g. 'ollama/qwen3:4b', 'gemini-2.5-flash')."
        )


class ProviderNotConfigured(ValueError):
    """The model is routable but its provider lacks a setting (key, project)."""


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
        from llmconfig.ollama_names import is_valid_model_name

        if not is_valid_model_name(name):
            raise UnknownModelError(model_id, f"{model_id!r} is not a valid Ollama model name.")
        return model_id
    if model_id.startswith(GEMINI_PREFIX) and len(model_id) > len(GEMINI_PREFIX):
        return model_id
    raise UnknownModelError(model_id)


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


def get_adapter(model_id: str, user_settings: UserSettings | None = None) -> LLMAdapter:
    model_id = check_model_id(model_id)
    if model_id.startswith(OLLAMA_PREFIX):
        base_url, api_key, cloud = ollama_connection(user_settings)
        return OllamaAdapter(model_id, base_url=base_url, api_key=api_key, cloud=cloud)
    from llmconfig.llm.gemini import gemini_config_error

    problem = gemini_config_error(use_vertex=settings.GOOGLE_GENAI_USE_VERTEXAI)
    if problem:
        raise ProviderNotConfigured(problem)
    return VertexAIAdapter(model_id)
