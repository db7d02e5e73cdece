"""Reads shared by the API and the pages: one query per question, constant in the rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from articles.models import Article, ArticleQuerySet, Category, Feed
from articles.search import articles_search


def articles_filtered(params: dict[str, Any]) -> QuerySet[Article]:
    state = params.get("scoring_state")
    qs: ArticleQuerySet
    if state == "pending":
        # Oldest first: the order they will be scored in.
        ordered = _common_filters(Article.objects.pending(), params).order_by("published_at", "id")
        return for_display(ordered)
    if state == "blocked":
        qs = Article.objects.blocked()
    elif state:
        qs = Article.objects.filter(scoring_state=state)
        if params["exclude_blocked"] and state == Article.ScoringState.SCORED:
            qs = qs.filter(rank__score__gt=0)  # a scored article always has its rank
    else:
        # Blocked articles are found when asked for: `exclude_blocked=false`, or a filter on
        # a topic that is blocked (that topic's articles are all blocked).
        asked = not params["exclude_blocked"] or (
            params.get("category")
            and Category.objects.filter(
                name=Category.normalize(params["category"]), weight=Category.Weight.BLOCKED
            ).exists()
        )
        qs = Article.objects.visible(include_blocked=bool(asked))
    qs = _common_filters(qs, params).order_for_list(params["sort_by"], params["order"])
    return for_display(qs)


def for_display(qs: ArticleQuerySet) -> ArticleQuerySet:
    """What an article is shown with: its feed, score, topics and the copies of its story
    (each a few columns); never its embedding, a vector of hundreds of numbers."""
    copies = Article.objects.only("id", "url", "story", "feed__title").select_related("feed")
    return (
        qs.defer("embedding")
        .select_related("feed", "rank")
        .prefetch_related("categories", Prefetch("copies", queryset=copies))
    )


def _common_filters(qs: ArticleQuerySet, params: dict[str, Any]) -> ArticleQuerySet:
    if params.get("is_read") is not None:
        qs = qs.filter(is_read=params["is_read"])
    if params.get("is_starred") is not None:
        qs = qs.filter(is_starred=params["is_starred"])
    if params.get("feed_id"):
        qs = qs.filter(feed_id=params["feed_id"])
    if params.get("folder_id"):
        qs = qs.filter(feed__folder_id=params["folder_id"])
    if params.get("category"):
        qs = qs.filter(categories__name=Category.normalize(params["category"]))
    if params.get("older_than_days") is not None:
        cutoff = timezone.now() - timedelta(days=params["older_than_days"])
        qs = qs.filter(published_at__lt=cutoff)
    if params.get("q"):
        qs = articles_search(qs, params["q"])
    return qs


def articles_matching(params: dict[str, Any]) -> ArticleQuerySet:
    """Every article these filters name, whatever its scoring state (mark-all-read: what
    the reader has seen in the list and what is still waiting to be scored alike)."""
    return _common_filters(Article.objects.all(), params)


def feeds_with_counts(*, pk: int | None = None) -> list[Feed]:
    """Feeds in display order with `unread_count`. The count is of what the reading list
    shows for the feed or will once scored, so the two never disagree: blocked,
    skipped and failed articles and the other copies of a story are not counted.

    Counted as all unread (an index-only scan of `article_feed_unread`) less the exceptions,
    which are few and found through their own indexes (`unlisted`, `blocked`): excluding
    them in one query read every unread row and its rank (12 ms became 99 ms at 100k
    articles, bench P4)."""
    rows = Feed.objects.order_by("display_order", "id")
    unread: ArticleQuerySet = Article.objects.filter(is_read=False)
    if pk is not None:
        rows, unread = rows.filter(pk=pk), unread.filter(feed_id=pk)

    def per_feed(qs: QuerySet[Article]) -> dict[int, int]:
        return dict(qs.values_list("feed_id").annotate(n=Count("*")).order_by())

    total = per_feed(unread)
    # Disjoint: `unlisted` holds every copy, so the blocked ones counted are leads.
    left_out = per_feed(unread.unlisted())
    blocked = per_feed(unread.blocked().leads())
    feeds = list(rows)
    for feed in feeds:
        count = total.get(feed.pk, 0) - left_out.get(feed.pk, 0) - blocked.get(feed.pk, 0)
        feed.unread_count = count  # type: ignore[attr-defined]
    return feeds
