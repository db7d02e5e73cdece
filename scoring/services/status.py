"""Whether scoring can run (readiness), which step a worker is in, and the counts the
pages and `/api/scoring/status` show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from accounts.models import Profile
from articles.models import Reading
from common.secrets import redact
from llmconfig.models import LLMCall
from scoring.services.claims import budget_day_start
from scoring.services.queue import State

READINESS_KEY = "sift:scoring:readiness"
# The article a worker is asking the LLM about right now and which call it is in: the seed
# frontend shows "categorizing" / "scoring" on that row.
STEP_KEY = "sift:scoring:step"


def readiness_set(*, ready: bool, reason: str) -> bool:
    """Record whether scoring can run; True when readiness changed. The reason is upstream
    text, masked of every secret before it is shared."""
    reason = redact(reason)
    current = cache.get(READINESS_KEY) or {"ready": True, "reason": ""}
    if current.get("ready") == ready and current.get("reason") == reason:
        return False
    cache.set(
        READINESS_KEY,
        {"ready": ready, "reason": reason, "since": timezone.now().isoformat()},
        timeout=None,
    )
    return current.get("ready") != ready


def step_set(*, article_id: int, phase: str) -> None:
    cache.set(STEP_KEY, {"article_id": article_id, "phase": phase}, settings.SCORING_CLAIM_TIMEOUT)


def readiness_get() -> dict[str, Any]:
    return cache.get(READINESS_KEY) or {"ready": True, "reason": "", "since": None}


STATUS_KEY = "sift:scoring:status:{reader}"


class Wait(TypedDict):
    reason: str  # "" when the reader's articles do not wait
    until: str | None  # ISO time, for a spent budget: when the next day's starts


def reader_wait(profile: Profile) -> Wait:
    """Why this reader's articles wait in the queue however free the LLM is, if they do."""
    if not profile.has_interests:
        return {
            "reason": "Nothing to score against yet: write your interests (Sources page) and "
            "your articles will be ranked.",
            "until": None,
        }
    budget = profile.daily_scoring_budget
    if budget is not None:
        day = budget_day_start()
        used = LLMCall.objects.scoring_for(profile.user_id, day)
        if used >= budget:
            until = day + timedelta(days=1)
            return {
                "reason": f"Today's scoring budget ({budget} calls) is spent; scoring goes on "
                f"at {until:%Y-%m-%d %H:%M} UTC.",
                "until": until.isoformat(),
            }
    return {"reason": "", "until": None}


def waiting_readers() -> list[int]:
    """The readers whose queued articles wait (`reader_wait`): few rows, one per reader."""
    return [p.user_id for p in Profile.objects.all() if reader_wait(p)["reason"]]


class ScoringStatus(TypedDict):
    unscored: int
    queued: int
    scoring: int
    scored: int
    failed: int
    skipped: int
    blocked: int
    rescoring: int
    current_article_id: int | None
    phase: str  # idle | starting | categorizing | scoring (the seed's words)
    paused: bool
    ready: bool
    reason: str
    waiting: str  # why this reader's articles wait however free the LLM is ("" if not)
    waiting_until: str | None


# What a reader who is not the operator is told while the LLM does not answer: the real
# reason names the LLM server's address and what it said, which are the operator's.
READER_REASON = (
    "The LLM is not answering; scoring waits and goes on by itself. The operator sees why "
    "on the Models page."
)


def scoring_status(*, reader_id: int, operator: bool = True) -> ScoringStatus:
    """A reader's counts per state, phase and readiness. Counting 100k rows costs ~10 ms on
    Postgres, so the answer is kept for SCORING_STATUS_CACHE_SECONDS (pages poll it). The
    reason scoring is paused is given in full to the operator only."""
    status = _scoring_status_cached(reader_id)
    if not operator and status["reason"]:
        return {**status, "reason": READER_REASON}
    return status


def _scoring_status_cached(reader_id: int) -> ScoringStatus:
    ttl = settings.SCORING_STATUS_CACHE_SECONDS
    key = STATUS_KEY.format(reader=reader_id)
    cached = cache.get(key) if ttl > 0 else None
    if cached is None:
        cached = _scoring_status(reader_id)
        if ttl > 0:
            cache.set(key, cached, timeout=ttl)
    return cached


def _scoring_status(reader_id: int) -> ScoringStatus:
    """`phase` uses the seed's words: `idle` (nothing in flight), `starting` (work queued, no
    claim yet), `categorizing` / `scoring` (the LLM call `current_article_id` is in). Whether
    scoring is held back by an outage is `paused`, with `ready` and `reason`."""
    # COUNT(*) lets Postgres answer from the `reading_claim_order` index alone.
    theirs = Reading.objects.filter(reader_id=reader_id)
    counts = dict(theirs.values_list("scoring_state").annotate(n=Count("*")).order_by())
    blocked = theirs.blocked().count()
    readiness = readiness_get()
    wait = reader_wait(Profile.objects.get_or_create(user_id=reader_id)[0])
    in_flight = theirs.filter(scoring_state=State.SCORING)
    current: int | None = None
    if counts.get(State.SCORING, 0):
        step = cache.get(STEP_KEY)
        if step and in_flight.filter(article_id=step["article_id"]).exists():
            current, phase = step["article_id"], step["phase"]
        else:
            current = in_flight.order_by("-claimed_at").values_list("article_id", flat=True).first()
            phase = "scoring"
    elif counts.get(State.QUEUED, 0) and readiness["ready"] and not wait["reason"]:
        phase = "starting"
    else:
        phase = "idle"
    return {
        "unscored": counts.get(State.UNSCORED, 0),
        "queued": counts.get(State.QUEUED, 0),
        "scoring": counts.get(State.SCORING, 0),
        "scored": counts.get(State.SCORED, 0),
        "failed": counts.get(State.FAILED, 0),
        "skipped": counts.get(State.SKIPPED, 0),
        "blocked": blocked,
        "rescoring": theirs.filter(
            scoring_priority__gt=0, scoring_state__in=[State.QUEUED, State.SCORING]
        ).count(),
        "current_article_id": current,
        "phase": phase,
        "paused": not readiness["ready"] and bool(counts.get(State.QUEUED, 0)),
        "ready": readiness["ready"],
        "reason": readiness["reason"],
        "waiting": wait["reason"],
        "waiting_until": wait["until"],
    }
