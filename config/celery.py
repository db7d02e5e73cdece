"""The Celery app. Queues, routes and the beat schedule are `CELERY_*` settings; queue names
live in `common.queues.CeleryQueue`; every task is sent through `common.tasks.send_on_commit`."""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

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
