"""API credentials: hashed tokens (django-rest-knox) under either header clients send, and a
limit on failed attempts per client.

`Authorization: Token <token>` is what Sift has always documented; many clients (and
OpenAPI tools) send `Authorization: Bearer <token>`, so both are read. A token is stored
as its SHA-512 digest only, may carry an expiry, and is revoked by deleting it.

Guessing: after TOKEN_FAILURE_LIMIT failed tokens from one client address within
TOKEN_FAILURE_WINDOW seconds, that client's token attempts answer 429 until the window has
passed, before any lookup (django-axes does the same for passwords; it has no hook for API
tokens).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.request import Request

PREFIXES = (b"token", b"bearer")


def _failures_key(address: str) -> str:
    return f"sift:token-failures:{address}"


def failures_exceeded(address: str) -> bool:
    """Whether this client address has failed too often lately (API tokens and app
    passwords alike)."""
    return int(cache.get(_failures_key(address)) or 0) >= settings.TOKEN_FAILURE_LIMIT


def failure_count(address: str) -> None:
    key = _failures_key(address)
    if cache.add(key, 1, settings.TOKEN_FAILURE_WINDOW) is False:
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, settings.TOKEN_FAILURE_WINDOW)


class TokenAuthentication(KnoxTokenAuthentication):  # type: ignore[misc]  # knox is untyped
    def authenticate(self, request: Request) -> Any:
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in PREFIXES:
            return None  # no token: another scheme (the session) may apply
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected 'Token <token>' or 'Bearer <token>'."
            )
        address = str(request.META.get("REMOTE_ADDR", ""))
        if failures_exceeded(address):
            raise exceptions.Throttled(
                wait=settings.TOKEN_FAILURE_WINDOW,
                detail="Too many failed token attempts from this address; try again later.",
            )
        try:
            return self.authenticate_credentials(auth[1])
        except exceptions.AuthenticationFailed:
            failure_count(address)
            raise
