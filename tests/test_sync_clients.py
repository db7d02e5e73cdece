"""Clients written by others against a live Sift: Debian's newsboat in its Google
Reader ("feedhq") and Miniflux modes, the official `miniflux` client, `google-reader` (by
Miniflux's author) and `freshrss-api` (a Fever client). Each syncs one reader's feeds,
sees Top picks in score order, and its marks reach Sift; another reader's items never
appear."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from accounts.app_access import app_password_set
from accounts.models import Profile
from articles.folders import folder_get_or_create
from articles.models import Reading, Subscription
from articles.services import subscription_update
from sync.items import TOP_FEED_ID, TOP_ID_OFFSET
from tests.factories import ArticleFactory, FeedFactory, ScoredArticleFactory, default_reader
from tests.live import ROOT
from tests.newsboat import NEWSBOAT, Newsboat

PASSWORD = "app-password-0123"
DOWN = "\x1bOB"  # the arrow key, as a terminal in keypad mode sends it
needs_newsboat = pytest.mark.skipif(NEWSBOAT is None, reason="Debian's newsboat is not installed")


def library(reader: Any) -> dict[str, Any]:
    """Two feeds (one in a folder) with scored articles, one still waiting, and another
    reader's feed that must never show."""
    app_password_set(user=reader, password=PASSWORD)
    tech = FeedFactory(reader=reader, title="Tech")
    subscription_update(
        subscription=Subscription.objects.get(reader=reader, feed=tech),
        folder=folder_get_or_create(reader=reader, name="Work"),
    )
    misc = FeedFactory(reader=reader, title="Misc")
    scores = {"okay": 7.5, "best": 9.6, "low": 2.0, "good": 8.2}
    made = {
        title: ScoredArticleFactory(
            feed=tech if i % 2 else misc, composite_score=s, title=title, reader=reader
        )
        for i, (title, s) in enumerate(scores.items())
    }
    made["waiting"] = ArticleFactory(feed=misc, title="waiting", reader=reader)
    bob = get_user_model().objects.create_user("bob", password="bob-web-password-1")
    ScoredArticleFactory(
        feed=FeedFactory(reader=bob, title="Bob's"),
        composite_score=9.9,
        title="bob's secret",
        reader=bob,
    )
    return made


@needs_newsboat
@pytest.mark.django_db(transaction=True)
def test_newsboat_in_google_reader_mode(live_server_asgi, tmp_path):
    ann = default_reader()
    made = library(ann)
    Profile.objects.filter(user=ann).update(apps_score_in_title=True)
    boat = Newsboat(tmp_path, {
        "urls-source": "feedhq", "feedhq-url": f"{live_server_asgi.url}/",  # with a slash: "//reader/…"
        "feedhq-login": "operator", "feedhq-password": PASSWORD,
        "feedhq-show-special-feeds": "no", "feedhq-min-items": "20",
        "article-sort-order": "title-desc",
    })  # fmt: skip
    boat.run("reload")
    assert "8 unread articles" in boat.run("print-unread")  # 5, and Top picks' 3 copies
    assert {f["title"] for f in boat.feeds()} == {"Tech", "Misc", "Sift · Top picks"}
    titles = [i["title"] for i in boat.items()]
    assert "[9.6] best" in titles and not any("bob" in t for t in titles)

    # Top picks, third in the list, shows best first: the score leads each title.
    screen = boat.press([DOWN, DOWN, "\n"])
    shown = screen[screen.rindex("Sift · Top picks") :]
    assert shown.index("[9.6] best") < shown.index("[8.2] good") < shown.index("[7.5] okay")

    # Opening Tech's first article marks it read; "A" on Misc marks that feed read: both
    # reach Sift, and nothing else is marked.
    boat.press(["\n", "\n", "q", "q", DOWN, "A", "q"])
    read = set(
        Reading.objects.filter(reader=ann, is_read=True).values_list("article_id", flat=True)
    )
    misc = {made["okay"].id, made["low"].id, made["waiting"].id}
    assert read == {made["best"].id} | misc

    # Marked read (and unread) in Sift, so it is in newsboat after its next reload.
    Reading.objects.filter(reader=ann, article_id=made["good"].id).update(is_read=True)
    Reading.objects.filter(reader=ann, article_id=made["low"].id).update(is_read=False)
    boat.run("reload")
    unread = {i["guid"]: i["unread"] for i in boat.items()}
    assert unread[f"tag:google.com,2005:reader/item/{made['good'].id:016x}"] == 0
    assert unread[f"tag:google.com,2005:reader/item/{made['low'].id:016x}"] == 1


@needs_newsboat
@pytest.mark.django_db(transaction=True)
def test_newsboat_in_miniflux_mode(live_server_asgi, tmp_path):
    ann = default_reader()
    made = library(ann)
    boat = Newsboat(tmp_path, {
        "urls-source": "miniflux", "miniflux-url": live_server_asgi.url,
        "miniflux-login": "operator", "miniflux-password": PASSWORD,
    })  # fmt: skip
    boat.run("reload")
    assert "8 unread articles" in boat.run("print-unread")
    # In this mode newsboat names a feed by its id.
    top_url = str(TOP_FEED_ID)
    assert {f["rssurl"] for f in boat.feeds()} == {
        str(made["best"].feed.id),
        str(made["okay"].feed.id),
        top_url,
    }
    items = boat.items()
    assert not any("bob" in i["title"] for i in items)
    # newsboat stores a feed's entries in the reverse of the order they came in.
    top = [i["title"] for i in reversed(items) if i["feedurl"] == top_url]
    assert top == ["best", "good", "okay"]

    boat.press(["\n", "\n", "q", "q", DOWN, "A", "q"])
    read = set(
        Reading.objects.filter(reader=ann, is_read=True).values_list("article_id", flat=True)
    )
    first_of_tech = {made["best"].id, made["good"].id} & read
    misc = {made["okay"].id, made["low"].id, made["waiting"].id}
    assert len(first_of_tech) == 1 and misc <= read and len(read) == 4

    # Marked unread in Sift: unread in newsboat after its next reload.
    Reading.objects.filter(reader=ann, article_id=made["low"].id).update(is_read=False)
    boat.run("reload")
    by_title = {(i["title"], i["feedurl"]): i["unread"] for i in boat.items()}
    assert by_title[("low", str(made["low"].feed.id))] == 1


@pytest.mark.django_db(transaction=True)
def test_the_official_miniflux_client(live_server_asgi):
    import miniflux

    ann = default_reader()
    made = library(ann)
    client = miniflux.Client(live_server_asgi.url, username="operator", password=PASSWORD)
    assert client.me()["username"] == "operator"
    assert [c["title"] for c in client.get_categories()] == ["All", "Work", "Sift"]
    feeds = client.get_feeds()
    assert [f["title"] for f in feeds] == ["Tech", "Misc", "Sift · Top picks"]
    top = client.get_feed_entries(feeds[2]["id"])
    assert [e["title"] for e in top["entries"]] == ["best", "good", "okay"]
    assert top["entries"][0]["score"] == 9.6 and top["entries"][0]["explanation"]
    ranked = client.get_entries(order="score", direction="desc", status="unread", limit=2)
    assert ranked["total"] == 5 and [e["title"] for e in ranked["entries"]] == ["best", "good"]
    assert client.get_entries(search="waiting")["entries"][0]["id"] == made["waiting"].id

    client.update_entries([made["low"].id, top["entries"][1]["id"]], status="read")
    read = set(
        Reading.objects.filter(reader=ann, is_read=True).values_list("article_id", flat=True)
    )
    assert read == {made["low"].id, made["good"].id}
    client.toggle_bookmark(made["okay"].id)
    assert Reading.objects.get(reader=ann, article_id=made["okay"].id).is_starred
    counters = client.get_feed_counters()
    assert sum(counters["unreads"].values()) == 3

    with pytest.raises(miniflux.ResourceNotFound):
        client.get_entry(Reading.objects.exclude(reader=ann).get().article_id)
    with pytest.raises(miniflux.BadRequest):
        client.update_entries([made["low"].id], status="gone")
    with pytest.raises(miniflux.AccessUnauthorized):
        miniflux.Client(live_server_asgi.url, username="operator", password="wrong-password").me()
    from accounts.services import token_create

    by_token = miniflux.Client(live_server_asgi.url, api_key=token_create(user=ann)[1])
    assert by_token.me()["username"] == "operator"


@pytest.mark.django_db(transaction=True)
def test_a_fever_client(live_server_asgi):
    """`freshrss-api` posts to `/api/fever.php?api&…` with the md5 key in the body."""
    from freshrss_api import AuthenticationError, FreshRSSAPI

    ann = default_reader()
    made = library(ann)
    client = FreshRSSAPI(host=live_server_asgi.url, username="operator", password=PASSWORD)
    groups = client.get_groups()
    assert [g["title"] for g in groups["groups"]] == ["Work", "Sift · Top picks"]
    top_group = {"group_id": TOP_ID_OFFSET, "feed_ids": str(TOP_FEED_ID)}
    assert top_group in groups["feeds_groups"]
    feeds = client.get_feeds()["feeds"]
    assert [f["title"] for f in feeds] == ["Tech", "Misc", "Sift · Top picks"]
    unread = client.get_unreads()
    by_feed: dict[int, list[str]] = {}
    for item in unread:
        by_feed.setdefault(item.feed_id, []).append(item.title)
    assert sorted(by_feed[TOP_FEED_ID]) == ["best", "good", "okay"]
    assert not any("bob" in i.title for i in unread) and len(unread) == 8

    client.set_mark("read", made["low"].id)
    client.set_mark("saved", made["best"].id + TOP_ID_OFFSET)  # a copy: the one reading
    reading = Reading.objects.get(reader=ann, article_id=made["best"].id)
    assert reading.is_starred and Reading.objects.get(reader=ann, article_id=made["low"].id).is_read
    assert [i.title for i in client.get_saved()] == ["best"]

    with pytest.raises(AuthenticationError):
        FreshRSSAPI(host=live_server_asgi.url, username="operator", password="not-it-at-all")


CLIENTS_PYTHON = ROOT / ".tools" / "clients" / "bin" / "python"


@pytest.mark.skipif(
    not CLIENTS_PYTHON.exists(), reason="needs Python >= 3.12 (make test sets it up)"
)
@pytest.mark.django_db(transaction=True)
def test_the_google_reader_client(live_server_asgi):
    ann = default_reader()
    made = library(ann)
    script = ROOT / "tests" / "clients" / "google_reader_session.py"
    out = subprocess.run(
        [str(CLIENTS_PYTHON), str(script), live_server_asgi.url, "operator", PASSWORD,
         str(made["low"].id), str(made["okay"].id)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["user"] == "operator" and seen["refused"]
    assert seen["subscriptions"] == ["Tech", "Misc", "Sift · Top picks"]
    assert "user/-/label/Work" in seen["tags"] and "user/-/label/Sift/Top" in seen["tags"]
    real = sorted(a.id for a in made.values())
    copies = sorted(made[t].id + TOP_ID_OFFSET for t in ("best", "good", "okay"))
    assert seen["unread"] == real + copies
    assert seen["top_titles"] == ["best", "good", "okay"]
    mine = Reading.objects.filter(reader=ann)
    assert set(mine.filter(is_read=True).values_list("article_id", flat=True)) == {made["low"].id}
    assert set(mine.filter(is_starred=True).values_list("article_id", flat=True)) == {
        made["okay"].id
    }
