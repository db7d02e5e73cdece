"""G3.2 and G3.3: 👍 / 👎 that shape the prompt and suggest weights, and explanations in the
reader's own words."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from articles.models import Article, Category, Reading
from llmconfig.models import UserSettings
from scoring import services
from scoring.services import Outcome
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    ScoredArticleFactory,
    articles_rank,
    set_interests,
)

pytestmark = pytest.mark.django_db


def run_one() -> Outcome:
    claim = services.article_claim(worker="w1")
    return Outcome.EMPTY if claim is None else services.article_score(claim=claim)


@pytest.fixture
def llm(fake_ollama):
    us = UserSettings.load()
    us.categorization_model = "ollama/qwen3:4b"
    us.save()
    set_interests("Rust, self-hosting and PostgreSQL", "celebrity gossip")
    return fake_ollama


# --- feedback ------------------------------------------------------------------------------
def test_feedback_is_stored_with_its_time_and_cleared(api):
    article = ScoredArticleFactory()
    up = api.patch(f"/api/articles/{article.id}", {"feedback": "up"}, format="json")
    assert up.status_code == 200 and up.json()["feedback"] == "up"
    assert up.json()["feedback_at"] is not None and up.json()["is_read"] is False
    article.refresh_from_db()
    assert article.feedback == "up" and article.feedback_at is not None
    cleared = api.patch(f"/api/articles/{article.id}", {"feedback": None}, format="json").json()
    assert cleared["feedback"] is None and cleared["feedback_at"] is None
    assert article.scoring_state == Article.ScoringState.SCORED  # a click never re-scores


def test_thumbs_down_moves_the_top_article_down_at_once_and_keeps_it_down(api):
    """👎 on the top article left it on top until a re-score."""
    topic = CategoryFactory(name="rust")
    top, second, third = (ScoredArticleFactory(interest_score=n) for n in (9, 6, 1))
    for article in (top, second, third):
        article.categories.add(topic)
    articles_rank(articles=Article.objects.all())

    def order() -> list[int]:
        return [a["id"] for a in api.get("/api/articles").json()]

    assert order() == [top.id, second.id, third.id]
    down = api.patch(f"/api/articles/{top.id}", {"feedback": "down"}, format="json").json()
    assert order() == [second.id, top.id, third.id]
    assert down["explanation"]["feedback_factor"] == 0.25
    assert down["composite_score"] == pytest.approx(9 * 0.8 * 0.25)
    # A weight change re-ranks the topic's articles: the 👎 still counts.
    api.patch("/api/categories/rust/weight", {"weight": "high"}, format="json")
    assert order() == [second.id, top.id, third.id]
    api.patch(f"/api/articles/{top.id}", {"feedback": None}, format="json")
    assert order() == [top.id, second.id, third.id]
    api.patch(f"/api/articles/{top.id}", {"feedback": "up"}, format="json")
    assert order() == [top.id, second.id, third.id]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"feedback": "love"}, "feedback"), ({}, "non_field_errors"), ({"is_read": "x"}, "is_read")],
)
def test_bad_feedback_names_the_field(api, body, field):
    article = ScoredArticleFactory()
    response = api.patch(f"/api/articles/{article.id}", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert api.patch("/api/articles/999999", {"feedback": "up"}, format="json").status_code == 404


def test_the_admin_gives_feedback(admin_client):
    articles = ScoredArticleFactory.create_batch(2)
    url = reverse("admin:articles_reading_changelist")
    admin_client.post(
        url, {"action": "less_like_this", "_selected_action": [a.reading.pk for a in articles]}
    )
    assert set(Reading.objects.values_list("feedback", flat=True)) == {"down"}


def test_the_scoring_prompt_carries_recent_feedback_after_the_rubric(llm):
    for i in range(12):
        ScoredArticleFactory(title=f"Liked {i}", feedback="up", feedback_at=f"2026-11-{i + 1:02d}T10:00Z")  # fmt: skip
    ScoredArticleFactory(title="Gossip roundup", feedback="down", feedback_at="2026-11-20T10:00Z")
    ArticleFactory(title="The new one")
    assert run_one() is Outcome.SCORED
    prompt = llm.calls("/api/chat")[-1].body["messages"][-1]["content"]  # the scoring one
    liked = prompt.index("marked more like this")
    assert prompt.index("Interest 0-10") < prompt.index("**User Interests:**") < liked
    assert liked < prompt.index("Gossip roundup") < prompt.index("**Title:** The new one")
    titles = [line[2:] for line in prompt[liked:].splitlines() if line.startswith("- Liked")]
    assert titles == [f"Liked {i}" for i in range(11, 1, -1)]  # ten, newest first


def test_suggestions_follow_clear_feedback_and_apply_in_one_call(api):
    rust, gossip, mixed = (CategoryFactory(name=n) for n in ("rust", "gossip", "mixed"))
    for topic, marks in ((rust, ["up"] * 4), (gossip, ["down"] * 3 + ["up"]), (mixed, ["up", "down"] * 2)):  # fmt: skip
        for mark in marks:
            ScoredArticleFactory(feedback=mark).categories.add(topic)
    got = {s["name"]: s for s in api.get("/api/topics/suggestions").json()}
    assert (got["rust"]["liked"], got["rust"]["disliked"]) == (4, 0)
    assert got["rust"]["suggested_weight"] == "medium"
    assert got["gossip"]["suggested_weight"] == "low"
    assert got["mixed"]["suggested_weight"] is None
    applied = api.patch("/api/categories/gossip/weight", {"weight": "low"}, format="json")
    assert applied.status_code == 200
    gossip_scores = Reading.objects.filter(article__categories=gossip).values_list(
        "rank__score", flat=True
    )
    assert set(gossip_scores) == {2.8}  # 7 × 0.5 × (0.5 + 6/20): re-ranked at once


# --- explanations ----------------------------------------------------------------------------
def test_matched_phrases_are_kept_only_when_they_are_the_readers_words(llm, api):
    def answer(body):
        if body["format"]["title"] == "CategorizationResult":
            return json.dumps({"categories": ["rust"], "suggested_new": []})
        return json.dumps(
            {
                "categories": ["rust"],  # read when the topics come in the same answer
                "interest_score": 9,
                "quality_score": 8,
                "reasoning": "About Rust.",
                "matched_interests": ["rust", "self-hosting", "quantum knitting"],
                "matched_anti_interests": ["celebrity gossip", "sports"],
            }
        )

    llm.responder = answer
    CategoryFactory(name="rust", weight=Category.Weight.HIGH)
    article = ArticleFactory()
    assert run_one() is Outcome.SCORED
    explanation = api.get(f"/api/articles/{article.id}").json()["explanation"]
    assert explanation == {
        "matched_interests": ["rust", "self-hosting"],  # the invented one is dropped
        "matched_anti_interests": ["celebrity gossip"],
        "weights": {"rust": "high"},
        "quality_factor": 0.9,
        "feedback_factor": 1.0,
        "reasoning": "About Rust.",
    }


def test_articles_scored_before_explanations_still_read(api):
    article = ScoredArticleFactory(matched_interests=[], matched_anti_interests=[])
    body = api.get(f"/api/articles/{article.id}").json()
    assert body["explanation"]["matched_interests"] == []
    assert body["explanation"]["reasoning"] == article.score_reasoning
    schema = api.get("/api/schema").content.decode()
    assert "Explanation" in schema and "matched_interests" in schema


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_uses_feedback_keeps_explanations_and_skips_the_backfill(
    api, fake_ollama, feeds, settings
):
    """Items 2, 3 and 5 end to end: a feed added over the API with history older than the
    backfill window, a 👍 given, a real worker scoring against the fake Ollama."""
    from email.utils import format_datetime

    from django.utils import timezone

    from tests.fakes.feeds import Route
    from tests.live import Worker, purge_queues, wait_for

    settings.FEED_BACKFILL_DAYS = 3
    us = UserSettings.load()
    us.categorization_model = "ollama/qwen3:4b"
    us.save()
    set_interests("Rust and self-hosting")
    ScoredArticleFactory(title="A loved old Rust post", feedback="up", feedback_at=timezone.now())

    def answer(body):
        if body["format"]["title"] == "CategorizationResult":
            return json.dumps({"categories": ["rust"], "suggested_new": []})
        return json.dumps({"categories": ["rust"], "interest_score": 8, "quality_score": 8, "reasoning": "Rust.",
                           "matched_interests": ["Rust", "knitting"], "matched_anti_interests": []})  # fmt: skip

    fake_ollama.responder = answer
    now = timezone.now()
    items = "".join(
        f"<item><title>{title}</title><link>https://blog.example/{i}</link>"
        f"<pubDate>{format_datetime(now - age)}</pubDate></item>"
        for i, (title, age) in enumerate(
            [("Fresh Rust news", timedelta(hours=2)), ("Ancient history", timedelta(days=30))]
        )
    )
    feeds.routes["/blog.xml"] = Route(
        body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>'
        f"<link>https://blog.example/</link><description>x</description>{items}</channel></rss>".encode()
    )
    purge_queues()
    worker = Worker(name="g3", concurrency=1).start()
    try:
        assert (
            api.post("/api/feeds", {"url": feeds.url_for("/blog.xml")}, format="json").status_code
            == 201
        )
        fresh = Article.objects.get(title="Fresh Rust news")
        wait_for(
            lambda: Reading.objects.get(article_id=fresh.id).scoring_state == "scored", timeout=30
        )
    finally:
        worker.stop()
    assert Reading.objects.get(article__title="Ancient history").scoring_state == "skipped"
    prompt = fake_ollama.calls("/api/chat")[-1].body["messages"][-1]["content"]
    assert "- A loved old Rust post" in prompt
    explanation = api.get(f"/api/articles/{fresh.id}").json()["explanation"]
    assert explanation["matched_interests"] == ["Rust"]
