"""The Celery app. Queues, routes and the beat schedule are `CELERY_*` settings; queue names
live in `common.queues.CeleryQueue`; every task is sent through `common.tasks.send_on_commit`."""

from __future__ import annotations

import gc
import logging
import os
import signal
from typing import Any

from celery import Celery
from celery.signals import (
    beat_init,
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_ready,
)

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


app = Celery("sift")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def leave_shutdown_to_the_main_process(**_: Any) -> None:
    """Process managers (honcho under `make run`, some container runtimes) send SIGTERM to
    the worker's whole process group. A pool process killed that way aborts its task and the
    main process reports it as an error; ignoring it lets the main process run the warm
    shutdown it started. Time limits still stop a pool process: billiard follows its SIGTERM
    with SIGKILL."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@beat_init.connect
def one_beat_per_database(sender: Any, **_: Any) -> None:
    """A second beat on the same database stops at once, saying why (`common.singleton`).
    The lock is kept on the beat service, for as long as it runs. SystemExit passes through
    Celery's signal dispatch, which logs and swallows Exceptions."""
    from common.singleton import AlreadyRunning, beat_lock_take

    try:
        sender.sift_beat_lock = beat_lock_take()
    except AlreadyRunning as exc:
        logger.critical(
            "Another celery beat already runs on this database (%s): two would send every "
            "scheduled task twice. Is Sift (make run) already running? Stop it first.",
            exc,
        )
        raise SystemExit(1) from None


@worker_ready.connect
def freeze_what_start_up_made(**_: Any) -> None:
    """The worker's start-up objects (Django, the LLM clients, every task) are kept for its
    whole life; moved out of the collector's sight, the collection Python runs on exit no
    longer walks them: an idle worker's warm shutdown took 4-8 s, most of it that one
    collection, and honcho (`make run`) SIGKILLs what has not stopped after 5 s."""
    gc.freeze()


@worker_ready.connect
def beat_for_the_watchdog(**_: Any) -> None:
    """A heartbeat file for `tools/respawn --heartbeat` (`common.heartbeat`), when it names one.
    Task start and end are followed in this process, where the thread pool runs them."""
    from common import heartbeat

    if heartbeat.start() is not None:
        task_prerun.connect(heartbeat.on_task_prerun, weak=False)
        task_postrun.connect(heartbeat.on_task_postrun, weak=False)
