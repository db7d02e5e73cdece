"""The web pages: plain Django templates, login required; the API does the work."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Profile
from articles.api import ArticleListParams, reader_weights
from articles.models import Category, Combine, Folder, FullText, Reading, Subscription
from articles.selectors import articles_filtered, feeds_with_counts, for_display
from articles.services import article_mark
from scoring.services import recent_unread, scoring_status, skipped_cost

PAGE_SIZE = 100  # rendered by the server; "Load more" asks the API for the rest


FILTERS = ("q", "category", "feed_id", "folder_id", "exclude_blocked")


def _mark_filters(data: dict[str, Any]) -> dict[str, Any]:
    """What "Mark all these read" sends: the list's filters that MarkReadIn knows."""
    keys = ("feed_id", "folder_id", "category", "q", "is_starred")
    return {k: data[k] for k in keys if data.get(k) is not None}


@login_required
def reading(request: HttpRequest) -> HttpResponse:
    query = {k: v for k, v in request.GET.items() if v != "" and k != "is_read"}
    # unread | all | read | starred (`is_read=true|false|` is the older spelling).
    legacy = {"true": "read", "false": "unread", "": "all"}.get(request.GET.get("is_read", "-"))
    show = request.GET.get("show") or legacy or "unread"
    query.pop("show", None)
    if show == "starred":
        query["is_starred"] = "true"
    elif show in ("unread", "read"):
        query["is_read"] = "true" if show == "read" else "false"
    params = ArticleListParams(data={**query, "limit": PAGE_SIZE})
    error = ""
    if not params.is_valid():
        error = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in params.errors.items())
        params = ArticleListParams(data={"limit": PAGE_SIZE, "is_read": "false"})
        params.is_valid()
    reader: Any = request.user
    articles = list(articles_filtered(reader, params.validated_data)[:PAGE_SIZE])
    _shown(articles, reader_weights(reader))
    status = scoring_status(reader_id=reader.pk, operator=reader.is_staff)
    filters = {k: v for k, v in query.items() if k in (*FILTERS, "is_read", "is_starred")}
    skipped = skipped_cost(skipped=status["skipped"])
    context = {
        "nav": "reading",
        "articles": articles,
        "page_size": PAGE_SIZE,
        "next_query": urlencode(filters),
        "mark_query_json": json.dumps(_mark_filters(params.validated_data)),
        "has_feeds": Subscription.objects.filter(reader=reader).exists(),
        "pending": status["unscored"] + status["queued"] + status["scoring"],
        "status": status,
        "skipped": skipped["articles"],
        "skipped_cost": skipped["llm_calls"],
        "categories": Category.objects.weights(reader).items(),
        "feeds": Subscription.objects.filter(reader=reader).select_related("feed"),
        "folders": Folder.objects.filter(reader=reader).order_by("name"),
        "mark_read_on_open": Profile.of(reader).mark_read_on_open,
        "error": error,
        "current": {
            "q": request.GET.get("q", ""),
            "category": request.GET.get("category", ""),
            "feed_id": request.GET.get("feed_id", ""),
            "folder_id": request.GET.get("folder_id", ""),
            "show": show,
            "exclude_blocked": request.GET.get("exclude_blocked", "true"),
            "sort_by": params.validated_data["sort_by"],
        },
    }
    return render(request, "sift/reading.html", context)


def _shown(readings: list[Reading], weights: dict[int, str]) -> None:
    """What the list shows of each reading that depends on the reader's topic weights: the
    reasoning ("Blocked: …" while one of its topics is) and each topic's weight."""
    for r in readings:
        topics = list(r.article.categories.all())
        r.reasoning = r.reasoning_shown(weights, topics)  # type: ignore[attr-defined]
        r.topic_weights = [  # type: ignore[attr-defined]
            (c.name, weights.get(c.id, Category.Weight.NEUTRAL)) for c in topics
        ]


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    """What the ranking reads: the reader's interests, the feeds and the topic weights."""
    reader: Any = request.user
    profile = Profile.of(reader)
    context = {
        "nav": "sources",
        "interests": profile.interests,
        "anti_interests": profile.anti_interests,
        "mark_read_on_open": profile.mark_read_on_open,
        "folders": Folder.objects.filter(reader=reader).order_by("name"),
        "rescore_preview": recent_unread(reader).count(),
        "feeds": feeds_with_counts(reader),
        "topics": Category.objects.with_article_counts(reader),
        "weights": Category.Weight.choices,
        "full_text_choices": FullText.choices,
        "combine_choices": Combine.choices,
    }
    return render(request, "sift/sources.html", context)


@login_required
def article(request: HttpRequest, pk: int) -> HttpResponse:
    """One article inside Sift: its text (the page's full text when it was fetched; feed
    HTML and extracted text are sanitized when stored), the reader's verdict and why.
    Opening it marks it read when the reader's preference says so, as opening its link
    does."""
    reader: Any = request.user
    found = for_display(Reading.objects.filter(reader=reader, article_id=pk), reader).first()
    if found is None:
        raise Http404("Article not found")
    _shown([found], reader_weights(reader))
    if Profile.of(reader).mark_read_on_open and not found.is_read:
        article_mark(reading=found, is_read=True)
    return render(request, "sift/article.html", {"nav": "reading", "a": found})
