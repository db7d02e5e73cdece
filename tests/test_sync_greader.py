"""The Google Reader API as apps call it: sign-in with the app password, the reader's
streams and items (Top picks in score order), every item id form and edit-token quirk
clients send, marks reaching Sift, and one reader never seeing another's items."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.app_access import app_password_set, edit_token_of
from accounts.models import Profile
from articles.models import Reading
from sync.items import TOP_ID_OFFSET
from tests.factories import ArticleFactory, FeedFactory, ScoredArticleFactory, default_reader

pytestmark = pytest.mark.django_db
PASSWORD = "app-password-0123"
STATE = "user/-/state/com.google/"


def login(client: Client, username: str = "operator", password: str = PASSWORD) -> str:
    response = client.post(
        "/accounts/ClientLogin", {"Email": username, "Passwd": password, "service": "reader"}
    )
    assert response.status_code == 200, response.content
    lines = dict(line.split("=", 1) for line in response.content.decode().splitlines())
    assert set(lines) == {"SID", "LSID", "Auth"}
    return lines["Auth"]


class Reader:
    """An app signed in as one reader."""

    def __init__(self, user: Any, prefix: str = "") -> None:
        app_password_set(user=user, password=PASSWORD)
        self.user, self.client, self.prefix = user, Client(), prefix
        self.auth = login(self.client, user.username)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(
            f"{self.prefix}/reader/api/0/{path}",
            params,
            HTTP_AUTHORIZATION=f"GoogleLogin auth={self.auth}",
        )

    def post(self, path: str, data: Any) -> Any:
        return self.client.post(
            f"{self.prefix}/reader/api/0/{path}",
            data,
            HTTP_AUTHORIZATION=f"GoogleLogin auth={self.auth}",
        )

    def ids(self, stream: str, **params: Any) -> list[int]:
        response = self.get("stream/items/ids", s=stream, n=1000, **params)
        assert response.status_code == 200, response.content
        return [int(ref["id"]) for ref in response.json()["itemRefs"]]


@pytest.fixture
def ann() -> Reader:
    return Reader(default_reader())


def a_feed(reader: Any = None, **kwargs: Any) -> Any:
    return FeedFactory(reader=reader or default_reader(), **kwargs)


def test_client_login_answers_the_three_lines_and_refuses_a_wrong_password(client):
    app_password_set(user=default_reader(), password=PASSWORD)
    assert login(client).startswith("operator/")
    wrong = client.post("/accounts/ClientLogin", {"Email": "operator", "Passwd": "web-password"})
    assert wrong.status_code == 401 and b"BadAuthentication" in wrong.content
    as_json = client.get(
        "/accounts/ClientLogin", {"Email": "operator", "Passwd": PASSWORD, "output": "json"}
    )
    assert as_json.json()["Auth"] == login(client)
    # FreshRSS's base URL too.
    assert (
        client.post(
            "/api/greader.php/accounts/ClientLogin", {"Email": "operator", "Passwd": PASSWORD}
        ).status_code
        == 200
    )


def test_a_new_app_password_signs_every_app_out(ann):
    assert ann.get("user-info").json()["userName"] == "operator"
    call_command("set_app_password", "operator", "another-password-42")
    refused = ann.get("user-info")
    assert refused.status_code == 401 and refused["X-Reader-Google-Bad-Token"] == "true"
    assert login(ann.client, "operator", "another-password-42")


def test_set_app_password_generates_one_when_none_is_given(capsys):
    default_reader()
    call_command("set_app_password", "operator")
    out = capsys.readouterr().out
    generated = out.rsplit(": ", 1)[1].strip()
    assert len(generated) >= 20
    assert login(Client(), "operator", generated)


def test_streams_hold_the_readers_items_and_top_picks_in_score_order(ann):
    feed = a_feed(title="Databases weekly")
    low = ScoredArticleFactory(feed=feed, composite_score=3.0, title="meh")
    best = ScoredArticleFactory(feed=feed, composite_score=9.5, title="best")
    good = ScoredArticleFactory(feed=feed, composite_score=8.0, title="good")
    waiting = ArticleFactory(feed=feed, title="not scored yet")
    subs = ann.get("subscription/list", output="json").json()["subscriptions"]
    assert [s["id"] for s in subs] == [f"feed/{feed.id}", "feed/sift-top"]
    assert subs[1]["title"] == "Sift · Top picks"

    assert set(ann.ids(f"feed/{feed.id}")) == {low.id, best.id, good.id, waiting.id}
    assert ann.ids(f"feed/{feed.id}", r="a")[:3] == [best.id, good.id, low.id]  # "magic" order
    top = ann.get("stream/contents/feed/sift-top", output="json").json()["items"]
    assert [i["title"] for i in top] == ["best", "good"]
    assert top[0]["id"] == f"tag:google.com,2005:reader/item/{best.id + TOP_ID_OFFSET:016x}"
    assert top[0]["origin"]["streamId"] == "feed/sift-top"
    assert "user/-/label/Sift/Top" in top[0]["categories"]
    # The reading list carries the top picks' copies, for apps that sync it alone.
    assert set(ann.ids(STATE + "reading-list")) == {
        low.id,
        best.id,
        good.id,
        waiting.id,
        best.id + TOP_ID_OFFSET,
        good.id + TOP_ID_OFFSET,
    }
    tags = ann.get("tag/list", output="json").json()["tags"]
    assert {"id": "user/-/label/Sift/Top", "label": "Sift/Top", "type": "tag"} in tags
    counts = {c["id"]: c["count"] for c in ann.get("unread-count").json()["unreadcounts"]}
    assert counts["feed/sift-top"] == 2 and counts[f"feed/{feed.id}"] == 4


def test_opt_in_stars_top_picks_and_puts_the_score_in_titles(ann):
    best = ScoredArticleFactory(feed=a_feed(), composite_score=8.44, title="best")
    Profile.objects.filter(user=ann.user).update(apps_star_top_picks=True, apps_score_in_title=True)
    (item,) = ann.get("stream/items/contents", i=str(best.id)).json()["items"]
    assert item["title"] == "[8.4] best"
    assert STATE + "starred" in item["categories"]
    assert ann.ids(STATE + "starred") == [best.id]


@pytest.mark.parametrize(
    "form",
    [
        lambda i: f"tag:google.com,2005:reader/item/{i:016x}",  # long, padded
        lambda i: f"tag:google.com,2005:reader/item/{i:x}",  # NetNewsWire: unpadded
        lambda i: f"{i:016x}",  # Reeder: bare 16 hex digits
        lambda i: str(i),  # decimal (Liferea, items/ids)
    ],
    ids=["long", "netnewswire", "reeder", "decimal"],
)
def test_every_item_id_form_names_the_same_item(ann, form):
    article = ScoredArticleFactory(feed=a_feed(), title="the one")
    ScoredArticleFactory.create_batch(3, feed=article.feed)
    got = ann.post("stream/items/contents", {"i": form(article.id)}).json()["items"]
    assert [i["title"] for i in got] == ["the one"]
    assert ann.post("edit-tag", {"i": form(article.id), "a": STATE + "read"}).content == b"OK"
    assert Reading.objects.get(reader=ann.user, article_id=article.id).is_read


@pytest.mark.parametrize(
    "token", ["", "x", "edit", "auth"], ids=["empty", "reeder-x", "edit", "auth"]
)
def test_edit_token_quirks_are_accepted(ann, token):
    article = ScoredArticleFactory(feed=a_feed())
    t = {"edit": edit_token_of(ann.user), "auth": ann.auth}.get(token, token)
    assert len(ann.get("token").content) == 57
    response = ann.post("edit-tag", {"i": str(article.id), "a": STATE + "starred", "T": t})
    assert response.status_code == 200, response.content
    assert Reading.objects.get(reader=ann.user, article_id=article.id).is_starred


def test_a_wrong_edit_token_and_bad_input_are_refused_by_name(ann):
    article = ScoredArticleFactory(feed=a_feed())
    bad_t = ann.post("edit-tag", {"i": str(article.id), "a": STATE + "read", "T": "forged"})
    assert bad_t.status_code == 401
    bad_i = ann.post("edit-tag", {"i": "not-an-id", "a": STATE + "read"})
    assert bad_i.status_code == 400 and b"i:" in bad_i.content
    bad_n = ann.get("stream/items/ids", s=STATE + "reading-list", n="many")
    assert bad_n.status_code == 400 and b"n:" in bad_n.content
    assert not Reading.objects.get(reader=ann.user, article_id=article.id).is_read
    assert Client().get("/reader/api/0/user-info").status_code == 401
    assert ann.get("no/such/route").json() == []  # as Miniflux answers


def test_mark_all_as_read_is_bounded_by_ts_in_seconds_or_microseconds(ann):
    feed = a_feed()
    now = timezone.now()
    old = ScoredArticleFactory(feed=feed, published_at=now - timedelta(hours=3))
    mid = ScoredArticleFactory(feed=feed, published_at=now - timedelta(hours=2))
    new = ScoredArticleFactory(feed=feed, published_at=now - timedelta(minutes=1))
    seconds = int((now - timedelta(hours=2, minutes=30)).timestamp())
    assert (
        ann.post("mark-all-as-read", {"s": f"feed/{feed.id}", "ts": str(seconds)}).content == b"OK"
    )
    read = set(
        Reading.objects.filter(reader=ann.user, is_read=True).values_list("article_id", flat=True)
    )
    assert read == {old.id}
    usec = int((now - timedelta(minutes=30)).timestamp() * 1_000_000)
    ann.post("mark-all-as-read", {"s": STATE + "reading-list", "ts": str(usec)})
    read = set(
        Reading.objects.filter(reader=ann.user, is_read=True).values_list("article_id", flat=True)
    )
    assert read == {old.id, mid.id}
    assert ann.ids(STATE + "reading-list", xt=STATE + "read") == [new.id]


def test_marks_on_a_top_picks_copy_reach_the_one_reading(ann):
    best = ScoredArticleFactory(feed=a_feed(), composite_score=9.0)
    ann.post("edit-tag", {"i": f"{best.id + TOP_ID_OFFSET:016x}", "a": STATE + "read"})
    assert Reading.objects.get(reader=ann.user, article_id=best.id).is_read
    # Marked read in Sift: the app sees it on its next sync.
    ann.post("edit-tag", {"i": str(best.id), "r": STATE + "read"})
    assert ann.ids("feed/sift-top", xt=STATE + "read") == [best.id + TOP_ID_OFFSET]


def test_one_reader_never_sees_or_marks_anothers_items(ann):
    bob_user = get_user_model().objects.create_user("bob", password="web-pass-bob-1")
    bob = Reader(bob_user)
    mine = ScoredArticleFactory(feed=a_feed(), composite_score=9.0)
    assert bob.ids(STATE + "reading-list") == []
    assert bob.get("subscription/list").json()["subscriptions"][0]["id"] == "feed/sift-top"
    assert bob.post("stream/items/contents", {"i": str(mine.id)}).json()["items"] == []
    bob.post("edit-tag", {"i": str(mine.id), "a": STATE + "read"})
    bob.post("mark-all-as-read", {"s": STATE + "reading-list"})
    assert not Reading.objects.get(reader=ann.user, article_id=mine.id).is_read
    refused = bob.post("subscription/edit", {"ac": "unsubscribe", "s": f"feed/{mine.feed.id}"})
    assert refused.status_code == 400
    assert ann.ids(f"feed/{mine.feed.id}") == [mine.id]


def test_continuation_pages_through_a_stream(ann):
    feed = a_feed()
    made = {a.id for a in ScoredArticleFactory.create_batch(5, feed=feed)}
    seen: list[int] = []
    continuation = ""
    for _ in range(5):
        params = {"s": f"feed/{feed.id}", "n": 2, **({"c": continuation} if continuation else {})}
        page = ann.get("stream/items/ids", **params).json()
        seen += [int(r["id"]) for r in page["itemRefs"]]
        continuation = page.get("continuation", "")
        if not continuation:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 5


def test_folders_are_labels_and_subscriptions_can_be_edited(ann):
    feed = a_feed(title="Rust news")
    assert (
        ann.post(
            "subscription/edit",
            {"ac": "edit", "s": f"feed/{feed.id}", "a": "user/-/label/Tech", "t": "Rust!"},
        ).content
        == b"OK"
    )
    (sub, _top) = ann.get("subscription/list").json()["subscriptions"]
    assert sub["title"] == "Rust!" and sub["categories"] == [
        {"id": "user/-/label/Tech", "label": "Tech"}
    ]
    assert {"id": "user/-/label/Tech", "label": "Tech", "type": "folder"} in ann.get(
        "tag/list"
    ).json()["tags"]
    article = ScoredArticleFactory(feed=feed)
    assert ann.ids("user/-/label/Tech") == [article.id]
    counts = {c["id"]: c["count"] for c in ann.get("unread-count").json()["unreadcounts"]}
    assert counts[f"feed/{feed.id}"] == 1 and counts["user/-/label/Tech"] == 1
    ann.post("rename-tag", {"s": "user/-/label/Tech", "dest": "user/-/label/Code"})
    assert ann.ids("user/-/label/Code") == [article.id]
    ann.post("subscription/edit", {"ac": "unsubscribe", "s": f"feed/{feed.id}"})
    assert ann.get("subscription/list").json()["subscriptions"][0]["id"] == "feed/sift-top"


def test_the_atom_form_lists_a_stream_with_its_item_ids(ann):
    feed = a_feed()
    article = ScoredArticleFactory(feed=feed, title="in atom", is_read=True)
    response = ann.client.get(
        f"/reader/atom/feed%2F{feed.id}",
        {"n": 20},
        HTTP_AUTHORIZATION=f"GoogleLogin auth={ann.auth}",
    )
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/atom+xml"
    )
    body = response.content.decode()
    assert f"<id>tag:google.com,2005:reader/item/{article.id:016x}</id>" in body
    assert 'term="user/-/state/com.google/read"' in body


def test_guessing_an_app_password_locks_that_account_from_that_address_only(client, settings):
    """Failures from one address locked every reader's valid credentials on every protocol."""
    from django.contrib.auth import get_user_model

    from accounts.app_access import fever_key_of

    app_password_set(user=default_reader(), password=PASSWORD)
    bob = get_user_model().objects.create_user(username="bob", password="bob-web-pass-123")
    app_password_set(user=bob, password="Bobs-App-Pass-99")
    # Bob's phone synced before anything happened.
    assert (
        Client()
        .post("/fever/?api", {"api_key": fever_key_of("bob", "Bobs-App-Pass-99")})
        .json()["auth"]
        == 1
    )
    for _ in range(settings.TOKEN_FAILURE_LIMIT):
        assert (
            client.post(
                "/accounts/ClientLogin", {"Email": "operator", "Passwd": "guess"}
            ).status_code
            == 401
        )
    # The guessed account is cut off from this address, even with the right password…
    assert (
        client.post("/accounts/ClientLogin", {"Email": "operator", "Passwd": PASSWORD}).status_code
        == 429
    )
    # …while another reader here signs in, by password and by the key their app used before.
    assert (
        client.post(
            "/accounts/ClientLogin", {"Email": "bob", "Passwd": "Bobs-App-Pass-99"}
        ).status_code
        == 200
    )
    assert (
        Client()
        .post("/fever/?api", {"api_key": fever_key_of("bob", "Bobs-App-Pass-99")})
        .json()["auth"]
        == 1
    )
    # A key first seen while the address is locked waits: a guesser's hit is not let in.
    locked = Client().post("/fever/?api", {"api_key": fever_key_of("operator", PASSWORD)})
    assert locked.status_code == 429
    # From elsewhere the guessed account signs in as usual.
    elsewhere = Client(REMOTE_ADDR="10.7.7.7")
    assert (
        elsewhere.post(
            "/accounts/ClientLogin", {"Email": "operator", "Passwd": PASSWORD}
        ).status_code
        == 200
    )
    assert client.get("/v1/me").status_code == 401  # no credentials: refused, not throttled


def test_oldest_first_and_a_time_window(ann):
    feed = a_feed()
    now = timezone.now()
    old = ScoredArticleFactory(feed=feed, published_at=now - timedelta(days=3))
    mid = ScoredArticleFactory(feed=feed, published_at=now - timedelta(days=2))
    new = ScoredArticleFactory(feed=feed, published_at=now - timedelta(hours=1))
    assert ann.ids(f"feed/{feed.id}", r="o") == [old.id, mid.id, new.id]
    window = {
        "ot": int((now - timedelta(days=2, hours=1)).timestamp()),
        "nt": int((now - timedelta(days=1)).timestamp()),
    }
    assert ann.ids(f"feed/{feed.id}", **window) == [mid.id]
    assert ann.get("stream/items/ids", s=f"feed/{feed.id}", ot="yesterday").status_code == 400


@pytest.mark.parametrize("url", ["http://0177.0.0.1/x", "http://[::1"])
def test_quickadd_of_a_url_the_fetcher_cannot_parse_is_a_400_naming_it(ann, url):
    answer = ann.post("subscription/quickadd", {"quickadd": url})
    assert answer.status_code == 400, answer.content
    assert b"Not a valid URL" in answer.content


def test_addresses_and_bodies_as_real_apps_send_them():
    """Liferea (and NetNewsWire, Fluent Reader after a trailing slash) ask for
    `/api/greader.php//accounts/ClientLogin`; some apps send ClientLogin as JSON; a Fever
    client may POST to `/fever?api` without the slash."""
    import json

    from accounts.app_access import fever_key_of

    app_password_set(user=default_reader(), password=PASSWORD)
    client = Client()
    doubled = client.post(
        "/api/greader.php//accounts/ClientLogin", {"Email": "operator", "Passwd": PASSWORD}
    )
    assert doubled.status_code == 200 and "Auth=" in doubled.content.decode()
    auth = doubled.content.decode().split("Auth=")[1].strip()
    listed = client.get("/api/greader.php//reader/api/0/subscription/list?output=json",
                        HTTP_AUTHORIZATION=f"GoogleLogin auth={auth}")  # fmt: skip
    assert listed.status_code == 200 and "subscriptions" in listed.json()
    as_json = client.post("/accounts/ClientLogin", json.dumps({"Email": "operator", "Passwd": PASSWORD, "output": "json"}),
                          content_type="application/json")  # fmt: skip
    assert as_json.status_code == 200 and as_json.json()["Auth"] == auth
    fever = client.post("/fever?api", {"api_key": fever_key_of("operator", PASSWORD)})
    assert fever.status_code == 200 and fever.json()["auth"] == 1
