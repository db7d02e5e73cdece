"""API errors are `{"detail": …}` or field errors with a 4xx, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """An outside service (Ollama, Gemini) could not be reached: 503 with a short reason."""

    status_code: int = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, detail: str, *, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, ServiceUnavailable):
        return Response({"detail": exc.detail}, status=exc.status_code)
    if isinstance(exc, OperationalError):
        logger.exception("database unavailable in API view")
        return Response(
            {"detail": "The database could not answer; try again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return None
