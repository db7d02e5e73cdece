"""Each article understood once for every reader (its vector, in process, no server), and
each reader's taste learned from their marks with no LLM call: a 👎 on one article lowers a
similar one they have not seen; training runs on a real worker after the mark."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import TestCase

from accounts.models import Profile
from articles.models import Article
from llmconfig import embeddings
from llmconfig.llm import LLMError
from scoring.services import taste
from scoring.services.understanding import articles_understand, not_understood
from tests.factories import ArticleFactory, ScoredArticleFactory, default_reader, reading_of
from tests.live import Worker, purge_queues, wait_for

pytestmark = pytest.mark.django_db

FOOTBALL = "Striker signs for Premier League club in record football transfer"
FOOTBALL_TOO = "Football club completes transfer of new striker before the season"
DATABASES = "PostgreSQL release brings faster vacuum and better query planning"


def test_an_article_is_understood_once_for_every_reader():
    a, b = ArticleFactory(title=FOOTBALL), ArticleFactory(title=DATABASES)
    assert set(not_understood().values_list("id", flat=True)) >= {a.id, b.id}
    assert articles_understand() >= 2
    assert articles_understand() == 0  # nothing left: each article once
    a.refresh_from_db()
    vector = embeddings.vector_from(a.vector)
    assert a.vector_model == "local/multilingual-e5-small" and vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-4


def test_the_vectors_read_other_scripts_too():
    """A reader's interest in Japanese finds the Japanese article about it first."""
    space, stocks = embeddings.embed_passages(
        ["日本の宇宙ベンチャーが月面着陸に成功", "株式市場が大幅に下落した"]
    )
    (interest,) = embeddings.embed_queries(["宇宙開発"])
    assert float(space @ interest) > float(stocks @ interest)


def test_a_thumbs_down_lowers_a_similar_unseen_article_and_no_llm_is_asked(fake_ollama):
    reader = default_reader()
    Profile.objects.filter(user=reader).update(interests="football\ndatabases")
    marked = ScoredArticleFactory(title=FOOTBALL)
    similar, other = ArticleFactory(title=FOOTBALL_TOO), ArticleFactory(title=DATABASES)
    before = taste.cheap_scores(reader_id=reader.pk, article_ids=[similar.id, other.id])
    reading = reading_of(marked)
    reading.feedback, reading.feedback_at = "down", marked.scored_at
    reading.save(update_fields=["feedback", "feedback_at"])
    learned = taste.taste_train(reader_id=reader.pk)
    after = taste.cheap_scores(reader_id=reader.pk, article_ids=[similar.id, other.id])
    assert learned["labels"] == 1
    assert after[similar.id] < before[similar.id]
    assert before[similar.id] - after[similar.id] > before[other.id] - after[other.id]
    assert fake_ollama.calls("/api/chat") == []


def test_unread_is_never_a_label():
    reader = default_reader()
    ScoredArticleFactory.create_batch(3)  # unread, unmarked
    assert taste.reader_marks(reader.pk)[0] == []
    assert taste.taste_train(reader_id=reader.pk)["labels"] == 0


def test_weights_that_are_not_the_pinned_file_are_refused(monkeypatch):
    embeddings._local_model.cache_clear()
    monkeypatch.setattr(embeddings, "LOCAL_WEIGHTS_SHA256", "0" * 64)
    try:
        with pytest.raises(LLMError, match="not the pinned"):
            embeddings.embed_passages(["x"])
    finally:
        embeddings._local_model.cache_clear()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_mark_through_the_api_trains_the_readers_taste_on_a_real_worker(api):
    purge_queues()
    article = ScoredArticleFactory(title=FOOTBALL)
    worker = Worker(name="taste", concurrency=1, queues="feeds").start()
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            answer = api.patch(f"/api/articles/{article.id}", {"feedback": "down"}, format="json")
        assert answer.status_code == 200, answer.content
        wait_for(lambda: Profile.of(default_reader()).taste.get("labels") == 1, timeout=30,
                 message="the worker trained the reader's taste")  # fmt: skip
        assert Article.objects.get(id=article.id).vector is not None
    finally:
        worker.stop()


def test_the_held_out_average_precision_is_kept_over_time_and_shown(api):
    """With ten marks of both kinds the model is judged on marks it did not see; the reader
    sees it (GET /api/taste) and so does the operator (the readers list)."""
    reader = default_reader()
    liked = [f"Football club signs striker number {i} in a record transfer" for i in range(6)]
    disliked = [f"Database release {i} brings faster vacuum and query planning" for i in range(6)]
    for titles, feedback in ((liked, "up"), (disliked, "down")):
        for title in titles:
            reading = reading_of(ScoredArticleFactory(title=title))
            reading.feedback = feedback
            reading.save(update_fields=["feedback"])
    first = taste.taste_train(reader_id=reader.pk)
    taste.taste_train(reader_id=reader.pk)
    assert first["labels"] == 12 and len(Profile.of(reader).taste["ap"]) == 2
    shown = api.get("/api/taste").json()
    assert shown["marks"] == 12 and len(shown["history"]) == 2
    assert shown["average_precision"] > 0.9  # two plainly different kinds
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="kim", password="kim-web-pass-123")
    listed = api.get("/api/readers").json()
    assert [(r["username"], r["taste"]["marks"]) for r in listed] == [("kim", 0)]
