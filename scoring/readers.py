"""Readers, as the operator manages them: create, approve, shut out, and what each may
spend on scoring (a daily budget) against what they used. Here, not in accounts, because the
use is scoring's: the LLM calls made for each reader."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.models import Profile
from common.permissions import OperatorAPIView
from common.serializers import StrictSerializer
from llmconfig.models import LLMCall
from scoring.services import budget_day_start
from scoring.services.taste import taste_summary


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
    taste = serializers.DictField(
        help_text="What Sift learned from the reader's marks: marks, trained_at, the held-out "
        "average_precision and its history (GET /api/taste is the reader's own)."
    )


def reader_out(user: Any) -> dict[str, Any]:
    """A reader with their budget and what they used of it (scoring calls: categorizing is
    done once for everyone and counts against no one)."""
    profile = Profile.of(user)
    today = budget_day_start()
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
        "taste": taste_summary(profile),
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


@login_required
def readers(request: HttpRequest) -> HttpResponse:
    """Create readers, approve sign-ups, shut readers out; the API does the writes."""
    if not request.user.is_staff:
        raise PermissionDenied("Only the operator (an admin account) manages readers.")
    users = get_user_model().objects.filter(is_staff=False).order_by("is_active", "username")
    rows = [reader_out(user) for user in users]
    return render(
        request,
        "sift/readers.html",
        {"nav": "readers", "readers": rows, "signup_open": settings.SIGNUP_OPEN},
    )
