"""LLM_MAX_IN_FLIGHT holds cluster-wide: two worker processes with more pool processes than the
limit, and a burst of separate enqueues and extra messages, never put more calls on the LLM
than the limit (the fake Ollama counts the calls it serves at once)."""

from __future__ import annotations

import pytest

from articles.models import Article, Reading
from llmconfig.models import UserSettings
from scoring import services
from tests.factories import FeedFactory, articles_enqueue, read_by
from tests.live import Worker, purge_queues, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LIMIT = 2


def test_two_workers_and_a_burst_never_exceed_the_limit(fake_ollama, settings):
    settings.LLM_MAX_IN_FLIGHT = LIMIT
    fake_ollama.latency = 0.1
    fake_ollama.set_slots(16)  # the fake itself would serve many more at once
    UserSettings.objects.update_or_create(pk=1, defaults={"categorization_model": "ollama/qwen3:4b"})  # fmt: skip
    purge_queues()
    workers = [
        Worker(name=f"burst{i}", concurrency=4, LLM_MAX_IN_FLIGHT=LIMIT).start() for i in (1, 2)
    ]
    try:
        feed = FeedFactory()
        ids = []
        for batch in range(8):  # eight separate enqueues, each with its own nudge
            rows = Article.objects.bulk_create(
                Article(
                    feed=feed, title=f"Burst {batch}-{i}", url=f"https://example.com/b/{batch}/{i}",
                )
                for i in range(3)
            )  # fmt: skip
            read_by(rows)
            ids += [a.id for a in rows]
            articles_enqueue(ids=[a.id for a in rows])
            services.nudge(count=8)  # and more messages than any limit
        wait_for(
            lambda: (
                Reading.objects.filter(article_id__in=ids, scoring_state="scored").count()
                == len(ids)
            ),
            timeout=90,
            message="every article scored",
        )
    finally:
        for w in workers:
            w.stop()
    assert fake_ollama.max_in_flight == LIMIT  # the limit was used, and never exceeded
