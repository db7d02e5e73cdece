"""Ollama, local or Cloud, through the official `ollama` client."""

from __future__ import annotations

import base64
import ssl
import threading
from functools import lru_cache
from typing import Any

import httpx
import ollama
from django.conf import settings

from llmconfig.llm.base import (
    LLMAdapter,
    LLMError,
    LLMErrorKind,
    Reply,
    Request,
    error_for_status,
    json_schema,
    schema_instructions,
)
from llmconfig.llm.ids import ModelId


@lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes ~20 ms; once per process is enough."""
    return httpx.create_ssl_context()


def make_client(
    base_url: str, api_key: str | None = None, *, timeout: httpx.Timeout | None = None
) -> ollama.AsyncClient:
    """An AsyncClient with a bounded timeout (the library's default is to wait forever) and
    `Authorization: Bearer` only when a key is given."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    client = ollama.AsyncClient(
        host=base_url,
        headers=headers,
        timeout=timeout
        or httpx.Timeout(settings.LLM_READ_TIMEOUT, connect=settings.LLM_CONNECT_TIMEOUT),
        # An Ollama endpoint has no reason to redirect; refusing redirects closes an SSRF path.
        follow_redirects=False,
        verify=shared_ssl_context(),
    )
    if not api_key:
        # The library adds OLLAMA_API_KEY from the environment by itself; a local server must
        # never receive a key the user did not configure here.
        client._client.headers.pop("authorization", None)
    return client


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


class _ClientsPerThread(threading.local):
    """Chat clients kept per thread (their connection pool belongs to the thread's event
    loop, see base.run_sync), so consecutive calls reuse one keep-alive connection."""

    clients: dict[tuple[str, str | None], ollama.AsyncClient] | None = None

    def get(self, base_url: str, api_key: str | None) -> ollama.AsyncClient:
        if self.clients is None:
            self.clients = {}
        key = (base_url, api_key)
        if key not in self.clients:
            self.clients[key] = make_client(base_url, api_key)
        return self.clients[key]


_thread_clients = _ClientsPerThread()


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

    async def _complete(self, request: Request) -> Reply:
        client = _thread_clients.get(self.base_url, self.api_key)
        try:
            response = await client.chat(
                model=self.model,
                messages=self._messages(request),
                format="json" if self.cloud else json_schema(request.schema),
                options={"temperature": request.temperature},
                stream=False,
                think=self.think,
            )
        except (ollama.ResponseError, ConnectionError, httpx.TransportError) as exc:
            # Only what the protocol can answer is an LLMError. Anything else (a TypeError
            # after a library upgrade, a reply in a shape the client cannot read) is a bug:
            # it propagates with its traceback instead of passing for an outage.
            raise classify(exc, self.model) from exc
        return Reply(
            text=response.message.content or "",
            prompt_tokens=response.prompt_eval_count,
            output_tokens=response.eval_count,
        )
