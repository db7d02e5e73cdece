"""Putting readings in the scoring queue: first scores, re-scores ahead of other work, and
what a re-score will cost before it runs. A reading is one reader's article: re-scoring it
asks the LLM for that reader only."""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from articles.models import Article, Reading, ReadingQuerySet
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


def readings_enqueue(*, readings: ReadingQuerySet) -> int:
    """Unscored or failed → queued at normal priority (`skipped` only by a re-score). A copy
    of a story the reader has the lead of is not queued: it takes the lead's verdict."""
    count: int = (
        readings.leads()
        .filter(scoring_state__in=[State.UNSCORED, State.FAILED])
        .update(
            scoring_state=State.QUEUED,
            queued_at=timezone.now(),
            scoring_attempts=0,
            scoring_error="",
        )
    )
    if count:
        nudge(count=min(count, settings.LLM_MAX_IN_FLIGHT))
    return count


def readings_rescore(*, readings: QuerySet[Reading], mode: str) -> int:
    """Queue these readings ahead of all normal work. A row being scored right now is left
    alone; the others keep their old score on show until the new one lands. `full` asks
    the articles' topics again too: once per article, whoever's reading is claimed first
    (the others wait for it), and every reader's list keeps the old topics until then."""
    targets = readings.exclude(scoring_state=State.SCORING)
    if mode == Mode.FULL:
        Article.objects.filter(id__in=targets.values("article_id")).update(categorized_at=None)
    count = targets.update(
        scoring_state=State.QUEUED,
        scoring_priority=HIGH_PRIORITY,
        rescore_mode=mode,
        queued_at=timezone.now(),
        scoring_attempts=0,
        scoring_error="",
    )
    if count:
        nudge(count=min(count, settings.LLM_MAX_IN_FLIGHT), high=True)
    return count


def recent_unread(reader: Any) -> QuerySet[Reading]:
    """What a re-score of a reader's recent unread articles takes (RESCORE_RECENT_DAYS, at
    most RESCORE_RECENT_LIMIT, not those being scored now): also what the pages preview."""
    ids = list(
        Reading.objects.of(reader)
        .recent_unread()
        .exclude(scoring_state=State.SCORING)
        .order_by("-article__published_at", "-id")
        .values_list("id", flat=True)[: settings.RESCORE_RECENT_LIMIT]
    )
    return Reading.objects.filter(id__in=ids)


def skipped(reader: Any) -> QuerySet[Reading]:
    """The reader's newest articles kept unscored as older than the backfill window (at most
    RESCORE_RECENT_LIMIT): what "Score them" on the reading page queues."""
    ids = list(
        Reading.objects.of(reader)
        .filter(scoring_state=State.SKIPPED)
        .order_by(F("article__published_at").desc(nulls_last=True), "-id")
        .values_list("id", flat=True)[: settings.RESCORE_RECENT_LIMIT]
    )
    return Reading.objects.filter(id__in=ids)


def rescore_recent(*, reader: Any, mode: str = Mode.FULL) -> int:
    return readings_rescore(readings=recent_unread(reader), mode=mode)


class RescoreCost(TypedDict):
    articles: int
    llm_calls: int  # at most: a blocked topic spares the scoring call


def rescore_cost(*, readings: QuerySet[Reading], mode: str) -> RescoreCost:
    """What re-scoring these readings will cost, before it runs (`?dry_run=1`): a full
    re-score categorizes and scores every article; score-only scores them, and categorizes
    only those not categorized yet; with one call per article the topics come in the
    scoring call. With batched scoring (a batch size N above 1) each step takes one call per
    N articles."""
    targets = readings.exclude(scoring_state=State.SCORING)
    articles = targets.count()
    untopiced = (
        articles
        if mode == Mode.FULL
        else targets.filter(article__categorized_at__isnull=True).count()
    )
    return _cost(articles=articles, untopiced=untopiced)


def skipped_cost(*, skipped: int) -> RescoreCost:
    """What "Score them" costs for `skipped` articles kept back by the backfill (the reading
    page shows it on every load, so it is counted, not looked up): `skipped` takes at most
    RESCORE_RECENT_LIMIT of them, and a full score of each."""
    articles = min(skipped, settings.RESCORE_RECENT_LIMIT)
    return _cost(articles=articles, untopiced=articles)


def _cost(*, articles: int, untopiced: int) -> RescoreCost:
    us = UserSettings.load()
    score = -(-articles // us.batch_size_for(us.effective_scoring_model))
    if us.one_call:
        # An article without topics gets them in its scoring call.
        return {"articles": articles, "llm_calls": score}
    categorize = -(-untopiced // us.batch_size_for(us.effective_categorization_model))
    return {"articles": articles, "llm_calls": categorize + score}


def rescore_unread_scored(*, mode: str) -> int:
    """Every reader's unread scored articles (the operator changed the model)."""
    return readings_rescore(
        readings=Reading.objects.filter(is_read=False, scoring_state=State.SCORED), mode=mode
    )
