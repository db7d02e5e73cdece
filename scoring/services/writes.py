"""The outcomes of scoring and their writes under a claim: a score (ranked, copied to the
story's copies), a pause, a counted failure."""

from __future__ import annotations

import logging
from enum import StrEnum

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from articles.models import Article, Category
from articles.ranking import articles_rank
from llmconfig.llm import CallRecord, LLMError, LLMErrorKind
from llmconfig.models import LLMCall
from scoring.services.claims import Claim, owned
from scoring.services.context import ScoringContext
from scoring.services.queue import State, articles_enqueue, nudge
from scoring.services.single import Scored
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


def write_scored(
    claim: Claim, article: Article, result: Scored, calls: list[CallRecord], context: ScoringContext
) -> Outcome:
    """Store what the LLM said, only while the claim holds, and rank it with the weights as
    they are at this moment. The LLM calls it took are saved with it."""
    with transaction.atomic():
        written = owned(claim).update(
            scoring_state=State.SCORED,
            interest_score=result.interest,
            quality_score=result.quality,
            score_reasoning=result.reasoning,
            matched_interests=result.matched_interests,
            matched_anti_interests=result.matched_anti_interests,
            scored_at=timezone.now(),
            categorization_model=result.categorization_model,
            scoring_model=result.scoring_model,
            categorization_prompt_version=result.categorization_prompt_version,
            scoring_prompt_version=result.scoring_prompt_version,
            scoring_priority=0,
            rescore_mode=None,
            claim_token="",
            scoring_error="",
            scoring_raw_output="",
            batch_missed=False,
        )
        LLMCall.objects.record(calls, article_id=claim.article_id)
        if not written:
            return Outcome.LOST
        wanted = set(context.ensure_categories(result.categories))
        have = {c.id for c in article.categories.all()}
        if wanted != have:
            through = Article.categories.through
            if have - wanted:
                through.objects.filter(
                    article_id=article.id, category_id__in=have - wanted
                ).delete()
            through.objects.bulk_create(
                [through(article_id=article.id, category_id=c) for c in wanted - have],
                ignore_conflicts=True,
            )
        # A weight change commits either before this (the rerank reads it) or after (its
        # own rerank sees this row): the topic rows' locks order the two on PostgreSQL, and
        # SQLite runs one writing transaction at a time.
        if connection.vendor == "postgresql":
            list(Category.objects.select_for_update().filter(id__in=wanted).values_list("id"))
        articles_rank(articles=Article.objects.filter(id=article.id))
        # The same story from other feeds: asked once, scored everywhere. Looked up now,
        # not at claim time: a copy linked while the LLM answered was committed before the
        # update above took this row's lock (linking locks the lead), and a later one sees
        # this score when it is linked. (An answer from the claim, P11 found, left such
        # copies unscored until the sweep.)
        copies_inherit(articles=Article.objects.filter(story_id=article.id))
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
    article = Article.objects.only("scoring_attempts").get(id=claim.article_id)
    attempts = article.scoring_attempts + 1
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
        # Its copies were waiting for this score: each becomes its own story and is scored.
        copies = list(
            Article.objects.filter(story_id=claim.article_id).values_list("id", flat=True)
        )
        Article.objects.filter(id__in=copies).update(story=None)
        articles_enqueue(ids=copies)
    return Outcome.FAILED if final else Outcome.RETRY


def copies_inherit(*, articles: QuerySet[Article]) -> int:
    """Copies whose lead is scored take its score, reasoning and topics: the LLM is
    asked once per story. Scoring owns the queue's state, so this lives here, not with
    the articles. Returns how many copies were updated."""
    # Two plain lookups, not a join: the common case (no copies) costs one index probe.
    linked = list(articles.filter(story__isnull=False).values_list("id", "story_id"))
    if not linked:
        return 0
    scored = set(
        Article.objects.filter(
            id__in={lead for _, lead in linked}, scoring_state=Article.ScoringState.SCORED
        ).values_list("id", flat=True)
    )
    copies = [(copy_id, lead_id) for copy_id, lead_id in linked if lead_id in scored]
    if not copies:
        return 0
    fields = [
        "interest_score", "quality_score", "score_reasoning",
        "matched_interests", "matched_anti_interests", "scored_at", "categorization_model",
        "scoring_model", "categorization_prompt_version", "scoring_prompt_version",
    ]  # fmt: skip
    leads = {row["id"]: row for row in Article.objects.filter(
        id__in={lead for _, lead in copies}).values("id", *fields)}  # fmt: skip
    through = Article.categories.through
    topics: dict[int, list[int]] = {}
    for article_id, category_id in through.objects.filter(article_id__in=leads).values_list(
        "article_id", "category_id"
    ):
        topics.setdefault(article_id, []).append(category_id)
    for copy_id, lead_id in copies:
        values = {k: v for k, v in leads[lead_id].items() if k != "id"}
        Article.objects.filter(id=copy_id).update(
            **values,
            scoring_state=Article.ScoringState.SCORED,
            scoring_priority=0,
            rescore_mode=None,
            claim_token="",
            scoring_error="",
        )
    through.objects.filter(article_id__in=[c for c, _ in copies]).delete()
    through.objects.bulk_create(
        [
            through(article_id=copy_id, category_id=category_id)
            for copy_id, lead_id in copies
            for category_id in topics.get(lead_id, [])
        ]
    )
    # Same verdict, same topics: the same score as the lead's.
    articles_rank(articles=Article.objects.filter(id__in=[c for c, _ in copies]))
    return len(copies)
