"""One celery beat per database: two would send every scheduled task twice (two `make run`
on one machine did, without a word).

The lock is the database's own, so it holds for every way a second beat can start (another
`make run` on another port, a second compose service): PostgreSQL's session advisory lock,
or for SQLite an exclusive `flock` on a file beside the database file. Either is released by
the operating system or the server when the holding process dies, even by `kill -9`, so a
crashed beat never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from django.db import connection

# Any constant bigint names the lock on PostgreSQL; this one spells "sift-beat".
_ADVISORY_KEY = 0x7369667462656174


class AlreadyRunning(Exception):
    """Another process holds the lock."""


def beat_lock_take() -> Any:
    """Take the beat lock, or raise AlreadyRunning. The returned object *is* the lock (an
    open file, or a server session): keep it for the life of the process, `close()` it to
    give the lock back."""
    return _take()


def beat_lock_free() -> bool:
    """Whether no beat holds the lock now (taken and given back at once)."""
    try:
        held = _take()
    except AlreadyRunning:
        return False
    held.close()
    return True


def _take() -> Any:
    if connection.vendor == "sqlite":
        path = Path(str(connection.settings_dict["NAME"])).with_suffix(".beat.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        lock_file = os.fdopen(fd, "r+")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise AlreadyRunning(str(path)) from None
        return lock_file
    if connection.vendor == "postgresql":
        import psycopg

        session = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        row = session.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_KEY]).fetchone()
        if not (row and row[0]):
            session.close()
            raise AlreadyRunning(
                f"advisory lock {_ADVISORY_KEY} on {connection.settings_dict['NAME']}"
            )
        return session
    raise NotImplementedError(connection.vendor)  # settings allow SQLite and PostgreSQL only
