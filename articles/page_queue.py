"""One queued fetch per pending article page: a mark in the shared cache says a message for
the page is queued, until its task ends (a retry while its site is busy keeps it)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from articles import tasks
from common.tasks import send_on_commit

EXTRACTION_QUEUED = "sift:extraction-queued:{}"


def extraction_send(*, article_id: int) -> bool:
    """Queue the fetch of a pending article's page, unless one is queued already: a mark in
    the cache says so until the task ends (a retry while its site is busy keeps it). A site
    with a thousand teasers once filled the queue with seven thousand messages, resent by
    every sweep, and the other feeds' refreshes waited behind them. Returns whether sent."""
    held = 10 * settings.FULLTEXT_WAIT_SECONDS  # past that the sweep gives the page up
    if not cache.add(EXTRACTION_QUEUED.format(article_id), 1, timeout=held):
        return False
    send_on_commit(tasks.extract_article, article_id)
    return True


def extraction_sent_done(*, article_id: int) -> None:
    cache.delete(EXTRACTION_QUEUED.format(article_id))
