from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scoring import services


class StatusOut(serializers.Serializer):
    unscored = serializers.IntegerField()
    queued = serializers.IntegerField()
    scoring = serializers.IntegerField()
    scored = serializers.IntegerField()
    failed = serializers.IntegerField()
    blocked = serializers.IntegerField()
    rescoring = serializers.IntegerField()
    phase = serializers.ChoiceField(choices=["idle", "starting", "scoring", "paused"])
    ready = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class ScoringStatusView(APIView):
    """Counts per state, the phase, and whether scoring can run (and why not)."""

    @extend_schema(responses=StatusOut)
    def get(self, request: Request) -> Response:
        return Response(services.scoring_status())


class RescoreView(APIView):
    """Re-queue recent unread articles (RESCORE_RECENT_DAYS, at most RESCORE_RECENT_LIMIT)
    ahead of other work."""

    @extend_schema(
        request=None,
        responses=inline_serializer("RescoreOut", {"queued": serializers.IntegerField()}),
    )
    def post(self, request: Request) -> Response:
        return Response({"queued": services.rescore_recent()})
