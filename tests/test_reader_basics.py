"""The basics every feed reader has, over the API (the pages: test_web_pages.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Profile
from articles.models import Article, Feed, Folder, Reading, Subscription
from articles.search import search_words
from llmconfig.models import UserSettings
from scoring import services
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    FeedFactory,
    ScoredArticleFactory,
    articles_rescore,
    calls_per_new_article,
    default_reader,
)
from tests.fakes.feeds import Route

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [a["id"] for a in response.json()]


# --- search ------------------------------------------------------------------------------------
def test_search_finds_every_word_in_title_summary_or_content_ranked_by_score(api):
    low = ScoredArticleFactory(title="Rust compiler news", composite_score=3.0)
    high = ScoredArticleFactory(
        title="Weekly digest", summary="<p>The <b>Rust</b> compiler got faster</p>",
        composite_score=9.0,
    )  # fmt: skip
    in_content = ScoredArticleFactory(
        title="Notes", content="<p>on the compiler, in Rust</p>", composite_score=5.0
    )
    ScoredArticleFactory(title="Rust belt economics", composite_score=8.0)  # no "compiler"
    assert ids(api.get("/api/articles?q=rust compiler")) == [high.id, in_content.id, low.id]
    newest_first = ids(api.get("/api/articles?q=COMPILER&sort_by=published_at"))
    assert set(newest_first) == {low.id, high.id, in_content.id}


def test_search_follows_edits_and_deletes(api):
    article = ScoredArticleFactory(title="Before")
    assert ids(api.get("/api/articles?q=before")) == [article.id]
    Article.objects.filter(pk=article.pk).update(title="After the edit", content="")
    assert ids(api.get("/api/articles?q=before")) == []
    assert ids(api.get("/api/articles?q=edit")) == [article.id]
    article.delete()
    assert ids(api.get("/api/articles?q=edit")) == []


@pytest.mark.parametrize(
    "q", ['"unclosed', "rust*", "NEAR(rust compiler)", "rust OR -gossip", "a:b", "'; DROP --"]
)
def test_search_syntax_is_never_an_error(api, q):
    ScoredArticleFactory(title="Rust compiler")
    assert api.get("/api/articles", {"q": q}).status_code == 200


def test_search_without_a_word_names_the_field(api):
    response = api.get("/api/articles", {"q": "!!! ..."})
    assert response.status_code == 400 and "q" in response.json()


def test_search_reads_any_script():
    assert search_words("Überraschung für Zürich, 東京") == [
        "überraschung",
        "für",
        "zürich",
        "東京",
    ]


# --- star ----------------------------------------------------------------------------------------
def test_a_star_is_kept_and_listed_and_survives_a_rescore(api, fake_ollama):
    starred, other = ScoredArticleFactory(), ScoredArticleFactory()
    body = api.patch(f"/api/articles/{starred.id}", {"is_starred": True}, format="json").json()
    assert body["is_starred"] is True and body["starred_at"] is not None
    api.patch(f"/api/articles/{starred.id}", {"is_read": True}, format="json")
    assert ids(api.get("/api/articles?is_starred=true")) == [starred.id]
    assert other.id in ids(api.get("/api/articles?is_starred=false"))
    UserSettings.objects.update(categorization_model="ollama/qwen3:4b")
    articles_rescore(ids=[starred.id], mode="full")
    claim = services.article_claim(worker="w1")
    assert claim is not None and services.article_score(claim=claim) is services.Outcome.SCORED
    starred.refresh_from_db()
    assert starred.is_starred is True and starred.scoring_state == "scored"
    api.patch(f"/api/articles/{starred.id}", {"is_starred": False}, format="json")
    assert ids(api.get("/api/articles?is_starred=true")) == []


# --- mark all as read ----------------------------------------------------------------------------
def test_mark_read_by_feed_folder_topic_age_and_all(api):
    news = Folder.objects.create(reader=default_reader(), name="News")
    a_feed, b_feed = FeedFactory(folder=news), FeedFactory()
    rust = CategoryFactory(name="rust")
    old = timezone.now() - timedelta(days=3)
    in_folder = ScoredArticleFactory(feed=a_feed)
    topical = ScoredArticleFactory(feed=b_feed)
    topical.categories.add(rust)
    aged = ScoredArticleFactory(feed=b_feed, published_at=old)
    waiting = ArticleFactory(feed=b_feed)  # not scored yet: marked all the same
    fresh = ScoredArticleFactory(feed=b_feed)

    def mark(**body) -> int:
        response = api.post("/api/articles/mark-read", body, format="json")
        assert response.status_code == 200, response.content
        return response.json()["marked"]

    assert mark(folder_id=news.id) == 1
    assert mark(category="rust") == 1
    assert mark(older_than_days=1) == 1
    assert Reading.objects.filter(is_read=True).count() == 3
    assert mark(feed_id=b_feed.id) == 2  # `waiting` and `fresh`
    assert mark(all=True) == 0
    for article in (in_folder, topical, aged, waiting, fresh):
        article.refresh_from_db()
        assert article.is_read


def test_a_bulk_mark_needs_a_scope_and_text_fields_refuse_other_types(api):
    """`POST /api/articles/mark-read {}` marked all 417 articles read; `{"interests": 5}`
    saved "5"."""
    ScoredArticleFactory()
    empty = api.post("/api/articles/mark-read", {}, format="json")
    assert empty.status_code == 400 and "all" in empty.json()
    assert not Reading.objects.filter(is_read=True).exists()
    assert api.post("/api/articles/mark-read", {"all": True}, format="json").json()["marked"] == 1
    for value in (5, ["a"], {"a": 1}, True):
        typed = api.put("/api/preferences", {"interests": value}, format="json")
        assert typed.status_code == 400 and "interests" in typed.json(), value
    assert api.put("/api/preferences", {"interests": "rust"}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({"older_than_days": -1}, "older_than_days"), ({"feed": 1}, "feed"), ({"q": "?"}, "q")],
)
def test_mark_read_refuses_bad_filters_naming_them(api, body, field):
    ScoredArticleFactory()
    response = api.post("/api/articles/mark-read", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Reading.objects.filter(is_read=True).exists()


# --- opening marks read (a preference) -----------------------------------------------------------
def test_mark_read_on_open_is_a_preference_that_costs_no_rescore(api):
    assert api.get("/api/preferences").json()["mark_read_on_open"] is True
    ScoredArticleFactory(is_read=False)
    body = api.put("/api/preferences", {"mark_read_on_open": False}, format="json").json()
    assert body["mark_read_on_open"] is False and body["rescore_queued"] == 0
    assert Profile.of(default_reader()).mark_read_on_open is False


# --- feed discovery ------------------------------------------------------------------------------
def page(*links: tuple[str, str, str]) -> bytes:
    tags = "".join(f'<link rel="alternate" type="{t}" title="{n}" href="{h}">' for t, n, h in links)
    return f"<!doctype html><html><head><title>Site</title>{tags}</head><body>Hi</body></html>".encode()


def test_a_site_address_finds_its_feed(api, feeds):
    feeds.routes["/site/"] = Route(
        page(("application/rss+xml", "Posts", "../rss2.xml")), content_type="text/html"
    )
    response = api.post("/api/feeds", {"url": feeds.url_for("/site/")}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["url"] == feeds.url_for("/rss2.xml")
    again = api.post("/api/feeds", {"url": feeds.url_for("/site/")}, format="json")
    assert again.status_code == 400 and "already subscribed" in again.json()["url"][0]


def test_a_site_with_several_feeds_offers_the_choice(api, feeds):
    feeds.routes["/site/"] = Route(
        page(
            ("application/rss+xml", "Posts", "/rss2.xml"),
            ("application/atom+xml", "Comments", "/atom.xml"),
            ("application/rss+xml", "Posts again", "/rss2.xml"),
        ),
        content_type="text/html; charset=utf-8",
    )
    response = api.post("/api/feeds", {"url": feeds.url_for("/site/")}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "choose one" in body["url"][0]
    assert body["choices"] == [
        {"url": feeds.url_for("/rss2.xml"), "title": "Posts", "kind": "rss"},
        {"url": feeds.url_for("/atom.xml"), "title": "Comments", "kind": "atom"},
    ]
    assert not Feed.objects.exists()
    chosen = api.post("/api/feeds", {"url": body["choices"][1]["url"]}, format="json")
    assert chosen.status_code == 201


# --- folders -------------------------------------------------------------------------------------
def test_folders_hold_feeds_and_filter_the_list(api):
    made = api.post("/api/folders", {"name": "Tech"}, format="json")
    assert made.status_code == 201 and made.json()["feed_count"] == 0
    folder_id = made.json()["id"]
    assert api.post("/api/folders", {"name": "Tech"}, format="json").status_code == 400
    inside, outside = FeedFactory(), FeedFactory()
    moved = api.patch(f"/api/feeds/{inside.id}", {"folder_id": folder_id}, format="json")
    assert moved.status_code == 200 and moved.json()["folder_id"] == folder_id
    bad = api.patch(f"/api/feeds/{inside.id}", {"folder_id": 99999}, format="json")
    assert bad.status_code == 400 and "folder_id" in bad.json()
    kept = ScoredArticleFactory(feed=inside)
    ScoredArticleFactory(feed=outside)
    assert ids(api.get(f"/api/articles?folder_id={folder_id}")) == [kept.id]
    renamed = api.patch(f"/api/folders/{folder_id}", {"name": "Tech news"}, format="json")
    assert renamed.json() == {"id": folder_id, "name": "Tech news", "feed_count": 1}
    assert api.delete(f"/api/folders/{folder_id}").status_code == 204
    assert Subscription.objects.get(feed=inside).folder_id is None and Feed.objects.count() == 2


def test_opml_keeps_folders_both_ways(api, feeds):
    tech = Folder.objects.create(reader=default_reader(), name="Tech & Science")
    FeedFactory(url="https://a.example/feed", title="A", folder=tech)
    FeedFactory(url="https://b.example/feed", title="B")
    exported = api.get("/api/feeds/opml").content.decode()
    assert '<outline text="Tech &amp; Science" title="Tech &amp; Science">' in exported
    assert exported.index("a.example") > exported.index("Tech &amp; Science")
    Feed.objects.all().delete()
    Folder.objects.all().delete()
    opml = (
        "<opml version='2.0'><body>"
        f"<outline text='Reading'><outline text='R' xmlUrl='{feeds.url_for('/rss2.xml')}'/>"
        f"<outline text='A' xmlUrl='{feeds.url_for('/atom.xml')}'/></outline>"
        f"<outline text='Loose' xmlUrl='{feeds.url_for('/rss1.xml')}'/>"
        "</body></opml>"
    )
    upload = SimpleUploadedFile("f.opml", opml.encode(), content_type="text/x-opml")
    result = api.post("/api/feeds/opml", {"file": upload}, format="multipart").json()
    assert result["created"] == 3
    folders = dict(Subscription.objects.values_list("feed__url", "folder__name"))
    assert folders == {
        feeds.url_for("/rss2.xml"): "Reading",
        feeds.url_for("/atom.xml"): "Reading",
        feeds.url_for("/rss1.xml"): None,
    }


# --- the articles left out by the backfill -------------------------------------------------------
def test_skipped_articles_can_be_scored_on_request_with_their_cost_first(api, fake_ollama):
    skipped = [ArticleFactory(scoring_state="skipped") for _ in range(3)]
    UserSettings.objects.update(categorization_model="ollama/qwen3:4b")
    dry = api.post("/api/scoring/rescore?dry_run=1", {"skipped": True}, format="json").json()
    calls = 3 * calls_per_new_article()
    assert dry == {"queued": 0, "articles": 3, "llm_calls": calls, "dry_run": True}
    done = api.post("/api/scoring/rescore", {"skipped": True}, format="json").json()
    assert done["queued"] == 3
    assert {
        a.scoring_state for a in Reading.objects.filter(article_id__in=[a.pk for a in skipped])
    } == {"queued"}


def test_the_reading_page_counts_the_skipped_and_what_scoring_them_costs(client, user):
    for _ in range(3):
        ArticleFactory(scoring_state="skipped")
    UserSettings.objects.update(categorization_model="ollama/qwen3:4b")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "3 older articles were kept without a score" in page
    assert f"Score the newest 3 ({3 * calls_per_new_article()} LLM calls at most)" in page
