"""Scoring one reader's claimed readings several to an LLM call, and one claimed reading as a
batch of one. What happens when a reply leaves an article out, or does not validate, is
here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from articles.models import Article, Reading
from llmconfig.llm import CallRecord, LLMAdapter, LLMError, LLMErrorKind, get_adapter
from llmconfig.llm.registry import ProviderNotConfigured, UnknownModelError
from llmconfig.models import LLMCall, PromptTemplate
from llmconfig.prompts import BATCH_ARTICLE, render
from llmconfig.schemas import (
    ArticleTopics,
    ArticleVerdict,
    BatchCategorization,
    BatchScoring,
    BatchVerdict,
)
from scoring.services.claims import Claim, claimed_readings, owned
from scoring.services.context import ScoringContext, reader_context
from scoring.services.queue import State
from scoring.services.single import (
    Scored,
    Topics,
    article_text,
    blocked_result,
    categorize_one,
    kept_topics,
    score_one,
    scored_result,
    topic_names,
    verdict_one,
)
from scoring.services.status import step_set
from scoring.services.stories import linked_by_embedding
from scoring.services.writes import (
    PAUSING,
    Outcome,
    internal_error,
    pause,
    record_failure,
    topics_write,
    write_scored,
)

logger = logging.getLogger(__name__)


def article_score(*, claim: Claim, context: ScoringContext | None = None) -> Outcome:
    """Evaluate a claimed reading and write the outcome, only while the claim still holds:
    a batch of one (`articles_score`), asked with the single prompts."""
    if context is None:
        reader_id = Reading.objects.filter(id=claim.reading_id).values_list("reader_id", flat=True)
        context = ScoringContext.load(reader_id.first() or 0)
    (outcome,) = articles_score(claims=[claim], context=context)
    return outcome


# Fitting a batch into the model's context window: a conservative estimate (English runs ~4
# characters a token; code and other scripts fewer), and room left for each article's answer.
CHARS_PER_TOKEN = 3
ANSWER_TOKENS = {"categorize": 60, "score": 250, "verdict": 250}


class _Paused(Exception):
    """The LLM is down, the model missing or the key refused: every article still held goes
    back to the queue and scoring pauses."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Item:
    """One claimed reading on its way through a batch. `calls`: its scoring calls (the
    categorizing ones are every reader's, recorded as they are made)."""

    claim: Claim
    reading: Reading
    calls: list[CallRecord] = field(default_factory=list)
    topics: Topics | None = None
    result: Scored | None = None
    outcome: Outcome | None = None  # set once the reading is written, failed or released

    @property
    def article(self) -> Article:
        return self.reading.article


@dataclass
class _Step:
    """What one batched call of a step (categorize or score) is made of."""

    purpose: str  # "categorize" | "score" | "verdict" (both in one call)
    model: str
    size: int
    template: str
    version: int
    schema: type[BatchCategorization] | type[BatchScoring] | type[BatchVerdict]
    fixed: dict[str, str]  # the prompt's values other than the articles
    chars: int  # article text per article

    @classmethod
    def of(cls, purpose: str, context: ScoringContext) -> _Step:
        us = context.user_settings
        if purpose == "categorize":
            model = us.effective_categorization_model
            template, version = context.prompts[PromptTemplate.Name.CATEGORIZATION_BATCH]
            fixed = {"existing_categories": context.existing_categories()}
            schema: type[BatchCategorization] | type[BatchScoring] | type[BatchVerdict] = (
                BatchCategorization
            )
            chars = settings.SCORING_CATEGORIZE_CHARS
        elif purpose == "verdict":
            model = us.effective_scoring_model
            template, version = context.prompts[PromptTemplate.Name.VERDICT_BATCH]
            fixed = {
                **reader_context(context),
                "existing_categories": context.existing_categories(),
            }
            schema, chars = BatchVerdict, settings.SCORING_SCORE_CHARS
        else:
            model = us.effective_scoring_model
            template, version = context.prompts[PromptTemplate.Name.SCORING_BATCH]
            fixed, schema, chars = (
                reader_context(context),
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
            content=article_text(article, self.chars),
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
    readings = claimed_readings([c.reading_id for c in claims])
    outcomes: list[Outcome] = []
    items: list[_Item] = []
    for claim in claims:
        reading = readings.get(claim.reading_id)
        if reading is None:  # deleted since it was claimed
            outcomes.append(Outcome.LOST)
            continue
        linked = linked_by_embedding(claim, reading, context)
        if linked is not None:
            outcomes.append(linked)
            continue
        items.append(_Item(claim, reading, topics=kept_topics(reading.article)))
    one_call = context.user_settings.one_call
    try:
        # Each article a batched reply left out before goes alone, both steps; then the rest.
        groups = [[i] for i in items if i.reading.batch_missed]
        groups.append([i for i in items if not i.reading.batch_missed])
        for group in groups:
            asked = [i for i in group if i.topics is None]
            # One call: the topics come with this reader's scores.
            _in_batches(asked, "verdict" if one_call else "categorize", context)
            for item in asked:
                if item.topics is not None:
                    # Every reader's from now on: written at once, not with this verdict.
                    item.topics = topics_write(item.article, item.topics, context)
            for item in group:
                if item.outcome is None and item.topics is not None and item.result is None:
                    item.result = blocked_result(item.topics, context)
            _in_batches(
                [i for i in group if i.outcome is None and i.result is None], "score", context
            )
    except _Paused as paused:
        for item in items:
            if item.outcome is None:
                _record(item)
                item.outcome = pause(item.claim, paused.reason)
    except Exception as exc:
        logger.exception("scoring a batch of %d articles hit an internal error", len(items))
        for item in items:
            if item.outcome is None:
                _fail(item, internal_error(exc))
    for item in items:
        if item.outcome is None and item.result is not None:
            item.outcome = write_scored(item.claim, item.reading, item.result, item.calls)
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
    shared: list[CallRecord] = []  # categorizing: every reader's call, no one's budget
    try:
        if purpose == "categorize":
            item.topics = categorize_one(item.article, context, shared)
        elif purpose == "verdict":
            item.topics, item.result = verdict_one(item.article, context, item.calls)
        else:
            assert item.topics is not None
            item.result = score_one(item.article, item.topics, context, item.calls)
    except (UnknownModelError, ProviderNotConfigured) as exc:
        raise _Paused(str(exc)) from exc
    except LLMError as exc:
        (shared if purpose == "categorize" else item.calls).extend(exc.calls)
        if exc.kind in PAUSING:
            raise _Paused(exc.message) from exc
        _fail(item, exc)
    finally:
        LLMCall.objects.record(shared, article_id=item.article.id)


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
        _record_batch_calls(exc.calls, chunk, step)
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
    _record_batch_calls(completion.calls, chunk, step)
    # Keyed by the ids Sift sent: any other id the model wrote is never looked up.
    answers = {answer.id: answer for answer in completion.value.articles}
    for item in chunk:
        answer = answers.get(item.article.id)
        if answer is None:
            _release(item)
        elif isinstance(answer, ArticleVerdict):
            item.topics = Topics(topic_names(answer.categories), step.model, step.version)
            item.result = scored_result(answer, context, step.version)
        elif isinstance(answer, ArticleTopics):
            item.topics = Topics(topic_names(answer.categories), step.model, step.version)
        else:
            assert item.topics is not None
            item.result = scored_result(answer, context, step.version)


def _record_batch_calls(calls: list[CallRecord], chunk: list[_Item], step: _Step) -> None:
    """A batched call is one record, for all its articles (filed under the first); a
    scoring call is the reader's, a categorizing one everyone's."""
    for call in calls:
        call.articles = len(chunk)
    reader_id = chunk[0].reading.reader_id if step.purpose != "categorize" else None
    LLMCall.objects.record(calls, article_id=chunk[0].article.id, reader_id=reader_id)


def _record(item: _Item) -> None:
    LLMCall.objects.record(item.calls, article_id=item.article.id, reader_id=item.reading.reader_id)
    item.calls = []


def _fail(item: _Item, exc: LLMError) -> None:
    _record(item)
    item.outcome = record_failure(item.claim, exc)


def _release(item: _Item) -> None:
    """Left out of a batched reply: back to the queue, not failed, and asked alone next."""
    _record(item)
    written = owned(item.claim).update(
        scoring_state=State.QUEUED, claim_token="", batch_missed=True
    )
    item.outcome = Outcome.RELEASED if written else Outcome.LOST
