from __future__ import annotations

from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Scoring sits above ingestion: articles announce what they stored, scoring queues
        it (and nudges the workers). The sweep adopts anything a lost signal missed."""
        from articles.signals import (
            article_extracted,
            category_weight_changed,
            reading_marked,
            readings_stored,
        )
        from scoring import receivers

        readings_stored.connect(receivers.queue_stored_readings, dispatch_uid="scoring-queue")
        reading_marked.connect(receivers.learn_from_marks, dispatch_uid="scoring-taste")
        article_extracted.connect(receivers.nudge_extracted, dispatch_uid="scoring-extracted")
        category_weight_changed.connect(
            receivers.rescore_unblocked, dispatch_uid="scoring-unblocked"
        )
