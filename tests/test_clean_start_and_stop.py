"""One line per event and a quiet stop (G5): what a reader sees in the terminal."""

from __future__ import annotations

import logging
import os
import signal

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
    os.killpg(worker.proc.pid, signal.SIGTERM)
    assert worker.proc.wait(timeout=20) == 0
    log = "\n".join(worker.log)
    assert "Warm shutdown" in log
    assert "exited with 'signal 15" not in log and "ERROR" not in log
