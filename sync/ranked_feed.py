"""A reader's ranked feed: a secret, revocable Atom URL of their articles scored at least
their threshold, best first, for any feed reader or tool (Newscope ships the same). The key
in the URL is the only credential (feed readers send no other), so it is long and random,
kept as a digest (`accounts.RankedFeed`), and replaced to revoke."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import escape

from accounts.app_access import ranked_feed_of_key
from common.xml import XMLSafeAtom1Feed
from sync import items as it

MAX_ITEMS = 200


def ranked_feed(request: HttpRequest, key: str) -> HttpResponse:
    ranked = ranked_feed_of_key(key)
    if ranked is None:
        raise Http404("No ranked feed has this address (it may have been replaced).")
    try:
        floor = float(request.GET.get("min_score", ranked.min_score))
        count = min(int(request.GET.get("n", 50)), MAX_ITEMS)
    except ValueError:
        return HttpResponse(
            "min_score and n must be numbers.", status=400, content_type="text/plain"
        )
    reader = ranked.user
    readings = it.by_score(it.in_apps(reader).filter(rank__score__gte=floor))
    maker = it.ItemMaker(reader)
    feed = XMLSafeAtom1Feed(
        title=f"Sift · {reader.get_username()}'s top picks (score ≥ {floor:g})",
        link=request.build_absolute_uri("/"),
        description="Articles ranked by Sift, best first.",
        feed_guid=request.build_absolute_uri(request.path),
    )
    for item in maker.items(readings[: max(count, 0)]):
        score = f"<p><strong>Sift score {item.score:.1f}</strong>"
        reason = item.reading.score_reasoning
        note = f"{score}: {escape(reason)}</p>" if reason else f"{score}</p>"
        feed.add_item(
            title=item.title,
            link=item.article.url,
            description=note + (item.article.content or item.article.summary),
            unique_id=f"sift:article:{item.article.pk}",
            pubdate=item.date,
            updateddate=item.date,
            author_name=item.article.author or None,
            categories=[item.feed_title] if item.feed_title else [],
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response
