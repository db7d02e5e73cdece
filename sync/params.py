"""Numbers the reading apps send (ids, counts, timestamps), read one way for every protocol.

`str.isdigit()` accepts `²` and other digits `int()` refuses, and `int()` accepts
`10**30`, which no database column holds: both became 500s. Here a number is ASCII digits,
at most 19 of them, within the range the caller names; anything else is a `ParamError`
naming the parameter, which each protocol answers in its own way (a text 400 for Google
Reader, a JSON error for Miniflux and Fever).
"""

from __future__ import annotations

from datetime import UTC, datetime

MAX_ID = 2**63 - 1  # the id columns' range
# The latest moment a client may name: year 9999 (Python's datetime ends there).
MAX_UNIX_SECONDS = 253_402_300_799


class ParamError(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def whole_number(raw: str, name: str, *, high: int = MAX_ID) -> int:
    """A number from 0 to `high` written in ASCII digits."""
    text = raw.strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        raise ParamError(name, f"must be a whole number from 0 to {high}, got {text[:20]!r}")
    value = int(text)
    if value > high:
        raise ParamError(name, f"must be at most {high}")
    return value


def numbers(raw: str, name: str, *, high: int = MAX_ID) -> list[int]:
    """Numbers separated by commas (empty parts skipped)."""
    return [whole_number(part, name, high=high) for part in raw.split(",") if part.strip()]


def unix_time(raw: str, name: str, *, microseconds: bool = False) -> datetime:
    """A Unix time in seconds (or µs), as a UTC datetime within what a datetime holds."""
    value = whole_number(raw, name)
    seconds = value / 1_000_000 if microseconds else value
    if seconds > MAX_UNIX_SECONDS:
        raise ParamError(name, "is past the year 9999")
    return datetime.fromtimestamp(seconds, tz=UTC)
