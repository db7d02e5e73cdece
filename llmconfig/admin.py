from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from llmconfig.models import LLMCall, ModelDownload, PromptTemplate, UserSettings


class UserSettingsForm(forms.ModelForm):
    """The API key is write-only here too: the page shows whether one is set, never the key."""

    ollama_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the current key.",
    )
    clear_ollama_key = forms.BooleanField(required=False, label="Clear the stored API key")

    class Meta:
        model = UserSettings
        fields = [
            "interests",
            "anti_interests",
            "categorization_model",
            "use_separate_models",
            "scoring_model",
            "vision_model",
            "ollama_use_cloud",
            "ollama_endpoint",
            "ollama_models",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.has_ollama_key:
            self.fields["ollama_api_key"].help_text = "A key is set (••••••••). " + str(
                self.fields["ollama_api_key"].help_text
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("clear_ollama_key"):
            data["ollama_api_key"] = None
        elif not data.get("ollama_api_key"):
            data["ollama_api_key"] = self.instance.ollama_api_key
        return data


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    form = UserSettingsForm
    list_display = [
        "__str__",
        "categorization_model",
        "scoring_model",
        "ollama_use_cloud",
        "updated_at",
    ]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        ("Reader", {"fields": ["interests", "anti_interests"]}),
        (
            "Models",
            {
                "fields": [
                    "categorization_model",
                    "use_separate_models",
                    "scoring_model",
                    "vision_model",
                ]
            },
        ),
        (
            "Ollama",
            {
                "fields": [
                    "ollama_use_cloud",
                    "ollama_endpoint",
                    "ollama_api_key",
                    "clear_ollama_key",
                    "ollama_models",
                ]
            },
        ),
        ("Timestamps", {"fields": ["created_at", "updated_at"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not UserSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "updated_at"]
    list_filter = ["name"]
    search_fields = ["text"]
    readonly_fields = ["version", "updated_at"]


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "model_id", "purpose", "outcome", "latency_ms", "prompt_tokens", "output_tokens",
    ]  # fmt: skip
    list_filter = ["outcome", "purpose", "model_id"]
    search_fields = ["model_id", "error"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelDownload)
class ModelDownloadAdmin(admin.ModelAdmin):
    list_display = ["model", "status", "percent", "started_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["model", "error"]
    readonly_fields = [f.name for f in ModelDownload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
