"""Provider adapters: one `LLMAdapter` interface, one module per provider, one registry."""

from __future__ import annotations

from llmconfig.llm.base import CallRecord, Completion, LLMAdapter, LLMError, LLMErrorKind
from llmconfig.llm.registry import UnknownModelError, get_adapter

__all__ = [
    "CallRecord",
    "Completion",
    "LLMAdapter",
    "LLMError",
    "LLMErrorKind",
    "UnknownModelError",
    "get_adapter",
]
