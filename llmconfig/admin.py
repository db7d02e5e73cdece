from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from common.validators import http_url
from llmconfig import services
from llmconfig.models import LLMCall, ModelDownload, PromptTemplate, UserSettings
from llmconfig.validators import model_id


class UserSettingsForm(forms.ModelForm[UserSettings]):
    """The API key is write-only here too: the page shows whether one is set, never the key."""

    ollama_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the current key.",
    )
    clear_ollama_key = forms.BooleanField(required=False, label="Clear the stored API key")
    openai_api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the current key.",
    )
    clear_openai_key = forms.BooleanField(required=False, label="Clear the stored API key")

    class Meta:
        model = UserSettings
        fields = [
            "categorization_model",
            "use_separate_models",
            "scoring_model",
            "vision_model",
            "ollama_use_cloud",
            "ollama_endpoint",
            "ollama_models",
            "openai_base_url",
            "batch_sizes",
            "call_modes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in services.SECRET_SETTINGS:
            if getattr(self.instance, key):
                self.fields[key].help_text = "A key is set (••••••••). " + str(
                    self.fields[key].help_text
                )

    def clean_ollama_endpoint(self) -> str | None:
        return http_url(self.cleaned_data.get("ollama_endpoint"))

    def clean_openai_base_url(self) -> str | None:
        return http_url(self.cleaned_data.get("openai_base_url"))

    def clean_categorization_model(self) -> str:
        return model_id(self.cleaned_data.get("categorization_model") or "")

    def clean_scoring_model(self) -> str:
        return model_id(self.cleaned_data.get("scoring_model") or "")

    def clean_vision_model(self) -> str:
        return model_id(self.cleaned_data.get("vision_model") or "")

    def clean_batch_sizes(self) -> dict[str, int]:
        try:
            return UserSettings.clean_batch_sizes(self.cleaned_data.get("batch_sizes") or {})
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_call_modes(self) -> dict[str, str]:
        try:
            return UserSettings.clean_call_modes(self.cleaned_data.get("call_modes") or {})
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = {f: data[f] for f in services.CHOSEN_MODELS if data.get(f)}
        try:
            problems = services.model_choice_problems(user_settings=self.instance, choice=choice)
        except services.ModelsUnknown as exc:
            raise forms.ValidationError(str(exc)) from exc
        for field, problem in problems.items():
            self.add_error(field, problem)
        for key, clear in services.SECRET_SETTINGS.items():
            if data.get(clear):
                data[key] = None
            elif not data.get(key):
                data[key] = getattr(self.instance, key)
        return data


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin[UserSettings]):
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
        (
            "Models",
            {
                "fields": [
                    "categorization_model",
                    "use_separate_models",
                    "scoring_model",
                    "vision_model",
                    "batch_sizes",
                    "call_modes",
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
        (
            "OpenAI-compatible server",
            {"fields": ["openai_base_url", "openai_api_key", "clear_openai_key"]},
        ),
        ("Timestamps", {"fields": ["created_at", "updated_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: UserSettings, form: Any, change: bool) -> None:
        """The provider settings go through the same service as PUT /api/settings. (Scoring,
        the layer above, extends this admin so interests and models go through its
        services too: see scoring/admin.py.)"""
        data = {name: form.cleaned_data[name] for name in services.WRITABLE_SETTINGS}
        for key, clear in services.SECRET_SETTINGS.items():
            if form.cleaned_data.get(clear):
                data[clear] = True
            elif form.data.get(key):
                data[key] = form.cleaned_data[key]
        services.user_settings_update(data=data)
        obj.refresh_from_db()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not UserSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin[PromptTemplate]):
    list_display = ["name", "version", "updated_at"]
    list_filter = ["name"]
    search_fields = ["text"]
    readonly_fields = ["version", "updated_at"]


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin[LLMCall]):
    list_display = [
        "created_at", "model_id", "purpose", "outcome", "latency_ms", "prompt_tokens",
        "cached_tokens", "prompt_eval_ms", "output_tokens", "article_id",
    ]  # fmt: skip
    list_filter = ["outcome", "purpose", "model_id"]
    search_fields = ["model_id", "error"]
    date_hierarchy = "created_at"
    change_list_template = "admin/llmconfig/llmcall/change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Above the list: per model, what a call costs and how many an article takes
        (for the filters chosen)."""
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            changelist = response.context_data.get("cl")
            if changelist is not None:
                queryset = changelist.get_queryset(request)
                per_model = queryset.order_by().per_model()
                for row in per_model:
                    row["calls_per_article"] = (
                        round(row["calls"] / row["articles"], 2) if row["articles"] else None
                    )
                response.context_data["per_model"] = per_model
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelDownload)
class ModelDownloadAdmin(admin.ModelAdmin[ModelDownload]):
    list_display = ["model", "status", "percent", "started_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["model", "error"]
    readonly_fields = [f.name for f in ModelDownload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
