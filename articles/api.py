"""The reading API a frontend speaks. Paths and JSON names follow the original reader's."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles import services
from articles.models import Article, ArticleQuerySet, Category, Feed
from config.serializers import StrictSerializer
from llmconfig.models import UserSettings


# --- articles --------------------------------------------------------------------------------
class ArticleSerializer(serializers.ModelSerializer):
    feed_title = serializers.CharField(source="feed.title", read_only=True)
    categories = serializers.SerializerMethodField()
    is_rescoring = serializers.BooleanField(read_only=True)

    class Meta:
        model = Article
        fields = [
            "id", "feed_id", "feed_title", "title", "url", "author", "published_at", "summary",
            "content", "is_read", "categories", "interest_score", "quality_score",
            "composite_score", "score_reasoning", "scoring_state", "scored_at",
            "scoring_priority", "rescore_mode", "is_rescoring",
        ]  # fmt: skip
        read_only_fields = fields

    def get_categories(self, obj: Article) -> list[str]:
        return [c.name for c in obj.categories.all()]


class ArticleListParams(StrictSerializer):
    SORTS = ["composite_score", "published_at"]
    STATES = [s.value for s in Article.ScoringState] + ["pending", "blocked"]

    skip = serializers.IntegerField(min_value=0, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)
    is_read = serializers.BooleanField(required=False, allow_null=True, default=None)
    feed_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.CharField(required=False, max_length=100)
    sort_by = serializers.ChoiceField(choices=SORTS, default="composite_score")
    order = serializers.ChoiceField(choices=["asc", "desc"], default="desc")
    scoring_state = serializers.ChoiceField(choices=STATES, required=False)
    exclude_blocked = serializers.BooleanField(default=True)


def articles_filtered(params: dict[str, Any]) -> QuerySet[Article]:
    state = params.get("scoring_state")
    qs: ArticleQuerySet
    if state == "pending":
        # Oldest first: the order they will be scored in.
        ordered = _common_filters(Article.objects.pending(), params).order_by("published_at", "id")
        return ordered.select_related("feed").prefetch_related("categories")
    if state == "blocked":
        qs = Article.objects.blocked()
    elif state:
        qs = Article.objects.filter(scoring_state=state)
        if params["exclude_blocked"] and state == Article.ScoringState.SCORED:
            qs = qs.exclude(composite_score=0)
    else:
        qs = Article.objects.visible()
    qs = _common_filters(qs, params).order_for_list(params["sort_by"], params["order"])
    return qs.select_related("feed").prefetch_related("categories")


def _common_filters(qs: ArticleQuerySet, params: dict[str, Any]) -> ArticleQuerySet:
    if params.get("is_read") is not None:
        qs = qs.filter(is_read=params["is_read"])
    if params.get("feed_id"):
        qs = qs.filter(feed_id=params["feed_id"])
    if params.get("category"):
        qs = qs.filter(categories__name=Category.normalize(params["category"]))
    return qs


LIST_PARAMS = [
    OpenApiParameter("skip", int),
    OpenApiParameter("limit", int, description="1–200"),
    OpenApiParameter("is_read", bool),
    OpenApiParameter("feed_id", int),
    OpenApiParameter("category", str),
    OpenApiParameter("sort_by", str, enum=ArticleListParams.SORTS),
    OpenApiParameter("order", str, enum=["asc", "desc"]),
    OpenApiParameter("scoring_state", str, enum=ArticleListParams.STATES),
    OpenApiParameter("exclude_blocked", bool),
]


class ArticleListView(APIView):
    """Ranked articles. Without `scoring_state`: scored and not blocked (an article being
    re-scored keeps its old score). `pending` lists what awaits scoring, oldest first."""

    @extend_schema(parameters=LIST_PARAMS, responses=ArticleSerializer(many=True))
    def get(self, request: Request) -> Response:
        params = ArticleListParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        qs = articles_filtered(data)[data["skip"] : data["skip"] + data["limit"]]
        return Response(ArticleSerializer(qs, many=True).data)


class ArticleUpdateIn(StrictSerializer):
    is_read = serializers.BooleanField()


def get_article(pk: int) -> Article:
    article = (
        Article.objects.select_related("feed").prefetch_related("categories").filter(pk=pk).first()
    )
    if article is None:
        raise NotFound("Article not found")
    return article


class ArticleDetailView(APIView):
    @extend_schema(responses=ArticleSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ArticleSerializer(get_article(pk)).data)

    @extend_schema(request=ArticleUpdateIn, responses=ArticleSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        article = get_article(pk)
        serializer = ArticleUpdateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        Article.objects.filter(pk=pk).update(is_read=serializer.validated_data["is_read"])
        article.is_read = serializer.validated_data["is_read"]
        return Response(ArticleSerializer(article).data)


# --- feeds -----------------------------------------------------------------------------------
class FeedSerializer(serializers.ModelSerializer):
    unread_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Feed
        fields = [
            "id",
            "url",
            "title",
            "display_order",
            "last_fetched_at",
            "last_error",
            "unread_count",
        ]
        read_only_fields = fields


def feeds_with_counts(*, pk: int | None = None) -> list[Feed]:
    """Feeds in display order with `unread_count`: two queries, the count from one pass over
    the (feed, is_read) index (a JOIN + GROUP BY would read every article row)."""
    rows = Feed.objects.order_by("display_order", "id")
    unread = Article.objects.filter(is_read=False)
    if pk is not None:
        rows, unread = rows.filter(pk=pk), unread.filter(feed_id=pk)
    counts = dict(unread.values_list("feed_id").annotate(n=Count("*")).order_by())
    feeds = list(rows)
    for feed in feeds:
        feed.unread_count = counts.get(feed.pk, 0)  # type: ignore[attr-defined]
    return feeds


class FeedCreateIn(StrictSerializer):
    url = serializers.URLField(max_length=2000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http:// and https:// feeds are accepted.")
        if Feed.objects.filter(url=value).exists():
            raise serializers.ValidationError("This feed is already subscribed.")
        return value


class FeedListView(APIView):
    @extend_schema(responses=FeedSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(FeedSerializer(feeds_with_counts(), many=True).data)

    @extend_schema(request=FeedCreateIn, responses={201: FeedSerializer})
    def post(self, request: Request) -> Response:
        serializer = FeedCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            feed, _new = services.feed_create(**serializer.validated_data)
        except services.FeedError as exc:
            return Response({"url": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            FeedSerializer(feeds_with_counts(pk=feed.pk)[0]).data, status=status.HTTP_201_CREATED
        )


class FeedUpdateIn(StrictSerializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    display_order = serializers.IntegerField(
        required=False, min_value=-1_000_000, max_value=1_000_000
    )


class FeedDetailView(APIView):
    @extend_schema(request=FeedUpdateIn, responses=FeedSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        feed = get_object_or_404(Feed, pk=pk)
        serializer = FeedUpdateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(feed, name, value)
        feed.save(update_fields=list(serializer.validated_data) or None)
        return Response(FeedSerializer(feeds_with_counts(pk=pk)[0]).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        feed = get_object_or_404(Feed, pk=pk)
        feed.delete()  # its articles go with it (on_delete=CASCADE)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedReorderIn(StrictSerializer):
    feed_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=10_000
    )

    def validate_feed_ids(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each feed may appear once.")
        known = set(Feed.objects.filter(id__in=value).values_list("id", flat=True))
        if missing := [i for i in value if i not in known]:
            raise serializers.ValidationError(f"Unknown feed ids: {missing}")
        return value


class FeedReorderView(APIView):
    @extend_schema(request=FeedReorderIn, responses=FeedSerializer(many=True))
    def patch(self, request: Request) -> Response:
        serializer = FeedReorderIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            for position, feed_id in enumerate(serializer.validated_data["feed_ids"]):
                Feed.objects.filter(pk=feed_id).update(display_order=position)
        return Response(FeedSerializer(feeds_with_counts(), many=True).data)


class FeedMarkAllReadView(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "MarkedOut", {"message": serializers.CharField(), "marked": serializers.IntegerField()}
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        feed = get_object_or_404(Feed, pk=pk)
        marked = Article.objects.filter(feed=feed, is_read=False).update(is_read=True)
        return Response({"message": f"Marked {marked} articles as read", "marked": marked})


class FeedRefreshView(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "RefreshOut",
            {"message": serializers.CharField(), "new_articles": serializers.IntegerField()},
        ),
    )
    def post(self, request: Request) -> Response:
        if not Feed.objects.exists():
            return Response({"message": "No feeds configured", "new_articles": 0})
        new = services.feeds_refresh_all()
        return Response({"message": f"Refreshed {Feed.objects.count()} feeds", "new_articles": new})


class OPMLView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses={(200, "text/x-opml"): OpenApiTypes.STR})
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(services.opml_export(), content_type="text/x-opml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sift-feeds.opml"'
        return response

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("OPMLIn", {"file": serializers.FileField()})
        },
        responses=inline_serializer(
            "OPMLOut",
            {"created": serializers.IntegerField(), "skipped": serializers.IntegerField()},
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
        try:
            result = services.opml_import(data=upload.read())
        except services.FeedError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result)


# --- categories and preferences -----------------------------------------------------------
class CategorySerializer(serializers.ModelSerializer):
    article_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["name", "weight", "article_count"]


class CategoryListView(APIView):
    @extend_schema(responses=CategorySerializer(many=True))
    def get(self, request: Request) -> Response:
        qs = Category.objects.annotate(article_count=Count("articles")).order_by("name")
        return Response(CategorySerializer(qs, many=True).data)


class WeightIn(StrictSerializer):
    weight = serializers.ChoiceField(choices=Category.Weight.choices)


class CategoryWeightView(APIView):
    @extend_schema(request=WeightIn, responses=CategorySerializer)
    def patch(self, request: Request, name: str) -> Response:
        serializer = WeightIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        normalized = Category.normalize(name)
        if not normalized:
            return Response(
                {"name": ["A category name needs letters or digits (kebab-case, e.g. ai-ml)."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        category, _ = Category.objects.update_or_create(
            name=normalized, defaults={"weight": serializer.validated_data["weight"]}
        )
        category.article_count = category.articles.count()  # type: ignore[attr-defined]
        return Response(CategorySerializer(category).data)


class PreferencesSerializer(StrictSerializer):
    interests = serializers.CharField(allow_blank=True, max_length=10_000, required=False)
    anti_interests = serializers.CharField(allow_blank=True, max_length=10_000, required=False)


class PreferencesView(APIView):
    """The reader's interests. Saving re-scores recent unread articles (score only: topics do
    not depend on interests, so only the scoring call is repeated)."""

    def _out(self, us: UserSettings, **extra: Any) -> dict[str, Any]:
        return {
            "interests": us.interests,
            "anti_interests": us.anti_interests,
            "updated_at": us.updated_at,
            **extra,
        }

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(self._out(UserSettings.load()))

    @extend_schema(
        request=PreferencesSerializer,
        responses=inline_serializer(
            "PreferencesOut",
            {
                "interests": serializers.CharField(),
                "anti_interests": serializers.CharField(),
                "rescore_queued": serializers.IntegerField(),
            },
        ),
    )
    def put(self, request: Request) -> Response:
        from scoring.services import preferences_update

        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        us, queued = preferences_update(**serializer.validated_data)
        return Response(self._out(us, rescore_queued=queued))
