"""The adapter interface and the two kinds of retry every provider shares.

1. Transport errors (refused, timeout, 429, 5xx, Ollama's 503 "queue full") are retried with
   exponential back-off and jitter by tenacity; the provider module only classifies them.
2. A reply that is not valid for the schema is re-asked: the model sees its own answer and
   the validation errors, as pydantic-ai and instructor do, up to `max_retries` attempts.

A permanent error (bad key, unknown model, schema never met) raises `LLMError` with
`permanent=True` and the raw output, and is not retried.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from config.errors import DomainError

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")


class LLMErrorKind(StrEnum):
    UNAVAILABLE = "unavailable"  # refused, timeout, 5xx, 429: wait and try again
    MODEL_MISSING = "model_missing"  # the provider does not have this model
    AUTH = "auth"  # 401/403: the key is wrong or missing
    BAD_REQUEST = "bad_request"  # the provider rejected the request itself
    INVALID_OUTPUT = "invalid_output"  # the model never produced a valid object
    INTERNAL = "internal"  # a bug (Sift's or a library's): never retried, traceback logged


class LLMError(DomainError):
    """Every failure an adapter raises. `permanent` errors are not worth retrying as-is.
    Over the API: a model the provider lacks is the caller's 400 on `model`; an outage 503;
    anything else the provider did 502, with what it said."""

    def __init__(
        self,
        message: str,
        *,
        kind: LLMErrorKind,
        status_code: int | None = None,
        raw_output: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.provider_status = status_code
        self.raw_output = raw_output
        if kind is LLMErrorKind.MODEL_MISSING:
            self.status_code, self.field = 400, "model"
        elif kind is LLMErrorKind.UNAVAILABLE:
            self.status_code = 503
        else:
            self.status_code = 502
            if raw_output:
                self.extra = {"raw_output": raw_output[:4000]}

    @property
    def permanent(self) -> bool:
        return self.kind is not LLMErrorKind.UNAVAILABLE


TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def error_for_status(code: int, messages: dict[LLMErrorKind, str]) -> LLMError:
    """The one table both providers share: which HTTP status means which kind of failure.
    `messages` gives the provider's wording per kind (BAD_REQUEST is the fallback)."""
    if code in TRANSIENT_STATUS:
        kind = LLMErrorKind.UNAVAILABLE
    elif code in (401, 403):
        kind = LLMErrorKind.AUTH
    elif code == 404:
        kind = LLMErrorKind.MODEL_MISSING
    else:
        kind = LLMErrorKind.BAD_REQUEST
    return LLMError(
        messages.get(kind) or messages[LLMErrorKind.BAD_REQUEST], kind=kind, status_code=code
    )


@dataclass
class Turn:
    """One failed attempt fed back to the model: what it said and what was wrong."""

    output: str
    feedback: str


@dataclass
class Request:
    prompt: str
    schema: type[BaseModel]
    temperature: float
    system_prompt: str | None = None
    image: bytes | None = None
    mime_type: str = "image/jpeg"
    history: list[Turn] = field(default_factory=list)


@dataclass
class Reply:
    text: str
    prompt_tokens: int | None = None
    output_tokens: int | None = None


@dataclass
class CallRecord:
    """What `llmconfig.models.LLMCall` stores; written by the sync wrappers in one insert."""

    model_id: str
    purpose: str
    latency_ms: int
    outcome: str
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    error: str = ""


_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def strip_fences(text: str) -> str:
    """```json … ``` around an answer is the most common way a model breaks JSON."""
    match = _FENCE.match(text)
    return match.group(1).strip() if match else text.strip()


def validation_feedback(exc: ValidationError | ValueError) -> str:
    if isinstance(exc, ValidationError):
        errors = json.dumps(exc.errors(include_url=False, include_context=False), default=str)
        count = exc.error_count()
        return (
            f"{count} validation error{'s' if count != 1 else ''}:\n{errors}\n\n"
            "Fix the errors and answer again with only the corrected JSON object."
        )
    return f"Your answer was not valid JSON ({exc}). Answer with only one JSON object."


@lru_cache(maxsize=64)
def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """A schema class's JSON schema, built once (it costs ~2 ms each time)."""
    return schema.model_json_schema()


def schema_instructions(schema: type[BaseModel]) -> str:
    """For providers that ignore a JSON schema (Ollama Cloud): the schema goes in the prompt."""
    return (
        "IMPORTANT: You MUST respond with a single JSON object (no markdown, no commentary, "
        "no code fences) that matches this JSON schema:\n"
        + json.dumps(json_schema(schema), indent=2)
        + "\nAll string fields must be strings (not arrays). Return ONLY the JSON object."
    )


class LLMAdapter(ABC):
    """`generate_text` and `analyze_image` return a validated instance of `schema`."""

    provider: str = ""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.calls: list[CallRecord] = []
        self.last_saved: list[CallRecord] = []

    # --- the interface ------------------------------------------------------------------
    async def generate_text(
        self,
        prompt: str,
        schema: type[T],
        *,
        temperature: float = 0.7,
        system_prompt: str | None = None,
        max_retries: int = 3,
        purpose: str = "generate",
    ) -> T:
        request = Request(
            prompt=prompt, schema=schema, temperature=temperature, system_prompt=system_prompt
        )
        return await self._structured(request, schema, max_retries=max_retries, purpose=purpose)

    async def analyze_image(
        self,
        image_bytes: bytes,
        prompt: str,
        schema: type[T],
        *,
        mime_type: str = "image/jpeg",
        temperature: float = 0.2,
        max_retries: int = 3,
        purpose: str = "analyze-image",
    ) -> T:
        request = Request(
            prompt=prompt,
            schema=schema,
            temperature=temperature,
            image=image_bytes,
            mime_type=mime_type,
        )
        return await self._structured(request, schema, max_retries=max_retries, purpose=purpose)

    # --- synchronous use (Celery tasks, DRF views) --------------------------------------
    def generate_text_sync(
        self, prompt: str, schema: type[T], *, save: bool = True, **kwargs: Any
    ) -> T:
        """`save=False` leaves the call records in `calls` for the caller to write with its
        own result (one insert per article); a failure always writes them at once."""
        return self._run_and_record(self.generate_text(prompt, schema, **kwargs), save=save)

    def analyze_image_sync(
        self, image_bytes: bytes, prompt: str, schema: type[T], *, save: bool = True, **kwargs: Any
    ) -> T:
        return self._run_and_record(
            self.analyze_image(image_bytes, prompt, schema, **kwargs), save=save
        )

    def _run_and_record(self, coro: Coroutine[Any, Any, R], *, save: bool) -> R:
        try:
            result = run_sync(coro)
        except BaseException:
            self.save_calls()
            raise
        if save:
            self.save_calls()
        return result

    def take_calls(self) -> list[CallRecord]:
        records, self.calls = self.calls, []
        self.last_saved = records
        return records

    def save_calls(self) -> None:
        """Write the call records gathered so far in one insert (cheap next to an LLM call)."""
        records = self.take_calls()
        if records:
            from llmconfig.models import LLMCall

            LLMCall.objects.bulk_create([LLMCall(**vars(r)) for r in records])

    # --- what a provider implements -----------------------------------------------------
    @abstractmethod
    async def _complete(self, request: Request) -> Reply:
        """Send one request; raise `LLMError` (classified) on any failure."""

    # --- shared machinery ---------------------------------------------------------------
    async def _structured(
        self, request: Request, schema: type[T], *, max_retries: int, purpose: str
    ) -> T:
        attempts = max(1, max_retries)
        last_output = ""
        for attempt in range(1, attempts + 1):
            reply = await self._complete_with_retry(request, purpose)
            last_output = reply.text
            try:
                text = strip_fences(reply.text)
                if not text:
                    raise ValueError("empty answer")
                result = schema.model_validate_json(text)
            except (ValidationError, ValueError) as exc:
                self.calls[-1].outcome = "invalid"
                self.calls[-1].error = str(exc)[:2000]
                if attempt < attempts:
                    request.history.append(
                        Turn(output=reply.text, feedback=validation_feedback(exc))
                    )
                    continue
                raise LLMError(
                    f"{self.model_id} did not produce a valid {schema.__name__} after "
                    f"{attempts} attempt(s): {exc}",
                    kind=LLMErrorKind.INVALID_OUTPUT,
                    raw_output=last_output,
                ) from exc
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _complete_with_retry(self, request: Request, purpose: str) -> Reply:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.LLM_RETRY_ATTEMPTS),
            wait=wait_exponential_jitter(initial=0.5, max=settings.LLM_RETRY_MAX_WAIT, jitter=1),
            retry=retry_if_exception(lambda e: isinstance(e, LLMError) and not e.permanent),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                started = time.monotonic()
                try:
                    reply = await self._complete(request)
                except LLMError as exc:
                    self._record(
                        purpose, started, "transient" if not exc.permanent else "failed", str(exc)
                    )
                    raise
                self._record(purpose, started, "ok", "", reply.prompt_tokens, reply.output_tokens)
                return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(
        self,
        purpose: str,
        started: float,
        outcome: str,
        error: str,
        prompt_tokens: int | None = None,
        output_tokens: int | None = None,
    ) -> None:
        self.calls.append(
            CallRecord(
                model_id=self.model_id,
                purpose=purpose,
                latency_ms=int((time.monotonic() - started) * 1000),
                outcome=outcome,
                prompt_tokens=prompt_tokens,
                output_tokens=output_tokens,
                error=error[:2000],
            )
        )


class _LoopPerThread(threading.local):
    """One event loop per thread, kept open between calls.

    HTTP clients (httpx inside ollama and google-genai) bind their connection pools to the
    loop that first used them; a fresh loop per call (asyncio.run) would break cached clients.
    This is per-thread plumbing, not shared state: nothing here needs another process.
    """

    loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
        return self.loop


_thread_loops = _LoopPerThread()


def run_sync(coro: Coroutine[Any, Any, R]) -> R:
    """Run an adapter coroutine from synchronous code (a Celery task or a DRF view)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _thread_loops.get().run_until_complete(coro)
    raise RuntimeError("run_sync() called inside an event loop; await the async method instead.")
