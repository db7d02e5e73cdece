from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def test_health_answers_ok_without_auth(anon):
    response = anon.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _api_routes() -> list[str]:
    """Every concrete URL under /api/, with sample values for its parameters."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                for token, sample in (
                    ("<int:pk>", "1"),
                    ("<path:name>", "qwen3:4b"),
                    ("<str:name>", "tech"),
                    ("<int:feed_id>", "1"),
                ):
                    route = route.replace(token, sample)
                found.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return [r for r in found if r.startswith("/api/")]


PUBLIC: set[str] = set()
# Other servers' APIs at the paths apps expect, which refuse in their own protocol's way
# (Fever: 200 with "auth": 0): tests/test_sync_pages.py walks them.
FOREIGN = ("/api/greader.php/", "/api/fever.php")


def test_every_api_route_refuses_anonymous_callers(anon):
    routes = [r for r in _api_routes() if r not in PUBLIC and not r.startswith(FOREIGN)]
    assert len(routes) >= 4
    for route in routes:
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(anon, method)(route)
            assert response.status_code in (401, 403, 405), (method, route, response.status_code)
            if response.status_code == 405:
                continue
            assert "detail" in response.json()


def test_token_authentication_is_accepted(user, token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/settings").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/settings").status_code == 401


def test_ready_reports_database_broker_and_llm_without_auth(anon, fake_ollama):
    body = anon.get("/ready").json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True} and body["broker"] == {"ok": True}
    assert body["llm"]["ok"] is True and body["llm"]["scoring_paused"] is False


def test_ready_with_the_llm_down_stays_200_and_says_so(anon, client, user, fake_ollama):
    """Anonymous callers get states; why is upstream text, for signed-in users only."""
    from scoring.services import readiness_set

    fake_ollama.stop()
    readiness_set(ready=False, reason="Ollama is unreachable: ConnectError")
    response = anon.get("/ready")
    assert response.status_code == 200
    assert response.json()["llm"] == {"ok": False, "scoring_paused": True}
    client.force_login(user)
    assert client.get("/ready").json()["llm"] == {
        "ok": False,
        "scoring_paused": True,
        "reason": "Ollama is unreachable: ConnectError",
    }


def test_ready_says_why_before_ollama_ever_answered(client, user, fake_ollama):
    """Before any article was tried, the reason was empty."""
    fake_ollama.stop()
    client.force_login(user)
    llm = client.get("/ready").json()["llm"]
    assert llm["ok"] is False and llm["reason"].startswith("Ollama does not answer at http")


def test_ready_with_the_broker_down_is_503(anon, settings, fake_ollama, monkeypatch):
    from config.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    before = app.conf.broker_url, app.conf.broker_transport
    # A real broker address where nothing listens (port 1), on either CI pass.
    app.conf.broker_url, app.conf.broker_transport = "redis://127.0.0.1:1/0", None
    try:
        response = anon.get("/ready")
    finally:
        app.conf.broker_url, app.conf.broker_transport = before
    assert response.status_code == 503 and response.json()["broker"]["ok"] is False
