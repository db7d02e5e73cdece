"""The scoring pipeline. The database is the queue; Celery messages only say "there is work".

How an article moves: unscored → queued → scoring → scored | failed.

1. `articles_enqueue` / `articles_rescore` change rows, then `nudge` the workers after commit.
2. A `score_next` task claims the best queued row (re-scores first, then oldest) with a
   conditional update, so any message, on any queue, serves the most urgent article. That is
   what keeps re-scores ahead of a normal backlog on every broker, server-less ones included.
3. The claim carries a token; the result is written only while the token still holds, so a
   worker that was presumed dead can never apply a score twice.
4. When the LLM is unreachable or the model is missing, the row goes back to `queued`
   untouched and scoring pauses; the beat `sweep` probes and resumes it, and also recovers
   claims of dead workers and messages lost by the broker.

One module a concept: `queue` (enqueue, re-score, cost), `claims` (claim and release),
`context` (what a task scores against), `single` (one article's LLM steps), `batch` (several
articles a call, and what a reply that leaves one out does), `writes` (outcomes written under a
claim), `stories` (copies found by embedding), `loop` (one task's work), `status` (readiness
and counts), `sweep` (the beat's recovery), `preferences` (reader changes that re-score).
This package re-exports what the rest of Sift calls.
"""

from __future__ import annotations

from scoring.services.batch import article_score, articles_score
from scoring.services.claims import (
    Claim,
    article_claim,
    articles_claim,
    claimant,
    claims_release,
    claims_release_dead,
)
from scoring.services.context import ScoringContext
from scoring.services.loop import score_next_articles
from scoring.services.preferences import (
    WeightSuggestion,
    model_config_change,
    preferences_update,
    unblocked_rescore,
    weight_suggestions,
)
from scoring.services.queue import (
    Mode,
    RescoreCost,
    State,
    articles_enqueue,
    articles_rescore,
    nudge,
    rescore_cost,
    rescore_recent,
    rescore_recent_ids,
    skipped_cost,
    skipped_ids,
)
from scoring.services.status import (
    ScoringStatus,
    readiness_get,
    readiness_set,
    scoring_status,
    step_set,
)
from scoring.services.sweep import queue_sweep
from scoring.services.writes import Outcome, copies_inherit

__all__ = [
    "Claim",
    "Mode",
    "Outcome",
    "RescoreCost",
    "ScoringContext",
    "ScoringStatus",
    "State",
    "WeightSuggestion",
    "article_claim",
    "article_score",
    "articles_claim",
    "articles_enqueue",
    "articles_rescore",
    "articles_score",
    "claimant",
    "claims_release",
    "claims_release_dead",
    "copies_inherit",
    "model_config_change",
    "nudge",
    "preferences_update",
    "queue_sweep",
    "readiness_get",
    "readiness_set",
    "rescore_cost",
    "rescore_recent",
    "rescore_recent_ids",
    "score_next_articles",
    "scoring_status",
    "skipped_cost",
    "skipped_ids",
    "step_set",
    "unblocked_rescore",
    "weight_suggestions",
]
