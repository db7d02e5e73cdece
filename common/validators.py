"""Rules for values that several doors accept (API serializers, admin forms, OPML, feeds).
The validators raise Django's ValidationError, which DRF serializers and Django forms both
turn into a field error."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from django.core.exceptions import ValidationError

MAX_URL_LENGTH = 2000  # the width of the URL columns


def http_url_problem(url: str, *, max_length: int = MAX_URL_LENGTH) -> str:
    """Why `url` is not an absolute http(s) URL with a host, or "" when it is. Whitespace
    and control characters inside are refused: a CR/LF in a stored base URL would break
    every request made with it."""
    if not url.lower().startswith(("http://", "https://")):
        return "Only http:// and https:// URLs are accepted."
    if len(url) > max_length:
        return f"A URL may be at most {max_length} characters."
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "A URL may not contain spaces or control characters."
    try:
        host = urlsplit(url).hostname
    except ValueError as exc:  # e.g. an unbalanced [ in the host
        return f"Not a valid URL: {exc}."
    if not host:
        return "The URL has no host."
    try:
        # What the fetcher will parse: some URLs urlsplit accepts, httpx refuses (an octal
        # `0177.0.0.1` host, a host that IDNA cannot encode).
        httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return f"Not a valid URL: {exc}."
    return ""


def http_url(value: str | None) -> str | None:
    """An optional http(s) URL as stored: stripped, without a trailing slash; None when
    empty. Raises ValidationError."""
    value = (value or "").strip()
    if not value:
        return None
    if problem := http_url_problem(value):
        raise ValidationError(problem)
    return value.rstrip("/")
