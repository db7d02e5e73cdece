"""The reader's Apps page (app password shown once, what the apps show, the ranked
feed) and the ranked feed itself: a secret Atom URL, best first, revocable."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Profile
from tests.factories import FeedFactory, ScoredArticleFactory, default_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def page() -> Client:
    client = Client()
    client.force_login(default_reader())
    return client


def test_an_app_password_is_made_on_the_page_and_shown_once(page, client):
    answer = page.post("/apps/", {"action": "password", "password": ""})
    assert answer.status_code == 200
    password = re.search(r'id="new-app-password">([^<]+)<', answer.content.decode()).group(1)
    login = client.post("/accounts/ClientLogin", {"Email": "operator", "Passwd": password})
    assert login.status_code == 200
    again = page.get("/apps/").content.decode()
    assert password not in again and "Set on" in again
    short = page.post("/apps/", {"action": "password", "password": "short"})
    assert short.status_code == 400 and "at least 12" in short.content.decode()
    page.post("/apps/", {"action": "password-delete"})
    assert (
        client.post("/accounts/ClientLogin", {"Email": "operator", "Passwd": password}).status_code
        == 401
    )


def test_what_the_apps_show_is_the_readers_choice(page):
    saved = page.post(
        "/apps/",
        {"action": "preferences", "top_picks_min_score": "8.5", "apps_score_in_title": "on"},
    )
    assert saved.status_code == 200
    profile = Profile.of(default_reader())
    assert (
        profile.top_picks_min_score,
        profile.apps_score_in_title,
        profile.apps_star_top_picks,
    ) == (8.5, True, False)
    bad = page.post("/apps/", {"action": "preferences", "top_picks_min_score": "lots"})
    assert bad.status_code == 400
    assert Profile.of(default_reader()).top_picks_min_score == 8.5


def test_the_ranked_feed_lists_the_readers_best_first_and_is_revocable(page, client):
    feed = FeedFactory()
    ScoredArticleFactory(feed=feed, composite_score=3.0, title="dull")
    ScoredArticleFactory(
        feed=feed, composite_score=9.0, title="great", score_reasoning="About <databases>"
    )
    ScoredArticleFactory(feed=feed, composite_score=7.5, title="fine")
    bob = get_user_model().objects.create_user("bob", password="bob-web-password-1")
    ScoredArticleFactory(
        feed=FeedFactory(reader=bob), composite_score=9.9, title="bob's", reader=bob
    )
    made = page.post("/apps/", {"action": "ranked-feed", "min_score": "7"}).content.decode()
    url = re.search(r'id="ranked-feed-url">([^<]+)<', made).group(1)
    path = url.split("testserver", 1)[1]
    atom = client.get(path)
    assert atom.status_code == 200 and atom["Content-Type"].startswith("application/atom+xml")
    body = atom.content.decode()
    titles = re.findall(r"<entry><title>([^<]+)</title>", body)
    assert titles == ["great", "fine"]
    assert "Sift score 9.0" in body and "&amp;lt;databases&amp;gt;" in body
    assert re.findall(
        r"<entry><title>([^<]+)</title>", client.get(path, {"min_score": "8"}).content.decode()
    ) == ["great"]
    assert client.get(path, {"min_score": "x"}).status_code == 400
    page.post("/apps/", {"action": "ranked-feed", "min_score": "5"})
    assert client.get(path).status_code == 404  # replaced: the old address is dead
    page.post("/apps/", {"action": "ranked-feed-revoke"})
    assert client.get("/feeds/ranked/" + "x" * 32).status_code == 404


def test_the_apps_page_needs_a_sign_in(client):
    assert client.get("/apps/").status_code == 302


def _concrete(route: str) -> str:
    for converter, value in (
        ("<int:", "1"),
        ("<id:", "1"),
        ("<path:", "feed/1"),
        ("<str:", "x" * 32),
    ):
        while converter in route:
            start = route.index(converter)
            route = route[:start] + value + route[route.index(">", start) + 1 :]
    return route


def _routes(patterns, prefix: str = "") -> list[str]:
    out: list[str] = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if hasattr(p, "url_patterns"):
            out += _routes(p.url_patterns, route)
        else:
            out.append(_concrete(route))
    return out


def test_every_app_route_refuses_a_stranger(client):
    """Walks sync's URL table, so a new route cannot forget to sign its caller in: no
    credentials, a wrong password or a forged token, and nothing of the reader's comes back."""
    from django.core.cache import cache

    from sync.urls import urlpatterns

    mine = ScoredArticleFactory(feed=FeedFactory(), title="private")
    routes = sorted(set(_routes(urlpatterns)))
    assert len(routes) > 30
    forged = {"HTTP_AUTHORIZATION": "GoogleLogin auth=operator/" + "0" * 64}
    for route in routes:
        path = "/" + route.lstrip("/")
        for method in (client.get, client.post):
            for extra in ({}, forged):
                cache.clear()  # failed sign-ins would soon answer 429 (tested elsewhere)
                response = method(path, **extra)
                body = response.content.decode()
                assert "private" not in body, path
                if path.startswith(("/fever", "/api/fever.php")):
                    assert response.status_code == 200 and '"auth": 0' in body, path
                elif path.startswith("/feeds/ranked/"):
                    assert response.status_code == 404, path
                else:
                    assert response.status_code == 401, (path, response.status_code)
    assert mine.title == "private"


def test_characters_xml_cannot_hold_leave_the_feeds_valid_xml(page, client, api):
    """A `&#11;` in a feed's title made the ranked feed and Google Reader's Atom answer 500,
    and the OPML export was not XML."""
    from defusedxml import ElementTree

    from tests.test_sync_greader import Reader

    feed = FeedFactory(title="Clinic\x0b news")
    ScoredArticleFactory(feed=feed, composite_score=9.0, title="Tab\x0bbed \x0ctitle")
    made = page.post("/apps/", {"action": "ranked-feed", "min_score": "5"}).content.decode()
    path = re.search(r'id="ranked-feed-url">([^<]+)<', made).group(1).split("testserver", 1)[1]
    ranked = client.get(path)
    assert ranked.status_code == 200
    assert b"Tabbed title" in ranked.content
    ElementTree.fromstring(ranked.content)
    app = Reader(default_reader())
    atom = app.client.get(
        "/reader/atom/user/-/state/com.google/reading-list",
        HTTP_AUTHORIZATION=f"GoogleLogin auth={app.auth}",
    )
    assert atom.status_code == 200, atom.content[:300]
    ElementTree.fromstring(atom.content)
    exported = api.get("/api/feeds/opml")
    assert exported.status_code == 200
    assert b"Clinic news" in exported.content
    ElementTree.fromstring(exported.content)
