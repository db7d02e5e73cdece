"""`make run`'s last line: once the web process answers, say where Sift is and where the
credentials are, after the startup banners of every process. Then wait to be stopped (honcho
stops everything when one of its processes exits)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Wait for the web process, print the URL and where the credentials are, then idle."

    def handle(self, *args: Any, **options: Any) -> None:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        signal.signal(signal.SIGINT, lambda *_: os._exit(0))
        # Not PORT: honcho gives each process its own PORT (base + 100 × its index).
        port = os.environ.get("SIFT_PORT", "8000")
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}health", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        time.sleep(1.5)  # let the worker's and beat's banners go first
        credentials = settings.VAR_DIR / "admin_credentials.txt"
        self.stdout.write(
            f"Sift is ready: {url}  (log in with the admin credentials in {credentials}; "
            "Ctrl-C stops everything)"
        )
        self.stdout.flush()
        while True:
            signal.pause()
