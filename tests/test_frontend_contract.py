"""The seed frontend's calls, replayed against a live Sift (uvicorn, a real Celery worker, the
fake Ollama), each answer checked field by field, by name and JSON type, as that frontend
reads it (`../shared/reference/frontend-contract.md`, rss-reader phase 07 `lib/api.ts`).

The frontend sends `Content-Type: application/json` and nothing else; a same-origin proxy adds
`Authorization: Token …`. Paths have no trailing slash.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import httpx
import pytest

from articles.models import Article, Reading
from tests.live import Worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NUMBER = (int, float)  # a JavaScript number; bool is excluded below
NULLABLE_STR = (str, type(None))
NULLABLE_NUMBER = (int, float, type(None))

ARTICLE_FIELDS: dict[str, Any] = {
    "id": int,
    "feed_id": int,
    "title": str,
    "url": str,
    "author": NULLABLE_STR,
    "published_at": NULLABLE_STR,
    "summary": NULLABLE_STR,
    "content": NULLABLE_STR,
    "is_read": bool,
    "categories": (list, type(None)),
    "interest_score": NULLABLE_NUMBER,
    "quality_score": NULLABLE_NUMBER,
    "composite_score": NULLABLE_NUMBER,
    "score_reasoning": NULLABLE_STR,
    "scoring_state": str,
}


def check(obj: Any, fields: dict[str, Any], where: str) -> None:
    """Every field the frontend reads is present with a JSON type it can use."""
    assert isinstance(obj, dict), f"{where}: expected an object, got {type(obj).__name__}"
    for name, types in fields.items():
        assert name in obj, f"{where}: missing {name!r}"
        value = obj[name]
        wanted = types if isinstance(types, tuple) else (types,)
        if isinstance(value, bool) and bool not in wanted:
            raise AssertionError(f"{where}.{name}: a boolean where a number/string is read")
        assert isinstance(value, wanted), f"{where}.{name}: {value!r} is not {wanted}"


class Frontend:
    """What the seed frontend's `fetch` calls look like behind the token-adding proxy."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            timeout=30,
        )

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        content = json.dumps(body) if body is not None else None
        response = self.client.request(method, path, content=content)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def json(self, method: str, path: str, body: Any = None) -> Any:
        return self.call(method, path, body).json()


@pytest.fixture
def frontend(live_server_asgi, token, fake_ollama, pull_worker):
    worker = Worker(name="contract", concurrency=2, OLLAMA_HOST=fake_ollama.url).start()
    yield Frontend(live_server_asgi.url, token)
    worker.stop()


def test_every_call_of_the_seed_frontend(frontend, feeds, fake_ollama):
    # 18. The model configuration the settings page saves (a model the fake has installed).
    saved = frontend.json(
        "PUT",
        "/api/ollama/config",
        {
            "categorization_model": "qwen3:4b",
            "scoring_model": "qwen3:4b",
            "use_separate_models": False,
            "rescore": False,
        },
    )
    check(saved, {"rescore_queued": int}, "PUT /api/ollama/config")

    # 5. Add a feed: its articles are fetched and scored by the real worker.
    fake_ollama.latency = 0.3  # long enough to see a call in flight below
    feed = frontend.json("POST", "/api/feeds", {"url": feeds.url_for("/rss2.xml")})
    check(feed, {"id": int, "title": str, "unread_count": int}, "POST /api/feeds")

    # 14. While scoring runs, the status names the article and the LLM call it is in.
    def in_flight() -> dict[str, Any] | None:
        status = frontend.json("GET", "/api/scoring/status")
        return status if status["current_article_id"] is not None else None

    status = wait_for(in_flight, timeout=30, interval=0.05, message="an article in flight")
    check(
        status,
        {
            "unscored": int,
            "queued": int,
            "scoring": int,
            "blocked": int,
            "current_article_id": int,
            "phase": str,
        },
        "GET /api/scoring/status",
    )
    assert status["phase"] in ("categorizing", "scoring")
    n_articles = Article.objects.filter(feed_id=feed["id"]).count()
    assert n_articles >= 2
    wait_for(
        lambda: Reading.objects.filter(scoring_state="scored").count() == n_articles,
        timeout=60,
        message="every article scored",
    )
    fake_ollama.latency = 0.0
    idle = frontend.json("GET", "/api/scoring/status")
    assert idle["phase"] == "idle" and idle["current_article_id"] is None

    # 1. The list, with each of the frontend's parameters; a bare JSON array.
    for query in (
        "limit=50",
        "limit=250",  # the fifth "Load more": clamped, never a 400
        "limit=50&is_read=false",
        f"limit=50&feed_id={feed['id']}",
        "limit=50&sort_by=published_at&order=asc",
        "limit=50&sort_by=composite_score&order=desc",
        "limit=50&scoring_state=pending",
        "limit=50&scoring_state=blocked",
        "limit=50&exclude_blocked=false",
    ):
        articles = frontend.json("GET", f"/api/articles?{query}")
        assert isinstance(articles, list), query
        for article in articles:
            check(article, ARTICLE_FIELDS, f"GET /api/articles?{query}")
            assert all(isinstance(c, str) for c in article["categories"] or [])
    articles = frontend.json("GET", "/api/articles?limit=50")
    assert len(articles) == n_articles
    first = articles[0]

    # 2, 3. One article; mark it read.
    check(frontend.json("GET", f"/api/articles/{first['id']}"), ARTICLE_FIELDS, "GET article")
    frontend.call("PATCH", f"/api/articles/{first['id']}", {"is_read": True})
    assert frontend.json("GET", f"/api/articles/{first['id']}")["is_read"] is True

    # 4. Feeds.
    feeds_list = frontend.json("GET", "/api/feeds")
    assert isinstance(feeds_list, list) and len(feeds_list) == 1
    check(
        feeds_list[0], {"id": int, "title": str, "url": str, "unread_count": int}, "GET /api/feeds"
    )
    assert feeds_list[0]["unread_count"] == n_articles - 1

    # 6, 8, 9. Rename, reorder, mark all read.
    frontend.call("PATCH", f"/api/feeds/{feed['id']}", {"title": "Renamed"})
    frontend.call("PATCH", f"/api/feeds/{feed['id']}", {"display_order": 3})
    frontend.call("PATCH", "/api/feeds/reorder", {"feed_ids": [feed["id"]]})
    frontend.call("POST", f"/api/feeds/{feed['id']}/mark-all-read")
    assert frontend.json("GET", "/api/feeds")[0]["unread_count"] == 0

    # 12. Categories: a sorted array of names, each rendered as text.
    categories = frontend.json("GET", "/api/categories")
    assert isinstance(categories, list) and categories
    assert all(isinstance(name, str) for name in categories)
    assert categories == sorted(categories)

    # 13, 10. Change a weight; the preferences show it in `topic_weights`.
    name = categories[0]
    frontend.call("PATCH", f"/api/categories/{urllib.parse.quote(name, safe='')}/weight", {"weight": "high"})  # fmt: skip
    prefs = frontend.json("GET", "/api/preferences")
    check(
        prefs,
        {"interests": str, "anti_interests": str, "topic_weights": dict},
        "GET /api/preferences",
    )
    assert prefs["topic_weights"][name] == "high"
    assert set(prefs["topic_weights"]) == set(categories)
    assert set(prefs["topic_weights"].values()) <= {"blocked", "low", "neutral", "medium", "high"}

    # 11. Save interests.
    frontend.call("PUT", "/api/preferences", {"interests": "rust, databases", "anti_interests": "celebrity gossip"})  # fmt: skip
    assert frontend.json("GET", "/api/preferences")["interests"] == "rust, databases"

    # 15, 16, 17, 19. The Ollama panel.
    check(
        frontend.json("GET", "/api/ollama/health"),
        {"connected": bool, "version": NULLABLE_STR, "latency_ms": NULLABLE_NUMBER},
        "GET /api/ollama/health",
    )
    models = frontend.json("GET", "/api/ollama/models")
    assert isinstance(models, list) and models
    for model in models:
        check(
            model,
            {
                "name": str,
                "size": NUMBER,
                "parameter_size": NULLABLE_STR,
                "quantization_level": NULLABLE_STR,
                "is_loaded": bool,
            },
            "GET /api/ollama/models",
        )
    check(
        frontend.json("GET", "/api/ollama/config"),
        {"categorization_model": str, "scoring_model": str, "use_separate_models": bool},
        "GET /api/ollama/config",
    )
    check(
        frontend.json("GET", "/api/ollama/prompts"),
        {"categorization_prompt": str, "scoring_prompt": str},
        "GET /api/ollama/prompts",
    )

    # 22, 21, 23. Pull as the frontend reads it: split on blank lines, `data: ` JSON; a
    # failure is an event with `error`; the stream ending otherwise is success.
    events = pull_like_the_frontend(frontend, "gemma3:4b")
    assert events and not any("error" in e and e["error"] for e in events)
    for event in events:
        check(event, {"status": str}, "pull event")
        assert isinstance(event.get("completed", 0), NUMBER)
        assert isinstance(event.get("total", 0), NUMBER)
    download = frontend.json("GET", "/api/ollama/download-status")
    check(
        download,
        {
            "active": bool,
            "model": NULLABLE_STR,
            "completed": NUMBER,
            "total": NUMBER,
            "status": NULLABLE_STR,
        },
        "GET /api/ollama/download-status",
    )
    assert download["active"] is False and download["model"] == "gemma3:4b"

    # A cancelled pull must not read as success to that frontend.
    fake_ollama.pull_interval, fake_ollama.pull_steps = 0.05, 400
    cancelled = pull_like_the_frontend(frontend, "llama3.2:3b", cancel_after=2)
    assert cancelled[-1].get("error"), cancelled[-1]

    # 20. Delete a model that is not in use.
    frontend.call("DELETE", f"/api/ollama/models/{urllib.parse.quote('gemma3:4b', safe='')}")
    assert "gemma3:4b" not in fake_ollama.installed

    # 7. Remove the feed.
    frontend.call("DELETE", f"/api/feeds/{feed['id']}")
    assert frontend.json("GET", "/api/feeds") == []


def pull_like_the_frontend(
    frontend: Frontend, model: str, cancel_after: int | None = None
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    buffer = ""
    with frontend.client.stream(
        "POST", "/api/ollama/models/pull", content=json.dumps({"model": model})
    ) as response:
        assert response.status_code == 200, response.read()
        for chunk in response.iter_text():
            buffer += chunk
            *blocks, buffer = buffer.split("\n\n")
            for block in blocks:
                if block.startswith("data: "):
                    events.append(json.loads(block[6:]))
                    if cancel_after is not None and len(events) == cancel_after:
                        frontend.call("POST", "/api/ollama/models/pull/cancel")
    return events
