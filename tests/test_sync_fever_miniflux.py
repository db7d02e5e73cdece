"""The Fever and Miniflux APIs at the edges clients and strangers reach: how each
signs in and refuses, paging, marks bounded in time, bad input named, and one reader
never reaching another's items."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.app_access import app_password_set
from articles.models import Reading
from sync.items import TOP_FEED_ID, TOP_ID_OFFSET
from tests.factories import FeedFactory, ScoredArticleFactory, default_reader

pytestmark = pytest.mark.django_db
PASSWORD = "app-password-0123"


def key(username: str = "operator", password: str = PASSWORD) -> str:
    return hashlib.md5(f"{username}:{password}".encode()).hexdigest()


@pytest.fixture
def ann():
    user = default_reader()
    app_password_set(user=user, password=PASSWORD)
    return user


def fever(client: Client, query: str, **data: str):
    response = client.post(f"/fever/?api&{query}", {"api_key": key(), **data})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["api_version"] == 3 and body["auth"] == 1 and "last_refreshed_on_time" in body
    return body


def test_fever_refuses_with_auth_0_and_takes_the_key_from_the_body_or_the_query(client, ann):
    refused = client.post("/fever/?api", {"api_key": key(password="wrong")})
    assert refused.status_code == 200 and refused.json() == {"api_version": 3, "auth": 0}
    assert client.get(f"/api/fever.php?api&api_key={key()}").json()["auth"] == 1
    assert client.post("/api/fever.php?api", {"api_key": key().upper()}).json()["auth"] == 1


def test_fever_items_page_by_id_both_ways_and_by_ids(client, ann):
    feed = FeedFactory()
    made = [
        ScoredArticleFactory(feed=feed, composite_score=8.0 if i < 2 else 3.0) for i in range(60)
    ]
    ids = sorted(a.id for a in made)
    first = fever(client, "items")
    assert [i["id"] for i in first["items"]] == ids[:50] and first["total_items"] == 62
    rest = fever(client, f"items&since_id={ids[49]}")["items"]
    top_ids = sorted(a.id + TOP_ID_OFFSET for a in made[:2])
    assert [i["id"] for i in rest] == ids[50:] + top_ids
    assert {i["feed_id"] for i in rest[-2:]} == {TOP_FEED_ID}
    down = fever(client, f"items&max_id={top_ids[1]}")["items"]
    assert [i["id"] for i in down[:3]] == [top_ids[0], ids[-1], ids[-2]]
    some = fever(client, f"items&with_ids={ids[3]},{top_ids[0]}")["items"]
    assert [i["id"] for i in some] == [ids[3], top_ids[0]]
    bad = client.post("/fever/?api&items&since_id=abc", {"api_key": key()})
    assert bad.status_code == 400 and "since_id" in bad.json()["error"]


def test_fever_marks_a_feed_read_up_to_before(client, ann):
    feed = FeedFactory()
    now = timezone.now()
    old = ScoredArticleFactory(feed=feed, published_at=now - timedelta(hours=2))
    new = ScoredArticleFactory(feed=feed, published_at=now)
    before = int((now - timedelta(hours=1)).timestamp())
    fever(client, "", mark="feed", **{"as": "read"}, id=str(feed.id), before=str(before))
    assert Reading.objects.get(article_id=old.id).is_read
    assert not Reading.objects.get(article_id=new.id).is_read
    fever(client, "", mark="group", **{"as": "read"}, id="0", before=str(int(now.timestamp()) + 1))
    assert Reading.objects.get(article_id=new.id).is_read
    assert fever(client, "unread_item_ids")["unread_item_ids"] == ""


def test_fever_and_miniflux_never_reach_another_readers_items(client, ann):
    theirs = ScoredArticleFactory(feed=FeedFactory(), composite_score=9.0)
    bob = get_user_model().objects.create_user("bob", password="bob-web-password-1")
    app_password_set(user=bob, password=PASSWORD)
    bob_key = key("bob")
    got = client.post("/fever/?api&items&unread_item_ids", {"api_key": bob_key}).json()
    assert got["items"] == [] and got["unread_item_ids"] == ""
    client.post(
        "/fever/?api", {"api_key": bob_key, "mark": "item", "as": "read", "id": str(theirs.id)}
    )
    basic = "Basic " + base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    assert client.get(f"/v1/entries/{theirs.id}", HTTP_AUTHORIZATION=basic).status_code == 404
    assert (
        client.get(f"/v1/feeds/{theirs.feed.id}/entries", HTTP_AUTHORIZATION=basic).status_code
        == 404
    )
    put = client.put(
        "/v1/entries", json.dumps({"entry_ids": [theirs.id], "status": "read"}),
        content_type="application/json", HTTP_AUTHORIZATION=basic,
    )  # fmt: skip
    assert put.status_code == 204
    assert client.get("/v1/entries", HTTP_AUTHORIZATION=basic).json() == {"total": 0, "entries": []}
    assert not Reading.objects.get(reader=ann, article_id=theirs.id).is_read


def basic(password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"operator:{password}".encode()).decode()


def test_miniflux_reads_newsboats_json_sent_as_a_form_and_names_bad_fields(client, ann):
    article = ScoredArticleFactory(feed=FeedFactory())
    # newsboat sends JSON with a form's content type and wants 204 with no body.
    put = client.put(
        "/v1/entries", json.dumps({"entry_ids": [article.id], "status": "read"}),
        content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=basic(),
    )  # fmt: skip
    assert put.status_code == 204 and put.content == b""
    assert Reading.objects.get(article_id=article.id).is_read
    for body, field in (
        ({"entry_ids": "1", "status": "read"}, "entry_ids"),
        ({"entry_ids": [article.id], "status": "gone"}, "status"),
    ):
        bad = client.put(
            "/v1/entries",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=basic(),
        )
        assert bad.status_code == 400 and bad.json()["error_message"].startswith(field)
    not_json = client.put(
        "/v1/entries", "{", content_type="application/json", HTTP_AUTHORIZATION=basic()
    )
    assert not_json.status_code == 400
    assert (
        client.get("/v1/entries?limit=x", HTTP_AUTHORIZATION=basic())
        .json()["error_message"]
        .startswith("limit")
    )
    assert client.get("/v1/entries?order=nope", HTTP_AUTHORIZATION=basic()).status_code == 400
    refused = client.get("/v1/me", HTTP_AUTHORIZATION=basic("wrong-password"))
    assert refused.status_code == 401 and refused.json() == {"error_message": "Access Unauthorized"}
    assert client.get("/v1/me").status_code == 401


def test_the_web_password_opens_no_app_api(client):
    user = default_reader()
    user.set_password("the-web-password-1")
    user.save()
    web = "Basic " + base64.b64encode(b"operator:the-web-password-1").decode()
    assert client.get("/v1/me", HTTP_AUTHORIZATION=web).status_code == 401
    login = client.post(
        "/accounts/ClientLogin", {"Email": "operator", "Passwd": "the-web-password-1"}
    )
    assert login.status_code == 401
    assert (
        client.post("/fever/?api", {"api_key": key(password="the-web-password-1")}).json()["auth"]
        == 0
    )
