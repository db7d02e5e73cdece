"""/api/ollama/* against the fake Ollama: health, models, pulls, deletes, config, prompts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest
from django.utils import timezone

from articles.models import Reading
from llmconfig import ollama_server
from llmconfig.models import ModelDownload, UserSettings
from tests.factories import ArticleFactory, ScoredArticleFactory
from tests.live import ROOT, child_env, monotone_while_the_total_holds, wait_for

pytestmark = pytest.mark.django_db


# --- health -----------------------------------------------------------------------------------
def test_health_when_up(api, fake_ollama):
    body = api.get("/api/ollama/health").json()
    assert body["connected"] is True and body["version"] and body["latency_ms"] >= 0


def test_health_when_refused_answers_fast(api, fake_ollama):
    fake_ollama.stop()
    started = time.monotonic()
    body = api.get("/api/ollama/health").json()
    assert body == {"connected": False, "version": None, "latency_ms": None}
    assert time.monotonic() - started < 1.0  # loose bound; the bench measures it


def test_health_when_black_holed_answers_within_timeout(api, settings):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # accepts nothing: the request hangs
    settings.OLLAMA_HOST = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings.OLLAMA_HEALTH_TIMEOUT = 0.5
    started = time.monotonic()
    body = api.get("/api/ollama/health").json()
    elapsed = time.monotonic() - started
    listener.close()
    assert body["connected"] is False
    assert elapsed < 0.5 + 1.5


def test_health_is_cached_briefly(api, fake_ollama, settings):
    settings.OLLAMA_HEALTH_CACHE_SECONDS = 30
    api.get("/api/ollama/health")
    api.get("/api/ollama/health")
    assert len(fake_ollama.calls("/api/version")) == 1


# --- models -----------------------------------------------------------------------------------
def test_models_merge_loaded_state(api, fake_ollama):
    fake_ollama.installed["llama3.2:3b"] = fake_ollama.catalog["llama3.2:3b"]
    fake_ollama.loaded.add("qwen3:4b")
    body = api.get("/api/ollama/models").json()
    by_name = {m["name"]: m for m in body}
    assert set(by_name) == {"qwen3:4b", "llama3.2:3b"}
    assert by_name["qwen3:4b"] == {
        "name": "qwen3:4b",
        "size": 2_500_000_000,
        "parameter_size": "4.0B",
        "quantization_level": "Q4_K_M",
        "is_loaded": True,
    }
    assert by_name["llama3.2:3b"]["is_loaded"] is False


def test_models_when_down_is_503(api, fake_ollama):
    fake_ollama.stop()
    response = api.get("/api/ollama/models")
    assert response.status_code == 503 and "unreachable" in response.json()["detail"]


# --- delete -----------------------------------------------------------------------------------
def test_delete_model(api, fake_ollama):
    fake_ollama.installed["llama3.2:3b"] = fake_ollama.catalog["llama3.2:3b"]
    response = api.delete("/api/ollama/models/llama3.2:3b")
    assert response.status_code == 200 and response.json() == {"status": "success"}
    assert "llama3.2:3b" not in fake_ollama.installed


def test_delete_name_with_namespace_and_tag(api, fake_ollama):
    fake_ollama.installed["library/x:1b"] = fake_ollama.catalog["llama3.2:3b"]
    assert api.delete("/api/ollama/models/library/x:1b").status_code == 200
    assert fake_ollama.calls("/api/delete")[0].body["model"] == "library/x:1b"


def test_delete_unknown_is_404(api, fake_ollama):
    assert api.delete("/api/ollama/models/nope:1b").status_code == 404


def test_delete_in_use_is_409_unless_forced(api, fake_ollama):
    UserSettings.objects.update(categorization_model="ollama/qwen3:4b")
    UserSettings.load()
    response = api.delete("/api/ollama/models/qwen3:4b")
    assert response.status_code == 409 and response.json()["role"] == "categorization"
    assert "qwen3:4b" in fake_ollama.installed
    assert api.delete("/api/ollama/models/qwen3:4b?force=true").status_code == 200


def test_delete_bad_name_is_400(api, fake_ollama):
    response = api.delete("/api/ollama/models/bad%20name")
    assert response.status_code == 400 and "name" in response.json()


# --- pulls (service level: the worker's side) -------------------------------------------------
def test_pull_runs_to_completion(fake_ollama):
    fake_ollama.pull_steps = 60
    download, created = ollama_server.download_start(model="qwen3:8b", run_in_worker=False)
    assert created
    seen: list[float] = []
    status = ollama_server.download_run(
        download_id=download.pk, on_progress=lambda p: seen.append(p.percent)
    )
    assert status == "complete"
    download.refresh_from_db()
    assert download.status == "complete" and download.percent == 100.0
    assert download.total == sum(fake_ollama.catalog["qwen3:8b"].layers)
    # Monotone while one layer downloads: a step down only where a layer is announced.
    assert len(set(seen)) > 3 and seen[-1] == 100.0
    assert "qwen3:8b" in fake_ollama.installed


def test_pull_of_unknown_model_ends_as_error(fake_ollama, caplog):
    import gc

    download, _ = ollama_server.download_start(model="no-such-model:1b", run_in_worker=False)
    assert ollama_server.download_run(download_id=download.pk) == "error"
    download.refresh_from_db()
    assert "file does not exist" in download.error
    gc.collect()  # what would finalize a stream left open
    assert not [r for r in caplog.records if "Task was destroyed" in r.getMessage()]


def test_one_download_at_a_time_and_same_model_attaches(fake_ollama):
    first, created = ollama_server.download_start(model="qwen3:8b", run_in_worker=False)
    again, created_again = ollama_server.download_start(model="qwen3:8b", run_in_worker=False)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(ollama_server.DownloadConflict):
        ollama_server.download_start(model="gemma3:4b", run_in_worker=False)


def test_dead_runner_is_reported_failed(fake_ollama, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.OLLAMA_PULL_STALE_SECONDS = 5
    ModelDownload.objects.create(
        model="qwen3:8b", status="downloading", heartbeat_at=timezone.now() - timedelta(seconds=30)
    )
    status = ollama_server.download_status()
    assert status["active"] is False and status["status"] == "error"
    assert "stopped responding" in status["error"]


# --- pulls end to end: SSE over real HTTP, a real worker ----------------------------------------
def read_events(
    url: str, token: str, model: str, events: list[dict], stop_after: int | None = None
) -> int:
    with httpx.stream(
        "POST",
        f"{url}/api/ollama/models/pull",
        json={"model": model},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    ) as response:
        if response.status_code != 200:
            return response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if stop_after is not None and len(events) >= stop_after:
                    break
    return 200


@pytest.mark.django_db(transaction=True)
def test_pull_streams_progress_to_complete(live_server_asgi, token, worker, fake_ollama):
    events: list[dict] = []
    assert read_events(live_server_asgi.url, token, "qwen3:8b", events) == 200
    assert events[-1]["status"] == "complete"
    assert len(events) >= 4 and monotone_while_the_total_holds(events[:-1])
    assert any(e["status"].startswith("pulling ") for e in events)
    assert events[1]["more_layers_possible"] is True
    assert ModelDownload.objects.get().status == "complete"


@pytest.mark.django_db(transaction=True)
def test_pull_unknown_model_streams_error(live_server_asgi, token, worker, fake_ollama):
    events: list[dict] = []
    read_events(live_server_asgi.url, token, "no-such-model:1b", events)
    assert events[-1]["status"] == "error"
    assert "file does not exist" in events[-1]["error"]


@pytest.mark.django_db(transaction=True)
def test_pull_outlives_the_request_and_cancel_from_another_client_stops_upstream(
    live_server_asgi, token, worker, fake_ollama
):
    fake_ollama.pull_interval = 0.05
    fake_ollama.pull_steps = 400  # a long download
    events: list[dict] = []
    # The first client leaves after two events (tab closed): the download goes on.
    read_events(live_server_asgi.url, token, "qwen3:8b", events, stop_after=2)
    time.sleep(0.5)
    status = httpx.get(
        f"{live_server_asgi.url}/api/ollama/download-status",
        headers={"Authorization": f"Token {token}"},
    ).json()
    assert status["active"] is True and status["model"] == "qwen3:8b" and status["percent"] > 0
    # A different model while one runs: 409.
    assert read_events(live_server_asgi.url, token, "gemma3:4b", []) == 409
    # A second client reattaches to the same download.
    again: list[dict] = []
    read_events(live_server_asgi.url, token, "qwen3:8b", again, stop_after=1)
    assert again[0]["percent"] >= events[-1]["percent"]
    # Cancel from yet another client: the fake sees its connection close within a second.
    cancelled_at = time.monotonic()
    response = httpx.post(
        f"{live_server_asgi.url}/api/ollama/models/pull/cancel",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.json() == {"status": "cancelled"}
    pull = wait_for(lambda: fake_ollama.pulls[0]["ended_at"] and fake_ollama.pulls[0], timeout=5)
    assert pull["outcome"] == "client_closed"
    assert pull["ended_at"] - cancelled_at < 1.0
    wait_for(lambda: ModelDownload.objects.get().status == "cancelled", timeout=5)
    assert "qwen3:8b" not in fake_ollama.installed


@pytest.mark.django_db(transaction=True)
def test_download_status_is_readable_from_another_process(fake_ollama):
    ModelDownload.objects.create(
        model="qwen3:8b", status="downloading", completed=50, total=200, percent=25.0
    )
    code = "import django; django.setup(); import json; from llmconfig.ollama_server import download_status; print(json.dumps(download_status()))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout.strip().splitlines()[-1])
    assert (status["active"], status["model"], status["percent"]) == (True, "qwen3:8b", 25.0)


def test_pull_when_ollama_is_down_is_503(api, fake_ollama):
    fake_ollama.stop()
    response = api.post("/api/ollama/models/pull", {"model": "qwen3:8b"}, format="json")
    assert response.status_code == 503
    assert not ModelDownload.objects.exists()


@pytest.mark.parametrize(
    "payload", [{"model": ""}, {"model": "bad name"}, {}, {"model": "x", "extra": 1}]
)
def test_pull_bad_input_is_400(api, fake_ollama, payload):
    response = api.post("/api/ollama/models/pull", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) & {"model", "extra"}


def test_cancel_without_download_is_404(api):
    assert api.post("/api/ollama/models/pull/cancel").status_code == 404


def test_ollama_pull_command_shows_progress(fake_ollama, capsys):
    from django.core.management import call_command

    call_command("ollama_pull", "llama3.2:3b")
    assert "Pulled llama3.2:3b" in capsys.readouterr().out
    assert ModelDownload.objects.get().status == "complete"


# --- config -----------------------------------------------------------------------------------
def test_config_defaults_to_settings(api, settings):
    settings.SIFT_DEFAULT_MODEL = "ollama/qwen3:4b"
    assert api.get("/api/ollama/config").json() == {
        "categorization_model": "qwen3:4b",
        "scoring_model": "qwen3:4b",
        "use_separate_models": False,
    }


def test_config_saves_bare_names_as_model_ids(api, fake_ollama):
    fake_ollama.install("qwen3:8b", "llama3.2:3b")
    response = api.put(
        "/api/ollama/config",
        {
            "categorization_model": "qwen3:8b",
            "scoring_model": "llama3.2:3b",
            "use_separate_models": True,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "categorization_model": "qwen3:8b",
        "scoring_model": "llama3.2:3b",
        "use_separate_models": True,
        "rescore_queued": 0,
    }
    us = UserSettings.load()
    assert (us.categorization_model, us.scoring_model) == ("ollama/qwen3:8b", "ollama/llama3.2:3b")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"categorization_model": ""}, "categorization_model"),
        ({"categorization_model": "bad name"}, "categorization_model"),
        ({"categorization_model": "gpt-4o/x y"}, "categorization_model"),
        ({"categorization_model": "qwen3:4b", "use_separate_models": True}, "scoring_model"),
        ({"categorization_model": "qwen3:4b", "bogus": True}, "bogus"),
    ],
)
def test_config_bad_input_is_400(api, fake_ollama, payload, field):
    response = api.put("/api/ollama/config", payload, format="json")
    assert response.status_code == 400 and field in response.json()


def test_config_refuses_a_model_the_server_does_not_have(api, fake_ollama, settings):
    response = api.put("/api/ollama/config", {"categorization_model": "nope:1b"}, format="json")
    assert response.status_code == 400
    assert "not installed" in response.json()["categorization_model"][0]
    settings.GEMINI_MODELS = ["gemini-2.5-flash"]
    response = api.put(
        "/api/ollama/config", {"categorization_model": "gemini-1.0-nope"}, format="json"
    )
    assert response.status_code == 400 and "categorization_model" in response.json()


def test_config_accepts_the_model_being_downloaded(api, fake_ollama):
    ModelDownload.objects.create(
        model="qwen3:8b", status="downloading", heartbeat_at=timezone.now()
    )
    response = api.put("/api/ollama/config", {"categorization_model": "qwen3:8b"}, format="json")
    assert response.status_code == 200, response.json()


def test_config_when_ollama_is_down_is_503(api, fake_ollama):
    fake_ollama.stop()
    # A change: whether qwen3:8b is installed cannot be checked.
    response = api.put("/api/ollama/config", {"categorization_model": "qwen3:8b"}, format="json")
    assert response.status_code == 503 and "detail" in response.json()


@pytest.fixture
def scored_unread(fake_ollama):
    """Three unread scored articles, one read, one still queued; the models they name are
    installed."""
    fake_ollama.install("qwen3:8b", "llama3.2:3b")
    articles = ScoredArticleFactory.create_batch(3)
    ScoredArticleFactory(is_read=True)
    ArticleFactory()
    return articles


def set_config(api, cat, score=None, rescore=True):
    payload = {
        "categorization_model": cat,
        "use_separate_models": score is not None,
        "rescore": rescore,
    }
    if score is not None:
        payload["scoring_model"] = score
    response = api.put("/api/ollama/config", payload, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def rescored_modes():
    return set(
        Reading.objects.filter(scoring_priority__gt=0).values_list("rescore_mode", flat=True)
    )


def test_rescore_full_when_categorization_model_changes(api, scored_unread):
    UserSettings.objects.update(categorization_model="ollama/qwen3:4b")
    assert set_config(api, "qwen3:8b")["rescore_queued"] == 3
    assert rescored_modes() == {"full"}


def test_rescore_score_only_when_only_scoring_model_changes(api, scored_unread):
    UserSettings.objects.update(categorization_model="ollama/qwen3:4b")
    assert set_config(api, "qwen3:4b", score="llama3.2:3b")["rescore_queued"] == 3
    assert rescored_modes() == {"score_only"}


def test_rescore_full_when_nothing_changed(api, scored_unread):
    UserSettings.objects.update(categorization_model="ollama/qwen3:4b")
    assert set_config(api, "qwen3:4b")["rescore_queued"] == 3
    assert rescored_modes() == {"full"}


def test_no_rescore_without_asking(api, scored_unread):
    assert set_config(api, "qwen3:8b", rescore=False)["rescore_queued"] == 0
    assert not rescored_modes()


# --- prompts ----------------------------------------------------------------------------------
def test_prompts_render_with_placeholders(api):
    body = api.get("/api/ollama/prompts").json()
    assert (
        "[Article Title]" in body["categorization_prompt"]
        and "[Existing Categories]" in body["categorization_prompt"]
    )
    assert "[User Interests]" in body["scoring_prompt"] and "{" not in body[
        "scoring_prompt"
    ].replace('{"', "").replace("{{", "")


def test_config_refuses_a_model_id_too_long_for_its_column(api):
    response = api.put("/api/ollama/config", {"categorization_model": "q" * 250}, format="json")
    assert response.status_code == 400 and "categorization_model" in response.json()


def test_percent_is_bytes_done_over_bytes_known_and_says_more_layers_may_come():
    """A small first layer once latched the percent at 99.9 for the rest of the pull
    (101 of 154 events while 83.5 % of the bytes were done)."""
    progress = ollama_server.PullProgress()
    progress.update("pulling manifest", None, None, None)
    assert progress.more_layers_possible
    progress.update("pulling aaa", "sha256:aaa", 0, 2_000)
    progress.update("pulling aaa", "sha256:aaa", 2_000, 2_000)  # the only layer known so far
    assert progress.percent == 99.9 and progress.more_layers_possible
    progress.update("pulling bbb", "sha256:bbb", 0, 8_000)  # a later layer grows the total
    assert progress.percent == 20.0
    seen = []
    for done in (1_000, 3_000, 3_000, 8_000):
        progress.update("pulling bbb", "sha256:bbb", done, 8_000)
        seen.append(progress.percent)
    assert seen == [30.0, 50.0, 50.0, 99.9]  # monotone within the known layers
    progress.update("pulling bbb", "sha256:bbb", 10, 8_000)  # a resumed blob restarts its count
    assert progress.percent == 99.9
    progress.update("verifying sha256 digest", None, None, None)
    assert progress.percent < 100 and not progress.more_layers_possible
    progress.update("success", None, None, None)
    assert progress.percent == 100.0


def test_the_reported_percent_follows_the_bytes_over_a_real_multi_layer_pull(fake_ollama):
    fake_ollama.pull_steps = 40
    download, _ = ollama_server.download_start(model="qwen3:8b", run_in_worker=False)
    events: list[tuple[float, int, int]] = []
    ollama_server.download_run(
        download_id=download.pk,
        on_progress=lambda p: events.append((p.percent, *_bytes(p))),
    )
    final = sum(fake_ollama.catalog["qwen3:8b"].layers)
    # Never more than the bytes known say; near 100 while much of the model is left only in
    # the moment a layer has finished and Ollama has not announced the next one yet.
    for percent, done, known in events:
        assert known and percent <= 100.0 * done / known + 0.05
        if percent >= 99 and done < 0.9 * final:
            assert done == known
    early = [e for e in events if e[0] >= 99 and e[1] < 0.9 * final]
    assert len(early) <= len(fake_ollama.catalog["qwen3:8b"].layers)


def _bytes(progress: ollama_server.PullProgress) -> tuple[int, int]:
    snap = progress.snapshot()
    return snap["completed"], snap["total"]


def test_config_saved_unchanged_on_a_fresh_install_is_accepted(api, fake_ollama, settings):
    """The seed frontend PUTs the values it read; the default model is not pulled yet. Only
    a change to a model that is not installed is refused."""
    settings.SIFT_DEFAULT_MODEL = "ollama/qwen3:4b"
    fake_ollama.installed.clear()
    current = api.get("/api/ollama/config").json()
    response = api.put("/api/ollama/config", {**current, "rescore": False}, format="json")
    assert response.status_code == 200, response.content
    changed = {**current, "categorization_model": "not-pulled:1b"}
    response = api.put("/api/ollama/config", changed, format="json")
    assert response.status_code == 400
    assert "categorization_model" in response.json()
