"""`make run`'s last line: once the web process answers, say where Sift is and the admin's
credentials (from var/admin_credentials.txt, this machine's own), after the startup banners of every process. Then wait to be stopped (honcho
stops everything when one of its processes exits)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
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
        self.stdout.write(announcement(url))
        self.stdout.flush()
        while True:
            signal.pause()


def announcement(url: str) -> str:
    """Where Sift is, with the admin's credentials when the first start wrote them."""
    path = settings.VAR_DIR / "admin_credentials.txt"
    found = dict(line.split(": ", 1) for line in _read(path).splitlines() if ": " in line)
    login = (
        f"log in as {found['username']} / {found['password']} (kept in {path})"
        if "username" in found and "password" in found
        else "log in with your admin account"
    )
    return f"Sift is ready: {url}  ({login}; Ctrl-C stops everything)"


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
