"""Writes to accounts: readers created, approved, budgeted; API tokens created and revoked."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from knox.models import AuthToken

from accounts.models import Profile
from common.errors import DomainError


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


class ReaderError(DomainError):
    field = "username"


class ReaderExists(ReaderError):
    """The name is taken (sign-up answers it like a success: names are not revealed)."""


# Letters, digits and . _ - in ASCII: a name in other scripts can look like another reader's
# (`аdmin` with a Cyrillic а is not `admin`), and a space or 150 characters broke the tables.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def reader_create(
    *, username: str, password: str | None = None, active: bool = True
) -> tuple[AbstractBaseUser, str]:
    """A reader (no staff rights): they read, mark, star and give feedback; the operator's
    routes answer them 403. Returns the user and the password (generated when none is
    given, to be handed over once). `active=False`: a sign-up that waits for the operator's
    approval."""
    user_model = get_user_model()
    username = username.strip()
    if not username:
        raise ReaderError("A username is needed.")
    if not USERNAME.fullmatch(username):
        raise ReaderError(
            "A username is 1 to 40 letters (a-z, A-Z), digits, dots, underscores or hyphens, "
            "starting with a letter or digit."
        )
    password = password or secrets.token_urlsafe(12)
    with transaction.atomic():
        if user_model.objects.filter(username__iexact=username).exists():
            raise ReaderExists(f"An account named {username!r} exists.")
        user = user_model(username=username, is_staff=False, is_superuser=False, is_active=active)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ReaderError(" ".join(exc.messages)) from exc
        user.set_password(password)
        user.save()
    return user, password


def reader_set_active(*, user: AbstractBaseUser, active: bool) -> None:
    """Approve a pending sign-up, or shut a reader out (their tokens stop working too: an
    inactive user authenticates nowhere)."""
    user.is_active = active
    user.save(update_fields=["is_active"])  # type: ignore[misc]  # the User model has it


def reader_budget_set(*, user: AbstractBaseUser, budget: int | None) -> None:
    """The scoring calls a day this reader may use (None: no limit). Lowered below today's
    use, their articles wait from the next claim on; raised, they go on at the next one."""
    Profile.objects.get_or_create(user_id=user.pk)
    Profile.objects.filter(user_id=user.pk).update(daily_scoring_budget=budget)


def app_preferences_set(
    *,
    user: AbstractBaseUser,
    top_picks_min_score: float,
    apps_star_top_picks: bool,
    apps_score_in_title: bool,
) -> None:
    """What the reader's apps show of their ranking (Top picks' threshold, stars, scores in
    titles). Read at each sync: an app sees the change on its next one."""
    Profile.objects.get_or_create(user_id=user.pk)
    Profile.objects.filter(user_id=user.pk).update(
        top_picks_min_score=top_picks_min_score,
        apps_star_top_picks=apps_star_top_picks,
        apps_score_in_title=apps_score_in_title,
    )
