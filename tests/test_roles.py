"""Who may do what. The operator (a staff account) runs the install: LLM providers,
endpoints and keys, models, prompts. A reader reads: a reader gets 403 on the operator's
routes and pages. Walked route by route from the schema, both ways, so a new route must be
put on one side or the other here before it can land."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from llmconfig.models import UserSettings

pytestmark = pytest.mark.django_db

OPERATOR = {
    ("/api/settings", "GET"), ("/api/settings", "PUT"), ("/api/settings/models", "GET"),
    ("/api/llm/generate", "POST"), ("/api/llm/analyze-image", "POST"),
    ("/api/ollama/health", "GET"), ("/api/ollama/models", "GET"),
    ("/api/ollama/models/pull", "POST"), ("/api/ollama/models/pull/cancel", "POST"),
    ("/api/ollama/models/{name}", "DELETE"), ("/api/ollama/download-status", "GET"),
    ("/api/ollama/prompts", "GET"),
    ("/api/ollama/config", "GET"), ("/api/ollama/config", "PUT"),
    ("/api/openai/health", "GET"), ("/api/openai/models", "GET"),
    ("/api/openai/models", "POST"), ("/api/openai/models", "DELETE"),
    ("/api/readers", "GET"), ("/api/readers", "POST"), ("/api/readers/{id}", "PATCH"),
}  # fmt: skip
READER = {
    ("/api/articles", "GET"), ("/api/articles/{id}", "GET"), ("/api/articles/{id}", "PATCH"),
    ("/api/articles/mark-read", "POST"),
    ("/api/feeds", "GET"), ("/api/feeds", "POST"), ("/api/feeds/{id}", "PATCH"),
    ("/api/feeds/{id}", "DELETE"), ("/api/feeds/{id}/refresh", "POST"),
    ("/api/feeds/{id}/mark-all-read", "POST"), ("/api/feeds/refresh", "POST"),
    ("/api/feeds/reorder", "PATCH"), ("/api/feeds/opml", "GET"), ("/api/feeds/opml", "POST"),
    ("/api/folders", "GET"), ("/api/folders", "POST"), ("/api/folders/{id}", "PATCH"),
    ("/api/folders/{id}", "DELETE"),
    ("/api/categories", "GET"), ("/api/topics", "GET"), ("/api/categories/{name}/weight", "PATCH"),
    ("/api/topics/suggestions", "GET"), ("/api/preferences", "GET"), ("/api/preferences", "PUT"),
    ("/api/scoring/status", "GET"), ("/api/scoring/rescore", "POST"), ("/api/taste", "GET"),
    ("/api/tokens", "GET"), ("/api/tokens", "POST"), ("/api/tokens/{token_id}", "DELETE"),
}  # fmt: skip


def operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "qwen3:4b" if m.group() == "{name}" else "1", path)


def test_every_route_is_the_operators_or_a_readers():
    found = operations()
    assert not found - OPERATOR - READER, "classify these routes in tests/test_roles.py"
    assert not (OPERATOR | READER) - found, "routes listed here that no longer exist"
    assert not OPERATOR & READER


@pytest.mark.parametrize(("path", "method"), sorted(OPERATOR))
def test_a_reader_gets_403_on_every_operator_route_and_changes_nothing(reader_api, path, method):
    before = UserSettings.load()
    body = {"ollama_endpoint": "http://evil.example", "openai_base_url": "http://evil.example"}
    response = reader_api.generic(method, concrete(path), data=body, format="json")
    assert response.status_code == 403, (path, method, response.status_code)
    assert "operator" in response.json()["detail"]
    after = UserSettings.load()
    assert (after.ollama_endpoint, after.openai_base_url) == (
        before.ollama_endpoint,
        before.openai_base_url,
    )


@pytest.mark.parametrize(("path", "method"), sorted(READER))
def test_a_reader_may_use_every_reader_route(reader_api, path, method):
    response = reader_api.generic(method, concrete(path), data={}, format="json")
    # Not found, invalid or fine: what matters is that the role let the reader in.
    assert response.status_code not in (401, 403), (path, method, response.status_code)


@pytest.mark.parametrize(("path", "method"), sorted(OPERATOR))
def test_the_operator_may_use_every_operator_route(api, fake_ollama, path, method):
    response = api.generic(method, concrete(path), data={}, format="json")
    assert response.status_code not in (401, 403), (path, method, response.status_code)


def test_the_models_page_and_the_admin_are_the_operators(client, reader, user):
    client.force_login(reader)
    assert client.get("/settings/").status_code == 403
    assert client.get("/readers/").status_code == 403
    reading = client.get("/").content.decode()
    assert 'href="/settings/"' not in reading and 'href="/admin/"' not in reading
    assert client.get("/admin/").status_code == 302  # to the admin's own login
    client.force_login(user)
    assert client.get("/settings/").status_code == 200
    assert 'href="/settings/"' in client.get("/").content.decode()


def test_the_operator_creates_readers_from_a_script(capsys):
    from django.contrib.auth import get_user_model
    from django.core.management import CommandError, call_command

    call_command("create_reader", "ann")
    out = capsys.readouterr().out
    assert out.startswith("Created reader ann, password: ")
    password = out.strip().rsplit(" ", 1)[1]
    ann = get_user_model().objects.get(username="ann")
    assert ann.check_password(password) and not ann.is_staff and not ann.is_superuser
    with pytest.raises(CommandError, match="exists"):
        call_command("create_reader", "ANN")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_reader", "bob", password="x")


def can_log_in(client, username: str, password: str) -> bool:
    """Through the login form (django-axes wants the request)."""
    answer = client.post("/accounts/login/", {"username": username, "password": password})
    return answer.status_code == 302


def test_the_operator_adds_approves_and_shuts_out_readers(api, client):
    made = api.post("/api/readers", {"username": "kim"}, format="json")
    assert made.status_code == 201
    body = made.json()
    assert body["is_active"] is True and len(body["password"]) >= 12
    assert can_log_in(client, "kim", body["password"])
    again = api.post("/api/readers", {"username": "Kim"}, format="json")
    assert again.status_code == 400 and "exists" in again.json()["username"][0]
    weak = api.post("/api/readers", {"username": "lee", "password": "123"}, format="json")
    assert weak.status_code == 400 and "username" in weak.json()
    shut = api.patch(f"/api/readers/{body['id']}", {"is_active": False}, format="json")
    assert shut.status_code == 200 and shut.json()["is_active"] is False
    assert not can_log_in(client, "kim", body["password"])
    assert [r["username"] for r in api.get("/api/readers").json()] == ["kim"]  # no operators
    client.logout()
    assert client.get("/readers/").status_code == 302  # to the login page


def test_sign_up_is_closed_by_default_and_when_open_waits_for_approval(client, api, settings):
    from django.contrib.auth import get_user_model

    form = {"username": "newcomer", "password": "a-long-enough-pass-42"}
    assert client.post("/accounts/signup/", form).status_code == 404
    settings.SIGNUP_OPEN = True
    done = client.post("/accounts/signup/", form)
    assert done.status_code == 201 and "approval" in done.content.decode()
    waiting = get_user_model().objects.get(username="newcomer")
    assert waiting.is_active is False and not waiting.is_staff
    assert not can_log_in(client, **form)
    api.patch(f"/api/readers/{waiting.pk}", {"is_active": True}, format="json")
    assert can_log_in(client, **form)
    client.logout()
    # A taken name is answered as a request received: names are not told to strangers.
    taken = client.post("/accounts/signup/", {**form, "password": "another-long-pass-43"})
    assert taken.status_code == 201 and "exists" not in taken.content.decode()
    assert get_user_model().objects.filter(username__iexact="newcomer").count() == 1


def test_sign_up_refuses_look_alike_names_and_is_limited_per_address(client, settings):
    from django.contrib.auth import get_user_model

    settings.SIGNUP_OPEN = True
    for name in ("аdmin", "ann smith", "x" * 41, "-dash"):  # a Cyrillic а; a space; too long
        refused = client.post(
            "/accounts/signup/", {"username": name, "password": "a-long-enough-pass-42"}
        )
        assert refused.status_code == 200 and "letters" in refused.content.decode(), name
    answers = [
        client.post("/accounts/signup/", {"username": f"guest{i}", "password": "a-long-enough-pass-42"}).status_code
        for i in range(7)
    ]  # fmt: skip
    assert answers.count(201) <= 5 and answers[-1] == 429
    assert get_user_model().objects.filter(username__startswith="guest").count() <= 5


def test_sign_all_apps_out_signs_out_api_token_apps_too(user, token):
    from rest_framework.test import APIClient

    from accounts.app_access import app_password_delete, app_password_set

    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert app.get("/api/settings").status_code == 200
    app_password_set(user=user, password="Tr1cky-Apps-Pass")
    app_password_delete(user=user)
    assert app.get("/api/settings").status_code == 401


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "123456789012", "abababababab"])
def test_a_weak_app_password_is_refused(user, weak):
    from accounts.app_access import AppPasswordError, app_password_set

    with pytest.raises(AppPasswordError):
        app_password_set(user=user, password=weak)


# Reader routes that name one object: another reader's must not exist for them (404), and
# nothing of theirs may change. (Topic weights name a shared topic: the weight set is the
# caller's own, never another reader's.)
OWNED = {
    ("/api/articles/{id}", "GET"), ("/api/articles/{id}", "PATCH"),
    ("/api/feeds/{id}", "PATCH"), ("/api/feeds/{id}", "DELETE"),
    ("/api/feeds/{id}/refresh", "POST"), ("/api/feeds/{id}/mark-all-read", "POST"),
    ("/api/folders/{id}", "PATCH"), ("/api/folders/{id}", "DELETE"),
    ("/api/tokens/{token_id}", "DELETE"),
}  # fmt: skip
SHARED = {("/api/categories/{name}/weight", "PATCH")}


def test_every_reader_route_that_names_an_object_is_checked_for_other_readers():
    named = {(path, method) for path, method in READER if "{" in path}
    assert named - SHARED == OWNED, "say whose object these routes name, in OWNED or SHARED"


@pytest.mark.parametrize(("path", "method"), sorted(OWNED))
def test_another_readers_objects_do_not_exist_for_a_reader(user, reader_api, path, method):
    from accounts.services import token_create
    from articles.models import Folder, Reading, Subscription
    from tests.factories import ScoredArticleFactory

    article = ScoredArticleFactory()  # the operator's: their feed, reading and rank
    folder = Folder.objects.create(reader=user, name="Operator's")
    token, _ = token_create(user=user)
    ids = {"/api/articles": article.id, "/api/feeds": article.feed_id, "/api/folders": folder.id,
           "/api/tokens": token.token_key}  # fmt: skip
    prefix = next(p for p in ids if path.startswith(p + "/"))
    concrete_path = re.sub(r"\{[^}]+\}", str(ids[prefix]), path)
    body = {"is_read": True, "title": "Taken", "name": "Taken", "feedback": "down"}
    response = reader_api.generic(method, concrete_path, data=body, format="json")
    assert response.status_code == 404, (path, method, response.status_code)
    reading = Reading.objects.get(pk=article.reading.pk)
    assert (reading.is_read, reading.feedback) == (False, None)
    assert Subscription.objects.filter(reader=user, feed_id=article.feed_id, title="").exists()
    assert Folder.objects.filter(pk=folder.pk, name="Operator's").exists()
    assert type(token).objects.filter(pk=token.pk).exists()
