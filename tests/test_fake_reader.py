"""The fake Ollama's prompt-following answers (`make demo`): deterministic, and ranking by
the reader's interests as Sift renders them into its real prompts."""

from __future__ import annotations

import pytest

from llmconfig.prompts import CATEGORIZATION_PROMPT, SCORING_PROMPT, render
from tests.factories import as_read
from tests.fakes import reader

pytestmark = pytest.mark.django_db


def score_prompt(title: str, content: str, interests: str, anti: str) -> str:
    return render(SCORING_PROMPT, interests=interests, anti_interests=anti, title=title, content=content)  # fmt: skip


def test_interest_follows_the_readers_interests():
    interests, anti = "Rust, PostgreSQL databases, self-hosting", "celebrity gossip, football"
    rust = reader.score(score_prompt("Rust 1.90 makes async easier", "The Rust compiler...", interests, anti))  # fmt: skip
    neutral = reader.score(score_prompt("A new bakery opens", "Bread and cakes.", interests, anti))
    gossip = reader.score(score_prompt("Celebrity gossip of the week", "A star and gossip.", interests, anti))  # fmt: skip
    assert rust["interest_score"] > neutral["interest_score"] > gossip["interest_score"]
    assert "Rust" in rust["reasoning"] and "celebrity gossip" in gossip["reasoning"]
    assert neutral["reasoning"] == "No clear link to your interests."
    # The phrases it matched are the reader's own, so the page's ✓ / ✗ chips show.
    assert rust["matched_interests"] == ["Rust"] and gossip["matched_anti_interests"] == ["celebrity gossip"]  # fmt: skip
    assert all(0 <= r["interest_score"] <= 10 and 0 <= r["quality_score"] <= 10 for r in (rust, neutral, gossip))  # fmt: skip
    # Deterministic: the same prompt, the same answer.
    assert reader.score(score_prompt("Rust 1.90 makes async easier", "The Rust compiler...", interests, anti)) == rust  # fmt: skip


def test_topics_come_from_the_articles_words():
    prompt = render(
        CATEGORIZATION_PROMPT,
        existing_categories="technology, science",
        title="Postgres 18 speeds up index queries",
        content="The database now plans SQL queries faster.",
    )
    assert reader.categorize(prompt)["categories"][0] == "databases"
    plain = render(CATEGORIZATION_PROMPT, existing_categories="", title="Hello", content="")
    assert reader.categorize(plain)["categories"] == ["technology"]


def test_the_fake_ollama_ranks_articles_through_the_real_pipeline(fake_ollama):
    from llmconfig.models import UserSettings
    from scoring import services
    from tests.factories import ArticleFactory, set_interests

    fake_ollama.follow_prompt = True
    UserSettings.objects.update_or_create(
        pk=1,
        defaults={
            "categorization_model": "ollama/qwen3:4b",
        },
    )
    set_interests("Rust, databases", "football")
    liked = ArticleFactory(title="Rust and databases", content="A Rust database driver.")
    other = ArticleFactory(title="Weekend football", content="The football league match.")
    while (claim := services.article_claim(worker="w")) is not None:
        services.article_score(claim=claim)
    liked, other = as_read(liked), as_read(other)
    assert liked.composite_score > other.composite_score
    assert "Rust" in liked.score_reasoning
    assert [c.name for c in other.categories.all()] == ["sports"]
