from __future__ import annotations

from celery import shared_task

from articles import services
from articles.models import Feed


@shared_task(ignore_result=True)
def refresh_all_feeds() -> int:
    return services.feeds_refresh_all()


@shared_task(ignore_result=True)
def refresh_feed(feed_id: int) -> int:
    feed = Feed.objects.filter(pk=feed_id).first()
    return services.feed_refresh(feed=feed) if feed else 0
