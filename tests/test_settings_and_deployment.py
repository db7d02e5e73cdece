"""Settings, migrations, admin, schema and the compose file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from articles.models import Category, TopicWeight
from llmconfig.models import LLMCall, ModelDownload, PromptTemplate, UserSettings
from tests.factories import ArticleFactory, FeedFactory

ROOT = Path(__file__).resolve().parent.parent


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import config.settings in a fresh interpreter with exactly this environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DATABASE_", "CELERY_", "CACHE_", "DEBUG", "SECRET_", "FIELD_", "SIFT_LOCAL")
        )
    }
    code = "import config.settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG)"
    # The developer's own .env (written by `make run`) must not change what is tested.
    base["SIFT_ENV_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def prod_env(tmp_path) -> dict[str, str]:
    return {
        "SIFT_VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        "SIFT_LOCAL_INSTALL": "false",
        "SECRET_KEY": "Vq3-x8Lr_T2mYp9Zc4Wn7Bd1Hs6Kf0Jg5Qe8Ua2Io4Rt7Ey" * 2,
        "FIELD_ENCRYPTION_KEY": "hXmFSNfpxouRO6kFNgZb8rI1GadxjmyskAirXQ5RdT4=",
    }


def test_settings_defaults_need_no_server(tmp_path):
    result = load_settings({"SIFT_VAR_DIR": str(tmp_path), "DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://localhost//",
        "True",
    ]
    # Keys were generated once into var/, readable by the owner only.
    key = tmp_path / "secret_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


def test_settings_accept_postgres_and_redis(prod_env):
    result = load_settings(
        {
            **prod_env,
            "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/0",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "notaurl"),
        ("DATABASE_URL", "mongodb://x/y"),
        ("CELERY_BROKER_URL", "kafka://x"),
        ("DEBUG", "maybe"),
        ("LLM_MAX_IN_FLIGHT", "two"),
        ("LLM_MAX_IN_FLIGHT", "0"),
        ("OLLAMA_HOST", "ftp://x"),
        ("FIELD_ENCRYPTION_KEY", "not-a-fernet-key"),
        ("CACHE_URL", "locmem://"),
    ],
)
def test_bad_settings_fail_at_start_naming_the_variable(prod_env, name, value):
    result = load_settings({**prod_env, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_secret_key_is_required_when_debug_is_off(prod_env):
    env = dict(prod_env)
    del env["SECRET_KEY"]
    result = load_settings(env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_check_deploy_has_no_warnings(prod_env):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "SIFT_ENV_FILE": os.devnull,
        **prod_env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_setting_is_documented():
    source = (ROOT / "config" / "settings.py").read_text()
    names = set(
        re.findall(
            r'(?:env(?:_bool|_int|_float|_url)?|env\.(?:str|list)|local_secret)\(\s*"([A-Z_]+)"',
            source,
        )
    )
    assert {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEY",
    } <= names
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "docs" / "configuration.md").read_text()
    missing_example = sorted(n for n in names if not re.search(rf"^{n}=", example, re.M))
    missing_readme = sorted(n for n in names if f"`{n}`" not in readme)
    assert not missing_example, missing_example
    assert not missing_readme, missing_readme


def test_the_readme_is_short_shows_the_two_commands_first_and_links_every_doc():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    first_block = readme.split("```", 2)[1]
    assert "make run" in first_block and "make test" in first_block
    docs = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert docs and not [d for d in docs if f"(docs/{d})" not in readme]


@pytest.mark.django_db
def test_migrations_are_complete():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_scores_move_to_the_rank_table_and_back():
    """Migration 0010 carries every stored score (and only those) to `ArticleRank`, and its
    reverse puts them back on the article."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("articles", "0009_article_batch_missed")], [("articles", "0010_article_rank")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    feed = old.get_model("articles", "Feed").objects.create(url="https://m.example/rss")
    Old = old.get_model("articles", "Article")
    scored = Old.objects.create(
        feed=feed, title="Scored", url="https://m.example/1", scoring_state="scored",
        interest_score=8, quality_score=6, composite_score=6.4, published_at=None,
    )  # fmt: skip
    Old.objects.create(feed=feed, title="Queued", url="https://m.example/2")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    ranks = list(new.get_model("articles", "ArticleRank").objects.values())
    assert ranks == [
        {"article_id": scored.id, "interest": 8, "quality": 6, "score": 6.4,
         "rank_date": scored.created_at},
    ]  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    back = executor.loader.project_state(before).apps.get_model("articles", "Article")
    assert dict(back.objects.values_list("title", "composite_score")) == {
        "Scored": 6.4,
        "Queued": None,
    }
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_rank_rows_get_the_set_of_their_topics():
    """Migration 0011 points every rank row at one set per distinct combination of its
    article's topics (none: the empty set); 0012 then makes that required."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("articles", "0010_article_rank")]
    after = [("articles", "0012_topic_set_required")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    feed = old.get_model("articles", "Feed").objects.create(url="https://m.example/rss")
    Old, Rank = old.get_model("articles", "Article"), old.get_model("articles", "ArticleRank")
    x, y = (old.get_model("articles", "Category").objects.create(name=n) for n in ("x-t", "y-t"))
    articles = {}
    for name, topics, ranked in (
        ("both", [x, y], True), ("both-too", [y, x], True), ("x", [x], True),
        ("none", [], True), ("unranked", [y], False),
    ):  # fmt: skip
        article = Old.objects.create(feed=feed, title=name, url=f"https://m.example/{name}")
        article.categories.set(topics)
        if ranked:
            Rank.objects.create(
                article=article, interest=5, quality=5, score=3.8, rank_date=article.created_at
            )
        articles[name] = article.id
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    keys = dict(
        new.get_model("articles", "ArticleRank").objects.values_list("article_id", "topic_set__key")
    )
    assert keys == {
        articles["both"]: f"{x.id},{y.id}", articles["both-too"]: f"{x.id},{y.id}",
        articles["x"]: str(x.id), articles["none"]: "",
    }  # fmt: skip
    members = new.get_model("articles", "TopicSet").categories.through.objects
    assert set(members.values_list("topicset__key", "category__name")) == {
        (f"{x.id},{y.id}", "x-t"), (f"{x.id},{y.id}", "y-t"), (str(x.id), "x-t"),
    }  # fmt: skip
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_user_settings_is_a_singleton():
    first = UserSettings.load()
    second = UserSettings.load()
    assert first.pk == second.pk == UserSettings.SINGLETON_PK
    assert UserSettings.objects.count() == 1


@pytest.mark.django_db
def test_seeded_prompts_and_categories():
    """What the data migrations seed, run again here: a transactional test that ran earlier
    in this process flushed the rows the test database was migrated with."""
    from tests.conftest import seed_rows

    PromptTemplate.objects.all().delete()
    Category.objects.all().delete()
    seed_rows()
    assert set(PromptTemplate.objects.values_list("name", flat=True)) == {
        "categorization",
        "scoring",
        "categorization_batch",
        "scoring_batch",
        "verdict",
        "verdict_batch",
    }
    assert Category.objects.count() == 25
    assert not TopicWeight.objects.exists()  # every reader's weights start neutral


@pytest.mark.django_db
def test_ollama_key_is_encrypted_at_rest():
    from django.db import connection

    us = UserSettings.load()
    us.ollama_api_key = "sk-secret-value-42"
    us.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT ollama_api_key FROM llmconfig_usersettings")
        stored = cursor.fetchone()[0]
    assert "sk-secret-value-42" not in stored
    assert UserSettings.load().ollama_api_key == "sk-secret-value-42"


@pytest.mark.django_db
def test_every_admin_page_renders(admin_client):
    us = UserSettings.load()
    us.ollama_api_key = "sk-admin-visible-never"
    us.save()
    feed = FeedFactory()
    ArticleFactory(feed=feed)
    LLMCall.objects.create(model_id="ollama/x", purpose="score", latency_ms=5, outcome="ok")
    ModelDownload.objects.create(model="qwen3:8b", status="complete")
    from django.contrib import admin

    for model, _ in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        response = admin_client.get(reverse(f"admin:{info[0]}_{info[1]}_changelist"))
        assert response.status_code == 200, info
        assert b"sk-admin-visible-never" not in response.content
        obj = model._default_manager.first()
        if obj is not None:
            response = admin_client.get(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))
            assert response.status_code == 200, info
            assert b"sk-admin-visible-never" not in response.content
    assert "django_celery_beat" in {m._meta.app_label for m in admin.site._registry}


@pytest.mark.django_db
def test_admin_keeps_the_key_when_left_blank(admin_client):
    us = UserSettings.load()
    us.ollama_api_key = "sk-keep-me-123"
    us.save()
    url = reverse("admin:llmconfig_usersettings_change", args=[us.pk])
    data = {
        "interests": "rust",
        "anti_interests": "",
        "categorization_model": "",
        "scoring_model": "",
        "vision_model": "",
        "ollama_endpoint": "",
        "ollama_api_key": "",
        "ollama_models": "[]",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    assert UserSettings.load().ollama_api_key == "sk-keep-me-123"
    admin_client.post(url, {**data, "clear_ollama_key": "on"})
    assert UserSettings.load().ollama_api_key is None


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings(tmp_path):
    out, err = StringIO(), StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
        stdout=out,
        stderr=err,
    )
    schema = yaml.safe_load((tmp_path / "schema.yml").read_text())
    assert "/api/settings" in schema["paths"]


def test_compose_file_defines_the_services_on_one_image():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "ollama", "web", "worker", "beat"} <= set(services)
    app = [services[name] for name in ("web", "worker", "beat")]
    assert len({s["image"] for s in app}) == 1 and all(s["build"] == "." for s in app)
    assert all(s["env_file"] == [{"path": ".env", "required": False}] for s in app)
    assert "uvicorn" in " ".join(services["web"]["command"])
    worker = services["worker"]["command"]
    assert worker[:4] == ["celery", "-A", "config", "worker"]
    assert worker[worker.index("-Q") + 1].split(",")[0] == "rescore"
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    # Pool sizes follow the in-flight limit, the same rule in compose and the Procfile.
    limit = int(compose["x-sift"]["environment"]["LLM_MAX_IN_FLIGHT"])
    assert int(worker[worker.index("--concurrency") + 1]) == limit + 1
    assert services["ollama"]["environment"]["OLLAMA_NUM_PARALLEL"] == str(limit)
    procfile = (ROOT / "Procfile").read_text()
    assert "--concurrency $(( ${LLM_MAX_IN_FLIGHT:-1} + 1 ))" in procfile
    assert re.search(r"^LLM_MAX_IN_FLIGHT=1$", (ROOT / ".env.example").read_text(), re.M)
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert services["ollama"]["image"].startswith("ollama/ollama")
    assert any("ollama" in v for v in services["ollama"]["volumes"])
    assert services["worker"]["environment"]["CELERY_BROKER_URL"].startswith("redis://")


def test_celery_configuration_is_reliable():
    from django.conf import settings

    from common.queues import CeleryQueue
    from config.celery import app

    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"] and app.conf.task_serializer == "json"
    assert (
        settings.CELERY_TASK_SOFT_TIME_LIMIT
        < settings.CELERY_TASK_TIME_LIMIT
        < settings.CELERY_VISIBILITY_TIMEOUT
    )
    assert [q.name for q in app.conf.task_queues] == [q.value for q in CeleryQueue]
    assert CeleryQueue.all_names().startswith("rescore,")
    assert app.conf.beat_scheduler.startswith("django_celery_beat")


def test_queue_names_agree_everywhere():
    """Queue names are written out only in the Procfile and compose; they must be the
    settings' queues, re-scores first."""
    from django.conf import settings

    from common.queues import CeleryQueue

    names = CeleryQueue.all_names()
    assert [q.name for q in settings.CELERY_TASK_QUEUES] == names.split(",")
    routed = {r["queue"] for r in settings.CELERY_TASK_ROUTES.values()}
    scheduled = {e["options"]["queue"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert routed | scheduled | {settings.CELERY_TASK_DEFAULT_QUEUE} <= set(names.split(","))
    # Feeds and their pages have a worker of their own; the scoring worker takes the rest.
    scoring, feeds = CeleryQueue.scoring_names().split(","), CeleryQueue.feeds_names().split(",")
    assert sorted(scoring + feeds) == sorted(names.split(",")) and not set(scoring) & set(feeds)
    procfile = (ROOT / "Procfile").read_text()
    assert re.search(rf"^worker: .* -Q {CeleryQueue.scoring_names()} ", procfile, re.M)
    assert re.search(rf"^feeds: .* -Q {CeleryQueue.feeds_names()} ", procfile, re.M)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service, queues in (
        ("worker", CeleryQueue.scoring_names()),
        ("feeds", CeleryQueue.feeds_names()),
    ):
        command = compose["services"][service]["command"]
        assert command[command.index("-Q") + 1] == queues


def test_beat_intervals_follow_the_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; import django; django.setup();"
         "print(settings.CELERY_BEAT_SCHEDULE['Refresh feeds']['schedule'])"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "FEED_REFRESH_SECONDS": "900"},
    )  # fmt: skip
    assert result.stdout.strip() == "900.0", result.stderr


def test_data_migrations_freeze_their_values():
    """A migration that imports the apps' live constants or reads settings would do something
    else after a later change of them: each keeps its own copy."""
    # (Custom field classes are schema, not values: `import llmconfig.fields` is fine.)
    apps = r"(articles|llmconfig|scoring|common|config)"
    live = re.compile(
        rf"^\s*from {apps}\b|^\s*import {apps}\.(?!fields\b)|django\.conf import settings", re.M
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/migrations/*.py")
        if live.search(path.read_text())
    ]
    assert offenders == []


def test_make_run_runs_without_debug_pages_yet_makes_its_own_keys(tmp_path):
    """`make run` ran with DEBUG=true: Django's technical pages (settings, paths) on any
    404 or error. Now debug is off unless asked; the local install still generates its keys
    and speaks plain HTTP."""
    import os
    import subprocess
    import sys

    makefile = (ROOT / "Makefile").read_text()
    assert "export DEBUG ?= false" in makefile and "export SIFT_LOCAL_INSTALL ?= true" in makefile
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="false", SIFT_LOCAL_INSTALL="true",
               SIFT_VAR_DIR=str(tmp_path), SIFT_ENV_FILE=str(tmp_path / "none.env"))  # fmt: skip
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, bool(s.SECRET_KEY))"
    )
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert shown.stdout.split() == ["False", "False", "False", "True"], shown.stderr[-2000:]
    assert (tmp_path / "secret_key").exists()


@pytest.mark.django_db
def test_error_pages_are_sifts_own_and_the_schema_is_for_signed_in_readers(client, anon, api, rf):
    from django.views.defaults import server_error

    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert "sift.css" in page and "Not found" in page and "Page not found (404)" not in page
    broken = server_error(rf.get("/"))
    assert broken.status_code == 500 and b"sift.css" in broken.content
    assert anon.get("/api/schema").status_code in (401, 403)
    assert anon.get("/api/docs").status_code in (401, 403)
    assert api.get("/api/schema").status_code == 200
