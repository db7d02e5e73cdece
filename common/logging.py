"""A log filter that masks every secret Sift knows of before a line is written."""

from __future__ import annotations

import logging
import re

from django.conf import settings

# Bearer tokens and Google API keys, wherever a library prints them (headers, URLs).
_PATTERNS = [
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?bearer\s+)[^\s'\",}]+"),
    re.compile(r"(?i)(x-goog-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    re.compile(r"(?i)([?&]key=)[^&\s'\"]+"),
    re.compile(r"(?i)(api_key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
]


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern in _PATTERNS:
            redacted = pattern.sub(r"\1***", redacted)
        for secret in known_secrets():
            if secret and secret in redacted:
                redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def known_secrets() -> list[str]:
    """Secrets from the environment. The stored Ollama key is never formatted into a log
    message in the first place; the patterns above catch it should a library echo a header."""
    return [s for s in (settings.GEMINI_API_KEY,) if s and len(s) >= 6]
