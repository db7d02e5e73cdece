"""Feed discovery: a site's address finds its feeds through the `<link rel="alternate">`
elements of its page, as every feed reader does (RSS Autodiscovery)."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
}
MAX_LINKS = 20


@dataclass(frozen=True)
class FeedLink:
    url: str
    title: str
    kind: str  # rss | atom | json


class _Links(HTMLParser):
    """The alternate links of a page's head; stops at <body> (feeds are announced there)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.found: list[FeedLink] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "body":
            self.done = True
            return
        if tag == "base":
            self.base_url = urljoin(self.base_url, dict(attrs).get("href") or "")
        if tag != "link":
            return
        a = {k.lower(): (v or "").strip() for k, v in attrs}
        kind = FEED_TYPES.get(a.get("type", "").lower().split(";")[0])
        if kind and "alternate" in a.get("rel", "").lower().split() and a.get("href"):
            self.found.append(FeedLink(urljoin(self.base_url, a["href"]), a.get("title", ""), kind))


def feed_links(*, html: bytes, base_url: str) -> list[FeedLink]:
    """The RSS and Atom feeds a page names, in its order, each once. (JSON Feed is found but
    left out: Sift reads RSS and Atom.)"""
    parser = _Links(base_url)
    parser.feed(html[:2_000_000].decode("utf-8", "replace"))
    seen: set[str] = set()
    links = []
    for link in parser.found:
        if link.kind != "json" and link.url not in seen:
            seen.add(link.url)
            links.append(link)
    return links[:MAX_LINKS]
