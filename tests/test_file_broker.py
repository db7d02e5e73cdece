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


def test_an_undecodable_message_is_moved_aside_and_the_next_one_delivered(tmp_path, caplog):
    """An empty file killed the worker ("Unrecoverable error: JSONDecodeError") on every
    restart; now it is set aside with one log line and the queue goes on."""
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    (folder / "1_a.q.msg").write_bytes(b"")
    (folder / "2_b.q.msg").write_bytes(b"\xff\xfe not json")
    (folder / "3_c.q.msg").write_bytes(b"[1, 2]")
    with Connection("filesystem://", transport=broker.Transport, transport_options=options) as c:
        channel = c.default_channel
        channel._put("q", {"body": "ok", "properties": {}, "headers": {}})
        with caplog.at_level("ERROR", logger="common.broker"):
            assert channel._get("q")["body"] == "ok"
        with pytest.raises(filesystem.Empty):
            channel._get("q")
    aside = sorted(p.name for p in (tmp_path / "corrupt").iterdir())
    assert aside == ["1_a.q.msg", "2_b.q.msg", "3_c.q.msg"]
    assert [r.getMessage().split(" cannot")[0] for r in caplog.records] == [
        "broker: message 1_a.q.msg", "broker: message 2_b.q.msg", "broker: message 3_c.q.msg",
    ]  # fmt: skip
    assert list(folder.iterdir()) == []
