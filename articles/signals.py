"""What ingestion tells the layers above it, without importing them (articles is a bottom
layer; scoring subscribes in its AppConfig.ready)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit with `ids`: articles just stored (new leads `unscored`, story copies
# linked to their lead, old entries `skipped`).
articles_stored = Signal()

# Sent inside the transaction that changed it, with `category` and `old` (its weight
# before), after the articles carrying it were reranked.
category_weight_changed = Signal()
