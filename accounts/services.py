"""Writes to accounts: API tokens, created and revoked."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from knox.models import AuthToken


def token_create(
    *, user: AbstractBaseUser, expires_in_days: int | None = None
) -> tuple[AuthToken, str]:
    """A new token for `user`: the row (its digest only) and the token itself, which is
    shown once and never stored."""
    expiry = timedelta(days=expires_in_days) if expires_in_days else None
    return AuthToken.objects.create(user=user, expiry=expiry)  # type: ignore[no-any-return]


def token_revoke(*, user: AbstractBaseUser, token_key: str) -> bool:
    """Revoke one of `user`'s own tokens, by the prefix shown for it. False when none."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return bool(deleted)
