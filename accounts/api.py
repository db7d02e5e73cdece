"""A user's own API tokens (list, create, shown once, revoke); the operator's readers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from common.permissions import OperatorAPIView
from common.serializers import StrictSerializer


class TokenOut(serializers.Serializer[AuthToken]):
    id = serializers.CharField(source="token_key", read_only=True)
    created = serializers.DateTimeField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True, allow_null=True)


class TokenCreateIn(StrictSerializer):
    expires_in_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=3650
    )


class TokenCreated(TokenOut):
    token = serializers.CharField(read_only=True)


class TokenListView(APIView):
    @extend_schema(responses=TokenOut(many=True))
    def get(self, request: Request) -> Response:
        tokens = AuthToken.objects.filter(user=request.user).order_by("-created")
        return Response(TokenOut(tokens, many=True).data)

    @extend_schema(request=TokenCreateIn, responses={201: TokenCreated})
    def post(self, request: Request) -> Response:
        serializer = TokenCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        row, token = services.token_create(user=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response({**TokenOut(row).data, "token": token}, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: str) -> Response:
        if not services.token_revoke(user=request.user, token_key=token_id):  # type: ignore[arg-type]
            return Response({"detail": "No such token."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- readers (the operator's) -------------------------------------------------------------------
class ReaderOut(serializers.Serializer[object]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_active = serializers.BooleanField(help_text="False: a sign-up waiting for approval.")
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class ReaderCreateIn(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        required=False, write_only=True, max_length=200, help_text="Generated when left out."
    )


class ReaderCreated(ReaderOut):
    password = serializers.CharField(help_text="Shown once.")


class ReaderUpdateIn(StrictSerializer):
    is_active = serializers.BooleanField()


def _readers() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_staff=False).order_by("username")


class ReaderListView(OperatorAPIView):
    @extend_schema(responses=ReaderOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(ReaderOut(_readers(), many=True).data)

    @extend_schema(request=ReaderCreateIn, responses={201: ReaderCreated})
    def post(self, request: Request) -> Response:
        serializer = ReaderCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, password = services.reader_create(**serializer.validated_data)
        return Response(
            {**ReaderOut(user).data, "password": password}, status=status.HTTP_201_CREATED
        )


class ReaderDetailView(OperatorAPIView):
    @extend_schema(request=ReaderUpdateIn, responses=ReaderOut)
    def patch(self, request: Request, pk: int) -> Response:
        reader = get_object_or_404(_readers(), pk=pk)
        serializer = ReaderUpdateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reader_set_active(user=reader, active=serializer.validated_data["is_active"])
        return Response(ReaderOut(reader).data)
