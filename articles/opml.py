"""OPML: the feed list out (export) and in (import, refreshed in the background)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from xml.sax.saxutils import quoteattr

from defusedxml import ElementTree
from django.conf import settings

from articles.models import Feed
from articles.services import (
    FeedError,
    Fetched,
    ParsedFeed,
    feed_create_loaded,
    feed_load,
    feed_url_problem,
)


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
    found: list[tuple[str, str]] = []
    refused = 0
    limit = settings.OPML_MAX_FEEDS
    for outline in root.iter("outline"):
        if outline.get("xmlUrl") is None:
            continue  # a folder
        if len(found) + refused >= limit:
            raise OPMLError(
                f"The file lists more than {limit} feeds; import at most {limit} at once "
                "(OPML_MAX_FEEDS)."
            )
        url = outline.get("xmlUrl", "").strip()
        if feed_url_problem(url):
            refused += 1
            continue
        found.append((url, (outline.get("title") or outline.get("text") or "")[:500]))
    return found, refused


def _load(url: str) -> tuple[Fetched, ParsedFeed] | FeedError:
    try:
        return feed_load(url=url)
    except FeedError as exc:
        return exc


def opml_import(*, data: bytes) -> dict[str, Any]:
    """Subscribe to the feeds that are new, each checked as "Add feed" checks one: fetched
    and parsed now (OPML_FETCH_CONCURRENCY at a time, each under the fetch deadline), its
    articles stored. A feed that cannot be read is refused with its reason, not added."""
    entries, skipped = opml_parse(data=data)
    existing = set(Feed.objects.values_list("url", flat=True))
    new: dict[str, str] = {}
    for url, title in entries:
        if url in existing or url in new:
            skipped += 1
        else:
            new[url] = title
    with ThreadPoolExecutor(max_workers=settings.OPML_FETCH_CONCURRENCY) as pool:
        loaded = dict(zip(new, pool.map(_load, new), strict=True))  # no database in threads
    created, refused = 0, []
    for url, title in new.items():
        result = loaded[url]
        if isinstance(result, FeedError):
            refused.append({"url": url, "reason": result.message})
            continue
        feed_create_loaded(url=url, title=title, fetched=result[0], parsed=result[1])
        created += 1
    return {"created": created, "skipped": skipped, "refused": refused}
