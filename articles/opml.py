"""OPML: the feed list out (export) and in (import, refreshed in the background)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from defusedxml import ElementTree
from django.db import transaction

from articles.models import Feed
from articles.services import FeedError, feed_refresh_later, feed_url_problem


class OPMLError(FeedError):
    field = "file"


def opml_export() -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>Sift feeds</title></head>",
        "  <body>",
    ]
    for feed in Feed.objects.order_by("display_order", "id"):
        title = quoteattr(feed.title or feed.url)
        lines.append(
            f'    <outline type="rss" text={title} title={title} xmlUrl={quoteattr(feed.url)}/>'
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def opml_parse(*, data: bytes) -> tuple[list[tuple[str, str]], int]:
    """(url, title) of every feed outline, nested folders included, and how many feed
    outlines were refused (not http(s), too long). defusedxml refuses entity expansion and
    external entities."""
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:
        raise OPMLError(f"Not a valid OPML file: {type(exc).__name__}") from exc
    if root.tag.lower() != "opml":
        raise OPMLError("Not an OPML file: the root element is not <opml>.")
    found, refused = [], 0
    for outline in root.iter("outline"):
        if outline.get("xmlUrl") is None:
            continue  # a folder
        url = outline.get("xmlUrl", "").strip()
        if feed_url_problem(url):
            refused += 1
            continue
        found.append((url, (outline.get("title") or outline.get("text") or "")[:500]))
    return found, refused


def opml_import(*, data: bytes) -> dict[str, int]:
    """Create the feeds that are new and refresh them in the background."""
    entries, refused = opml_parse(data=data)
    existing = set(Feed.objects.values_list("url", flat=True))
    created = 0
    with transaction.atomic():
        order = Feed.objects.next_display_order() - 1
        for url, title in entries:
            if url in existing:
                continue
            existing.add(url)
            order += 1
            feed = Feed.objects.create(url=url, title=title, display_order=order)
            feed_refresh_later(feed_id=feed.pk)
            created += 1
    return {"created": created, "skipped": len(entries) - created + refused}
