"""`make bench-real`: Sift's scoring pipeline against a real small model, not a fake.

llama.cpp's OpenAI-compatible server (llama-cpp-python) serves Qwen2.5-Coder 0.5B Instruct
(tests/real_llm.py) on 127.0.0.1;
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

One call per article (topics and scores in one answer, `call_modes`) runs at batch 1 and 5
beside two calls at 1, 5 and 10, with the output tokens per article.
`BENCH_REAL_CACHE=off` runs the plain server only.

These are figures about time and about replies that parse; `make bench-judgement` measures
the judgement.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.throwaway import use_throwaway_install

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = use_throwaway_install("sift-bench-real-")

ARTICLES = 10


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fresh_articles(base_url: str, model: str, mode: str) -> list[int]:
    """The bench's ten articles, queued for one reader (the demo's interests)."""
    from django.contrib.auth import get_user_model

    from accounts.models import Profile
    from articles.models import Article, Feed, Reading, Subscription
    from demo.articles import ANTI_INTERESTS, FEEDS, INTERESTS
    from llmconfig.models import LLMCall, UserSettings

    Article.objects.all().delete()
    Feed.objects.all().delete()
    LLMCall.objects.all().delete()
    us = UserSettings.load()
    us.openai_base_url = base_url
    us.categorization_model = model
    us.use_separate_models = False
    us.call_modes = {model: mode}
    us.save()
    reader, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True}
    )
    Profile.objects.update_or_create(
        user=reader, defaults={"interests": INTERESTS, "anti_interests": ANTI_INTERESTS}
    )
    now = datetime.now(UTC)
    items = [item for key in ("systems", "sky") for item in FEEDS[key][1]][:ARTICLES]
    feed = Feed.objects.create(url="https://bench.example/real.xml", title="Bench")
    Subscription.objects.create(reader=reader, feed=feed)
    rows = Article.objects.bulk_create(
        Article(
            feed=feed, title=title, url=f"https://bench.example/real/{i}", content=body,
            published_at=now - timedelta(minutes=i),
        )
        for i, (title, body) in enumerate(items)
    )  # fmt: skip
    Reading.objects.bulk_create(
        Reading(
            reader=reader, article=a, feed=feed, scoring_state=Article.ScoringState.QUEUED,
            queued_at=now + timedelta(microseconds=i),
        )
        for i, a in enumerate(rows)
    )  # fmt: skip
    return [a.id for a in rows]


def run(batch: int, base_url: str, model: str, mode: str) -> dict[str, Any]:
    from django.conf import settings
    from django.core.cache import cache
    from django.db.models import Sum

    from articles.models import Reading
    from llmconfig.models import LLMCall
    from scoring import services

    settings.SCORING_BATCH_SIZE = batch
    cache.clear()
    services.readiness_set(ready=True, reason="")
    ids = fresh_articles(base_url, model, mode)
    readings = Reading.objects.filter(article_id__in=ids)
    started = time.monotonic()
    while readings.filter(scoring_state__in=["queued", "scoring"]).exists():
        services.score_next_articles(worker="bench-real", budget_seconds=3600)
        if not services.readiness_get()["ready"]:
            raise RuntimeError(services.readiness_get()["reason"])
    seconds = time.monotonic() - started
    calls = list(LLMCall.objects.values_list("outcome", "articles"))
    ok = sum(1 for outcome, _ in calls if outcome == "ok")
    # Two calls: each article takes two steps (categorize, score); one call: one. A step not
    # answered by its batch (left out, or the batch fell back) was answered by its own call.
    steps = (1 if mode == "one" else 2) * len(ids)
    alone = sum(1 for outcome, n in calls if outcome == "ok" and n == 1)
    states = list(readings.values_list("scoring_state", flat=True))
    output = LLMCall.objects.aggregate(n=Sum("output_tokens"))["n"] or 0
    return {
        "calls_per_article": mode,
        "batch": batch,
        "seconds_per_article": round(seconds / len(ids), 2),
        "llm_calls": len(calls),
        "output_tokens_per_article": round(output / len(ids), 1),
        "batched_calls": sum(1 for _, n in calls if n > 1),
        "valid_reply_share": round(ok / max(1, len(calls)), 2),
        "steps_answered_in_batches": round(1 - alone / steps, 2) if batch > 1 else None,
        "scored": states.count("scored"),
        "failed": states.count("failed"),
        "articles": len(ids),
    }


# (calls per article, batch): two calls at 1, 5 and 10 as before; one call at 1 and 5.
RUNS = [("two", 1), ("two", 5), ("two", 10), ("one", 1), ("one", 5)]


def main() -> None:
    from tests.real_llm import MODEL_ALIAS, MODEL_FILE, REAL_PYTHON, start_llama_server

    if not (REAL_PYTHON.exists() and MODEL_FILE.exists()):
        sys.exit("llama.cpp's server is not installed: run `make bench-real`.")
    setup_django()
    model = f"openai/{MODEL_ALIAS}"
    rows = []
    caches = os.environ.get("BENCH_REAL_CACHE", "off,on").split(",")
    for cache_on in (c == "on" for c in caches):
        extra = ("--cache", "true") if cache_on else ()
        log = Path(VAR_DIR) / f"llama-{'cache' if cache_on else 'plain'}.log"
        proc, base_url = start_llama_server(log, *extra)
        try:
            for mode, batch in RUNS:
                cache_name = "on" if cache_on else "off"
                try:
                    row = {"prompt_cache": cache_name, **run(batch, base_url, model, mode)}
                except RuntimeError as exc:  # the server died (seen with --cache): say so, go on
                    row = {"prompt_cache": cache_name, "calls_per_article": mode, "batch": batch,
                           "error": str(exc)}  # fmt: skip
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                    break
                print(json.dumps(row), flush=True)
                rows.append(row)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(
        f"\n{MODEL_ALIAS} (Q4_K_M) on llama.cpp's server, {os.cpu_count()} cores, one call at a time"
    )
    print(
        "| prompt cache | calls / article | batch | s / article | LLM calls "
        "| output tokens / article | valid replies | steps answered by their batch "
        "| scored | failed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(
                f"| {r['prompt_cache']} | {r['calls_per_article']} | {r['batch']} | {r['error']} |"
            )
            continue
        in_batch = r["steps_answered_in_batches"]
        print(
            f"| {r['prompt_cache']} | {r['calls_per_article']} | {r['batch']} "
            f"| {r['seconds_per_article']} | {r['llm_calls']} | {r['output_tokens_per_article']} "
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
