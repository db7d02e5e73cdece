from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from articles import services
from articles.models import Article, Category, Feed, Folder, Reading, Subscription, TopicWeight


class FeedAdminForm(forms.ModelForm[Feed]):
    """The same checks as `POST /api/feeds`: http(s) only, and a new feed must be fetchable
    and parse as RSS or Atom now."""

    class Meta:
        model = Feed
        fields = [
            "url", "title", "full_text", "full_text_selector", "full_text_remove",
            "full_text_combine",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left out (a form posting only the address), they keep what the feed has.
        for name in ("full_text", "full_text_combine"):
            self.fields[name].required = False

    def _kept(self, name: str) -> str:
        value: str = self.cleaned_data.get(name) or getattr(self.instance, name)
        return value

    def clean_full_text(self) -> str:
        return self._kept("full_text")

    def clean_full_text_combine(self) -> str:
        return self._kept("full_text_combine")

    def _selector(self, name: str) -> str:
        value: str = self.cleaned_data[name]
        if value and (problem := services.css_selector_problem(value)):
            raise forms.ValidationError(problem)
        return value

    def clean_full_text_selector(self) -> str:
        return self._selector("full_text_selector")

    def clean_full_text_remove(self) -> str:
        return self._selector("full_text_remove")

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
    """Feeds as Sift fetches them, once for all their readers. A feed added here is the
    operator's subscription (readers subscribe on their own pages)."""

    form = FeedAdminForm
    list_display = ["__str__", "url", "full_text", "last_fetched_at", "last_error"]
    search_fields = ["title", "url"]
    list_filter = ["last_fetched_at", "full_text"]
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
            services.subscription_create(reader=request.user, feed=obj)
            services.feed_refresh_later(feed_id=obj.pk)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = ["__str__", "reader", "feed", "folder", "display_order"]
    list_filter = ["reader"]
    list_select_related = ["reader", "feed", "folder"]
    fields = ["title", "folder", "display_order"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a subscription comes with the reader's readings: the API makes it

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        services.subscription_delete(subscription=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            services.subscription_delete(subscription=subscription)


@admin.register(Folder)
class FolderAdmin(admin.ModelAdmin[Folder]):
    list_display = ["name", "reader"]
    list_filter = ["reader"]
    search_fields = ["name"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(TopicWeight)
class TopicWeightAdmin(admin.ModelAdmin[TopicWeight]):
    """A reader's weights; a change reranks their articles as over the API."""

    list_display = ["category", "reader", "weight"]
    list_filter = ["reader", "weight"]
    autocomplete_fields = ["category"]

    def save_model(self, request: HttpRequest, obj: TopicWeight, form: Any, change: bool) -> None:
        services.category_weight_set(reader=obj.reader, name=obj.category.name, weight=obj.weight)


class ScoreRangeFilter(admin.SimpleListFilter):
    title = "composite score"
    parameter_name = "score"
    RANGES = {"0": (0, 0), "0-5": (0.001, 5), "5-10": (5, 10), "10-20": (10, 20)}

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Reading]
    ) -> list[tuple[str, str]]:
        return [(k, k) for k in self.RANGES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Reading]) -> QuerySet[Reading]:
        value = self.value()
        if value not in self.RANGES:
            return queryset
        low, high = self.RANGES[value]
        return queryset.filter(rank__score__gte=low, rank__score__lte=high)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    """Articles as stored, once for every reader, with their topics (asked once)."""

    list_display = ["title", "feed", "published_at", "categorized_at", "extraction"]
    list_filter = ["extraction", "feed", "categories"]
    search_fields = ["title", "url"]
    date_hierarchy = "published_at"
    list_select_related = ["feed"]
    autocomplete_fields = ["categories"]
    readonly_fields = [
        "categorized_at", "categorization_model", "categorization_prompt_version", "created_at",
        "extraction", "extraction_error", "extracted_at", "feed_content",
    ]  # fmt: skip


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin[Reading]):
    """Each reader's articles: their verdict, rank and marks, and the scoring queue."""

    list_display = [
        "title", "reader", "scoring_state", "composite_score", "interest_score", "quality_score",
        "is_read", "feedback",
    ]  # fmt: skip
    list_filter = ["scoring_state", "reader", "is_read", "is_starred", "feedback", ScoreRangeFilter]
    search_fields = ["article__title", "article__url", "score_reasoning", "scoring_error"]
    list_select_related = ["article", "reader", "rank"]
    fields = [
        "reader", "article", "is_copy", "is_read", "is_starred", "feedback", "composite_score",
        "interest_score",
        "quality_score", "score_reasoning", "matched_interests", "matched_anti_interests",
        "scoring_state", "scoring_priority", "rescore_mode", "queued_at", "claimed_at",
        "claimed_by", "scoring_attempts", "scoring_error", "scoring_raw_output", "scored_at",
        "scoring_model", "scoring_prompt_version", "created_at", "feedback_at",
    ]  # fmt: skip
    # Everything is changed through the actions below (the one rule for read state, the
    # rank that follows feedback) or by a re-score, never by hand.
    readonly_fields = fields  # type: ignore[assignment]
    actions = ["mark_read", "mark_unread", "more_like_this", "less_like_this", "clear_feedback"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="title", ordering="article__title")
    def title(self, obj: Reading) -> str:
        return obj.article.title

    @admin.action(description="Mark read (with every copy of the story)")
    def mark_read(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        marked = services.articles_mark_read(readings=queryset, is_read=True)
        self.message_user(request, f"{marked} articles marked read.")

    @admin.action(description="Mark unread (with every copy of the story)")
    def mark_unread(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        marked = services.articles_mark_read(readings=queryset, is_read=False)
        self.message_user(request, f"{marked} articles marked unread.")

    @admin.display(description="composite score", ordering="rank__score", empty_value="–")
    def composite_score(self, obj: Reading) -> float | None:
        return obj.composite_score

    @admin.action(description="👍 More like this")
    def more_like_this(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        self._feedback(request, queryset, Article.Feedback.UP)

    @admin.action(description="👎 Less like this")
    def less_like_this(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        self._feedback(request, queryset, Article.Feedback.DOWN)

    @admin.action(description="Clear 👍 / 👎")
    def clear_feedback(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        self._feedback(request, queryset, None)

    def _feedback(
        self, request: HttpRequest, queryset: QuerySet[Reading], feedback: str | None
    ) -> None:
        for reading in queryset:
            services.article_mark(reading=reading, feedback=feedback)
        self.message_user(request, f"Feedback saved on {queryset.count()} articles.")
