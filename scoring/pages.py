"""The web pages: plain Django templates, login required; the API does the work."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from articles.api import ArticleListParams
from articles.models import Category, Feed, Folder
from articles.selectors import articles_filtered, feeds_with_counts
from llmconfig.models import UserSettings
from scoring.services import rescore_recent_ids, scoring_status, skipped_cost

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
    articles = list(articles_filtered(params.validated_data)[:PAGE_SIZE])
    status = scoring_status()
    filters = {k: v for k, v in query.items() if k in (*FILTERS, "is_read", "is_starred")}
    skipped = skipped_cost(skipped=status["skipped"])
    context = {
        "nav": "reading",
        "articles": articles,
        "page_size": PAGE_SIZE,
        "next_query": urlencode(filters),
        "mark_query_json": json.dumps(_mark_filters(params.validated_data)),
        "has_feeds": Feed.objects.exists(),
        "pending": status["unscored"] + status["queued"] + status["scoring"],
        "status": status,
        "skipped": skipped["articles"],
        "skipped_cost": skipped["llm_calls"],
        "categories": Category.objects.order_by("name").values_list("name", "weight"),
        "feeds": Feed.objects.order_by("display_order", "id"),
        "folders": Folder.objects.order_by("name"),
        "mark_read_on_open": UserSettings.load().mark_read_on_open,
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


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    """What the ranking reads: the reader's interests, the feeds and the topic weights."""
    us = UserSettings.load()
    context = {
        "nav": "sources",
        "interests": us.interests,
        "anti_interests": us.anti_interests,
        "mark_read_on_open": us.mark_read_on_open,
        "folders": Folder.objects.order_by("name"),
        "rescore_preview": len(rescore_recent_ids()),
        "feeds": feeds_with_counts(),
        "topics": Category.objects.with_article_counts(),
        "weights": Category.Weight.choices,
    }
    return render(request, "sift/sources.html", context)
