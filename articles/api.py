"""The reading API a frontend speaks. Paths and JSON names follow the original reader's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles import services
from articles.models import (
    Article,
    Category,
    Extraction,
    Reading,
    TopicWeight,
)
from articles.search import search_words
from articles.selectors import (
    articles_filtered,
    articles_matching,
    for_display,
)
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
    feed_id = serializers.IntegerField(help_text="The reader's feed that brought the article.")
    feed_title = serializers.CharField(source="feed.title")
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
    story_id = serializers.SerializerMethodField()
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
            "feed_id": r.feed_id,
            "feed_title": r.feed.title,
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
            "story_id": self.get_story_id(r),
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
        a = obj.article
        copies = [{"id": c.id, "feed_title": c.feed.title, "url": c.url} for c in a.copies.all()]
        return [{"id": a.id, "feed_title": obj.feed.title, "url": a.url}, *copies]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_story_id(self, obj: Reading) -> int | None:
        """The lead of the story this article copies, when the reader has the lead too (else
        this one stands for the story in their list, and the lead is not theirs to name)."""
        return obj.article.story_id if obj.is_copy else None

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
    reading = for_display(Reading.objects.filter(reader=reader, article_id=pk), reader).first()
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
    """Which unread articles to mark read: those of a feed, folder, topic, search, the
    starred ones, and/or those published more than some days ago, or `"all": true`. An
    empty body marks nothing: it once marked every article of the reader."""

    all = serializers.BooleanField(
        required=False, default=False, help_text="Every unread article (within the filters)."
    )
    feed_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    folder_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    category = serializers.CharField(required=False, max_length=100)
    is_starred = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = SearchField()
    older_than_days = serializers.IntegerField(required=False, min_value=0, max_value=36_500)

    SCOPES = ("feed_id", "folder_id", "category", "is_starred", "q", "older_than_days")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs.pop("all") and all(attrs.get(k) in (None, "") for k in self.SCOPES):
            raise serializers.ValidationError(
                {"all": ['Say what to mark: a filter, or "all": true for every unread article.']}
            )
        return attrs


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


# --- categories and preferences -----------------------------------------------------------
class CategoryListView(APIView):
    """Category names, sorted: the seed frontend renders each item as text. Weights and
    article counts are on `/api/topics`."""

    @extend_schema(responses={200: {"type": "array", "items": {"type": "string"}}})
    def get(self, request: Request) -> Response:
        names = (
            Category.objects.seen_by(request.user).order_by("name").values_list("name", flat=True)
        )
        return Response(list(names))


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
