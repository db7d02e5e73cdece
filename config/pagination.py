from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class SiftPagination(LimitOffsetPagination):
    """`?limit=&offset=` with a hard ceiling, so no client can ask for the whole table."""

    default_limit = 50
    max_limit = 200
