"""Understanding each article once, for every reader: its vector under EMBEDDING_MODEL.

1. The articles still to understand are the rows whose vector is missing or was made by
   another model (the database is the queue). They are understood when a vector is first
   wanted (`article_vectors`: a reader's marks, their taste's scores), and never twice.
2. Their text (title, then summary or content) is embedded in batches, outside any
   transaction; each batch is written in one.
3. An embedding model that fails leaves the rows as they were, to be tried again.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q

from articles.models import Article
from llmconfig import embeddings
from llmconfig.llm import LLMError

logger = logging.getLogger(__name__)

BATCH = 32


def article_text(article: Article) -> str:
    from articles.services import plain_text

    body = plain_text(article.summary or article.content or "", embeddings.PASSAGE_CHARS)
    return f"{article.title}\n{body}".strip()


def not_understood() -> Any:
    return Article.objects.filter(Q(vector__isnull=True) | ~Q(vector_model=embeddings.model_name()))


def articles_understand(*, ids: list[int] | None = None, limit: int = 256) -> int:
    """Give up to `limit` articles (of `ids`, else the oldest waiting) their vector.
    Returns how many were written."""
    todo = not_understood().only("id", "title", "summary", "content").order_by("id")
    if ids is not None:
        todo = todo.filter(id__in=ids)
    rows = list(todo[:limit])
    written = 0
    model = embeddings.model_name()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        try:
            vectors = embeddings.embed_passages([article_text(a) for a in batch])
        except LLMError as exc:
            logger.warning("articles not understood (they wait): %s", exc.message)
            return written
        with transaction.atomic():
            for article, vector in zip(batch, vectors, strict=True):
                Article.objects.filter(id=article.id).update(
                    vector=embeddings.vector_bytes(vector), vector_model=model
                )
        written += len(batch)
    return written


def article_vectors(ids: list[int]) -> dict[int, np.ndarray[Any, np.dtype[np.float32]]]:
    """The vectors of these articles under the current model, understanding those without
    one first (a reader marking an article a worker has not reached yet)."""
    articles_understand(ids=list(ids), limit=len(ids))
    rows = Article.objects.filter(
        id__in=ids, vector__isnull=False, vector_model=embeddings.model_name()
    ).values_list("id", "vector")
    return {pk: embeddings.vector_from(raw) for pk, raw in rows if raw is not None}
