"""Any OpenAI-compatible server (llama.cpp's server, vLLM, LM Studio, LocalAI, OpenRouter,
Groq, Together …) through the official `openai` client.

Structured output asks for `response_format: json_schema` first. Some servers refuse it
(llama.cpp's server knows only `json_object`, with its own `schema` key): the refusal is
remembered per endpoint in the cache, shared by every process, and from then on the schema
goes as `json_object` + `schema` and into the prompt, where any server's model can read it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Generator
from functools import lru_cache
from typing import Any

import httpx2
import openai
from django.conf import settings
from django.core.cache import cache
from openai.types.chat import ChatCompletion

from llmconfig.llm.base import (
    LLMAdapter,
    LLMError,
    LLMErrorKind,
    Reply,
    Request,
    error_for_status,
    grammar_schema,
    schema_instructions,
)
from llmconfig.llm.ids import ModelId
from llmconfig.llm.ollama import shared_ssl_context

JSON_OBJECT_KEY = "sift:openai:json-object-only:{url}"
# How long an endpoint's refusal of json_schema is remembered: a server upgrade is noticed
# within a day, and one extra refused call a day costs nothing.
JSON_OBJECT_REMEMBER_SECONDS = 24 * 3600


class NoKey(httpx2.Auth):
    """No Authorization header at all: a server without keys gets none."""

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response]:
        request.headers.pop("Authorization", None)
        yield request


def make_client(
    base_url: str, api_key: str | None, *, timeout: float | None = None
) -> openai.OpenAI:
    """A client with Sift's rules: bounded timeouts, no redirects (an LLM endpoint has no
    reason to redirect; refusing closes an SSRF path), no retries of its own (Sift's retry
    policy is the one in base.py), and no key unless one is configured here. The client
    insists on a key, so without one it gets a placeholder that `NoKey` strips: neither it
    nor OPENAI_API_KEY from the environment ever reaches the server."""
    limit = httpx2.Timeout(
        timeout or settings.LLM_READ_TIMEOUT, connect=settings.LLM_CONNECT_TIMEOUT
    )
    return openai.OpenAI(
        base_url=base_url,
        api_key=api_key or "no-key",
        max_retries=0,
        timeout=limit,
        http_client=openai.DefaultHttpxClient(
            follow_redirects=False,
            verify=shared_ssl_context(),
            timeout=limit,
            auth=None if api_key else NoKey(),
        ),
    )


@lru_cache(maxsize=16)
def chat_client(base_url: str, api_key: str | None) -> openai.OpenAI:
    """One client per endpoint per process: consecutive calls reuse a keep-alive connection."""
    return make_client(base_url, api_key)


# A forked Celery pool process must not share its parent's sockets.
os.register_at_fork(after_in_child=chat_client.cache_clear)


def retry_after_seconds(response: httpx2.Response) -> float | None:
    """`Retry-After` in seconds (the HTTP-date form is not used by LLM APIs)."""
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def classify(exc: openai.OpenAIError, *, model: str, base_url: str) -> LLMError:
    """Map the client's exceptions onto `LLMError` kinds, with reasons a reader understands."""
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        detail = _error_message(exc)
        error = error_for_status(
            code,
            {
                LLMErrorKind.UNAVAILABLE: f"{base_url} is busy or failing ({code}): {detail}",
                LLMErrorKind.AUTH: f"{base_url} refused the API key ({code}): {detail}",
                LLMErrorKind.MODEL_MISSING: (
                    f"{base_url} does not serve a model '{model}' ({detail}). Check the name "
                    "in its /v1/models, and that the base URL ends where the API starts "
                    "(usually /v1)."
                ),
                LLMErrorKind.BAD_REQUEST: f"{base_url} rejected the request ({code}): {detail}",
            },
        )
        if code == 429:
            error.retry_after = retry_after_seconds(exc.response)
        return error
    if isinstance(exc, openai.APIConnectionError):  # refused, reset, timed out
        return LLMError(
            f"{base_url} is unreachable: {type(exc).__name__}", kind=LLMErrorKind.UNAVAILABLE
        )
    return not_an_llm_server(base_url, str(exc))


def not_an_llm_server(
    base_url: str, what: str, kind: LLMErrorKind = LLMErrorKind.ENDPOINT
) -> LLMError:
    return LLMError(
        f"{base_url} did not answer as an OpenAI-compatible API ({what}). Is the base URL "
        "right? It usually ends in /v1.",
        kind=kind,
    )


def is_json(headers: httpx2.Headers) -> bool:
    """A JSON answer; anything else (an HTML page from a proxy or a web server at the wrong
    path) would reach the client's parser as plain text."""
    return headers.get("content-type", "").split(";")[0].strip().endswith("json")


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message") or body.get("detail") or body
        return str(message)[:500]
    return str(exc.message)[:500]


def _refuses_json_schema(exc: openai.APIStatusError) -> bool:
    """An error naming `response_format` and `json_schema`: the server does not know that
    format. Its status varies: llama.cpp's server answers 500 (its request validation error
    goes through its generic handler), others 400 or 422."""
    body = str(exc.body)
    return (
        exc.status_code in (400, 422, 500) and "response_format" in body and "json_schema" in body
    )


class OpenAICompatAdapter(LLMAdapter):
    provider = "openai"

    def __init__(self, model_id: str, base_url: str, api_key: str | None = None) -> None:
        super().__init__(model_id)
        self.model = ModelId.parse(model_id).bare
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key

    @property
    def json_object_only(self) -> bool:
        return bool(cache.get(JSON_OBJECT_KEY.format(url=self.base_url)))

    def _messages(self, request: Request, *, schema_in_prompt: bool) -> list[dict[str, Any]]:
        system = request.system_prompt or ""
        if schema_in_prompt:
            system = (system + "\n\n" if system else "") + schema_instructions(request.schema)
        messages: list[dict[str, Any]] = []
        if system:
            messages.append({"role": "system", "content": system})
        if request.image is None:
            messages.append({"role": "user", "content": request.prompt})
        else:
            data_url = f"data:{request.mime_type};base64,{base64.b64encode(request.image).decode()}"
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": request.prompt},
                        {"type": "image_url", "image_url": {"url": data_url}},
                    ],
                }
            )
        for turn in request.history:
            messages.append({"role": "assistant", "content": turn.output})
            messages.append({"role": "user", "content": turn.feedback})
        return messages

    def _complete(self, request: Request) -> Reply:
        if not self.json_object_only:
            try:
                return self._send(request, json_object=False)
            except openai.APIStatusError as exc:
                if not _refuses_json_schema(exc):
                    raise classify(exc, model=self.model, base_url=self.base_url) from exc
                cache.set(
                    JSON_OBJECT_KEY.format(url=self.base_url),
                    True,
                    timeout=JSON_OBJECT_REMEMBER_SECONDS,
                )
            except openai.OpenAIError as exc:
                raise classify(exc, model=self.model, base_url=self.base_url) from exc
        try:
            return self._send(request, json_object=True)
        except openai.OpenAIError as exc:
            raise classify(exc, model=self.model, base_url=self.base_url) from exc

    def _send(self, request: Request, *, json_object: bool) -> Reply:
        schema = grammar_schema(request.schema)
        response_format: dict[str, Any]
        if json_object:
            # llama.cpp's server turns its own `schema` key into a grammar; others ignore it
            # and read the schema from the prompt.
            response_format = {"type": "json_object", "schema": schema}
        else:
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": request.schema.__name__, "schema": schema},
            }
        # The message and format dicts follow the API's shapes; llama.cpp's extra `schema`
        # key is outside the client's TypedDicts, hence Any.
        completions = chat_client(self.base_url, self.api_key).chat.completions
        create: Any = completions.with_raw_response.create
        raw = create(
            model=self.model,
            messages=self._messages(request, schema_in_prompt=json_object),
            temperature=request.temperature,
            response_format=response_format,
        )
        if not is_json(raw.headers):
            what = raw.headers.get("content-type") or "no content type"
            raise not_an_llm_server(self.base_url, f"{what}, not JSON", LLMErrorKind.MALFORMED)
        response: ChatCompletion = raw.parse()
        if not response.choices:
            raise not_an_llm_server(self.base_url, "a reply without choices")
        choice = response.choices[0]
        usage = response.usage
        details = usage.prompt_tokens_details if usage else None
        return Reply(
            text=choice.message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
            cached_tokens=details.cached_tokens if details else None,
            truncated=choice.finish_reason == "length",
        )
