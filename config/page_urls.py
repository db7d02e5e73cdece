from __future__ import annotations

from django.urls import path

from llmconfig import pages as llm_pages
from scoring import pages, readers
from sync import pages as sync_pages

urlpatterns = [
    path("", pages.reading, name="reading"),
    path("sources/", pages.sources, name="sources"),
    path("read/<int:pk>/", pages.article, name="article"),
    path("settings/", llm_pages.ollama_settings, name="ollama-settings"),
    path("readers/", readers.readers, name="readers"),
    path("apps/", sync_pages.apps, name="apps"),
]
