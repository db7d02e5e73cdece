"""R7: the Ollama API key never appears in an API response, an admin page or a log line.
SSRF: the Ollama endpoint is http(s) only, and redirects are not followed."""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from common.logging import RedactSecretsFilter
from llmconfig.llm import get_adapter
from llmconfig.models import UserSettings
from llmconfig.schemas import TextAnswer
from tests.fakes.feeds import Route

pytestmark = pytest.mark.django_db
CANARY = "sk-SIFT-R7-CANARY-5f1e2d3c4b"
OPENAI_CANARY = "sk-SIFT-R7-OPENAI-CANARY-9a8b7c"


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


def test_key_never_in_api_responses_or_admin_pages(api, admin_client, fake_ollama, fake_openai):
    fake_openai.api_key = OPENAI_CANARY
    response = api.put(
        "/api/settings",
        {
            "ollama_use_cloud": True,
            "ollama_api_key": CANARY,
            "ollama_endpoint": fake_ollama.url,
            "openai_api_key": OPENAI_CANARY,
        },
        format="json",
    )
    assert response.status_code == 200 and CANARY not in response.content.decode()
    assert OPENAI_CANARY not in response.content.decode()
    us = UserSettings.load()
    assert (us.ollama_api_key, us.openai_api_key) == (CANARY, OPENAI_CANARY)
    assert response.json()["has_openai_key"] is True
    checked = 0
    for route in api_get_routes():
        body = api.get(route).content.decode(errors="replace")
        assert CANARY not in body and OPENAI_CANARY not in body, route
        checked += 1
    assert fake_openai.calls("/v1/models")  # the OpenAI routes really asked the server
    assert checked >= 10
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages = [reverse(f"admin:{info[0]}_{info[1]}_changelist")]
        obj = model._default_manager.first()
        if obj is not None:
            pages.append(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))
        for url in pages:
            page = admin_client.get(url).content.decode(errors="replace")
            assert CANARY not in page and OPENAI_CANARY not in page, url


def test_key_never_in_log_lines(api, fake_ollama, fake_openai, caplog):
    fake_openai.api_key = OPENAI_CANARY
    api.put(
        "/api/settings",
        {
            "ollama_use_cloud": True,
            "ollama_api_key": CANARY,
            "ollama_endpoint": fake_ollama.url,
            "openai_api_key": OPENAI_CANARY,
        },
        format="json",
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_levels = {
        name: logging.getLogger(name).level
        for name in ("", "httpx", "httpcore", "ollama", "openai", "httpx2")
    }
    for name in old_levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        # A cloud-mode call sends the key as a Bearer header; the API and admin log requests.
        adapter = get_adapter("ollama/qwen3:4b", UserSettings.load())
        adapter.generate("hello", TextAnswer)
        get_adapter("openai/gemma3-270m", UserSettings.load()).generate("hello", TextAnswer)
        api.get("/api/ollama/health")
        api.get("/api/openai/models")
        api.get("/api/articles?limit=9999")  # a 400, logged by django.request
        logging.getLogger("sift.test").warning("echo of a header: Authorization: Bearer %s", CANARY)
    finally:
        root.removeHandler(handler)
        for name, level in old_levels.items():
            logging.getLogger(name).setLevel(level)
    assert fake_ollama.calls("/api/chat")[0].headers["authorization"] == f"Bearer {CANARY}"
    openai_call = fake_openai.calls("/v1/chat/completions")[0]
    assert openai_call.headers["authorization"] == f"Bearer {OPENAI_CANARY}"
    # Nothing formats a key into a message of its own accord...
    raw = [r.getMessage() for r in caplog.records if r.name != "sift.test"]
    assert len(raw) > 3
    assert not any(CANARY in line or OPENAI_CANARY in line for line in raw)
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


def test_openai_endpoint_redirects_are_not_followed(settings, feeds):
    feeds.routes["/v1/chat/completions"] = Route(
        status=307, location="http://169.254.169.254/latest/meta-data/"
    )
    feeds.routes["/v1/models"] = Route(status=302, location="file:///etc/passwd")
    settings.OPENAI_BASE_URL = f"{feeds.url}/v1"
    from llmconfig import openai_server
    from llmconfig.llm import LLMError

    assert openai_server.health()["connected"] is False
    with pytest.raises(LLMError):
        get_adapter("openai/gemma3-270m").generate("x", TextAnswer, max_retries=1)
    assert [r.path for r in feeds.requests] == ["/v1/models", "/v1/chat/completions"]
