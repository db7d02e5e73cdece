"""The scoring queue's doors in the admin: re-score selected readings. The Reading admin
itself lives with its model (articles); scoring, the layer above, extends it with what only
scoring decides."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Profile
from articles.admin import ReadingAdmin
from articles.models import Article, Reading
from llmconfig.admin import UserSettingsAdmin
from llmconfig.models import UserSettings
from scoring import services

admin.site.unregister(Reading)
admin.site.unregister(UserSettings)


@admin.register(UserSettings)
class ScoringUserSettingsAdmin(UserSettingsAdmin):
    """The model choice saved in the admin behaves as through the API: it goes through
    scoring's service (a changed model is saved, and re-scoring stays an explicit choice, as
    PUT /api/ollama/config without `rescore`)."""

    def save_model(self, request: HttpRequest, obj: UserSettings, form: Any, change: bool) -> None:
        data = form.cleaned_data
        super().save_model(request, obj, form, change)  # provider settings
        if {"categorization_model", "scoring_model", "use_separate_models"} & set(
            form.changed_data
        ):
            services.model_config_change(
                categorization_model=data["categorization_model"],
                scoring_model=data["scoring_model"],
                use_separate_models=data["use_separate_models"],
                rescore=False,
            )
        obj.refresh_from_db()


@admin.register(Reading)
class ScoringReadingAdmin(ReadingAdmin):
    actions = [*ReadingAdmin.actions, "rescore_full", "rescore_score_only"]

    @admin.action(description="Re-score (categorize and score), ahead of other work")
    def rescore_full(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        self._rescore(request, queryset, Article.RescoreMode.FULL)

    @admin.action(description="Re-score (score only), ahead of other work")
    def rescore_score_only(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        self._rescore(request, queryset, Article.RescoreMode.SCORE_ONLY)

    def _rescore(self, request: HttpRequest, queryset: QuerySet[Reading], mode: str) -> None:
        ids = list(queryset.values_list("id", flat=True))
        count = services.readings_rescore(readings=Reading.objects.filter(id__in=ids), mode=mode)
        self.message_user(request, f"{count} articles queued for re-scoring.", messages.SUCCESS)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    """A reader's interests, preferences and daily scoring budget. Interests saved here
    re-score that reader's recent unread articles as through the API (score only)."""

    list_display = ["user", "daily_scoring_budget", "mark_read_on_open", "updated_at"]
    fields = ["user", "interests", "anti_interests", "mark_read_on_open", "daily_scoring_budget"]
    readonly_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with the account

    def save_model(self, request: HttpRequest, obj: Profile, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if {"interests", "anti_interests"} & set(form.changed_data):
            # Before the form's own save: the service compares with what is stored.
            _profile, queued = services.preferences_update(
                reader_id=obj.user_id,
                interests=data["interests"],
                anti_interests=data["anti_interests"],
            )
            self.message_user(request, f"{queued} recent unread articles queued for re-scoring.")
        super().save_model(request, obj, form, change)
