"""First start: a local `.env`, and an admin user with a random password and an API token.

1. On a local install (`make run`), `.env` is written once (mode 0600, never overwritten)
   with SIFT_LOCAL_INSTALL and the keys generated into var/, so every `manage.py` command
   run by hand beside `make run` (createsuperuser, shell …) sees the same settings.
2. The admin's credentials are shown once (an `admin` the migrations made without a
   password gets one here) and kept in var/admin_credentials.txt, readable
   only by its owner, so a reader who missed the terminal output can still log in.

Later starts do nothing.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.services import token_create


class Command(BaseCommand):
    help = "Create the first admin user and API token if none exists."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.LOCAL_INSTALL:
            self.write_local_env(Path(settings.LOCAL_ENV_FILE))
        user_model = get_user_model()
        superusers = list(user_model.objects.filter(is_superuser=True))
        if any(u.has_usable_password() for u in superusers):
            return
        password = secrets.token_urlsafe(16)
        # The migration to several readers gives an install that had data but no account an
        # `admin` without a password (its feeds and scores are theirs): it gets one here.
        user = next((u for u in superusers if u.username == "admin"), None)
        if user is None:
            user = user_model.objects.create_superuser(
                username="admin", email="", password=password
            )
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        _row, token = token_create(user=user)  # stored as its digest: shown here, and in the file
        path = settings.VAR_DIR / "admin_credentials.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"username: admin\npassword: {password}\napi token: {token}\n")
        self.stdout.write(
            self.style.SUCCESS(
                "\nCreated the admin user (shown once; also in var/admin_credentials.txt):\n"
                f"  username:  admin\n  password:  {password}\n  API token: {token}\n"
                "  Use it as:  Authorization: Token <API token>\n"
            )
        )

    def write_local_env(self, path: Path) -> None:
        lines = [
            "# Written by `make run` for this machine only; never commit it.",
            "SIFT_LOCAL_INSTALL=true",
            f"SECRET_KEY={settings.SECRET_KEY}",
            f"FIELD_ENCRYPTION_KEY={','.join(settings.FIELD_ENCRYPTION_KEYS)}",
        ]
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # the reader's own .env: never touched
        with os.fdopen(fd, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        self.stdout.write(
            f"Wrote {path.name} (a local install and this machine's keys) for manage.py."
        )
