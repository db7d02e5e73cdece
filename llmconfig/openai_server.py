"""The OpenAI-compatible server, as far as its protocol allows managing it: whether it
answers (the latency of `GET /v1/models`) and which models it serves. Pulls and deletes are
Ollama's: such servers load the models they were started with."""

from __future__ import annotations

import time
from typing import Any, cast

import openai
from django.conf import settings
from django.core.cache import cache

from common.errors import DomainError
from llmconfig.llm.openai_compat import is_json, make_client, not_an_llm_server
from llmconfig.llm.registry import ProviderNotConfigured, openai_connection
from llmconfig.models import UserSettings
from llmconfig.ollama_server import Health

HEALTH_KEY = "sift:openai:health:{url}"
PULL_REFUSED = (
    "Pulling and deleting models are Ollama features: an OpenAI-compatible server serves "
    "the models it was started with. Load or remove them there."
)


class OpenAIUnavailable(DomainError):
    """The OpenAI-compatible server could not be reached or did not answer as one."""

    status_code = 503


class NotOllama(DomainError):
    status_code = 405


def endpoint() -> tuple[str, str | None]:
    return openai_connection(UserSettings.load())


def health() -> Health:
    """{connected, version, latency_ms} like Ollama's (`version` is null: the protocol has
    none), reused for OLLAMA_HEALTH_CACHE_SECONDS."""
    try:
        base_url, api_key = endpoint()
    except ProviderNotConfigured:
        return {"connected": False, "version": None, "latency_ms": None}
    key = HEALTH_KEY.format(url=base_url)
    cached = cache.get(key) if settings.OLLAMA_HEALTH_CACHE_SECONDS > 0 else None
    if cached is not None:
        return cast(Health, dict(cached))
    started = time.monotonic()
    result: Health = {"connected": False, "version": None, "latency_ms": None}
    try:
        _models(base_url, api_key, timeout=settings.OLLAMA_HEALTH_TIMEOUT)
        result = {
            "connected": True,
            "version": None,
            "latency_ms": int((time.monotonic() - started) * 1000),
        }
    except OpenAIUnavailable:
        pass
    if settings.OLLAMA_HEALTH_CACHE_SECONDS > 0:
        cache.set(key, result, timeout=settings.OLLAMA_HEALTH_CACHE_SECONDS)
    return result


def models_list(*, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The models the server serves, as ids Sift accepts (`openai/<id>`)."""
    base_url, api_key = endpoint()
    return [
        {"id": f"openai/{name}", "name": name, "owned_by": owner}
        for name, owner in _models(base_url, api_key, timeout=timeout)
    ]


def _models(base_url: str, api_key: str | None, *, timeout: float) -> list[tuple[str, str]]:
    client = make_client(base_url, api_key, timeout=timeout)
    try:
        raw = client.models.with_raw_response.list()
        if not is_json(raw.headers):
            raise OpenAIUnavailable(not_an_llm_server(base_url, "not JSON").message)
        return [(m.id, m.owned_by or "") for m in raw.parse().data]
    except openai.APIStatusError as exc:
        raise OpenAIUnavailable(f"{base_url} answered {exc.status_code} to /models.") from exc
    except openai.APIConnectionError as exc:
        raise OpenAIUnavailable(f"{base_url} is unreachable ({type(exc).__name__}).") from exc
    finally:
        client.close()
