from __future__ import annotations

from django.urls import path

from accounts import pages as account_pages
from llmconfig import pages as llm_pages
from scoring import pages

urlpatterns = [
    path("", pages.reading, name="reading"),
    path("sources/", pages.sources, name="sources"),
    path("settings/", llm_pages.ollama_settings, name="ollama-settings"),
    path("readers/", account_pages.readers, name="readers"),
]
