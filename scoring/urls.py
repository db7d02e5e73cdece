from __future__ import annotations

from django.urls import path

from scoring import api

urlpatterns = [
    path("scoring/status", api.ScoringStatusView.as_view(), name="scoring-status"),
    path("scoring/rescore", api.RescoreView.as_view(), name="scoring-rescore"),
]
