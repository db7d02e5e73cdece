from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings


@shared_task(ignore_result=True)
def refresh_all_feeds() -> int:
    from articles import services

    return services.feeds_refresh_later()


@shared_task(bind=True, ignore_result=True, max_retries=None)
def extract_article(self: Any, article_id: int) -> str:
    """The message carries the id only; the article's `pending` state is the truth, and the
    scoring sweep sends this again for any whose message was lost."""
    from articles import fulltext

    try:
        return fulltext.article_extract(article_id=article_id)
    except fulltext.SiteBusy:
        raise self.retry(countdown=max(1.0, settings.FULLTEXT_HOST_DELAY)) from None


@shared_task(ignore_result=True)
def refresh_feed(feed_id: int) -> int:
    from articles import services
    from articles.models import Feed

    feed = Feed.objects.filter(pk=feed_id).first()
    return services.feed_refresh(feed=feed) if feed else 0
