from __future__ import annotations

import io

import pytest
from PIL import Image

from llmconfig.models import UserSettings

pytestmark = pytest.mark.django_db

KEY = "sk-ollama-cloud-SECRET-4242"


def test_get_settings_never_returns_the_key(api):
    us = UserSettings.load()
    us.ollama_api_key = KEY
    us.save()
    response = api.get("/api/settings")
    assert response.status_code == 200
    body = response.json()
    assert body["has_ollama_key"] is True
    assert KEY not in response.content.decode()
    assert "ollama_api_key" not in body


def test_put_changes_only_the_fields_sent(api):
    us = UserSettings.load()
    us.ollama_endpoint = "http://gpu-box:11434"
    us.vision_model = "ollama/gemma3:4b"
    us.save()
    response = api.put("/api/settings", {"ollama_models": [{"id": "llama3.2:3b"}]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ollama_endpoint"] == "http://gpu-box:11434"
    assert body["vision_model"] == "ollama/gemma3:4b"
    assert body["ollama_models"] == [
        {"id": "ollama/llama3.2:3b", "label": "llama3.2:3b", "enabled": True, "vision": False}
    ]


def test_key_is_write_only_kept_and_cleared(api):
    response = api.put(
        "/api/settings", {"ollama_use_cloud": True, "ollama_api_key": KEY}, format="json"
    )
    assert response.status_code == 200 and response.json()["has_ollama_key"] is True
    assert KEY not in response.content.decode()
    assert UserSettings.load().ollama_api_key == KEY
    api.put("/api/settings", {"ollama_endpoint": ""}, format="json")
    assert UserSettings.load().ollama_api_key == KEY
    response = api.put(
        "/api/settings", {"ollama_use_cloud": False, "clear_ollama_key": True}, format="json"
    )
    assert response.json()["has_ollama_key"] is False
    assert UserSettings.load().ollama_api_key is None


def test_empty_endpoint_becomes_null(api):
    api.put("/api/settings", {"ollama_endpoint": "http://x:1"}, format="json")
    response = api.put("/api/settings", {"ollama_endpoint": ""}, format="json")
    assert response.json()["ollama_endpoint"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ollama_endpoint": "file:///etc/passwd"}, "ollama_endpoint"),
        ({"ollama_endpoint": "gopher://x"}, "ollama_endpoint"),
        ({"ollama_use_cloud": True}, "ollama_api_key"),
        ({"vision_model": "not a model!"}, "vision_model"),
        ({"ollama_models": [{"id": "bad name"}]}, "ollama_models"),
        ({"ollama_models": "nope"}, "ollama_models"),
        ({"ollama_use_cloud": "maybe"}, "ollama_use_cloud"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_settings_are_400_naming_the_field(api, payload, field):
    before = UserSettings.load().updated_at
    response = api.put("/api/settings", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert UserSettings.load().updated_at == before


def test_validators_accept_ollama_and_gemini_ids(api):
    for model in ("ollama/llava:13b", "gemini-2.5-flash"):
        response = api.put("/api/settings", {"vision_model": model}, format="json")
        assert response.status_code == 200 and response.json()["vision_model"] == model


def test_enabled_models_lists_ollama_and_configured_gemini(api, settings):
    settings.GEMINI_API_KEY = ""
    api.put(
        "/api/settings",
        {
            "ollama_models": [
                {"id": "ollama/a:1b"},
                {"id": "ollama/b:1b", "enabled": False, "vision": True},
            ]
        },
        format="json",
    )
    body = api.get("/api/settings/models").json()
    assert [m["id"] for m in body["ollama"]] == ["ollama/a:1b"]
    assert body["gemini"] == []
    settings.GEMINI_API_KEY = "x" * 10
    assert [
        m["id"] for m in api.get("/api/settings/models").json()["gemini"]
    ] == settings.GEMINI_MODELS


# --- /api/llm/* ------------------------------------------------------------------------------
def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return buf.getvalue()


def test_generate_against_fake_ollama(api, fake_ollama):
    response = api.post(
        "/api/llm/generate",
        {"model": "ollama/qwen3:4b", "prompt": "Score it", "schema": "scoring", "temperature": 0},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["model"] == "ollama/qwen3:4b"
    assert set(body["result"]) == {
        "interest_score", "quality_score", "reasoning", "matched_interests", "matched_anti_interests",
    }  # fmt: skip
    # The server's own token counts (the fake counts 4 characters a token).
    assert body["usage"] == {
        "prompt_tokens": fake_ollama.prompt_tokens,
        "output_tokens": fake_ollama.output_tokens,
        "calls": 1,
    }
    assert body["latency_ms"] >= 0


def test_generate_against_fake_gemini(api, fake_gemini, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = False
    response = api.post(
        "/api/llm/generate",
        {"model": "gemini-2.5-flash", "prompt": "x", "schema": "text"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["usage"]["prompt_tokens"] == 10


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"model": "gpt-4o", "prompt": "x", "schema": "text"}, "model"),
        ({"model": "ollama/qwen3:4b", "prompt": "x", "schema": "horoscope"}, "schema"),
        ({"model": "ollama/qwen3:4b", "schema": "text"}, "prompt"),
        (
            {"model": "ollama/qwen3:4b", "prompt": "x", "schema": "text", "temperature": 9},
            "temperature",
        ),
        ({"model": "ollama/not-pulled:1b", "prompt": "x", "schema": "text"}, "model"),
    ],
)
def test_generate_bad_input_is_400_naming_the_field(api, fake_ollama, payload, field):
    response = api.post("/api/llm/generate", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_generate_with_gemini_unconfigured_is_400_naming_model(api, settings):
    settings.GOOGLE_GENAI_USE_VERTEXAI = True
    settings.GOOGLE_CLOUD_PROJECT = ""
    response = api.post(
        "/api/llm/generate",
        {"model": "gemini-2.5-flash", "prompt": "x", "schema": "text"},
        format="json",
    )
    assert response.status_code == 400
    assert "GOOGLE_CLOUD_PROJECT" in response.json()["model"][0]


def test_generate_with_ollama_down_is_503(api, fake_ollama):
    fake_ollama.stop()
    response = api.post(
        "/api/llm/generate",
        {"model": "ollama/qwen3:4b", "prompt": "x", "schema": "text"},
        format="json",
    )
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]


def test_analyze_image_uses_vision_model_fallback(api, fake_ollama):
    fake_ollama.installed["gemma3:4b"] = fake_ollama.catalog["gemma3:4b"]
    api.put("/api/settings", {"vision_model": "ollama/gemma3:4b"}, format="json")
    upload = io.BytesIO(png_bytes())
    upload.name = "cat.png"
    response = api.post(
        "/api/llm/analyze-image",
        {"image": upload, "prompt": "What?", "schema": "visual_prompt_score"},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["model"] == "ollama/gemma3:4b"
    (call,) = fake_ollama.calls("/api/chat")
    assert call.body["model"] == "gemma3:4b"
    assert call.body["messages"][-1]["images"]


def test_analyze_image_refuses_non_images_and_oversize(api, fake_ollama, settings):
    text = io.BytesIO(b"hello, not an image")
    text.name = "x.png"
    response = api.post(
        "/api/llm/analyze-image",
        {"image": text, "prompt": "x", "schema": "text"},
        format="multipart",
    )
    assert response.status_code == 400 and "image" in response.json()
    settings.LLM_MAX_IMAGE_BYTES = 10
    big = io.BytesIO(png_bytes())
    big.name = "big.png"
    response = api.post(
        "/api/llm/analyze-image",
        {"image": big, "prompt": "x", "schema": "text"},
        format="multipart",
    )
    assert response.status_code == 400 and "limit" in response.json()["image"][0]
    assert not fake_ollama.calls("/api/chat")


@pytest.mark.parametrize(
    "value", ["http://", "http://a.example\r\nX-Evil: 1", "https://a .example", "ftp://a.example"]
)
def test_a_base_url_without_a_host_or_with_control_characters_is_400(api, value):
    response = api.put("/api/settings", {"openai_base_url": value}, format="json")
    assert response.status_code == 400
    assert "openai_base_url" in response.json()
    assert api.get("/api/openai/models").status_code != 500
