from __future__ import annotations

from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Scoring sits above ingestion: articles announce what they stored, scoring queues
        it (and nudges the workers). The sweep adopts anything a lost signal missed."""
        from articles.signals import articles_stored
        from scoring import receivers

        articles_stored.connect(receivers.queue_stored_articles, dispatch_uid="scoring-queue")
