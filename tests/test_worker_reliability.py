"""The scoring pipeline with real Celery worker processes (and a real beat), against the fake
Ollama: articles added are scored without further action, re-scores overtake a backlog, and
nothing is lost or applied twice when workers die, the broker loses its messages or the LLM
goes away."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from articles.models import Article
from llmconfig.models import UserSettings
from scoring import services
from tests.factories import ArticleFactory, FeedFactory
from tests.live import Beat, Worker, purge_queues, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
State = Article.ScoringState


@pytest.fixture
def pipeline(fake_ollama):
    """Model configured; the fake answers every article with its title in the reasoning's
    place of origin recorded, so the call log can be checked against the database."""
    UserSettings.objects.update_or_create(
        pk=1, defaults={"categorization_model": "ollama/qwen3:4b"}
    )
    purge_queues()
    beat = Beat().start()
    yield fake_ollama
    beat.stop()


def make_articles(n: int, **kwargs) -> list[int]:
    feed = FeedFactory()
    now = timezone.now()
    rows = [
        Article(
            feed=feed,
            title=f"Article {i}",
            url=f"https://example.com/r/{feed.id}/{i}",
            content=f"Body {i}",
            published_at=now,
            scoring_state=State.QUEUED,
            queued_at=now,
            **kwargs,
        )
        for i in range(n)
    ]
    Article.objects.bulk_create(rows)
    ids = list(Article.objects.filter(feed=feed).values_list("id", flat=True))
    services.nudge(count=settings.SCORING_CONCURRENCY)
    return ids


def scored_count(ids=None) -> int:
    qs = Article.objects.filter(scoring_state=State.SCORED)
    return qs.filter(id__in=ids).count() if ids is not None else qs.count()


def score_calls_per_article(fake) -> Counter:
    """How many scoring calls the fake answered for each article title."""
    counts: Counter = Counter()
    for call in fake.calls("/api/chat"):
        fmt = call.body.get("format")
        if isinstance(fmt, dict) and fmt.get("title") == "ScoringResult":
            prompt = call.body["messages"][-1]["content"]
            counts[prompt.split("**Title:** ", 1)[1].split("\n", 1)[0]] += 1
    return counts


def test_added_articles_are_scored_without_further_action(pipeline):
    with_worker = Worker(concurrency=2, SCORING_CONCURRENCY=2).start()
    try:
        article = ArticleFactory()  # saved and queued; the worker is nudged on commit
        services.nudge()
        wait_for(
            lambda: Article.objects.get(id=article.id).scoring_state == State.SCORED,
            timeout=30,
            message="article scored",
        )
        article.refresh_from_db()
        assert article.composite_score is not None and article.categories.exists()
    finally:
        with_worker.stop()


def test_rescores_overtake_a_normal_backlog(pipeline, settings):
    """N normal queued, K re-scores requested: at most one in-flight article per slot
    finishes after the request and before the last re-score."""
    P, N, K = 2, 120, 8
    pipeline.latency = 0.05
    pipeline.set_slots(P)
    settings.SCORING_CONCURRENCY = P
    worker = Worker(concurrency=P, SCORING_CONCURRENCY=P).start()
    try:
        done_first = make_articles(K)
        wait_for(lambda: scored_count(done_first) == K, timeout=60, message="first batch scored")
        backlog = make_articles(N)
        wait_for(lambda: scored_count(backlog) >= 4, timeout=60, message="backlog started")
        requested_at = timezone.now()
        assert services.articles_rescore(ids=done_first, mode="full") == K
        wait_for(
            lambda: not Article.objects.filter(id__in=done_first, scoring_priority__gt=0).exists(),
            timeout=60,
            message="re-scores done",
        )
        last_rescore = max(
            Article.objects.filter(id__in=done_first).values_list("scored_at", flat=True)
        )
        overtaken = Article.objects.filter(
            id__in=backlog, scored_at__gt=requested_at, scored_at__lt=last_rescore
        ).count()
        assert scored_count(backlog) < N, "the backlog finished first: the test proves nothing"
        assert overtaken <= P, (
            f"{overtaken} normal articles finished between the request and the last re-score"
        )
    finally:
        worker.stop()


def test_kill_9_loses_nothing_and_applies_nothing_twice(pipeline, settings):
    P, N = 4, 200
    pipeline.latency = 0.02
    settings.SCORING_CONCURRENCY = P
    ids = make_articles(N)
    kills = 0
    worker = Worker(concurrency=P, SCORING_CONCURRENCY=P).start()
    try:
        for threshold in (40, 100, 150):
            wait_for(
                lambda t=threshold: scored_count(ids) >= t,
                timeout=90,
                message=f"{threshold} scored",
            )
            worker.kill()
            kills += 1
            worker = Worker(concurrency=P, SCORING_CONCURRENCY=P).start()
        wait_for(lambda: scored_count(ids) == N, timeout=120, message="all scored after kills")
    finally:
        worker.stop()
    assert Article.objects.filter(id__in=ids).exclude(scoring_state=State.SCORED).count() == 0
    calls = score_calls_per_article(pipeline)
    assert set(calls) == {f"Article {i}" for i in range(N)}
    repeated = sum(n - 1 for n in calls.values())
    # Only work in flight at a kill is redone (at most one per slot per kill); the database
    # holds exactly one result per article, from the claim that finished.
    assert repeated <= kills * P, calls.most_common(5)


def test_lost_broker_messages_are_recovered_by_the_sweep(pipeline, settings):
    P, N = 2, 60
    pipeline.latency = 0.05
    settings.SCORING_CONCURRENCY = P
    worker = Worker(concurrency=P, SCORING_CONCURRENCY=P).start()
    try:
        ids = make_articles(N)
        wait_for(lambda: scored_count(ids) >= 10, timeout=60, message="started")
        # Empty the broker mid-run (FLUSHALL on Redis; the queue files on the file broker).
        worker.kill()
        purge_queues()
        worker = Worker(concurrency=P, SCORING_CONCURRENCY=P).start()
        wait_for(
            lambda: scored_count(ids) == N,
            timeout=90,
            message="all scored after the broker lost its messages",
        )
    finally:
        worker.stop()


def test_llm_outage_pauses_and_resumes_with_nothing_failed(pipeline, settings):
    P, N = 2, 40
    settings.SCORING_CONCURRENCY = P
    worker = Worker(concurrency=P, SCORING_CONCURRENCY=P, LLM_RETRY_MAX_WAIT="0.1").start()
    try:
        ids = make_articles(N)
        wait_for(lambda: scored_count(ids) >= 5, timeout=60, message="started")
        pipeline.stop()
        wait_for(
            lambda: services.scoring_status()["phase"] == "paused", timeout=30, message="paused"
        )
        time.sleep(3)
        assert not Article.objects.filter(scoring_state=State.FAILED).exists()
        pipeline.start()
        wait_for(
            lambda: scored_count(ids) == N, timeout=90, message="all scored after the LLM came back"
        )
        assert services.scoring_status()["ready"] is True
    finally:
        worker.stop()


def test_malformed_replies_are_reasked_and_everything_is_scored(pipeline, settings):
    P, N = 2, 40
    pipeline.faults.malformed_share = 0.3
    settings.SCORING_CONCURRENCY = P
    worker = Worker(concurrency=P, SCORING_CONCURRENCY=P).start()
    try:
        ids = make_articles(N)
        wait_for(
            lambda: scored_count(ids) == N,
            timeout=90,
            message="all scored despite malformed replies",
        )
    finally:
        worker.stop()
    from llmconfig.models import LLMCall

    assert LLMCall.objects.filter(outcome="invalid").exists()
    assert not Article.objects.filter(scoring_state=State.FAILED).exists()
