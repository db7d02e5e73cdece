"""Putting articles in the scoring queue: first scores, re-scores ahead of other work, and
what a re-score will cost before it runs."""

from __future__ import annotations

from typing import TypedDict

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from articles.models import Article
from common.queues import CeleryQueue
from common.tasks import send_on_commit
from llmconfig.models import UserSettings
from scoring import tasks

HIGH_PRIORITY = 1

State = Article.ScoringState
Mode = Article.RescoreMode


def nudge(*, count: int = 1, high: bool = False) -> None:
    """Tell workers there is work, after the current transaction commits. A failed send is
    only logged: the rows are queued in the database and the beat sweep sends again."""
    queue = CeleryQueue.RESCORE if high else CeleryQueue.SCORE
    send_on_commit(tasks.score_next, queue=queue, count=count)


def articles_enqueue(*, ids: list[int] | None = None) -> int:
    """Unscored or failed → queued at normal priority (`skipped` only when asked by id). A
    copy of another feed's story is not queued: it takes its lead's score."""
    qs = Article.objects.leads().filter(scoring_state__in=[State.UNSCORED, State.FAILED])
    if ids is not None:
        qs = qs.filter(id__in=ids)
    count = qs.update(
        scoring_state=State.QUEUED, queued_at=timezone.now(), scoring_attempts=0, scoring_error=""
    )
    if count:
        nudge(count=min(count, settings.LLM_MAX_IN_FLIGHT))
    return count


def articles_rescore(*, ids: list[int] | QuerySet[Article, int], mode: str) -> int:
    """Queue articles ahead of all normal work. A row being scored right now is left alone;
    the others keep their old score on show until the new one lands."""
    count = (
        Article.objects.filter(id__in=ids)
        .exclude(scoring_state=State.SCORING)
        .update(
            scoring_state=State.QUEUED,
            scoring_priority=HIGH_PRIORITY,
            rescore_mode=mode,
            queued_at=timezone.now(),
            scoring_attempts=0,
            scoring_error="",
        )
    )
    if count:
        nudge(count=min(count, settings.LLM_MAX_IN_FLIGHT), high=True)
    return count


def rescore_recent_ids() -> list[int]:
    """What a re-score of recent unread articles takes (RESCORE_RECENT_DAYS, at most
    RESCORE_RECENT_LIMIT, not those being scored now): also what the pages preview."""
    return list(
        Article.objects.recent_unread()
        .exclude(scoring_state=State.SCORING)
        .order_by("-published_at", "-id")
        .values_list("id", flat=True)[: settings.RESCORE_RECENT_LIMIT]
    )


def skipped_ids() -> list[int]:
    """The newest articles kept unscored as older than the backfill window (at most
    RESCORE_RECENT_LIMIT): what "Score them" on the reading page queues."""
    return list(
        Article.objects.filter(scoring_state=State.SKIPPED)
        .order_by(F("published_at").desc(nulls_last=True), "-id")
        .values_list("id", flat=True)[: settings.RESCORE_RECENT_LIMIT]
    )


def rescore_recent(*, mode: str = Mode.FULL) -> int:
    return articles_rescore(ids=rescore_recent_ids(), mode=mode)


class RescoreCost(TypedDict):
    articles: int
    llm_calls: int  # at most: a blocked topic spares the scoring call


def rescore_cost(*, ids: list[int], mode: str) -> RescoreCost:
    """What re-scoring these articles will cost, before it runs (`?dry_run=1`): a full re-score
    categorizes and scores every article; score-only scores them, and categorizes only those
    that have no topics yet. With batched scoring (a batch size N above 1) each step takes one
    call per N articles."""
    targets = Article.objects.filter(id__in=ids).exclude(scoring_state=State.SCORING)
    articles = targets.count()
    untopiced = articles if mode == Mode.FULL else targets.filter(categories__isnull=True).count()
    return _cost(articles=articles, untopiced=untopiced)


def skipped_cost(*, skipped: int) -> RescoreCost:
    """What "Score them" costs for `skipped` articles kept back by the backfill (the reading
    page shows it on every load, so it is counted, not looked up): `skipped_ids` takes at
    most RESCORE_RECENT_LIMIT of them, and a full score of each."""
    articles = min(skipped, settings.RESCORE_RECENT_LIMIT)
    return _cost(articles=articles, untopiced=articles)


def _cost(*, articles: int, untopiced: int) -> RescoreCost:
    us = UserSettings.load()
    categorize = -(-untopiced // us.batch_size_for(us.effective_categorization_model))
    score = -(-articles // us.batch_size_for(us.effective_scoring_model))
    return {"articles": articles, "llm_calls": categorize + score}


def rescore_unread_scored(*, mode: str) -> int:
    """Every unread article in state `scored` (a model change)."""
    ids = Article.objects.filter(is_read=False, scoring_state=State.SCORED).values_list(
        "id", flat=True
    )
    return articles_rescore(ids=ids, mode=mode)
