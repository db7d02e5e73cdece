"""Gemini through google-genai: Vertex AI (project + location) or the Gemini API (key)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2.credentials import Credentials

from llmconfig.llm.base import (
    LLMAdapter,
    LLMError,
    LLMErrorKind,
    Reply,
    Request,
    error_for_status,
    json_schema,
)


def gemini_config_error(*, use_vertex: bool) -> str | None:
    """Why Gemini cannot be called with the current settings, or None when it can."""
    if use_vertex and not settings.GOOGLE_CLOUD_PROJECT:
        return "GOOGLE_CLOUD_PROJECT is not set: Vertex AI needs a project."
    if not use_vertex and not settings.GEMINI_API_KEY:
        return "GEMINI_API_KEY is not set: the Gemini API needs a key (or set GOOGLE_GENAI_USE_VERTEXAI)."
    return None


def get_client(*, use_vertex: bool, location: str) -> genai.Client:
    problem = gemini_config_error(use_vertex=use_vertex)
    if problem:
        raise ImproperlyConfigured(problem)
    return _client(
        use_vertex=use_vertex,
        location=location if use_vertex else "",
        base_url=settings.GEMINI_BASE_URL,
        project=settings.GOOGLE_CLOUD_PROJECT,
        api_key=settings.GEMINI_API_KEY,
        access_token=settings.GOOGLE_OAUTH_ACCESS_TOKEN,
        timeout_ms=int(settings.LLM_READ_TIMEOUT * 1000),
    )


@lru_cache(maxsize=8)
def _client(
    *,
    use_vertex: bool,
    location: str,
    base_url: str,
    project: str,
    api_key: str,
    access_token: str,
    timeout_ms: int,
) -> genai.Client:
    """One client per configuration per process (its HTTP pool keeps connections alive);
    every setting it reads is part of the key, so a changed setting makes a new client."""
    http_options = types.HttpOptions(base_url=base_url or None, timeout=timeout_ms)
    kwargs: dict[str, Any] = {"http_options": http_options}
    if use_vertex:
        kwargs.update(vertexai=True, project=project, location=location)
        if access_token:
            # A short-lived token (gcloud auth print-access-token) instead of ADC;
            # google-auth ships no type hints.
            kwargs["credentials"] = Credentials(token=access_token)  # type: ignore[no-untyped-call]
    else:
        kwargs["api_key"] = api_key
    return genai.Client(**kwargs)


# A forked Celery pool process must not share its parent's sockets.
os.register_at_fork(after_in_child=_client.cache_clear)


KNOWN_ERRORS = (
    genai_errors.APIError,
    httpx.TransportError,
    ConnectionError,
    TimeoutError,
    ImproperlyConfigured,
)


def classify(exc: BaseException, *, model: str, location: str, use_vertex: bool) -> LLMError:
    if isinstance(exc, genai_errors.APIError):
        code = exc.code
        hint = ""
        if use_vertex and location != "global":
            hint = f" Location '{location}' may not serve it: try GOOGLE_CLOUD_LOCATION=global."
        return error_for_status(
            code,
            {
                LLMErrorKind.UNAVAILABLE: f"Gemini is busy or failing ({code} {exc.status}).",
                LLMErrorKind.AUTH: f"Gemini refused the credentials ({code} {exc.status}).",
                LLMErrorKind.MODEL_MISSING: f"Gemini has no model '{model}' here.{hint}",
                LLMErrorKind.BAD_REQUEST: f"Gemini rejected the request ({code}): {exc.message}",
            },
        )
    if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
        return LLMError(
            f"Gemini is unreachable: {type(exc).__name__}", kind=LLMErrorKind.UNAVAILABLE
        )
    return LLMError(str(exc), kind=LLMErrorKind.AUTH)  # ImproperlyConfigured


class GeminiAdapter(LLMAdapter):
    """Gemini models. Vertex mode when GOOGLE_GENAI_USE_VERTEXAI is on, else the API key."""

    provider = "gemini"

    def __init__(
        self, model_id: str, *, use_vertex: bool | None = None, location: str | None = None
    ) -> None:
        super().__init__(model_id)
        self.use_vertex = settings.GOOGLE_GENAI_USE_VERTEXAI if use_vertex is None else use_vertex
        self.location = location or settings.GOOGLE_CLOUD_LOCATION or "global"

    def _contents(self, request: Request) -> list[types.Content]:
        parts: list[types.Part] = []
        if request.image is not None:
            parts.append(types.Part.from_bytes(data=request.image, mime_type=request.mime_type))
        parts.append(types.Part.from_text(text=request.prompt))
        contents = [types.Content(role="user", parts=parts)]
        for turn in request.history:
            contents.append(
                types.Content(role="model", parts=[types.Part.from_text(text=turn.output)])
            )
            contents.append(
                types.Content(role="user", parts=[types.Part.from_text(text=turn.feedback)])
            )
        return contents

    def _complete(self, request: Request) -> Reply:
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            # The standard JSON schema (not the OpenAPI subset) accepts every Pydantic model.
            response_json_schema=json_schema(request.schema),
            temperature=request.temperature,
            system_instruction=request.system_prompt or None,
        )
        try:
            client = get_client(use_vertex=self.use_vertex, location=self.location)
            response = client.models.generate_content(
                model=self.model_id, contents=self._contents(request), config=config
            )
        except KNOWN_ERRORS as exc:
            # Anything else is a bug and propagates (base.LLMAdapter files it as INTERNAL).
            raise classify(
                exc, model=self.model_id, location=self.location, use_vertex=self.use_vertex
            ) from exc
        text = response.text or ""
        if not text.strip():
            # Vertex answers 200 with no text when it cannot serve a schema: worth a retry.
            raise LLMError("Gemini returned an empty answer.", kind=LLMErrorKind.UNAVAILABLE)
        usage = response.usage_metadata
        return Reply(
            text=text,
            prompt_tokens=usage.prompt_token_count if usage else None,
            output_tokens=usage.candidates_token_count if usage else None,
            cached_tokens=usage.cached_content_token_count if usage else None,
        )


# The seed design's name for it (Vertex AI was its only Gemini route).
VertexAIAdapter = GeminiAdapter
