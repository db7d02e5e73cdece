"""Asking the LLM about one article: categorize it (once for every reader), then score it
for one reader (or not, for a topic they blocked), and shape the answers into what is
written."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from articles.models import Article, Category
from llmconfig.llm import CallRecord, get_adapter
from llmconfig.models import PromptTemplate
from llmconfig.prompts import render
from llmconfig.schemas import (
    CategorizationResult,
    ScoringResult,
    VerdictResult,
)
from scoring.services.context import ScoringContext, reader_context
from scoring.services.status import step_set


@dataclass
class Scored:
    """What the LLM said for one reader. No composite score: `articles.ranking` computes it
    from these and the reader's weights at the moment of writing. A topic the reader blocked
    skips the scoring call, so interest and quality stay None (a later unblock queues a
    score-only re-score)."""

    interest: int | None
    quality: int | None
    reasoning: str
    matched_interests: list[str]
    matched_anti_interests: list[str]
    scoring_model: str
    scoring_prompt_version: int | None


@dataclass
class Topics:
    """An article's topics and where they came from."""

    names: list[str]
    model: str
    prompt_version: int | None


def kept_topics(article: Article) -> Topics | None:
    """The topics asked before, for every reader (None: not asked yet, or a full re-score
    wants them asked again)."""
    if article.categorized_at is None:
        return None
    current = [c.name for c in article.categories.all()]
    return Topics(current, article.categorization_model, article.categorization_prompt_version)


def article_text(article: Article, chars: int) -> str:
    return (article.content or article.summary or "")[:chars]


def topic_names(raw: list[str]) -> list[str]:
    """At most 4 distinct kebab-case names."""
    return list(dict.fromkeys(n for n in (Category.normalize(c) for c in raw) if n))[:4]


def categorize_one(article: Article, context: ScoringContext, calls: list[CallRecord]) -> Topics:
    model = context.user_settings.effective_categorization_model
    template, version = context.prompts[PromptTemplate.Name.CATEGORIZATION]
    prompt = render(
        template,
        existing_categories=context.existing_categories(),
        title=article.title,
        content=article_text(article, settings.SCORING_CATEGORIZE_CHARS),
    )
    step_set(article_id=article.id, phase="categorizing")
    categorized = get_adapter(model, context.user_settings).generate(
        prompt, CategorizationResult, temperature=0, purpose="categorize"
    )
    calls += categorized.calls
    return Topics(topic_names(categorized.value.categories), model, version)


def blocked_result(topics: Topics, context: ScoringContext) -> Scored | None:
    """A blocked topic: no scoring call, and no invented score."""
    if any(context.weights.get(n) == Category.Weight.BLOCKED for n in topics.names):
        return Scored(None, None, "", [], [], "", None)
    return None


def scored_result(
    result: ScoringResult | VerdictResult, context: ScoringContext, version: int | None
) -> Scored:
    profile = context.profile
    return Scored(
        interest=result.interest_score,
        quality=result.quality_score,
        reasoning=result.reasoning.strip()[:2000],
        matched_interests=quoted(result.matched_interests, profile.interests),
        matched_anti_interests=quoted(result.matched_anti_interests, profile.anti_interests),
        scoring_model=context.user_settings.effective_scoring_model,
        scoring_prompt_version=version,
    )


def score_one(
    article: Article, topics: Topics, context: ScoringContext, calls: list[CallRecord]
) -> Scored:
    blocked = blocked_result(topics, context)
    if blocked is not None:
        return blocked
    template, version = context.prompts[PromptTemplate.Name.SCORING]
    prompt = render(
        template,
        **reader_context(context),
        title=article.title,
        content=article_text(article, settings.SCORING_SCORE_CHARS),
    )
    step_set(article_id=article.id, phase="scoring")
    completion = get_adapter(
        context.user_settings.effective_scoring_model, context.user_settings
    ).generate(prompt, ScoringResult, temperature=0, purpose="score")
    calls += completion.calls
    return scored_result(completion.value, context, version)


def verdict_one(
    article: Article, context: ScoringContext, calls: list[CallRecord]
) -> tuple[Topics, Scored]:
    """Topics and the reader's scores in one call. The topics are every reader's from
    then on; the call is this reader's. A blocked topic costs nothing extra: the article is
    scored, and the block ranks it 0."""
    model = context.user_settings.effective_scoring_model
    template, version = context.prompts[PromptTemplate.Name.VERDICT]
    prompt = render(
        template,
        **reader_context(context),
        existing_categories=context.existing_categories(),
        title=article.title,
        content=article_text(article, settings.SCORING_SCORE_CHARS),
    )
    step_set(article_id=article.id, phase="scoring")
    completion = get_adapter(model, context.user_settings).generate(
        prompt, VerdictResult, temperature=0, purpose="verdict"
    )
    calls += completion.calls
    answer = completion.value
    topics = Topics(topic_names(answer.categories), model, version)
    return topics, scored_result(answer, context, version)


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
