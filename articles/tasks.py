from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def refresh_all_feeds() -> int:
    from articles import services

    return services.feeds_refresh_later()


@shared_task(ignore_result=True)
def refresh_feed(feed_id: int) -> int:
    from articles import services
    from articles.models import Feed

    feed = Feed.objects.filter(pk=feed_id).first()
    return services.feed_refresh(feed=feed) if feed else 0
