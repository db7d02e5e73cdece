from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from articles.models import Article, Category, Feed


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "url", "display_order", "last_fetched_at", "last_error"]
    search_fields = ["title", "url"]
    list_filter = ["last_fetched_at"]
    readonly_fields = ["etag", "last_modified", "last_fetched_at", "last_attempt_at", "last_error"]
    actions = ["refresh_selected"]

    @admin.action(description="Refresh selected feeds now")
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        from articles.services import feed_refresh

        new = sum(feed_refresh(feed=feed) for feed in queryset)
        self.message_user(request, f"{new} new articles.", messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: Feed, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            from articles.services import feed_refresh_later

            feed_refresh_later(feed_id=obj.pk)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "weight"]
    list_editable = ["weight"]
    list_filter = ["weight"]
    search_fields = ["name"]


class ScoreRangeFilter(admin.SimpleListFilter):
    title = "composite score"
    parameter_name = "score"
    RANGES = {"0": (0, 0), "0-5": (0.001, 5), "5-10": (5, 10), "10-20": (10, 20)}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(k, k) for k in self.RANGES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        value = self.value()
        if value not in self.RANGES:
            return queryset
        low, high = self.RANGES[value]
        return queryset.filter(composite_score__gte=low, composite_score__lte=high)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title", "feed", "scoring_state", "composite_score", "interest_score", "quality_score",
        "published_at", "is_read",
    ]  # fmt: skip
    list_filter = ["scoring_state", "is_read", ScoreRangeFilter, "feed", "categories"]
    search_fields = ["title", "url", "score_reasoning", "scoring_error"]
    date_hierarchy = "published_at"
    list_select_related = ["feed"]
    autocomplete_fields = ["categories"]
    readonly_fields = [
        "scoring_state", "scoring_priority", "rescore_mode", "queued_at", "claimed_at",
        "claimed_by", "claim_token", "scoring_attempts", "scoring_error", "scoring_raw_output",
        "scored_at", "categorization_model", "scoring_model", "categorization_prompt_version",
        "scoring_prompt_version", "created_at",
    ]  # fmt: skip
    actions = ["rescore_full", "rescore_score_only"]

    @admin.action(description="Re-score (categorize and score), ahead of other work")
    def rescore_full(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._rescore(request, queryset, Article.RescoreMode.FULL)

    @admin.action(description="Re-score (score only), ahead of other work")
    def rescore_score_only(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._rescore(request, queryset, Article.RescoreMode.SCORE_ONLY)

    def _rescore(self, request: HttpRequest, queryset: QuerySet[Article], mode: str) -> None:
        from scoring.services import articles_rescore

        count = articles_rescore(ids=list(queryset.values_list("id", flat=True)), mode=mode)
        self.message_user(request, f"{count} articles queued for re-scoring.", messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: Article, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            from scoring.services import articles_enqueue

            articles_enqueue(ids=[obj.pk])
