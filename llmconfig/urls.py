from __future__ import annotations

from django.urls import path

from llmconfig import api

urlpatterns = [
    path("settings", api.SettingsView.as_view(), name="settings"),
    path("settings/models", api.EnabledModelsView.as_view(), name="settings-models"),
    path("llm/generate", api.GenerateView.as_view(), name="llm-generate"),
    path("llm/analyze-image", api.AnalyzeImageView.as_view(), name="llm-analyze-image"),
]
