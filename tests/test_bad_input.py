"""Inputs that once reached a 500 or an HTML page, each now a 4xx that names the field (G5)."""

from __future__ import annotations

from html import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.admin import FeedAdminForm
from articles.models import Feed
from tests.factories import FeedFactory

pytestmark = pytest.mark.django_db

TOO_BIG = 99999999999999999999  # > 2**64


@pytest.mark.parametrize(
    ("query", "field"),
    [("skip=9223372036854775808", "skip"), (f"feed_id={TOO_BIG}", "feed_id")],
)
def test_out_of_range_list_integers_are_400(api, query, field):
    response = api.get(f"/api/articles?{query}")
    assert response.status_code == 400 and field in response.json()


def test_out_of_range_reorder_ids_are_400(api):
    response = api.patch("/api/feeds/reorder", {"feed_ids": [TOO_BIG]}, format="json")
    assert response.status_code == 400 and "feed_ids" in response.json()


@pytest.mark.parametrize(
    "path", ["/api/articles/abc", "/api/nope", f"/api/articles/{TOO_BIG}", f"/api/feeds/{TOO_BIG}"]
)
def test_unknown_api_paths_answer_json_404(api, path):
    response = api.get(path)
    assert response.status_code in (404, 405)
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_an_over_size_body_is_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.put("/api/preferences", {"interests": "x" * 20_000}, format="json")
    assert response.status_code == 413
    assert "larger than 10000 bytes" in response.json()["detail"]


def test_a_web_page_is_refused_saying_what_was_received(api, feeds):
    response = api.post("/api/feeds", {"url": feeds.url_for("/not-xml")}, format="json")
    assert response.status_code == 400
    message = response.json()["url"][0]
    assert "text/html" in message and "Content-type" not in message
    assert not Feed.objects.exists()


def test_opml_with_a_javascript_url_counts_it_as_skipped(api, feeds):
    opml = (
        "<opml version='2.0'><body>"
        "<outline text='evil' xmlUrl='javascript:alert(1)'/>"
        f"<outline text='ok' xmlUrl='{feeds.url_for('/rss2.xml')}'/>"
        "<outline text='a folder'><outline text='ftp' xmlUrl='ftp://example.org/feed'/></outline>"
        "</body></opml>"
    ).encode()
    upload = SimpleUploadedFile("f.opml", opml, content_type="text/x-opml")
    result = api.post("/api/feeds/opml", {"file": upload}, format="multipart").json()
    assert result == {"created": 1, "skipped": 2, "refused": []}
    assert list(Feed.objects.values_list("url", flat=True)) == [feeds.url_for("/rss2.xml")]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/feed.xml", "http"),
        ("/not-xml", "text/html"),
        ("/gone", "HTTP 404"),
    ],
)
def test_the_admin_feed_form_refuses_what_the_api_refuses(feeds, url, message):
    url = feeds.url_for(url) if url.startswith("/") else url
    form = FeedAdminForm(data={"url": url, "title": "", "display_order": 0})
    assert not form.is_valid()
    assert message in " ".join(form.errors["url"])


def test_the_admin_feed_form_accepts_a_real_feed(feeds):
    form = FeedAdminForm(data={"url": feeds.url_for("/rss2.xml"), "title": "", "display_order": 0})
    assert form.is_valid(), form.errors


def test_the_admin_feed_form_does_not_refetch_an_unchanged_url(feeds):
    feed = FeedFactory(url=feeds.url_for("/gone"))  # broken now, but not being changed
    form = FeedAdminForm(
        data={"url": feed.url, "title": "Renamed", "display_order": 1}, instance=feed
    )
    assert form.is_valid(), form.errors


# --- inputs that used to be a 500 --------------------------------------------------------
@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_deeply_nested_json_is_a_400(api, depth):
    for method, path in (
        ("PUT", "/api/settings"),
        ("POST", "/api/feeds"),
        ("POST", "/api/feeds/opml"),
    ):
        body = "[" * depth + "]" * depth
        response = api.generic(method, path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert "nested deeper than 32 levels" in response.json()["detail"]


def test_json_nested_within_the_limit_still_parses(api):
    body = '{"batch_sizes": ' + "[" * 10 + "]" * 10 + "}"
    response = api.generic("PUT", "/api/settings", body, content_type="application/json")
    assert response.status_code == 400 and "batch_sizes" in response.json()


def test_a_malformed_ps_answer_lists_the_models_without_load_marks(api, fake_ollama):
    fake_ollama.faults.malformed_ps = True
    response = api.get("/api/ollama/models")
    assert response.status_code == 200, response.content[:300]
    models = response.json()
    assert "qwen3:4b" in [m["name"] for m in models]
    assert not any(m["is_loaded"] for m in models)


def test_a_malformed_tags_answer_is_a_503_that_says_so(api, fake_ollama):
    from tests.fakes.ollama import FakeModel

    fake_ollama.installed["broken"] = FakeModel("broken")
    fake_ollama.installed["broken"].tag = lambda: {"model": ["not", "a", "name"], "size": "x"}
    response = api.get("/api/ollama/models")
    assert response.status_code == 503
    assert "not a model list" in response.json()["detail"]


ODD_URLS = ["http://0177.0.0.1/x", "http://[::1"]


def test_urls_the_fetcher_cannot_parse_are_refused_naming_them_and_the_other_outlines_kept(
    api, feeds
):
    """They gave 500 from OPML import (every other outline lost) and from Google Reader's
    quickadd; every door that adds a feed applies the one URL rule."""
    outlines = "".join(f"<outline text='odd' xmlUrl='{escape(u)}'/>" for u in ODD_URLS)
    opml = (
        f"<opml version='2.0'><body>{outlines}"
        f"<outline text='ok' xmlUrl='{feeds.url_for('/rss2.xml')}'/></body></opml>"
    ).encode()
    upload = SimpleUploadedFile("f.opml", opml, content_type="text/x-opml")
    answer = api.post("/api/feeds/opml", {"file": upload}, format="multipart")
    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert result["created"] == 1
    assert sorted(r["url"] for r in result["refused"]) == sorted(ODD_URLS)
    assert all("Not a valid URL" in r["reason"] for r in result["refused"])
    for url in ODD_URLS:
        added = api.post("/api/feeds", {"url": url}, format="json")
        assert added.status_code == 400 and "url" in added.json()


def test_a_page_sent_as_charset_idna_is_read_not_crashed_on(settings):
    from articles.fulltext import page_decoded

    body = "<html><body><p>Caf\u00e9 news</p></body></html>".encode()
    assert "Café news" in page_decoded(body, "text/html; charset=idna")
