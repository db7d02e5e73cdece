"""G3.1: a topic weight re-ranks at once, without the LLM, and a scoring task never writes a
stale weight over it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import Article, Category, Reading, ReadingRank, TopicSet
from llmconfig.models import UserSettings
from tests.factories import (
    ArticleFactory,
    CategoryFactory,
    ScoredArticleFactory,
    articles_rank,
    category_weight_set,
    default_reader,
)
from tests.live import Worker, purge_queues, wait_for

pytestmark = pytest.mark.django_db
State = Article.ScoringState


def scored(topic: Category, interest: int = 8, quality: int = 6, **kwargs) -> Article:
    article = ScoredArticleFactory(
        interest_score=interest,
        quality_score=quality,
        composite_score=interest * (0.5 + quality / 20),
        score_reasoning="Matches the reader.",
        **kwargs,
    )
    article.categories.add(topic)
    return article


def ranked_ids(api) -> list[int]:
    return [a["id"] for a in api.get("/api/articles?limit=100").json()]


def test_blocking_a_topic_drops_its_scored_articles_at_once_and_unblocking_restores_them(api):
    sports, science = CategoryFactory(name="sports"), CategoryFactory(name="science")
    match = scored(sports, interest=9)
    paper = scored(science, interest=6)
    assert ranked_ids(api) == [match.id, paper.id]

    blocked = api.patch("/api/categories/sports/weight", {"weight": "blocked"}, format="json")
    assert blocked.status_code == 200
    assert ranked_ids(api) == [paper.id]  # gone from the list, no LLM call involved
    listed = api.get("/api/articles?scoring_state=blocked").json()
    assert [(a["id"], a["composite_score"], a["score_reasoning"]) for a in listed] == [
        (match.id, 0.0, "Blocked: sports")
    ]
    match.refresh_from_db()
    assert match.interest_score == 9  # what the LLM said is kept underneath

    api.patch("/api/categories/sports/weight", {"weight": "high"}, format="json")
    match.refresh_from_db()
    assert match.composite_score == pytest.approx(min(20, 9 * 2.0 * 0.8))
    body = api.get(f"/api/articles/{match.id}").json()
    assert body["score_reasoning"] == "Matches the reader."
    assert ranked_ids(api) == [match.id, paper.id]


def test_blocked_articles_are_found_when_asked_for(api, client, user):
    """`exclude_blocked=false`, a filter on the blocked topic, and the reading page's
    "Blocked: Shown" list them, last, with the "Blocked: …" label."""
    sports, science = CategoryFactory(name="sports"), CategoryFactory(name="science")
    match, paper = scored(sports, interest=9), scored(science, interest=6)
    api.patch("/api/categories/sports/weight", {"weight": "blocked"}, format="json")
    shown = api.get("/api/articles?exclude_blocked=false&limit=100").json()
    assert [(a["id"], a["score_reasoning"]) for a in shown] == [
        (paper.id, "Matches the reader."), (match.id, "Blocked: sports"),
    ]  # fmt: skip
    assert [a["id"] for a in api.get("/api/articles?category=sports").json()] == [match.id]
    assert [a["id"] for a in api.get("/api/articles?category=science").json()] == [paper.id]
    client.force_login(user)
    page = client.get("/?is_read=&exclude_blocked=false").content.decode()
    assert "Blocked: sports" in page and "sports (blocked)" in page
    assert "Blocked: sports" not in client.get("/?is_read=").content.decode()


def test_only_the_topics_articles_change(api, django_assert_max_num_queries):
    sports, science = CategoryFactory(name="sports"), CategoryFactory(name="science")
    others = [scored(science) for _ in range(5)]
    before = {a.id: a.composite_score for a in others}
    for _ in range(20):
        scored(sports)
    with django_assert_max_num_queries(16):  # set-based: no query per article
        api.patch("/api/categories/sports/weight", {"weight": "low"}, format="json")
    assert (
        dict(Reading.objects.filter(article_id__in=before).values_list("article_id", "rank__score"))
        == before
    )
    lows = set(
        Reading.objects.filter(article__categories=sports).values_list("rank__score", flat=True)
    )
    assert lows == {3.2}  # 8 × 0.5 × (0.5 + 6/20), rounded to 4 places in SQL


def test_articles_with_the_same_topics_share_one_set_and_a_change_reaches_only_its_sets():
    science, space = CategoryFactory(name="science"), CategoryFactory(name="space")
    one, two, both = scored(science), scored(science), scored(science)
    both.categories.add(space)
    untagged = ScoredArticleFactory(interest_score=8, quality_score=6, composite_score=6.4)
    keys = dict(ReadingRank.objects.values_list("reading__article_id", "topic_set__key"))
    assert keys == {
        one.id: str(science.id), two.id: str(science.id),
        both.id: TopicSet.key_of([space.id, science.id]), untagged.id: "",
    }  # fmt: skip
    assert set(TopicSet.objects.get(key=keys[both.id]).categories.all()) == {science, space}

    category_weight_set(name="space", weight="high")
    scores = dict(ReadingRank.objects.values_list("reading__article_id", "score"))
    assert scores == {
        one.id: 6.4, two.id: 6.4, untagged.id: 6.4,
        both.id: pytest.approx(8 * (1.0 + 2.0) / 2 * 0.8),  # the mean of its two topics
    }  # fmt: skip


def test_ranking_a_mix_of_articles_puts_each_in_the_set_of_its_topics():
    """`rank()` over several articles at once (story copies, a bulk rank): one INSERT per
    set of topics, a set seen for the first time created on the way."""
    science = CategoryFactory(name="science")
    space = CategoryFactory(name="space", weight=Category.Weight.HIGH)
    verdict = {"scoring_state": State.SCORED, "interest_score": 8, "quality_score": 6}
    alone, paired, untagged = (ArticleFactory(**verdict) for _ in range(3))
    alone.categories.add(science)
    paired.categories.add(science, space)
    assert not ReadingRank.objects.exists() and not TopicSet.objects.exists()

    ranked = Article.objects.filter(id__in=[alone.id, paired.id, untagged.id])
    assert articles_rank(articles=ranked) == 3
    assert articles_rank(articles=ranked) == 3  # again: the same rows, now in sets that exist
    rows = {r.reading.article_id: (r.topic_set.key, r.score) for r in ReadingRank.objects.all()}
    assert rows == {
        alone.id: (str(science.id), 6.4),
        paired.id: (TopicSet.key_of([science.id, space.id]), pytest.approx(8 * 1.5 * 0.8)),
        untagged.id: ("", 6.4),
    }
    assert TopicSet.objects.count() == 3


def test_topics_edited_by_hand_are_the_ones_the_next_weight_change_applies_to():
    """The admin's article form and the shell edit topics through the many-to-many API, in
    either direction; the rank follows what the article carries now."""
    sports, science = CategoryFactory(name="sports"), CategoryFactory(name="science")
    article = scored(science)
    article.categories.add(sports)
    sports.articles.remove(article)
    sports.articles.add(article)
    category_weight_set(name="sports", weight="blocked")
    assert ReadingRank.objects.get(reading__article=article).score == 0

    sports.articles.clear()  # sports no longer counts: science alone, now high
    category_weight_set(name="science", weight="high")
    assert ReadingRank.objects.get(reading__article=article).score == pytest.approx(8 * 2.0 * 0.8)

    article.categories.set([sports])  # blocked, but a hand edit is not a re-score ...
    assert ReadingRank.objects.get(reading__article=article).score == pytest.approx(12.8)
    category_weight_set(name="science", weight="low")  # ... nor is a topic it left
    assert ReadingRank.objects.get(reading__article=article).score == pytest.approx(12.8)
    category_weight_set(name="sports", weight="medium")
    assert ReadingRank.objects.get(reading__article=article).score == pytest.approx(8 * 1.5 * 0.8)

    article.categories.clear()
    assert ReadingRank.objects.get(reading__article=article).topic_set.key == ""


def test_a_deleted_topic_stops_counting():
    sports = CategoryFactory(name="sports", weight=Category.Weight.BLOCKED)
    science = CategoryFactory(name="science")
    article = scored(science)
    article.categories.add(sports)
    category_weight_set(name="science", weight="medium")
    assert ReadingRank.objects.get(reading__article=article).score == 0
    sports.delete()  # its links and its memberships go with it
    category_weight_set(name="science", weight="high")
    assert ReadingRank.objects.get(reading__article=article).score == pytest.approx(8 * 2.0 * 0.8)


def test_unblocking_what_was_never_scored_queues_a_score_only_rescore(api):
    sports = CategoryFactory(name="sports", weight=Category.Weight.BLOCKED)
    never = ArticleFactory(
        scoring_state=State.SCORED, interest_score=None, quality_score=None, composite_score=0
    )
    never.categories.add(sports)
    kept = scored(sports)
    api.patch("/api/categories/sports/weight", {"weight": "neutral"}, format="json")
    never.refresh_from_db()
    kept.refresh_from_db()
    assert never.scoring_state == State.QUEUED and never.rescore_mode == "score_only"
    assert never.scoring_priority > 0  # ahead of normal work
    assert kept.scoring_state == State.SCORED and kept.composite_score > 0  # restored


def test_bad_weight_input_names_the_field(api):
    CategoryFactory(name="sports")
    bad = api.patch("/api/categories/sports/weight", {"weight": "extreme"}, format="json")
    assert bad.status_code == 400 and "weight" in bad.json()
    missing = api.patch("/api/categories/nope/weight", {"weight": "low"}, format="json")
    assert missing.status_code == 404


def test_a_weight_changed_in_the_admin_reranks(admin_client):
    sports = CategoryFactory(name="sports")
    article = scored(sports)
    url = reverse("admin:articles_topicweight_add")
    response = admin_client.post(
        url, {"reader": default_reader().pk, "category": sports.pk, "weight": "blocked"}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.composite_score == 0 and article.interest_score == 8


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_weight_changed_while_the_llm_answers_is_not_overwritten(api, fake_ollama):
    """The worker loads the weights, the reader makes the topic "high" while the scoring
    call is in flight, and the score written uses "high"."""
    CategoryFactory(name="technology")  # the fake categorizes everything as technology
    UserSettings.objects.update_or_create(pk=1, defaults={"categorization_model": "ollama/qwen3:4b"})  # fmt: skip
    fake_ollama.latency = 1.0
    purge_queues()
    worker = Worker(name="stale", concurrency=1, LLM_MAX_IN_FLIGHT=1).start()
    try:
        article = ArticleFactory(scoring_state=State.UNSCORED)
        from tests.factories import articles_enqueue, calls_per_new_article

        articles_enqueue(ids=[article.id])
        # The scoring call is in flight (the second, or the only one when topics and scores
        # come in one call).
        wait_for(lambda: len(fake_ollama.calls("/api/chat")) == calls_per_new_article(), timeout=30)
        api.patch("/api/categories/technology/weight", {"weight": "high"}, format="json")
        wait_for(
            lambda: Reading.objects.get(article_id=article.id).scoring_state == State.SCORED,
            timeout=30,
        )
    finally:
        worker.stop()
    article.refresh_from_db()
    assert article.composite_score == pytest.approx(7 * 2.0 * (0.5 + 7 / 20))
