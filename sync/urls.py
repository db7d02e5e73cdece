"""The reader apps' routes, each at the paths apps are told to enter: the Google Reader API
at the root and under FreshRSS's `/api/greader.php`, Miniflux's under `/v1/`, Fever at
Miniflux's `/fever/` and FreshRSS's `/api/fever.php`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from sync import greader as g

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

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/greader.php/", include(GREADER)),
    *GREADER,
]
