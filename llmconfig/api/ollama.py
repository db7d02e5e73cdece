"""/api/ollama/*: the local Ollama server, the model configuration, and the prompts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.serializers import StrictSerializer
from llmconfig import ollama_server, services
from llmconfig.llm.registry import UnknownModelError, check_model_id
from llmconfig.models import ModelDownload, UserSettings
from llmconfig.ollama_names import is_valid_model_name

SSE_POLL_SECONDS = 0.1  # at most 10 progress events a second
SSE_KEEPALIVE_SECONDS = 15.0


def model_name_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=300, **kwargs)


def validate_ollama_name(value: str) -> str:
    value = value.strip()
    if not is_valid_model_name(value):
        raise serializers.ValidationError(
            f"{value!r} is not an Ollama model name ([namespace/]name[:tag], e.g. qwen3:4b)."
        )
    return value


def unavailable(exc: Exception) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


def local_only() -> Response | None:
    if UserSettings.load().ollama_use_cloud:
        return Response(
            {
                "detail": "Ollama Cloud mode is on: models are managed on ollama.com, not pulled or deleted here."
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return None


# --- health and models -----------------------------------------------------------------------
class HealthOut(serializers.Serializer):
    connected = serializers.BooleanField()
    version = serializers.CharField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)


class OllamaHealthView(APIView):
    @extend_schema(responses=HealthOut)
    def get(self, request: Request) -> Response:
        return Response(ollama_server.health())


class ModelOut(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    parameter_size = serializers.CharField(allow_null=True)
    quantization_level = serializers.CharField(allow_null=True)
    is_loaded = serializers.BooleanField()


class OllamaModelsView(APIView):
    @extend_schema(responses=ModelOut(many=True))
    def get(self, request: Request) -> Response:
        try:
            return Response(ollama_server.models_list())
        except ollama_server.OllamaUnavailable as exc:
            return unavailable(exc)


class OllamaModelDeleteView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "name", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. qwen3:4b"
            ),
            OpenApiParameter("force", OpenApiTypes.BOOL, description="Delete even if in use"),
        ],
        responses={
            200: inline_serializer("DeleteOut", {"status": serializers.CharField()}),
            404: OpenApiResponse(),
            409: OpenApiResponse(),
        },
    )
    def delete(self, request: Request, name: str) -> Response:
        if not is_valid_model_name(name):
            return Response(
                {"name": [f"{name!r} is not an Ollama model name."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if (refused := local_only()) is not None:
            return refused
        force = request.query_params.get("force", "").lower() in ("1", "true", "yes")
        role = ollama_server.models_in_use().get(name)
        if role and not force:
            return Response(
                {
                    "detail": f"'{name}' is the configured {role} model; pass ?force=true to delete it anyway.",
                    "role": role,
                },
                status=status.HTTP_409_CONFLICT,
            )
        try:
            ollama_server.model_delete(name=name)
        except ollama_server.ModelNotFound as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        except ollama_server.OllamaUnavailable as exc:
            return unavailable(exc)
        return Response({"status": "success"})


# --- downloads -------------------------------------------------------------------------------
class PullIn(StrictSerializer):
    model = model_name_field()

    def validate_model(self, value: str) -> str:
        return validate_ollama_name(value)


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


def _snapshot(download_id: int) -> dict[str, Any]:
    row = ModelDownload.objects.get(pk=download_id)
    if row.is_stale():
        ollama_server.download_current()  # marks it failed
        row.refresh_from_db()
    return {
        "state": row.status,
        "status": row.detail or row.status,
        "completed": row.completed,
        "total": row.total,
        "digest": row.digest,
        "percent": row.percent,
        "error": row.error,
    }


async def pull_events(download_id: int) -> AsyncIterator[str]:
    """Progress of one download as server-sent events, read from its row (so any web
    process can serve it). Closing the stream does not stop the download."""
    snapshot = sync_to_async(_snapshot, thread_sensitive=True)
    last: dict[str, Any] | None = None
    last_sent = time.monotonic()
    while True:
        snap = await snapshot(download_id)
        state = snap.pop("state")
        error = snap.pop("error")
        if state == ModelDownload.Status.COMPLETE:
            yield _event({**snap, "status": "complete", "percent": 100.0})
            return
        if state == ModelDownload.Status.ERROR:
            yield _event({"status": "error", "error": error or "The download failed."})
            return
        if state == ModelDownload.Status.CANCELLED:
            yield _event({"status": "cancelled"})
            return
        if snap != last:
            yield _event(snap)
            last, last_sent = snap, time.monotonic()
        elif time.monotonic() - last_sent > SSE_KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(SSE_POLL_SECONDS)


# One server-sent event as a client parses it (`data` would shadow Serializer.data).
SSEEvent = inline_serializer(
    "SSEEvent",
    {
        "data": serializers.CharField(help_text="A JSON object (see the response description)."),
        "event": serializers.CharField(required=False),
        "id": serializers.CharField(required=False),
        "retry": serializers.IntegerField(required=False),
    },
)


class OllamaPullView(APIView):
    """Start pulling a model (or attach to its running pull) and stream the progress."""

    @extend_schema(
        request=PullIn,
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                response=SSEEvent,
                description=(
                    "Server-sent events. Each `data` is JSON: `{status, completed, total, digest,"
                    " percent}` while downloading (percent of the whole model), then"
                    ' `{"status": "complete"}`, `{"status": "error", "error": …}` or'
                    ' `{"status": "cancelled"}`.'
                ),
            ),
            409: OpenApiResponse(description="Another model is downloading"),
        },
    )
    def post(self, request: Request) -> Any:
        serializer = PullIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        if (refused := local_only()) is not None:
            return refused
        if not ollama_server.health()["connected"]:
            return unavailable(Exception("Ollama is not reachable; start it with `ollama serve`."))
        try:
            download, _created = ollama_server.download_start(
                model=serializer.validated_data["model"]
            )
        except ollama_server.DownloadConflict as exc:
            return Response(
                {"detail": str(exc), "model": exc.active.model}, status=status.HTTP_409_CONFLICT
            )
        response = StreamingHttpResponse(pull_events(download.pk), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


class OllamaPullCancelView(APIView):
    @extend_schema(
        request=None, responses=inline_serializer("CancelOut", {"status": serializers.CharField()})
    )
    def post(self, request: Request) -> Response:
        cancelled = ollama_server.download_cancel()
        if cancelled is None:
            return Response({"detail": "No download is running."}, status=status.HTTP_404_NOT_FOUND)
        return Response({"status": "cancelled"})


class DownloadStatusOut(serializers.Serializer):
    active = serializers.BooleanField()
    model = serializers.CharField(allow_null=True)
    completed = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField()
    status = serializers.CharField(allow_null=True)
    detail = serializers.CharField(required=False)
    error = serializers.CharField(allow_null=True)


class OllamaDownloadStatusView(APIView):
    @extend_schema(responses=DownloadStatusOut)
    def get(self, request: Request) -> Response:
        return Response(ollama_server.download_status())


# --- model configuration ---------------------------------------------------------------------
def to_model_id(value: str) -> str:
    """Bare Ollama names become `ollama/<name>`; full ids pass the registry's check."""
    value = value.strip()
    candidate = value if value.startswith(("ollama/", "gemini-")) else "ollama/" + value
    try:
        return check_model_id(candidate)
    except UnknownModelError as exc:
        raise serializers.ValidationError(str(exc)) from exc


def to_bare_name(model_id: str) -> str:
    return model_id.removeprefix("ollama/")


class ConfigOut(serializers.Serializer):
    categorization_model = serializers.CharField()
    scoring_model = serializers.CharField()
    use_separate_models = serializers.BooleanField()


class ConfigIn(StrictSerializer):
    categorization_model = model_name_field()
    scoring_model = model_name_field(required=False, allow_blank=True)
    use_separate_models = serializers.BooleanField(default=False)
    rescore = serializers.BooleanField(default=False)

    def validate_categorization_model(self, value: str) -> str:
        return to_model_id(value)

    def validate_scoring_model(self, value: str) -> str:
        return to_model_id(value) if value else ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["use_separate_models"] and not attrs.get("scoring_model"):
            raise serializers.ValidationError(
                {"scoring_model": ["Required when use_separate_models is true."]}
            )
        return attrs


class ConfigUpdateOut(ConfigOut):
    rescore_queued = serializers.IntegerField()


def config_out(us: UserSettings) -> dict[str, Any]:
    return {
        "categorization_model": to_bare_name(us.effective_categorization_model),
        "scoring_model": to_bare_name(us.effective_scoring_model),
        "use_separate_models": us.use_separate_models,
    }


class OllamaConfigView(APIView):
    """Which models categorize and score. Names are bare Ollama names (`qwen3:4b`)."""

    @extend_schema(responses=ConfigOut)
    def get(self, request: Request) -> Response:
        return Response(config_out(UserSettings.load()))

    @extend_schema(request=ConfigIn, responses=ConfigUpdateOut)
    def put(self, request: Request) -> Response:
        serializer = ConfigIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        us, queued = services.model_config_update(
            categorization_model=data["categorization_model"],
            scoring_model=data.get("scoring_model") or "",
            use_separate_models=data["use_separate_models"],
            rescore=data["rescore"],
        )
        return Response({**config_out(us), "rescore_queued": queued})


class PromptsOut(serializers.Serializer):
    categorization_prompt = serializers.CharField()
    scoring_prompt = serializers.CharField()


class OllamaPromptsView(APIView):
    @extend_schema(responses=PromptsOut)
    def get(self, request: Request) -> Response:
        return Response(services.prompts_rendered())
