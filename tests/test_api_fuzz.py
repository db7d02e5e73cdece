"""R5: schemathesis generates requests for every operation in /api/schema (authenticated):
no server errors, no response that violates the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    """The schema /api/schema serves (to signed-in readers), made by the same generator:
    at collection there is neither a database nor a login."""
    import django

    django.setup()
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


# Loaded once at collection; the calls go to the WSGI application in this process.
schema = schemathesis.openapi.from_dict(_schema())
schema.app = application
# Valid and invalid inputs, with the coverage phase's boundary values (an integer one past
# its documented maximum, huge ids in paths): every one must be a 4xx, never a 5xx.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])


@pytest.fixture
def in_process(settings, fake_ollama):
    # Ollama is up (the fake): a 503 here would be a real failure. Ollama-down answers are
    # tested one by one elsewhere. A pull no worker runs is reported failed after 2 s.
    settings.OLLAMA_PULL_STALE_SECONDS = 2
    # As Django's test client does: the test's transaction must survive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, user, in_process):
    from accounts.services import token_create

    _row, token = token_create(user=user)
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
