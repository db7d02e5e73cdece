"""Managing the Ollama server: health, installed models, pulls that outlive requests, deletes.

A pull runs in a worker (`llmconfig.tasks.pull_model`); its progress, heartbeat and cancel flag
live in the `ModelDownload` row, so every web process can report and cancel it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict, cast

import httpx
import ollama
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import DomainError
from common.secrets import redact
from common.tasks import send_on_commit
from llmconfig import tasks
from llmconfig.llm.ollama import BearerKey, client_options, make_client, shared_ssl_context
from llmconfig.llm.registry import ModelId, ollama_connection
from llmconfig.models import ModelDownload, UserSettings

logger = logging.getLogger(__name__)

HEALTH_KEY = "sift:ollama:health:{url}"
PROGRESS_WRITE_SECONDS = 0.2


class Health(TypedDict):
    connected: bool
    version: str | None
    latency_ms: int | None


class DownloadStatus(TypedDict, total=False):
    active: Required[bool]
    model: Required[str | None]
    completed: Required[int]
    total: Required[int]
    percent: Required[float]
    more_layers_possible: Required[bool]
    status: Required[str | None]
    error: Required[str | None]
    detail: str  # Ollama's own words for the current step, once a download exists


class OllamaUnavailable(DomainError):
    """Ollama could not be reached or answered with a server error."""

    status_code = 503


class ModelNotFound(DomainError):
    status_code = 404


class ModelInUse(DomainError):
    status_code = 409


class DownloadConflict(DomainError):
    status_code = 409

    def __init__(self, active: ModelDownload) -> None:
        super().__init__(
            f"'{active.model}' is downloading; one download at a time.",
            extra={"model": active.model},
        )
        self.active = active


def endpoint() -> tuple[str, str | None]:
    """The configured Ollama server's base URL and its API key (None locally)."""
    base_url, api_key, _cloud = ollama_connection(UserSettings.load())
    return base_url, api_key


# --- health ----------------------------------------------------------------------------------
def health() -> Health:
    """{connected, version, latency_ms}. Refused answers at once; a silent host after
    OLLAMA_HEALTH_TIMEOUT. The answer is reused for OLLAMA_HEALTH_CACHE_SECONDS."""
    base_url, api_key = endpoint()
    key = HEALTH_KEY.format(url=base_url)
    if settings.OLLAMA_HEALTH_CACHE_SECONDS > 0:
        cached = cache.get(key)
        if cached is not None:
            return cast(Health, dict(cached))
    started = time.monotonic()
    result: Health = {"connected": False, "version": None, "latency_ms": None}
    try:
        response = httpx.get(
            f"{base_url.rstrip('/')}/api/version",
            auth=BearerKey(api_key),
            # The whole answer must fit in the timeout: keep a little back for the rest.
            timeout=max(0.02, settings.OLLAMA_HEALTH_TIMEOUT - 0.05),
            follow_redirects=False,
            verify=shared_ssl_context(),
        )
        if response.status_code == 200:
            result = {
                "connected": True,
                "version": response.json().get("version"),
                "latency_ms": int((time.monotonic() - started) * 1000),
            }
    except (httpx.HTTPError, ValueError):
        pass
    if settings.OLLAMA_HEALTH_CACHE_SECONDS > 0:
        cache.set(key, result, timeout=settings.OLLAMA_HEALTH_CACHE_SECONDS)
    return result


def unreachable_reason() -> str:
    """Why health() says not connected, in the words the reading page uses."""
    return redact(f"Ollama does not answer at {endpoint()[0]}.")


# --- models ----------------------------------------------------------------------------------
def _short_timeout() -> httpx.Timeout:
    return httpx.Timeout(
        30.0, connect=min(settings.OLLAMA_HEALTH_TIMEOUT, settings.LLM_CONNECT_TIMEOUT)
    )


def _list_models(base_url: str, api_key: str | None) -> list[dict[str, Any]]:
    with make_client(base_url, api_key, timeout=_short_timeout()) as client:
        try:
            tags = client.list()
        except ValueError as exc:  # not JSON, or not the documented shape (pydantic)
            raise OllamaUnavailable(
                f"Ollama at {base_url} answered /api/tags with something that is not a model "
                f"list ({type(exc).__name__})."
            ) from exc
        try:
            running = client.ps()
            loaded = {m.model for m in running.models} | {m.name for m in running.models}
        except ValueError:
            # Which models are loaded is a hint; a malformed answer only loses the hint.
            logger.warning("Ollama at %s answered /api/ps with a malformed body", base_url)
            loaded = set()
    return [
        {
            # Names exactly as Ollama gives them: "qwen3:4b" stays "qwen3:4b", no :latest games.
            "name": m.model,
            "size": m.size,
            "parameter_size": m.details.parameter_size if m.details else None,
            "quantization_level": m.details.quantization_level if m.details else None,
            "is_loaded": m.model in loaded,
        }
        for m in tags.models
    ]


def models_list() -> list[dict[str, Any]]:
    base_url, api_key = endpoint()
    try:
        return _list_models(base_url, api_key)
    except (ConnectionError, httpx.HTTPError) as exc:
        raise OllamaUnavailable(
            f"Ollama at {base_url} is unreachable ({type(exc).__name__})."
        ) from exc
    except ollama.ResponseError as exc:
        raise OllamaUnavailable(f"Ollama answered {exc.status_code}: {exc.error}") from exc


def local_only() -> None:
    """Pulls and deletes manage a local server: refused in Ollama Cloud mode."""
    if UserSettings.load().ollama_use_cloud:
        raise DomainError(
            "Ollama Cloud mode is on: models are managed on ollama.com, not pulled or deleted here."
        )


def model_delete(*, name: str, force: bool = False) -> None:
    """Delete a local model; one the settings use only with `force`."""
    local_only()
    role = models_in_use().get(name)
    if role and not force:
        raise ModelInUse(
            f"'{name}' is the configured {role} model; pass ?force=true to delete it anyway.",
            extra={"role": role},
        )
    base_url, api_key = endpoint()
    try:
        with make_client(base_url, api_key, timeout=_short_timeout()) as client:
            client.delete(name)
    except ollama.ResponseError as exc:
        if exc.status_code == 404:
            raise ModelNotFound(f"Ollama has no model '{name}'.") from exc
        raise OllamaUnavailable(f"Ollama answered {exc.status_code}: {exc.error}") from exc
    except (ConnectionError, httpx.HTTPError) as exc:
        raise OllamaUnavailable(
            f"Ollama at {base_url} is unreachable ({type(exc).__name__})."
        ) from exc


def models_in_use() -> dict[str, str]:
    """Bare Ollama names the settings use → which role uses them."""
    us = UserSettings.load()
    roles = {
        "categorization": us.effective_categorization_model,
        "scoring": us.effective_scoring_model,
        "vision": us.vision_model,
    }
    used: dict[str, str] = {}
    for role, model_id in roles.items():
        if model_id and (parsed := ModelId.parse(model_id)).provider == "ollama":
            used.setdefault(parsed.bare, role)
    return used


# --- downloads -------------------------------------------------------------------------------
def download_current() -> ModelDownload | None:
    """The active download, after marking it failed if its runner stopped beating."""
    active = ModelDownload.objects.active().first()
    if active is not None and active.is_stale():
        ModelDownload.objects.filter(pk=active.pk, status__in=ModelDownload.ACTIVE_STATES).update(
            status=ModelDownload.Status.ERROR,
            error="The download worker stopped responding.",
            finished_at=timezone.now(),
        )
        return None
    return active


def download_start(*, model: str, run_in_worker: bool = True) -> tuple[ModelDownload, bool]:
    """Start a pull, or attach to the same model's pull. (download, created)."""
    active = download_current()
    if active is not None:
        if active.model == model:
            return active, False
        raise DownloadConflict(active)
    try:
        with transaction.atomic():
            download = ModelDownload.objects.create(model=model, heartbeat_at=timezone.now())
    except IntegrityError:
        # Another request won the race: attach to it, or report the conflict.
        active = ModelDownload.objects.active().first()
        if active is None:
            raise
        if active.model == model:
            return active, False
        raise DownloadConflict(active) from None
    if run_in_worker:
        send_on_commit(
            tasks.pull_model,
            download.pk,
            on_failure=lambda exc: _pull_not_sent(download.pk, exc),
        )
    return download, True


def pull_request(*, model: str) -> ModelDownload:
    """A pull asked for over the API: local mode, Ollama up, then start it (or attach to
    the same model's running pull). Raises DownloadConflict for another model."""
    local_only()
    if not health()["connected"]:
        raise OllamaUnavailable("Ollama is not reachable; start it with `ollama serve`.")
    download, _created = download_start(model=model)
    return download


def _pull_not_sent(download_id: int, exc: Exception) -> None:
    """No broker: the download ends visibly instead of waiting for a worker forever."""
    ModelDownload.objects.filter(pk=download_id).update(
        status=ModelDownload.Status.ERROR,
        error=f"Could not reach the task broker ({type(exc).__name__}).",
        finished_at=timezone.now(),
    )


def download_cancel() -> ModelDownload | None:
    active = ModelDownload.objects.active().first()
    if active is None:
        return None
    ModelDownload.objects.filter(pk=active.pk).update(cancel_requested=True)
    return active


def download_status() -> DownloadStatus:
    current = download_current()
    row = current or ModelDownload.objects.order_by("-started_at").first()
    if row is None:
        return {
            "active": False,
            "model": None,
            "completed": 0,
            "total": 0,
            "percent": 0.0,
            "more_layers_possible": False,
            "status": None,
            "error": None,
        }
    return {
        "active": row.is_active,
        "model": row.model,
        "completed": row.completed,
        "total": row.total,
        "percent": row.percent,
        "more_layers_possible": row.is_active
        and more_layers_possible(row.detail, row.status == ModelDownload.Status.COMPLETE),
        "status": row.status,
        "detail": row.detail,
        "error": row.error or None,
    }


@dataclass
class PullProgress:
    """Whole-model progress from Ollama's per-layer lines: bytes are summed over digests.

    Ollama announces a layer only when its download starts (one after another), so the
    model's size is known only once the downloads are over. `percent` is bytes done over
    bytes known: monotone while the known layers download, stepping down once when a later
    layer is announced, and `more_layers_possible` says when that may still happen. (Holding
    the highest value instead showed 99.9 for most of a multi-layer pull.)"""

    layers: dict[str, tuple[int, int]] = field(default_factory=dict)
    detail: str = ""
    digest: str = ""
    percent: float = 0.0
    success: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(
        self, status: str, digest: str | None, completed: int | None, total: int | None
    ) -> None:
        with self.lock:
            self.detail = status or self.detail
            if digest and total:
                self.digest = digest
                # A layer's bytes never go back (a resumed blob reports from its start again).
                before = self.layers.get(digest, (0, total))[0]
                self.layers[digest] = (max(before, completed or 0), total)
            if status == "success":
                self.success = True
            total_bytes = sum(t for _, t in self.layers.values())
            if total_bytes:
                done = sum(c for c, _ in self.layers.values())
                # 100 only on `success`, after Ollama verified the digests and wrote the manifest.
                self.percent = min(99.9, round(100.0 * done / total_bytes, 1))
            if self.success:
                self.percent = 100.0

    @property
    def more_layers_possible(self) -> bool:
        return more_layers_possible(self.detail, self.success)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "detail": self.detail[:300],
                "digest": self.digest[:100],
                "completed": sum(c for c, _ in self.layers.values()),
                "total": sum(t for _, t in self.layers.values()),
                "percent": self.percent,
            }


def more_layers_possible(detail: str, done: bool) -> bool:
    """Whether Ollama may still announce a layer: it downloads every layer ("pulling …")
    before it verifies any ("verifying sha256 digest", "writing manifest", …)."""
    return not done and (not detail or detail.startswith("pulling"))


class PullThread(threading.Thread):
    """Streams one pull on its own event loop, so the caller's thread keeps the database
    connection (progress writes, cancel checks) and can stop the stream at any moment:
    closing the HTTP stream is how Ollama is told to stop a pull.

    The one async client in Sift, and why: a blocking read cannot be interrupted from
    another thread, but a task can be cancelled mid-read, also while Ollama is silent
    (verifying a digest), and that closes the connection."""

    def __init__(self, model: str, base_url: str, api_key: str | None) -> None:
        super().__init__(daemon=True, name=f"pull-{model}")
        self.model, self.base_url, self.api_key = model, base_url, api_key
        self.progress = PullProgress()
        self.error: BaseException | None = None
        self.cancelled = False
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None

    def run(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        except asyncio.CancelledError:
            self.cancelled = True
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who reports it
            self.error = exc
        finally:
            # A stream that ended in an error leaves the client's async generator open;
            # finalize it here rather than let the collector log "Task was destroyed".
            with contextlib.suppress(BaseException):
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _main(self) -> None:
        self._task = asyncio.current_task()
        timeout = httpx.Timeout(None, connect=settings.LLM_CONNECT_TIMEOUT)
        options = client_options(self.api_key, timeout)
        async with ollama.AsyncClient(host=self.base_url, **options) as client:
            stream = await client.pull(self.model, stream=True)
            async for part in stream:
                self.progress.update(part.status or "", part.digest, part.completed, part.total)

    def cancel(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop already finished
            self._loop.call_soon_threadsafe(lambda: self._task and self._task.cancel())


def _write_progress(download_id: int, progress: PullProgress) -> bool:
    """Persist progress and the heartbeat; return whether a cancel was requested."""
    ModelDownload.objects.filter(pk=download_id).update(
        status=ModelDownload.Status.DOWNLOADING, heartbeat_at=timezone.now(), **progress.snapshot()
    )
    return bool(
        ModelDownload.objects.filter(pk=download_id)
        .values_list("cancel_requested", flat=True)
        .first()
    )


def download_run(
    *, download_id: int, on_progress: Callable[[PullProgress], None] | None = None
) -> str:
    """Run one pull to its end (in a worker, or in `manage.py ollama_pull`).

    1. Claim the row (pending → downloading); a repeated message finds nothing to do.
    2. Stream in a `PullThread`; every PROGRESS_WRITE_SECONDS write progress and the
       heartbeat, and read the cancel flag. A cancel closes the stream.
    3. An `error` line inside a 200 stream (unknown model) ends as an error, never success.
    """
    claimed = ModelDownload.objects.filter(
        pk=download_id, status=ModelDownload.Status.PENDING
    ).update(status=ModelDownload.Status.DOWNLOADING, heartbeat_at=timezone.now())
    if not claimed:
        return "not-pending"
    download = ModelDownload.objects.get(pk=download_id)
    base_url, api_key = endpoint()
    pull = PullThread(download.model, base_url, api_key)
    pull.start()
    while pull.is_alive():
        pull.join(PROGRESS_WRITE_SECONDS)
        if on_progress:
            on_progress(pull.progress)
        if pull.is_alive() and _write_progress(download_id, pull.progress):
            pull.cancel()
            pull.join(10)
    status, error = _outcome(pull, base_url)
    ModelDownload.objects.filter(pk=download_id).update(
        status=status, error=redact(error)[:4000], heartbeat_at=timezone.now(), finished_at=timezone.now(),
        **pull.progress.snapshot(),
    )  # fmt: skip
    if status == ModelDownload.Status.COMPLETE:
        cache.delete(HEALTH_KEY.format(url=base_url))
    logger.info("pull of %s ended: %s %s", download.model, status, error)
    return str(status)


def _outcome(pull: PullThread, base_url: str) -> tuple[str, str]:
    if pull.cancelled:
        return ModelDownload.Status.CANCELLED, ""
    exc = pull.error
    if isinstance(exc, ollama.ResponseError):
        return ModelDownload.Status.ERROR, exc.error
    if isinstance(exc, ConnectionError | httpx.HTTPError):
        return ModelDownload.Status.ERROR, f"Ollama at {base_url} is unreachable."
    if exc is not None:
        return ModelDownload.Status.ERROR, repr(exc)
    if not pull.progress.success:
        return ModelDownload.Status.ERROR, "The pull ended without success."
    return ModelDownload.Status.COMPLETE, ""
