"""Every secret this process knows, and the one function that takes them out of a text.

An upstream server may repeat the key it was sent in its error ("invalid key sk-…"); that text
then travels into error answers, LLMCall.error, the readiness reason, pages and logs. So every
error text is passed through `redact` where it enters Sift (DomainError, the log filter, the
rows that store upstream text). The stored keys are known to any process that has read them:
the encrypted field reports each value it decrypts or encrypts (`remember`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

# Bearer tokens and Google API keys, wherever a library prints them (headers, URLs).
_PATTERNS = [
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?bearer\s+)[^\s'\",}]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)(x-goog-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    re.compile(r"(?i)([?&]key=)[^&\s'\"]+"),
    re.compile(r"(?i)(api_key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
    # A ranked feed's key in its path (access logs).
    re.compile(r"(/feeds/ranked/)[^\s?'\"/]+"),
    # A password in a URL's user part (a feed URL given as https://user:pass@host/).
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)"),
]
# Query parameters that carry a credential, by name as decoded (a client may percent-encode
# it: `%50asswd=`): a ClientLogin password, Google Reader's tokens (`T`, `auth`), API keys.
_SECRET_PARAMETERS = frozenset(
    {"passwd", "password", "key", "api_key", "t", "auth", "token", "access_token"}
)
_PARAMETER = re.compile(r"([?&])([^=&\s'\"?]+)=([^&\s'\"]*)")


def _masked_parameter(match: re.Match[str]) -> str:
    name = unquote_plus(match.group(2)).strip().lower()
    if name in _SECRET_PARAMETERS and match.group(3):
        return f"{match.group(1)}{match.group(2)}={MASK}"
    return match.group(0)


# Shorter values would mask ordinary words; no real key is this short.
MIN_SECRET_LENGTH = 6
MASK = "***"

_known: set[str] = set()


def remember(secret: str | None) -> None:
    if secret and len(secret) >= MIN_SECRET_LENGTH:
        _known.add(secret)


def redact(text: str) -> str:
    """`text` with every known secret, and anything shaped like a credential, masked."""
    if not text:
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(rf"\1{MASK}", text)
    text = _PARAMETER.sub(_masked_parameter, text)
    # Longest first: a key that contains another is masked whole.
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
