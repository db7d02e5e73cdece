from __future__ import annotations

from celery import shared_task

from llmconfig import ollama_server


@shared_task(ignore_result=True, acks_late=False, time_limit=None, soft_time_limit=None)
def pull_model(download_id: int) -> str:
    """Run a model pull to its end. Acked at once and never time-limited: a pull may take an
    hour, and a redelivery after the visibility timeout must not start a second one (the
    row's status makes a repeat a no-op anyway)."""
    return ollama_server.download_run(download_id=download_id)
