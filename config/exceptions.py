"""API errors are `{"detail": …}` or field errors with a 4xx, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, OperationalError):
        logger.exception("database unavailable in API view")
        return Response(
            {"detail": "The database could not answer; try again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return None
