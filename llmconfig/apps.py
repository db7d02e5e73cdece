from __future__ import annotations

from django.apps import AppConfig


class LlmconfigConfig(AppConfig):
    name = "llmconfig"
    default_auto_field = "django.db.models.BigAutoField"
