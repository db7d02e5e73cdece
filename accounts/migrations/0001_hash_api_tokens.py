"""API tokens were kept in plaintext (rest_framework.authtoken): each becomes a knox token
holding only its digest, so every token a reader or a script already uses keeps working, and
the plaintext rows are deleted. The digest is computed here as knox 5.1 computes it
(SHA-512 of the token's bytes, the first 15 characters kept as its lookup key), frozen so a
later setting cannot change what this migration did."""

from __future__ import annotations

import hashlib

from django.db import migrations

KEY_LENGTH = 15


def hash_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    AuthToken.objects.bulk_create(
        AuthToken(
            user_id=token.user_id,
            token_key=token.key[:KEY_LENGTH],
            digest=hashlib.sha512(token.key.encode()).hexdigest(),
            expiry=None,
        )
        for token in Token.objects.all()
    )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
    ]
    operations = [migrations.RunPython(hash_tokens, migrations.RunPython.noop)]
