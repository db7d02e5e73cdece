"""The same story told in other words, found by embedding: a copy takes its lead's score
instead of asking the LLM."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from articles.models import Article, Reading
from llmconfig.llm import LLMError
from llmconfig.llm.ollama import embed
from llmconfig.llm.registry import ollama_connection
from scoring.services.claims import Claim, owned
from scoring.services.context import ScoringContext
from scoring.services.queue import State
from scoring.services.writes import Outcome, copies_inherit

logger = logging.getLogger(__name__)


def story_by_embedding(*, article: Article, context: ScoringContext) -> int | None:
    """A story this reader has scored within 48 h told in other words: the lead whose
    title-and-summary embedding is at least STORY_SIMILARITY alike (cosine), or None. The article's own
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
    scored = Reading.objects.filter(reader_id=context.reader_id, scoring_state=State.SCORED)
    candidates = (
        Article.objects.leads()
        .filter(
            id__in=scored.values("article_id"),
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


def linked_by_embedding(claim: Claim, reading: Reading, context: ScoringContext) -> Outcome | None:
    """With STORY_EMBEDDING_MODEL: the same story told in other words takes the reader's
    verdict on its lead instead of asking the LLM. None: not such a copy, score it."""
    article = reading.article
    if not settings.STORY_EMBEDDING_MODEL or article.story_id is not None:
        return None
    lead = story_by_embedding(article=article, context=context)
    if lead is None:
        return None
    with transaction.atomic():
        if not owned(claim).update(is_copy=True):
            return Outcome.LOST
        Article.objects.filter(id=article.id, story__isnull=True).update(story_id=lead)
        copies_inherit(readings=Reading.objects.filter(id=reading.id))
    return Outcome.SCORED
