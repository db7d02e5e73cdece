"""Thin tasks: they take no ORM objects and decide nothing; scoring.services does the work."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from scoring import services


@shared_task(bind=True, ignore_result=True)
def score_next(self: Any) -> dict[str, int]:
    """Score the most urgent queued articles. The message carries no id on purpose: the
    database decides the order, so a re-score overtakes any backlog on any broker."""
    return dict(services.score_next_articles(worker=self.request.hostname or "worker"))


@shared_task(ignore_result=True)
def sweep() -> dict[str, int]:
    return services.queue_sweep()


@worker_ready.connect
def release_claims_of_previous_run(sender: Any = None, **kwargs: Any) -> None:
    """A worker that restarts under the same name held nothing that is still running."""
    hostname = getattr(sender, "hostname", None)
    if hostname:
        services.claims_release(worker=hostname)
