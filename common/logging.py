"""A log filter that masks every secret Sift knows of before a line is written."""

from __future__ import annotations

import logging

from common.secrets import redact

SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact_server_logs() -> None:
    """Put the mask on the web server's own log handlers (idempotent)."""
    for name in SERVER_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
                handler.addFilter(RedactSecretsFilter())


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            # Masked in place, keeping the tuple: uvicorn's access formatter unpacks it.
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        message = record.getMessage()
        redacted = redact(message)
        if record.exc_info and not record.exc_text:
            # The traceback's last line repeats the exception's text: format and mask it too.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
