"""Full text: the article's own page, for feeds that give a title and a teaser.

1. When: an article stored new is marked `pending` if its feed says always, or auto and its
   text is under FULLTEXT_MIN_CHARS (`Feed.wants_full_text`); a task per article follows
   the commit (`tasks.extract_article`). Once per article, for every reader; kept, so a
   re-score never fetches again.
2. Fetch: under the feeds' limits (`common.fetch`: one deadline, FEED_MAX_BYTES, the
   internal-address rule, redirects checked), one request at a time per site across every
   worker and FULLTEXT_HOST_DELAY apart (a lock in the cache; a task that finds the site
   busy is retried shortly).
3. Extract: the feed's CSS selector when it has one (after removing its "remove" selector's
   elements); else trafilatura, and readability-lxml when trafilatura returns too little;
   sanitized as feed HTML is (nh3). The page's text replaces the feed's or follows it.
4. Never in the way: a page that fails (timeout, not HTML, nothing found) keeps the feed's
   text with the reason (`extraction_error`); scoring waits for a pending one at most
   FULLTEXT_WAIT_SECONDS (scoring's claim), and is nudged when it lands
   (`article_extracted`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from lxml.etree import ParserError
from readability import Document

from articles.models import Article, Combine, Extraction
from articles.page_queue import extraction_send, extraction_sent_done
from articles.services import USER_AGENT, clean_html, plain_text
from articles.signals import article_extracted
from common.fetch import FetchError, fetch

logger = logging.getLogger(__name__)

# Less text than this from trafilatura: ask readability too, and keep the longer.
ENOUGH_CHARS = 200
HTML_TYPES = ("text/html", "application/xhtml+xml")


class ExtractionFailed(Exception):
    pass


class SiteBusy(Exception):
    """Another worker is fetching from this site, or did a moment ago: try again shortly."""


def _text_length(html: str) -> int:
    return len(plain_text(html, 1_000_000))


def page_text(page: str, *, url: str, selector: str = "", remove: str = "") -> str:
    """The article's text in a page, as sanitized HTML ("" when nothing was found)."""
    try:
        tree = lxml.html.fromstring(page)
    except (ParserError, ValueError):
        return ""
    if remove:
        for element in tree.cssselect(remove):
            element.drop_tree()
    if selector:
        parts = tree.cssselect(selector)
        return clean_html("".join(lxml.html.tostring(p, encoding="unicode") for p in parts))
    page = lxml.html.tostring(tree, encoding="unicode") if remove else page
    found = (
        trafilatura.extract(
            page, url=url, output_format="html", include_comments=False, include_tables=True
        )
        or ""
    )
    if _text_length(found) < ENOUGH_CHARS:
        try:
            readable = Document(page).summary(html_partial=True)
        except Exception:  # noqa: BLE001 - readability raises bare exceptions on odd pages
            readable = ""
        if _text_length(readable) > _text_length(found):
            found = readable
    return clean_html(found)


def _fetch_page(url: str) -> str:
    host = urlsplit(url).hostname or ""
    key = f"sift:fulltext-host:{host}"
    if not cache.add(key, 1, timeout=settings.FULLTEXT_TIMEOUT + settings.FULLTEXT_HOST_DELAY):
        raise SiteBusy(host)
    try:
        response = fetch(
            url,
            deadline=settings.FULLTEXT_TIMEOUT,
            max_bytes=settings.FEED_MAX_BYTES,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/xhtml+xml"},
            refuse_internal=settings.FEED_REFUSE_INTERNAL,
        )
    finally:
        # The next request to this site waits the delay, whichever way this one went.
        if settings.FULLTEXT_HOST_DELAY > 0:
            cache.set(key, 1, timeout=settings.FULLTEXT_HOST_DELAY)
        else:
            cache.delete(key)
    if response.status >= 400:
        raise ExtractionFailed(f"HTTP {response.status} from the article's page")
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind not in HTML_TYPES:
        raise ExtractionFailed(f"the article's page is not HTML ({kind[:80]})")
    return page_decoded(response.body or b"", response.headers.get("content-type", ""))


def page_decoded(body: bytes, content_type: str) -> str:
    """The page's text in the charset its Content-Type names (UTF-8 when none)."""
    charset = "utf-8"
    if "charset=" in content_type:
        charset = content_type.split("charset=")[1].split(";")[0].strip()
    try:
        return body.decode(charset, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        # An unknown charset, or a codec that is no text encoding at all (`idna` refuses
        # errors="replace"): the page is read as UTF-8 rather than failing the task.
        return body.decode("utf-8", errors="replace")


def article_extract(*, article_id: int) -> str:
    """Fetch and extract one pending article's page and store its text. Returns the state
    it ends in; raises SiteBusy when the site is being fetched (the task retries, and its
    message stays the article's one queued fetch)."""
    state = _extract(article_id)
    extraction_sent_done(article_id=article_id)
    return state


def _extract(article_id: int) -> str:
    article = Article.objects.select_related("feed").filter(pk=article_id).first()
    if article is None or article.extraction != Extraction.PENDING:
        return "gone" if article is None else article.extraction
    feed = article.feed
    try:
        page = _fetch_page(article.url)
        text = page_text(
            page, url=article.url, selector=feed.full_text_selector, remove=feed.full_text_remove
        )
        length = _text_length(text)
        if length < ENOUGH_CHARS:
            raise ExtractionFailed("no article text found on the page (a consent or login wall?)")
        if length <= _text_length(article.content):
            raise ExtractionFailed("the page had no more text than the feed")
    except FetchError as exc:
        return _failed(article, exc.message)
    except ExtractionFailed as exc:
        return _failed(article, str(exc))
    combined = text if feed.full_text_combine == Combine.REPLACE else article.content + text
    with transaction.atomic():
        done = Article.objects.filter(pk=article.pk, extraction=Extraction.PENDING).update(
            content=combined,
            feed_content=article.content,
            extraction=Extraction.DONE,
            extraction_error="",
            extracted_at=timezone.now(),
        )
    if done:
        transaction.on_commit(lambda: article_extracted.send(sender=Article, article_id=article.pk))
    return Extraction.DONE


def _failed(article: Article, reason: str) -> str:
    """The feed's text stays; the reason is kept for the reader and the operator."""
    logger.info("full text of article %s: %s", article.pk, reason)
    Article.objects.filter(pk=article.pk, extraction=Extraction.PENDING).update(
        extraction=Extraction.FAILED, extraction_error=reason[:500], extracted_at=timezone.now()
    )
    article_extracted.send(sender=Article, article_id=article.pk)
    return Extraction.FAILED


def extractions_sweep() -> dict[str, int]:
    """For the beat sweep: pending pages whose message was lost are asked again after
    FULLTEXT_WAIT_SECONDS; after ten times that they are given up (the feed's text stays)."""
    now = timezone.now()
    wait = timedelta(seconds=settings.FULLTEXT_WAIT_SECONDS)
    pending = Article.objects.filter(extraction=Extraction.PENDING)
    given_up = pending.filter(created_at__lt=now - 10 * wait).update(
        extraction=Extraction.FAILED,
        extraction_error="the page could not be fetched in time",
        extracted_at=now,
    )
    again = list(pending.filter(created_at__lt=now - wait).values_list("id", flat=True)[:500])
    # Only those whose message is gone: one queued already is left to its turn.
    resent = sum(extraction_send(article_id=article_id) for article_id in again)
    return {"extractions_given_up": given_up, "extractions_resent": resent}
