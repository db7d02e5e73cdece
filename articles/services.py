"""Feeds and what readers do with them: ingestion (fetch with httpx, parse with feedparser,
sanitize with nh3, store each new article once and a reading of it for each subscriber),
subscriptions, folders, marks and topic weights, each a reader's own.

A broken feed records its error on the feed row and never stops the others.
"""

from __future__ import annotations

import calendar
import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax import SAXParseException

import cssselect
import feedparser
import nh3
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Profile
from articles import tasks
from articles.discovery import feed_links
from articles.models import (
    Article,
    Category,
    Extraction,
    Feed,
    FeedQuerySet,
    Folder,
    Reading,
    Subscription,
    TopicSet,
    TopicWeight,
)
from articles.page_queue import extraction_send
from articles.ranking import reading_feedback_rerank, topic_sets_rerank
from articles.signals import category_weight_changed, reading_marked, readings_stored
from articles.stories import Candidate, canonical_url, story_candidates, title_key
from common.errors import DomainError
from common.fetch import FetchError, fetch
from common.tasks import send_on_commit
from common.validators import http_url_problem

logger = logging.getLogger(__name__)

USER_AGENT = "Sift/0.1 (+self-hosted feed reader)"


class FeedError(FetchError):
    """A feed could not be fetched or parsed; the message is shown to the reader."""

    field = "url"


@dataclass
class Fetched:
    body: bytes | None  # None: 304 Not Modified
    etag: str
    last_modified: str
    final_url: str
    content_type: str = ""


def feed_fetch(*, url: str, etag: str = "", last_modified: str = "") -> Fetched:
    """A conditional GET under common.fetch's limits (FEED_FETCH_TIMEOUT in all,
    FEED_MAX_BYTES, FEED_REFUSE_INTERNAL)."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        response = fetch(
            url,
            deadline=settings.FEED_FETCH_TIMEOUT,
            max_bytes=settings.FEED_MAX_BYTES,
            headers=headers,
            refuse_internal=settings.FEED_REFUSE_INTERNAL,
        )
    except FetchError as exc:
        raise FeedError(exc.message) from exc
    if response.status == 304:
        return Fetched(None, etag, last_modified, response.url)
    if response.status >= 400:
        raise FeedError(f"HTTP {response.status} from {url}")
    return Fetched(
        response.body,
        response.headers.get("etag", ""),
        response.headers.get("last-modified", ""),
        response.url,
        response.headers.get("content-type", ""),
    )


def clean_html(html: str) -> str:
    """No scripts, no event handlers, no javascript: URLs; links open safely."""
    return nh3.clean(html or "", link_rel="noopener noreferrer nofollow")


def plain_text(value: Any, limit: int) -> str:
    """Plain text (titles, authors): tags dropped, entities decoded. Escaping is the
    renderer's job, as for any text."""
    return html.unescape(nh3.clean(str(value or ""), tags=set())).strip()[:limit]


# Dates before this are a feed's mistake (year 0001, the Unix epoch), not an article's.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)


def _entry_time(entry: Any, fetched_at: datetime) -> datetime | None:
    """The entry's date; an implausible one (before 1990, or later than the fetch) is the
    fetch time, so a wrong clock or a typo never tops the newest-first list."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                at = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                return fetched_at
            return at if EARLIEST_PLAUSIBLE <= at <= fetched_at else fetched_at
    return None


@dataclass
class ParsedFeed:
    title: str
    entries: list[dict[str, Any]]
    dropped: int = 0  # entries beyond the newest FEED_MAX_ITEMS, left out
    problem: str = ""  # the XML parser's complaint, when feedparser had to recover


def feed_parse(*, fetched: Fetched) -> ParsedFeed:
    """The feed in a fetched body (not a 304). Raises FeedError saying what arrived instead."""
    assert fetched.body is not None
    content_type = fetched.content_type
    headers = {"content-location": fetched.final_url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        fetched.body, sanitize_html=False, resolve_relative_uris=True, response_headers=headers
    )
    if not parsed.version and not parsed.entries:
        # Say what arrived: "no Content-type specified" for a web page misleads.
        kind = content_type.split(";")[0].strip() or "no content type"
        hint = " (a web page, not its feed)" if "html" in kind else ""
        raise FeedError(f"Not an RSS or Atom feed: the server sent {kind}{hint}.")
    problem = ""
    error = parsed.get("bozo_exception")
    if parsed.bozo and isinstance(error, SAXParseException):
        problem = (
            f"Not a well-formed feed (line {error.getLineNumber()}, column "
            f"{error.getColumnNumber()}: {error.getMessage()})."
        )
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        reason = getattr(error, "getMessage", lambda: str(error))()
        raise FeedError(f"Not a readable RSS or Atom feed ({reason}).")
    entries = []
    fetched_at = timezone.now()
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        if http_url_problem(link):
            continue
        content = ""
        if entry.get("content"):
            content = entry.content[0].get("value", "")
        summary = entry.get("summary", "")
        entries.append(
            {
                "url": link,
                "guid": str(entry.get("id") or "")[:2000],
                "title": plain_text(entry.get("title") or link, 1000) or link[:1000],
                "author": plain_text(entry.get("author"), 500),
                "published_at": _entry_time(entry, fetched_at),
                "summary": clean_html(summary),
                "content": clean_html(content or summary),
            }
        )
    # The newest FEED_MAX_ITEMS (undated entries count as new): a 20,000-item archive feed
    # costs what a normal one does.
    keep = settings.FEED_MAX_ITEMS
    dropped = max(0, len(entries) - keep)
    if dropped:
        entries.sort(key=lambda e: e["published_at"] or fetched_at, reverse=True)
        del entries[keep:]
    return ParsedFeed(
        title=plain_text(parsed.feed.get("title"), 500),
        entries=entries,
        dropped=dropped,
        problem=problem,
    )


def backfill_cutoff() -> datetime | None:
    """Articles published before this are kept but not scored when a reader subscribes
    (FEED_BACKFILL_DAYS; None: no limit)."""
    days = settings.FEED_BACKFILL_DAYS
    return timezone.now() - timedelta(days=days) if days else None


def articles_store(*, feed: Feed, entries: list[dict[str, Any]], backfill: bool = False) -> int:
    """Insert the entries this database has not seen (by URL, and by entry id within the
    feed) once, with a reading of each for every subscriber of the feed, and announce the
    readings after commit (`readings_stored`, which scoring turns into queued work; its
    sweep adopts any it missed). Returns how many articles were new.

    `backfill` (a feed's first fetch): entries published before FEED_BACKFILL_DAYS are
    read `skipped` instead, so adding a feed with years of history does not queue years
    of LLM calls. An entry without a date counts as new."""
    if not entries:
        return 0
    urls = {e["url"] for e in entries}
    guids = {e["guid"] for e in entries if e["guid"]}
    seen_urls = set(Article.objects.filter(url__in=urls).values_list("url", flat=True))
    seen_guids = (
        set(Article.objects.filter(feed=feed, guid__in=guids).values_list("guid", flat=True))
        if guids
        else set()
    )
    cutoff = backfill_cutoff() if backfill else None
    # An article this feed carries that another feed brought first: this feed's readers
    # get a reading of it too, listed under this feed (their own subscription).
    elsewhere = Article.objects.filter(url__in=seen_urls).exclude(feed=feed)
    readings_make(articles=elsewhere, readers=_readers_of(feed), cutoff=cutoff, feed_id=feed.pk)
    fresh: dict[str, Article] = {}
    copy_of: dict[str, int | str] = {}  # url -> the story it copies (an id, or a fresh url)
    candidates = story_candidates(entries)
    for e in entries:
        if e["url"] in seen_urls or e["url"] in fresh or (e["guid"] and e["guid"] in seen_guids):
            continue
        at = e.get("published_at") or timezone.now()
        canonical, title = canonical_url(e["url"]), title_key(e["title"])
        lead = candidates.story_of(canonical, title, at)
        if lead is None:
            candidates.add(Candidate(e["url"], canonical, title, at))
        else:
            copy_of[e["url"]] = lead
        article = Article(feed=feed, canonical_url=canonical, **e)
        # Full text for the leads that will be scored (not old entries kept unscored).
        text_length = len(plain_text(article.content, 1_000_000))
        if lead is None and (cutoff is None or at >= cutoff) and feed.wants_full_text(text_length):
            article.extraction = Extraction.PENDING
        fresh[e["url"]] = article
    if not fresh:
        return 0
    # Short transactions: SQLite has one write lock for the whole database, and every other
    # write (a read mark, a worker's score) waits while it is held.
    stored: dict[str, int] = {}
    articles = list(fresh.values())
    readers = _readers_of(feed)
    for start in range(0, len(articles), STORE_CHUNK):
        _store_chunk(articles[start : start + STORE_CHUNK], copy_of, stored, readers, cutoff)
    pending = [a.url for a in articles if a.extraction == Extraction.PENDING]
    for article_id in Article.objects.filter(
        url__in=pending, extraction=Extraction.PENDING
    ).values_list("id", flat=True):
        extraction_send(article_id=article_id)
    return len(fresh)


STORE_CHUNK = 200


def _readers_of(feed: Feed) -> list[int]:
    return list(feed.subscriptions.values_list("reader_id", flat=True))


def _store_chunk(
    articles: list[Article],
    copy_of: dict[str, int | str],
    stored: dict[str, int],
    readers: list[int],
    cutoff: datetime | None,
) -> None:
    """Insert these articles, link the copies among them to their stories, make each
    reader's readings of them and announce those; `stored` (url → id) grows with them,
    since a copy's lead may be in an earlier chunk."""
    urls = [a.url for a in articles]
    with transaction.atomic():
        # ignore_conflicts: a concurrent refresh of the same feed cannot insert twice.
        Article.objects.bulk_create(articles, ignore_conflicts=True)
        ids = dict(Article.objects.filter(url__in=urls).values_list("url", "id"))
        stored.update(ids)
        copies = {url: copy_of[url] for url in urls if url in copy_of}
        # Lock the leads: a worker writing a lead's score waits for these links (and then
        # passes its score on), or has written it already (and the inherit below sees it).
        leads = {lead for lead in copies.values() if isinstance(lead, int)}
        list(Article.objects.select_for_update().filter(id__in=leads).values_list("id"))
        for url, lead in copies.items():
            lead_id = lead if isinstance(lead, int) else stored.get(lead)
            if url in ids and lead_id:
                Article.objects.filter(id=ids[url]).update(story_id=lead_id)
        # Scoring owns what happens next: a copy of a story already scored takes its score,
        # the new leads join the queue.
        readings_make(
            articles=Article.objects.filter(id__in=ids.values()), readers=readers, cutoff=cutoff
        )


def feed_refresh(*, feed: Feed) -> int:
    """Fetch, parse and store one feed; errors are recorded on the feed. Returns new count."""
    now = timezone.now()
    try:
        fetched = feed_fetch(url=feed.url, etag=feed.etag, last_modified=feed.last_modified)
        new, dropped, problem = 0, feed.entries_dropped, ""
        title = feed.title
        if fetched.body is not None:
            parsed = feed_parse(fetched=fetched)
            first = feed.last_fetched_at is None
            new = articles_store(feed=feed, entries=parsed.entries, backfill=first)
            title, dropped = feed.title or parsed.title, parsed.dropped
            # What feedparser recovered is stored; the page shows why the rest may be missing.
            problem = parsed.problem
    except FeedError as exc:
        Feed.objects.filter(pk=feed.pk).update(last_attempt_at=now, last_error=str(exc)[:2000])
        logger.info("feed %s failed: %s", feed.pk, exc)
        return 0
    Feed.objects.filter(pk=feed.pk).update(
        last_attempt_at=now,
        last_fetched_at=now,
        last_error=problem,
        etag=fetched.etag[:500],
        last_modified=fetched.last_modified[:200],
        title=title,
        entries_dropped=dropped,
    )
    if dropped:
        logger.info("feed %s: %s entries beyond FEED_MAX_ITEMS left out", feed.pk, dropped)
    return new


def readings_make(
    *,
    articles: QuerySet[Article],
    readers: list[int],
    cutoff: datetime | None,
    feed_id: int | None = None,
) -> list[int]:
    """Each reader's reading of each of these articles (those they have already are left
    as they are), announced after commit, listed under the article's feed or `feed_id` (the
    reader's feed that carried it). Published before `cutoff`: `skipped`. A copy of a story
    whose lead the reader has is marked so: it takes the lead's verdict. Returns the new
    readings' ids."""
    if not readers:
        return []
    rows = [
        (pk, feed_id or own_feed, published, created)
        for pk, own_feed, published, created in articles.values_list(
            "id", "feed_id", "published_at", "created_at"
        )
    ]
    if not rows:
        return []
    made: list[int] = []
    for reader_id in readers:
        before = Reading.objects.filter(reader_id=reader_id, article_id__in=[r[0] for r in rows])
        have = set(before.values_list("article_id", flat=True))
        fresh = [
            Reading(
                reader_id=reader_id,
                article_id=article_id,
                feed_id=feed_id,
                scoring_state=(
                    Article.ScoringState.SKIPPED
                    if cutoff is not None and (published or created or timezone.now()) < cutoff
                    else Article.ScoringState.UNSCORED
                ),
            )
            for article_id, feed_id, published, created in rows
            if article_id not in have
        ]
        Reading.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
        new = Reading.objects.filter(
            reader_id=reader_id, article_id__in=[r.article_id for r in fresh]
        )
        lead = Reading.objects.filter(reader_id=reader_id, article_id=OuterRef("article__story_id"))
        new.filter(article__story__isnull=False).filter(Exists(lead)).update(is_copy=True)
        made += list(new.values_list("id", flat=True))
    if made:
        transaction.on_commit(lambda: readings_stored.send(sender=Reading, ids=made))
    return made


def feeds_refresh_later(*, feeds: FeedQuerySet | None = None) -> int:
    """One `refresh_feed` task per feed (every feed someone reads by default), least recently
    attempted first, so feeds are fetched side by side by every worker process of the
    `feeds` queue and a slow one delays only itself. Returns how many were queued."""
    feeds = feeds if feeds is not None else Feed.objects.subscribed()
    ids = list(feeds.in_refresh_order().values_list("id", flat=True))
    for feed_id in ids:
        feed_refresh_later(feed_id=feed_id)
    return len(ids)


def feed_url_problem(url: str) -> str:
    """Why this URL cannot be a feed, or "" when it can: the one rule for every door (API,
    admin, OPML, pages)."""
    return http_url_problem(url)


class FeedChoice(FeedError):
    """A web page that names several feeds: the reader chooses one (`choices`)."""


def feed_load(*, url: str) -> tuple[str, Fetched, ParsedFeed]:
    """Fetch and parse a feed that is not subscribed yet: what every door that adds a feed
    (API, admin, OPML) checks before accepting it. A web page's address finds its feed
    (`<link rel="alternate">`); when it names several, FeedChoice lists them. Returns the
    feed's own URL with what was fetched. Raises FeedError. No database: OPML imports call
    it from threads."""
    if problem := feed_url_problem(url):
        raise FeedError(problem)
    fetched = _fetch_whole(url)
    body = fetched.body
    assert body is not None  # _fetch_whole refuses a 304
    if "html" in fetched.content_type.lower() or body.lstrip()[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    ):
        links = feed_links(html=body, base_url=fetched.final_url)
        if not links:
            kind = fetched.content_type.split(";")[0].strip() or "no content type"
            raise FeedError(
                f"Not an RSS or Atom feed: the server sent {kind}, a web page that names no "
                'feed (no <link rel="alternate"> to RSS or Atom).'
            )
        if len(links) > 1:
            raise FeedChoice(
                f"This page offers {len(links)} feeds; choose one.",
                extra={
                    "choices": [{"url": f.url, "title": f.title, "kind": f.kind} for f in links]
                },
            )
        url = links[0].url
        if problem := feed_url_problem(url):
            raise FeedError(problem)
        fetched = _fetch_whole(url)
    parsed = feed_parse(fetched=fetched)
    if parsed.problem:
        # A new feed must be readable; one already subscribed keeps what can be recovered.
        raise FeedError(parsed.problem)
    return url, fetched, parsed


def _fetch_whole(url: str) -> Fetched:
    fetched = feed_fetch(url=url)
    if fetched.body is None:
        raise FeedError("The server answered 304 to an unconditional request.")
    return fetched


def feed_subscribed_problem(reader: Any, url: str) -> str:
    subscribed = Subscription.objects.filter(reader=reader, feed__url=url).exists()
    return "This feed is already subscribed." if subscribed else ""


def feed_subscribe(
    *, reader: Any, url: str, title: str = "", folder: Folder | None = None
) -> Subscription:
    """Subscribe a reader to a feed: one Sift already fetches is not fetched again (the
    reader gets its articles of the backfill window scored, and the older ones kept);
    a new one only if it can be fetched and parsed now."""
    feed = Feed.objects.filter(url=url).first()
    if feed is None:
        url, fetched, parsed = feed_load(url=url)
        if problem := feed_subscribed_problem(reader, url):  # the page's feed, found above
            raise FeedError(problem)
        feed = Feed.objects.filter(url=url).first()
        if feed is None:
            return feed_create_loaded(
                reader=reader, url=url, title=title, fetched=fetched, parsed=parsed, folder=folder
            )
    elif problem := feed_subscribed_problem(reader, url):
        raise FeedError(problem)
    return subscription_create(reader=reader, feed=feed, title=title, folder=folder)


def subscription_create(
    *, reader: Any, feed: Feed, title: str = "", folder: Folder | None = None
) -> Subscription:
    """A reader's subscription to a feed Sift has, with their readings of its articles. Their
    profile is made here if they have none: claims choose among readers by it."""
    with transaction.atomic():
        Profile.objects.get_or_create(user_id=reader.pk)
        subscription, _ = Subscription.objects.get_or_create(
            reader=reader,
            feed=feed,
            defaults={
                "title": title,
                "folder": folder,
                "display_order": Subscription.objects.filter(reader=reader).next_display_order(),
            },
        )
        readings_make(articles=feed.articles.all(), readers=[reader.pk], cutoff=backfill_cutoff())
    return subscription


def feed_create_loaded(
    *,
    reader: Any,
    url: str,
    title: str,
    fetched: Fetched,
    parsed: ParsedFeed,
    folder: Folder | None = None,
) -> Subscription:
    """Subscribe a reader to a feed `feed_load` has just fetched and parsed, storing it and
    its articles when Sift does not have it yet."""
    with transaction.atomic():
        feed, created = Feed.objects.get_or_create(
            url=url,
            defaults={
                "title": parsed.title,
                "etag": fetched.etag[:500],
                "last_modified": fetched.last_modified[:200],
                "last_fetched_at": timezone.now(),
                "last_attempt_at": timezone.now(),
                "entries_dropped": parsed.dropped,
            },
        )
        subscription = subscription_create(reader=reader, feed=feed, title=title, folder=folder)
        if created:
            articles_store(feed=feed, entries=parsed.entries, backfill=True)
    return subscription


def subscription_update(*, subscription: Subscription, **fields: Any) -> Subscription:
    """Change a reader's title, folder or place for a feed."""
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.save(update_fields=list(fields) or None)
    return subscription


def subscription_delete(*, subscription: Subscription) -> None:
    """Unsubscribe: the reader's readings of the feed go; the feed and its articles go too
    when no one else reads it."""
    with transaction.atomic():
        Reading.objects.filter(
            reader_id=subscription.reader_id, feed_id=subscription.feed_id
        ).delete()
        feed_id = subscription.feed_id
        subscription.delete()
        Feed.objects.filter(id=feed_id, subscriptions__isnull=True).delete()


def feeds_reorder(*, reader: Any, feed_ids: list[int]) -> None:
    """The reader's feeds in this order (each id once, all theirs: the caller checked)."""
    with transaction.atomic():
        for position, feed_id in enumerate(feed_ids):
            Subscription.objects.filter(reader=reader, feed_id=feed_id).update(
                display_order=position
            )


def css_selector_problem(selector: str) -> str:
    """Why a CSS selector cannot be used ("" when it can)."""
    try:
        cssselect.GenericTranslator().css_to_xpath(selector)
    except cssselect.SelectorError as exc:
        return f"Not a CSS selector: {exc}"
    return ""


def feed_full_text_set(*, feed: Feed, **fields: Any) -> Feed:
    """A feed's full-text settings (shared by its subscribers). They apply to articles the
    feed brings from now on; those already stored keep the text they have."""
    for name, value in fields.items():
        setattr(feed, name, value)
    feed.save(update_fields=list(fields))
    return feed


def feed_mark_read(*, reader: Any, feed_id: int) -> int:
    """Mark-all-read on a feed: the reader's articles of it, and their stories' copies in
    the reader's other feeds."""
    return articles_mark_read(
        readings=Reading.objects.filter(reader=reader, feed_id=feed_id, is_read=False)
    )


def feed_refresh_later(*, feed_id: int) -> None:
    send_on_commit(tasks.refresh_feed, feed_id)


# --- the reader's marks ------------------------------------------------------------------------
def article_mark(
    *,
    reading: Reading,
    is_read: bool | None = None,
    is_starred: bool | None = None,
    feedback: str | None = "",
) -> None:
    """Read/unread, starred, and 👍 / 👎 (`None` clears it; the default "" leaves it as it
    is), the reader's own. Never asks the LLM again: feedback shapes the reader's future
    prompts and weight suggestions, and a 👎 moves the article down at once (its score ×
    DISLIKED_FACTOR); re-scoring is the reader's own choice (POST /api/scoring/rescore,
    with a dry run first)."""
    changes: dict[str, Any] = {}
    if is_read is not None:
        changes["is_read"] = is_read
    if is_starred is not None and is_starred != reading.is_starred:
        changes["is_starred"] = is_starred
        changes["starred_at"] = timezone.now() if is_starred else None
    if feedback != "":
        changes["feedback"] = feedback
        changes["feedback_at"] = timezone.now() if feedback else None
    if "is_read" in changes:
        articles_mark_read(
            readings=Reading.objects.filter(pk=reading.pk), is_read=changes["is_read"]
        )
    if changes:
        with transaction.atomic():
            Reading.objects.filter(pk=reading.pk).update(**changes)
            for name, value in changes.items():
                setattr(reading, name, value)
            if "feedback" in changes:
                reading_feedback_rerank(reading=reading)
                if hasattr(reading, "rank"):
                    reading.rank.refresh_from_db(fields=["score", "disliked"])
        if "feedback" in changes or "is_starred" in changes:
            reader_id = reading.reader_id
            transaction.on_commit(lambda: reading_marked.send(sender=Reading, reader_id=reader_id))


def articles_mark_read(*, readings: QuerySet[Reading], is_read: bool = True) -> int:
    """Mark these readings read (or unread), and with each one every copy of its story in
    the same reader's other feeds: one story, read once, wherever it is listed. The one rule
    for read state (an article, a feed's mark-all-read, the admin). Returns how many rows
    changed."""
    leads: dict[int, set[int]] = {}
    for reader_id, article_id, story_id in readings.values_list(
        "reader_id", "article_id", "article__story_id"
    ):
        leads.setdefault(reader_id, set()).add(story_id or article_id)
    changed = 0
    for reader_id, ids in leads.items():
        changed += (
            Reading.objects.filter(reader_id=reader_id)
            .filter(Q(article_id__in=ids) | Q(article__story_id__in=ids))
            .exclude(is_read=is_read)
            .update(is_read=is_read)
        )
    return changed


# --- topics ----------------------------------------------------------------------------------
class CategoryNotFound(DomainError):
    status_code = 404


def category_weight_set(*, reader: Any, name: str, weight: str) -> Category:
    """Change a reader's weight of a topic and rerank their articles carrying it at once, in
    one set-based UPDATE and one transaction (no LLM call, no other reader's row). Only
    existing topics: a typo must not create a topic that then sits in every filter list."""
    with transaction.atomic():
        category = Category.objects.filter(name=Category.normalize(name)).first()
        if category is None:
            raise CategoryNotFound(f"No category named {name!r}.")
        # Orders this change with the reader's scoring writes (see `write_scored`).
        Profile.objects.get_or_create(user_id=reader.pk)
        list(Profile.objects.select_for_update().filter(user_id=reader.pk).values("pk"))
        row = TopicWeight.objects.filter(reader=reader, category=category).first()
        old = row.weight if row else Category.Weight.NEUTRAL
        if old != weight:
            TopicWeight.objects.update_or_create(
                reader=reader, category=category, defaults={"weight": weight}
            )
            topic_sets_rerank(reader_id=reader.pk, sets=TopicSet.objects.holding(category))
            category_weight_changed.send(
                sender=Category, reader_id=reader.pk, category=category, old=old
            )
    category.weight = weight  # type: ignore[attr-defined]
    return category
