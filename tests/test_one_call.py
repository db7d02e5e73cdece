"""Topics and scores in one LLM call per article. The mode is a model's
setting (`call_modes`, PUT /api/settings and the admin; SCORING_CALLS for the others);
these tests run the pipeline in one-call mode against the fake Ollama answering like a
reader: one call per (reader, article), the topics stored once for everyone, a second
reader's call scores only, re-scores keep the topics, batches too."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Profile
from articles.models import Article, Reading
from llmconfig.models import LLMCall, UserSettings
from scoring import services
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    FeedFactory,
    default_reader,
    read_by,
)

pytestmark = pytest.mark.django_db
MODEL = "ollama/qwen3:4b"


@pytest.fixture(autouse=True)
def one_call(fake_ollama):
    fake_ollama.follow_prompt = True
    UserSettings.objects.update_or_create(
        pk=1, defaults={"categorization_model": MODEL, "call_modes": {MODEL: "one"}}
    )


def score_everything() -> None:
    while (claim := services.article_claim(worker="w1")) is not None:
        services.article_score(claim=claim)


def calls() -> dict[str, int]:
    out: dict[str, int] = {}
    for purpose in LLMCall.objects.values_list("purpose", flat=True):
        out[purpose] = out.get(purpose, 0) + 1
    return out


def test_one_call_gives_topics_and_scores(fake_ollama):
    feed = FeedFactory()
    a = ArticleFactory(
        feed=feed, title="Postgres query planner tricks", content="An index on the database query."
    )
    score_everything()
    article = Article.objects.get(pk=a.pk)
    reading = Reading.objects.get(article=article)
    assert reading.scoring_state == Article.ScoringState.SCORED
    assert "databases" in [c.name for c in article.categories.all()] and article.categorized_at
    assert reading.interest_score is not None and reading.score_reasoning
    assert calls() == {"verdict": 1}
    (call,) = fake_ollama.calls("/api/chat")
    schema = call.body["format"]
    assert schema["properties"]["interest_score"]["enum"] == list(range(11))
    assert schema["properties"]["reasoning"]["maxLength"] == 300
    assert LLMCall.objects.get().reader_id == default_reader().pk


def test_a_second_reader_gets_one_scoring_call_and_the_topics_once():
    feed = FeedFactory()
    bob = get_user_model().objects.create_user("bob", password="bob-web-password-1")
    Profile.objects.create(user=bob, interests="databases")
    made = [ArticleFactory(feed=feed, title=f"Database story {i}") for i in range(3)]
    read_by([m.article for m in made], bob, scoring_state="queued")
    score_everything()
    assert Reading.objects.filter(scoring_state="scored").count() == 6
    # Whoever was first asked topics and scores together; the other reader's call scored.
    assert calls() == {"verdict": 3, "score": 3}
    assert LLMCall.objects.filter(reader_id__isnull=True).count() == 0


def test_a_blocked_topic_costs_nothing_extra_and_ranks_zero():
    CategoryFactory(name="databases", weight="blocked")
    ArticleFactory(
        feed=FeedFactory(), title="Postgres index internals", content="database query index"
    )
    score_everything()
    reading = Reading.objects.get()
    assert calls() == {"verdict": 1}
    assert reading.scoring_state == "scored" and reading.composite_score == 0


def test_batches_of_one_call_each(settings):
    UserSettings.objects.filter(pk=1).update(batch_sizes={MODEL: 5})
    feed = FeedFactory()
    for i in range(5):
        ArticleFactory(feed=feed, title=f"Rust compiler news {i}")
    while claims := services.articles_claim(worker="w1", limit=5):
        services.articles_score(
            claims=claims, context=services.ScoringContext.load(default_reader().pk)
        )
    assert Reading.objects.filter(scoring_state="scored").count() == 5
    assert calls() == {"verdict": 1}
    assert all(a.categories.exists() for a in Article.objects.all())


def test_the_mode_is_a_models_setting_through_the_api():
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(default_reader())  # the operator
    bad = client.put("/api/settings", {"call_modes": {MODEL: "three"}}, format="json")
    assert bad.status_code == 400 and "call_modes" in bad.json()
    ok = client.put("/api/settings", {"call_modes": {MODEL: "two"}}, format="json")
    assert ok.status_code == 200 and ok.json()["call_modes"] == {MODEL: "two"}
    ArticleFactory(feed=FeedFactory(), title="Two calls again")
    score_everything()
    assert calls() == {"categorize": 1, "score": 1}


def test_a_malformed_batch_is_reasked_then_asked_one_by_one(fake_ollama):
    """The batch path's rules hold with one call: re-asked once with the error, then one
    call per article; nothing failed, no attempt lost."""
    UserSettings.objects.filter(pk=1).update(batch_sizes={MODEL: 5})
    feed = FeedFactory()
    for i in range(3):
        ArticleFactory(feed=feed, title=f"Database story {i}")
    fake_ollama.faults.malformed_next = 2  # the batched call and its re-ask
    claims = services.articles_claim(worker="w1", limit=5)
    context = services.ScoringContext.load(default_reader().pk)
    assert services.articles_score(claims=claims, context=context) == [services.Outcome.SCORED] * 3
    titles = [c.body["format"]["title"] for c in fake_ollama.calls("/api/chat")]
    assert titles == ["BatchVerdict", "BatchVerdict"] + ["VerdictResult"] * 3
    assert all(r.scoring_attempts == 0 for r in Reading.objects.all())


def test_a_score_outside_the_enum_is_never_stored(fake_ollama):
    """The schema sends the scores as enums; a reply outside them is re-asked with the
    validation error, and the valid second answer is the one stored."""
    answers = iter([
        '{"categories": ["databases"], "interest_score": 100, "quality_score": 5, "reasoning": "x"}',
        '{"categories": ["databases"], "interest_score": 9, "quality_score": 5, "reasoning": "ok"}',
    ])  # fmt: skip
    fake_ollama.responder = lambda body: next(answers)
    ArticleFactory(feed=FeedFactory(), title="Postgres")
    score_everything()
    reading = Reading.objects.get()
    assert reading.interest_score == 9
    reask = fake_ollama.calls("/api/chat")[1].body["messages"][-1]["content"]
    assert "interest_score" in reask
    assert list(LLMCall.objects.values_list("outcome", flat=True).order_by("id")) == [
        "invalid",
        "ok",
    ]


def test_the_rescore_preview_counts_one_call_an_article():
    from tests.factories import ScoredArticleFactory

    ScoredArticleFactory.create_batch(3, feed=FeedFactory())
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(default_reader())
    full = client.post("/api/scoring/rescore?dry_run=1", {"mode": "full"}, format="json").json()
    assert (full["articles"], full["llm_calls"]) == (3, 3)  # two calls would be 6
