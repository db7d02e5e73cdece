"""A text field encrypted at rest with Fernet (cryptography), keyed by FIELD_ENCRYPTION_KEY."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from common.secrets import remember


@lru_cache(maxsize=1)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField[str | None, str | None]):
    """Stores `Fernet(plaintext)`; reads back plaintext. Empty and NULL stay as they are.

    The ciphertext is never searched or compared in SQL, so nothing is lost by encrypting.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        remember(str(value))
        return fernet().encrypt(str(value).encode()).decode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        try:
            plaintext = fernet().decrypt(value.encode()).decode()
            remember(plaintext)  # so any error text that repeats it is masked (common.secrets)
            return plaintext
        except InvalidToken:
            # A key was rotated away: treat the secret as unset rather than crash every page.
            return None
