"""The structured replies Sift asks models for. Each adapter returns an instance of one."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

# Caps in the schemas sent: a small model under a grammar that has no length limit can run
# on until max_tokens and return cut-off JSON. Categories are validated against theirs; the
# reasoning's cap only guides the model (a long reasoning is trimmed when stored, not
# re-asked).
Category = Annotated[str, Field(max_length=40)]
Phrase = Annotated[str, Field(max_length=120)]
REASONING_MAX_CHARS = 500


def _join_list(value: Any) -> Any:
    """Small models answer a string field with a list of strings; accept and join it."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _split_string(value: Any) -> Any:
    """Small models answer a list field with one comma-separated string; accept it."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class CategorizationResult(BaseModel):
    categories: list[Category] = Field(min_length=1, max_length=4)
    suggested_new: list[Category] = Field(default_factory=list, max_length=2)

    _split = field_validator("categories", "suggested_new", mode="before")(_split_string)


class ScoringResult(BaseModel):
    interest_score: int = Field(ge=0, le=10)
    quality_score: int = Field(ge=0, le=10)
    reasoning: str = Field(json_schema_extra={"maxLength": REASONING_MAX_CHARS})
    # Quoted from the reader's own interest texts; scoring drops any phrase not found there.
    matched_interests: list[Phrase] = Field(default_factory=list, max_length=5)
    matched_anti_interests: list[Phrase] = Field(default_factory=list, max_length=5)

    _join = field_validator("reasoning", mode="before")(_join_list)


# Topics and scores in one answer. Every string bounded and both scores an enum: a
# grammar built from the schema (llama.cpp's converter ignores minimum / maximum) can then
# only write what validates, and the answer stays short (output tokens are a local model's
# cost). Fields in the order the model should think: topics, then the verdict.
Score = Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
VERDICT_REASONING_MAX_CHARS = 300


# A topic in the one-call schema is kebab-case by its pattern, which a grammar built from
# the schema enforces as it writes: without it Gemma 3 270M wrote `[""]` and `[", "]` for
# the topics half the time (real runs), leaving articles without topics or re-asked.
KEBAB = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Topic = Annotated[str, Field(min_length=2, max_length=40, pattern=KEBAB)]


class VerdictResult(BaseModel):
    categories: list[Topic] = Field(min_length=1, max_length=4)
    interest_score: Score
    quality_score: Score
    matched_interests: list[Phrase] = Field(default_factory=list, max_length=3)
    matched_anti_interests: list[Phrase] = Field(default_factory=list, max_length=3)
    reasoning: str = Field(json_schema_extra={"maxLength": VERDICT_REASONING_MAX_CHARS})

    _split = field_validator("categories", mode="before")(_split_string)
    _join = field_validator("reasoning", mode="before")(_join_list)

    @field_validator("categories")
    @classmethod
    def _usable(cls, value: list[str]) -> list[str]:
        """At least one topic with a letter or digit, which kebab-case keeps (else the
        reply is re-asked with this error)."""
        if not any(re.search(r"[A-Za-z0-9]", name) for name in value):
            raise ValueError('give at least one topic in kebab-case, e.g. "ai-ml"')
        return value


# The most articles one batched call may carry: rss-reader's later versions settled on 10 per
# call (50 proved unreliable); 20 leaves room above that for large-context models.
MAX_BATCH_SIZE = 20


class Keyed(BaseModel):
    """The id Sift gave an article in a batched prompt. A base listed last, so `id` is the
    first property of each item: a grammar-constrained model writes it before the answer."""

    id: int


class ArticleTopics(CategorizationResult, Keyed):
    """One article's topics inside a batched reply."""


class ArticleScore(ScoringResult, Keyed):
    """One article's scores inside a batched reply."""


class BatchCategorization(BaseModel):
    """Several articles categorized in one call. A reply that does not validate as a whole
    is re-asked (then the batch falls back to one call per article); ids Sift did not send
    are ignored, and articles missing from it are queued again."""

    articles: list[ArticleTopics] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class BatchScoring(BaseModel):
    articles: list[ArticleScore] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class ArticleVerdict(VerdictResult, Keyed):
    """One article's topics and scores inside a batched reply."""


class BatchVerdict(BaseModel):
    articles: list[ArticleVerdict] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class ReversePromptOutput(BaseModel):
    reverse_prompt: str
    visual_description: str
    quality_score: float = Field(ge=0, le=10)
    suggested_name: str | None = None

    _join = field_validator("reverse_prompt", "visual_description", mode="before")(_join_list)


class SemanticAnalysisOutput(BaseModel):
    manifest_adherence: float
    visual_quality: float
    continuity_issues: list[str] = Field(default_factory=list)
    new_entities_description: list[dict[str, Any]] = Field(default_factory=list)
    overall_scene_description: str = ""

    _join = field_validator("overall_scene_description", mode="before")(_join_list)


class VisualPromptScoreOutput(BaseModel):
    visual_quality: float = Field(ge=0, le=10)
    prompt_adherence: float = Field(ge=0, le=10)


class TextAnswer(BaseModel):
    answer: str

    _join = field_validator("answer", mode="before")(_join_list)


# The names the API accepts for `schema`.
SCHEMAS: dict[str, type[BaseModel]] = {
    "categorization": CategorizationResult,
    "scoring": ScoringResult,
    "reverse_prompt": ReversePromptOutput,
    "semantic_analysis": SemanticAnalysisOutput,
    "visual_prompt_score": VisualPromptScoreOutput,
    "text": TextAnswer,
}
