"""The scoring queue's doors in the admin: re-score selected articles, and queue an article
added by hand. The Article admin itself lives with its model (articles); scoring, the layer
above, extends it with what only scoring decides."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from articles.admin import ArticleAdmin
from articles.models import Article
from llmconfig.admin import UserSettingsAdmin
from llmconfig.models import UserSettings
from scoring import services

admin.site.unregister(Article)
admin.site.unregister(UserSettings)


@admin.register(UserSettings)
class ScoringUserSettingsAdmin(UserSettingsAdmin):
    """Interests and the model choice saved in the admin behave as through the API: each
    goes through scoring's service (changed interests re-score recent unread articles, score
    only; a changed model is saved, and re-scoring stays the reader's explicit choice, as
    PUT /api/ollama/config without `rescore`)."""

    def save_model(self, request: HttpRequest, obj: UserSettings, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if {"interests", "anti_interests"} & set(form.changed_data):
            # Before the form's own save: the service compares with what is stored.
            _us, queued = services.preferences_update(
                interests=data["interests"], anti_interests=data["anti_interests"]
            )
            self.message_user(request, f"{queued} recent unread articles queued for re-scoring.")
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


@admin.register(Article)
class ScoringArticleAdmin(ArticleAdmin):
    actions = [*ArticleAdmin.actions, "rescore_full", "rescore_score_only"]

    @admin.action(description="Re-score (categorize and score), ahead of other work")
    def rescore_full(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._rescore(request, queryset, Article.RescoreMode.FULL)

    @admin.action(description="Re-score (score only), ahead of other work")
    def rescore_score_only(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._rescore(request, queryset, Article.RescoreMode.SCORE_ONLY)

    def _rescore(self, request: HttpRequest, queryset: QuerySet[Article], mode: str) -> None:
        count = services.articles_rescore(
            ids=list(queryset.values_list("id", flat=True)), mode=mode
        )
        self.message_user(request, f"{count} articles queued for re-scoring.", messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.articles_enqueue(ids=[obj.pk])
