"""The one base for errors a person can act on. A domain error carries what HTTP needs (the
status, and the request field it is about); `common.exceptions` maps every one the same way,
so views do not catch them. No dependencies beyond common: every layer may raise one."""

from __future__ import annotations

from typing import Any

from common.secrets import redact


class DomainError(Exception):
    status_code = 400
    field: str | None = None  # the request field the error is about, if any

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        # Upstream text may repeat a key (a 401 that echoes it): masked before anyone sees it.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.extra = extra or {}  # more fields for the answer (e.g. the model downloading)

    def payload(self) -> dict[str, Any]:
        """`{field: [message]}` when it is about a field, else `{"detail": message}`."""
        if self.field:
            return {self.field: [self.message], **self.extra}
        return {"detail": self.message, **self.extra}

    def __str__(self) -> str:
        return self.message
