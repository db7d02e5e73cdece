"""The work of one `score_next` task: claim and score until no reader has work now or the
time budget is spent."""

from __future__ import annotations

import time
from collections import Counter

from django.conf import settings

from articles.models import Reading
from llmconfig.models import UserSettings
from scoring.services.batch import articles_score
from scoring.services.claims import articles_claim
from scoring.services.context import ScoringContext, claim_size
from scoring.services.queue import nudge
from scoring.services.writes import Outcome


def score_next_articles(*, worker: str, budget_seconds: float | None = None) -> Counter[str]:
    """The work of one `score_next` task: claim and score the most urgent article, again and
    again, until the queue is empty or the time budget is spent; then pass the baton on.

    Claiming afresh for every article keeps the order right (a re-score requested meanwhile
    comes next) without a broker round trip per article.
    """
    budget = settings.SCORING_TASK_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    outcomes: Counter[str] = Counter()
    contexts: dict[int, ScoringContext] = {}  # per reader, read when first met
    size = claim_size(UserSettings.load())
    while True:
        claims = articles_claim(worker=worker, limit=size)
        if not claims:
            return outcomes
        reader_id = claims[0].reader_id
        if reader_id not in contexts:
            contexts[reader_id] = ScoringContext.load(reader_id)
        results = articles_score(claims=claims, context=contexts[reader_id])
        outcomes.update(outcome.value for outcome in results)
        if Outcome.PAUSED in results:
            return outcomes  # the sweep probes and resumes
        if time.monotonic() - started >= budget:
            break
    queued = Reading.objects.queued()
    if queued.exists():
        nudge(count=1, high=queued.filter(scoring_priority__gt=0).exists())
    return outcomes
