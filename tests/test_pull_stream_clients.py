"""The pull stream read by standard SSE clients: httpx-sse (which sends
`Accept: text/event-stream`, as EventSource does), and plain clients with `*/*` or no Accept."""

from __future__ import annotations

import json

import httpx
import pytest
from httpx_sse import connect_sse

from llmconfig.models import ModelDownload
from tests.live import monotone_while_the_total_holds, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_sse_client_reads_the_pull_to_completion(live_server_asgi, token, worker, fake_ollama):
    with (
        httpx.Client(base_url=live_server_asgi.url, timeout=30) as client,
        connect_sse(
            client,
            "POST",
            "/api/ollama/models/pull",
            json={"model": "qwen3:8b"},
            headers={"Authorization": f"Token {token}"},
        ) as source,
    ):
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(sse.data) for sse in source.iter_sse()]
    assert len(events) >= 3
    assert events[-1]["status"] == "complete" and events[-1]["state"] == "complete"
    assert monotone_while_the_total_holds(events[:-1])
    assert "qwen3:8b" in fake_ollama.installed


def test_sse_client_sees_a_cancellation_as_not_complete(
    live_server_asgi, token, worker, fake_ollama
):
    fake_ollama.pull_interval, fake_ollama.pull_steps = 0.05, 400
    auth = {"Authorization": f"Token {token}"}
    events = []
    with (
        httpx.Client(base_url=live_server_asgi.url, timeout=30) as client,
        connect_sse(
            # A copy: connect_sse writes its Accept header into the dict it is given.
            client,
            "POST",
            "/api/ollama/models/pull",
            json={"model": "qwen3:8b"},
            headers={**auth},
        ) as source,
    ):
        for sse in source.iter_sse():
            events.append(json.loads(sse.data))
            if len(events) == 2:
                assert client.post("/api/ollama/models/pull/cancel", headers=auth).is_success
    last = events[-1]
    # A client that knows only the seed's events: an `error` means it did not finish.
    assert last["status"] == "error" and last["error"] == "cancelled"
    assert last["state"] == "cancelled"
    wait_for(lambda: ModelDownload.objects.get().status == "cancelled", timeout=5)
    assert "qwen3:8b" not in fake_ollama.installed


@pytest.mark.parametrize("accept", ["text/event-stream", "*/*", None, "application/json"])
def test_pull_streams_whatever_the_accept_header(
    live_server_asgi, token, worker, fake_ollama, accept
):
    headers = {"Authorization": f"Token {token}"}
    if accept:
        headers["Accept"] = accept
    with httpx.Client(base_url=live_server_asgi.url, timeout=30) as client:
        if accept is None:
            client.headers.pop("Accept", None)
        with client.stream(
            "POST", "/api/ollama/models/pull", json={"model": "gemma3:4b"}, headers=headers
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert json.loads(lines[-1][6:])["status"] == "complete"


def test_refusals_are_json_even_to_an_event_stream_client(live_server_asgi, token, fake_ollama):
    response = httpx.post(
        f"{live_server_asgi.url}/api/ollama/models/pull",
        json={"model": "not a model!"},
        headers={"Authorization": f"Token {token}", "Accept": "text/event-stream"},
    )
    assert response.status_code == 400
    assert "model" in response.json()
