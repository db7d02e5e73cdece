"""`make run`'s first step: fail at once, saying why, when this Sift cannot start.

A taken port used to surface ~40 s later as one `[Errno 98]` line among the banners, and a
second `make run` on another port started a second stack, with a second beat, on the same
database without a word.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.ports import port_problem
from common.singleton import beat_lock_free


class Command(BaseCommand):
    help = "Check that the web port is free and no other Sift runs on this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        if not beat_lock_free():
            raise CommandError(
                "Sift is already running on this database (its celery beat holds the lock). "
                "Stop it first (Ctrl-C in its terminal); two would run every schedule twice."
            )
        if problem := port_problem(host, port):
            raise CommandError(
                f"{problem} Stop it, or choose another port: make run PORT={port + 1}"
            )
