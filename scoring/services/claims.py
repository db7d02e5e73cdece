"""How a worker takes queued articles (a claim under one token) and gives them back. Every
write under a claim goes through `owned`, so it lands only while the token holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from articles.models import Article
from scoring.services.queue import State

CLAIM_LOCK_KEY = 0x51F7C1A1  # the Postgres advisory lock claims take turns on


@dataclass
class Claim:
    article_id: int
    token: str


def article_claim(*, worker: str) -> Claim | None:
    """Take the most urgent queued article, or None (see `articles_claim`)."""
    claims = articles_claim(worker=worker, limit=1)
    return claims[0] if claims else None


def articles_claim(*, worker: str, limit: int) -> list[Claim]:
    """Take up to `limit` of the most urgent queued articles under one token (one LLM call's
    worth: a batch), or none when the queue is empty or LLM_MAX_IN_FLIGHT calls are in
    flight already. Calls are counted as distinct claim tokens among rows being scored,
    cluster-wide: the limit holds whatever the number of workers, pool processes or
    messages, and whatever the batch size."""
    token = uuid.uuid4().hex
    # One statement: UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) AND
    # (calls in flight) < limit RETURNING id.
    pick = Article.objects.queued().in_claim_order().values("id")[:limit]
    if connection.features.has_select_for_update_skip_locked:
        pick = pick.select_for_update(skip_locked=True)
    with transaction.atomic():  # Django compiles FOR UPDATE only inside a transaction
        pick_sql, pick_params = pick.query.sql_with_params()
    table = connection.ops.quote_name(Article._meta.db_table)
    # Only the quoted table name and Django's compiled subquery are formatted in; every value
    # is a parameter.
    # PostgreSQL may rescan an `IN (subquery)` per row, and a rescan with SKIP LOCKED finds
    # new rows each time (a LIMIT 1 claimed the whole queue): ARRAY(…) runs it exactly once.
    # SQLite evaluates an uncorrelated IN list once.
    picked = (
        f"= ANY(ARRAY({pick_sql}))" if connection.vendor == "postgresql" else f"IN ({pick_sql})"
    )
    sql = (
        f"UPDATE {table} SET scoring_state = %s, claimed_at = %s, claimed_by = %s, "  # noqa: S608
        f"claim_token = %s WHERE id {picked} AND scoring_state = %s "
        f"AND (SELECT COUNT(DISTINCT claim_token) FROM {table} WHERE scoring_state = %s) < %s "
        "RETURNING id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [
        State.SCORING, now, worker, token, *pick_params, State.QUEUED, State.SCORING,
        settings.LLM_MAX_IN_FLIGHT,
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Claims take turns (a few ms each), so two never both see one free slot. SQLite
            # needs nothing: it runs one writer at a time.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])
        cursor.execute(sql, params)
        ids = {row[0] for row in cursor.fetchall()}
    if len(ids) < 2:
        return [Claim(article_id=pk, token=token) for pk in ids]
    # RETURNING gives no order: claim order it is, so a batch lists re-scores first.
    ordered = Article.objects.filter(id__in=ids).in_claim_order().values_list("id", flat=True)
    return [Claim(article_id=pk, token=token) for pk in ordered]


def claims_release(*, worker: str) -> int:
    """A worker (re)starting: whatever it had claimed before died with it."""
    return Article.objects.filter(scoring_state=State.SCORING, claimed_by=worker).update(
        scoring_state=State.QUEUED, claim_token=""
    )


def owned(claim: Claim) -> QuerySet[Article]:
    return Article.objects.filter(
        id=claim.article_id, scoring_state=State.SCORING, claim_token=claim.token
    )


def claimed_articles(ids: list[int]) -> dict[int, Article]:
    """Claimed articles with what scoring reads: their topics."""
    rows = Article.objects.prefetch_related("categories").filter(id__in=ids)
    return {article.id: article for article in rows}
