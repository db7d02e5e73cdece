"""The server-less broker must never hand a consumer a half-written message."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from kombu import Connection
from kombu.transport import filesystem

from common import broker


def stress(transport: type, tmp_path, messages: int = 400) -> tuple[int, list[Exception]]:
    folder = tmp_path / "q"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "staging_folder": str(tmp_path / "staging"),
        "polling_interval": 0.001,
    }
    payload = {
        "body": "x" * 200_000,
        "properties": {},
        "headers": {},
        "content-type": "application/json",
    }
    errors: list[Exception] = []
    got = 0
    done = threading.Event()

    def produce() -> None:
        with Connection("filesystem://", transport=transport, transport_options=options) as conn:
            channel = conn.default_channel
            for _ in range(messages):
                channel._put("q", payload)
        done.set()

    producer = threading.Thread(target=produce)
    with Connection("filesystem://", transport=transport, transport_options=options) as conn:
        channel = conn.default_channel
        producer.start()
        while got < messages and not (done.is_set() and got >= messages):
            try:
                channel._get("q")
                got += 1
            except filesystem.Empty:
                if done.is_set() and not any(folder.iterdir()):
                    break
            except Exception as exc:  # noqa: BLE001 - any failure to read is what we count
                errors.append(exc)
                if len(errors) > 5:
                    break
    producer.join()
    return got, errors


def test_consumer_never_reads_a_half_written_message(tmp_path):
    got, errors = stress(broker.Transport, tmp_path)
    assert errors == [] and got == 400


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem"), reason="file broker only"
)
def test_the_file_broker_uses_the_atomic_transport():
    from config.celery import app

    with app.connection_for_write() as conn:
        assert isinstance(conn.transport, broker.Transport)


@pytest.mark.django_db
def test_nudge_really_publishes(django_capture_on_commit_callbacks):
    """`nudge` swallows broker errors on purpose (the sweep recovers), so prove a message
    actually lands on the queue of whichever broker this run uses."""
    from config.celery import app
    from scoring.services import nudge
    from tests.live import purge_queues

    purge_queues()
    with django_capture_on_commit_callbacks(execute=True):
        nudge(count=2)
    with app.connection_for_write() as conn:
        assert conn.default_channel._size("score") == 2
    purge_queues()
