"""The scoring pipeline. The database is the queue; Celery messages only say "there is work".

The queue's rows are readings: one reader's article. How a reading moves: unscored →
queued → scoring → scored | failed.

1. `readings_enqueue` / `readings_rescore` change rows, then `nudge` the workers after commit.
2. A `score_next` task claims the best queued rows of one reader (the reader served longest
   ago among those with work they may have now, re-scores first; then oldest) with a
   conditional update, so any message, on any queue, serves the most urgent reading. That
   keeps re-scores ahead of a normal backlog on every broker, server-less ones included,
   and one reader's backlog from holding up another's new articles.
3. An article's topics are asked once for every reader, by the first claim of one of its
   readings; the others wait for them. Scoring is asked once per reader.
4. The claim carries a token; the result is written only while the token still holds, so a
   worker that was presumed dead can never apply a score twice.
5. When the LLM is unreachable or the model is missing, the row goes back to `queued`
   untouched and scoring pauses; the beat `sweep` probes and resumes it, and also recovers
   claims of dead workers and messages lost by the broker.

One module a concept: `queue` (enqueue, re-score, cost), `claims` (claim and release),
`context` (what a task scores against), `single` (one article's LLM steps), `batch` (several
articles a call, and what a reply that leaves one out does), `writes` (outcomes written under a
claim), `stories` (copies found by embedding), `loop` (one task's work), `status` (readiness
and counts), `sweep` (the beat's recovery), `preferences` (changes that re-score).
This package re-exports what the rest of Sift calls.
"""

from __future__ import annotations

from scoring.services.batch import article_score, articles_score
from scoring.services.claims import (
    Claim,
    article_claim,
    articles_claim,
    budget_day_start,
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
    nudge,
    readings_enqueue,
    readings_rescore,
    recent_unread,
    rescore_cost,
    rescore_recent,
    skipped,
    skipped_cost,
)
from scoring.services.status import (
    ScoringStatus,
    reader_wait,
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
    "articles_score",
    "budget_day_start",
    "claimant",
    "claims_release",
    "claims_release_dead",
    "copies_inherit",
    "model_config_change",
    "nudge",
    "preferences_update",
    "queue_sweep",
    "reader_wait",
    "readiness_get",
    "readiness_set",
    "readings_enqueue",
    "readings_rescore",
    "recent_unread",
    "rescore_cost",
    "rescore_recent",
    "score_next_articles",
    "scoring_status",
    "skipped",
    "skipped_cost",
    "step_set",
    "unblocked_rescore",
    "weight_suggestions",
]
