"""Every Celery queue Sift uses, by name. No dependencies: settings, tasks, services and the
tests import it. The Procfile and docker-compose.yml spell the names out (a test keeps them
in agreement with `CeleryQueue.all_names()`)."""

from __future__ import annotations

from enum import StrEnum


class CeleryQueue(StrEnum):
    """Workers list them in this order: re-score work first."""

    RESCORE = "rescore"
    SCORE = "score"
    FEEDS = "feeds"
    # Article pages (full text): a queue of their own beside the feeds, consumed by the
    # feeds worker in turn with them, so a site's thousand pages never hold a refresh back.
    FULLTEXT = "fulltext"
    OLLAMA = "ollama"

    @classmethod
    def all_names(cls) -> str:
        return ",".join(q.value for q in cls)

    @classmethod
    def feeds_names(cls) -> str:
        """What the feeds worker consumes: feeds and their articles' pages."""
        return ",".join(q.value for q in (cls.FEEDS, cls.FULLTEXT))

    @classmethod
    def scoring_names(cls) -> str:
        """What the scoring worker consumes: everything but feeds and pages, which have a
        worker of their own, so slow or huge feeds can never hold the processes scoring
        needs."""
        return ",".join(q.value for q in cls if q not in (cls.FEEDS, cls.FULLTEXT))
