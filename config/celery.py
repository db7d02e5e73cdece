"""The Celery app. Queues, routes and the beat schedule are `CELERY_*` settings; queue names
live in `config.queues.CeleryQueue`; every task is sent through `send_on_commit`."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from django.db import transaction

from config.queues import CeleryQueue

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


app = Celery("sift")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def send_on_commit(
    task: Task[Any, Any],
    *args: Any,
    queue: CeleryQueue | None = None,
    count: int = 1,
    on_failure: Callable[[Exception], None] | None = None,
) -> None:
    """The one way Sift sends a task: after the current transaction commits (at once outside
    one), so a worker never looks for a row that is not there yet.

    A broker that cannot be reached is not an error for the caller: the database row is the
    truth and a sweep or the schedule sends again. `on_failure` says what else to do (a model
    pull marks its download failed); by default a warning is logged.
    """
    options: dict[str, Any] = {"queue": queue.value} if queue else {}

    def send() -> None:
        try:
            for _ in range(max(0, count)):
                task.apply_async(args=args, retry=False, **options)
        except Exception as exc:  # noqa: BLE001 - any broker failure; the database keeps the work
            if on_failure is not None:
                on_failure(exc)
            else:
                logger.warning(
                    "could not reach the broker for %s (%s); it is sent again later",
                    task.name,
                    type(exc).__name__,
                )

    transaction.on_commit(send)


@worker_process_init.connect
def leave_shutdown_to_the_main_process(**_: Any) -> None:
    """Process managers (honcho under `make run`, some container runtimes) send SIGTERM to
    the worker's whole process group. A pool process killed that way aborts its task and the
    main process reports it as an error; ignoring it lets the main process run the warm
    shutdown it started. Time limits still stop a pool process: billiard follows its SIGTERM
    with SIGKILL."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
