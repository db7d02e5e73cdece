"""Thin tasks: they take no ORM objects and decide nothing; scoring.services does the work.
Services import this module at the top to send tasks; tasks import services in their body
(HackSoft's direction), so neither import waits on the other."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready


@shared_task(bind=True, ignore_result=True)
def score_next(self: Any) -> dict[str, int]:
    """Score the most urgent queued articles. The message carries no id on purpose: the
    database decides the order, so a re-score overtakes any backlog on any broker."""
    from scoring import services

    return dict(services.score_next_articles(worker=self.request.hostname or "worker"))


@shared_task(ignore_result=True)
def sweep() -> dict[str, int]:
    from scoring import services

    return services.queue_sweep()


@worker_ready.connect
def release_claims_of_previous_run(sender: Any = None, **kwargs: Any) -> None:
    """A worker that restarts under the same name held nothing that is still running."""
    from scoring import services

    hostname = getattr(sender, "hostname", None)
    if hostname:
        services.claims_release(worker=hostname)
