"""One line per event and a quiet stop (G5): what a reader sees in the terminal."""

from __future__ import annotations

import logging
import os
import re
import signal
import time
from pathlib import Path

import pytest

from tests.live import Worker

pytestmark = pytest.mark.django_db


def test_a_client_error_is_not_logged_by_django_a_second_time(api, caplog):
    caplog.set_level(logging.DEBUG)
    assert api.get("/api/nope").status_code == 404
    # uvicorn's access line reports it; Django adds nothing for a 4xx.
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_the_file_broker_url_names_its_host(settings):
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        assert settings.CELERY_BROKER_URL == "filesystem://localhost//"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigterm_to_the_whole_worker_group_is_a_clean_warm_shutdown():
    """What honcho (make run) and container runtimes do on Ctrl-C / stop."""
    worker = Worker(name="quiet", concurrency=2).start()
    assert worker.proc is not None
    # "ready" can be logged before a pool process has run worker_process_init; a SIGTERM in
    # that first moment still kills it. Signal once the kernel says both ignore SIGTERM.
    deadline = time.monotonic() + 15
    while _pool_ignoring_sigterm(worker.proc.pid) < 2:
        assert time.monotonic() < deadline, "pool processes never ignored SIGTERM"
        time.sleep(0.05)
    os.killpg(worker.proc.pid, signal.SIGTERM)
    assert worker.proc.wait(timeout=20) == 0
    log = "\n".join(worker.log)
    assert "Warm shutdown" in log
    assert "exited with 'signal 15" not in log and "ERROR" not in log


def _pool_ignoring_sigterm(pid: int) -> int:
    """How many child processes of `pid` have SIGTERM in their ignored-signal mask."""
    count = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except FileNotFoundError:
                continue
            mask = re.search(r"^SigIgn:\s*([0-9a-f]+)", status, re.M)
            count += bool(mask and int(mask.group(1), 16) & (1 << (signal.SIGTERM - 1)))
    return count
