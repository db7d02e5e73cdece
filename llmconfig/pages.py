from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from llmconfig.ollama_server import endpoint


@login_required
def ollama_settings(request: HttpRequest) -> HttpResponse:
    """The operator's page (models, providers, prompts): a reader gets 403."""
    if not request.user.is_staff:
        raise PermissionDenied("Only the operator (an admin account) manages the models.")
    base_url, _key = endpoint()
    return render(
        request,
        "sift/ollama_settings.html",
        {
            "nav": "settings",
            "ollama_url": base_url,
            "ollama_host": settings.OLLAMA_HOST,
            "openai_base_url": settings.OPENAI_BASE_URL,
        },
    )
