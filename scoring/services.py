"""The scoring pipeline. The database is the queue; Celery messages only say "there is work".

How an article moves: unscored → queued → scoring → scored | failed.

1. `articles_enqueue` / `articles_rescore` change rows, then `nudge` the workers after commit.
2. A `score_next` task claims the best queued row (re-scores first, then oldest) with a
   conditional update, so any message, on any queue, serves the most urgent article. That is
   what keeps re-scores ahead of a normal backlog on every broker, server-less ones included.
3. The claim carries a token; the result is written only while the token still holds, so a
   worker that was presumed dead can never apply a score twice.
4. When the LLM is unreachable or the model is missing, the row goes back to `queued`
   untouched and scoring pauses; the beat `sweep` probes and resumes it, and also recovers
   claims of dead workers and messages lost by the broker.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from articles.models import Article, Category
from config.celery import send_on_commit
from config.queues import CeleryQueue
from llmconfig.llm import CallRecord, LLMAdapter, LLMError, LLMErrorKind, get_adapter
from llmconfig.llm.ollama import embed
from llmconfig.llm.registry import ProviderNotConfigured, UnknownModelError, ollama_connection
from llmconfig.models import LLMCall, PromptTemplate, UserSettings
from llmconfig.prompts import BATCH_ARTICLE, render
from llmconfig.schemas import (
    ArticleTopics,
    BatchCategorization,
    BatchScoring,
    CategorizationResult,
    ScoringResult,
)
from llmconfig.services import model_config_save
from scoring import tasks

logger = logging.getLogger(__name__)

READINESS_KEY = "sift:scoring:readiness"
CLAIM_LOCK_KEY = 0x51F7C1A1  # the Postgres advisory lock claims take turns on
# The article a worker is asking the LLM about right now and which call it is in: the seed
# frontend shows "categorizing" / "scoring" on that row.
STEP_KEY = "sift:scoring:step"
HIGH_PRIORITY = 1

State = Article.ScoringState
Mode = Article.RescoreMode


# --- queueing -----------------------------------------------------------------------------
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


# --- claiming -----------------------------------------------------------------------------
@dataclass
class Claim:
    article_id: int
    token: str


def article_claim(*, worker: str) -> Claim | None:
    """Take the most urgent queued article, or None (see `articles_claim`)."""
    claims = articles_claim(worker=worker, limit=1)
    return claims[0] if claims else None


def articles_claim(*, worker: str, limit: int) -> list[Claim]:
    """Take up to `limit` of the most urgent queued articles under one token (one LLM call's
    worth: a batch), or none when the queue is empty or LLM_MAX_IN_FLIGHT calls are in
    flight already. Calls are counted as distinct claim tokens among rows being scored,
    cluster-wide: the limit holds whatever the number of workers, pool processes or
    messages, and whatever the batch size."""
    token = uuid.uuid4().hex
    # One statement: UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) AND
    # (calls in flight) < limit RETURNING id.
    pick = Article.objects.queued().in_claim_order().values("id")[:limit]
    if connection.features.has_select_for_update_skip_locked:
        pick = pick.select_for_update(skip_locked=True)
    with transaction.atomic():  # Django compiles FOR UPDATE only inside a transaction
        pick_sql, pick_params = pick.query.sql_with_params()
    table = connection.ops.quote_name(Article._meta.db_table)
    # Only the quoted table name and Django's compiled subquery are formatted in; every value
    # is a parameter.
    # PostgreSQL may rescan an `IN (subquery)` per row, and a rescan with SKIP LOCKED finds
    # new rows each time (a LIMIT 1 claimed the whole queue): ARRAY(…) runs it exactly once.
    # SQLite evaluates an uncorrelated IN list once.
    picked = (
        f"= ANY(ARRAY({pick_sql}))" if connection.vendor == "postgresql" else f"IN ({pick_sql})"
    )
    sql = (
        f"UPDATE {table} SET scoring_state = %s, claimed_at = %s, claimed_by = %s, "  # noqa: S608
        f"claim_token = %s WHERE id {picked} AND scoring_state = %s "
        f"AND (SELECT COUNT(DISTINCT claim_token) FROM {table} WHERE scoring_state = %s) < %s "
        "RETURNING id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [
        State.SCORING, now, worker, token, *pick_params, State.QUEUED, State.SCORING,
        settings.LLM_MAX_IN_FLIGHT,
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Claims take turns (a few ms each), so two never both see one free slot. SQLite
            # needs nothing: it runs one writer at a time.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])
        cursor.execute(sql, params)
        ids = {row[0] for row in cursor.fetchall()}
    if len(ids) < 2:
        return [Claim(article_id=pk, token=token) for pk in ids]
    # RETURNING gives no order: claim order it is, so a batch lists re-scores first.
    ordered = Article.objects.filter(id__in=ids).in_claim_order().values_list("id", flat=True)
    return [Claim(article_id=pk, token=token) for pk in ordered]


def claims_release(*, worker: str) -> int:
    """A worker (re)starting: whatever it had claimed before died with it."""
    return Article.objects.filter(scoring_state=State.SCORING, claimed_by=worker).update(
        scoring_state=State.QUEUED, claim_token=""
    )


# --- scoring one article ------------------------------------------------------------------
class Outcome(StrEnum):
    SCORED = "scored"
    RETRY = "retry"  # invalid output, attempts left
    FAILED = "failed"
    PAUSED = "paused"  # LLM unreachable / model missing: row back to queued, untouched
    LOST = "lost"  # our claim was taken back; nothing written
    RELEASED = "released"  # left out of a batched reply: queued again, asked alone next
    EMPTY = "empty"  # nothing to do


@dataclass
class Scored:
    """What the LLM said. No composite score: `ArticleQuerySet.rank` computes it from these
    and the weights at the moment of writing. A blocked topic skips the scoring call, so
    interest and quality stay None (a later unblock queues a score-only re-score)."""

    categories: list[str]
    interest: int | None
    quality: int | None
    reasoning: str
    matched_interests: list[str]
    matched_anti_interests: list[str]
    categorization_model: str
    scoring_model: str
    categorization_prompt_version: int | None
    scoring_prompt_version: int | None


@dataclass
class ScoringContext:
    """What every article of one task needs, read from the database when the task starts:
    the models, interests, prompts and category weights. A change made in the admin or the
    API applies from the next task (at most SCORING_TASK_BUDGET_SECONDS later)."""

    user_settings: UserSettings
    prompts: dict[str, tuple[str, int]]
    weights: dict[str, str]  # category name -> weight
    category_ids: dict[str, int]
    feedback_examples: str

    @classmethod
    def load(cls) -> ScoringContext:
        # In creation order: a new topic is appended, so the categorizing prompt's text up to
        # the end of the list stays the same and the LLM server's prompt cache keeps it.
        rows = Category.objects.order_by("id").values_list("name", "weight", "id")
        return cls(
            user_settings=UserSettings.load(),
            prompts={name: PromptTemplate.get_text(name) for name in PromptTemplate.Name.values},
            weights={name: weight for name, weight, _ in rows},
            category_ids={name: pk for name, _, pk in rows},
            feedback_examples=feedback_examples(),
        )

    def batch_size(self) -> int:
        """How many articles a task claims at once: the larger of the two models' sizes."""
        us = self.user_settings
        return max(
            us.batch_size_for(us.effective_categorization_model),
            us.batch_size_for(us.effective_scoring_model),
        )

    def existing_categories(self) -> str:
        return ", ".join(list(self.weights)[:300])

    def ensure_categories(self, names: list[str]) -> list[int]:
        """Ids for these names, creating the ones that are new (neutral weight)."""
        missing = [n for n in names if n not in self.category_ids]
        if missing:
            Category.objects.bulk_create([Category(name=n) for n in missing], ignore_conflicts=True)
            for name, pk in Category.objects.filter(name__in=missing).values_list("name", "id"):
                self.category_ids[name] = pk
                self.weights.setdefault(name, Category.Weight.NEUTRAL)
        return [self.category_ids[n] for n in names if n in self.category_ids]


@dataclass
class Topics:
    """An article's topics and where they came from."""

    names: list[str]
    model: str
    prompt_version: int | None


def _kept_topics(article: Article, context: ScoringContext) -> Topics | None:
    """A score-only re-score keeps the topics the article has (when it has any)."""
    current = [c.name for c in article.categories.all()]
    if article.rescore_mode != Mode.SCORE_ONLY or not current:
        return None
    model = article.categorization_model or context.user_settings.effective_categorization_model
    return Topics(current, model, article.categorization_prompt_version)


def _article_text(article: Article, chars: int) -> str:
    return (article.content or article.summary or "")[:chars]


def _topic_names(raw: list[str]) -> list[str]:
    """At most 4 distinct kebab-case names."""
    return list(dict.fromkeys(n for n in (Category.normalize(c) for c in raw) if n))[:4]


def _categorize_one(article: Article, context: ScoringContext, calls: list[CallRecord]) -> Topics:
    model = context.user_settings.effective_categorization_model
    template, version = context.prompts[PromptTemplate.Name.CATEGORIZATION]
    prompt = render(
        template,
        existing_categories=context.existing_categories(),
        title=article.title,
        content=_article_text(article, settings.SCORING_CATEGORIZE_CHARS),
    )
    step_set(article_id=article.id, phase="categorizing")
    categorized = get_adapter(model, context.user_settings).generate(
        prompt, CategorizationResult, temperature=0, purpose="categorize"
    )
    calls += categorized.calls
    return Topics(_topic_names(categorized.value.categories), model, version)


def _blocked(topics: Topics, context: ScoringContext) -> Scored | None:
    """A blocked topic: no scoring call, and no invented score."""
    if any(context.weights.get(n) == Category.Weight.BLOCKED for n in topics.names):
        return Scored(topics.names, None, None, "", [], [], topics.model, "", topics.prompt_version, None)  # fmt: skip
    return None


def _scored(
    result: ScoringResult, topics: Topics, context: ScoringContext, version: int | None
) -> Scored:
    us = context.user_settings
    return Scored(
        categories=topics.names,
        interest=result.interest_score,
        quality=result.quality_score,
        reasoning=result.reasoning.strip()[:2000],
        matched_interests=quoted(result.matched_interests, us.interests),
        matched_anti_interests=quoted(result.matched_anti_interests, us.anti_interests),
        categorization_model=topics.model,
        scoring_model=us.effective_scoring_model,
        categorization_prompt_version=topics.prompt_version,
        scoring_prompt_version=version,
    )


def _reader_context(context: ScoringContext) -> dict[str, str]:
    us = context.user_settings
    return {
        "interests": us.interests.strip() or "Not specified",
        "anti_interests": us.anti_interests.strip() or "Not specified",
        "feedback_examples": context.feedback_examples,
    }


def _score_one(
    article: Article, topics: Topics, context: ScoringContext, calls: list[CallRecord]
) -> Scored:
    blocked = _blocked(topics, context)
    if blocked is not None:
        return blocked
    template, version = context.prompts[PromptTemplate.Name.SCORING]
    prompt = render(
        template,
        **_reader_context(context),
        title=article.title,
        content=_article_text(article, settings.SCORING_SCORE_CHARS),
    )
    step_set(article_id=article.id, phase="scoring")
    completion = get_adapter(
        context.user_settings.effective_scoring_model, context.user_settings
    ).generate(prompt, ScoringResult, temperature=0, purpose="score")
    calls += completion.calls
    return _scored(completion.value, topics, context, version)


FEEDBACK_EXAMPLES = 10  # titles of each kind in the scoring prompt: enough to show a taste


def feedback_examples() -> str:
    """The reader's most recent 👍 and 👎 titles for the scoring prompt. They come after the
    static rubric (the cacheable prefix) and change only when the reader gives feedback."""
    liked = Article.objects.feedback_examples(Article.Feedback.UP, FEEDBACK_EXAMPLES)
    disliked = Article.objects.feedback_examples(Article.Feedback.DOWN, FEEDBACK_EXAMPLES)
    if not liked and not disliked:
        return ""

    def block(heading: str, titles: list[str]) -> str:
        lines = "\n".join(f"- {title[:200]}" for title in titles) or "- (none yet)"
        return f"**{heading}:**\n{lines}"

    return (
        block("Articles the reader marked more like this", liked)
        + "\n\n"
        + block("Articles the reader marked less like this", disliked)
    )


def quoted(phrases: list[str], text: str) -> list[str]:
    """The phrases that really are in the reader's text (case aside): a model that invents
    an interest must not have it shown as the reader's own words."""
    haystack = " ".join(text.lower().split())
    kept: list[str] = []
    for phrase in phrases:
        clean = " ".join(phrase.split())
        if clean and clean.lower() in haystack and clean not in kept:
            kept.append(clean)
    return kept


def story_by_embedding(*, article: Article, context: ScoringContext) -> int | None:
    """A scored story within 48 h told in other words: the lead whose title-and-summary
    embedding is at least STORY_SIMILARITY alike (cosine), or None. The article's own
    embedding is stored for the ones that come after it. An embedding model that cannot
    answer costs nothing but the match: the article is scored as usual."""
    text = f"{article.title}\n{(article.summary or article.content)[:1000]}"
    base_url, api_key, _cloud = ollama_connection(context.user_settings)
    try:
        (vector,) = embed(
            [text], model=settings.STORY_EMBEDDING_MODEL, base_url=base_url, api_key=api_key
        )
    except LLMError as exc:
        logger.warning("no story embedding for article %s: %s", article.id, exc.message)
        return None
    Article.objects.filter(id=article.id).update(embedding=vector)
    at = article.published_at or article.created_at
    candidates = (
        Article.objects.leads()
        .filter(
            scoring_state=State.SCORED,
            embedding__isnull=False,
            created_at__gte=at - timedelta(hours=48),
        )
        .exclude(id=article.id)
        .order_by("-created_at")
        .values_list("id", "embedding")[:2000]
    )
    best, best_id = settings.STORY_SIMILARITY, None
    for candidate_id, other in candidates:
        similarity = cosine(vector, other or [])
        if similarity >= best:
            best, best_id = similarity, candidate_id
    return best_id


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _owned(claim: Claim) -> QuerySet[Article]:
    return Article.objects.filter(
        id=claim.article_id, scoring_state=State.SCORING, claim_token=claim.token
    )


def _load(ids: list[int]) -> dict[int, Article]:
    """Claimed articles with what scoring reads: their topics, and whether copies of the story
    wait for their score."""
    rows = (
        Article.objects.prefetch_related("categories")
        .annotate(has_copies=Exists(Article.objects.filter(story_id=OuterRef("pk"))))
        .filter(id__in=ids)
    )
    return {article.id: article for article in rows}


def _linked_by_embedding(claim: Claim, article: Article, context: ScoringContext) -> Outcome | None:
    """With STORY_EMBEDDING_MODEL: the same story told in other words takes its lead's score
    instead of asking the LLM. None: not such a copy, score it."""
    if not settings.STORY_EMBEDDING_MODEL or article.story_id is not None:
        return None
    lead = story_by_embedding(article=article, context=context)
    if lead is None:
        return None
    with transaction.atomic():
        if not _owned(claim).update(story_id=lead):
            return Outcome.LOST
        Article.objects.filter(id=article.id).inherit_scores()
    return Outcome.SCORED


PAUSING = (LLMErrorKind.UNAVAILABLE, LLMErrorKind.MODEL_MISSING, LLMErrorKind.AUTH)


def article_score(*, claim: Claim, context: ScoringContext | None = None) -> Outcome:
    """Evaluate a claimed article and write the outcome, only while the claim still holds:
    a batch of one (`articles_score`), asked with the single prompts."""
    (outcome,) = articles_score(claims=[claim], context=context or ScoringContext.load())
    return outcome


def _internal(exc: Exception) -> LLMError:
    """A bug is not an outage: no pause, no retry loop. The article fails at once with the
    reason, and the traceback goes to the log (by the caller) for whoever fixes it."""
    return LLMError(
        f"Internal error: {exc!r} (the worker log has the traceback).",
        kind=LLMErrorKind.INTERNAL,
    )


def _write_scored(
    claim: Claim, article: Article, result: Scored, calls: list[CallRecord], context: ScoringContext
) -> Outcome:
    """Store what the LLM said, only while the claim holds, and rank it with the weights as
    they are at this moment. The LLM calls it took are saved with it."""
    with transaction.atomic():
        written = _owned(claim).update(
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
        Article.objects.filter(id=article.id).rank()
        # The same story from other feeds: asked once, scored everywhere. (A copy linked
        # while the LLM answered takes the score when it is linked, or from the sweep.)
        if getattr(article, "has_copies", True):  # annotated by `_load`
            Article.objects.filter(story_id=article.id).inherit_scores()
    if readiness_set(ready=True, reason=""):
        # Scoring resumes after a pause with one probing task: fill the other slots.
        nudge(count=settings.LLM_MAX_IN_FLIGHT - 1)
    return Outcome.SCORED


def _pause(claim: Claim, reason: str) -> Outcome:
    _owned(claim).update(scoring_state=State.QUEUED, claim_token="")
    readiness_set(ready=False, reason=reason)
    logger.warning("scoring paused: %s", reason)
    return Outcome.PAUSED


def _record_failure(claim: Claim, exc: LLMError) -> Outcome:
    """Invalid output after re-asking: count the attempt; fail for good after the limit."""
    article = Article.objects.only("scoring_attempts").get(id=claim.article_id)
    attempts = article.scoring_attempts + 1
    final = attempts >= settings.SCORING_MAX_ATTEMPTS or exc.kind is LLMErrorKind.INTERNAL
    written = _owned(claim).update(
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


# --- scoring a batch ----------------------------------------------------------------------
# Fitting a batch into the model's context window: a conservative estimate (English runs ~4
# characters a token; code and other scripts fewer), and room left for each article's answer.
CHARS_PER_TOKEN = 3
ANSWER_TOKENS = {"categorize": 60, "score": 250}


class _Paused(Exception):
    """The LLM is down, the model missing or the key refused: every article still held goes
    back to the queue and scoring pauses."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Item:
    """One claimed article on its way through a batch."""

    claim: Claim
    article: Article
    calls: list[CallRecord] = field(default_factory=list)
    topics: Topics | None = None
    result: Scored | None = None
    outcome: Outcome | None = None  # set once the article is written, failed or released


@dataclass
class _Step:
    """What one batched call of a step (categorize or score) is made of."""

    purpose: str  # "categorize" | "score"
    model: str
    size: int
    template: str
    version: int
    schema: type[BatchCategorization] | type[BatchScoring]
    fixed: dict[str, str]  # the prompt's values other than the articles
    chars: int  # article text per article

    @classmethod
    def of(cls, purpose: str, context: ScoringContext) -> _Step:
        us = context.user_settings
        if purpose == "categorize":
            model = us.effective_categorization_model
            template, version = context.prompts[PromptTemplate.Name.CATEGORIZATION_BATCH]
            fixed = {"existing_categories": context.existing_categories()}
            schema: type[BatchCategorization] | type[BatchScoring] = BatchCategorization
            chars = settings.SCORING_CATEGORIZE_CHARS
        else:
            model = us.effective_scoring_model
            template, version = context.prompts[PromptTemplate.Name.SCORING_BATCH]
            fixed, schema, chars = (
                _reader_context(context),
                BatchScoring,
                settings.SCORING_SCORE_CHARS,
            )
        return cls(
            purpose, model, us.batch_size_for(model), template, version, schema, fixed, chars
        )

    def block(self, article: Article) -> str:
        return render(
            BATCH_ARTICLE,
            id=article.id,
            title=article.title,
            content=_article_text(article, self.chars),
        )

    def prompt(self, items: list[_Item]) -> str:
        articles = "\n\n".join(self.block(item.article) for item in items)
        return render(self.template, **self.fixed, articles=articles)

    def chunks(self, items: list[_Item], context_tokens: int | None) -> list[list[_Item]]:
        """At most `size` articles a call, fewer where the prompt and the answers would not
        fit the context window (Ollama would cut the prompt silently). One article always
        goes, as it would unbatched."""
        base = len(self.prompt([])) // CHARS_PER_TOKEN
        out: list[list[_Item]] = []
        chunk: list[_Item] = []
        used = base
        for item in items:
            cost = len(self.block(item.article)) // CHARS_PER_TOKEN + ANSWER_TOKENS[self.purpose]
            too_big = context_tokens is not None and used + cost > context_tokens
            if chunk and (len(chunk) >= self.size or too_big):
                out.append(chunk)
                chunk, used = [], base
            chunk.append(item)
            used += cost
        if chunk:
            out.append(chunk)
        return out


def articles_score(*, claims: list[Claim], context: ScoringContext) -> list[Outcome]:
    """Score claimed articles several to an LLM call (SCORING_BATCH_SIZE, or the model's own
    size in the LLM configuration).

    1. A copy of a story found by embedding takes its lead's score. An article a batched
       reply left out before goes alone (a model that keeps skipping it cannot keep it
       waiting). One claimed article is a batch of one: unbatched scoring is this path too.
    2. The rest are categorized in batches of the categorizing model's size, then the
       unblocked ones scored in batches of the scoring model's size, each batch cut to fit
       the model's context window. A batch of one is asked with the single prompts.
    3. A reply is keyed by article id: ids Sift did not send are ignored; an article missing
       from it goes back to the queue (not failed). A reply that does not validate is
       re-asked once, then the batch falls back to one call per article, with the single
       path's own re-asks and failure counting.
    4. An outage, a missing model or a refused key puts every article still held back in the
       queue and pauses scoring, as for one article.
    Every article is written on its own, only while its claim holds.
    """
    articles = _load([c.article_id for c in claims])
    outcomes: list[Outcome] = []
    items: list[_Item] = []
    for claim in claims:
        article = articles.get(claim.article_id)
        if article is None:  # deleted since it was claimed
            outcomes.append(Outcome.LOST)
            continue
        linked = _linked_by_embedding(claim, article, context)
        if linked is not None:
            outcomes.append(linked)
            continue
        items.append(_Item(claim, article, topics=_kept_topics(article, context)))
    try:
        # Each article a batched reply left out before goes alone, both steps; then the rest.
        groups = [[i] for i in items if i.article.batch_missed]
        groups.append([i for i in items if not i.article.batch_missed])
        for group in groups:
            _in_batches([i for i in group if i.topics is None], "categorize", context)
            for item in group:
                if item.outcome is None and item.topics is not None:
                    item.result = _blocked(item.topics, context)
            _in_batches(
                [i for i in group if i.outcome is None and i.result is None], "score", context
            )
    except _Paused as paused:
        for item in items:
            if item.outcome is None:
                LLMCall.objects.record(item.calls, article_id=item.article.id)
                item.outcome = _pause(item.claim, paused.reason)
    except Exception as exc:
        logger.exception("scoring a batch of %d articles hit an internal error", len(items))
        for item in items:
            if item.outcome is None:
                _fail(item, _internal(exc))
    for item in items:
        if item.outcome is None and item.result is not None:
            item.outcome = _write_scored(item.claim, item.article, item.result, item.calls, context)
        outcomes.append(item.outcome or Outcome.LOST)
    return outcomes


def _in_batches(items: list[_Item], purpose: str, context: ScoringContext) -> None:
    """One step for these articles: in batches where the model's size and their number make
    any, else one call each (as unbatched scoring always does)."""
    if not items:
        return
    step = _Step.of(purpose, context)
    if step.size < 2 or len(items) < 2:
        for item in items:
            _step_one(item, purpose, context)
        return
    try:
        adapter = get_adapter(step.model, context.user_settings)
    except (UnknownModelError, ProviderNotConfigured) as exc:
        raise _Paused(str(exc)) from exc
    for chunk in step.chunks(items, settings.SCORING_NUM_CTX or adapter.context_tokens()):
        if len(chunk) == 1:
            _step_one(chunk[0], purpose, context)
        else:
            _step_batch(chunk, step, adapter, context)


def _step_one(item: _Item, purpose: str, context: ScoringContext) -> None:
    """One article through one step, as unbatched scoring asks it."""
    try:
        if purpose == "categorize":
            item.topics = _categorize_one(item.article, context, item.calls)
        else:
            assert item.topics is not None
            item.result = _score_one(item.article, item.topics, context, item.calls)
    except (UnknownModelError, ProviderNotConfigured) as exc:
        raise _Paused(str(exc)) from exc
    except LLMError as exc:
        item.calls += exc.calls
        if exc.kind in PAUSING:
            raise _Paused(exc.message) from exc
        _fail(item, exc)


def _step_batch(
    chunk: list[_Item], step: _Step, adapter: LLMAdapter, context: ScoringContext
) -> None:
    step_set(
        article_id=chunk[0].article.id,
        phase="categorizing" if step.purpose == "categorize" else "scoring",
    )
    try:
        completion = adapter.generate(
            step.prompt(chunk), step.schema, temperature=0, purpose=step.purpose, max_retries=2
        )
    except LLMError as exc:
        _record_batch_calls(exc.calls, chunk)
        if exc.kind in PAUSING:
            raise _Paused(exc.message) from exc
        if exc.kind is LLMErrorKind.INTERNAL:
            for item in chunk:
                _fail(item, exc)
            return
        # Invalid twice (or refused as a whole): one call per article for this batch.
        logger.info("batch of %d fell back to one call per article: %s", len(chunk), exc.message)
        for item in chunk:
            _step_one(item, step.purpose, context)
        return
    _record_batch_calls(completion.calls, chunk)
    # Keyed by the ids Sift sent: any other id the model wrote is never looked up.
    answers = {answer.id: answer for answer in completion.value.articles}
    for item in chunk:
        answer = answers.get(item.article.id)
        if answer is None:
            _release(item)
        elif isinstance(answer, ArticleTopics):
            item.topics = Topics(_topic_names(answer.categories), step.model, step.version)
        else:
            assert item.topics is not None
            item.result = _scored(answer, item.topics, context, step.version)


def _record_batch_calls(calls: list[CallRecord], chunk: list[_Item]) -> None:
    """A batched call is one record, for all its articles (filed under the first)."""
    for call in calls:
        call.articles = len(chunk)
    LLMCall.objects.record(calls, article_id=chunk[0].article.id)


def _fail(item: _Item, exc: LLMError) -> None:
    LLMCall.objects.record(item.calls, article_id=item.article.id)
    item.calls = []
    item.outcome = _record_failure(item.claim, exc)


def _release(item: _Item) -> None:
    """Left out of a batched reply: back to the queue, not failed, and asked alone next."""
    LLMCall.objects.record(item.calls, article_id=item.article.id)
    item.calls = []
    written = _owned(item.claim).update(
        scoring_state=State.QUEUED, claim_token="", batch_missed=True
    )
    item.outcome = Outcome.RELEASED if written else Outcome.LOST


def score_next_articles(*, worker: str, budget_seconds: float | None = None) -> Counter[str]:
    """The work of one `score_next` task: claim and score the most urgent article, again and
    again, until the queue is empty or the time budget is spent; then pass the baton on.

    Claiming afresh for every article keeps the order right (a re-score requested meanwhile
    comes next) without a broker round trip per article.
    """
    budget = settings.SCORING_TASK_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    outcomes: Counter[str] = Counter()
    context = ScoringContext.load()
    size = context.batch_size()
    while True:
        claims = articles_claim(worker=worker, limit=size)
        if not claims:
            return outcomes
        results = articles_score(claims=claims, context=context)
        outcomes.update(outcome.value for outcome in results)
        if Outcome.PAUSED in results:
            return outcomes  # the sweep probes and resumes
        if time.monotonic() - started >= budget:
            break
    queued = Article.objects.queued()
    if queued.exists():
        nudge(count=1, high=queued.filter(scoring_priority__gt=0).exists())
    return outcomes


# --- readiness and status -------------------------------------------------------------------
def readiness_set(*, ready: bool, reason: str) -> bool:
    """Record whether scoring can run; True when readiness changed."""
    current = cache.get(READINESS_KEY) or {"ready": True, "reason": ""}
    if current.get("ready") == ready and current.get("reason") == reason:
        return False
    cache.set(
        READINESS_KEY,
        {"ready": ready, "reason": reason, "since": timezone.now().isoformat()},
        timeout=None,
    )
    return current.get("ready") != ready


def step_set(*, article_id: int, phase: str) -> None:
    cache.set(STEP_KEY, {"article_id": article_id, "phase": phase}, settings.SCORING_CLAIM_TIMEOUT)


def readiness_get() -> dict[str, Any]:
    return cache.get(READINESS_KEY) or {"ready": True, "reason": "", "since": None}


STATUS_KEY = "sift:scoring:status"


class ScoringStatus(TypedDict):
    unscored: int
    queued: int
    scoring: int
    scored: int
    failed: int
    skipped: int
    blocked: int
    rescoring: int
    current_article_id: int | None
    phase: str  # idle | starting | categorizing | scoring (the seed's words)
    paused: bool
    ready: bool
    reason: str


def scoring_status() -> ScoringStatus:
    """Counts per state, phase and readiness. Counting 100k rows costs ~10 ms on Postgres,
    so the answer is shared for SCORING_STATUS_CACHE_SECONDS (pages poll it)."""
    ttl = settings.SCORING_STATUS_CACHE_SECONDS
    cached = cache.get(STATUS_KEY) if ttl > 0 else None
    if cached is None:
        cached = _scoring_status()
        if ttl > 0:
            cache.set(STATUS_KEY, cached, timeout=ttl)
    return cached


def _scoring_status() -> ScoringStatus:
    """`phase` uses the seed's words: `idle` (nothing in flight), `starting` (work queued, no
    claim yet), `categorizing` / `scoring` (the LLM call `current_article_id` is in). Whether
    scoring is held back by an outage is `paused`, with `ready` and `reason`."""
    # COUNT(*) lets Postgres answer from the `article_claim_order` index alone.
    counts = dict(Article.objects.values_list("scoring_state").annotate(n=Count("*")).order_by())
    blocked = Article.objects.blocked().count()
    readiness = readiness_get()
    in_flight = Article.objects.filter(scoring_state=State.SCORING)
    current: int | None = None
    if counts.get(State.SCORING, 0):
        step = cache.get(STEP_KEY)
        if step and in_flight.filter(id=step["article_id"]).exists():
            current, phase = step["article_id"], step["phase"]
        else:
            current = in_flight.order_by("-claimed_at").values_list("id", flat=True).first()
            phase = "scoring"
    elif counts.get(State.QUEUED, 0) and readiness["ready"]:
        phase = "starting"
    else:
        phase = "idle"
    return {
        "unscored": counts.get(State.UNSCORED, 0),
        "queued": counts.get(State.QUEUED, 0),
        "scoring": counts.get(State.SCORING, 0),
        "scored": counts.get(State.SCORED, 0),
        "failed": counts.get(State.FAILED, 0),
        "skipped": counts.get(State.SKIPPED, 0),
        "blocked": blocked,
        "rescoring": Article.objects.filter(
            scoring_priority__gt=0, scoring_state__in=[State.QUEUED, State.SCORING]
        ).count(),
        "current_article_id": current,
        "phase": phase,
        "paused": not readiness["ready"] and bool(counts.get(State.QUEUED, 0)),
        "ready": readiness["ready"],
        "reason": readiness["reason"],
    }


# --- the sweep ----------------------------------------------------------------------------
def queue_sweep() -> dict[str, int]:
    """Run by beat every SCORING_SWEEP_SECONDS. Idempotent: a missed or doubled run is harmless.

    1. Claims older than SCORING_CLAIM_TIMEOUT belong to dead workers: back to queued.
    2. Unscored rows (e.g. written by hand) join the queue; unscored copies of a scored
       story take its score.
    3. If queued work exists but nothing was claimed for a sweep interval, the messages were
       lost (broker flushed, failed send) or scoring is paused: send enough to fill the
       slots, or a single probe while paused.
    """
    reclaimed = Article.objects.stale_claims().update(scoring_state=State.QUEUED, claim_token="")
    adopted = (
        Article.objects.leads()
        .filter(scoring_state=State.UNSCORED)
        .update(scoring_state=State.QUEUED, queued_at=timezone.now())
    )
    # Copies whose lead was scored while they were being linked (the locks make it rare).
    Article.objects.filter(story__isnull=False, scoring_state=State.UNSCORED).inherit_scores()
    queued = Article.objects.queued().aggregate(
        total=Count("id"), high=Count("id", filter=Q(scoring_priority__gt=0))
    )
    sent = 0
    if queued["total"]:
        last_claim = Article.objects.aggregate(last=Max("claimed_at"))["last"]
        idle_for = (timezone.now() - last_claim).total_seconds() if last_claim else float("inf")
        in_flight = Article.objects.filter(scoring_state=State.SCORING).count()
        if idle_for >= settings.SCORING_SWEEP_SECONDS or reclaimed or adopted:
            if readiness_get()["ready"]:
                sent = max(0, settings.LLM_MAX_IN_FLIGHT - in_flight)
            else:
                sent = 1 if in_flight == 0 else 0
            if sent:
                nudge(count=sent, high=bool(queued["high"]))
    return {"reclaimed": reclaimed, "adopted": adopted, "queued": queued["total"], "sent": sent}


def model_config_change(
    *, categorization_model: str, scoring_model: str, use_separate_models: bool, rescore: bool
) -> tuple[UserSettings, int]:
    """Save the model choice; with `rescore`, queue every unread scored article ahead of
    other work: `full` when the categorization model changed, `score_only` when only the
    scoring model did, and `full` when nothing changed (an explicit request is honoured)."""
    with transaction.atomic():
        us, changed = model_config_save(
            categorization_model=categorization_model,
            scoring_model=scoring_model,
            use_separate_models=use_separate_models,
        )
        queued = 0
        if rescore:
            mode = Mode.SCORE_ONLY if changed == "scoring" else Mode.FULL
            queued = rescore_unread_scored(mode=mode)
    return us, queued


def unblocked_rescore(*, category: Category) -> int:
    """A topic no longer blocked: its articles that were blocked before the LLM scored them
    have nothing to restore, so they are re-scored (score only; their topics stand). The
    others were reranked already."""
    never_scored = (
        Article.objects.filter(
            categories=category, scoring_state=State.SCORED, interest_score__isnull=True
        )
        .exclude(categories__weight=Category.Weight.BLOCKED)
        .values_list("id", flat=True)
    )
    return articles_rescore(ids=list(never_scored), mode=Mode.SCORE_ONLY)


class WeightSuggestion(TypedDict):
    name: str
    weight: str
    liked: int
    disliked: int
    suggested_weight: str | None
    reason: str


# Thresholds: a topic needs at least SUGGEST_MIN_MARKS marks on one side, and that side at
# least SUGGEST_RATIO times the other, before Sift proposes moving its weight one step.
# Feedback never proposes "blocked": hiding a topic entirely is the reader's own call.
SUGGEST_MIN_MARKS = 3
SUGGEST_RATIO = 2
WEIGHT_STEPS: list[str] = [
    Category.Weight.LOW,
    Category.Weight.NEUTRAL,
    Category.Weight.MEDIUM,
    Category.Weight.HIGH,
]


def weight_suggestions() -> list[WeightSuggestion]:
    """Per topic with feedback: 👍 and 👎 counts against the current weight, and the weight
    one step up or down when the feedback clearly leans one way (applying it reranks at
    once, like any weight change)."""
    out: list[WeightSuggestion] = []
    for topic in Category.objects.with_feedback_counts():
        liked, disliked = topic.liked, topic.disliked  # type: ignore[attr-defined]
        suggested, reason = None, "The feedback does not lean clearly either way."
        step = WEIGHT_STEPS.index(topic.weight) if topic.weight in WEIGHT_STEPS else None
        if step is None:
            reason = "Blocked topics are unblocked by hand."
        elif liked >= SUGGEST_MIN_MARKS and liked >= SUGGEST_RATIO * disliked:
            if step + 1 < len(WEIGHT_STEPS):
                suggested = WEIGHT_STEPS[step + 1]
                reason = f"You liked {liked} and disliked {disliked} of its articles."
            else:
                reason = "Already at the highest weight."
        elif disliked >= SUGGEST_MIN_MARKS and disliked >= SUGGEST_RATIO * liked:
            if step > 0:
                suggested = WEIGHT_STEPS[step - 1]
                reason = f"You disliked {disliked} and liked {liked} of its articles."
            else:
                reason = "Already at the lowest weight short of blocking it."
        out.append(
            {
                "name": topic.name,
                "weight": topic.weight,
                "liked": liked,
                "disliked": disliked,
                "suggested_weight": suggested,
                "reason": reason,
            }
        )
    return out


def preferences_update(**fields: str) -> tuple[UserSettings, int]:
    """Save interests; re-score recent unread articles, score-only (topics stay valid)."""
    with transaction.atomic():
        us = UserSettings.load_for_update()
        for name, value in fields.items():
            setattr(us, name, value)
        us.save()
        queued = rescore_recent(mode=Mode.SCORE_ONLY)
    return us, queued
