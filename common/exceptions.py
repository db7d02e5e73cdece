"""The one mapping from exceptions to API answers: `{"detail": …}` or field errors, never a
traceback. Domain errors say their own status and field."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.errors import DomainError

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.payload(), status=exc.status_code)
    response = exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {
                "detail": "The request body is larger than "
                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, OperationalError):
        logger.exception("database unavailable in API view")
        return Response(
            {"detail": "The database could not answer; try again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return None
