"""G3.4: one story, scored once: the same story from several feeds is linked, the LLM is asked
once, the list shows it once with its sources, and reading it reads every copy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from articles.models import Article, Reading
from articles.services import articles_store
from articles.stories import canonical_url
from llmconfig.models import UserSettings
from scoring import services
from scoring.services import Outcome
from tests.factories import AsRead, FeedFactory, articles_enqueue, as_read, calls_per_new_article
from tests.fakes.ollama import FakeModel
from tests.live import Worker, purge_queues, wait_for

pytestmark = pytest.mark.django_db
State = Article.ScoringState


def entry(url: str, title: str, hours_ago: float = 1, summary: str = "") -> dict:
    return {
        "url": url, "guid": "", "title": title, "author": "",
        "published_at": timezone.now() - timedelta(hours=hours_ago),
        "summary": summary, "content": summary or f"Text of {title}",
    }  # fmt: skip


def store(*entries_: dict) -> list[AsRead]:
    """Ingest into a feed the operator reads, running scoring's receiver as the commit would
    (on_commit does not run here); the articles as the operator sees them."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        articles_store(feed=FeedFactory(), entries=list(entries_))
    return [as_read(Article.objects.get(url=e["url"])) for e in entries_]


def run_all() -> list[Outcome]:
    outcomes = []
    while (claim := services.article_claim(worker="w1")) is not None:
        outcomes.append(services.article_score(claim=claim))
    return outcomes


@pytest.fixture
def llm(fake_ollama):
    us = UserSettings.load()
    us.categorization_model = "ollama/qwen3:4b"
    us.save()
    return fake_ollama


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "https://www.Example.com/news/1/?utm_source=rss&utm_medium=x",
            "https://example.com/news/1",
        ),
        ("https://example.com/a?id=7&fbclid=abc#comments", "https://example.com/a?id=7"),
        ("http://example.com/a?ref=hn&gclid=1", "http://example.com/a"),
    ],
)
def test_canonical_urls_drop_tracking_and_fragments(a, b):
    assert canonical_url(a) == canonical_url(b)


def test_different_pages_stay_apart():
    assert canonical_url("https://example.com/a?id=7") != canonical_url(
        "https://example.com/a?id=8"
    )


def test_the_same_story_from_two_feeds_is_asked_about_once(
    llm, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (lead,) = store(entry("https://news.example.com/story?utm_source=feed-a", "Rust 2.0 ships"))
        (copy,) = store(entry("https://news.example.com/story?utm_source=feed-b", "Rust 2.0 ships"))
    assert copy.story_id == lead.id and copy.scoring_state == State.UNSCORED
    assert run_all() == [Outcome.SCORED]
    # One categorize + one score (or one call for both), for both copies.
    assert len(llm.calls("/api/chat")) == calls_per_new_article()
    copy.refresh_from_db()
    lead.refresh_from_db()
    assert copy.scoring_state == State.SCORED
    assert (copy.interest_score, copy.composite_score) == (
        lead.interest_score,
        lead.composite_score,
    )
    assert list(copy.categories.values_list("name", flat=True)) == ["technology"]
    listed = api.get("/api/articles").json()
    assert [a["id"] for a in listed] == [lead.id]  # the story once...
    assert [s["id"] for s in listed[0]["sources"]] == [lead.id, copy.id]  # ...with its sources


def test_near_identical_titles_within_48_hours_are_one_story(llm):
    a, b, c, d, e, f = store(
        entry("https://one.example/x", "Apple launches the iPhone 17", hours_ago=1),
        entry("https://two.example/y", "Apple launches iPhone 17!", hours_ago=5),
        entry("https://three.example/z", "Apple launches the iPad 17", hours_ago=2),
        entry("https://four.example/w", "Apple launches the iPhone 17", hours_ago=80),
        entry("https://five.example/v", "Rust 1.95 released with async closures", hours_ago=1),
        entry("https://six.example/u", "Rust 1.96 released with async closures", hours_ago=1),
    )
    assert b.story_id == a.id  # same story, other words around it
    assert c.story_id is None  # another product
    assert d.story_id is None  # more than 48 h apart
    assert f.story_id is None and e.story_id is None  # another version is another story


def test_a_copy_of_a_story_already_scored_takes_its_score_at_once(llm):
    (lead,) = store(entry("https://a.example/s", "Postgres 19 beta"))
    run_all()
    calls = len(llm.calls("/api/chat"))
    (copy,) = store(entry("https://www.a.example/s/", "Postgres 19 beta"))
    assert copy.scoring_state == State.SCORED and copy.story_id == lead.id
    assert len(llm.calls("/api/chat")) == calls


@pytest.mark.django_db(transaction=True)
def test_a_copy_linked_while_its_lead_is_being_scored_takes_the_score_when_it_is_written(llm):
    """The LLM is still answering about the lead when a copy arrives from another feed: the
    write passes the score on. (It used to ask whether copies exist before the call, and such
    a copy waited for the sweep; P11 timed out on it.)"""
    import threading

    (lead,) = store(entry("https://a.example/race", "Redis 9 released today"))
    llm.latency = 1.0
    outcomes: list[Outcome] = []

    def score() -> None:
        claim = services.article_claim(worker="w1")
        outcomes.append(services.article_score(claim=claim))

    scorer = threading.Thread(target=score)
    scorer.start()
    wait_for(lambda: llm.in_flight == 1, 10, message="the LLM call started")
    (copy,) = store(entry("https://a.example/race?utm_source=x", "Redis 9 released today"))
    assert copy.story_id == lead.id and copy.scoring_state == State.UNSCORED
    scorer.join(30)
    assert outcomes and set(outcomes) == {Outcome.SCORED}
    copy.refresh_from_db()
    assert copy.scoring_state == State.SCORED and copy.interest_score is not None


def test_reading_a_story_reads_every_copy(api):
    lead, copy = store(
        entry("https://a.example/r", "Same news"), entry("https://b.example/r", "Same news")
    )
    api.patch(f"/api/articles/{copy.id}", {"is_read": True}, format="json")
    assert set(Reading.objects.values_list("is_read", flat=True)) == {True}
    api.patch(f"/api/articles/{lead.id}", {"is_read": False}, format="json")
    assert set(Reading.objects.values_list("is_read", flat=True)) == {False}


def test_mark_all_read_on_a_feed_reads_the_story_in_every_feed(api):
    """One rule for story copies everywhere: mark-all-read on the copy's feed reads the lead
    in the other feed too, so the unread counts agree with the list."""
    (lead,) = store(entry("https://a.example/m", "Shared news"))
    (copy,) = store(entry("https://b.example/m", "Shared news"))
    assert copy.story_id == lead.id and copy.feed_id != lead.feed_id
    response = api.post(f"/api/feeds/{copy.feed_id}/mark-all-read")
    assert response.status_code == 200, response.content
    assert set(Reading.objects.values_list("is_read", flat=True)) == {True}
    unread = {f["id"]: f["unread_count"] for f in api.get("/api/feeds").json()}
    assert unread[lead.feed_id] == 0 and unread[copy.feed_id] == 0


def test_the_admin_marks_read_through_the_same_rule(admin_client):
    lead, copy = store(
        entry("https://a.example/n", "Admin news"), entry("https://b.example/n", "Admin news")
    )
    url = "/admin/articles/reading/"
    selected = {"_selected_action": [lead.reading.id]}
    response = admin_client.post(url, {"action": "mark_read", **selected})
    assert response.status_code == 302
    assert set(Reading.objects.values_list("is_read", flat=True)) == {True}
    admin_client.post(url, {"action": "mark_unread", "_selected_action": [copy.reading.id]})
    assert set(Reading.objects.values_list("is_read", flat=True)) == {False}
    # The change form cannot set read state past the rule.
    page = admin_client.get(f"{url}{copy.reading.id}/change/").content.decode()
    assert 'name="is_read"' not in page


def test_when_a_lead_fails_for_good_its_copies_are_scored_on_their_own(llm, settings):
    settings.SCORING_MAX_ATTEMPTS = 1
    lead, copy = store(
        entry("https://a.example/f", "Broken one"), entry("https://b.example/f", "Broken one")
    )
    articles_enqueue(ids=[lead.id])
    llm.responder = lambda body: "not json at all"
    claim = services.article_claim(worker="w1")
    assert services.article_score(claim=claim) is Outcome.FAILED
    copy.refresh_from_db()
    # The story stays one (for every reader); this reader's copy is scored on its own.
    assert not copy.is_copy and copy.scoring_state == State.QUEUED


def test_an_embedding_model_links_a_story_told_in_other_words(llm, settings):
    settings.STORY_EMBEDDING_MODEL = "nomic-embed-text"
    llm.installed["nomic-embed-text"] = FakeModel("nomic-embed-text")
    (first,) = store(
        entry("https://a.example/e", "Lander touches down near lunar south pole",
              summary="The robotic lander reached the Moon's south pole to look for water ice.")
    )  # fmt: skip
    assert run_all() == [Outcome.SCORED]
    (second,) = store(
        entry("https://b.example/e", "Robotic lander reaches the Moon's south pole",
              summary="A robotic lander touched down near the lunar south pole to look for ice.")
    )  # fmt: skip
    assert second.story_id is None  # the URL and title rules do not see it
    chats = len(llm.calls("/api/chat"))
    assert run_all() == [Outcome.SCORED]
    second.refresh_from_db()
    assert second.story_id == first.id and second.scoring_state == State.SCORED
    assert len(llm.calls("/api/chat")) == chats  # no LLM call for the copy
    assert len(llm.calls("/api/embed")) == 2
    (other,) = store(entry("https://c.example/e", "Football transfer rumours", summary="Gossip."))
    assert run_all() == [Outcome.SCORED]
    other.refresh_from_db()
    assert other.story_id is None  # not alike: scored on its own


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_scores_a_story_once(llm):
    purge_queues()
    worker = Worker(name="stories", concurrency=1).start()
    try:
        store(
            entry("https://a.example/w?utm_campaign=x", "Worker story"),
            entry("https://b.example/other", "Another story"),
        )
        store(entry("https://a.example/w", "Worker story"))
        articles_enqueue()
        wait_for(
            lambda: Reading.objects.filter(scoring_state=State.SCORED).count() == 3, timeout=30
        )
    finally:
        worker.stop()
    assert len(llm.calls("/api/chat")) == 2 * calls_per_new_article()  # two stories
