"""A user's own API tokens (list, create, shown once, revoke)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
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
