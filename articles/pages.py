"""The web pages: plain Django templates, login required; the API does the work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from articles.api import ArticleListParams, articles_filtered
from articles.models import Category, Feed
from scoring.services import scoring_status


@login_required
def reading(request: HttpRequest) -> HttpResponse:
    query = {k: v for k, v in request.GET.items() if v != ""}
    if "is_read" not in request.GET:
        query["is_read"] = "false"  # unread by default; "All" sends is_read=""
    params = ArticleListParams(data={**query, "limit": 100})
    if not params.is_valid():
        params = ArticleListParams(data={"limit": 100, "is_read": "false"})
        params.is_valid()
    articles = articles_filtered(params.validated_data)[:100]
    context = {
        "nav": "reading",
        "articles": articles,
        "status": scoring_status(),
        "categories": Category.objects.exclude(weight=Category.Weight.BLOCKED).values_list(
            "name", flat=True
        ),
        "feeds": Feed.objects.order_by("display_order", "id"),
        "current": {
            "category": request.GET.get("category", ""),
            "feed_id": request.GET.get("feed_id", ""),
            "is_read": request.GET.get("is_read", "false"),
        },
    }
    return render(request, "sift/reading.html", context)
