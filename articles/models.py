from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

DEFAULT_CATEGORIES = [
    "technology", "science", "ai-ml", "programming", "web-development", "security",
    "business", "finance", "economics", "politics", "world-news", "health", "climate",
    "energy", "space", "culture", "entertainment", "gaming", "sports", "education",
    "design", "open-source", "hardware", "startups", "productivity",
]  # fmt: skip


# The ranked list's order, read through an article's `ArticleRank` row. Scores are never
# negative, so -1 sorts unranked rows last in a descending list; the index `rank_order` is on
# the same expression, which serves the list on SQLite and Postgres alike (SQLite indexes
# cannot say NULLS LAST). Equal scores: newest first.
RANK_SCORE = Coalesce(F("rank__score"), Value(-1.0))
RANK_DATE = F("rank__rank_date")


class Folder(models.Model):
    """A group of feeds a reader made (OPML's nested outlines, a reader app's label)."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="folders"
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "name"], name="folder_unique_per_reader")
        ]

    def __str__(self) -> str:
        return self.name


class FeedQuerySet(models.QuerySet["Feed"]):
    def subscribed(self) -> FeedQuerySet:
        """Feeds someone reads: the only ones fetched."""
        return self.filter(subscriptions__isnull=False).distinct()

    def in_refresh_order(self) -> FeedQuerySet:
        """Least recently attempted first (never attempted before all): a feed that hangs
        until its timeout cannot keep the same others waiting every cycle."""
        return self.order_by(F("last_attempt_at").asc(nulls_first=True), "id")


class FullText(models.TextChoices):
    AUTO = "auto", "When the feed gives a teaser"
    ALWAYS = "always", "Always"
    NEVER = "never", "Never"


class Combine(models.TextChoices):
    REPLACE = "replace", "The page's text replaces the feed's"
    APPEND = "append", "The page's text follows the feed's"


class Extraction(models.TextChoices):
    NONE = "", "Not asked"
    PENDING = "pending", "Waiting"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Feed(models.Model):
    """A feed URL, fetched once however many readers subscribe to it (`Subscription`)."""

    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=500, blank=True, default="")
    etag = models.CharField(max_length=500, blank=True, default="")
    last_modified = models.CharField(max_length=200, blank=True, default="")
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # Entries the last fetch left out, beyond the newest FEED_MAX_ITEMS.
    entries_dropped = models.PositiveIntegerField(default=0)
    # Full text (`articles.fulltext`): fetch each article's page when the feed gives only
    # a teaser (auto: under FULLTEXT_MIN_CHARS of text), always, or never. Shared, as the
    # article is: its subscribers set it. A CSS selector of the text, and one of elements
    # to drop, override the extractor; the page's text replaces the feed's or follows it.
    full_text = models.CharField(max_length=10, choices=FullText.choices, default=FullText.AUTO)
    full_text_selector = models.CharField(max_length=500, blank=True, default="")
    full_text_remove = models.CharField(max_length=500, blank=True, default="")
    full_text_combine = models.CharField(
        max_length=10, choices=Combine.choices, default=Combine.REPLACE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title or self.url

    def full_text_editable_by(self, reader: Any, *, shared: bool | None = None) -> bool:
        """Whether this reader may change how the feed's pages are fetched: the full text is
        extracted once per article for every subscriber, so on a feed others read too only
        the operator may (`shared`: whether others subscribe, when the caller knows)."""
        if reader.is_staff:
            return True
        if shared is None:
            shared = self.subscriptions.exclude(reader=reader).exists()
        return not shared

    def wants_full_text(self, text_length: int) -> bool:
        """Whether an article with this much text of its own gets its page fetched."""
        if self.full_text == FullText.AUTO:
            return text_length < settings.FULLTEXT_MIN_CHARS
        return self.full_text == FullText.ALWAYS


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def next_display_order(self) -> int:
        """Where a new feed goes in this reader's list: after the last one."""
        last = self.order_by("-display_order").values_list("display_order", flat=True).first()
        return (last or 0) + 1


class Subscription(models.Model):
    """A reader's feed: their own title for it, folder and place in their list."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="subscriptions")
    title = models.CharField(max_length=500, blank=True, default="")  # "": the feed's own
    folder = models.ForeignKey(
        Folder, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    display_order = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "feed"], name="subscription_unique")
        ]

    def __str__(self) -> str:
        return self.shown_title

    @property
    def shown_title(self) -> str:
        return self.title or self.feed.title or self.feed.url


class Weight(models.TextChoices):
    BLOCKED = "blocked", "Blocked"
    LOW = "low", "Low"
    NEUTRAL = "neutral", "Neutral"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class CategoryQuerySet(models.QuerySet["Category"]):
    def seen_by(self, reader: Any) -> CategoryQuerySet:
        """The starting topics, those of articles the reader can read and those they gave a
        weight: a topic made from another reader's private article is not theirs to see."""
        read = Reading.objects.filter(reader=reader, article__categories=OuterRef("pk"))
        weighted = TopicWeight.objects.filter(reader=reader, category=OuterRef("pk"))
        return self.filter(Q(name__in=DEFAULT_CATEGORIES) | Exists(read) | Exists(weighted))

    def with_weights(self, reader: Any) -> CategoryQuerySet:
        """Each with `weight`: this reader's (neutral unless they set one)."""
        mine = TopicWeight.objects.filter(reader=reader, category=OuterRef("pk"))
        return self.annotate(
            weight=Coalesce(Subquery(mine.values("weight")[:1]), Value(Weight.NEUTRAL))
        )

    def with_article_counts(self, reader: Any) -> CategoryQuerySet:
        """Sorted by name, each with this reader's `weight` and `article_count` (how many
        of their articles carry it): the topic weights table."""
        theirs = Reading.objects.filter(reader=reader, article__categories=OuterRef("pk"))
        count = theirs.order_by().values("reader").annotate(n=Count("*")).values("n")[:1]
        return (
            self.seen_by(reader)
            .with_weights(reader)
            .annotate(article_count=Coalesce(Subquery(count), Value(0)))
            .order_by("name")
        )

    def with_feedback_counts(self, reader: Any) -> CategoryQuerySet:
        """Topics the reader has marked articles of, each with `liked` and `disliked`."""
        marked = Reading.objects.filter(reader=reader, feedback__isnull=False)
        rows = (
            marked.values("article__categories")
            .annotate(
                liked=Count("id", filter=Q(feedback="up")),
                disliked=Count("id", filter=Q(feedback="down")),
            )
            .order_by()
        )
        counts = {r["article__categories"]: r for r in rows if r["article__categories"]}
        topics = list(self.with_weights(reader).filter(id__in=counts).order_by("name"))
        for topic in topics:
            topic.liked = counts[topic.id]["liked"]  # type: ignore[attr-defined]
            topic.disliked = counts[topic.id]["disliked"]  # type: ignore[attr-defined]
        return topics  # type: ignore[return-value]

    def weights(self, reader: Any) -> dict[str, str]:
        """Category name → this reader's weight, sorted by name (the seed's `topic_weights`)."""
        rows = self.seen_by(reader).with_weights(reader).order_by("name")
        return {c.name: c.weight for c in rows}  # type: ignore[attr-defined]  # annotated


class Category(models.Model):
    """A topic. Topics are shared (an article is categorized once for every reader); the
    weight each reader gives one is theirs (`TopicWeight`)."""

    Weight = Weight
    MULTIPLIERS = {"blocked": 0.0, "low": 0.5, "neutral": 1.0, "medium": 1.5, "high": 2.0}

    name = models.SlugField(max_length=100, unique=True, help_text="kebab-case, e.g. ai-ml")

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def normalize(raw: str) -> str:
        """Lowercase ASCII kebab-case: `_`, spaces and `/` become `-`, anything else outside
        [a-z0-9-] is dropped, runs of `-` collapse. Empty when nothing usable is left."""
        name = raw.strip().lower()
        for sep in ("_", " ", "/"):
            name = name.replace(sep, "-")
        name = re.sub(r"[^a-z0-9-]", "", name)
        name = re.sub(r"-{2,}", "-", name)
        return name.strip("-")[:100].strip("-")


class TopicWeight(models.Model):
    """A reader's weight for a topic; no row: neutral."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_weights"
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="reader_weights")
    weight = models.CharField(max_length=10, choices=Weight.choices, default=Weight.NEUTRAL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "category"], name="topic_weight_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.weight}"


class TopicSetQuerySet(models.QuerySet["TopicSet"]):
    def holding(self, category: Category) -> TopicSetQuerySet:
        return self.filter(categories=category)

    def keys_of(self, articles: models.QuerySet[Article]) -> dict[int, str]:
        """Article id → the key of the set of its topics as its links say now, for each of
        these articles (an article without topics: "", the empty set)."""
        topics: dict[int, list[int]] = {}
        for article_id, category_id in articles.order_by().values_list("id", "categories"):
            found = topics.setdefault(article_id, [])
            if category_id is not None:  # the LEFT JOIN's row for an article with none
                found.append(category_id)
        return {article_id: TopicSet.key_of(ids) for article_id, ids in topics.items()}


class TopicSet(models.Model):
    """One distinct combination of topics that some articles carry; `ArticleRank` rows point
    at theirs. A topic weight change then re-ranks with one factor per combination that
    holds the topic instead of aggregating every article's topic links (bench P10: 200,000
    links on 100,000 articles in 10 combinations; articles get one to four topics from a
    few dozen, so a library has far fewer combinations than articles).

    The links (`Article.categories`) stay the truth; a rank row's set is a copy of them,
    kept in step by `ArticleQuerySet.rank` (the scoring write, story copies) and, for edits
    through the many-to-many API (admin, shell), by `articles.receivers`. Deleting a topic
    deletes its memberships here as it does its links, so both agree on what is left."""

    # The member ids, ascending, comma-separated; "" for no topics. Ids are never reused
    # (a deleted topic's id stays out of every later key), so a key names one set for good.
    key = models.CharField(max_length=2000, unique=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="topic_sets")

    objects = TopicSetQuerySet.as_manager()

    def __str__(self) -> str:
        return self.key or "(no topics)"

    @staticmethod
    def key_of(category_ids: Iterable[int]) -> str:
        return ",".join(str(i) for i in sorted(set(category_ids)))


class ArticleQuerySet(models.QuerySet["Article"]):
    def leads(self) -> ArticleQuerySet:
        """Articles that lead their story: the ones the LLM is asked about."""
        return self.filter(story__isnull=True)

    def uncategorized(self) -> ArticleQuerySet:
        return self.filter(categorized_at__isnull=True)


class Article(models.Model):
    """An entry of a feed, stored once for every reader of the feed, with what is asked of
    the LLM once for all of them: its topics. Each reader's verdict, rank and marks are on
    their `Reading` of it."""

    class ScoringState(models.TextChoices):
        UNSCORED = "unscored", "Unscored"
        QUEUED = "queued", "Queued"
        SCORING = "scoring", "Scoring"
        SCORED = "scored", "Scored"
        FAILED = "failed", "Failed"
        # Older than FEED_BACKFILL_DAYS when the reader subscribed: kept, not sent to the LLM.
        SKIPPED = "skipped", "Skipped (backfill)"

    class RescoreMode(models.TextChoices):
        FULL = "full", "Categorize and score"
        SCORE_ONLY = "score_only", "Score only"

    class Feedback(models.TextChoices):
        UP = "up", "👍 More like this"
        DOWN = "down", "👎 Less like this"

    # No index of its own: `article_feed_published` serves every feed lookup.
    feed = models.ForeignKey(
        Feed, on_delete=models.CASCADE, related_name="articles", db_index=False
    )
    title = models.CharField(max_length=1000)
    url = models.URLField(max_length=2000, unique=True)
    # The URL without tracking parameters and fragment: the same story from two feeds.
    canonical_url = models.CharField(max_length=2000, blank=True, default="")
    # The article this one is a copy of (same story, another feed); NULL: it leads its story.
    story = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copies",
        db_index=False,  # the partial index `article_copies` below
    )
    # Title + summary embedding, when STORY_EMBEDDING_MODEL is set (for finding copies).
    embedding = models.JSONField(null=True, blank=True)
    # What the article is about, for every reader: its vector under EMBEDDING_MODEL
    # (normalised float32 bytes) and that model's name; NULL until it is understood.
    vector = models.BinaryField(null=True, blank=True, editable=False)
    vector_model = models.CharField(max_length=200, blank=True, default="")
    guid = models.CharField(max_length=2000, blank=True, default="")
    author = models.CharField(max_length=500, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    summary = models.TextField(blank=True, default="")
    content = models.TextField(blank=True, default="")
    # Asked once for every reader. NULL `categorized_at`: not yet (or to be asked again:
    # a full re-score); the topics on show stay until the new ones land.
    categories = models.ManyToManyField(Category, blank=True, related_name="articles")
    categorized_at = models.DateTimeField(null=True, blank=True)
    categorization_model = models.CharField(max_length=200, blank=True, default="")
    categorization_prompt_version = models.PositiveIntegerField(null=True, blank=True)
    # Full text, fetched once for every reader (`articles.fulltext`): `content` then holds
    # the page's text (as the feed's settings combine it), `feed_content` what the feed
    # gave. Scoring waits for a pending one, briefly (FULLTEXT_WAIT_SECONDS).
    extraction = models.CharField(
        max_length=10, choices=Extraction.choices, default=Extraction.NONE, blank=True
    )
    extraction_error = models.CharField(max_length=500, blank=True, default="")
    extracted_at = models.DateTimeField(null=True, blank=True)
    feed_content = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["feed", "published_at"], name="article_feed_published"),
            models.Index(fields=["story"], name="article_copies", condition=Q(story__isnull=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.title


class ReadingQuerySet(models.QuerySet["Reading"]):
    def of(self, reader: Any) -> ReadingQuerySet:
        return self.filter(reader=reader)

    def pending(self) -> ReadingQuerySet:
        return self.filter(
            scoring_state__in=[
                Article.ScoringState.UNSCORED,
                Article.ScoringState.QUEUED,
                Article.ScoringState.SCORING,
            ]
        )

    def leads(self) -> ReadingQuerySet:
        """Readings the reader's list shows a story by (not a copy of one they have)."""
        return self.filter(is_copy=False)

    def queued(self) -> ReadingQuerySet:
        return self.filter(scoring_state=Article.ScoringState.QUEUED)

    def blocked(self) -> ReadingQuerySet:
        return self.filter(rank__score=0, scoring_state=Article.ScoringState.SCORED)

    def visible(self, *, include_blocked: bool = False) -> ReadingQuerySet:
        """The default reading list: scored and not blocked (blocked ones too, ranked last at
        0, when asked). An article being re-scored keeps its old score and stays listed
        until the new one lands."""
        has_score = Q(scoring_state=Article.ScoringState.SCORED) | Q(
            scoring_state__in=[Article.ScoringState.QUEUED, Article.ScoringState.SCORING],
            scored_at__isnull=False,
        )
        # An inner join on the rank: the list walks the `rank_order` index and stops at the
        # page's last row.
        floor = Q(rank__score__gte=0) if include_blocked else Q(rank__score__gt=0)
        return self.filter(has_score, floor, is_copy=False)

    def unlisted(self) -> ReadingQuerySet:
        """Rows the reading list never shows, blocked ones aside (`blocked().leads()`): the
        other copies of a story, and skipped or failed articles. No join, so the unread
        counts find them through their own indexes."""
        return self.filter(
            Q(is_copy=True)
            | Q(scoring_state__in=[Article.ScoringState.SKIPPED, Article.ScoringState.FAILED])
        )

    def in_claim_order(self) -> ReadingQuerySet:
        """Re-scores first, then oldest queued first (the index `reading_claim_order`)."""
        return self.order_by("-scoring_priority", "queued_at", "id")

    def stale_claims(self) -> ReadingQuerySet:
        """Claimed longer ago than any task may run: its worker died."""
        cutoff = timezone.now() - timedelta(seconds=settings.SCORING_CLAIM_TIMEOUT)
        return self.filter(scoring_state=Article.ScoringState.SCORING, claimed_at__lt=cutoff)

    def feedback_examples(self, feedback: str, limit: int) -> list[str]:
        """The titles the reader gave this feedback, newest feedback first."""
        return list(
            self.filter(feedback=feedback)
            .order_by("-feedback_at", "-id")
            .values_list("article__title", flat=True)[:limit]
        )

    def recent_unread(self) -> ReadingQuerySet:
        since = timezone.now() - timedelta(days=settings.RESCORE_RECENT_DAYS)
        return self.filter(is_read=False, article__published_at__gte=since)

    def order_for_list(self, sort_by: str, order: str) -> ReadingQuerySet:
        """Deterministic order for the API: score sort puts nulls last and equal scores
        newest first; ties broken by id."""
        if sort_by == "composite_score":
            if order == "asc":
                return self.order_by(
                    F("rank__score").asc(nulls_last=True), "article__published_at", "id"
                )
            # Matches the index `rank_order`, the hot path of the reading list.
            return self.order_by(RANK_SCORE.desc(), RANK_DATE.desc(), F("id").desc())
        key = F("article__published_at")
        primary = key.asc(nulls_last=True) if order == "asc" else key.desc(nulls_last=True)
        return self.order_by(primary, "-id" if order != "asc" else "id")


class Reading(models.Model):
    """One reader's article: their verdict (interest and quality, with the reasons), their
    marks (read, starred, 👍 / 👎), and the scoring queue. The queue lives here: one row a
    (reader, article), so a reader's re-score, budget or backlog is theirs alone, and the
    LLM is asked to score an article once per reader who reads its feed. Celery messages
    only say "there is work"."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="readings",
        db_index=False,  # every index below starts with it
    )  # fmt: skip
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="readings")
    # The article's feed, copied: the per-feed unread counts read this table alone.
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="+", db_index=False)
    # A copy of a story whose lead this reader has too: it takes the lead's verdict and the
    # list shows the story once, under the lead.
    is_copy = models.BooleanField(default=False)

    is_read = models.BooleanField(default=False)
    # Saved for later; a re-score never touches it.
    is_starred = models.BooleanField(default=False)
    starred_at = models.DateTimeField(null=True, blank=True)
    # The reader's 👍 / 👎, with when it was given (NULL: none).
    feedback = models.CharField(  # noqa: DJ001
        max_length=4, choices=Article.Feedback.choices, null=True, blank=True
    )
    feedback_at = models.DateTimeField(null=True, blank=True)

    # What the LLM said (the score it makes is on the `ReadingRank` row).
    interest_score = models.PositiveSmallIntegerField(null=True, blank=True)
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True)
    score_reasoning = models.TextField(blank=True, default="")
    # Phrases of the reader's interests / anti-interests the scoring reply quoted, checked
    # against the reader's text when stored.
    matched_interests = models.JSONField(default=list, blank=True)
    matched_anti_interests = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    scoring_model = models.CharField(max_length=200, blank=True, default="")
    scoring_prompt_version = models.PositiveIntegerField(null=True, blank=True)

    scoring_state = models.CharField(
        max_length=10, choices=Article.ScoringState.choices,
        default=Article.ScoringState.UNSCORED,
    )  # fmt: skip
    scoring_priority = models.SmallIntegerField(default=0)
    # NULL: not being re-scored.
    rescore_mode = models.CharField(  # noqa: DJ001
        max_length=10, choices=Article.RescoreMode.choices, null=True, blank=True
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    # Indexed: the sweep asks when the last claim happened (Max), on every beat.
    claimed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_by = models.CharField(max_length=200, blank=True, default="")
    claim_token = models.CharField(max_length=32, blank=True, default="")
    scoring_attempts = models.PositiveSmallIntegerField(default=0)
    # A batched reply left this article out: its next claim asks about it alone, so a model
    # that keeps skipping it cannot keep it waiting forever.
    batch_missed = models.BooleanField(default=False)
    scoring_error = models.TextField(blank=True, default="")
    scoring_raw_output = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "article"], name="reading_unique"),
        ]
        indexes = [
            models.Index(
                F("reader"), F("scoring_state"), F("scoring_priority").desc(), F("queued_at"),
                F("id"), name="reading_claim_order",
            ),
            models.Index(fields=["scoring_state", "claimed_at"], name="reading_state"),
            models.Index(fields=["reader", "feed", "is_read"], name="reading_feed_unread"),
            # Partial: only the few rows they are about carry an entry, so the other rows'
            # updates do not pay for them.
            models.Index(
                F("reader"), F("feedback_at").desc(), name="reading_feedback_recent",
                condition=Q(feedback__isnull=False),
            ),
            models.Index(
                F("reader"), F("starred_at").desc(), name="reading_starred",
                condition=Q(is_starred=True),
            ),
            # The unread counts subtract a reader's copies (`unlisted`): few rows, found here
            # instead of by reading all of the reader's rows.
            models.Index(fields=["reader", "feed"], name="reading_copies", condition=Q(is_copy=True)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.reader_id}: {self.article_id}"

    def reasoning_shown(
        self, weights: dict[int, str], topics: Iterable[Category] | None = None
    ) -> str:
        """ "Blocked: …" while one of its topics is blocked for this reader (the LLM's
        reasoning is kept underneath and shows again when the topic is unblocked).
        `weights`: category id → this reader's weight; `topics`: the article's, when the
        caller holds them already (the API reads them once per article); else prefetched."""
        topics = self.article.categories.all() if topics is None else topics
        blocked = sorted(c.name for c in topics if weights.get(c.id) == Weight.BLOCKED)
        return "Blocked: " + ", ".join(blocked) if blocked else self.score_reasoning

    @property
    def is_rescoring(self) -> bool:
        return self.scored_at is not None and self.scoring_state in (
            Article.ScoringState.QUEUED,
            Article.ScoringState.SCORING,
        )

    @property
    def feedback_factor(self) -> float:
        """What the reader's 👎 multiplies the score by (1 without one)."""
        return ReadingRank.DISLIKED_FACTOR if self.feedback == Article.Feedback.DOWN else 1.0

    @property
    def quality_factor(self) -> float | None:
        """What quality multiplies the interest by in the composite score (0.5 to 1.0)."""
        return None if self.quality_score is None else round(0.5 + self.quality_score / 20, 2)

    @property
    def composite_score(self) -> float | None:
        """The score the list ranks by; None until the article has a verdict. Lists load it
        with `select_related("rank")`."""
        rank: ReadingRank | None = getattr(self, "rank", None)  # none yet: DoesNotExist
        return None if rank is None else rank.score

    @property
    def is_blocked(self) -> bool:
        return self.scoring_state == Article.ScoringState.SCORED and self.composite_score == 0


class ReadingRank(models.Model):
    """A reading's place in its reader's ranked list, in a narrow table of its own.

    A topic weight change re-scores every article of the reader carrying the topic: 100,000
    rows in bench P10. Kept on the wide row, each of those writes copied it whole and added
    an entry to each of its indexes; here a write is ~50 bytes and three index entries, and
    the rerank reads only these rows and one factor per set of topics (`TopicSet`), so its
    cost does not grow with article length or with the number of topic links. Interest and
    quality are copied from the verdict by `articles.ranking`, the one writer, so the rerank
    need not read the reading rows; the date is `published_at`, else when Sift stored the
    article. `reader` is copied too: one reader's weight change touches their rows only, and
    their list walks an index of their own rows.

    A row exists once a verdict was written (scored, or blocked before being scored with
    score 0 and no interest); an unscored reading has none and sorts last."""

    reading = models.OneToOneField(
        Reading, on_delete=models.CASCADE, primary_key=True, related_name="rank"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    interest = models.PositiveSmallIntegerField(null=True, blank=True)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField()
    rank_date = models.DateTimeField()
    # A copy of the article's topics (`TopicSet`), so a weight change re-ranks per set of
    # topics instead of reading every article's links.
    topic_set = models.ForeignKey(TopicSet, on_delete=models.PROTECT, related_name="ranks")
    # The reader's 👎, copied from the reading: the score is multiplied by DISLIKED_FACTOR,
    # so the article moves down at once and stays down through weight changes.
    disliked = models.BooleanField(default=False)

    DISLIKED_FACTOR = 0.25

    class Meta:
        indexes = [
            models.Index(
                F("reader"), Coalesce(F("score"), Value(-1.0)).desc(), F("rank_date").desc(),
                F("reading").desc(), name="reading_rank_order",
            ),
            models.Index(fields=["reader", "topic_set"], name="rank_reader_set"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.reading_id}: {self.score}"
