"""Receivers that keep a copy in step with what it copies, wherever it is edited."""

from __future__ import annotations

from typing import Any

from articles.models import Article, Category
from articles.ranking import ranks_retopic

# Set on a topic between the "pre_clear" and "post_clear" of `category.articles.clear()`:
# after the clear its articles can no longer be found.
_CLEARED = "_sift_cleared_article_ids"


def article_topics_changed(
    *, instance: Article | Category, action: str, pk_set: set[int] | None, **_: Any
) -> None:
    """Topics edited through the many-to-many API (`article.categories.add/set/remove/clear`
    and the reverse `category.articles…`; the admin's article form): the rank rows follow,
    so the next weight change applies to the topics the articles carry now. Bulk writes of
    the links (scoring, story copies) rank their articles themselves."""
    if isinstance(instance, Category) and action == "pre_clear":
        setattr(instance, _CLEARED, list(instance.articles.values_list("id", flat=True)))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if isinstance(instance, Article):
        ids = [instance.pk]
    elif action == "post_clear":
        ids = instance.__dict__.pop(_CLEARED, [])
    else:
        ids = list(pk_set or ())
    ranks_retopic(articles=ids)
