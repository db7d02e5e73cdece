"""Debian's newsboat (2.21) as a test client, run headless: `-x reload` syncs with the
server, `-x print-unread` counts, its `cache.db` (SQLite) holds what it saw, and keys
pressed through a pty do what a person would (newsboat pushes read marks only from its
interface)."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

NEWSBOAT = shutil.which("newsboat")


class Newsboat:
    def __init__(self, home: Path, config: dict[str, str]) -> None:
        self.home = home
        self.config, self.urls, self.cache = home / "config", home / "urls", home / "cache.db"
        lines = [f'{key} "{value}"' for key, value in config.items()]
        self.config.write_text("\n".join(lines) + "\n")
        self.urls.write_text("")

    def args(self, *extra: str) -> list[str]:
        assert NEWSBOAT is not None
        return [
            NEWSBOAT,
            "-C",
            str(self.config),
            "-u",
            str(self.urls),
            "-c",
            str(self.cache),
            *extra,
        ]

    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.home), "TERM": "xterm", "LANG": "C.UTF-8"}

    def run(self, *commands: str) -> str:
        out = subprocess.run(
            self.args(*(a for c in commands for a in ("-x", c))),
            env=self.env(), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def items(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.cache) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM rss_item ORDER BY id")]

    def feeds(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.cache) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM rss_feed")]

    def press(self, keys: list[str], settle: float = 0.8) -> str:
        """Start the interface in a pty and press these keys, one by one, as a person would
        (each after the screen settled); returns what the screen showed."""
        pid, fd = pty.fork()
        if pid == 0:  # the child: newsboat on the pty
            os.execvpe(self.args()[0], self.args(), self.env())
        screen = b""

        def drain(seconds: float) -> None:
            nonlocal screen
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    try:
                        screen += os.read(fd, 65536)
                    except OSError:
                        return

        try:
            drain(settle * 2)
            for key in keys:
                os.write(fd, key.encode())
                drain(settle)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
            os.waitpid(pid, 0)
            os.close(fd)
        return screen.decode(errors="replace")
