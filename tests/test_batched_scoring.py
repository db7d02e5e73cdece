"""G4.2: batched scoring. Up to N claimed articles go into one categorizing and one scoring
call, each wrapped with its id; the reply is a list keyed by id. Every per-article guarantee
of unbatched scoring holds: claims and tokens, priority, in-flight limit, pause on outage."""

from __future__ import annotations

import json
import re

import ollama
import pytest

from articles.models import Article, Category, Reading
from llmconfig.llm.ollama import num_ctx
from llmconfig.models import LLMCall, UserSettings
from scoring import services
from scoring.services import Outcome
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    FeedFactory,
    ScoredArticleFactory,
    articles_enqueue,
    articles_rescore,
    as_read,
    claimed_article_ids,
    default_reader,
    read_by,
    set_interests,
)
from tests.live import Worker, purge_queues, wait_for

pytestmark = pytest.mark.django_db
State = Article.ScoringState
ARTICLE_ID = re.compile(r'<article id="(\d+)">')


@pytest.fixture
def llm(fake_ollama, settings):
    settings.SCORING_BATCH_SIZE = 5
    settings.LLM_MAX_IN_FLIGHT = 2
    us = UserSettings.load()
    us.categorization_model = "ollama/qwen3:4b"
    us.save()
    set_interests("databases, rust")
    return fake_ollama


def run_batch(worker: str = "w1", limit: int = 5) -> list[Outcome]:
    claims = services.articles_claim(worker=worker, limit=limit)
    return services.articles_score(
        claims=claims, context=services.ScoringContext.load(default_reader().pk)
    )


def chats(fake) -> list[dict]:
    return [c.body for c in fake.calls("/api/chat")]


def ids_in(body: dict) -> list[int]:
    return [int(i) for i in ARTICLE_ID.findall(body["messages"][-1]["content"])]


@pytest.mark.two_calls
def test_five_articles_take_one_categorizing_and_one_scoring_call(llm):
    articles = ArticleFactory.create_batch(5)
    outcomes = services.score_next_articles(worker="w1", budget_seconds=60)
    assert outcomes == {"scored": 5}
    bodies = chats(llm)
    assert [b["format"]["title"] for b in bodies] == ["BatchCategorization", "BatchScoring"]
    # Each article wrapped with its id, in claim order (oldest queued first).
    assert ids_in(bodies[0]) == ids_in(bodies[1]) == [a.id for a in articles]
    for article in (as_read(x) for x in articles):
        assert article.scoring_state == State.SCORED
        assert (article.interest_score, article.quality_score) == (7, 7)
        assert [c.name for c in article.categories.all()] == ["technology"]
        assert article.composite_score == pytest.approx(7 * 0.85)
        assert article.claim_token == ""
    # One record per call, for all five articles; the admin's calls per article is 2/5.
    assert list(LLMCall.objects.values_list("purpose", "articles", "outcome")) == [
        ("score", 5, "ok"),
        ("categorize", 5, "ok"),
    ]
    (row,) = LLMCall.objects.per_model()
    assert (row["calls"], row["articles"]) == (2, 5)


@pytest.mark.two_calls
def test_the_static_rubric_comes_first_and_the_articles_last(llm):
    ArticleFactory.create_batch(2)
    run_batch()
    categorize, score = (b["messages"][-1]["content"] for b in chats(llm))
    assert categorize.startswith("Categorize each of the articles below")
    assert score.startswith("Score each of the articles below")
    first_article = ARTICLE_ID.search(score)
    assert first_article is not None
    assert score.index("**User Interests:**\ndatabases, rust") < first_article.start()
    assert categorize.rstrip().endswith("Categorize every article above now.")


def test_the_prompts_follow_the_reader_per_article(llm):
    """The demo's fake reads each wrapped article on its own: a batch ranks like singles."""
    llm.follow_prompt = True
    rusty = ArticleFactory(title="Rust 2.0 and the database story", content="rust databases")
    other = ArticleFactory(title="Celebrity gossip", content="red carpet film star")
    run_batch()
    rusty.refresh_from_db()
    other.refresh_from_db()
    assert rusty.interest_score > other.interest_score
    assert "databases" in rusty.score_reasoning and "rust" in rusty.score_reasoning


@pytest.mark.two_calls
def test_ids_the_model_invents_are_ignored_and_missing_articles_go_back_alone(llm):
    articles = ArticleFactory.create_batch(3)
    llm.faults.batch_invent_next = 1  # the categorizing reply adds an article never asked about
    llm.faults.batch_drop_next = 2  # both replies leave out their last article
    outcomes = run_batch()
    assert sorted(outcomes) == sorted([Outcome.SCORED, Outcome.RELEASED, Outcome.RELEASED])
    first, second, third = (as_read(a) for a in articles)
    assert first.scoring_state == State.SCORED
    # Left out of a reply: queued again (not failed, no attempt counted), marked to go alone.
    for missed in (second, third):
        assert missed.scoring_state == State.QUEUED and missed.claim_token == ""
        assert missed.batch_missed and missed.scoring_attempts == 0
    assert not Article.objects.filter(id=987654321).exists()
    # Next round: each missed article is asked alone, with the single prompts.
    llm.requests.clear()
    assert sorted(run_batch()) == [Outcome.SCORED, Outcome.SCORED]
    # The second was categorized (topics are stored for every reader as soon as they are
    # asked): only its scoring call is made again; the third is asked both.
    assert [b["format"]["title"] for b in chats(llm)] == [
        "ScoringResult", "CategorizationResult", "ScoringResult",
    ]  # fmt: skip
    assert Reading.objects.filter(scoring_state=State.SCORED, batch_missed=False).count() == 3


@pytest.mark.two_calls
def test_a_malformed_batch_is_reasked_once_then_falls_back_to_one_call_per_article(llm):
    articles = ArticleFactory.create_batch(3)
    llm.faults.malformed_next = 2  # the batched categorizing call and its re-ask
    assert run_batch() == [Outcome.SCORED] * 3
    titles = [b["format"]["title"] for b in chats(llm)]
    assert titles == ["BatchCategorization"] * 2 + ["CategorizationResult"] * 3 + ["BatchScoring"]
    # The re-ask carried the exact error; no article failed or lost an attempt.
    reask = chats(llm)[1]["messages"][-1]["content"]
    assert "not valid JSON" in reask or "validation error" in reask
    assert all(
        a.scoring_state == State.SCORED and a.scoring_attempts == 0
        for a in (as_read(x) for x in articles)
    )
    assert list(
        LLMCall.objects.filter(articles=3).order_by("id").values_list("outcome", flat=True)
    ) == ["invalid", "invalid", "ok"]


@pytest.mark.two_calls
def test_an_out_of_range_score_in_a_batch_is_never_stored(llm):
    """A 0–10 field answered 100 is invalid for the whole reply: re-asked, then one by one."""
    ArticleFactory.create_batch(2)

    def responder(body):
        if body["format"]["title"] == "BatchScoring":
            ids = ids_in({"messages": [body["messages"][0]]})
            return json.dumps({"articles": [
                {"id": i, "interest_score": 100, "quality_score": 5, "reasoning": "x"} for i in ids
            ]})  # fmt: skip
        if body["format"]["title"] == "BatchCategorization":
            ids = ids_in({"messages": [body["messages"][0]]})
            return json.dumps({"articles": [{"id": i, "categories": ["rust"]} for i in ids]})
        if body["format"]["title"] == "ScoringResult":
            return json.dumps({"interest_score": 6, "quality_score": 5, "reasoning": "ok"})
        raise AssertionError(body["format"]["title"])

    llm.responder = responder
    assert run_batch() == [Outcome.SCORED] * 2
    assert set(Reading.objects.values_list("interest_score", flat=True)) == {6}
    assert [b["format"]["title"] for b in chats(llm)] == [
        "BatchCategorization", "BatchScoring", "BatchScoring", "ScoringResult", "ScoringResult",
    ]  # fmt: skip


@pytest.mark.two_calls
def test_rescores_lead_the_batch_and_score_only_keeps_topics(llm):
    normal = ArticleFactory.create_batch(3)
    rescored = ScoredArticleFactory(categorization_model="ollama/qwen3:4b")
    rescored.categories.add(Category.objects.get_or_create(name="databases")[0])
    articles_rescore(ids=[rescored.id], mode=Article.RescoreMode.SCORE_ONLY)
    claims = services.articles_claim(worker="w1", limit=5)
    assert claimed_article_ids(claims) == [rescored.id] + [a.id for a in normal]
    assert len({c.token for c in claims}) == 1  # one call's worth: one token
    services.articles_score(
        claims=claims, context=services.ScoringContext.load(default_reader().pk)
    )
    categorize, score = chats(llm)
    assert ids_in(categorize) == [a.id for a in normal]  # its topics are kept: not asked
    assert ids_in(score) == [rescored.id] + [a.id for a in normal]
    rescored.refresh_from_db()
    assert [c.name for c in rescored.categories.all()] == ["databases"]
    assert rescored.scoring_priority == 0 and rescored.rescore_mode is None


@pytest.mark.two_calls
def test_a_blocked_topic_skips_the_scoring_call_for_that_article_only(llm):
    CategoryFactory(name="technology", weight="blocked")
    llm.responder = lambda body: json.dumps(
        {"articles": [
            {"id": i, "categories": ["technology" if n == 0 else "rust"]}
            for n, i in enumerate(ids_in({"messages": [body["messages"][0]]}))
        ]}
        if body["format"]["title"] == "BatchCategorization"
        else {"interest_score": 8, "quality_score": 8, "reasoning": "fine"}
    )  # fmt: skip
    first, second = ArticleFactory.create_batch(2)
    assert run_batch() == [Outcome.SCORED] * 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.composite_score == 0 and first.interest_score is None
    assert second.interest_score == 8
    # The only article left to score went alone, with the single prompt.
    assert [b["format"]["title"] for b in chats(llm)] == ["BatchCategorization", "ScoringResult"]


def test_an_article_deleted_after_its_claim_does_not_stop_the_batch(llm):
    gone, kept = ArticleFactory.create_batch(2)
    claims = services.articles_claim(worker="w1", limit=5)
    Article.objects.filter(id=gone.id).delete()  # its feed removed meanwhile
    outcomes = services.articles_score(
        claims=claims, context=services.ScoringContext.load(default_reader().pk)
    )
    assert outcomes == [Outcome.LOST, Outcome.SCORED]
    assert Reading.objects.get(article_id=kept.id).scoring_state == State.SCORED


def test_a_batch_counts_as_one_call_against_the_in_flight_limit(llm, settings):
    settings.LLM_MAX_IN_FLIGHT = 1
    ArticleFactory.create_batch(8)
    first = services.articles_claim(worker="a", limit=5)
    assert len(first) == 5
    assert services.articles_claim(worker="b", limit=5) == []  # one call in flight already
    settings.LLM_MAX_IN_FLIGHT = 2
    second = services.articles_claim(worker="b", limit=5)
    assert len(second) == 3 and second[0].token != first[0].token


def test_an_outage_puts_the_whole_batch_back_and_pauses(llm):
    articles = ArticleFactory.create_batch(4)
    llm.stop()
    try:
        assert run_batch() == [Outcome.PAUSED] * 4
    finally:
        llm.start()
    assert set(Reading.objects.values_list("scoring_state", "claim_token", "scoring_attempts")) == {
        (State.QUEUED, "", 0)
    }
    assert services.readiness_get()["ready"] is False
    assert services.score_next_articles(worker="w1", budget_seconds=60) == {"scored": len(articles)}
    assert services.readiness_get()["ready"] is True


@pytest.mark.two_calls
def test_a_batch_is_cut_to_fit_the_models_context(llm, settings):
    """Ollama's num_ctx (from /api/show) bounds the prompt: a batch that would not fit is
    split rather than cut off silently by Ollama."""
    llm.num_ctx = 1500
    body = "A long paragraph about storage engines and their write paths. " * 25  # ~400 tokens
    ArticleFactory.create_batch(5, content=body)
    assert run_batch() == [Outcome.SCORED] * 5
    sizes = [len(ids_in(b)) or 1 for b in chats(llm)]
    assert sum(sizes) == 10 and max(sizes) < 5  # every article asked twice, never all five
    for b in chats(llm):  # and no prompt beyond the window (4 characters a token, as counted)
        assert len(b["messages"][-1]["content"]) // 4 < 1500
    # The setting overrides what the server says.
    settings.SCORING_NUM_CTX = 100_000
    llm.requests.clear()
    ArticleFactory.create_batch(5, content=body)
    run_batch()
    assert [len(ids_in(b)) for b in chats(llm)] == [5, 5]


@pytest.mark.two_calls
def test_each_model_can_have_its_own_batch_size(llm, settings, api):
    settings.SCORING_BATCH_SIZE = 1
    response = api.put("/api/settings", {"batch_sizes": {"ollama/qwen3:4b": 3}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["batch_sizes"] == {"ollama/qwen3:4b": 3}
    ArticleFactory.create_batch(4)
    services.score_next_articles(worker="w1", budget_seconds=60)
    assert [len(ids_in(b)) for b in chats(llm)] == [3, 3, 0, 0]  # a batch of 3, then one alone


@pytest.mark.two_calls
def test_the_rescore_preview_counts_batched_calls(llm, settings):
    articles = ScoredArticleFactory.create_batch(7)
    ids = Reading.objects.filter(article_id__in=[a.id for a in articles])
    # Batches of 5: 7 articles take 2 categorizing and 2 scoring calls.
    assert services.rescore_cost(readings=ids, mode=Article.RescoreMode.FULL) == {
        "articles": 7,
        "llm_calls": 4,
    }
    settings.SCORING_BATCH_SIZE = 1
    assert services.rescore_cost(readings=ids, mode=Article.RescoreMode.FULL)["llm_calls"] == 14


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"ollama/qwen3:4b": 0}, "batch_sizes"),
        ({"ollama/qwen3:4b": 21}, "batch_sizes"),
        ({"ollama/qwen3:4b": "5"}, "batch_sizes"),
        ({"nope": 5}, "batch_sizes"),
        ([5], "batch_sizes"),
    ],
)
def test_bad_batch_sizes_are_refused_naming_the_field(api, value, field):
    response = api.put("/api/settings", {"batch_sizes": value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert UserSettings.load().batch_sizes == {}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_workers_score_in_batches_within_the_limit(fake_ollama):
    fake_ollama.latency = 0.05
    fake_ollama.set_slots(8)
    UserSettings.objects.update_or_create(pk=1, defaults={"categorization_model": "ollama/qwen3:4b"})  # fmt: skip
    purge_queues()
    worker = Worker(
        name="batches", concurrency=3, LLM_MAX_IN_FLIGHT=2, SCORING_BATCH_SIZE=5
    ).start()
    try:
        feed = FeedFactory()
        rows = Article.objects.bulk_create(
            Article(feed=feed, title=f"Batch {i}", url=f"https://example.com/batch/{i}")
            for i in range(20)
        )
        read_by(rows)
        ids = [a.id for a in rows]
        articles_enqueue(ids=ids)
        wait_for(
            lambda: (
                Reading.objects.filter(article_id__in=ids, scoring_state="scored").count() == 20
            ),
            timeout=60,
            message="every article scored",
        )
    finally:
        worker.stop()
    assert fake_ollama.max_in_flight <= 2
    # Batches of up to 5: far fewer than two calls per article.
    assert len(fake_ollama.calls("/api/chat")) <= 2 * 20 / 5 + 4
    assert not Reading.objects.filter(article_id__in=ids).exclude(claim_token="").exists()


@pytest.mark.parametrize(
    ("parameters", "model_info", "expected"),
    [
        ('num_ctx                        8192\nstop "<|im_end|>"', {}, 8192),
        ('stop "<|im_end|>"', {"qwen3.context_length": 40960}, 4096),  # Ollama's default
        ("", {"gemma3.context_length": 2048}, 2048),  # never more than it was trained for
        ("", {}, 4096),
    ],
)
def test_the_context_ollama_runs_a_model_with(parameters, model_info, expected):
    shown = ollama.ShowResponse.model_validate({"parameters": parameters, "model_info": model_info})
    assert num_ctx(shown) == expected
