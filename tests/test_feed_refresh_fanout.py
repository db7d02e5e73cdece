"""Feed refresh fans out: 50 feeds of which 5 hang, fetched by a real worker; the other 45
are refreshed within one refresh interval although the hanging ones come first."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from articles import services
from articles.models import Feed
from tests.factories import FeedFactory
from tests.fakes.feeds import Route
from tests.live import Worker, purge_queues, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FETCH_TIMEOUT = 3.0  # each hanging feed holds one worker process this long
INTERVAL = 12.0  # the refresh interval the 45 must fit in; serially the 5 alone take 15 s


def test_fifty_feeds_five_hang_the_other_45_refresh_within_one_interval(feeds):
    body = feeds.routes["/rss2.xml"].body
    for i in range(5):
        feeds.routes[f"/hang{i}.xml"] = Route(body, delay=30.0)
    for i in range(45):
        feeds.routes[f"/ok{i}.xml"] = Route(body.replace(b"example.com", f"ok{i}.example".encode()))
    # The hanging feeds were attempted longest ago: they are sent first.
    long_ago = timezone.now() - timezone.timedelta(hours=2)
    hanging = [
        FeedFactory(url=feeds.url_for(f"/hang{i}.xml"), last_attempt_at=long_ago) for i in range(5)
    ]
    healthy = [FeedFactory(url=feeds.url_for(f"/ok{i}.xml")) for i in range(45)]
    purge_queues()
    worker = Worker(
        name="feeds", concurrency=4, queues="feeds", FEED_FETCH_TIMEOUT=FETCH_TIMEOUT
    ).start()
    try:
        started = time.monotonic()
        assert services.feeds_refresh_later() == 50
        wait_for(
            lambda: (
                Feed.objects.filter(
                    id__in=[f.id for f in healthy], last_fetched_at__isnull=False
                ).count()
                == 45
            ),
            timeout=INTERVAL,
            message="the 45 healthy feeds refreshed within one interval",
        )
        took = time.monotonic() - started
        wait_for(
            lambda: Feed.objects.filter(id__in=[f.id for f in hanging], last_error__contains="Timed out").count() == 5,
            timeout=30,
            message="the hanging feeds recorded their timeout",
        )  # fmt: skip
    finally:
        worker.stop()
    assert took < INTERVAL
