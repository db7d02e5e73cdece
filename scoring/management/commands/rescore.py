from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.models import Reading
from scoring import services


class Command(BaseCommand):
    help = (
        "Queue readers' articles for re-scoring ahead of other work (every reader's, or one "
        "reader's with --reader), then follow their progress."
    )

    def add_arguments(self, parser: Any) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--all", action="store_true", help="every article")
        scope.add_argument("--unread", action="store_true", help="unread articles (default)")
        scope.add_argument("--feed", type=int, help="articles of one feed")
        parser.add_argument("--reader", help="only this reader's articles (a username)")
        parser.add_argument("--mode", choices=["full", "score_only"], default="full")
        parser.add_argument("--no-wait", action="store_true", help="queue and return")

    def handle(self, *args: Any, **options: Any) -> None:
        qs = Reading.objects.all()
        if options["reader"]:
            qs = qs.filter(reader__username=options["reader"])
            if not qs.exists():
                raise CommandError(f"No articles for reader {options['reader']!r}.")
        if options["feed"] is not None:
            qs = qs.filter(feed_id=options["feed"])
            if not qs.exists():
                raise CommandError(f"No articles for feed {options['feed']}.")
        elif not options["all"]:
            qs = qs.filter(is_read=False)
        ids = list(qs.values_list("id", flat=True))
        count = services.readings_rescore(
            readings=Reading.objects.filter(id__in=ids), mode=options["mode"]
        )
        self.stdout.write(f"{count} articles queued for re-scoring ({options['mode']}).")
        if options["no_wait"] or not count:
            return
        with tqdm(total=count, desc="re-scored", unit="article") as bar:
            while True:
                left = Reading.objects.filter(id__in=ids, scoring_priority__gt=0).count()
                bar.n = count - left
                bar.refresh()
                if not left:
                    break
                time.sleep(1)
