"""A real local HTTP server speaking Gemini's `generateContent`, for both client modes:

- Gemini API (key):  POST /{v1,v1beta}/models/{model}:generateContent   (x-goog-api-key)
- Vertex AI:         POST /v1beta1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from tests.fakes.base import FakeServer, JSONHandler, instance_from_schema

_API_PATH = re.compile(r"^/v1(?:beta)?/models/(?P<model>[^:/]+):generateContent")
_VERTEX_PATH = re.compile(
    r"^/v1(?:beta1)?/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/google/models/(?P<model>[^:/]+):generateContent"
)


class GeminiHandler(JSONHandler):
    def do_POST(self) -> None:
        fake: FakeGemini = self.fake
        body = self.read_json() or {}
        fake.record(self, body)
        if self.common_faults():
            return
        path = self.path.split("?", 1)[0]
        match = _VERTEX_PATH.match(path) or _API_PATH.match(path)
        if not match:
            self._error(404, "NOT_FOUND", f"no route {path}")
            return
        model = match.group("model")
        location = match.groupdict().get("location")
        if model not in fake.models or (location and location in fake.missing_in_locations):
            self._error(404, "NOT_FOUND", f"Publisher Model `{model}` was not found")
            return
        with fake.slot():
            if fake.latency:
                time.sleep(fake.latency)
            text = fake.answer(body)
        self.send_json(
            200,
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": text}]},
                        "finishReason": "STOP",
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": 10,
                    "candidatesTokenCount": 5,
                    "totalTokenCount": 15,
                    **(
                        {"cachedContentTokenCount": fake.cached_tokens}
                        if fake.cached_tokens
                        else {}
                    ),
                },
            },
        )

    def _error(self, code: int, status: str, message: str) -> None:
        self.send_json(code, {"error": {"code": code, "message": message, "status": status}})

    def common_faults(self) -> bool:
        status = self.fake.next_fault_status()
        if status is not None:
            names = {
                429: "RESOURCE_EXHAUSTED",
                503: "UNAVAILABLE",
                500: "INTERNAL",
                401: "UNAUTHENTICATED",
                403: "PERMISSION_DENIED",
            }
            self._error(status, names.get(status, "UNKNOWN"), f"injected fault {status}")
            return True
        return False


class FakeGemini(FakeServer):
    handler_class = GeminiHandler

    def configure(self) -> None:
        self.models = {"gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview"}
        self.missing_in_locations: set[str] = set()
        self.empty_next = 0
        self.responder: Any = None
        self.cached_tokens = 0  # reported as usageMetadata.cachedContentTokenCount

    def answer(self, body: dict[str, Any]) -> str:
        if self.responder is not None:
            return str(self.responder(body))
        if self.empty_next > 0:
            self.empty_next -= 1
            return ""
        if self.take_malformed():
            return '{"broken": '
        config = body.get("generationConfig", {})
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        return json.dumps(instance_from_schema(schema) if schema else {"answer": "plain text"})
