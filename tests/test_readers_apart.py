"""Nothing crosses between readers: a story's other sources, topics, an article another
reader's feed brought first, and another reader's folder or feed as a filter."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article, Category, Reading
from articles.ranking import readings_rank
from tests.fakes.feeds import Route
from tests.test_readers import reader_client, subscribe

pytestmark = pytest.mark.django_db


def channel(title: str, *items: tuple[str, str]) -> bytes:
    stamp = timezone.now().strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{stamp}</pubDate></item>"
        for t, link in items
    )
    return f"<rss version='2.0'><channel><title>{title}</title>{body}</channel></rss>".encode()


def test_story_sources_and_ids_name_only_the_readers_own_feeds(feeds):
    ann, ann_api = reader_client("ann")
    _bob, bob_api = reader_client("bob")
    story = "Clinic opens a new wing"
    feeds.routes["/ann.xml"] = Route(channel("City news", (story, "https://city.example/wing")))
    feeds.routes["/bob.xml"] = Route(
        channel("Bob HIV clinic newsletter", (story, "https://clinic.example/wing?utm_source=x"))
    )
    subscribe(ann_api, feeds.url_for("/ann.xml"))
    subscribe(bob_api, feeds.url_for("/bob.xml"))
    lead, copy = Article.objects.order_by("id")
    assert copy.story_id == lead.id  # one story, told by both feeds
    Reading.objects.update(
        scoring_state=Article.ScoringState.SCORED, interest_score=7, quality_score=6,
        scored_at=timezone.now(),
    )  # fmt: skip
    readings_rank(readings=Reading.objects.all())

    ann_item = ann_api.get(f"/api/articles/{lead.id}").json()
    assert [s["feed_title"] for s in ann_item["sources"]] == ["City news"]
    bob_item = bob_api.get(f"/api/articles/{copy.id}").json()
    assert [s["feed_title"] for s in bob_item["sources"]] == ["Bob HIV clinic newsletter"]
    assert bob_item["story_id"] is None  # the lead is Ann's, not Bob's to name
    web = Client()
    web.force_login(ann)
    page = web.get("/").content.decode()
    assert story in page and "Bob HIV" not in page


def test_a_reader_sees_only_topics_of_articles_they_can_read(feeds):
    _ann, ann_api = reader_client("ann")
    _bob, bob_api = reader_client("bob")
    feeds.routes["/private.xml"] = Route(channel("Ann's", ("Diagnosis", "https://p.example/1")))
    subscribe(ann_api, feeds.url_for("/private.xml"))
    Article.objects.get().categories.add(Category.objects.create(name="hiv-treatment"))
    assert "hiv-treatment" in ann_api.get("/api/categories").json()
    assert "hiv-treatment" not in bob_api.get("/api/categories").json()
    assert "hiv-treatment" not in [t["name"] for t in bob_api.get("/api/topics").json()]
    assert "hiv-treatment" not in bob_api.get("/api/preferences").json()["topic_weights"]
    assert "technology" in bob_api.get("/api/categories").json()  # the starting topics stay


def test_an_article_another_readers_feed_brought_first_reaches_its_reader_too(feeds):
    _ann, ann_api = reader_client("ann")
    bob, bob_api = reader_client("bob")
    link = "https://shared.example/story"
    feeds.routes["/ann.xml"] = Route(channel("Ann's feed", ("A story", link)))
    feeds.routes["/bob.xml"] = Route(channel("Bob's feed", ("A story", link)))
    subscribe(ann_api, feeds.url_for("/ann.xml"))
    bob_feed = subscribe(bob_api, feeds.url_for("/bob.xml"))
    article = Article.objects.get()
    reading = Reading.objects.get(reader=bob, article=article)
    assert reading.feed_id == bob_feed["id"]  # listed under Bob's own feed
    assert reading.scoring_state == Article.ScoringState.QUEUED  # and scored for him
    pending = bob_api.get("/api/articles?scoring_state=pending").json()
    assert [(a["id"], a["feed_title"]) for a in pending] == [(article.id, "Bob's feed")]


def test_another_readers_folder_or_feed_is_not_found_as_a_filter(feeds):
    _ann, ann_api = reader_client("ann")
    _bob, bob_api = reader_client("bob")
    feeds.routes["/shared.xml"] = Route(channel("Shared", ("Item", "https://s.example/1")))
    feed = subscribe(ann_api, feeds.url_for("/shared.xml"))
    subscribe(bob_api, feeds.url_for("/shared.xml"))
    bobs = bob_api.post("/api/folders", {"name": "Bob's"}, format="json").json()
    bob_api.patch(f"/api/feeds/{feed['id']}", {"folder_id": bobs["id"]}, format="json")
    for query in (f"folder_id={bobs['id']}", "feed_id=999999"):
        answer = ann_api.get(f"/api/articles?scoring_state=pending&{query}")
        assert answer.status_code == 404, answer.content
        assert query.split("=")[0] in answer.json()["detail"]
    assert (
        ann_api.get(f"/api/articles?scoring_state=pending&feed_id={feed['id']}").status_code == 200
    )


def test_a_shared_feeds_full_text_is_the_operators_to_set(feeds, api):
    """The page's text is extracted once per article for every reader of the feed: a reader
    may set it while the feed is theirs alone; once shared, only the operator may."""
    _ann, ann_api = reader_client("ann")
    _bob, bob_api = reader_client("bob")
    feeds.routes["/shared.xml"] = Route(channel("Shared", ("Item", "https://s.example/1")))
    feed = subscribe(ann_api, feeds.url_for("/shared.xml"))
    change = {"full_text": "always", "full_text_selector": "article .body"}
    alone = ann_api.patch(f"/api/feeds/{feed['id']}", change, format="json")
    assert alone.status_code == 200 and alone.json()["full_text_editable"] is True
    subscribe(bob_api, feeds.url_for("/shared.xml"))
    refused = bob_api.patch(f"/api/feeds/{feed['id']}", {"full_text": "never"}, format="json")
    assert refused.status_code == 403 and "full_text" in refused.json()["detail"]
    listed = bob_api.get("/api/feeds").json()[0]
    assert listed["full_text"] == "always" and listed["full_text_editable"] is False
    api.post("/api/feeds", {"url": feeds.url_for("/shared.xml")}, format="json")  # the operator
    assert (
        api.patch(f"/api/feeds/{feed['id']}", {"full_text": "never"}, format="json").status_code
        == 200
    )
    assert ann_api.get("/api/feeds").json()[0]["full_text"] == "never"


def test_the_llm_servers_address_in_a_pause_reason_is_the_operators_only(api):
    from scoring.services import readiness_set

    _ann, ann_api = reader_client("ann")
    readiness_set(ready=False, reason="http://10.1.2.3:11434 is unreachable: ConnectError")
    assert "10.1.2.3" in api.get("/api/scoring/status").json()["reason"]
    told = ann_api.get("/api/scoring/status").json()["reason"]
    assert "10.1.2.3" not in told and "operator" in told
    readiness_set(ready=True, reason="")
