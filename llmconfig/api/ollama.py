"""/api/ollama/*: the local Ollama server, the model configuration, and the prompts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterable
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
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.permissions import OperatorAPIView
from common.serializers import StrictSerializer
from llmconfig import ollama_server, services
from llmconfig.llm.registry import ModelId
from llmconfig.models import ModelDownload, UserSettings
from llmconfig.ollama_names import is_valid_model_name
from llmconfig.validators import model_id

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


# --- health and models -----------------------------------------------------------------------
class HealthOut(serializers.Serializer[Any]):
    connected = serializers.BooleanField()
    version = serializers.CharField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)


class OllamaHealthView(OperatorAPIView):
    @extend_schema(responses=HealthOut)
    def get(self, request: Request) -> Response:
        return Response(ollama_server.health())


class ModelOut(serializers.Serializer[Any]):
    name = serializers.CharField()
    size = serializers.IntegerField()
    parameter_size = serializers.CharField(allow_null=True)
    quantization_level = serializers.CharField(allow_null=True)
    is_loaded = serializers.BooleanField()


class OllamaModelsView(OperatorAPIView):
    @extend_schema(responses=ModelOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(ollama_server.models_list())


class OllamaModelDeleteView(OperatorAPIView):
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
        force = request.query_params.get("force", "").lower() in ("1", "true", "yes")
        ollama_server.model_delete(name=name, force=force)
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
        "more_layers_possible": ollama_server.more_layers_possible(
            row.detail, row.status == ModelDownload.Status.COMPLETE
        ),
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
            yield _event({**snap, "status": "complete", "state": state, "percent": 100.0})
            return
        if state == ModelDownload.Status.ERROR:
            yield _event(
                {"status": "error", "state": state, "error": error or "The download failed."}
            )
            return
        if state == ModelDownload.Status.CANCELLED:
            # `status: error` so a client that knows only the seed's events (an `error` means
            # failure, the stream ending means success) does not take it for a finished pull.
            yield _event({"status": "error", "state": state, "error": "cancelled"})
            return
        if snap != last:
            yield _event({**snap, "state": state})
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


class EventStreamNegotiation(DefaultContentNegotiation):
    """The pull answers with an event stream whatever the client accepts: EventSource and SSE
    libraries send `Accept: text/event-stream`, which no DRF renderer claims, and DRF would
    answer 406. The stream bypasses renderers; refusals (400, 409, 503) are rendered as JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


class OllamaPullView(OperatorAPIView):
    """Start pulling a model (or attach to its running pull) and stream the progress."""

    content_negotiation_class = EventStreamNegotiation

    @extend_schema(
        request=PullIn,
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                response=SSEEvent,
                description=(
                    "Server-sent events, whatever the `Accept` header. Each `data` is JSON:"
                    " `{status, state, completed, total, digest, percent,"
                    " more_layers_possible}` while downloading (`status` is Ollama's text,"
                    " `state` Sift's: downloading; `percent` is bytes done over the bytes of"
                    " the layers Ollama has announced, and Ollama announces a layer as its"
                    " download starts: while `more_layers_possible`, a later layer may still"
                    ' grow the total), then `{"status": "complete", "state": "complete"}`,'
                    ' `{"status": "error", "state": "error", "error": …}` or, when cancelled,'
                    ' `{"status": "error", "state": "cancelled", "error": "cancelled"}`.'
                ),
            ),
            409: OpenApiResponse(description="Another model is downloading"),
        },
    )
    def post(self, request: Request) -> Any:
        serializer = PullIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        download = ollama_server.pull_request(model=serializer.validated_data["model"])
        response = StreamingHttpResponse(pull_events(download.pk), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


class OllamaPullCancelView(OperatorAPIView):
    @extend_schema(
        request=None, responses=inline_serializer("CancelOut", {"status": serializers.CharField()})
    )
    def post(self, request: Request) -> Response:
        cancelled = ollama_server.download_cancel()
        if cancelled is None:
            return Response({"detail": "No download is running."}, status=status.HTTP_404_NOT_FOUND)
        return Response({"status": "cancelled"})


class DownloadStatusOut(serializers.Serializer[Any]):
    active = serializers.BooleanField()
    model = serializers.CharField(allow_null=True)
    completed = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.FloatField()
    more_layers_possible = serializers.BooleanField()
    status = serializers.CharField(allow_null=True)
    detail = serializers.CharField(required=False)
    error = serializers.CharField(allow_null=True)


class OllamaDownloadStatusView(OperatorAPIView):
    @extend_schema(responses=DownloadStatusOut)
    def get(self, request: Request) -> Response:
        return Response(ollama_server.download_status())


# --- model configuration ---------------------------------------------------------------------
def to_bare_name(model_id: str) -> str:
    return ModelId.bare_name(model_id)


class ConfigOut(serializers.Serializer[Any]):
    categorization_model = serializers.CharField()
    scoring_model = serializers.CharField()
    use_separate_models = serializers.BooleanField()


class ConfigIn(StrictSerializer):
    categorization_model = model_name_field()
    scoring_model = model_name_field(required=False, allow_blank=True)
    use_separate_models = serializers.BooleanField(default=False)
    rescore = serializers.BooleanField(default=False)

    def validate_categorization_model(self, value: str) -> str:
        return model_id(value)

    def validate_scoring_model(self, value: str) -> str:
        return model_id(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["use_separate_models"] and not attrs.get("scoring_model"):
            raise serializers.ValidationError(
                {"scoring_model": ["Required when use_separate_models is true."]}
            )
        # A model the server does not have would pause scoring at once, and would let the
        # configured model be deleted as "not in use".
        choice = {f: attrs[f] for f in services.CHOSEN_MODELS if attrs.get(f)}
        try:
            problems = services.model_choice_problems(
                user_settings=UserSettings.load(), choice=choice
            )
        except ollama_server.OllamaUnavailable as exc:
            raise ollama_server.OllamaUnavailable(
                f"{exc} The model cannot be checked; try again when Ollama answers."
            ) from exc
        if problems:
            raise serializers.ValidationError({f: [p] for f, p in problems.items()})
        return attrs


class ConfigUpdateOut(ConfigOut):
    rescore_queued = serializers.IntegerField()


def config_out(us: UserSettings) -> dict[str, Any]:
    return {
        "categorization_model": to_bare_name(us.effective_categorization_model),
        "scoring_model": to_bare_name(us.effective_scoring_model),
        "use_separate_models": us.use_separate_models,
    }


class PromptsOut(serializers.Serializer[Any]):
    categorization_prompt = serializers.CharField()
    scoring_prompt = serializers.CharField()


class OllamaPromptsView(OperatorAPIView):
    @extend_schema(responses=PromptsOut)
    def get(self, request: Request) -> Response:
        return Response(services.prompts_rendered())
