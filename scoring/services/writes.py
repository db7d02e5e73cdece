"""The outcomes of scoring and their writes: an article's topics (every reader's), and under
a reading's claim a score (ranked, copied to the reader's copies of the story), a pause, a
counted failure."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Profile
from articles.models import Article, Reading
from articles.ranking import ranks_retopic, readings_rank
from llmconfig.llm import CallRecord, LLMError, LLMErrorKind
from llmconfig.models import LLMCall
from scoring.services.claims import Claim, owned
from scoring.services.context import ScoringContext
from scoring.services.queue import State, nudge, readings_enqueue
from scoring.services.single import Scored, Topics
from scoring.services.status import readiness_set

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    SCORED = "scored"
    RETRY = "retry"  # invalid output, attempts left
    FAILED = "failed"
    PAUSED = "paused"  # LLM unreachable / model missing: row back to queued, untouched
    LOST = "lost"  # our claim was taken back; nothing written
    RELEASED = "released"  # left out of a batched reply: queued again, asked alone next
    EMPTY = "empty"  # nothing to do


PAUSING = (LLMErrorKind.UNAVAILABLE, LLMErrorKind.MODEL_MISSING, LLMErrorKind.AUTH)


def internal_error(exc: Exception) -> LLMError:
    """A bug is not an outage: no pause, no retry loop. The article fails at once with the
    reason, and the traceback goes to the log (by the caller) for whoever fixes it."""
    return LLMError(
        f"Internal error: {exc!r} (the worker log has the traceback).",
        kind=LLMErrorKind.INTERNAL,
    )


def topics_write(article: Article, topics: Topics, context: ScoringContext) -> Topics:
    """An article's topics, asked once for every reader: stored at once (every reader's rank
    rows of it follow), only if no one stored them meanwhile; then those stored are the
    ones used. A claim never takes readings of an article another claim is asking the
    topics of, so "meanwhile" is a claim presumed dead that was not."""
    wanted = context.ensure_categories(topics.names)
    with transaction.atomic():
        written = Article.objects.filter(id=article.id, categorized_at__isnull=True).update(
            categorized_at=timezone.now(),
            categorization_model=topics.model,
            categorization_prompt_version=topics.prompt_version,
        )
        if written:
            through = Article.categories.through
            through.objects.filter(article_id=article.id).exclude(category_id__in=wanted).delete()
            through.objects.bulk_create(
                [through(article_id=article.id, category_id=c) for c in wanted],
                ignore_conflicts=True,
            )
            ranks_retopic(articles=[article.id])
    stored = Article.objects.get(id=article.id)
    # The prefetched topics are stale now: read them again wherever they are shown next.
    article.categorized_at = stored.categorized_at
    article.categorization_model = stored.categorization_model
    article.categorization_prompt_version = stored.categorization_prompt_version
    if hasattr(article, "_prefetched_objects_cache"):
        article._prefetched_objects_cache.pop("categories", None)
    if written:
        return topics
    return Topics(
        [c.name for c in stored.categories.all()],
        stored.categorization_model,
        stored.categorization_prompt_version,
    )


def write_scored(
    claim: Claim, reading: Reading, result: Scored, calls: list[CallRecord]
) -> Outcome:
    """Store what the LLM said for this reader, only while the claim holds, and rank it with
    their weights as they are at this moment. The scoring calls it took are saved with it,
    as theirs."""
    with transaction.atomic():
        # A weight change of this reader commits either before this (the rerank reads it)
        # or after (its own rerank sees this row): the reader's profile row orders the two
        # on PostgreSQL, and SQLite runs one writing transaction at a time.
        if connection.vendor == "postgresql":
            list(Profile.objects.select_for_update().filter(user_id=reading.reader_id).values("pk"))
        written = owned(claim).update(
            scoring_state=State.SCORED,
            interest_score=result.interest,
            quality_score=result.quality,
            score_reasoning=result.reasoning,
            matched_interests=result.matched_interests,
            matched_anti_interests=result.matched_anti_interests,
            scored_at=timezone.now(),
            scoring_model=result.scoring_model,
            scoring_prompt_version=result.scoring_prompt_version,
            scoring_priority=0,
            rescore_mode=None,
            claim_token="",
            scoring_error="",
            scoring_raw_output="",
            batch_missed=False,
        )
        LLMCall.objects.record(calls, article_id=reading.article_id, reader_id=reading.reader_id)
        if not written:
            return Outcome.LOST
        readings_rank(readings=Reading.objects.filter(id=reading.id))
        # The same story from the reader's other feeds: asked once, scored everywhere.
        # Looked up now, not at claim time: a copy linked while the LLM answered was
        # committed before the update above took this row's lock (linking locks the
        # lead), and a later one sees this score when it is linked.
        copies_inherit(
            readings=Reading.objects.filter(
                reader_id=reading.reader_id, article__story_id=reading.article_id, is_copy=True
            )
        )
    if readiness_set(ready=True, reason=""):
        # Scoring resumes after a pause with one probing task: fill the other slots.
        nudge(count=settings.LLM_MAX_IN_FLIGHT - 1)
    return Outcome.SCORED


def pause(claim: Claim, reason: str) -> Outcome:
    owned(claim).update(scoring_state=State.QUEUED, claim_token="")
    readiness_set(ready=False, reason=reason)
    logger.warning("scoring paused: %s", reason)
    return Outcome.PAUSED


def record_failure(claim: Claim, exc: LLMError) -> Outcome:
    """Invalid output after re-asking: count the attempt; fail for good after the limit."""
    reading = Reading.objects.only("scoring_attempts", "reader_id", "article_id").get(
        id=claim.reading_id
    )
    attempts = reading.scoring_attempts + 1
    final = attempts >= settings.SCORING_MAX_ATTEMPTS or exc.kind is LLMErrorKind.INTERNAL
    written = owned(claim).update(
        scoring_state=State.FAILED if final else State.QUEUED,
        scoring_attempts=attempts,
        scoring_error=exc.message[:4000],
        scoring_raw_output=exc.raw_output[:20000],
        claim_token="",
        **({"scoring_priority": 0, "rescore_mode": None} if final else {}),
    )
    if not written:
        return Outcome.LOST
    if final:
        # The reader's copies were waiting for this score: each is scored on its own.
        copies = Reading.objects.filter(
            reader_id=reading.reader_id, article__story_id=reading.article_id, is_copy=True
        )
        ids = list(copies.values_list("id", flat=True))
        Reading.objects.filter(id__in=ids).update(is_copy=False)
        readings_enqueue(readings=Reading.objects.filter(id__in=ids))
    return Outcome.FAILED if final else Outcome.RETRY


def copies_inherit(*, readings: QuerySet[Reading]) -> int:
    """Copies whose lead the same reader has scored take its verdict: the LLM is asked once
    per story and reader. Scoring owns the queue's state, so this lives here, not with the
    articles. Returns how many readings were updated."""
    # Two plain lookups, not a join: the common case (no copies) costs one index probe.
    linked: list[tuple[int, int, int]] = [
        (pk, reader, lead)
        for pk, reader, lead in readings.filter(is_copy=True).values_list(
            "id", "reader_id", "article__story_id"
        )
        if lead is not None
    ]
    if not linked:
        return 0
    fields = [
        "interest_score", "quality_score", "score_reasoning", "matched_interests",
        "matched_anti_interests", "scored_at", "scoring_model", "scoring_prompt_version",
    ]  # fmt: skip
    leads: dict[tuple[int, int], dict[str, Any]] = {}
    for reader_id in {r for _, r, _ in linked}:
        wanted = {lead for _, r, lead in linked if r == reader_id and lead}
        for row in Reading.objects.filter(
            reader_id=reader_id, article_id__in=wanted, scoring_state=State.SCORED
        ).values("article_id", *fields):
            leads[(reader_id, row.pop("article_id"))] = row
    copies = [
        (copy_id, leads[(reader_id, lead)])
        for copy_id, reader_id, lead in linked
        if (reader_id, lead) in leads
    ]
    for copy_id, values in copies:
        Reading.objects.filter(id=copy_id).update(
            **values,
            scoring_state=State.SCORED,
            scoring_priority=0,
            rescore_mode=None,
            claim_token="",
            scoring_error="",
        )
    done = Reading.objects.filter(id__in=[c for c, _ in copies])
    topics_from_leads(articles=Article.objects.filter(id__in=done.values("article_id")))
    # Same verdict, same topics: the same score as the lead's.
    readings_rank(readings=done)
    return len(copies)


def topics_from_leads(*, articles: QuerySet[Article]) -> int:
    """Copies not categorized yet take their lead's topics (one story: asked once)."""
    copies = list(
        articles.filter(categorized_at__isnull=True, story__categorized_at__isnull=False)
        .values_list("id", "story_id", "story__categorization_model",
                     "story__categorization_prompt_version")
    )  # fmt: skip
    if not copies:
        return 0
    through = Article.categories.through
    topics: dict[int, list[int]] = {}
    for article_id, category_id in through.objects.filter(
        article_id__in={lead for _, lead, _, _ in copies}
    ).values_list("article_id", "category_id"):
        topics.setdefault(article_id, []).append(category_id)
    now = timezone.now()
    for copy_id, lead_id, model, version in copies:
        if Article.objects.filter(id=copy_id, categorized_at__isnull=True).update(
            categorized_at=now, categorization_model=model, categorization_prompt_version=version
        ):
            through.objects.filter(article_id=copy_id).delete()
            through.objects.bulk_create(
                [through(article_id=copy_id, category_id=c) for c in topics.get(lead_id, [])]
            )
    ranks_retopic(articles=[c for c, _, _, _ in copies])
    return len(copies)
