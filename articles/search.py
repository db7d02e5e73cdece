"""Full-text search over an article's title, summary and content, on either database.

SQLite: the FTS5 table `article_fts` (migration 0016, kept in step by triggers). PostgreSQL:
the GIN index `article_search` on the tsvector of `SEARCH_DOCUMENT`. Both match every word
asked (AND), without stemming, so the same search finds the same articles on both; the list
they filter keeps its own order (by score, unless asked otherwise).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

# The indexed expression, word for word as the index has it (PostgreSQL uses the index only
# for the same expression). to_tsvector refuses documents over 1 MB, so heads are indexed.
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' || "
    "COALESCE(LEFT(summary, 20000), '') || ' ' || COALESCE(LEFT(content, 100000), ''))"
)
MAX_WORDS = 20
QS = TypeVar("QS", bound=QuerySet[Any])


def search_words(q: str) -> list[str]:
    """The words of a search, lowercased: letters and digits in any script. Operators and
    quotes are not syntax here, so no input can make a query the database refuses."""
    return re.findall(r"\w+", q.lower())[:MAX_WORDS]


def articles_search(qs: QS, q: str, *, field: str = "id") -> QS:
    """These rows, only those whose article (its id in `field`) holds every word of `q`."""
    words = search_words(q)
    if not words:
        return qs.none()
    if connection.vendor == "sqlite":
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        found = RawSQL("SELECT rowid FROM article_fts WHERE article_fts MATCH %s", [match])
    else:
        # The words are a parameter; the SQL around them is Sift's own constant.
        sql = f"SELECT id FROM articles_article WHERE {SEARCH_DOCUMENT} @@ "  # noqa: S608
        found = RawSQL(  # noqa: S611
            sql + "plainto_tsquery('simple'::regconfig, %s)", [" ".join(words)]
        )
    return qs.filter(**{f"{field}__in": found})
