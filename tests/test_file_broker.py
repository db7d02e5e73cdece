"""The server-less broker must never hand a consumer a half-written message."""

from __future__ import annotations

import threading
import time

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
        "body": '"' + "x" * 200_000 + '"',  # a JSON string, as its content type says
        "properties": {"delivery_tag": "t", "delivery_info": {}},
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
        channel._put("q", {"body": "ok", "properties": {"delivery_tag": "t", "delivery_info": {}}})
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


# Files that are JSON objects with a `properties` key but are no kombu message: each crashed
# the worker once ("Unrecoverable error") before it read the next file.
NEAR_MESSAGES = [
    {"properties": {}},
    {"properties": {"delivery_tag": "t1"}, "body": 5},
    {"properties": {"delivery_tag": "t2", "body_encoding": "base64"}, "body": "!!not base64!!"},
    {"properties": {"delivery_tag": "t3", "delivery_info": "score"}, "body": "e30="},
    {"properties": {"delivery_tag": "t4", "delivery_info": {}}, "headers": [1], "body": "e30="},
    {"properties": {"delivery_tag": ["t5"], "delivery_info": {}}, "body": "e30="},
    {"properties": {"delivery_tag": "t6", "delivery_info": {}, "body_encoding": "base64"},
     "headers": {"task": "scoring.tasks.score_next", "id": "x"}, "body": "bm90IGpzb24=",
     "content-type": "application/json", "content-encoding": "utf-8"},
]  # fmt: skip


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem"), reason="file broker only"
)
def test_near_messages_are_set_aside_and_the_worker_keeps_running():
    import json
    from pathlib import Path

    from tests.live import Worker, purge_queues, wait_for

    purge_queues()
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    for i, payload in enumerate(NEAR_MESSAGES):
        (folder / f"{i}_near.score.msg").write_text(json.dumps(payload))
    worker = Worker(name="near", concurrency=1, queues="score").start()
    try:
        wait_for(lambda: not list(folder.glob("*_near.score.msg")), timeout=30,
                 message="every near-message taken")  # fmt: skip
        time.sleep(1)
        assert worker.proc is not None and worker.proc.poll() is None, worker.log[-20:]
        log = "\n".join(worker.log)
        assert "Unrecoverable error" not in log and "Traceback" not in log, log[-3000:]
    finally:
        worker.stop()
