"""Sending Celery tasks: always after commit, never failing the caller on a broker outage."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction

from common.queues import CeleryQueue

logger = logging.getLogger(__name__)


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
