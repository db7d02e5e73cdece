"""The reader apps' routes, each at the paths apps are told to enter: the Google Reader API
at the root and under FreshRSS's `/api/greader.php`, Miniflux's under `/v1/`, Fever at
Miniflux's `/fever/` and FreshRSS's `/api/fever.php`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, register_converter

from sync import fever, ranked_feed
from sync import greader as g
from sync import miniflux as m
from sync.params import MAX_ID


class IdConverter:
    """An id as the database holds it: Django's `int` takes any run of digits, and one of
    10^30 reached the database as a 500."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(value)  # no match: the route answers not found
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

GREADER_API = [
    path("token", g.token),
    path("user-info", g.user_info),
    path("tag/list", g.tag_list),
    path("subscription/list", g.subscription_list),
    path("subscription/edit", g.subscription_edit),
    path("subscription/quickadd", g.quickadd),
    path("unread-count", g.unread_count),
    path("stream/contents", g.stream_contents),
    path("stream/contents/<path:stream>", g.stream_contents),
    path("stream/items/ids", g.stream_item_ids),
    path("stream/items/contents", g.stream_items_contents),
    path("edit-tag", g.edit_tag),
    path("mark-all-as-read", g.mark_all_as_read),
    path("rename-tag", g.rename_tag),
    path("disable-tag", g.disable_tag),
    path("<path:rest>", g.unknown),
]

GREADER: list[URLPattern | URLResolver] = [
    path("accounts/ClientLogin", g.client_login),
    path("reader/api/0/", include(GREADER_API)),
    path("reader/atom/<path:stream>", g.atom_stream),
]

MINIFLUX = [
    path("me", m.me),
    path("version", m.version),
    path("categories", m.categories),
    path("feeds", m.feeds),
    path("feeds/counters", m.feed_counters),
    path("feeds/<id:feed_id>", m.feed),
    path("feeds/<id:feed_id>/entries", m.feed_entries),
    path("feeds/<id:feed_id>/entries/<id:entry_id>", m.feed_entry),
    path("feeds/<id:feed_id>/mark-all-as-read", m.feed_mark_all_read),
    path("entries", m.entries),
    path("entries/<id:entry_id>", m.entry),
    path("entries/<id:entry_id>/bookmark", m.bookmark),
    path("<path:rest>", m.not_found),
]

urlpatterns: list[URLPattern | URLResolver] = [
    # A server address entered with a trailing slash: newsboat then asks for
    # `//accounts/ClientLogin` and `//v1/feeds`.
    path("/", include(GREADER)),
    path("/v1/", include(MINIFLUX)),
    path("v1/", include(MINIFLUX)),
    path("fever/", fever.fever),
    # Without the slash too: Django's redirect to it loses a POST's body (the Fever key),
    # and under DEBUG it is an error page.
    path("fever", fever.fever),
    path("api/fever.php", fever.fever),
    path("feeds/ranked/<str:key>", ranked_feed.ranked_feed, name="ranked-feed"),
    path("api/greader.php/", include(GREADER)),
    # Apps that join a base URL ending in a slash with a path starting with one (Liferea,
    # NetNewsWire, Fluent Reader): `/api/greader.php//accounts/ClientLogin`.
    path("api/greader.php//", include(GREADER)),
    *GREADER,
]
