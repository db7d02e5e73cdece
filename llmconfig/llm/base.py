"""The adapter interface and the two kinds of retry every provider shares.

1. Transport errors (refused, timeout, 429, 5xx, Ollama's 503 "queue full") are retried with
   exponential back-off and jitter by tenacity; the provider module only classifies them.
2. A reply that is not valid for the schema is re-asked: the model sees its own answer and
   the validation errors, as pydantic-ai and instructor do, up to `max_retries` attempts.
3. Anything else a provider raises is a bug (a `TypeError` after a library upgrade, a reply
   the client cannot read): logged with its traceback and raised as `LLMErrorKind.INTERNAL`,
   never retried and never mistaken for an outage.

Every caller in Sift is synchronous (Celery tasks, DRF views), so providers are called
through their synchronous clients. `generate` returns a `Completion`: the value and the
record of every HTTP call it took, for the one caller that saves them with its own result.
A failure carries its records on `LLMError.calls`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Generic, TypeVar

from django.conf import settings
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from common.errors import DomainError
from common.secrets import redact

T = TypeVar("T", bound=BaseModel)
V = TypeVar("V")

logger = logging.getLogger(__name__)


class LLMErrorKind(StrEnum):
    UNAVAILABLE = "unavailable"  # refused, timeout, 5xx, 429: wait and try again
    MODEL_MISSING = "model_missing"  # the provider does not have this model
    AUTH = "auth"  # 401/403: the key is wrong or missing
    BAD_REQUEST = "bad_request"  # the provider rejected the request itself
    INVALID_OUTPUT = "invalid_output"  # the model never produced a valid object
    ENDPOINT = "endpoint"  # the address answers, but not as an LLM API: a wrong URL
    # A 200 that is not the API's JSON at all (an HTML page from a proxy or a web server at
    # the wrong path): asked again like a malformed reply, then failed with this reason.
    MALFORMED = "malformed"
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
        # The HTTP calls made before it failed; the caller saves them with the failure.
        self.calls: list[CallRecord] = []
        self.provider_status = status_code
        self.raw_output = redact(raw_output)
        # Seconds the server asked us to wait (429 Retry-After), honoured by the retry.
        self.retry_after: float | None = None
        if kind is LLMErrorKind.MODEL_MISSING:
            self.status_code, self.field = 400, "model"
        elif kind in (LLMErrorKind.UNAVAILABLE, LLMErrorKind.ENDPOINT, LLMErrorKind.MALFORMED):
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
    cached_tokens: int | None = None  # prompt tokens the server served from its cache
    prompt_eval_ms: float | None = None  # reading the prompt (Ollama reports it)
    eval_ms: float | None = None  # writing the answer
    truncated: bool = False  # stopped at the token limit: the JSON is cut off


@dataclass
class CallRecord:
    """One HTTP call to a provider, as `llmconfig.models.LLMCall` stores it."""

    model_id: str
    purpose: str
    latency_ms: int
    outcome: str
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    prompt_eval_ms: float | None = None
    eval_ms: float | None = None
    error: str = ""
    articles: int = 1  # how many articles the call asked about (a batch: several)


@dataclass(frozen=True)
class Completion(Generic[V]):
    """A result and the calls it took: the caller writes both in one transaction."""

    value: V
    calls: list[CallRecord]


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


def parse_reply(reply: Reply, schema: type[T]) -> T:
    """The reply as a `schema` instance. Tolerant where the meaning is unambiguous: code
    fences around the JSON, raw control characters (newlines, tabs) inside strings, which
    small models write and strict JSON forbids, and lists longer than the schema allows,
    trimmed to their bound (seven matched interests where five fit: the first five are the
    answer; re-asking failed an article after nine tries). Nothing else is repaired: a value
    out of range is the model's error and is re-asked, never clamped."""
    if reply.truncated:
        raise ValueError(
            "the answer was cut off at the token limit; answer again, shorter, with only "
            "the JSON object"
        )
    text = strip_fences(reply.text)
    if not text:
        raise ValueError("empty answer")
    data = json.loads(text, strict=False)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        if not _trim_long_lists(data, exc):
            raise
    return schema.model_validate(data)


def _trim_long_lists(data: Any, exc: ValidationError) -> bool:
    """Cut each list the validation found too long to its bound, in place. Whether any was."""
    trimmed = False
    for error in exc.errors(include_url=False):
        limit = (error.get("ctx") or {}).get("max_length")
        if error["type"] != "too_long" or not isinstance(limit, int):
            continue
        target = data
        try:
            for key in error["loc"]:
                target = target[key]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(target, list) and len(target) > limit:
            del target[limit:]
            trimmed = True
    return trimmed


def _told_to_wait(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    return exc.retry_after if isinstance(exc, LLMError) else None


class wait_as_told(wait_base):
    """The server's Retry-After when it gave one, else the fallback strategy."""

    def __init__(self, fallback: wait_base) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: RetryCallState) -> float:
        told = _told_to_wait(retry_state)
        return told if told is not None else self.fallback(retry_state)


class stop_if_told_to_wait_too_long(stop_base):
    """A server that asks for a longer wait than LLM_RETRY_MAX_WAIT is not hammered: the
    call gives up as unavailable (scoring pauses and probes again later)."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        told = _told_to_wait(retry_state)
        return told is not None and told > settings.LLM_RETRY_MAX_WAIT


@lru_cache(maxsize=64)
def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """A schema class's JSON schema, built once (it costs ~2 ms each time)."""
    return schema.model_json_schema()


@lru_cache(maxsize=64)
def grammar_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The schema for servers that turn it into a grammar (Ollama, llama.cpp): their
    converters enforce `enum` but not an integer's `minimum`/`maximum` (a 0-10 field came
    back as 100), so a small bounded integer also lists its values. Validation still
    checks the bounds, for servers that ignore the schema."""

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            node = {key: visit(value) for key, value in node.items()}
            low, high = node.get("minimum"), node.get("maximum")
            bounded = isinstance(low, int) and isinstance(high, int) and 0 <= high - low <= 100
            if node.get("type") == "integer" and bounded:
                node["enum"] = list(range(low, high + 1))
            return node
        if isinstance(node, list):
            return [visit(value) for value in node]
        return node

    result: dict[str, Any] = visit(json_schema(schema))
    return result


def schema_instructions(schema: type[BaseModel]) -> str:
    """For providers that ignore a JSON schema (Ollama Cloud): the schema goes in the prompt."""
    return (
        "IMPORTANT: You MUST respond with a single JSON object (no markdown, no commentary, "
        "no code fences) that matches this JSON schema:\n"
        + json.dumps(json_schema(schema), indent=2)
        + "\nAll string fields must be strings (not arrays). Return ONLY the JSON object."
    )


class LLMAdapter(ABC):
    """`generate` returns a validated instance of `schema` with its call records."""

    provider: str = ""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    # --- the interface ------------------------------------------------------------------
    def generate(
        self,
        prompt: str,
        schema: type[T],
        *,
        temperature: float = 0.7,
        system_prompt: str | None = None,
        image: bytes | None = None,
        mime_type: str = "image/jpeg",
        max_retries: int = 3,
        purpose: str = "generate",
    ) -> Completion[T]:
        request = Request(
            prompt=prompt,
            schema=schema,
            temperature=temperature,
            system_prompt=system_prompt,
            image=image,
            mime_type=mime_type,
        )
        calls: list[CallRecord] = []
        try:
            value = self._structured(
                request, schema, calls, max_retries=max_retries, purpose=purpose
            )
        except LLMError as exc:
            exc.calls = calls
            raise
        return Completion(value, calls)

    def context_tokens(self) -> int | None:
        """The model's context window in tokens, where the provider tells it; None when it
        cannot (batched scoring then fits batches only by SCORING_NUM_CTX)."""
        return None

    # --- what a provider implements -----------------------------------------------------
    @abstractmethod
    def _complete(self, request: Request) -> Reply:
        """Send one request. Raise `LLMError` for what the protocol can answer (status
        codes, refused connections, timeouts); let anything else propagate."""

    # --- shared machinery ---------------------------------------------------------------
    def _structured(
        self,
        request: Request,
        schema: type[T],
        calls: list[CallRecord],
        *,
        max_retries: int,
        purpose: str,
    ) -> T:
        attempts = max(1, max_retries)
        for attempt in range(1, attempts + 1):
            try:
                reply = self._complete_with_retry(request, calls, purpose)
            except LLMError as exc:
                if exc.kind is LLMErrorKind.MALFORMED and attempt < attempts:
                    continue  # nothing the model said to feed back: just ask again
                raise
            try:
                return parse_reply(reply, schema)
            except (ValidationError, ValueError) as exc:
                calls[-1].outcome = "invalid"
                calls[-1].error = redact(str(exc))[:2000]
                if attempt == attempts:
                    raise LLMError(
                        f"{self.model_id} did not produce a valid {schema.__name__} after "
                        f"{attempts} attempt(s): {exc}",
                        kind=LLMErrorKind.INVALID_OUTPUT,
                        raw_output=reply.text,
                    ) from exc
                request.history.append(Turn(output=reply.text, feedback=validation_feedback(exc)))
        raise AssertionError("unreachable")  # pragma: no cover

    def _complete_with_retry(
        self, request: Request, calls: list[CallRecord], purpose: str
    ) -> Reply:
        retrying = Retrying(
            stop=stop_after_attempt(settings.LLM_RETRY_ATTEMPTS) | stop_if_told_to_wait_too_long(),
            wait=wait_as_told(
                wait_exponential_jitter(initial=0.5, max=settings.LLM_RETRY_MAX_WAIT, jitter=1)
            ),
            retry=retry_if_exception(lambda e: isinstance(e, LLMError) and not e.permanent),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                started = time.monotonic()
                try:
                    reply = self._complete(request)
                except LLMError as exc:
                    outcome = "failed" if exc.permanent else "transient"
                    calls.append(self._record(purpose, started, outcome, str(exc)))
                    raise
                except Exception as exc:
                    logger.exception("%s call to %s hit an internal error", purpose, self.model_id)
                    calls.append(self._record(purpose, started, "failed", repr(exc)))
                    raise LLMError(
                        f"Internal error: {type(exc).__name__} calling {self.model_id} "
                        f"(the log has the traceback): {exc}",
                        kind=LLMErrorKind.INTERNAL,
                    ) from exc
                record = self._record(purpose, started, "ok", "")
                record.prompt_tokens, record.output_tokens = (
                    reply.prompt_tokens,
                    reply.output_tokens,
                )
                record.cached_tokens = reply.cached_tokens
                record.prompt_eval_ms, record.eval_ms = reply.prompt_eval_ms, reply.eval_ms
                calls.append(record)
                return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(self, purpose: str, started: float, outcome: str, error: str) -> CallRecord:
        return CallRecord(
            model_id=self.model_id,
            purpose=purpose,
            latency_ms=int((time.monotonic() - started) * 1000),
            outcome=outcome,
            error=redact(error)[:2000],
        )
