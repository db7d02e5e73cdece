"""Several readers on one install. A feed is fetched once and an article categorized
once for everyone; each reader subscribed to its feed gets one scoring call of their own
(none without interests, none past their budget); each reader's list, marks and weights
are theirs; one reader's backlog does not hold up another's new articles; an install of one
reader migrates to the first admin with nothing lost."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Profile
from articles.models import Article, Feed, Reading, ReadingRank, Subscription, TopicWeight
from llmconfig.models import LLMCall, UserSettings
from scoring import services
from scoring.services import Outcome
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    ScoredArticleFactory,
    default_reader,
    expected_calls,
    one_call,
)
from tests.fakes.feeds import Route
from tests.live import Worker, purge_queues, wait_for

pytestmark = pytest.mark.django_db
State = Article.ScoringState


def rss(n: int, tag: str = "item", old: frozenset[int] = frozenset()) -> bytes:
    """n items published in the last hours (item i `i` minutes ago), those in `old` years ago:
    dates relative to now, so the backfill window holds whatever the calendar says."""
    now = timezone.now()

    def published(i: int) -> str:
        return format_datetime(now - (timedelta(days=2000) if i in old else timedelta(minutes=i)))

    items = "".join(
        f"<item><title>{tag} {i} about databases</title><link>https://news.example/{tag}/{i}</link>"
        f"<description>Text {i}</description><pubDate>{published(i)}</pubDate></item>"
        for i in range(n)
    )
    return f"<rss version='2.0'><channel><title>Shared news</title>{items}</channel></rss>".encode()


def reader_client(username: str, interests: str = "databases") -> tuple[Any, APIClient]:
    user = get_user_model().objects.create_user(username=username, password=f"pw-{username}-1234")
    Profile.objects.create(user=user, interests=interests)
    client = APIClient()
    client.force_authenticate(user)
    return user, client


def subscribe(client: APIClient, url: str) -> dict[str, Any]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/api/feeds", {"url": url}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def score_everything() -> list[Outcome]:
    outcomes: list[Outcome] = []
    while (claim := services.article_claim(worker="w1")) is not None:
        outcomes.append(services.article_score(claim=claim))
    return outcomes


@pytest.fixture
def llm(fake_ollama):
    UserSettings.objects.update_or_create(pk=1, defaults={"categorization_model": "ollama/qwen3:4b"})  # fmt: skip
    return fake_ollama


def calls_by_purpose() -> dict[str, int]:
    counts = LLMCall.objects.values_list("purpose").annotate(n=Count("id")).order_by()
    return {purpose: n for purpose, n in counts if n}


def test_two_readers_on_one_feed_one_categorization_per_article_one_score_per_reader(llm, feeds):
    llm.follow_prompt = True  # the fake reads the reader's interests in the prompt
    feeds.routes["/shared.xml"] = Route(rss(4))
    ann, ann_api = reader_client("ann", "databases")
    _bob, bob_api = reader_client("bob", "football")
    idle, idle_api = reader_client("idle", interests="")  # nothing to score against
    url = feeds.url_for("/shared.xml")
    for client in (ann_api, bob_api, idle_api):
        subscribe(client, url)
    assert len(feeds.calls("/shared.xml")) == 1  # fetched once, for all three
    assert Feed.objects.count() == 1 and Article.objects.count() == 4
    assert Reading.objects.count() == 12  # each reader's reading of each article

    assert score_everything() == [Outcome.SCORED] * 8
    assert calls_by_purpose() == expected_calls(articles=4, scorings=8)
    titles = [c.body["format"]["title"] for c in llm.calls("/api/chat")]
    if one_call():
        assert titles.count("VerdictResult") == 4 and titles.count("ScoringResult") == 4
    else:
        assert titles.count("CategorizationResult") == 4 and titles.count("ScoringResult") == 8
    # Each scoring call is the reader's (their budget counts it); categorizing is no one's.
    assert LLMCall.objects.filter(purpose__in=["score", "verdict"], reader_id=ann.pk).count() == 4
    assert LLMCall.objects.filter(purpose="categorize", reader_id__isnull=False).count() == 0
    # The reader without interests: no call, their articles wait, and the status says why.
    assert set(Reading.objects.filter(reader=idle).values_list("scoring_state", flat=True)) == {
        State.QUEUED
    }
    status = idle_api.get("/api/scoring/status").json()
    assert "interests" in status["waiting"] and status["queued"] == 4
    assert ann_api.get("/api/scoring/status").json()["waiting"] == ""
    # Each list is the reader's own ranking of the same articles.
    ann_list = ann_api.get("/api/articles").json()
    bob_list = bob_api.get("/api/articles").json()
    assert len(ann_list) == len(bob_list) == 4
    assert {a["id"] for a in ann_list} == {a["id"] for a in bob_list}
    assert ann_list[0]["interest_score"] > bob_list[0]["interest_score"]  # databases vs football
    assert idle_api.get("/api/articles").json() == []  # nothing scored for them yet

    # Interests written: their articles are scored (score only: the topics are everyone's).
    with TestCase.captureOnCommitCallbacks(execute=True):
        idle_api.put("/api/preferences", {"interests": "databases"}, format="json")
    score_everything()
    assert calls_by_purpose() == expected_calls(articles=4, scorings=12)


def test_a_reader_who_subscribes_later_gets_the_backfill_window_scored_only(llm, feeds, settings):
    settings.FEED_BACKFILL_DAYS = 3
    old_and_new = rss(2, old=frozenset({1}))
    feeds.routes["/late.xml"] = Route(old_and_new)
    _ann, ann_api = reader_client("ann")
    bob, bob_api = reader_client("bob")
    subscribe(ann_api, feeds.url_for("/late.xml"))
    score_everything()
    before = calls_by_purpose()
    subscribe(bob_api, feeds.url_for("/late.xml"))
    assert len(feeds.calls("/late.xml")) == 1
    states = dict(Reading.objects.filter(reader=bob).values_list("article__title", "scoring_state"))
    assert sorted(states.values()) == [State.QUEUED, State.SKIPPED]
    score_everything()
    # One scoring call for Bob's article in the window; its topics were asked already.
    assert calls_by_purpose() == {**before, "score": before.get("score", 0) + 1}


def test_another_readers_objects_do_not_exist_for_a_reader(feeds):
    ann, ann_api = reader_client("ann")
    _bob, bob_api = reader_client("bob")
    feeds.routes["/mine.xml"] = Route(rss(1, "mine"))
    feed = subscribe(ann_api, feeds.url_for("/mine.xml"))
    article_id = Article.objects.get().id
    folder = ann_api.post("/api/folders", {"name": "Ann's"}, format="json").json()
    assert bob_api.get(f"/api/articles/{article_id}").status_code == 404
    assert bob_api.patch(f"/api/articles/{article_id}", {"is_read": True}, format="json").status_code == 404  # fmt: skip
    assert bob_api.patch(f"/api/feeds/{feed['id']}", {"title": "x"}, format="json").status_code == 404  # fmt: skip
    assert bob_api.delete(f"/api/feeds/{feed['id']}").status_code == 404
    assert bob_api.post(f"/api/feeds/{feed['id']}/mark-all-read").status_code == 404
    assert bob_api.delete(f"/api/folders/{folder['id']}").status_code == 404
    assert bob_api.get("/api/feeds").json() == [] and bob_api.get("/api/folders").json() == []
    assert bob_api.get("/api/articles?scoring_state=pending").json() == []
    moved = bob_api.post("/api/feeds", {"url": "https://x.example/f", "folder_id": folder["id"]}, format="json")  # fmt: skip
    assert moved.status_code == 400 and "folder_id" in moved.json()
    assert Reading.objects.get(reader=ann).is_read is False  # nothing of Ann's changed
    assert "Ann's" not in bob_api.get("/api/feeds/opml").content.decode()


def test_weights_marks_and_rescores_are_each_readers_own(api, reader, reader_api, settings):
    """A weight change reranks only that reader's rows; a mark is theirs; a change of
    interests re-scores only their articles."""
    settings.RESCORE_RECENT_LIMIT = 100
    Profile.objects.create(user=reader, interests="rust")
    sports = CategoryFactory(name="sports")
    mine = ScoredArticleFactory()  # the operator's reading
    mine.categories.add(sports)
    theirs = ScoredArticleFactory(reader=reader, feed=mine.feed, url="https://example.com/t")
    theirs.categories.add(sports)
    Subscription.objects.create(reader=reader, feed=mine.feed)
    before = ReadingRank.objects.get(reading=theirs.reading).score
    api.patch("/api/categories/sports/weight", {"weight": "blocked"}, format="json")
    assert ReadingRank.objects.get(reading=mine.reading).score == 0
    assert ReadingRank.objects.get(reading=theirs.reading).score == before
    assert reader_api.get("/api/preferences").json()["topic_weights"]["sports"] == "neutral"
    reader_api.patch(f"/api/articles/{theirs.id}", {"is_read": True}, format="json")
    assert Reading.objects.get(pk=mine.reading.pk).is_read is False
    queued = reader_api.put("/api/preferences", {"interests": "go"}, format="json").json()
    assert queued["rescore_queued"] == 0  # their only article is read: nothing recent unread
    api.put("/api/preferences", {"interests": "rust"}, format="json")
    assert set(Reading.objects.filter(scoring_priority__gt=0).values_list("reader", flat=True)) == {
        default_reader().pk
    }


def test_a_budget_stops_a_readers_scoring_and_lifting_it_resumes(llm, api, feeds):
    feeds.routes["/budget.xml"] = Route(rss(5))
    ann, ann_api = reader_client("ann")
    subscribe(ann_api, feeds.url_for("/budget.xml"))
    limited = api.patch(f"/api/readers/{ann.pk}", {"daily_scoring_budget": 2}, format="json")
    assert limited.status_code == 200 and limited.json()["daily_scoring_budget"] == 2
    assert ann_api.patch(f"/api/readers/{ann.pk}", {"daily_scoring_budget": 9}, format="json").status_code == 403  # fmt: skip
    assert score_everything() == [Outcome.SCORED, Outcome.SCORED]
    status = ann_api.get("/api/scoring/status").json()
    assert "budget" in status["waiting"] and status["waiting_until"] is not None
    assert status["queued"] == 3 and status["failed"] == 0  # waiting, never failed
    assert services.queue_sweep()["sent"] == 0  # nothing to send for work that waits
    use = {r["username"]: r for r in api.get("/api/readers").json()}["ann"]
    assert use["scoring_calls_today"] == 2
    api.patch(f"/api/readers/{ann.pk}", {"daily_scoring_budget": None}, format="json")
    assert score_everything() == [Outcome.SCORED] * 3
    assert Reading.objects.filter(reader=ann, scoring_state=State.SCORED).count() == 5


def test_one_readers_backlog_does_not_hold_up_anothers_new_article(llm):
    """Claims go to the reader served longest ago: Ann's 40-article backfill and Bob's one
    new article alternate, so Bob waits for one of Ann's calls at most."""
    ann, _ = reader_client("ann")
    bob, _ = reader_client("bob")
    backlog = [ScoredArticleFactory(reader=ann, scoring_state=State.QUEUED, url=f"https://a.example/{i}") for i in range(40)]  # fmt: skip
    for _ in range(5):  # Ann is being served
        assert services.article_score(claim=services.article_claim(worker="w1")) is Outcome.SCORED
    new = ScoredArticleFactory(reader=bob, scoring_state=State.QUEUED, url="https://b.example/new")
    waited = 0
    while (claim := services.article_claim(worker="w1")) is not None:
        if claim.reading_id == new.reading.id:
            break
        services.article_score(claim=claim)
        waited += 1
    assert claim is not None and waited <= 1
    assert len(backlog) == 40


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_workers_score_two_readers_with_one_categorization_per_article(fake_ollama, feeds):
    fake_ollama.latency = 0.02
    UserSettings.objects.update_or_create(pk=1, defaults={"categorization_model": "ollama/qwen3:4b"})  # fmt: skip
    feeds.routes["/workers.xml"] = Route(rss(6))
    purge_queues()
    worker = Worker(name="readers", concurrency=2, LLM_MAX_IN_FLIGHT=2).start()
    try:
        _ann, ann_api = reader_client("ann", "databases")
        _bob, bob_api = reader_client("bob", "football")
        for client in (ann_api, bob_api):
            assert client.post("/api/feeds", {"url": feeds.url_for("/workers.xml")}, format="json").status_code == 201  # fmt: skip
        wait_for(
            lambda: Reading.objects.filter(scoring_state=State.SCORED).count() == 12,
            timeout=60,
            message="both readers' articles scored",
        )
    finally:
        worker.stop()
    assert calls_by_purpose() == expected_calls(articles=6, scorings=12)
    assert len(feeds.calls("/workers.xml")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_single_reader_install_migrates_to_its_first_admin_with_nothing_lost():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("articles", "0016_search"), ("llmconfig", "0006_usersettings_mark_read_on_open"),
              ("accounts", "0001_hash_api_tokens")]  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    admin = old.get_model("auth", "User").objects.create(username="boss", is_superuser=True, is_staff=True)  # fmt: skip
    old.get_model("llmconfig", "UserSettings").objects.create(pk=1, interests="Rust", anti_interests="golf", mark_read_on_open=False)  # fmt: skip
    folder = old.get_model("articles", "Folder").objects.create(name="Tech")
    feed = old.get_model("articles", "Feed").objects.create(url="https://m.example/rss", title="M", folder=folder, display_order=3)  # fmt: skip
    sports = old.get_model("articles", "Category").objects.create(name="m-sports", weight="blocked")
    science = old.get_model("articles", "Category").objects.create(
        name="m-science", weight="neutral"
    )
    Old = old.get_model("articles", "Article")
    scored = Old.objects.create(
        feed=feed, title="Scored", url="https://m.example/1", scoring_state="scored",
        interest_score=8, quality_score=6, is_read=True, is_starred=True, feedback="up",
        score_reasoning="Good.", categorization_model="ollama/qwen3:4b",
    )  # fmt: skip
    scored.categories.add(science)
    topic_set = old.get_model("articles", "TopicSet").objects.create(key=str(science.id))
    old.get_model("articles", "ArticleRank").objects.create(article=scored, interest=8, quality=6, score=6.4, rank_date=scored.created_at, topic_set=topic_set)  # fmt: skip
    copy = Old.objects.create(feed=feed, title="Copy", url="https://m.example/2", story=scored)
    Old.objects.create(feed=feed, title="Claimed", url="https://m.example/3", scoring_state="scoring", claim_token="abc")  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    profile = Profile.objects.get(user_id=admin.pk)
    assert (profile.interests, profile.anti_interests, profile.mark_read_on_open) == ("Rust", "golf", False)  # fmt: skip
    sub = Subscription.objects.get()
    assert (sub.reader_id, sub.feed_id, sub.folder.name, sub.folder.reader_id, sub.display_order) == (admin.pk, feed.id, "Tech", admin.pk, 3)  # fmt: skip
    readings = {r.article.title: r for r in Reading.objects.select_related("article", "rank")}
    kept = readings["Scored"]
    assert (kept.reader_id, kept.scoring_state, kept.interest_score, kept.is_read, kept.is_starred, kept.feedback) == (admin.pk, "scored", 8, True, True, "up")  # fmt: skip
    assert kept.rank.score == 6.4 and kept.article.categorized_at is not None
    assert readings["Copy"].is_copy and readings["Claimed"].scoring_state == "queued"
    weights = TopicWeight.objects.filter(reader_id=admin.pk).values_list("category__name", "weight")
    assert dict(weights) == {"m-sports": "blocked"}
    assert sports.id and copy.id
    # And the search triggers survived the rebuilt table (SQLite).
    from articles.search import articles_search

    assert list(articles_search(Article.objects.all(), "Scored").values_list("title", flat=True)) == ["Scored"]  # fmt: skip


def test_the_reading_page_says_why_a_readers_articles_wait(client, feeds):
    ann, _ = reader_client("ann", interests="")
    ArticleFactory(reader=ann, url="https://w.example/1")
    Subscription.objects.create(reader=ann, feed=Article.objects.get().feed)
    client.force_login(ann)
    page = client.get("/").content.decode()
    assert "1 article waiting: Nothing to score against yet" in page
    assert 'id="waiting">Nothing to score against yet' in page
