"""`manage.py set_app_password <username> [<password>]`: the password a reader's apps sign
in with (Google Reader, Miniflux, Fever); prints a generated one when none is given. Every
app signed in with the old one is signed out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.app_access import AppPasswordError, app_password_set


class Command(BaseCommand):
    help = "Set (or generate) a reader's app password, for their reading apps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("password", nargs="?", help="Generated and printed when left out.")

    def handle(self, *args: Any, username: str, password: str | None, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        try:
            chosen = app_password_set(user=user, password=password)
        except AppPasswordError as exc:
            raise CommandError(str(exc)) from exc
        shown = f": {chosen}" if password is None else ""
        self.stdout.write(f"App password of {username} set{shown}")
