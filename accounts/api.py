"""A user's own API tokens (list, create, shown once, revoke); the operator's readers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import Profile
from common.permissions import OperatorAPIView
from common.serializers import StrictSerializer
from llmconfig.models import LLMCall


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
    daily_scoring_budget = serializers.IntegerField(
        allow_null=True, help_text="Scoring calls a day (UTC) this reader may use; null: no limit."
    )
    scoring_calls_today = serializers.IntegerField(help_text="Used today (UTC).")
    scoring_calls_30_days = serializers.IntegerField()


def reader_out(user: Any) -> dict[str, Any]:
    """A reader with their budget and what they used of it (scoring calls: categorizing is
    done once for everyone and counts against no one)."""
    profile = Profile.of(user)
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "id": user.pk,
        "username": user.username,
        "is_active": user.is_active,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "daily_scoring_budget": profile.daily_scoring_budget,
        "scoring_calls_today": LLMCall.objects.scoring_for(user.pk, today),
        "scoring_calls_30_days": LLMCall.objects.scoring_for(
            user.pk, timezone.now() - timedelta(days=30)
        ),
    }


class ReaderCreateIn(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        required=False, write_only=True, max_length=200, help_text="Generated when left out."
    )


class ReaderCreated(ReaderOut):
    password = serializers.CharField(help_text="Shown once.")


class ReaderUpdateIn(StrictSerializer):
    is_active = serializers.BooleanField(required=False)
    daily_scoring_budget = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=1_000_000,
        help_text="Scoring calls a day (UTC); null: no limit. Past it the reader's articles "
        "wait, queued, until the next day.",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Send is_active and/or daily_scoring_budget."]}
            )
        return attrs


def _readers() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_staff=False).order_by("username")


class ReaderListView(OperatorAPIView):
    @extend_schema(responses=ReaderOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(ReaderOut([reader_out(u) for u in _readers()], many=True).data)

    @extend_schema(request=ReaderCreateIn, responses={201: ReaderCreated})
    def post(self, request: Request) -> Response:
        serializer = ReaderCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, password = services.reader_create(**serializer.validated_data)
        return Response(
            {**ReaderOut(reader_out(user)).data, "password": password},
            status=status.HTTP_201_CREATED,
        )


class ReaderDetailView(OperatorAPIView):
    @extend_schema(request=ReaderUpdateIn, responses=ReaderOut)
    def patch(self, request: Request, pk: int) -> Response:
        reader = get_object_or_404(_readers(), pk=pk)
        serializer = ReaderUpdateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "is_active" in data:
            services.reader_set_active(user=reader, active=data["is_active"])
        if "daily_scoring_budget" in data:
            services.reader_budget_set(user=reader, budget=data["daily_scoring_budget"])
        return Response(ReaderOut(reader_out(reader)).data)
