"""G6: any OpenAI-compatible server, through the official `openai` client, against the fake
that speaks the documented shapes (tests/fakes/openai_compat.py)."""

from __future__ import annotations

import base64
import time

import pytest

from articles.models import Article
from llmconfig.llm import LLMError, LLMErrorKind, get_adapter
from llmconfig.llm.openai_compat import OpenAICompatAdapter
from llmconfig.llm.registry import ProviderNotConfigured
from llmconfig.models import LLMCall, UserSettings
from llmconfig.schemas import CategorizationResult, ScoringResult, TextAnswer
from scoring import services
from scoring.services import Outcome
from tests.factories import ArticleFactory, default_reader

pytestmark = pytest.mark.django_db
State = Article.ScoringState
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def adapter(fake, model: str = "gemma3-270m", key: str | None = None) -> OpenAICompatAdapter:
    return OpenAICompatAdapter(f"openai/{model}", base_url=f"{fake.url}/v1", api_key=key)


def chats(fake):
    return fake.calls("/v1/chat/completions")


# --- routing and configuration ---------------------------------------------------------------
def test_openai_ids_route_to_the_configured_server(fake_openai, settings):
    routed = get_adapter("openai/gemma3-270m", UserSettings.load())
    assert isinstance(routed, OpenAICompatAdapter)
    assert (routed.base_url, routed.model) == (f"{fake_openai.url}/v1", "gemma3-270m")
    us = UserSettings.load()
    us.openai_base_url = "http://127.0.0.1:9/v1/"
    assert get_adapter("openai/x", us).base_url == "http://127.0.0.1:9/v1"
    settings.OPENAI_BASE_URL = ""
    with pytest.raises(ProviderNotConfigured, match="base URL"):
        get_adapter("openai/x", UserSettings.load())


# --- structured output -------------------------------------------------------------------------
def test_json_schema_response_format_and_no_key_unless_configured(fake_openai, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-must-not-leak")
    completion = adapter(fake_openai).generate("Score it", ScoringResult, system_prompt="terse")
    assert isinstance(completion.value, ScoringResult)
    (call,) = chats(fake_openai)
    assert "authorization" not in call.headers
    fmt = call.body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "ScoringResult"
    schema = fmt["json_schema"]["schema"]
    assert schema["properties"]["interest_score"]["enum"] == list(range(11))  # grammar-proof
    assert schema["properties"]["reasoning"]["maxLength"] == 500
    assert call.body["messages"][0] == {"role": "system", "content": "terse"}
    assert call.body["model"] == "gemma3-270m"


def test_a_configured_key_is_sent_as_bearer(fake_openai):
    fake_openai.api_key = "sk-local-123"
    adapter(fake_openai, key="sk-local-123").generate("x", TextAnswer)
    assert chats(fake_openai)[0].headers["authorization"] == "Bearer sk-local-123"


def test_a_server_refusing_json_schema_falls_back_and_is_remembered(fake_openai):
    fake_openai.json_schema_supported = False  # as llama.cpp's server
    first = adapter(fake_openai).generate("Categorize", CategorizationResult)
    assert first.value.categories
    refused, fallback = chats(fake_openai)
    assert refused.body["response_format"]["type"] == "json_schema"
    assert fallback.body["response_format"]["type"] == "json_object"
    assert fallback.body["response_format"]["schema"]["properties"]["categories"]["maxItems"] == 4
    assert "JSON schema" in fallback.body["messages"][0]["content"]  # schema in the prompt too
    # Remembered for the endpoint: the next call (any adapter, any process) goes straight there.
    adapter(fake_openai, "qwen2.5-1.5b-instruct").generate("x", TextAnswer)
    assert [c.body["response_format"]["type"] for c in chats(fake_openai)][2:] == ["json_object"]
    assert first.calls[0].outcome == "ok"  # the refusal is a protocol detail, not a failure


def test_images_are_data_urls(fake_openai):
    adapter(fake_openai).generate("What?", TextAnswer, image=PNG, mime_type="image/png")
    user = chats(fake_openai)[0].body["messages"][-1]
    assert user["content"][0] == {"type": "text", "text": "What?"}
    url = user["content"][1]["image_url"]["url"]
    assert url == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_tokens_and_cached_tokens_are_recorded(fake_openai):
    (call,) = adapter(fake_openai).generate("x", TextAnswer, purpose="score").calls
    assert (call.prompt_tokens, call.output_tokens, call.cached_tokens) == (
        fake_openai.prompt_tokens,
        fake_openai.output_tokens,
        32,
    )
    assert call.prompt_tokens > 0


# --- small models must get through ---------------------------------------------------------
def test_raw_newlines_inside_strings_are_accepted(fake_openai):
    fake_openai.responder = lambda body: '{"answer": "line one\nline two\ttabbed"}'
    value = adapter(fake_openai).generate("x", TextAnswer).value
    assert value.answer == "line one\nline two\ttabbed"
    assert len(chats(fake_openai)) == 1  # no re-ask needed


def test_a_reply_cut_at_the_token_limit_is_reasked(fake_openai):
    fake_openai.truncate_next = 1
    completion = adapter(fake_openai).generate("x", CategorizationResult, max_retries=2)
    assert completion.value.categories
    assert [c.outcome for c in completion.calls] == ["invalid", "ok"]
    feedback = chats(fake_openai)[1].body["messages"][-1]["content"]
    assert "cut off" in feedback


def test_an_out_of_range_score_is_reasked_then_failed_with_the_reply_kept(fake_openai):
    fake_openai.responder = lambda body: (
        '{"interest_score": 100, "quality_score": 5, "reasoning": "x"}'
    )
    with pytest.raises(LLMError) as info:
        adapter(fake_openai).generate("x", ScoringResult, max_retries=2)
    assert info.value.kind is LLMErrorKind.INVALID_OUTPUT
    assert '"interest_score": 100' in info.value.raw_output
    second = chats(fake_openai)[1].body["messages"][-1]["content"]
    assert "less than or equal to 10" in second  # the exact error, re-asked


# --- errors --------------------------------------------------------------------------------
def test_429_honours_retry_after(fake_openai, settings):
    settings.LLM_RETRY_MAX_WAIT = 5
    fake_openai.faults.status_next = [429]
    fake_openai.retry_after = 1
    started = time.monotonic()
    completion = adapter(fake_openai).generate("x", TextAnswer)
    assert time.monotonic() - started >= 1.0  # waited as told, not the back-off
    assert [c.outcome for c in completion.calls] == ["transient", "ok"]


def test_a_retry_after_beyond_the_longest_wait_gives_up_at_once(fake_openai, settings):
    settings.LLM_RETRY_MAX_WAIT = 2
    fake_openai.faults.status_next = [429]
    fake_openai.retry_after = 60
    with pytest.raises(LLMError) as info:
        adapter(fake_openai).generate("x", TextAnswer)
    assert info.value.kind is LLMErrorKind.UNAVAILABLE
    assert len(chats(fake_openai)) == 1


def test_5xx_is_transient(fake_openai):
    fake_openai.faults.status_next = [500, 503]
    assert adapter(fake_openai).generate("x", TextAnswer).value.answer
    assert len(chats(fake_openai)) == 3


@pytest.mark.parametrize(
    ("setup", "kind", "words"),
    [
        (lambda f: setattr(f, "api_key", "right"), LLMErrorKind.AUTH, "refused the API key"),
        (lambda f: None, LLMErrorKind.MODEL_MISSING, "does not serve a model 'nope'"),
    ],
)
def test_permanent_errors_say_why_and_are_not_retried(fake_openai, setup, kind, words):
    setup(fake_openai)
    with pytest.raises(LLMError) as info:
        adapter(
            fake_openai, "nope" if kind is LLMErrorKind.MODEL_MISSING else "gemma3-270m"
        ).generate("x", TextAnswer)
    assert info.value.kind is kind and info.value.permanent
    assert words in info.value.message and fake_openai.url in info.value.message
    assert len(chats(fake_openai)) == 1


def test_an_html_page_is_asked_again_like_a_malformed_reply(fake_openai):
    """A proxy's HTML page answered with 200 failed the call at once; it is asked again, and
    after as many attempts as a malformed reply gets, fails naming what came back."""
    fake_openai.faults.html_next = 1
    assert adapter(fake_openai).generate("x", TextAnswer).value.answer
    assert len(chats(fake_openai)) == 2
    fake_openai.faults.html_next = 50
    with pytest.raises(LLMError) as info:
        adapter(fake_openai).generate("x", TextAnswer, max_retries=3)
    assert info.value.kind is LLMErrorKind.MALFORMED and "text/html, not JSON" in info.value.message
    assert len(chats(fake_openai)) == 2 + 3


def test_a_refused_connection_is_unavailable(fake_openai, settings):
    fake_openai.stop()
    with pytest.raises(LLMError) as info:
        adapter(fake_openai).generate("x", TextAnswer)
    assert info.value.kind is LLMErrorKind.UNAVAILABLE
    assert len(info.value.calls) == settings.LLM_RETRY_ATTEMPTS


# --- the API -------------------------------------------------------------------------------
def test_settings_api_takes_the_endpoint_and_a_write_only_key(api, fake_openai):
    bad = api.put("/api/settings", {"openai_base_url": "file:///etc/passwd"}, format="json")
    assert bad.status_code == 400 and "openai_base_url" in bad.json()
    good = api.put(
        "/api/settings",
        {"openai_base_url": f"{fake_openai.url}/v1/", "openai_api_key": "sk-abc"},
        format="json",
    )
    assert good.status_code == 200
    body = good.json()
    assert body["openai_base_url"] == f"{fake_openai.url}/v1"
    assert body["has_openai_key"] is True and "openai_api_key" not in body
    cleared = api.put("/api/settings", {"clear_openai_key": True}, format="json").json()
    assert cleared["has_openai_key"] is False


def test_health_models_and_what_only_ollama_can_do(api, fake_openai):
    health = api.get("/api/openai/health").json()
    assert health["connected"] is True and health["latency_ms"] >= 0
    models = api.get("/api/openai/models").json()
    assert [m["id"] for m in models] == ["openai/gemma3-270m", "openai/qwen2.5-1.5b-instruct"]
    for method in (api.post, api.delete):
        refused = method("/api/openai/models")
        assert refused.status_code == 405 and "Ollama" in refused.json()["detail"]
    enabled = api.get("/api/settings/models").json()
    assert [m["id"] for m in enabled["openai"]] == [m["id"] for m in models]
    fake_openai.stop()
    from django.core.cache import cache

    cache.clear()
    assert api.get("/api/openai/health").json()["connected"] is False
    assert api.get("/api/openai/models").status_code == 503
    assert api.get("/api/settings/models").json()["openai"] == []  # the picker still works


def test_choosing_a_model_the_server_does_not_serve_is_refused(api, fake_openai):
    response = api.put("/api/ollama/config", {"categorization_model": "openai/nope"}, format="json")
    assert response.status_code == 400
    assert "not served" in response.json()["categorization_model"][0]
    ok = api.put(
        "/api/ollama/config", {"categorization_model": "openai/gemma3-270m"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["categorization_model"] == "openai/gemma3-270m"


# --- scoring, unchanged ----------------------------------------------------------------------
def run_one() -> Outcome:
    claim = services.article_claim(worker="w1")
    return Outcome.EMPTY if claim is None else services.article_score(claim=claim)


def test_categorize_on_one_provider_and_score_on_another(fake_openai, fake_ollama):
    us = UserSettings.load()
    us.categorization_model = "openai/gemma3-270m"
    us.use_separate_models = True
    us.scoring_model = "ollama/qwen3:4b"
    us.save()
    article = ArticleFactory()
    assert run_one() is Outcome.SCORED
    article.refresh_from_db()
    assert article.scoring_state == State.SCORED
    assert (article.categorization_model, article.scoring_model) == (
        "openai/gemma3-270m",
        "ollama/qwen3:4b",
    )
    assert len(chats(fake_openai)) == 1 and len(fake_ollama.calls("/api/chat")) == 1
    assert sorted(LLMCall.objects.values_list("model_id", flat=True)) == [
        "ollama/qwen3:4b",
        "openai/gemma3-270m",
    ]


def test_an_outage_pauses_scoring_and_it_resumes(fake_openai):
    us = UserSettings.load()
    us.categorization_model = "openai/gemma3-270m"
    us.save()
    article = ArticleFactory()
    fake_openai.stop()
    assert run_one() is Outcome.PAUSED
    article.refresh_from_db()
    assert article.scoring_state == State.QUEUED  # waits, not failed
    status = services.scoring_status(reader_id=default_reader().pk)
    assert status["ready"] is False and fake_openai.url in status["reason"]
    fake_openai.start()
    assert run_one() is Outcome.SCORED
    assert services.scoring_status(reader_id=default_reader().pk)["ready"] is True
