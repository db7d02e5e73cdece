"""Real processes for tests: the ASGI app under uvicorn, and Celery workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import uvicorn
from django.conf import settings
from django.db import connection

from tests.fakes.base import free_port

ROOT = Path(__file__).resolve().parent.parent


class LiveASGI:
    """uvicorn serving config.asgi in a thread of the test process (so it shares the test DB)."""

    def __init__(self) -> None:
        self.port = free_port()
        from config.asgi import application

        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveASGI:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def test_database_url() -> str:
    """The URL of the database this test run uses, for child processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_env(**overrides: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DATABASE_URL=test_database_url(),
        SIFT_VAR_DIR=str(settings.VAR_DIR),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CACHE_URL=settings.CACHE_URL,
        OLLAMA_HOST=settings.OLLAMA_HOST,
        LLM_MAX_IN_FLIGHT=str(settings.LLM_MAX_IN_FLIGHT),
        SCORING_SWEEP_SECONDS=str(settings.SCORING_SWEEP_SECONDS),
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in overrides.items()})
    return env


STARTED_WORKERS: list[Worker] = []  # for the failure report in conftest


class Worker:
    """A real `celery worker` process consuming every queue, re-scores first."""

    def __init__(
        self,
        name: str = "w1",
        concurrency: int = 2,
        pool: str = "prefork",
        queues: str | None = None,
        **env: Any,
    ) -> None:
        self.name = name
        self.queues = queues
        self.concurrency = concurrency
        self.pool = pool
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.log: list[str] = []
        self.ready = threading.Event()

    @property
    def hostname(self) -> str:
        return f"{self.name}@sift-test"

    def start(self, timeout: float = 60) -> Worker:
        from common.queues import CeleryQueue

        cmd = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "-Q", self.queues or CeleryQueue.all_names(), "-c", str(self.concurrency), "-P", self.pool,
            "-n", self.hostname, "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", "INFO",
        ]  # fmt: skip
        self.ready.clear()
        STARTED_WORKERS.append(self)
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=child_env(**self.env), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        if not self.ready.wait(timeout):
            self.stop()
            raise RuntimeError("worker did not start:\n" + "\n".join(self.log[-40:]))
        return self

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.log.append(line.rstrip())
            if " ready." in line:
                self.ready.set()

    def kill(self) -> None:
        """kill -9 the whole worker: main process and pool children."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            # Cold shutdown: the database, not the worker, keeps what is unfinished.
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


def purge_queues() -> None:
    from common.queues import CeleryQueue
    from config.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in CeleryQueue:
            # A queue that does not exist yet is empty.
            with contextlib.suppress(Exception):
                channel.queue_purge(queue.value)


def wait_for(predicate: Any, timeout: float = 30, interval: float = 0.1, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s: {message}")


class Beat:
    """A real `celery beat` on django-celery-beat's database scheduler."""

    def __init__(self, **env: Any) -> None:
        self.env = env
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Beat:
        ensure_sweep_schedule()
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "WARNING",
            "--max-interval",
            "1",
            "--pidfile=",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=child_env(**self.env), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def ensure_sweep_schedule() -> None:
    """Transactional tests flush the tables the migration seeded: put the sweep back."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=settings.SCORING_SWEEP_SECONDS, period="seconds"
    )
    PeriodicTask.objects.update_or_create(
        name="Scoring sweep",
        defaults={
            "task": "scoring.tasks.sweep",
            "interval": interval,
            "queue": "score",
            "enabled": True,
        },
    )
    PeriodicTasks.update_changed()


def monotone_while_the_total_holds(events: list[dict]) -> bool:
    """The percent never goes back while the bytes known stay the same (it may step
    down once where Ollama announces another layer)."""
    return all(
        b["percent"] >= a["percent"]
        for a, b in pairwise(events)
        if a.get("total") == b.get("total")
    )
