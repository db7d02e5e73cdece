"""Thin tasks: they take no ORM objects and decide nothing; scoring.services does the work.
Services import this module at the top to send tasks; tasks import services in their body
(HackSoft's direction), so neither import waits on the other."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init, worker_ready

logger = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=True)
def score_next(self: Any) -> dict[str, int]:
    """Score the most urgent queued articles. The message carries no id on purpose: the
    database decides the order, so a re-score overtakes any backlog on any broker."""
    from scoring import services

    worker = services.claimant(self.request.hostname or "worker")
    return dict(services.score_next_articles(worker=worker))


@shared_task(ignore_result=True)
def sweep() -> dict[str, int]:
    from scoring import services

    return services.queue_sweep()


@shared_task(ignore_result=True)
def train_taste(reader_id: int) -> int:
    """Learn the reader's taste again from all their marks (idempotent: a repeat gives the
    same model), then re-rank what the cheap score orders."""
    from scoring.services.taste import taste_train

    return int(taste_train(reader_id=reader_id)["labels"])


@worker_ready.connect
def release_claims_of_previous_run(sender: Any = None, **kwargs: Any) -> None:
    """A worker that restarts under the same name held nothing that is still running."""
    from scoring import services

    hostname = getattr(sender, "hostname", None)
    if hostname:
        services.claims_release(worker=hostname)


@worker_process_init.connect
def release_claims_of_dead_pool_processes(**_: Any) -> None:
    """A pool process starting may be replacing one that was killed outright: what such
    processes had claimed goes back to the queue now, not when it goes stale."""
    from scoring import services

    try:
        released = services.claims_release_dead()
    except Exception:  # the database may be down: the sweep releases them later
        logger.warning("could not release the claims of dead pool processes", exc_info=True)
        return
    if released:
        logger.warning("released %s claim(s) of pool processes that died", released)
        services.nudge(count=released)
