"""`make bench-real`: Sift's scoring pipeline against a real small model, not a fake.

llama.cpp's OpenAI-compatible server (llama-cpp-python) serves Gemma 3 270M on 127.0.0.1;
Sift reaches it through its OpenAI-compatible adapter. For batch sizes 1, 5 and 10, with the
server's prompt cache off and on, the same ten articles (the demo's feeds) are scored by the
same services a worker runs, in this process on a throw-away SQLite database, one LLM call at
a time (a laptop). It prints seconds per article, LLM calls, the share of replies that were
valid (the rest were re-asked), and for batches the share of the articles' steps
(categorize, score) their batch answered (the rest were left out of the reply, or the batch
fell back, and went one call each).

"Cache on" starts the server with `--cache true`: llama.cpp keeps the state of earlier
prompts in RAM and reuses the longest common prefix, so the categorizing and scoring
prompts, which alternate, each find their rubric already evaluated. "Cache off" is the plain
server, which reuses only the previous request's prefix: with the two prompts alternating,
almost nothing.

The model is a small *base* model: these are figures about time and about replies that
parse, never about its judgement.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = tempfile.mkdtemp(prefix="sift-bench-real-")
os.environ.update(
    {
        "SIFT_VAR_DIR": VAR_DIR,
        "SIFT_ENV_FILE": str(Path(VAR_DIR) / "no.env"),
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "LLM_MAX_IN_FLIGHT": "1",
        "LLM_READ_TIMEOUT": "300",
        "LLM_RETRY_MAX_WAIT": "2",
        # The server's --n_ctx: an OpenAI-compatible server does not say its context window.
        "SCORING_NUM_CTX": "4096",
    }
)
for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
    os.environ.pop(name, None)

ARTICLES = 10
BATCH_SIZES = (1, 5, 10)


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fresh_articles(base_url: str, model: str) -> list[int]:
    from articles.models import Article, Feed
    from demo.articles import ANTI_INTERESTS, FEEDS, INTERESTS
    from llmconfig.models import LLMCall, UserSettings

    Article.objects.all().delete()
    Feed.objects.all().delete()
    LLMCall.objects.all().delete()
    us = UserSettings.load()
    us.openai_base_url = base_url
    us.categorization_model = model
    us.use_separate_models = False
    us.interests, us.anti_interests = INTERESTS, ANTI_INTERESTS
    us.save()
    now = datetime.now(UTC)
    items = [item for key in ("systems", "sky") for item in FEEDS[key][1]][:ARTICLES]
    feed = Feed.objects.create(url="https://bench.example/real.xml", title="Bench")
    rows = Article.objects.bulk_create(
        Article(
            feed=feed, title=title, url=f"https://bench.example/real/{i}", content=body,
            published_at=now - timedelta(minutes=i), scoring_state=Article.ScoringState.QUEUED,
            queued_at=now + timedelta(microseconds=i),
        )
        for i, (title, body) in enumerate(items)
    )  # fmt: skip
    return [a.id for a in rows]


def run(batch: int, base_url: str, model: str) -> dict[str, Any]:
    from django.conf import settings
    from django.core.cache import cache

    from articles.models import Article
    from llmconfig.models import LLMCall
    from scoring import services

    settings.SCORING_BATCH_SIZE = batch
    cache.clear()
    services.readiness_set(ready=True, reason="")
    ids = fresh_articles(base_url, model)
    started = time.monotonic()
    while Article.objects.filter(id__in=ids, scoring_state__in=["queued", "scoring"]).exists():
        services.score_next_articles(worker="bench-real", budget_seconds=3600)
        if not services.readiness_get()["ready"]:
            raise RuntimeError(services.readiness_get()["reason"])
    seconds = time.monotonic() - started
    calls = list(LLMCall.objects.values_list("outcome", "articles"))
    ok = sum(1 for outcome, _ in calls if outcome == "ok")
    # Each article takes two steps (categorize, score). A step not answered by its batch (left
    # out, or the batch fell back) was answered by a call of its own.
    alone = sum(1 for outcome, n in calls if outcome == "ok" and n == 1)
    states = list(Article.objects.filter(id__in=ids).values_list("scoring_state", flat=True))
    return {
        "batch": batch,
        "seconds_per_article": round(seconds / len(ids), 2),
        "llm_calls": len(calls),
        "batched_calls": sum(1 for _, n in calls if n > 1),
        "valid_reply_share": round(ok / max(1, len(calls)), 2),
        "steps_answered_in_batches": round(1 - alone / (2 * len(ids)), 2) if batch > 1 else None,
        "scored": states.count("scored"),
        "failed": states.count("failed"),
        "articles": len(ids),
    }


def main() -> None:
    from tests.real_llm import MODEL_ALIAS, MODEL_FILE, REAL_PYTHON, start_llama_server

    if not (REAL_PYTHON.exists() and MODEL_FILE.exists()):
        sys.exit("llama.cpp's server is not installed: run `make bench-real`.")
    setup_django()
    model = f"openai/{MODEL_ALIAS}"
    rows = []
    for cache_on in (False, True):
        extra = ("--cache", "true") if cache_on else ()
        log = Path(VAR_DIR) / f"llama-{'cache' if cache_on else 'plain'}.log"
        proc, base_url = start_llama_server(log, *extra)
        try:
            for batch in BATCH_SIZES:
                row = {"prompt_cache": "on" if cache_on else "off", **run(batch, base_url, model)}
                print(json.dumps(row), flush=True)
                rows.append(row)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        f"\nGemma 3 270M (Q4_K_M) on llama.cpp's server, {os.cpu_count()} cores, one call at a time"
    )
    print(
        "| prompt cache | batch | s / article | LLM calls | valid replies "
        "| steps answered by their batch | scored | failed |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        in_batch = r["steps_answered_in_batches"]
        print(
            f"| {r['prompt_cache']} | {r['batch']} | {r['seconds_per_article']} | {r['llm_calls']} "
            f"| {r['valid_reply_share']:.0%} | {'–' if in_batch is None else f'{in_batch:.0%}'} "
            f"| {r['scored']}/{r['articles']} | {r['failed']} |"
        )
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    out = results / f"real-{datetime.now(UTC):%Y%m%dT%H%M%S}.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"\nresults: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
