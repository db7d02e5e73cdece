from __future__ import annotations

from django.urls import path

from articles import pages
from llmconfig import pages as llm_pages

urlpatterns = [
    path("", pages.reading, name="reading"),
    path("settings/", llm_pages.ollama_settings, name="ollama-settings"),
]
