from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Avg, Count, Q, Sum, Value
from django.db.models.functions import Lower
from django.utils import timezone

from llmconfig.fields import EncryptedTextField
from llmconfig.llm.base import CallRecord
from llmconfig.llm.ids import ModelId
from llmconfig.prompts import DEFAULT_PROMPTS
from llmconfig.schemas import MAX_BATCH_SIZE


class UserSettings(models.Model):
    """The runtime LLM configuration: one row for the install, made on demand, the
    operator's to change (each reader's interests are on their `accounts.Profile`).

    Read afresh for every scoring task, never cached at import, so a change in the admin or
    the API applies to the next article.
    """

    SINGLETON_PK = 1

    categorization_model = models.CharField(
        max_length=200, blank=True, default="", help_text="Model id, e.g. ollama/qwen3:4b."
    )
    scoring_model = models.CharField(max_length=200, blank=True, default="")
    use_separate_models = models.BooleanField(default=False)
    vision_model = models.CharField(max_length=200, blank=True, default="")
    ollama_use_cloud = models.BooleanField(default=False)
    # NULL: OLLAMA_HOST, or ollama.com in cloud mode.
    ollama_endpoint = models.URLField(  # noqa: DJ001
        max_length=500,
        blank=True,
        null=True,
        help_text="Empty: OLLAMA_HOST (or ollama.com in cloud mode).",
    )
    ollama_api_key = EncryptedTextField(blank=True, null=True)
    ollama_models = models.JSONField(
        default=list, blank=True, help_text='List of {"id", "label", "enabled", "vision"}.'
    )
    # Any OpenAI-compatible server (llama.cpp, vLLM, LM Studio, a hosted API). NULL:
    # OPENAI_BASE_URL from the environment.
    openai_base_url = models.URLField(  # noqa: DJ001
        max_length=500,
        blank=True,
        null=True,
        help_text="e.g. http://127.0.0.1:8080/v1. Empty: OPENAI_BASE_URL.",
    )
    openai_api_key = EncryptedTextField(blank=True, null=True)
    # Batched scoring per model, overriding SCORING_BATCH_SIZE: {"ollama/qwen3:4b": 5}.
    batch_sizes = models.JSONField(
        default=dict,
        blank=True,
        help_text='Articles per LLM call, per model id, e.g. {"ollama/qwen3:4b": 5}. '
        "Models not listed use SCORING_BATCH_SIZE (1: one article per call).",
    )
    # Per model, "one" (topics and scores in one call) or "two" (categorize, then
    # score): {"openai/gemma3-270m": "one"}. Models not listed use SCORING_CALLS.
    call_modes = models.JSONField(
        default=dict,
        blank=True,
        help_text='Calls per article, per model id: "one" (topics and scores together) or '
        '"two" (categorize, then score), e.g. {"ollama/qwen3:4b": "one"}. Models not listed '
        "use SCORING_CALLS.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "user settings"
        verbose_name_plural = "user settings"

    def __str__(self) -> str:
        return "Sift settings"

    @classmethod
    def load(cls) -> UserSettings:
        obj, _ = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return obj

    @classmethod
    def load_for_update(cls) -> UserSettings:
        """The row, locked until the caller's transaction ends: every writer starts here,
        so two writers of different fields never overwrite each other's change."""
        cls.load()
        return cls.objects.select_for_update().get(pk=cls.SINGLETON_PK)

    @property
    def has_ollama_key(self) -> bool:
        return bool(self.ollama_api_key)

    @property
    def has_openai_key(self) -> bool:
        return bool(self.openai_api_key)

    @property
    def effective_openai_base_url(self) -> str:
        return (self.openai_base_url or settings.OPENAI_BASE_URL or "").rstrip("/")

    @property
    def effective_categorization_model(self) -> str:
        return self.categorization_model or settings.SIFT_DEFAULT_MODEL

    @property
    def effective_scoring_model(self) -> str:
        if self.use_separate_models and self.scoring_model:
            return self.scoring_model
        return self.effective_categorization_model

    @property
    def effective_vision_model(self) -> str:
        return self.vision_model or self.effective_categorization_model

    @staticmethod
    def clean_batch_sizes(value: Any) -> dict[str, int]:
        """The one rule for `batch_sizes`, for the API and the admin alike: {model id: a whole
        number from 1 to MAX_BATCH_SIZE}. Raises ValueError saying what is wrong."""
        if not isinstance(value, dict):
            raise ValueError("An object of model id → articles per call.")
        out: dict[str, int] = {}
        for raw_id, size in value.items():
            model_id = str(ModelId.parse(str(raw_id)))  # UnknownModelError is a ValueError
            if isinstance(size, bool) or not isinstance(size, int):
                raise ValueError(f"{model_id}: a whole number of articles.")
            if not 1 <= size <= MAX_BATCH_SIZE:
                raise ValueError(f"{model_id}: between 1 and {MAX_BATCH_SIZE} articles per call.")
            out[model_id] = size
        return out

    def batch_size_for(self, model_id: str) -> int:
        """How many articles one call to this model carries (1: no batching)."""
        size = (self.batch_sizes or {}).get(model_id)
        return size if isinstance(size, int) and size >= 1 else settings.SCORING_BATCH_SIZE

    CALL_MODES = ("one", "two")

    @staticmethod
    def clean_call_modes(value: Any) -> dict[str, str]:
        """The one rule for `call_modes`, for the API and the admin: {model id: "one" or
        "two"}. Raises ValueError saying what is wrong."""
        if not isinstance(value, dict):
            raise ValueError('An object of model id → "one" or "two".')
        out: dict[str, str] = {}
        for raw_id, mode in value.items():
            model_id = str(ModelId.parse(str(raw_id)))
            if mode not in UserSettings.CALL_MODES:
                raise ValueError(f'{model_id}: "one" or "two" calls per article.')
            out[model_id] = mode
        return out

    @property
    def one_call(self) -> bool:
        """Whether a new article's topics and the reader's scores come in one call: the
        scoring model's mode, when it is also the categorizing model (one call goes to one
        model)."""
        model = self.effective_scoring_model
        if model != self.effective_categorization_model:
            return False
        mode = (self.call_modes or {}).get(model, settings.SCORING_CALLS)
        return bool(mode == "one")

    def enabled_ollama_models(self) -> list[dict[str, Any]]:
        return [m for m in (self.ollama_models or []) if m.get("enabled", True)]


class PromptTemplate(models.Model):
    """An editable prompt. `version` goes up on every change of text, and each scored article
    records the versions it was scored with, so stale scores can be found."""

    class Name(models.TextChoices):
        CATEGORIZATION = "categorization", "Categorization"
        SCORING = "scoring", "Scoring"
        CATEGORIZATION_BATCH = "categorization_batch", "Categorization, several articles a call"
        SCORING_BATCH = "scoring_batch", "Scoring, several articles a call"
        VERDICT = "verdict", "Topics and scores in one call"
        VERDICT_BATCH = "verdict_batch", "Topics and scores in one call, several articles"

    name = models.CharField(max_length=50, choices=Name.choices, unique=True)
    text = models.TextField()
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.get_name_display()} prompt (v{self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Bookkeeping, not business logic: a version that does not move with the text
        # would make "scored with prompt v3" meaningless, whoever edits the row.
        if self.pk is not None:
            old_text = type(self).objects.filter(pk=self.pk).values_list("text", flat=True).first()
            if old_text is not None and old_text != self.text:
                self.version += 1
        super().save(*args, **kwargs)

    @classmethod
    def get_text(cls, name: str) -> tuple[str, int]:
        row = cls.objects.filter(name=name).values_list("text", "version").first()
        if row is None:
            return DEFAULT_PROMPTS[name], 0
        return row[0], row[1]


# A reader's own calls (their budget): scoring, and topics and scores in one call.
READER_PURPOSES = ("score", "verdict")


class LLMCallQuerySet(models.QuerySet["LLMCall"]):
    def record(
        self,
        calls: list[CallRecord],
        *,
        article_id: int | None = None,
        reader_id: int | None = None,
    ) -> None:
        """The calls of one unit of work (an article, an API request) in one insert."""
        if calls:
            self.bulk_create(
                [
                    self.model(**vars(call), article_id=article_id, reader_id=reader_id)
                    for call in calls
                ]
            )

    def scoring_for(self, reader_id: int, since: Any) -> int:
        """How many scoring calls were made for this reader since then (their budget)."""
        return self.filter(
            reader_id=reader_id, purpose__in=READER_PURPOSES, created_at__gte=since
        ).count()

    def per_model(self) -> list[dict[str, Any]]:
        """What each model costs: mean prompt tokens, mean prompt-eval and eval ms (a
        prompt-cache hit shows as a small prompt-eval time), cached tokens, articles per
        call, and calls per article (2 without batching, 2/N with batches of N; re-asks and
        retries add to it).

        A model's articles are the larger of those it categorized and those it scored (a
        model doing both sees each article twice): for single calls the distinct articles,
        for batched calls the articles of each successful call."""
        rows: list[dict[str, Any]] = [
            dict(row)
            for row in self.values("model_id")
            .annotate(
                calls=Count("id"),
                mean_articles_per_call=Avg("articles"),
                mean_prompt_tokens=Avg("prompt_tokens"),
                mean_cached_tokens=Avg("cached_tokens"),
                mean_prompt_eval_ms=Avg("prompt_eval_ms"),
                mean_eval_ms=Avg("eval_ms"),
                mean_latency_ms=Avg("latency_ms"),
            )
            .order_by("model_id")
        ]
        served: dict[str, int] = {}
        for step in self.values("model_id", "purpose").annotate(
            single=Count("article_id", distinct=True, filter=Q(articles=1)),
            batched=Sum("articles", filter=Q(articles__gt=1, outcome="ok")),
        ):
            count = step["single"] + (step["batched"] or 0)
            served[step["model_id"]] = max(served.get(step["model_id"], 0), count)
        for row in rows:
            row["articles"] = served.get(row["model_id"], 0)
        return rows


class LLMCall(models.Model):
    """One call to a model: what it cost and how it ended. Written once, never updated."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        INVALID = "invalid", "Invalid output (re-asked)"
        TRANSIENT = "transient", "Transient error (retried)"
        FAILED = "failed", "Failed"

    model_id = models.CharField(max_length=200)
    purpose = models.CharField(max_length=50)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    cached_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Prompt tokens the server reused from its cache."
    )
    prompt_eval_ms = models.FloatField(null=True, blank=True, help_text="Reading the prompt.")
    eval_ms = models.FloatField(null=True, blank=True, help_text="Writing the answer.")
    # The article the call was for (no foreign key: llmconfig sits below articles); the
    # first of them for a batched call.
    article_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    articles = models.PositiveSmallIntegerField(
        default=1, help_text="How many articles the call asked about (more than 1: batched)."
    )
    # The reader a scoring call was for (their budget counts it); NULL: a categorizing call,
    # made once for every reader, or the operator's own.
    reader_id = models.BigIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LLMCallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "LLM call"
        indexes = [
            models.Index(
                fields=["reader_id", "created_at"], name="llmcall_reader_recent",
                condition=Q(reader_id__isnull=False),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.purpose} on {self.model_id}: {self.outcome}"


class ModelDownloadQuerySet(models.QuerySet["ModelDownload"]):
    def active(self) -> ModelDownloadQuerySet:
        return self.filter(status__in=ModelDownload.ACTIVE_STATES)


class ModelDownload(models.Model):
    """A model pull run by a worker. Every web process reads progress and writes the cancel
    flag here, so the download outlives the request (and the web process) that started it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DOWNLOADING = "downloading", "Downloading"
        COMPLETE = "complete", "Complete"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATES = (Status.PENDING, Status.DOWNLOADING)

    model = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    detail = models.CharField(
        max_length=300, blank=True, default="", help_text="Ollama's status line."
    )
    digest = models.CharField(max_length=100, blank=True, default="")
    completed = models.BigIntegerField(default=0, help_text="Bytes, summed over layers.")
    total = models.BigIntegerField(
        default=0, help_text="Bytes, summed over the layers seen so far."
    )
    percent = models.FloatField(default=0.0, help_text="Whole-model progress; never goes back.")
    error = models.TextField(blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ModelDownloadQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One download at a time, enforced by the database rather than by a race.
            models.UniqueConstraint(
                Lower(Value("active")),
                condition=Q(status__in=["pending", "downloading"]),
                name="one_active_download",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATES

    def is_stale(self, *, now: Any = None) -> bool:
        """The runner stopped beating: it died, and the row must not read "active" forever."""
        now = now or timezone.now()
        last = self.heartbeat_at or self.started_at
        return self.is_active and now - last > timedelta(seconds=settings.OLLAMA_PULL_STALE_SECONDS)
