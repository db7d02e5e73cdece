"""What every reading of one claim is scored against: the install's models and prompts, and
the reader's interests, topic weights and feedback examples."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Profile
from articles.models import Article, Category, Reading, TopicWeight
from llmconfig.models import PromptTemplate, UserSettings


@dataclass
class ScoringContext:
    """What every reading of one claim needs, read from the database when the task starts
    (or first meets the reader): the models, prompts, the reader's interests and topic
    weights. A change made in the admin or the API applies from the next task (at most
    SCORING_TASK_BUDGET_SECONDS later)."""

    user_settings: UserSettings
    profile: Profile
    prompts: dict[str, tuple[str, int]]
    weights: dict[str, str]  # category name -> this reader's weight (absent: neutral)
    category_ids: dict[str, int]
    feedback_examples: str

    @property
    def reader_id(self) -> int:
        return int(self.profile.user_id)

    @classmethod
    def load(cls, reader_id: int) -> ScoringContext:
        # In creation order: a new topic is appended, so the categorizing prompt's text up to
        # the end of the list stays the same and the LLM server's prompt cache keeps it.
        rows = Category.objects.order_by("id").values_list("name", "id")
        mine = dict(
            TopicWeight.objects.filter(reader_id=reader_id).values_list("category__name", "weight")
        )
        return cls(
            user_settings=UserSettings.load(),
            profile=Profile.objects.get_or_create(user_id=reader_id)[0],
            prompts={name: PromptTemplate.get_text(name) for name in PromptTemplate.Name.values},
            weights={name: mine.get(name, Category.Weight.NEUTRAL) for name, _ in rows},
            category_ids=dict(rows),
            feedback_examples=feedback_examples(reader_id),
        )

    def batch_size(self) -> int:
        return claim_size(self.user_settings)

    def existing_categories(self) -> str:
        return ", ".join(list(self.weights)[:300])

    def ensure_categories(self, names: list[str]) -> list[int]:
        """Ids for these names, creating the ones that are new (neutral for everyone)."""
        missing = [n for n in names if n not in self.category_ids]
        if missing:
            Category.objects.bulk_create([Category(name=n) for n in missing], ignore_conflicts=True)
            for name, pk in Category.objects.filter(name__in=missing).values_list("name", "id"):
                self.category_ids[name] = pk
                self.weights.setdefault(name, Category.Weight.NEUTRAL)
        return [self.category_ids[n] for n in names if n in self.category_ids]


def claim_size(us: UserSettings) -> int:
    """How many readings a task claims at once: the larger of the two models' sizes."""
    return max(
        us.batch_size_for(us.effective_categorization_model),
        us.batch_size_for(us.effective_scoring_model),
    )


def reader_context(context: ScoringContext) -> dict[str, str]:
    profile = context.profile
    return {
        "interests": profile.interests.strip() or "Not specified",
        "anti_interests": profile.anti_interests.strip() or "Not specified",
        "feedback_examples": context.feedback_examples,
    }


FEEDBACK_EXAMPLES = 10  # titles of each kind in the scoring prompt: enough to show a taste


def feedback_examples(reader_id: int) -> str:
    """The reader's most recent 👍 and 👎 titles for their scoring prompt. They come after the
    static rubric (the cacheable prefix) and change only when the reader gives feedback."""
    theirs = Reading.objects.filter(reader_id=reader_id)
    liked = theirs.feedback_examples(Article.Feedback.UP, FEEDBACK_EXAMPLES)
    disliked = theirs.feedback_examples(Article.Feedback.DOWN, FEEDBACK_EXAMPLES)
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
