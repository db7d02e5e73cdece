"""How a reader's apps sign in: one app password (`AppPassword`), checked in the forms
each protocol has, and the secret key of their ranked feed (`RankedFeed`).

1. Miniflux API: HTTP Basic (username and app password) on every request. Django's
   password hash costs ~0.3 s by design, so a success is remembered in the cache for a few
   minutes under an HMAC of what was sent and the stored hash: a client syncing with a
   hundred requests pays it once, and a new password forgets every remembered one.
2. Google Reader API: ClientLogin checks the password once and answers an auth token,
   `<username>/<HMAC of the user and their password hash>`: nothing stored, checked
   without a hash per request, and void when the password changes (Miniflux does the same).
3. Fever: the client sends md5("username:password"); it is looked up by its HMAC.
4. The ranked feed: a random key in the URL, looked up by its SHA-256.

Failed attempts count per client address, with the API tokens' limit (`accounts.auth`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from knox.models import AuthToken

from accounts.models import AppPassword, RankedFeed
from common.errors import DomainError

REMEMBER_SECONDS = 300
MIN_LENGTH = 12
MIN_DISTINCT = 6


class AppPasswordError(DomainError):
    field = "password"


def _mac(purpose: str, message: str) -> str:
    key = f"sift-app-access:{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def fever_key_of(username: str, password: str) -> str:
    """What a Fever client sends: md5 of "username:password" (Fever's own scheme; md5 is
    the protocol's, never used here to keep anything)."""
    return hashlib.md5(f"{username}:{password}".encode()).hexdigest()  # noqa: S324


def app_password_set(*, user: Any, password: str | None = None) -> str:
    """Give `user` a new app password (generated when none is given) and return it, to be
    shown once. Every app signed in with the old one is signed out."""
    if password is None:
        password = secrets.token_urlsafe(18)
    else:
        app_password_check(user=user, password=password)
    fever = _mac("fever", fever_key_of(user.get_username(), password))
    with transaction.atomic():
        AppPassword.objects.update_or_create(
            user=user, defaults={"password": make_password(password), "fever_key": fever}
        )
    return password


def app_password_check(*, user: Any, password: str) -> None:
    """Refuse an app password a guess would find: shorter than MIN_LENGTH, fewer than
    MIN_DISTINCT different characters (`aaaaaaaaaaaa`), or one Django's validators refuse
    (a common password, all digits, too like the username)."""
    if len(password) < MIN_LENGTH:
        raise AppPasswordError(f"An app password needs at least {MIN_LENGTH} characters.")
    if len(set(password)) < MIN_DISTINCT:
        raise AppPasswordError(
            f"An app password needs at least {MIN_DISTINCT} different characters."
        )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AppPasswordError(" ".join(exc.messages)) from exc


def app_password_delete(*, user: Any) -> None:
    """Sign every app out: the app password (Google Reader, Miniflux, Fever) and the
    reader's API tokens (apps that sign in with `Authorization: Token`)."""
    with transaction.atomic():
        AppPassword.objects.filter(user=user).delete()
        AuthToken.objects.filter(user=user).delete()


def _active(username: str) -> Any:
    user_model = get_user_model()
    return (
        user_model.objects.filter(username=username, is_active=True)
        .select_related("app_password")
        .first()
    )


def user_by_password(username: str, password: str) -> Any:
    """The active reader these credentials sign in, or None."""
    user = _active(username)
    app = getattr(user, "app_password", None) if user is not None else None
    if app is None:
        make_password(password)  # the time a known user takes: no probing for names
        return None
    remembered = f"sift:app-login:{_mac('login', f'{user.pk}:{app.password}:{password}')}"
    if cache.get(remembered):
        return user
    if not check_password(password, app.password):
        return None
    cache.set(remembered, 1, REMEMBER_SECONDS)
    return user


def auth_token_of(user: Any) -> str:
    """The Google Reader auth token of a reader with an app password."""
    digest = _mac("greader", f"{user.pk}:{user.app_password.password}")
    return f"{user.get_username()}/{digest}"


def edit_token_of(user: Any) -> str:
    """The edit token `T` (57 characters, as FreshRSS makes it: some clients check)."""
    return _mac("greader-edit", f"{user.pk}:{user.app_password.password}")[:57]


def user_by_auth_token(token: str) -> Any:
    username, _, digest = token.strip().rpartition("/")
    user = _active(username) if username and digest else None
    if user is None or not hasattr(user, "app_password"):
        return None
    return user if hmac.compare_digest(auth_token_of(user), token.strip()) else None


def user_by_fever_key(api_key: str) -> Any:
    key = api_key.strip().lower()
    if len(key) != 32:
        return None
    app = (
        AppPassword.objects.filter(fever_key=_mac("fever", key), user__is_active=True)
        .select_related("user")
        .first()
    )
    return app.user if app is not None else None


# --- the ranked feed -------------------------------------------------------------------------
def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ranked_feed_create(*, user: Any, min_score: float | None = None) -> str:
    """A new secret key for the reader's ranked feed (the old URL stops working); returns
    the key, shown once."""
    key = secrets.token_urlsafe(24)
    defaults: dict[str, Any] = {"key_digest": _digest(key)}
    if min_score is not None:
        defaults["min_score"] = min_score
    RankedFeed.objects.update_or_create(user=user, defaults=defaults)
    return key


def ranked_feed_revoke(*, user: Any) -> None:
    RankedFeed.objects.filter(user=user).delete()


def ranked_feed_of_key(key: str) -> RankedFeed | None:
    return (
        RankedFeed.objects.filter(key_digest=_digest(key), user__is_active=True)
        .select_related("user")
        .first()
    )
