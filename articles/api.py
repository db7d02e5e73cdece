"""The reading API a frontend speaks. Paths and JSON names follow the original reader's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles import opml, services
from articles.models import (
    Article,
    Category,
    Combine,
    Extraction,
    Feed,
    Folder,
    FullText,
    Reading,
    Subscription,
    TopicWeight,
)
from articles.search import search_words
from articles.selectors import (
    articles_filtered,
    articles_matching,
    feeds_with_counts,
    folders_with_counts,
    for_display,
)
from common.parsers import JSONParser
from common.serializers import MAX_ID, MAX_OFFSET, StrictSerializer

# --- articles --------------------------------------------------------------------------------
_DATETIME = serializers.DateTimeField()
MARKED_OUT = inline_serializer(
    "MarkedOut", {"message": serializers.CharField(), "marked": serializers.IntegerField()}
)


def _datetime(value: Any) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def reader_weights(reader: Any) -> dict[int, str]:
    """Category id → this reader's weight, for the topics they weighted (others: neutral)."""
    return dict(TopicWeight.objects.filter(reader=reader).values_list("category_id", "weight"))


class ArticleSerializer(serializers.Serializer[Any]):
    """One reader's article: the article's own fields and topics, with the reader's verdict,
    rank and marks. `id` is the article's (the same for every reader); the reader's topic
    weights come in the context (`weights`, from `reader_weights`). The fields are declared
    for the schema; `to_representation` builds them."""

    id = serializers.IntegerField(source="article.id")
    feed_id = serializers.IntegerField(source="article.feed_id")
    feed_title = serializers.CharField(source="article.feed.title")
    title = serializers.CharField(source="article.title")
    url = serializers.URLField(source="article.url")
    author = serializers.CharField(source="article.author")
    published_at = serializers.DateTimeField(source="article.published_at", allow_null=True)
    summary = serializers.CharField(source="article.summary")
    content = serializers.CharField(source="article.content", allow_null=True)
    is_read = serializers.BooleanField()
    is_starred = serializers.BooleanField()
    starred_at = serializers.DateTimeField(allow_null=True)
    categories = serializers.SerializerMethodField()
    interest_score = serializers.IntegerField(allow_null=True)
    quality_score = serializers.IntegerField(allow_null=True)
    composite_score = serializers.FloatField(allow_null=True)
    score_reasoning = serializers.SerializerMethodField()
    scoring_state = serializers.ChoiceField(choices=Article.ScoringState.choices)
    scored_at = serializers.DateTimeField(allow_null=True)
    scoring_priority = serializers.IntegerField()
    rescore_mode = serializers.ChoiceField(choices=Article.RescoreMode.choices, allow_null=True)
    is_rescoring = serializers.BooleanField()
    feedback = serializers.ChoiceField(choices=Article.Feedback.choices, allow_null=True)
    feedback_at = serializers.DateTimeField(allow_null=True)
    explanation = serializers.SerializerMethodField()
    story_id = serializers.IntegerField(source="article.story_id", allow_null=True)
    sources = serializers.SerializerMethodField()
    extraction = serializers.ChoiceField(
        choices=Extraction.choices, source="article.extraction",
        help_text="Full text of the article's page: '' not asked, pending, done, failed.",
    )  # fmt: skip
    extraction_error = serializers.CharField(source="article.extraction_error")

    def to_representation(self, instance: Reading) -> dict[str, Any]:
        """What DRF's field-by-field rendering gives for the fields above (a test compares
        the two on every kind of article), built directly: the ranked list renders 50 of
        these per request and DRF's per-field machinery was most of its time (bench P4)."""
        r, a = instance, instance.article
        return {
            "id": a.id,
            "feed_id": a.feed_id,
            "feed_title": a.feed.title,
            "title": a.title,
            "url": a.url,
            "author": a.author,
            "published_at": _datetime(a.published_at),
            **self.body(a),
            "is_read": r.is_read,
            "is_starred": r.is_starred,
            "starred_at": _datetime(r.starred_at),
            "categories": self.get_categories(r),
            "interest_score": r.interest_score,
            "quality_score": r.quality_score,
            "composite_score": r.composite_score,
            "score_reasoning": self.get_score_reasoning(r),
            "scoring_state": r.scoring_state,
            "scored_at": _datetime(r.scored_at),
            "scoring_priority": r.scoring_priority,
            "rescore_mode": r.rescore_mode,
            "is_rescoring": r.is_rescoring,
            "feedback": r.feedback,
            "feedback_at": _datetime(r.feedback_at),
            "explanation": self.get_explanation(r),
            "story_id": a.story_id,
            "sources": self.get_sources(r),
            "extraction": a.extraction,
            "extraction_error": a.extraction_error,
        }

    def body(self, a: Article) -> dict[str, str | None]:
        return {"summary": a.summary, "content": a.content}

    @staticmethod
    def _topics(obj: Reading) -> list[Category]:
        """The prefetched topics, read once per article: each `.all()` builds a QuerySet,
        and four fields need them (measured: a quarter of the ranked list's time)."""
        if "_topics" not in obj.__dict__:
            obj.__dict__["_topics"] = list(obj.article.categories.all())
        topics: list[Category] = obj.__dict__["_topics"]
        return topics

    def _weights(self) -> dict[int, str]:
        weights: dict[int, str] = self.context.get("weights", {})
        return weights

    def get_categories(self, obj: Reading) -> list[str]:
        return [c.name for c in self._topics(obj)]

    @extend_schema_field(
        inline_serializer(
            "Explanation",
            {
                "matched_interests": serializers.ListField(child=serializers.CharField()),
                "matched_anti_interests": serializers.ListField(child=serializers.CharField()),
                "weights": serializers.DictField(child=serializers.CharField()),
                "quality_factor": serializers.FloatField(allow_null=True),
                "feedback_factor": serializers.FloatField(),
                "reasoning": serializers.CharField(),
            },
        )
    )
    def get_explanation(self, obj: Reading) -> dict[str, Any]:
        """Why it ranks where it does, in the reader's own words: the phrases of their
        interests it matched (checked against their text), each topic's weight, the quality
        factor (0.5 + quality/20), what the reader's 👎 multiplies it by, and the model's
        reasoning. Empty lists for articles scored before Sift asked for the phrases."""
        return {
            "matched_interests": list(obj.matched_interests or []),
            "matched_anti_interests": list(obj.matched_anti_interests or []),
            "weights": {
                c.name: self._weights().get(c.id, Category.Weight.NEUTRAL)
                for c in self._topics(obj)
            },
            "quality_factor": obj.quality_factor,
            "feedback_factor": obj.feedback_factor,
            "reasoning": self.get_score_reasoning(obj),
        }

    @extend_schema_field(
        inline_serializer(
            "StorySource",
            {
                "id": serializers.IntegerField(),
                "feed_title": serializers.CharField(),
                "url": serializers.URLField(),
            },
            many=True,
        )
    )
    def get_sources(self, obj: Reading) -> list[dict[str, Any]]:
        """Every feed that carried this story: the article itself, then its copies (the list
        shows a story once; `story_id` is set on a copy and names its lead)."""
        rows = [obj.article, *obj.article.copies.all()]
        return [{"id": a.id, "feed_title": a.feed.title, "url": a.url} for a in rows]

    def get_score_reasoning(self, obj: Reading) -> str:
        return obj.reasoning_shown(self._weights(), self._topics(obj))


LIST_SUMMARY_CHARS = 500


class ArticleListItemSerializer(ArticleSerializer):
    """An article in a list: `summary` is plain text of at most LIST_SUMMARY_CHARS and
    `content` is null (the frontend contract allows it; the list query does not read it);
    `GET /api/articles/<id>` has both whole. One 2.2 MB item stored twice made every list
    page holding it 4.4 MB."""

    def body(self, a: Article) -> dict[str, str | None]:
        # Only the head of the HTML is made text: a 2.2 MB summary costs what a short one does.
        text = " ".join(services.plain_text(a.summary[: 8 * LIST_SUMMARY_CHARS], 10**6).split())
        if len(text) > LIST_SUMMARY_CHARS:
            text = text[: LIST_SUMMARY_CHARS - 1].rstrip() + "…"
        return {"summary": text, "content": None}


class SearchField(serializers.CharField):
    """A full-text search: at least one word (`articles.search`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=500, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not search_words(value):
            raise serializers.ValidationError("Search for at least one word.")
        return value


class ArticleListParams(StrictSerializer):
    SORTS = ["composite_score", "published_at"]
    STATES = [s.value for s in Article.ScoringState] + ["pending", "blocked"]

    skip = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)
    limit = serializers.IntegerField(min_value=1, default=50)
    is_read = serializers.BooleanField(required=False, allow_null=True, default=None)
    feed_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    category = serializers.CharField(required=False, max_length=100)
    sort_by = serializers.ChoiceField(choices=SORTS, default="composite_score")
    order = serializers.ChoiceField(choices=["asc", "desc"], default="desc")
    scoring_state = serializers.ChoiceField(choices=STATES, required=False)
    exclude_blocked = serializers.BooleanField(default=True)
    is_starred = serializers.BooleanField(required=False, allow_null=True, default=None)
    folder_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    q = SearchField()

    def validate_limit(self, value: int) -> int:
        # Clamped, not refused: the seed frontend asks 50, 100, 150 … and reads a page shorter
        # than its `limit` as the end of the list.
        return min(value, settings.ARTICLES_MAX_LIMIT)


LIST_PARAMS = [
    OpenApiParameter("skip", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
    OpenApiParameter(
        "limit",
        int,
        description=f"1 or more (default 50); above {settings.ARTICLES_MAX_LIMIT} "
        "(ARTICLES_MAX_LIMIT) it is clamped to that maximum.",
    ),
    OpenApiParameter("is_read", bool),
    OpenApiParameter("feed_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
    OpenApiParameter("category", str),
    OpenApiParameter("sort_by", str, enum=ArticleListParams.SORTS),
    OpenApiParameter("order", str, enum=["asc", "desc"]),
    OpenApiParameter("scoring_state", str, enum=ArticleListParams.STATES),
    OpenApiParameter("exclude_blocked", bool),
    OpenApiParameter("is_starred", bool),
    OpenApiParameter("folder_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
    OpenApiParameter(
        "q",
        str,
        description="Words the title, summary or content must all hold (full-text search); "
        "the results keep the list's order, best score first.",
    ),
]


class ArticleListView(APIView):
    """Ranked articles. Without `scoring_state`: scored and not blocked (an article being
    re-scored keeps its old score). `pending` lists what awaits scoring, oldest first."""

    @extend_schema(parameters=LIST_PARAMS, responses=ArticleListItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        params = ArticleListParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        found = articles_filtered(request.user, data).defer("article__content")
        page = found[data["skip"] : data["skip"] + data["limit"]]
        context = {"weights": reader_weights(request.user)}
        return Response(ArticleListItemSerializer(page, many=True, context=context).data)


class ArticleUpdateIn(StrictSerializer):
    is_read = serializers.BooleanField(required=False)
    is_starred = serializers.BooleanField(required=False)
    feedback = serializers.ChoiceField(
        choices=Article.Feedback.choices,
        allow_null=True,
        required=False,
        help_text='"up" (more like this), "down" (less like this) or null (none).',
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Send is_read, is_starred and/or feedback."]}
            )
        return attrs


def get_reading(reader: Any, pk: int) -> Reading:
    """The reader's article `pk`: another reader's (or none) does not exist for them."""
    if pk > MAX_ID:
        raise NotFound("Article not found")
    reading = for_display(Reading.objects.filter(reader=reader, article_id=pk)).first()
    if reading is None:
        raise NotFound("Article not found")
    return reading


class ArticleDetailView(APIView):
    @extend_schema(responses=ArticleSerializer)
    def get(self, request: Request, pk: int) -> Response:
        context = {"weights": reader_weights(request.user)}
        return Response(ArticleSerializer(get_reading(request.user, pk), context=context).data)

    @extend_schema(request=ArticleUpdateIn, responses=ArticleSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        reading = get_reading(request.user, pk)
        serializer = ArticleUpdateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.article_mark(
            reading=reading,
            is_read=data.get("is_read"),
            is_starred=data.get("is_starred"),
            feedback=data.get("feedback", ""),
        )
        context = {"weights": reader_weights(request.user)}
        return Response(ArticleSerializer(reading, context=context).data)


class MarkReadIn(StrictSerializer):
    """Which unread articles to mark read: all of them, or those of a feed, folder, topic,
    search, the starred ones, and/or those published more than some days ago."""

    feed_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    folder_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    category = serializers.CharField(required=False, max_length=100)
    is_starred = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = SearchField()
    older_than_days = serializers.IntegerField(required=False, min_value=0, max_value=36_500)


class ArticlesMarkReadView(APIView):
    @extend_schema(request=MarkReadIn, responses=MARKED_OUT)
    def post(self, request: Request) -> Response:
        serializer = MarkReadIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = services.articles_mark_read(
            readings=articles_matching(request.user, serializer.validated_data).filter(
                is_read=False
            )
        )
        return Response({"message": f"Marked {marked} articles as read", "marked": marked})


# --- feeds -----------------------------------------------------------------------------------
class FeedSerializer(serializers.Serializer[Any]):
    """A reader's feed: `id` is the feed's (the same for every reader); the title is the
    reader's own for it, else the feed's."""

    id = serializers.IntegerField(source="feed_id")
    url = serializers.URLField(source="feed.url")
    title = serializers.CharField(source="shown_title")
    folder_id = serializers.IntegerField(allow_null=True)
    display_order = serializers.IntegerField()
    last_fetched_at = serializers.DateTimeField(source="feed.last_fetched_at", allow_null=True)
    last_error = serializers.CharField(source="feed.last_error")
    entries_dropped = serializers.IntegerField(source="feed.entries_dropped")
    unread_count = serializers.IntegerField()
    full_text = serializers.ChoiceField(choices=FullText.choices, source="feed.full_text")
    full_text_selector = serializers.CharField(source="feed.full_text_selector")
    full_text_remove = serializers.CharField(source="feed.full_text_remove")
    full_text_combine = serializers.ChoiceField(
        choices=Combine.choices, source="feed.full_text_combine"
    )


@extend_schema_field({"type": "integer", "nullable": True})
class FolderField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """One of the reader's folders by its id (null: none); another's does not exist."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, required=False, **kwargs)

    def get_queryset(self) -> QuerySet[Folder]:
        return Folder.objects.filter(reader=self.context["request"].user)


class FeedCreateIn(StrictSerializer):
    url = serializers.URLField(
        max_length=2000,
        help_text="The feed's address, or a web page's: its feed is found through the page's "
        '<link rel="alternate">; a page naming several answers 400 with `choices`. A feed '
        "another reader has is not fetched again.",
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    folder_id = FolderField()

    def validate_url(self, value: str) -> str:
        if problem := services.feed_url_problem(value):
            raise serializers.ValidationError(problem)
        if problem := services.feed_subscribed_problem(self.context["request"].user, value):
            raise serializers.ValidationError(problem)
        return value


def get_subscription(reader: Any, feed_id: int) -> Subscription:
    """The reader's subscription to feed `feed_id`: another reader's does not exist."""
    if feed_id > MAX_ID:
        raise NotFound("Feed not found")
    return get_object_or_404(
        Subscription.objects.select_related("feed"), reader=reader, feed_id=feed_id
    )


def feed_out(reader: Any, feed_id: int) -> dict[str, Any]:
    return FeedSerializer(feeds_with_counts(reader, pk=feed_id)[0]).data


class FeedListView(APIView):
    @extend_schema(responses=FeedSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(FeedSerializer(feeds_with_counts(request.user), many=True).data)

    @extend_schema(request=FeedCreateIn, responses={201: FeedSerializer})
    def post(self, request: Request) -> Response:
        serializer = FeedCreateIn(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        sub = services.feed_subscribe(
            reader=request.user, folder=data.pop("folder_id", None), **data
        )
        return Response(feed_out(request.user, sub.feed_id), status=status.HTTP_201_CREATED)


def css_selector(value: str) -> None:
    if value and (problem := services.css_selector_problem(value)):
        raise serializers.ValidationError(problem)


class FeedUpdateIn(StrictSerializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    folder_id = FolderField()
    display_order = serializers.IntegerField(
        required=False, min_value=-1_000_000, max_value=1_000_000
    )
    # The feed's, shared with its other subscribers (the article's text is extracted once).
    full_text = serializers.ChoiceField(
        choices=FullText.choices, required=False,
        help_text="Fetch each article's page: auto (when the feed gives a teaser), always, never.",
    )  # fmt: skip
    full_text_selector = serializers.CharField(
        required=False, allow_blank=True, max_length=500, validators=[css_selector],
        help_text="A CSS selector of the article's text on its page (overrides extraction).",
    )  # fmt: skip
    full_text_remove = serializers.CharField(
        required=False, allow_blank=True, max_length=500, validators=[css_selector],
        help_text="A CSS selector of elements to drop from the page before extracting.",
    )  # fmt: skip
    full_text_combine = serializers.ChoiceField(
        choices=Combine.choices, required=False,
        help_text="replace: the page's text replaces the feed's; append: it follows it.",
    )  # fmt: skip


class FeedDetailView(APIView):
    @extend_schema(request=FeedUpdateIn, responses=FeedSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        subscription = get_subscription(request.user, pk)
        serializer = FeedUpdateIn(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "folder_id" in data:
            data["folder"] = data.pop("folder_id")
        shared = {k: data.pop(k) for k in list(data) if k.startswith("full_text")}
        with transaction.atomic():
            services.subscription_update(subscription=subscription, **data)
            if shared:
                services.feed_full_text_set(feed=subscription.feed, **shared)
        return Response(feed_out(request.user, pk))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        """Unsubscribe: the reader's articles of the feed go; the feed stays for its other
        readers."""
        services.subscription_delete(subscription=get_subscription(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedReorderIn(StrictSerializer):
    feed_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=10_000,
    )

    def validate_feed_ids(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each feed may appear once.")
        mine = Subscription.objects.filter(reader=self.context["request"].user, feed_id__in=value)
        known = set(mine.values_list("feed_id", flat=True))
        if missing := [i for i in value if i not in known]:
            raise serializers.ValidationError(f"Unknown feed ids: {missing}")
        return value


class FeedReorderView(APIView):
    @extend_schema(request=FeedReorderIn, responses=FeedSerializer(many=True))
    def patch(self, request: Request) -> Response:
        serializer = FeedReorderIn(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.feeds_reorder(reader=request.user, feed_ids=serializer.validated_data["feed_ids"])
        return Response(FeedSerializer(feeds_with_counts(request.user), many=True).data)


class FeedMarkAllReadView(APIView):
    @extend_schema(request=None, responses=MARKED_OUT)
    def post(self, request: Request, pk: int) -> Response:
        subscription = get_subscription(request.user, pk)
        marked = services.feed_mark_read(reader=request.user, feed_id=subscription.feed_id)
        return Response({"message": f"Marked {marked} articles as read", "marked": marked})


class FeedRefreshOneView(APIView):
    """Refresh one of the reader's feeds in the background (a worker fetches it); 202 at once."""

    @extend_schema(
        operation_id="feed_refresh_one",
        request=None,
        responses={
            202: inline_serializer("RefreshOneOut", {"message": serializers.CharField()}),
            404: OpenApiResponse(),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        subscription = get_subscription(request.user, pk)
        services.feed_refresh_later(feed_id=subscription.feed_id)
        return Response(
            {"message": f"Refreshing {subscription}; new articles appear as they are scored."},
            status=status.HTTP_202_ACCEPTED,
        )


class FeedRefreshView(APIView):
    """Refresh every feed of the reader's in the background: one task per feed, least
    recently attempted first. 202 at once; new articles appear as they are scored."""

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "RefreshOut",
                {"message": serializers.CharField(), "queued": serializers.IntegerField()},
            )
        },
    )
    def post(self, request: Request) -> Response:
        queued = services.feeds_refresh_later(
            feeds=Feed.objects.filter(subscriptions__reader_id=request.user.pk)
        )
        message = f"Refreshing {queued} feeds." if queued else "No feeds configured."
        return Response({"message": message, "queued": queued}, status=status.HTTP_202_ACCEPTED)


class OPMLView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses={(200, "text/x-opml"): OpenApiTypes.STR})
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(
            opml.opml_export(reader=request.user), content_type="text/x-opml; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="sift-feeds.opml"'
        return response

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("OPMLIn", {"file": serializers.FileField()})
        },
        responses=inline_serializer(
            "OPMLOut",
            {
                "created": serializers.IntegerField(),
                "skipped": serializers.IntegerField(),
                "refused": inline_serializer(
                    "OPMLRefused",
                    {"url": serializers.CharField(), "reason": serializers.CharField()},
                    many=True,
                ),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"file": ["Upload an OPML file as `file`."]}, status=status.HTTP_400_BAD_REQUEST
            )
        if upload.size > 5 * 1024 * 1024:
            return Response(
                {"file": ["The OPML file is larger than 5 MB."]}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(opml.opml_import(reader=request.user, data=upload.read()))


# --- folders ----------------------------------------------------------------------------------
class FolderSerializer(serializers.ModelSerializer[Folder]):
    feed_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Folder
        fields = ["id", "name", "feed_count"]
        read_only_fields = fields


class FolderIn(StrictSerializer):
    name = serializers.CharField(max_length=200, trim_whitespace=True)

    def validate_name(self, value: str) -> str:
        if Folder.objects.filter(reader=self.context["request"].user, name=value).exists():
            raise serializers.ValidationError("A folder of this name exists.")
        return value


def get_folder(reader: Any, pk: int) -> Folder:
    if pk > MAX_ID:
        raise NotFound("Folder not found")
    return get_object_or_404(Folder, reader=reader, pk=pk)


class FolderListView(APIView):
    @extend_schema(responses=FolderSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(FolderSerializer(folders_with_counts(request.user), many=True).data)

    @extend_schema(request=FolderIn, responses={201: FolderSerializer})
    def post(self, request: Request) -> Response:
        serializer = FolderIn(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        folder = services.folder_get_or_create(
            reader=request.user, name=serializer.validated_data["name"]
        )
        return Response(
            FolderSerializer(folders_with_counts(request.user).get(pk=folder.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class FolderDetailView(APIView):
    @extend_schema(request=FolderIn, responses=FolderSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        folder = get_folder(request.user, pk)
        serializer = FolderIn(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.folder_rename(folder=folder, name=serializer.validated_data["name"])
        return Response(FolderSerializer(folders_with_counts(request.user).get(pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        """The folder goes; its feeds stay, outside any folder."""
        services.folder_delete(folder=get_folder(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- categories and preferences -----------------------------------------------------------
class CategoryListView(APIView):
    """Category names, sorted: the seed frontend renders each item as text. Weights and
    article counts are on `/api/topics`."""

    @extend_schema(responses={200: {"type": "array", "items": {"type": "string"}}})
    def get(self, request: Request) -> Response:
        return Response(list(Category.objects.order_by("name").values_list("name", flat=True)))


class TopicSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    weight = serializers.ChoiceField(
        choices=Category.Weight.choices, help_text="The reader's own (neutral unless set)."
    )
    article_count = serializers.IntegerField(help_text="How many of the reader's articles.")


class TopicListView(APIView):
    """Every category with the reader's weight and how many of their articles carry it
    (Sift's own pages)."""

    @extend_schema(responses=TopicSerializer(many=True))
    def get(self, request: Request) -> Response:
        topics = Category.objects.with_article_counts(request.user)
        return Response(TopicSerializer(topics, many=True).data)


class WeightIn(StrictSerializer):
    weight = serializers.ChoiceField(choices=Category.Weight.choices)


class CategoryWeightView(APIView):
    """The reader's weight for a topic: it reranks their articles at once, no one else's."""

    @extend_schema(request=WeightIn, responses={200: TopicSerializer, 404: OpenApiResponse()})
    def patch(self, request: Request, name: str) -> Response:
        serializer = WeightIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_weight_set(
            reader=request.user, name=name, weight=serializer.validated_data["weight"]
        )
        topic = Category.objects.with_article_counts(request.user).get(pk=category.pk)
        return Response(TopicSerializer(topic).data)
