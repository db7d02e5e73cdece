"""R7: the Ollama API key never appears in an API response, an admin page or a log line.
SSRF: the Ollama endpoint is http(s) only, and redirects are not followed."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.logging import RedactSecretsFilter
from llmconfig.llm import get_adapter
from llmconfig.models import UserSettings
from llmconfig.schemas import TextAnswer
from tests.fakes.feeds import Route

pytestmark = pytest.mark.django_db
CANARY = "sk-SIFT-R7-CANARY-5f1e2d3c4b"


def api_get_routes() -> list[str]:
    routes: list[str] = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and "<" not in str(p.pattern):
                routes.append("/" + prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "")
    return [r for r in routes if r.startswith("/api/")]


def test_key_never_in_api_responses_or_admin_pages(api, admin_client, fake_ollama):
    response = api.put(
        "/api/settings",
        {"ollama_use_cloud": True, "ollama_api_key": CANARY, "ollama_endpoint": fake_ollama.url},
        format="json",
    )
    assert response.status_code == 200 and CANARY not in response.content.decode()
    assert UserSettings.load().ollama_api_key == CANARY
    checked = 0
    for route in api_get_routes():
        body = api.get(route).content.decode(errors="replace")
        assert CANARY not in body, route
        checked += 1
    assert checked >= 10
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages = [reverse(f"admin:{info[0]}_{info[1]}_changelist")]
        obj = model._default_manager.first()
        if obj is not None:
            pages.append(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))
        for url in pages:
            assert CANARY not in admin_client.get(url).content.decode(errors="replace"), url


def test_key_never_in_log_lines(api, fake_ollama, caplog):
    api.put(
        "/api/settings",
        {"ollama_use_cloud": True, "ollama_api_key": CANARY, "ollama_endpoint": fake_ollama.url},
        format="json",
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_levels = {
        name: logging.getLogger(name).level for name in ("", "httpx", "httpcore", "ollama")
    }
    for name in old_levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        # A cloud-mode call sends the key as a Bearer header; the API and admin log requests.
        adapter = get_adapter("ollama/qwen3:4b", UserSettings.load())
        adapter.generate("hello", TextAnswer)
        api.get("/api/ollama/health")
        api.get("/api/articles?limit=9999")  # a 400, logged by django.request
        logging.getLogger("sift.test").warning("echo of a header: Authorization: Bearer %s", CANARY)
    finally:
        root.removeHandler(handler)
        for name, level in old_levels.items():
            logging.getLogger(name).setLevel(level)
    assert fake_ollama.calls("/api/chat")[0].headers["authorization"] == f"Bearer {CANARY}"
    # Nothing formats the key into a message of its own accord...
    raw = [r.getMessage() for r in caplog.records if r.name != "sift.test"]
    assert len(raw) > 3 and not any(CANARY in line for line in raw)
    # ...and the console filter masks it should a library echo a header.
    written = stream.getvalue()
    assert "echo of a header" in written and CANARY not in written and "Bearer ***" in written
    assert "redact" in django_settings.LOGGING["handlers"]["console"]["filters"]


def test_ollama_endpoint_redirects_are_not_followed(settings, feeds):
    feeds.routes["/api/version"] = Route(status=302, location="file:///etc/passwd")
    feeds.routes["/api/chat"] = Route(
        status=307, location="http://169.254.169.254/latest/meta-data/"
    )
    settings.OLLAMA_HOST = feeds.url
    from llmconfig import ollama_server

    assert ollama_server.health()["connected"] is False
    from llmconfig.llm import LLMError

    with pytest.raises(LLMError):
        get_adapter("ollama/qwen3:4b").generate("x", TextAnswer, max_retries=1)
    assert [r.path for r in feeds.requests] == ["/api/version", "/api/chat"]  # no second hop
