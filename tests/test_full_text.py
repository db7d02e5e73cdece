"""The whole article, not the teaser. Saved pages (tests/data/pages) served from
127.0.0.1 are extracted to their text; a summary-only feed's articles are scored on, and
show, their full text, once for every reader; the per-feed switch and selectors work
through the API and the admin; failures keep the feed's text, say why and never stall
scoring."""

from __future__ import annotations

import time
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Profile
from articles import fulltext
from articles.models import Article, Extraction, Feed, Reading
from scoring import services
from tests.factories import default_reader
from tests.fakes.feeds import Route
from tests.live import Worker, purge_queues, wait_for

pytestmark = pytest.mark.django_db
PAGES = Path(__file__).resolve().parent / "data" / "pages"
TEASER = "The council voted on the tunnel."


@pytest.fixture(autouse=True)
def full_text_on(settings):
    settings.FULLTEXT_MIN_CHARS = 500
    settings.FULLTEXT_HOST_DELAY = 0
    settings.FULLTEXT_WAIT_SECONDS = 60


def page(name: str) -> str:
    return (PAGES / name).read_text()


def serve_pages(feeds: Any) -> dict[str, str]:
    """The saved pages, a PDF and a missing page, on the fake server: name → URL."""
    for name in ("news_article", "blog_post", "cookie_wall"):
        feeds.routes[f"/pages/{name}.html"] = Route(
            page(f"{name}.html").encode(), content_type="text/html; charset=utf-8"
        )
    feeds.routes["/pages/report.pdf"] = Route(
        b"%PDF-1.4 not a page", content_type="application/pdf"
    )
    feeds.routes["/pages/slow.html"] = Route(
        page("news_article.html").encode(), content_type="text/html", delay=3
    )
    names = [
        "news_article.html",
        "blog_post.html",
        "cookie_wall.html",
        "report.pdf",
        "missing.html",
        "slow.html",
    ]
    return {n: feeds.url_for(f"/pages/{n}") for n in names}


def summary_feed(feeds: Any, links: list[str], path: str = "/summaries.xml") -> str:
    now = timezone.now()
    items = "".join(
        f"<item><title>Story {i}</title><link>{escape(url)}</link><guid>{escape(url)}</guid>"
        f"<pubDate>{format_datetime(now)}</pubDate><description>{TEASER}</description></item>"
        for i, url in enumerate(links)
    )
    body = f"<rss version='2.0'><channel><title>Teasers</title>{items}</channel></rss>"
    feeds.routes[path] = Route(body.encode())
    return feeds.url_for(path)


def subscribe(client: APIClient, url: str) -> dict[str, Any]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/api/feeds", {"url": url}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def reader_api(user: Any = None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user or default_reader())
    return client


def extract_pending() -> list[str]:
    """What the worker's task does, for each pending article."""
    return [
        fulltext.article_extract(article_id=pk)
        for pk in Article.objects.filter(extraction=Extraction.PENDING).values_list("id", flat=True)
    ]


def test_saved_pages_give_their_article_text_and_nothing_around_it():
    news = fulltext.page_text(page("news_article.html"), url="https://post.example/tunnel")
    assert "Engineering firms have until March" in news and "seven to four" in news
    assert "Most read" not in news and "newsletter" not in news and "Advertisement" not in news
    blog = fulltext.page_text(page("blog_post.html"), url="https://blog.example/offset")
    assert "keyset pagination" in blog and "measure your deepest page" in blog
    assert "Great post!" not in blog and "Archives" not in blog and "Leave a reply" not in blog
    wall = fulltext.page_text(page("cookie_wall.html"), url="https://wall.example/")
    assert len(wall) < 400
    chosen = fulltext.page_text(
        page("news_article.html"), url="https://post.example/", selector=".story-body", remove="h2"
    )
    assert "Engineering firms" in chosen and "What happens next" not in chosen
    assert "City council approves" not in chosen  # the headline is outside the selector


def test_a_summary_only_feed_is_scored_on_and_shows_its_full_text(feeds, fake_ollama):
    pages = serve_pages(feeds)
    api = reader_api()
    feed = subscribe(
        api, summary_feed(feeds, [pages["news_article.html"], pages["blog_post.html"]])
    )
    assert set(Article.objects.values_list("extraction", flat=True)) == {Extraction.PENDING}
    # Scoring waits for the pages, rather than scoring the teaser and again later.
    assert services.article_claim(worker="w1") is None
    assert extract_pending() == [Extraction.DONE, Extraction.DONE]
    while (claim := services.article_claim(worker="w1")) is not None:
        services.article_score(claim=claim)
    prompts = [c.body["messages"][-1]["content"] for c in fake_ollama.calls("/api/chat")]
    assert any("Engineering firms have until March" in p for p in prompts)
    assert any("keyset pagination" in p for p in prompts)
    tunnel = Article.objects.get(url=pages["news_article.html"])
    assert tunnel.feed_content.strip() == TEASER and "finance committee" in tunnel.content
    shown = api.get(f"/api/articles/{tunnel.id}").json()
    assert "finance committee" in shown["content"] and shown["extraction"] == "done"
    browser = Client()
    browser.force_login(default_reader())
    page_view = browser.get(f"/read/{tunnel.id}/")  # the article inside Sift
    assert page_view.status_code == 200 and b"finance committee" in page_view.content
    assert Reading.objects.get(article=tunnel).is_read  # opening it marks it read
    assert feed["full_text"] == "auto"


def test_failures_keep_the_feeds_text_say_why_and_do_not_stall_scoring(feeds, settings):
    settings.FULLTEXT_TIMEOUT = 0.5
    pages = serve_pages(feeds)
    links = [pages[n] for n in ("cookie_wall.html", "report.pdf", "missing.html", "slow.html")]
    subscribe(reader_api(), summary_feed(feeds, links))
    assert extract_pending() == [Extraction.FAILED] * 4
    errors = {a.url.rsplit("/", 1)[1]: a.extraction_error for a in Article.objects.all()}
    assert "no article text" in errors["cookie_wall.html"]
    assert "not HTML" in errors["report.pdf"] and "application/pdf" in errors["report.pdf"]
    assert "404" in errors["missing.html"]
    assert errors["slow.html"]  # the deadline
    assert {a.content.strip() for a in Article.objects.all()} == {TEASER}
    assert services.article_claim(worker="w1") is not None  # nothing waits for a failure


def test_scoring_waits_only_briefly_for_a_page(feeds, settings):
    pages = serve_pages(feeds)
    subscribe(reader_api(), summary_feed(feeds, [pages["news_article.html"]]))
    assert services.article_claim(worker="w1") is None
    settings.FULLTEXT_WAIT_SECONDS = 0  # the wait is over: the feed's text is scored
    assert services.article_claim(worker="w1") is not None


def test_the_per_feed_switch_and_selectors_through_the_api(feeds):
    pages = serve_pages(feeds)
    api = reader_api()
    feed = subscribe(api, summary_feed(feeds, [pages["news_article.html"]]))
    bad = api.patch(f"/api/feeds/{feed['id']}", {"full_text_selector": "div[[["}, format="json")
    assert bad.status_code == 400 and "full_text_selector" in bad.json()
    assert (
        api.patch(f"/api/feeds/{feed['id']}", {"full_text": "sometimes"}, format="json").status_code
        == 400
    )
    changed = api.patch(
        f"/api/feeds/{feed['id']}",
        {
            "full_text": "always",
            "full_text_selector": ".story-body",
            "full_text_remove": "h2",
            "full_text_combine": "append",
        },
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["full_text_selector"] == ".story-body"
    extract_pending()
    article = Article.objects.get()
    assert article.content.startswith(TEASER) and "Engineering firms" in article.content
    assert "What happens next" not in article.content
    # Never: the next articles keep the feed's text, whatever its length.
    api.patch(f"/api/feeds/{feed['id']}", {"full_text": "never"}, format="json")
    summary_feed(feeds, [pages["news_article.html"], pages["blog_post.html"]])
    from articles.services import feed_refresh

    feed_refresh(feed=Feed.objects.get())
    assert Article.objects.get(url=pages["blog_post.html"]).extraction == Extraction.NONE


def test_a_long_feed_text_is_not_fetched_and_the_admin_sets_the_switch(feeds, admin_client):
    long_text = "word " * 200
    feeds.routes["/long.xml"] = Route(
        f"<rss version='2.0'><channel><title>Long</title><item><title>L</title><link>{feeds.url_for('/pages/x')}</link>"
        f"<description>{long_text}</description></item></channel></rss>".encode()
    )
    subscribe(reader_api(), feeds.url_for("/long.xml"))
    assert Article.objects.get().extraction == Extraction.NONE
    feed = Feed.objects.get()
    form = {
        "url": feed.url,
        "title": "Long",
        "full_text": "always",
        "full_text_selector": "article p",
        "full_text_remove": "",
        "full_text_combine": "replace",
    }
    saved = admin_client.post(f"/admin/articles/feed/{feed.pk}/change/", form)
    assert saved.status_code == 302, saved.content[:2000]
    feed.refresh_from_db()
    assert (feed.full_text, feed.full_text_selector) == ("always", "article p")
    refused = admin_client.post(
        f"/admin/articles/feed/{feed.pk}/change/", {**form, "full_text_remove": "p[["}
    )
    assert refused.status_code == 200 and b"Not a CSS selector" in refused.content


def test_a_shared_article_is_fetched_once_for_every_reader(feeds):
    pages = serve_pages(feeds)
    url = summary_feed(feeds, [pages["news_article.html"]])
    bob = get_user_model().objects.create_user("bob", password="bob-web-password-1")
    Profile.objects.create(user=bob, interests="tunnels")
    subscribe(reader_api(), url)
    subscribe(reader_api(bob), url)
    extract_pending()
    extract_pending()  # nothing left: a done article is not fetched again
    assert len(feeds.calls("/pages/news_article.html")) == 1
    assert {r.article.extraction for r in Reading.objects.select_related("article")} == {
        Extraction.DONE
    }


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_extracts_then_scores_on_the_full_text(feeds, fake_ollama):
    pages = serve_pages(feeds)
    purge_queues()
    worker = Worker(
        name="fulltext", concurrency=2, FULLTEXT_MIN_CHARS=500, FULLTEXT_HOST_DELAY=0
    ).start()
    try:
        subscribe(
            reader_api(), summary_feed(feeds, [pages["news_article.html"], pages["blog_post.html"]])
        )
        wait_for(
            lambda: Reading.objects.filter(scoring_state="scored").count() == 2,
            timeout=60, message="both articles scored",
        )  # fmt: skip
    finally:
        worker.stop()
    assert set(Article.objects.values_list("extraction", flat=True)) == {Extraction.DONE}
    prompts = [c.body["messages"][-1]["content"] for c in fake_ollama.calls("/api/chat")]
    assert any("Engineering firms have until March" in p for p in prompts)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_feed_page_sets_full_text(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.browser import wait
    from tests.factories import FeedFactory

    feed = FeedFactory(title="Teasers")
    page.get(f"{page.base}/sources/")
    row = page.find_element(By.CSS_SELECTOR, f"#feeds tr[data-id='{feed.id}']")
    row.find_element(By.CSS_SELECTOR, "details.full-text summary").click()
    Select(row.find_element(By.CSS_SELECTOR, ".ft-mode")).select_by_value("always")
    row.find_element(By.CSS_SELECTOR, ".ft-selector").send_keys("article .body")
    row.find_element(By.CSS_SELECTOR, "button[data-action='full-text']").click()
    wait(page, lambda d: "saved" in d.find_element(By.ID, "toast").text)
    feed.refresh_from_db()
    assert (feed.full_text, feed.full_text_selector) == ("always", "article .body")
    row.find_element(By.CSS_SELECTOR, ".ft-remove").send_keys("p[[")
    row.find_element(By.CSS_SELECTOR, "button[data-action='full-text']").click()
    wait(page, lambda d: "CSS selector" in d.find_element(By.ID, "toast").text)


def test_one_request_at_a_time_per_site(feeds):
    pages = serve_pages(feeds)
    subscribe(reader_api(), summary_feed(feeds, [pages["news_article.html"]]))
    article = Article.objects.get()
    host = feeds.url.split("//", 1)[1].split(":")[0]
    from django.core.cache import cache

    cache.add(f"sift:fulltext-host:{host}", 1, timeout=30)  # another worker is fetching
    with pytest.raises(fulltext.SiteBusy):
        fulltext.article_extract(article_id=article.pk)
    assert feeds.calls("/pages/") == []
    cache.delete(f"sift:fulltext-host:{host}")
    assert fulltext.article_extract(article_id=article.pk) == Extraction.DONE


def test_the_apps_get_the_full_text(feeds):
    import base64

    from accounts.app_access import app_password_set

    pages = serve_pages(feeds)
    subscribe(reader_api(), summary_feed(feeds, [pages["blog_post.html"]]))
    extract_pending()
    app_password_set(user=default_reader(), password="app-password-0123")
    auth = "Basic " + base64.b64encode(b"operator:app-password-0123").decode()
    (entry,) = Client().get("/v1/entries", HTTP_AUTHORIZATION=auth).json()["entries"]
    assert "keyset pagination" in entry["content"]


def _queued(queue: str) -> int:
    from config.celery import app

    with app.connection_for_write() as conn:
        return int(conn.default_channel._size(queue))


@pytest.mark.django_db(transaction=True)
def test_at_most_one_queued_fetch_per_pending_article_whatever_the_sweeps(feeds, settings):
    """A feed of 1,000 teasers on one site put 7,100 messages in the queue: every sweep
    sent each pending page again."""
    from scoring.services import queue_sweep

    purge_queues()
    settings.FULLTEXT_HOST_DELAY = 30
    links = [f"{feeds.url}/pages/teaser-{i}.html" for i in range(100)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        subscribe(reader_api(), summary_feed(feeds, links, path="/teasers.xml"))
    pending = Article.objects.filter(extraction=Extraction.PENDING).count()
    assert pending == 100 and _queued("fulltext") == 100
    settings.FULLTEXT_WAIT_SECONDS = 0  # every pending page is "late" for the sweep now
    for _ in range(3):
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert queue_sweep()["extractions_resent"] == 0
    assert _queued("fulltext") == 100
    purge_queues()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_site_of_teasers_does_not_hold_other_feeds_back(feeds, settings):
    from articles.models import Feed
    from articles.tasks import refresh_feed
    from common.queues import CeleryQueue

    purge_queues()
    for i in range(60):
        feeds.routes[f"/pages/slow-{i}.html"] = Route(page("news_article.html").encode(),
                                                      content_type="text/html", delay=0.5)  # fmt: skip
    links = [f"{feeds.url}/pages/slow-{i}.html" for i in range(60)]
    worker = Worker(
        name="feeds", concurrency=2, queues=CeleryQueue.feeds_names(),
        FULLTEXT_MIN_CHARS=500, FULLTEXT_HOST_DELAY=1, FULLTEXT_WAIT_SECONDS=60,
    ).start()  # fmt: skip
    try:
        subscribe(reader_api(), summary_feed(feeds, links, path="/teasers.xml"))
        other = summary_feed(feeds, [], path="/other.xml")
        subscribe(reader_api(), other)
        time.sleep(1)  # the teasers' pages are being fetched, one at a time
        feeds.routes["/other.xml"] = Route(
            f"<rss version='2.0'><channel><title>Other</title><item><title>Fresh</title>"
            f"<link>https://other.example/fresh</link><description>{'x' * 600}</description>"
            "</item></channel></rss>".encode()
        )
        started = time.monotonic()
        refresh_feed.delay(Feed.objects.get(url=other).id)
        wait_for(lambda: Article.objects.filter(title="Fresh").exists(), timeout=10,
                 message="the other feed refreshed within 10 s")  # fmt: skip
        print(f"\n[fulltext] other feed refreshed in {time.monotonic() - started:.1f} s")
    finally:
        worker.stop()
        purge_queues()
