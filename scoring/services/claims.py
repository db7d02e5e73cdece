"""How a worker takes queued articles (a claim under one token) and gives them back. Every
write under a claim goes through `owned`, so it lands only while the token holds."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
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


def claimant(worker: str) -> str:
    """Who claims: the worker's name, this machine and this pool process. A pool process
    killed outright (kill -9, the OOM killer) runs no code to give its claims back, and they
    count against LLM_MAX_IN_FLIGHT until they go stale (minutes: R14 saw two new pool
    processes idle for 115 s); with the pid in the claim, the process that replaces it
    releases them at once (`claims_release_dead`)."""
    return f"{worker}#{socket.gethostname()}:{os.getpid()}"


def claims_release(*, worker: str) -> int:
    """A worker (re)starting: whatever it had claimed before died with it."""
    return (
        Article.objects.filter(scoring_state=State.SCORING)
        .filter(Q(claimed_by=worker) | Q(claimed_by__startswith=f"{worker}#"))
        .update(scoring_state=State.QUEUED, claim_token="")
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True


def claims_release_dead() -> int:
    """Give back the claims of pool processes on this machine that no longer exist. Returns
    how many articles went back to the queue."""
    marker = f"#{socket.gethostname()}:"
    holders = set(
        Article.objects.filter(scoring_state=State.SCORING, claimed_by__contains=marker)
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = [
        h for h in holders if h.rsplit(":", 1)[1].isdigit() and not _alive(int(h.rsplit(":", 1)[1]))
    ]
    if not dead:
        return 0
    return Article.objects.filter(scoring_state=State.SCORING, claimed_by__in=dead).update(
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
