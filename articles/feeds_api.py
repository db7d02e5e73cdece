"""The reading API's feeds and folders: a reader's subscriptions (their own title, folder
and place), OPML, and the feed's shared full-text settings. Paths and JSON names follow
the original reader's, as in `articles.api`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from articles import folders, opml, services
from articles.api import MARKED_OUT
from articles.models import (
    Combine,
    Feed,
    Folder,
    FullText,
    Subscription,
)
from articles.selectors import (
    feeds_with_counts,
    folders_with_counts,
)
from common.parsers import JSONParser
from common.serializers import MAX_ID, StrictSerializer


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
    full_text_editable = serializers.BooleanField(
        help_text="Whether this reader may change the full-text settings: the operator, or "
        "the feed's only reader (they are the feed's, for every reader of it)."
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
        if shared and not subscription.feed.full_text_editable_by(request.user):
            raise PermissionDenied(
                f"{next(iter(shared))}: this feed has other readers, and its full-text "
                "settings are theirs too; the operator sets them."
            )
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
        folder = folders.folder_get_or_create(
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
        folders.folder_rename(folder=folder, name=serializer.validated_data["name"])
        return Response(FolderSerializer(folders_with_counts(request.user).get(pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        """The folder goes; its feeds stay, outside any folder."""
        folders.folder_delete(folder=get_folder(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
