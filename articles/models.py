from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import (
    Count,
    F,
    Q,
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


class FeedQuerySet(models.QuerySet["Feed"]):
    def in_refresh_order(self) -> FeedQuerySet:
        """Least recently attempted first (never attempted before all): a feed that hangs
        until its timeout cannot keep the same others waiting every cycle."""
        return self.order_by(F("last_attempt_at").asc(nulls_first=True), "id")


class Feed(models.Model):
    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=500, blank=True, default="")
    display_order = models.IntegerField(default=0)
    etag = models.CharField(max_length=500, blank=True, default="")
    last_modified = models.CharField(max_length=200, blank=True, default="")
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "id"]

    def __str__(self) -> str:
        return self.title or self.url


class CategoryQuerySet(models.QuerySet["Category"]):
    def with_article_counts(self) -> CategoryQuerySet:
        """Sorted by name, each with `article_count` (the topic weights table)."""
        return self.annotate(article_count=Count("articles")).order_by("name")

    def with_feedback_counts(self) -> CategoryQuerySet:
        """Topics the reader has marked articles of, each with `liked` and `disliked`."""
        return (
            self.annotate(
                liked=Count("articles", filter=Q(articles__feedback="up")),
                disliked=Count("articles", filter=Q(articles__feedback="down")),
            )
            .filter(Q(liked__gt=0) | Q(disliked__gt=0))
            .order_by("name")
        )

    def weights(self) -> dict[str, str]:
        """Category name → weight, sorted by name (the seed's `topic_weights`)."""
        return dict(self.order_by("name").values_list("name", "weight"))


class Category(models.Model):
    class Weight(models.TextChoices):
        BLOCKED = "blocked", "Blocked"
        LOW = "low", "Low"
        NEUTRAL = "neutral", "Neutral"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    MULTIPLIERS = {"blocked": 0.0, "low": 0.5, "neutral": 1.0, "medium": 1.5, "high": 2.0}

    name = models.SlugField(max_length=100, unique=True, help_text="kebab-case, e.g. ai-ml")
    weight = models.CharField(max_length=10, choices=Weight.choices, default=Weight.NEUTRAL)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    @property
    def multiplier(self) -> float:
        return self.MULTIPLIERS[self.weight]

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


class TopicSetQuerySet(models.QuerySet["TopicSet"]):
    def holding(self, category: Category) -> TopicSetQuerySet:
        return self.filter(categories=category)

    def rerank(self) -> int:
        """Re-rank every article whose topics are one of these sets (a weight change: the
        sets holding the topic). Returns how many rank rows changed."""
        return _rerank(sets=self.order_by().values("id").query.sql_with_params())

    def keys_of(self, articles: ArticleQuerySet) -> dict[int, str]:
        """Article id → the key of the set of its topics as its links say now, for each of
        these articles (an article without topics: "", the empty set)."""
        topics: dict[int, list[int]] = {}
        for article_id, category_id in articles.order_by().values_list("id", "categories"):
            found = topics.setdefault(article_id, [])
            if category_id is not None:  # the LEFT JOIN's row for an article with none
                found.append(category_id)
        return {article_id: TopicSet.key_of(ids) for article_id, ids in topics.items()}

    def ids_by_key(self, keys: set[str]) -> dict[str, int]:
        """Key → set id for these keys, creating the sets (and their members) not seen yet.
        Two writers creating the same set at once: the unique key makes the second insert a
        no-op (on PostgreSQL it waits for the first to commit), and both read the one row."""
        found: dict[str, int] = dict(self.filter(key__in=keys).values_list("key", "id"))
        missing = keys - found.keys()
        if missing:
            TopicSet.objects.bulk_create(
                [TopicSet(key=key) for key in missing], ignore_conflicts=True
            )
            created = dict(self.filter(key__in=missing).values_list("key", "id"))
            member = TopicSet.categories.through
            member.objects.bulk_create(
                [
                    member(topicset_id=created[key], category_id=int(category))
                    for key in missing
                    for category in key.split(",")
                    if category
                ],
                ignore_conflicts=True,
            )
            found |= created
        return found


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
    def pending(self) -> ArticleQuerySet:
        return self.filter(
            scoring_state__in=[
                Article.ScoringState.UNSCORED,
                Article.ScoringState.QUEUED,
                Article.ScoringState.SCORING,
            ]
        )

    def leads(self) -> ArticleQuerySet:
        """Articles that lead their story: the ones the LLM is asked about."""
        return self.filter(story__isnull=True)

    def inherit_scores(self) -> int:
        """Copies whose lead is scored take its score, reasoning and topics: the LLM is
        asked once per story. Returns how many copies were updated."""
        # Two plain lookups, not a join: the common case (no copies) costs one index probe.
        linked = list(self.filter(story__isnull=False).values_list("id", "story_id"))
        if not linked:
            return 0
        scored = set(
            Article.objects.filter(
                id__in={lead for _, lead in linked}, scoring_state=Article.ScoringState.SCORED
            ).values_list("id", flat=True)
        )
        copies = [(copy_id, lead_id) for copy_id, lead_id in linked if lead_id in scored]
        if not copies:
            return 0
        fields = [
            "interest_score", "quality_score", "score_reasoning",
            "matched_interests", "matched_anti_interests", "scored_at", "categorization_model",
            "scoring_model", "categorization_prompt_version", "scoring_prompt_version",
        ]  # fmt: skip
        leads = {row["id"]: row for row in Article.objects.filter(
            id__in={lead for _, lead in copies}).values("id", *fields)}  # fmt: skip
        through = Article.categories.through
        topics: dict[int, list[int]] = {}
        for article_id, category_id in through.objects.filter(article_id__in=leads).values_list(
            "article_id", "category_id"
        ):
            topics.setdefault(article_id, []).append(category_id)
        for copy_id, lead_id in copies:
            values = {k: v for k, v in leads[lead_id].items() if k != "id"}
            Article.objects.filter(id=copy_id).update(
                **values,
                scoring_state=Article.ScoringState.SCORED,
                scoring_priority=0,
                rescore_mode=None,
                claim_token="",
                scoring_error="",
            )
        through.objects.filter(article_id__in=[c for c, _ in copies]).delete()
        through.objects.bulk_create(
            [
                through(article_id=copy_id, category_id=category_id)
                for copy_id, lead_id in copies
                for category_id in topics.get(lead_id, [])
            ]
        )
        # Same verdict, same topics: the same score as the lead's.
        Article.objects.filter(id__in=[c for c, _ in copies]).rank()
        return len(copies)

    def queued(self) -> ArticleQuerySet:
        return self.filter(scoring_state=Article.ScoringState.QUEUED)

    def blocked(self) -> ArticleQuerySet:
        return self.filter(rank__score=0, scoring_state=Article.ScoringState.SCORED)

    def visible(self) -> ArticleQuerySet:
        """The default reading list: scored and not blocked. An article being re-scored keeps
        its old score and stays listed until the new one lands."""
        has_score = Q(scoring_state=Article.ScoringState.SCORED) | Q(
            scoring_state__in=[Article.ScoringState.QUEUED, Article.ScoringState.SCORING],
            scored_at__isnull=False,
        )
        # An inner join on the rank: the list walks the `rank_order` index and stops at the
        # page's last row.
        return self.filter(has_score, story__isnull=True, rank__score__gt=0)

    def in_claim_order(self) -> ArticleQuerySet:
        """Re-scores first, then oldest queued first (the index `article_claim_order`)."""
        return self.order_by("-scoring_priority", "queued_at", "id")

    def stale_claims(self) -> ArticleQuerySet:
        """Claimed longer ago than any task may run: its worker died."""
        cutoff = timezone.now() - timedelta(seconds=settings.SCORING_CLAIM_TIMEOUT)
        return self.filter(scoring_state=Article.ScoringState.SCORING, claimed_at__lt=cutoff)

    def feedback_examples(self, feedback: str, limit: int) -> list[str]:
        """The titles the reader gave this feedback, newest feedback first."""
        return list(
            self.filter(feedback=feedback)
            .order_by("-feedback_at", "-id")
            .values_list("title", flat=True)[:limit]
        )

    def recent_unread(self) -> ArticleQuerySet:
        since = timezone.now() - timedelta(days=settings.RESCORE_RECENT_DAYS)
        return self.filter(is_read=False, published_at__gte=since)

    def rank(self) -> int:
        """Put these articles in the ranked list (or move them) from the verdict stored on
        them: their `ArticleRank` row takes their interest, quality, date and the set of
        their topics, and `_rerank` computes the score with the topic weights as they are
        now. Called wherever a verdict is written, after its topics. Returns how many rows
        were written.

        INSERT … SELECT … ON CONFLICT (PostgreSQL, SQLite), one per set of topics: the
        verdict goes from the article row to its rank row inside the database, not through
        Python and back (a scoring write would otherwise read back the row it had just
        written). The set is found by its key inside the INSERT; one seen for the first
        time leaves the INSERT nothing to join, so it is created and the INSERT runs again.
        On the scoring path the set almost always exists: one round trip fewer."""
        set_sql = f"SELECT id FROM {TopicSet._meta.db_table} WHERE key = %s"  # noqa: S608
        written = 0
        for key, ids in _grouped(TopicSet.objects.keys_of(self)).items():
            for chunk in _chunks(ids):
                rows = _rank_rows(key, chunk)
                if rows < len(chunk):
                    TopicSet.objects.ids_by_key({key})
                    rows = _rank_rows(key, chunk)
                written += rows
                _rerank(sets=(set_sql, [key]), rows=(", ".join(["%s"] * len(chunk)), chunk))
        return written

    def order_for_list(self, sort_by: str, order: str) -> ArticleQuerySet:
        """Deterministic order for the API: score sort puts nulls last and equal scores
        newest first; ties broken by id."""
        if sort_by == "composite_score":
            if order == "asc":
                return self.order_by(F("rank__score").asc(nulls_last=True), "published_at", "id")
            # Matches the index `rank_order`, the hot path of the reading list.
            return self.order_by(RANK_SCORE.desc(), RANK_DATE.desc(), F("id").desc())
        key = F("published_at")
        primary = key.asc(nulls_last=True) if order == "asc" else key.desc(nulls_last=True)
        return self.order_by(primary, "-id" if order != "asc" else "id")


class Article(models.Model):
    class ScoringState(models.TextChoices):
        UNSCORED = "unscored", "Unscored"
        QUEUED = "queued", "Queued"
        SCORING = "scoring", "Scoring"
        SCORED = "scored", "Scored"
        FAILED = "failed", "Failed"
        # Older than FEED_BACKFILL_DAYS on its feed's first fetch: kept, not sent to the LLM.
        SKIPPED = "skipped", "Skipped (backfill)"

    class RescoreMode(models.TextChoices):
        FULL = "full", "Categorize and score"
        SCORE_ONLY = "score_only", "Score only"

    # No index of its own: `article_feed_unread` (feed, is_read) serves every feed lookup, and
    # each index is written again by every update of the row (claims, scores, read marks).
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
    guid = models.CharField(max_length=2000, blank=True, default="")
    author = models.CharField(max_length=500, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    summary = models.TextField(blank=True, default="")
    content = models.TextField(blank=True, default="")
    is_read = models.BooleanField(default=False)
    categories = models.ManyToManyField(Category, blank=True, related_name="articles")

    class Feedback(models.TextChoices):
        UP = "up", "👍 More like this"
        DOWN = "down", "👎 Less like this"

    # The reader's 👍 / 👎, with when it was given (NULL: none).
    feedback = models.CharField(  # noqa: DJ001
        max_length=4, choices=Feedback.choices, null=True, blank=True
    )
    feedback_at = models.DateTimeField(null=True, blank=True)

    # What the LLM said (the score it makes is on the article's `ArticleRank` row).
    interest_score = models.PositiveSmallIntegerField(null=True, blank=True)
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True)
    score_reasoning = models.TextField(blank=True, default="")
    # Phrases of the reader's interests / anti-interests the scoring reply quoted, checked
    # against the reader's text when stored.
    matched_interests = models.JSONField(default=list, blank=True)
    matched_anti_interests = models.JSONField(default=list, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    categorization_model = models.CharField(max_length=200, blank=True, default="")
    scoring_model = models.CharField(max_length=200, blank=True, default="")
    categorization_prompt_version = models.PositiveIntegerField(null=True, blank=True)
    scoring_prompt_version = models.PositiveIntegerField(null=True, blank=True)

    # The scoring queue lives here; Celery messages only say "there is work".
    scoring_state = models.CharField(
        max_length=10, choices=ScoringState.choices, default=ScoringState.UNSCORED
    )
    scoring_priority = models.SmallIntegerField(default=0)
    # NULL: not being re-scored.
    rescore_mode = models.CharField(  # noqa: DJ001
        max_length=10, choices=RescoreMode.choices, null=True, blank=True
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

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(
                F("scoring_state"), F("scoring_priority").desc(), F("queued_at"), F("id"),
                name="article_claim_order",
            ),
            models.Index(fields=["feed", "is_read"], name="article_feed_unread"),
            models.Index(fields=["is_read", "published_at"], name="article_unread_recent"),
            # Partial: only the few rows they are about carry an entry, so the other rows'
            # updates do not pay for them.
            models.Index(
                F("feedback_at").desc(), name="article_feedback_recent",
                condition=Q(feedback__isnull=False),
            ),
            models.Index(fields=["story"], name="article_copies", condition=Q(story__isnull=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.title

    @property
    def is_rescoring(self) -> bool:
        return self.scored_at is not None and self.scoring_state in (
            self.ScoringState.QUEUED,
            self.ScoringState.SCORING,
        )

    @property
    def quality_factor(self) -> float | None:
        """What quality multiplies the interest by in the composite score (0.5 to 1.0)."""
        return None if self.quality_score is None else round(0.5 + self.quality_score / 20, 2)

    @property
    def composite_score(self) -> float | None:
        """The score the list ranks by; None until the article has a verdict. Lists load it
        with `select_related("rank")`."""
        rank: ArticleRank | None = getattr(self, "rank", None)  # none yet: DoesNotExist
        return None if rank is None else rank.score

    @property
    def is_blocked(self) -> bool:
        return self.scoring_state == self.ScoringState.SCORED and self.composite_score == 0


class ArticleRankQuerySet(models.QuerySet["ArticleRank"]):
    def retopic(self) -> int:
        """Point these rows at the sets of their articles' topics as the links say now
        (after an edit of the topics). Scores are left as they are, as before the rank had
        a table of its own: a topic changed by hand is not a re-score, and the next weight
        change of a topic the article carries now re-ranks it. Returns how many rows
        changed."""
        keys = TopicSet.objects.keys_of(Article.objects.filter(id__in=self.values("article_id")))
        sets = TopicSet.objects.ids_by_key(set(keys.values()))
        changed = 0
        for key, ids in _grouped(keys).items():
            set_id = sets[key]
            for chunk in _chunks(ids):
                changed += (
                    self.filter(article_id__in=chunk)
                    .exclude(topic_set_id=set_id)
                    .update(topic_set_id=set_id)
                )
        return changed


def _rerank(sets: tuple[str, Sequence[Any]], rows: tuple[str, Sequence[Any]] | None = None) -> int:
    """Rank rows again from their stored interest and quality and the weights as they are
    now, in one UPDATE: every row whose topics are one of `sets`, or only those of them
    whose article id is one of `rows` (each a SELECT of ids, or a list of placeholders,
    with its parameters):

        interest × mean(weight multipliers) × (0.5 + quality/20), capped at 20;
        0 when one of its topics is blocked; an article with no topic counts 1.

    The one place the formula lives: scoring writes a verdict and then ranks that row in the
    same transaction (`ArticleQuerySet.rank`), so a weight changed meanwhile is never
    overwritten by a stale one. Rows without an interest (blocked before the LLM ever scored
    them) keep their 0.

    UPDATE … FROM (PostgreSQL, and SQLite since 3.33): the factor is computed once per set
    of topics, not once per article, and a row whose score does not change is not written.
    A weight change names the sets, not the rows: on PostgreSQL, finding 100,000 rows
    through an id subquery as well added a fifth to bench P10's time."""
    through = TopicSet.categories.through._meta.db_table
    category = Category._meta.db_table
    topic_set = TopicSet._meta.db_table
    rank = ArticleRank._meta.db_table
    multiplier = " ".join(
        f"WHEN '{weight}' THEN {value}" for weight, value in Category.MULTIPLIERS.items()
    )
    (sets_sql, sets_params), (rows_sql, rows_params) = sets, rows or ("", ())
    raw = f"{rank}.interest * f.factor * (0.5 + {rank}.quality / 20.0)"
    score = f"ROUND(CAST(CASE WHEN {raw} > 20 THEN 20.0 ELSE {raw} END AS NUMERIC), 4)"
    # The LEFT JOINs give the empty set (no topics, or its topics deleted) factor 1.
    sql = f"""
        UPDATE {rank} SET score = {score}
        FROM (
            SELECT s.id AS topic_set_id,
                   COALESCE(AVG(CASE c.weight {multiplier} ELSE 1.0 END), 1.0)
                   * COALESCE(MIN(CASE WHEN c.weight = 'blocked' THEN 0.0 ELSE 1.0 END), 1.0)
                   AS factor
            FROM {topic_set} s
            LEFT JOIN {through} m ON m.topicset_id = s.id
            LEFT JOIN {category} c ON c.id = m.category_id
            WHERE s.id IN ({sets_sql})
            GROUP BY s.id
        ) f
        WHERE {rank}.topic_set_id = f.topic_set_id
          {f"AND {rank}.article_id IN ({rows_sql})" if rows else ""}
          AND {rank}.interest IS NOT NULL AND {rank}.quality IS NOT NULL
          AND {rank}.score <> {score}
    """  # noqa: S608 - table names and weights are Sift's own constants, values are params
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sets_params, *rows_params])
        return int(cursor.rowcount)


def _rank_rows(key: str, ids: list[int]) -> int:
    """Write these articles' rank rows from their verdicts, in the topic set of this key
    (none written when no set has it yet). The score is `_rerank`'s to compute."""
    rank, article, topic_set = (
        ArticleRank._meta.db_table, Article._meta.db_table, TopicSet._meta.db_table
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {rank} (article_id, interest, quality, score, rank_date, topic_set_id)
            SELECT a.id, a.interest_score, a.quality_score, 0.0,
                   COALESCE(a.published_at, a.created_at), s.id
            FROM {article} a JOIN {topic_set} s ON s.key = %s
            WHERE a.id IN ({", ".join(["%s"] * len(ids))})
            ON CONFLICT (article_id) DO UPDATE SET
                interest = excluded.interest, quality = excluded.quality,
                score = excluded.score, rank_date = excluded.rank_date,
                topic_set_id = excluded.topic_set_id
            """,  # noqa: S608 - table names are Sift's own, values are params
            [key, *ids],
        )
        return int(cursor.rowcount)


def _grouped(keys: dict[int, str]) -> dict[str, list[int]]:
    """{article id: key} → {key: [article ids]}."""
    grouped: dict[str, list[int]] = {}
    for article_id, key in keys.items():
        grouped.setdefault(key, []).append(article_id)
    return grouped


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    """Id lists cut to fit one statement's parameters (SQLite allows 32,766)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class ArticleRank(models.Model):
    """An article's place in the ranked list, in a narrow table of its own.

    A topic weight change re-scores every article carrying the topic: 100,000 rows in bench
    P10. Kept on the article, each of those writes copied the whole wide row (title, URL,
    summary, content) and added an entry to each of its ten indexes, and the score's own
    index ruled out in-place (HOT) updates: 5-8 s on the machine where this design takes
    1.4-2.4 s. Here a write is ~50 bytes and three index entries, and the rerank reads only
    these rows and one factor per set of topics (`TopicSet`), so its cost does not grow
    with article length or with the number of topic links. Interest and quality are copied
    from the article's verdict by `ArticleQuerySet.rank`, the one writer, so the rerank need
    not read the article rows; the date is `published_at`, else when Sift stored the
    article.

    A row exists once a verdict was written (scored, or blocked before being scored with
    score 0 and no interest); an unscored article has none and sorts last."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="rank"
    )
    interest = models.PositiveSmallIntegerField(null=True, blank=True)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField()
    rank_date = models.DateTimeField()
    # A copy of the article's topics (`TopicSet`), so a weight change re-ranks per set of
    # topics instead of reading every article's links.
    topic_set = models.ForeignKey(TopicSet, on_delete=models.PROTECT, related_name="ranks")

    objects = ArticleRankQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                Coalesce(F("score"), Value(-1.0)).desc(), F("rank_date").desc(),
                F("article").desc(), name="rank_order",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.article_id}: {self.score}"
