"""Ollama, local or Cloud, through the official `ollama` client."""

from __future__ import annotations

import base64
import json
import os
import ssl
from collections.abc import Generator
from functools import lru_cache
from typing import Any

import httpx
import ollama
from django.conf import settings
from django.core.cache import cache

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


@lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes ~20 ms; once per process is enough."""
    return httpx.create_ssl_context()


class BearerKey(httpx.Auth):
    """`Authorization: Bearer <key>` when a key is configured, and no Authorization header
    at all otherwise: the ollama library adds OLLAMA_API_KEY from the environment by
    itself, and a local server must never receive a key the user did not configure here."""

    def __init__(self, api_key: str | None) -> None:
        self.api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.api_key:
            request.headers["Authorization"] = f"Bearer {self.api_key}"
        else:
            request.headers.pop("Authorization", None)
        yield request


def client_options(api_key: str | None, timeout: httpx.Timeout | None = None) -> dict[str, Any]:
    """What every Ollama client gets: a bounded timeout (the library's default is to wait
    forever), the key rule above, the shared SSL context, and no redirects (an Ollama
    endpoint has no reason to redirect; refusing them closes an SSRF path)."""
    return {
        "timeout": timeout
        or httpx.Timeout(settings.LLM_READ_TIMEOUT, connect=settings.LLM_CONNECT_TIMEOUT),
        "auth": BearerKey(api_key),
        "follow_redirects": False,
        "verify": shared_ssl_context(),
    }


def make_client(
    base_url: str, api_key: str | None = None, *, timeout: httpx.Timeout | None = None
) -> ollama.Client:
    return ollama.Client(host=base_url, **client_options(api_key, timeout))


@lru_cache(maxsize=16)
def chat_client(base_url: str, api_key: str | None) -> ollama.Client:
    """One client per endpoint per process, so consecutive calls reuse a keep-alive
    connection (httpx clients are safe to share between threads)."""
    return make_client(base_url, api_key)


# A forked Celery pool process must not share its parent's sockets.
os.register_at_fork(after_in_child=chat_client.cache_clear)


def classify(
    exc: ollama.ResponseError | ConnectionError | httpx.TransportError, model: str
) -> LLMError:
    """Map the client's protocol and transport exceptions onto `LLMError` kinds."""
    if isinstance(exc, ollama.ResponseError):
        code = exc.status_code
        return error_for_status(
            code,
            {
                LLMErrorKind.UNAVAILABLE: f"Ollama is busy or failing ({code}): {exc.error}",
                LLMErrorKind.AUTH: f"Ollama rejected the API key ({code}).",
                LLMErrorKind.MODEL_MISSING: f"Ollama has no model '{model}' ({exc.error}). Pull it first.",
                LLMErrorKind.BAD_REQUEST: f"Ollama rejected the request ({code}): {exc.error}",
            },
        )
    return LLMError(f"Ollama is unreachable: {type(exc).__name__}", kind=LLMErrorKind.UNAVAILABLE)


def embed(texts: list[str], *, model: str, base_url: str, api_key: str | None) -> list[list[float]]:
    """Embeddings from Ollama's /api/embed, one per text. Raises LLMError like a chat call."""
    try:
        response = chat_client(base_url, api_key).embed(model=model, input=texts)
    except (ollama.ResponseError, ConnectionError, httpx.TransportError) as exc:
        raise classify(exc, model) from exc
    return [list(vector) for vector in response.embeddings]


# The context Ollama gives a model whose Modelfile sets no num_ctx (Ollama's own default
# since 0.6; a request could ask for more, but a different num_ctx reloads the model).
OLLAMA_DEFAULT_NUM_CTX = 4096
NUM_CTX_CACHE_SECONDS = 600


class OllamaAdapter(LLMAdapter):
    provider = "ollama"

    def __init__(
        self,
        model_id: str,
        base_url: str = "http://localhost:11434",
        api_key: str | None = None,
        *,
        cloud: bool | None = None,
        think: bool = False,
    ) -> None:
        super().__init__(model_id)
        self.model = ModelId.parse(model_id).bare
        self.base_url = base_url
        self.api_key = api_key
        self.think = think
        # Ollama Cloud (and `-cloud` models proxied by a local server) accept a JSON schema
        # in `format` and then ignore it, so there the schema goes into the prompt.
        self.cloud = (
            cloud
            if cloud is not None
            else ("ollama.com" in base_url or self.model.endswith("-cloud"))
        )

    def context_tokens(self) -> int | None:
        """From /api/show, kept 10 minutes. A server that cannot answer gets Ollama's default:
        the chat call that follows reports the real problem."""
        key = f"sift:ollama:num-ctx:{self.base_url}:{self.model}"
        known = cache.get(key)
        if isinstance(known, int):
            return known
        try:
            tokens = num_ctx(chat_client(self.base_url, self.api_key).show(self.model))
        except (ollama.ResponseError, ConnectionError, httpx.TransportError):
            return OLLAMA_DEFAULT_NUM_CTX
        cache.set(key, tokens, NUM_CTX_CACHE_SECONDS)
        return tokens

    def _messages(self, request: Request) -> list[dict[str, Any]]:
        system = request.system_prompt or ""
        if self.cloud:
            system = (system + "\n\n" if system else "") + schema_instructions(request.schema)
        messages: list[dict[str, Any]] = []
        if system:
            messages.append({"role": "system", "content": system})
        user: dict[str, Any] = {"role": "user", "content": request.prompt}
        if request.image is not None:
            # Raw base64, no data: prefix (the API's rule).
            user["images"] = [base64.b64encode(request.image).decode()]
        messages.append(user)
        for turn in request.history:
            messages.append({"role": "assistant", "content": turn.output})
            messages.append({"role": "user", "content": turn.feedback})
        return messages

    def _complete(self, request: Request) -> Reply:
        client = chat_client(self.base_url, self.api_key)
        try:
            response = client.chat(
                model=self.model,
                messages=self._messages(request),
                format="json" if self.cloud else grammar_schema(request.schema),
                options={"temperature": request.temperature},
                stream=False,
                think=self.think,
            )
        except (ollama.ResponseError, ConnectionError, httpx.TransportError) as exc:
            # Only what the protocol can answer is an LLMError; anything else is a bug and
            # propagates (base.LLMAdapter files it as INTERNAL, with its traceback).
            raise classify(exc, self.model) from exc
        except json.JSONDecodeError as exc:  # a 200 that is no JSON: a proxy's HTML page
            raise LLMError(
                f"Ollama's address answered with something that is not JSON ({exc.msg}): "
                "a proxy or another web server in front of it?",
                kind=LLMErrorKind.MALFORMED,
            ) from exc
        return Reply(
            text=response.message.content or "",
            prompt_tokens=response.prompt_eval_count,
            output_tokens=response.eval_count,
            prompt_eval_ms=_ms(response.prompt_eval_duration),
            eval_ms=_ms(response.eval_duration),
        )


def num_ctx(shown: ollama.ShowResponse) -> int:
    """The context Ollama runs a model with: `num_ctx` from its Modelfile parameters, else
    Ollama's default, never more than the model was trained for."""
    for line in (shown.parameters or "").splitlines():
        name, _, value = line.strip().partition(" ")
        if name == "num_ctx" and value.strip().isdigit():
            return int(value.strip())
    trained = [
        int(value)
        for key, value in (shown.modelinfo or {}).items()
        if key.endswith(".context_length") and isinstance(value, int)
    ]
    return min([OLLAMA_DEFAULT_NUM_CTX, *trained])


def _ms(nanoseconds: int | None) -> float | None:
    return None if nanoseconds is None else round(nanoseconds / 1e6, 3)
