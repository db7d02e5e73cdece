"""Reads shared by the API and the pages, each of one reader's own rows: one query per
question, constant in the rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from articles.models import Article, Category, Folder, Reading, ReadingQuerySet, Subscription
from articles.search import articles_search


def articles_filtered(reader: Any, params: dict[str, Any]) -> QuerySet[Reading]:
    state = params.get("scoring_state")
    theirs = Reading.objects.of(reader)
    qs: ReadingQuerySet
    if state == "pending":
        # Oldest first: the order they will be scored in.
        pending = _common_filters(theirs.pending(), params, reader)
        return for_display(pending.order_by("article__published_at", "id"), reader)
    if state == "blocked":
        qs = theirs.blocked()
    elif state:
        qs = theirs.filter(scoring_state=state)
        if params["exclude_blocked"] and state == Article.ScoringState.SCORED:
            qs = qs.filter(rank__score__gt=0)  # a scored reading always has its rank
    else:
        # Blocked articles are found when asked for: `exclude_blocked=false`, or a filter on
        # a topic the reader blocked (that topic's articles are all blocked for them).
        asked = not params["exclude_blocked"] or (
            params.get("category")
            and reader.topic_weights.filter(
                category__name=Category.normalize(params["category"]),
                weight=Category.Weight.BLOCKED,
            ).exists()
        )
        # The rank's own reader column: the list walks the reader's part of `rank_order`.
        qs = theirs.visible(include_blocked=bool(asked)).filter(rank__reader=reader)
    qs = _common_filters(qs, params, reader).order_for_list(params["sort_by"], params["order"])
    return for_display(qs, reader)


def for_display(qs: ReadingQuerySet, reader: Any) -> ReadingQuerySet:
    """What a reading is shown with: its article, feed, score, topics and the copies of its
    story in the reader's own feeds (each a few columns: another reader's subscriptions are
    theirs alone); never the article's embedding, a vector of hundreds of numbers."""
    copies = (
        Article.objects.only("id", "url", "story", "feed__title")
        .select_related("feed")
        .filter(feed__subscriptions__reader=reader)
    )
    return (
        qs.defer("article__embedding")
        .select_related("article", "feed", "rank")
        .prefetch_related("article__categories", Prefetch("article__copies", queryset=copies))
    )


def _common_filters(qs: ReadingQuerySet, params: dict[str, Any], reader: Any) -> ReadingQuerySet:
    """The list's filters; a feed or folder that is not the reader's own is not found (another
    reader's folder must not select their feeds in this reader's list)."""
    if (
        params.get("feed_id")
        and not reader.subscriptions.filter(feed_id=params["feed_id"]).exists()
    ):
        raise Http404("feed_id: you have no feed with this id")
    if params.get("folder_id") and not reader.folders.filter(id=params["folder_id"]).exists():
        raise Http404("folder_id: you have no folder with this id")
    if params.get("is_read") is not None:
        qs = qs.filter(is_read=params["is_read"])
    if params.get("is_starred") is not None:
        qs = qs.filter(is_starred=params["is_starred"])
    if params.get("feed_id"):
        qs = qs.filter(feed_id=params["feed_id"])
    if params.get("folder_id"):
        # A folder is one reader's: its subscriptions are theirs.
        in_folder = Subscription.objects.filter(folder_id=params["folder_id"])
        qs = qs.filter(feed_id__in=in_folder.values("feed_id"))
    if params.get("category"):
        qs = qs.filter(article__categories__name=Category.normalize(params["category"]))
    if params.get("older_than_days") is not None:
        cutoff = timezone.now() - timedelta(days=params["older_than_days"])
        qs = qs.filter(article__published_at__lt=cutoff)
    if params.get("q"):
        qs = articles_search(qs, params["q"], field="article_id")
    return qs


def articles_matching(reader: Any, params: dict[str, Any]) -> ReadingQuerySet:
    """Every reading of this reader these filters name, whatever its scoring state
    (mark-all-read: what the reader has seen in the list and what is still waiting to be
    scored alike)."""
    return _common_filters(Reading.objects.of(reader), params, reader)


def feeds_with_counts(reader: Any, *, pk: int | None = None) -> list[Subscription]:
    """The reader's subscriptions in their order, with `unread_count`. The count is of what
    the reading list shows for the feed or will once scored, so the two never disagree:
    blocked, skipped and failed articles and the other copies of a story are not counted.

    Counted as all unread (an index-only scan of `reading_feed_unread`) less the exceptions,
    which are few and found through their own indexes (`unlisted`, `blocked`): excluding
    them in one query read every unread row and its rank (12 ms became 99 ms at 100k
    articles, bench P4)."""
    rows = Subscription.objects.filter(reader=reader).select_related("feed")
    unread: ReadingQuerySet = Reading.objects.of(reader).filter(is_read=False)
    if pk is not None:
        rows, unread = rows.filter(feed_id=pk), unread.filter(feed_id=pk)

    def per_feed(qs: QuerySet[Reading]) -> dict[int, int]:
        return dict(qs.values_list("feed_id").annotate(n=Count("*")).order_by())

    total = per_feed(unread)
    # Disjoint: `unlisted` holds every copy, so the blocked ones counted are leads.
    left_out = per_feed(unread.unlisted())
    blocked = per_feed(unread.blocked().leads())
    subscriptions = list(rows.order_by("display_order", "id"))
    for sub in subscriptions:
        fid = sub.feed_id
        count = total.get(fid, 0) - left_out.get(fid, 0) - blocked.get(fid, 0)
        sub.unread_count = count  # type: ignore[attr-defined]
    shared = set(
        Subscription.objects.filter(feed_id__in=[s.feed_id for s in subscriptions])
        .exclude(reader=reader)
        .values_list("feed_id", flat=True)
    )
    for sub in subscriptions:
        sub.full_text_editable = sub.feed.full_text_editable_by(  # type: ignore[attr-defined]
            reader, shared=sub.feed_id in shared
        )
    return subscriptions


def folders_with_counts(reader: Any) -> QuerySet[Folder]:
    return (
        Folder.objects.filter(reader=reader)
        .annotate(feed_count=Count("subscriptions", filter=Q(subscriptions__reader=reader)))
        .order_by("name")
    )
