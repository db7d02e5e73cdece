"""The admin changes the settings through the same services as the API (one writer per
concept): same validation, same re-scoring."""

from __future__ import annotations

import pytest

from accounts.models import Profile
from articles.models import Reading
from llmconfig.models import UserSettings
from tests.factories import ScoredArticleFactory, default_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="pw-boss-123")
    client.force_login(admin)
    return client


def form_data(us: UserSettings, **changes: object) -> dict[str, object]:
    data = {
        "categorization_model": us.categorization_model,
        "scoring_model": us.scoring_model,
        "vision_model": us.vision_model,
        "ollama_endpoint": us.ollama_endpoint or "",
        "ollama_models": "[]",
        "batch_sizes": "{}",
        "ollama_api_key": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_interests_saved_in_the_admin_rescore_like_the_api(
    admin_client, django_capture_on_commit_callbacks
):
    ScoredArticleFactory.create_batch(2)
    reader = default_reader()
    url = f"/admin/accounts/profile/{reader.pk}/change/"
    form = {"interests": "Rust, databases", "anti_interests": "", "mark_read_on_open": "on"}
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    assert Profile.of(reader).interests == "Rust, databases"
    assert set(
        Reading.objects.filter(scoring_priority__gt=0).values_list("rescore_mode", flat=True)
    ) == {"score_only"}


def test_the_admin_refuses_a_model_id_the_api_refuses(admin_client):
    us = UserSettings.load()
    url = f"/admin/llmconfig/usersettings/{us.pk}/change/"
    response = admin_client.post(url, form_data(us, vision_model="not a model!"))
    assert response.status_code == 200  # the form again, with the error
    assert b"not a valid Ollama model name" in response.content
    assert UserSettings.load().vision_model == us.vision_model


def test_the_admin_keeps_the_apis_rule_for_batch_sizes(admin_client):
    us = UserSettings.load()
    url = f"/admin/llmconfig/usersettings/{us.pk}/change/"
    response = admin_client.post(url, form_data(us, batch_sizes='{"ollama/qwen3:4b": 50}'))
    assert response.status_code == 200
    assert b"between 1 and 20 articles per call" in response.content
    response = admin_client.post(url, form_data(us, batch_sizes='{"qwen3:4b": 5}'))
    assert response.status_code == 200 and b"Unknown model id" in response.content
    assert UserSettings.load().batch_sizes == {}
    response = admin_client.post(url, form_data(us, batch_sizes='{"ollama/qwen3:4b": 5}'))
    assert response.status_code == 302
    assert UserSettings.load().batch_sizes == {"ollama/qwen3:4b": 5}


def test_the_article_admin_shows_filters_and_sorts_by_the_rank(admin_client):
    """The score lives on the article's rank row: the admin lists it, sorts by it, filters
    by it, and shows it (read-only, with the verdict it comes from) on the article."""
    from django.urls import reverse

    from tests.factories import ArticleFactory

    high = ScoredArticleFactory(title="Title-High-Score", composite_score=12.5)
    ScoredArticleFactory(title="Title-Low-Score", composite_score=2.25)
    ArticleFactory(title="Title-Unscored")
    url = reverse("admin:articles_reading_changelist")
    page = admin_client.get(url, {"o": "-4"}).content.decode()  # 4th column, descending
    assert page.index("Title-High-Score") < page.index("Title-Low-Score")
    assert "12.5" in page and "2.25" in page
    filtered = admin_client.get(url, {"score": "10-20"}).content.decode()
    assert "Title-High-Score" in filtered and "Title-Low-Score" not in filtered
    change = admin_client.get(reverse("admin:articles_reading_change", args=[high.reading.pk]))
    assert change.status_code == 200
    assert "12.5" in change.content.decode()
    assert 'name="interest_score"' not in change.content.decode()  # the LLM's, not editable


def test_the_admin_refuses_a_change_to_a_model_that_is_not_installed(admin_client, fake_ollama):
    """One rule for both doors: the admin checks what the API checks."""
    us = UserSettings.load()
    url = f"/admin/llmconfig/usersettings/{us.pk}/change/"
    response = admin_client.post(url, form_data(us, categorization_model="ollama/not-pulled:1b"))
    assert response.status_code == 200
    assert b"is not installed on the Ollama server" in response.content
    assert UserSettings.load().categorization_model == us.categorization_model


def test_the_admin_accepts_a_bare_ollama_name_as_the_api_does(admin_client, fake_ollama):
    fake_ollama.install("qwen3:8b")
    us = UserSettings.load()
    url = f"/admin/llmconfig/usersettings/{us.pk}/change/"
    response = admin_client.post(url, form_data(us, categorization_model="qwen3:8b"))
    assert response.status_code == 302, response.content[:2000]
    assert UserSettings.load().categorization_model == "ollama/qwen3:8b"


@pytest.mark.parametrize(
    ("field", "value"),
    [("openai_base_url", "http://"), ("ollama_endpoint", "http://a.example\r\nX-Evil: 1")],
)
def test_the_admin_refuses_a_url_without_a_host_or_with_control_characters(
    admin_client, field, value
):
    us = UserSettings.load()
    url = f"/admin/llmconfig/usersettings/{us.pk}/change/"
    response = admin_client.post(url, form_data(us, **{field: value}))
    assert response.status_code == 200
    assert getattr(UserSettings.load(), field) in (None, "")
