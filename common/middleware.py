"""Every error under /api/ is JSON with `detail`, also where Django, not DRF, answers: a path
no route matches (`/api/nope`, `/api/articles/abc`), a body over the upload limit, a crash."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.decorators import sync_and_async_middleware

# Other servers' APIs at the paths apps expect (FreshRSS's): their errors are theirs.
FOREIGN_APIS = ("/api/greader.php", "/api/fever.php")

DETAILS = {
    400: "Bad request (the body could not be read, or is larger than the server accepts).",
    404: "No API route matches this path.",
    500: "Server error; the details are in the server log.",
}


def _as_json(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if (
        response.status_code < 400
        or not request.path.startswith("/api/")
        or request.path.startswith(FOREIGN_APIS)
        or response.streaming
        or response.get("Content-Type", "").startswith("application/json")
    ):
        return response
    status = response.status_code
    detail = DETAILS.get(status) or HTTPStatus(status).phrase
    if status == 404:
        detail = f"{detail} ({request.path})"
    return JsonResponse({"detail": detail}, status=status)


@sync_and_async_middleware
def api_errors_as_json(
    get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
) -> Callable[[HttpRequest], object]:
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponseBase:
            return _as_json(request, await get_response(request))

        return middleware

    def sync_middleware(request: HttpRequest) -> HttpResponseBase:
        return _as_json(request, get_response(request))  # type: ignore[arg-type]

    return sync_middleware
