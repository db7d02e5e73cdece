from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from articles.models import Article, ArticleRank, Category, Feed
from articles.ranking import topic_sets_ensure


class FeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feed

    url = factory.Sequence(lambda n: f"https://example.com/feed-{n}.xml")
    title = factory.Sequence(lambda n: f"Feed {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    """Seeded categories exist already: creating one by name updates its weight."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"topic-{n}")
    weight = Category.Weight.NEUTRAL

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        name = kwargs.pop("name")
        obj, _ = model_class.objects.update_or_create(name=name, defaults=kwargs)
        return obj


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    feed = factory.SubFactory(FeedFactory)
    title = factory.Sequence(lambda n: f"Article {n}")
    url = factory.Sequence(lambda n: f"https://example.com/articles/{n}")
    content = factory.LazyAttribute(lambda a: f"Full content of {a.title}")
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    scoring_state = Article.ScoringState.QUEUED
    queued_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """`composite_score=` places the article in the ranked list with that score, as a
        verdict written earlier would have (its `ArticleRank` row)."""
        score = kwargs.pop("composite_score", None)
        article = super()._create(model_class, *args, **kwargs)
        if score is not None:
            ArticleRank.objects.create(
                article=article, interest=article.interest_score,
                quality=article.quality_score, score=score,
                rank_date=article.published_at or article.created_at,
                topic_set_id=topic_sets_ensure(keys={""})[""],  # topics come later
            )  # fmt: skip
        return article


class ScoredArticleFactory(ArticleFactory):
    scoring_state = Article.ScoringState.SCORED
    interest_score = 7
    quality_score = 6
    composite_score = 7 * 1.0 * (0.5 + 6 / 20)
    score_reasoning = "Matches the reader."
    scored_at = factory.LazyFunction(timezone.now)
    categorization_model = "ollama/qwen3:4b"
    scoring_model = "ollama/qwen3:4b"
