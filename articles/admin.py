from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from articles import services
from articles.models import Article, Category, Feed, Folder


class FeedAdminForm(forms.ModelForm[Feed]):
    """The same checks as `POST /api/feeds`: http(s) only, and a new feed must be fetchable
    and parse as RSS or Atom now."""

    class Meta:
        model = Feed
        fields = ["url", "title", "folder", "display_order"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if problem := services.feed_url_problem(url):
            raise forms.ValidationError(problem)
        if self.instance.pk is None or url != self.instance.url:
            try:
                url, _, _ = services.feed_load(url=url)  # a page's address: its feed's
            except services.FeedChoice as exc:
                choices = ", ".join(c["url"] for c in exc.extra["choices"])
                raise forms.ValidationError(f"{exc} Its feeds: {choices}") from exc
            except services.FeedError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin[Feed]):
    form = FeedAdminForm
    list_display = ["__str__", "url", "folder", "display_order", "last_fetched_at", "last_error"]
    search_fields = ["title", "url"]
    list_filter = ["folder", "last_fetched_at"]
    readonly_fields = ["etag", "last_modified", "last_fetched_at", "last_attempt_at", "last_error"]
    actions = ["refresh_selected"]

    @admin.action(description="Refresh selected feeds now")
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        queued = services.feeds_refresh_later(
            feeds=Feed.objects.filter(pk__in=queryset.values("pk"))
        )
        self.message_user(
            request,
            f"{queued} feeds queued for refresh; new articles appear as they are scored.",
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: Feed, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.feed_refresh_later(feed_id=obj.pk)


@admin.register(Folder)
class FolderAdmin(admin.ModelAdmin[Folder]):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "weight"]
    list_editable = ["weight"]
    list_filter = ["weight"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        """A weight changed here reranks like one changed over the API."""
        if change and "weight" in form.changed_data:
            services.category_weight_set(name=obj.name, weight=obj.weight)
            if set(form.changed_data) == {"weight"}:
                return
        super().save_model(request, obj, form, change)


class ScoreRangeFilter(admin.SimpleListFilter):
    title = "composite score"
    parameter_name = "score"
    RANGES = {"0": (0, 0), "0-5": (0.001, 5), "5-10": (5, 10), "10-20": (10, 20)}

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Article]
    ) -> list[tuple[str, str]]:
        return [(k, k) for k in self.RANGES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        value = self.value()
        if value not in self.RANGES:
            return queryset
        low, high = self.RANGES[value]
        return queryset.filter(rank__score__gte=low, rank__score__lte=high)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    list_display = [
        "title", "feed", "scoring_state", "composite_score", "interest_score", "quality_score",
        "published_at", "is_read", "feedback",
    ]  # fmt: skip
    list_filter = [
        "scoring_state", "is_read", "is_starred", "feedback", ScoreRangeFilter, "feed", "categories",
    ]  # fmt: skip
    search_fields = ["title", "url", "score_reasoning", "scoring_error"]
    date_hierarchy = "published_at"
    list_select_related = ["feed", "rank"]
    autocomplete_fields = ["categories"]
    readonly_fields = [
        # Read state follows the one rule for story copies: the actions below.
        "is_read",
        "scoring_state", "scoring_priority", "rescore_mode", "queued_at", "claimed_at",
        "claimed_by", "claim_token", "scoring_attempts", "scoring_error", "scoring_raw_output",
        "scored_at", "categorization_model", "scoring_model", "categorization_prompt_version",
        "scoring_prompt_version", "created_at", "feedback_at", "composite_score",
        # The LLM's verdict and the score made from it: changed by a re-score, not by hand.
        "interest_score", "quality_score",
    ]  # fmt: skip
    actions = ["mark_read", "mark_unread", "more_like_this", "less_like_this", "clear_feedback"]

    @admin.action(description="Mark read (with every copy of the story)")
    def mark_read(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        marked = services.articles_mark_read(articles=queryset, is_read=True)
        self.message_user(request, f"{marked} articles marked read.")

    @admin.action(description="Mark unread (with every copy of the story)")
    def mark_unread(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        marked = services.articles_mark_read(articles=queryset, is_read=False)
        self.message_user(request, f"{marked} articles marked unread.")

    @admin.display(description="composite score", ordering="rank__score", empty_value="–")
    def composite_score(self, obj: Article) -> float | None:
        return obj.composite_score

    @admin.action(description="👍 More like this")
    def more_like_this(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._feedback(request, queryset, Article.Feedback.UP)

    @admin.action(description="👎 Less like this")
    def less_like_this(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._feedback(request, queryset, Article.Feedback.DOWN)

    @admin.action(description="Clear 👍 / 👎")
    def clear_feedback(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._feedback(request, queryset, None)

    def _feedback(
        self, request: HttpRequest, queryset: QuerySet[Article], feedback: str | None
    ) -> None:
        for article in queryset:
            services.article_mark(article=article, feedback=feedback)
        self.message_user(request, f"Feedback saved on {queryset.count()} articles.")
