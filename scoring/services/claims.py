"""How a worker takes queued readings (a claim under one token) and gives them back. Every
write under a claim goes through `owned`, so it lands only while the token holds.

Whose turn it is: a claim takes one reader's readings (one LLM call's worth: a scoring
prompt speaks of one reader's interests), and the reader is the one served longest ago
among those with work they may have now, re-scores first. So one reader's 5,000-article
backfill and another's new article alternate, call for call. A reader may not have work
now: their interests are empty (nothing to score against: no call is spent), or their
daily budget is spent (their readings wait, queued, until the next day)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Profile
from articles.models import Article, Reading
from llmconfig.models import LLMCall
from scoring.services.queue import State

CLAIM_LOCK_KEY = 0x51F7C1A1  # the Postgres advisory lock claims take turns on


@dataclass
class Claim:
    reading_id: int
    token: str
    reader_id: int = 0  # whose reading: one claim holds one reader's


def budget_day_start(now: datetime | None = None) -> datetime:
    """Budgets are per day, UTC: the start of today's."""
    return (now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "reading": quote(Reading._meta.db_table),
        "article": quote(Article._meta.db_table),
        "profile": quote(Profile._meta.db_table),
        "call": quote(LLMCall._meta.db_table),
    }


def _claimable(alias: str, t: dict[str, str]) -> str:
    """A queued reading a claim may take: not one whose article waits for its topics while
    another reader's reading of it is being scored (that claim asks for them, once for
    all), nor one whose article's full text is being fetched, for FULLTEXT_WAIT_SECONDS
    after it was stored (then the feed's text is scored)."""
    return (
        f"{alias}.scoring_state = %s AND NOT EXISTS (SELECT 1 FROM {t['article']} a "  # noqa: S608
        f"WHERE a.id = {alias}.article_id AND ((a.extraction = 'pending' AND a.created_at > %s)"
        " OR (a.categorized_at IS NULL AND EXISTS ("
        f"SELECT 1 FROM {t['reading']} o WHERE o.article_id = a.id AND o.scoring_state = %s))))"
    )


def _claimable_params() -> list[Any]:
    wait_from = timezone.now() - timedelta(seconds=settings.FULLTEXT_WAIT_SECONDS)
    return [State.QUEUED, connection.ops.adapt_datetimefield_value(wait_from), State.SCORING]


def eligible_readers_sql(t: dict[str, str]) -> tuple[str, list[Any]]:
    """Profiles whose readings may be scored now: some interests, budget left today."""
    sql = (
        f"(TRIM(p.interests) <> '' OR TRIM(p.anti_interests) <> '') AND ("  # noqa: S608
        f"p.daily_scoring_budget IS NULL OR (SELECT COUNT(*) FROM {t['call']} c "
        "WHERE c.reader_id = p.user_id AND c.purpose IN ('score', 'verdict') "
        "AND c.created_at >= %s) "
        "< p.daily_scoring_budget)"
    )
    since = connection.ops.adapt_datetimefield_value(budget_day_start())
    return sql, [since]


def article_claim(*, worker: str) -> Claim | None:
    """Take the most urgent queued reading, or None (see `articles_claim`)."""
    claims = articles_claim(worker=worker, limit=1)
    return claims[0] if claims else None


def articles_claim(*, worker: str, limit: int) -> list[Claim]:
    """Take up to `limit` of one reader's most urgent queued readings under one token (one
    LLM call's worth: a batch), or none when no reader has work now or LLM_MAX_IN_FLIGHT
    calls are in flight already. Calls are counted as distinct claim tokens among rows
    being scored, cluster-wide: the limit holds whatever the number of workers, pool
    processes or messages, and whatever the batch size."""
    token = uuid.uuid4().hex
    t = _tables()
    eligible, eligible_params = eligible_readers_sql(t)
    high = (
        f"EXISTS (SELECT 1 FROM {t['reading']} h WHERE h.reader_id = p.user_id "  # noqa: S608
        f"AND h.scoring_priority > 0 AND {_claimable('h', t)})"
    )
    whose = (
        f"SELECT p.user_id FROM {t['profile']} p WHERE {eligible} "  # noqa: S608
        f"AND EXISTS (SELECT 1 FROM {t['reading']} q WHERE q.reader_id = p.user_id "
        f"AND {_claimable('q', t)}) "
        f"ORDER BY {high} DESC, p.served_at ASC NULLS FIRST, p.user_id LIMIT 1"
    )
    whose_params = [*eligible_params, *_claimable_params(), *_claimable_params()]
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    pick = (
        f"SELECT r.id FROM {t['reading']} r WHERE r.reader_id = ({whose}) "  # noqa: S608
        f"AND {_claimable('r', t)} "
        f"ORDER BY r.scoring_priority DESC, r.queued_at, r.id LIMIT %s{lock}"
    )
    pick_params = [*whose_params, *_claimable_params(), limit]
    # PostgreSQL may rescan an `IN (subquery)` per row, and a rescan with SKIP LOCKED finds
    # new rows each time (a LIMIT 1 claimed the whole queue): ARRAY(…) runs it exactly once.
    # SQLite evaluates an uncorrelated IN list once.
    picked = f"= ANY(ARRAY({pick}))" if connection.vendor == "postgresql" else f"IN ({pick})"
    # Only quoted table names and Sift's own SQL are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {t['reading']} SET scoring_state = %s, claimed_at = %s, "  # noqa: S608
        f"claimed_by = %s, claim_token = %s WHERE id {picked} AND scoring_state = %s "
        f"AND (SELECT COUNT(DISTINCT claim_token) FROM {t['reading']} "
        "WHERE scoring_state = %s) < %s RETURNING id, reader_id"
    )
    now = timezone.now()
    params: list[Any] = [
        State.SCORING, connection.ops.adapt_datetimefield_value(now), worker, token,
        *pick_params, State.QUEUED, State.SCORING, settings.LLM_MAX_IN_FLIGHT,
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Claims take turns (a few ms each), so two never both see one free slot, and
            # never both take readings of one article that waits for its topics. SQLite
            # needs nothing: it runs one writer at a time.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if rows:
            Profile.objects.filter(user_id=rows[0][1]).update(served_at=now)
    if not rows:
        return []
    ids, reader_id = [row[0] for row in rows], rows[0][1]
    if len(ids) > 1:
        # RETURNING gives no order: claim order it is, so a batch lists re-scores first.
        ordered = Reading.objects.filter(id__in=ids).in_claim_order().values_list("id", flat=True)
        ids = list(ordered)
    return [Claim(reading_id=pk, token=token, reader_id=reader_id) for pk in ids]


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
        Reading.objects.filter(scoring_state=State.SCORING)
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
    how many readings went back to the queue."""
    marker = f"#{socket.gethostname()}:"
    holders = set(
        Reading.objects.filter(scoring_state=State.SCORING, claimed_by__contains=marker)
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = [
        h for h in holders if h.rsplit(":", 1)[1].isdigit() and not _alive(int(h.rsplit(":", 1)[1]))
    ]
    if not dead:
        return 0
    return Reading.objects.filter(scoring_state=State.SCORING, claimed_by__in=dead).update(
        scoring_state=State.QUEUED, claim_token=""
    )


def owned(claim: Claim) -> QuerySet[Reading]:
    return Reading.objects.filter(
        id=claim.reading_id, scoring_state=State.SCORING, claim_token=claim.token
    )


def claimed_readings(ids: list[int]) -> dict[int, Reading]:
    """Claimed readings with what scoring reads: their article and its topics."""
    rows = (
        Reading.objects.select_related("article")
        .prefetch_related("article__categories")
        .filter(id__in=ids)
    )
    return {reading.id: reading for reading in rows}
