"""What a hostile or broken app sends to the reading-app APIs: ids and times no column holds
(10^30, 5,000 digits), digits `int()` refuses (`²`), a body of 100,000 `[`, 40,000 ids in one
request, a folder name of 100,000 characters. Each protocol answers with its own error,
never a 500, and nothing is stored past the model's limits."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from accounts.app_access import app_password_set, fever_key_of
from articles.models import Folder
from tests.factories import FeedFactory, ScoredArticleFactory, default_reader
from tests.test_sync_greader import PASSWORD, Reader

pytestmark = pytest.mark.django_db

HUGE = str(10**30)
LONG = "9" * 5000
ODD = ["²", HUGE, LONG, "-1", "0x10", "١٢"]


@pytest.fixture
def ann() -> Reader:
    feed = FeedFactory()
    ScoredArticleFactory(feed=feed, title="one")
    return Reader(default_reader())


def test_google_reader_answers_every_odd_number_with_its_text_400(ann):
    for value in ODD:
        for path, data in [
            ("stream/contents", {"n": value}),
            ("stream/contents", {"c": value}),
            ("stream/contents", {"ot": value}),
            ("stream/items/ids", {"s": "user/-/state/com.google/reading-list", "n": value}),
            ("stream/items/ids", {"s": f"feed/{value}"}),
            ("stream/items/contents", {"i": value}),
        ]:
            answer = ann.get(path, **data)
            assert answer.status_code in (200, 400), (path, data, answer.status_code)
            if answer.status_code == 400:
                assert answer["Content-Type"].startswith("text/plain")
        for path, data in [
            ("edit-tag", {"i": value, "a": "user/-/state/com.google/read", "T": "x"}),
            ("mark-all-as-read", {"s": "user/-/state/com.google/reading-list", "ts": value, "T": "x"}),
            ("subscription/edit", {"ac": "edit", "s": f"feed/{value}", "t": "x", "T": "x"}),
        ]:  # fmt: skip
            answer = ann.post(path, data)
            assert answer.status_code in (200, 400), (path, data, answer.status_code)


def test_google_reader_answers_forty_thousand_ids_in_its_own_text(ann):
    body = "&".join(["i=1"] * 40_000) + "&a=user/-/state/com.google/read&T=x"
    answer = ann.client.post(
        "/reader/api/0/edit-tag", body, content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"GoogleLogin auth={ann.auth}",
    )  # fmt: skip
    assert answer.status_code == 400 and answer["Content-Type"].startswith("text/plain")
    assert b"<html" not in answer.content.lower()


def test_a_folder_renamed_past_its_limit_is_refused(ann):
    Folder.objects.create(reader=ann.user, name="Work")
    answer = ann.post("rename-tag", {"s": "user/-/label/Work", "dest": "user/-/label/" + "x" * 100_000, "T": "x"})  # fmt: skip
    assert answer.status_code == 400
    assert Folder.objects.get(reader=ann.user).name == "Work"


def fever(data: dict[str, str], query: str = "api") -> tuple[int, dict]:
    key = fever_key_of("operator", PASSWORD)
    answer = Client().post(f"/fever/?{query}", {"api_key": key, **data})
    return answer.status_code, answer.json()


def test_fever_answers_every_odd_number_with_its_json_error(ann):
    for value in ODD:
        for query, data in [
            ("api&items", {"since_id": value}),
            ("api&items", {"max_id": value}),
            ("api&items", {"with_ids": f"1,{value}"}),
            ("api", {"mark": "item", "as": "read", "id": value}),
            ("api", {"mark": "feed", "as": "read", "id": "1", "before": value}),
        ]:
            status, body = fever(data, query)
            assert status in (200, 400), (query, data, status)
            assert body["auth"] == 1
            if status == 400:
                assert "error" in body


def miniflux() -> Client:
    app_password_set(user=default_reader(), password=PASSWORD)
    basic = base64.b64encode(f"operator:{PASSWORD}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {basic}")


def test_miniflux_answers_odd_ids_and_bodies_with_its_json_error(ann):
    client = miniflux()
    for path in [
        f"/v1/entries/{HUGE}",
        f"/v1/feeds/{LONG}",
        f"/v1/feeds/{HUGE}/entries",
        "/v1/entries/²",
    ]:
        answer = client.get(path)
        assert answer.status_code == 404 and "error_message" in answer.json(), path
    for value in ODD:
        answer = client.get("/v1/entries", {"limit": value})
        assert answer.status_code in (200, 400) and answer.status_code != 500
        if answer.status_code == 400:
            assert "error_message" in answer.json()
    deep = client.put("/v1/entries", "[" * 100_000, content_type="application/json")
    assert deep.status_code == 400 and "error_message" in deep.json()
    ids = client.put("/v1/entries", json.dumps({"entry_ids": [10**30], "status": "read"}),
                     content_type="application/json")  # fmt: skip
    assert ids.status_code == 400 and "error_message" in ids.json()
