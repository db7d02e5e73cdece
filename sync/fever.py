"""The Fever API, at Miniflux's `/fever/` and FreshRSS's `/api/fever.php`: what Fever
clients read (groups, feeds, favicons, items, unread and saved ids) and mark (an item, a
feed or a group, up to `before`). Fever cannot add or edit feeds.

`api_key` is md5("username:app password"), taken from the POST body or the query string;
a key that signs no one in gets 200 `{"api_version": 3, "auth": 0}`, as in Fever. Folders
are groups; Top picks is a group holding one feed of the same name, whose items are the
top picks' copies (`sync.items`), so a Fever client lists them too. Items come 50 a page,
by id: upward from `since_id`, downward from `max_id`, or those of `with_ids`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.app_access import user_by_fever_key
from accounts.auth import Verdict, sign_in_check
from articles.models import Feed, Folder, Subscription
from sync import items as it
from sync import params

API_VERSION = 3
PAGE = 50
TOP_GROUP = it.TOP_ID_OFFSET
# One icon for every feed: Fever clients want one, and Sift fetches none.
FAVICON = "image/gif;base64,R0lGODlhAQABAIAAAObm5gAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


class BadRequest(Exception):
    pass


def _param(request: HttpRequest, name: str) -> str | None:
    if name in request.POST:
        return str(request.POST[name])
    return request.GET.get(name)


def _int(request: HttpRequest, name: str) -> int | None:
    raw = _param(request, name)
    if raw in (None, ""):
        return None
    return params.whole_number(str(raw), name)


def _ids(raw: str, name: str) -> list[int]:
    return params.numbers(raw, name)[:PAGE]


def _unix(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


class Fever:
    """One reader's answers."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.maker = it.ItemMaker(reader)
        self.all = it.in_apps(reader)
        self.top = it.top_picks(self.all, self.maker.profile)

    def last_refreshed(self) -> int:
        feeds = Feed.objects.filter(subscriptions__reader=self.reader)
        return _unix(feeds.aggregate(last=Max("last_fetched_at"))["last"])

    def feeds_groups(self) -> list[dict[str, Any]]:
        groups: dict[int, list[str]] = {}
        for sub in Subscription.objects.filter(reader=self.reader, folder__isnull=False):
            groups.setdefault(sub.folder_id or 0, []).append(str(sub.feed_id))
        out = [{"group_id": gid, "feed_ids": ",".join(ids)} for gid, ids in groups.items()]
        out.append({"group_id": TOP_GROUP, "feed_ids": str(it.TOP_FEED_ID)})
        return out

    def groups(self) -> list[dict[str, Any]]:
        folders = Folder.objects.filter(reader=self.reader).order_by("name")
        return [{"id": f.pk, "title": f.name} for f in folders] + [
            {"id": TOP_GROUP, "title": it.TOP_TITLE}
        ]

    def feeds(self, request: HttpRequest) -> list[dict[str, Any]]:
        subs = Subscription.objects.filter(reader=self.reader).select_related("feed")
        out = [
            {
                "id": s.feed_id,
                "favicon_id": 1,
                "title": s.shown_title,
                "url": s.feed.url,
                "site_url": s.feed.url,
                "is_spark": 0,
                "last_updated_on_time": _unix(s.feed.last_fetched_at),
            }
            for s in subs.order_by("display_order", "id")
        ]
        top = {"id": it.TOP_FEED_ID, "favicon_id": 1, "title": it.TOP_TITLE, "is_spark": 0}
        site = request.build_absolute_uri("/")
        return [*out, {**top, "url": site, "site_url": site, "last_updated_on_time": 0}]

    def item_json(self, item: it.Item) -> dict[str, Any]:
        return {
            "id": item.id,
            "feed_id": item.feed_id,
            "title": item.title,
            "author": item.article.author,
            "html": item.article.content or item.article.summary,
            "url": item.article.url,
            "is_saved": int(item.is_starred),
            "is_read": int(item.reading.is_read),
            "created_on_time": _unix(item.date),
        }

    def items(self, request: HttpRequest) -> tuple[list[dict[str, Any]], int]:
        """A page by id; the top picks' copies (ids above every article's) come last."""
        if with_ids := _param(request, "with_ids"):
            asked = self.maker.by_ids(self.reader, _ids(with_ids, "with_ids"))
            return [self.item_json(i) for i in asked], self.total()
        since, below = _int(request, "since_id"), _int(request, "max_id")
        if below is not None:  # downward: copies first
            copies = self.top.filter(article_id__lt=below - it.TOP_ID_OFFSET).order_by(
                "-article_id"
            )
            found = self.maker.items(copies[:PAGE], as_top=True)
            rest = self.all.filter(article_id__lt=min(below, it.TOP_ID_OFFSET)).order_by(
                "-article_id"
            )
            found += self.maker.items(rest[: PAGE - len(found)])
        else:
            since = since or 0
            rest = self.all.filter(article_id__gt=since).order_by("article_id")
            found = self.maker.items(rest[:PAGE])
            if len(found) < PAGE:
                copies = self.top.filter(article_id__gt=since - it.TOP_ID_OFFSET).order_by(
                    "article_id"
                )
                found += self.maker.items(copies[: PAGE - len(found)], as_top=True)
        return [self.item_json(i) for i in found], self.total()

    def total(self) -> int:
        return self.all.count() + self.top.count()

    def unread_ids(self) -> str:
        real = list(self.all.filter(is_read=False).values_list("article_id", flat=True))
        top = self.top.filter(is_read=False).values_list("article_id", flat=True)
        return ",".join(str(i) for i in real + [t + it.TOP_ID_OFFSET for t in top])

    def saved_ids(self) -> str:
        saved = Q(is_starred=True)
        if self.maker.profile.apps_star_top_picks:
            saved |= Q(rank__score__gte=self.maker.profile.top_picks_min_score)
        starred = self.all.filter(saved)
        return ",".join(str(i) for i in starred.values_list("article_id", flat=True))

    def mark(self, request: HttpRequest) -> dict[str, Any]:
        kind, action = _param(request, "mark"), _param(request, "as")
        target = _int(request, "id")
        if target is None:
            raise BadRequest("id: the item, feed or group to mark is needed")
        if kind == "item":
            if action in ("read", "unread"):
                it.items_mark_read(self.reader, [target], is_read=action == "read")
                return {"unread_item_ids": self.unread_ids()}
            if action in ("saved", "unsaved"):
                it.items_star(self.reader, [target], is_starred=action == "saved")
                return {"saved_item_ids": self.saved_ids()}
            raise BadRequest("as: an item is marked read, unread, saved or unsaved")
        if kind in ("feed", "group"):
            if action != "read":
                raise BadRequest("as: a feed or group is marked read")
            raw_before = _param(request, "before")
            until = params.unix_time(raw_before, "before") if raw_before else None
            it.readings_mark_read_until(self._of(kind, target), until)
            return {"unread_item_ids": self.unread_ids()}
        raise BadRequest("mark: must be item, feed or group")

    def _of(self, kind: str, target: int) -> Any:
        if kind == "feed":
            return self.top if target == it.TOP_FEED_ID else self.all.filter(feed_id=target)
        if target == TOP_GROUP:
            return self.top
        if target == 0:  # group 0: everything
            return self.all
        filed = Subscription.objects.filter(reader=self.reader, folder_id=target)
        return self.all.filter(feed_id__in=filed.values("feed_id"))


def _answer(body: dict[str, Any]) -> JsonResponse:
    return JsonResponse({"api_version": API_VERSION, **body})


@csrf_exempt
def fever(request: HttpRequest) -> HttpResponse:
    try:
        request.POST  # noqa: B018 - parsed here, so too many fields is Fever's error, not Django's page
    except (TooManyFieldsSent, RequestDataTooBig) as exc:
        return JsonResponse({"api_version": API_VERSION, "auth": 0, "error": str(exc)}, status=400)
    address = str(request.META.get("REMOTE_ADDR", ""))
    reader = user_by_fever_key(_param(request, "api_key") or "")
    if sign_in_check(address=address, user=reader) is Verdict.THROTTLED:
        return JsonResponse({"api_version": API_VERSION, "auth": 0}, status=429)
    if reader is None:
        return _answer({"auth": 0})
    api = Fever(reader)
    out: dict[str, Any] = {"auth": 1, "last_refreshed_on_time": api.last_refreshed()}
    try:
        if _param(request, "mark") is not None:
            out.update(api.mark(request))
        if _param(request, "groups") is not None:
            out.update(groups=api.groups(), feeds_groups=api.feeds_groups())
        if _param(request, "feeds") is not None:
            out.update(feeds=api.feeds(request), feeds_groups=api.feeds_groups())
        if _param(request, "favicons") is not None:
            out["favicons"] = [{"id": 1, "data": FAVICON}]
        if _param(request, "items") is not None:
            items, total = api.items(request)
            out.update(items=items, total_items=total)
        if _param(request, "links") is not None:
            out["links"] = []
        if _param(request, "unread_item_ids") is not None:
            out["unread_item_ids"] = api.unread_ids()
        if _param(request, "saved_item_ids") is not None:
            out["saved_item_ids"] = api.saved_ids()
    except (BadRequest, params.ParamError) as exc:
        return JsonResponse({"api_version": API_VERSION, "auth": 1, "error": str(exc)}, status=400)
    return _answer(out)
