from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Profile
from articles.models import Article, Category, Reading
from common.permissions import OperatorAPIView, user_id
from common.serializers import MAX_ID, StrictSerializer
from llmconfig.api.ollama import ConfigIn, ConfigOut, ConfigUpdateOut, config_out
from llmconfig.models import UserSettings
from scoring import services


class StatusOut(serializers.Serializer[Any]):
    unscored = serializers.IntegerField()
    queued = serializers.IntegerField()
    scoring = serializers.IntegerField()
    scored = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField(
        help_text="Older than FEED_BACKFILL_DAYS when their feed was added; not scored."
    )
    blocked = serializers.IntegerField()
    rescoring = serializers.IntegerField()
    current_article_id = serializers.IntegerField(
        allow_null=True, help_text="The article an LLM call is running for, or null."
    )
    phase = serializers.ChoiceField(choices=["idle", "starting", "categorizing", "scoring"])
    paused = serializers.BooleanField(
        help_text="Work is queued but held back because the LLM cannot be reached (see reason)."
    )
    ready = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    waiting = serializers.CharField(
        allow_blank=True,
        help_text="Why this reader's articles wait however free the LLM is (no interests "
        "yet, or today's scoring budget spent); empty when they do not.",
    )
    waiting_until = serializers.DateTimeField(
        allow_null=True, help_text="When a spent budget starts again."
    )


class ScoringStatusView(APIView):
    """The reader's counts per state, the phase, and whether scoring can run (and why not)."""

    @extend_schema(responses=StatusOut)
    def get(self, request: Request) -> Response:
        operator = bool(request.user.is_staff)
        return Response(services.scoring_status(reader_id=user_id(request), operator=operator))


class RescoreIn(StrictSerializer):
    article_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=1000,
        help_text="These of the reader's articles (any state, `skipped` included); default: "
        "recent unread.",
    )
    mode = serializers.ChoiceField(
        choices=Article.RescoreMode.choices, default=Article.RescoreMode.FULL
    )
    skipped = serializers.BooleanField(
        default=False,
        help_text="The articles kept unscored as older than FEED_BACKFILL_DAYS when their "
        "feed was added, newest first (at most RESCORE_RECENT_LIMIT), instead of "
        "`article_ids`.",
    )

    def validate_article_ids(self, value: list[int]) -> list[int]:
        ids = list(dict.fromkeys(value))
        theirs = Reading.objects.filter(reader=self.context["request"].user, article_id__in=ids)
        unknown = set(ids) - set(theirs.values_list("article_id", flat=True))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown article ids: {', '.join(map(str, sorted(unknown)))}."
            )
        return ids


class RescoreView(APIView):
    """Re-queue the reader's articles ahead of other work, for them alone: the given
    `article_ids`, or recent unread ones (RESCORE_RECENT_DAYS, at most RESCORE_RECENT_LIMIT).
    With `?dry_run=1` nothing is queued: the answer says how many articles and LLM calls it
    would cost."""

    @extend_schema(
        request=RescoreIn,
        parameters=[OpenApiParameter("dry_run", bool, description="Only say what it costs.")],
        responses=inline_serializer(
            "RescoreOut",
            {
                "queued": serializers.IntegerField(),
                "articles": serializers.IntegerField(),
                "llm_calls": serializers.IntegerField(help_text="At most this many."),
                "dry_run": serializers.BooleanField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        body = RescoreIn(data=request.data or {}, context={"request": request})
        body.is_valid(raise_exception=True)
        dry = DryRun(data=request.query_params.dict())
        dry.is_valid(raise_exception=True)
        mode = body.validated_data["mode"]
        ids = body.validated_data.get("article_ids")
        if body.validated_data["skipped"]:
            readings = services.skipped(request.user)
        elif ids is None:
            readings = services.recent_unread(request.user)
        else:
            readings = Reading.objects.filter(reader_id=request.user.pk, article_id__in=ids)
        cost = services.rescore_cost(readings=readings, mode=mode)
        dry_run = dry.validated_data["dry_run"]
        queued = 0 if dry_run else services.readings_rescore(readings=readings, mode=mode)
        return Response({"queued": queued, **cost, "dry_run": dry_run})


class DryRun(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField(default=False)


class SuggestionOut(serializers.Serializer[Any]):
    name = serializers.CharField()
    weight = serializers.ChoiceField(choices=Category.Weight.choices)
    liked = serializers.IntegerField()
    disliked = serializers.IntegerField()
    suggested_weight = serializers.ChoiceField(choices=Category.Weight.choices, allow_null=True)
    reason = serializers.CharField()


class WeightSuggestionsView(APIView):
    """Topic weights the reader's 👍 / 👎 argue for. Apply one with
    `PATCH /api/categories/{name}/weight`; it reranks at once."""

    @extend_schema(responses=SuggestionOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(services.weight_suggestions(reader_id=user_id(request)))


# --- the reader's interests (a change re-scores: scoring decides how) -----------------------
class PreferencesSerializer(StrictSerializer):
    interests = serializers.CharField(allow_blank=True, max_length=10_000, required=False)
    anti_interests = serializers.CharField(allow_blank=True, max_length=10_000, required=False)
    mark_read_on_open = serializers.BooleanField(required=False)


class PreferencesOut(serializers.Serializer[Any]):
    interests = serializers.CharField()
    anti_interests = serializers.CharField()
    mark_read_on_open = serializers.BooleanField(
        help_text="Opening an article (its link, or `o`) marks it read."
    )
    topic_weights = serializers.DictField(
        child=serializers.ChoiceField(choices=Category.Weight.choices),
        help_text="Category name → weight, as the seed frontend reads it.",
    )
    updated_at = serializers.DateTimeField()


class PreferencesView(APIView):
    """The reader's interests. Saving re-scores their recent unread articles (score only:
    topics do not depend on interests, so only the scoring call is repeated)."""

    def _out(self, request: Request, profile: Profile, **extra: Any) -> dict[str, Any]:
        return {
            "interests": profile.interests,
            "anti_interests": profile.anti_interests,
            "mark_read_on_open": profile.mark_read_on_open,
            "topic_weights": Category.objects.weights(request.user),
            "updated_at": profile.updated_at,
            **extra,
        }

    @extend_schema(responses=PreferencesOut)
    def get(self, request: Request) -> Response:
        return Response(self._out(request, Profile.of(request.user)))

    @extend_schema(
        request=PreferencesSerializer,
        responses=inline_serializer(
            "PreferencesUpdateOut",
            {**PreferencesOut().get_fields(), "rescore_queued": serializers.IntegerField()},
        ),
    )
    def put(self, request: Request) -> Response:
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile, queued = services.preferences_update(
            reader_id=user_id(request), **serializer.validated_data
        )
        return Response(self._out(request, profile, rescore_queued=queued))


# --- the model choice (a change may re-score: scoring decides how) -------------------------
class ModelConfigView(OperatorAPIView):
    """Which models categorize and score. Names are bare Ollama names (`qwen3:4b`)."""

    @extend_schema(responses=ConfigOut)
    def get(self, request: Request) -> Response:
        return Response(config_out(UserSettings.load()))

    @extend_schema(request=ConfigIn, responses=ConfigUpdateOut)
    def put(self, request: Request) -> Response:
        serializer = ConfigIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        us, queued = services.model_config_change(
            categorization_model=data["categorization_model"],
            scoring_model=data.get("scoring_model") or "",
            use_separate_models=data["use_separate_models"],
            rescore=data["rescore"],
        )
        return Response({**config_out(us), "rescore_queued": queued})


class TasteOut(serializers.Serializer[Any]):
    marks = serializers.IntegerField(help_text="The 👍, 👎 and stars it learned from.")
    trained_at = serializers.DateTimeField(allow_null=True)
    average_precision = serializers.FloatField(
        allow_null=True,
        help_text="On marks it was not trained on (from 10 marks of both kinds); null before.",
    )
    history = serializers.ListField(child=serializers.DictField())


class TasteView(APIView):
    """What Sift learned of the reader's taste from their marks, with no LLM call, and how
    well it predicts marks it did not see."""

    @extend_schema(responses=TasteOut)
    def get(self, request: Request) -> Response:
        from accounts.models import Profile
        from scoring.services.taste import taste_summary

        return Response(taste_summary(Profile.of(request.user)))
