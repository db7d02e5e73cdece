"""What a hostile or careless feed server sends cannot hold a worker, lock the database or
map the network Sift sits in."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from articles.models import Article, Feed
from articles.services import feed_refresh
from articles.stories import STORY_WINDOW, Candidate, StoryIndex, same_title, title_signature
from common.fetch import FetchError, fetch
from tests.factories import FeedFactory
from tests.fakes.feeds import Route

pytestmark = pytest.mark.django_db


def add(api, url):
    return api.post("/api/feeds", {"url": url}, format="json")


def test_a_dripping_server_is_cut_off_at_the_total_deadline(api, feeds, settings):
    """One byte a second never trips a per-read timeout; the whole fetch has one deadline."""
    settings.FEED_FETCH_TIMEOUT = 1.5
    feeds.routes["/drip.xml"] = Route(feeds.routes["/rss2.xml"].body, drip=0.2)
    started = time.monotonic()
    response = add(api, feeds.url_for("/drip.xml"))
    took = time.monotonic() - started
    assert response.status_code == 400
    assert "Timed out" in response.json()["url"][0] and "1.5 s" in response.json()["url"][0]
    assert took < 5, took  # 0.2 s a byte would take minutes
    assert not Feed.objects.exists()


def test_a_subscribed_feed_that_starts_dripping_records_the_timeout(feeds, settings):
    settings.FEED_FETCH_TIMEOUT = 1.0
    feeds.routes["/drip.xml"] = Route(feeds.routes["/rss2.xml"].body, drip=0.2)
    feed = FeedFactory(url=feeds.url_for("/drip.xml"))
    assert feed_refresh(feed=feed) == 0
    feed.refresh_from_db()
    assert "Timed out" in feed.last_error and feed.last_attempt_at is not None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{open}/rss2.xml",
        "http://127.0.0.1:{closed}/rss2.xml",
        "http://localhost:{open}/rss2.xml",
        "http://[::1]:{closed}/",
        "http://10.0.0.1/",
        "http://192.168.1.1/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{open}/rss2.xml",
        "http://0.0.0.0:{open}/rss2.xml",
    ],
)
def test_internal_addresses_are_refused_alike(api, feeds, settings, url):
    """With the setting on, every internal address gets one and the same answer, open port or
    closed, so the errors cannot map the network; nothing is fetched."""
    settings.FEED_REFUSE_INTERNAL = True
    before = len(feeds.requests)
    response = add(api, url.format(open=feeds.port, closed=_closed_port()))
    assert response.status_code == 400
    assert response.json()["url"] == [
        "Internal addresses (loopback, private, link-local) are not fetched on this server."
    ]
    assert len(feeds.requests) == before and not Feed.objects.exists()


def test_every_redirect_hop_is_checked(feeds, monkeypatch):
    """The check runs for every connection, so a public URL that redirects inward is refused
    too. Here 127.0.0.1 plays the public server (the suite cannot reach a real one) and the
    redirect goes to 127.0.0.2, an internal address."""
    import common.fetch

    real = common.fetch.is_public_address
    monkeypatch.setattr(common.fetch, "is_public_address", lambda a: a == "127.0.0.1" or real(a))
    feeds.routes["/hop"] = Route(status=302, location=f"http://127.0.0.2:{feeds.port}/rss2.xml")
    assert (
        fetch(feeds.url_for("/rss2.xml"), deadline=5, max_bytes=10**6, refuse_internal=True).status
        == 200
    )
    with pytest.raises(FetchError, match="Internal addresses"):
        fetch(feeds.url_for("/hop"), deadline=5, max_bytes=10**6, refuse_internal=True)
    assert [r.path for r in feeds.requests] == ["/rss2.xml", "/hop"]


def test_without_the_refusal_closed_and_silent_ports_read_alike(api, feeds):
    """Off (the laptop default), the texts still do not tell a closed port from an open port
    that speaks no HTTP."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        texts = []
        for port in (_closed_port(), silent.getsockname()[1]):
            url = f"http://127.0.0.1:{port}/feed"
            with pytest.raises(FetchError) as caught:
                fetch(url, deadline=2, max_bytes=1000)
            texts.append(caught.value.message.replace(str(port), "PORT"))
    finally:
        silent.close()
    assert texts[0] == texts[1] or "Timed out" in texts[1], texts
    assert texts[0] == "Could not fetch http://127.0.0.1:PORT/feed: no HTTP answer."


def test_internal_addresses_are_refused_by_default_on_every_install():
    """`make run` (DEBUG on) refused nothing: any reader could read the machine's own pages
    through a feed or full text."""
    import os
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; print(settings.FEED_REFUSE_INTERNAL)"
    env = {k: v for k, v in os.environ.items() if k != "FEED_REFUSE_INTERNAL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x" * 50,
               FIELD_ENCRYPTION_KEY="hXmFSNfpxouRO6kFNgZb8rI1GadxjmyskAirXQ5RdT4=")  # fmt: skip
    outs = {}
    for debug in ("false", "true"):
        result = subprocess.run([sys.executable, "-c", code], env={**env, "DEBUG": debug},
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        outs[debug] = result.stdout.strip() or result.stderr[-500:]
    assert outs == {"false": "True", "true": "True"}


def _big_feed(items: int, now: datetime) -> bytes:
    rows = "".join(
        f"<item><title>Release {i} of project number {i * 7}</title>"
        f"<link>https://big.example/{i}</link><guid>big-{i}</guid>"
        f"<pubDate>{(now - timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>Item {i}</description></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{rows}</channel></rss>'.encode()


def test_a_huge_feed_stores_only_the_newest_items_and_notes_the_rest(api, feeds, settings):
    settings.FEED_MAX_ITEMS = 50
    now = datetime.now(UTC).replace(microsecond=0)
    feeds.routes["/big.xml"] = Route(_big_feed(120, now))
    response = add(api, feeds.url_for("/big.xml"))
    assert response.status_code == 201, response.json()
    assert response.json()["entries_dropped"] == 70
    stored = set(Article.objects.values_list("url", flat=True))
    assert stored == {f"https://big.example/{i}" for i in range(50)}  # the newest fifty
    feed = Feed.objects.get()
    assert feed.entries_dropped == 70
    feeds.routes["/big.xml"] = Route(_big_feed(30, now))
    feed_refresh(feed=feed)
    feed.refresh_from_db()
    assert feed.entries_dropped == 0


def test_a_thousand_items_are_stored_in_short_transactions(api, feeds):
    """1,000 new items (FEED_MAX_ITEMS, the default): all stored, none taken for a copy of
    another (their numbers differ). The time it takes is measured by `make reliability`
    (R12), not here."""
    now = datetime.now(UTC).replace(microsecond=0)
    feeds.routes["/big.xml"] = Route(_big_feed(1000, now))
    response = add(api, feeds.url_for("/big.xml"))
    assert response.status_code == 201
    assert Article.objects.count() == 1000
    # Numbers differ between the titles, so none is a copy of another.
    assert not Article.objects.filter(story__isnull=False).exists()


def test_title_signatures_find_every_pair_the_comparison_would():
    """The index is exact: any two titles `same_title` accepts share a signature word."""
    import random

    rng = random.Random(7)
    words = ["apple", "launches", "the", "new", "iphone", "17", "today", "with", "a", "big", "pro"]
    titles = set()
    for _ in range(300):  # a title and a near copy of it: one word added, dropped or swapped
        title = [rng.choice(words) for _ in range(rng.randint(1, 14))]
        titles.add(" ".join(title))
        copy = list(title)
        position = rng.randrange(len(copy) + 1)
        edit = rng.choice(("add", "drop", "swap"))
        if edit == "add":
            copy.insert(position, rng.choice(words))
        elif copy and position < len(copy):
            if edit == "drop":
                del copy[position]
            else:
                copy[position] = rng.choice(words)
        titles.add(" ".join(copy))
    titles = sorted(titles)
    pairs = 0
    for a in titles:
        for b in titles:
            if a != b and same_title(a, b):
                pairs += 1
                assert set(title_signature(a)) & set(title_signature(b)), (a, b)
    assert pairs > 100


def test_the_story_index_finds_copies_by_url_and_title_within_the_window():
    at = datetime(2026, 11, 1, tzinfo=UTC)
    index = StoryIndex([Candidate(1, "https://a.example/x", "apple launches the iphone 17", at)])
    assert index.story_of("https://a.example/x", "something else", at + timedelta(hours=1)) == 1
    assert index.story_of("https://b.example/y", "apple launches iphone 17", at) == 1
    assert index.story_of("https://b.example/y", "apple launches iphone 18", at) is None
    late = at + STORY_WINDOW + timedelta(minutes=1)
    assert index.story_of("https://a.example/x", "apple launches iphone 17", late) is None
    index.add(Candidate("https://c.example/z", "https://c.example/z", "rust 1 95 released", at))
    assert (
        index.story_of("https://d.example/w", "rust 1 95 is released", at) == "https://c.example/z"
    )


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::7f00:1", "64:ff9b:1::a00:1", "2002:7f00:1::1", "::7f00:1", "::ffff:0:7f00:1",
     "fec0::1", "::ffff:10.0.0.1", "127.0.0.1", "fd00::1"],
)  # fmt: skip
def test_addresses_that_lead_inward_are_not_public(address):
    from common.fetch import is_public_address

    assert is_public_address(address) is False
    assert is_public_address("93.184.216.34") and is_public_address("2606:2800:220:1::1")


def test_the_operator_can_name_an_internal_host_readers_may_use(api, feeds, settings):
    settings.FEED_REFUSE_INTERNAL = True
    settings.FEED_INTERNAL_HOSTS = [f"127.0.0.1:{feeds.port}"]
    assert add(api, feeds.url_for("/rss2.xml")).status_code == 201
    settings.FEED_INTERNAL_HOSTS = ["127.0.0.1:1"]  # another port of the same host: refused
    assert add(api, feeds.url_for("/atom.xml")).status_code == 400
