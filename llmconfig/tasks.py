from __future__ import annotations

from celery import shared_task

PULL_TIME_LIMIT = 6 * 3600


@shared_task(
    ignore_result=True,
    acks_late=False,
    time_limit=PULL_TIME_LIMIT,
    soft_time_limit=PULL_TIME_LIMIT - 30,
)
def pull_model(download_id: int) -> str:
    """Run a model pull to its end. A pull may take hours, far past the scoring limits, so it
    is acknowledged on receipt (a redelivery after the visibility timeout must not start a
    second pull; the row's status makes a repeat a no-op anyway)."""
    from llmconfig import ollama_server

    return ollama_server.download_run(download_id=download_id)
