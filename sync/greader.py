"""The Google Reader API, the subset real clients use (Reeder, NetNewsWire, ReadYou, FeedMe,
Fluent Reader, newsboat): Miniflux's route table, plus `stream/contents`, `unread-count`
and the Atom form newsboat 2.21 reads.

Served at the root (`/accounts/ClientLogin`, `/reader/api/0/…`) and under FreshRSS's
`/api/greader.php/`, the two base URLs apps are told to enter. An app signs in with the
reader's app password (`accounts.app_access`); every answer is that reader's alone.

Quirks honoured (FreshRSS's `greader.php` and Miniflux's `internal/googlereader` name them):
- item ids come back in four forms (`parse_item_id`); `stream/items/ids` answers decimal;
- the edit token `T` may be the one `token` gave, the auth token (Miniflux's clients), `x`
  (Reeder) or empty (FeedMe);
- `mark-all-as-read` is bounded by `ts`, in µs when 16 digits or more, else in seconds;
- a stream may name the user as `-` or by id; unknown routes answer 200 `[]`, as Miniflux.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import unquote

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.app_access import auth_token_of, edit_token_of, user_by_auth_token, user_by_password
from accounts.auth import Verdict, sign_in_check
from articles.folders import FolderNameError, folder_delete, folder_get_or_create, folder_rename
from articles.models import Folder, Reading, ReadingQuerySet, Subscription
from articles.services import (
    FeedError,
    feed_subscribe,
    subscription_delete,
    subscription_update,
)
from common.xml import XMLSafeAtom1Feed
from sync import items as it
from sync import params

STATE = "user/-/state/com.google/"
READING_LIST, STARRED, READ = STATE + "reading-list", STATE + "starred", STATE + "read"
KEPT_UNREAD, FRESH = STATE + "kept-unread", STATE + "fresh"
GOOGLE_SCHEME = "http://www.google.com/reader/"
LABEL = "user/-/label/"
TOP_STREAM = "feed/sift-top"
ITEM_PREFIX = "tag:google.com,2005:reader/item/"
USER_PART = re.compile(r"^user/\d+/")


class BadRequest(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


# --- ids and streams -------------------------------------------------------------------------
def long_id(item_id: int) -> str:
    return f"{ITEM_PREFIX}{item_id:016x}"


def parse_item_id(value: str) -> int:
    """An item id in any form clients send back: the long form (padded, or unpadded as
    NetNewsWire sends it), Reeder's bare 16 hex digits, or decimal. Sift's ids stay far
    below 10^15, so a 16-character id is always hex, never an ambiguous decimal."""
    value = value.strip()
    try:
        if value.startswith(ITEM_PREFIX):
            number = int(value[len(ITEM_PREFIX) :], 16)
        elif len(value) == 16:
            number = int(value, 16)
        else:
            number = int(value, 10)
    except ValueError:
        raise BadRequest("i", f"{value[:40]!r} is not an item id") from None
    if not 0 < number < 1 << 63:
        raise BadRequest("i", f"{value[:40]!r} is not an item id")
    return number


def normal_stream(stream: str) -> str:
    """`user/1234/…` as `user/-/…` (clients name the user either way)."""
    return USER_PART.sub("user/-/", unquote(stream.strip()))


class Streams:
    """One reader's streams: which readings each holds."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.maker = it.ItemMaker(reader)
        self.all = it.in_apps(reader)

    def readings(self, stream: str) -> tuple[ReadingQuerySet, bool]:
        """The readings of a stream, and whether they are listed as top picks' copies."""
        stream = normal_stream(stream)
        if stream in (READING_LIST, ""):
            return self.all, False
        if stream == TOP_STREAM or stream == LABEL + it.TOP_LABEL:
            return it.top_picks(self.all, self.maker.profile), True
        if stream == STARRED:
            if self.maker.profile.apps_star_top_picks:
                top = Q(rank__score__gte=self.maker.profile.top_picks_min_score)
                return self.all.filter(Q(is_starred=True) | top), False
            return self.all.filter(is_starred=True), False
        if stream == READ:
            return self.all.filter(is_read=True), False
        if stream.startswith("feed/"):
            ident = stream[len("feed/") :]
            if ident.isascii() and ident.isdigit():
                return self.all.filter(feed_id=params.whole_number(ident, "s")), False
            return self.all.filter(feed__url=ident), False
        if stream.startswith(LABEL):
            name = stream[len(LABEL) :]
            folder_feeds = Subscription.objects.filter(reader=self.reader, folder__name=name)
            return self.all.filter(feed_id__in=folder_feeds.values("feed_id")), False
        raise BadRequest("s", f"unknown stream {stream[:80]!r}")

    def with_top_copies(self, stream: str) -> bool:
        """The reading list also holds the top picks' copies: apps that sync it alone
        (Reeder, NetNewsWire) file items under their `origin`, and that is how Top picks
        gets its items there."""
        return normal_stream(stream) in (READING_LIST, "")


def _one(request: HttpRequest, name: str, default: str = "") -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    return value if value is not None else request.GET.get(name, default)


def _all(request: HttpRequest, name: str) -> list[str]:
    values = request.POST.getlist(name) if request.method == "POST" else []
    return values + request.GET.getlist(name)


def _int(request: HttpRequest, name: str, default: int, high: int) -> int:
    raw = _one(request, name)
    if raw == "":
        return default
    return min(params.whole_number(raw, name), high)


def _time(raw: str, name: str) -> datetime:
    """Seconds, or µs when 16 digits or more (clients send either for `ts`)."""
    return params.unix_time(raw, name, microseconds=len(raw.strip()) >= 16)


def _stream_name(request: HttpRequest) -> str:
    return _one(request, "s") or request.resolver_match.kwargs.get("stream", "")  # type: ignore[union-attr]


def _narrowed(request: HttpRequest, streams: Streams, readings: ReadingQuerySet) -> ReadingQuerySet:
    """A stream's readings narrowed by the request: `xt` (excluded), `it` (included),
    `ot` / `nt` (the time window)."""
    for exclude in map(normal_stream, _all(request, "xt")):
        if exclude == READ:
            readings = readings.filter(is_read=False)
        elif exclude == STARRED:
            readings = readings.filter(is_starred=False)
    include = normal_stream(_one(request, "it"))
    if include == READ:
        readings = readings.filter(is_read=True)
    elif include == STARRED:
        readings = readings.filter(is_starred=True)
    elif include:
        readings = readings.filter(id__in=streams.readings(include)[0].values("id"))
    if ot := _one(request, "ot"):
        readings = it.dated_from(readings, _time(ot, "ot"))
    if nt := _one(request, "nt"):
        readings = it.dated_before(readings, _time(nt, "nt"))
    return readings


def _filtered(request: HttpRequest, streams: Streams) -> tuple[ReadingQuerySet, bool, str]:
    stream = _stream_name(request)
    readings, as_top = streams.readings(stream)
    readings = _narrowed(request, streams, readings)
    order = _one(request, "r")
    if order == "a" or (as_top and order != "o"):  # "magic": Sift's ranking
        readings = it.by_score(readings)
    else:
        readings = it.by_date(readings, oldest_first=order == "o")
    return readings, as_top, normal_stream(stream)


def _page(
    request: HttpRequest, readings: QuerySet[Any], default: int, high: int
) -> tuple[list[Any], str]:
    n = _int(request, "n", default, high) or default
    offset = _int(request, "c", 0, 1 << 62)
    rows = list(readings[offset : offset + n + 1])
    more = len(rows) > n
    return rows[:n], str(offset + n) if more else ""


# --- answers ---------------------------------------------------------------------------------
def _usec(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def item_json(item: it.Item) -> dict[str, Any]:
    article = item.article
    categories = [READING_LIST, f"{LABEL}{item.folder}"] if item.folder else [READING_LIST]
    if item.reading.is_read:
        categories.append(READ)
    if item.is_starred:
        categories.append(STARRED)
    if item.is_top:
        categories.append(LABEL + it.TOP_LABEL)
    stream = TOP_STREAM if item.feed_id == it.TOP_FEED_ID else f"feed/{item.feed_id}"
    usec = _usec(item.date)
    out: dict[str, Any] = {
        "id": long_id(item.id),
        "crawlTimeMsec": str(usec // 1000),
        "timestampUsec": str(usec),
        "published": usec // 1_000_000,
        "updated": usec // 1_000_000,
        "title": item.title,
        "canonical": [{"href": article.url}],
        "alternate": [{"href": article.url, "type": "text/html"}],
        "categories": categories,
        "origin": {"streamId": stream, "title": item.feed_title, "htmlUrl": item.reading.feed.url},
        "summary": {"direction": "ltr", "content": article.content or article.summary},
        "author": article.author,
    }
    if item.score is not None:
        out["sift"] = {"score": round(item.score, 2), "explanation": item.reading.score_reasoning}
    return out


def _items(streams: Streams, rows: list[Reading], as_top: bool) -> list[it.Item]:
    return streams.maker.items(rows, as_top=as_top)


def _json(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False)


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _unauthorized() -> HttpResponse:
    response = _text("Unauthorized", status=401)
    response["X-Reader-Google-Bad-Token"] = "true"
    return response


View = Callable[..., HttpResponse]


def signed_in(*, edit: bool = False) -> Callable[[View], View]:
    """The reader an auth token names (`Authorization: GoogleLogin auth=…`, or the form
    field `T` on a POST, as Miniflux's clients send it). `edit`: a change, which also
    needs a valid edit token (or one of the quirks above)."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                request.POST  # noqa: B018 - parsed here: too many fields is answered as text
            except (TooManyFieldsSent, RequestDataTooBig) as exc:
                return _text(f"Bad request: {exc}", status=400)
            address = str(request.META.get("REMOTE_ADDR", ""))
            header = request.headers.get("Authorization", "")
            token = ""
            if header.lower().startswith("googlelogin auth="):
                token = header[len("googlelogin auth=") :]
            elif request.method == "POST":
                token = request.POST.get("T", "")
            reader = user_by_auth_token(token) if token else None
            if token:
                verdict = sign_in_check(address=address, user=reader, random_token=True)
                if verdict is Verdict.THROTTLED:
                    return _text("Too many failed sign-ins from this address.", status=429)
            if reader is None:
                return _unauthorized()
            if edit and request.method != "POST":
                return _text("Method not allowed: this call is a POST.", status=405)
            if edit:
                t = request.POST.get("T", request.GET.get("T", ""))
                if t not in ("", "x", edit_token_of(reader), auth_token_of(reader)):
                    return _unauthorized()
            try:
                return view(request, reader, *args, **kwargs)
            except (BadRequest, params.ParamError) as exc:
                return _text(f"Bad request: {exc}", status=400)

        return wrapper

    return decorate


# --- routes ----------------------------------------------------------------------------------
@csrf_exempt
def client_login(request: HttpRequest) -> HttpResponse:
    """`SID=…\\nLSID=…\\nAuth=…` (Vienna RSS needs the LSID line; JSON when asked)."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    fields = _login_fields(request)
    email, password = fields.get("Email", ""), fields.get("Passwd", "")
    reader = user_by_password(email, password) if email and password else None
    verdict = sign_in_check(address=address, user=reader, account=email)
    if verdict is Verdict.THROTTLED:
        return _text("Error=TooManyAttempts", status=429)
    if reader is None:
        return _text("Error=BadAuthentication", status=401)
    token = auth_token_of(reader)
    if fields.get("output") == "json":
        return _json({"SID": token, "LSID": "null", "Auth": token})
    return _text(f"SID={token}\nLSID=null\nAuth={token}\n")


def _login_fields(request: HttpRequest) -> dict[str, str]:
    """ClientLogin's fields from a form, the query, or a JSON body (some apps send that)."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        return {}
    return {name: _one(request, name) for name in ("Email", "Passwd", "output")}


@signed_in()
def token(request: HttpRequest, reader: Any) -> HttpResponse:
    return _text(edit_token_of(reader))


@signed_in()
def user_info(request: HttpRequest, reader: Any) -> HttpResponse:
    return _json(
        {
            "userId": str(reader.pk),
            "userName": reader.get_username(),
            "userProfileId": str(reader.pk),
            "userEmail": reader.email,
        }
    )


@signed_in()
def tag_list(request: HttpRequest, reader: Any) -> HttpResponse:
    tags: list[dict[str, Any]] = [{"id": STARRED}]
    tags += [
        {"id": f"{LABEL}{name}", "label": name, "type": "folder"}
        for name in Folder.objects.filter(reader=reader)
        .order_by("name")
        .values_list("name", flat=True)
    ]
    # No `unread_count` (Inoreader's): the google-reader client refuses keys it does not
    # know; `unread-count` has the number.
    tags.append({"id": LABEL + it.TOP_LABEL, "label": it.TOP_LABEL, "type": "tag"})
    return _json({"tags": tags})


def _subscription_json(sub: Subscription) -> dict[str, Any]:
    categories = (
        [{"id": f"{LABEL}{sub.folder.name}", "label": sub.folder.name}] if sub.folder else []
    )
    return {
        "id": f"feed/{sub.feed_id}",
        "title": sub.shown_title,
        "categories": categories,
        "url": sub.feed.url,
        "htmlUrl": sub.feed.url,
        "iconUrl": "",
        "firstitemmsec": "0",
        "sortid": f"{sub.feed_id:08X}",
    }


@signed_in()
def subscription_list(request: HttpRequest, reader: Any) -> HttpResponse:
    subs = Subscription.objects.filter(reader=reader).select_related("feed", "folder")
    out = [_subscription_json(s) for s in subs.order_by("display_order", "id")]
    out.append(
        {
            "id": TOP_STREAM,
            "title": it.TOP_TITLE,
            "categories": [{"id": LABEL + it.TOP_LABEL, "label": it.TOP_LABEL}],
            "url": request.build_absolute_uri("/"),
            "htmlUrl": request.build_absolute_uri("/"),
            "iconUrl": "",
        }
    )
    return _json({"subscriptions": out})


def _feed_id(stream: str) -> int:
    stream = normal_stream(stream)
    ident = stream[len("feed/") :] if stream.startswith("feed/") else ""
    if not (ident.isascii() and ident.isdigit()):
        raise BadRequest("s", f"{stream[:80]!r} is not a feed of yours (feed/<id>)")
    return params.whole_number(ident, "s")


def _subscription(reader: Any, stream: str) -> Subscription:
    sub = Subscription.objects.filter(reader=reader, feed_id=_feed_id(stream)).first()
    if sub is None:
        raise BadRequest("s", "no such subscription")
    return sub


def _folder_of(reader: Any, label: str) -> Folder | None:
    label = normal_stream(label)
    name = label[len(LABEL) :] if label.startswith(LABEL) else label
    return folder_get_or_create(reader=reader, name=name) if name.strip() else None


def _subscribe(reader: Any, url: str, title: str = "", label: str = "") -> Subscription:
    folder = _folder_of(reader, label) if label else None
    try:
        return feed_subscribe(reader=reader, url=url, title=title, folder=folder)
    except FeedError as exc:
        raise BadRequest("s", str(exc)) from exc


@signed_in(edit=True)
def subscription_edit(request: HttpRequest, reader: Any) -> HttpResponse:
    action = _one(request, "ac")
    streams = _all(request, "s")
    if not streams:
        raise BadRequest("s", "a feed is needed")
    for stream in streams:
        if action == "subscribe":
            url = normal_stream(stream)
            url = url[len("feed/") :] if url.startswith("feed/") else url
            _subscribe(reader, url, _one(request, "t"), _one(request, "a"))
        elif action == "unsubscribe":
            subscription_delete(subscription=_subscription(reader, stream))
        elif action == "edit":
            sub = _subscription(reader, stream)
            fields: dict[str, Any] = {}
            if title := _one(request, "t"):
                fields["title"] = title[:500]
            if add := _one(request, "a"):
                fields["folder"] = _folder_of(reader, add)
            elif _one(request, "r"):
                fields["folder"] = None
            if fields:
                subscription_update(subscription=sub, **fields)
        else:
            raise BadRequest("ac", "must be subscribe, unsubscribe or edit")
    return _text("OK")


@signed_in(edit=True)
def quickadd(request: HttpRequest, reader: Any) -> HttpResponse:
    url = _one(request, "quickadd")
    if not url:
        raise BadRequest("quickadd", "a feed URL is needed")
    url = url[len("feed/") :] if url.startswith("feed/") else url
    sub = _subscribe(reader, url)
    return _json(
        {
            "numResults": 1,
            "query": url,
            "streamId": f"feed/{sub.feed_id}",
            "streamName": sub.shown_title,
        }
    )


@signed_in()
def unread_count(request: HttpRequest, reader: Any) -> HttpResponse:
    streams = Streams(reader)
    unread = streams.all.filter(is_read=False)
    per_feed = {
        row["feed_id"]: row
        for row in unread.values("feed_id")
        .annotate(n=Count("id"), newest=Max("item_date"))
        .order_by()
    }
    counts = []
    folders: dict[str, list[dict[str, Any]]] = {}
    for sub in Subscription.objects.filter(reader=reader).select_related("folder"):
        row = per_feed.get(sub.feed_id)
        if row is None:
            continue
        entry = {
            "id": f"feed/{sub.feed_id}",
            "count": row["n"],
            "newestItemTimestampUsec": str(_usec(row["newest"])),
        }
        counts.append(entry)
        if sub.folder:
            folders.setdefault(sub.folder.name, []).append(entry)
    for name, entries in folders.items():
        counts.append(
            {
                "id": f"{LABEL}{name}",
                "count": sum(e["count"] for e in entries),
                "newestItemTimestampUsec": max(e["newestItemTimestampUsec"] for e in entries),
            }
        )
    top = it.top_picks(unread, streams.maker.profile).aggregate(
        n=Count("id"), newest=Max("item_date")
    )
    if top["n"]:
        for stream in (TOP_STREAM, LABEL + it.TOP_LABEL):
            counts.append(
                {
                    "id": stream,
                    "count": top["n"],
                    "newestItemTimestampUsec": str(_usec(top["newest"])),
                }
            )
    total = unread.aggregate(n=Count("id"), newest=Max("item_date"))
    if total["n"]:
        counts.append(
            {
                "id": READING_LIST,
                "count": total["n"],
                "newestItemTimestampUsec": str(_usec(total["newest"])),
            }
        )
    return _json({"max": max([c["count"] for c in counts], default=0), "unreadcounts": counts})


def _stream_items(request: HttpRequest, reader: Any, high: int) -> tuple[list[it.Item], str, str]:
    streams = Streams(reader)
    readings, as_top, name = _filtered(request, streams)
    rows, continuation = _page(request, readings, 20, high)
    items = _items(streams, rows, as_top)
    if streams.with_top_copies(name) and not continuation:
        # The top picks' copies follow the reading list's last page, narrowed alike.
        top = _narrowed(request, streams, it.top_picks(streams.all, streams.maker.profile))
        items += streams.maker.items(it.by_score(top)[:1000], as_top=True)
    return items, continuation, name


@signed_in()
def stream_contents(request: HttpRequest, reader: Any, stream: str = "") -> HttpResponse:
    items, continuation, name = _stream_items(request, reader, 1000)
    out: dict[str, Any] = {
        "id": name or READING_LIST,
        "updated": int(timezone.now().timestamp()),
        "items": [item_json(i) for i in items],
    }
    if continuation:
        out["continuation"] = continuation
    return _json(out)


@signed_in()
def stream_item_ids(request: HttpRequest, reader: Any) -> HttpResponse:
    """Ids and dates only (up to 10,000 a page): no article is loaded."""
    if not _one(request, "s"):
        raise BadRequest("s", "a stream is needed")
    streams = Streams(reader)
    readings, as_top, name = _filtered(request, streams)
    pairs = it.ids_and_dates(readings)
    rows, continuation = _page(request, pairs, 20, 10000)
    offset = it.TOP_ID_OFFSET if as_top else 0
    found = [(article_id + offset, date) for article_id, date in rows]
    if streams.with_top_copies(name) and not continuation:
        top = _narrowed(request, streams, it.top_picks(streams.all, streams.maker.profile))
        copies = it.ids_and_dates(it.by_score(top))[:1000]
        found += [(article_id + it.TOP_ID_OFFSET, date) for article_id, date in copies]
    refs = [
        {"id": str(item_id), "directStreamIds": [], "timestampUsec": str(_usec(date))}
        for item_id, date in found
    ]
    out: dict[str, Any] = {"itemRefs": refs}
    if continuation:
        out["continuation"] = continuation
    return _json(out)


@signed_in()
def stream_items_contents(request: HttpRequest, reader: Any) -> HttpResponse:
    ids = [parse_item_id(v) for v in _all(request, "i")]
    if not ids:
        raise BadRequest("i", "at least one item id is needed")
    items = it.ItemMaker(reader).by_ids(reader, ids[:1000])
    return _json(
        {
            "id": READING_LIST,
            "updated": int(timezone.now().timestamp()),
            "items": [item_json(i) for i in items],
        }
    )


@signed_in(edit=True)
def edit_tag(request: HttpRequest, reader: Any) -> HttpResponse:
    ids = [parse_item_id(v) for v in _all(request, "i")]
    if not ids:
        raise BadRequest("i", "at least one item id is needed")
    for tag in map(normal_stream, _all(request, "a")):
        if tag == READ:
            it.items_mark_read(reader, ids)
        elif tag == KEPT_UNREAD:
            it.items_mark_read(reader, ids, is_read=False)
        elif tag == STARRED:
            it.items_star(reader, ids, is_starred=True)
    for tag in map(normal_stream, _all(request, "r")):
        if tag == READ:
            it.items_mark_read(reader, ids, is_read=False)
        elif tag == STARRED:
            it.items_star(reader, ids, is_starred=False)
    # Labels on items other than Sift's own are not kept: folders hold feeds, not items.
    return _text("OK")


@signed_in(edit=True)
def mark_all_as_read(request: HttpRequest, reader: Any) -> HttpResponse:
    stream = _one(request, "s")
    if not stream:
        raise BadRequest("s", "a stream is needed")
    readings, _ = Streams(reader).readings(stream)
    ts = _one(request, "ts")
    it.readings_mark_read_until(readings, _time(ts, "ts") if ts else None)
    return _text("OK")


@signed_in(edit=True)
def rename_tag(request: HttpRequest, reader: Any) -> HttpResponse:
    source, dest = normal_stream(_one(request, "s")), normal_stream(_one(request, "dest"))
    name, new = source[len(LABEL) :], dest[len(LABEL) :]
    folder = Folder.objects.filter(reader=reader, name=name).first()
    if folder is None or not new.strip():
        raise BadRequest("s", "no such folder, or no new name (dest)")
    try:
        folder_rename(folder=folder, name=new)
    except FolderNameError as exc:
        raise BadRequest("dest", exc.message) from None
    return _text("OK")


@signed_in(edit=True)
def disable_tag(request: HttpRequest, reader: Any) -> HttpResponse:
    name = normal_stream(_one(request, "s"))[len(LABEL) :]
    folder = Folder.objects.filter(reader=reader, name=name).first()
    if folder is not None:
        folder_delete(folder=folder)
    return _text("OK")


@signed_in()
def unknown(request: HttpRequest, reader: Any, rest: str = "") -> HttpResponse:
    """What Miniflux answers to a route it does not have."""
    return _json([])


# --- the Atom form (newsboat 2.21's "feedhq" mode) ---------------------------------------------
class _ReaderAtom(XMLSafeAtom1Feed):
    """Atom with Google Reader's states as categories on each entry, in Google's scheme:
    newsboat takes an entry labelled "read" as read and one labelled "fresh" as unread, so
    a mark made in Sift reaches it on its next reload."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        for term in item.get("states", ()):
            label = term.rsplit("/", 1)[1]
            handler.addQuickElement(
                "category", "", {"term": term, "scheme": GOOGLE_SCHEME, "label": label}
            )


@signed_in()
def atom_stream(request: HttpRequest, reader: Any, stream: str) -> HttpResponse:
    items, continuation, name = _stream_items(request, reader, 1000)
    feed = _ReaderAtom(
        title=items[0].feed_title if items and name.startswith("feed/") else name,
        link=request.build_absolute_uri("/"),
        description="",
        feed_guid=name,
    )
    for item in items:
        states = [READ if item.reading.is_read else FRESH]
        if item.is_starred:
            states.append(STARRED)
        feed.add_item(
            title=item.title,
            link=item.article.url,
            description=item.article.content or item.article.summary,
            unique_id=long_id(item.id),
            pubdate=item.date,
            updateddate=item.date,
            author_name=item.article.author or None,
            categories=[LABEL + it.TOP_LABEL] if item.is_top else [],
            states=states,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    if continuation:
        response["X-Continuation"] = continuation
    return response
