"""G4.1 (part): what each LLM call cost, per model, in the admin: tokens, prompt-eval and eval
times from Ollama, cached tokens, and calls per article."""

from __future__ import annotations

import pytest
from django.urls import reverse

from llmconfig.models import LLMCall, UserSettings
from scoring import services
from tests.factories import ArticleFactory, calls_per_new_article

pytestmark = pytest.mark.django_db


def test_scoring_records_timings_per_article_and_the_admin_sums_them_per_model(
    fake_ollama, admin_client
):
    UserSettings.objects.update_or_create(pk=1, defaults={"categorization_model": "ollama/qwen3:4b"})  # fmt: skip
    articles = ArticleFactory.create_batch(2)
    for _ in articles:
        services.article_score(claim=services.article_claim(worker="w"))
    calls = list(LLMCall.objects.order_by("id"))
    per_article = calls_per_new_article()  # two, or one
    assert len(calls) == 2 * per_article
    assert {c.article_id for c in calls} == {a.id for a in articles}
    # The fake reports 1,000 ns for each phase (no latency set), as Ollama reports nanoseconds,
    # and the prompt tokens it counted; the two scoring prompts differ from the two
    # categorizing ones.
    assert {(c.prompt_eval_ms, c.eval_ms) for c in calls} == {(0.001, 0.001)}
    assert sum(c.prompt_tokens for c in calls) == fake_ollama.prompt_tokens
    page = admin_client.get(reverse("admin:llmconfig_llmcall_changelist"))
    assert page.status_code == 200
    (row,) = page.context["per_model"]
    assert (row["model_id"], row["calls"], row["articles"], row["calls_per_article"]) == (
        "ollama/qwen3:4b", 2 * per_article, 2, float(per_article),
    )  # fmt: skip
    assert row["mean_prompt_tokens"] == fake_ollama.prompt_tokens / (2 * per_article)
    assert 'id="per-model"' in page.content.decode()


def test_gemini_cached_tokens_are_recorded(fake_gemini, settings):
    from llmconfig.llm import get_adapter
    from llmconfig.schemas import TextAnswer

    settings.GOOGLE_GENAI_USE_VERTEXAI = False
    fake_gemini.cached_tokens = 12
    (call,) = get_adapter("gemini-2.5-flash").generate("x", TextAnswer).calls
    assert call.cached_tokens == 12
