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


# --- a key goes only where the operator sent it, and no echo of it survives ----------------
def put(api, data):
    return api.put("/api/settings", data, format="json")


def test_moving_a_key_s_destination_clears_it_unless_the_request_gives_one(api, fake_openai):
    assert (
        put(
            api, {"openai_base_url": f"{fake_openai.url}/v1", "openai_api_key": OPENAI_CANARY}
        ).status_code
        == 200
    )
    # Unchanged address (a trailing slash is the same address): the key stays.
    assert put(api, {"openai_base_url": f"{fake_openai.url}/v1/"}).json()["has_openai_key"] is True
    assert UserSettings.load().openai_api_key == OPENAI_CANARY
    # A new address without a key: the stored key is not sent there, it is cleared.
    body = put(api, {"openai_base_url": "http://attacker.invalid/v1"}).json()
    assert body["has_openai_key"] is False and UserSettings.load().openai_api_key is None
    # A new address with a key: that key is kept.
    put(api, {"openai_base_url": f"{fake_openai.url}/v1", "openai_api_key": "sk-new-key-for-here"})
    assert UserSettings.load().openai_api_key == "sk-new-key-for-here"
    # The Ollama key follows the Ollama endpoint the same way.
    put(api, {"ollama_api_key": CANARY, "ollama_endpoint": "http://127.0.0.1:11434"})
    put(api, {"ollama_endpoint": "http://127.0.0.1:11435"})
    assert UserSettings.load().ollama_api_key is None


def test_moving_a_key_s_destination_in_the_admin_clears_it_too(admin_client, fake_ollama):
    us = UserSettings.load()
    us.openai_base_url, us.openai_api_key = "http://127.0.0.1:9/v1", OPENAI_CANARY
    us.save()
    url = reverse("admin:llmconfig_usersettings_change", args=[us.pk])
    form = {
        "interests": "", "anti_interests": "", "categorization_model": us.categorization_model,
        "scoring_model": us.scoring_model or "", "vision_model": us.vision_model or "",
        "ollama_endpoint": "", "ollama_models": "[]", "batch_sizes": "{}",
        "openai_base_url": "http://elsewhere.invalid/v1",
    }  # fmt: skip
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    us.refresh_from_db()
    assert us.openai_base_url == "http://elsewhere.invalid/v1" and us.openai_api_key is None


def test_a_server_that_echoes_the_key_never_gets_it_shown_stored_or_logged(
    api, anon, client, user, fake_openai, caplog
):
    """R15: a 401 whose message repeats the key, seen through every door an error takes."""
    from articles.models import Reading
    from llmconfig.models import LLMCall
    from scoring import services
    from tests.factories import ArticleFactory, default_reader

    put(api, {"openai_base_url": f"{fake_openai.url}/v1", "openai_api_key": OPENAI_CANARY})
    fake_openai.api_key, fake_openai.echo_key = "sk-the-server-wants-another", True
    us = UserSettings.load()
    us.categorization_model = "openai/gemma3-270m"
    us.save()
    seen = []
    with caplog.at_level(logging.DEBUG):
        response = api.post(
            "/api/llm/generate", {"prompt": "hi", "model": "openai/gemma3-270m"}, format="json"
        )
        seen.append(response.content.decode())
        assert response.status_code >= 400
        article = ArticleFactory()
        claim = services.article_claim(worker="w1")
        services.article_score(claim=claim)
        client.force_login(user)
        for door in (anon.get("/ready"), client.get("/ready"), api.get("/api/scoring/status"),
                     client.get("/"), api.get(f"/api/articles/{article.id}")):  # fmt: skip
            seen.append(door.content.decode(errors="replace"))
    assert fake_openai.calls("/v1/chat/completions")  # the key really went there, and came back
    article.refresh_from_db()
    seen += [article.scoring_error, article.scoring_raw_output]
    seen += list(LLMCall.objects.values_list("error", flat=True))
    seen += [r.getMessage() for r in caplog.records]
    seen.append(str(services.scoring_status(reader_id=default_reader().pk)))
    occurrences = sum(text.count(OPENAI_CANARY) for text in seen)
    assert occurrences == 0
    assert any("Incorrect API key provided: ***" in text for text in seen)
    assert Reading.objects.get(article_id=article.id).scoring_state in ("queued", "failed")


def test_the_web_servers_access_lines_mask_app_credentials(capsys):
    """uvicorn logs request lines through handlers of its own: a Fever key in a query, a
    ranked feed's key in its path or a ClientLogin password in a query is masked there too
    (config.asgi puts the filter on them)."""
    import copy
    import logging
    import logging.config

    from uvicorn.config import LOGGING_CONFIG

    from common.logging import redact_server_logs

    logging.config.dictConfig(copy.deepcopy(LOGGING_CONFIG))  # what uvicorn does at start
    redact_server_logs()
    access = logging.getLogger("uvicorn.access")
    line = '%s - "%s %s HTTP/%s" %d'
    access.info(line, "127.0.0.1:5", "GET", "/feeds/ranked/SeCrEtKeY0123456789?n=5", "1.1", 200)
    access.info(
        line,
        "127.0.0.1:5",
        "POST",
        "/fever/?api&api_key=0123456789abcdef0123456789abcdef",
        "1.1",
        200,
    )
    access.info(
        line,
        "127.0.0.1:5",
        "GET",
        "/accounts/ClientLogin?Email=ann&Passwd=hunter2-hunter2",
        "1.1",
        401,
    )
    out = capsys.readouterr()
    written = out.out + out.err
    assert (
        "/feeds/ranked/***?n=5" in written and "api_key=***" in written and "Passwd=***" in written
    )
    assert (
        "SeCrEtKeY" not in written
        and "0123456789abcdef" not in written
        and "hunter2" not in written
    )
    assert "Logging error" not in written


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET /accounts/ClientLogin?Email=ann&%50asswd=hunter2-hunter2 HTTP/1.1", "hunter2"),
        ("POST /reader/api/0/edit-tag?T=edit0token0123456&i=5 HTTP/1.1", "edit0token"),
        ("GET /reader/api/0/tag/list?output=json&auth=ann/0123456789abcdef HTTP/1.1", "0123456789abcdef"),
        ("feed 7 failed: https://bob:s3cret-pass@feeds.example/private.xml: 401", "s3cret-pass"),
    ],
)  # fmt: skip
def test_credentials_in_encoded_parameters_tokens_and_url_user_parts_are_masked(line, secret):
    from common.secrets import redact

    masked = redact(line)
    assert secret not in masked and "***" in masked
    assert redact("/api/articles?limit=5&is_read=false") == "/api/articles?limit=5&is_read=false"
