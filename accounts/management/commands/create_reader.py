"""`manage.py create_reader <username> [--password …]`: the operator's way to add a reader from
a script; prints the generated password when none is given."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import ReaderError, reader_create


class Command(BaseCommand):
    help = "Create a reader account (no admin rights)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", help="Generated and printed when left out.")

    def handle(self, *args: Any, username: str, password: str | None, **options: Any) -> None:
        try:
            user, chosen = reader_create(username=username, password=password)
        except ReaderError as exc:
            raise CommandError(str(exc)) from exc
        shown = f", password: {chosen}" if password is None else ""
        self.stdout.write(f"Created reader {user.get_username()}{shown}")
