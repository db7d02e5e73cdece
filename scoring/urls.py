from __future__ import annotations

from django.urls import path

from scoring import api, readers

urlpatterns = [
    path("ollama/config", api.ModelConfigView.as_view(), name="ollama-config"),
    path("preferences", api.PreferencesView.as_view(), name="preferences"),
    path("scoring/status", api.ScoringStatusView.as_view(), name="scoring-status"),
    path("taste", api.TasteView.as_view(), name="taste"),
    path("scoring/rescore", api.RescoreView.as_view(), name="scoring-rescore"),
    path("readers", readers.ReaderListView.as_view(), name="reader-list"),
    path("readers/<int:pk>", readers.ReaderDetailView.as_view(), name="reader-detail"),
    path("topics/suggestions", api.WeightSuggestionsView.as_view(), name="topic-suggestions"),
]
