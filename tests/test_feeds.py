"""Feed ingestion against a local feed server, and the feeds API."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from articles.models import Article, Feed, Reading, Subscription
from articles.services import feed_refresh
from tests.factories import ArticleFactory, FeedFactory, as_read, calls_per_new_article
from tests.fakes.feeds import Route

pytestmark = pytest.mark.django_db


def add(api, url):
    return api.post("/api/feeds", {"url": url}, format="json")


def test_rss2_feed_is_added_with_its_articles_queued(
    api, feeds, django_capture_on_commit_callbacks
):
    # Ingestion stores them unscored and announces them on commit; scoring queues them.
    with django_capture_on_commit_callbacks(execute=True):
        response = add(api, feeds.url_for("/rss2.xml"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == "Example RSS 2.0" and body["unread_count"] == 2
    articles = {a.url: as_read(a) for a in Article.objects.all()}
    assert set(articles) == {"https://example.org/postgres-18", "https://example.org/rust-2"}
    pg = articles["https://example.org/postgres-18"]
    assert pg.scoring_state == "queued" and pg.queued_at is not None
    assert pg.published_at.isoformat().startswith("2026-11-16T10:00:00")
    assert articles["https://example.org/rust-2"].title == "Rust 2.0 & you"


def test_html_is_sanitized(api, feeds):
    add(api, feeds.url_for("/rss2.xml"))
    add(api, feeds.url_for("/atom.xml"))
    for article in Article.objects.all():
        for html in (article.summary, article.content):
            assert "<script" not in html and "onerror" not in html and "onclick" not in html
            assert "javascript:" not in html
    pg = Article.objects.get(url="https://example.org/postgres-18")
    assert "<b>vacuum</b>" in pg.content
    served = api.get(f"/api/articles/{pg.id}").json()
    assert "<script" not in served["content"]


def test_atom_and_rss1(api, feeds):
    assert add(api, feeds.url_for("/atom.xml")).status_code == 201
    assert add(api, feeds.url_for("/rss1.xml")).status_code == 201
    one = Article.objects.get(url="https://example.net/one")
    assert one.author == "Alice" and "<em>content</em>" in one.content
    assert Article.objects.filter(url="https://example.com/rdf-1").exists()


def test_second_fetch_dedupes_and_uses_conditional_get(api, feeds):
    add(api, feeds.url_for("/rss2.xml"))
    feed = Feed.objects.get()
    assert feed.etag
    assert feed_refresh(feed=Feed.objects.get()) == 0
    assert feeds.requests[-1].headers.get("if-none-match") == feed.etag
    # A changed document with one new item and the old ones: only the new one is stored.
    body = feeds.routes["/rss2.xml"].body.replace(
        b"<item>", b"<item><title>New</title><link>https://example.org/new</link></item><item>", 1
    )
    feeds.routes["/rss2.xml"] = Route(body)
    assert feed_refresh(feed=Feed.objects.get()) == 1
    assert Article.objects.count() == 3


def test_same_url_in_two_feeds_is_stored_once(api, feeds):
    add(api, feeds.url_for("/rss2.xml"))
    feeds.routes["/copy.xml"] = feeds.routes["/rss2.xml"]
    response = add(api, feeds.url_for("/copy.xml"))
    assert response.status_code == 201 and response.json()["unread_count"] == 0
    assert Article.objects.count() == 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/gone", "HTTP 404"),
        ("/broken", "HTTP 500"),
        ("/not-xml", "feed"),
        ("/malformed.xml", "Not a well-formed feed (line 2, column 106: no element found)."),
        ("/unclosed.xml", "Not a well-formed feed (line 1, column"),
    ],
)
def test_broken_feeds_are_refused_on_add(api, feeds, path, message):
    feeds.routes["/unclosed.xml"] = Route(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    )
    response = add(api, feeds.url_for(path))
    assert response.status_code == 400, response.json()
    assert message in response.json()["url"][0]
    assert not Feed.objects.exists()


def test_entity_expansion_is_not_performed(api, feeds):
    response = add(api, feeds.url_for("/billion_laughs.xml"))
    assert response.status_code in (201, 400)
    for article in Article.objects.all():
        assert len(article.title) < 100 and "lollol" not in article.title
    for feed in Feed.objects.all():
        assert "lollol" not in feed.title


def test_timeout_is_reported(api, feeds, settings):
    settings.FEED_FETCH_TIMEOUT = 0.5
    response = add(api, feeds.url_for("/slow.xml"))
    assert response.status_code == 400 and "Timed out" in response.json()["url"][0]


def test_huge_feed_is_refused(api, feeds, settings):
    settings.FEED_MAX_BYTES = 1024
    feeds.routes["/huge.xml"] = Route(b"<rss>" + b"x" * 10_000 + b"</rss>")
    response = add(api, feeds.url_for("/huge.xml"))
    assert response.status_code == 400 and "larger than" in response.json()["url"][0]


def test_redirect_to_non_http_is_refused(api, feeds):
    feeds.routes["/sneaky"] = Route(status=302, location="file:///etc/passwd")
    response = add(api, feeds.url_for("/sneaky"))
    assert response.status_code == 400
    assert not Feed.objects.exists()


def test_a_broken_feed_records_its_error_and_the_others_refresh(feeds):
    good = FeedFactory(url=feeds.url_for("/atom.xml"))
    bad = FeedFactory(url=feeds.url_for("/broken"))
    assert feed_refresh(feed=bad) == 0
    assert feed_refresh(feed=good) == 2
    bad.refresh_from_db()
    good.refresh_from_db()
    assert "HTTP 500" in bad.last_error and bad.last_attempt_at is not None
    assert good.last_error == "" and good.last_fetched_at is not None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://example.com/feed"}, "url"),
        ({"url": "not a url"}, "url"),
        ({}, "url"),
        ({"url": "https://x.org/f", "x": 1}, "x"),
    ],
)
def test_bad_feed_input_is_400(api, payload, field):
    response = api.post("/api/feeds", payload, format="json")
    assert response.status_code == 400 and field in response.json()


def test_duplicate_feed_is_400(api, feeds):
    add(api, feeds.url_for("/atom.xml"))
    response = add(api, feeds.url_for("/atom.xml"))
    assert response.status_code == 400 and "already" in response.json()["url"][0]


def test_feed_list_patch_reorder_delete_and_mark_all_read(api):
    a, b = FeedFactory(display_order=1), FeedFactory(display_order=2)
    ArticleFactory.create_batch(2, feed=a)
    ArticleFactory(feed=a, is_read=True)
    listed = api.get("/api/feeds").json()
    assert [f["id"] for f in listed] == [a.id, b.id] and listed[0]["unread_count"] == 2
    assert (
        api.patch(f"/api/feeds/{a.id}", {"title": "Renamed"}, format="json").json()["title"]
        == "Renamed"
    )
    reordered = api.patch("/api/feeds/reorder", {"feed_ids": [b.id, a.id]}, format="json").json()
    assert [f["id"] for f in reordered] == [b.id, a.id]
    assert (
        api.patch("/api/feeds/reorder", {"feed_ids": [b.id, 999]}, format="json").status_code == 400
    )
    marked = api.post(f"/api/feeds/{a.id}/mark-all-read").json()
    assert marked["marked"] == 2
    assert api.delete(f"/api/feeds/{a.id}").status_code == 204
    assert not Article.objects.filter(feed_id=a.id).exists()
    assert api.delete(f"/api/feeds/{a.id}").status_code == 404


def test_refresh_endpoint_queues_one_task_per_feed_and_answers_202(
    api, feeds, django_capture_on_commit_callbacks, monkeypatch
):
    from articles import tasks

    sent: list[int] = []
    monkeypatch.setattr(
        tasks.refresh_feed, "apply_async", lambda args, **options: sent.append(args[0])
    )
    assert api.post("/api/feeds/refresh").json() == {"message": "No feeds configured.", "queued": 0}
    older = FeedFactory(url=feeds.url_for("/atom.xml"), last_attempt_at=timezone.now())
    never = FeedFactory(url=feeds.url_for("/rss2.xml"))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/feeds/refresh")
    assert response.status_code == 202 and response.json()["queued"] == 2
    assert sent == [never.id, older.id]  # least recently attempted first
    assert not Article.objects.exists()  # nothing fetched inside the request


def test_opml_round_trip(api, feeds):
    a, c = feeds.url_for("/rss2.xml"), feeds.url_for("/atom.xml")
    FeedFactory(url=a, title='A & "B"')
    FeedFactory(url=c, title="C")
    exported = api.get("/api/feeds/opml")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/x-opml")
    Feed.objects.all().delete()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("feeds.opml", exported.content, content_type="text/x-opml")
    result = api.post("/api/feeds/opml", {"file": upload}, format="multipart").json()
    assert result == {"created": 2, "skipped": 0, "refused": []}
    # The titles were the reader's (the feed's own ones come from the feed itself).
    subscriptions = Subscription.objects.values_list("feed__url", "title")
    assert set(subscriptions) == {(a, 'A & "B"'), (c, "C")}
    assert Article.objects.filter(feed__url=a).exists()  # fetched and stored in the import
    again = SimpleUploadedFile("feeds.opml", exported.content)
    assert api.post("/api/feeds/opml", {"file": again}, format="multipart").json() == {
        "created": 0,
        "skipped": 2,
        "refused": [],
    }


def test_opml_import_checks_each_feed_as_add_does(api, feeds):
    """A 404 or a web page that "Add feed" refuses is refused by an import too, with why."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = "".join(
        f"<outline text='{p}' xmlUrl='{feeds.url_for(p)}'/>"
        for p in ("/rss2.xml", "/gone", "/not-xml")
    )
    upload = SimpleUploadedFile("f.opml", f"<opml><body>{body}</body></opml>".encode())
    result = api.post("/api/feeds/opml", {"file": upload}, format="multipart").json()
    assert result["created"] == 1 and result["skipped"] == 0
    assert [(r["url"], r["reason"]) for r in result["refused"]] == [
        (feeds.url_for("/gone"), f"HTTP 404 from {feeds.url_for('/gone')}"),
        (feeds.url_for("/not-xml"), 'Not an RSS or Atom feed: the server sent text/html, a web page that names no feed (no <link rel="alternate"> to RSS or Atom).'),
    ]  # fmt: skip
    assert list(Feed.objects.values_list("url", flat=True)) == [feeds.url_for("/rss2.xml")]


def test_an_opml_file_with_too_many_feeds_is_refused_whole(api, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.OPML_MAX_FEEDS = 100
    body = "".join(f"<outline xmlUrl='https://f{i}.example/rss'/>" for i in range(101))
    upload = SimpleUploadedFile("f.opml", f"<opml><body>{body}</body></opml>".encode())
    response = api.post("/api/feeds/opml", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["file"] == [
        "The file lists more than 100 feeds; import at most 100 at once (OPML_MAX_FEEDS)."
    ]
    assert not Feed.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"<opml><body><outline",
        b"<html/>",
        b"not xml",
        (DATA := None) or b"<!DOCTYPE x [<!ENTITY a 'b'>]><opml>&a;</opml>",
    ],
)
def test_malformed_opml_is_400(api, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        "/api/feeds/opml", {"file": SimpleUploadedFile("x.opml", content)}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()
    assert not Feed.objects.exists()


def test_refresh_feeds_command(feeds, capsys):
    from django.core.management import call_command

    FeedFactory(url=feeds.url_for("/atom.xml"))
    call_command("refresh_feeds")
    assert "2 new articles from 1 feeds" in capsys.readouterr().out


def test_deeply_nested_feed_is_stored_safely(api, feeds):
    deep_html = "<div>" * 5000 + "<script>x()</script>deep" + "</div>" * 5000
    deep_xml = "<a>" * 5000 + "</a>" * 5000
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Deep</title>'
        "<item><title>Nested HTML</title><link>https://e.com/deep-html</link>"
        f"<description><![CDATA[{deep_html}]]></description></item>"
        "<item><title>Nested XML</title><link>https://e.com/deep-xml</link>"
        f"<description>{deep_xml}</description></item></channel></rss>"
    ).encode()
    feeds.routes["/deep.xml"] = Route(body)
    response = add(api, feeds.url_for("/deep.xml"))
    assert response.status_code in (201, 400)
    for article in Article.objects.all():
        assert "<script" not in article.content


def rss_dated(days_ago: list[float]) -> bytes:
    now = timezone.now()
    items = "".join(
        f"<item><title>Day {d}</title><link>https://example.org/d/{d}</link>"
        f"<pubDate>{format_datetime(now - timedelta(days=d))}</pubDate></item>"
        for d in days_ago
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>History</title>'
        f"<link>https://example.org/</link><description>x</description>{items}</channel></rss>"
    ).encode()


def test_a_new_feed_queues_only_its_recent_articles(
    api, feeds, settings, django_capture_on_commit_callbacks
):
    settings.FEED_BACKFILL_DAYS = 3
    feeds.routes["/history.xml"] = Route(body=rss_dated([0.5, 2, 10, 400]))
    with django_capture_on_commit_callbacks(execute=True):
        assert add(api, feeds.url_for("/history.xml")).status_code == 201
    states = dict(Reading.objects.values_list("article__title", "scoring_state"))
    assert states == {
        "Day 0.5": "queued", "Day 2": "queued", "Day 10": "skipped", "Day 400": "skipped",
    }  # fmt: skip
    status = api.get("/api/scoring/status").json()
    assert status["skipped"] == 2 and status["queued"] == 2
    listed = api.get("/api/articles?scoring_state=skipped").json()
    assert sorted(a["title"] for a in listed) == ["Day 10", "Day 400"]
    # Later fetches are not a backfill: what appears after the first fetch is scored.
    feeds.routes["/history.xml"] = Route(body=rss_dated([0.5, 2, 10, 400, 30]))
    feed_refresh(feed=Feed.objects.get())
    assert Reading.objects.get(article__title="Day 30").scoring_state == "unscored"


def test_skipped_articles_are_scored_on_request_and_the_cost_is_told_first(api, settings):
    skipped = ArticleFactory.create_batch(3, scoring_state="skipped")
    ids = [a.id for a in skipped]
    dry = api.post("/api/scoring/rescore?dry_run=1", {"article_ids": ids}, format="json")
    assert dry.status_code == 200
    per = calls_per_new_article()  # topics and a score: two calls, or one
    assert dry.json() == {"queued": 0, "articles": 3, "llm_calls": 3 * per, "dry_run": True}
    assert set(Reading.objects.values_list("scoring_state", flat=True)) == {"skipped"}
    only = api.post(
        "/api/scoring/rescore?dry_run=true",
        {"article_ids": ids, "mode": "score_only"},
        format="json",
    )
    assert only.json()["llm_calls"] == 3 * per  # no topics yet: each is categorized too
    done = api.post("/api/scoring/rescore", {"article_ids": ids[:2]}, format="json").json()
    assert done == {"queued": 2, "articles": 2, "llm_calls": 2 * per, "dry_run": False}
    assert sorted(Reading.objects.values_list("scoring_state", flat=True)) == [
        "queued", "queued", "skipped",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "query", "field"),
    [
        ({"article_ids": [999999]}, "", "article_ids"),
        ({"article_ids": ["x"]}, "", "article_ids"),
        ({"mode": "everything"}, "", "mode"),
        ({}, "?dry_run=perhaps", "dry_run"),
    ],
)
def test_bad_rescore_input_names_the_field(api, body, query, field):
    response = api.post(f"/api/scoring/rescore{query}", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_implausible_dates_are_the_fetch_time(feeds):
    """A date in the future or before 1990 (year 0001) never tops the list and
    never fails the feed: it is stored as the fetch time."""
    from articles.services import Fetched, feed_parse

    def item(n: int, date: str) -> str:
        return (
            f"<item><title>Item {n}</title><link>https://dates.example/{n}</link>"
            f"<pubDate>{date}</pubDate></item>"
        )

    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Dates</title>'
        + item(1, "Mon, 01 Jan 0001 00:00:00 GMT")
        + item(2, (timezone.now() + timedelta(days=30)).strftime("%a, %d %b %Y %H:%M:%S GMT"))
        + item(3, "Tue, 03 Jun 2025 10:00:00 GMT")
        + "</channel></rss>"
    )
    before = timezone.now()
    parsed = feed_parse(
        fetched=Fetched(
            body=rss.encode(), etag="", last_modified="", final_url="https://dates.example/"
        )
    )
    after = timezone.now()
    dates = {e["url"].rsplit("/", 1)[1]: e["published_at"] for e in parsed.entries}
    assert before <= dates["1"] <= after
    assert before <= dates["2"] <= after
    assert dates["3"].year == 2025


def test_unread_counts_leave_out_what_the_list_does_not_show(api):
    """Blocked, skipped and failed articles are not in the list, so not in the count."""
    from tests.factories import ScoredArticleFactory

    feed = FeedFactory()
    ScoredArticleFactory.create_batch(2, feed=feed)
    ArticleFactory(feed=feed, scoring_state=Article.ScoringState.SKIPPED)
    ArticleFactory(feed=feed, scoring_state=Article.ScoringState.FAILED)
    blocked = ScoredArticleFactory(feed=feed)
    blocked.rank.score = 0
    blocked.rank.save()
    (row,) = api.get("/api/feeds").json()
    listed = api.get("/api/articles", {"feed_id": feed.id, "is_read": "false"}).json()
    assert (
        row["unread_count"] == 2 == len(listed["articles"] if isinstance(listed, dict) else listed)
    )


def test_a_subscribed_feed_that_turns_malformed_keeps_what_parses_and_says_why(api, feeds):
    add(api, feeds.url_for("/rss2.xml"))
    feed = Feed.objects.get()
    body = feeds.routes["/rss2.xml"].body
    new = b"<item><title>New</title><link>https://example.org/new</link></item>"
    broken = body.replace(b"<item>", new + b"<item>", 1)
    feeds.routes["/rss2.xml"] = Route(broken[: broken.rindex(b"</item>")])  # cut mid-document
    feed_refresh(feed=feed)
    feed.refresh_from_db()
    assert feed.last_error.startswith("Not a well-formed feed (line")
    assert Article.objects.filter(url="https://example.org/new").exists()
    assert api.get("/api/feeds").json()[0]["last_error"] == feed.last_error
