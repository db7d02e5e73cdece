"""A Miniflux-compatible REST subset under `/v1/`, what newsboat's `miniflux` mode and the
Miniflux client tools call: `me`, `categories`, `feeds`, entries (list, one, status,
bookmark), `feeds/counters`. Sift adds `score` and `explanation` to each entry and
`order=score`.

Signed in with HTTP Basic (username and app password) or `X-Auth-Token` (one of the
reader's Sift API tokens). Folders are Miniflux's categories; a feed outside any folder is
in "All" (Miniflux puts every feed in a category), and Top picks is a feed of its own in a
category "Sift". Errors are Miniflux's: `{"error_message": …}` with the status.

newsboat sends its JSON bodies as `application/x-www-form-urlencoded` and wants 204 with no
body after a change: bodies are read as JSON whatever their type says."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from accounts.app_access import user_by_password
from accounts.auth import Verdict, sign_in_check
from articles.models import Folder, ReadingQuerySet, Subscription
from articles.search import articles_search
from sync import items as it
from sync import params

ALL_CATEGORY = it.TOP_ID_OFFSET + 1
TOP_CATEGORY = it.TOP_ID_OFFSET + 2
ORDERS = {"id", "status", "published_at", "category_title", "category_id", "score"}


class Problem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error_message": message}, status=status)


# Entries one mark may name: far more than any client sends (Miniflux's own allow any).
MAX_MARKED = 10_000


def _reader(request: HttpRequest) -> tuple[Any, Verdict]:
    """Who the request signs in as, and the sign-in guard's verdict on it."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    if token := request.headers.get("X-Auth-Token", ""):
        try:
            user, _ = TokenAuthentication().authenticate_credentials(token.encode())
        except exceptions.AuthenticationFailed:
            user = None
        return user, sign_in_check(address=address, user=user, random_token=True)
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, Verdict.REFUSED
    try:
        username, _, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, Verdict.REFUSED
    user = user_by_password(username, password)
    return user, sign_in_check(address=address, user=user, account=username)


View = Callable[..., HttpResponse]


def api(methods: tuple[str, ...] = ("GET",)) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            reader, verdict = _reader(request)
            if verdict is Verdict.THROTTLED:
                return _error(429, "Too many failed sign-ins from this address.")
            if reader is None:
                response = _error(401, "Access Unauthorized")
                response["WWW-Authenticate"] = 'Basic realm="Sift"'
                return response
            if request.method not in methods:
                return _error(405, f"Method not allowed: use {' or '.join(methods)}.")
            try:
                return view(request, reader, *args, **kwargs)
            except Problem as exc:
                return _error(exc.status, str(exc))

        return wrapper

    return decorate


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "The body must be JSON.") from None
    if not isinstance(data, dict):
        raise Problem(400, "The body must be a JSON object.")
    return data


def _int_param(request: HttpRequest, name: str, default: int | None = None) -> int | None:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        return params.whole_number(raw, name)
    except params.ParamError as exc:
        raise Problem(400, f"{exc}.") from None


def _iso(moment: Any) -> str:
    return str(moment.isoformat())


# --- answers ---------------------------------------------------------------------------------
def _category(folder: Folder | None, reader: Any) -> dict[str, Any]:
    if folder is None:
        return {"id": ALL_CATEGORY, "title": "All", "user_id": reader.pk, "hide_globally": False}
    return {"id": folder.pk, "title": folder.name, "user_id": reader.pk, "hide_globally": False}


def _top_category(reader: Any) -> dict[str, Any]:
    return {"id": TOP_CATEGORY, "title": "Sift", "user_id": reader.pk, "hide_globally": False}


def _feed(sub: Subscription, reader: Any) -> dict[str, Any]:
    feed = sub.feed
    return {
        "id": sub.feed_id,
        "user_id": reader.pk,
        "feed_url": feed.url,
        "site_url": feed.url,
        "title": sub.shown_title,
        "checked_at": _iso(feed.last_fetched_at) if feed.last_fetched_at else None,
        "parsing_error_count": 1 if feed.last_error else 0,
        "parsing_error_message": "",
        "disabled": False,
        "category": _category(sub.folder, reader),
        "icon": None,
    }


def _top_feed(request: HttpRequest, reader: Any) -> dict[str, Any]:
    return {
        "id": it.TOP_FEED_ID,
        "user_id": reader.pk,
        "feed_url": request.build_absolute_uri(f"/v1/feeds/{it.TOP_FEED_ID}"),
        "site_url": request.build_absolute_uri("/"),
        "title": it.TOP_TITLE,
        "checked_at": None,
        "parsing_error_count": 0,
        "parsing_error_message": "",
        "disabled": False,
        "category": _top_category(reader),
        "icon": None,
    }


def _entry(item: it.Item, reader: Any, feeds: dict[int, dict[str, Any]]) -> dict[str, Any]:
    article = item.article
    return {
        "id": item.id,
        "user_id": reader.pk,
        "feed_id": item.feed_id,
        "status": "read" if item.reading.is_read else "unread",
        "hash": f"{article.pk:x}",
        "title": item.title,
        "url": article.url,
        "comments_url": "",
        "published_at": _iso(item.date),
        "created_at": _iso(article.created_at),
        "changed_at": _iso(article.created_at),
        "content": article.content or article.summary,
        "author": article.author,
        "share_code": "",
        "starred": item.is_starred,
        "reading_time": 0,
        "enclosures": [],
        "tags": [it.TOP_LABEL] if item.is_top else [],
        "feed": feeds.get(item.feed_id),
        "score": None if item.score is None else round(item.score, 2),
        "explanation": item.reading.score_reasoning,
    }


def _feeds_by_id(request: HttpRequest, reader: Any) -> dict[int, dict[str, Any]]:
    subs = Subscription.objects.filter(reader=reader).select_related("feed", "folder")
    feeds = {s.feed_id: _feed(s, reader) for s in subs}
    feeds[it.TOP_FEED_ID] = _top_feed(request, reader)
    return feeds


# --- routes ----------------------------------------------------------------------------------
@api()
def me(request: HttpRequest, reader: Any) -> HttpResponse:
    return JsonResponse(
        {
            "id": reader.pk,
            "username": reader.get_username(),
            "is_admin": bool(reader.is_staff),
            "theme": "system_serif",
            "language": "en_US",
            "timezone": "UTC",
            "entry_sorting_direction": "desc",
            "entries_per_page": 100,
            "last_login_at": _iso(reader.last_login) if reader.last_login else None,
        }
    )


@api()
def categories(request: HttpRequest, reader: Any) -> HttpResponse:
    folders = [_category(f, reader) for f in Folder.objects.filter(reader=reader).order_by("name")]
    return JsonResponse([_category(None, reader), *folders, _top_category(reader)], safe=False)


@api()
def feeds(request: HttpRequest, reader: Any) -> HttpResponse:
    subs = Subscription.objects.filter(reader=reader).select_related("feed", "folder")
    out = [_feed(s, reader) for s in subs.order_by("display_order", "id")]
    return JsonResponse([*out, _top_feed(request, reader)], safe=False)


@api()
def feed(request: HttpRequest, reader: Any, feed_id: int) -> HttpResponse:
    if feed_id == it.TOP_FEED_ID:
        return JsonResponse(_top_feed(request, reader))
    sub = (
        Subscription.objects.filter(reader=reader, feed_id=feed_id)
        .select_related("feed", "folder")
        .first()
    )
    if sub is None:
        raise Problem(404, "Feed not found")
    return JsonResponse(_feed(sub, reader))


@api()
def feed_counters(request: HttpRequest, reader: Any) -> HttpResponse:
    rows = (
        it.in_apps(reader)
        .values("feed_id")
        .annotate(
            read=Count("id", filter=Q(is_read=True)), unread=Count("id", filter=Q(is_read=False))
        )
        .order_by()
    )
    reads = {str(r["feed_id"]): r["read"] for r in rows if r["read"]}
    unreads = {str(r["feed_id"]): r["unread"] for r in rows if r["unread"]}
    return JsonResponse({"reads": reads, "unreads": unreads})


def _entries_of(
    request: HttpRequest, reader: Any, readings: ReadingQuerySet, *, as_top: bool
) -> HttpResponse:
    statuses = request.GET.getlist("status")
    if any(s not in ("read", "unread", "removed") for s in statuses):
        raise Problem(400, "status: must be read, unread or removed.")
    if statuses and "removed" not in statuses and len(set(statuses)) == 1:
        readings = readings.filter(is_read=statuses[0] == "read")
    elif statuses == ["removed"]:
        readings = readings.none()
    starred = request.GET.get("starred", "")
    if starred in ("1", "true"):
        readings = readings.filter(is_starred=True)
    if category := _int_param(request, "category_id"):
        if category == TOP_CATEGORY:
            readings, as_top = it.top_picks(readings, it.ItemMaker(reader).profile), True
        elif category == ALL_CATEGORY:
            unfiled = Subscription.objects.filter(reader=reader, folder__isnull=True)
            readings = readings.filter(feed_id__in=unfiled.values("feed_id"))
        else:
            filed = Subscription.objects.filter(reader=reader, folder_id=category)
            readings = readings.filter(feed_id__in=filed.values("feed_id"))
    if feed_id := _int_param(request, "feed_id"):
        readings = readings.filter(feed_id=feed_id)
    if after_id := _int_param(request, "after_entry_id"):
        readings = readings.filter(article_id__gt=it.article_id_of(after_id))
    if before_id := _int_param(request, "before_entry_id"):
        readings = readings.filter(article_id__lt=it.article_id_of(before_id))
    if search := request.GET.get("search", "").strip():
        readings = articles_search(readings, search, field="article_id")
    order = request.GET.get("order", "published_at")
    direction = request.GET.get("direction", "desc")
    if order not in ORDERS:
        raise Problem(400, f"order: must be one of {', '.join(sorted(ORDERS))}.")
    if direction not in ("asc", "desc"):
        raise Problem(400, "direction: must be asc or desc.")
    # Top picks is a ranking: best first, even when a client asks for its usual date order
    # (newsboat always does).
    if order == "score" or (as_top and order != "id"):
        readings = it.by_score(readings)
    elif order in ("id", "published_at"):
        key = "article_id" if order == "id" else "item_date"
        readings = readings.order_by(f"-{key}" if direction == "desc" else key, "article_id")
    else:
        readings = it.by_date(readings, oldest_first=direction == "asc")
    total = readings.count()
    limit = _int_param(request, "limit", 100) or 100
    offset = _int_param(request, "offset", 0) or 0
    rows = list(readings[offset : offset + min(limit, 1000)])
    maker = it.ItemMaker(reader)
    feeds_by_id = _feeds_by_id(request, reader)
    entries = [_entry(i, reader, feeds_by_id) for i in maker.items(rows, as_top=as_top)]
    return JsonResponse({"total": total, "entries": entries})


@api(("GET", "PUT"))
def entries(request: HttpRequest, reader: Any) -> HttpResponse:
    if request.method == "PUT":
        data = _body(request)
        ids, status = data.get("entry_ids"), data.get("status")
        if (
            not isinstance(ids, list)
            or not ids
            or len(ids) > MAX_MARKED
            or not all(type(i) is int and 0 < i <= params.MAX_ID for i in ids)
        ):
            raise Problem(400, f"entry_ids: a list of 1 to {MAX_MARKED} entry ids is needed.")
        if status not in ("read", "unread"):
            raise Problem(400, "status: must be read or unread.")
        it.items_mark_read(reader, ids, is_read=status == "read")
        return HttpResponse(status=204)
    return _entries_of(request, reader, it.in_apps(reader), as_top=False)


@api()
def feed_entries(request: HttpRequest, reader: Any, feed_id: int) -> HttpResponse:
    if feed_id == it.TOP_FEED_ID:
        maker = it.ItemMaker(reader)
        return _entries_of(
            request, reader, it.top_picks(it.in_apps(reader), maker.profile), as_top=True
        )
    if not Subscription.objects.filter(reader=reader, feed_id=feed_id).exists():
        raise Problem(404, "Feed not found")
    return _entries_of(request, reader, it.in_apps(reader).filter(feed_id=feed_id), as_top=False)


@api(("PUT",))
def feed_mark_all_read(request: HttpRequest, reader: Any, feed_id: int) -> HttpResponse:
    readings = it.in_apps(reader)
    if feed_id == it.TOP_FEED_ID:
        readings = it.top_picks(readings, it.ItemMaker(reader).profile)
    elif Subscription.objects.filter(reader=reader, feed_id=feed_id).exists():
        readings = readings.filter(feed_id=feed_id)
    else:
        raise Problem(404, "Feed not found")
    it.readings_mark_read_until(readings, None)
    return HttpResponse(status=204)


def _one_item(reader: Any, entry_id: int) -> it.Item:
    items = it.ItemMaker(reader).by_ids(reader, [entry_id])
    if not items:
        raise Problem(404, "Entry not found")
    return items[0]


@api()
def entry(request: HttpRequest, reader: Any, entry_id: int) -> HttpResponse:
    item = _one_item(reader, entry_id)
    return JsonResponse(_entry(item, reader, _feeds_by_id(request, reader)))


@api()
def feed_entry(request: HttpRequest, reader: Any, feed_id: int, entry_id: int) -> HttpResponse:
    item = _one_item(reader, entry_id)
    if item.feed_id != feed_id:
        raise Problem(404, "Entry not found")
    return JsonResponse(_entry(item, reader, _feeds_by_id(request, reader)))


@api(("PUT", "POST"))
def bookmark(request: HttpRequest, reader: Any, entry_id: int) -> HttpResponse:
    """Miniflux toggles the star."""
    item = _one_item(reader, entry_id)
    it.items_star(reader, [entry_id], is_starred=not item.reading.is_starred)
    return HttpResponse(status=204)


@api()
def version(request: HttpRequest, reader: Any) -> HttpResponse:
    return JsonResponse(
        {
            "version": "2.2.0",
            "commit": "sift",
            "build_date": "",
            "go_version": "",
            "compiler": "",
            "arch": "",
            "os": "",
        }
    )


@api(("GET", "POST", "PUT", "PATCH", "DELETE"))
def not_found(request: HttpRequest, reader: Any, rest: str = "") -> HttpResponse:
    """A route Sift's Miniflux API does not have (or an id no row can have), for a signed-in
    caller: Miniflux's JSON error, not Django's page."""
    return _error(404, "Not found: Sift's Miniflux API has no such route or resource.")
