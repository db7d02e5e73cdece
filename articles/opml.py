"""OPML: the feed list out (export) and in (import), folders kept both ways."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from defusedxml import ElementTree
from django.conf import settings

from articles.folders import folder_get_or_create
from articles.models import Feed, Folder, Subscription
from articles.services import (
    FeedError,
    Fetched,
    ParsedFeed,
    feed_create_loaded,
    feed_load,
    feed_url_problem,
    subscription_create,
)
from common.xml import xml_text


class OPMLError(FeedError):
    field = "file"


def opml_export(*, reader: Any) -> str:
    """The reader's feeds, those in a folder nested in its folder's outline (as readers
    export), each under the reader's own title for it."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>Sift feeds</title></head>",
        "  <body>",
    ]

    def outline(sub: Subscription, indent: str) -> str:
        title, url = quoteattr(xml_text(sub.shown_title)), quoteattr(xml_text(sub.feed.url))
        return f'{indent}<outline type="rss" text={title} title={title} xmlUrl={url}/>'

    feeds = list(
        Subscription.objects.filter(reader=reader)
        .select_related("feed")
        .order_by("display_order", "id")
    )
    lines += [outline(feed, "    ") for feed in feeds if feed.folder_id is None]
    for folder in Folder.objects.filter(reader=reader).order_by("name"):
        name = quoteattr(xml_text(folder.name))
        lines.append(f"    <outline text={name} title={name}>")
        lines += [outline(feed, "      ") for feed in feeds if feed.folder_id == folder.pk]
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Outline:
    url: str
    title: str
    folder: str  # "" outside any folder


def opml_parse(*, data: bytes) -> tuple[list[Outline], int, list[dict[str, str]]]:
    """Every feed outline with its folder (the outline it sits in; the innermost, for
    folders in folders), how many feed outlines were skipped (not http(s): no feed), and
    the http(s) URLs refused with why (too long, unparseable). defusedxml refuses entity
    expansion and external entities."""
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:
        raise OPMLError(f"Not a valid OPML file: {type(exc).__name__}") from exc
    if root.tag.lower() != "opml":
        raise OPMLError("Not an OPML file: the root element is not <opml>.")
    found: list[Outline] = []
    refused = 0
    problems: list[dict[str, str]] = []
    limit = settings.OPML_MAX_FEEDS
    parents = {child: parent for parent in root.iter() for child in parent}
    for node in root.iter("outline"):
        if node.get("xmlUrl") is None:
            continue  # a folder
        if len(found) + refused >= limit:
            raise OPMLError(
                f"The file lists more than {limit} feeds; import at most {limit} at once "
                "(OPML_MAX_FEEDS)."
            )
        url = node.get("xmlUrl", "").strip()
        if problem := feed_url_problem(url):
            refused += 1
            if url.lower().startswith(("http://", "https://")):
                problems.append({"url": url[:500], "reason": problem})
            continue
        parent = parents.get(node)
        folder = ""
        if parent is not None and parent.tag == "outline" and parent.get("xmlUrl") is None:
            folder = (parent.get("title") or parent.get("text") or "").strip()[:200]
        title = (node.get("title") or node.get("text") or "")[:500]
        found.append(Outline(url, title, folder))
    return found, refused - len(problems), problems


def _load(url: str) -> tuple[str, Fetched, ParsedFeed] | FeedError:
    try:
        return feed_load(url=url)
    except FeedError as exc:
        return exc


def opml_import(*, reader: Any, data: bytes) -> dict[str, Any]:
    """Subscribe the reader to the feeds that are new to them, each checked as "Add feed"
    checks one: a feed Sift has already is subscribed to at once; another is fetched and
    parsed now (OPML_FETCH_CONCURRENCY at a time, each under the fetch deadline), its
    articles stored; each in its folder (created when new). A feed that cannot be read is
    refused with its reason, not added. A feed already subscribed keeps its folder."""
    outlines, skipped, refused = opml_parse(data=data)
    existing = set(Subscription.objects.filter(reader=reader).values_list("feed__url", flat=True))
    known = {f.url: f for f in Feed.objects.filter(url__in=[o.url for o in outlines])}
    new: dict[str, Outline] = {}
    created = 0
    for entry in outlines:
        if entry.url in existing or entry.url in new:
            skipped += 1
        elif entry.url in known:  # another reader's feed: no fetch
            existing.add(entry.url)
            subscription_create(
                reader=reader, feed=known[entry.url], title=entry.title,
                folder=_folder(reader, entry.folder),
            )  # fmt: skip
            created += 1
        else:
            new[entry.url] = entry
    with ThreadPoolExecutor(max_workers=settings.OPML_FETCH_CONCURRENCY) as pool:
        loaded = dict(zip(new, pool.map(_load, new), strict=True))  # no database in threads
    for url, entry in new.items():
        result = loaded[url]
        if isinstance(result, FeedError):
            refused.append({"url": url, "reason": result.message})
            continue
        feed_url, fetched, parsed = result
        if feed_url != url and (feed_url in existing or feed_url in new):
            skipped += 1  # a page whose feed is listed too, or already subscribed
            continue
        existing.add(feed_url)
        feed_create_loaded(
            reader=reader, url=feed_url, title=entry.title, fetched=fetched, parsed=parsed,
            folder=_folder(reader, entry.folder),
        )  # fmt: skip
        created += 1
    return {"created": created, "skipped": skipped, "refused": refused}


def _folder(reader: Any, name: str) -> Folder | None:
    return folder_get_or_create(reader=reader, name=name) if name else None
