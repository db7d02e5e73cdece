"""Who may do what: the operator (a staff account) runs the install, a reader reads.

The operator's routes (LLM providers, endpoints and keys, models, prompts) answer a reader
403. Every API route is one or the other: tests/test_roles.py walks the schema, so a route
that names neither cannot land unnoticed.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.views import APIView


class IsOperator(BasePermission):
    """A signed-in staff account: the install's operator."""

    message = "Only the operator (an admin account) may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class OperatorAPIView(APIView):
    """Base of the operator's API views."""

    permission_classes = [IsOperator]


def user_id(request: Any) -> int:
    """The signed-in user's id: every API view requires a signed-in user (the default
    permission), so one is always there."""
    pk = request.user.pk
    assert pk is not None
    return int(pk)
