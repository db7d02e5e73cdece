"""The web pages: plain Django templates, login required; the API does the work."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from articles.api import ArticleListParams
from articles.models import Category, Feed
from articles.selectors import articles_filtered, feeds_with_counts
from llmconfig.models import UserSettings
from scoring.services import rescore_recent_ids, scoring_status

PAGE_SIZE = 100  # rendered by the server; "Load more" asks the API for the rest


@login_required
def reading(request: HttpRequest) -> HttpResponse:
    query = {k: v for k, v in request.GET.items() if v != ""}
    if "is_read" not in request.GET:
        query["is_read"] = "false"  # unread by default; "All" sends is_read=""
    params = ArticleListParams(data={**query, "limit": PAGE_SIZE})
    if not params.is_valid():
        params = ArticleListParams(data={"limit": PAGE_SIZE, "is_read": "false"})
        params.is_valid()
    articles = list(articles_filtered(params.validated_data)[:PAGE_SIZE])
    status = scoring_status()
    filters = {k: v for k, v in query.items() if k in ("category", "feed_id", "exclude_blocked")}
    filters["is_read"] = request.GET.get("is_read", "false")  # "" is All
    context = {
        "nav": "reading",
        "articles": articles,
        "page_size": PAGE_SIZE,
        "next_query": urlencode(filters),
        "has_feeds": Feed.objects.exists(),
        "pending": status["unscored"] + status["queued"] + status["scoring"],
        "status": status,
        "categories": Category.objects.order_by("name").values_list("name", "weight"),
        "feeds": Feed.objects.order_by("display_order", "id"),
        "current": {
            "category": request.GET.get("category", ""),
            "feed_id": request.GET.get("feed_id", ""),
            "is_read": request.GET.get("is_read", "false"),
            "exclude_blocked": request.GET.get("exclude_blocked", "true"),
        },
    }
    return render(request, "sift/reading.html", context)


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    """What the ranking reads: the reader's interests, the feeds and the topic weights."""
    us = UserSettings.load()
    context = {
        "nav": "sources",
        "interests": us.interests,
        "anti_interests": us.anti_interests,
        "rescore_preview": len(rescore_recent_ids()),
        "feeds": feeds_with_counts(),
        "topics": Category.objects.with_article_counts(),
        "weights": Category.Weight.choices,
    }
    return render(request, "sift/sources.html", context)
