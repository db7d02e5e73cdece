"""What a reader's apps see, whichever protocol they speak (Google Reader, Miniflux, Fever,
the ranked feed): their articles as items, the streams that hold them, and the marks they
send back.

1. Items are the reader's readings, by the article's id (the public id everywhere in
   Sift): a story's other copies, blocked articles and the old ones kept unscored
   (`skipped`) are left out, as on Sift's own pages; articles still waiting for a score are
   in (an app shows new articles at once; the score follows).
2. Apps sort by date themselves, so the ranking is made visible as a subscription of its
   own, "Sift · Top picks": the reader's articles scored at least their threshold, best
   first. Its items are second copies under ids of their own (`TOP_ID_OFFSET` + the
   article id): an item belongs to one feed in every app, and a mark on either copy is a
   mark on the one reading. Opt-in, top picks are also starred and titles carry the score.
3. An item's date is its article's publication date, or when Sift stored it: clients show
   and filter by the server's timestamps (Reeder shows `timestampUsec` as the date).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThan, LessThanOrEqual

from accounts.models import Profile
from articles.models import Article, Reading, ReadingQuerySet, Subscription
from articles.services import article_mark, articles_mark_read

# Above any article id a self-hosted Sift will reach (a billion), below 2^31: newsboat
# reads Miniflux's ids as 32-bit integers (a larger feed id came back as 0).
TOP_ID_OFFSET = 1 << 30
TOP_TITLE = "Sift · Top picks"
TOP_LABEL = "Sift/Top"
# A feed id no real feed has, for the protocols whose feeds are numbers (Miniflux, Fever).
TOP_FEED_ID = TOP_ID_OFFSET

ITEM_DATE = Coalesce(F("article__published_at"), F("article__created_at"))


def article_id_of(item_id: int) -> int:
    """The article an item id names (a top pick's copy names its original)."""
    return item_id - TOP_ID_OFFSET if item_id >= TOP_ID_OFFSET else item_id


def in_apps(reader: Any) -> ReadingQuerySet:
    """The reader's readings an app lists (see 1. above), with what an item shows."""
    blocked = Q(rank__score=0, scoring_state=Article.ScoringState.SCORED)
    return (
        Reading.objects.of(reader)
        .leads()
        .exclude(scoring_state=Article.ScoringState.SKIPPED)
        .exclude(blocked)
        .annotate(item_date=ITEM_DATE)
        .select_related("article", "feed", "rank")
        .defer("article__embedding")
    )


def dated_from(readings: ReadingQuerySet, moment: datetime) -> ReadingQuerySet:
    return readings.filter(GreaterThanOrEqual(ITEM_DATE, moment))


def dated_before(readings: ReadingQuerySet, moment: datetime) -> ReadingQuerySet:
    return readings.filter(LessThan(ITEM_DATE, moment))


def ids_and_dates(readings: ReadingQuerySet) -> QuerySet[Reading, tuple[int, datetime]]:
    """(article id, item date) of each reading, loading no article."""
    return readings.values_list("article_id", ITEM_DATE)


def top_picks(readings: ReadingQuerySet, profile: Profile) -> ReadingQuerySet:
    return readings.filter(rank__score__gte=profile.top_picks_min_score)


def by_score(readings: ReadingQuerySet) -> ReadingQuerySet:
    """Best first, newest first within a score (the reading list's order)."""
    return readings.order_by(
        F("rank__score").desc(nulls_last=True), F("item_date").desc(), F("id").desc()
    )


def by_date(readings: ReadingQuerySet, *, oldest_first: bool = False) -> ReadingQuerySet:
    if oldest_first:
        return readings.order_by(F("item_date").asc(), "article_id")
    return readings.order_by(F("item_date").desc(), F("article_id").desc())


@dataclass
class Item:
    """One item as every protocol shows it."""

    id: int  # the item's own id: the article's, or a top pick's copy's
    reading: Reading
    feed_id: int  # the subscription it is listed under (TOP_FEED_ID: Top picks)
    feed_title: str
    folder: str
    title: str
    is_top: bool
    is_starred: bool

    @property
    def article(self) -> Article:
        return self.reading.article

    @property
    def date(self) -> datetime:
        return getattr(self.reading, "item_date", None) or self.article.created_at

    @property
    def score(self) -> float | None:
        return self.reading.composite_score


class ItemMaker:
    """Turns a reader's readings into items: one query for their subscriptions' titles and
    folders, then none per item."""

    def __init__(self, reader: Any) -> None:
        self.profile = Profile.of(reader)
        subs = Subscription.objects.filter(reader=reader).select_related("feed", "folder")
        self.subscriptions = {s.feed_id: s for s in subs}

    def is_top(self, reading: Reading) -> bool:
        score = reading.composite_score
        return score is not None and score >= self.profile.top_picks_min_score

    def title(self, reading: Reading) -> str:
        title = reading.article.title or reading.article.url
        score = reading.composite_score
        if self.profile.apps_score_in_title and score is not None:
            return f"[{score:.1f}] {title}"
        return title

    def item(self, reading: Reading, *, as_top: bool = False) -> Item:
        sub = self.subscriptions.get(reading.feed_id)
        top = self.is_top(reading)
        return Item(
            id=reading.article_id + TOP_ID_OFFSET if as_top else reading.article_id,
            reading=reading,
            feed_id=TOP_FEED_ID if as_top else reading.feed_id,
            feed_title=TOP_TITLE if as_top else (sub.shown_title if sub else ""),
            folder=(sub.folder.name if sub and sub.folder else ""),
            title=self.title(reading),
            is_top=top,
            is_starred=reading.is_starred or (top and self.profile.apps_star_top_picks),
        )

    def items(self, readings: Iterable[Reading], *, as_top: bool = False) -> list[Item]:
        return [self.item(r, as_top=as_top) for r in readings]

    def by_ids(self, reader: Any, item_ids: Iterable[int]) -> list[Item]:
        """The reader's items of these ids, in the order asked; ids that are not theirs
        are left out."""
        wanted = list(dict.fromkeys(item_ids))
        rows = in_apps(reader).filter(article_id__in={article_id_of(i) for i in wanted})
        readings = {r.article_id: r for r in rows}
        out = []
        for item_id in wanted:
            reading = readings.get(article_id_of(item_id))
            if reading is not None:
                out.append(self.item(reading, as_top=item_id >= TOP_ID_OFFSET))
        return out


# --- marks from the apps ---------------------------------------------------------------------
def readings_of_items(reader: Any, item_ids: Iterable[int]) -> ReadingQuerySet:
    return Reading.objects.of(reader).filter(article_id__in={article_id_of(i) for i in item_ids})


def items_mark_read(reader: Any, item_ids: Iterable[int], *, is_read: bool = True) -> int:
    """Read (or unread) from an app: the one rule for read state (`articles_mark_read`),
    so a story's copies follow."""
    return articles_mark_read(readings=readings_of_items(reader, item_ids), is_read=is_read)


def items_star(reader: Any, item_ids: Iterable[int], *, is_starred: bool) -> int:
    readings = list(readings_of_items(reader, item_ids))
    for reading in readings:
        article_mark(reading=reading, is_starred=is_starred)
    return len(readings)


def readings_mark_read_until(readings: ReadingQuerySet, until: datetime | None) -> int:
    """Mark-all-as-read from an app, bounded by the time the app last synced: articles that
    came in after it stay unread (FreshRSS and Miniflux do the same)."""
    if until is not None:
        readings = readings.filter(LessThanOrEqual(ITEM_DATE, until))
    return articles_mark_read(readings=readings.filter(is_read=False))
