from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.pages import signup
from config.celery import app
from llmconfig import ollama_server
from scoring.services import readiness_get


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers, cheap: ok when the database answers. No authentication;
    `/ready` says whether the broker and the LLM answer too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not ok"
        return JsonResponse({"status": "error", "detail": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, /api/docs); a 404
    there was a log line on every page load."""
    return HttpResponsePermanentRedirect(static("sift/favicon.svg"))


def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, the broker and the LLM, each with its state. 503 while the
    database or the broker cannot be reached (nothing would be queued); an LLM that is down
    only pauses scoring, so it is reported but keeps the answer 200. No authentication, so
    an anonymous caller gets states only: why scoring paused is upstream text (an address, a
    server's own words), shown to signed-in users, masked of secrets."""
    checks: dict[str, dict[str, object]] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = {"ok": False, "detail": type(exc).__name__}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = {"ok": False, "detail": type(exc).__name__}
    llm = ollama_server.health() if checks["database"]["ok"] else {"connected": False}
    scoring = readiness_get() if checks["database"]["ok"] else {"ready": False, "reason": ""}
    checks["llm"] = {"ok": bool(llm.get("connected")), "scoring_paused": not scoring["ready"]}
    if request.user.is_authenticated:
        # Before any article was tried there is no scoring reason yet; say what is known.
        silent = "" if checks["llm"]["ok"] else ollama_server.unreachable_reason()
        checks["llm"]["reason"] = scoring["reason"] or silent
    ok = checks["database"]["ok"] and checks["broker"]["ok"]
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


urlpatterns = [
    path("health", health, name="health"),
    path("ready", ready, name="ready"),
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("accounts/signup/", signup, name="signup"),
    path("", include("sync.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so scripts stay 'self' only;
    # Swagger UI adds <style> elements of its own, allowed on this page alone.
    path(
        "api/docs",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
    path("api/", include("accounts.urls")),
    path("api/", include("llmconfig.urls")),
    path("api/", include("scoring.urls")),
    path("api/", include("articles.urls")),
    path("", include("config.page_urls")),
]
