"""What every article of one task is scored against: the reader's models, interests,
prompts, topic weights and feedback examples."""

from __future__ import annotations

from dataclasses import dataclass

from articles.models import Article, Category
from llmconfig.models import PromptTemplate, UserSettings


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


def reader_context(context: ScoringContext) -> dict[str, str]:
    us = context.user_settings
    return {
        "interests": us.interests.strip() or "Not specified",
        "anti_interests": us.anti_interests.strip() or "Not specified",
        "feedback_examples": context.feedback_examples,
    }


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
