"""Sign-in and API tokens hold against guessing; tokens are hashed, revocable, may
expire and come under either header; Sift's files are its owner's alone."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.services import token_create
from tests.live import ROOT, child_env

pytestmark = pytest.mark.django_db


def client_with(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


def test_failed_sign_ins_lock_the_account_from_that_address_only(
    client, django_user_model, settings
):
    """Ten wrong passwords from one address locked every login from it, and a stranger's
    ten guesses locked the operator out: the lock is the account's, from that address."""
    django_user_model.objects.create_user(username="reader", password="the-right-one-123")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        answer = client.post("/accounts/login/", {"username": "reader", "password": "wrong"})
        assert answer.status_code == 200  # the form again, with its error
    last = client.post("/accounts/login/", {"username": "reader", "password": "wrong"})
    assert last.status_code == 429
    assert b"sift.css" in last.content and b"sift_unlock" in last.content  # Sift's own page
    # The guessed account is locked from here, even with the right password…
    locked = client.post(
        "/accounts/login/", {"username": "reader", "password": "the-right-one-123"}
    )
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    # …but not from elsewhere, and the other readers here sign in as usual.
    other = APIClient(REMOTE_ADDR="10.9.9.9")
    assert other.post(
        "/accounts/login/", {"username": "reader", "password": "the-right-one-123"}
    ).status_code == 302  # fmt: skip
    django_user_model.objects.create_user(username="second", password="second-pw-12345")
    assert client.post(
        "/accounts/login/", {"username": "second", "password": "second-pw-12345"}
    ).status_code == 302  # fmt: skip
    call_command("sift_unlock", account="reader", address="127.0.0.1")
    assert client.post(
        "/accounts/login/", {"username": "reader", "password": "the-right-one-123"}
    ).status_code == 302  # fmt: skip


def test_tokens_are_stored_as_digests_and_work_under_token_and_bearer(user):
    _row, token = token_create(user=user)
    stored = list(AuthToken.objects.values_list("digest", "token_key"))
    assert token not in str(stored) and stored == [
        (hashlib.sha512(token.encode()).hexdigest(), token[:15])
    ]
    for header in (f"Token {token}", f"Bearer {token}", f"bearer {token}"):
        assert client_with(header).get("/api/settings").status_code == 200, header
    assert client_with("Bearer not-a-token").get("/api/settings").status_code == 401


def test_tokens_expire_and_are_revoked(user, api):
    created = api.post("/api/tokens", {"expires_in_days": 1}, format="json")
    assert created.status_code == 201
    token, token_id = created.json()["token"], created.json()["id"]
    assert client_with(f"Token {token}").get("/api/settings").status_code == 200
    assert token not in api.get("/api/tokens").content.decode()
    assert token_id in [t["id"] for t in api.get("/api/tokens").json()]
    AuthToken.objects.filter(token_key=token_id).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    assert client_with(f"Token {token}").get("/api/settings").status_code == 401
    _row, other = token_create(user=user)
    other_id = other[:15]
    assert api.delete(f"/api/tokens/{other_id}").status_code == 204
    assert client_with(f"Token {other}").get("/api/settings").status_code == 401
    assert api.delete(f"/api/tokens/{other_id}").status_code == 404
    assert api.post("/api/tokens", {"expires_in_days": 0}, format="json").json() == {
        "expires_in_days": ["Ensure this value is greater than or equal to 1."]
    }


def test_another_users_token_cannot_be_listed_or_revoked(api, django_user_model):
    someone = django_user_model.objects.create_user(username="someone", password="pw-someone-1")
    _row, theirs = token_create(user=someone)
    assert api.get("/api/tokens").json() == []
    assert api.delete(f"/api/tokens/{theirs[:15]}").status_code == 404
    assert client_with(f"Token {theirs}").get("/api/tokens").status_code == 200  # theirs works


def test_failed_tokens_from_one_client_are_throttled_and_a_right_one_still_works(settings, user):
    settings.TOKEN_FAILURE_LIMIT = 5
    _row, good = token_create(user=user)
    guesser = APIClient(REMOTE_ADDR="10.1.2.3")
    for i in range(5):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token guess-{i}")
        assert guesser.get("/api/settings").status_code == 401
    guesser.credentials(HTTP_AUTHORIZATION="Token guess-again")
    refused = guesser.get("/api/settings")
    assert (
        refused.status_code == 429 and "Too many failed token attempts" in refused.json()["detail"]
    )
    # A right token is never refused for someone else's failures: 512 bits are not guessed.
    guesser.credentials(HTTP_AUTHORIZATION=f"Token {good}")
    assert guesser.get("/api/settings").status_code == 200


def test_plaintext_tokens_from_before_are_hashed_by_the_migration(user):
    import importlib

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    old = Token.objects.create(user=user)
    importlib.import_module("accounts.migrations.0001_hash_api_tokens").hash_tokens(apps, None)
    assert not Token.objects.exists()
    assert client_with(f"Token {old.key}").get("/api/settings").status_code == 200


def test_sift_s_files_are_readable_by_their_owner_only(tmp_path):
    var = tmp_path / "var"
    env = child_env(SIFT_VAR_DIR=str(var), SIFT_ENV_FILE=str(var / ".env"), DEBUG="true",
                    DJANGO_SETTINGS_MODULE="config.settings")  # fmt: skip
    for name in (
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
    ):
        env.pop(name, None)
    for command in (["migrate", "--noinput", "-v0"], ["sift_bootstrap"]):
        result = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=180)  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
    files = ["sift.sqlite3", "secret_key", "field_encryption_key", "admin_credentials.txt", ".env"]
    files += [f for f in ("sift.sqlite3-wal", "sift.sqlite3-shm") if (var / f).exists()]
    modes = {f: stat.S_IMODE(os.stat(var / f).st_mode) for f in files}
    assert modes == dict.fromkeys(files, 0o600)
    assert stat.S_IMODE(os.stat(var).st_mode) == 0o700


def test_each_lock_on_the_same_key_lasts_twice_as_long(settings, user):
    import time

    settings.TOKEN_FAILURE_LIMIT, settings.TOKEN_FAILURE_WINDOW = 3, 1
    guesser = APIClient(REMOTE_ADDR="10.4.4.4")

    def guess_until_locked() -> None:
        for i in range(3):
            guesser.credentials(HTTP_AUTHORIZATION=f"Token guess-{i}")
            assert guesser.get("/api/settings").status_code == 401
        assert guesser.get("/api/settings").status_code == 429

    guess_until_locked()
    time.sleep(1.3)
    assert guesser.get("/api/settings").status_code == 401  # the first lock: one window
    guesser.credentials(HTTP_AUTHORIZATION="Token guess-x")
    for i in range(2):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token again-{i}")
        guesser.get("/api/settings")
    assert guesser.get("/api/settings").status_code == 429
    time.sleep(1.3)
    assert guesser.get("/api/settings").status_code == 429  # the second: two windows
    time.sleep(1.0)
    assert guesser.get("/api/settings").status_code == 401
