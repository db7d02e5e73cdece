"""Factories. Articles and feeds are shared; what is a reader's (their subscription, their
reading of an article with its verdict and marks, their topic weights) goes to `reader`,
by default the install's operator (`default_reader`), who reads every factory-made feed.

`ArticleFactory` takes the reading's fields too (`scoring_state=`, `is_read=`,
`composite_score=` …) and returns the article as that reader sees it (`AsRead`): the
article's own fields from the article, the reading's (verdict, marks, queue, score) from
the reading; `reading_of(article)` reads the reading afresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Profile
from articles.models import Article, Category, Feed, Reading, ReadingRank, Subscription, TopicWeight
from articles.ranking import topic_sets_ensure

# The factories' reader scores against something (a reader without interests waits, and no
# LLM call is spent on them); no test article mentions these words.
DEFAULT_INTERESTS = "quokka husbandry"

READING_FIELDS = {f.name for f in Reading._meta.get_fields()} - {"id", "article", "feed", "rank"}


def default_reader() -> Any:
    """The operator (staff, "operator"), made once: the `user` fixture is the same account."""
    user, created = get_user_model().objects.get_or_create(
        username="operator", defaults={"is_staff": True}
    )
    if created:
        user.set_password("pw-operator-123")
        user.save()
    Profile.objects.get_or_create(user=user, defaults={"interests": DEFAULT_INTERESTS})
    return user


def reading_of(article: Article | AsRead, reader: Any = None) -> Reading:
    return Reading.objects.select_related("rank").get(
        article_id=article.pk, reader=reader or default_reader()
    )


READING_ATTRS = READING_FIELDS | {
    "composite_score", "is_blocked", "is_rescoring", "quality_factor", "feedback_factor",
    "reader_id", "rank",
}  # fmt: skip


class AsRead:
    """An article as one reader sees it: a test's view of two rows, the shared `article`
    and the reader's `reading` of it. Attributes of the reading (its fields, score and
    flags) come from the reading; everything else from the article; `refresh_from_db`
    re-reads both."""

    def __init__(self, article: Article, reading: Reading) -> None:
        object.__setattr__(self, "article", article)
        object.__setattr__(self, "reading", reading)

    def __getattr__(self, name: str) -> Any:
        target = self.reading if name in READING_ATTRS else self.article
        return getattr(target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.reading if name in READING_ATTRS else self.article, name, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (AsRead, Article)) and other.pk == self.article.pk

    def __hash__(self) -> int:
        return hash(self.article.pk)

    def __int__(self) -> int:  # where the ORM takes it for the article's id
        return int(self.article.pk)

    def __str__(self) -> str:
        return str(self.article)

    @property
    def pk(self) -> int:
        return int(self.article.pk)

    @property
    def id(self) -> int:
        return int(self.article.pk)

    def refresh_from_db(self, **kwargs: Any) -> None:
        self.article.refresh_from_db()
        object.__setattr__(
            self, "reading", Reading.objects.select_related("rank").get(pk=self.reading.pk)
        )

    def save(self, **kwargs: Any) -> None:
        self.article.save()
        self.reading.save()


def unwrap(value: Any) -> Any:
    return value.article if isinstance(value, AsRead) else value


class FeedFactory(factory.django.DjangoModelFactory):
    """A feed the reader (default: the operator) subscribes to; `reader=False`: no one."""

    class Meta:
        model = Feed

    url = factory.Sequence(lambda n: f"https://example.com/feed-{n}.xml")
    title = factory.Sequence(lambda n: f"Feed {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        reader = kwargs.pop("reader", None)
        sub = {k: kwargs.pop(k) for k in ("folder", "display_order") if k in kwargs}
        feed = super()._create(model_class, *args, **kwargs)
        if reader is not False:
            Subscription.objects.create(reader=reader or default_reader(), feed=feed, **sub)
        return feed


class CategoryFactory(factory.django.DjangoModelFactory):
    """Seeded categories exist already. `weight=` is the reader's (default: the operator)."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"topic-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        weight = kwargs.pop("weight", None)
        reader = kwargs.pop("reader", None)
        obj, _ = model_class.objects.get_or_create(name=kwargs.pop("name"), defaults=kwargs)
        if weight is not None:
            TopicWeight.objects.update_or_create(
                reader=reader or default_reader(), category=obj, defaults={"weight": weight}
            )
        obj.weight = weight or Category.Weight.NEUTRAL
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
        """The reading's fields go to the reader's reading of it; `composite_score=` places
        it in their ranked list with that score, as a verdict written earlier would have
        (its `ReadingRank` row)."""
        kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        score = kwargs.pop("composite_score", None)
        reader = kwargs.pop("reader", None) or default_reader()
        mine = {k: kwargs.pop(k) for k in list(kwargs) if k in READING_FIELDS}
        if mine.get("scoring_state") == Article.ScoringState.SCORED or kwargs.get(
            "categorization_model"
        ):
            kwargs.setdefault("categorized_at", timezone.now())
        article = super()._create(model_class, *args, **kwargs)
        story = article.story_id
        is_copy = bool(story) and Reading.objects.filter(reader=reader, article_id=story).exists()
        reading = Reading.objects.create(
            reader=reader, article=article, feed_id=article.feed_id, is_copy=is_copy, **mine
        )
        if score is not None:
            ReadingRank.objects.create(
                reading=reading, reader=reader, interest=reading.interest_score,
                quality=reading.quality_score, score=score,
                rank_date=article.published_at or article.created_at,
                topic_set_id=topic_sets_ensure(keys={""})[""],  # topics come later
            )  # fmt: skip
        return AsRead(article, reading)


class ScoredArticleFactory(ArticleFactory):
    scoring_state = Article.ScoringState.SCORED
    interest_score = 7
    quality_score = 6
    composite_score = 7 * 1.0 * (0.5 + 6 / 20)
    score_reasoning = "Matches the reader."
    scored_at = factory.LazyFunction(timezone.now)
    categorization_model = "ollama/qwen3:4b"
    scoring_model = "ollama/qwen3:4b"


# --- the single reader's doors, as the tests before several readers called them ------------
def articles_rank(*, articles: Any) -> int:
    """Rank the default reader's readings of these articles (`readings_rank`)."""
    from articles.ranking import readings_rank

    ids = [a.pk for a in articles] if isinstance(articles, list) else articles.values("id")
    return readings_rank(readings=Reading.objects.filter(article_id__in=ids))


def articles_rescore(*, ids: Any, mode: str, reader: Any = None) -> int:
    from scoring.services import readings_rescore

    theirs = Reading.objects.filter(reader=reader or default_reader(), article_id__in=list(ids))
    return readings_rescore(readings=theirs, mode=mode)


def articles_enqueue(*, ids: Any = None, reader: Any = None) -> int:
    from scoring.services import readings_enqueue

    theirs = Reading.objects.filter(reader=reader or default_reader())
    if ids is not None:
        theirs = theirs.filter(article_id__in=list(ids))
    return readings_enqueue(readings=theirs)


def set_interests(interests: str = "", anti_interests: str = "", reader: Any = None) -> Profile:
    """The reader's interests, saved as the admin would (no re-score)."""
    profile = Profile.of(reader or default_reader())
    profile.interests, profile.anti_interests = interests, anti_interests
    profile.save()
    return profile


def category_weight_set(*, name: str, weight: str, reader: Any = None) -> Category:
    from articles.services import category_weight_set as weight_set

    return weight_set(reader=reader or default_reader(), name=name, weight=weight)


def one_call() -> bool:
    """Whether this run asks topics and scores in one call per new article (SCORING_CALLS,
    The default; `make test-two-calls` runs the scoring tests with two)."""
    from django.conf import settings

    return bool(settings.SCORING_CALLS == "one")


def expected_calls(*, articles: int, scorings: int) -> dict[str, int]:
    """LLM calls by purpose for `articles` new articles given `scorings` verdicts in all
    (each reader's): with two calls each article is categorized once and scored each time;
    with one the first verdict on an article also brings its topics."""
    if one_call():
        return {"verdict": articles, "score": scorings - articles}
    return {"categorize": articles, "score": scorings}


def calls_per_new_article() -> int:
    """LLM calls for a new article's topics and one reader's scores: two, or one."""
    return 1 if one_call() else 2


def as_read(article: Any, reader: Any = None) -> AsRead:
    """The article (or its id) as the reader (default: the operator) sees it now."""
    pk = article if isinstance(article, int) else article.pk
    reading = reading_of(Article(pk=pk), reader)
    return AsRead(Article.objects.get(pk=pk), reading)


def claimed_article_ids(claims: Any) -> list[int]:
    """The articles of these claims, in claim order."""
    by_id = dict(
        Reading.objects.filter(id__in=[c.reading_id for c in claims]).values_list(
            "id", "article_id"
        )
    )
    return [by_id[c.reading_id] for c in claims]


def read_by(articles: Any, reader: Any = None, **fields: Any) -> list[Reading]:
    """Readings of articles made without a factory (bulk_create), for the reader (default:
    the operator), subscribing them to the articles' feeds."""
    reader = reader or default_reader()
    rows = list(articles)
    for feed_id in {a.feed_id for a in rows}:
        Subscription.objects.get_or_create(reader=reader, feed_id=feed_id)
    return Reading.objects.bulk_create(
        [Reading(reader=reader, article_id=a.pk, feed_id=a.feed_id, **fields) for a in rows]
    )
