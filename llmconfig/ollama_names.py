"""Ollama's model-name grammar: `[host/][namespace/]model[:tag]`."""

from __future__ import annotations

import re

_PART = r"[a-zA-Z0-9][a-zA-Z0-9_.-]*"
_NAME = re.compile(
    rf"^(?:{_PART}(?::\d+)?/)?(?:{_PART}/)?{_PART}(?::[a-zA-Z0-9_][a-zA-Z0-9_.-]{{0,127}})?$"
)


def is_valid_model_name(name: str) -> bool:
    return bool(name) and len(name) <= 300 and bool(_NAME.match(name))
