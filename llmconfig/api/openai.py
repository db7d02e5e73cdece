"""/api/openai/*: the OpenAI-compatible server, as far as its protocol allows managing it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.permissions import OperatorAPIView
from llmconfig import openai_server
from llmconfig.api.ollama import HealthOut


class OpenAIHealthView(OperatorAPIView):
    """The latency of the server's `GET /models`; `version` is null (the protocol has none)."""

    @extend_schema(responses=HealthOut)
    def get(self, request: Request) -> Response:
        return Response(openai_server.health())


class OpenAIModelOut(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The id Sift uses, openai/<name>.")
    name = serializers.CharField(help_text="The server's own name for it.")
    owned_by = serializers.CharField()


class OpenAIModelsView(OperatorAPIView):
    """The models the server serves. Pulling and deleting are Ollama's: POST and DELETE
    answer 405 saying so."""

    @extend_schema(responses=OpenAIModelOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(openai_server.models_list())

    @extend_schema(request=None, responses={405: OpenApiResponse(description="Ollama-only")})
    def post(self, request: Request) -> Response:
        raise openai_server.NotOllama(openai_server.PULL_REFUSED)

    @extend_schema(request=None, responses={405: OpenApiResponse(description="Ollama-only")})
    def delete(self, request: Request) -> Response:
        raise openai_server.NotOllama(openai_server.PULL_REFUSED)
