"""The Celery app. Queue names live in `CeleryQueue`; everything else reads `CELERY_*` settings."""

from __future__ import annotations

import os
from enum import StrEnum

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class CeleryQueue(StrEnum):
    """Every queue Sift uses. Workers list them in this order: re-score work first."""

    RESCORE = "rescore"
    SCORE = "score"
    FEEDS = "feeds"
    OLLAMA = "ollama"

    @classmethod
    def all_names(cls) -> str:
        return ",".join(q.value for q in cls)


app = Celery("sift")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(q.value, routing_key=q.value) for q in CeleryQueue]
app.conf.task_routes = {
    "articles.tasks.*": {"queue": CeleryQueue.FEEDS.value},
    "llmconfig.tasks.*": {"queue": CeleryQueue.OLLAMA.value},
}
app.autodiscover_tasks()
