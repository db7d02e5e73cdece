"""Scoring's answers to what the layers below announce. Thin: one service call each."""

from __future__ import annotations

from typing import Any

from articles.models import Category, Reading
from common.tasks import send_on_commit
from scoring import services, tasks


def queue_stored_readings(sender: Any, ids: list[int], **kwargs: Any) -> None:
    """New readings (new articles of a feed, or a reader's new subscription): copies of a
    story the reader has scored take that verdict, the rest join the queue."""
    readings = Reading.objects.filter(id__in=ids)
    services.copies_inherit(readings=readings)
    services.readings_enqueue(readings=readings)


def learn_from_marks(sender: Any, reader_id: int, **kwargs: Any) -> None:
    """A 👍/👎 or a star: what Sift learned of the reader's taste is trained again."""
    send_on_commit(tasks.train_taste, reader_id)


def nudge_extracted(sender: Any, article_id: int, **kwargs: Any) -> None:
    """An article's full text landed (or failed): its readings that waited may go now."""
    if Reading.objects.filter(article_id=article_id, scoring_state=services.State.QUEUED).exists():
        services.nudge()


def rescore_unblocked(
    sender: Any, reader_id: int, category: Category, old: str, **kwargs: Any
) -> None:
    if old == Category.Weight.BLOCKED:
        services.unblocked_rescore(reader_id=reader_id, category=category)
