from __future__ import annotations

from django.apps import AppConfig


class SyncConfig(AppConfig):
    """The reader apps' APIs (Google Reader, Miniflux, Fever) and the ranked feed."""

    name = "sync"
    default_auto_field = "django.db.models.BigAutoField"
