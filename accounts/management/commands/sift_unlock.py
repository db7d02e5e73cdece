"""Lift a sign-in lock by hand: the web login's (django-axes) and the apps' and API's."""

from __future__ import annotations

from typing import Any

from axes.utils import reset
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.auth import sign_in_unlock


class Command(BaseCommand):
    help = "Unlock sign-ins for an account (--account), a client address (--address), or both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", default="", help="the username")
        parser.add_argument("--address", default="", help="the client's IP address")

    def handle(self, *args: Any, **options: Any) -> None:
        account, address = options["account"].strip(), options["address"].strip()
        if not account and not address:
            raise CommandError("Name an --account, an --address, or both.")
        web = reset(ip=address or None, username=account or None)
        apps = sign_in_unlock(address=address, account=account)
        self.stdout.write(f"Unlocked: {web} web lock(s), {apps} app counter(s).")
