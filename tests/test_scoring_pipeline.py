"""Scoring semantics, against the fake Ollama, calling the services the tasks call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, Category, Reading
from llmconfig.models import LLMCall, PromptTemplate, UserSettings
from scoring import services
from scoring.services import Outcome
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    ScoredArticleFactory,
    articles_enqueue,
    articles_rank,
    articles_rescore,
    as_read,
    claimed_article_ids,
    default_reader,
    one_call,
    reading_of,
    set_interests,
)

pytestmark = pytest.mark.django_db
State = Article.ScoringState


@pytest.fixture
def llm(fake_ollama):
    """Point the stored settings at the fake's installed model."""
    us = UserSettings.load()
    us.categorization_model = "ollama/qwen3:4b"
    us.save()
    return fake_ollama


def run_one(worker: str = "w1") -> Outcome:
    claim = services.article_claim(worker=worker)
    return Outcome.EMPTY if claim is None else services.article_score(claim=claim)


@pytest.mark.parametrize(
    ("interest", "quality", "weights", "expected"),
    [
        (8, 7, ["neutral"], 8 * 1 * 0.85),
        (8, 7, ["blocked"], 0.0),
        (8, 7, ["blocked", "high"], 0.0),  # one blocked topic blocks the article
        (10, 10, ["high"], 20.0),
        (8, 10, ["medium"], 12.0),
        (8, 10, ["neutral", "medium"], 10.0),
        (9, 9, ["high", "high"], 17.1),
        (7, 6, [], 7 * 0.8),
    ],
)
def test_composite_score_examples(interest, quality, weights, expected):
    article = ScoredArticleFactory(interest_score=interest, quality_score=quality)
    for i, weight in enumerate(weights):
        article.categories.add(CategoryFactory(name=f"topic-{i}", weight=weight))
    assert articles_rank(articles=Article.objects.filter(id=article.id)) == 1
    article.refresh_from_db()
    assert article.composite_score == pytest.approx(expected)


@pytest.mark.two_calls
def test_full_scoring_categorizes_then_scores_and_records_versions(llm):
    article = ArticleFactory()
    assert run_one() is Outcome.SCORED
    article.refresh_from_db()
    assert article.scoring_state == State.SCORED
    assert [c.name for c in article.categories.all()] == ["technology"]
    assert article.interest_score == 7 and article.quality_score == 7
    assert article.composite_score == pytest.approx(7 * 1.0 * (0.5 + 7 / 20))
    assert article.categorization_model == article.scoring_model == "ollama/qwen3:4b"
    assert article.categorization_prompt_version == 1 and article.scoring_prompt_version == 1
    assert [c.body["format"]["title"] for c in llm.calls("/api/chat")] == [
        "CategorizationResult",
        "ScoringResult",
    ]
    assert list(LLMCall.objects.values_list("purpose", flat=True).order_by("id")) == [
        "categorize",
        "score",
    ]


@pytest.mark.two_calls
def test_prompts_put_rubric_first_and_fill_interests(llm):
    set_interests("Rust and databases")
    ArticleFactory(title="Postgres 18 released")
    run_one()
    cat, score = (c.body["messages"][-1]["content"] for c in llm.calls("/api/chat"))
    assert cat.startswith("Categorize this article into 1-4 topic categories.")
    assert "technology" in cat and "Postgres 18 released" in cat
    assert score.startswith("Score this article")
    assert "Rust and databases" in score and "**Anti-Interests:**\nNot specified" in score


@pytest.mark.two_calls
def test_content_is_cut_to_the_configured_length(llm, settings):
    settings.SCORING_CATEGORIZE_CHARS = 100
    ArticleFactory(content="x" * 5000)
    run_one()
    prompt = llm.calls("/api/chat")[0].body["messages"][-1]["content"]
    assert "x" * 100 in prompt and "x" * 101 not in prompt


@pytest.mark.two_calls
def test_category_names_are_normalized_and_created(llm):
    llm.responder = lambda body: (
        '{"categories": ["Web_Development", "AI / ML", "Open Source"], "suggested_new": []}'
        if body["format"]["title"] == "CategorizationResult"
        else '{"interest_score": 5, "quality_score": 5, "reasoning": "ok"}'
    )
    article = ArticleFactory()
    run_one()
    assert sorted(c.name for c in article.categories.all()) == [
        "ai-ml",
        "open-source",
        "web-development",
    ]


@pytest.mark.two_calls
def test_blocked_category_short_circuits_without_scoring_call(llm):
    CategoryFactory(name="technology", weight=Category.Weight.BLOCKED)
    article = ArticleFactory()
    run_one()
    article.refresh_from_db()
    # No score is invented: the LLM was not asked, so there is none to restore later.
    assert (article.interest_score, article.quality_score) == (None, None)
    assert article.composite_score == 0 and article.scoring_state == State.SCORED
    assert len(llm.calls("/api/chat")) == 1


def test_weights_shape_the_composite(llm):
    CategoryFactory(name="technology", weight=Category.Weight.HIGH)
    article = ArticleFactory()
    run_one()
    article.refresh_from_db()
    assert article.composite_score == pytest.approx(7 * 2.0 * (0.5 + 7 / 20))


def test_score_only_rescore_makes_exactly_one_call(llm):
    article = ScoredArticleFactory()
    article.categories.set([CategoryFactory(name="science")])
    articles_rescore(ids=[article.id], mode=Article.RescoreMode.SCORE_ONLY)
    run_one()
    article.refresh_from_db()
    assert len(llm.calls("/api/chat")) == 1
    assert [c.name for c in article.categories.all()] == ["science"]
    assert (article.scoring_state, article.scoring_priority, article.rescore_mode) == (
        State.SCORED,
        0,
        None,
    )


@pytest.mark.two_calls
def test_full_rescore_makes_two_calls(llm):
    article = ScoredArticleFactory()
    article.categories.set([CategoryFactory(name="science")])
    articles_rescore(ids=[article.id], mode=Article.RescoreMode.FULL)
    run_one()
    assert len(llm.calls("/api/chat")) == 2
    assert [c.name for c in article.categories.all()] == ["technology"]


def test_rescoring_article_keeps_its_old_score_visible(llm):
    article = ScoredArticleFactory()
    articles_rescore(ids=[article.id], mode=Article.RescoreMode.FULL)
    article.refresh_from_db()
    assert article.is_rescoring and article.composite_score is not None
    assert Reading.objects.visible().filter(article_id=article.id).exists()


def test_models_are_read_from_settings_for_every_article(llm):
    llm.installed["qwen3:8b"] = llm.catalog["qwen3:8b"]
    ArticleFactory.create_batch(2)
    run_one()
    us = UserSettings.load()
    us.use_separate_models = True
    us.scoring_model = "ollama/qwen3:8b"
    us.save()
    run_one()
    models = [c.body["model"] for c in llm.calls("/api/chat")]
    # One call per new article goes to one model: separate models always take two.
    first = ["qwen3:4b"] if one_call() else ["qwen3:4b", "qwen3:4b"]
    assert models == [*first, "qwen3:4b", "qwen3:8b"]


@pytest.mark.two_calls
def test_prompt_edit_bumps_version_recorded_on_the_article(llm):
    prompt = PromptTemplate.objects.get(name="scoring")
    prompt.text = "New rubric. " + prompt.text
    prompt.save()
    article = ArticleFactory()
    run_one()
    article.refresh_from_db()
    assert article.scoring_prompt_version == 2
    assert llm.calls("/api/chat")[1].body["messages"][-1]["content"].startswith("New rubric.")


def test_rescores_are_claimed_before_older_normal_work(llm, settings):
    settings.LLM_MAX_IN_FLIGHT = 10  # claims held at once, none finished
    normal = ArticleFactory.create_batch(3, queued_at=timezone.now() - timedelta(hours=1))
    rescored = ScoredArticleFactory()
    articles_rescore(ids=[rescored.id], mode=Article.RescoreMode.FULL)
    claim = services.article_claim(worker="w")
    assert claimed_article_ids([claim]) == [rescored.id]
    claims = [services.article_claim(worker="w") for _ in normal]
    assert set(claimed_article_ids(claims)) == {a.id for a in normal}
    assert services.article_claim(worker="w") is None


def test_a_claim_is_refused_while_the_limit_is_in_flight(llm, settings):
    settings.LLM_MAX_IN_FLIGHT = 2
    ArticleFactory.create_batch(4)
    first, second = services.article_claim(worker="a"), services.article_claim(worker="b")
    assert first and second
    assert services.article_claim(worker="c") is None  # two in flight: no third
    assert services.article_score(claim=first) is Outcome.SCORED
    assert services.article_claim(worker="c") is not None  # a slot came free


def test_unreachable_llm_pauses_without_failing(llm):
    llm.stop()
    article = ArticleFactory()
    assert run_one() is Outcome.PAUSED
    article.refresh_from_db()
    assert article.scoring_state == State.QUEUED and article.scoring_attempts == 0
    status = services.scoring_status(reader_id=default_reader().pk)
    assert status["ready"] is False and status["paused"] is True and status["phase"] == "idle"
    assert "unreachable" in status["reason"]
    llm.start()
    assert run_one() is Outcome.SCORED
    assert services.scoring_status(reader_id=default_reader().pk)["ready"] is True


def test_missing_model_pauses(llm):
    UserSettings.objects.update(categorization_model="ollama/not-pulled:1b")
    article = ArticleFactory()
    assert run_one() is Outcome.PAUSED
    article.refresh_from_db()
    assert article.scoring_state == State.QUEUED
    assert "not-pulled:1b" in services.scoring_status(reader_id=default_reader().pk)["reason"]


@pytest.mark.two_calls
def test_invalid_output_fails_after_configured_attempts_keeping_raw(llm, settings):
    settings.SCORING_MAX_ATTEMPTS = 2
    llm.responder = lambda body: "not json at all"
    article = ArticleFactory()
    assert run_one() is Outcome.RETRY
    article.refresh_from_db()
    assert (article.scoring_state, article.scoring_attempts) == (State.QUEUED, 1)
    assert run_one() is Outcome.FAILED
    article.refresh_from_db()
    assert article.scoring_state == State.FAILED
    assert "CategorizationResult" in article.scoring_error
    assert article.scoring_raw_output == "not json at all"


def test_a_lost_claim_writes_nothing(llm):
    article = ArticleFactory()
    claim = services.article_claim(worker="w1")
    # The sweep decided w1 was dead and w2 took the article over.
    Reading.objects.filter(article_id=article.id).update(scoring_state=State.QUEUED)
    claim2 = services.article_claim(worker="w2")
    assert services.article_score(claim=claim) is Outcome.LOST
    article.refresh_from_db()
    assert article.scoring_state == State.SCORING and article.scored_at is None
    assert services.article_score(claim=claim2) is Outcome.SCORED


def test_sweep_reclaims_stale_claims_and_adopts_unscored(llm, settings):
    stale = ArticleFactory(
        scoring_state=State.SCORING, claimed_at=timezone.now() - timedelta(hours=1), claim_token="x"
    )
    fresh = ArticleFactory(scoring_state=State.SCORING, claimed_at=timezone.now(), claim_token="y")
    unscored = ArticleFactory(scoring_state=State.UNSCORED, queued_at=None)
    result = services.queue_sweep()
    assert result["reclaimed"] == 1 and result["adopted"] == 1
    assert Reading.objects.get(article_id=stale.id).scoring_state == State.QUEUED
    assert Reading.objects.get(article_id=fresh.id).scoring_state == State.SCORING
    assert Reading.objects.get(article_id=unscored.id).scoring_state == State.QUEUED


def test_sweep_sends_when_work_is_stuck(llm, settings, django_capture_on_commit_callbacks):
    ArticleFactory.create_batch(3)
    settings.LLM_MAX_IN_FLIGHT = 2
    with django_capture_on_commit_callbacks() as callbacks:
        result = services.queue_sweep()
    assert result["sent"] == 2 and len(callbacks) == 1
    services.article_claim(worker="w")  # a claim just happened: the queue is moving
    assert services.queue_sweep()["sent"] == 0


def test_worker_restart_releases_its_claims(llm):
    mine = ArticleFactory(
        scoring_state=State.SCORING, claimed_by="sift@a", claimed_at=timezone.now()
    )
    other = ArticleFactory(
        scoring_state=State.SCORING, claimed_by="sift@b", claimed_at=timezone.now()
    )
    assert services.claims_release(worker="sift@a") == 1
    assert Reading.objects.get(article_id=mine.id).scoring_state == State.QUEUED
    assert Reading.objects.get(article_id=other.id).scoring_state == State.SCORING


def test_enqueue_moves_only_unscored_and_failed(llm):
    a = ArticleFactory(scoring_state=State.UNSCORED)
    b = ArticleFactory(scoring_state=State.FAILED, scoring_attempts=3)
    c = ScoredArticleFactory()
    assert articles_enqueue(ids=[a.id, b.id, c.id]) == 2
    assert as_read(b).scoring_attempts == 0
    assert Reading.objects.get(article_id=c.id).scoring_state == State.SCORED


def test_a_task_scores_until_the_queue_is_empty(llm):
    ArticleFactory.create_batch(5)
    outcomes = services.score_next_articles(worker="w", budget_seconds=60)
    assert outcomes == {"scored": 5}
    assert Reading.objects.filter(scoring_state=State.SCORED).count() == 5


def test_a_task_hands_over_when_its_budget_is_spent(llm, django_capture_on_commit_callbacks):
    ArticleFactory.create_batch(3)
    with django_capture_on_commit_callbacks() as callbacks:
        outcomes = services.score_next_articles(worker="w", budget_seconds=0)
    assert outcomes == {"scored": 1}
    assert len(callbacks) == 1  # one successor message for the two left


def test_a_task_stops_at_a_pause(llm):
    llm.stop()
    ArticleFactory.create_batch(3)
    assert services.score_next_articles(worker="w", budget_seconds=60) == {"paused": 1}
    assert Reading.objects.filter(scoring_state=State.QUEUED).count() == 3


def test_an_html_page_from_the_llms_address_is_asked_again(llm):
    """A 200 carrying a proxy's HTML page failed the article at the first attempt."""
    article = ArticleFactory()
    llm.faults.html_next = 1
    assert run_one() is Outcome.SCORED
    article.refresh_from_db()
    assert article.scoring_state == State.SCORED
    assert list(LLMCall.objects.order_by("id").values_list("outcome", flat=True))[:2] == [
        "failed",
        "ok",
    ]


def test_a_list_longer_than_the_schema_allows_is_trimmed_not_reasked(llm):
    """Seven matched interests where the schema allows a few were re-asked nine times and
    the article failed."""
    import json

    article = ArticleFactory()

    def too_many(body):
        llm.responder = None
        try:
            payload = json.loads(llm.answer(body).strip("`json\n"))
        finally:
            llm.responder = too_many
        if "interest_score" in payload:
            payload["matched_interests"] = [f"interest {i}" for i in range(7)]
        return json.dumps(payload)

    llm.responder = too_many
    assert run_one() is Outcome.SCORED
    assert reading_of(article).scoring_state == State.SCORED
    assert list(LLMCall.objects.values_list("outcome", flat=True)).count("invalid") == 0


def test_a_bug_is_not_an_outage(llm, caplog):
    """A reply the client cannot read (as after a library upgrade) fails the article at once,
    with the traceback logged; scoring is not paused and the LLM is not retried."""
    article = ArticleFactory()
    llm.faults.odd_shape_next = 1
    assert run_one() is Outcome.FAILED
    article.refresh_from_db()
    assert article.scoring_state == State.FAILED and article.scoring_attempts == 1
    assert article.scoring_error.startswith("Internal error:")
    assert (
        services.scoring_status(reader_id=default_reader().pk)["ready"] is True
    )  # no pause, no false reason
    assert len(llm.calls("/api/chat")) == 1  # not retried
    assert list(LLMCall.objects.values_list("outcome", flat=True)) == ["failed"]
    assert any(r.exc_info and "internal error" in r.getMessage() for r in caplog.records)
