from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from articles.models import Feed
from articles.services import feed_refresh


class Command(BaseCommand):
    help = "Fetch every feed now and queue the new articles for scoring."

    def handle(self, *args: Any, **options: Any) -> None:
        feeds = list(Feed.objects.order_by("id"))
        new = 0
        for feed in tqdm(feeds, desc="feeds", unit="feed"):
            new += feed_refresh(feed=feed)
        failed = Feed.objects.exclude(last_error="").count()
        self.stdout.write(
            self.style.SUCCESS(
                f"{new} new articles from {len(feeds)} feeds ({failed} with errors)."
            )
        )
