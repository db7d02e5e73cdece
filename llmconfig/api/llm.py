"""Settings and LLM endpoints. Views validate, call one service, shape the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.permissions import OperatorAPIView
from common.serializers import StrictSerializer
from common.validators import http_url
from llmconfig import services
from llmconfig.llm.registry import ModelId, UnknownModelError
from llmconfig.models import UserSettings
from llmconfig.schemas import SCHEMAS
from llmconfig.validators import model_id


# --- field helpers -------------------------------------------------------------------------
class OllamaModelEntrySerializer(serializers.Serializer[Any]):
    id = serializers.CharField(max_length=200)
    # `label` is also an attribute of DRF's Field, hence the ignore; the JSON name is the contract.
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)  # type: ignore[assignment]
    enabled = serializers.BooleanField(default=True)
    vision = serializers.BooleanField(default=False)

    def validate_id(self, value: str) -> str:
        try:
            model_id = ModelId.parse(value, bare_is_ollama=True)
        except UnknownModelError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        if model_id.provider != "ollama":
            raise serializers.ValidationError(f"{value!r} is not an Ollama model.")
        return str(model_id)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.setdefault("label", "")
        attrs["label"] = attrs["label"] or ModelId.bare_name(attrs["id"])
        return attrs


class SettingsOutSerializer(serializers.Serializer[Any]):
    ollama_use_cloud = serializers.BooleanField()
    has_ollama_key = serializers.BooleanField()
    ollama_endpoint = serializers.CharField(allow_null=True)
    ollama_models = OllamaModelEntrySerializer(many=True)
    vision_model = serializers.CharField(allow_blank=True)
    categorization_model = serializers.CharField(source="effective_categorization_model")
    scoring_model = serializers.CharField(source="effective_scoring_model")
    use_separate_models = serializers.BooleanField()
    openai_base_url = serializers.CharField(allow_null=True)
    has_openai_key = serializers.BooleanField()
    batch_sizes = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Articles per scoring call, per model id; other models use SCORING_BATCH_SIZE.",
    )
    call_modes = serializers.DictField(
        child=serializers.ChoiceField(choices=UserSettings.CALL_MODES),
        help_text='Calls per article, per model id ("one" or "two"); others use SCORING_CALLS.',
    )


class CheckedJSONField(serializers.JSONField):
    """A per-model map checked by the model's one rule for it (`UserSettings.clean_*`, which
    the admin uses too): DRF's DictField(IntegerField) would accept "5" and 5.0."""

    def __init__(self, *, clean: Callable[[Any], dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clean = clean

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        try:
            return self.clean(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class SettingsInSerializer(StrictSerializer):
    ollama_use_cloud = serializers.BooleanField(required=False)
    ollama_api_key = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=500, trim_whitespace=True
    )
    clear_ollama_key = serializers.BooleanField(required=False)
    ollama_endpoint = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=500
    )
    ollama_models = OllamaModelEntrySerializer(many=True, required=False)
    vision_model = serializers.CharField(required=False, allow_blank=True, max_length=200)
    openai_base_url = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=500
    )
    openai_api_key = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=500, trim_whitespace=True
    )
    clear_openai_key = serializers.BooleanField(required=False)
    batch_sizes = CheckedJSONField(
        clean=UserSettings.clean_batch_sizes,
        required=False,
        help_text="Articles per scoring call, per model id, 1–20 (e.g. "
        '{"ollama/qwen3:4b": 5}); replaces the stored map. Other models use '
        "SCORING_BATCH_SIZE.",
    )
    call_modes = CheckedJSONField(
        clean=UserSettings.clean_call_modes,
        required=False,
        help_text='Calls per article, per model id: "one" (topics and scores in one answer) '
        'or "two" (categorize, then score), e.g. {"ollama/qwen3:4b": "one"}; replaces the '
        "stored map. Other models use SCORING_CALLS.",
    )

    def validate_ollama_endpoint(self, value: str | None) -> str | None:
        return http_url(value)

    def validate_openai_base_url(self, value: str | None) -> str | None:
        return http_url(value)

    def validate_vision_model(self, value: str) -> str:
        return model_id(value)

    def validate_ollama_models(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[str] = set()
        unique = []
        for entry in value:
            if entry["id"] not in seen:
                seen.add(entry["id"])
                unique.append(dict(entry))
        return unique

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        current: UserSettings = self.context["user_settings"]
        cloud = attrs.get("ollama_use_cloud", current.ollama_use_cloud)
        key_after = (
            None
            if attrs.get("clear_ollama_key")
            else attrs.get("ollama_api_key") or current.ollama_api_key
        )
        if cloud and not key_after:
            raise serializers.ValidationError(
                {"ollama_api_key": ["Ollama Cloud mode needs an API key."]}
            )
        return attrs


class SettingsView(OperatorAPIView):
    """The LLM provider settings. The API keys (Ollama Cloud, the OpenAI-compatible server)
    are write-only: `has_ollama_key` / `has_openai_key` say whether one is stored; a key
    itself is never returned."""

    @extend_schema(responses=SettingsOutSerializer)
    def get(self, request: Request) -> Response:
        return Response(SettingsOutSerializer(UserSettings.load()).data)

    @extend_schema(request=SettingsInSerializer, responses=SettingsOutSerializer)
    def put(self, request: Request) -> Response:
        serializer = SettingsInSerializer(
            data=request.data, context={"user_settings": UserSettings.load()}
        )
        serializer.is_valid(raise_exception=True)
        obj = services.user_settings_update(data=serializer.validated_data)
        return Response(SettingsOutSerializer(obj).data)


class EnabledModelsView(OperatorAPIView):
    @extend_schema(
        responses=inline_serializer(
            "EnabledModels",
            {
                "ollama": OllamaModelEntrySerializer(many=True),
                "gemini": OllamaModelEntrySerializer(many=True),
                "openai": OllamaModelEntrySerializer(many=True),
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response(services.enabled_models(user_settings=UserSettings.load()))


# --- LLM calls ------------------------------------------------------------------------------
SCHEMA_CHOICES = sorted(SCHEMAS)


class LLMResultSerializer(serializers.Serializer[Any]):
    result = serializers.DictField()
    model = serializers.CharField()
    latency_ms = serializers.IntegerField()
    usage = serializers.DictField()


class GenerateInSerializer(StrictSerializer):
    model = serializers.CharField(max_length=200)
    prompt = serializers.CharField(max_length=100_000)
    system_prompt = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    temperature = serializers.FloatField(required=False, default=0.7, min_value=0.0, max_value=2.0)
    schema = serializers.ChoiceField(choices=SCHEMA_CHOICES)

    def validate_model(self, value: str) -> str:
        return model_id(value)


class AnalyzeImageInSerializer(StrictSerializer):
    image = serializers.ImageField()
    prompt = serializers.CharField(max_length=100_000)
    schema = serializers.ChoiceField(choices=SCHEMA_CHOICES)
    model = serializers.CharField(required=False, allow_blank=True, max_length=200)
    temperature = serializers.FloatField(required=False, default=0.2, min_value=0.0, max_value=2.0)

    ALLOWED_TYPES = {
        "JPEG": "image/jpeg",
        "PNG": "image/png",
        "WEBP": "image/webp",
        "GIF": "image/gif",
    }

    def validate_model(self, value: str) -> str:
        return model_id(value)

    def validate_image(self, value: Any) -> Any:
        if value.size > settings.LLM_MAX_IMAGE_BYTES:
            raise serializers.ValidationError(
                f"The image is {value.size} bytes; the limit is {settings.LLM_MAX_IMAGE_BYTES}."
            )
        kind = getattr(getattr(value, "image", None), "format", None)
        if kind not in self.ALLOWED_TYPES:
            raise serializers.ValidationError("Only JPEG, PNG, WebP and GIF images are accepted.")
        value.sift_mime_type = self.ALLOWED_TYPES[kind]
        return value


class GenerateView(OperatorAPIView):
    """Ask a model for a structured answer: `schema` names one of the registered schemas."""

    @extend_schema(request=GenerateInSerializer, responses=LLMResultSerializer)
    def post(self, request: Request) -> Response:
        serializer = GenerateInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        out = services.llm_run(
            model_id=data["model"],
            schema=SCHEMAS[data["schema"]],
            prompt=data["prompt"],
            system_prompt=data.get("system_prompt") or None,
            temperature=data["temperature"],
        )
        return Response(out)


class AnalyzeImageView(OperatorAPIView):
    """Ask a vision model about an uploaded image. Without `model`: the vision model, then
    the categorization model, then the default."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": AnalyzeImageInSerializer}, responses=LLMResultSerializer
    )
    def post(self, request: Request) -> Response:
        serializer = AnalyzeImageInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        image = data["image"]
        image.seek(0)
        model_id = data.get("model") or UserSettings.load().effective_vision_model
        out = services.llm_run(
            model_id=model_id,
            schema=SCHEMAS[data["schema"]],
            prompt=data["prompt"],
            temperature=data["temperature"],
            image=image.read(),
            mime_type=image.sift_mime_type,
        )
        return Response(out)
