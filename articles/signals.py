"""What ingestion tells the layers above it, without importing them (articles is a bottom
layer; scoring subscribes in its AppConfig.ready)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit with `ids`: readings just made (a feed's new articles for each of its
# readers, or a reader's new subscription): `unscored`, copies of a story the reader has the
# lead of marked so, old entries `skipped`.
readings_stored = Signal()

# Sent inside the transaction that changed it, with `reader_id`, `category` and `old` (the
# reader's weight before), after that reader's articles carrying it were reranked.
category_weight_changed = Signal()

# Sent after commit with `article_id`: its full text was fetched (or failed for good), so
# the readings that waited for it may be scored now.
article_extracted = Signal()

# Sent after commit with `reader_id`: the reader gave or took back a 👍/👎 or a star, so what
# Sift learned of their taste is out of date.
reading_marked = Signal()
