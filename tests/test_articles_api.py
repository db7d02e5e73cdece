"""The reading list: the original reader's list, pagination and mark-read cases, every
filter and sort, and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Profile
from articles.models import Category, Reading
from scoring import services
from tests.factories import (
    DEFAULT_INTERESTS,
    ArticleFactory,
    CategoryFactory,
    FeedFactory,
    ScoredArticleFactory,
    calls_per_new_article,
    claimed_article_ids,
    default_reader,
    set_interests,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def sample():
    """The original suite's fixtures, scored: Recent (1 h, unread), Older (1 d, unread), Read (2 d)."""
    feed = FeedFactory(title="Test Feed", url="https://example.com/feed.xml")
    return {
        "recent": ScoredArticleFactory(
            feed=feed,
            title="Recent",
            published_at=NOW - timedelta(hours=1),
            content="Full content of recent article",
            author="Ann",
            composite_score=5.0,
        ),
        "older": ScoredArticleFactory(
            feed=feed, title="Older", published_at=NOW - timedelta(days=1), composite_score=9.0
        ),
        "read": ScoredArticleFactory(
            feed=feed,
            title="Read",
            published_at=NOW - timedelta(days=2),
            is_read=True,
            composite_score=7.0,
        ),
    }


def titles(response):
    assert response.status_code == 200, response.json()
    return [a["title"] for a in response.json()]


def test_list_empty(api):
    assert api.get("/api/articles").json() == []


def test_list_newest_first_by_published_at(api, sample):
    assert titles(api.get("/api/articles?sort_by=published_at")) == ["Recent", "Older", "Read"]


def test_list_pagination(api, sample):
    assert titles(api.get("/api/articles?sort_by=published_at&limit=1")) == ["Recent"]
    assert titles(api.get("/api/articles?sort_by=published_at&limit=1&skip=1")) == ["Older"]


def test_filter_unread_and_read(api, sample):
    assert len(api.get("/api/articles?is_read=false").json()) == 2
    assert titles(api.get("/api/articles?is_read=true")) == ["Read"]
    assert len(api.get("/api/articles").json()) == 3


def test_get_article(api, sample):
    body = api.get(f"/api/articles/{sample['recent'].id}").json()
    assert body["content"] == "Full content of recent article" and body["author"] == "Ann"
    assert body["feed_title"] == "Test Feed"


def test_article_not_found(api):
    response = api.get("/api/articles/99999")
    assert response.status_code == 404 and response.json() == {"detail": "Article not found"}
    assert api.patch("/api/articles/99999", {"is_read": True}, format="json").status_code == 404


def test_mark_read_and_unread_persist(api, sample):
    aid = sample["recent"].id
    assert (
        api.patch(f"/api/articles/{aid}", {"is_read": True}, format="json").json()["is_read"]
        is True
    )
    assert Reading.objects.get(article_id=aid).is_read is True
    api.patch(f"/api/articles/{aid}", {"is_read": False}, format="json")
    assert Reading.objects.get(article_id=aid).is_read is False
    assert (
        api.patch(f"/api/articles/{aid}", {"is_read": "perhaps"}, format="json").status_code == 400
    )


def test_score_sort_desc_and_asc(api, sample):
    assert titles(api.get("/api/articles")) == ["Older", "Read", "Recent"]
    assert titles(api.get("/api/articles?order=asc")) == ["Recent", "Read", "Older"]


def test_score_sort_puts_nulls_last_and_equal_scores_newest_first(api):
    feed = FeedFactory()
    a = ScoredArticleFactory(feed=feed, composite_score=5.0, published_at=NOW - timedelta(hours=2))
    b = ScoredArticleFactory(feed=feed, composite_score=5.0, published_at=NOW - timedelta(hours=3))
    c = ScoredArticleFactory(feed=feed, composite_score=5.0, published_at=NOW - timedelta(hours=2))
    ArticleFactory(feed=feed, scoring_state="queued")
    ids = [x["id"] for x in api.get("/api/articles?scoring_state=queued").json()] + [
        x["id"] for x in api.get("/api/articles").json()
    ]
    assert ids[-3:] == [c.id, a.id, b.id]
    rows = Reading.objects.order_for_list("composite_score", "desc")
    assert rows.last().composite_score is None


def test_default_list_hides_unscored_and_blocked_but_keeps_rescoring(api, sample):
    ArticleFactory(title="Pending")
    ScoredArticleFactory(title="Blocked", composite_score=0)
    from tests.factories import articles_rescore

    articles_rescore(ids=[sample["older"].id], mode="full")
    listed = api.get("/api/articles").json()
    assert [a["title"] for a in listed] == ["Older", "Read", "Recent"]
    assert listed[0]["is_rescoring"] is True


def test_scoring_state_filters(api, sample):
    ArticleFactory(title="Queued", published_at=NOW - timedelta(days=3))
    ArticleFactory(title="Unscored", scoring_state="unscored", published_at=NOW - timedelta(days=4))
    ScoredArticleFactory(title="Blocked", composite_score=0)
    ArticleFactory(title="Failed", scoring_state="failed")
    assert titles(api.get("/api/articles?scoring_state=pending")) == ["Unscored", "Queued"]
    assert titles(api.get("/api/articles?scoring_state=blocked")) == ["Blocked"]
    assert titles(api.get("/api/articles?scoring_state=failed")) == ["Failed"]
    assert "Blocked" not in titles(api.get("/api/articles?scoring_state=scored"))
    assert "Blocked" in titles(api.get("/api/articles?scoring_state=scored&exclude_blocked=false"))


def test_feed_and_category_filters(api, sample):
    other = ScoredArticleFactory(title="Elsewhere")
    other.categories.set([CategoryFactory(name="science")])
    sample["older"].categories.set([CategoryFactory(name="ai-ml")])
    assert titles(api.get(f"/api/articles?feed_id={other.feed_id}")) == ["Elsewhere"]
    assert titles(api.get("/api/articles?category=ai-ml")) == ["Older"]
    assert titles(api.get("/api/articles?category=AI_ML")) == ["Older"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort_by=title", "sort_by"),
        ("limit=0", "limit"),
        ("skip=9223372036854775808", "skip"),
        ("feed_id=99999999999999999999", "feed_id"),
        ("skip=-1", "skip"),
        ("order=up", "order"),
        ("scoring_state=done", "scoring_state"),
        ("feed_id=x", "feed_id"),
        ("bogus=1", "bogus"),
    ],
)
def test_bad_list_parameters_are_400(api, query, field):
    response = api.get(f"/api/articles?{query}")
    assert response.status_code == 400 and field in response.json()


def test_list_queries_do_not_grow_with_rows(api):
    def count(n):
        feed = FeedFactory()
        for a in ScoredArticleFactory.create_batch(n, feed=feed):
            a.categories.set([CategoryFactory(name="science"), CategoryFactory(name="space")])
        with CaptureQueriesContext(connection) as ctx:
            assert len(api.get("/api/articles?limit=200").json()) >= n
        return len(ctx.captured_queries)

    assert count(3) == count(30)
    with CaptureQueriesContext(connection) as ctx:
        api.get("/api/feeds")
    feeds_queries = len(ctx.captured_queries)
    FeedFactory.create_batch(10)
    with CaptureQueriesContext(connection) as ctx:
        api.get("/api/feeds")
    assert len(ctx.captured_queries) == feeds_queries


# --- categories, preferences, scoring endpoints ------------------------------------------------
def test_limit_above_the_maximum_is_clamped(api, settings):
    settings.ARTICLES_MAX_LIMIT = 50
    ScoredArticleFactory.create_batch(60)
    assert len(api.get("/api/articles?limit=250").json()) == 50
    assert len(api.get("/api/articles?limit=10").json()) == 10


def test_categories_are_a_sorted_list_of_names(api):
    names = api.get("/api/categories").json()
    assert all(isinstance(n, str) for n in names)
    assert names == sorted(names) and "ai-ml" in names


def test_topics_carry_weight_and_article_count(api):
    article = ScoredArticleFactory()
    article.categories.set([Category.objects.get(name="science")])
    topics = {t["name"]: t for t in api.get("/api/topics").json()}
    assert topics["science"] == {"name": "science", "weight": "neutral", "article_count": 1}
    assert topics["ai-ml"]["article_count"] == 0


def test_category_weight_changes_an_existing_category_only(api):
    response = api.patch("/api/categories/ai-ml/weight", {"weight": "high"}, format="json")
    assert response.json()["weight"] == "high"
    assert api.get("/api/preferences").json()["topic_weights"]["ai-ml"] == "high"
    assert (
        api.patch("/api/categories/ai-ml/weight", {"weight": "huge"}, format="json").status_code
        == 400
    )
    # The name is normalized before it is looked up.
    assert (
        api.patch("/api/categories/AI_ML/weight", {"weight": "low"}, format="json").status_code
        == 200
    )
    missing = api.patch("/api/categories/Home_Lab/weight", {"weight": "blocked"}, format="json")
    assert missing.status_code == 404 and "detail" in missing.json()
    assert not Category.objects.filter(name="home-lab").exists()


def test_preferences_carry_topic_weights(api):
    CategoryFactory(name="sports", weight="blocked")
    weights = api.get("/api/preferences").json()["topic_weights"]
    assert weights["sports"] == "blocked" and weights["science"] == "neutral"
    assert list(weights) == sorted(weights)


def test_preferences_saved_unchanged_queue_nothing(api, fake_ollama):
    """Saving what is already there (the demo does it on every start) re-scores
    nothing and asks the LLM nothing; a real change re-scores as before."""
    set_interests("Rust", "Celebrity gossip")
    ScoredArticleFactory.create_batch(3)
    same = {"interests": "Rust", "anti_interests": "Celebrity gossip "}
    response = api.put("/api/preferences", same, format="json")
    assert response.status_code == 200 and response.json()["rescore_queued"] == 0
    assert not Reading.objects.filter(scoring_priority__gt=0).exists()
    assert fake_ollama.calls("/api/chat") == []
    response = api.put("/api/preferences", {**same, "interests": "Go"}, format="json")
    assert response.json()["rescore_queued"] == 3


def test_preferences_save_requeues_recent_unread_score_only(api, settings):
    settings.RESCORE_RECENT_LIMIT = 2
    ScoredArticleFactory.create_batch(3)
    ScoredArticleFactory(published_at=NOW - timedelta(days=30))
    ScoredArticleFactory(is_read=True)
    assert api.get("/api/preferences").json()["interests"] == DEFAULT_INTERESTS
    response = api.put(
        "/api/preferences",
        {"interests": "Rust", "anti_interests": "Celebrity gossip"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["rescore_queued"] == 2
    assert Profile.of(default_reader()).interests == "Rust"
    assert set(
        Reading.objects.filter(scoring_priority__gt=0).values_list("rescore_mode", flat=True)
    ) == {"score_only"}
    assert api.put("/api/preferences", {"interest": "typo"}, format="json").status_code == 400


def test_scoring_status_counts(api):
    ArticleFactory.create_batch(2)
    ScoredArticleFactory()
    ScoredArticleFactory(composite_score=0)
    ArticleFactory(scoring_state="failed")
    body = api.get("/api/scoring/status").json()
    assert (body["queued"], body["scored"], body["blocked"], body["failed"], body["unscored"]) == (
        2,
        2,
        1,
        1,
        0,
    )
    assert body["phase"] == "starting" and body["ready"] is True and body["paused"] is False
    assert body["current_article_id"] is None


def test_scoring_status_names_the_article_in_flight(api):
    article = ArticleFactory()
    claim = services.article_claim(worker="w")
    body = api.get("/api/scoring/status").json()
    assert body["current_article_id"] == claimed_article_ids([claim])[0] == article.id
    assert body["phase"] == "scoring"
    services.step_set(article_id=article.id, phase="categorizing")
    assert api.get("/api/scoring/status").json()["phase"] == "categorizing"


def test_rescore_endpoint_queues_recent_unread(api, settings):
    settings.RESCORE_RECENT_DAYS = 7
    ScoredArticleFactory.create_batch(2)
    ScoredArticleFactory(published_at=NOW - timedelta(days=8))
    assert api.post("/api/scoring/rescore").json() == {
        "queued": 2, "articles": 2, "llm_calls": 2 * calls_per_new_article(), "dry_run": False,
    }  # fmt: skip
    assert Reading.objects.filter(scoring_priority__gt=0, rescore_mode="full").count() == 2


def test_rescore_command(capsys):
    from django.core.management import call_command

    ScoredArticleFactory.create_batch(2)
    ScoredArticleFactory(is_read=True)
    call_command("rescore", "--no-wait")
    assert "2 articles queued" in capsys.readouterr().out
    call_command("rescore", "--all", "--mode", "score_only", "--no-wait")
    assert Reading.objects.filter(rescore_mode="score_only").count() == 3


def test_category_weight_of_a_name_without_letters_is_404(api):
    response = api.patch(
        "/api/categories/%F1%A2%A5%BB%25~/weight", {"weight": "low"}, format="json"
    )
    assert response.status_code == 404


def test_scoring_status_is_shared_briefly(api, settings):
    settings.SCORING_STATUS_CACHE_SECONDS = 30
    ArticleFactory()
    assert api.get("/api/scoring/status").json()["queued"] == 1
    ArticleFactory()
    assert api.get("/api/scoring/status").json()["queued"] == 1  # the shared answer
    settings.SCORING_STATUS_CACHE_SECONDS = 0
    assert api.get("/api/scoring/status").json()["queued"] == 2


def test_the_fast_article_rendering_equals_drfs_own(api):
    """ArticleSerializer builds its dict by hand for speed: it must say exactly what DRF's
    field-by-field rendering of the same declared fields says, for every kind of article."""
    from rest_framework import serializers as drf
    from rest_framework.renderers import JSONRenderer

    from articles.api import ArticleSerializer, reader_weights
    from articles.selectors import for_display
    from tests.factories import CategoryFactory

    blocked = CategoryFactory(name="gossip", weight="blocked")
    lead = ScoredArticleFactory(feedback="up", feedback_at=timezone.now(), matched_interests=["x"])
    lead.categories.add(CategoryFactory(name="rust"), blocked)
    copy = ScoredArticleFactory(story=lead, published_at=None)
    rescoring = ScoredArticleFactory(
        scoring_state="queued", rescore_mode="full", scoring_priority=10
    )
    fresh = ArticleFactory(scoring_state="unscored")
    weights = {"weights": reader_weights(default_reader())}
    for reading in for_display(
        Reading.objects.filter(article_id__in=[lead.id, copy.id, rescoring.id, fresh.id]),
        default_reader(),
    ):
        serializer = ArticleSerializer(reading, context=weights)
        fast = JSONRenderer().render(serializer.data)
        drfs = JSONRenderer().render(drf.Serializer.to_representation(serializer, reading))
        assert fast == drfs  # the same bytes on the wire, key order included


def test_a_huge_item_does_not_bloat_the_list(api):
    """A 2.2 MB body is in the article, not in every list page that holds it."""
    from tests.factories import ScoredArticleFactory

    body = "<p>" + "word " * 440_000 + "</p>"
    big = ScoredArticleFactory(summary=body, content=body)
    listed = api.get("/api/articles?limit=50")
    item = next(a for a in listed.json() if a["id"] == big.id)
    assert len(listed.content) < 20_000
    assert item["content"] is None and len(item["summary"]) <= 500 and "<p>" not in item["summary"]
    whole = api.get(f"/api/articles/{big.id}").json()
    assert whole["content"] == body and whole["summary"] == body
