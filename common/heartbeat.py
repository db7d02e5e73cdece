"""A worker's sign of life, for the process that restarts it (`tools/respawn --heartbeat`).

Under `make run` the workers use Celery's thread pool: the file broker has no event loop,
so a prefork pool would share one queue lock among its processes, and a pool process killed
while holding it wedged every replacement for good. A thread pool has no such lock, but it
cannot enforce a task's time limit either. This thread restores both guarantees from the
outside:

1. Every few seconds it touches the file named by `SIFT_HEARTBEAT_FILE`,
2. unless a task has run past its hard time limit (the task's own, else the app's): then it
   stops touching, says so once in the log, and the watchdog kills and restarts the worker.
3. A worker that is frozen as a whole (stopped, deadlocked in C) stops touching too.

The database says what still needs doing, so a restart loses nothing (claims expire).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 2.0

# Task id -> (started, limit) of the tasks this process runs now. Per process on purpose:
# the watchdog judges this process, and only this process can say what it is running.
_running: dict[str, tuple[float, float]] = {}
_lock = threading.Lock()


def task_started(task_id: str, time_limit: float | None) -> None:
    with _lock:
        _running[task_id] = (time.monotonic(), float(time_limit or 0))


def task_ended(task_id: str) -> None:
    with _lock:
        _running.pop(task_id, None)


def overdue() -> list[str]:
    """Ids of the tasks running past their hard time limit (a limit of 0 means none)."""
    now = time.monotonic()
    with _lock:
        return [tid for tid, (at, limit) in _running.items() if limit and now - at > limit]


def start(path: str | None = None) -> threading.Thread | None:
    """Start touching `path` (default: `SIFT_HEARTBEAT_FILE`); None when no file is named."""
    target = path or os.environ.get("SIFT_HEARTBEAT_FILE")
    if not target:
        return None
    file = Path(target)
    file.parent.mkdir(parents=True, exist_ok=True)
    thread = threading.Thread(target=_beat, args=(file,), name="heartbeat", daemon=True)
    thread.start()
    return thread


def _beat(file: Path) -> None:
    reported = False
    while True:
        late = overdue()
        if not late:
            file.touch()
            reported = False
        elif not reported:
            logger.error(
                "worker: task %s has run past its time limit; no more heartbeats, so the "
                "watchdog restarts this worker",
                ", ".join(late),
            )
            reported = True
        time.sleep(INTERVAL_SECONDS)


def on_task_prerun(task_id: str, task: Any, **_: Any) -> None:
    limit = getattr(task, "time_limit", None) or task.app.conf.task_time_limit
    task_started(task_id, limit)


def on_task_postrun(task_id: str, **_: Any) -> None:
    task_ended(task_id)
