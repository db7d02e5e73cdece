"""A real local HTTP server speaking the OpenAI chat-completions API as compatible servers do
(llama.cpp's server, vLLM, LM Studio, hosted APIs), for tests and benches.

`/v1/models` lists the served models; `/v1/chat/completions` answers from the JSON schema in
`response_format` (`json_schema`, or llama.cpp's `json_object` + `schema`), or from the schema
written into the system prompt. Errors use OpenAI's body (`{"error": {"message", "type",
"code"}}`); a 429 carries `Retry-After`. `json_schema_supported = False` makes it refuse
`json_schema` with the 500 llama.cpp's server answers (checked against the real one in
`make test-real`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes import reader
from tests.fakes.base import FakeServer, JSONHandler
from tests.fakes.ollama import _SCHEMA_IN_PROMPT


class OpenAIHandler(JSONHandler):
    def do_GET(self) -> None:
        fake: FakeOpenAI = self.fake
        fake.record(self, None)
        if self._faults() or not self._authorized():
            return
        if self.path.rstrip("/") == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
                for m in fake.models
            ]
            self.send_json(200, {"object": "list", "data": data})
        else:
            self._error(404, "Not found", "not_found")

    def do_POST(self) -> None:
        fake: FakeOpenAI = self.fake
        body = self.read_json() or {}
        fake.record(self, body)
        if self._faults() or not self._authorized():
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, "Not found", "not_found")
            return
        model = body.get("model", "")
        if model not in fake.models:
            self._error(404, f"The model `{model}` does not exist.", "model_not_found")
            return
        response_format = body.get("response_format") or {"type": "text"}
        if response_format.get("type") == "json_schema" and not fake.json_schema_supported:
            # What llama.cpp's server answers for a type it does not know: its request
            # validation error, through its generic handler, as a 500.
            detail = (
                "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', "
                "'response_format', 'type'), 'msg': \"Input should be 'text' or "
                "'json_object'\", 'input': 'json_schema'}"
            )
            self._error(500, detail, "internal_server_error")
            return
        prompt = "\n".join(_text(m.get("content")) for m in body.get("messages", []))
        with fake.slot():
            content, finish = fake.answer(body, response_format)
            prompt_tokens, output_tokens, _, _ = fake.charge(prompt, content)
        self.send_json(
            200,
            {
                "id": f"chatcmpl-{len(fake.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": finish,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": prompt_tokens + output_tokens,
                    "prompt_tokens_details": {"cached_tokens": fake.cached_tokens},
                },
            },
        )

    def _faults(self) -> bool:
        fake: FakeOpenAI = self.fake
        if fake.faults.hang_seconds:
            time.sleep(fake.faults.hang_seconds)
        if fake.take_html():
            self.send_html_page()
            return True
        status = fake.next_fault_status()
        if status is None:
            return False
        headers = {"Retry-After": str(fake.retry_after)} if status == 429 else {}
        self._error(status, f"injected fault {status}", "fault", headers)
        return True

    def _authorized(self) -> bool:
        fake: FakeOpenAI = self.fake
        sent = self.headers.get("Authorization", "")
        if fake.api_key and sent != f"Bearer {fake.api_key}":
            # A hostile (or careless) server repeats the key it was sent, whole.
            echo = f": {sent.removeprefix('Bearer ')}" if fake.echo_key else "."
            self._error(401, f"Incorrect API key provided{echo}", "invalid_api_key")
            return False
        return True

    def _error(
        self, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(
            {"error": {"message": message, "type": "invalid_request_error", "code": code}}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class FakeOpenAI(FakeServer):
    handler_class = OpenAIHandler

    def configure(self) -> None:
        self.models: list[str] = ["gemma3-270m", "qwen2.5-1.5b-instruct"]
        self.api_key: str | None = None
        self.echo_key = False  # a 401 that repeats the key it was sent
        self.json_schema_supported = True
        self.retry_after = 1
        self.truncate_next = 0
        self.responder: Any = None  # body -> content string
        self.follow_prompt = False
        self.cached_tokens = 32  # reported as served from the prompt cache

    def answer(self, body: dict[str, Any], response_format: dict[str, Any]) -> tuple[str, str]:
        if self.responder is not None:
            return str(self.responder(body)), "stop"
        with self._lock:
            truncated = self.truncate_next > 0
            self.truncate_next -= 1 if truncated else 0
        if truncated:
            return '{"categories": ["technology", "sci', "length"
        if self.take_malformed():
            return '{"interest_score": "high", "reasoning": ', "stop"
        schema: dict[str, Any] | None = None
        if response_format.get("type") == "json_schema":
            schema = response_format.get("json_schema", {}).get("schema")
        elif response_format.get("type") == "json_object":
            schema = response_format.get("schema")
        messages = body.get("messages", [])
        if schema is None:
            system = " ".join(
                _text(m.get("content")) for m in messages if m.get("role") == "system"
            )
            match = _SCHEMA_IN_PROMPT.search(system)
            schema = json.loads(match.group(1)) if match else None
        prompt = "\n".join(_text(m.get("content")) for m in messages)
        payload = self.shape_batch(reader.reply(prompt, schema, follow_prompt=self.follow_prompt))
        return json.dumps(payload), "stop"


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a multi-part content list."""
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")
