"""A log filter that masks every secret Sift knows of before a line is written."""

from __future__ import annotations

import logging

from common.secrets import redact


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
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
