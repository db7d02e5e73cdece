"""What ingestion tells the layers above it, without importing them (articles is a bottom
layer; scoring subscribes in its AppConfig.ready)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit with `ids`: articles just stored as `unscored`.
articles_stored = Signal()
