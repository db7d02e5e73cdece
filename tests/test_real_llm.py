"""Sift's whole pipeline against a real LLM server written by others: llama.cpp's
OpenAI-compatible server (llama-cpp-python) with Qwen2.5-Coder 0.5B Instruct, a small
instruction-tuned model (its file pinned by sha256).

Run by `make test-real` (which installs the server and the model, see tools/real_llm) and by
CI as its last pass; skipped in `make test`. This tests the plumbing and the validation
against real replies; how good its judgement is, `make bench-judgement` measures.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

import pytest

from articles.models import Article, Reading
from demo.articles import ANTI_INTERESTS, FEEDS, INTERESTS
from llmconfig.models import LLMCall, UserSettings
from tests.factories import set_interests
from tests.fakes.feeds import Route
from tests.live import Worker
from tests.real_llm import MODEL_ALIAS, MODEL_FILE, REAL_PYTHON, start_llama_server

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(
        os.environ.get("SIFT_TEST_REAL") != "1",
        reason="the real LLM server runs in `make test-real` (CI's last pass)",
    ),
]
State = Article.ScoringState


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory) -> Iterator[str]:
    assert REAL_PYTHON.exists() and MODEL_FILE.exists(), "run `make test-real` (installs them)"
    proc, base_url = start_llama_server(tmp_path_factory.mktemp("llama") / "server.log")
    yield base_url
    proc.terminate()
    proc.wait(timeout=20)


def rss(title: str, items: list[tuple[str, str]], base: str) -> bytes:
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(headline)}</title><link>{base}/{i}.html</link>"
        f"<guid>{base}/{i}.html</guid><pubDate>{format_datetime(now - timedelta(hours=i))}"
        f"</pubDate><description>{escape(body)}</description></item>"
        for i, (headline, body) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{base}/</link><description>x</description>"
        f"{entries}</channel></rss>"
    ).encode()


@pytest.mark.django_db(transaction=True)
def test_the_whole_pipeline_against_llama_cpp(api, feeds, llama_server):
    title, items = FEEDS["systems"]
    feeds.routes["/systems.xml"] = Route(body=rss(title, items, feeds.url))
    us = UserSettings.load()
    us.openai_base_url = llama_server
    us.categorization_model = f"openai/{MODEL_ALIAS}"
    us.save()
    set_interests(INTERESTS, ANTI_INTERESTS)

    worker = Worker(
        concurrency=2, LLM_MAX_IN_FLIGHT=1, LLM_READ_TIMEOUT=120, LLM_RETRY_MAX_WAIT=2
    ).start()
    try:
        started = time.monotonic()
        response = api.post("/api/feeds", {"url": f"{feeds.url}/systems.xml"}, format="json")
        assert response.status_code == 201, response.content
        total = Article.objects.count()
        assert total == len(items)
        settled = (State.SCORED, State.FAILED)
        deadline = time.monotonic() + 900
        while Reading.objects.filter(scoring_state__in=settled).count() < total:
            assert time.monotonic() < deadline, list(Reading.objects.values("scoring_state"))
            time.sleep(1)
        seconds = time.monotonic() - started
    finally:
        worker.stop()

    scored = list(
        Reading.objects.filter(scoring_state=State.SCORED).prefetch_related("article__categories")
    )
    failed = list(Reading.objects.filter(scoring_state=State.FAILED))
    for reading in scored:
        assert 0 <= reading.interest_score <= 10 and 0 <= reading.quality_score <= 10
        assert 0 <= reading.composite_score <= 20
        names = [c.name for c in reading.article.categories.all()]
        assert 1 <= len(names) <= 4 and all(KEBAB.match(n) for n in names), names
    for reading in failed:
        assert reading.scoring_error, "a failed article keeps its error"
    calls = list(LLMCall.objects.values_list("outcome", flat=True))
    reasked = calls.count("invalid")
    print(
        f"\n[real] model={MODEL_ALIAS} articles={total} scored={len(scored)} "
        f"failed={len(failed)} seconds_per_article={seconds / total:.1f} "
        f"llm_calls={len(calls)} reasked_share={reasked / max(1, len(calls)):.2f}"
    )
    assert len(scored) * 2 >= total, [a.scoring_error for a in failed]
