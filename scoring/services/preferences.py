"""Changes that re-score: a reader's interests or unblocked topic (their articles only), the
operator's model choice (everyone's); and the weight changes a reader's feedback suggests."""

from __future__ import annotations

from typing import Any, TypedDict

from django.db import transaction

from accounts.models import Profile
from articles.models import Category, Reading
from llmconfig.models import UserSettings
from llmconfig.services import model_config_save
from scoring.services.queue import (
    Mode,
    State,
    readings_rescore,
    rescore_recent,
    rescore_unread_scored,
)


def model_config_change(
    *, categorization_model: str, scoring_model: str, use_separate_models: bool, rescore: bool
) -> tuple[UserSettings, int]:
    """Save the model choice; with `rescore`, queue every reader's unread scored articles
    ahead of other work: `full` when the categorization model changed, `score_only` when only the
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


def unblocked_rescore(*, reader_id: int, category: Category) -> int:
    """A topic this reader no longer blocks: their articles that were blocked before the LLM
    scored them have nothing to restore, so they are re-scored (score only; the topics
    stand). The others were reranked already."""
    still_blocked = Category.objects.filter(
        reader_weights__reader_id=reader_id, reader_weights__weight=Category.Weight.BLOCKED
    )
    never_scored = (
        Reading.objects.filter(
            reader_id=reader_id,
            article__categories=category,
            scoring_state=State.SCORED,
            interest_score__isnull=True,
        )
        .exclude(article__categories__in=still_blocked)
        .values_list("id", flat=True)
    )
    return readings_rescore(
        readings=Reading.objects.filter(id__in=list(never_scored)), mode=Mode.SCORE_ONLY
    )


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


def weight_suggestions(*, reader_id: int) -> list[WeightSuggestion]:
    """Per topic with the reader's feedback: 👍 and 👎 counts against their weight, and the
    weight one step up or down when the feedback clearly leans one way (applying it reranks
    at once, like any weight change)."""
    out: list[WeightSuggestion] = []
    for topic in Category.objects.with_feedback_counts(reader_id):
        liked, disliked = topic.liked, topic.disliked  # type: ignore[attr-defined]
        suggested, reason = None, "The feedback does not lean clearly either way."
        weight: str = topic.weight  # type: ignore[attr-defined]
        step = WEIGHT_STEPS.index(weight) if weight in WEIGHT_STEPS else None
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
                "weight": weight,
                "liked": liked,
                "disliked": disliked,
                "suggested_weight": suggested,
                "reason": reason,
            }
        )
    return out


def preferences_update(*, reader_id: int, **fields: Any) -> tuple[Profile, int]:
    """Save a reader's interests (and their other preferences); when the interests changed,
    re-score their recent unread articles, score-only (topics stay valid): no one else's.
    Saving what is already there queues nothing and costs no LLM call (the prompt reads the
    text stripped, so surrounding whitespace is no change either)."""
    with transaction.atomic():
        Profile.objects.get_or_create(user_id=reader_id)
        profile = Profile.objects.select_for_update().get(user_id=reader_id)
        changed = any(
            (getattr(profile, name) or "").strip() != (value or "").strip()
            for name, value in fields.items()
            if name in ("interests", "anti_interests")
        )
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.save()
        queued = rescore_recent(reader=reader_id, mode=Mode.SCORE_ONLY) if changed else 0
    return profile, queued
