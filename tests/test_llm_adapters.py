"""The adapter layer against the fake Ollama and Gemini servers, through the real clients."""

from __future__ import annotations

import base64
import json

import pytest

from llmconfig.llm import LLMError, LLMErrorKind, UnknownModelError, get_adapter
from llmconfig.llm.gemini import GeminiAdapter
from llmconfig.llm.ollama import OllamaAdapter
from llmconfig.llm.registry import ProviderNotConfigured
from llmconfig.models import UserSettings
from llmconfig.schemas import CategorizationResult, ScoringResult, TextAnswer

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# --- routing -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model_id", "adapter_cls", "model"),
    [
        ("ollama/qwen3:4b", OllamaAdapter, "qwen3:4b"),
        (
            "ollama/library/llama3.2:3b-instruct-q4_K_M",
            OllamaAdapter,
            "library/llama3.2:3b-instruct-q4_K_M",
        ),
        ("ollama/gpt-oss:120b-cloud", OllamaAdapter, "gpt-oss:120b-cloud"),
        ("gemini-2.5-flash", GeminiAdapter, "gemini-2.5-flash"),
    ],
)
def test_get_adapter_routes_by_prefix(fake_gemini, model_id, adapter_cls, model):
    adapter = get_adapter(model_id)
    assert isinstance(adapter, adapter_cls)
    assert getattr(adapter, "model", adapter.model_id) == model


@pytest.mark.parametrize(
    "model_id",
    ["gpt-4o", "claude-3", "ollama/", "ollama/bad name", "gemini-", ""],
)
def test_get_adapter_refuses_unknown_ids_naming_the_prefixes(model_id):
    with pytest.raises(UnknownModelError) as info:
        get_adapter(model_id)
    assert "ollama" in str(info.value)


def test_local_mode_uses_endpoint_or_ollama_host(settings):
    settings.OLLAMA_HOST = "http://127.0.0.1:9"
    assert get_adapter("ollama/qwen3:4b").base_url == "http://127.0.0.1:9"
    us = UserSettings.load()
    us.ollama_endpoint = "http://127.0.0.1:7"
    adapter = get_adapter("ollama/qwen3:4b", us)
    assert (adapter.base_url, adapter.api_key, adapter.cloud) == ("http://127.0.0.1:7", None, False)


def test_cloud_mode_uses_ollama_com_and_the_key(settings):
    us = UserSettings.load()
    us.ollama_use_cloud = True
    with pytest.raises(ProviderNotConfigured):
        get_adapter("ollama/gpt-oss:120b", us)
    us.ollama_api_key = "sk-cloud-123456"
    adapter = get_adapter("ollama/gpt-oss:120b", us)
    assert (adapter.base_url, adapter.api_key, adapter.cloud) == (
        "https://ollama.com",
        "sk-cloud-123456",
        True,
    )


def test_gemini_without_project_or_key_is_refused(settings):
    settings.GEMINI_API_KEY = ""
    settings.GOOGLE_GENAI_USE_VERTEXAI = True
    settings.GOOGLE_CLOUD_PROJECT = ""
    with pytest.raises(ProviderNotConfigured, match="GOOGLE_CLOUD_PROJECT"):
        get_adapter("gemini-2.5-flash")
    settings.GOOGLE_GENAI_USE_VERTEXAI = False
    with pytest.raises(ProviderNotConfigured, match="GEMINI_API_KEY"):
        get_adapter("gemini-2.5-flash")


# --- Ollama --------------------------------------------------------------------------------
def test_ollama_local_sends_schema_as_format_and_no_auth(fake_ollama):
    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url)
    result = adapter.generate("Score it", ScoringResult, temperature=0.1, system_prompt="Be terse")
    assert isinstance(result.value, ScoringResult)
    (call,) = fake_ollama.calls("/api/chat")
    sent = call.body["format"]
    # The schema, with the bounded integers' values listed: grammars enforce enum, not bounds.
    assert sent["properties"]["interest_score"]["enum"] == list(range(11))
    del sent["properties"]["interest_score"]["enum"], sent["properties"]["quality_score"]["enum"]
    assert sent == ScoringResult.model_json_schema()
    assert call.body["stream"] is False
    assert call.body["think"] is False
    assert call.body["options"]["temperature"] == 0.1
    assert call.body["messages"][0] == {"role": "system", "content": "Be terse"}
    assert "authorization" not in call.headers


def test_ollama_ignores_the_environment_key_in_local_mode(fake_ollama, monkeypatch):
    monkeypatch.setenv("OLLAMA_API_KEY", "env-key-should-not-leak")
    OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url).generate("x", TextAnswer)
    assert "authorization" not in fake_ollama.calls("/api/chat")[0].headers


def test_ollama_cloud_sends_bearer_json_format_and_schema_in_prompt(fake_ollama):
    fake_ollama.fence_answers = True  # Cloud models wrap answers in ``` fences
    adapter = OllamaAdapter(
        "ollama/qwen3:4b", base_url=fake_ollama.url, api_key="sk-test-987", cloud=True
    )
    result = adapter.generate("Categorize", CategorizationResult)
    assert result.value.categories
    (call,) = fake_ollama.calls("/api/chat")
    assert call.headers["authorization"] == "Bearer sk-test-987"
    assert call.body["format"] == "json"
    system = call.body["messages"][0]
    assert system["role"] == "system"
    assert json.dumps(CategorizationResult.model_json_schema(), indent=2) in system["content"]


def test_ollama_image_arrives_as_raw_base64(fake_ollama):
    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url)
    adapter.generate("What is it?", TextAnswer, image=PNG, mime_type="image/png")
    user = fake_ollama.calls("/api/chat")[0].body["messages"][-1]
    assert user["images"] == [base64.b64encode(PNG).decode()]


def test_transient_errors_are_retried_then_succeed(fake_ollama):
    fake_ollama.faults.status_next = [503, 429]
    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url)
    completion = adapter.generate("x", TextAnswer)
    assert completion.value.answer
    assert len(fake_ollama.calls("/api/chat")) == 3
    assert [c.outcome for c in completion.calls] == ["transient", "transient", "ok"]


def test_invalid_output_is_reasked_with_the_validation_error(fake_ollama):
    fake_ollama.faults.malformed_next = 1
    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url)
    completion = adapter.generate("x", ScoringResult, max_retries=2)
    assert 0 <= completion.value.interest_score <= 10
    assert [c.outcome for c in completion.calls] == ["invalid", "ok"]
    first, second = fake_ollama.calls("/api/chat")
    messages = second.body["messages"]
    assert messages[-2]["role"] == "assistant"
    assert messages[-2]["content"] == '{"interest_score": "high", "reasoning": '
    assert messages[-1]["role"] == "user"
    assert (
        "Fix the errors" in messages[-1]["content"] or "not valid JSON" in messages[-1]["content"]
    )
    assert len(first.body["messages"]) == 1


def test_schema_never_met_is_permanent_and_keeps_raw_output(fake_ollama):
    fake_ollama.responder = lambda body: (
        '{"interest_score": 99, "quality_score": 1, "reasoning": "x"}'
    )
    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url)
    with pytest.raises(LLMError) as info:
        adapter.generate("x", ScoringResult, max_retries=2)
    assert info.value.permanent
    assert [c.outcome for c in info.value.calls] == ["invalid", "invalid"]
    assert info.value.kind is LLMErrorKind.INVALID_OUTPUT
    assert '"interest_score": 99' in info.value.raw_output
    assert len(fake_ollama.calls("/api/chat")) == 2


def test_permanent_errors_are_not_retried(fake_ollama):
    fake_ollama.faults.status_next = [401]
    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url, api_key="bad")
    with pytest.raises(LLMError) as info:
        adapter.generate("x", TextAnswer)
    assert info.value.kind is LLMErrorKind.AUTH and info.value.permanent
    assert len(fake_ollama.calls("/api/chat")) == 1


def test_unknown_ollama_model_is_model_missing(fake_ollama):
    with pytest.raises(LLMError) as info:
        OllamaAdapter("ollama/nope:1b", base_url=fake_ollama.url).generate("x", TextAnswer)
    assert info.value.kind is LLMErrorKind.MODEL_MISSING
    assert len(fake_ollama.calls("/api/chat")) == 1


def test_refused_connection_is_unavailable_after_retries(fake_ollama, settings):
    from tests.fakes.base import free_port

    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(LLMError) as info:
        adapter.generate("x", TextAnswer)
    assert info.value.kind is LLMErrorKind.UNAVAILABLE and not info.value.permanent
    outcomes = [c.outcome for c in info.value.calls]
    assert outcomes == ["transient"] * settings.LLM_RETRY_ATTEMPTS


# --- Gemini --------------------------------------------------------------------------------
def test_gemini_api_key_mode_hits_models_path_with_key(fake_gemini, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = False
    result = get_adapter("gemini-2.5-flash").generate("x", ScoringResult, system_prompt="sys")
    assert isinstance(result.value, ScoringResult)
    (call,) = fake_gemini.requests
    assert call.path.split("?")[0].endswith("/models/gemini-2.5-flash:generateContent")
    assert "/projects/" not in call.path
    assert call.headers["x-goog-api-key"] == "test-gemini-key-123"
    config = call.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == ScoringResult.model_json_schema()
    assert call.body["systemInstruction"]["parts"][0]["text"] == "sys"


def test_gemini_vertex_mode_hits_project_location_path(fake_gemini, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = True
    settings.GOOGLE_CLOUD_LOCATION = "global"
    get_adapter("gemini-2.5-flash").generate("x", TextAnswer)
    (call,) = fake_gemini.requests
    assert (
        "/projects/sift-test/locations/global/publishers/google/models/gemini-2.5-flash:generateContent"
        in call.path
    )
    assert call.headers["authorization"] == "Bearer fake-token"


def test_gemini_regional_404_suggests_global(fake_gemini, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = True
    fake_gemini.missing_in_locations = {"us-central1"}
    adapter = GeminiAdapter("gemini-3-pro-preview", location="us-central1")
    with pytest.raises(LLMError) as info:
        adapter.generate("x", TextAnswer)
    assert info.value.kind is LLMErrorKind.MODEL_MISSING
    assert "global" in info.value.message


def test_gemini_image_arrives_inline_base64(fake_gemini, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = False
    get_adapter("gemini-2.5-flash").generate("What?", TextAnswer, image=PNG, mime_type="image/png")
    parts = fake_gemini.requests[0].body["contents"][0]["parts"]
    inline = parts[0].get("inlineData") or parts[0].get("inline_data")
    assert inline["data"] == base64.b64encode(PNG).decode()
    assert inline.get("mimeType", inline.get("mime_type")) == "image/png"


def test_gemini_empty_answer_and_429_are_retried(fake_gemini, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = False
    fake_gemini.faults.status_next = [429]
    fake_gemini.empty_next = 1
    assert get_adapter("gemini-2.5-flash").generate("x", TextAnswer).value.answer
    assert len(fake_gemini.requests) == 3


def test_gemini_reask_carries_the_error(fake_gemini, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = False
    fake_gemini.faults.malformed_next = 1
    get_adapter("gemini-2.5-flash").generate("x", TextAnswer)
    contents = fake_gemini.requests[1].body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert "JSON" in contents[-1]["parts"][0]["text"]


def test_every_call_is_recorded_with_tokens(fake_ollama):
    completion = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url).generate(
        "x", TextAnswer, purpose="score"
    )
    (call,) = completion.calls
    # What the server reported for this one call (the fake counts a token per 4 characters).
    assert (call.model_id, call.purpose, call.outcome, call.prompt_tokens, call.output_tokens) == (
        "ollama/qwen3:4b",
        "score",
        "ok",
        fake_ollama.prompt_tokens,
        fake_ollama.output_tokens,
    )
    assert call.prompt_tokens > 0 and call.output_tokens > 0


def test_a_reply_the_client_cannot_read_is_a_bug_not_an_outage(fake_ollama, caplog):
    fake_ollama.faults.odd_shape_next = 1
    adapter = OllamaAdapter("ollama/qwen3:4b", base_url=fake_ollama.url)
    with pytest.raises(LLMError) as info:
        adapter.generate("x", TextAnswer)
    assert info.value.kind is LLMErrorKind.INTERNAL and info.value.permanent
    assert isinstance(info.value.__cause__, Exception)  # the library's own error, chained
    assert [c.outcome for c in info.value.calls] == ["failed"]
    assert len(fake_ollama.calls("/api/chat")) == 1  # not retried
    (logged,) = [r for r in caplog.records if r.exc_info]
    assert "internal error" in logged.getMessage()


def test_model_id_is_one_value_type():
    from llmconfig.llm.registry import ModelId, UnknownModelError

    ollama = ModelId.parse("ollama/library/qwen3:4b")
    assert (ollama.provider, ollama.bare, str(ollama)) == ("ollama", "library/qwen3:4b", "ollama/library/qwen3:4b")  # fmt: skip
    assert str(ModelId.parse("qwen3:4b", bare_is_ollama=True)) == "ollama/qwen3:4b"
    assert ModelId.parse("gemini-2.5-flash").provider == "gemini"
    assert ModelId.bare_name("ollama/qwen3:4b") == "qwen3:4b"
    openai = ModelId.parse("openai/meta-llama/Llama-3.1-8B-Instruct")
    assert (openai.provider, openai.bare) == ("openai", "meta-llama/Llama-3.1-8B-Instruct")
    assert str(openai) == "openai/meta-llama/Llama-3.1-8B-Instruct"
    for bad in ("gpt-4o", "ollama/bad name", "ollama/" + "x" * 300, "", "openai/", "openai/a b"):
        with pytest.raises(UnknownModelError):
            ModelId.parse(bad)
