"""API credentials: hashed tokens (django-rest-knox) under either header clients send, and a
limit on failed attempts per client.

`Authorization: Token <token>` is what Sift has always documented; many clients (and
OpenAPI tools) send `Authorization: Bearer <token>`, so both are read. A token is stored
as its SHA-512 digest only, may carry an expiry, and is revoked by deleting it.

Guessing is cut off without locking the household out (`sign_in_check`, for every app
protocol and API tokens; django-axes does the same for the web login, per account and
address):
1. A wrong credential counts against its client address, and against (address, account)
   when it names one. Past TOKEN_FAILURE_LIMIT within TOKEN_FAILURE_WINDOW seconds the
   answer is 429 for the window, twice as long for each lock of the same key that day (at
   most a day); refused attempts no longer count, so they do not extend the lock.
2. A right password is refused only when its own account was guessed at from the same
   address: the other readers behind that address (one home, one public address) go on.
3. A right key that names no account (Fever's) is refused while its address is locked
   unless that app signed in from there before the lock: a guesser's first hit is not let
   in, a reader's phone that synced yesterday is.
4. A right random token (an API token, an app's auth token) is always accepted: 512 bits
   are not guessed.
The operator unlocks by hand with `manage.py sift_unlock` (docs/reliability.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.cache import cache
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.request import Request

PREFIXES = (b"token", b"bearer")


FAILURES = "sift:sign-in-failures:"
KNOWN = "sift:sign-in-known:"
KNOWN_SECONDS = 30 * 24 * 3600
BACK_OFF_MEMORY = 24 * 3600  # locks within a day make the next one longer


class Verdict(StrEnum):
    OK = "ok"
    REFUSED = "refused"  # a wrong credential: the protocol's 401
    THROTTLED = "throttled"  # too many wrong ones here lately: 429


def _key(address: str, account: str = "") -> str:
    return f"{FAILURES}{address}|{account.lower()}"


def _over(key: str) -> bool:
    return int(cache.get(key) or 0) >= settings.TOKEN_FAILURE_LIMIT


def _count(key: str) -> None:
    """One more failure; the one that reaches the limit starts a lock that lasts the window,
    doubled for every lock of this key in the last day (back-off, at most a day)."""
    count = 1
    if cache.add(key, 1, settings.TOKEN_FAILURE_WINDOW) is False:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, settings.TOKEN_FAILURE_WINDOW)
    if count == settings.TOKEN_FAILURE_LIMIT:
        locks_key = f"{key}|locks"
        cache.add(locks_key, 0, BACK_OFF_MEMORY)
        locks = int(cache.incr(locks_key))
        cache.touch(key, min(settings.TOKEN_FAILURE_WINDOW * 2 ** (locks - 1), BACK_OFF_MEMORY))


def sign_in_check(
    *, address: str, user: Any | None, account: str = "", random_token: bool = False
) -> Verdict:
    """The verdict on one sign-in attempt, already checked: `user` is who the credential
    names (None: it was wrong), `account` the username it gave (passwords), `random_token`
    whether it was a random token (never guessed). Records the attempt (see above)."""
    by_address, by_account = _key(address), _key(address, account) if account else ""
    if user is None:
        if _over(by_address) or (by_account and _over(by_account)):
            return Verdict.THROTTLED  # not counted: a refused attempt never extends the lock
        _count(by_address)
        if by_account:
            _count(by_account)
        return Verdict.REFUSED
    known = f"{KNOWN}{address}|{user.pk}"
    if not random_token:
        if by_account and _over(by_account):
            return Verdict.THROTTLED
        if not account and _over(by_address) and not cache.get(known):
            return Verdict.THROTTLED
    cache.set(known, 1, KNOWN_SECONDS)
    return Verdict.OK


def sign_in_unlock(*, address: str = "", account: str = "") -> int:
    """Forget the failures of an address (every account from it) or of an account (from
    every address, as far as the cache can list them). Returns how many counters went."""
    keys = [_key(address)] if address and not account else []
    if address and account:
        keys.append(_key(address, account))
    cleared = 0
    for key in keys:
        cleared += int(cache.delete(key) or 0)
    if account and not address:
        cleared += _delete_matching(f"|{account.lower()}")
    return cleared


def _delete_matching(suffix: str) -> int:
    """Cache backends cannot list keys; Redis can, through its client."""
    client = getattr(cache, "_cache", None)
    get_client = getattr(client, "get_client", None)
    if get_client is None:
        return 0
    redis = get_client(write=True)
    keys = [k for k in redis.scan_iter(match=f"*{FAILURES}*{suffix}")]
    return int(redis.delete(*keys)) if keys else 0


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
        try:
            found = self.authenticate_credentials(auth[1])
        except exceptions.AuthenticationFailed:
            if sign_in_check(address=address, user=None) is Verdict.THROTTLED:
                raise exceptions.Throttled(
                    wait=settings.TOKEN_FAILURE_WINDOW,
                    detail="Too many failed token attempts from this address; try again later.",
                ) from None
            raise
        sign_in_check(address=address, user=found[0], random_token=True)
        return found
