from __future__ import annotations

from django.urls import path

from llmconfig.api import llm as api
from llmconfig.api import ollama as ollama_api
from llmconfig.api import openai as openai_api

urlpatterns = [
    path("settings", api.SettingsView.as_view(), name="settings"),
    path("settings/models", api.EnabledModelsView.as_view(), name="settings-models"),
    path("llm/generate", api.GenerateView.as_view(), name="llm-generate"),
    path("llm/analyze-image", api.AnalyzeImageView.as_view(), name="llm-analyze-image"),
]

urlpatterns += [
    path("ollama/health", ollama_api.OllamaHealthView.as_view(), name="ollama-health"),
    path("ollama/models", ollama_api.OllamaModelsView.as_view(), name="ollama-models"),
    path("ollama/models/pull", ollama_api.OllamaPullView.as_view(), name="ollama-pull"),
    path(
        "ollama/models/pull/cancel",
        ollama_api.OllamaPullCancelView.as_view(),
        name="ollama-pull-cancel",
    ),
    path(
        "ollama/models/<path:name>", ollama_api.OllamaModelDeleteView.as_view(), name="ollama-model"
    ),
    path(
        "ollama/download-status",
        ollama_api.OllamaDownloadStatusView.as_view(),
        name="ollama-download-status",
    ),
    path("ollama/prompts", ollama_api.OllamaPromptsView.as_view(), name="ollama-prompts"),
]

urlpatterns += [
    path("openai/health", openai_api.OpenAIHealthView.as_view(), name="openai-health"),
    path("openai/models", openai_api.OpenAIModelsView.as_view(), name="openai-models"),
]
