"""The beat sweep: recovers dead workers' claims and lost messages, and probes a pause."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from articles.fulltext import extractions_sweep
from articles.models import Reading
from scoring.services.queue import State, nudge
from scoring.services.status import readiness_get, waiting_readers
from scoring.services.writes import copies_inherit


def queue_sweep() -> dict[str, int]:
    """Run by beat every SCORING_SWEEP_SECONDS. Idempotent: a missed or doubled run is harmless.

    1. Claims older than SCORING_CLAIM_TIMEOUT belong to dead workers: back to queued.
    2. Unscored readings (e.g. written by hand) join the queue; unscored copies of a story
       the reader has scored take its verdict.
    3. If queued work some reader may have now exists but nothing was claimed for a sweep
       interval, the messages were lost (broker flushed, failed send) or scoring is paused:
       send enough to fill the slots, or a single probe while paused. Readings that wait
       (no interests, or the reader's budget spent) send nothing.
    4. Full-text pages whose message was lost are asked again (`extractions_sweep`).
    """
    reclaimed = Reading.objects.stale_claims().update(scoring_state=State.QUEUED, claim_token="")
    adopted = (
        Reading.objects.leads()
        .filter(scoring_state=State.UNSCORED)
        .update(scoring_state=State.QUEUED, queued_at=timezone.now())
    )
    # Copies whose lead was scored while they were being linked (the locks make it rare).
    copies_inherit(readings=Reading.objects.filter(is_copy=True, scoring_state=State.UNSCORED))
    queued = (
        Reading.objects.queued()
        .exclude(reader_id__in=waiting_readers())
        .aggregate(total=Count("id"), high=Count("id", filter=Q(scoring_priority__gt=0)))
    )
    sent = 0
    if queued["total"]:
        last_claim = Reading.objects.aggregate(last=Max("claimed_at"))["last"]
        idle_for = (timezone.now() - last_claim).total_seconds() if last_claim else float("inf")
        in_flight = Reading.objects.filter(scoring_state=State.SCORING).count()
        if idle_for >= settings.SCORING_SWEEP_SECONDS or reclaimed or adopted:
            if readiness_get()["ready"]:
                sent = max(0, settings.LLM_MAX_IN_FLIGHT - in_flight)
            else:
                sent = 1 if in_flight == 0 else 0
            if sent:
                nudge(count=sent, high=bool(queued["high"]))
    return {
        "reclaimed": reclaimed, "adopted": adopted, "queued": queued["total"], "sent": sent,
        **extractions_sweep(),
    }  # fmt: skip
