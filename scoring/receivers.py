"""Scoring's answers to what the layers below announce. Thin: one service call each."""

from __future__ import annotations

from typing import Any

from articles.models import Article, Category
from scoring import services


def queue_stored_articles(sender: Any, ids: list[int], **kwargs: Any) -> None:
    services.copies_inherit(articles=Article.objects.filter(id__in=ids))
    services.articles_enqueue(ids=ids)


def rescore_unblocked(sender: Any, category: Category, old: str, **kwargs: Any) -> None:
    if old == Category.Weight.BLOCKED:
        services.unblocked_rescore(category=category)
